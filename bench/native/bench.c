// SPDX-License-Identifier: GPL-2.0
/*
 * The native benchmark (bench-native without --check): every scenario of
 * bench_loops.c for each pool shape and the floors, with one thread and
 * with one per core, a warm-up round and then interleaved repetitions;
 * medians, the table, the pools' counters and the JSON.
 */
#include "native.h"

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

static const char *const shape_tag[] = {
	[SHAPE_A] = "a",
	[SHAPE_B] = "b",
	[SHAPE_BL] = "b-local",
	[SHAPE_PP] = "pp",
	[SHAPE_FL] = "fl",
};

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
	} else if (shape == SHAPE_PP) {
		pp_peer_destroy(ppeer);
		ppeer = pp_peer_create(opt.frames, opt.threads);
	} else if (shape == SHAPE_FL) {
		fl_peer_destroy(flpeer);
		flpeer = fl_peer_create(opt.frames, opt.threads);
	} else {
		if (mag_pool_destroy(mpool[shape]))
			die("mag_pool_destroy failed\n");
		mpool[shape] = mag_pool_create(opt.frames, shape == SHAPE_BL ? MAG_POOL_LOCAL : 0);
	}
	if (IS_ERR(pool) || IS_ERR(mpool[SHAPE_B]) || IS_ERR(mpool[SHAPE_BL]) || IS_ERR(ppeer) ||
	    IS_ERR(flpeer))
		die("pool create failed\n");
}

static void one_round(struct series *s, int rep)
{
	/* the hand-over scenarios pair threads up: an odd one out sits still */
	bool pairs = s->job == JOB_CROSS || s->job == JOB_XFLOOR;
	bool floor = s->job == JOB_FLOOR || s->job == JOB_XFLOOR;
	bool bulk = s->job == JOB_BULK && (s->shape == SHAPE_B || s->shape == SHAPE_BL);
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
	struct peer_count pc;
	struct mag_stats ms;

	if (shape == SHAPE_PP || shape == SHAPE_FL) {
		if (shape == SHAPE_PP)
			pp_peer_count(ppeer, &pc);
		else
			fl_peer_count(flpeer, &pc);
		if (pc.free == pc.total)
			return true;
		fprintf(stderr, "%s: %s holds %lu of its %lu frames after the runs\n", __func__,
			shape_name[shape], pc.free, pc.total);
		return false;
	}
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

int run_bench(void)
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
	ppeer = pp_peer_create(opt.frames, opt.threads);
	flpeer = fl_peer_create(opt.frames, opt.threads);
	if (IS_ERR(ppeer) || IS_ERR(flpeer))
		die("peer create failed\n");
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
				if (jobs[i] != JOB_CROSS || shape_remote_free(sh))
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
	printf("peers without an exclusivity check (peers.h): page_pool-like = pp (a pool per\n");
	printf("thread: array cache + locked ring), freelist = fl (per-thread list, no cross);\n");
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
	pp_peer_destroy(ppeer);
	fl_peer_destroy(flpeer);
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
