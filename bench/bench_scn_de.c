// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios d and e of labyrinth_bench.ko: pages allocated on one CPU and
 * freed on another, in batches handed over through two buffers, with the
 * busy time of each side apart from its waiting; and alloc+free pairs in
 * hardirq context, from a hard irq_work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/cpumask.h>
#include <linux/hardirq.h>
#include <linux/irq_work.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timex.h>

#include "../labyrinth.h"
#include "labyrinth_bench.h"

/* ---- scenario d: allocated on one CPU, freed on another ---- */

static void bench_produce(struct bench_worker *w, unsigned long batches)
{
	struct bench_handoff *h;
	unsigned long k;
	u64 c0;

	w->busy = 0;
	bench_enter(w, true);
	bench_clock_start(w);
	for (k = 0; k < batches; k++) {
		h = &w->group->ho[k & 1];
		/* pairs with the consumer's release: it is done with h->obj[] */
		while (smp_load_acquire(&h->full))
			cpu_relax();
		w->buf = h->obj;
		c0 = get_cycles();
		bench_loops[w->a](w, BK_FILL, BENCH_BATCH);
		w->busy += get_cycles() - c0;
		/* the addresses are written before the consumer sees the batch */
		smp_store_release(&h->full, 1);
	}
	bench_clock_stop(w);
	bench_leave(w, true);
}

/* Frees run outside BH-disabled context: page_pool recycles via its ring. */
static void bench_consume(struct bench_worker *w, unsigned long batches)
{
	struct bench_handoff *h;
	unsigned long k;
	u64 c0;

	w->busy = 0;
	bench_enter(w, false);
	bench_clock_start(w);
	for (k = 0; k < batches; k++) {
		h = &w->group->ho[k & 1];
		/* pairs with the producer's release: the addresses are there */
		while (!smp_load_acquire(&h->full))
			cpu_relax();
		w->buf = h->obj;
		c0 = get_cycles();
		bench_loops[w->a](w, BK_DRAIN, BENCH_BATCH);
		w->busy += get_cycles() - c0;
		/* the frees are done before the producer refills the batch */
		smp_store_release(&h->full, 0);
	}
	bench_clock_stop(w);
	bench_leave(w, false);
}

static void bench_fn_cross(struct bench_worker *w)
{
	struct bench_group *g = w->group;

	/* a page goes back to the page_pool it came from: the allocating CPU's */
	w->pp = g->w[0].pp;
	w->direct = 0;
	bench_barrier(g);
	if (w->role == 0)
		bench_produce(w, cross_iters / BENCH_BATCH);
	else
		bench_consume(w, cross_iters / BENCH_BATCH);
}

/* The labyrinth pool behind @a, whose remote_frees d checks; else NULL. */
static struct labyrinth_pool *bench_cross_pool(enum bench_alloc a)
{
	switch (a) {
	case BA_LAB:
	case BA_LAB_BULK:
		return labyrinth_default_pool();
	case BA_LAB_POOL:
		return bench.lab_pool;
	default:
		return NULL;
	}
}

static u64 bench_remote_frees(struct labyrinth_pool *pool)
{
	struct labyrinth_stats st;

	if (!pool)
		return 0;
	labyrinth_pool_read_stats(pool, &st);
	return st.remote_frees;
}

/* One run of scenario d for @w's allocator, recorded as run @r - 1. */
static int bench_cross_run(struct bench_worker *w, unsigned int r)
{
	unsigned int cpus[2] = { bench.cpu0, bench.cpu1 };
	u64 pages = cross_iters / BENCH_BATCH * BENCH_BATCH, busy, remote0;
	struct labyrinth_pool *pool = bench_cross_pool(w->a);
	struct bench_worker *p, *c;
	struct bench_group *g;
	int err;

	g = bench_group_new(2, w->a, cpus, bench_fn_cross);
	if (!g)
		return -ENOMEM;
	remote0 = bench_remote_frees(pool);
	err = bench_group_run(g);
	p = &g->w[0];
	c = &g->w[1];
	if (!err) {
		w->fails += p->fails + c->fails;
		w->errs += p->errs + c->errs;
	}
	/* every page the other CPU freed is a remote free of the pool */
	if (!err && r && pool) {
		w->remote += bench_remote_frees(pool) - remote0;
		w->remote_exp += pages - c->fails;
	}
	if (!err && r) {
		busy = p->busy + c->busy;
		w->ps[r - 1] = div64_u64(bench_cycles_to_mns(busy), pages);
		w->mcyc[r - 1] = div64_u64(busy * 1000, pages);
		w->side[0][r - 1] = div64_u64(bench_cycles_to_mns(p->busy), pages);
		w->side[1][r - 1] = div64_u64(bench_cycles_to_mns(c->busy), pages);
		w->wall[r - 1] = div64_u64((max(p->t1, c->t1) - min(p->t0, c->t0)) * 1000, pages);
	}
	kfree(g);
	return err;
}

void bench_scn_d(const struct bench_scn *scn)
{
	struct bench_worker *w;
	enum bench_alloc a;
	unsigned int r, i;

	if (bench.cpu1 >= nr_cpu_ids) {
		for (a = 0; a < BA_NR; a++)
			if (bench_member(a, BIT(BA_LAB_BULK)))
				bench_na(a, "needs two online CPUs");
		return;
	}
	for (a = 0; a < BA_NR; a++)
		bench_worker_init(&bench_ws[a], a, bench.cpu0);
	for (r = 0; r <= runs; r++) {
		for (i = 0; i < BA_NR; i++) {
			a = bench_nth(r, i, BA_NR);
			w = &bench_ws[a];
			if (bench_member(a, BIT(BA_LAB_BULK)) && !w->err)
				w->err = bench_cross_run(w, r);
			cond_resched();
		}
	}
	for (a = 0; a < BA_NR; a++) {
		if (!bench_member(a, BIT(BA_LAB_BULK)))
			continue;
		w = &bench_ws[a];
		if (w->err) {
			bench_fail(a, "could not start the consumer kthread");
			continue;
		}
		bench_result_of(a, w);
		bench_spread_of(w->side[0], runs, &bench_res[a].side[0]);
		bench_spread_of(w->side[1], runs, &bench_res[a].side[1]);
		bench_spread_of(w->wall, runs, &bench_res[a].wall);
		if (a == BA_PAGE_POOL && bench_res[a].status == BS_OK)
			bench_res[a].note = "freed with allow_direct=false: via its ptr_ring";
		if (!bench_cross_pool(a))
			continue;
		bench_res[a].remote_frees = w->remote;
		bench_res[a].remote_expected = w->remote_exp;
		if (bench_res[a].status == BS_OK && w->remote != w->remote_exp)
			bench_fail(a,
				   "remote_frees did not rise by the pages freed on the other CPU");
		else if (bench_res[a].status == BS_OK)
			bench_res[a].note =
				"remote_frees rose by every page freed on the other CPU";
	}
}

/* ---- scenario e: hardirq ---- */

static struct {
	struct bench_worker *w;
	unsigned long n;
} bench_irq;

static void bench_irq_fn(struct irq_work *work)
{
	struct bench_worker *w = bench_irq.w;

	if (!in_hardirq())
		w->err = 1;
	bench_clock_start(w);
	bench_loops[w->a](w, BK_PAIRS, bench_irq.n);
	bench_clock_stop(w);
}

/* HARD: runs from the irq_work interrupt (a self-IPI on x86), even on RT. */
static struct irq_work bench_irq_work = IRQ_WORK_INIT_HARD(bench_irq_fn);

static void bench_in_hardirq(struct bench_worker *w, unsigned long n)
{
	bench_irq.w = w;
	bench_irq.n = n;
	if (!irq_work_queue(&bench_irq_work)) {
		w->err = -EBUSY;
		return;
	}
	irq_work_sync(&bench_irq_work);
}

void bench_scn_e(const struct bench_scn *scn)
{
	struct bench_worker *w;
	enum bench_alloc a;
	unsigned int r, i;

	for (a = 0; a < BA_NR_COMMON; a++)
		bench_worker_init(&bench_ws[a], a, bench.cpu0);
	for (r = 0; r <= runs; r++) {
		for (i = 0; i < BA_NR_COMMON; i++) {
			a = bench_nth(r, i, BA_NR_COMMON);
			w = &bench_ws[a];
			if (a == BA_PAGE_POOL || w->err)
				continue;
			bench_in_hardirq(w, iters);
			if (r)
				bench_record(w, r - 1, w->t1 - w->t0, w->c1 - w->c0, iters);
			cond_resched();
		}
	}
	for (a = 0; a < BA_NR_COMMON; a++) {
		w = &bench_ws[a];
		if (a == BA_PAGE_POOL)
			bench_na(a, "not allowed in this context: softirq/BH-disabled only");
		else if (w->err == 1)
			bench_fail(a, "irq_work callback did not run in hardirq context");
		else if (w->err)
			bench_fail(a, "irq_work already pending");
		else
			bench_result_of(a, w);
	}
}

