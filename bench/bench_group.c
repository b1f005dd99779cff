// SPDX-License-Identifier: GPL-2.0
/*
 * Workers of labyrinth_bench.ko: a worker's reset, the round robin order
 * of the allocators, and groups of workers that start together on several
 * CPUs (the main thread and helper kthreads bound to the other CPUs, met
 * in a barrier), for scenarios c and d.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "labyrinth_bench.h"

struct bench_worker *bench_ws;

void bench_worker_init(struct bench_worker *w, enum bench_alloc a, unsigned int cpu)
{
	w->a = a;
	w->cpu = cpu;
	w->pp = bench.pp[cpu];
	w->direct = 1;
	w->fails = 0;
	w->errs = 0;
	w->err = 0;
	w->remote = 0;
	w->remote_exp = 0;
}

/*
 * The @i-th allocator of round @r: each round starts one allocator later,
 * so that no allocator is always the first (or last) of its round.
 */
enum bench_alloc bench_nth(unsigned int r, unsigned int i, unsigned int nr)
{
	return (r + i) % nr;
}

/* Allocators of every scenario, plus the scenario's own @extras (a mask). */
bool bench_member(enum bench_alloc a, unsigned long extras)
{
	return a < BA_NR_COMMON || (extras & BIT(a));
}

/* ---- workers on several CPUs ---- */

/* Sense-reversing barrier: every worker leaves once all have arrived. */
void bench_barrier(struct bench_group *g)
{
	unsigned int gen = READ_ONCE(g->gen);

	if (atomic_inc_return(&g->arrived) == g->n) {
		atomic_set(&g->arrived, 0);
		/* the reset above is visible before anyone leaves */
		smp_store_release(&g->gen, gen + 1);
		return;
	}
	/* pairs with the release above */
	while (smp_load_acquire(&g->gen) == gen)
		cpu_relax();
}

static int bench_helper(void *data)
{
	struct bench_worker *w = data;

	w->group->fn(w);
	kthread_complete_and_exit(&w->done, 0);
}

struct bench_group *bench_group_new(unsigned int n, enum bench_alloc a,
				    const unsigned int *cpus,
				    void (*fn)(struct bench_worker *w))
{
	struct bench_group *g = kzalloc(struct_size(g, w, n), GFP_KERNEL);
	unsigned int i;

	if (!g)
		return NULL;
	g->n = n;
	g->fn = fn;
	atomic_set(&g->arrived, 0);
	for (i = 0; i < n; i++) {
		bench_worker_init(&g->w[i], a, cpus[i]);
		g->w[i].group = g;
		g->w[i].role = i;
		init_completion(&g->w[i].done);
	}
	return g;
}

/*
 * Run g->fn on every worker's CPU at once: worker 0 here (the main thread,
 * bound to cpus[0]), the others in kthreads bound to theirs.  Every helper
 * is created before any is woken, so a failed creation leaves nobody
 * waiting in a barrier.
 */
int bench_group_run(struct bench_group *g)
{
	struct task_struct *t;
	unsigned int i, j;

	for (i = 1; i < g->n; i++) {
		t = kthread_create(bench_helper, &g->w[i], "lbench/%u", g->w[i].cpu);
		if (IS_ERR(t)) {
			for (j = 1; j < i; j++)
				kthread_stop(g->w[j].task);
			return PTR_ERR(t);
		}
		kthread_bind(t, g->w[i].cpu);
		g->w[i].task = t;
	}
	for (i = 1; i < g->n; i++)
		wake_up_process(g->w[i].task);
	g->fn(&g->w[0]);
	for (i = 1; i < g->n; i++)
		wait_for_completion(&g->w[i].done);
	return 0;
}
