// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth torture engine: every context at once on one pool, with every
 * frame's owner checked at every step.
 *
 * Sources, for every present CPU (online or not at the start):
 *   thread   a per-CPU kthread, parked while its CPU is offline;
 *            now and then it drains the whole pool, so that other sources
 *            meet an empty pool and steal from each other
 *   softirq  a tasklet, scheduled by the CPU's hrtimer
 *   hardirq  an hrtimer in hard mode, pinned to the CPU
 *   NMI      NMI IPIs: to self from the hrtimer, to any CPU from the kthreads
 * Each source grants (single and bulk), holds its frames for a random number
 * of its own steps, then frees them (single and bulk) or hands them to a
 * CPU's lock-free list, to be checked and freed by that CPU's kthread or
 * tasklet.
 *
 * Ownership is checked three ways.  An owner table keyed by page frame
 * number moves a frame from free to its owner's token with cmpxchg at grant
 * and back at free, so a frame granted while someone holds it is caught the
 * instant it happens.  The token (context, CPU, sequence number) is written
 * into the page with a pattern, the whole page or words at offsets derived
 * from the token, and checked before the frame leaves its owner.  And when
 * the kernel zeroes pages (init_on_alloc/init_on_free) a grant must not see
 * the previous owner's header.
 *
 * Deliberate misuse runs alongside: NULL, ERR_PTR and unaligned frees on the
 * pool under torture, foreign frees of another pool's frame, and double
 * frees in pools private to one source, where nothing can re-grant the frame
 * between the two frees.  Every so often two CPUs free the same frames at
 * the same moment ("duel"): exactly one free of each frame may succeed.
 *
 * At the end every frame must be back: the owner table empty, the pool's
 * owned count zero, its grants equal to its frees and to the grants the
 * torture counted, its refusal counters equal to the misuse tried, and an
 * idle pool must grant every one of its frames before returning NULL.
 */

#define pr_fmt(fmt) "labyrinth_torture: " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/hash.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/vmstat.h>
#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <asm/nmi.h>
#endif
#include "labyrinth_torture.h"

/* Page layout, in words: header, then the canary body. */
#define LT_WORDS	(PAGE_SIZE / sizeof(unsigned long))
#define LT_HDR_TOKEN	0	/* the owner's token */
#define LT_HDR_CHECK	1	/* token ^ LT_MAGIC */
#define LT_HDR_NODE	2	/* llist_node while handed to another CPU */
#define LT_BODY		4	/* first word of the pattern */
#define LT_SAMPLES	8	/* pattern words of a partial canary */
#define LT_MAGIC	((unsigned long)GOLDEN_RATIO_64 ^ 0x6c61627972696e74)
#define LT_MULT		((unsigned long)GOLDEN_RATIO_64)

/*
 * Token: context + 1 (never 0), whole-page flag, CPU, sequence number.
 * The context field keeps every token non-zero, as the owner table needs.
 */
#define LT_CTX_SHIFT	(BITS_PER_LONG - 3)
#define LT_WHOLE	BIT(BITS_PER_LONG - 4)
#define LT_CPU_SHIFT	(BITS_PER_LONG - 17)
#define LT_CPU_MASK	0x1fffUL
#define LT_SEQ_MASK	(BIT(LT_CPU_SHIFT) - 1)
#define LT_CONTROL	LABYRINTH_TORTURE_NR_CTX	/* the controlling thread */

#define LT_HOLD_MAX	48	/* frames one kthread may hold */
#define LT_BULK_MAX	8
#define LT_MISUSE_EVERY	256	/* one misuse per this many steps, on average */
#define LT_SOLO_FRAMES	4
#define LT_DUEL_FRAMES	64

/* Looks at an idle pool's reserve, 20 ms apart, while its wipe finishes. */
#define LT_RESERVE_LOOKS	10
#define LT_DUEL_EVERY	(HZ / 10)
#define LT_REPORTS	20	/* fault messages printed, the rest only counted */
#define LT_SPIN_US	100000	/* longest wait for another CPU in a duel */

/* Steps run by the last torture: written by the sole writer, read by anyone. */
struct lt_counts {
	unsigned long ops;
	unsigned long grants;
	unsigned long frees;
	unsigned long handoffs;
	unsigned long bulk_grants;
	unsigned long bulk_frees;
	unsigned long nulls;
	unsigned long misuse;
	unsigned long bursts;
	unsigned long nmi_sent;
};

struct lt_held {
	void *addr;
	unsigned long token;
	unsigned long until;	/* released once the source's ops reach this */
};

struct lt_torture;

/*
 * One source of grants and frees.  Only its own context touches it while
 * the torture runs (an NMI source is per CPU, and NMIs do not nest), so
 * nothing here needs a lock; the controller takes the held frames back
 * once every source has stopped.
 */
struct lt_source {
	struct lt_torture *t;
	unsigned int ctx;
	unsigned int home;
	unsigned int max_held;
	unsigned int hold_steps;
	unsigned int nr_held;
	unsigned long seq;
	struct rnd_state rnd;
	struct lt_counts c;
	struct labyrinth_pool *solo;	/* private: double frees are safe here */
	struct lt_held held[LT_HOLD_MAX];
	struct lt_held *burst;		/* thread: room for every frame */
	struct task_struct *task;	/* thread */
	bool unparked;			/* thread: changed under the hotplug lock */
	struct hrtimer timer;		/* hardirq */
	bool timer_ready;		/* hardirq: @timer is set up */
	unsigned int timer_cpu;		/* hardirq: CPU its timer last ran on */
	struct tasklet_struct tasklet;	/* softirq */
};

/* Owner table entry: @key is pfn + 1 once claimed and never changes. */
struct lt_slot {
	atomic_long_t key;
	atomic_long_t owner;
};

struct lt_duel {
	void *addr[LT_DUEL_FRAMES];
	int ret[2][LT_DUEL_FRAMES];
	unsigned int nr;
	int ready;
	int go;
	int done;
};

struct lt_torture {
	const struct labyrinth_torture_config *cfg;
	struct labyrinth_torture_result *res;
	struct labyrinth_pool *pool;
	struct labyrinth_pool *duel_pool;
	struct lt_slot *slots;
	unsigned long slot_mask;
	unsigned int slot_bits;
	struct llist_head *inbox;	/* by CPU: frames handed over to it */
	atomic_t *nmi_pending;		/* by CPU: one NMI of ours in flight */
	struct lt_source *src[LABYRINTH_TORTURE_NR_CTX];	/* by CPU */
	struct lt_source ctl;
	unsigned int *cpus;		/* CPUs with a kthread, in order */
	unsigned int nr_cpus;
	unsigned int cap;		/* most frames the pool can have */
	void **reserve;			/* room for every frame of the pool */
	bool zeroed;			/* grants must come back zeroed */
	bool nmi;
	bool nmi_registered;
	bool stop;
	atomic_long_t want_bad_addr;
	atomic_long_t want_foreign;
	atomic_long_t want_solo_double;
	atomic_long_t want_duel_double;
	atomic_long_t fault[LABYRINTH_TORTURE_NR_FAULTS];
	atomic_t reports;
	struct lt_duel duel;
	struct task_struct *onoff;
	unsigned int onoff_cycles;
	int cpuhp_state;		/* > 0 while the kthreads follow hotplug */
	struct hlist_node cpuhp_node;
	struct list_head hog;
	unsigned long hog_pages;
	bool hogged;
	u64 peak_owned;
};

static const char * const lt_ctx_names[] = {
	[LABYRINTH_TORTURE_THREAD] = "thread",
	[LABYRINTH_TORTURE_SOFTIRQ] = "softirq",
	[LABYRINTH_TORTURE_HARDIRQ] = "hardirq",
	[LABYRINTH_TORTURE_NMI] = "nmi",
	[LT_CONTROL] = "control",
};

static const char * const lt_fault_names[] = {
	[LABYRINTH_TORTURE_DOUBLE_GRANT] = "double_grant",
	[LABYRINTH_TORTURE_CANARY] = "canary",
	[LABYRINTH_TORTURE_STALE] = "stale",
	[LABYRINTH_TORTURE_OWNER] = "owner",
	[LABYRINTH_TORTURE_REFUSED] = "refused",
	[LABYRINTH_TORTURE_MISUSE] = "misuse_accepted",
	[LABYRINTH_TORTURE_DUEL] = "duel",
	[LABYRINTH_TORTURE_LEAK] = "leaked",
	[LABYRINTH_TORTURE_COUNTERS] = "counters",
	[LABYRINTH_TORTURE_RESERVE] = "reserve",
};

/* The NMI handler has no argument: the one run in progress. */
static struct lt_torture *lt_running;
static atomic_t lt_busy = ATOMIC_INIT(0);

/* A counter with one writer, read by the progress lines while it runs. */
static inline void lt_inc(unsigned long *counter)
{
	WRITE_ONCE(*counter, *counter + 1);
}

static __printf(3, 4) void lt_fault(struct lt_torture *t, enum labyrinth_torture_fault kind,
				    const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	atomic_long_inc(&t->fault[kind]);
	if (atomic_inc_return(&t->reports) > LT_REPORTS)
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("FAULT %s: %pV\n", lt_fault_names[kind], &vaf);
	va_end(args);
}

static unsigned int lt_token_ctx(unsigned long token)
{
	return (token >> LT_CTX_SHIFT) - 1;
}

static unsigned int lt_token_cpu(unsigned long token)
{
	return (token >> LT_CPU_SHIFT) & LT_CPU_MASK;
}

/* An owner for messages: "thread/1#1234" is the kthread of CPU 1, grant 1234. */
struct lt_who {
	char s[40];
};

static const char *lt_who(struct lt_who *w, unsigned long token)
{
	unsigned int ctx = lt_token_ctx(token);

	snprintf(w->s, sizeof(w->s), "%s/%u#%lu", ctx <= LT_CONTROL ? lt_ctx_names[ctx] : "?",
		 lt_token_cpu(token), token & LT_SEQ_MASK);
	return w->s;
}

static unsigned long lt_pfn(const void *addr)
{
	return PHYS_PFN(__pa(addr));
}

static unsigned long lt_token(struct lt_source *s, bool whole)
{
	s->seq++;
	return ((unsigned long)(s->ctx + 1) << LT_CTX_SHIFT) | (whole ? LT_WHOLE : 0) |
	       ((s->home & LT_CPU_MASK) << LT_CPU_SHIFT) | (s->seq & LT_SEQ_MASK);
}

static unsigned long lt_pattern(unsigned long token, unsigned int word)
{
	return (token + word) * LT_MULT;
}

/* Word of the @i-th sample of a partial canary, spread over the page. */
static unsigned int lt_sample(unsigned long token, unsigned int i)
{
	return LT_BODY + hash_long(token + i * LT_WORDS, 16) % (LT_WORDS - LT_BODY);
}

static void lt_fill(void *page, unsigned long token)
{
	unsigned long *w = page;
	unsigned int i, off;

	w[LT_HDR_TOKEN] = token;
	w[LT_HDR_CHECK] = token ^ LT_MAGIC;
	if (token & LT_WHOLE) {
		for (i = LT_BODY; i < LT_WORDS; i++)
			w[i] = lt_pattern(token, i);
		return;
	}
	for (i = 0; i < LT_SAMPLES; i++) {
		off = lt_sample(token, i);
		w[off] = lt_pattern(token, off);
	}
}

/* First word of @page that is not what owner @token wrote, or -1. */
static int lt_damaged(const void *page, unsigned long token)
{
	const unsigned long *w = page;
	unsigned int i, off;

	if (w[LT_HDR_TOKEN] != token)
		return LT_HDR_TOKEN;
	if (w[LT_HDR_CHECK] != (token ^ LT_MAGIC))
		return LT_HDR_CHECK;
	if (token & LT_WHOLE) {
		for (i = LT_BODY; i < LT_WORDS; i++)
			if (w[i] != lt_pattern(token, i))
				return i;
		return -1;
	}
	for (i = 0; i < LT_SAMPLES; i++) {
		off = lt_sample(token, i);
		if (w[off] != lt_pattern(token, off))
			return off;
	}
	return -1;
}

/*
 * The owner table slot of @addr's frame, claimed on first use.  Open
 * addressing, and a claimed slot keeps its key for good, so lookups and
 * claims are lock-free and safe in NMI.  NULL when the table is full,
 * i.e. the pool granted more distinct frames than it can have.
 */
static struct lt_slot *lt_slot(struct lt_torture *t, const void *addr)
{
	unsigned long key = PHYS_PFN(__pa(addr)) + 1, cur;
	unsigned long h = hash_long(key, t->slot_bits), i;
	struct lt_slot *slot;

	for (i = 0; i <= t->slot_mask; i++) {
		slot = &t->slots[(h + i) & t->slot_mask];
		cur = atomic_long_read(&slot->key);
		if (cur == key)
			return slot;
		if (!cur) {
			cur = atomic_long_cmpxchg(&slot->key, 0, key);
			if (!cur || cur == key)
				return slot;
		}
	}
	return NULL;
}

/* Did the grant hand over a page still holding its previous owner's bytes? */
static bool lt_stale(const void *page, unsigned long token)
{
	const unsigned long *w = page;

	if (token & LT_WHOLE)
		return memchr_inv(page, 0, PAGE_SIZE);
	return w[LT_HDR_TOKEN] || w[LT_HDR_CHECK];
}

/*
 * A frame was just granted to @token: claim it in the owner table, check
 * it was zeroed where the kernel promises that, write the canary.  A frame
 * that someone else holds is left alone: it is theirs to free.
 */
static bool lt_take(struct lt_source *s, void *addr, unsigned long token)
{
	struct lt_torture *t = s->t;
	struct lt_who a, b;
	struct lt_slot *slot;
	unsigned long old;

	if (!PAGE_ALIGNED(addr) || !virt_addr_valid(addr)) {
		lt_fault(t, LABYRINTH_TORTURE_OWNER, "grant to %s returned %p, not a page",
			 lt_who(&a, token), addr);
		return false;
	}
	slot = lt_slot(t, addr);
	if (!slot) {
		lt_fault(t, LABYRINTH_TORTURE_OWNER,
			 "owner table full at grant of pfn %lx: more frames than the pool has",
			 lt_pfn(addr));
		return false;
	}
	old = atomic_long_cmpxchg(&slot->owner, 0, token);
	if (old) {
		lt_fault(t, LABYRINTH_TORTURE_DOUBLE_GRANT,
			 "pfn %lx granted to %s while %s holds it",
			 lt_pfn(addr), lt_who(&a, token), lt_who(&b, old));
		return false;
	}
	if (t->zeroed && lt_stale(addr, token))
		lt_fault(t, LABYRINTH_TORTURE_STALE, "pfn %lx granted to %s holds bytes of %s",
			 lt_pfn(addr), lt_who(&a, token),
			 lt_who(&b, ((unsigned long *)addr)[LT_HDR_TOKEN]));
	lt_fill(addr, token);
	return true;
}

/* Check the canary of @token's frame; with @release, give up the owner slot. */
static bool lt_check(struct lt_source *s, void *addr, unsigned long token, bool release)
{
	struct lt_torture *t = s->t;
	struct lt_slot *slot = lt_slot(t, addr);
	unsigned long owner = slot ? atomic_long_read(&slot->owner) : 0;
	unsigned long *w = addr;
	struct lt_who a, b;
	int bad;

	if (owner != token) {
		lt_fault(t, LABYRINTH_TORTURE_OWNER, "pfn %lx released by %s but owned by %s",
			 lt_pfn(addr), lt_who(&a, token), lt_who(&b, owner));
		return false;
	}
	bad = lt_damaged(addr, token);
	if (bad >= 0)
		lt_fault(t, LABYRINTH_TORTURE_CANARY,
			 "pfn %lx of %s: word %d is %lx, header names %s",
			 lt_pfn(addr), lt_who(&a, token), bad, w[bad], lt_who(&b, w[LT_HDR_TOKEN]));
	if (release && atomic_long_cmpxchg(&slot->owner, token, 0) != token) {
		lt_fault(t, LABYRINTH_TORTURE_OWNER, "pfn %lx of %s changed owner while held",
			 lt_pfn(addr), lt_who(&a, token));
		return false;
	}
	return true;
}

static void lt_free(struct lt_source *s, void *addr, unsigned long token)
{
	struct lt_who a;
	int err;

	if (!lt_check(s, addr, token, true))
		return;
	err = labyrinth_pool_free(s->t->pool, addr);
	if (err)
		lt_fault(s->t, LABYRINTH_TORTURE_REFUSED, "free of pfn %lx by %s: %d",
			 lt_pfn(addr), lt_who(&a, token), err);
	else
		lt_inc(&s->c.frees);
}

static void lt_free_bulk(struct lt_source *s, void **addrs, unsigned int nr)
{
	int err = labyrinth_pool_free_bulk(s->t->pool, addrs, nr);

	lt_inc(&s->c.bulk_frees);
	if (err) {
		lt_fault(s->t, LABYRINTH_TORTURE_REFUSED, "bulk free of %u frames by %s/%u: %d",
			 nr, lt_ctx_names[s->ctx], s->home, err);
		return;
	}
	WRITE_ONCE(s->c.frees, s->c.frees + nr);
}

/* Hand a held frame to a CPU whose kthread or tasklet will free it. */
static void lt_hand_over(struct lt_source *s, struct lt_held *h)
{
	struct lt_torture *t = s->t;
	unsigned int cpu = t->cpus[prandom_u32_state(&s->rnd) % t->nr_cpus];

	if (!lt_check(s, h->addr, h->token, false))
		return;
	llist_add((struct llist_node *)((unsigned long *)h->addr + LT_HDR_NODE), &t->inbox[cpu]);
	lt_inc(&s->c.handoffs);
}

/* Free what other CPUs handed to @cpu; the token travels in the page. */
static void lt_receive(struct lt_source *s, unsigned int cpu)
{
	struct llist_node *node = llist_del_all(&s->t->inbox[cpu]), *next;
	unsigned long *page;

	while (node) {
		next = node->next;
		page = (unsigned long *)((unsigned long)node & PAGE_MASK);
		lt_free(s, page, page[LT_HDR_TOKEN]);
		node = next;
	}
}

/* Release the held frames whose time is up: free, bulk free or hand over. */
static void lt_release_due(struct lt_source *s)
{
	void *bulk[LT_BULK_MAX];
	unsigned int i = 0, nr = 0, r;
	struct lt_held *h;

	while (i < s->nr_held) {
		h = &s->held[i];
		if (s->c.ops < h->until) {
			i++;
			continue;
		}
		r = prandom_u32_state(&s->rnd) % 8;
		if (r == 0) {
			lt_hand_over(s, h);
		} else if (r < 3 && nr < LT_BULK_MAX) {
			if (lt_check(s, h->addr, h->token, true))
				bulk[nr++] = h->addr;
		} else {
			lt_free(s, h->addr, h->token);
		}
		*h = s->held[--s->nr_held];
	}
	if (nr)
		lt_free_bulk(s, bulk, nr);
}

static void lt_keep(struct lt_source *s, void *addr)
{
	bool whole = s->ctx == LABYRINTH_TORTURE_THREAD && !(prandom_u32_state(&s->rnd) % 4);
	unsigned long token = lt_token(s, whole);
	struct lt_held *h;

	lt_inc(&s->c.grants);
	if (!lt_take(s, addr, token))
		return;
	h = &s->held[s->nr_held++];
	h->addr = addr;
	h->token = token;
	h->until = s->c.ops + 1 + prandom_u32_state(&s->rnd) % s->hold_steps;
}

/* Grant one frame, or a bulk of them, up to what the source may hold. */
static void lt_grant(struct lt_source *s)
{
	unsigned int room = s->max_held - s->nr_held, want, got, i;
	unsigned int r = prandom_u32_state(&s->rnd);
	void *addrs[LT_BULK_MAX];

	if (!room)
		return;
	if (room >= 2 && !(r % 4)) {
		want = 2 + (r >> 8) % (min_t(unsigned int, room, LT_BULK_MAX) - 1);
		got = labyrinth_pool_alloc_bulk(s->t->pool, addrs, want);
		lt_inc(&s->c.bulk_grants);
		if (got < want)
			lt_inc(&s->c.nulls);
	} else {
		addrs[0] = labyrinth_pool_alloc(s->t->pool);
		got = !!addrs[0];
		if (!got)
			lt_inc(&s->c.nulls);
	}
	for (i = 0; i < got; i++)
		lt_keep(s, addrs[i]);
}

static void lt_expect(struct lt_source *s, int err, int want, const char *what)
{
	if (err != want)
		lt_fault(s->t, LABYRINTH_TORTURE_MISUSE, "%s by %s/%u: free returned %d, not %d",
			 what, lt_ctx_names[s->ctx], s->home, err, want);
}

/* One deliberate bad free; each must be refused with its documented error. */
static void lt_misuse(struct lt_source *s)
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

/* One step of any source: receive, release what is due, grant, misuse. */
static void lt_step(struct lt_source *s, int inbox)
{
	if (inbox >= 0)
		lt_receive(s, inbox);
	lt_release_due(s);
	lt_grant(s);
	if (!(prandom_u32_state(&s->rnd) % LT_MISUSE_EVERY))
		lt_misuse(s);
	lt_inc(&s->c.ops);
}

#ifdef CONFIG_X86_LOCAL_APIC
/* At most one NMI of ours in flight per CPU, so none is ever merged. */
static void lt_nmi_send(struct lt_source *s, unsigned int cpu, bool self)
{
	if (atomic_cmpxchg(&s->t->nmi_pending[cpu], 0, 1))
		return;
	if (self)
		apic->send_IPI_self(NMI_VECTOR);
	else
		apic->send_IPI(cpu, NMI_VECTOR);
	lt_inc(&s->c.nmi_sent);
}

static int lt_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	struct lt_torture *t = READ_ONCE(lt_running);
	unsigned int cpu = smp_processor_id();

	if (!t || atomic_cmpxchg(&t->nmi_pending[cpu], 1, 0) != 1)
		return NMI_DONE;
	lt_step(&t->src[LABYRINTH_TORTURE_NMI][cpu], -1);
	return NMI_HANDLED;
}

static int lt_nmi_register(struct lt_torture *t)
{
	return register_nmi_handler(NMI_LOCAL, lt_nmi_handler, 0, "labyrinth_torture");
}

static void lt_nmi_unregister(struct lt_torture *t)
{
	unregister_nmi_handler(NMI_LOCAL, "labyrinth_torture");
}
#else
static void lt_nmi_send(struct lt_source *s, unsigned int cpu, bool self)
{
}

static int lt_nmi_register(struct lt_torture *t)
{
	t->res->nmi_skipped = "NMI IPIs need an x86 local APIC";
	return -EOPNOTSUPP;
}

static void lt_nmi_unregister(struct lt_torture *t)
{
}
#endif

/* An NMI at a CPU picked at random, which may be this one or another. */
static void lt_nmi_any(struct lt_source *s)
{
	struct lt_torture *t = s->t;
	unsigned int cpu = t->cpus[prandom_u32_state(&s->rnd) % t->nr_cpus];

	/*
	 * Never at a CPU that is going or gone.  Only a trylock: the hotplug
	 * that holds the lock may be waiting for this kthread to park.
	 */
	if (!cpus_read_trylock())
		return;
	if (cpu_online(cpu))
		lt_nmi_send(s, cpu, false);
	cpus_read_unlock();
}

static ktime_t lt_period(struct lt_source *s)
{
	return ns_to_ktime(100 * NSEC_PER_USEC +
			   prandom_u32_state(&s->rnd) % (500 * NSEC_PER_USEC));
}

static enum hrtimer_restart lt_hard_fn(struct hrtimer *timer)
{
	struct lt_source *s = container_of(timer, struct lt_source, timer);
	struct lt_torture *t = s->t;
	unsigned int cpu = smp_processor_id();

	if (READ_ONCE(t->stop))
		return HRTIMER_NORESTART;
	WRITE_ONCE(s->timer_cpu, cpu);
	/* lands in the middle of this handler's own grants and frees */
	if (t->nmi && !(prandom_u32_state(&s->rnd) % 4))
		lt_nmi_send(s, cpu, true);
	lt_step(s, -1);
	tasklet_schedule(&t->src[LABYRINTH_TORTURE_SOFTIRQ][s->home].tasklet);
	hrtimer_forward_now(timer, lt_period(s));
	return HRTIMER_RESTART;
}

static void lt_hard_start(void *info)
{
	struct lt_source *s = info;

	WRITE_ONCE(s->timer_cpu, smp_processor_id());
	hrtimer_start(&s->timer, lt_period(s), HRTIMER_MODE_REL_PINNED_HARD);
}

static void lt_soft_fn(struct tasklet_struct *tasklet)
{
	struct lt_source *s = from_tasklet(s, tasklet, tasklet);

	if (!READ_ONCE(s->t->stop))
		lt_step(s, raw_smp_processor_id());
}

/*
 * The CPU's hrtimer migrated away when the CPU went offline; the kthread,
 * parked meanwhile, runs again only on its CPU, and pins the timer back.
 */
static void lt_thread_home(struct lt_source *s)
{
	struct lt_source *hard = &s->t->src[LABYRINTH_TORTURE_HARDIRQ][s->home];

	if (raw_smp_processor_id() != s->home ||
	    READ_ONCE(hard->timer_cpu) == s->home)
		return;
	hrtimer_cancel(&hard->timer);
	preempt_disable();
	lt_hard_start(hard);
	preempt_enable();
}

/*
 * Take every frame the pool gives until it returns NULL, hold them for a
 * moment, give them back: the other sources meet an empty pool, steal and
 * come back empty-handed, and a growable pool grows.
 */
static void lt_burst(struct lt_source *s)
{
	struct lt_torture *t = s->t;
	unsigned int nr = 0, i;
	unsigned long token;
	void *p;

	lt_inc(&s->c.bursts);
	while (nr < t->cap && (p = labyrinth_pool_alloc(t->pool))) {
		token = lt_token(s, false);
		lt_inc(&s->c.grants);
		if (!lt_take(s, p, token))
			continue;
		s->burst[nr].addr = p;
		s->burst[nr++].token = token;
	}
	if (nr < t->cap)
		lt_inc(&s->c.nulls);
	usleep_range(100, 1000);
	for (i = 0; i < nr; i++)
		lt_free(s, s->burst[i].addr, s->burst[i].token);
}

static int lt_thread_fn(void *data)
{
	struct lt_source *s = data;
	unsigned int r;

	while (!kthread_should_stop()) {
		if (kthread_should_park()) {
			kthread_parkme();
			continue;	/* unparked to stop, maybe on another CPU */
		}
		if (!(s->c.ops % 64))
			lt_thread_home(s);
		lt_step(s, s->home);
		r = prandom_u32_state(&s->rnd);
		if (s->t->nmi && !(r % 16))
			lt_nmi_any(s);
		if (!((r >> 8) % 2048))
			lt_burst(s);
		else if (!((r >> 4) % 8))
			usleep_range(10, 50 + (r >> 8) % 200);	/* sleep holding frames */
		else
			cond_resched();
	}
	return 0;
}

/* In-kernel CPU hotplug (config->onoff), for kernels without a shell. */
static void lt_nap(unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (!kthread_should_stop() && time_before(jiffies, end))
		schedule_timeout_interruptible(1);
}

static int lt_onoff_fn(void *data)
{
	struct lt_torture *t = data;
	unsigned int cpu = t->cpus[t->nr_cpus - 1];

	while (!kthread_should_stop()) {
		lt_nap(t->cfg->onoff / 2);
		if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || kthread_should_stop() || remove_cpu(cpu))
			continue;
		lt_nap(t->cfg->onoff / 2);
		while (add_cpu(cpu))
			msleep(20);
		WRITE_ONCE(t->onoff_cycles, t->onoff_cycles + 1);
	}
	return 0;
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

static void lt_duel(struct lt_torture *t)
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
static void lt_hog(struct lt_torture *t)
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

static void lt_unhog(struct lt_torture *t)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &t->hog, lru) {
		list_del(&page->lru);
		__free_pages(page, page_private(page));
	}
}

/*
 * An idle pool grants every frame it has before it returns NULL.  @which
 * is 0 before the torture, 1 after it (with the hog holding memory).  Idle
 * includes the background wipe (init_on_alloc/init_on_free), which holds a
 * frame while it clears it: after a NULL, look again a little later, a few
 * times, before calling it a fault.
 */
static void lt_reserve_check(struct lt_torture *t, unsigned int which)
{
	struct labyrinth_stats st;
	unsigned int nr = 0, i, cap = t->cap, looks = 0;
	unsigned long token;
	void *p;

	labyrinth_pool_read_stats(t->pool, &st);
	for (;;) {
		while (nr < cap && (p = labyrinth_pool_alloc(t->pool))) {
			token = lt_token(&t->ctl, false);
			lt_inc(&t->ctl.c.grants);
			if (lt_take(&t->ctl, p, token))
				t->reserve[nr++] = p;
		}
		if (nr >= cap)
			break;
		lt_inc(&t->ctl.c.nulls);	/* the NULL that ended the loop */
		if (nr >= st.nr_frames || ++looks > LT_RESERVE_LOOKS)
			break;
		msleep(20);
	}
	t->res->reserve_granted[which] = nr;
	t->res->reserve_frames[which] = st.nr_frames;
	if (nr < st.nr_frames)
		lt_fault(t, LABYRINTH_TORTURE_RESERVE,
			 "idle pool returned NULL after %u of its %llu frames", nr, st.nr_frames);
	for (i = 0; i < nr; i++)
		lt_check(&t->ctl, t->reserve[i], ((unsigned long *)t->reserve[i])[LT_HDR_TOKEN],
			 true);
	for (i = 0; i < nr; i += LT_DUEL_FRAMES)
		lt_free_bulk(&t->ctl, t->reserve + i, min_t(unsigned int, nr - i, LT_DUEL_FRAMES));
}

static unsigned long lt_sum(struct lt_torture *t, unsigned int ctx, size_t field)
{
	unsigned long sum = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		sum += READ_ONCE(*(unsigned long *)((char *)&t->src[ctx][cpu].c + field));
	return sum;
}

#define LT_SUM(t, ctx, field)	lt_sum(t, ctx, offsetof(struct lt_counts, field))

static unsigned long lt_faults(struct lt_torture *t)
{
	unsigned long sum = 0;
	unsigned int k;

	for (k = 0; k < LABYRINTH_TORTURE_NR_FAULTS; k++)
		sum += atomic_long_read(&t->fault[k]);
	return sum;
}

/*
 * Statistics read while every source works, as the API allows: the peak of
 * owned frames says how close the run came to an empty pool.
 */
static void lt_peek(struct lt_torture *t, struct labyrinth_stats *st)
{
	labyrinth_pool_read_stats(t->pool, st);
	t->peak_owned = max(t->peak_owned, st->owned);
}

static void lt_progress(struct lt_torture *t, unsigned long elapsed)
{
	struct labyrinth_stats st;

	lt_peek(t, &st);
	pr_info("progress %lu/%u s: ops thread=%lu softirq=%lu hardirq=%lu nmi=%lu; pool nr_frames=%llu owned=%llu peak_owned=%llu grants=%llu frees=%llu failures=%llu refill_failures=%llu; cpus online=%u; onoff=%u hog=%lu; faults=%lu\n",
		elapsed, t->cfg->duration,
		LT_SUM(t, LABYRINTH_TORTURE_THREAD, ops), LT_SUM(t, LABYRINTH_TORTURE_SOFTIRQ, ops),
		LT_SUM(t, LABYRINTH_TORTURE_HARDIRQ, ops), LT_SUM(t, LABYRINTH_TORTURE_NMI, ops),
		st.nr_frames, st.owned, t->peak_owned, st.grants, st.frees, st.failures,
		st.refill_failures, num_online_cpus(), READ_ONCE(t->onoff_cycles), t->hog_pages,
		lt_faults(t));
}

static void lt_init_source(struct lt_torture *t, struct lt_source *s, unsigned int ctx,
			   unsigned int cpu)
{
	s->t = t;
	s->ctx = ctx;
	s->home = cpu;
	s->max_held = ctx == LABYRINTH_TORTURE_THREAD ? LT_HOLD_MAX :
		      ctx == LABYRINTH_TORTURE_NMI ? 4 : 8;
	s->hold_steps = ctx == LABYRINTH_TORTURE_THREAD ? 64 : 8;
	prandom_seed_state(&s->rnd, get_random_u64());
}

static int lt_setup_source(struct lt_torture *t, unsigned int ctx, unsigned int cpu)
{
	const struct labyrinth_pool_config solo = {
		.name = "torture-solo", .nr_frames = LT_SOLO_FRAMES,
	};
	struct lt_source *s = &t->src[ctx][cpu];

	lt_init_source(t, s, ctx, cpu);
	s->solo = labyrinth_pool_create_config(&solo);
	if (IS_ERR(s->solo)) {
		int err = PTR_ERR(s->solo);

		s->solo = NULL;
		return err;
	}
	switch (ctx) {
	case LABYRINTH_TORTURE_THREAD:
		s->burst = kvcalloc(t->cap, sizeof(*s->burst), GFP_KERNEL);
		if (!s->burst)
			return -ENOMEM;
		/*
		 * Bound and parked, as smpboot does, and unparked by the
		 * hotplug callbacks below.  An unbound kthread moved back
		 * with set_cpus_allowed_ptr() while CPUs went and came hit
		 * the WARN in affine_move_task() under 7.2's PREEMPT_RT.
		 */
		s->task = kthread_create_on_cpu(lt_thread_fn, s, cpu, "labyrinth_t/%u");
		if (IS_ERR(s->task)) {
			int err = PTR_ERR(s->task);

			s->task = NULL;
			return err;
		}
		kthread_park(s->task);
		break;
	case LABYRINTH_TORTURE_HARDIRQ:
		hrtimer_setup(&s->timer, lt_hard_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
		s->timer_ready = true;
		break;
	case LABYRINTH_TORTURE_SOFTIRQ:
		tasklet_setup(&s->tasklet, lt_soft_fn);
		break;
	}
	return 0;
}

static int lt_setup(struct lt_torture *t)
{
	const struct labyrinth_pool_config pool = {
		.name = "torture", .nr_frames = t->cfg->nr_pages, .max_frames = t->cfg->max_pages,
	};
	unsigned int cap = max(t->cfg->nr_pages, t->cfg->max_pages), ctx, cpu, i;
	int err;

	t->cap = cap;
	t->pool = labyrinth_pool_create_config(&pool);
	if (IS_ERR(t->pool)) {
		err = PTR_ERR(t->pool);
		t->pool = NULL;
		pr_err("cannot create the pool (nr_pages=%u max_pages=%u): %d\n",
		       t->cfg->nr_pages, t->cfg->max_pages, err);
		return err;
	}
	t->duel_pool = labyrinth_pool_create("torture-duel", LT_DUEL_FRAMES);
	if (IS_ERR(t->duel_pool)) {
		err = PTR_ERR(t->duel_pool);
		t->duel_pool = NULL;
		return err;
	}
	/* two steps: 5.10's max() around ilog2() is too long a token for sparse */
	t->slot_bits = ilog2(roundup_pow_of_two(cap)) + 1;
	t->slot_bits = max(t->slot_bits, 6U);
	t->slot_mask = BIT(t->slot_bits) - 1;
	t->slots = kvcalloc(t->slot_mask + 1, sizeof(*t->slots), GFP_KERNEL);
	t->reserve = kvcalloc(cap, sizeof(*t->reserve), GFP_KERNEL);
	t->inbox = kcalloc(nr_cpu_ids, sizeof(*t->inbox), GFP_KERNEL);
	t->nmi_pending = kcalloc(nr_cpu_ids, sizeof(*t->nmi_pending), GFP_KERNEL);
	t->cpus = kcalloc(nr_cpu_ids, sizeof(*t->cpus), GFP_KERNEL);
	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++)
		t->src[ctx] = kvcalloc(nr_cpu_ids, sizeof(*t->src[ctx]), GFP_KERNEL);
	if (!t->slots || !t->reserve || !t->inbox || !t->nmi_pending || !t->cpus)
		return -ENOMEM;
	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++)
		if (!t->src[ctx])
			return -ENOMEM;
	lt_init_source(t, &t->ctl, LT_CONTROL, LT_CPU_MASK);

	/* every possible CPU can take an NMI or a migrated timer: all get state */
	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		init_llist_head(&t->inbox[cpu]);
		for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++)
			lt_init_source(t, &t->src[ctx][cpu], ctx, cpu);
	}
	/* present, not online: a CPU offline just now gets its sources too */
	for_each_present_cpu(cpu)
		t->cpus[t->nr_cpus++] = cpu;
	t->res->cpus = t->nr_cpus;
	for (i = 0; i < t->nr_cpus; i++) {
		for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
			err = lt_setup_source(t, ctx, t->cpus[i]);
			if (err)
				return err;
		}
	}
	return 0;
}

/*
 * Park and unpark exactly once each (both WARN otherwise): s->unparked
 * changes only under the CPU hotplug lock, read or write side.
 */
static void lt_thread_unpark(struct lt_source *s)
{
	if (s->task && !s->unparked) {
		kthread_unpark(s->task);
		s->unparked = true;
	}
}

static int lt_cpu_online(unsigned int cpu, struct hlist_node *node)
{
	struct lt_torture *t = hlist_entry(node, struct lt_torture, cpuhp_node);

	lt_thread_unpark(&t->src[LABYRINTH_TORTURE_THREAD][cpu]);
	return 0;
}

static int lt_cpu_offline(unsigned int cpu, struct hlist_node *node)
{
	struct lt_torture *t = hlist_entry(node, struct lt_torture, cpuhp_node);
	struct lt_source *s = &t->src[LABYRINTH_TORTURE_THREAD][cpu];

	if (s->task && s->unparked) {
		kthread_park(s->task);
		s->unparked = false;
	}
	return 0;
}

/* Each CPU's kthread runs while the CPU is online, parked otherwise. */
static int lt_start_threads(struct lt_torture *t)
{
	unsigned int i, cpu;
	int state, err;

	state = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN, "labyrinth/torture:online",
					lt_cpu_online, lt_cpu_offline);
	if (state < 0)
		return state;
	/* the _cpuslocked variant is not exported: callbacks may come first */
	err = cpuhp_state_add_instance_nocalls(state, &t->cpuhp_node);
	if (err) {
		cpuhp_remove_multi_state(state);
		return err;
	}
	t->cpuhp_state = state;
	cpus_read_lock();
	for (i = 0; i < t->nr_cpus; i++) {
		cpu = t->cpus[i];
		if (cpu_online(cpu))
			lt_thread_unpark(&t->src[LABYRINTH_TORTURE_THREAD][cpu]);
	}
	cpus_read_unlock();
	return 0;
}

static void lt_stop_threads(struct lt_torture *t)
{
	struct lt_source *thread = t->src[LABYRINTH_TORTURE_THREAD];
	unsigned int cpu;

	if (t->cpuhp_state > 0) {
		cpuhp_state_remove_instance_nocalls(t->cpuhp_state, &t->cpuhp_node);
		cpuhp_remove_multi_state(t->cpuhp_state);
		t->cpuhp_state = 0;
	}
	/* a parked kthread is unparked to stop, on another CPU if its own is gone */
	for (cpu = 0; thread && cpu < nr_cpu_ids; cpu++)
		if (thread[cpu].task)
			kthread_stop(thread[cpu].task);
}

static int lt_start(struct lt_torture *t)
{
	unsigned int i, cpu;
	int err;

	if (t->cfg->nmi) {
		WRITE_ONCE(lt_running, t);
		err = lt_nmi_register(t);
		t->nmi_registered = !err;
		t->nmi = !err;
		if (err && !t->res->nmi_skipped)
			t->res->nmi_skipped = "register_nmi_handler() failed";
	} else {
		t->res->nmi_skipped = "disabled by nmi=0";
	}
	cpus_read_lock();
	for (i = 0; i < t->nr_cpus; i++) {
		cpu = t->cpus[i];
		if (!cpu_online(cpu) ||
		    smp_call_function_single(cpu, lt_hard_start,
					     &t->src[LABYRINTH_TORTURE_HARDIRQ][cpu], 1)) {
			/* gone already: start it here, its kthread moves it home */
			preempt_disable();
			lt_hard_start(&t->src[LABYRINTH_TORTURE_HARDIRQ][cpu]);
			preempt_enable();
		}
	}
	cpus_read_unlock();
	/* after the timers: a kthread pins its CPU's timer, see lt_thread_home() */
	err = lt_start_threads(t);
	if (err) {
		pr_err("cannot follow CPU hotplug with the kthreads: %d\n", err);
		return err;
	}
	if (t->cfg->onoff && t->nr_cpus > 1) {
		t->onoff = kthread_run(lt_onoff_fn, t, "labyrinth_onoff");
		if (IS_ERR(t->onoff)) {
			pr_warn("no CPU hotplug kthread: %pe\n", t->onoff);
			t->onoff = NULL;
		}
	}
	return 0;
}

/* Stop every source; afterwards nothing but the caller touches the frames. */
static void lt_stop(struct lt_torture *t)
{
	unsigned int cpu;

	struct lt_source *hard = t->src[LABYRINTH_TORTURE_HARDIRQ];
	struct lt_source *soft = t->src[LABYRINTH_TORTURE_SOFTIRQ];

	WRITE_ONCE(t->stop, true);
	if (t->onoff)
		kthread_stop(t->onoff);	/* leaves every CPU online */
	lt_stop_threads(t);
	/* the kthreads re-arm the timers, the timers schedule the tasklets */
	for (cpu = 0; hard && cpu < nr_cpu_ids; cpu++)
		if (hard[cpu].timer_ready)
			hrtimer_cancel(&hard[cpu].timer);
	for (cpu = 0; soft && cpu < nr_cpu_ids; cpu++)
		if (soft[cpu].tasklet.callback)
			tasklet_kill(&soft[cpu].tasklet);
	if (t->nmi_registered) {
		msleep(20);	/* let an NMI just sent arrive while we still claim it */
		lt_nmi_unregister(t);	/* waits for running handlers */
	}
	WRITE_ONCE(lt_running, NULL);
}

/* Take back every frame the sources still hold or have in flight. */
static void lt_drain(struct lt_torture *t)
{
	unsigned int ctx, cpu, i;
	struct lt_source *s;

	for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
		for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
			s = &t->src[ctx][cpu];
			for (i = 0; i < s->nr_held; i++)
				lt_free(s, s->held[i].addr, s->held[i].token);
			s->nr_held = 0;
		}
		lt_receive(&t->src[LABYRINTH_TORTURE_THREAD][cpu], cpu);
	}
}

static void lt_expect_stat(struct lt_torture *t, const char *what, u64 got, u64 want)
{
	if (got != want)
		lt_fault(t, LABYRINTH_TORTURE_COUNTERS, "%s is %llu, expected %llu",
			 what, got, want);
}

/* Every frame back, counters agreeing with what the torture did. */
static void lt_account(struct lt_torture *t)
{
	struct labyrinth_torture_result *res = t->res;
	struct labyrinth_stats *st = &res->stats, solo;
	unsigned long grants = t->ctl.c.grants, frees = t->ctl.c.frees, nulls = t->ctl.c.nulls;
	u64 solo_double = 0;
	unsigned int ctx, cpu;
	struct lt_who a;
	unsigned long i;

	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
		res->ops[ctx] = LT_SUM(t, ctx, ops);
		res->grants[ctx] = LT_SUM(t, ctx, grants);
		res->frees[ctx] = LT_SUM(t, ctx, frees);
		res->handoffs += LT_SUM(t, ctx, handoffs);
		res->bulk_grants += LT_SUM(t, ctx, bulk_grants);
		res->bulk_frees += LT_SUM(t, ctx, bulk_frees);
		res->nulls += LT_SUM(t, ctx, nulls);
		res->misuse += LT_SUM(t, ctx, misuse);
		res->bursts += LT_SUM(t, ctx, bursts);
		res->nmi_sent += LT_SUM(t, ctx, nmi_sent);
		grants += res->grants[ctx];
		frees += res->frees[ctx];
	}
	nulls += res->nulls;

	for (i = 0; i <= t->slot_mask; i++) {
		unsigned long owner = atomic_long_read(&t->slots[i].owner);

		if (owner)
			lt_fault(t, LABYRINTH_TORTURE_LEAK, "pfn %lx still owned by %s",
				 atomic_long_read(&t->slots[i].key) - 1, lt_who(&a, owner));
	}
	labyrinth_pool_read_stats(t->pool, st);
	if (st->owned)
		lt_fault(t, LABYRINTH_TORTURE_LEAK, "pool has %llu frames owned after the run",
			 st->owned);
	lt_expect_stat(t, "pool grants - frees", st->grants - st->frees, 0);
	lt_expect_stat(t, "pool grants", st->grants, grants);
	lt_expect_stat(t, "pool frees", st->frees, frees);
	lt_expect_stat(t, "pool failures", st->failures, nulls);
	lt_expect_stat(t, "pool bad_addr", st->bad_addr, atomic_long_read(&t->want_bad_addr));
	lt_expect_stat(t, "pool foreign", st->foreign, atomic_long_read(&t->want_foreign));
	lt_expect_stat(t, "pool double_free", st->double_free, 0);
	lt_expect_stat(t, "pool poison_faults", st->poison_faults, 0);

	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
		for (cpu = 0; cpu < nr_cpu_ids; cpu++) {
			if (!t->src[ctx][cpu].solo)
				continue;
			labyrinth_pool_read_stats(t->src[ctx][cpu].solo, &solo);
			solo_double += solo.double_free;
			if (solo.owned)
				lt_fault(t, LABYRINTH_TORTURE_LEAK,
					 "private pool of %s/%u: %llu owned",
					 lt_ctx_names[ctx], cpu, solo.owned);
		}
	}
	lt_expect_stat(t, "private pools' double_free", solo_double,
		       atomic_long_read(&t->want_solo_double));
	labyrinth_pool_read_stats(t->duel_pool, &solo);
	lt_expect_stat(t, "duel pool double_free", solo.double_free,
		       atomic_long_read(&t->want_duel_double));
	if (solo.owned)
		lt_fault(t, LABYRINTH_TORTURE_LEAK, "duel pool: %llu owned", solo.owned);
}

static void lt_destroy_pool(struct lt_torture *t, struct labyrinth_pool *pool)
{
	int err;

	if (!pool)
		return;
	err = labyrinth_pool_destroy(pool);
	if (err)
		lt_fault(t, LABYRINTH_TORTURE_LEAK, "pool %s refused to be destroyed: %d",
			 labyrinth_pool_name(pool), err);
}

static void lt_teardown(struct lt_torture *t)
{
	unsigned int ctx, cpu;

	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
		for (cpu = 0; t->src[ctx] && cpu < nr_cpu_ids; cpu++) {
			lt_destroy_pool(t, t->src[ctx][cpu].solo);
			kvfree(t->src[ctx][cpu].burst);
		}
		kvfree(t->src[ctx]);
	}
	lt_destroy_pool(t, t->duel_pool);
	lt_destroy_pool(t, t->pool);
	kfree(t->cpus);
	kfree(t->nmi_pending);
	kfree(t->inbox);
	kvfree(t->reserve);
	kvfree(t->slots);
}

/*
 * The summary, as "summary <what>: key=value ..." lines short enough for one
 * printk record each, and a last "summary result: PASS|FAIL" line.
 */
static void lt_summary(struct lt_torture *t, int ret)
{
	struct labyrinth_torture_result *res = t->res;
	struct labyrinth_stats *st = &res->stats;
	unsigned int k;

	if (res->nmi_skipped)
		pr_info("NMI: skipped, %s\n", res->nmi_skipped);
	/* granted may exceed frames: the pool can grow while it is drained */
	pr_info("reserve: start_granted=%u start_frames=%u end_granted=%u end_frames=%u pressure=%d\n",
		res->reserve_granted[0], res->reserve_frames[0], res->reserve_granted[1],
		res->reserve_frames[1], t->hogged);
	for (k = 0; k < LABYRINTH_TORTURE_NR_FAULTS; k++) {
		res->fault[k] = atomic_long_read(&t->fault[k]);
		res->faults += res->fault[k];
	}
	pr_info("summary ops: duration=%u cpus=%u thread=%lu softirq=%lu hardirq=%lu nmi=%lu nmi_sent=%lu\n",
		t->cfg->duration, res->cpus, res->ops[LABYRINTH_TORTURE_THREAD],
		res->ops[LABYRINTH_TORTURE_SOFTIRQ], res->ops[LABYRINTH_TORTURE_HARDIRQ],
		res->ops[LABYRINTH_TORTURE_NMI], res->nmi_sent);
	pr_info("summary grants: thread=%lu softirq=%lu hardirq=%lu nmi=%lu handoffs=%lu bulk_grants=%lu bulk_frees=%lu bursts=%lu nulls=%lu misuse=%lu duel_frames=%lu onoff=%u hog_pages=%lu\n",
		res->grants[LABYRINTH_TORTURE_THREAD], res->grants[LABYRINTH_TORTURE_SOFTIRQ],
		res->grants[LABYRINTH_TORTURE_HARDIRQ], res->grants[LABYRINTH_TORTURE_NMI],
		res->handoffs, res->bulk_grants, res->bulk_frees, res->bursts, res->nulls,
		res->misuse, res->duel_frames, res->onoff_cycles, res->hog_pages);
	pr_info("summary faults: faults=%lu double_grant=%lu canary=%lu stale=%lu owner=%lu refused=%lu misuse_accepted=%lu duel=%lu leaked=%lu counters=%lu reserve=%lu\n",
		res->faults, res->fault[LABYRINTH_TORTURE_DOUBLE_GRANT],
		res->fault[LABYRINTH_TORTURE_CANARY], res->fault[LABYRINTH_TORTURE_STALE],
		res->fault[LABYRINTH_TORTURE_OWNER], res->fault[LABYRINTH_TORTURE_REFUSED],
		res->fault[LABYRINTH_TORTURE_MISUSE], res->fault[LABYRINTH_TORTURE_DUEL],
		res->fault[LABYRINTH_TORTURE_LEAK], res->fault[LABYRINTH_TORTURE_COUNTERS],
		res->fault[LABYRINTH_TORTURE_RESERVE]);
	pr_info("summary stats: nr_frames=%llu max_frames=%llu owned=%llu grants=%llu frees=%llu steals=%llu remote_frees=%llu failures=%llu refills=%llu refill_failures=%llu bad_addr=%llu foreign=%llu double_free=%llu\n",
		st->nr_frames, st->max_frames, st->owned, st->grants, st->frees, st->steals,
		st->remote_frees, st->failures, st->refills, st->refill_failures, st->bad_addr,
		st->foreign, st->double_free);
	pr_info("summary result: %s\n", ret ? "FAIL" : "PASS");
}

/**
 * labyrinth_torture_run() - torture a fresh pool from every context
 * @config: duration, pool size and options; see &struct labyrinth_torture_config
 * @result: filled with what the run did and found
 *
 * Creates a pool of its own, runs every source on every online CPU for
 * @config->duration seconds, printing a progress line every
 * @config->progress seconds, stops them, takes every frame back and checks
 * the pool's counters.  Prints a summary line ending in "result=PASS" or
 * "result=FAIL".  One run at a time.
 *
 * Context: Process context; sleeps for the whole run.
 * Return: 0 when no fault was found, -EIO when one was, -EBUSY when another
 * run is in progress, -EINVAL for a bad @config, or the error that stopped
 * the setup.
 */
int labyrinth_torture_run(const struct labyrinth_torture_config *config,
			  struct labyrinth_torture_result *result)
{
	unsigned long start, end, next_progress, next_duel, hog_at;
	struct labyrinth_stats st;
	struct lt_torture *t;
	int ret;

	if (!config->duration || !config->nr_pages ||
	    (config->max_pages && config->max_pages < config->nr_pages))
		return -EINVAL;
	if (atomic_cmpxchg(&lt_busy, 0, 1))
		return -EBUSY;
	memset(result, 0, sizeof(*result));
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t) {
		atomic_set(&lt_busy, 0);
		return -ENOMEM;
	}
	t->cfg = config;
	t->res = result;
	INIT_LIST_HEAD(&t->hog);
	t->zeroed = want_init_on_alloc(GFP_ATOMIC) || want_init_on_free();

	ret = lt_setup(t);
	if (ret) {
		pr_err("setup failed: %d\n", ret);
		goto out_stop;
	}
	pr_info("start: %u s on %u present CPUs, pool of %u frames (cap %u), nmi=%d hog=%d onoff=%u ms, pages %s at grant\n",
		config->duration, t->nr_cpus, config->nr_pages,
		max(config->nr_pages, config->max_pages), config->nmi, config->hog,
		config->onoff, t->zeroed ? "zeroed" : "not zeroed");
	lt_reserve_check(t, 0);
	ret = lt_start(t);

	start = jiffies;
	end = start + config->duration * HZ;
	next_progress = start + config->progress * HZ;
	next_duel = start;
	hog_at = start + config->duration * HZ / 3;
	while (!ret && time_before(jiffies, end)) {
		if (time_after_eq(jiffies, next_duel)) {
			lt_duel(t);
			next_duel = jiffies + LT_DUEL_EVERY;
		}
		if (config->hog && !t->hogged && time_after_eq(jiffies, hog_at))
			lt_hog(t);
		if (config->progress && time_after_eq(jiffies, next_progress)) {
			lt_progress(t, (jiffies - start) / HZ);
			next_progress += config->progress * HZ;
		}
		lt_peek(t, &st);
		msleep(20);
	}

	lt_stop(t);
	result->onoff_cycles = t->onoff_cycles;
	lt_drain(t);
	lt_reserve_check(t, 1);
	lt_unhog(t);
	lt_account(t);
	lt_teardown(t);
	if (!ret)
		ret = lt_faults(t) ? -EIO : 0;
	lt_summary(t, ret);
	kfree(t);
	atomic_set(&lt_busy, 0);
	return ret;

out_stop:
	lt_stop(t);
	lt_teardown(t);
	kfree(t);
	atomic_set(&lt_busy, 0);
	return ret;
}
