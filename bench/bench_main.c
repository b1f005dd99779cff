// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth_bench - labyrinth against its peers, side by side, in one boot.
 *
 * Load it after labyrinth.ko.  Its init runs every scenario on a kthread
 * bound to the first online CPU (with helper kthreads on the other CPUs
 * where a scenario needs them), prints its results and returns; nothing it
 * allocated outlives init, so rmmod is immediate.  Output, at KERN_NOTICE:
 *
 *   LABYRINTH-BENCH-INFO {json}      kernel, CPUs, parameters, clock ratio
 *   LABYRINTH-BENCH-PROGRESS <text>  a scenario started or finished
 *   LABYRINTH-BENCH {json}           one (scenario, allocator) result
 *   LABYRINTH-BENCH-END {json}       the last line
 *
 * Allocators, each reserving pool_pages pages where it reserves at all:
 *   labyrinth_pool   a labyrinth pool of its own (labyrinth_pool_create()):
 *                    the baseline of every ratio
 *   labyrinth        labyrinth's default pool (the two exported calls)
 *   alloc_page       alloc_page(GFP_ATOMIC) and __free_page()
 *   page_pool        a page_pool without a device, one per CPU; allocation
 *                    and direct recycling with BH disabled, its legal context
 *   mempool          mempool_create_page_pool(), mempool_alloc(GFP_ATOMIC):
 *                    the page allocator first, the reserve when it fails
 *   mempool_reserve  the same kind of pool, mempool_alloc_preallocated():
 *                    the reserve only, under its spinlock
 *   objpool          objpool whose objects each carry a pre-allocated page
 *   labyrinth_steal  scenario f only: a labyrinth pool whose home region on
 *                    this CPU is full, so every grant takes a frame homed on
 *                    another CPU
 *   labyrinth_bulk   scenarios b and d only: the default pool's bulk calls,
 *                    64 pages a call
 *   labyrinth_single_owner  scenarios a and h only: a labyrinth pool created
 *                    with LABYRINTH_POOL_SINGLE_OWNER, never cleared on
 *                    recycle (page_pool's contract)
 *   labyrinth_no_wipe  scenarios a and h only: a kernel-policy pool created
 *                    with LABYRINTH_POOL_NO_WIPE: every grant clears its
 *                    frame under init_on_alloc, no background wipe
 *   floor            scenario a only: no allocator: two noinline calls on
 *                    this CPU's state, reached through a per-CPU pointer:
 *                    an array pop and one atomic bit set, one atomic bit
 *                    clear and an array push (the native floor's definition,
 *                    per-thread state there)
 *
 * Scenarios (units are per page; a "pair" is one allocation and its free):
 *   a  one CPU, alloc+free pairs                      ns/pair
 *   b  one CPU, 64 allocations then 64 frees          ns/pair
 *   c  every online CPU at once, per-CPU cost; the same code on one CPU
 *      alone in the same scenario gives the all/one ratio      ns/pair
 *   d  allocated on one CPU, freed on another: batches of 64 handed over
 *      through two buffers with a release/acquire flag.  The figure is the
 *      busy time per page, allocating side plus freeing side, without the
 *      time either side spins waiting for the other; wall time per page is
 *      printed too                                             ns/page
 *   e  pairs in hardirq context (a hard irq_work)               ns/pair
 *   f  latency of single allocations, get_cycles() around each; the
 *      free that follows each is timed too; the median cost of the
 *      get_cycles() pair around an empty body is measured the same way,
 *      recorded, and subtracted from every percentile           ns
 *   g  a hog takes pages until alloc_page(GFP_ATOMIC) fails, then each
 *      allocator tries @tries allocations, more than any reserve  %
 *   h  bursts: @bursts times, an idle spell of @idle_ms (the background
 *      wipe's time), then 64 allocations timed together, then each page
 *      written whole (its first use, timed apart), then the frees
 *                                                          ns/page
 *
 * Every figure is the median of @runs timed runs after one warm-up round,
 * with the min and max of those runs as its spread.  Runs go round robin
 * over the allocators, so run r of every allocator saw the same state of
 * the machine, and the ratio to labyrinth_pool (the baseline) is the median
 * of the run-by-run ratios (f and g: the ratio of the medians).  Times come
 * from ktime_get_ns(), cycles from get_cycles().  Where an allocator's
 * contract forbids a context the result says so instead of misusing it.
 *
 * This file holds the parameters, the pools' setup and teardown, the
 * scenario table and the main thread; labyrinth_bench.h says which file
 * holds the rest.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/objpool.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timex.h>
#include <net/page_pool/types.h>

#include "../labyrinth.h"
#include "labyrinth_bench.h"

/* pool_pages bounds: two bursts of scenario b, and page_pool's ring limit */
#define BENCH_MIN_POOL		(2 * BENCH_BATCH)
#define BENCH_MAX_POOL		32768
#define BENCH_MAX_TRIES		(2 * BENCH_MAX_POOL)

unsigned int iters = 100000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Pages per timed run in scenarios a, b, c and e, at least 64 (default 100000)");

unsigned int cross_iters = 25000;
module_param(cross_iters, uint, 0444);
MODULE_PARM_DESC(cross_iters, "Pages per timed run in scenario d, at least 64 (default 25000)");

unsigned int runs = 21;
module_param(runs, uint, 0444);
MODULE_PARM_DESC(runs, "Timed runs per figure after one warm-up round, 1-31 (default 21)");

unsigned int samples = 100000;
module_param(samples, uint, 0444);
MODULE_PARM_DESC(samples, "Allocations timed one by one per allocator in scenario f (default 100000)");

unsigned int pool_pages = 1024;
module_param(pool_pages, uint, 0444);
MODULE_PARM_DESC(pool_pages, "Pages each pool created here reserves, 128-32768 (default 1024)");

unsigned int tries;
module_param(tries, uint, 0444);
MODULE_PARM_DESC(tries, "Allocations tried per allocator under memory pressure, more than pool_pages (default 0: twice pool_pages)");

char *scenarios = "abcdefgh";
module_param(scenarios, charp, 0444);
MODULE_PARM_DESC(scenarios, "Scenarios to run, letters a-h (default abcdefgh)");

unsigned int bursts = 40;
module_param(bursts, uint, 0444);
MODULE_PARM_DESC(bursts, "Bursts per allocator in scenario h, 1 to 200 (default 40)");

unsigned int idle_ms = 30;
module_param(idle_ms, uint, 0444);
MODULE_PARM_DESC(idle_ms, "Idle spell before each burst of scenario h, in ms, up to 1000 (default 30)");

/* An objpool object: the page it hands out. */
struct bench_obj {
	struct page *page;
};

static const struct bench_scn bench_scns[] = {
	{ 'a', "one CPU, alloc+free pairs", "ns/pair", bench_scn_a },
	{ 'b', "one CPU, 64 allocs then 64 frees", "ns/pair", bench_scn_b },
	{ 'c', "every CPU at once vs one CPU alone", "ns/pair", bench_scn_c },
	{ 'd', "allocated on one CPU, freed on another", "ns/page", bench_scn_d },
	{ 'e', "hardirq context, alloc+free pairs", "ns/pair", bench_scn_e },
	{ 'f', "latency of single allocations", "ns", bench_scn_f },
	{ 'g', "memory pressure: success rate", "%", bench_scn_g },
	{ 'h', "bursts of 64 after an idle spell", "ns/page", bench_scn_h },
};

static int bench_main(void *data)
{
	const struct bench_scn *scn;
	u64 start = ktime_get_ns(), t0, c0;
	unsigned int i, n = 0;
	enum bench_alloc a;

	bench_ws = kcalloc(BA_NR, sizeof(*bench_ws), GFP_KERNEL);
	if (!bench_ws) {
		bench.failed++;
		goto out;
	}
	/* get_cycles() against ktime, to print latencies in ns */
	t0 = ktime_get_ns();
	c0 = get_cycles();
	msleep(50);
	bench.cal_cycles = get_cycles() - c0;
	bench.cal_ns = ktime_get_ns() - t0;
	bench_info();

	for (i = 0; i < ARRAY_SIZE(bench_scns); i++) {
		scn = &bench_scns[i];
		if (!strchr(scenarios, scn->id))
			continue;
		pr_notice("LABYRINTH-BENCH-PROGRESS scenario %c (%s): started\n",
			  scn->id, scn->what);
		t0 = ktime_get_ns();
		memset(bench_res, 0, sizeof(bench_res));
		scn->run(scn);
		for (a = 0; a < BA_NR; a++)
			if (bench_res[a].status != BS_NONE)
				bench_emit(scn, a);
		pr_notice("LABYRINTH-BENCH-PROGRESS scenario %c (%s): done in %llu ms\n",
			  scn->id, scn->what, div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC));
		n++;
	}
	kfree(bench_ws);
out:
	pr_notice("LABYRINTH-BENCH-END {\"scenarios\":%u,\"failed\":%u,\"elapsed_ms\":%llu}\n",
		  n, bench.failed, div_u64(ktime_get_ns() - start, NSEC_PER_MSEC));
	kthread_complete_and_exit(&bench.done, 0);
}

/* objpool_init() callback: every object carries a page of its own. */
static int bench_objinit(void *obj, void *context)
{
	struct bench_obj *o = obj;

	o->page = alloc_page(GFP_KERNEL);
	if (!o->page)
		return -ENOMEM;
	bench.op_pages[bench.op_nr++] = o->page;
	return 0;
}

static void bench_teardown(void)
{
	unsigned int cpu, i;

	if (bench.op_ready)
		objpool_fini(&bench.op);
	bench.op_ready = 0;
	for (i = 0; i < bench.op_nr; i++)
		__free_page(bench.op_pages[i]);
	kvfree(bench.op_pages);
	bench.op_pages = NULL;
	bench.op_nr = 0;
	mempool_destroy(bench.mp_res);
	mempool_destroy(bench.mp);
	bench.mp = NULL;
	bench.mp_res = NULL;
	if (bench.pp) {
		for (cpu = 0; cpu < nr_cpu_ids; cpu++)
			page_pool_destroy(bench.pp[cpu]);
		kfree(bench.pp);
		bench.pp = NULL;
	}
	if (bench.steal && labyrinth_pool_destroy(bench.steal))
		pr_err("steal pool kept: frames still owned\n");
	if (bench.lab_pool && labyrinth_pool_destroy(bench.lab_pool))
		pr_err("bench pool kept: frames still owned\n");
	if (bench.single && labyrinth_pool_destroy(bench.single))
		pr_err("single-owner pool kept: frames still owned\n");
	if (bench.nowipe && labyrinth_pool_destroy(bench.nowipe))
		pr_err("no-wipe pool kept: frames still owned\n");
	bench.single = NULL;
	bench.nowipe = NULL;
	bench.steal = NULL;
	bench.lab_pool = NULL;
}

static struct labyrinth_pool *bench_lab_create_flags(const char *name, unsigned int nr,
						     unsigned int flags)
{
	const struct labyrinth_pool_config cfg = { .name = name, .nr_frames = nr, .flags = flags };
	struct labyrinth_pool *pool = labyrinth_pool_create_config(&cfg);

	if (IS_ERR(pool)) {
		pr_err("labyrinth_pool_create_config(%s, %u, 0x%x): %pe\n", name, nr, flags, pool);
		return NULL;
	}
	return pool;
}

static struct labyrinth_pool *bench_lab_create(const char *name, unsigned int nr)
{
	return bench_lab_create_flags(name, nr, 0);
}

static int bench_setup(void)
{
	unsigned int cpu;
	int err;

	bench.cpu0 = cpumask_first(cpu_online_mask);
	bench.cpu1 = cpumask_next(bench.cpu0, cpu_online_mask);

	bench.lab_pool = bench_lab_create("bench", pool_pages);
	bench.single = bench_lab_create_flags("bench_single", pool_pages,
					      LABYRINTH_POOL_SINGLE_OWNER);
	bench.nowipe = bench_lab_create_flags("bench_nowipe", pool_pages, LABYRINTH_POOL_NO_WIPE);
	/* labyrinth gives each CPU online at create an even share */
	bench.steal_per_cpu = DIV_ROUND_UP(pool_pages, num_online_cpus());
	bench.steal = bench_lab_create("bench_steal", bench.steal_per_cpu * num_online_cpus());
	if (!bench.lab_pool || !bench.steal || !bench.single || !bench.nowipe)
		return -ENOMEM;

	bench.pp = kcalloc(nr_cpu_ids, sizeof(*bench.pp), GFP_KERNEL);
	if (!bench.pp)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		struct page_pool_params pp = {
			.order = 0,
			.pool_size = pool_pages,
			.nid = NUMA_NO_NODE,
		};
		struct page_pool *p = page_pool_create(&pp);

		if (IS_ERR(p)) {
			pr_err("page_pool_create for CPU %u: %pe\n", cpu, p);
			return PTR_ERR(p);
		}
		bench.pp[cpu] = p;
	}

	bench.mp = mempool_create_page_pool(pool_pages, 0);
	bench.mp_res = mempool_create_page_pool(pool_pages, 0);
	if (!bench.mp || !bench.mp_res) {
		pr_err("mempool_create_page_pool(%u, 0) failed\n", pool_pages);
		return -ENOMEM;
	}

	bench.op_pages = kvcalloc(pool_pages, sizeof(*bench.op_pages), GFP_KERNEL);
	if (!bench.op_pages)
		return -ENOMEM;
	err = objpool_init(&bench.op, pool_pages, sizeof(struct bench_obj), GFP_KERNEL,
			   NULL, bench_objinit, NULL);
	if (err) {
		pr_err("objpool_init(%u objects): %d\n", pool_pages, err);
		return err;
	}
	bench.op_ready = 1;
	return 0;
}

static int bench_check_params(void)
{
	const char *s;

	if (iters < BENCH_BATCH) {
		pr_err("iters=%u rejected: must be at least %u\n", iters, BENCH_BATCH);
		return -EINVAL;
	}
	if (cross_iters < BENCH_BATCH) {
		pr_err("cross_iters=%u rejected: must be at least %u\n", cross_iters, BENCH_BATCH);
		return -EINVAL;
	}
	if (!runs || runs > BENCH_MAX_RUNS) {
		pr_err("runs=%u rejected: must be 1 to %u\n", runs, BENCH_MAX_RUNS);
		return -EINVAL;
	}
	if (!samples || samples > 10000000) {
		pr_err("samples=%u rejected: must be 1 to 10000000\n", samples);
		return -EINVAL;
	}
	if (pool_pages < BENCH_MIN_POOL || pool_pages > BENCH_MAX_POOL ||
	    pool_pages > totalram_pages() / 16) {
		pr_err("pool_pages=%u rejected: must be %u to %u and at most a sixteenth of RAM\n",
		       pool_pages, BENCH_MIN_POOL, BENCH_MAX_POOL);
		return -EINVAL;
	}
	if (!tries)
		tries = 2 * pool_pages;
	if (tries <= pool_pages || tries > BENCH_MAX_TRIES) {
		pr_err("tries=%u rejected: must be more than pool_pages and at most %u\n",
		       tries, BENCH_MAX_TRIES);
		return -EINVAL;
	}
	if (!scenarios || !*scenarios) {
		pr_err("scenarios rejected: empty\n");
		return -EINVAL;
	}
	for (s = scenarios; *s; s++) {
		if (*s < 'a' || *s > 'h') {
			pr_err("scenarios=%s rejected: letters a to h only\n", scenarios);
			return -EINVAL;
		}
	}
	if (!bursts || bursts > BENCH_MAX_BURSTS) {
		pr_err("bursts=%u rejected: must be 1 to %u\n", bursts, BENCH_MAX_BURSTS);
		return -EINVAL;
	}
	if (idle_ms > 1000) {
		pr_err("idle_ms=%u rejected: at most 1000\n", idle_ms);
		return -EINVAL;
	}
	return 0;
}

static int __init labyrinth_bench_init(void)
{
	struct task_struct *t;
	int err;

	err = bench_check_params();
	if (err)
		return err;
	bench_floor_init();
	err = bench_setup();
	if (err)
		goto out;

	init_completion(&bench.done);
	t = kthread_create(bench_main, NULL, "lbench/main");
	if (IS_ERR(t)) {
		err = PTR_ERR(t);
		goto out;
	}
	kthread_bind(t, bench.cpu0);
	wake_up_process(t);
	/* Minutes of work: wake now and then so the hung-task check stays quiet. */
	while (!wait_for_completion_timeout(&bench.done, 5 * HZ))
		cond_resched();
	if (bench.failed)
		err = -EIO;
out:
	bench_teardown();
	return err;
}
module_init(labyrinth_bench_init);

/* Everything was released at the end of init. */
static void __exit labyrinth_bench_exit(void)
{
}
module_exit(labyrinth_bench_exit);

MODULE_IMPORT_NS(LABYRINTH);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("labyrinth developers");
MODULE_DESCRIPTION("labyrinth benchmark: labyrinth, page_pool, mempool, objpool, alloc_page side by side");
