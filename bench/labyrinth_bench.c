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
 *   labyrinth        labyrinth's default pool (the two exported calls)
 *   labyrinth_pool   a labyrinth pool of its own (labyrinth_pool_create())
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
 *      free that follows each is timed too                      ns
 *   g  free memory exhausted by a hog, then success of up to @tries
 *      allocations                                              %
 *   h  bursts: @bursts times, an idle spell of @idle_ms (the background
 *      wipe's time), then 64 allocations timed together, then each page
 *      written whole (its first use, timed apart), then the frees
 *                                                          ns/page
 *
 * Every figure is the median of @runs timed runs after one warm-up round,
 * with the min and max of those runs as its spread.  Runs go round robin
 * over the allocators, so run r of every allocator saw the same state of
 * the machine, and the ratio to the labyrinth default pool is the median of
 * the run-by-run ratios (f and g: the ratio of the medians).  Times come
 * from ktime_get_ns(), cycles from get_cycles().  Where an allocator's
 * contract forbids a context the result says so instead of misusing it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/objpool.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/timex.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <net/page_pool/helpers.h>
#include <net/page_pool/types.h>

#include "../labyrinth.h"

/* Scenario b's burst and scenario d's hand-over batch: one NAPI budget. */
#define BENCH_BATCH		64
#define BENCH_MAX_RUNS		31
#define BENCH_MAX_BURSTS	200
#define BENCH_MAX_TRIES		4096
/* Latency samples taken per stretch with preemption disabled. */
#define BENCH_LAT_CHUNK		4096
/* One output line; printk keeps records up to about 1000 bytes. */
#define BENCH_LINE_MAX		900
/* pool_pages bounds: two bursts of scenario b, and page_pool's ring limit */
#define BENCH_MIN_POOL		(2 * BENCH_BATCH)
#define BENCH_MAX_POOL		32768

static unsigned int iters = 100000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Pages per timed run in scenarios a, b, c and e, at least 64 (default 100000)");

static unsigned int cross_iters = 25000;
module_param(cross_iters, uint, 0444);
MODULE_PARM_DESC(cross_iters, "Pages per timed run in scenario d, at least 64 (default 25000)");

static unsigned int runs = 21;
module_param(runs, uint, 0444);
MODULE_PARM_DESC(runs, "Timed runs per figure after one warm-up round, 1-31 (default 21)");

static unsigned int samples = 100000;
module_param(samples, uint, 0444);
MODULE_PARM_DESC(samples, "Allocations timed one by one per allocator in scenario f (default 100000)");

static unsigned int pool_pages = 1024;
module_param(pool_pages, uint, 0444);
MODULE_PARM_DESC(pool_pages, "Pages each pool created here reserves, 128-32768 (default 1024)");

static unsigned int tries = 256;
module_param(tries, uint, 0444);
MODULE_PARM_DESC(tries, "Allocations tried per allocator under memory pressure, at most pool_pages (default 256)");

static char *scenarios = "abcdefgh";
module_param(scenarios, charp, 0444);
MODULE_PARM_DESC(scenarios, "Scenarios to run, letters a-h (default abcdefgh)");

static unsigned int bursts = 40;
module_param(bursts, uint, 0444);
MODULE_PARM_DESC(bursts, "Bursts per allocator in scenario h, 1 to 200 (default 40)");

static unsigned int idle_ms = 30;
module_param(idle_ms, uint, 0444);
MODULE_PARM_DESC(idle_ms, "Idle spell before each burst of scenario h, in ms, up to 1000 (default 30)");

enum bench_alloc {
	BA_LAB,
	BA_LAB_POOL,
	BA_ALLOC_PAGE,
	BA_PAGE_POOL,
	BA_MEMPOOL,
	BA_MEMPOOL_RES,
	BA_OBJPOOL,
	BA_LAB_STEAL,
	BA_LAB_BULK,
	BA_LAB_SINGLE,
	BA_LAB_NOWIPE,
	BA_FLOOR,
	BA_NR,
};

/* Allocators of every scenario; the steal pool is f's, bulk is b's and d's. */
#define BA_NR_COMMON	BA_LAB_STEAL

static const char * const bench_alloc_name[BA_NR] = {
	[BA_LAB] = "labyrinth",
	[BA_LAB_POOL] = "labyrinth_pool",
	[BA_ALLOC_PAGE] = "alloc_page",
	[BA_PAGE_POOL] = "page_pool",
	[BA_MEMPOOL] = "mempool",
	[BA_MEMPOOL_RES] = "mempool_reserve",
	[BA_OBJPOOL] = "objpool",
	[BA_LAB_STEAL] = "labyrinth_steal",
	[BA_LAB_BULK] = "labyrinth_bulk",
	[BA_LAB_SINGLE] = "labyrinth_single_owner",
	[BA_LAB_NOWIPE] = "labyrinth_no_wipe",
	[BA_FLOOR] = "floor",
};

/*
 * The floor of scenario a: no allocator, just what labyrinth's pair cannot
 * avoid, an array pop and push plus one atomic bit set and one clear.  It
 * tells what an atomic read-modify-write costs in this guest.
 */
#define BENCH_FLOOR_SLOTS	64

struct bench_floor {
	unsigned long bits;
	unsigned int top;
	void *slot[BENCH_FLOOR_SLOTS];
	char obj[BENCH_FLOOR_SLOTS];
};

static struct bench_floor bench_floor ____cacheline_aligned = { .top = BENCH_FLOOR_SLOTS };

static void bench_floor_init(void)
{
	unsigned int i;

	for (i = 0; i < BENCH_FLOOR_SLOTS; i++)
		bench_floor.slot[i] = &bench_floor.obj[i];
}

enum bench_kind {
	BK_PAIRS,	/* n alloc+free pairs */
	BK_BATCH,	/* n rounds of BENCH_BATCH allocations, then their frees */
	BK_FILL,	/* n allocations into buf[] */
	BK_DRAIN,	/* frees of buf[0..n-1] */
	BK_LATENCY,	/* n allocations timed one by one into lat[], each free into latf[] */
};

/* An objpool object: the page it hands out. */
struct bench_obj {
	struct page *page;
};

struct bench_group;

/**
 * struct bench_worker - one CPU's side of a measurement
 * @group: the group the worker runs in, NULL for the main thread alone
 * @task: helper kthread, until it is woken
 * @pp: this CPU's page_pool
 * @a: allocator measured
 * @cpu: CPU the worker is bound to
 * @role: index in the group; in scenario d, 0 allocates and 1 frees
 * @direct: page_pool frees may recycle directly (same CPU, BH disabled)
 * @buf: addresses for BK_FILL and BK_DRAIN
 * @lat: allocation samples for BK_LATENCY
 * @latf: free samples for BK_LATENCY
 * @busy: scenario d, cycles spent allocating or freeing in this run
 * @fails: allocations that returned NULL
 * @errs: frees the allocator refused
 * @t0: ktime at the start of the last stretch
 * @t1: ktime at its end
 * @c0: get_cycles() at its start
 * @c1: get_cycles() at its end
 * @ps: per timed run, ns per page times 1000
 * @mcyc: per timed run, cycles per page times 1000
 * @alone: scenario c, per timed run, ns per pair times 1000 on one CPU alone
 * @err: the allocator could not be measured: -errno, or 1 when the hard
 *       irq_work did not run in hardirq context
 * @side: scenario d, per timed run, ns per page times 1000 spent by the
 *        allocating [0] and the freeing [1] side
 * @wall: scenario d, per timed run, wall-clock ns per page times 1000
 * @done: completed by a helper when it is about to exit
 * @batch: scenario b's burst
 */
struct bench_worker {
	struct bench_group *group;
	struct task_struct *task;
	struct page_pool *pp;
	enum bench_alloc a;
	unsigned int cpu;
	unsigned int role;
	int direct;
	void **buf;
	u32 *lat;
	u32 *latf;
	u64 busy;
	unsigned long fails;
	unsigned long errs;
	u64 t0, t1, c0, c1;
	u64 ps[BENCH_MAX_RUNS];
	u64 mcyc[BENCH_MAX_RUNS];
	u64 alone[BENCH_MAX_RUNS];
	int err;
	u64 side[2][BENCH_MAX_RUNS];
	u64 wall[BENCH_MAX_RUNS];
	struct completion done;
	void *batch[BENCH_BATCH];
};

/**
 * struct bench_handoff - one batch travelling from CPU to CPU in scenario d
 * @obj: the batch's objects
 * @full: 1 while the batch belongs to the freeing CPU
 */
struct bench_handoff {
	void *obj[BENCH_BATCH];
	int full;
} ____cacheline_aligned;

/**
 * struct bench_group - workers on several CPUs starting together
 * @n: number of workers; worker 0 is the main thread
 * @arrived: workers waiting in the barrier
 * @gen: barrier generation
 * @fn: what each worker runs
 * @ho: scenario d's two hand-over buffers
 * @w: the workers
 */
struct bench_group {
	unsigned int n;
	atomic_t arrived;
	unsigned int gen;
	void (*fn)(struct bench_worker *w);
	struct bench_handoff ho[2];
	struct bench_worker w[];
};

/**
 * struct bench_env - the pools under test and the run's state
 * @cpu0: CPU of the main thread
 * @cpu1: a second online CPU, or nr_cpu_ids when there is none
 * @lab_pool: labyrinth pool of the bench's own
 * @single: labyrinth pool with LABYRINTH_POOL_SINGLE_OWNER
 * @nowipe: labyrinth pool with LABYRINTH_POOL_NO_WIPE
 * @steal: labyrinth pool for the steal path of scenario f
 * @steal_per_cpu: frames in each of @steal's home regions (one per CPU
 *                 online at load)
 * @pp: page_pool of each CPU online at load, indexed by CPU id
 * @mp: mempool used with mempool_alloc()
 * @mp_res: mempool used with mempool_alloc_preallocated()
 * @op: the objpool
 * @op_ready: @op was initialised
 * @op_pages: pages handed to objpool objects, freed at unload
 * @op_nr: entries in @op_pages
 * @cal_ns: calibration interval in ns
 * @cal_cycles: the same interval in get_cycles() units
 * @done: the main thread finished
 * @failed: results with status "fail"
 */
struct bench_env {
	unsigned int cpu0;
	unsigned int cpu1;
	struct labyrinth_pool *lab_pool;
	struct labyrinth_pool *single;
	struct labyrinth_pool *nowipe;
	struct labyrinth_pool *steal;
	unsigned int steal_per_cpu;
	struct page_pool **pp;
	mempool_t *mp;
	mempool_t *mp_res;
	struct objpool_head op;
	int op_ready;
	struct page **op_pages;
	unsigned int op_nr;
	u64 cal_ns;
	u64 cal_cycles;
	struct completion done;
	unsigned int failed;
};

static struct bench_env bench;

enum bench_status {
	BS_NONE,
	BS_OK,
	BS_NA,
	BS_FAIL,
};

/**
 * struct bench_spread - median and spread of a figure, in thousandths
 * @med: median
 * @min: smallest
 * @max: largest
 */
struct bench_spread {
	u64 med;
	u64 min;
	u64 max;
};

/**
 * struct bench_result - one allocator's result in one scenario
 * @status: ok, n/a (context forbidden), fail, or not run
 * @note: printed with the result
 * @v: the figure, thousandths of the scenario's unit
 * @cyc: cycles per page, thousandths
 * @alone: scenario c, the same figure with one CPU alone
 * @side: scenario d, busy ns per page of the allocating and freeing side
 * @wall: scenario d, wall-clock ns per page
 * @f50: scenario f, p50 of the frees, ns times 1000
 * @f99: scenario f, p99 of the frees, ns times 1000
 * @p99: scenario f, ns times 1000
 * @p999: scenario f, ns times 1000
 * @pmax: scenario f, ns times 1000
 * @c50: scenario f, cycles
 * @c99: scenario f, cycles
 * @c999: scenario f, cycles
 * @cmax: scenario f, cycles
 * @steals: scenario f's steal pool, grants that took a remote frame
 * @fails: allocations that returned NULL while timing
 * @errs: frees the allocator refused
 * @runv: the figure of each timed run, for ratios paired run by run
 * @nruns: entries in @runv, 0 when ratios are not paired
 * @ok: scenario g, allocations that succeeded
 * @tried: scenario g, allocations tried
 * @reserve: scenario g, pages the allocator held in reserve
 * @touch: scenario h, writing each granted page whole, ns per page times 1000
 * @grant_touch: scenario h, median over the bursts of grant plus touch
 */
struct bench_result {
	enum bench_status status;
	const char *note;
	struct bench_spread v;
	struct bench_spread cyc;
	struct bench_spread alone;
	struct bench_spread side[2];
	struct bench_spread wall;
	u64 f50, f99;
	u64 p99, p999, pmax;
	u64 c50, c99, c999, cmax;
	u64 steals;
	unsigned long fails;
	unsigned long errs;
	u64 runv[BENCH_MAX_RUNS];
	unsigned int nruns;
	unsigned int ok, tried, reserve;
	struct bench_spread touch;
	u64 grant_touch;
};

static struct bench_result bench_res[BA_NR];

/* The main thread's worker of each allocator, reset by every scenario. */
static struct bench_worker *bench_ws;

/* ---- the allocators, behind one switch the loops specialise away ---- */

static __always_inline void *bench_get(struct bench_worker *w, enum bench_alloc a)
{
	switch (a) {
	case BA_LAB:
		return labyrinth_void_alloc_page_gfp_atomic_exclusive();
	case BA_LAB_POOL:
		return labyrinth_pool_alloc(bench.lab_pool);
	case BA_LAB_STEAL:
		return labyrinth_pool_alloc(bench.steal);
	case BA_LAB_SINGLE:
		return labyrinth_pool_alloc(bench.single);
	case BA_LAB_NOWIPE:
		return labyrinth_pool_alloc(bench.nowipe);
	case BA_ALLOC_PAGE:
		return alloc_page(GFP_ATOMIC);
	case BA_PAGE_POOL:
		return page_pool_alloc_pages(w->pp, GFP_ATOMIC);
	case BA_MEMPOOL:
		return mempool_alloc(bench.mp, GFP_ATOMIC);
	case BA_MEMPOOL_RES:
		return mempool_alloc_preallocated(bench.mp_res);
	case BA_OBJPOOL:
		return objpool_pop(&bench.op);
	case BA_FLOOR:
		if (unlikely(!bench_floor.top))
			return NULL;
		if (unlikely(test_and_set_bit(--bench_floor.top, &bench_floor.bits)))
			w->errs++;
		return bench_floor.slot[bench_floor.top];
	default:
		return NULL;
	}
}

static __always_inline void bench_put(struct bench_worker *w, enum bench_alloc a,
				      void *obj, bool direct)
{
	int err = 0;

	if (unlikely(!obj)) {
		w->fails++;
		return;
	}
	switch (a) {
	case BA_LAB:
		err = labyrinth_free_page_exclusive(obj);
		break;
	case BA_LAB_POOL:
		err = labyrinth_pool_free(bench.lab_pool, obj);
		break;
	case BA_LAB_STEAL:
		err = labyrinth_pool_free(bench.steal, obj);
		break;
	case BA_LAB_SINGLE:
		err = labyrinth_pool_free(bench.single, obj);
		break;
	case BA_LAB_NOWIPE:
		err = labyrinth_pool_free(bench.nowipe, obj);
		break;
	case BA_ALLOC_PAGE:
		__free_page(obj);
		break;
	case BA_PAGE_POOL:
		page_pool_put_full_page(w->pp, obj, direct);
		break;
	case BA_MEMPOOL:
		mempool_free(obj, bench.mp);
		break;
	case BA_MEMPOOL_RES:
		mempool_free(obj, bench.mp_res);
		break;
	case BA_OBJPOOL:
		err = objpool_push(obj, &bench.op);
		break;
	case BA_FLOOR:
		bench_floor.slot[bench_floor.top] = obj;
		if (unlikely(!test_and_clear_bit(bench_floor.top++, &bench_floor.bits)))
			err = -EALREADY;
		break;
	default:
		break;
	}
	if (unlikely(err))
		w->errs++;
}

/*
 * The default pool's bulk calls, for scenarios b and d: BENCH_BATCH pages
 * a call.  Granted pages fill a prefix of the array; the rest is NULL.
 */
static void bench_loop_bulk(struct bench_worker *w, enum bench_kind kind, unsigned long n)
{
	struct labyrinth_pool *pool = labyrinth_default_pool();
	unsigned int got;
	unsigned long i;

	switch (kind) {
	case BK_BATCH:
		for (i = 0; i < n; i++) {
			got = labyrinth_pool_alloc_bulk(pool, w->batch, BENCH_BATCH);
			w->fails += BENCH_BATCH - got;
			if (unlikely(labyrinth_pool_free_bulk(pool, w->batch, got)))
				w->errs++;
		}
		break;
	case BK_FILL:
		got = labyrinth_pool_alloc_bulk(pool, w->buf, n);
		for (i = got; i < n; i++)
			w->buf[i] = NULL;
		break;
	case BK_DRAIN:
		got = 0;
		while (got < n && w->buf[got])
			got++;
		w->fails += n - got;
		if (unlikely(labyrinth_pool_free_bulk(pool, w->buf, got)))
			w->errs++;
		break;
	default:
		break;
	}
}

/*
 * Every loop of every scenario.  Inlined into one function per allocator
 * with @a a constant, so the allocator's calls are direct and the switch
 * above costs nothing per page.
 */
static __always_inline void bench_loop(struct bench_worker *w, enum bench_alloc a,
				       enum bench_kind kind, unsigned long n)
{
	unsigned long i, j;
	void *obj;
	u64 c0, c1;

	if (a == BA_LAB_BULK) {
		bench_loop_bulk(w, kind, n);
		return;
	}
	switch (kind) {
	case BK_PAIRS:
		for (i = 0; i < n; i++) {
			obj = bench_get(w, a);
			bench_put(w, a, obj, true);
		}
		break;
	case BK_BATCH:
		for (i = 0; i < n; i++) {
			for (j = 0; j < BENCH_BATCH; j++)
				w->batch[j] = bench_get(w, a);
			for (j = 0; j < BENCH_BATCH; j++)
				bench_put(w, a, w->batch[j], true);
		}
		break;
	case BK_FILL:
		for (i = 0; i < n; i++)
			w->buf[i] = bench_get(w, a);
		break;
	case BK_DRAIN:
		for (i = 0; i < n; i++)
			bench_put(w, a, w->buf[i], w->direct);
		break;
	case BK_LATENCY:
		for (i = 0; i < n; i++) {
			c0 = get_cycles();
			barrier();
			obj = bench_get(w, a);
			barrier();
			c1 = get_cycles();
			w->lat[i] = c1 - c0;
			barrier();
			bench_put(w, a, obj, true);
			barrier();
			w->latf[i] = get_cycles() - c1;
		}
		break;
	}
}

/* The one function per allocator that bench_loop() is inlined into. */
#define BENCH_LOOP(fn, allocator)						\
static noinline void fn(struct bench_worker *w, enum bench_kind k, unsigned long n)	\
{										\
	bench_loop(w, allocator, k, n);						\
}

BENCH_LOOP(bench_loop_lab, BA_LAB)
BENCH_LOOP(bench_loop_lab_pool, BA_LAB_POOL)
BENCH_LOOP(bench_loop_alloc_page, BA_ALLOC_PAGE)
BENCH_LOOP(bench_loop_page_pool, BA_PAGE_POOL)
BENCH_LOOP(bench_loop_mempool, BA_MEMPOOL)
BENCH_LOOP(bench_loop_mempool_res, BA_MEMPOOL_RES)
BENCH_LOOP(bench_loop_objpool, BA_OBJPOOL)
BENCH_LOOP(bench_loop_lab_bulk, BA_LAB_BULK)
BENCH_LOOP(bench_loop_lab_steal, BA_LAB_STEAL)
BENCH_LOOP(bench_loop_lab_single, BA_LAB_SINGLE)
BENCH_LOOP(bench_loop_lab_nowipe, BA_LAB_NOWIPE)
BENCH_LOOP(bench_loop_floor, BA_FLOOR)

/* One indirect call per timed stretch (or per batch in d), never per page. */
static void (* const bench_loops[BA_NR])(struct bench_worker *w, enum bench_kind k,
					 unsigned long n) = {
	[BA_LAB] = bench_loop_lab,
	[BA_LAB_POOL] = bench_loop_lab_pool,
	[BA_ALLOC_PAGE] = bench_loop_alloc_page,
	[BA_PAGE_POOL] = bench_loop_page_pool,
	[BA_MEMPOOL] = bench_loop_mempool,
	[BA_MEMPOOL_RES] = bench_loop_mempool_res,
	[BA_OBJPOOL] = bench_loop_objpool,
	[BA_LAB_STEAL] = bench_loop_lab_steal,
	[BA_LAB_BULK] = bench_loop_lab_bulk,
	[BA_LAB_SINGLE] = bench_loop_lab_single,
	[BA_LAB_NOWIPE] = bench_loop_lab_nowipe,
	[BA_FLOOR] = bench_loop_floor,
};

/* ---- timing ---- */

/*
 * Every stretch runs with preemption disabled so it stays on its CPU;
 * page_pool's additionally run with BH disabled, the context its allocation
 * and direct recycling require (NAPI polls run that way).
 */
static void bench_enter(const struct bench_worker *w, bool bh)
{
	preempt_disable();
	if (bh && w->a == BA_PAGE_POOL)
		local_bh_disable();
}

static void bench_leave(const struct bench_worker *w, bool bh)
{
	if (bh && w->a == BA_PAGE_POOL)
		local_bh_enable();
	preempt_enable();
}

static void bench_clock_start(struct bench_worker *w)
{
	w->t0 = ktime_get_ns();
	w->c0 = get_cycles();
}

static void bench_clock_stop(struct bench_worker *w)
{
	w->c1 = get_cycles();
	w->t1 = ktime_get_ns();
}

static void bench_timed(struct bench_worker *w, enum bench_kind k, unsigned long n)
{
	bench_enter(w, true);
	bench_clock_start(w);
	bench_loops[w->a](w, k, n);
	bench_clock_stop(w);
	bench_leave(w, true);
}

static void bench_record(struct bench_worker *w, unsigned int run, u64 ns, u64 cycles,
			 u64 pages)
{
	w->ps[run] = div64_u64(ns * 1000, pages);
	w->mcyc[run] = div64_u64(cycles * 1000, pages);
}

static void bench_spread_of(const u64 *v, unsigned int n, struct bench_spread *s)
{
	u64 tmp[BENCH_MAX_RUNS], x;
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && tmp[j - 1] > x; j--)
			tmp[j] = tmp[j - 1];
		tmp[j] = x;
	}
	s->min = tmp[0];
	s->max = tmp[n - 1];
	s->med = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static void bench_worker_init(struct bench_worker *w, enum bench_alloc a, unsigned int cpu)
{
	w->a = a;
	w->cpu = cpu;
	w->pp = bench.pp[cpu];
	w->direct = 1;
	w->fails = 0;
	w->errs = 0;
	w->err = 0;
}

/*
 * The @i-th allocator of round @r: each round starts one allocator later,
 * so that no allocator is always the first (or last) of its round.
 */
static enum bench_alloc bench_nth(unsigned int r, unsigned int i, unsigned int nr)
{
	return (r + i) % nr;
}

/* Allocators of every scenario, plus the scenario's own @extras (a mask). */
static bool bench_member(enum bench_alloc a, unsigned long extras)
{
	return a < BA_NR_COMMON || (extras & BIT(a));
}

/* Fill bench_res[a] from the per-run figures of one worker. */
static void bench_result_of(enum bench_alloc a, const struct bench_worker *w)
{
	struct bench_result *r = &bench_res[a];

	bench_spread_of(w->ps, runs, &r->v);
	bench_spread_of(w->mcyc, runs, &r->cyc);
	memcpy(r->runv, w->ps, runs * sizeof(*r->runv));
	r->nruns = runs;
	r->fails = w->fails;
	r->errs = w->errs;
	r->status = BS_OK;
	if (r->errs) {
		r->status = BS_FAIL;
		r->note = "frees refused by the allocator";
	}
}

static void bench_na(enum bench_alloc a, const char *why)
{
	bench_res[a].status = BS_NA;
	bench_res[a].note = why;
}

static void bench_fail(enum bench_alloc a, const char *why)
{
	bench_res[a].status = BS_FAIL;
	bench_res[a].note = why;
}

/* ---- workers on several CPUs ---- */

/* Sense-reversing barrier: every worker leaves once all have arrived. */
static void bench_barrier(struct bench_group *g)
{
	unsigned int gen = READ_ONCE(g->gen);

	if (atomic_inc_return(&g->arrived) == g->n) {
		atomic_set(&g->arrived, 0);
		/* the reset above is visible before anyone leaves */
		smp_store_release(&g->gen, gen + 1);
		return;
	}
	/* pairs with the release above */
	while (smp_load_acquire(&g->gen) == gen)
		cpu_relax();
}

static int bench_helper(void *data)
{
	struct bench_worker *w = data;

	w->group->fn(w);
	kthread_complete_and_exit(&w->done, 0);
}

static struct bench_group *bench_group_new(unsigned int n, enum bench_alloc a,
					   const unsigned int *cpus,
					   void (*fn)(struct bench_worker *w))
{
	struct bench_group *g = kzalloc(struct_size(g, w, n), GFP_KERNEL);
	unsigned int i;

	if (!g)
		return NULL;
	g->n = n;
	g->fn = fn;
	atomic_set(&g->arrived, 0);
	for (i = 0; i < n; i++) {
		bench_worker_init(&g->w[i], a, cpus[i]);
		g->w[i].group = g;
		g->w[i].role = i;
		init_completion(&g->w[i].done);
	}
	return g;
}

/*
 * Run g->fn on every worker's CPU at once: worker 0 here (the main thread,
 * bound to cpus[0]), the others in kthreads bound to theirs.  Every helper
 * is created before any is woken, so a failed creation leaves nobody
 * waiting in a barrier.
 */
static int bench_group_run(struct bench_group *g)
{
	struct task_struct *t;
	unsigned int i, j;

	for (i = 1; i < g->n; i++) {
		t = kthread_create(bench_helper, &g->w[i], "lbench/%u", g->w[i].cpu);
		if (IS_ERR(t)) {
			for (j = 1; j < i; j++)
				kthread_stop(g->w[j].task);
			return PTR_ERR(t);
		}
		kthread_bind(t, g->w[i].cpu);
		g->w[i].task = t;
	}
	for (i = 1; i < g->n; i++)
		wake_up_process(g->w[i].task);
	g->fn(&g->w[0]);
	for (i = 1; i < g->n; i++)
		wait_for_completion(&g->w[i].done);
	return 0;
}

/* ---- output ---- */

struct bench_line {
	char buf[BENCH_LINE_MAX];
	size_t len;
};

/* Only the main thread prints. */
static struct bench_line bench_line;

static __printf(2, 3) void bl_add(struct bench_line *l, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	l->len += vscnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, args);
	va_end(args);
}

/* A number held in thousandths, printed with three decimals. */
static void bl_fix(struct bench_line *l, const char *key, u64 milli)
{
	u32 rem;
	u64 whole = div_u64_rem(milli, 1000, &rem);

	bl_add(l, ",\"%s\":%llu.%03u", key, whole, rem);
}

static void bl_ratio(struct bench_line *l, const char *key, u64 x, u64 lab)
{
	if (lab)
		bl_fix(l, key, div64_u64(x * 1000, lab));
	else
		bl_add(l, ",\"%s\":null", key);
}

/**
 * struct bench_scn - one scenario
 * @id: its letter
 * @what: for progress lines
 * @unit: unit of its figures
 * @run: fills bench_res[], on the main thread with its workers bench_ws[]
 */
struct bench_scn {
	char id;
	const char *what;
	const char *unit;
	void (*run)(const struct bench_scn *scn);
};

/*
 * Every allocator's runs are interleaved with labyrinth's, so run r of both
 * saw the same state of the machine (host load included, under emulation):
 * the ratio is the median of the per-run ratios, with their min and max.
 */
static void bench_paired_ratio(struct bench_line *l, const struct bench_result *r,
			       const struct bench_result *lab)
{
	u64 q[BENCH_MAX_RUNS];
	struct bench_spread s;
	unsigned int i;

	for (i = 0; i < r->nruns; i++)
		q[i] = lab->runv[i] ? div64_u64(r->runv[i] * 1000, lab->runv[i]) : 0;
	bench_spread_of(q, r->nruns, &s);
	bl_fix(l, "ratio", s.med);
	bl_fix(l, "ratio_min", s.min);
	bl_fix(l, "ratio_max", s.max);
}

static void bench_emit(const struct bench_scn *scn, enum bench_alloc a)
{
	const struct bench_result *r = &bench_res[a], *lab = &bench_res[BA_LAB];
	bool lab_ok = lab->status == BS_OK;
	struct bench_line *l = &bench_line;

	l->len = 0;
	bl_add(l, "{\"scenario\":\"%c\",\"allocator\":\"%s\"", scn->id, bench_alloc_name[a]);
	if (r->status != BS_OK) {
		bl_add(l, ",\"status\":\"%s\",\"note\":\"%s\"}",
		       r->status == BS_NA ? "n/a" : "fail", r->note ?: "");
		if (r->status == BS_FAIL)
			bench.failed++;
		goto out;
	}
	bl_add(l, ",\"status\":\"ok\",\"unit\":\"%s\"", scn->unit);
	bl_fix(l, "median", r->v.med);
	bl_fix(l, "min", r->v.min);
	bl_fix(l, "max", r->v.max);
	if (lab_ok && r->nruns && r->nruns == lab->nruns)
		bench_paired_ratio(l, r, lab);
	else
		bl_ratio(l, "ratio", r->v.med, lab_ok ? lab->v.med : 0);

	switch (scn->id) {
	case 'c':
		bl_fix(l, "alone", r->alone.med);
		bl_fix(l, "alone_min", r->alone.min);
		bl_fix(l, "alone_max", r->alone.max);
		bl_ratio(l, "all_over_one", r->v.med, r->alone.med);
		bl_fix(l, "cycles", r->cyc.med);
		bl_add(l, ",\"runs\":%u,\"pages_per_run\":%u", runs, iters);
		break;
	case 'd':
		bl_fix(l, "alloc_side", r->side[0].med);
		bl_fix(l, "free_side", r->side[1].med);
		bl_fix(l, "wall", r->wall.med);
		bl_fix(l, "wall_min", r->wall.min);
		bl_fix(l, "wall_max", r->wall.max);
		bl_fix(l, "cycles", r->cyc.med);
		bl_add(l, ",\"runs\":%u,\"pages_per_run\":%u", runs, cross_iters);
		break;
	case 'a':
	case 'b':
	case 'e':
		bl_fix(l, "cycles", r->cyc.med);
		bl_add(l, ",\"runs\":%u,\"pages_per_run\":%u", runs, iters);
		break;
	case 'f':
		bl_fix(l, "p99", r->p99);
		bl_fix(l, "p999", r->p999);
		bl_ratio(l, "ratio_p99", r->p99, lab_ok ? lab->p99 : 0);
		bl_fix(l, "free_p50", r->f50);
		bl_fix(l, "free_p99", r->f99);
		bl_add(l, ",\"cycles_p50\":%llu,\"cycles_p99\":%llu", r->c50, r->c99);
		bl_add(l, ",\"cycles_p999\":%llu,\"cycles_max\":%llu", r->c999, r->cmax);
		bl_add(l, ",\"samples\":%u", samples);
		if (a == BA_LAB_STEAL)
			bl_add(l, ",\"steals\":%llu", r->steals);
		break;
	case 'g':
		bl_add(l, ",\"ok\":%u,\"tried\":%u,\"reserve\":%u", r->ok, r->tried, r->reserve);
		break;
	case 'h':
		bl_fix(l, "touch", r->touch.med);
		bl_fix(l, "touch_max", r->touch.max);
		bl_fix(l, "grant_touch", r->grant_touch);
		bl_ratio(l, "ratio_grant_touch", r->grant_touch, lab_ok ? lab->grant_touch : 0);
		bl_add(l, ",\"bursts\":%u,\"idle_ms\":%u", bursts, idle_ms);
		break;
	}
	bl_add(l, ",\"fails\":%lu", r->fails);
	if (r->note)
		bl_add(l, ",\"note\":\"%s\"", r->note);
	bl_add(l, "}");
out:
	pr_notice("LABYRINTH-BENCH %s\n", l->buf);
}

/* ---- scenarios a, b: one CPU ---- */

/*
 * Runs go round robin over the allocators (after one warm-up round), so
 * that anything slowing the machine for a while slows them all alike, and
 * each round starts with a different allocator.
 */
static void bench_single(enum bench_kind k, unsigned long n, unsigned long pages,
			 unsigned long extras)
{
	struct bench_worker *w;
	enum bench_alloc a;
	unsigned int r, i;

	for (a = 0; a < BA_NR; a++)
		bench_worker_init(&bench_ws[a], a, bench.cpu0);
	for (r = 0; r <= runs; r++) {
		for (i = 0; i < BA_NR; i++) {
			a = bench_nth(r, i, BA_NR);
			if (!bench_member(a, extras))
				continue;
			w = &bench_ws[a];
			bench_timed(w, k, n);
			if (r)
				bench_record(w, r - 1, w->t1 - w->t0, w->c1 - w->c0, pages);
			cond_resched();
		}
	}
	for (a = 0; a < BA_NR; a++)
		if (bench_member(a, extras))
			bench_result_of(a, &bench_ws[a]);
}

static void bench_scn_a(const struct bench_scn *scn)
{
	bench_single(BK_PAIRS, iters, iters,
		     BIT(BA_FLOOR) | BIT(BA_LAB_SINGLE) | BIT(BA_LAB_NOWIPE));
}

static void bench_scn_b(const struct bench_scn *scn)
{
	unsigned long rounds = iters / BENCH_BATCH;

	bench_single(BK_BATCH, rounds, rounds * BENCH_BATCH, BIT(BA_LAB_BULK));
}

/* ---- scenario c: every CPU at once ---- */

static void bench_fn_pairs(struct bench_worker *w)
{
	bench_barrier(w->group);
	bench_timed(w, BK_PAIRS, iters);
}

/*
 * One run of pairs on the first @n of @cpus at once: the mean over the CPUs
 * of ns per pair, times 1000, into *@ps and cycles into *@mcyc.
 */
static int bench_pairs_on(struct bench_worker *acc, const unsigned int *cpus, unsigned int n,
			  u64 *ps, u64 *mcyc)
{
	struct bench_group *g = bench_group_new(n, acc->a, cpus, bench_fn_pairs);
	unsigned int i;
	int err;

	if (!g)
		return -ENOMEM;
	err = bench_group_run(g);
	*ps = 0;
	*mcyc = 0;
	for (i = 0; !err && i < n; i++) {
		*ps += div64_u64((g->w[i].t1 - g->w[i].t0) * 1000, iters);
		*mcyc += div64_u64((g->w[i].c1 - g->w[i].c0) * 1000, iters);
		acc->fails += g->w[i].fails;
		acc->errs += g->w[i].errs;
	}
	*ps = div_u64(*ps, n);
	*mcyc = div_u64(*mcyc, n);
	kfree(g);
	return err;
}

static void bench_scn_c(const struct bench_scn *scn)
{
	unsigned int *cpus, cpu, r, i, n = 0;
	u64 alone, ps, mcyc, dummy;
	struct bench_worker *w;
	enum bench_alloc a;

	cpus = kcalloc(nr_cpu_ids, sizeof(*cpus), GFP_KERNEL);
	if (!cpus) {
		for (a = 0; a < BA_NR_COMMON; a++)
			bench_fail(a, "out of memory");
		return;
	}
	cpus[n++] = bench.cpu0;
	for_each_online_cpu(cpu)
		if (cpu != bench.cpu0 && bench.pp[cpu])
			cpus[n++] = cpu;
	if (n < 2) {
		for (a = 0; a < BA_NR_COMMON; a++)
			bench_na(a, "needs two online CPUs");
		kfree(cpus);
		return;
	}

	for (a = 0; a < BA_NR_COMMON; a++)
		bench_worker_init(&bench_ws[a], a, bench.cpu0);
	for (r = 0; r <= runs; r++) {
		for (i = 0; i < BA_NR_COMMON; i++) {
			a = bench_nth(r, i, BA_NR_COMMON);
			w = &bench_ws[a];
			if (w->err)
				continue;
			w->err = bench_pairs_on(w, cpus, 1, &alone, &dummy) ?:
				 bench_pairs_on(w, cpus, n, &ps, &mcyc);
			if (r) {
				w->alone[r - 1] = alone;
				w->ps[r - 1] = ps;
				w->mcyc[r - 1] = mcyc;
			}
			cond_resched();
		}
	}
	for (a = 0; a < BA_NR_COMMON; a++) {
		w = &bench_ws[a];
		if (w->err) {
			bench_fail(a, "could not start the per-CPU kthreads");
			continue;
		}
		bench_result_of(a, w);
		bench_spread_of(w->alone, runs, &bench_res[a].alone);
		if (a == BA_PAGE_POOL && bench_res[a].status == BS_OK)
			bench_res[a].note = "one page_pool per CPU";
	}
	kfree(cpus);
}

/* ---- scenario d: allocated on one CPU, freed on another ---- */

static void bench_produce(struct bench_worker *w, unsigned long batches)
{
	struct bench_handoff *h;
	unsigned long k;
	u64 c0;

	w->busy = 0;
	bench_enter(w, true);
	bench_clock_start(w);
	for (k = 0; k < batches; k++) {
		h = &w->group->ho[k & 1];
		/* pairs with the consumer's release: it is done with h->obj[] */
		while (smp_load_acquire(&h->full))
			cpu_relax();
		w->buf = h->obj;
		c0 = get_cycles();
		bench_loops[w->a](w, BK_FILL, BENCH_BATCH);
		w->busy += get_cycles() - c0;
		/* the addresses are written before the consumer sees the batch */
		smp_store_release(&h->full, 1);
	}
	bench_clock_stop(w);
	bench_leave(w, true);
}

/* Frees run outside BH-disabled context: page_pool recycles via its ring. */
static void bench_consume(struct bench_worker *w, unsigned long batches)
{
	struct bench_handoff *h;
	unsigned long k;
	u64 c0;

	w->busy = 0;
	bench_enter(w, false);
	bench_clock_start(w);
	for (k = 0; k < batches; k++) {
		h = &w->group->ho[k & 1];
		/* pairs with the producer's release: the addresses are there */
		while (!smp_load_acquire(&h->full))
			cpu_relax();
		w->buf = h->obj;
		c0 = get_cycles();
		bench_loops[w->a](w, BK_DRAIN, BENCH_BATCH);
		w->busy += get_cycles() - c0;
		/* the frees are done before the producer refills the batch */
		smp_store_release(&h->full, 0);
	}
	bench_clock_stop(w);
	bench_leave(w, false);
}

/* Thousandths of a ns for @cycles of get_cycles(), by the calibration. */
static u64 bench_cycles_to_mns(u64 cycles)
{
	if (!bench.cal_cycles)
		return 0;
	return mul_u64_u64_div_u64(cycles * 1000, bench.cal_ns, bench.cal_cycles);
}

static void bench_fn_cross(struct bench_worker *w)
{
	struct bench_group *g = w->group;

	/* a page goes back to the page_pool it came from: the allocating CPU's */
	w->pp = g->w[0].pp;
	w->direct = 0;
	bench_barrier(g);
	if (w->role == 0)
		bench_produce(w, cross_iters / BENCH_BATCH);
	else
		bench_consume(w, cross_iters / BENCH_BATCH);
}

/* One run of scenario d for @w's allocator, recorded as run @r - 1. */
static int bench_cross_run(struct bench_worker *w, unsigned int r)
{
	unsigned int cpus[2] = { bench.cpu0, bench.cpu1 };
	u64 pages = cross_iters / BENCH_BATCH * BENCH_BATCH, busy;
	struct bench_worker *p, *c;
	struct bench_group *g;
	int err;

	g = bench_group_new(2, w->a, cpus, bench_fn_cross);
	if (!g)
		return -ENOMEM;
	err = bench_group_run(g);
	p = &g->w[0];
	c = &g->w[1];
	if (!err) {
		w->fails += p->fails + c->fails;
		w->errs += p->errs + c->errs;
	}
	if (!err && r) {
		busy = p->busy + c->busy;
		w->ps[r - 1] = div64_u64(bench_cycles_to_mns(busy), pages);
		w->mcyc[r - 1] = div64_u64(busy * 1000, pages);
		w->side[0][r - 1] = div64_u64(bench_cycles_to_mns(p->busy), pages);
		w->side[1][r - 1] = div64_u64(bench_cycles_to_mns(c->busy), pages);
		w->wall[r - 1] = div64_u64((max(p->t1, c->t1) - min(p->t0, c->t0)) * 1000, pages);
	}
	kfree(g);
	return err;
}

static void bench_scn_d(const struct bench_scn *scn)
{
	struct bench_worker *w;
	enum bench_alloc a;
	unsigned int r, i;

	if (bench.cpu1 >= nr_cpu_ids) {
		for (a = 0; a < BA_NR; a++)
			if (bench_member(a, BIT(BA_LAB_BULK)))
				bench_na(a, "needs two online CPUs");
		return;
	}
	for (a = 0; a < BA_NR; a++)
		bench_worker_init(&bench_ws[a], a, bench.cpu0);
	for (r = 0; r <= runs; r++) {
		for (i = 0; i < BA_NR; i++) {
			a = bench_nth(r, i, BA_NR);
			w = &bench_ws[a];
			if (bench_member(a, BIT(BA_LAB_BULK)) && !w->err)
				w->err = bench_cross_run(w, r);
			cond_resched();
		}
	}
	for (a = 0; a < BA_NR; a++) {
		if (!bench_member(a, BIT(BA_LAB_BULK)))
			continue;
		w = &bench_ws[a];
		if (w->err) {
			bench_fail(a, "could not start the consumer kthread");
			continue;
		}
		bench_result_of(a, w);
		bench_spread_of(w->side[0], runs, &bench_res[a].side[0]);
		bench_spread_of(w->side[1], runs, &bench_res[a].side[1]);
		bench_spread_of(w->wall, runs, &bench_res[a].wall);
		if (a == BA_PAGE_POOL && bench_res[a].status == BS_OK)
			bench_res[a].note = "freed with allow_direct=false: via its ptr_ring";
	}
}

/* ---- scenario e: hardirq ---- */

static struct {
	struct bench_worker *w;
	unsigned long n;
} bench_irq;

static void bench_irq_fn(struct irq_work *work)
{
	struct bench_worker *w = bench_irq.w;

	if (!in_hardirq())
		w->err = 1;
	bench_clock_start(w);
	bench_loops[w->a](w, BK_PAIRS, bench_irq.n);
	bench_clock_stop(w);
}

/* HARD: runs from the irq_work interrupt (a self-IPI on x86), even on RT. */
static struct irq_work bench_irq_work = IRQ_WORK_INIT_HARD(bench_irq_fn);

static void bench_in_hardirq(struct bench_worker *w, unsigned long n)
{
	bench_irq.w = w;
	bench_irq.n = n;
	if (!irq_work_queue(&bench_irq_work)) {
		w->err = -EBUSY;
		return;
	}
	irq_work_sync(&bench_irq_work);
}

static void bench_scn_e(const struct bench_scn *scn)
{
	struct bench_worker *w;
	enum bench_alloc a;
	unsigned int r, i;

	for (a = 0; a < BA_NR_COMMON; a++)
		bench_worker_init(&bench_ws[a], a, bench.cpu0);
	for (r = 0; r <= runs; r++) {
		for (i = 0; i < BA_NR_COMMON; i++) {
			a = bench_nth(r, i, BA_NR_COMMON);
			w = &bench_ws[a];
			if (a == BA_PAGE_POOL || w->err)
				continue;
			bench_in_hardirq(w, iters);
			if (r)
				bench_record(w, r - 1, w->t1 - w->t0, w->c1 - w->c0, iters);
			cond_resched();
		}
	}
	for (a = 0; a < BA_NR_COMMON; a++) {
		w = &bench_ws[a];
		if (a == BA_PAGE_POOL)
			bench_na(a, "not allowed in this context: softirq/BH-disabled only");
		else if (w->err == 1)
			bench_fail(a, "irq_work callback did not run in hardirq context");
		else if (w->err)
			bench_fail(a, "irq_work already pending");
		else
			bench_result_of(a, w);
	}
}

/* ---- scenario f: latency of single allocations ---- */

static int bench_cmp_u32(const void *x, const void *y)
{
	u32 a = *(const u32 *)x, b = *(const u32 *)y;

	return a < b ? -1 : a > b;
}

static u32 bench_pct(const u32 *sorted, unsigned int n, unsigned int per_mille)
{
	return sorted[(u64)(n - 1) * per_mille / 1000];
}

/* @n single allocations, each timed, and their frees, timed too. */
static void bench_latency(struct bench_worker *w, u32 *lat, u32 *latf, unsigned int n)
{
	w->lat = lat;
	w->latf = latf;
	bench_enter(w, true);
	bench_loops[w->a](w, BK_LATENCY, n);
	bench_leave(w, true);
}

/*
 * Own every frame of the steal pool's home region on this CPU, so that
 * each later grant here searches the full home region and then takes a
 * frame from another CPU's region.  Returns the frames held, or NULL.
 */
static void **bench_steal_prepare(void)
{
	struct labyrinth_stats st;
	void **held;
	unsigned int i;

	held = kcalloc(bench.steal_per_cpu, sizeof(*held), GFP_KERNEL);
	if (!held)
		return NULL;
	for (i = 0; i < bench.steal_per_cpu; i++)
		held[i] = labyrinth_pool_alloc(bench.steal);
	labyrinth_pool_read_stats(bench.steal, &st);
	if (st.steals || st.owned != bench.steal_per_cpu) {
		labyrinth_pool_free_bulk(bench.steal, held, bench.steal_per_cpu);
		kfree(held);
		return NULL;
	}
	return held;
}

static void bench_latency_result(enum bench_alloc a, u32 *lat, u32 *latf)
{
	struct bench_result *r = &bench_res[a];
	struct bench_worker *w = &bench_ws[a];

	sort(latf, samples, sizeof(*latf), bench_cmp_u32, NULL);
	r->f50 = bench_cycles_to_mns(bench_pct(latf, samples, 500));
	r->f99 = bench_cycles_to_mns(bench_pct(latf, samples, 990));
	sort(lat, samples, sizeof(*lat), bench_cmp_u32, NULL);
	r->c50 = bench_pct(lat, samples, 500);
	r->c99 = bench_pct(lat, samples, 990);
	r->c999 = bench_pct(lat, samples, 999);
	r->cmax = lat[samples - 1];
	r->v.med = bench_cycles_to_mns(r->c50);
	r->v.min = bench_cycles_to_mns(lat[0]);
	r->v.max = bench_cycles_to_mns(r->cmax);
	r->p99 = bench_cycles_to_mns(r->c99);
	r->p999 = bench_cycles_to_mns(r->c999);
	r->pmax = r->v.max;
	r->fails = w->fails;
	r->errs = w->errs;
	r->status = r->errs ? BS_FAIL : BS_OK;
	if (r->errs)
		r->note = "frees refused by the allocator";
}

/*
 * Samples are taken in chunks, round robin over the allocators, so that
 * each allocator's distribution spans the whole scenario.
 */
static void bench_scn_f(const struct bench_scn *scn)
{
	unsigned int warm = min(samples, BENCH_LAT_CHUNK), done, chunk, i, k;
	u32 *lat[BA_NR] = { }, *latf[BA_NR] = { }, timer;
	struct labyrinth_stats st0, st1;
	struct bench_result *r;
	void **held = NULL;
	enum bench_alloc a;
	bool ok = bench.cal_cycles;
	u64 c0;

	for (a = 0; a <= BA_LAB_STEAL; a++) {
		lat[a] = vmalloc_array(samples, sizeof(u32));
		latf[a] = vmalloc_array(samples, sizeof(u32));
		ok = ok && lat[a] && latf[a];
	}
	if (ok) {
		held = bench_steal_prepare();
		ok = held;
	}
	if (!ok) {
		for (a = 0; a <= BA_LAB_STEAL; a++)
			bench_fail(a, !bench.cal_cycles ? "get_cycles() does not count" :
				   "out of memory, or the steal pool's home region did not fill");
		goto out;
	}

	/* what two back-to-back get_cycles() read, included in every sample */
	preempt_disable();
	for (i = 0; i < warm; i++) {
		c0 = get_cycles();
		barrier();
		lat[0][i] = get_cycles() - c0;
	}
	preempt_enable();
	sort(lat[0], warm, sizeof(u32), bench_cmp_u32, NULL);
	timer = bench_pct(lat[0], warm, 500);
	pr_notice("LABYRINTH-BENCH-PROGRESS scenario f: get_cycles() pair costs %u cycles (p50), included in every sample\n",
		  timer);

	labyrinth_pool_read_stats(bench.steal, &st0);
	for (a = 0; a <= BA_LAB_STEAL; a++) {
		bench_worker_init(&bench_ws[a], a, bench.cpu0);
		bench_latency(&bench_ws[a], lat[a], latf[a], warm);	/* warm-up */
	}
	for (done = 0, k = 0; done < samples; done += chunk, k++) {
		chunk = min(samples - done, BENCH_LAT_CHUNK);
		for (i = 0; i <= BA_LAB_STEAL; i++) {
			a = bench_nth(k, i, BA_LAB_STEAL + 1);
			bench_latency(&bench_ws[a], lat[a] + done, latf[a] + done, chunk);
			cond_resched();
		}
	}
	labyrinth_pool_read_stats(bench.steal, &st1);

	for (a = 0; a <= BA_LAB_STEAL; a++)
		bench_latency_result(a, lat[a], latf[a]);
	r = &bench_res[BA_LAB_STEAL];
	r->steals = st1.steals - st0.steals;
	if (r->status == BS_OK && r->steals != samples + warm) {
		r->status = BS_FAIL;
		r->note = "not every grant took the steal path";
	} else if (r->status == BS_OK) {
		r->note = "home region full: every grant stole a remote frame";
	}
out:
	if (held) {
		labyrinth_pool_free_bulk(bench.steal, held, bench.steal_per_cpu);
		kfree(held);
	}
	for (a = 0; a <= BA_LAB_STEAL; a++) {
		vfree(lat[a]);
		vfree(latf[a]);
	}
}

/* ---- scenario g: memory pressure ---- */

/* Take pages with @gfp until the page allocator says no; keep them on @hog. */
static unsigned long bench_hog(struct list_head *hog, gfp_t gfp)
{
	unsigned long n = 0, cap = totalram_pages();
	struct page *page;

	while (n < cap) {
		page = alloc_page(gfp);
		if (!page)
			break;
		list_add(&page->lru, hog);
		if (!(++n % 1024))
			cond_resched();
	}
	return n;
}

static void bench_hog_release(struct list_head *hog)
{
	struct page *page, *next;
	unsigned long n = 0;

	list_for_each_entry_safe(page, next, hog, lru) {
		list_del(&page->lru);
		__free_page(page);
		if (!(++n % 1024))
			cond_resched();
	}
}

/* Put @tries pages into page_pool's cache and ring before the hog starts. */
static void bench_page_pool_prefill(struct bench_worker *w, void **got)
{
	bench_worker_init(w, BA_PAGE_POOL, bench.cpu0);
	w->buf = got;
	bench_enter(w, true);
	bench_loops[BA_PAGE_POOL](w, BK_FILL, tries);
	bench_loops[BA_PAGE_POOL](w, BK_DRAIN, tries);
	bench_leave(w, true);
}

static unsigned int bench_reserve_of(enum bench_alloc a)
{
	struct labyrinth_stats st;

	switch (a) {
	case BA_LAB:
		labyrinth_pool_read_stats(labyrinth_default_pool(), &st);
		return st.nr_frames;
	case BA_ALLOC_PAGE:
		return 0;
	case BA_PAGE_POOL:
		return tries;
	default:
		return pool_pages;
	}
}

static void bench_scn_g(const struct bench_scn *scn)
{
	struct bench_worker *w = &bench_ws[0];
	unsigned long hogged, free_before, free_after;
	struct bench_result *r;
	enum bench_alloc a;
	LIST_HEAD(hog);
	unsigned int i;
	void **got;
	u64 t0;

	got = kcalloc(tries, sizeof(*got), GFP_KERNEL);
	if (!got) {
		for (a = 0; a < BA_NR_COMMON; a++)
			bench_fail(a, "out of memory");
		return;
	}
	bench_page_pool_prefill(w, got);

	/*
	 * Everything the page allocator gives: with reclaim (no OOM killer,
	 * no retries), then without, then down into the atomic reserves.
	 * Nothing else allocates in the guest meanwhile: its only processes
	 * wait for this module's init.
	 */
	free_before = global_zone_page_state(NR_FREE_PAGES);
	t0 = ktime_get_ns();
	hogged = bench_hog(&hog, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	hogged += bench_hog(&hog, GFP_NOWAIT | __GFP_NOWARN);
	hogged += bench_hog(&hog, GFP_ATOMIC | __GFP_NOWARN);
	free_after = global_zone_page_state(NR_FREE_PAGES);
	pr_notice("LABYRINTH-BENCH-PROGRESS scenario g: hog holds %lu pages (%lu MiB) after %llu ms; free pages %lu -> %lu\n",
		  hogged, hogged >> (20 - PAGE_SHIFT), div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC),
		  free_before, free_after);

	for (a = 0; a < BA_NR_COMMON; a++) {
		r = &bench_res[a];
		/* whatever the previous allocator gave back goes to the hog too */
		hogged += bench_hog(&hog, GFP_ATOMIC | __GFP_NOWARN);
		bench_worker_init(w, a, bench.cpu0);
		w->buf = got;
		bench_enter(w, true);
		if (a == BA_ALLOC_PAGE) {
			/* the same allocation, without the expected failure's splat */
			for (i = 0; i < tries; i++)
				got[i] = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
		} else {
			bench_loops[a](w, BK_FILL, tries);
		}
		bench_leave(w, true);
		r->ok = 0;
		for (i = 0; i < tries; i++)
			r->ok += !!got[i];
		bench_enter(w, true);
		bench_loops[a](w, BK_DRAIN, tries);
		bench_leave(w, true);
		r->tried = tries;
		r->reserve = bench_reserve_of(a);
		r->v.med = div_u64((u64)r->ok * 100000, tries);
		r->v.min = r->v.med;
		r->v.max = r->v.med;
		r->errs = w->errs;
		r->status = r->errs ? BS_FAIL : BS_OK;
		if (r->errs)
			r->note = "frees refused by the allocator";
		else if (a == BA_PAGE_POOL)
			r->note = "cache and ring filled before the hog";
		else if (a == BA_MEMPOOL)
			r->note = "page allocator first, then its reserve";
	}

	bench_hog_release(&hog);
	pr_notice("LABYRINTH-BENCH-PROGRESS scenario g: hog released %lu pages; free pages %lu\n",
		  hogged, global_zone_page_state(NR_FREE_PAGES));
	kfree(got);
}

/* ---- driver ---- */

/* ---- scenario h: bursts after an idle spell ---- */

/* Allocators of h: the ones that clear, or could, on the kernel's behalf. */
static const enum bench_alloc bench_h_allocs[] = {
	BA_LAB, BA_LAB_POOL, BA_LAB_NOWIPE, BA_LAB_SINGLE, BA_ALLOC_PAGE, BA_PAGE_POOL,
};

/* Per burst, ns per page times 1000: the grants, and the first writes. */
static u64 bench_h_grant[BA_NR][BENCH_MAX_BURSTS];
static u64 bench_h_touch[BA_NR][BENCH_MAX_BURSTS];
static void *bench_h_buf[BENCH_BATCH];

/* The page an allocator handed out, as an address to write. */
static void *bench_page_addr(enum bench_alloc a, void *obj)
{
	return a == BA_ALLOC_PAGE || a == BA_PAGE_POOL ? page_address(obj) : obj;
}

static int bench_cmp_u64(const void *x, const void *y)
{
	u64 a = *(const u64 *)x, b = *(const u64 *)y;

	return a < b ? -1 : a > b;
}

/* Median, min and max of @n values; sorts @v in place. */
static void bench_spread_sorted(u64 *v, unsigned int n, struct bench_spread *s)
{
	sort(v, n, sizeof(*v), bench_cmp_u64, NULL);
	s->min = v[0];
	s->max = v[n - 1];
	s->med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * One burst: idle for idle_ms, then BENCH_BATCH grants timed together,
 * then each page written whole (what its owner does first: under TCG the
 * cache is not modelled, so this measures the write, not where the line
 * was), then the frees, untimed.  Recorded as burst @b - 1; 0 warms up.
 */
static void bench_burst(struct bench_worker *w, unsigned int b)
{
	unsigned int i;
	u64 t;

	msleep(idle_ms);
	w->buf = bench_h_buf;
	bench_timed(w, BK_FILL, BENCH_BATCH);
	t = ktime_get_ns();
	for (i = 0; i < BENCH_BATCH; i++)
		if (w->buf[i])
			memset(bench_page_addr(w->a, w->buf[i]), 0x5a, PAGE_SIZE);
	t = ktime_get_ns() - t;
	if (b) {
		bench_h_grant[w->a][b - 1] = div_u64((w->t1 - w->t0) * 1000, BENCH_BATCH);
		bench_h_touch[w->a][b - 1] = div_u64(t * 1000, BENCH_BATCH);
	}
	bench_timed(w, BK_DRAIN, BENCH_BATCH);
}

static void bench_scn_h(const struct bench_scn *scn)
{
	const unsigned int nr = ARRAY_SIZE(bench_h_allocs);
	static u64 sum[BENCH_MAX_BURSTS];
	struct bench_result *r;
	unsigned int b, i;
	enum bench_alloc a;

	for (i = 0; i < nr; i++)
		bench_worker_init(&bench_ws[bench_h_allocs[i]], bench_h_allocs[i], bench.cpu0);
	for (b = 0; b <= bursts; b++) {
		for (i = 0; i < nr; i++)
			bench_burst(&bench_ws[bench_h_allocs[(b + i) % nr]], b);
		cond_resched();
	}
	for (i = 0; i < nr; i++) {
		a = bench_h_allocs[i];
		r = &bench_res[a];
		for (b = 0; b < bursts; b++)
			sum[b] = bench_h_grant[a][b] + bench_h_touch[a][b];
		bench_spread_sorted(bench_h_grant[a], bursts, &r->v);
		bench_spread_sorted(bench_h_touch[a], bursts, &r->touch);
		bench_spread_sorted(sum, bursts, &r->cyc);
		r->grant_touch = r->cyc.med;
		r->fails = bench_ws[a].fails;
		r->errs = bench_ws[a].errs;
		r->status = r->errs ? BS_FAIL : BS_OK;
		r->note = r->errs ? "frees refused by the allocator" : NULL;
	}
}

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

static void bench_info(void)
{
	struct labyrinth_stats st;
	struct bench_line *l = &bench_line;

	labyrinth_pool_read_stats(labyrinth_default_pool(), &st);
	l->len = 0;
	bl_add(l, "{\"kernel\":\"%s\",\"cpus_online\":%u,\"nr_cpu_ids\":%u",
	       utsname()->release, num_online_cpus(), nr_cpu_ids);
	bl_add(l, ",\"ram_pages\":%lu,\"hz\":%d", totalram_pages(), HZ);
	bl_add(l, ",\"init_on_alloc\":%d,\"init_on_free\":%d",
	       want_init_on_alloc(GFP_ATOMIC), want_init_on_free());
	bl_add(l, ",\"iters\":%u,\"cross_iters\":%u,\"runs\":%u,\"samples\":%u",
	       iters, cross_iters, runs, samples);
	bl_add(l, ",\"pool_pages\":%u,\"tries\":%u", pool_pages, tries);
	bl_add(l, ",\"scenarios\":\"%s\",\"labyrinth_default_pages\":%llu",
	       scenarios, st.nr_frames);
	bl_fix(l, "cycles_per_ns",
	       bench.cal_ns ? div64_u64(bench.cal_cycles * 1000, bench.cal_ns) : 0);
	bl_add(l, "}");
	pr_notice("LABYRINTH-BENCH-INFO %s\n", l->buf);
}

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
	if (!tries || tries > pool_pages || tries > BENCH_MAX_TRIES) {
		pr_err("tries=%u rejected: must be 1 to pool_pages and at most %u\n",
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
