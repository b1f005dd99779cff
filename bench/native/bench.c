// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth's pool built in user space (bench/native/shim stands in for the
 * kernel headers), next to the magazine prototype of magazine.c: a
 * benchmark of both shapes and a concurrency check of either.
 *
 *   bench-native [--threads T] [--pairs N] [--reps R] [--frames F] [--json PATH]
 *		  [--fresh]
 *	Times each shape on a pool of its own of F frames: labyrinth's, where
 *	the bitmap is the free set (shape "a"); per-CPU magazines over a
 *	lock-free depot (magazine.c, shape "b"); and the magazines without
 *	stealing ("b-local", a lower bound that strands frames).  With one
 *	thread and with T threads (one per core, each its own CPU id): N
 *	alloc+free pairs; 64-page bulk grant and free; a FIFO of 256 held
 *	frames; a drain, N/F times grant until NULL then free everything (the
 *	depot and stealing at work); and with T threads a cross-CPU free:
 *	thread 2k grants and hands each frame over a lock-free SPSC ring to
 *	thread 2k+1, which frees it.  Floors: a per-thread array pop and push
 *	plus one atomic bit set and clear, the same loop shape ("floor", the
 *	denominator of every ratio); and the ring hand-over with the bit set
 *	by one thread and cleared by the other ("floor-xfer").  ns per pair is
 *	the mean over threads of each thread's own time (for the drain, over
 *	the frames it granted); the table and JSON give the median, min and
 *	max of R repetitions, interleaved after one warm-up round.  Each shape
 *	keeps its pool through every round, so frames mix between CPUs and
 *	magazines as in a long-running system; --fresh gives every round a new
 *	pool instead, the state each shape starts in.
 *
 *   bench-native --check [--seconds S] [--threads T] [--online K] [--held H]
 *		       [--frames F] [--poison|--no-poison] [--shape S] [--nmi]
 *	Phase A, single-threaded: every create error, a create that runs out
 *	of pages, drain to NULL, each kind of refused free and its counter,
 *	bulk grant and free of everything, poisoning (write after free counted,
 *	refused free writes nothing) and growth to the cap, all exact.
 *	Phase B: S one-second rounds, each on a fresh pool that starts at F/2
 *	frames and may grow to F (every other round poisoned), where T threads,
 *	one per CPU id, grant, hold up to H frames, free, hand frames to each
 *	other to free, and use the bulk calls, against an owner table updated
 *	by compare-and-swap and canaries in every held page.  Exits 1 on a
 *	double grant, a damaged canary or fill, a refused free, a warning,
 *	frames left owned, leaked pages, or counters that do not add up.  CPU
 *	ids K..T-1 are offline when pools are created.  F defaults to 3/4 of
 *	what the threads may hold, so pools run dry often; NULL and short bulk
 *	grants are counted (and must match the pool's failure counter) but are
 *	not errors: a frame freed behind a scanning grant is legitimately missed.
 *	--shape magazine (or magazine-local) checks magazine.c the same way:
 *	its own phase A (refusals, drain, bulk, stealing, diverted grants and
 *	frees, exact counters), then S rounds on fixed pools of F frames, each
 *	ending with CPU 0 granting every frame: none may be stranded.
 *	--nmi: the main thread sends SIGUSR1 to random workers every few tens
 *	of microseconds, and the handler, an NMI stand-in on the interrupted
 *	thread's CPU id, grants up to 4 frames, checks them like the rest and
 *	frees them.  The shim's this_cpu_inc() is a load and a store, not one
 *	instruction as on x86, so a handler's counter updates can be lost: with
 *	--nmi, the pool's grant and free counters may fall short by at most
 *	what the handlers did.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if __has_include("x86intrin.h")
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

#include <linux/cache.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <signal.h>
#include "labyrinth_internal.h"
#include "magazine.h"

#define MAX_THREADS	256
#define BULK		64
#define FIFO_DEPTH	256
#define FLOOR_DEPTH	64
#define MAX_REPS	101
#define CANARY_SPOTS	8	/* u64 words checked in a held page, 512 bytes apart */
#define XRING_SIZE	256	/* frames in flight from one thread to another */
#define XRING_BATCH	32	/* entries between index updates the other side sees */
#define XFLOOR_FRAMES	4096	/* fake frames of the hand-over floor */
#define NMI_MAX		4	/* frames an NMI stand-in grants at once */

enum job_kind {
	JOB_FLOOR, JOB_XFLOOR, JOB_PAIR, JOB_BULK, JOB_FIFO, JOB_CROSS, JOB_DRAIN,
	NR_TIMED, JOB_CHECK = NR_TIMED
};

enum shape { SHAPE_A, SHAPE_B, SHAPE_BL, NR_SHAPES };

/* a series is named <shape><suffix>; the floors by their suffix alone */
static const char *const job_suffix[] = {
	[JOB_FLOOR] = "floor",
	[JOB_XFLOOR] = "floor-xfer",
	[JOB_PAIR] = "",
	[JOB_BULK] = "-bulk64",
	[JOB_FIFO] = "-fifo256",
	[JOB_CROSS] = "-cross",
	[JOB_DRAIN] = "-drain",
};

static const char *const job_what[] = {
	[JOB_FLOOR] = "array pop+push, atomic bit set+clear",
	[JOB_XFLOOR] = "bit set, SPSC ring to the next thread, bit clear",
	[JOB_PAIR] = "alloc + free",
	[JOB_BULK] = "alloc_bulk + free_bulk of 64, per page",
	[JOB_FIFO] = "alloc one, free the oldest of 256 held",
	[JOB_CROSS] = "alloc, SPSC ring to the next thread, free there",
	[JOB_DRAIN] = "alloc until NULL, then free all, per frame",
};

static const char *const shape_name[] = {
	[SHAPE_A] = "labyrinth",
	[SHAPE_B] = "magazine",
	[SHAPE_BL] = "magazine-local",
};

static const char *const shape_tag[] = {
	[SHAPE_A] = "a",
	[SHAPE_B] = "b",
	[SHAPE_BL] = "b-local",
};

static struct {
	unsigned int threads;	/* workers = CPU ids */
	unsigned int online;	/* CPU ids online when a pool is created */
	unsigned long pairs;
	unsigned int reps;
	unsigned int frames;
	unsigned int held;
	unsigned int seconds;
	const char *json;
	bool check;
	bool verbose;
	bool nmi;		/* --check: SIGUSR1 as an NMI stand-in */
	bool fresh;		/* bench: a new pool for every round */
	enum shape shape;	/* --check: which pool */
	int poison;		/* --check rounds: 1 poisoned, 0 not, -1 alternate */
	unsigned long seed;
} opt = {
	.poison = -1,
	.pairs = 1000000,
	.reps = 7,
	.held = 96,
	.seconds = 10,
};

/* A benchmark thread's floor: the array and, on a line of its own, the word. */
struct floor_state {
	unsigned long word ____cacheline_aligned;
	unsigned int top ____cacheline_aligned;
	void *stack[FLOOR_DEPTH];
};

struct held {
	void *addr;
	u64 tag;
};

struct worker {
	pthread_t thread;
	unsigned int id;	/* CPU id */
	int core;		/* real core it is pinned to, -1 if not */
	double ns, tsc;		/* last timed job, per pair (per page for bulk) */
	unsigned long bad;	/* NULL grants or refused frees in a timed job */
	unsigned long drain_nulls;	/* NULL grants that ended a drain */
	unsigned long drain_min;	/* fewest frames one drain granted */
	void **drain;		/* room for every frame and one more */
	struct floor_state *floor;

	/* --check */
	u64 rng;
	unsigned int seq;
	unsigned int nheld;
	struct held *held;
	void **scratch;
	u64 grants, frees, nulls, short_bulk, handoffs, received, ops;
	bool in_round;		/* inside run_check(): the NMI stand-in may act */
	u64 nmi_rng;
	unsigned int nmi_seq;
	u64 nmi_calls, nmi_grants, nmi_frees, nmi_nulls, nmi_inside;
} ____cacheline_aligned;

static struct worker workers[MAX_THREADS];
static __thread struct worker *chk_self;	/* the worker this thread is */

static struct {
	pthread_barrier_t start, done;
	enum job_kind job;
	enum shape shape;
	unsigned int active;	/* workers 0..active-1 take part */
	unsigned long pairs;
	bool quit;
} ctl;

static struct labyrinth_pool *pool;		/* shape a */
static struct mag_pool *mpool[NR_SHAPES];	/* shapes b and b-local */

/*
 * A single-producer, single-consumer ring from thread 2k to thread 2k+1.
 * Each side publishes its index every XRING_BATCH entries, and whenever it
 * has to wait for the other, so that the hand-over costs a few cache-line
 * transfers per batch rather than per frame.  The hand-over floor's
 * exclusivity bits ride along.
 */
struct xring {
	unsigned long p_head ____cacheline_aligned;	/* the producer's own */
	unsigned long p_tail_seen;
	unsigned long c_tail ____cacheline_aligned;	/* the consumer's own */
	unsigned long c_head_seen;
	unsigned long head ____cacheline_aligned;	/* published by the producer */
	unsigned long tail ____cacheline_aligned;	/* published by the consumer */
	void *slot[XRING_SIZE] ____cacheline_aligned;
	unsigned long bits[XFLOOR_FRAMES / BITS_PER_LONG] ____cacheline_aligned;
};

static struct xring *xrings;

/* Stand-ins for labyrinth_debugfs.c, the part of labyrinth.ko not built here. */
void labyrinth_debugfs_add(struct labyrinth_pool *p)
{
}

void labyrinth_debugfs_remove(struct labyrinth_pool *p)
{
}

/* --check state */
static unsigned int *chk_owner;		/* per page slot: 0 free, else worker id + 1 */
static bool chk_poisoned;		/* the pool poisons freed frames */
static void **mbox;			/* [from * threads + to]: a frame handed over */
static int chk_stop;
static long chk_errors;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static u64 tsc(void)
{
#if HAVE_TSC
	return __rdtsc();
#else
	return 0;
#endif
}

static u64 rnd(struct worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545f4914f6cdd1dULL;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(2);
}

/* ---- the floor: same loop shape, nothing but an array and one atomic word */

static noinline void *floor_alloc(struct floor_state *f)
{
	unsigned long bit;
	void *p;

	if (unlikely(!f->top))
		return NULL;
	p = f->stack[--f->top];
	bit = BIT(((unsigned long)p >> PAGE_SHIFT) % BITS_PER_LONG);
	if (unlikely(__atomic_fetch_or(&f->word, bit, __ATOMIC_SEQ_CST) & bit))
		return NULL;
	return p;
}

static noinline int floor_free(struct floor_state *f, void *p)
{
	unsigned long bit = BIT(((unsigned long)p >> PAGE_SHIFT) % BITS_PER_LONG);

	if (unlikely(!(__atomic_fetch_and(&f->word, ~bit, __ATOMIC_SEQ_CST) & bit)))
		return -EALREADY;
	f->stack[f->top++] = p;
	return 0;
}

static unsigned long loop_floor(struct floor_state *f, unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		void *p = floor_alloc(f);

		if (unlikely(!p) || unlikely(floor_free(f, p)))
			bad++;
	}
	return bad;
}

/* ---- the shapes, called directly so that each loop is compiled for one */

static __always_inline void *sh_alloc(enum shape s)
{
	if (s == SHAPE_A)
		return labyrinth_pool_alloc(pool);
	return mag_pool_alloc(mpool[s]);
}

static __always_inline int sh_free(enum shape s, void *p)
{
	if (s == SHAPE_A)
		return labyrinth_pool_free(pool, p);
	return mag_pool_free(mpool[s], p);
}

static __always_inline unsigned int sh_alloc_bulk(enum shape s, void **addrs, unsigned int nr)
{
	if (s == SHAPE_A)
		return labyrinth_pool_alloc_bulk(pool, addrs, nr);
	return mag_pool_alloc_bulk(mpool[s], addrs, nr);
}

static __always_inline int sh_free_bulk(enum shape s, void **addrs, unsigned int nr)
{
	if (s == SHAPE_A)
		return labyrinth_pool_free_bulk(pool, addrs, nr);
	return mag_pool_free_bulk(mpool[s], addrs, nr);
}

static __always_inline unsigned long loop_pair(enum shape s, unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		void *p = sh_alloc(s);

		if (unlikely(!p) || unlikely(sh_free(s, p)))
			bad++;
	}
	return bad;
}

static __always_inline unsigned long loop_bulk(enum shape s, unsigned long batches)
{
	void *addrs[BULK];
	unsigned long i, bad = 0;

	for (i = 0; i < batches; i++) {
		unsigned int got = sh_alloc_bulk(s, addrs, BULK);

		if (unlikely(got != BULK))
			bad++;
		if (unlikely(sh_free_bulk(s, addrs, got)))
			bad++;
	}
	return bad;
}

static __always_inline unsigned long loop_fifo(enum shape s, void **ring, unsigned long n)
{
	unsigned long i, bad = 0;
	unsigned int h = 0;

	for (i = 0; i < n; i++) {
		void *p = sh_alloc(s);

		if (unlikely(!p) || unlikely(sh_free(s, ring[h]))) {
			bad++;
			if (!p)
				continue;
		}
		ring[h] = p;
		h = (h + 1) % FIFO_DEPTH;
	}
	return bad;
}

static __always_inline void xring_put(struct xring *r, void *p)
{
	unsigned long h = r->p_head;

	if (unlikely(h - r->p_tail_seen == XRING_SIZE)) {
		/* full: let the consumer see everything before waiting on it */
		__atomic_store_n(&r->head, h, __ATOMIC_RELEASE);
		/* pairs with the consumer's release: it is done with the slots */
		while ((r->p_tail_seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE)) ==
		       h - XRING_SIZE)
			cpu_relax();
	}
	r->slot[h % XRING_SIZE] = p;
	r->p_head = ++h;
	if (!(h % XRING_BATCH))
		__atomic_store_n(&r->head, h, __ATOMIC_RELEASE);
}

static __always_inline void *xring_get(struct xring *r)
{
	unsigned long t = r->c_tail;
	void *p;

	if (unlikely(t == r->c_head_seen)) {
		/* empty: give the producer its room back before waiting on it */
		__atomic_store_n(&r->tail, t, __ATOMIC_RELEASE);
		/* pairs with the producer's release: the slots are written */
		while ((r->c_head_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE)) == t)
			cpu_relax();
	}
	p = r->slot[t % XRING_SIZE];
	r->c_tail = ++t;
	if (!(t % XRING_BATCH))
		__atomic_store_n(&r->tail, t, __ATOMIC_RELEASE);
	return p;
}

/* End of a run: publish what the batching held back. */
static void xring_flush(struct xring *r, bool producer)
{
	if (producer)
		__atomic_store_n(&r->head, r->p_head, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&r->tail, r->c_tail, __ATOMIC_RELEASE);
}

/* Thread 2k grants and hands over; a NULL goes over too, so counts match. */
static __always_inline unsigned long loop_cross_give(enum shape s, struct xring *r,
						     unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		void *p = sh_alloc(s);

		if (unlikely(!p))
			bad++;
		xring_put(r, p);
	}
	return bad;
}

static __always_inline unsigned long loop_cross_take(enum shape s, struct xring *r,
						     unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		void *p = xring_get(r);

		if (likely(p) && unlikely(sh_free(s, p)))
			bad++;
	}
	return bad;
}

/* The hand-over floor: one atomic bit op on each side, out of line as above. */
static noinline bool xfloor_set(struct xring *r, unsigned long k)
{
	unsigned long bit = BIT(k % BITS_PER_LONG);

	return !(__atomic_fetch_or(&r->bits[k / BITS_PER_LONG], bit, __ATOMIC_SEQ_CST) & bit);
}

static noinline bool xfloor_clear(struct xring *r, unsigned long k)
{
	unsigned long bit = BIT(k % BITS_PER_LONG);

	return __atomic_fetch_and(&r->bits[k / BITS_PER_LONG], ~bit, __ATOMIC_SEQ_CST) & bit;
}

static unsigned long loop_xfloor_give(struct xring *r, unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		unsigned long k = i % XFLOOR_FRAMES;

		if (unlikely(!xfloor_set(r, k)))
			bad++;
		xring_put(r, (void *)((k + 1) << PAGE_SHIFT));
	}
	return bad;
}

static unsigned long loop_xfloor_take(struct xring *r, unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		unsigned long k = ((unsigned long)xring_get(r) >> PAGE_SHIFT) - 1;

		if (unlikely(!xfloor_clear(r, k)))
			bad++;
	}
	return bad;
}

/*
 * Grant until NULL, then free everything in grant order, @cycles times.
 * Return: frames granted.  One thread alone must get every frame each
 * time, except from the magazines that cannot steal.
 */
static __always_inline unsigned long loop_drain(enum shape s, struct worker *w,
						unsigned long cycles)
{
	unsigned long c, total = 0;
	unsigned int n, i;

	for (c = 0; c < cycles; c++) {
		n = 0;
		while (n <= opt.frames && (w->drain[n] = sh_alloc(s)))
			n++;
		w->drain_nulls += n <= opt.frames;
		total += n;
		if (n < w->drain_min)
			w->drain_min = n;
		for (i = 0; i < n; i++)
			if (unlikely(sh_free(s, w->drain[i])))
				w->bad++;
	}
	return total;
}

static __always_inline void timed(struct worker *w, enum job_kind job, enum shape s,
				  unsigned long pairs)
{
	struct xring *xr = xrings ? &xrings[w->id / 2] : NULL;
	bool give = !(w->id % 2);
	void *ring[FIFO_DEPTH];
	unsigned long n = pairs;
	double t0, t1;
	u64 c0, c1;
	unsigned int i;

	w->bad = 0;
	w->drain_nulls = 0;
	w->drain_min = ~0UL;
	if (job == JOB_FIFO) {
		for (i = 0; i < FIFO_DEPTH; i++) {
			ring[i] = sh_alloc(s);
			if (!ring[i])
				die("pool too small for %d held frames a thread\n", FIFO_DEPTH);
		}
	}
	if (job == JOB_BULK)
		n = pairs / BULK;
	if (job == JOB_DRAIN)
		n = pairs > opt.frames ? pairs / opt.frames : 1;

	t0 = now_ns();
	c0 = tsc();
	switch (job) {
	case JOB_FLOOR:
		w->bad = loop_floor(w->floor, n);
		break;
	case JOB_XFLOOR:
		w->bad = give ? loop_xfloor_give(xr, n) : loop_xfloor_take(xr, n);
		xring_flush(xr, give);
		break;
	case JOB_PAIR:
		w->bad = loop_pair(s, n);
		break;
	case JOB_BULK:
		w->bad = loop_bulk(s, n);
		n *= BULK;
		break;
	case JOB_FIFO:
		w->bad = loop_fifo(s, ring, n);
		break;
	case JOB_CROSS:
		w->bad = give ? loop_cross_give(s, xr, n) : loop_cross_take(s, xr, n);
		xring_flush(xr, give);
		break;
	case JOB_DRAIN:
		n = loop_drain(s, w, n);
		break;
	default:
		break;
	}
	c1 = tsc();
	t1 = now_ns();
	w->ns = n ? (t1 - t0) / n : 0;
	w->tsc = n ? (double)(c1 - c0) / n : 0;

	if (job == JOB_FIFO)
		for (i = 0; i < FIFO_DEPTH; i++)
			if (sh_free(s, ring[i]))
				w->bad++;
	/* alone, a drain that stops short stranded frames */
	if (job == JOB_DRAIN && ctl.active == 1 && s != SHAPE_BL && w->drain_min != opt.frames)
		w->bad++;
}

/* One copy of the timed loops per shape, each calling its pool directly. */
static void run_timed(struct worker *w, enum job_kind job, enum shape s, unsigned long pairs)
{
	switch (s) {
	case SHAPE_A:
		timed(w, job, SHAPE_A, pairs);
		break;
	case SHAPE_B:
		timed(w, job, SHAPE_B, pairs);
		break;
	default:
		timed(w, job, SHAPE_BL, pairs);
		break;
	}
}

static void run_check(struct worker *w);

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	lab_shim_set_cpu(w->id);
	chk_self = w;
	for (;;) {
		pthread_barrier_wait(&ctl.start);
		if (ctl.quit)
			break;
		if (w->id < ctl.active) {
			if (ctl.job == JOB_CHECK)
				run_check(w);
			else
				run_timed(w, ctl.job, ctl.shape, ctl.pairs);
		}
		pthread_barrier_wait(&ctl.done);
	}
	return NULL;
}

static void run_job(enum job_kind job, enum shape shape, unsigned int active,
		    unsigned long pairs)
{
	ctl.job = job;
	ctl.shape = shape;
	ctl.active = active;
	ctl.pairs = pairs;
	pthread_barrier_wait(&ctl.start);
	pthread_barrier_wait(&ctl.done);
}

static void start_workers(void)
{
	cpu_set_t allowed, one;
	int cores[CPU_SETSIZE], ncores = 0, c;
	unsigned int i;

	CPU_ZERO(&allowed);
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		die("sched_getaffinity: %s\n", strerror(errno));
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed))
			cores[ncores++] = c;
	if (!opt.threads)
		opt.threads = ncores;
	if (opt.threads > MAX_THREADS)
		die("at most %d threads\n", MAX_THREADS);
	if (!opt.online || opt.online > opt.threads)
		opt.online = opt.threads;

	/* the shims' CPUs: one id per worker; the main thread borrows id 0 */
	nr_cpu_ids = opt.threads;
	lab_shim_nr_online = opt.online;
	lab_shim_set_cpu(0);

	pthread_barrier_init(&ctl.start, NULL, opt.threads + 1);
	pthread_barrier_init(&ctl.done, NULL, opt.threads + 1);
	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];
		pthread_attr_t attr;

		w->id = i;
		w->core = cores[i % ncores];
		w->floor = aligned_alloc(SMP_CACHE_BYTES, sizeof(*w->floor));
		if (!w->floor)
			die("out of memory\n");
		memset(w->floor, 0, sizeof(*w->floor));
		for (w->floor->top = 0; w->floor->top < FLOOR_DEPTH; w->floor->top++)
			w->floor->stack[w->floor->top] =
				(void *)((w->floor->top + 1UL) << PAGE_SHIFT);
		pthread_attr_init(&attr);
		CPU_ZERO(&one);
		CPU_SET(w->core, &one);
		if (pthread_attr_setaffinity_np(&attr, sizeof(one), &one))
			w->core = -1;
		if (pthread_create(&w->thread, &attr, worker_main, w))
			die("pthread_create failed\n");
		pthread_attr_destroy(&attr);
	}
}

static void stop_workers(void)
{
	unsigned int i;

	ctl.quit = true;
	pthread_barrier_wait(&ctl.start);
	for (i = 0; i < opt.threads; i++) {
		pthread_join(workers[i].thread, NULL);
		free(workers[i].floor);
	}
}

/* ---- benchmark */

struct series {
	enum job_kind job;
	enum shape shape;
	unsigned int threads;
	char name[32];
	double ns[MAX_REPS], tsc[MAX_REPS];
	double med, min, max, tsc_med, ratio;
	unsigned long bad, nulls, drain_min;
	u64 bulk_frames, bulk_atomics;	/* magazines' bulk calls: the batching */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	double s[MAX_REPS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static bool pool_counters_ok(enum shape shape, unsigned long nulls, bool quiet);

/* --fresh: the pool of @shape replaced by a new one (idle between rounds). */
static void pool_recreate(enum shape shape)
{
	if (!pool_counters_ok(shape, 0, true))
		die("%s counters wrong before a fresh pool\n", shape_name[shape]);
	if (shape == SHAPE_A) {
		if (labyrinth_pool_destroy(pool))
			die("labyrinth_pool_destroy failed\n");
		pool = labyrinth_pool_create("bench", opt.frames);
	} else {
		if (mag_pool_destroy(mpool[shape]))
			die("mag_pool_destroy failed\n");
		mpool[shape] = mag_pool_create(opt.frames, shape == SHAPE_BL ? MAG_POOL_LOCAL : 0);
	}
	if (IS_ERR(pool) || IS_ERR(mpool[SHAPE_B]) || IS_ERR(mpool[SHAPE_BL]))
		die("pool create failed\n");
}

static void one_round(struct series *s, int rep)
{
	/* the hand-over scenarios pair threads up: an odd one out sits still */
	bool pairs = s->job == JOB_CROSS || s->job == JOB_XFLOOR;
	bool floor = s->job == JOB_FLOOR || s->job == JOB_XFLOOR;
	bool bulk = s->job == JOB_BULK && s->shape != SHAPE_A;
	unsigned int i, active = pairs ? s->threads & ~1U : s->threads;
	struct mag_stats before, after;
	double ns = 0, tc = 0;

	if (rep < 0)
		s->drain_min = ~0UL;
	if (opt.fresh && !floor)
		pool_recreate(s->shape);
	if (bulk)
		mag_pool_read_stats(mpool[s->shape], &before);
	run_job(s->job, s->shape, active, opt.pairs);
	if (bulk) {
		mag_pool_read_stats(mpool[s->shape], &after);
		s->bulk_frames += after.grants + after.frees - before.grants - before.frees;
		s->bulk_atomics += after.bulk_atomics - before.bulk_atomics;
	}
	for (i = 0; i < active; i++) {
		ns += workers[i].ns;
		tc += workers[i].tsc;
		s->bad += workers[i].bad;
		s->nulls += workers[i].drain_nulls;
		if (workers[i].drain_min < s->drain_min)
			s->drain_min = workers[i].drain_min;
	}
	if (rep >= 0) {
		s->ns[rep] = ns / active;
		s->tsc[rep] = tc / active;
	}
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && v) {
			v += 1 + strspn(v + 1, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(buf, len, "%s", v);
			break;
		}
	}
	fclose(f);
}

/* the 1, 5 and 15 minute load averages: other work on the cores skews timings */
static void read_loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l[3];

	snprintf(buf, len, "unknown");
	if (f && fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", l[0], l[1], l[2]);
	if (f)
		fclose(f);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	fputc('"', f);
}

static void series_add(struct series *s, unsigned int *nr, enum job_kind job, enum shape shape,
		       unsigned int threads)
{
	struct series *n = &s[(*nr)++];

	memset(n, 0, sizeof(*n));
	n->job = job;
	n->shape = shape;
	n->threads = threads;
	if (job == JOB_FLOOR || job == JOB_XFLOOR)
		snprintf(n->name, sizeof(n->name), "%s", job_suffix[job]);
	else
		snprintf(n->name, sizeof(n->name), "%s%s", shape_name[shape], job_suffix[job]);
}

/* After the runs (@quiet: before a fresh pool, NULLs not counted). */
static bool pool_counters_ok(enum shape shape, unsigned long nulls, bool quiet)
{
	struct labyrinth_stats st;
	struct mag_stats ms;

	if (shape == SHAPE_A) {
		labyrinth_pool_read_stats(pool, &st);
		if (!quiet)
			printf("%-14s steals %llu, remote frees %llu, NULL %llu\n",
			       shape_name[shape], st.steals, st.remote_frees, st.failures);
		if (!st.owned && st.grants == st.frees && (quiet || st.failures == nulls) &&
		    !st.double_free && !st.bad_addr && !st.foreign && !st.poison_faults &&
		    !st.refills)
			return true;
		fprintf(stderr, "%s: pool counters wrong after the runs:\n", __func__);
		fprintf(stderr, "owned %llu grants %llu frees %llu failures %llu/%lu double %llu\n",
			st.owned, st.grants, st.frees, st.failures, nulls, st.double_free);
		fprintf(stderr, "bad %llu foreign %llu poison %llu refills %llu\n",
			st.bad_addr, st.foreign, st.poison_faults, st.refills);
		return false;
	}
	mag_pool_read_stats(mpool[shape], &ms);
	if (!quiet)
		printf("%-14s steals %llu, depot exchanges %llu, diverted %llu, NULL %llu\n",
		       shape_name[shape], ms.steals, ms.depot, ms.diverted, ms.failures);
	if (!ms.owned && ms.grants == ms.frees && (quiet || ms.failures == nulls) &&
	    !ms.double_free &&
	    !ms.bad_addr && !ms.foreign && !ms.bad_grant)
		return true;
	fprintf(stderr, "%s: %s counters wrong after the runs:\n", __func__, shape_name[shape]);
	fprintf(stderr,
		"owned %llu grants %llu frees %llu failures %llu/%lu double %llu bad %llu foreign %llu bad grants %llu\n",
		ms.owned, ms.grants, ms.frees, ms.failures, nulls, ms.double_free, ms.bad_addr,
		ms.foreign, ms.bad_grant);
	return false;
}

static int run_bench(void)
{
	static const enum job_kind jobs[] = { JOB_PAIR, JOB_BULK, JOB_FIFO, JOB_CROSS, JOB_DRAIN };
	struct series series[2 * (2 + ARRAY_SIZE(jobs) * NR_SHAPES)];
	unsigned int nr = 0, i, j, t, nt = opt.threads > 1 ? 2 : 1;
	unsigned int counts[2] = { 1, opt.threads };
	unsigned long nulls[NR_SHAPES] = { 0 };
	char model[128], load[64], load_end[64];
	enum shape sh;
	int rep, ret = 0;
	FILE *f;

	if (!opt.frames)
		opt.frames = opt.threads * 2048;
	read_loadavg(load, sizeof(load));
	pool = labyrinth_pool_create("bench", opt.frames);
	if (IS_ERR(pool))
		die("labyrinth_pool_create: %ld\n", PTR_ERR(pool));
	mpool[SHAPE_B] = mag_pool_create(opt.frames, 0);
	mpool[SHAPE_BL] = mag_pool_create(opt.frames, MAG_POOL_LOCAL);
	if (IS_ERR(mpool[SHAPE_B]) || IS_ERR(mpool[SHAPE_BL]))
		die("mag_pool_create failed\n");
	xrings = aligned_alloc(SMP_CACHE_BYTES, (opt.threads / 2 + 1) * sizeof(*xrings));
	if (!xrings)
		die("out of memory\n");
	memset(xrings, 0, (opt.threads / 2 + 1) * sizeof(*xrings));
	for (i = 0; i < opt.threads; i++) {
		workers[i].drain = calloc(opt.frames + 1, sizeof(void *));
		if (!workers[i].drain)
			die("out of memory\n");
	}

	/* by thread count, then scenario, the shapes side by side */
	for (t = 0; t < nt; t++) {
		series_add(series, &nr, JOB_FLOOR, SHAPE_A, counts[t]);
		if (counts[t] > 1)
			series_add(series, &nr, JOB_XFLOOR, SHAPE_A, counts[t]);
		for (i = 0; i < ARRAY_SIZE(jobs); i++) {
			if (jobs[i] == JOB_CROSS && counts[t] < 2)
				continue;
			for (sh = 0; sh < NR_SHAPES; sh++)
				series_add(series, &nr, jobs[i], sh, counts[t]);
		}
	}

	/* warm-up round, then the repetitions interleaved so drift hits all alike */
	for (i = 0; i < nr; i++)
		one_round(&series[i], -1);
	for (rep = 0; rep < (int)opt.reps; rep++)
		for (i = 0; i < nr; i++)
			one_round(&series[i], rep);

	for (i = 0; i < nr; i++) {
		struct series *s = &series[i];
		unsigned int r;

		s->med = median(s->ns, opt.reps);
		s->tsc_med = median(s->tsc, opt.reps);
		s->min = s->ns[0];
		s->max = s->ns[0];
		for (r = 1; r < opt.reps; r++) {
			s->min = s->ns[r] < s->min ? s->ns[r] : s->min;
			s->max = s->ns[r] > s->max ? s->ns[r] : s->max;
		}
		if (s->job != JOB_FLOOR && s->job != JOB_XFLOOR)
			nulls[s->shape] += s->nulls;
	}
	for (i = 0; i < nr; i++)
		for (j = 0; j < nr; j++)
			if (series[j].job == JOB_FLOOR && series[j].threads == series[i].threads)
				series[i].ratio = series[i].med / series[j].med;

	cpu_model(model, sizeof(model));
	printf("labyrinth native bench: %s, %u threads (one per core, pinned), %u frames a pool,\n",
	       model, opt.threads, opt.frames);
	printf("%lu pairs a thread, median of %u runs after a warm-up; ns per alloc+free pair\n",
	       opt.pairs, opt.reps);
	printf("(per page for bulk64, per frame granted for drain); tsc = TSC ticks per pair%s;\n",
	       HAVE_TSC ? "" : " (no TSC: 0)");
	printf("shapes: labyrinth = a (bitmap is the free set), magazine = b (magazine.c),\n");
	printf("magazine-local = b without stealing (strands frames); %s;\n",
	       opt.fresh ? "a new pool every round" : "one pool per shape for all rounds");
	printf("load average at start %s\n\n", load);
	printf("%-24s %7s %8s %8s %8s %8s %8s  %s\n", "scenario", "threads", "ns", "min",
	       "max", "tsc", "x floor", "what");
	for (i = 0; i < nr; i++) {
		struct series *s = &series[i];

		printf("%-24s %7u %8.2f %8.2f %8.2f %8.1f %8.2f  %s\n", s->name, s->threads,
		       s->med, s->min, s->max, s->tsc_med, s->ratio, job_what[s->job]);
		if (s->bad) {
			fprintf(stderr,
				"%s: %s, %u threads: %lu NULL grants, refused frees or short drains\n",
				__func__, s->name, s->threads, s->bad);
			ret = 1;
		}
		if (s->job == JOB_DRAIN && s->threads == 1 && s->drain_min != opt.frames)
			printf("%-24s %7s fewest frames one drain granted: %lu of %u\n", "",
			       "", s->drain_min, opt.frames);
		if (s->bulk_atomics)
			printf("%-24s %7s %.1f frames per atomic bitmap operation\n", "", "",
			       (double)s->bulk_frames / s->bulk_atomics);
	}
	read_loadavg(load_end, sizeof(load_end));
	printf("\nload average at end %s\n", load_end);
	for (sh = 0; sh < NR_SHAPES; sh++)
		if (!pool_counters_ok(sh, nulls[sh], opt.fresh))
			ret = 1;
	if (labyrinth_pool_destroy(pool) || mag_pool_destroy(mpool[SHAPE_B]) ||
	    mag_pool_destroy(mpool[SHAPE_BL]) || lab_shim_pages_live || lab_shim_allocs_live) {
		fprintf(stderr, "%s: destroy left %ld pages, %ld blocks\n", __func__,
			lab_shim_pages_live, lab_shim_allocs_live);
		ret = 1;
	}
	for (i = 0; i < opt.threads; i++)
		free(workers[i].drain);
	free(xrings);
	xrings = NULL;

	if (opt.json) {
		f = fopen(opt.json, "w");
		if (!f)
			die("%s: %s\n", opt.json, strerror(errno));
		fprintf(f, "{\n  \"tool\": \"bench-native\",\n  \"cpu\": ");
		json_string(f, model);
		fprintf(f, ",\n  \"loadavg_start\": ");
		json_string(f, load);
		fprintf(f, ",\n  \"loadavg_end\": ");
		json_string(f, load_end);
		fprintf(f, ",\n  \"threads\": %u,\n  \"frames\": %u,\n", opt.threads, opt.frames);
		fprintf(f, "  \"pairs_per_thread\": %lu,\n  \"reps\": %u,\n", opt.pairs, opt.reps);
		fprintf(f, "  \"magazine_size\": %d,\n  \"fresh_pools\": %s,\n", MAG_SIZE,
			opt.fresh ? "true" : "false");
		fprintf(f, "  \"tsc\": %s,\n  \"records\": [\n", HAVE_TSC ? "true" : "false");
		for (i = 0; i < nr; i++) {
			struct series *s = &series[i];
			bool floor = s->job == JOB_FLOOR || s->job == JOB_XFLOOR;

			fprintf(f, "    {\"scenario\": \"%s\", \"shape\": \"%s\", ", s->name,
				floor ? "floor" : shape_tag[s->shape]);
			fprintf(f, "\"threads\": %u, ", s->threads);
			fprintf(f, "\"unit\": \"%s\", ", s->job == JOB_BULK ? "page" :
				s->job == JOB_DRAIN ? "frame" : "pair");
			fprintf(f, "\"ns_per_pair\": %.3f, \"min\": %.3f, \"max\": %.3f, ",
				s->med, s->min, s->max);
			if (s->job == JOB_DRAIN)
				fprintf(f, "\"drain_min_frames\": %lu, ", s->drain_min);
			if (s->bulk_atomics)
				fprintf(f, "\"frames_per_bitmap_atomic\": %.2f, ",
					(double)s->bulk_frames / s->bulk_atomics);
			fprintf(f, "\"tsc_per_pair\": %.2f, \"ratio_to_floor\": %.3f}%s\n",
				s->tsc_med, s->ratio, i + 1 < nr ? "," : "");
		}
		fprintf(f, "  ]\n}\n");
		if (fclose(f))
			die("%s: write failed\n", opt.json);
	}
	return ret;
}

/* ---- --check */

/* Phase B and the NMI stand-in call the pool under check through these. */
struct chk_ops {
	void *(*alloc)(void *pool);
	int (*free)(void *pool, void *addr);
	unsigned int (*alloc_bulk)(void *pool, void **addrs, unsigned int nr);
	int (*free_bulk)(void *pool, void **addrs, unsigned int nr);
};

static void *lab_alloc(void *p)
{
	return labyrinth_pool_alloc(p);
}

static int lab_free(void *p, void *addr)
{
	return labyrinth_pool_free(p, addr);
}

static unsigned int lab_alloc_bulk(void *p, void **addrs, unsigned int nr)
{
	return labyrinth_pool_alloc_bulk(p, addrs, nr);
}

static int lab_free_bulk(void *p, void **addrs, unsigned int nr)
{
	return labyrinth_pool_free_bulk(p, addrs, nr);
}

static void *mag_alloc(void *p)
{
	return mag_pool_alloc(p);
}

static int mag_free(void *p, void *addr)
{
	return mag_pool_free(p, addr);
}

static unsigned int mag_alloc_bulk(void *p, void **addrs, unsigned int nr)
{
	return mag_pool_alloc_bulk(p, addrs, nr);
}

static int mag_free_bulk(void *p, void **addrs, unsigned int nr)
{
	return mag_pool_free_bulk(p, addrs, nr);
}

static const struct chk_ops lab_ops = {
	.alloc = lab_alloc,
	.free = lab_free,
	.alloc_bulk = lab_alloc_bulk,
	.free_bulk = lab_free_bulk,
};

static const struct chk_ops mag_ops = {
	.alloc = mag_alloc,
	.free = mag_free,
	.alloc_bulk = mag_alloc_bulk,
	.free_bulk = mag_free_bulk,
};

static const struct chk_ops *chk_ops = &lab_ops;
static void *chk_pool;
static int chk_nmi_on;

static void chk_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&chk_errors, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&chk_stop, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	fprintf(stderr, "check: FAIL (cpu %u): ", w ? w->id : 0);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/*
 * Owner table updates are relaxed on purpose: atomicity is all a double
 * grant check needs, and no ordering here may hide from ThreadSanitizer a
 * missing release/acquire in the pool between one owner and the next.
 * Frames are numbered by the shims' page registry, not by the pool.
 */
static bool chk_own(struct worker *w, void *addr, unsigned int from, unsigned int to)
{
	long slot = lab_shim_page_slot(addr);
	unsigned int old = from;

	if (slot < 0 || slot >= opt.frames || !PAGE_ALIGNED(addr)) {
		chk_fail(w, "%p is not a frame of the pool\n", addr);
		return false;
	}
	if (!__atomic_compare_exchange_n(&chk_owner[slot], &old, to, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		if (!from)
			chk_fail(w, "double grant: frame %p granted while cpu %u owns it\n",
				 addr, old - 1);
		else
			chk_fail(w, "frame %p: owner table says %u, expected %u\n", addr,
				 old, from);
		return false;
	}
	return true;
}

static void chk_stamp(void *addr, u64 tag)
{
	u64 *p = addr;
	unsigned int i;

	p[0] = (unsigned long)addr;
	for (i = 1; i < CANARY_SPOTS; i++)
		p[i * (PAGE_SIZE / 8 / CANARY_SPOTS)] = tag;
}

/* @tag 0: any tag of cpu @owner, written consistently */
static bool chk_canary(struct worker *w, void *addr, u64 tag, unsigned int owner)
{
	u64 *p = addr;
	unsigned int i;

	if (!tag)
		tag = p[PAGE_SIZE / 8 / CANARY_SPOTS];
	if (p[0] != (unsigned long)addr || tag >> 32 != owner + 1)
		goto bad;
	for (i = 1; i < CANARY_SPOTS; i++)
		if (p[i * (PAGE_SIZE / 8 / CANARY_SPOTS)] != tag)
			goto bad;
	return true;
bad:
	chk_fail(w, "canary of frame %p damaged (expected tag %#llx of cpu %u)\n", addr,
		 tag, owner);
	return false;
}

/* What a granted page must hold: zeroes, poison, or (0) anything. */
static int chk_fill(void)
{
	if (lab_shim_init_on_alloc || lab_shim_init_on_free)
		return 0;
	return chk_poisoned ? LABYRINTH_POISON_BYTE : -1;
}

static bool chk_filled(struct worker *w, void *addr, int c, const char *when)
{
	u8 *bad;

	if (c < 0)
		return true;
	bad = memchr_inv(addr, c, PAGE_SIZE);
	if (bad)
		chk_fail(w, "frame %p %s: byte %ld is %#x, not %#x\n", addr, when,
			 (long)(bad - (u8 *)addr), *bad, c);
	return !bad;
}

static void chk_take(struct worker *w, void *addr)
{
	u64 tag;

	if (!chk_own(w, addr, 0, w->id + 1))
		return;
	if (!chk_filled(w, addr, chk_fill(), "at grant"))
		return;
	tag = ((u64)(w->id + 1) << 32) | ++w->seq;
	chk_stamp(addr, tag);
	w->held[w->nheld].addr = addr;
	w->held[w->nheld++].tag = tag;
	w->grants++;
}

/* Take held entry @i out of the table and the owner table; its address or NULL. */
static void *chk_release(struct worker *w, unsigned int i, unsigned int to)
{
	struct held h = w->held[i];

	w->held[i] = w->held[--w->nheld];
	if (!chk_canary(w, h.addr, h.tag, w->id) || !chk_own(w, h.addr, w->id + 1, to))
		return NULL;
	return h.addr;
}

static void chk_free_one(struct worker *w)
{
	void *addr = chk_release(w, rnd(w) % w->nheld, 0);
	int err;

	if (!addr)
		return;
	err = chk_ops->free(chk_pool, addr);
	if (err)
		chk_fail(w, "free of owned frame %p refused: %d\n", addr, err);
	else
		w->frees++;
}

static void chk_handoff(struct worker *w)
{
	unsigned int to = rnd(w) % (opt.threads - 1);
	void **box;
	void *addr;

	to += to >= w->id;
	box = &mbox[w->id * opt.threads + to];
	if (__atomic_load_n(box, __ATOMIC_RELAXED))
		return;		/* only @to empties it */
	addr = chk_release(w, rnd(w) % w->nheld, to + 1);
	if (!addr)
		return;
	__atomic_store_n(box, addr, __ATOMIC_RELEASE);
	w->handoffs++;
}

/* Free what other CPUs handed to CPU @me; @w is the caller (a worker or main). */
static void chk_receive(struct worker *w, unsigned int me)
{
	unsigned int from;
	void *addr;
	int err;

	for (from = 0; from < opt.threads; from++) {
		if (from == me)
			continue;
		addr = __atomic_exchange_n(&mbox[from * opt.threads + me], NULL, __ATOMIC_ACQUIRE);
		if (!addr)
			continue;
		if (!chk_canary(w, addr, 0, from) || !chk_own(w, addr, me + 1, 0))
			continue;
		err = chk_ops->free(chk_pool, addr);
		if (err) {
			chk_fail(w, "free of handed-over frame %p refused: %d\n", addr, err);
			continue;
		}
		w->frees++;
		w->received++;
	}
}

static void chk_alloc_bulk(struct worker *w)
{
	unsigned int room = opt.held - w->nheld, want, got, i;

	want = 1 + rnd(w) % (room < BULK ? room : BULK);
	got = chk_ops->alloc_bulk(chk_pool, w->scratch, want);
	if (got > want) {
		chk_fail(w, "alloc_bulk of %u returned %u\n", want, got);
		return;
	}
	if (got < want)
		w->short_bulk++;
	for (i = 0; i < got; i++)
		chk_take(w, w->scratch[i]);
}

static int cmp_addr(const void *a, const void *b)
{
	unsigned long x = (unsigned long)*(void * const *)a;
	unsigned long y = (unsigned long)*(void * const *)b;

	return x < y ? -1 : x > y;
}

static void chk_free_bulk(struct worker *w)
{
	unsigned int n = 1 + rnd(w) % (w->nheld < BULK ? w->nheld : BULK), i, k = 0;
	int err;

	for (i = 0; i < n; i++) {
		void *addr = chk_release(w, rnd(w) % w->nheld, 0);

		if (addr)
			w->scratch[k++] = addr;
	}
	if (rnd(w) & 1)		/* sorted: runs sharing a bitmap word */
		qsort(w->scratch, k, sizeof(*w->scratch), cmp_addr);
	err = chk_ops->free_bulk(chk_pool, w->scratch, k);
	if (err)
		chk_fail(w, "free_bulk of %u owned frames refused: %d\n", k, err);
	else
		w->frees += k;
}

static void run_check(struct worker *w)
{
	struct labyrinth_stats st;
	struct mag_stats ms;

	w->in_round = true;
	while (!__atomic_load_n(&chk_stop, __ATOMIC_RELAXED)) {
		unsigned int r = rnd(w) % 100;

		w->ops++;
		chk_receive(w, w->id);
		if (r < 35) {
			if (w->nheld < opt.held) {
				void *addr = chk_ops->alloc(chk_pool);

				if (addr)
					chk_take(w, addr);
				else
					w->nulls++;
			}
		} else if (r < 65) {
			if (w->nheld)
				chk_free_one(w);
		} else if (r < 77) {
			if (w->nheld && opt.threads > 1)
				chk_handoff(w);
		} else if (r < 88) {
			if (w->nheld < opt.held)
				chk_alloc_bulk(w);
		} else {
			if (w->nheld)
				chk_free_bulk(w);
		}
		/* a reader of the counters while the pool is busy */
		if (w->id == 0 && !(w->ops % 4096) && opt.shape == SHAPE_A) {
			labyrinth_pool_read_stats(pool, &st);
			if (st.owned > st.max_frames || st.nr_frames > st.max_frames)
				chk_fail(w, "stats: %llu owned, %llu frames, cap %llu\n",
					 st.owned, st.nr_frames, st.max_frames);
		} else if (w->id == 0 && !(w->ops % 4096)) {
			mag_pool_read_stats(chk_pool, &ms);
			if (ms.owned > ms.nr_frames)
				chk_fail(w, "stats: %llu owned of %llu frames\n", ms.owned,
					 ms.nr_frames);
		}
	}
	while (w->nheld)
		chk_free_one(w);
	/* the NMI stand-in stops here: the main thread may use the pool next */
	w->in_round = false;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static u64 nmi_rnd(struct worker *w)
{
	w->nmi_rng ^= w->nmi_rng >> 12;
	w->nmi_rng ^= w->nmi_rng << 25;
	w->nmi_rng ^= w->nmi_rng >> 27;
	return w->nmi_rng * 0x2545f4914f6cdd1dULL;
}

/*
 * The NMI stand-in, on the thread (CPU id) it interrupted, at any
 * instruction of a grant or free there: grant up to NMI_MAX frames, singly
 * or in bulk, take them in the owner table as owner "threads + id", check
 * the fill, stamp, check the stamps, free.  It touches none of the
 * interrupted thread's harness state but its own counters.
 */
static void chk_nmi(struct worker *w)
{
	unsigned int owner = opt.threads + w->id, n = 0, i, want;
	void *got[NMI_MAX];
	u64 r = nmi_rnd(w), tags[NMI_MAX];

	w->nmi_calls++;
	/* landed between the interrupted grant's or free's lock and unlock */
	if (opt.shape != SHAPE_A && mag_pool_test_held(chk_pool, w->id))
		w->nmi_inside++;
	want = 1 + r % NMI_MAX;
	if (r & 16) {
		n = chk_ops->alloc_bulk(chk_pool, got, want);
	} else {
		while (n < want && (got[n] = chk_ops->alloc(chk_pool)))
			n++;
	}
	if (n < want)
		w->nmi_nulls++;
	w->nmi_grants += n;
	for (i = 0; i < n; i++) {
		/* on a failure leave everything as it is */
		if (!chk_own(w, got[i], 0, owner + 1) ||
		    !chk_filled(w, got[i], chk_fill(), "at grant"))
			return;
		tags[i] = ((u64)(owner + 1) << 32) | ++w->nmi_seq;
		chk_stamp(got[i], tags[i]);
	}
	for (i = 0; i < n; i++)
		if (!chk_canary(w, got[i], tags[i], owner) || !chk_own(w, got[i], owner + 1, 0))
			return;
	if (r & 32) {
		if (chk_ops->free_bulk(chk_pool, got, n))
			chk_fail(w, "NMI: free_bulk of %u owned frames refused\n", n);
	} else {
		for (i = 0; i < n; i++)
			if (chk_ops->free(chk_pool, got[i]))
				chk_fail(w, "NMI: free of owned frame %p refused\n", got[i]);
	}
	w->nmi_frees += n;
}

static void chk_nmi_handler(int sig)
{
	struct worker *w = chk_self;
	int saved = errno;

	if (w && w->in_round && __atomic_load_n(&chk_nmi_on, __ATOMIC_RELAXED))
		chk_nmi(w);
	errno = saved;
}

/* The main thread's part of a round: wait @ms, or send NMIs for that long. */
static void chk_round_wait(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };
	struct timespec gap = { .tv_nsec = 20000 };
	double end = now_ns() + ms * 1e6;
	u64 x = opt.seed | 1;

	if (!opt.nmi) {
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		return;
	}
	__atomic_store_n(&chk_nmi_on, 1, __ATOMIC_RELAXED);
	while (now_ns() < end) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pthread_kill(workers[x % opt.threads].thread, SIGUSR1);
		nanosleep(&gap, NULL);
	}
	__atomic_store_n(&chk_nmi_on, 0, __ATOMIC_RELAXED);
}

#define EXPECT(cond, ...)							\
	do {									\
		if (!(cond))							\
			chk_fail(NULL, __VA_ARGS__);				\
	} while (0)

/* Grant from CPU 0 until NULL, into @addrs (room for @room); how many. */
static unsigned int drain(struct labyrinth_pool *p, void **addrs, unsigned int room)
{
	unsigned int n = 0;

	while (n < room && (addrs[n] = labyrinth_pool_alloc(p)))
		n++;
	return n;
}

/*
 * Phase A, from the main thread as CPU 0 while the workers wait: the API's
 * results and every counter, exactly, on small pools.
 */
/*
 * Every kind of refused free, each counted once by the pool: four bad
 * addresses, two foreign, two double frees.  Then all[0..nr) given back:
 * all of them must be owned.
 */
static void check_refused_frees(const struct chk_ops *ops, void *pool, void **all,
				unsigned int nr)
{
	void *foreign, *a = all[0], *two[3];
	long err;

	foreign = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (foreign == MAP_FAILED)
		die("mmap failed\n");
	EXPECT(ops->free(pool, NULL) == -EINVAL, "free(NULL)\n");
	EXPECT(ops->free(pool, ERR_PTR(-EIO)) == -EINVAL, "free(ERR_PTR)\n");
	EXPECT(ops->free(pool, (char *)a + 8) == -EINVAL, "free(unaligned)\n");
	EXPECT(ops->free(pool, foreign) == -ENOENT, "free(foreign)\n");
	EXPECT(ops->free(pool, a) == 0, "free of an owned frame\n");
	EXPECT(ops->free(pool, a) == -EALREADY, "double free\n");
	two[0] = all[1];
	two[1] = all[1];
	EXPECT(ops->free_bulk(pool, two, 2) == -EALREADY, "bulk free listing twice\n");
	two[0] = all[2];
	two[1] = NULL;
	two[2] = foreign;
	err = ops->free_bulk(pool, two, 3);
	EXPECT(err == -EINVAL || err == -ENOENT, "bulk free with bad entries: %ld\n", err);
	EXPECT(ops->free_bulk(pool, all + 3, nr - 3) == 0, "bulk free of the rest\n");
	munmap(foreign, PAGE_SIZE);
}

/* Free @nr owned frames in two bulk calls, in reverse: words from the top down. */
static void free_reversed_halves(const struct chk_ops *ops, void *pool, void **addrs,
				 unsigned int nr)
{
	unsigned int i;
	void *a;

	for (i = 0; i < nr / 2; i++) {
		a = addrs[i];
		addrs[i] = addrs[nr - 1 - i];
		addrs[nr - 1 - i] = a;
	}
	EXPECT(ops->free_bulk(pool, addrs, nr / 2) == 0, "bulk free\n");
	EXPECT(ops->free_bulk(pool, addrs + nr / 2, nr - nr / 2) == 0, "bulk free\n");
}

static void check_api(void)
{
	struct labyrinth_pool_config cfg = { .name = "grow", .nr_frames = 64, .max_frames = 160,
					     .flags = LABYRINTH_POOL_NO_WIPE };
	const struct labyrinth_pool_config api_cfg = {
		.name = "api", .nr_frames = opt.frames, .flags = LABYRINTH_POOL_NO_WIPE,
	};
	unsigned int f = opt.frames, i, n, got;
	char longname[LABYRINTH_POOL_NAME_MAX + 8];
	struct labyrinth_stats st;
	void **all, *a, *two[3];

	all = calloc(2 * f + 161, sizeof(*all));
	if (!all)
		die("out of memory\n");

	/* create: bad arguments, then a page allocator that runs dry midway */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	EXPECT(labyrinth_pool_create(NULL, 8) == ERR_PTR(-EINVAL), "create(NULL name)\n");
	EXPECT(labyrinth_pool_create("", 8) == ERR_PTR(-EINVAL), "create(empty name)\n");
	EXPECT(labyrinth_pool_create(longname, 8) == ERR_PTR(-EINVAL), "create(long name)\n");
	EXPECT(labyrinth_pool_create("x", 0) == ERR_PTR(-EINVAL), "create(0 frames)\n");
	EXPECT(labyrinth_pool_create("x", LABYRINTH_MAX_FRAMES + 1) == ERR_PTR(-ENOMEM),
	       "create(too many frames)\n");
	lab_shim_page_budget = f / 2;
	EXPECT(labyrinth_pool_create("dry", f) == ERR_PTR(-ENOMEM),
	       "create with too few pages did not fail with -ENOMEM\n");
	lab_shim_page_budget = -1;
	EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
	       "failed create leaked %ld pages, %ld blocks\n", lab_shim_pages_live,
	       lab_shim_allocs_live);
	EXPECT(labyrinth_pool_destroy(NULL) == -EINVAL, "destroy(NULL)\n");

	/*
	 * The checks below count on exact exhaustion and on a double free
	 * right after a free being refused; under --init-on-alloc the
	 * background wipe would hold frames now and then, so it is off here
	 * (the grants clear instead).  The stress check runs with it.
	 */
	pool = labyrinth_pool_create_config(&api_cfg);
	if (IS_ERR(pool))
		die("labyrinth_pool_create(%u): %ld\n", f, PTR_ERR(pool));
	EXPECT(lab_shim_pages_live == f, "create mapped %ld pages for %u frames\n",
	       lab_shim_pages_live, f);

	/* drain: every frame, each once, page aligned, then NULL */
	n = drain(pool, all, f + 1);
	EXPECT(n == f, "drain granted %u of %u frames before NULL\n", n, f);
	qsort(all, n, sizeof(*all), cmp_addr);
	for (i = 0; i < n; i++) {
		EXPECT(PAGE_ALIGNED(all[i]), "granted %p is not a page address\n", all[i]);
		EXPECT(!i || all[i] != all[i - 1], "%p granted twice\n", all[i]);
	}
	if (chk_errors || n != f)
		goto out;
	labyrinth_pool_read_stats(pool, &st);
	EXPECT(st.owned == f && st.steals == f - pool->regions[0].nr,
	       "after drain: owned %llu steals %llu, expected %u and %u\n", st.owned,
	       st.steals, f, f - pool->regions[0].nr);
	EXPECT(labyrinth_pool_alloc_bulk(pool, two, 3) == 0, "bulk grant from a full pool\n");
	EXPECT(labyrinth_pool_destroy(pool) == -EBUSY, "destroy with frames owned\n");

	check_refused_frees(&lab_ops, pool, all, f);

	/* one bulk grant of everything gives back exactly the same frames */
	got = labyrinth_pool_alloc_bulk(pool, all + f, f);
	EXPECT(got == f, "bulk grant of all %u frames gave %u\n", f, got);
	qsort(all + f, got, sizeof(*all), cmp_addr);
	EXPECT(got == f && !memcmp(all, all + f, f * sizeof(*all)),
	       "bulk grant gave other frames than the drain\n");
	free_reversed_halves(&lab_ops, pool, all + f, got);
	labyrinth_pool_read_stats(pool, &st);
	EXPECT(st.grants == 2 * f && st.frees == 2 * f && st.failures == 2 &&
	       st.bad_addr == 4 && st.foreign == 2 && st.double_free == 2 &&
	       st.busy_destroy == 1 && st.owned == 0 && st.nr_frames == f &&
	       st.max_frames == f && !st.refills && !st.refill_failures && !st.poison_faults,
	       "api counters: grants %llu frees %llu (want %u) failures %llu/2 bad %llu/4 foreign %llu/2 double %llu/2 busy %llu/1 owned %llu/0 frames %llu max %llu refills %llu/%llu poison %llu\n",
	       st.grants, st.frees, 2 * f, st.failures, st.bad_addr, st.foreign,
	       st.double_free, st.busy_destroy, st.owned, st.nr_frames, st.max_frames,
	       st.refills, st.refill_failures, st.poison_faults);
	EXPECT(labyrinth_pool_destroy(pool) == 0, "destroy of an idle pool\n");
	EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
	       "destroy left %ld pages, %ld blocks\n", lab_shim_pages_live,
	       lab_shim_allocs_live);

	/* poison: freed frames hold the pattern, a write after free is counted */
	cfg.name = "poison";
	cfg.nr_frames = 8;
	cfg.max_frames = 0;
	cfg.flags = LABYRINTH_POOL_POISON;
	pool = labyrinth_pool_create_config(&cfg);
	if (IS_ERR(pool))
		die("create poisoned pool: %ld\n", PTR_ERR(pool));
	chk_poisoned = true;
	a = labyrinth_pool_alloc(pool);
	EXPECT(a && chk_filled(NULL, a, chk_fill(), "fresh"), "poisoned grant\n");
	if (!a)
		goto out;
	memset(a, 0x11, PAGE_SIZE);
	EXPECT(labyrinth_pool_free(pool, a) == 0, "free\n");
	chk_filled(NULL, a, LABYRINTH_POISON_BYTE, "after a poisoning free");
	((u8 *)a)[100] = 0;			/* a write after free */
	two[0] = labyrinth_pool_alloc(pool);
	EXPECT(two[0] == a, "the frame freed last is not granted next\n");
	((u8 *)a)[200] = 0x22;			/* the owner writes, then frees twice */
	EXPECT(labyrinth_pool_free(pool, two[0]) == 0, "free\n");
	((u8 *)a)[300] = 0x33;
	EXPECT(labyrinth_pool_free(pool, two[0]) == -EALREADY, "double free\n");
	EXPECT(((u8 *)a)[300] == 0x33, "a refused free wrote to the frame\n");
	labyrinth_pool_read_stats(pool, &st);
	EXPECT(st.poison_faults == 1 && st.double_free == 1 && st.grants == 2 && st.frees == 2,
	       "poison counters: faults %llu/1 double %llu/1 grants %llu/2 frees %llu/2\n",
	       st.poison_faults, st.double_free, st.grants, st.frees);
	EXPECT(labyrinth_pool_destroy(pool) == 0, "destroy poisoned pool\n");
	chk_poisoned = false;

	/*
	 * growth: grant until NULL, let the work item run, again, until a
	 * grant after growth finds nothing: exactly the cap, in steps of a
	 * quarter of the initial size.
	 */
	cfg.name = "grow";
	cfg.nr_frames = 64;
	cfg.max_frames = 160;
	cfg.flags = 0;
	pool = labyrinth_pool_create_config(&cfg);
	if (IS_ERR(pool))
		die("create growable pool: %ld\n", PTR_ERR(pool));
	n = 0;
	do {
		got = drain(pool, all + n, 160 + 1 - n);
		n += got;
		lab_shim_flush_workqueue();
	} while (got && n <= 160);
	labyrinth_pool_read_stats(pool, &st);
	EXPECT(n == 160 && st.owned == 160 && st.nr_frames == 160 && st.refills == 96 &&
	       !st.refill_failures && lab_shim_pages_live == 160,
	       "growth 64 -> 160: granted %u owned %llu frames %llu refills %llu failed steps %llu pages %ld\n",
	       n, st.owned, st.nr_frames, st.refills, st.refill_failures, lab_shim_pages_live);
	qsort(all, n, sizeof(*all), cmp_addr);
	for (i = 1; i < n; i++)
		EXPECT(all[i] != all[i - 1], "%p granted twice\n", all[i]);
	EXPECT(labyrinth_pool_free_bulk(pool, all, n) == 0, "free of the grown pool\n");
	EXPECT(labyrinth_pool_destroy(pool) == 0, "destroy grown pool\n");
	EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
	       "destroy left %ld pages, %ld blocks\n", lab_shim_pages_live,
	       lab_shim_allocs_live);
out:
	pool = NULL;
	free(all);
}

static struct {
	u64 ops, grants, steals, frees, remote, handoffs, nulls, shorts, refills;
	u64 nmis, nmi_grants, nmi_inside, diverted, depot, stranded;
	unsigned int rounds, poisoned;
} tot;

/* What the workers (and the NMI stand-ins on them) counted in one round. */
struct chk_sums {
	u64 grants, frees, nulls, shorts, handoffs, received;
	u64 nmis, nmi_grants, nmi_frees, nmi_nulls, nmi_inside;
};

static void chk_round_reset(void)
{
	unsigned int i;

	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		w->nheld = 0;
		w->grants = 0;
		w->frees = 0;
		w->nulls = 0;
		w->short_bulk = 0;
		w->handoffs = 0;
		w->received = 0;
		w->nmi_calls = 0;
		w->nmi_grants = 0;
		w->nmi_frees = 0;
		w->nmi_nulls = 0;
		w->nmi_inside = 0;
		w->nmi_rng = w->rng ^ 0x5bd1e995;
	}
}

/* Run one round of phase B for @ms; mailboxes emptied; the workers' counts. */
static void chk_round_run(unsigned int ms, struct chk_sums *sum)
{
	struct worker *m = &workers[0];	/* main borrows CPU 0 while workers wait */
	unsigned int i;

	__atomic_store_n(&chk_stop, 0, __ATOMIC_RELAXED);
	ctl.job = JOB_CHECK;
	ctl.active = opt.threads;
	pthread_barrier_wait(&ctl.start);
	chk_round_wait(ms);
	__atomic_store_n(&chk_stop, 1, __ATOMIC_RELAXED);
	pthread_barrier_wait(&ctl.done);

	/* frames still in the mailboxes: freed by main, on their receivers' behalf */
	for (i = 0; i < opt.threads; i++)
		chk_receive(m, i);
	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		sum->grants += w->grants;
		sum->frees += w->frees;
		sum->nulls += w->nulls;
		sum->shorts += w->short_bulk;
		sum->handoffs += w->handoffs;
		sum->received += w->received;
		sum->nmis += w->nmi_calls;
		sum->nmi_grants += w->nmi_grants;
		sum->nmi_frees += w->nmi_frees;
		sum->nmi_nulls += w->nmi_nulls;
		sum->nmi_inside += w->nmi_inside;
	}
}

/*
 * A pool counter against the harness's count @want: exact, except that
 * the shim's this_cpu_inc() (a load and a store) loses what an NMI
 * stand-in counted in between, at most @nmi.
 */
static bool chk_count(u64 got, u64 want, u64 nmi)
{
	return got <= want && want - got <= nmi;
}

/*
 * Phase B, one round: a pool that starts at half of --frames and grows to
 * it while every CPU id grants, holds, frees, hands frames over and uses
 * the bulk calls; then every count must add up and nothing may be left.
 */
static void check_round(bool poison, unsigned int ms)
{
	struct labyrinth_pool_config cfg = {
		.name = "check",
		.nr_frames = opt.frames / 2 ? opt.frames / 2 : 1,
		.max_frames = opt.frames,
		.flags = poison ? LABYRINTH_POOL_POISON : 0,
	};
	struct labyrinth_stats st;
	struct chk_sums sum;
	unsigned int i;

	lab_shim_registry_start(opt.frames);
	memset(chk_owner, 0, opt.frames * sizeof(*chk_owner));
	memset(mbox, 0, (size_t)opt.threads * opt.threads * sizeof(*mbox));
	pool = labyrinth_pool_create_config(&cfg);
	if (IS_ERR(pool))
		die("labyrinth_pool_create_config(%u, %u): %ld\n", cfg.nr_frames,
		    cfg.max_frames, PTR_ERR(pool));
	chk_pool = pool;
	chk_ops = &lab_ops;
	chk_poisoned = poison;
	lab_shim_warnings = 0;
	chk_round_reset();
	chk_round_run(ms, &sum);
	lab_shim_flush_workqueue();	/* a growth step may still be running */
	for (i = 0; i < opt.frames; i++)
		EXPECT(!chk_owner[i], "frame slot %u still owned by cpu %u at the end\n", i,
		       chk_owner[i] - 1);
	labyrinth_pool_read_stats(pool, &st);
	EXPECT(st.owned == 0, "%llu frames owned at the end\n", st.owned);
	EXPECT(chk_count(st.grants, sum.grants + sum.nmi_grants, sum.nmi_grants) &&
	       chk_count(st.frees, sum.frees + sum.nmi_frees, sum.nmi_frees) &&
	       chk_count(st.failures, sum.nulls + sum.shorts + sum.nmi_nulls, sum.nmi_nulls),
	       "counters: grants %llu/%llu frees %llu/%llu failures %llu/%llu\n", st.grants,
	       sum.grants + sum.nmi_grants, st.frees, sum.frees + sum.nmi_frees, st.failures,
	       sum.nulls + sum.shorts + sum.nmi_nulls);
	EXPECT(!st.bad_addr && !st.foreign && !st.double_free && !st.busy_destroy &&
	       !st.poison_faults,
	       "refusals: bad %llu foreign %llu double %llu busy %llu poison %llu\n",
	       st.bad_addr, st.foreign, st.double_free, st.busy_destroy, st.poison_faults);
	EXPECT(st.steals <= st.grants && st.remote_frees <= st.frees,
	       "steals %llu > grants or remote frees %llu > frees\n", st.steals,
	       st.remote_frees);
	EXPECT(st.nr_frames <= st.max_frames && st.max_frames == opt.frames &&
	       st.nr_frames == (u64)lab_shim_pages_live &&
	       st.refills == st.nr_frames - cfg.nr_frames,
	       "growth: %llu frames (cap %llu), %ld pages mapped, %llu refilled from %u\n",
	       st.nr_frames, st.max_frames, lab_shim_pages_live, st.refills, cfg.nr_frames);
	if (opt.verbose) {
		printf("check: round %u%s: %llu grants, %llu steals, %llu NULL, %llu short bulk,",
		       tot.rounds + 1, poison ? " (poisoned)" : "", st.grants, st.steals, sum.nulls,
		       sum.shorts);
		printf(" %llu frames (%llu added, %llu failed steps)\n", st.nr_frames,
		       st.refills, st.refill_failures);
	}
	EXPECT(sum.handoffs == sum.received, "%llu frames handed over, %llu received\n",
	       sum.handoffs, sum.received);
	EXPECT(!lab_shim_warnings, "%ld warnings printed\n", lab_shim_warnings);
	EXPECT(labyrinth_pool_destroy(pool) == 0, "destroy of an idle pool\n");
	EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
	       "destroy left %ld pages, %ld blocks\n", lab_shim_pages_live,
	       lab_shim_allocs_live);
	lab_shim_registry_stop();
	pool = NULL;

	tot.rounds++;
	tot.poisoned += poison;
	tot.grants += st.grants;
	tot.steals += st.steals;
	tot.frees += st.frees;
	tot.remote += st.remote_frees;
	tot.handoffs += sum.handoffs;
	tot.nulls += sum.nulls;
	tot.shorts += sum.shorts;
	tot.refills += st.refills;
	tot.nmis += sum.nmis;
	tot.nmi_grants += sum.nmi_grants;
}

/* Grant from the current CPU id until NULL, into @addrs (room for @room). */
static unsigned int mag_drain(struct mag_pool *mp, void **addrs, unsigned int room)
{
	unsigned int n = 0;

	while (n < room && (addrs[n] = mag_pool_alloc(mp)))
		n++;
	return n;
}

/* Sort @addrs; true if all @n are page addresses and no two are equal. */
static bool chk_distinct(void **addrs, unsigned int n)
{
	unsigned int i;

	qsort(addrs, n, sizeof(*addrs), cmp_addr);
	for (i = 0; i < n; i++)
		if (!PAGE_ALIGNED(addrs[i]) || (i && addrs[i] == addrs[i - 1]))
			return false;
	return true;
}

/*
 * Phase A for the magazines, from the main thread while the workers wait:
 * create errors, a drain that reaches every frame, stealing from CPU 1,
 * diverted grants and frees (CPU 0's guard held as if by an interrupted
 * context, and the window that leaves such a grant NULL), every refusal,
 * bulk grant and free of everything, and every counter, exactly.
 */
static void check_api_mag(void)
{
	bool local = opt.shape == SHAPE_BL;
	unsigned int flags = local ? MAG_POOL_LOCAL : 0;
	unsigned int f = opt.frames, reach, n, got, i;
	u64 grants = 0, frees = 0, failures = 0;
	struct mag_stats ms;
	struct mag_pool *mp;
	void **all, *a, *two[3];

	all = calloc(2 * f + 2, sizeof(*all));
	if (!all)
		die("out of memory\n");
	EXPECT(mag_pool_create(0, flags) == ERR_PTR(-EINVAL), "create(0 frames)\n");
	EXPECT(mag_pool_create(8, 0x80) == ERR_PTR(-EINVAL), "create(unknown flag)\n");
	EXPECT(mag_pool_create(BIT(26) + 1, flags) == ERR_PTR(-ENOMEM),
	       "create(too many frames)\n");
	lab_shim_page_budget = f / 2;
	EXPECT(mag_pool_create(f, flags) == ERR_PTR(-ENOMEM),
	       "create with too few pages did not fail with -ENOMEM\n");
	lab_shim_page_budget = -1;
	EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
	       "failed create leaked %ld pages, %ld blocks\n", lab_shim_pages_live,
	       lab_shim_allocs_live);
	EXPECT(mag_pool_destroy(NULL) == -EINVAL, "destroy(NULL)\n");

	mp = mag_pool_create(f, flags);
	if (IS_ERR(mp))
		die("mag_pool_create(%u): %ld\n", f, PTR_ERR(mp));
	EXPECT(lab_shim_pages_live == f, "create mapped %ld pages for %u frames\n",
	       lab_shim_pages_live, f);

	/* CPU 0 drains: its own magazines, the depot, other CPUs' magazines */
	n = mag_drain(mp, all, f + 1);
	EXPECT(n == f || (local && n < f), "drain granted %u of %u frames before NULL\n", n, f);
	EXPECT(chk_distinct(all, n), "drain granted a frame twice or a bad address\n");
	reach = n;
	grants += n;
	failures++;
	EXPECT(mag_pool_alloc_bulk(mp, two, 3) == 0, "bulk grant from an empty pool\n");
	failures++;
	EXPECT(mag_pool_destroy(mp) == -EBUSY, "destroy with frames owned\n");
	if (chk_errors || n < 16)
		goto out;

	/* frames CPU 1 freed are in CPU 1's magazines: CPU 0 must steal them */
	if (opt.threads > 1) {
		lab_shim_set_cpu(1);
		for (i = 0; i < 10; i++)
			EXPECT(mag_pool_free(mp, all[i]) == 0, "free on CPU 1\n");
		frees += 10;
		lab_shim_set_cpu(0);
		got = mag_drain(mp, all + f, 11);
		EXPECT(got == (local ? 0 : 10), "CPU 0 took %u of the 10 frames on CPU 1\n", got);
		grants += got;
		failures++;
		if (local) {
			lab_shim_set_cpu(1);
			got = mag_drain(mp, all + f, 11);
			EXPECT(got == 10, "CPU 1 took %u of its own 10 frames\n", got);
			grants += got;
			failures++;
			lab_shim_set_cpu(0);
		}
		memcpy(all, all + f, 10 * sizeof(*all));
		EXPECT(chk_distinct(all, n), "frames granted twice after stealing\n");
	}

	/* CPU 0's guard held: grants and frees go through the depot */
	mag_pool_test_hold(mp, 0, true);
	a = all[0];
	EXPECT(mag_pool_free(mp, a) == 0, "diverted free\n");
	frees++;
	EXPECT(mag_pool_alloc(mp) == a, "a diverted grant did not find the frame in the depot\n");
	grants++;
	mag_pool_test_hold(mp, 0, false);
	/* the window: free frames only in CPU 0's own magazines */
	for (i = 0; i < 5; i++)
		EXPECT(mag_pool_free(mp, all[i]) == 0, "free\n");
	frees += 5;
	mag_pool_test_hold(mp, 0, true);
	EXPECT(!mag_pool_alloc(mp), "a diverted grant reached its own CPU's magazines\n");
	failures++;
	mag_pool_test_hold(mp, 0, false);
	got = mag_drain(mp, all + f, 6);
	EXPECT(got == 5, "CPU 0 took %u of the 5 frames in its magazines\n", got);
	grants += got;
	failures++;
	memcpy(all, all + f, 5 * sizeof(*all));
	EXPECT(chk_distinct(all, n), "frames granted twice after diversion\n");
	if (chk_errors)
		goto out;

	check_refused_frees(&mag_ops, mp, all, n);
	frees += n;

	/* one bulk grant of everything gives back exactly the same frames */
	got = mag_pool_alloc_bulk(mp, all + f, f);
	EXPECT(got == reach, "bulk grant of all %u frames gave %u\n", reach, got);
	grants += got;
	failures += got < f;
	EXPECT(got == n && chk_distinct(all + f, got) && !memcmp(all, all + f, n * sizeof(*all)),
	       "bulk grant gave other frames than the drain\n");
	free_reversed_halves(&mag_ops, mp, all + f, got);
	frees += got;
	mag_pool_read_stats(mp, &ms);
	EXPECT(ms.grants == grants && ms.frees == frees && ms.failures == failures &&
	       ms.bad_addr == 4 && ms.foreign == 2 && ms.double_free == 2 && !ms.owned &&
	       !ms.bad_grant && ms.diverted == 3 && ms.nr_frames == f &&
	       (local || opt.threads < 2 || ms.steals >= 1),
	       "api counters: grants %llu/%llu frees %llu/%llu failures %llu/%llu bad %llu/4 foreign %llu/2 double %llu/2 owned %llu/0 bad grants %llu/0 diverted %llu/3 steals %llu\n",
	       ms.grants, grants, ms.frees, frees, ms.failures, failures, ms.bad_addr,
	       ms.foreign, ms.double_free, ms.owned, ms.bad_grant, ms.diverted, ms.steals);
out:
	mag_pool_test_hold(mp, 0, false);
	if (!mag_pool_destroy(mp)) {
		EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
		       "destroy left %ld pages, %ld blocks\n", lab_shim_pages_live,
		       lab_shim_allocs_live);
	} else {
		chk_fail(NULL, "destroy of the idle magazine pool refused\n");
	}
	free(all);
}

/*
 * Phase B for the magazines, one round: a fixed pool of --frames, every
 * CPU id granting, holding, freeing, handing over and using the bulk
 * calls (and NMI stand-ins with --nmi); then every count must add up,
 * and CPU 0 alone must get every frame back: nothing stranded.
 */
static void check_round_mag(unsigned int ms)
{
	bool local = opt.shape == SHAPE_BL;
	struct mag_stats st;
	struct chk_sums sum;
	struct mag_pool *mp;
	unsigned int i, n;
	void **all;

	all = calloc(opt.frames + 1, sizeof(*all));
	if (!all)
		die("out of memory\n");
	lab_shim_registry_start(opt.frames);
	memset(chk_owner, 0, opt.frames * sizeof(*chk_owner));
	memset(mbox, 0, (size_t)opt.threads * opt.threads * sizeof(*mbox));
	mp = mag_pool_create(opt.frames, local ? MAG_POOL_LOCAL : 0);
	if (IS_ERR(mp))
		die("mag_pool_create(%u): %ld\n", opt.frames, PTR_ERR(mp));
	chk_pool = mp;
	chk_ops = &mag_ops;
	chk_poisoned = false;
	lab_shim_warnings = 0;
	chk_round_reset();
	chk_round_run(ms, &sum);

	for (i = 0; i < opt.frames; i++)
		EXPECT(!chk_owner[i], "frame slot %u still owned by %u at the end\n", i,
		       chk_owner[i] - 1);
	mag_pool_read_stats(mp, &st);
	EXPECT(st.owned == 0, "%llu frames owned at the end\n", st.owned);
	EXPECT(chk_count(st.grants, sum.grants + sum.nmi_grants, sum.nmi_grants) &&
	       chk_count(st.frees, sum.frees + sum.nmi_frees, sum.nmi_frees) &&
	       chk_count(st.failures, sum.nulls + sum.shorts + sum.nmi_nulls, sum.nmi_nulls),
	       "counters: grants %llu/%llu frees %llu/%llu failures %llu/%llu\n", st.grants,
	       sum.grants + sum.nmi_grants, st.frees, sum.frees + sum.nmi_frees, st.failures,
	       sum.nulls + sum.shorts + sum.nmi_nulls);
	EXPECT(!st.bad_addr && !st.foreign && !st.double_free && !st.bad_grant,
	       "refusals: bad %llu foreign %llu double %llu bad grants %llu\n",
	       st.bad_addr, st.foreign, st.double_free, st.bad_grant);
	EXPECT(sum.handoffs == sum.received, "%llu frames handed over, %llu received\n",
	       sum.handoffs, sum.received);
	EXPECT(!lab_shim_warnings, "%ld warnings printed\n", lab_shim_warnings);

	n = mag_drain(mp, all, opt.frames + 1);
	EXPECT(n == opt.frames || (local && n < opt.frames),
	       "after the round CPU 0 reached %u of %u frames\n", n, opt.frames);
	EXPECT(chk_distinct(all, n), "the final drain granted a frame twice\n");
	EXPECT(mag_pool_free_bulk(mp, all, n) == 0, "bulk free after the final drain\n");
	if (opt.verbose) {
		printf("check: round %u: %llu grants, %llu steals, %llu diverted, %llu depot,",
		       tot.rounds + 1, st.grants, st.steals, st.diverted, st.depot);
		printf(" %llu NULL, %llu NMIs, %u of %u frames reached\n", sum.nulls, sum.nmis, n,
		       opt.frames);
	}
	EXPECT(mag_pool_destroy(mp) == 0, "destroy of an idle pool\n");
	EXPECT(!lab_shim_pages_live && !lab_shim_allocs_live,
	       "destroy left %ld pages, %ld blocks\n", lab_shim_pages_live,
	       lab_shim_allocs_live);
	lab_shim_registry_stop();
	free(all);

	tot.rounds++;
	tot.grants += st.grants;
	tot.steals += st.steals;
	tot.frees += st.frees;
	tot.handoffs += sum.handoffs;
	tot.nulls += sum.nulls;
	tot.shorts += sum.shorts;
	tot.nmis += sum.nmis;
	tot.nmi_grants += sum.nmi_grants;
	tot.nmi_inside += sum.nmi_inside;
	tot.diverted += st.diverted;
	tot.depot += st.depot;
	tot.stranded += opt.frames - n;
}

static int run_checks(void)
{
	unsigned int i, rounds;

	/*
	 * Fewer frames than the threads may hold: the pool runs dry often, so
	 * stealing, growth, NULL grants and short bulk grants race with
	 * everything else.
	 */
	if (!opt.frames)
		opt.frames = opt.threads * opt.held * 3 / 4;
	if (opt.frames < 4)
		die("%s: at least 4 frames\n", __func__);
	for (i = 0; i < opt.threads; i++) {
		workers[i].rng = opt.seed * 0x9e3779b97f4a7c15ULL + i + 1;
		workers[i].held = calloc(opt.held, sizeof(*workers[i].held));
		workers[i].scratch = calloc(opt.held > BULK ? opt.held : BULK,
					    sizeof(*workers[i].scratch));
		if (!workers[i].held || !workers[i].scratch)
			die("out of memory\n");
	}
	chk_owner = calloc(opt.frames, sizeof(*chk_owner));
	mbox = calloc((size_t)opt.threads * opt.threads, sizeof(*mbox));
	if (!chk_owner || !mbox)
		die("out of memory\n");

	if (opt.nmi) {
		struct sigaction sa = { .sa_handler = chk_nmi_handler, .sa_flags = SA_RESTART };

		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL))
			die("sigaction: %s\n", strerror(errno));
	}

	lab_shim_quiet = true;	/* the refusals of phase A are deliberate */
	if (opt.shape == SHAPE_A)
		check_api();
	else
		check_api_mag();
	lab_shim_quiet = false;	/* from here on any warning is a finding */

	/* one-second rounds, alternately poisoned unless told */
	rounds = opt.seconds ? opt.seconds : 1;
	for (i = 0; i < rounds && !chk_errors; i++) {
		if (opt.shape == SHAPE_A)
			check_round(opt.poison < 0 ? i % 2 : opt.poison, opt.seconds ? 1000 : 200);
		else
			check_round_mag(opt.seconds ? 1000 : 200);
	}
	for (i = 0; i < opt.threads; i++)
		tot.ops += workers[i].ops;
	if (opt.shape != SHAPE_A) {
		printf("check: %s, %u threads (%u online at create), %u frames, %u held max,",
		       shape_name[opt.shape], opt.threads, opt.online, opt.frames, opt.held);
		printf(" %u rounds: %llu ops, %llu grants (%llu steals),", tot.rounds, tot.ops,
		       tot.grants, tot.steals);
		printf(" %llu frees (%llu handed over),", tot.frees, tot.handoffs);
		printf(" %llu NULL, %llu short bulk, %llu diverted, %llu depot exchanges,",
		       tot.nulls, tot.shorts, tot.diverted, tot.depot);
		printf(" %llu NMIs (%llu grants, %llu inside a held guard),", tot.nmis,
		       tot.nmi_grants, tot.nmi_inside);
		printf(" %llu frames stranded at round ends\n", tot.stranded);
		goto done;
	}

	printf("check: %u threads (%u online at create), up to %u frames (growth from %u),",
	       opt.threads, opt.online, opt.frames, opt.frames / 2);
	printf(" %u held max, %u rounds (%u poisoned): %llu ops,", opt.held, tot.rounds,
	       tot.poisoned, tot.ops);
	printf(" %llu grants (%llu steals), %llu frees (%llu remote, %llu handed over),",
	       tot.grants, tot.steals, tot.frees, tot.remote, tot.handoffs);
	printf(" %llu NULL, %llu short bulk, %llu frames added by growth\n", tot.nulls,
	       tot.shorts, tot.refills);
	if (opt.nmi)
		printf("check: %llu NMIs (%llu grants)\n", tot.nmis, tot.nmi_grants);
done:
	for (i = 0; i < opt.threads; i++) {
		free(workers[i].held);
		free(workers[i].scratch);
	}
	free(chk_owner);
	free(mbox);
	if (chk_errors) {
		printf("%s: FAILED, %ld errors (seed %lu)\n", "check", chk_errors, opt.seed);
		return 1;
	}
	printf("%s: passed (seed %lu)\n", "check", opt.seed);
	return 0;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: bench-native [--threads T] [--pairs N] [--reps R] [--frames F] [--json PATH]\n"
		"                    [--fresh]\n"
		"       bench-native --check [--seconds S] [--threads T] [--online K] [--held H]\n"
		"                    [--frames F] [--seed X] [--poison|--no-poison] [--verbose]\n"
		"                    [--shape labyrinth|magazine|magazine-local] [--nmi]\n"
		"  both: [--init-on-alloc] [--init-on-free]\n");
	exit(2);
}

static unsigned long num(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end)
		print_usage();
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "online", required_argument, NULL, 'o' },
		{ "held", required_argument, NULL, 'H' },
		{ "frames", required_argument, NULL, 'f' },
		{ "pairs", required_argument, NULL, 'n' },
		{ "reps", required_argument, NULL, 'r' },
		{ "json", required_argument, NULL, 'j' },
		{ "seed", required_argument, NULL, 'S' },
		{ "init-on-alloc", no_argument, NULL, 'A' },
		{ "init-on-free", no_argument, NULL, 'F' },
		{ "poison", no_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-poison", no_argument, NULL, 'N' },
		{ "shape", required_argument, NULL, 'h' },
		{ "nmi", no_argument, NULL, 'I' },
		{ "fresh", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	int c, ret;

	opt.seed = (unsigned long)time(NULL);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt.check = true;
			break;
		case 's':
			opt.seconds = num(optarg);
			break;
		case 't':
			opt.threads = num(optarg);
			break;
		case 'o':
			opt.online = num(optarg);
			break;
		case 'H':
			opt.held = num(optarg);
			break;
		case 'f':
			opt.frames = num(optarg);
			break;
		case 'n':
			opt.pairs = num(optarg);
			break;
		case 'r':
			opt.reps = num(optarg);
			break;
		case 'j':
			opt.json = optarg;
			break;
		case 'S':
			opt.seed = num(optarg);
			break;
		case 'A':
			lab_shim_init_on_alloc = true;
			break;
		case 'F':
			lab_shim_init_on_free = true;
			break;
		case 'P':
			opt.poison = 1;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'N':
			opt.poison = 0;
			break;
		case 'h':
			for (opt.shape = 0; opt.shape < NR_SHAPES; opt.shape++)
				if (!strcmp(optarg, shape_name[opt.shape]))
					break;
			if (opt.shape == NR_SHAPES)
				print_usage();
			break;
		case 'I':
			opt.nmi = true;
			break;
		case 'R':
			opt.fresh = true;
			break;
		default:
			print_usage();
		}
	}
	if (optind < argc && !opt.json)
		opt.json = argv[optind++];
	if (optind < argc || !opt.reps || opt.reps > MAX_REPS || opt.pairs < BULK || !opt.held)
		print_usage();

	setvbuf(stdout, NULL, _IOLBF, 0);
	start_workers();
	ret = opt.check ? run_checks() : run_bench();
	stop_workers();
	return ret;
}
