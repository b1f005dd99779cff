// SPDX-License-Identifier: GPL-2.0
/*
 * What the torture does besides its sources' honest grants and frees:
 * deliberate bad frees, two CPUs freeing the same frames at once (the
 * duel), and the memory hog.
 */

#define pr_fmt(fmt) "labyrinth_torture: " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/smp.h>
#include <linux/vmstat.h>
#include "engine.h"

static void lt_expect(struct lt_source *s, int err, int want, const char *what)
{
	if (err != want)
		lt_fault(s->t, LABYRINTH_TORTURE_MISUSE, "%s by %s/%u: free returned %d, not %d",
			 what, lt_ctx_names[s->ctx], s->home, err, want);
}

/* One deliberate bad free; each must be refused with its documented error. */
void lt_misuse(struct lt_source *s)
{
	struct lt_torture *t = s->t;
	unsigned int r = prandom_u32_state(&s->rnd);
	void *p, *pair[2];

	lt_inc(&s->c.misuse);
	if (!s->solo)	/* a CPU that came online after the start */
		r |= 3;
	if (r % 4 == 3) {
		lt_expect(s, labyrinth_pool_free(t->pool, NULL), -EINVAL, "NULL");
		lt_expect(s, labyrinth_pool_free(t->pool, ERR_PTR(-ENOMEM)), -EINVAL, "ERR_PTR");
		atomic_long_add(2, &t->want_bad_addr);
		if (s->nr_held) {
			p = s->held[(r >> 8) % s->nr_held].addr;
			lt_expect(s, labyrinth_pool_free(t->pool, p + 8 * (1 + (r >> 16) % 511)),
				  -EINVAL, "address inside a held frame");
			atomic_long_inc(&t->want_bad_addr);
		}
		return;
	}
	/* the private pool is only ever used here, so it is never empty */
	p = labyrinth_pool_alloc(s->solo);
	if (!p) {
		lt_fault(t, LABYRINTH_TORTURE_RESERVE, "private pool of %s/%u empty",
			 lt_ctx_names[s->ctx], s->home);
		return;
	}
	switch (r % 4) {
	case 0:
		lt_expect(s, labyrinth_pool_free(s->solo, p), 0, "first free");
		lt_expect(s, labyrinth_pool_free(s->solo, p), -EALREADY, "double free");
		atomic_long_inc(&t->want_solo_double);
		break;
	case 1:
		pair[0] = p;
		pair[1] = p;
		lt_expect(s, labyrinth_pool_free_bulk(s->solo, pair, 2), -EALREADY,
			  "bulk free listing a frame twice");
		atomic_long_inc(&t->want_solo_double);
		break;
	default:
		lt_expect(s, labyrinth_pool_free(t->pool, p), -ENOENT, "another pool's frame");
		atomic_long_inc(&t->want_foreign);
		lt_expect(s, labyrinth_pool_free(s->solo, p), 0, "free to its own pool");
		break;
	}
}

/*
 * Two CPUs free the same frames at the same moment: exactly one free of
 * each may succeed, the other must be refused with -EALREADY.  Nothing
 * else uses the duel pool, so no frame can be granted again in between.
 */
static void lt_duel_remote(void *info)
{
	struct lt_torture *t = info;
	struct lt_duel *d = &t->duel;
	unsigned int i;

	WRITE_ONCE(d->ready, 1);
	for (i = 0; !READ_ONCE(d->go) && i < LT_SPIN_US; i++)
		udelay(1);
	for (i = 0; i < d->nr; i++)
		d->ret[1][i] = labyrinth_pool_free(t->duel_pool, d->addr[i]);
	/* our results before the flag: pairs with the acquire in lt_duel() */
	smp_store_release(&d->done, 1);
}

void lt_duel(struct lt_torture *t)
{
	struct lt_duel *d = &t->duel;
	unsigned int i, wins, other;
	void *p;
	int err;

	for (d->nr = 0; d->nr < LT_DUEL_FRAMES; d->nr++) {
		p = labyrinth_pool_alloc(t->duel_pool);
		if (!p)
			break;
		d->addr[d->nr] = p;
	}
	WRITE_ONCE(d->ready, 0);
	WRITE_ONCE(d->go, 0);
	WRITE_ONCE(d->done, 0);
	cpus_read_lock();
	preempt_disable();
	other = cpumask_any_but(cpu_online_mask, smp_processor_id());
	if (other >= nr_cpu_ids || smp_call_function_single(other, lt_duel_remote, t, 0)) {
		preempt_enable();
		cpus_read_unlock();
		for (i = 0; i < d->nr; i++) {
			err = labyrinth_pool_free(t->duel_pool, d->addr[i]);
			if (err)
				lt_fault(t, LABYRINTH_TORTURE_REFUSED, "duel pfn %lx: %d",
					 lt_pfn(d->addr[i]), err);
		}
		return;
	}
	for (i = 0; !READ_ONCE(d->ready) && i < LT_SPIN_US; i++)
		udelay(1);
	WRITE_ONCE(d->go, 1);
	for (i = 0; i < d->nr; i++)
		d->ret[0][i] = labyrinth_pool_free(t->duel_pool, d->addr[i]);
	/* pairs with the release in lt_duel_remote(): its results after it */
	while (!smp_load_acquire(&d->done))
		cpu_relax();
	preempt_enable();
	cpus_read_unlock();

	for (i = 0; i < d->nr; i++) {
		wins = !d->ret[0][i] + !d->ret[1][i];
		if (wins != 1 || d->ret[0][i] + d->ret[1][i] != -EALREADY)
			lt_fault(t, LABYRINTH_TORTURE_DUEL,
				 "pfn %lx freed at once on CPUs %d and %u: %d and %d",
				 lt_pfn(d->addr[i]), raw_smp_processor_id(), other, d->ret[0][i],
				 d->ret[1][i]);
	}
	atomic_long_add(d->nr, &t->want_duel_double);
	t->res->duel_frames += d->nr;
}

/* Pages the page allocator keeps free before kswapd goes back to sleep. */
static unsigned long lt_high_watermarks(void)
{
	unsigned long sum = 0;
	struct zone *zone;
	int nid, z;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (populated_zone(zone))
				sum += high_wmark_pages(zone);
		}
	}
	return sum;
}

/*
 * Memory pressure: take every page the page allocator gives without trying
 * hard, until it refuses, then give back just enough for free memory to
 * sit @hog_slack pages above the high watermarks, so that user space can
 * still fork and nothing calls the OOM killer.  Chunks of order 8 at most,
 * given back largest first: orders 4 to 8 go straight back to the buddy
 * allocator, not to a per-CPU list that only this CPU could use.
 */
void lt_hog(struct lt_torture *t)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
	unsigned int order = min_t(unsigned int, pageblock_order, 8);
	unsigned long given = 0, want;
	struct page *page;

	t->hogged = true;
	while (!READ_ONCE(t->stop)) {
		page = alloc_pages(gfp, order);
		if (!page) {
			if (!order)
				break;
			order--;
			continue;
		}
		set_page_private(page, order);
		list_add_tail(&page->lru, &t->hog);
		t->hog_pages += 1UL << order;
		cond_resched();
	}
	want = lt_high_watermarks() + t->cfg->hog_slack;
	pr_info("hog: allocation failed with %lu pages held, %lu free pages left, high watermarks + slack %lu\n",
		t->hog_pages, global_zone_page_state(NR_FREE_PAGES), want);
	while (global_zone_page_state(NR_FREE_PAGES) < want && !list_empty(&t->hog)) {
		page = list_first_entry(&t->hog, struct page, lru);
		list_del(&page->lru);
		given += 1UL << page_private(page);
		__free_pages(page, page_private(page));
	}
	t->hog_pages -= given;
	t->res->hog_pages = t->hog_pages;
	t->res->hog_free_pages = global_zone_page_state(NR_FREE_PAGES);
	pr_info("hog: holding %lu pages (%lu MiB) after giving back %lu, %lu free pages\n",
		t->hog_pages, t->hog_pages >> (20 - PAGE_SHIFT), given, t->res->hog_free_pages);
}

void lt_unhog(struct lt_torture *t)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &t->hog, lru) {
		list_del(&page->lru);
		__free_pages(page, page_private(page));
	}
}
