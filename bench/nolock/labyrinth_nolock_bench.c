// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth_nolock_bench: the kernel's own NMI-safe page allocator,
 * alloc_pages_nolock() (Linux 6.15+), beside labyrinth, page_pool and
 * alloc_page(GFP_ATOMIC), all in one boot.  Everything runs in the module's
 * init; results go to the console, one line each:
 *
 *   LABYRINTH-NOLOCK-INFO {json}  kernel, PREEMPT_RT or not, parameters
 *   LABYRINTH-NOLOCK {json}       one (kind, context, peer) result
 *   LABYRINTH-NOLOCK-END {json}   the last line
 *
 * Pair cost: one page taken and given back, in @runs rounds after a warm-up,
 * each round a timed stretch of every peer in turn; the median stretch's ns
 * per operation.
 *   process  a task pinned to its CPU: preemption disabled, or on PREEMPT_RT
 *            migration disabled (alloc_page and __free_page take sleeping
 *            spinlocks there); page_pool with BH disabled as well
 *   hardirq  a hard irq_work (IRQ_WORK_INIT_HARD, hardirq on RT too)
 *   nmi      an NMI IPI to self caught by an NMI_LOCAL handler
 * free_pages_nolock() is not exported, so where __free_page() is not legal
 * (NMI; hardirq on RT) nolock's pages are kept in an array and freed in
 * process context after the stretch: there its figure is allocation only.
 * page_pool is legal in process and softirq context only, alloc_page in NMI
 * never and in hardirq not on RT: those results are "na".  clear_page is a
 * reference, not an allocator: alloc_pages_nolock() zeroes every page.
 *
 * Memory pressure: a hog takes every page the buddy allocator gives, then
 * each peer is asked for @tries pages, more than any peer's reserve, all
 * kept until every peer has had its turn.
 *
 * Guest times are emulated under QEMU TCG: compare ratios only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/irq_work.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/utsname.h>
#include <net/page_pool/helpers.h>
#include <net/page_pool/types.h>
#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <asm/nmi.h>
#endif

#include "../../labyrinth.h"

#define NB_MAX_RUNS	201

static unsigned int iters = 500;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "Pairs per timed stretch in process context (default 500)");

static unsigned int irq_iters = 500;
module_param(irq_iters, uint, 0444);
MODULE_PARM_DESC(irq_iters, "Pairs per stretch in hardirq and NMI context (default 500)");

static unsigned int runs = 201;
module_param(runs, uint, 0444);
MODULE_PARM_DESC(runs, "Timed stretches per figure after one warm-up, 1-201 (default 201)");

static unsigned int pool_pages = 256;
module_param(pool_pages, uint, 0444);
MODULE_PARM_DESC(pool_pages, "Frames of labyrinth's pool and page_pool's ring (default 256)");

static unsigned int tries;
module_param(tries, uint, 0444);
MODULE_PARM_DESC(tries, "Allocations tried per peer under memory pressure (default 2 * pool_pages)");

enum nb_peer { NB_LAB, NB_NOLOCK, NB_PAGE_POOL, NB_ALLOC_PAGE, NB_CLEAR, NB_NR_PEERS };
enum nb_ctx { NB_PROCESS, NB_HARDIRQ, NB_NMI, NB_NR_CTX };

static const char * const nb_peer_name[NB_NR_PEERS] = {
	[NB_LAB] = "labyrinth", [NB_NOLOCK] = "nolock", [NB_PAGE_POOL] = "page_pool",
	[NB_ALLOC_PAGE] = "alloc_page", [NB_CLEAR] = "clear_page",
};

static const char * const nb_ctx_name[NB_NR_CTX] = {
	[NB_PROCESS] = "process", [NB_HARDIRQ] = "hardirq", [NB_NMI] = "nmi",
};

/**
 * struct nb_stretch - one timed stretch, filled where it runs
 * @peer: allocator measured
 * @ctx: context it must run in
 * @n: operations tried
 * @ok: operations whose allocation succeeded
 * @errs: frees refused (labyrinth)
 * @ns: elapsed time, from ktime_get_mono_fast_ns() (NMI-safe)
 * @ctx_ok: the context checks held (in_task(), in_hardirq(), in_nmi())
 * @stashed: nolock pages kept for a free in process context
 */
struct nb_stretch {
	enum nb_peer peer;
	enum nb_ctx ctx;
	u32 n;
	u32 ok;
	u32 errs;
	u64 ns;
	bool ctx_ok;
	u32 stashed;
};

/**
 * struct nb_tally - one peer's results in one context, over every round
 * @why: why the peer cannot run in this context, or NULL
 * @timed: timed stretches run, the warm-up left out
 * @tried: operations tried in them
 * @ok: operations whose allocation succeeded
 * @errs: frees refused
 * @lost: stretches whose context never ran them (NMI not delivered)
 * @ctx_ok: the context checks held in every stretch
 */
struct nb_tally {
	const char *why;
	u32 timed;
	u32 tried;
	u32 ok;
	u32 errs;
	u32 lost;
	bool ctx_ok;
};

/**
 * struct nb_state - everything the benchmark holds
 * @pool: labyrinth pool of @pool_pages frames, fixed reserve
 * @pp: page_pool without a device, used from one CPU at a time
 * @scratch: page clear_page() writes
 * @stash: nolock pages allocated where they cannot be freed, @irq_iters long
 * @cur: stretch the hardirq or NMI handler runs
 * @work: hard irq_work that runs @cur in hardirq
 * @nmi_state: 0 idle, 1 NMI sent, 2 handler running, 3 handler done
 * @nmi_registered: our NMI_LOCAL handler is in place
 * @tally: each peer's results in the context being measured
 * @ns: each peer's stretches in that context, tenths of a ns per operation
 * @records: result lines printed
 * @failed: results that break a promise (context, labyrinth failure)
 */
struct nb_state {
	struct labyrinth_pool *pool;
	struct page_pool *pp;
	void *scratch;
	struct page **stash;
	struct nb_stretch *cur;
	struct irq_work work;
	atomic_t nmi_state;
	bool nmi_registered;
	struct nb_tally tally[NB_NR_PEERS];
	u64 ns[NB_NR_PEERS][NB_MAX_RUNS];
	u32 records;
	u32 failed;
};

static struct nb_state nb;

#ifdef alloc_pages_nolock
#define nb_have_nolock()	true
#define nb_nolock_alloc()	alloc_pages_nolock(0, NUMA_NO_NODE, 0)
#else
#define nb_have_nolock()	false
#define nb_nolock_alloc()	((struct page *)NULL)
#endif

/* Why @peer cannot run in @ctx, or NULL when it can. */
static const char *nb_illegal(enum nb_peer peer, enum nb_ctx ctx)
{
	if (peer == NB_NOLOCK && !nb_have_nolock())
		return "no alloc_pages_nolock() in this kernel";
	if (ctx == NB_NMI && !nb.nmi_registered)
		return "no NMI IPI to self here";
	if (peer == NB_PAGE_POOL && ctx != NB_PROCESS)
		return "page_pool is for process and softirq context only";
	if (peer == NB_ALLOC_PAGE && ctx == NB_NMI)
		return "alloc_page is not NMI-safe";
	if (peer == NB_ALLOC_PAGE && ctx == NB_HARDIRQ && IS_ENABLED(CONFIG_PREEMPT_RT))
		return "alloc_page takes sleeping locks in hardirq on PREEMPT_RT";
	return NULL;
}

/* __free_page() is legal in task and softirq context, and in hardirq but on RT. */
static bool nb_can_free(enum nb_ctx ctx)
{
	return ctx == NB_PROCESS || (ctx == NB_HARDIRQ && !IS_ENABLED(CONFIG_PREEMPT_RT));
}

static bool nb_ctx_holds(enum nb_ctx ctx)
{
	switch (ctx) {
	case NB_PROCESS:
		return in_task();
	case NB_HARDIRQ:
		return in_hardirq() && !in_nmi();
	default:
		return in_nmi();
	}
}

/* The measured loop: every context calls this. */
static noinline void nb_loop(struct nb_stretch *s)
{
	bool defer = !nb_can_free(s->ctx);
	struct page *page;
	void *addr;
	u64 t0;
	u32 i;

	s->ctx_ok = nb_ctx_holds(s->ctx);
	t0 = ktime_get_mono_fast_ns();
	switch (s->peer) {
	case NB_LAB:
		for (i = 0; i < s->n; i++) {
			addr = labyrinth_pool_alloc(nb.pool);
			if (!addr)
				continue;
			s->ok++;
			if (labyrinth_pool_free(nb.pool, addr))
				s->errs++;
		}
		break;
	case NB_NOLOCK:
		for (i = 0; i < s->n; i++) {
			page = nb_nolock_alloc();
			if (!page)
				continue;
			s->ok++;
			if (defer)
				nb.stash[s->stashed++] = page;
			else
				__free_page(page);
		}
		break;
	case NB_PAGE_POOL:
		for (i = 0; i < s->n; i++) {
			page = page_pool_alloc_pages(nb.pp, GFP_ATOMIC | __GFP_NOWARN);
			if (!page)
				continue;
			s->ok++;
			page_pool_put_full_page(nb.pp, page, true);
		}
		break;
	case NB_ALLOC_PAGE:
		for (i = 0; i < s->n; i++) {
			page = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
			if (!page)
				continue;
			s->ok++;
			__free_page(page);
		}
		break;
	default:
		for (i = 0; i < s->n; i++)
			clear_page(nb.scratch);
		s->ok = s->n;
		break;
	}
	s->ns = ktime_get_mono_fast_ns() - t0;
	s->ctx_ok = s->ctx_ok && nb_ctx_holds(s->ctx);
}

/*
 * Pinned to one CPU for the stretch.  On PREEMPT_RT the page allocator's
 * locks sleep, so the task stays preemptible there and only its migration
 * is disabled.
 */
static void nb_pin(bool bh)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		migrate_disable();
	else
		preempt_disable();
	if (bh)
		local_bh_disable();
}

static void nb_unpin(bool bh)
{
	if (bh)
		local_bh_enable();
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		migrate_enable();
	else
		preempt_enable();
}

static void nb_irq_work(struct irq_work *work)
{
	nb_loop(nb.cur);
}

#ifdef CONFIG_X86_LOCAL_APIC
static int nb_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	if (atomic_cmpxchg(&nb.nmi_state, 1, 2) != 1)
		return NMI_DONE;
	nb_loop(nb.cur);
	atomic_set_release(&nb.nmi_state, 3);
	return NMI_HANDLED;
}

static void nb_nmi_register(void)
{
	nb.nmi_registered = !register_nmi_handler(NMI_LOCAL, nb_nmi_handler, 0,
						  "labyrinth_nolock");
}

static void nb_nmi_unregister(void)
{
	if (nb.nmi_registered)
		unregister_nmi_handler(NMI_LOCAL, "labyrinth_nolock");
}

/* Raise one NMI on this CPU and wait up to a second for our handler to finish. */
static noinline bool nb_nmi_run(void)
{
	u64 deadline = ktime_get_mono_fast_ns() + NSEC_PER_SEC;

	atomic_set(&nb.nmi_state, 1);
	preempt_disable();
	apic->send_IPI_self(NMI_VECTOR);
	preempt_enable();
	while (atomic_read_acquire(&nb.nmi_state) != 3) {
		if (ktime_get_mono_fast_ns() > deadline &&
		    atomic_cmpxchg(&nb.nmi_state, 1, 0) == 1)
			return false;	/* never delivered, and now never will run */
		cpu_relax();
	}
	atomic_set(&nb.nmi_state, 0);
	return true;
}
#else
static void nb_nmi_register(void) { }
static void nb_nmi_unregister(void) { }
static bool nb_nmi_run(void) { return false; }
#endif

/* Give back what a stretch stashed: process context, where freeing is legal. */
static void nb_drain_stash(struct nb_stretch *s)
{
	while (s->stashed)
		__free_page(nb.stash[--s->stashed]);
}

/* One stretch in its context; false when the context never ran it. */
static noinline bool nb_run_stretch(struct nb_stretch *s)
{
	bool bh = s->peer == NB_PAGE_POOL;
	bool ran = true;

	nb.cur = s;
	switch (s->ctx) {
	case NB_PROCESS:
		nb_pin(bh);
		nb_loop(s);
		nb_unpin(bh);
		break;
	case NB_HARDIRQ:
		irq_work_queue(&nb.work);
		irq_work_sync(&nb.work);
		break;
	default:
		ran = nb_nmi_run();
		break;
	}
	nb_drain_stash(s);
	return ran;
}

static int nb_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Tenths of a ns as "12.3". */
static void nb_fmt(char *buf, size_t len, u64 tenths)
{
	u32 rem;
	u64 whole = div_u64_rem(tenths, 10, &rem);

	snprintf(buf, len, "%llu.%u", whole, rem);
}

/* Print one peer's figures in @ctx, from what nb_measure() gathered. */
static noinline void nb_report(enum nb_peer peer, enum nb_ctx ctx)
{
	struct nb_tally *t = &nb.tally[peer];
	u32 r = t->timed;
	char med[24], lo[24];
	bool pair = peer != NB_NOLOCK || nb_can_free(ctx);

	nb.records++;
	if (t->why) {
		pr_notice("LABYRINTH-NOLOCK {\"kind\":\"pair\",\"ctx\":\"%s\",\"peer\":\"%s\",\"na\":\"%s\"}\n",
			  nb_ctx_name[ctx], nb_peer_name[peer], t->why);
		return;
	}
	sort(nb.ns[peer], r, sizeof(nb.ns[peer][0]), nb_cmp_u64, NULL);
	nb_fmt(med, sizeof(med), r ? nb.ns[peer][r / 2] : 0);
	nb_fmt(lo, sizeof(lo), r ? nb.ns[peer][0] : 0);
	/* labyrinth holds one frame at a time here: any failure is a bug */
	if (!t->ctx_ok || t->lost || t->errs || (peer == NB_LAB && t->ok != t->tried))
		nb.failed++;
	pr_notice("LABYRINTH-NOLOCK {\"kind\":\"pair\",\"ctx\":\"%s\",\"peer\":\"%s\",\"measures\":\"%s\",\"ns\":%s,\"ns_min\":%s,\"ok\":%u,\"n\":%u,\"runs\":%u,\"lost\":%u,\"errs\":%u,\"ctx_ok\":%d}\n",
		  nb_ctx_name[ctx], nb_peer_name[peer], pair ? "pair" : "alloc",
		  med, lo, t->ok, t->tried, r, t->lost, t->errs, t->ctx_ok);
}

/*
 * Pair cost (allocation cost where a free is not legal) of every peer in
 * @ctx, and its success rate: @runs rounds after one warm-up, each round
 * one stretch of every peer in turn, so that a slow spell of the host
 * weighs on every peer alike.
 */
static noinline void nb_measure(enum nb_ctx ctx)
{
	u32 n = ctx == NB_PROCESS ? iters : irq_iters;
	struct nb_stretch s;
	struct nb_tally *t;
	int peer;
	u32 r;

	memset(nb.tally, 0, sizeof(nb.tally));
	for (peer = 0; peer < NB_NR_PEERS; peer++) {
		nb.tally[peer].why = nb_illegal(peer, ctx);
		nb.tally[peer].ctx_ok = true;
	}
	for (r = 0; r <= runs; r++) {
		for (peer = 0; peer < NB_NR_PEERS; peer++) {
			t = &nb.tally[peer];
			if (t->why)
				continue;
			s = (struct nb_stretch){ .peer = peer, .ctx = ctx, .n = n };
			if (!nb_run_stretch(&s)) {
				t->lost++;
				continue;
			}
			t->ctx_ok = t->ctx_ok && s.ctx_ok;
			if (!r)
				continue;	/* warm-up */
			nb.ns[peer][t->timed++] = div_u64(s.ns * 10, n);	/* 0.1 ns */
			t->tried += n;
			t->ok += s.ok;
			t->errs += s.errs;
		}
		cond_resched();
	}
	for (peer = 0; peer < NB_NR_PEERS; peer++)
		nb_report(peer, ctx);
}

/* ---- memory pressure ---- */

/* Take pages with @gfp until the page allocator says no; keep them on @hog. */
static noinline unsigned long nb_hog(struct list_head *hog, gfp_t gfp)
{
	unsigned long n = 0, cap = totalram_pages();
	struct page *page;

	while (n < cap) {
		page = alloc_page(gfp);
		if (!page)
			break;
		list_add(&page->lru, hog);
		if (!(++n % 1024))
			cond_resched();
	}
	return n;
}

static void nb_hog_release(struct list_head *hog)
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
 * Up to @tries grants of @peer in process context, every page kept in
 * @got; labyrinth's come back to its pool at the end, the others join the
 * hog so that no peer lives off what another gave back.
 */
static noinline u32 nb_pressure_peer(enum nb_peer peer, void **got, struct list_head *hog)
{
	bool bh = peer == NB_PAGE_POOL;
	struct page *page;
	u32 ok = 0, i;

	nb_pin(bh);
	for (i = 0; i < tries; i++) {
		if (peer == NB_LAB)
			got[ok] = labyrinth_pool_alloc(nb.pool);
		else if (peer == NB_NOLOCK)
			got[ok] = nb_nolock_alloc();
		else if (peer == NB_PAGE_POOL)
			got[ok] = page_pool_alloc_pages(nb.pp, GFP_ATOMIC | __GFP_NOWARN);
		else
			got[ok] = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
		if (got[ok])
			ok++;
	}
	/* back to page_pool's cache and ring, not to the buddy allocator */
	for (i = 0; bh && i < ok; i++)
		page_pool_put_full_page(nb.pp, got[i], true);
	nb_unpin(bh);
	for (i = 0; !bh && i < ok; i++) {
		page = got[i];
		if (peer == NB_LAB)
			labyrinth_pool_free(nb.pool, got[i]);
		else
			list_add(&page->lru, hog);
	}
	return ok;
}

static noinline void nb_pressure(void)
{
	static const enum nb_peer peers[] = { NB_LAB, NB_NOLOCK, NB_PAGE_POOL, NB_ALLOC_PAGE };
	unsigned long hogged;
	void **got;
	u32 i, ok;
	LIST_HEAD(hog);

	got = kvcalloc(max(tries, pool_pages), sizeof(*got), GFP_KERNEL);
	if (!got) {
		nb.failed++;
		return;
	}
	/* page_pool's reserve: its cache and ring, filled before the hog */
	local_bh_disable();
	for (ok = 0; ok < pool_pages; ok++) {
		got[ok] = page_pool_alloc_pages(nb.pp, GFP_ATOMIC | __GFP_NOWARN);
		if (!got[ok])
			break;
	}
	for (i = 0; i < ok; i++)
		page_pool_put_full_page(nb.pp, got[i], true);
	local_bh_enable();

	hogged = nb_hog(&hog, GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	hogged += nb_hog(&hog, GFP_NOWAIT | __GFP_NOWARN);
	hogged += nb_hog(&hog, GFP_ATOMIC | __GFP_NOWARN);
	for (i = 0; i < ARRAY_SIZE(peers); i++) {
		nb.records++;
		if (peers[i] == NB_NOLOCK && !nb_have_nolock()) {
			pr_notice("LABYRINTH-NOLOCK {\"kind\":\"pressure\",\"peer\":\"nolock\",\"na\":\"no alloc_pages_nolock() in this kernel\"}\n");
			continue;
		}
		ok = nb_pressure_peer(peers[i], got, &hog);
		if (peers[i] == NB_LAB && ok < min(tries, pool_pages))
			nb.failed++;
		pr_notice("LABYRINTH-NOLOCK {\"kind\":\"pressure\",\"peer\":\"%s\",\"ok\":%u,\"n\":%u,\"reserve\":%u,\"hog_pages\":%lu,\"free_pages\":%lu}\n",
			  nb_peer_name[peers[i]], ok, tries,
			  peers[i] == NB_LAB || peers[i] == NB_PAGE_POOL ? pool_pages : 0,
			  hogged, global_zone_page_state(NR_FREE_PAGES));
	}
	nb_hog_release(&hog);
	kvfree(got);
}

/* ---- setup ---- */

static void nb_teardown(void)
{
	nb_nmi_unregister();
	if (nb.pp)
		page_pool_destroy(nb.pp);
	if (nb.pool)
		labyrinth_pool_destroy(nb.pool);
	kvfree(nb.stash);
	if (nb.scratch)
		free_page((unsigned long)nb.scratch);
}

static int __init nb_init(void)
{
	struct page_pool_params pp = { .order = 0, .pool_size = pool_pages, .nid = NUMA_NO_NODE };
	u64 start = ktime_get_ns();
	int ctx;

	if (!iters || !irq_iters || !runs || runs > NB_MAX_RUNS || pool_pages < 16) {
		pr_err("iters, irq_iters at least 1, runs 1-%u, pool_pages at least 16\n",
		       NB_MAX_RUNS);
		return -EINVAL;
	}
	if (!tries)
		tries = 2 * pool_pages;
	nb.work = IRQ_WORK_INIT_HARD(nb_irq_work);
	nb.scratch = (void *)get_zeroed_page(GFP_KERNEL);
	nb.stash = kvcalloc(irq_iters, sizeof(*nb.stash), GFP_KERNEL);
	nb.pool = labyrinth_pool_create("nolock_bench", pool_pages);
	nb.pp = page_pool_create(&pp);
	if (IS_ERR(nb.pool) || IS_ERR(nb.pp) || !nb.scratch || !nb.stash) {
		pr_err("setup failed: pool %pe, page_pool %pe\n", nb.pool, nb.pp);
		nb.pool = IS_ERR(nb.pool) ? NULL : nb.pool;
		nb.pp = IS_ERR(nb.pp) ? NULL : nb.pp;
		nb_teardown();
		return -ENOMEM;
	}
	nb_nmi_register();
	pr_notice("LABYRINTH-NOLOCK-INFO {\"kernel\":\"%s\",\"preempt_rt\":%d,\"cpus\":%u,\"nolock\":%d,\"nmi\":%d,\"iters\":%u,\"irq_iters\":%u,\"runs\":%u,\"pool_pages\":%u,\"tries\":%u,\"init_on_alloc\":%d,\"clock\":\"ktime_get_mono_fast_ns\"}\n",
		  init_utsname()->release, IS_ENABLED(CONFIG_PREEMPT_RT), num_online_cpus(),
		  nb_have_nolock(), nb.nmi_registered, iters, irq_iters, runs, pool_pages,
		  tries, want_init_on_alloc(GFP_KERNEL));

	for (ctx = 0; ctx < NB_NR_CTX; ctx++)
		nb_measure(ctx);
	nb_pressure();

	pr_notice("LABYRINTH-NOLOCK-END {\"records\":%u,\"failed\":%u,\"elapsed_ms\":%llu}\n",
		  nb.records, nb.failed, div_u64(ktime_get_ns() - start, NSEC_PER_MSEC));
	return 0;
}

static void __exit nb_exit(void)
{
	nb_teardown();
}

module_init(nb_init);
module_exit(nb_exit);

MODULE_IMPORT_NS(LABYRINTH);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("labyrinth developers");
MODULE_DESCRIPTION("labyrinth beside alloc_pages_nolock(), page_pool and alloc_page, by context");
