/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench/native's harness, shared by its files: the worker threads (one per
 * CPU id of the shims), the options, the benchmark's and the checks' state,
 * and the prototypes that tie harness.c, bench_loops.c, bench.c and the
 * check_*.c files together into bench-native.  See harness.c for what the
 * binary does.
 */
#ifndef LAB_NATIVE_H
#define LAB_NATIVE_H

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
#include "peers.h"

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

/*
 * The pools measured: labyrinth (a), the magazine prototype (b, b-local,
 * ../experiments/magazine) and the peers without an exclusivity check
 * (peers.h).  SHAPE_CHECKED ends the shapes the --check mode knows.
 */
enum shape { SHAPE_A, SHAPE_B, SHAPE_BL, SHAPE_PP, SHAPE_FL, NR_SHAPES };
#define SHAPE_CHECKED	SHAPE_PP

/* Can one thread reach every frame (steal), and may a frame be freed on another? */
static inline bool shape_steals(enum shape s)
{
	return s == SHAPE_A || s == SHAPE_B;
}

static inline bool shape_remote_free(enum shape s)
{
	return s != SHAPE_FL;
}

extern const char *const shape_name[];

struct bench_opts {
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
};

extern struct bench_opts opt;

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

extern struct worker workers[MAX_THREADS];
extern __thread struct worker *chk_self;	/* the worker this thread is */

struct bench_ctl {
	pthread_barrier_t start, done;
	enum job_kind job;
	enum shape shape;
	unsigned int active;	/* workers 0..active-1 take part */
	unsigned long pairs;
	bool quit;
};

extern struct bench_ctl ctl;

extern struct labyrinth_pool *pool;		/* shape a */
extern struct mag_pool *mpool[NR_SHAPES];	/* shapes b and b-local */
extern struct pp_peer *ppeer;			/* page_pool-like */
extern struct fl_peer *flpeer;			/* freelist */

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

extern struct xring *xrings;

/* --check state */
extern unsigned int *chk_owner;		/* per page slot: 0 free, else worker id + 1 */
extern bool chk_poisoned;		/* the pool poisons freed frames */
extern void **mbox;			/* [from * threads + to]: a frame handed over */
extern int chk_stop;
extern long chk_errors;

/* Phase B and the NMI stand-in call the pool under check through these. */
struct chk_ops {
	void *(*alloc)(void *pool);
	int (*free)(void *pool, void *addr);
	unsigned int (*alloc_bulk)(void *pool, void **addrs, unsigned int nr);
	int (*free_bulk)(void *pool, void **addrs, unsigned int nr);
};

extern const struct chk_ops lab_ops;
extern const struct chk_ops *chk_ops;
extern void *chk_pool;

/* --check: totals over every round */
struct chk_totals {
	u64 ops, grants, steals, frees, remote, handoffs, nulls, shorts, refills;
	u64 nmis, nmi_grants, nmi_inside, diverted, depot, stranded;
	unsigned int rounds, poisoned;
};

extern struct chk_totals tot;

/* What the workers (and the NMI stand-ins on them) counted in one round. */
struct chk_sums {
	u64 grants, frees, nulls, shorts, handoffs, received;
	u64 nmis, nmi_grants, nmi_frees, nmi_nulls, nmi_inside;
};

#define EXPECT(cond, ...)							\
	do {									\
		if (!(cond))							\
			chk_fail(NULL, __VA_ARGS__);				\
	} while (0)

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline u64 rnd(struct worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545f4914f6cdd1dULL;
}

/* harness.c */
void die(const char *fmt, ...);
void run_job(enum job_kind job, enum shape shape, unsigned int active,
	     unsigned long pairs);

/* bench_loops.c: the timed loops, one copy per shape */
void run_timed(struct worker *w, enum job_kind job, enum shape s, unsigned long pairs);

/* bench.c: the benchmark */
int run_bench(void);

/* check_common.c: the owner table, canaries and fills every check asserts */
void chk_fail(struct worker *w, const char *fmt, ...);
bool chk_own(struct worker *w, void *addr, unsigned int from, unsigned int to);
void chk_stamp(void *addr, u64 tag);
bool chk_canary(struct worker *w, void *addr, u64 tag, unsigned int owner);
int chk_fill(void);
bool chk_filled(struct worker *w, void *addr, int c, const char *when);
int cmp_addr(const void *a, const void *b);
bool chk_distinct(void **addrs, unsigned int n);
bool chk_count(u64 got, u64 want, u64 nmi);

/* check_stress.c: phase B, the threads against the owner table */
void run_check(struct worker *w);
void chk_round_reset(void);
void chk_round_run(unsigned int ms, struct chk_sums *sum);
int run_checks(void);

/* check_api.c: phase A, the API and its counters on small pools */
void check_refused_frees(const struct chk_ops *ops, void *pool, void **all,
			 unsigned int nr);
void free_reversed_halves(const struct chk_ops *ops, void *pool, void **addrs,
			  unsigned int nr);
void check_api(void);

/* check_magazine.c: both phases for the magazine prototype */
void check_api_mag(void);
void check_round_mag(unsigned int ms);

#endif /* LAB_NATIVE_H */
