// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth torture engine: every context at once on one pool, with every
 * frame's owner checked at every step.
 *
 * Sources, for every present CPU (online or not at the start):
 *   thread   a per-CPU kthread, parked while its CPU is offline;
 *            now and then it drains the whole pool, so that other sources
 *            meet an empty pool and steal from each other
 *   softirq  a tasklet, scheduled by the CPU's hrtimer
 *   hardirq  an hrtimer in hard mode, pinned to the CPU
 *   NMI      NMI IPIs: to self from the hrtimer, to any CPU from the kthreads
 * Each source grants (single and bulk), holds its frames for a random number
 * of its own steps, then frees them (single and bulk) or hands them to a
 * CPU's lock-free list, to be checked and freed by that CPU's kthread or
 * tasklet.
 *
 * Ownership is checked three ways.  An owner table keyed by page frame
 * number moves a frame from free to its owner's token with cmpxchg at grant
 * and back at free, so a frame granted while someone holds it is caught the
 * instant it happens.  The token (context, CPU, sequence number) is written
 * into the page with a pattern, the whole page or words at offsets derived
 * from the token, and checked before the frame leaves its owner.  And when
 * the kernel zeroes pages (init_on_alloc/init_on_free) a grant must not see
 * the previous owner's header.
 *
 * Deliberate misuse runs alongside: NULL, ERR_PTR and unaligned frees on the
 * pool under torture, foreign frees of another pool's frame, and double
 * frees in pools private to one source, where nothing can re-grant the frame
 * between the two frees.  Every so often two CPUs free the same frames at
 * the same moment ("duel"): exactly one free of each frame may succeed.
 *
 * At the end every frame must be back: the owner table empty, the pool's
 * owned count zero, its grants equal to its frees and to the grants the
 * torture counted, its refusal counters equal to the misuse tried, and an
 * idle pool must grant every one of its frames before returning NULL.
 *
 * This file sets a run up, takes every frame back, checks the reserve and
 * the counters and prints the summary; engine_own.c keeps the owner table
 * and the canaries, engine_sources.c runs the sources and follows CPU
 * hotplug, engine_misuse.c holds the misuse, the duel and the memory hog.
 */

#define pr_fmt(fmt) "labyrinth_torture: " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "engine.h"

static atomic_t lt_busy = ATOMIC_INIT(0);

/*
 * An idle pool grants every frame it has before it returns NULL.  @which
 * is 0 before the torture, 1 after it (with the hog holding memory).  Idle
 * includes the background wipe (init_on_alloc/init_on_free), which holds a
 * frame while it clears it: after a NULL, look again a little later, a few
 * times, before calling it a fault.
 */
static void lt_reserve_check(struct lt_torture *t, unsigned int which)
{
	struct labyrinth_stats st;
	unsigned int nr = 0, i, cap = t->cap, looks = 0;
	unsigned long token;
	void *p;

	labyrinth_pool_read_stats(t->pool, &st);
	for (;;) {
		while (nr < cap && (p = labyrinth_pool_alloc(t->pool))) {
			token = lt_token(&t->ctl, false);
			lt_inc(&t->ctl.c.grants);
			if (lt_take(&t->ctl, p, token))
				t->reserve[nr++] = p;
		}
		if (nr >= cap)
			break;
		lt_inc(&t->ctl.c.nulls);	/* the NULL that ended the loop */
		if (nr >= st.nr_frames || ++looks > LT_RESERVE_LOOKS)
			break;
		msleep(20);
	}
	t->res->reserve_granted[which] = nr;
	t->res->reserve_frames[which] = st.nr_frames;
	if (nr < st.nr_frames)
		lt_fault(t, LABYRINTH_TORTURE_RESERVE,
			 "idle pool returned NULL after %u of its %llu frames", nr, st.nr_frames);
	for (i = 0; i < nr; i++)
		lt_check(&t->ctl, t->reserve[i], ((unsigned long *)t->reserve[i])[LT_HDR_TOKEN],
			 true);
	for (i = 0; i < nr; i += LT_DUEL_FRAMES)
		lt_free_bulk(&t->ctl, t->reserve + i, min_t(unsigned int, nr - i, LT_DUEL_FRAMES));
}

static unsigned long lt_sum(struct lt_torture *t, unsigned int ctx, size_t field)
{
	unsigned long sum = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		sum += READ_ONCE(*(unsigned long *)((char *)&t->src[ctx][cpu].c + field));
	return sum;
}

#define LT_SUM(t, ctx, field)	lt_sum(t, ctx, offsetof(struct lt_counts, field))

static unsigned long lt_faults(struct lt_torture *t)
{
	unsigned long sum = 0;
	unsigned int k;

	for (k = 0; k < LABYRINTH_TORTURE_NR_FAULTS; k++)
		sum += atomic_long_read(&t->fault[k]);
	return sum;
}

/*
 * Statistics read while every source works, as the API allows: the peak of
 * owned frames says how close the run came to an empty pool.
 */
static void lt_peek(struct lt_torture *t, struct labyrinth_stats *st)
{
	labyrinth_pool_read_stats(t->pool, st);
	t->peak_owned = max(t->peak_owned, st->owned);
}

static void lt_progress(struct lt_torture *t, unsigned long elapsed)
{
	struct labyrinth_stats st;

	lt_peek(t, &st);
	pr_info("progress %lu/%u s: ops thread=%lu softirq=%lu hardirq=%lu nmi=%lu; pool nr_frames=%llu owned=%llu peak_owned=%llu grants=%llu frees=%llu failures=%llu refill_failures=%llu; cpus online=%u; onoff=%u hog=%lu; faults=%lu\n",
		elapsed, t->cfg->duration,
		LT_SUM(t, LABYRINTH_TORTURE_THREAD, ops), LT_SUM(t, LABYRINTH_TORTURE_SOFTIRQ, ops),
		LT_SUM(t, LABYRINTH_TORTURE_HARDIRQ, ops), LT_SUM(t, LABYRINTH_TORTURE_NMI, ops),
		st.nr_frames, st.owned, t->peak_owned, st.grants, st.frees, st.failures,
		st.refill_failures, num_online_cpus(), READ_ONCE(t->onoff_cycles), t->hog_pages,
		lt_faults(t));
}

static int lt_setup(struct lt_torture *t)
{
	const struct labyrinth_pool_config pool = {
		.name = "torture", .nr_frames = t->cfg->nr_pages, .max_frames = t->cfg->max_pages,
	};
	unsigned int cap = max(t->cfg->nr_pages, t->cfg->max_pages), ctx, cpu, i;
	int err;

	t->cap = cap;
	t->pool = labyrinth_pool_create_config(&pool);
	if (IS_ERR(t->pool)) {
		err = PTR_ERR(t->pool);
		t->pool = NULL;
		pr_err("cannot create the pool (nr_pages=%u max_pages=%u): %d\n",
		       t->cfg->nr_pages, t->cfg->max_pages, err);
		return err;
	}
	t->duel_pool = labyrinth_pool_create("torture-duel", LT_DUEL_FRAMES);
	if (IS_ERR(t->duel_pool)) {
		err = PTR_ERR(t->duel_pool);
		t->duel_pool = NULL;
		return err;
	}
	/* two steps: 5.10's max() around ilog2() is too long a token for sparse */
	t->slot_bits = ilog2(roundup_pow_of_two(cap)) + 1;
	t->slot_bits = max(t->slot_bits, 6U);
	t->slot_mask = BIT(t->slot_bits) - 1;
	t->slots = kvcalloc(t->slot_mask + 1, sizeof(*t->slots), GFP_KERNEL);
	t->reserve = kvcalloc(cap, sizeof(*t->reserve), GFP_KERNEL);
	t->inbox = kcalloc(nr_cpu_ids, sizeof(*t->inbox), GFP_KERNEL);
	t->nmi_pending = kcalloc(nr_cpu_ids, sizeof(*t->nmi_pending), GFP_KERNEL);
	t->cpus = kcalloc(nr_cpu_ids, sizeof(*t->cpus), GFP_KERNEL);
	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++)
		t->src[ctx] = kvcalloc(nr_cpu_ids, sizeof(*t->src[ctx]), GFP_KERNEL);
	if (!t->slots || !t->reserve || !t->inbox || !t->nmi_pending || !t->cpus)
		return -ENOMEM;
	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++)
		if (!t->src[ctx])
			return -ENOMEM;
	lt_init_source(t, &t->ctl, LT_CONTROL, LT_CPU_MASK);

	/* every possible CPU can take an NMI or a migrated timer: all get state */
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		init_llist_head(&t->inbox[cpu]);
		for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++)
			lt_init_source(t, &t->src[ctx][cpu], ctx, cpu);
	}
	/* present, not online: a CPU offline just now gets its sources too */
	for_each_present_cpu(cpu)
		t->cpus[t->nr_cpus++] = cpu;
	t->res->cpus = t->nr_cpus;
	for (i = 0; i < t->nr_cpus; i++) {
		for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
			err = lt_setup_source(t, ctx, t->cpus[i]);
			if (err)
				return err;
		}
	}
	return 0;
}

/* Take back every frame the sources still hold or have in flight. */
static void lt_drain(struct lt_torture *t)
{
	unsigned int ctx, cpu, i;
	struct lt_source *s;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
			s = &t->src[ctx][cpu];
			for (i = 0; i < s->nr_held; i++)
				lt_free(s, s->held[i].addr, s->held[i].token);
			s->nr_held = 0;
		}
		lt_receive(&t->src[LABYRINTH_TORTURE_THREAD][cpu], cpu);
	}
}

static void lt_expect_stat(struct lt_torture *t, const char *what, u64 got, u64 want)
{
	if (got != want)
		lt_fault(t, LABYRINTH_TORTURE_COUNTERS, "%s is %llu, expected %llu",
			 what, got, want);
}

/* Every frame back, counters agreeing with what the torture did. */
static void lt_account(struct lt_torture *t)
{
	struct labyrinth_torture_result *res = t->res;
	struct labyrinth_stats *st = &res->stats, solo;
	unsigned long grants = t->ctl.c.grants, frees = t->ctl.c.frees, nulls = t->ctl.c.nulls;
	u64 solo_double = 0;
	unsigned int ctx, cpu;
	struct lt_who a;
	unsigned long i;

	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
		res->ops[ctx] = LT_SUM(t, ctx, ops);
		res->grants[ctx] = LT_SUM(t, ctx, grants);
		res->frees[ctx] = LT_SUM(t, ctx, frees);
		res->handoffs += LT_SUM(t, ctx, handoffs);
		res->bulk_grants += LT_SUM(t, ctx, bulk_grants);
		res->bulk_frees += LT_SUM(t, ctx, bulk_frees);
		res->nulls += LT_SUM(t, ctx, nulls);
		res->misuse += LT_SUM(t, ctx, misuse);
		res->bursts += LT_SUM(t, ctx, bursts);
		res->nmi_sent += LT_SUM(t, ctx, nmi_sent);
		grants += res->grants[ctx];
		frees += res->frees[ctx];
	}
	nulls += res->nulls;

	for (i = 0; i <= t->slot_mask; i++) {
		unsigned long owner = atomic_long_read(&t->slots[i].owner);

		if (owner)
			lt_fault(t, LABYRINTH_TORTURE_LEAK, "pfn %lx still owned by %s",
				 atomic_long_read(&t->slots[i].key) - 1, lt_who(&a, owner));
	}
	labyrinth_pool_read_stats(t->pool, st);
	if (st->owned)
		lt_fault(t, LABYRINTH_TORTURE_LEAK, "pool has %llu frames owned after the run",
			 st->owned);
	lt_expect_stat(t, "pool grants - frees", st->grants - st->frees, 0);
	lt_expect_stat(t, "pool grants", st->grants, grants);
	lt_expect_stat(t, "pool frees", st->frees, frees);
	lt_expect_stat(t, "pool failures", st->failures, nulls);
	lt_expect_stat(t, "pool bad_addr", st->bad_addr, atomic_long_read(&t->want_bad_addr));
	lt_expect_stat(t, "pool foreign", st->foreign, atomic_long_read(&t->want_foreign));
	lt_expect_stat(t, "pool double_free", st->double_free, 0);
	lt_expect_stat(t, "pool poison_faults", st->poison_faults, 0);

	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
		for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
			if (!t->src[ctx][cpu].solo)
				continue;
			labyrinth_pool_read_stats(t->src[ctx][cpu].solo, &solo);
			solo_double += solo.double_free;
			if (solo.owned)
				lt_fault(t, LABYRINTH_TORTURE_LEAK,
					 "private pool of %s/%u: %llu owned",
					 lt_ctx_names[ctx], cpu, solo.owned);
		}
	}
	lt_expect_stat(t, "private pools' double_free", solo_double,
		       atomic_long_read(&t->want_solo_double));
	labyrinth_pool_read_stats(t->duel_pool, &solo);
	lt_expect_stat(t, "duel pool double_free", solo.double_free,
		       atomic_long_read(&t->want_duel_double));
	if (solo.owned)
		lt_fault(t, LABYRINTH_TORTURE_LEAK, "duel pool: %llu owned", solo.owned);
}

static void lt_destroy_pool(struct lt_torture *t, struct labyrinth_pool *pool)
{
	int err;

	if (!pool)
		return;
	err = labyrinth_pool_destroy(pool);
	if (err)
		lt_fault(t, LABYRINTH_TORTURE_LEAK, "pool %s refused to be destroyed: %d",
			 labyrinth_pool_name(pool), err);
}

static void lt_teardown(struct lt_torture *t)
{
	unsigned int ctx, cpu;

	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
		for (cpu = 0; t->src[ctx] && cpu < nr_cpu_ids; cpu++) {
			lt_destroy_pool(t, t->src[ctx][cpu].solo);
			kvfree(t->src[ctx][cpu].burst);
		}
		kvfree(t->src[ctx]);
	}
	lt_destroy_pool(t, t->duel_pool);
	lt_destroy_pool(t, t->pool);
	kfree(t->cpus);
	kfree(t->nmi_pending);
	kfree(t->inbox);
	kvfree(t->reserve);
	kvfree(t->slots);
}

/*
 * The summary, as "summary <what>: key=value ..." lines short enough for one
 * printk record each, and a last "summary result: PASS|FAIL" line.
 */
static void lt_summary(struct lt_torture *t, int ret)
{
	struct labyrinth_torture_result *res = t->res;
	struct labyrinth_stats *st = &res->stats;
	unsigned int k;

	if (res->nmi_skipped)
		pr_info("NMI: skipped, %s\n", res->nmi_skipped);
	/* granted may exceed frames: the pool can grow while it is drained */
	pr_info("reserve: start_granted=%u start_frames=%u end_granted=%u end_frames=%u pressure=%d\n",
		res->reserve_granted[0], res->reserve_frames[0], res->reserve_granted[1],
		res->reserve_frames[1], t->hogged);
	for (k = 0; k < LABYRINTH_TORTURE_NR_FAULTS; k++) {
		res->fault[k] = atomic_long_read(&t->fault[k]);
		res->faults += res->fault[k];
	}
	pr_info("summary ops: duration=%u cpus=%u thread=%lu softirq=%lu hardirq=%lu nmi=%lu nmi_sent=%lu\n",
		t->cfg->duration, res->cpus, res->ops[LABYRINTH_TORTURE_THREAD],
		res->ops[LABYRINTH_TORTURE_SOFTIRQ], res->ops[LABYRINTH_TORTURE_HARDIRQ],
		res->ops[LABYRINTH_TORTURE_NMI], res->nmi_sent);
	pr_info("summary grants: thread=%lu softirq=%lu hardirq=%lu nmi=%lu handoffs=%lu bulk_grants=%lu bulk_frees=%lu bursts=%lu nulls=%lu misuse=%lu duel_frames=%lu onoff=%u hog_pages=%lu\n",
		res->grants[LABYRINTH_TORTURE_THREAD], res->grants[LABYRINTH_TORTURE_SOFTIRQ],
		res->grants[LABYRINTH_TORTURE_HARDIRQ], res->grants[LABYRINTH_TORTURE_NMI],
		res->handoffs, res->bulk_grants, res->bulk_frees, res->bursts, res->nulls,
		res->misuse, res->duel_frames, res->onoff_cycles, res->hog_pages);
	pr_info("summary faults: faults=%lu double_grant=%lu canary=%lu stale=%lu owner=%lu refused=%lu misuse_accepted=%lu duel=%lu leaked=%lu counters=%lu reserve=%lu\n",
		res->faults, res->fault[LABYRINTH_TORTURE_DOUBLE_GRANT],
		res->fault[LABYRINTH_TORTURE_CANARY], res->fault[LABYRINTH_TORTURE_STALE],
		res->fault[LABYRINTH_TORTURE_OWNER], res->fault[LABYRINTH_TORTURE_REFUSED],
		res->fault[LABYRINTH_TORTURE_MISUSE], res->fault[LABYRINTH_TORTURE_DUEL],
		res->fault[LABYRINTH_TORTURE_LEAK], res->fault[LABYRINTH_TORTURE_COUNTERS],
		res->fault[LABYRINTH_TORTURE_RESERVE]);
	pr_info("summary stats: nr_frames=%llu max_frames=%llu owned=%llu grants=%llu frees=%llu steals=%llu remote_frees=%llu failures=%llu refills=%llu refill_failures=%llu bad_addr=%llu foreign=%llu double_free=%llu\n",
		st->nr_frames, st->max_frames, st->owned, st->grants, st->frees, st->steals,
		st->remote_frees, st->failures, st->refills, st->refill_failures, st->bad_addr,
		st->foreign, st->double_free);
	pr_info("summary result: %s\n", ret ? "FAIL" : "PASS");
}

/**
 * labyrinth_torture_run() - torture a fresh pool from every context
 * @config: duration, pool size and options; see &struct labyrinth_torture_config
 * @result: filled with what the run did and found
 *
 * Creates a pool of its own, runs every source on every online CPU for
 * @config->duration seconds, printing a progress line every
 * @config->progress seconds, stops them, takes every frame back and checks
 * the pool's counters.  Prints a summary line ending in "result=PASS" or
 * "result=FAIL".  One run at a time.
 *
 * Context: Process context; sleeps for the whole run.
 * Return: 0 when no fault was found, -EIO when one was, -EBUSY when another
 * run is in progress, -EINVAL for a bad @config, or the error that stopped
 * the setup.
 */
int labyrinth_torture_run(const struct labyrinth_torture_config *config,
			  struct labyrinth_torture_result *result)
{
	unsigned long start, end, next_progress, next_duel, hog_at;
	struct labyrinth_stats st;
	struct lt_torture *t;
	int ret;

	if (!config->duration || !config->nr_pages ||
	    (config->max_pages && config->max_pages < config->nr_pages))
		return -EINVAL;
	if (atomic_cmpxchg(&lt_busy, 0, 1))
		return -EBUSY;
	memset(result, 0, sizeof(*result));
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		atomic_set(&lt_busy, 0);
		return -ENOMEM;
	}
	t->cfg = config;
	t->res = result;
	INIT_LIST_HEAD(&t->hog);
	t->zeroed = want_init_on_alloc(GFP_ATOMIC) || want_init_on_free();

	ret = lt_setup(t);
	if (ret) {
		pr_err("setup failed: %d\n", ret);
		goto out_stop;
	}
	pr_info("start: %u s on %u present CPUs, pool of %u frames (cap %u), nmi=%d hog=%d onoff=%u ms, pages %s at grant\n",
		config->duration, t->nr_cpus, config->nr_pages,
		max(config->nr_pages, config->max_pages), config->nmi, config->hog,
		config->onoff, t->zeroed ? "zeroed" : "not zeroed");
	lt_reserve_check(t, 0);
	ret = lt_start(t);

	start = jiffies;
	end = start + config->duration * HZ;
	next_progress = start + config->progress * HZ;
	next_duel = start;
	hog_at = start + config->duration * HZ / 3;
	while (!ret && time_before(jiffies, end)) {
		if (time_after_eq(jiffies, next_duel)) {
			lt_duel(t);
			next_duel = jiffies + LT_DUEL_EVERY;
		}
		if (config->hog && !t->hogged && time_after_eq(jiffies, hog_at))
			lt_hog(t);
		if (config->progress && time_after_eq(jiffies, next_progress)) {
			lt_progress(t, (jiffies - start) / HZ);
			next_progress += config->progress * HZ;
		}
		lt_peek(t, &st);
		msleep(20);
	}

	lt_stop(t);
	result->onoff_cycles = t->onoff_cycles;
	lt_drain(t);
	lt_reserve_check(t, 1);
	lt_unhog(t);
	lt_account(t);
	lt_teardown(t);
	if (!ret)
		ret = lt_faults(t) ? -EIO : 0;
	lt_summary(t, ret);
	kfree(t);
	atomic_set(&lt_busy, 0);
	return ret;

out_stop:
	lt_stop(t);
	lt_teardown(t);
	kfree(t);
	atomic_set(&lt_busy, 0);
	return ret;
}
