// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios f and g of labyrinth_bench.ko: the latency of single
 * allocations and of their frees, sample by sample, the steal path of a
 * labyrinth pool included, net of the timer's own median cost; and the
 * share of allocations that succeed once a hog has taken pages until
 * alloc_page(GFP_ATOMIC) fails, with more tries than any peer's reserve.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timex.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include "../labyrinth.h"
#include "labyrinth_bench.h"

/* Latency samples taken per stretch with preemption disabled. */
#define BENCH_LAT_CHUNK		4096

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

/*
 * The get_cycles() pair of a sample around an empty body, timed like
 * BK_LATENCY's samples, @n times: its p50 and p99 in cycles.
 */
static void bench_timer_cost(u32 *lat, unsigned int n, u32 *p50, u32 *p99)
{
	unsigned int i;
	u64 c0, c1;

	preempt_disable();
	for (i = 0; i < n; i++) {
		c0 = get_cycles();
		barrier();
		barrier();
		c1 = get_cycles();
		lat[i] = c1 - c0;
	}
	preempt_enable();
	sort(lat, n, sizeof(*lat), bench_cmp_u32, NULL);
	*p50 = bench_pct(lat, n, 500);
	*p99 = bench_pct(lat, n, 990);
}

/* A percentile in cycles, less the timer's median cost. */
static u32 bench_net(u32 cycles, u32 timer)
{
	return cycles > timer ? cycles - timer : 0;
}

static void bench_latency_result(enum bench_alloc a, u32 *lat, u32 *latf, u32 timer)
{
	struct bench_result *r = &bench_res[a];
	struct bench_worker *w = &bench_ws[a];

	sort(latf, samples, sizeof(*latf), bench_cmp_u32, NULL);
	r->f50 = bench_cycles_to_mns(bench_net(bench_pct(latf, samples, 500), timer));
	r->f99 = bench_cycles_to_mns(bench_net(bench_pct(latf, samples, 990), timer));
	sort(lat, samples, sizeof(*lat), bench_cmp_u32, NULL);
	r->c50 = bench_net(bench_pct(lat, samples, 500), timer);
	r->c99 = bench_net(bench_pct(lat, samples, 990), timer);
	r->c999 = bench_net(bench_pct(lat, samples, 999), timer);
	r->cmax = bench_net(lat[samples - 1], timer);
	r->v.med = bench_cycles_to_mns(r->c50);
	r->v.min = bench_cycles_to_mns(bench_net(lat[0], timer));
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
void bench_scn_f(const struct bench_scn *scn)
{
	unsigned int warm = min(samples, BENCH_LAT_CHUNK), done, chunk, i, k;
	u32 *lat[BA_NR] = { }, *latf[BA_NR] = { }, timer, timer99;
	struct labyrinth_stats st0, st1;
	struct bench_result *r;
	void **held = NULL;
	enum bench_alloc a;
	bool ok = bench.cal_cycles;

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

	/* what the get_cycles() pair reads around nothing, in every sample */
	bench_timer_cost(lat[0], samples, &timer, &timer99);
	pr_notice("LABYRINTH-BENCH-PROGRESS scenario f: get_cycles() pair costs %u cycles (p50), %u (p99); p50 subtracted from every percentile\n",
		  timer, timer99);

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

	for (a = 0; a <= BA_LAB_STEAL; a++) {
		bench_latency_result(a, lat[a], latf[a], timer);
		bench_res[a].timer_c50 = timer;
		bench_res[a].timer_c99 = timer99;
	}
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

/*
 * Take pages with @gfp until the page allocator says no; keep them on @hog.
 * *@refused tells whether it did say no (rather than the cap stopping it).
 */
static unsigned long bench_hog(struct list_head *hog, gfp_t gfp, bool *refused)
{
	unsigned long n = 0, cap = totalram_pages();
	struct page *page;

	*refused = false;
	while (n < cap) {
		page = alloc_page(gfp);
		if (!page) {
			*refused = true;
			break;
		}
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

/*
 * Put pool_pages pages, its reserve as every other peer's, into page_pool's
 * cache and ring before the hog starts.
 */
static void bench_page_pool_prefill(struct bench_worker *w, void **got)
{
	bench_worker_init(w, BA_PAGE_POOL, bench.cpu0);
	w->buf = got;
	bench_enter(w, true);
	bench_loops[BA_PAGE_POOL](w, BK_FILL, pool_pages);
	bench_loops[BA_PAGE_POOL](w, BK_DRAIN, pool_pages);
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
	default:
		return pool_pages;
	}
}

void bench_scn_g(const struct bench_scn *scn)
{
	struct bench_worker *w = &bench_ws[0];
	unsigned long hogged, free_before, free_after;
	struct bench_result *r;
	enum bench_alloc a;
	struct page *probe;
	bool refused;
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
	hogged = bench_hog(&hog, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, &refused);
	hogged += bench_hog(&hog, GFP_NOWAIT | __GFP_NOWARN, &refused);
	hogged += bench_hog(&hog, GFP_ATOMIC | __GFP_NOWARN, &refused);
	free_after = global_zone_page_state(NR_FREE_PAGES);
	pr_notice("LABYRINTH-BENCH-PROGRESS scenario g: hog holds %lu pages (%lu MiB) after %llu ms; free pages %lu -> %lu\n",
		  hogged, hogged >> (20 - PAGE_SHIFT), div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC),
		  free_before, free_after);

	for (a = 0; a < BA_NR_COMMON; a++) {
		r = &bench_res[a];
		/*
		 * Whatever the previous allocator gave back goes to the hog too,
		 * until alloc_page(GFP_ATOMIC) fails; one more try must fail.
		 */
		hogged += bench_hog(&hog, GFP_ATOMIC | __GFP_NOWARN, &refused);
		probe = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
		r->exhausted = refused && !probe;
		if (probe) {
			list_add(&probe->lru, &hog);
			hogged++;
		}
		r->hog = hogged;
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
		else if (!r->exhausted)
			bench_fail(a,
				   "the page allocator was not exhausted: alloc_page(GFP_ATOMIC) still gave pages");
		else if (r->tried <= r->reserve)
			bench_fail(a, "tries do not exceed the allocator's reserve");
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
