// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth's pool built in user space (bench/native/shim stands in for the
 * kernel headers), next to the magazine prototype of magazine.c: a
 * benchmark of both shapes and a concurrency check of either.  This file is
 * the harness: options, main() and the worker threads.  The benchmark is
 * bench.c (series, table, JSON) over bench_loops.c (the timed loops); the
 * check is check_stress.c (phase B) and check_api.c (phase A) over
 * check_common.c (owner table, canaries), and check_magazine.c for the
 * magazines; native.h ties them together.
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
#include "native.h"

const char *const shape_name[] = {
	[SHAPE_A] = "labyrinth",
	[SHAPE_B] = "magazine",
	[SHAPE_BL] = "magazine-local",
	[SHAPE_PP] = "page_pool-like",
	[SHAPE_FL] = "freelist",
};

struct bench_opts opt = {
	.poison = -1,
	.pairs = 1000000,
	.reps = 7,
	.held = 96,
	.seconds = 10,
};

struct worker workers[MAX_THREADS];
__thread struct worker *chk_self;	/* the worker this thread is */

struct bench_ctl ctl;

/* Stand-ins for labyrinth_debugfs.c, the part of labyrinth.ko not built here. */
void labyrinth_debugfs_add(struct labyrinth_pool *p)
{
}

void labyrinth_debugfs_remove(struct labyrinth_pool *p)
{
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(2);
}

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

void run_job(enum job_kind job, enum shape shape, unsigned int active,
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
			for (opt.shape = 0; opt.shape < SHAPE_CHECKED; opt.shape++)
				if (!strcmp(optarg, shape_name[opt.shape]))
					break;
			if (opt.shape == SHAPE_CHECKED)
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
