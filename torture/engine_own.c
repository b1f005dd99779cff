// SPDX-License-Identifier: GPL-2.0
/*
 * The torture's owner table, tokens and page canaries: taking a granted
 * frame, checking it before it leaves its owner, freeing it, and the
 * faults.  Everything here may run in NMI context.
 */

#define pr_fmt(fmt) "labyrinth_torture: " fmt

#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/string.h>
#include "engine.h"

const char * const lt_ctx_names[] = {
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

__printf(3, 4) void lt_fault(struct lt_torture *t, enum labyrinth_torture_fault kind,
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

const char *lt_who(struct lt_who *w, unsigned long token)
{
	unsigned int ctx = lt_token_ctx(token);

	snprintf(w->s, sizeof(w->s), "%s/%u#%lu", ctx <= LT_CONTROL ? lt_ctx_names[ctx] : "?",
		 lt_token_cpu(token), token & LT_SEQ_MASK);
	return w->s;
}

unsigned long lt_pfn(const void *addr)
{
	return PHYS_PFN(__pa(addr));
}

unsigned long lt_token(struct lt_source *s, bool whole)
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
bool lt_take(struct lt_source *s, void *addr, unsigned long token)
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
bool lt_check(struct lt_source *s, void *addr, unsigned long token, bool release)
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

void lt_free(struct lt_source *s, void *addr, unsigned long token)
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

void lt_free_bulk(struct lt_source *s, void **addrs, unsigned int nr)
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
