// SPDX-License-Identifier: GPL-2.0
/*
 * The explorer's scenarios: each a pool configuration, a setup that puts
 * the pool in the state a race needs, the actors that race there and, for
 * some, what must hold once they are done.  Small pools and few actors
 * keep every schedule up to the bound within reach.
 */
#include <limits.h>

#include "explore.h"

/* ---- setups ---- */

/* The setup takes @n frames on @cpu and holds them through the run. */
static void setup_hold(int cpu, unsigned int n)
{
	void *p;

	lab_shim_set_cpu(cpu);
	while (n--) {
		p = labyrinth_pool_alloc(pool);
		if (!p)
			die("%s: setup could not take a frame\n", sc->name);
		claim(HOLDER, p, "setup");
		hold(HOLDER, p);
	}
	lab_shim_set_cpu(0);
}

static void kick_growth(void)
{
	queue_work(system_wq, &pool->grow_work);
}

static void setup_hold_all_and_kick(void)
{
	setup_hold(0, pool->nr_frames);
	kick_growth();
}

static void setup_hold_all(void)
{
	setup_hold(0, pool->nr_frames);
}

static void setup_hold_home0(void)
{
	setup_hold(0, pool->regions[0].backed);
}

/* ---- the background wipe (scenarios with zeroes) ---- */

/* A frame written and freed before the run: the wipe is queued for it. */
static void setup_dirty_one(void)
{
	void *p = labyrinth_pool_alloc(pool);

	if (!p)
		die("%s: setup could not take a frame\n", sc->name);
	memset(p, 0x5e, PAGE_SIZE);
	if (labyrinth_pool_free(pool, p))
		die("%s: setup could not free its frame\n", sc->name);
	if (!pool->wipe_work.work.pending)
		die("%s: a free under init_on_alloc queued no wipe\n", sc->name);
}

static void setup_dirty_one_hold_one(void)
{
	setup_dirty_one();
	setup_hold(1, 1);
}

/* ---- growth: setups and checks at rest ---- */

/* Growth to the last segment: the setup takes it to 15 of 16. */
static void setup_near_last_segment(void)
{
	setup_hold_all();
	while (pool->nr_segments < LABYRINTH_MAX_SEGMENTS - 1) {
		kick_growth();
		lab_shim_flush_workqueue();
		setup_hold(0, pool->backed_frames - holder_nheld);
	}
}

/* Memory pressure: each growth step may take one page, and time moves on. */
bool pressure;

static void one_page_per_step(void)
{
	lab_explore_jiffies += LABYRINTH_GROW_BACKOFF;
	lab_shim_page_budget = pressure ? 1 : -1;
}

static void setup_pressure(void)
{
	pressure = true;
	setup_hold_all();
}

/* Once the pressure ends, growth must still reach the cap. */
static void check_reaches_cap(void)
{
	unsigned int step;

	pressure = false;
	lab_shim_page_budget = -1;
	for (step = 0; step < LABYRINTH_MAX_SEGMENTS &&
	     pool->backed_frames < pool->max_frames; step++) {
		lab_explore_jiffies += LABYRINTH_GROW_BACKOFF;
		kick_growth();
		lab_shim_flush_workqueue();
	}
	if (pool->backed_frames < pool->max_frames)
		violation("after the pressure the pool is stuck at %u of %u frames, %u segments",
			  pool->backed_frames, pool->max_frames, pool->nr_segments);
}

/* With at most one frame owned at a time, growth needs at most one step. */
static void check_no_needless_growth(void)
{
	struct labyrinth_stats st;

	labyrinth_pool_read_stats(pool, &st);
	if (work_runs > 1 || pool->nr_segments > 2)
		violation("%u growth steps (%u segments) with at most one frame owned at once",
			  work_runs, pool->nr_segments);
	if (st.steals > 1)
		violation("%llu steals with at most one frame owned at once", st.steals);
}

/* A stale back-off stamp, more than half the jiffies range old: growth must run. */
static void setup_stale_backoff(void)
{
	setup_hold_all();
	pool->grow_failed_at = lab_explore_jiffies - (ULONG_MAX / 2 + 1) -
			       2 * LABYRINTH_GROW_BACKOFF;
}

static void check_grew(void)
{
	if (pool->backed_frames == pool->nr_frames)
		violation("the pool never grew: a stale back-off stamp held growth back");
}

/* ---- the scenarios ---- */

#define CFG(n, max)	{ .name = "explore", .nr_frames = (n), .max_frames = (max) }

/* a device that reaches everything, for DMA-mapped pools */
static u64 explore_dma_mask = ~0ULL;
static struct device explore_dev = { .name = "explore", .dma_mask = &explore_dma_mask };

#define CFG_DMA(n, max)							\
	{ .name = "explore", .nr_frames = (n), .max_frames = (max),		\
	  .flags = LABYRINTH_POOL_DMA_MAP, .dma_dev = &explore_dev,		\
	  .dma_dir = DMA_FROM_DEVICE }

const struct scenario scenarios[] = {
	{
		.name = "pairs-home-full",
		.about = "grant/free pairs on 2 CPUs from their own home regions, NMI on CPU 0",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(4, 0),
		.actors = { { "cpu0", 0, pair, 1 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi0", 0, pair, 1 },
	},
	{
		.name = "pairs-home-empty",
		.about = "CPU 0's home region held: its grants steal; CPU 1 grants and frees",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(4, 0),
		.setup = setup_hold_home0,
		.actors = { { "cpu0", 0, pair, 2 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi1", 1, pair, 1 },
	},
	{
		.name = "steal-vs-free",
		.about = "every frame held; CPU 1 frees one and grants, CPU 0 steals",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(2, 0),
		.setup = setup_hold_all,
		.actors = { { "cpu0", 0, grant_hold, 1 }, { "cpu1", 1, free_then_grant, 0 } },
		.nmi = { "nmi0", 0, grant_hold, 1 },
	},
	{
		.name = "bulk-vs-single",
		.about = "bulk grant and bulk free of 3 against single grants, NMI on CPU 1",
		.bound = 2, .cpus = 2, .online = 2, .cfg = CFG(4, 0),
		.actors = { { "cpu0", 0, bulk_pair, 3 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi1", 1, pair, 1 },
	},
	{
		.name = "bulk-free-repeat-one-word",
		.about = "bulk free {A, A, B} with A and B in one word, against a grant",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(4, 0),
		.setup = setup_hold_home0,
		.actors = { { "cpu0", 0, bulk_free_repeat, 1 }, { "cpu1", 1, grant_hold, 3 } },
		.nmi = { "nmi0", 0, grant_hold, 1 },
	},
	{
		.name = "bulk-free-repeat-two-words",
		.about = "bulk free {A, B, A} with A and B in different words, against grants",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(2, 0),
		.setup = setup_hold_all,
		.actors = { { "cpu0", 0, bulk_free_repeat, 0 }, { "cpu1", 1, grant_hold, 2 } },
		.nmi = { "nmi0", 0, grant_hold, 1 },
	},
	{
		.name = "stray-and-double-frees",
		.about = "double, never-granted, foreign and NULL frees against grant/free pairs",
		.bound = 2, .cpus = 2, .online = 2, .cfg = CFG(4, 0),
		.actors = { { "cpu0", 0, misuse, 0 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi1", 1, pair, 1 },
	},
	{
		.name = "growth-vs-grants",
		.about = "every frame held; grants on both CPUs and an NMI while growth runs",
		.bound = 2, .cpus = 2, .online = 2, .cfg = CFG(2, 8),
		.setup = setup_hold_all, .kworker = true,
		.actors = { { "cpu0", 0, pair, 1 }, { "cpu1", 1, grant_hold, 1 } },
		.nmi = { "nmi0", 0, pair, 1 },
	},
	{
		.name = "growth-dma-mapped",
		.about = "a DMA-mapped pool grows under grants: each frame granted has its mapping",
		.bound = 2, .cpus = 2, .online = 2, .cfg = CFG_DMA(2, 8),
		.setup = setup_hold_all, .kworker = true,
		.actors = { { "cpu0", 0, pair, 1 }, { "cpu1", 1, grant_hold, 1 } },
		.nmi = { "nmi0", 0, pair, 1 },
	},
	{
		.name = "growth-window-stray-free",
		.about = "a free of a frame growth is still publishing, never granted",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(2, 8),
		.setup = setup_hold_all_and_kick, .kworker = true,
		.actors = { { "cpu1", 1, stray_free_new_frame, 0 } },
	},
	{
		.name = "growth-last-segment",
		.about = "grants kick growth while its last step runs, and after",
		.bound = 2, .cpus = 1, .online = 1, .cfg = CFG(1, 16),
		.setup = setup_near_last_segment, .kworker = true,
		.actors = { { "cpu0", 0, grant_through_growth, 2 }, { "irq0", 0, grant_hold, 1 } },
		.nmi = { "nmi0", 0, grant_hold, 1 },
	},
	{
		.name = "growth-partial",
		.about = "one page per growth step, then no limit: the cap stays reachable",
		.bound = 2, .cpus = 1, .online = 1, .cfg = CFG(2, 32),
		.setup = setup_pressure, .kworker = true, .before_work = one_page_per_step,
		.quiescent = check_reaches_cap,
		.actors = { { "cpu0", 0, grant_through_growth, 32 } },
	},
	{
		.name = "growth-stale-backoff",
		.about = "a back-off stamp older than half the jiffies range holds nothing back",
		.bound = 2, .cpus = 1, .online = 1, .cfg = CFG(2, 8),
		.setup = setup_stale_backoff, .kworker = true, .quiescent = check_grew,
		.actors = { { "cpu0", 0, grant_through_growth, 2 } },
	},
	{
		.name = "hotplug-no-home",
		.about = "CPU 1 onlined after create: grant/free pairs neither steal nor grow",
		.bound = 2, .cpus = 2, .online = 1, .cfg = CFG(2, 64),
		.kworker = true, .quiescent = check_no_needless_growth,
		.actors = { { "cpu1", 1, pair_wait, 3 } },
		.nmi = { "nmi1", 1, pair, 1 },
	},
	{
		.name = "tiny-pool-empty-home",
		.about = "1 frame on 2 CPUs, growable: CPU 1's empty home grows once",
		.bound = 2, .cpus = 2, .online = 2, .cfg = CFG(1, 64),
		.kworker = true, .quiescent = check_no_needless_growth,
		.actors = { { "cpu1", 1, pair_wait, 3 } },
	},
	{
		.name = "bulk-two-words",
		.about = "66 frames homed on CPU 0, adopted by CPU 1: bulk over two words vs pairs",
		.bound = 2, .cpus = 2, .online = 1, .cfg = CFG(66, 0),
		.actors = { { "cpu0", 0, bulk_pair, 65 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi1", 1, pair, 1 },
	},
	{
		.name = "destroy-while-growing",
		.about = "a NULL grant kicks growth, then the last free and destroy race the step",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(1, 8),
		.setup = setup_hold_all, .kworker = true,
		.actors = { { "cpu0", 0, grant_then_free_held, 0 },
			    { "cpu1", 1, destroy_when_unowned, 0 } },
	},
	{
		.name = "wipe-vs-pairs",
		.about = "init_on_alloc: pairs on two CPUs and an NMI while the wipe runs",
		.zeroes = true, .bound = 2, .cpus = 2, .online = 2, .cfg = CFG(3, 0),
		.setup = setup_dirty_one, .kworker = true,
		.actors = { { "cpu0", 0, pair, 1 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi0", 0, one_pair, 0 },
	},
	{
		.name = "wipe-disarm-vs-free",
		.about = "init_on_alloc: a free lands while the wipe finds nothing and disarms",
		.zeroes = true, .bound = 3, .cpus = 2, .online = 2, .cfg = CFG(2, 0),
		.setup = setup_dirty_one_hold_one, .kworker = true,
		.actors = { { "cpu1", 1, write_and_free_held, 0 } },
	},
	{
		.name = "wipe-vs-destroy",
		.about = "init_on_alloc: the last free arms the wipe as destroy starts",
		.zeroes = true, .bound = 2, .cpus = 2, .online = 2, .cfg = CFG(2, 0),
		.setup = setup_dirty_one_hold_one, .kworker = true,
		.actors = { { "cpu1", 1, write_and_free_held, 0 },
			    { "cpu0", 0, destroy_when_clients_done, 0 } },
	},
	{
		.name = "destroy-after-last-free",
		.about = "CPU 1 frees the last frame; CPU 0 sees the pool unowned and destroys it",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(1, 0),
		.setup = setup_hold_all,
		.actors = { { "cpu1", 1, free_held_by_setup, 0 },
			    { "cpu0", 0, destroy_when_unowned, 0 } },
	},
};

const unsigned int nr_scenarios = ARRAY_SIZE(scenarios);
