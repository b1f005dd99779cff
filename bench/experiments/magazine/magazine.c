// SPDX-License-Identifier: GPL-2.0
/*
 * magazine: shape (b) of issue 4, a user-space prototype compiled against
 * bench/native/shim like labyrinth_pool.c and written as kernel code, so
 * that both shapes can be timed side by side in one process.
 *
 * Bonwick and Adams, "Magazines and Vmem" (USENIX 2001): every CPU has a
 * loaded and a previous magazine, small arrays of free frame indices.  A
 * grant pops from the loaded one; when it is empty and the previous one is
 * not, the two swap; when both are empty, the previous one goes to the
 * depot's empty list and a magazine with frames from the depot becomes the
 * loaded one.  A free is the mirror image.  However grants and frees
 * alternate, a CPU goes to the depot at most once every MAG_SIZE of them.
 *
 * The depot is three tagged Treiber stacks of magazines (full, partial,
 * empty) whose top is one 64-bit word, a 24-bit magazine id and a 40-bit
 * tag that every push and pop moves on: a plain 64-bit cmpxchg, no
 * cmpxchg16b, and an ABA needs 2^40 operations on one stack while a pop
 * sits between its read and its cmpxchg.  Magazines live in one array for
 * the life of the pool, so a stale pop reads a valid (if outdated) link
 * and then fails its cmpxchg.
 *
 * The exclusivity bitmap is the ownership record only.  A grant pops an
 * index and test_and_set_bit() must find the bit clear; a set bit means the
 * frame was in a magazine while owned (pushed twice), which is counted and
 * never handed out.  A free's test_and_clear_bit() must find the bit set,
 * else it is a double free, refused before anything is pushed.  Both are
 * fully ordered, so the previous owner's writes are visible to the next
 * one whichever CPUs and magazines the index travelled through.
 *
 * Who may touch a CPU's magazines: whoever holds its guard word.  The
 * owner takes it with try_cmpxchg(0 -> cpu + 1) and drops it with a
 * release store.  Because the guard is a real cross-CPU lock word:
 *
 * - a CPU that ran dry can take another CPU's guard and steal a non-empty
 *   magazine (a swap with its own empty one), so frames parked on any CPU,
 *   online or not, are reachable with bounded work;
 * - a context that interrupts the holder on the same CPU (softirq, hardirq
 *   or NMI) finds the guard taken and never waits for it: it is diverted
 *   to the depot (pop a partial or full magazine, take one index, push it
 *   back; or put the freed index into a partial or empty magazine) and, if
 *   the depot has no frame, steals one frame from another CPU.
 *
 * Why this is NMI-safe.  Let an NMI land between any two instructions of a
 * grant or free on the same CPU.  Before the interrupted path's cmpxchg on
 * the guard, the NMI may take the guard itself, run to completion and drop
 * it before the interrupted path resumes.  From that cmpxchg to the
 * release store, the NMI sees the guard held by this CPU, so it neither
 * waits nor touches this CPU's magazines or its loaded/prev pointers: it
 * uses only the depot stacks, other CPUs' magazines under their guards,
 * and bitmap words, each changed by single atomic instructions.  The
 * interrupted path resumes with its state exactly as it left it.  Popped
 * indices belong to the context that popped them until the bit is set;
 * a magazine popped from the depot belongs to its popper until pushed.
 * Create sizes the depot for MAG_CONTEXTS such magazines in flight per
 * CPU, so a free always finds a magazine with room (see mag_pop_room()).
 * Counters are this_cpu_inc(), single instructions on x86, as in labyrinth.
 *
 * What a diverted context cannot do is take frames from the magazines of
 * its own CPU: with the depot and every other CPU dry, a diverted grant
 * returns NULL while up to 2 * MAG_SIZE frames sit in the magazines of the
 * context it interrupted.  An sbitmap-shaped pool has no such window.
 *
 * Variants considered and not shipped:
 *
 * - Magazine operations under local_irq_save(): not NMI-safe (an NMI that
 *   pops or pushes between "count--" and the slot access of the context it
 *   interrupted corrupts the magazine), and no CPU can steal from another,
 *   because interrupts off exclude only the local CPU.
 * - A per-CPU (count, tag) word changed with this_cpu_cmpxchg(), no lock
 *   prefix: a pop can read its slot and then cmpxchg the word, but a push
 *   must write its slot before it publishes the count, and an NMI that
 *   pushes between the push's read of the word and its slot write gets its
 *   entry overwritten: one frame lost, another one in the magazine twice.
 *   SLUB avoids that because its free list is linked through the objects;
 *   a per-frame "next" array would do the same here (a 64-bit (head,
 *   count, tag) word, or this_cpu_cmpxchg_double()).  Either way the word
 *   is per-CPU only: an unlocked cmpxchg is not atomic against other
 *   CPUs, so nobody can steal, and frames are stranded.
 * - MAG_POOL_LOCAL, built here for measurement: a plain per-CPU flag as
 *   the guard, read and written by single per-CPU instructions with a
 *   compiler barrier.  An interrupt that finds it set is diverted as above,
 *   so it is NMI-safe and costs no atomic instruction, but other CPUs can
 *   never take it: up to 2 * MAG_SIZE frames per CPU are stranded.  In the
 *   kernel it also needs preemption off around the guarded section; the
 *   shipped variant does not, since its guard is a lock that a migrated
 *   task still holds correctly.
 *
 * The harness (bench-native --check --shape magazine --nmi: check_stress.c
 * and check_magazine.c) stands in SIGUSR1 for NMIs: the handler grants and
 * frees on the CPU id of the thread it interrupted, against an owner table
 * and canaries.
 */
#define pr_fmt(fmt) "magazine: " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/cache.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include "magazine.h"

#define MAG_ID_BITS		24
#define MAG_ID_MASK		((1ULL << MAG_ID_BITS) - 1)
#define MAG_MAX_FRAMES		BIT(26)		/* as labyrinth's pools */
/* nested contexts that may hold a magazine in flight on one CPU */
#define MAG_CONTEXTS		4
/* guard bit set by its owner while stealing: its own magazines are empty */
#define MAG_STEALING		(1UL << (BITS_PER_LONG - 1))
/* looks at a guard another CPU holds before giving up on it */
#define MAG_SPIN		256

struct mag {
	u32 next;		/* depot link: id of the magazine below, 0 at the bottom */
	u32 count;		/* valid entries of @idx */
	u32 idx[MAG_SIZE];	/* frame indices; the last one is granted first */
} ____cacheline_aligned;

struct mag_stack {
	u64 top;		/* (tag << MAG_ID_BITS) | id of the top magazine */
} ____cacheline_aligned;

struct mag_pcpu {
	unsigned long guard;	/* 0, or the holder's CPU + 1 (| MAG_STEALING) */
	struct mag *loaded;
	struct mag *prev;
	u64 grants;
	u64 frees;
	u64 steals;
	u64 diverted;
	u64 depot;
	u64 failures;
	u64 bulk_atomics;
};

/* frames reserved together: start maps to frame index first */
struct mag_chunk {
	unsigned long start;
	unsigned int nr;
	unsigned int first;
};

struct mag_pool {
	struct mag_stack full;		/* MAG_SIZE frames each */
	struct mag_stack partial;	/* 1 .. MAG_SIZE - 1 frames */
	struct mag_stack empty;
	unsigned int nr_frames;
	unsigned int nr_mags;
	unsigned int nr_chunks;
	bool local;
	struct mag *mags;
	unsigned long *bitmap;		/* bit set while the frame is owned */
	unsigned long *frame_addr;
	struct mag_chunk *chunks;	/* sorted by address */
	struct mag_pcpu __percpu *pcpu;
	atomic_long_t bad_addr;
	atomic_long_t foreign;
	atomic_long_t double_free;
	atomic_long_t bad_grant;
};

/* ---- the depot: tagged Treiber stacks */

static struct mag *mag_of(struct mag_pool *pool, u64 top)
{
	u32 id = top & MAG_ID_MASK;

	return id ? &pool->mags[id - 1] : NULL;
}

/* The word that puts magazine @id on top in place of @old: the tag moves on. */
static u64 mag_top(u64 old, u32 id)
{
	return ((old >> MAG_ID_BITS) + 1) << MAG_ID_BITS | id;
}

static struct mag *mag_pop(struct mag_pool *pool, struct mag_stack *s)
{
	u64 old = READ_ONCE(s->top);
	struct mag *m;

	do {
		m = mag_of(pool, old);
		if (!m)
			return NULL;
		/* a link read from a magazine popped meanwhile fails the cmpxchg */
	} while (!try_cmpxchg(&s->top, &old, mag_top(old, READ_ONCE(m->next))));
	return m;
}

static void mag_push(struct mag_pool *pool, struct mag_stack *s, struct mag *m)
{
	u64 old = READ_ONCE(s->top);

	do {
		WRITE_ONCE(m->next, old & MAG_ID_MASK);
	} while (!try_cmpxchg(&s->top, &old, mag_top(old, m - pool->mags + 1)));
}

/* The depot stack for @m: by how many frames it holds. */
static struct mag_stack *mag_stack_for(struct mag_pool *pool, const struct mag *m)
{
	if (!m->count)
		return &pool->empty;
	return m->count == MAG_SIZE ? &pool->full : &pool->partial;
}

/*
 * A magazine with room, from the depot.  Create made enough magazines that
 * at every instant one with room is in the depot (see mag_pool_create());
 * both stacks can only look empty to this loop while other CPUs move
 * magazines between them, so it ends as soon as they make progress.
 */
static struct mag *mag_pop_room(struct mag_pool *pool, bool partial_first)
{
	struct mag_stack *first = partial_first ? &pool->partial : &pool->empty;
	struct mag_stack *second = partial_first ? &pool->empty : &pool->partial;
	unsigned long tries = 0;
	struct mag *m;

	for (;;) {
		m = mag_pop(pool, first);
		if (!m)
			m = mag_pop(pool, second);
		if (m)
			return m;
		if (++tries == 1UL << 20)
			pr_warn_ratelimited("no magazine with room after %lu tries\n", tries);
		cpu_relax();
	}
}

/* ---- the per-CPU guard */

/*
 * The guard was taken.  By this CPU (the context this one interrupted, or
 * this CPU stealing): never wait, divert.  By another CPU stealing from
 * this one: it holds the guard for a few instructions, so retry a while.
 */
static noinline bool mag_lock_contended(struct mag_pcpu *pc, unsigned long me)
{
	unsigned int spin;

	for (spin = 0; spin < MAG_SPIN; spin++) {
		unsigned long holder = READ_ONCE(pc->guard), free = 0;

		if ((holder & ~MAG_STEALING) == me)
			return false;
		if (!holder && try_cmpxchg(&pc->guard, &free, me))
			return true;
		cpu_relax();
	}
	return false;
}

static __always_inline bool mag_lock(struct mag_pool *pool, struct mag_pcpu *pc,
				     unsigned long me)
{
	unsigned long free = 0;

	if (pool->local) {
		/* this_cpu_read() and this_cpu_write() in the kernel */
		if (READ_ONCE(pc->guard))
			return false;
		WRITE_ONCE(pc->guard, me);
		barrier();
		return true;
	}
	if (likely(try_cmpxchg(&pc->guard, &free, me)))
		return true;
	return mag_lock_contended(pc, me);
}

static __always_inline void mag_unlock(struct mag_pool *pool, struct mag_pcpu *pc)
{
	if (pool->local) {
		barrier();
		WRITE_ONCE(pc->guard, 0);
	} else {
		/* pairs with the cmpxchg of the next holder: our writes first */
		smp_store_release(&pc->guard, 0);
	}
}

/* Drop another CPU's guard taken by mag_lock_remote(). */
static void mag_unlock_remote(struct mag_pcpu *rc)
{
	/* pairs with the cmpxchg of the next holder: our writes first */
	smp_store_release(&rc->guard, 0);
}

/*
 * Take another CPU's guard, to steal.  Give up at once when this CPU holds
 * it (we interrupted our own stealer) or when its owner is stealing (its
 * magazines are empty), and after MAG_SPIN looks when its holder is slow.
 */
static bool mag_lock_remote(struct mag_pcpu *rc, unsigned long me)
{
	unsigned int spin;

	for (spin = 0; spin < MAG_SPIN; spin++) {
		unsigned long holder = READ_ONCE(rc->guard), free = 0;

		if (!holder) {
			if (try_cmpxchg(&rc->guard, &free, me))
				return true;
			continue;
		}
		if (holder == me || (holder & MAG_STEALING))
			return false;
		cpu_relax();
	}
	return false;
}

/*
 * This CPU's magazines and the depot are empty: swap our empty loaded
 * magazine for another CPU's non-empty one.  Called with our guard held.
 */
static noinline bool mag_steal(struct mag_pool *pool, struct mag_pcpu *pc, unsigned long me)
{
	unsigned int i, cpu = me - 1;
	struct mag *m = NULL;

	WRITE_ONCE(pc->guard, me | MAG_STEALING);
	for (i = 1; i < nr_cpu_ids && !m; i++) {
		struct mag_pcpu *rc = per_cpu_ptr(pool->pcpu, (cpu + i) % nr_cpu_ids);
		struct mag **from;

		if (!mag_lock_remote(rc, me))
			continue;
		/* the fuller of the two, so that one steal lasts */
		from = rc->loaded->count >= rc->prev->count ? &rc->loaded : &rc->prev;
		if (!(*from)->count)
			from = NULL;
		if (from) {
			m = *from;
			*from = pc->loaded;
			pc->loaded = m;
		}
		mag_unlock_remote(rc);
	}
	WRITE_ONCE(pc->guard, me);
	if (m)
		this_cpu_inc(pool->pcpu->steals);
	return m;
}

/* A diverted grant found the depot empty: one frame from another CPU. */
static noinline long mag_steal_one(struct mag_pool *pool, unsigned long me)
{
	unsigned int i, cpu = me - 1;
	long index = -1;

	for (i = 1; i < nr_cpu_ids && index < 0; i++) {
		struct mag_pcpu *rc = per_cpu_ptr(pool->pcpu, (cpu + i) % nr_cpu_ids);
		struct mag *m;

		if (!mag_lock_remote(rc, me))
			continue;
		m = rc->loaded->count ? rc->loaded : rc->prev;
		if (m->count)
			index = m->idx[--m->count];
		mag_unlock_remote(rc);
	}
	if (index >= 0)
		this_cpu_inc(pool->pcpu->steals);
	return index;
}

/* ---- the slow paths of a CPU's own magazines, guard held */

/* The loaded magazine is empty: load one that is not, if there is one. */
static noinline bool mag_refill(struct mag_pool *pool, struct mag_pcpu *pc, unsigned long me)
{
	struct mag *m = pc->prev, *old;

	if (m->count) {
		pc->prev = pc->loaded;
		pc->loaded = m;
		return true;
	}
	m = mag_pop(pool, &pool->full);
	if (!m)
		m = mag_pop(pool, &pool->partial);
	if (m) {
		old = pc->prev;			/* empty: back to the depot */
		pc->prev = pc->loaded;
		pc->loaded = m;
		mag_push(pool, &pool->empty, old);
		this_cpu_inc(pool->pcpu->depot);
		return true;
	}
	return !pool->local && mag_steal(pool, pc, me);
}

/* The loaded magazine is full: load one with room. */
static noinline void mag_make_room(struct mag_pool *pool, struct mag_pcpu *pc)
{
	struct mag *m = pc->prev, *old;

	if (m->count < MAG_SIZE) {
		pc->prev = pc->loaded;
		pc->loaded = m;
		return;
	}
	m = mag_pop_room(pool, false);
	old = pc->prev;				/* full: to the depot */
	pc->prev = pc->loaded;
	pc->loaded = m;
	mag_push(pool, &pool->full, old);
	this_cpu_inc(pool->pcpu->depot);
}

/* ---- diverted: this CPU's magazines are held by someone else */

static noinline long mag_alloc_diverted(struct mag_pool *pool, unsigned long me)
{
	struct mag *m;
	long index;

	this_cpu_inc(pool->pcpu->diverted);
	m = mag_pop(pool, &pool->partial);
	if (!m)
		m = mag_pop(pool, &pool->full);
	if (!m)
		return pool->local ? -1 : mag_steal_one(pool, me);
	index = m->idx[--m->count];
	mag_push(pool, mag_stack_for(pool, m), m);
	return index;
}

static noinline void mag_free_diverted(struct mag_pool *pool, u32 index)
{
	struct mag *m = mag_pop_room(pool, true);

	this_cpu_inc(pool->pcpu->diverted);
	m->idx[m->count++] = index;
	mag_push(pool, mag_stack_for(pool, m), m);
}

/* ---- grant */

static noinline void mag_bad_grant(struct mag_pool *pool, unsigned long index)
{
	atomic_long_inc(&pool->bad_grant);
	pr_warn_ratelimited("frame %lu was in a magazine while owned: dropped\n", index);
}

static void *mag_grant(struct mag_pool *pool, unsigned long index)
{
	void *addr = (void *)pool->frame_addr[index];

	if (want_init_on_alloc(GFP_ATOMIC) || want_init_on_free())
		clear_page(addr);
	return addr;
}

/**
 * mag_pool_alloc() - take one exclusive page from a magazine pool
 * @pool: pool from mag_pool_create()
 *
 * Context: Any context, NMI included.  Never sleeps; spins only, and
 * boundedly, on another CPU's guard while stealing.
 * Return: The page's address, or NULL when this CPU's magazines, the depot
 * and every other CPU's magazines it could take were empty.
 */
void *mag_pool_alloc(struct mag_pool *pool)
{
	struct mag_pcpu *pc = this_cpu_ptr(pool->pcpu);
	unsigned long me = raw_smp_processor_id() + 1;
	long index;

	for (;;) {
		if (likely(mag_lock(pool, pc, me))) {
			struct mag *m = pc->loaded;

			index = -1;
			if (likely(m->count) || mag_refill(pool, pc, me)) {
				m = pc->loaded;
				index = m->idx[--m->count];
			}
			mag_unlock(pool, pc);
		} else {
			index = mag_alloc_diverted(pool, me);
		}
		if (unlikely(index < 0)) {
			this_cpu_inc(pool->pcpu->failures);
			return NULL;
		}
		/* fully ordered: we see what the frame's last owner wrote */
		if (likely(!test_and_set_bit(index, pool->bitmap)))
			break;
		mag_bad_grant(pool, index);
	}
	this_cpu_inc(pool->pcpu->grants);
	return mag_grant(pool, index);
}

/*
 * Set the bits of the @n indices in @slots, one atomic operation per run
 * of entries in one bitmap word, and turn each index whose bit was clear
 * into its address, packed at the start of @slots.  Return: how many.
 */
static unsigned int mag_claim_bulk(struct mag_pool *pool, void **slots, unsigned int n)
{
	unsigned int i = 0, j, out = 0;

	while (i < n) {
		unsigned long word = (unsigned long)slots[i] / BITS_PER_LONG;
		unsigned long mask = 0, seen = 0, old;

		for (j = i; j < n && (unsigned long)slots[j] / BITS_PER_LONG == word; j++)
			mask |= BIT((unsigned long)slots[j] % BITS_PER_LONG);
		old = atomic_long_fetch_or(mask, (atomic_long_t *)&pool->bitmap[word]);
		this_cpu_inc(pool->pcpu->bulk_atomics);
		for (; i < j; i++) {
			unsigned long index = (unsigned long)slots[i];
			unsigned long bit = BIT(index % BITS_PER_LONG);

			if (unlikely((old | seen) & bit)) {
				mag_bad_grant(pool, index);
				continue;
			}
			seen |= bit;
			slots[out++] = mag_grant(pool, index);
		}
	}
	return out;
}

/**
 * mag_pool_alloc_bulk() - take several exclusive pages at once
 * @pool: pool from mag_pool_create()
 * @addrs: array that receives the page addresses
 * @nr: number of pages wanted
 *
 * Whole runs of the loaded magazine are taken under one guard; entries
 * whose frames share a bitmap word are claimed by one atomic operation.
 *
 * Context: Any context, NMI included.
 * Return: Number of pages stored in @addrs[0..return-1].
 */
unsigned int mag_pool_alloc_bulk(struct mag_pool *pool, void **addrs, unsigned int nr)
{
	struct mag_pcpu *pc = this_cpu_ptr(pool->pcpu);
	unsigned long me = raw_smp_processor_id() + 1;
	unsigned int got = 0, k;
	long index;

	if (likely(mag_lock(pool, pc, me))) {
		while (got < nr) {
			struct mag *m = pc->loaded;

			if (!m->count && !mag_refill(pool, pc, me))
				break;
			m = pc->loaded;
			for (k = min(m->count, nr - got); k; k--)
				addrs[got++] = (void *)(unsigned long)m->idx[--m->count];
		}
		mag_unlock(pool, pc);
	} else {
		while (got < nr) {
			index = mag_alloc_diverted(pool, me);
			if (index < 0)
				break;
			addrs[got++] = (void *)index;
		}
	}
	if (got < nr)
		this_cpu_inc(pool->pcpu->failures);
	got = mag_claim_bulk(pool, addrs, got);
	this_cpu_add(pool->pcpu->grants, got);
	return got;
}

/* ---- free */

/* Address to frame index, as labyrinth_frame_index(): index or -errno. */
static __always_inline long mag_lookup(const struct mag_pool *pool, const void *addr)
{
	unsigned long a = (unsigned long)addr;
	unsigned int lo = 0, hi = pool->nr_chunks;

	if (IS_ERR_OR_NULL(addr) || unlikely(!PAGE_ALIGNED(a)))
		return -EINVAL;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct mag_chunk *c = &pool->chunks[mid];

		if (a < c->start)
			hi = mid;
		else if (a >= c->start + ((unsigned long)c->nr << PAGE_SHIFT))
			lo = mid + 1;
		else
			return c->first + ((a - c->start) >> PAGE_SHIFT);
	}
	return -ENOENT;
}

static noinline int mag_refuse(struct mag_pool *pool, void *addr, long err,
			       unsigned long caller)
{
	if (err == -EALREADY)
		atomic_long_inc(&pool->double_free);
	else if (err == -ENOENT)
		atomic_long_inc(&pool->foreign);
	else
		atomic_long_inc(&pool->bad_addr);
	pr_warn_ratelimited("refused free of %p from %pS: %ld\n", addr, (void *)caller, err);
	return err;
}

/* Put @n freed indices into this CPU's magazines, under one guard. */
static void mag_put(struct mag_pool *pool, const u32 *idx, unsigned int n)
{
	struct mag_pcpu *pc = this_cpu_ptr(pool->pcpu);
	unsigned long me = raw_smp_processor_id() + 1;
	unsigned int i;

	if (unlikely(!mag_lock(pool, pc, me))) {
		for (i = 0; i < n; i++)
			mag_free_diverted(pool, idx[i]);
		return;
	}
	for (i = 0; i < n; i++) {
		struct mag *m = pc->loaded;

		if (unlikely(m->count == MAG_SIZE)) {
			mag_make_room(pool, pc);
			m = pc->loaded;
		}
		m->idx[m->count++] = idx[i];
	}
	mag_unlock(pool, pc);
}

static int mag_free_one(struct mag_pool *pool, void *addr, unsigned long caller)
{
	long index = mag_lookup(pool, addr);
	u32 idx;

	if (unlikely(index < 0))
		return mag_refuse(pool, addr, index, caller);
	/* fully ordered: the owner's writes land before the frame is free */
	if (unlikely(!test_and_clear_bit(index, pool->bitmap)))
		return mag_refuse(pool, addr, -EALREADY, caller);
	idx = index;
	mag_put(pool, &idx, 1);
	this_cpu_inc(pool->pcpu->frees);
	return 0;
}

/**
 * mag_pool_free() - give an exclusive page back to its magazine pool
 * @pool: pool the page came from
 * @addr: address returned by a grant from @pool
 *
 * A free that cannot be right changes nothing, is counted and warned
 * about, exactly as labyrinth_pool_free().
 *
 * Context: Any context, NMI included.
 * Return: 0; -EINVAL for NULL, ERR_PTR or unaligned @addr; -ENOENT for a
 * frame not of @pool; -EALREADY for a frame not owned (double free).
 */
int mag_pool_free(struct mag_pool *pool, void *addr)
{
	return mag_free_one(pool, addr, _RET_IP_);
}

/*
 * Clear the bits of one word's run of @nrun frees in one atomic operation;
 * put the frames whose bits were set into the magazines, refuse the rest.
 */
static unsigned int mag_release_run(struct mag_pool *pool, unsigned long word,
				    unsigned long mask, u32 *run, unsigned int nrun,
				    int *ret, unsigned long caller)
{
	unsigned long old;
	unsigned int i, n = 0;

	if (!nrun)
		return 0;
	old = atomic_long_fetch_andnot(mask, (atomic_long_t *)&pool->bitmap[word]);
	this_cpu_inc(pool->pcpu->bulk_atomics);
	for (i = 0; i < nrun; i++) {
		if (old & BIT(run[i] % BITS_PER_LONG))
			run[n++] = run[i];
		else
			*ret = mag_refuse(pool, (void *)pool->frame_addr[run[i]], -EALREADY,
					  caller);
	}
	mag_put(pool, run, n);
	return n;
}

/**
 * mag_pool_free_bulk() - give several exclusive pages back at once
 * @pool: pool the pages came from
 * @addrs: page addresses
 * @nr: number of entries in @addrs
 *
 * Consecutive entries whose frames share a bitmap word are released by one
 * atomic operation and put into the magazines under one guard.  Refused
 * entries are handled as in mag_pool_free(); an address listed twice is a
 * double free.
 *
 * Context: Any context, NMI included.
 * Return: 0 if every entry was freed, else the error of a refused one.
 */
int mag_pool_free_bulk(struct mag_pool *pool, void **addrs, unsigned int nr)
{
	unsigned long word = 0, mask = 0;
	unsigned int i, nrun = 0, freed = 0;
	u32 run[BITS_PER_LONG];
	int ret = 0;
	long index;

	for (i = 0; i < nr; i++) {
		index = mag_lookup(pool, addrs[i]);
		if (index >= 0 && index / BITS_PER_LONG != word) {
			freed += mag_release_run(pool, word, mask, run, nrun, &ret, _RET_IP_);
			word = index / BITS_PER_LONG;
			mask = 0;
			nrun = 0;
		}
		if (index >= 0 && (mask & BIT(index % BITS_PER_LONG)))
			index = -EALREADY;	/* listed twice */
		if (index < 0) {
			ret = mag_refuse(pool, addrs[i], index, _RET_IP_);
			continue;
		}
		mask |= BIT(index % BITS_PER_LONG);
		run[nrun++] = index;
	}
	freed += mag_release_run(pool, word, mask, run, nrun, &ret, _RET_IP_);
	this_cpu_add(pool->pcpu->frees, freed);
	return ret;
}

/* ---- create, destroy, counters */

static int mag_chunk_cmp(const void *a, const void *b)
{
	const struct mag_chunk *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Every frame, in chunks of up to a pageblock, split into order-0 pages. */
static int mag_reserve(struct mag_pool *pool)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | __GFP_NORETRY;
	unsigned int order, i, got = 0;
	struct mag_chunk *c;
	struct page *page;

	while (got < pool->nr_frames) {
		order = min_t(unsigned int, ilog2(pool->nr_frames - got), pageblock_order);
		for (;;) {
			page = alloc_pages_node(NUMA_NO_NODE, gfp, order);
			if (page || !order)
				break;
			order--;
		}
		if (!page)
			return -ENOMEM;
		if (order)
			split_page(page, order);
		c = &pool->chunks[pool->nr_chunks++];
		c->start = (unsigned long)page_address(page);
		c->nr = 1U << order;
		c->first = got;
		for (i = 0; i < c->nr; i++)
			pool->frame_addr[got + i] = c->start + i * PAGE_SIZE;
		got += c->nr;
	}
	sort(pool->chunks, pool->nr_chunks, sizeof(*pool->chunks), mag_chunk_cmp, NULL);
	return 0;
}

/* Frame magazine @j is preloaded as the loaded magazine of CPU @j / @stride. */
static bool mag_preloaded(unsigned int j, unsigned int stride)
{
	return j % stride == 0 && j / stride < nr_cpu_ids && cpu_online(j / stride);
}

/*
 * Frames go into magazines 0..nr_full-1 in order, so a full magazine's
 * bits are one bitmap word.  Each CPU online now starts with a full loaded
 * magazine whose bits are on a cache line no other CPU starts with, and an
 * empty previous one; the other frame magazines go to the depot, the rest
 * to the depot's empty stack.
 */
static void mag_fill(struct mag_pool *pool, unsigned int nr_full)
{
	unsigned int stride = max(1U, SMP_CACHE_BYTES * BITS_PER_BYTE / MAG_SIZE);
	unsigned int spare = nr_full, cpu, j, k;

	for (j = 0; j < nr_full; j++) {
		struct mag *m = &pool->mags[j];

		m->count = min_t(unsigned int, pool->nr_frames - j * MAG_SIZE, MAG_SIZE);
		for (k = 0; k < m->count; k++)
			m->idx[k] = j * MAG_SIZE + k;
	}
	for_each_possible_cpu(cpu) {
		struct mag_pcpu *pc = per_cpu_ptr(pool->pcpu, cpu);

		j = cpu * stride;
		pc->loaded = j < nr_full && mag_preloaded(j, stride) ?
			     &pool->mags[j] : &pool->mags[spare++];
		pc->prev = &pool->mags[spare++];
	}
	for (j = pool->nr_mags; j-- > spare;)
		mag_push(pool, &pool->empty, &pool->mags[j]);
	for (j = nr_full; j--;)
		if (!mag_preloaded(j, stride))
			mag_push(pool, mag_stack_for(pool, &pool->mags[j]), &pool->mags[j]);
}

static void mag_free_pool(struct mag_pool *pool)
{
	unsigned int i;

	if (pool->frame_addr)
		for (i = 0; i < pool->nr_frames; i++)
			free_page(pool->frame_addr[i]);
	kvfree(pool->chunks);
	kvfree(pool->frame_addr);
	kvfree(pool->bitmap);
	kvfree(pool->mags);
	free_percpu(pool->pcpu);
	kfree(pool);
}

/**
 * mag_pool_create() - reserve a magazine pool
 * @nr_frames: pages to reserve
 * @flags: 0, or %MAG_POOL_LOCAL for the variant without stealing
 *
 * Makes DIV_ROUND_UP(@nr_frames, MAG_SIZE) magazines for the frames, two
 * per possible CPU, and MAG_CONTEXTS per possible CPU for magazines in
 * flight, plus one: with all of those out of the depot and every CPU's two
 * magazines full, the frames left cannot fill every magazine still in the
 * depot, so a free always finds one with room.
 *
 * Context: Process context; may sleep.
 * Return: The pool, ERR_PTR(-EINVAL) for no frames or an unknown flag,
 * ERR_PTR(-ENOMEM) when the pool is too large or memory runs out.
 */
struct mag_pool *mag_pool_create(unsigned int nr_frames, unsigned int flags)
{
	unsigned int nr_full = DIV_ROUND_UP(nr_frames, MAG_SIZE);
	struct mag_pool *pool;
	int err = -ENOMEM;

	if (!nr_frames || (flags & ~MAG_POOL_LOCAL))
		return ERR_PTR(-EINVAL);
	if (nr_frames > MAG_MAX_FRAMES)
		return ERR_PTR(-ENOMEM);
	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	pool->nr_frames = nr_frames;
	pool->local = flags & MAG_POOL_LOCAL;
	pool->nr_mags = nr_full + (2 + MAG_CONTEXTS) * nr_cpu_ids + 1;
	pool->mags = kvcalloc(pool->nr_mags, sizeof(*pool->mags), GFP_KERNEL);
	pool->bitmap = kvcalloc(BITS_TO_LONGS(nr_frames), sizeof(long), GFP_KERNEL);
	pool->frame_addr = kvcalloc(nr_frames, sizeof(*pool->frame_addr), GFP_KERNEL);
	pool->chunks = kvcalloc(nr_frames, sizeof(*pool->chunks), GFP_KERNEL);
	pool->pcpu = alloc_percpu(struct mag_pcpu);
	if (pool->mags && pool->bitmap && pool->frame_addr && pool->chunks && pool->pcpu)
		err = mag_reserve(pool);
	if (err) {
		mag_free_pool(pool);
		return ERR_PTR(err);
	}
	mag_fill(pool, nr_full);
	return pool;
}

/**
 * mag_pool_destroy() - give a magazine pool's pages back
 * @pool: pool from mag_pool_create()
 *
 * Context: Process context; no grant or free may run concurrently.
 * Return: 0, -EINVAL for a NULL or ERR_PTR @pool, -EBUSY while frames are
 * owned (the pool stays usable).
 */
int mag_pool_destroy(struct mag_pool *pool)
{
	if (IS_ERR_OR_NULL(pool))
		return -EINVAL;
	if (bitmap_weight(pool->bitmap, pool->nr_frames))
		return -EBUSY;
	mag_free_pool(pool);
	return 0;
}

/**
 * mag_pool_read_stats() - read a magazine pool's counters
 * @pool: pool to read
 * @stats: filled with the counters, summed over every CPU
 *
 * Context: Any context except NMI.
 */
void mag_pool_read_stats(struct mag_pool *pool, struct mag_stats *stats)
{
	unsigned int cpu;

	memset(stats, 0, sizeof(*stats));
	stats->nr_frames = pool->nr_frames;
	stats->owned = bitmap_weight(pool->bitmap, pool->nr_frames);
	for_each_possible_cpu(cpu) {
		const struct mag_pcpu *pc = per_cpu_ptr(pool->pcpu, cpu);

		stats->grants += READ_ONCE(pc->grants);
		stats->frees += READ_ONCE(pc->frees);
		stats->steals += READ_ONCE(pc->steals);
		stats->diverted += READ_ONCE(pc->diverted);
		stats->depot += READ_ONCE(pc->depot);
		stats->failures += READ_ONCE(pc->failures);
		stats->bulk_atomics += READ_ONCE(pc->bulk_atomics);
	}
	stats->bad_addr = atomic_long_read(&pool->bad_addr);
	stats->foreign = atomic_long_read(&pool->foreign);
	stats->double_free = atomic_long_read(&pool->double_free);
	stats->bad_grant = atomic_long_read(&pool->bad_grant);
}

/**
 * mag_pool_test_hold() - hold or release a CPU's guard, for tests
 * @pool: pool to act on
 * @cpu: whose guard
 * @hold: true to hold it as that CPU's interrupted context would
 *
 * While held, grants and frees on @cpu are diverted to the depot.
 *
 * Context: A test, with no grant or free running on @cpu.
 */
void mag_pool_test_hold(struct mag_pool *pool, unsigned int cpu, bool hold)
{
	WRITE_ONCE(per_cpu_ptr(pool->pcpu, cpu)->guard, hold ? cpu + 1UL : 0UL);
}

/**
 * mag_pool_test_held() - is a CPU's guard held, for tests
 * @pool: pool to look at
 * @cpu: whose guard
 *
 * Context: Any.  An NMI stand-in uses it to tell whether it landed inside
 * a guarded section of the context it interrupted.
 * Return: true if someone holds @cpu's guard.
 */
bool mag_pool_test_held(struct mag_pool *pool, unsigned int cpu)
{
	return READ_ONCE(per_cpu_ptr(pool->pcpu, cpu)->guard);
}
