// SPDX-License-Identifier: GPL-2.0
/*
 * prezero: what a page clear costs where labyrinth can put it, natively.
 *
 *   prezero [--rounds R] [--evict MIB] [--json PATH]
 *
 * labyrinth's kernel policy clears a frame between two owners either at
 * grant (always, with LABYRINTH_POOL_NO_WIPE; or when the frame was granted
 * again before the background wipe reached it) or in the background wipe,
 * soon after the free.  The known argument against clearing early is that
 * the zeroes go cold: the new owner's first write then misses the cache.
 * Each round times 64 pages four ways, per page:
 *
 *   clear-write-hot        clear, then the owner's write, the page in cache
 *                          (a frame freed and granted again at once)
 *   clear-write-cold       the page evicted, then clear and write at grant
 *                          (a frame idle for long, cleared by its grant)
 *   write-cold-prezeroed   cleared, evicted, then only the owner's write
 *                          (the wipe cleared it long ago: the grant's share)
 *   clear-cold             the wipe's own clear of an evicted page
 *
 * write-cold-prezeroed against clear-write-cold is what the background wipe
 * takes off the grant path for a frame that sat idle; write-cold-prezeroed
 * plus clear-cold against clear-write-cold is what it costs in all.  The
 * clear and the write are memset(), which glibc does with the same string
 * stores the kernel's clear_page() uses on current x86.  Eviction writes a
 * buffer of --evict MiB (default 256, several times any last-level cache).
 * The median of R rounds (default 21) is printed, and written as JSON.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE		4096UL
#define PAGES		64
#define MAX_ROUNDS	201

enum { HOT, COLD, PREZEROED, WIPE, NR_WAYS };

static const char * const way_name[NR_WAYS] = {
	[HOT] = "clear-write-hot",
	[COLD] = "clear-write-cold",
	[PREZEROED] = "write-cold-prezeroed",
	[WIPE] = "clear-cold",
};

static const char * const way_what[NR_WAYS] = {
	[HOT] = "clear + owner's write, page in cache (granted again at once)",
	[COLD] = "page evicted, then clear + owner's write at grant (NO_WIPE, idle frame)",
	[PREZEROED] = "page cleared, evicted, then the owner's write only (wiped frame)",
	[WIPE] = "the background wipe's clear of an evicted page",
};

static unsigned char *pages, *evict;
static size_t evict_bytes = 256UL << 20;

/* The stores to @p happened and must stay: the compiler may not drop them. */
static void keep(const void *p)
{
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "prezero: mmap of %zu bytes: %s\n", bytes, strerror(errno));
		exit(1);
	}
	memset(p, 1, bytes);	/* fault every page in before timing */
	return p;
}

/* Push every line of the test pages out of the caches. */
static void evict_all(void)
{
	static unsigned char v;

	memset(evict, ++v, evict_bytes);
	keep(evict);
}

static double time_pages(int clear, int write)
{
	double t = now_ns();
	unsigned int i;

	for (i = 0; i < PAGES; i++) {
		if (clear)
			memset(pages + i * PAGE, 0, PAGE);
		if (write)
			memset(pages + i * PAGE, 0x5a, PAGE);
	}
	keep(pages);
	t = now_ns() - t;
	return t / PAGES;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "evict", required_argument, NULL, 'e' },
		{ "json", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static double ns[NR_WAYS][MAX_ROUNDS];
	unsigned int rounds = 21, r, w;
	const char *json = NULL;
	double cold;
	cpu_set_t one;
	FILE *f;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'e':
			evict_bytes = strtoul(optarg, NULL, 10) << 20;
			break;
		case 'j':
			json = optarg;
			break;
		default:
			fputs("usage: prezero [--rounds R] [--evict MIB] [--json PATH]\n", stderr);
			return 2;
		}
	}
	if (!rounds || rounds > MAX_ROUNDS || evict_bytes < (1UL << 20)) {
		fprintf(stderr, "prezero: --rounds 1 to %d, --evict at least 1 MiB\n", MAX_ROUNDS);
		return 2;
	}
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);	/* one cache hierarchy throughout */
	pages = map(PAGES * PAGE);
	evict = map(evict_bytes);

	time_pages(1, 1);	/* warm-up */
	for (r = 0; r < rounds; r++) {
		time_pages(1, 1);
		ns[HOT][r] = time_pages(1, 1);
		evict_all();
		ns[COLD][r] = time_pages(1, 1);
		evict_all();
		ns[WIPE][r] = time_pages(1, 0);
		evict_all();
		ns[PREZEROED][r] = time_pages(0, 1);
	}
	printf("prezero: %u rounds of %d pages, eviction by writing %zu MiB; ns per 4 KiB page\n",
	       rounds, PAGES, evict_bytes >> 20);
	printf("%-22s %8s %8s %8s  %s\n", "way", "ns", "min", "max", "what");
	for (w = 0; w < NR_WAYS; w++) {
		qsort(ns[w], rounds, sizeof(double), cmp_double);
		printf("%-22s %8.1f %8.1f %8.1f  %s\n", way_name[w], ns[w][rounds / 2], ns[w][0],
		       ns[w][rounds - 1], way_what[w]);
	}
	cold = ns[COLD][rounds / 2];
	printf("grant + first write of an idle frame, without / with the wipe: %.2f\n",
	       cold / ns[PREZEROED][rounds / 2]);
	printf("all the work, without / with the wipe (its clear counted): %.2f\n",
	       cold / (ns[PREZEROED][rounds / 2] + ns[WIPE][rounds / 2]));
	if (!json)
		return 0;
	f = fopen(json, "w");
	if (!f) {
		fprintf(stderr, "prezero: %s: %s\n", json, strerror(errno));
		return 1;
	}
	fprintf(f, "{\n  \"tool\": \"prezero\",\n  \"rounds\": %u,\n", rounds);
	fprintf(f, "  \"pages_per_round\": %d,\n  \"evict_mib\": %zu,\n", PAGES, evict_bytes >> 20);
	fprintf(f, "  \"records\": [\n");
	for (w = 0; w < NR_WAYS; w++) {
		fprintf(f, "    {\"way\": \"%s\", \"ns_per_page\": %.2f, ", way_name[w],
			ns[w][rounds / 2]);
		fprintf(f, "\"min\": %.2f, \"max\": %.2f}%s\n", ns[w][0], ns[w][rounds - 1],
			w + 1 < NR_WAYS ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f) ? 1 : 0;
}
