// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios a, b and c of labyrinth_bench.ko: alloc+free pairs and bursts
 * of 64 on one CPU, every allocator's runs round robin with the others',
 * and pairs on every online CPU at once against the same code on one CPU
 * alone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/cpumask.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "labyrinth_bench.h"

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

void bench_scn_a(const struct bench_scn *scn)
{
	bench_single(BK_PAIRS, iters, iters,
		     BIT(BA_FLOOR) | BIT(BA_LAB_SINGLE) | BIT(BA_LAB_NOWIPE));
}

void bench_scn_b(const struct bench_scn *scn)
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

void bench_scn_c(const struct bench_scn *scn)
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
