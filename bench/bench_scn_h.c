// SPDX-License-Identifier: GPL-2.0
/*
 * Scenario h of labyrinth_bench.ko: bursts of 64 allocations after an
 * idle spell, the time a background wipe gets, each page then written
 * whole, so that a clear at grant and a clear done earlier are compared
 * by what the owner pays for both.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sort.h>
#include <linux/string.h>

#include "labyrinth_bench.h"

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

void bench_scn_h(const struct bench_scn *scn)
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
