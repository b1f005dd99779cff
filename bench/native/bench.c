// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth's pool built in user space (bench/native/shim stands in for the
 * kernel headers): a benchmark and a concurrency check.
 *
 *   bench-native [--threads T] [--pairs N] [--reps R] [--frames F] [--json PATH]
 *	Times, with one thread and with T threads (one per core, each its own
 *	CPU id), N alloc+free pairs on one shared pool; 64-page bulk grant and
 *	free; a FIFO of 256 held frames; and a floor: a per-thread array pop
 *	and push plus one atomic bit set and clear, the same loop shape.  ns
 *	per pair is the mean over threads of each thread's own time; the table
 *	and JSON give the median, min and max of R repetitions, interleaved
 *	after one warm-up round.
 *
 *   bench-native --check [--seconds S] [--threads T] [--online K] [--held H]
 *		       [--frames F] [--poison|--no-poison]
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
#include <linux/slab.h>
#include <linux/string.h>
#include "labyrinth_internal.h"

#define MAX_THREADS	256
#define BULK		64
#define FIFO_DEPTH	256
#define FLOOR_DEPTH	64
#define MAX_REPS	101
#define CANARY_SPOTS	8	/* u64 words checked in a held page, 512 bytes apart */

enum job_kind { JOB_FLOOR, JOB_PAIR, JOB_BULK, JOB_FIFO, NR_TIMED, JOB_CHECK = NR_TIMED };

static const char *const job_name[] = {
	[JOB_FLOOR] = "floor",
	[JOB_PAIR] = "labyrinth",
	[JOB_BULK] = "labyrinth-bulk64",
	[JOB_FIFO] = "labyrinth-fifo256",
};

static const char *const job_what[] = {
	[JOB_FLOOR] = "array pop+push, atomic bit set+clear",
	[JOB_PAIR] = "labyrinth_pool_alloc + labyrinth_pool_free",
	[JOB_BULK] = "alloc_bulk + free_bulk of 64, per page",
	[JOB_FIFO] = "alloc one, free the oldest of 256 held",
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
	struct floor_state *floor;

	/* --check */
	u64 rng;
	unsigned int seq;
	unsigned int nheld;
	struct held *held;
	void **scratch;
	u64 grants, frees, nulls, short_bulk, handoffs, received, ops;
} ____cacheline_aligned;

static struct worker workers[MAX_THREADS];

static struct {
	pthread_barrier_t start, done;
	enum job_kind job;
	unsigned int active;	/* workers 0..active-1 take part */
	unsigned long pairs;
	bool quit;
} ctl;

static struct labyrinth_pool *pool;

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

static unsigned long loop_pair(unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		void *p = labyrinth_pool_alloc(pool);

		if (unlikely(!p) || unlikely(labyrinth_pool_free(pool, p)))
			bad++;
	}
	return bad;
}

static unsigned long loop_bulk(unsigned long batches)
{
	void *addrs[BULK];
	unsigned long i, bad = 0;

	for (i = 0; i < batches; i++) {
		unsigned int got = labyrinth_pool_alloc_bulk(pool, addrs, BULK);

		if (unlikely(got != BULK))
			bad++;
		if (unlikely(labyrinth_pool_free_bulk(pool, addrs, got)))
			bad++;
	}
	return bad;
}

static unsigned long loop_fifo(void **ring, unsigned long n)
{
	unsigned long i, bad = 0;
	unsigned int h = 0;

	for (i = 0; i < n; i++) {
		void *p = labyrinth_pool_alloc(pool);

		if (unlikely(!p) || unlikely(labyrinth_pool_free(pool, ring[h]))) {
			bad++;
			if (!p)
				continue;
		}
		ring[h] = p;
		h = (h + 1) % FIFO_DEPTH;
	}
	return bad;
}

static void run_timed(struct worker *w, enum job_kind job, unsigned long pairs)
{
	void *ring[FIFO_DEPTH];
	unsigned long n = pairs;
	double t0, t1;
	u64 c0, c1;
	unsigned int i;

	w->bad = 0;
	if (job == JOB_FIFO) {
		for (i = 0; i < FIFO_DEPTH; i++) {
			ring[i] = labyrinth_pool_alloc(pool);
			if (!ring[i])
				die("pool too small for %d held frames a thread\n", FIFO_DEPTH);
		}
	}
	if (job == JOB_BULK)
		n = pairs / BULK;

	t0 = now_ns();
	c0 = tsc();
	switch (job) {
	case JOB_FLOOR:
		w->bad = loop_floor(w->floor, n);
		break;
	case JOB_PAIR:
		w->bad = loop_pair(n);
		break;
	case JOB_BULK:
		w->bad = loop_bulk(n);
		n *= BULK;
		break;
	case JOB_FIFO:
		w->bad = loop_fifo(ring, n);
		break;
	default:
		break;
	}
	c1 = tsc();
	t1 = now_ns();
	w->ns = (t1 - t0) / n;
	w->tsc = (double)(c1 - c0) / n;

	if (job == JOB_FIFO)
		for (i = 0; i < FIFO_DEPTH; i++)
			if (labyrinth_pool_free(pool, ring[i]))
				w->bad++;
}

static void run_check(struct worker *w);

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	lab_shim_set_cpu(w->id);
	for (;;) {
		pthread_barrier_wait(&ctl.start);
		if (ctl.quit)
			break;
		if (w->id < ctl.active) {
			if (ctl.job == JOB_CHECK)
				run_check(w);
			else
				run_timed(w, ctl.job, ctl.pairs);
		}
		pthread_barrier_wait(&ctl.done);
	}
	return NULL;
}

static void run_job(enum job_kind job, unsigned int active, unsigned long pairs)
{
	ctl.job = job;
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
	unsigned int threads;
	double ns[MAX_REPS], tsc[MAX_REPS];
	double med, min, max, tsc_med, ratio;
	unsigned long bad;
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

static void one_round(struct series *s, int rep)
{
	double ns = 0, tc = 0;
	unsigned int i;

	run_job(s->job, s->threads, opt.pairs);
	for (i = 0; i < s->threads; i++) {
		ns += workers[i].ns;
		tc += workers[i].tsc;
		s->bad += workers[i].bad;
	}
	if (rep >= 0) {
		s->ns[rep] = ns / s->threads;
		s->tsc[rep] = tc / s->threads;
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

static int run_bench(void)
{
	static const enum job_kind jobs[NR_TIMED] = { JOB_FLOOR, JOB_PAIR, JOB_BULK, JOB_FIFO };
	struct series series[2 * NR_TIMED];
	struct labyrinth_stats st;
	unsigned int nr = 0, i, t, nt = opt.threads > 1 ? 2 : 1;
	unsigned int counts[2] = { 1, opt.threads };
	char model[128], load[64];
	int rep, ret = 0;
	FILE *f;

	if (!opt.frames)
		opt.frames = opt.threads * 2048;
	read_loadavg(load, sizeof(load));
	pool = labyrinth_pool_create("bench", opt.frames);
	if (IS_ERR(pool))
		die("labyrinth_pool_create: %ld\n", PTR_ERR(pool));

	for (t = 0; t < nt; t++)
		for (i = 0; i < NR_TIMED; i++) {
			memset(&series[nr], 0, sizeof(series[nr]));
			series[nr].job = jobs[i];
			series[nr++].threads = counts[t];
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
	}
	for (i = 0; i < nr; i++) {
		unsigned int j;

		for (j = 0; j < nr; j++)
			if (series[j].job == JOB_FLOOR && series[j].threads == series[i].threads)
				series[i].ratio = series[i].med / series[j].med;
	}

	cpu_model(model, sizeof(model));
	printf("labyrinth native bench: %s, %u threads (one per core, pinned), %u frames,\n",
	       model, opt.threads, opt.frames);
	printf("%lu pairs a thread, median of %u runs after a warm-up; ns per alloc+free pair\n",
	       opt.pairs, opt.reps);
	printf("(per page for bulk64); tsc = TSC ticks per pair%s; load average at start %s\n\n",
	       HAVE_TSC ? "" : " (no TSC: 0)", load);
	printf("%-18s %7s %8s %8s %8s %8s %8s  %s\n", "scenario", "threads", "ns", "min",
	       "max", "tsc", "x floor", "what");
	for (i = 0; i < nr; i++) {
		struct series *s = &series[i];

		printf("%-18s %7u %8.2f %8.2f %8.2f %8.1f %8.2f  %s\n", job_name[s->job],
		       s->threads, s->med, s->min, s->max, s->tsc_med, s->ratio,
		       job_what[s->job]);
		if (s->bad) {
			fprintf(stderr, "%s: %s, %u threads: %lu NULL grants or refused frees\n",
				__func__, job_name[s->job], s->threads, s->bad);
			ret = 1;
		}
	}

	labyrinth_pool_read_stats(pool, &st);
	if (st.owned || st.grants != st.frees || st.failures || st.double_free ||
	    st.bad_addr || st.foreign || st.poison_faults || st.refills) {
		fprintf(stderr, "%s: pool counters wrong after the runs:\n", __func__);
		fprintf(stderr, "owned %llu grants %llu frees %llu failures %llu double %llu\n",
			st.owned, st.grants, st.frees, st.failures, st.double_free);
		fprintf(stderr, "bad %llu foreign %llu poison %llu refills %llu\n",
			st.bad_addr, st.foreign, st.poison_faults, st.refills);
		ret = 1;
	}
	if (labyrinth_pool_destroy(pool) || lab_shim_pages_live || lab_shim_allocs_live) {
		fprintf(stderr, "%s: destroy left %ld pages, %ld blocks\n", __func__,
			lab_shim_pages_live, lab_shim_allocs_live);
		ret = 1;
	}

	if (opt.json) {
		f = fopen(opt.json, "w");
		if (!f)
			die("%s: %s\n", opt.json, strerror(errno));
		fprintf(f, "{\n  \"tool\": \"bench-native\",\n  \"cpu\": ");
		json_string(f, model);
		fprintf(f, ",\n  \"loadavg_start\": ");
		json_string(f, load);
		fprintf(f, ",\n  \"threads\": %u,\n  \"frames\": %u,\n", opt.threads, opt.frames);
		fprintf(f, "  \"pairs_per_thread\": %lu,\n  \"reps\": %u,\n", opt.pairs, opt.reps);
		fprintf(f, "  \"tsc\": %s,\n  \"records\": [\n", HAVE_TSC ? "true" : "false");
		for (i = 0; i < nr; i++) {
			struct series *s = &series[i];

			fprintf(f, "    {\"scenario\": \"%s\", \"threads\": %u, \"unit\": \"%s\", ",
				job_name[s->job], s->threads, s->job == JOB_BULK ? "page" : "pair");
			fprintf(f, "\"ns_per_pair\": %.3f, \"min\": %.3f, \"max\": %.3f, ",
				s->med, s->min, s->max);
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
	err = labyrinth_pool_free(pool, addr);
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
		err = labyrinth_pool_free(pool, addr);
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
	got = labyrinth_pool_alloc_bulk(pool, w->scratch, want);
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
	err = labyrinth_pool_free_bulk(pool, w->scratch, k);
	if (err)
		chk_fail(w, "free_bulk of %u owned frames refused: %d\n", k, err);
	else
		w->frees += k;
}

static void run_check(struct worker *w)
{
	struct labyrinth_stats st;

	while (!__atomic_load_n(&chk_stop, __ATOMIC_RELAXED)) {
		unsigned int r = rnd(w) % 100;

		w->ops++;
		chk_receive(w, w->id);
		if (r < 35) {
			if (w->nheld < opt.held) {
				void *addr = labyrinth_pool_alloc(pool);

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
		if (w->id == 0 && !(w->ops % 4096)) {
			labyrinth_pool_read_stats(pool, &st);
			if (st.owned > st.max_frames || st.nr_frames > st.max_frames)
				chk_fail(w, "stats: %llu owned, %llu frames, cap %llu\n",
					 st.owned, st.nr_frames, st.max_frames);
		}
	}
	while (w->nheld)
		chk_free_one(w);
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
static void check_api(void)
{
	struct labyrinth_pool_config cfg = { .name = "grow", .nr_frames = 64, .max_frames = 160 };
	unsigned int f = opt.frames, i, n, got;
	char longname[LABYRINTH_POOL_NAME_MAX + 8];
	struct labyrinth_stats st;
	void **all, *foreign, *a, *two[3];
	long err;

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

	pool = labyrinth_pool_create("api", f);
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

	/* every kind of refused free, each counted once */
	foreign = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (foreign == MAP_FAILED)
		die("mmap failed\n");
	a = all[0];
	EXPECT(labyrinth_pool_free(pool, NULL) == -EINVAL, "free(NULL)\n");
	EXPECT(labyrinth_pool_free(pool, ERR_PTR(-EIO)) == -EINVAL, "free(ERR_PTR)\n");
	EXPECT(labyrinth_pool_free(pool, (char *)a + 8) == -EINVAL, "free(unaligned)\n");
	EXPECT(labyrinth_pool_free(pool, foreign) == -ENOENT, "free(foreign)\n");
	EXPECT(labyrinth_pool_free(pool, a) == 0, "free of an owned frame\n");
	EXPECT(labyrinth_pool_free(pool, a) == -EALREADY, "double free\n");
	two[0] = all[1];
	two[1] = all[1];
	EXPECT(labyrinth_pool_free_bulk(pool, two, 2) == -EALREADY, "bulk free listing twice\n");
	two[0] = all[2];
	two[1] = NULL;
	two[2] = foreign;
	err = labyrinth_pool_free_bulk(pool, two, 3);
	EXPECT(err == -EINVAL || err == -ENOENT, "bulk free with bad entries: %ld\n", err);
	EXPECT(labyrinth_pool_free_bulk(pool, all + 3, f - 3) == 0, "bulk free of the rest\n");
	munmap(foreign, PAGE_SIZE);

	/* one bulk grant of everything gives back exactly the same frames */
	got = labyrinth_pool_alloc_bulk(pool, all + f, f);
	EXPECT(got == f, "bulk grant of all %u frames gave %u\n", f, got);
	qsort(all + f, got, sizeof(*all), cmp_addr);
	EXPECT(got == f && !memcmp(all, all + f, f * sizeof(*all)),
	       "bulk grant gave other frames than the drain\n");
	for (i = 0; i < got / 2; i++) {	/* reversed: words from the top down */
		a = all[f + i];
		all[f + i] = all[f + got - 1 - i];
		all[f + got - 1 - i] = a;
	}
	EXPECT(labyrinth_pool_free_bulk(pool, all + f, got / 2) == 0, "bulk free\n");
	EXPECT(labyrinth_pool_free_bulk(pool, all + f + got / 2, got - got / 2) == 0,
	       "bulk free\n");
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
	unsigned int rounds, poisoned;
} tot;

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
	struct worker *m = &workers[0];	/* main borrows CPU 0 while workers wait */
	u64 grants = 0, frees = 0, nulls = 0, shorts = 0, handoffs = 0, received = 0;
	struct labyrinth_stats st;
	struct timespec ts;
	unsigned int i;

	lab_shim_registry_start(opt.frames);
	memset(chk_owner, 0, opt.frames * sizeof(*chk_owner));
	memset(mbox, 0, (size_t)opt.threads * opt.threads * sizeof(*mbox));
	pool = labyrinth_pool_create_config(&cfg);
	if (IS_ERR(pool))
		die("labyrinth_pool_create_config(%u, %u): %ld\n", cfg.nr_frames,
		    cfg.max_frames, PTR_ERR(pool));
	chk_poisoned = poison;
	lab_shim_warnings = 0;
	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		w->nheld = 0;
		w->grants = 0;
		w->frees = 0;
		w->nulls = 0;
		w->short_bulk = 0;
		w->handoffs = 0;
		w->received = 0;
	}

	__atomic_store_n(&chk_stop, 0, __ATOMIC_RELAXED);
	ctl.job = JOB_CHECK;
	ctl.active = opt.threads;
	pthread_barrier_wait(&ctl.start);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = ms % 1000 * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	__atomic_store_n(&chk_stop, 1, __ATOMIC_RELAXED);
	pthread_barrier_wait(&ctl.done);

	/* frames still in the mailboxes: freed by main, on their receivers' behalf */
	for (i = 0; i < opt.threads; i++)
		chk_receive(m, i);
	for (i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		grants += w->grants;
		frees += w->frees;
		nulls += w->nulls;
		shorts += w->short_bulk;
		handoffs += w->handoffs;
		received += w->received;
	}
	lab_shim_flush_workqueue();	/* a growth step may still be running */
	for (i = 0; i < opt.frames; i++)
		EXPECT(!chk_owner[i], "frame slot %u still owned by cpu %u at the end\n", i,
		       chk_owner[i] - 1);
	labyrinth_pool_read_stats(pool, &st);
	EXPECT(st.owned == 0, "%llu frames owned at the end\n", st.owned);
	EXPECT(st.grants == grants && st.frees == frees && st.failures == nulls + shorts,
	       "counters: grants %llu/%llu frees %llu/%llu failures %llu/%llu\n", st.grants,
	       grants, st.frees, frees, st.failures, nulls + shorts);
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
		       tot.rounds + 1, poison ? " (poisoned)" : "", st.grants, st.steals, nulls,
		       shorts);
		printf(" %llu frames (%llu added, %llu failed steps)\n", st.nr_frames,
		       st.refills, st.refill_failures);
	}
	EXPECT(handoffs == received, "%llu frames handed over, %llu received\n", handoffs,
	       received);
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
	tot.handoffs += handoffs;
	tot.nulls += nulls;
	tot.shorts += shorts;
	tot.refills += st.refills;
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

	lab_shim_quiet = true;	/* the refusals of phase A are deliberate */
	check_api();
	lab_shim_quiet = false;	/* from here on any warning is a finding */

	/* one-second rounds, alternately poisoned unless told */
	rounds = opt.seconds ? opt.seconds : 1;
	for (i = 0; i < rounds && !chk_errors; i++)
		check_round(opt.poison < 0 ? i % 2 : opt.poison, opt.seconds ? 1000 : 200);
	for (i = 0; i < opt.threads; i++)
		tot.ops += workers[i].ops;

	printf("check: %u threads (%u online at create), up to %u frames (growth from %u),",
	       opt.threads, opt.online, opt.frames, opt.frames / 2);
	printf(" %u held max, %u rounds (%u poisoned): %llu ops,", opt.held, tot.rounds,
	       tot.poisoned, tot.ops);
	printf(" %llu grants (%llu steals), %llu frees (%llu remote, %llu handed over),",
	       tot.grants, tot.steals, tot.frees, tot.remote, tot.handoffs);
	printf(" %llu NULL, %llu short bulk, %llu frames added by growth\n", tot.nulls,
	       tot.shorts, tot.refills);
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
		"       bench-native --check [--seconds S] [--threads T] [--online K] [--held H]\n"
		"                    [--frames F] [--seed X] [--poison|--no-poison] [--verbose]\n"
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
