/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of labyrinth_bench.ko share: the allocators and the kinds
 * of loop, a worker and its group, the pools under test, the results, the
 * module parameters, and the prototypes that tie bench_main.c, the timed
 * loops (bench_loops.c), the workers (bench_group.c), the output
 * (bench_emit.c) and the scenarios (bench_scn_*.c) together.  The stretch
 * helpers are static inline here so that every scenario's timed stretch is
 * built around its loop call as before, with no call of their own inside.
 */
#ifndef LABYRINTH_BENCH_H
#define LABYRINTH_BENCH_H

#include <linux/atomic.h>
#include <linux/bottom_half.h>
#include <linux/cache.h>
#include <linux/completion.h>
#include <linux/ktime.h>
#include <linux/mempool.h>
#include <linux/objpool.h>
#include <linux/preempt.h>
#include <linux/timex.h>
#include <linux/types.h>

struct labyrinth_pool;
struct page_pool;
struct task_struct;

/* Scenario b's burst and scenario d's hand-over batch: one NAPI budget. */
#define BENCH_BATCH		64
#define BENCH_MAX_RUNS		31
#define BENCH_MAX_BURSTS	200

extern unsigned int iters;
extern unsigned int cross_iters;
extern unsigned int runs;
extern unsigned int samples;
extern unsigned int pool_pages;
extern unsigned int tries;
extern char *scenarios;
extern unsigned int bursts;
extern unsigned int idle_ms;

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

enum bench_kind {
	BK_PAIRS,	/* n alloc+free pairs */
	BK_BATCH,	/* n rounds of BENCH_BATCH allocations, then their frees */
	BK_FILL,	/* n allocations into buf[] */
	BK_DRAIN,	/* frees of buf[0..n-1] */
	BK_LATENCY,	/* n allocations timed one by one into lat[], each free into latf[] */
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
 * @remote: scenario d, rise of the pool's remote_frees over the timed runs
 * @remote_exp: scenario d, pages freed on the other CPU in those runs
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
	u64 remote, remote_exp;
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

extern struct bench_env bench;

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
 * @remote_frees: scenario d, labyrinth allocators, rise of the pool's
 *                remote_frees counter over the timed runs
 * @remote_expected: scenario d, pages freed on the other CPU in those runs
 * @timer_c50: scenario f, p50 of an empty get_cycles() pair, cycles,
 *             subtracted from every percentile
 * @timer_c99: scenario f, p99 of the same
 * @hog: scenario g, pages the hog held when this allocator's tries began
 * @exhausted: scenario g, alloc_page(GFP_ATOMIC) failed just before them
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
	u64 remote_frees, remote_expected;
	u64 timer_c50, timer_c99;
	unsigned long hog;
	bool exhausted;
};

extern struct bench_result bench_res[BA_NR];

/* The main thread's worker of each allocator, reset by every scenario. */
extern struct bench_worker *bench_ws;

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

/* ---- the edges of a timed stretch, inlined into every stretch ---- */

/*
 * Every stretch runs with preemption disabled so it stays on its CPU;
 * page_pool's additionally run with BH disabled, the context its allocation
 * and direct recycling require (NAPI polls run that way).
 */
static inline void bench_enter(const struct bench_worker *w, bool bh)
{
	preempt_disable();
	if (bh && w->a == BA_PAGE_POOL)
		local_bh_disable();
}

static inline void bench_leave(const struct bench_worker *w, bool bh)
{
	if (bh && w->a == BA_PAGE_POOL)
		local_bh_enable();
	preempt_enable();
}

static inline void bench_clock_start(struct bench_worker *w)
{
	w->t0 = ktime_get_ns();
	w->c0 = get_cycles();
}

static inline void bench_clock_stop(struct bench_worker *w)
{
	w->c1 = get_cycles();
	w->t1 = ktime_get_ns();
}

/* bench_loops.c: the timed loops, one per allocator, and their timing */
extern void (* const bench_loops[BA_NR])(struct bench_worker *w, enum bench_kind k,
					 unsigned long n);
void bench_floor_init(void);
void bench_timed(struct bench_worker *w, enum bench_kind k, unsigned long n);
void bench_record(struct bench_worker *w, unsigned int run, u64 ns, u64 cycles, u64 pages);
void bench_spread_of(const u64 *v, unsigned int n, struct bench_spread *s);
u64 bench_cycles_to_mns(u64 cycles);

/* bench_group.c: workers, and groups of them on several CPUs */
void bench_worker_init(struct bench_worker *w, enum bench_alloc a, unsigned int cpu);
enum bench_alloc bench_nth(unsigned int r, unsigned int i, unsigned int nr);
bool bench_member(enum bench_alloc a, unsigned long extras);
void bench_barrier(struct bench_group *g);
struct bench_group *bench_group_new(unsigned int n, enum bench_alloc a, const unsigned int *cpus,
				    void (*fn)(struct bench_worker *w));
int bench_group_run(struct bench_group *g);

/* bench_emit.c: results and the lines that print them */
void bench_result_of(enum bench_alloc a, const struct bench_worker *w);
void bench_na(enum bench_alloc a, const char *why);
void bench_fail(enum bench_alloc a, const char *why);
void bench_emit(const struct bench_scn *scn, enum bench_alloc a);
void bench_info(void);

/* bench_scn_*.c: one run function per scenario, for bench_scns[] */
void bench_scn_a(const struct bench_scn *scn);
void bench_scn_b(const struct bench_scn *scn);
void bench_scn_c(const struct bench_scn *scn);
void bench_scn_d(const struct bench_scn *scn);
void bench_scn_e(const struct bench_scn *scn);
void bench_scn_f(const struct bench_scn *scn);
void bench_scn_g(const struct bench_scn *scn);
void bench_scn_h(const struct bench_scn *scn);

#endif /* LABYRINTH_BENCH_H */
