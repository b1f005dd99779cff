// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth pool: frames reserved up front, one exclusivity bit each.
 *
 * The bitmap is both the free set and the ownership record: a grant is a
 * test_and_set_bit() that finds the bit clear, a free is a
 * test_and_clear_bit() that finds it set.  Every CPU has a home region of
 * the bitmap on cache lines of its own and searches it from a per-CPU hint;
 * when the home region is full it scans the other regions once, so a NULL
 * return means every frame was owned when its bit was looked at.
 *
 * No path takes a lock or disables interrupts.  Shared state changes only
 * by single atomic read-modify-write operations on bitmap words, and the
 * per-CPU hint is advisory, so an NMI (or any interrupt) that lands between
 * two instructions of a grant or free on the same CPU sees a consistent
 * bitmap and cannot make the interrupted path hand out or take back a frame
 * twice.  See Documentation/design.rst.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/hash.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/workqueue.h>
#include "labyrinth_internal.h"

#define CREATE_TRACE_POINTS
#include "labyrinth_trace.h"

#if IS_ENABLED(CONFIG_LABYRINTH_KUNIT_TEST)
bool labyrinth_wipe_held_off;
unsigned int labyrinth_fail_reserve_at;
unsigned int labyrinth_fail_dma_map_at;
void (*labyrinth_grow_window_hook)(struct labyrinth_pool *pool);
#endif

static unsigned long *labyrinth_region_map(const struct labyrinth_pool *pool,
					   unsigned int region)
{
	return pool->bitmap + pool->regions[region].first / BITS_PER_LONG;
}

/*
 * First clear bit of @map in [@start, @end), or @end.  An inline word scan
 * rather than find_next_zero_bit(): the fast path then makes no call at
 * all, and a home region is a few words long.  READ_ONCE() because other
 * CPUs change the words under us.
 */
static __always_inline unsigned int labyrinth_find_clear(const unsigned long *map,
							 unsigned int start, unsigned int end)
{
	unsigned int w = start / BITS_PER_LONG, bit;
	unsigned long clear;

	if (unlikely(start >= end))
		return end;
	clear = ~READ_ONCE(map[w]) & BITMAP_FIRST_WORD_MASK(start);
	while (!clear) {
		if (++w * BITS_PER_LONG >= end)
			return end;
		clear = ~READ_ONCE(map[w]);
	}
	bit = w * BITS_PER_LONG + __ffs(clear);
	return min(bit, end);
}

/*
 * Claim the first clear bit in [start, end).  Each failed test_and_set_bit()
 * moves the search past a bit another context just took, so the loop ends
 * after at most end - start attempts.
 */
static __always_inline int labyrinth_claim_range(unsigned long *map, unsigned int start,
						 unsigned int end)
{
	unsigned int bit = start;

	for (;;) {
		bit = labyrinth_find_clear(map, bit, end);
		if (bit >= end)
			return -1;
		if (likely(!test_and_set_bit(bit, map)))
			return bit;
		bit++;
	}
}

/* Claim a bit of @map's first @nbits, searching from @hint to the end, then wrapping. */
static __always_inline int labyrinth_claim_map(unsigned long *map, unsigned int nbits,
					       unsigned int hint)
{
	int bit;

	if (unlikely(hint >= nbits))
		hint = 0;
	bit = labyrinth_claim_range(map, hint, nbits);
	if (unlikely(bit < 0) && hint)
		bit = labyrinth_claim_range(map, 0, hint);
	return bit;
}

/* Claim a bit of @region, searching from its start. */
static int labyrinth_claim_region(struct labyrinth_pool *pool, unsigned int region)
{
	return labyrinth_claim_map(labyrinth_region_map(pool, region),
				   labyrinth_region_backed(pool, region), 0);
}

/* First slot of the frame table to probe for the page at @a. */
static __always_inline unsigned int labyrinth_slot(const struct labyrinth_pool *pool,
						   unsigned long a)
{
	return hash_long(a >> PAGE_SHIFT, pool->table_bits);
}

/*
 * The free paths' lookup, O(1): index or -errno.  The frame table is an
 * open-addressed hash of page frame numbers, at most half full, so a
 * lookup reads one or two slots and one frame_addr[] entry.  Each load
 * depends on the address (the slot is hashed from it, the entry read
 * through the slot), so a free that got @addr from a grant on another CPU,
 * without any barrier, still finds a slot growth published before it
 * raised the granting region's backed count.
 */
static __always_inline long labyrinth_lookup(const struct labyrinth_pool *pool,
					     const void *addr)
{
	unsigned long a = (unsigned long)addr;
	unsigned int mask = BIT(pool->table_bits) - 1, h;
	u32 entry;

	if (IS_ERR_OR_NULL(addr) || unlikely(!PAGE_ALIGNED(a)))
		return -EINVAL;
	for (h = labyrinth_slot(pool, a);; h = (h + 1) & mask) {
		entry = READ_ONCE(pool->frame_table[h]);
		if (!entry)
			return -ENOENT;
		if (likely(pool->frame_addr[entry - 1] == a))
			return entry - 1;
	}
}

/* Poisoned pools: a frame written while it was free is reported at grant. */
static noinline void labyrinth_check_poison(struct labyrinth_pool *pool, void *addr)
{
	u8 *bad = memchr_inv(addr, LABYRINTH_POISON_BYTE, PAGE_SIZE);

	if (likely(!bad))
		return;
	atomic_long_inc(&pool->poison_faults);
	pr_warn_ratelimited("pool %s: frame %p written after free at offset %ld (0x%02x)\n",
			    pool->name, addr, (long)(bad - (u8 *)addr), *bad);
}

/*
 * A grant from a pool that checks poison or clears frames between owners:
 * out of the fast path.  A frame the background wipe cleared since its last
 * owner (its clean bit set) is handed out as it is; any other is cleared
 * here, so no owner ever sees the bytes of the one before.
 */
static noinline void *labyrinth_grant_flagged(struct labyrinth_pool *pool, void *addr)
{
	long index;

	if (pool->flags & LABYRINTH_POOL_POISON)
		labyrinth_check_poison(pool, addr);
	if (!(pool->flags & LABYRINTH_POOL_ZEROES))
		return addr;
	/* the frame table rather than an index argument: the fast path stays short */
	index = labyrinth_lookup(pool, addr);
	if (!WARN_ON_ONCE(index < 0) && test_bit(index, pool->clean)) {
		/* ours alone now: the bit set says the frame holds only zeroes */
		clear_bit(index, pool->clean);
		this_cpu_inc(pool->pcpu->clean_grants);
	} else {
		clear_page(addr);
	}
	return addr;
}

/*
 * Under the kernel policy, with init_on_alloc or init_on_free, frames are
 * cleared between owners at grant, or before it by the background wipe;
 * a free never writes to the frame, so a buggy racing double free cannot
 * scribble on the frame's next owner.  A single-owner pool's frames only
 * ever pass between one client's hands: they were zeroed at reservation
 * and are not cleared again.
 */
static __always_inline void *labyrinth_grant(struct labyrinth_pool *pool, unsigned long frame,
					     bool away)
{
	void *addr = (void *)frame;

	trace_labyrinth_grant(pool, addr, away);
	if (unlikely(pool->flags & (LABYRINTH_POOL_POISON | LABYRINTH_POOL_ZEROES)))
		return labyrinth_grant_flagged(pool, addr);
	return addr;
}

/* Whether frame @index lies in this CPU's home region. */
static __always_inline bool labyrinth_homed_here(const struct labyrinth_pool *pool,
						 unsigned int index)
{
	return index - this_cpu_read(pool->pcpu->first) < this_cpu_read(pool->pcpu->nr);
}

/*
 * Ask for a growth step.  irq_work_queue() is safe in every context, NMI
 * included.  Only reads come first, so a pool at its cap, one whose kick is
 * already pending, and one whose last step failed less than
 * %LABYRINTH_GROW_BACKOFF ago write no shared line at all.  The back-off is
 * an unsigned distance from the failure, so a stamp left over from long ago
 * (jiffies wrap after 49.7 days on 32-bit) holds growth back for at most
 * one more back-off per wrap, not for half the range as time_before() would.
 */
static void labyrinth_kick_growth(struct labyrinth_pool *pool)
{
	if (READ_ONCE(pool->backed_frames) >= pool->max_frames || READ_ONCE(pool->stopping) ||
	    irq_work_is_pending(&pool->grow_kick) ||
	    jiffies - READ_ONCE(pool->grow_failed_at) < LABYRINTH_GROW_BACKOFF)
		return;
	irq_work_queue(&pool->grow_kick);
}

/*
 * Home region full: take a frame homed on another CPU, each region once.
 * An empty home region is the low watermark of a growable pool when growth
 * can refill it; when it cannot (its share of the cap is all backed),
 * growth is asked for only once the whole pool is owned.
 */
static noinline void *labyrinth_alloc_steal(struct labyrinth_pool *pool,
					    unsigned int home)
{
	const struct labyrinth_region *rg = &pool->regions[home];
	bool kicked = READ_ONCE(rg->backed) < rg->nr;
	unsigned int i, region, index;
	int bit;

	if (kicked)
		labyrinth_kick_growth(pool);
	for (i = 1; i < pool->nr_regions; i++) {
		region = (home + i) % pool->nr_regions;
		bit = labyrinth_claim_region(pool, region);
		if (bit >= 0) {
			this_cpu_inc(pool->pcpu->steals);
			this_cpu_inc(pool->pcpu->grants);
			index = pool->regions[region].first + bit;
			return labyrinth_grant(pool, pool->frame_addr[index], true);
		}
	}
	if (!kicked)
		labyrinth_kick_growth(pool);
	this_cpu_inc(pool->pcpu->failures);
	trace_labyrinth_exhausted(pool, 1);
	return NULL;
}

/*
 * The home region's bounds come from per-CPU data, so the fast path reads
 * nothing shared but the bitmap word it claims from and the region's
 * backed count, which growth raises.
 */
static __always_inline void *labyrinth_alloc_one(struct labyrinth_pool *pool)
{
	struct labyrinth_pcpu __percpu *pc = pool->pcpu;
	/* pairs with the release in labyrinth_grow_publish(): addresses first */
	unsigned int nbits = smp_load_acquire(this_cpu_read(pc->backed));
	int bit;

	/* fast path: a clear bit in this CPU's home region */
	bit = labyrinth_claim_map(this_cpu_read(pc->map), nbits, this_cpu_read(pc->hint));
	if (likely(bit >= 0)) {
		this_cpu_write(pc->hint, bit + 1);
		this_cpu_inc(pc->grants);
		return labyrinth_grant(pool, this_cpu_read(pc->addrs)[bit], false);
	}
	return labyrinth_alloc_steal(pool, this_cpu_read(pc->home));
}

/* A grant as an RCU-sched reader, which labyrinth_pool_destroy() waits for. */
static __always_inline void *labyrinth_alloc_reader(struct labyrinth_pool *pool)
{
	void *addr;

	rcu_read_lock_sched_notrace();
	addr = labyrinth_alloc_one(pool);
	rcu_read_unlock_sched_notrace();
	return addr;
}

/**
 * labyrinth_pool_alloc() - take one exclusive page from a pool
 * @pool: pool from labyrinth_pool_create()
 *
 * The page is PAGE_SIZE, page aligned and in the direct map, so
 * virt_to_page() works on it.  It is zeroed when the kernel runs with
 * init_on_alloc or init_on_free, so it never holds a previous owner's
 * bytes.  Frames homed on other CPUs are taken when this CPU's are all
 * owned.
 *
 * Every grant and free runs with preemption off, as an RCU-sched reader,
 * so labyrinth_pool_destroy() can wait for the last of them to leave.
 *
 * Context: Any context where RCU is watching, NMI included.  Never sleeps,
 * takes no lock.
 * Return: The page's address, or NULL when every frame of @pool was owned
 * at the moment the search looked at its bit.  A frame freed behind the
 * search on another CPU can be missed by a grant running at that moment.
 */
void *labyrinth_pool_alloc(struct labyrinth_pool *pool)
{
	return labyrinth_alloc_reader(pool);
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_alloc, LABYRINTH);

/*
 * Enter frame @index, whose address is in frame_addr[], in the frame table.
 * Only the reserving context inserts, and only into empty slots, so a
 * lookup running meanwhile never loses its way: the probe sequence of a
 * frame already entered has no empty slot to stop at.
 */
static void labyrinth_table_insert(struct labyrinth_pool *pool, unsigned int index)
{
	unsigned int mask = BIT(pool->table_bits) - 1, h;

	h = labyrinth_slot(pool, pool->frame_addr[index]);
	while (pool->frame_table[h])
		h = (h + 1) & mask;
	/* pairs with the address dependency in labyrinth_lookup() */
	smp_store_release(&pool->frame_table[h], index + 1);
}

/**
 * labyrinth_frame_index() - map an address to its frame index
 * @pool: pool to look in
 * @addr: address handed to a free
 * @index: frame index on success
 *
 * One probe of the frame table, O(1); nothing in the frame or its struct
 * page is read: both belong to the owner.
 *
 * Return: 0, -EINVAL for NULL, ERR_PTR or an address that is not the start
 * of a page, or -ENOENT for an address the pool never reserved.
 */
int labyrinth_frame_index(const struct labyrinth_pool *pool, const void *addr,
			  unsigned int *index)
{
	long ret = labyrinth_lookup(pool, addr);

	if (ret < 0)
		return ret;
	*index = ret;
	return 0;
}

static noinline int labyrinth_refuse_free(struct labyrinth_pool *pool, const void *addr,
					  int err, unsigned long caller)
{
	const char *why;

	switch (err) {
	case -EINVAL:
		atomic_long_inc(&pool->bad_addr);
		why = "NULL, ERR_PTR or not page aligned";
		break;
	case -ENOENT:
		atomic_long_inc(&pool->foreign);
		why = "not a frame of this pool";
		break;
	default:
		atomic_long_inc(&pool->double_free);
		why = "frame not owned (double free)";
		break;
	}
	trace_labyrinth_free_refused(pool, addr, err, caller);
	pr_warn_ratelimited("pool %s: refused free of %p from %pS: %s\n",
			    pool->name, addr, (void *)caller, why);
	return err;
}

/* Whether the background wipe clears this pool's freed frames. */
static __always_inline bool labyrinth_wipes(const struct labyrinth_pool *pool)
{
	return (pool->flags & (LABYRINTH_POOL_ZEROES | LABYRINTH_POOL_POISON |
			       LABYRINTH_POOL_NO_WIPE)) == LABYRINTH_POOL_ZEROES;
}

/*
 * Arm the background wipe.  irq_work_queue() is safe in every context; the
 * work item it queues runs %LABYRINTH_WIPE_DELAY later, so a burst of frees
 * is wiped in one pass, after the burst.
 */
static noinline void labyrinth_wipe_kick(struct labyrinth_pool *pool)
{
	if (READ_ONCE(pool->stopping) || !labyrinth_wipe_allowed() ||
	    xchg(&pool->wipe_armed, true))
		return;
	irq_work_queue(&pool->wipe_kick);
}

/*
 * After a free of a wiped pool: the frame is dirty now, so make sure a wipe
 * will come.  Only a read while the wipe is armed.  The release before this
 * read is fully ordered, which pairs with the full barrier after the wipe
 * disarms: either this free sees the wipe disarmed and arms it again, or
 * the wipe's last look sees the frame free (labyrinth_wipe_work()).
 */
static __always_inline void labyrinth_wipe_soon(struct labyrinth_pool *pool)
{
	if (unlikely(labyrinth_wipes(pool)) && !READ_ONCE(pool->wipe_armed))
		labyrinth_wipe_kick(pool);
}

static __always_inline void labyrinth_count_frees(struct labyrinth_pool *pool,
						  unsigned int index, unsigned int nr)
{
	if (!labyrinth_homed_here(pool, index))
		this_cpu_add(pool->pcpu->remote_frees, nr);
	this_cpu_add(pool->pcpu->frees, nr);
}

/*
 * Free the frame at @addr, whose index is @index.  A free writes nothing to
 * the frame (zeroing happens at grant), so a refused free changes nothing.
 */
static __always_inline int labyrinth_free_index(struct labyrinth_pool *pool, void *addr,
						long index, unsigned long caller)
{
	unsigned int offset;
	bool home;

	if (unlikely(pool->flags & LABYRINTH_POOL_POISON)) {
		/* owned checked first, so a plain double free writes nothing */
		if (!test_bit(index, pool->bitmap))
			return labyrinth_refuse_free(pool, addr, -EALREADY, caller);
		memset(addr, LABYRINTH_POISON_BYTE, PAGE_SIZE);
	}
	/* fully ordered: the owner's writes land before the frame is free */
	if (unlikely(!test_and_clear_bit(index, pool->bitmap)))
		return labyrinth_refuse_free(pool, addr, -EALREADY, caller);

	offset = index - this_cpu_read(pool->pcpu->first);
	home = offset < this_cpu_read(pool->pcpu->nr);
	trace_labyrinth_free(pool, addr, !home);
	/* a frame freed on its home CPU is the next one granted: cache hot */
	if (home)
		this_cpu_write(pool->pcpu->hint, offset);
	else
		this_cpu_inc(pool->pcpu->remote_frees);
	this_cpu_inc(pool->pcpu->frees);
	labyrinth_wipe_soon(pool);
	return 0;
}

static __always_inline int labyrinth_free_one(struct labyrinth_pool *pool, void *addr,
					      unsigned long caller)
{
	long index = labyrinth_lookup(pool, addr);

	if (unlikely(index < 0))
		return labyrinth_refuse_free(pool, addr, index, caller);
	return labyrinth_free_index(pool, addr, index, caller);
}

/* A free as an RCU-sched reader, which labyrinth_pool_destroy() waits for. */
static __always_inline int labyrinth_free_reader(struct labyrinth_pool *pool, void *addr,
						 unsigned long caller)
{
	int ret;

	rcu_read_lock_sched_notrace();
	ret = labyrinth_free_one(pool, addr, caller);
	rcu_read_unlock_sched_notrace();
	return ret;
}

/**
 * labyrinth_pool_free() - give an exclusive page back to its pool
 * @pool: pool the page came from
 * @addr: address returned by a grant from @pool
 *
 * A free that cannot be right changes nothing: it is counted in the pool's
 * statistics, warned about (ratelimited, with the caller's address) and
 * refused.  A free never writes to the page.  A second free of a frame that
 * was granted again in between cannot be told from its new owner's free and
 * is accepted: one bit per frame records that a frame is owned, not by whom.
 *
 * Context: Any context where RCU is watching, NMI included.  Never sleeps,
 * takes no lock.
 * Return: 0 on success; -EINVAL if @addr is NULL, an ERR_PTR or not page
 * aligned; -ENOENT if @addr is not a frame of @pool; -EALREADY if the frame
 * is not currently owned (a double free).
 */
int labyrinth_pool_free(struct labyrinth_pool *pool, void *addr)
{
	return labyrinth_free_reader(pool, addr, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_free, LABYRINTH);

/*
 * The default pool's exports: here rather than in labyrinth_core.c so that
 * they inline the fast path instead of calling labyrinth_pool_alloc() and
 * labyrinth_pool_free().
 */
/**
 * labyrinth_void_alloc_page_gfp_atomic_exclusive() - take one exclusive page
 *
 * Takes a page from the default pool (sized by the nr_pages and max_pages
 * parameters), inlining the fast path of labyrinth_pool_alloc().  The
 * caller is the frame's only owner until it calls
 * labyrinth_free_page_exclusive().  See labyrinth_pool_alloc().
 *
 * Context: Any context where RCU is watching, NMI included.  Never sleeps,
 * takes no lock.
 * Return: A page-aligned, direct-mapped page, or NULL when every frame of
 * the default pool is owned.
 */
void *labyrinth_void_alloc_page_gfp_atomic_exclusive(void)
{
	return labyrinth_alloc_reader(labyrinth_default);
}
EXPORT_SYMBOL_NS_GPL(labyrinth_void_alloc_page_gfp_atomic_exclusive, LABYRINTH);

/**
 * labyrinth_free_page_exclusive() - give a page back to the default pool
 * @addr: address from labyrinth_void_alloc_page_gfp_atomic_exclusive()
 *
 * A free that cannot be right changes nothing; it is counted and warned
 * about with the caller's address.  See labyrinth_pool_free().
 *
 * Context: Any context where RCU is watching, NMI included.  Never sleeps,
 * takes no lock.
 * Return: 0 on success; -EINVAL for NULL, an ERR_PTR or an unaligned
 * address; -ENOENT for an address not from the default pool; -EALREADY
 * for a frame that is not owned (double free).
 */
int labyrinth_free_page_exclusive(void *addr)
{
	return labyrinth_free_reader(labyrinth_default, addr, _RET_IP_);
}
EXPORT_SYMBOL_NS_GPL(labyrinth_free_page_exclusive, LABYRINTH);

/* Set up to @want of the lowest clear bits of @free into the returned mask. */
static unsigned long labyrinth_lowest_bits(unsigned long free, unsigned int want)
{
	unsigned long mask = 0;

	while (free && want--) {
		mask |= free & -free;
		free &= free - 1;
	}
	return mask;
}

/* Grant up to @nr frames of @region, one cmpxchg per bitmap word. */
static unsigned int labyrinth_claim_bulk(struct labyrinth_pool *pool, unsigned int region,
					 void **addrs, unsigned int nr, bool away)
{
	unsigned long *map = labyrinth_region_map(pool, region);
	unsigned int nbits = labyrinth_region_backed(pool, region);
	unsigned int first = pool->regions[region].first, w, bit, index, got = 0;

	for (w = 0; w < BITS_TO_LONGS(nbits) && got < nr; w++) {
		unsigned long valid = w + 1 < BITS_TO_LONGS(nbits) ?
				      ~0UL : BITMAP_LAST_WORD_MASK(nbits);
		unsigned long old = READ_ONCE(map[w]), take;

		do {
			take = labyrinth_lowest_bits(~old & valid, nr - got);
			if (!take)
				break;
		} while (!try_cmpxchg(&map[w], &old, old | take));

		for_each_set_bit(bit, &take, BITS_PER_LONG) {
			index = first + w * BITS_PER_LONG + bit;
			addrs[got++] = labyrinth_grant(pool, pool->frame_addr[index], away);
		}
	}
	return got;
}

static unsigned int labyrinth_alloc_bulk(struct labyrinth_pool *pool, void **addrs,
					 unsigned int nr)
{
	unsigned int home = this_cpu_read(pool->pcpu->home);
	const struct labyrinth_region *rg = &pool->regions[home];
	unsigned int i, got, stolen = 0;

	got = labyrinth_claim_bulk(pool, home, addrs, nr, false);
	for (i = 1; got < nr && i < pool->nr_regions; i++) {
		unsigned int more = labyrinth_claim_bulk(pool, (home + i) % pool->nr_regions,
							 addrs + got, nr - got, true);

		stolen += more;
		got += more;
	}
	this_cpu_add(pool->pcpu->grants, got);
	/* as labyrinth_alloc_steal(): only when growth can help */
	if (got < nr || (stolen && READ_ONCE(rg->backed) < rg->nr))
		labyrinth_kick_growth(pool);
	if (stolen)
		this_cpu_add(pool->pcpu->steals, stolen);
	if (got < nr) {
		this_cpu_inc(pool->pcpu->failures);
		trace_labyrinth_exhausted(pool, nr - got);
	}
	return got;
}

/**
 * labyrinth_pool_alloc_bulk() - take several exclusive pages at once
 * @pool: pool from labyrinth_pool_create()
 * @addrs: array that receives the page addresses
 * @nr: number of pages wanted
 *
 * Frames that share a bitmap word are granted by one atomic operation, so a
 * driver refilling a ring pays less per page than with one call a page.
 * This CPU's home region is used first, then the other CPUs' regions.
 *
 * Context: Any context where RCU is watching, NMI included.  Never sleeps,
 * takes no lock.
 * Return: Number of pages stored in @addrs[0..return-1]; less than @nr only
 * when every other frame was owned at the moment its bitmap word was read.
 */
unsigned int labyrinth_pool_alloc_bulk(struct labyrinth_pool *pool, void **addrs,
				       unsigned int nr)
{
	unsigned int got;

	rcu_read_lock_sched_notrace();
	got = labyrinth_alloc_bulk(pool, addrs, nr);
	rcu_read_unlock_sched_notrace();
	return got;
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_alloc_bulk, LABYRINTH);

/*
 * Release the frames of @mask in bitmap word @word in one atomic operation.
 * Bits that were already clear lost a race with another free of the same
 * frame and are refused as double frees.
 */
static int labyrinth_release_word(struct labyrinth_pool *pool, unsigned int word,
				  unsigned long mask, unsigned long caller)
{
	unsigned long old, lost;
	unsigned int bit, index = word * BITS_PER_LONG;
	int err = 0;

	if (!mask)
		return 0;
	old = atomic_long_fetch_andnot(mask, (atomic_long_t *)&pool->bitmap[word]);
	lost = mask & ~old;
	if (trace_labyrinth_free_enabled()) {
		unsigned long freed = mask & old;

		for_each_set_bit(bit, &freed, BITS_PER_LONG)
			trace_labyrinth_free(pool, (void *)pool->frame_addr[index + bit],
					     !labyrinth_homed_here(pool, index + bit));
	}
	for_each_set_bit(bit, &lost, BITS_PER_LONG)
		err = labyrinth_refuse_free(pool, (void *)pool->frame_addr[index + bit],
					    -EALREADY, caller);
	labyrinth_count_frees(pool, index, hweight_long(mask & old));
	return err;
}

/*
 * A bitmap word's bit in a one-word filter of the words a bulk free has
 * released.  Hashed, because regions start a fixed number of words apart
 * and would share bits under a plain modulo.
 */
static __always_inline unsigned long labyrinth_word_filter(unsigned int word)
{
	return BIT(hash_32(word, ilog2(BITS_PER_LONG)));
}

/* Whether @addr appears in @addrs[0..@nr-1]. */
static noinline bool labyrinth_listed(void * const *addrs, unsigned int nr, const void *addr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (addrs[i] == addr)
			return true;
	return false;
}

static int labyrinth_free_bulk(struct labyrinth_pool *pool, void **addrs, unsigned int nr,
			       unsigned long caller)
{
	unsigned int i, index, word = 0, batch = 0;
	unsigned long mask = 0, released = 0;
	bool rereleased = false;
	int err, ret = 0;

	for (i = 0; i < nr; i++) {
		long found = labyrinth_lookup(pool, addrs[i]);

		err = found < 0 ? found : 0;
		index = found;
		if (!err && index / BITS_PER_LONG != word) {
			ret = labyrinth_release_word(pool, word, mask, caller) ?: ret;
			if (mask)
				released |= labyrinth_word_filter(word);
			word = index / BITS_PER_LONG;
			mask = 0;
			batch = i;
			rereleased = released & labyrinth_word_filter(word);
		}
		/*
		 * Refused before the batch clears it: listed twice in this
		 * batch, or not owned, or listed in a batch already released,
		 * where the frame may have a new owner by now.  @released
		 * filters by word, so that search is rare.
		 */
		if (!err && ((mask & BIT(index % BITS_PER_LONG)) ||
			     !test_bit(index, pool->bitmap) ||
			     (unlikely(rereleased) &&
			      labyrinth_listed(addrs, batch, addrs[i]))))
			err = -EALREADY;
		if (err) {
			ret = labyrinth_refuse_free(pool, addrs[i], err, caller);
			continue;
		}
		if (unlikely(pool->flags & LABYRINTH_POOL_POISON))
			memset(addrs[i], LABYRINTH_POISON_BYTE, PAGE_SIZE);
		mask |= BIT(index % BITS_PER_LONG);
	}
	ret = labyrinth_release_word(pool, word, mask, caller) ?: ret;
	labyrinth_wipe_soon(pool);
	return ret;
}

/**
 * labyrinth_pool_free_bulk() - give several exclusive pages back at once
 * @pool: pool the pages came from
 * @addrs: page addresses
 * @nr: number of entries in @addrs
 *
 * Consecutive entries whose frames share a bitmap word are released by one
 * atomic operation.  Every valid entry is freed even when others are
 * refused; each refused entry is counted and warned about as in
 * labyrinth_pool_free(), and an address listed twice, anywhere in @addrs,
 * is refused as a double free.  Entries grouped by bitmap word (as
 * labyrinth_pool_alloc_bulk() returns them) cost least; an entry whose word
 * was already released, or shares a filter bit with one that was, costs a
 * search of the entries before it.  Past about 64 words (4096 frames) in
 * one call most entries search, so the cost grows with @nr squared, with
 * preemption off: free long arrays in pieces of a few hundred.
 *
 * Context: Any context where RCU is watching, NMI included.  Never sleeps,
 * takes no lock.
 * Return: 0 if every entry was freed, otherwise the error code of one of
 * the refused entries (see labyrinth_pool_free()).
 */
int labyrinth_pool_free_bulk(struct labyrinth_pool *pool, void **addrs, unsigned int nr)
{
	int ret;

	rcu_read_lock_sched_notrace();
	ret = labyrinth_free_bulk(pool, addrs, nr, _RET_IP_);
	rcu_read_unlock_sched_notrace();
	return ret;
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_free_bulk, LABYRINTH);

/*
 * Clear free frame @index in the background, holding it as a grant would:
 * its bit is set while the page is written, so no grant can hand it out.
 * Return: whether the frame was wiped.
 */
static bool labyrinth_wipe_frame(struct labyrinth_pool *pool, unsigned int index)
{
	void *addr = (void *)pool->frame_addr[index];

	if (test_and_set_bit(index, pool->bitmap))
		return false;	/* granted since the word was read */
	clear_page(addr);
	set_bit(index, pool->clean);
	/* fully ordered: the zeroes and the clean bit before the frame is free */
	if (unlikely(!test_and_clear_bit(index, pool->bitmap))) {
		/*
		 * A free of a frame nobody was granted took the wipe's hold:
		 * a double free.  It was counted as a free; it freed nothing.
		 */
		this_cpu_dec(pool->pcpu->frees);
		atomic_long_inc(&pool->double_free);
		pr_warn_ratelimited("pool %s: frame %p was freed while free (double free)\n",
				    pool->name, addr);
	}
	this_cpu_inc(pool->pcpu->wiped);
	return true;
}

/* Wipe every free frame of @region that is not clean.  Return: frames wiped. */
static unsigned int labyrinth_wipe_region(struct labyrinth_pool *pool, unsigned int region)
{
	unsigned int first = pool->regions[region].first, nbits, w, bit, wiped = 0;
	unsigned long dirty;

	nbits = labyrinth_region_backed(pool, region);
	for (w = 0; w < BITS_TO_LONGS(nbits) && !READ_ONCE(pool->stopping); w++) {
		dirty = ~(READ_ONCE(pool->bitmap[first / BITS_PER_LONG + w]) |
			  READ_ONCE(pool->clean[first / BITS_PER_LONG + w]));
		if (w + 1 == BITS_TO_LONGS(nbits))
			dirty &= BITMAP_LAST_WORD_MASK(nbits);
		for_each_set_bit(bit, &dirty, BITS_PER_LONG)
			wiped += labyrinth_wipe_frame(pool, first + w * BITS_PER_LONG + bit);
		cond_resched();
	}
	return wiped;
}

static unsigned int labyrinth_wipe_pass(struct labyrinth_pool *pool)
{
	unsigned int r, wiped = 0;

	for (r = 0; r < pool->nr_regions; r++)
		wiped += labyrinth_wipe_region(pool, r);
	return wiped;
}

/*
 * The background wipe: clear the frames freed since the last pass, so that
 * under init_on_free no freed frame keeps its owner's bytes for long, and
 * under init_on_alloc grants find frames already cleared.  A pass that
 * found work looks again a little later; one that found none disarms, then
 * looks once more, for a free that saw the wipe still armed.
 */
static void labyrinth_wipe_work(struct work_struct *work)
{
	struct labyrinth_pool *pool = container_of(to_delayed_work(work), struct labyrinth_pool,
						   wipe_work);

	if (labyrinth_wipe_pass(pool))
		goto again;
	WRITE_ONCE(pool->wipe_armed, false);
	smp_mb();	/* the disarm, then the last look: see labyrinth_wipe_soon() */
	if (!labyrinth_wipe_pass(pool) || xchg(&pool->wipe_armed, true))
		return;
again:
	if (!READ_ONCE(pool->stopping))
		queue_delayed_work(system_unbound_wq, &pool->wipe_work, LABYRINTH_WIPE_DELAY);
}

static void labyrinth_wipe_kicked(struct irq_work *work)
{
	struct labyrinth_pool *pool = container_of(work, struct labyrinth_pool, wipe_kick);

	queue_delayed_work(system_unbound_wq, &pool->wipe_work, LABYRINTH_WIPE_DELAY);
}

/*
 * bitmap_weight() with READ_ONCE(): grants and frees on other CPUs change
 * the words while statistics are read, and the count is only a snapshot.
 */
static unsigned int labyrinth_weight(const unsigned long *map, unsigned int nbits)
{
	unsigned int w, set = 0;

	for (w = 0; w < nbits / BITS_PER_LONG; w++)
		set += hweight_long(READ_ONCE(map[w]));
	if (nbits % BITS_PER_LONG)
		set += hweight_long(READ_ONCE(map[w]) & BITMAP_LAST_WORD_MASK(nbits));
	return set;
}

/*
 * Unbacked bits are clear, so every set bit is an owned frame, or one the
 * background wipe holds.
 */
static u64 labyrinth_owned(const struct labyrinth_pool *pool)
{
	return labyrinth_weight(pool->bitmap, pool->nr_bits);
}

/**
 * labyrinth_pool_read_stats() - read a pool's counters
 * @pool: pool to read
 * @stats: filled with the counters, summed over every CPU
 *
 * Context: Any context except NMI; may be called while the pool is in use.
 */
void labyrinth_pool_read_stats(struct labyrinth_pool *pool, struct labyrinth_stats *stats)
{
	int cpu;

	memset(stats, 0, sizeof(*stats));
	stats->nr_frames = READ_ONCE(pool->backed_frames);
	stats->max_frames = pool->max_frames;
	for_each_possible_cpu(cpu) {
		const struct labyrinth_pcpu *pc = per_cpu_ptr(pool->pcpu, cpu);

		stats->frees += READ_ONCE(pc->frees);
		stats->steals += READ_ONCE(pc->steals);
		stats->remote_frees += READ_ONCE(pc->remote_frees);
		stats->failures += READ_ONCE(pc->failures);
		stats->clean_grants += READ_ONCE(pc->clean_grants);
		stats->wiped += READ_ONCE(pc->wiped);
	}
	/* frees first: a pair that lands between the sums counts as owned */
	smp_rmb();
	for_each_possible_cpu(cpu)
		stats->grants += READ_ONCE(per_cpu_ptr(pool->pcpu, cpu)->grants);
	/*
	 * Not the bitmap's weight: the background wipe holds frames too.  A
	 * snapshot taken while others work can count a pair's grant without
	 * its free: never more than the frames there are.
	 */
	stats->owned = stats->grants > stats->frees ? stats->grants - stats->frees : 0;
	stats->owned = min(stats->owned, stats->nr_frames);
	stats->bad_addr = atomic_long_read(&pool->bad_addr);
	stats->foreign = atomic_long_read(&pool->foreign);
	stats->double_free = atomic_long_read(&pool->double_free);
	stats->busy_destroy = atomic_long_read(&pool->busy_destroy);
	stats->refills = atomic_long_read(&pool->refills);
	stats->refill_failures = atomic_long_read(&pool->refill_failures);
	stats->poison_faults = atomic_long_read(&pool->poison_faults);
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_read_stats, LABYRINTH);

/**
 * labyrinth_pool_name() - a pool's name
 * @pool: pool to name
 *
 * Context: Any context.
 * Return: The name given to labyrinth_pool_create().
 */
const char *labyrinth_pool_name(const struct labyrinth_pool *pool)
{
	return pool->name;
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_name, LABYRINTH);

/**
 * labyrinth_pool_dma_addr() - a frame's DMA address
 * @pool: pool created with %LABYRINTH_POOL_DMA_MAP
 * @addr: address of one of @pool's frames, as a grant returned it
 *
 * The mapping was made when the frame was reserved and lasts as long as
 * the pool, so this is a lookup: one probe of the frame table and one
 * array read, O(1), the same lookup a free makes.  Nothing is synced:
 * before the device touches the frame, its owner calls
 * labyrinth_pool_dma_sync_for_device().  The frame need not be owned,
 * though only its owner should hand its address to a device.
 *
 * Context: Any context, NMI included.  Never sleeps, takes no lock.
 * Return: The DMA address of the frame's first byte; DMA_MAPPING_ERROR,
 * never a usable address, for NULL, an ERR_PTR, an address that is not
 * the start of a page, an address @pool never reserved, or a @pool
 * without DMA mappings.  Test it with dma_mapping_error() or against
 * DMA_MAPPING_ERROR: 0 can be a valid DMA address.
 */
dma_addr_t labyrinth_pool_dma_addr(const struct labyrinth_pool *pool, const void *addr)
{
	long index;

	if (unlikely(!pool->frame_dma))
		return DMA_MAPPING_ERROR;
	index = labyrinth_lookup(pool, addr);
	if (unlikely(index < 0))
		return DMA_MAPPING_ERROR;
	/* written before the frame table entry the lookup went through */
	return pool->frame_dma[index];
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_dma_addr, LABYRINTH);

/*
 * Sync [@offset, @offset + @len) of a frame, clamped to the pool's window
 * [dma_offset, dma_offset + dma_max_len): the device never touches bytes
 * outside it, so syncing them (a copy under swiotlb, a cache flush on a
 * non-coherent machine) would be pure cost, as page_pool's max_len says.
 */
static int labyrinth_dma_sync(const struct labyrinth_pool *pool, const void *addr,
			      unsigned int offset, unsigned int len, bool for_device)
{
	u64 start, end;
	long index;

	if (unlikely(!pool->frame_dma))
		return -EINVAL;
	index = labyrinth_lookup(pool, addr);
	if (unlikely(index < 0))
		return index;
	start = max(offset, pool->dma_offset);
	end = min((u64)offset + len, (u64)pool->dma_offset + pool->dma_max_len);
	if (start >= end)
		return 0;
	if (for_device)
		dma_sync_single_range_for_device(pool->dma_dev, pool->frame_dma[index], start,
						 end - start, pool->dma_dir);
	else
		dma_sync_single_range_for_cpu(pool->dma_dev, pool->frame_dma[index], start,
					      end - start, pool->dma_dir);
	return 0;
}

/**
 * labyrinth_pool_dma_sync_for_cpu() - let the CPU read what the device wrote
 * @pool: pool created with %LABYRINTH_POOL_DMA_MAP
 * @addr: address of a frame the caller owns
 * @offset: first byte to sync, from the start of the frame
 * @len: bytes to sync
 *
 * The range is clamped to the pool's window, &labyrinth_pool_config.dma_offset
 * to dma_offset + dma_max_len.  Call it after the device has finished
 * writing and before the CPU reads: under swiotlb this is the copy out of
 * the bounce buffer, on a non-coherent machine the cache invalidation.
 * Ownership runs: grant, labyrinth_pool_dma_sync_for_device(), the device
 * writes, this, the CPU reads, free.  Freeing a frame the device may still
 * write is the caller's bug: the next owner's bytes would change under it.
 *
 * Context: Any context except NMI (the DMA API's syncs may take a lock of
 * the IOMMU or swiotlb driver).  Never sleeps.
 * Return: 0 (an empty range after clamping syncs nothing), -EINVAL for a
 * pool without DMA mappings or an @addr that is NULL, an ERR_PTR or not the
 * start of a page, -ENOENT for an @addr @pool never reserved.
 */
int labyrinth_pool_dma_sync_for_cpu(const struct labyrinth_pool *pool, const void *addr,
				    unsigned int offset, unsigned int len)
{
	return labyrinth_dma_sync(pool, addr, offset, len, false);
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_dma_sync_for_cpu, LABYRINTH);

/**
 * labyrinth_pool_dma_sync_for_device() - hand a frame's bytes to the device
 * @pool: pool created with %LABYRINTH_POOL_DMA_MAP
 * @addr: address of a frame the caller owns
 * @offset: first byte to sync, from the start of the frame
 * @len: bytes to sync
 *
 * The range is clamped to the pool's window, as page_pool clamps to its
 * max_len.  Call it after the CPU's last write (for transmit) or after the
 * grant (for receive: a zeroed or poisoned frame must not be written back
 * over what the device writes) and before the device gets the frame's
 * labyrinth_pool_dma_addr().
 *
 * Context: Any context except NMI.  Never sleeps.
 * Return: As labyrinth_pool_dma_sync_for_cpu().
 */
int labyrinth_pool_dma_sync_for_device(const struct labyrinth_pool *pool, const void *addr,
				       unsigned int offset, unsigned int len)
{
	return labyrinth_dma_sync(pool, addr, offset, len, true);
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_dma_sync_for_device, LABYRINTH);

static int labyrinth_dma_sync_bulk(const struct labyrinth_pool *pool, void * const *addrs,
				   unsigned int nr, unsigned int offset, unsigned int len,
				   bool for_device)
{
	int err, ret = 0;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		err = labyrinth_dma_sync(pool, addrs[i], offset, len, for_device);
		if (err)
			ret = err;
	}
	return ret;
}

/**
 * labyrinth_pool_dma_sync_bulk_for_cpu() - labyrinth_pool_dma_sync_for_cpu() on many frames
 * @pool: pool created with %LABYRINTH_POOL_DMA_MAP
 * @addrs: frames the caller owns, a ring's completed entries say
 * @nr: entries of @addrs
 * @offset: first byte to sync in each frame
 * @len: bytes to sync in each frame
 *
 * Every entry is synced, whatever the others' errors.
 *
 * Context: Any context except NMI.  Never sleeps.
 * Return: 0, or the last refused entry's error (as
 * labyrinth_pool_dma_sync_for_cpu()).
 */
int labyrinth_pool_dma_sync_bulk_for_cpu(const struct labyrinth_pool *pool, void * const *addrs,
					 unsigned int nr, unsigned int offset, unsigned int len)
{
	return labyrinth_dma_sync_bulk(pool, addrs, nr, offset, len, false);
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_dma_sync_bulk_for_cpu, LABYRINTH);

/**
 * labyrinth_pool_dma_sync_bulk_for_device() - labyrinth_pool_dma_sync_for_device() on many frames
 * @pool: pool created with %LABYRINTH_POOL_DMA_MAP
 * @addrs: frames the caller owns, from labyrinth_pool_alloc_bulk() for a ring refill
 * @nr: entries of @addrs
 * @offset: first byte to sync in each frame
 * @len: bytes to sync in each frame
 *
 * Every entry is synced, whatever the others' errors.
 *
 * Context: Any context except NMI.  Never sleeps.
 * Return: 0, or the last refused entry's error (as
 * labyrinth_pool_dma_sync_for_device()).
 */
int labyrinth_pool_dma_sync_bulk_for_device(const struct labyrinth_pool *pool,
					    void * const *addrs, unsigned int nr,
					    unsigned int offset, unsigned int len)
{
	return labyrinth_dma_sync_bulk(pool, addrs, nr, offset, len, true);
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_dma_sync_bulk_for_device, LABYRINTH);

/*
 * Unmap the first @nr frames of @sg, in the order labyrinth_dma_map_segment()
 * mapped them.  DMA_ATTR_SKIP_CPU_SYNC: the pages go back to the page
 * allocator or stay with an owner who is past its last sync.
 */
static void labyrinth_dma_unmap_frames(struct labyrinth_pool *pool,
				       const struct labyrinth_segment *sg, unsigned int nr)
{
	unsigned int c, i, index;

	for (c = 0; c < sg->nr && nr; c++) {
		for (i = 0; i < sg->chunks[c].nr && nr; i++, nr--) {
			index = sg->chunks[c].first + i;
			dma_unmap_page_attrs(pool->dma_dev, pool->frame_dma[index], PAGE_SIZE,
					     pool->dma_dir, DMA_ATTR_SKIP_CPU_SYNC);
			pool->frame_dma[index] = 0;
		}
		cond_resched();
	}
}

static void labyrinth_dma_unmap_segment(struct labyrinth_pool *pool,
					struct labyrinth_segment *sg)
{
	unsigned int c, nr = 0;

	if (!sg->mapped)
		return;
	for (c = 0; c < sg->nr; c++)
		nr += sg->chunks[c].nr;
	labyrinth_dma_unmap_frames(pool, sg, nr);
	sg->mapped = false;
}

/*
 * Map every frame of a reservation for the pool's device, once for the
 * frame's life in the pool, as page_pool does with PP_FLAG_DMA_MAP: no map
 * or unmap per grant.  DMA_ATTR_SKIP_CPU_SYNC, because the owner syncs the
 * range it hands to the device.  Done before the frames enter the frame
 * table, so a frame a lookup can find has its address already.  All or
 * nothing: a frame that cannot be mapped unmaps those mapped before it.
 */
static int labyrinth_dma_map_segment(struct labyrinth_pool *pool, struct labyrinth_segment *sg)
{
	unsigned int c, i, index, done = 0;
	struct page *page;
	dma_addr_t dma;

	if (!pool->dma_dev)
		return 0;
	for (c = 0; c < sg->nr; c++) {
		for (i = 0; i < sg->chunks[c].nr; i++) {
			index = sg->chunks[c].first + i;
			page = virt_to_page((void *)pool->frame_addr[index]);
			if (unlikely(labyrinth_dma_map_should_fail(done)))
				dma = DMA_MAPPING_ERROR;
			else
				dma = dma_map_page_attrs(pool->dma_dev, page, 0, PAGE_SIZE,
							 pool->dma_dir, DMA_ATTR_SKIP_CPU_SYNC);
			if (dma_mapping_error(pool->dma_dev, dma)) {
				pr_err("pool %s: cannot map frame %u of a reservation for DMA by %s\n",
				       pool->name, done + 1, dev_name(pool->dma_dev));
				labyrinth_dma_unmap_frames(pool, sg, done);
				return -ENOMEM;
			}
			pool->frame_dma[index] = dma;
			done++;
		}
		cond_resched();
	}
	sg->mapped = true;
	return 0;
}

static void labyrinth_release_segment(struct labyrinth_segment *sg)
{
	unsigned int c, i;

	for (c = 0; c < sg->nr; c++) {
		for (i = 0; i < sg->chunks[c].nr; i++)
			free_page(sg->chunks[c].start + i * PAGE_SIZE);
		cond_resched();
	}
	kvfree(sg->chunks);
	sg->chunks = NULL;
	sg->nr = 0;
}

static void labyrinth_free_pool(struct labyrinth_pool *pool)
{
	unsigned int seg;

	labyrinth_debugfs_remove(pool);
	for (seg = 0; seg < LABYRINTH_MAX_SEGMENTS; seg++) {
		labyrinth_dma_unmap_segment(pool, &pool->segments[seg]);
		labyrinth_release_segment(&pool->segments[seg]);
	}
	kvfree(pool->frame_dma);
	put_device(pool->dma_dev);
	kvfree(pool->frame_table);
	kvfree(pool->clean);
	kvfree(pool->frame_addr);
	kvfree(pool->bitmap);
	kfree(pool->regions);
	free_percpu(pool->pcpu);
	kfree(pool);
}

/* Largest chunk tried: one pageblock, so reserving never fragments more. */
static unsigned int labyrinth_chunk_order(unsigned int remaining)
{
	return min_t(unsigned int, ilog2(remaining), pageblock_order);
}

/*
 * Reserve up to @count frames for bits [@bit, @bit + @count) of @region
 * from its CPU's node, in the largest chunks the buddy allocator gives
 * without effort, down to single pages, appending them to @sg.
 * Return: frames reserved; fewer than @count when memory ran out.
 */
static unsigned int labyrinth_reserve_bits(struct labyrinth_pool *pool, unsigned int region,
					   unsigned int bit, unsigned int count,
					   struct labyrinth_segment *sg)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | __GFP_NORETRY;
	int node = cpu_to_node(region);
	unsigned int order, i, got = 0;
	struct labyrinth_chunk *c;
	struct page *page;

	while (got < count) {
		order = labyrinth_chunk_order(count - got);
		for (;;) {
			page = alloc_pages_node(node, gfp, order);
			if (page || !order)
				break;
			order--;
		}
		if (!page)
			break;
		if (unlikely(labyrinth_reserve_should_fail(sg->nr))) {
			__free_pages(page, order);
			break;
		}
		if (order)
			split_page(page, order);
		if (pool->flags & LABYRINTH_POOL_POISON)
			memset(page_address(page), LABYRINTH_POISON_BYTE, PAGE_SIZE << order);

		c = &sg->chunks[sg->nr++];
		c->start = (unsigned long)page_address(page);
		c->nr = 1U << order;
		c->first = pool->regions[region].first + bit + got;
		for (i = 0; i < c->nr; i++) {
			pool->frame_addr[c->first + i] = c->start + i * PAGE_SIZE;
			/* __GFP_ZERO: clean until its first owner */
			if (labyrinth_wipes(pool))
				set_bit(c->first + i, pool->clean);
		}
		got += c->nr;
		cond_resched();
	}
	return got;
}

/* Room for @nr_frames chunks: the worst case of one chunk per frame. */
static int labyrinth_segment_init(struct labyrinth_segment *sg, unsigned int nr_frames)
{
	sg->nr = 0;
	sg->chunks = kvcalloc(nr_frames, sizeof(*sg->chunks), GFP_KERNEL | __GFP_NOWARN);
	return sg->chunks ? 0 : -ENOMEM;
}

/*
 * Enter the segment's frames in the frame table, then give back the unused
 * room of its chunk array if memory allows.
 */
static void labyrinth_segment_seal(struct labyrinth_pool *pool, struct labyrinth_segment *sg)
{
	struct labyrinth_chunk *exact;
	unsigned int c, i;

	for (c = 0; c < sg->nr; c++) {
		for (i = 0; i < sg->chunks[c].nr; i++)
			labyrinth_table_insert(pool, sg->chunks[c].first + i);
		cond_resched();
	}
	exact = kvmalloc_array(sg->nr, sizeof(*exact), GFP_KERNEL | __GFP_NOWARN);
	if (!exact)
		return;
	memcpy(exact, sg->chunks, sg->nr * sizeof(*exact));
	kvfree(sg->chunks);
	sg->chunks = exact;
}

/* Reserve every region's initial frames as segment 0. */
static int labyrinth_reserve(struct labyrinth_pool *pool)
{
	struct labyrinth_segment *sg = &pool->segments[0];
	unsigned int r, want;
	int err;

	err = labyrinth_segment_init(sg, pool->nr_frames);
	for (r = 0; r < pool->nr_regions && !err; r++) {
		want = pool->regions[r].backed;
		if (labyrinth_reserve_bits(pool, r, 0, want, sg) != want)
			err = -ENOMEM;
	}
	if (!err)
		err = labyrinth_dma_map_segment(pool, sg);
	if (err)
		return err;
	labyrinth_segment_seal(pool, sg);
	pool->nr_segments = 1;
	return 0;
}

/*
 * Reserve @step frames for growth into @sg, spread over the regions with
 * room in proportion to their share of the cap; a second pass gives what
 * full regions could not take to those with room.  @grown[r] counts what
 * region r got, above its backed bits.
 * Return: 0, or -ENOMEM if fewer than @step frames could be reserved.
 */
static int labyrinth_grow_reserve(struct labyrinth_pool *pool, unsigned int step,
				  unsigned int *grown, struct labyrinth_segment *sg)
{
	unsigned int added = 0, pass, r, n, got;

	for (pass = 0; pass < 2 && added < step; pass++) {
		for (r = 0; r < pool->nr_regions && added < step; r++) {
			const struct labyrinth_region *rg = &pool->regions[r];
			unsigned int base = rg->backed + grown[r];

			n = min(rg->nr - base, step - added);
			if (!pass)
				n = min_t(unsigned int, n,
					  DIV_ROUND_UP_ULL((u64)step * rg->nr, pool->max_frames));
			got = n ? labyrinth_reserve_bits(pool, r, base, n, sg) : 0;
			grown[r] += got;
			added += got;
			if (got < n)
				return -ENOMEM;
		}
	}
	return added == step ? 0 : -ENOMEM;
}

/*
 * Make a reserved step visible: first to frees (its frames enter the frame
 * table), then to grants (each region's backed count).  The new frames'
 * bits are clear all along, so a free that finds one before it was ever
 * granted is refused as not owned, and no grant sees a frame a free cannot
 * find.
 */
static void labyrinth_grow_publish(struct labyrinth_pool *pool, unsigned int seg,
				   const unsigned int *grown, unsigned int added)
{
	unsigned int r;

	labyrinth_segment_seal(pool, &pool->segments[seg]);
	WRITE_ONCE(pool->nr_segments, seg + 1);
	labyrinth_grow_window(pool);
	for (r = 0; r < pool->nr_regions; r++)
		if (grown[r])
			/* pairs with labyrinth_region_backed(): addresses first */
			smp_store_release(&pool->regions[r].backed,
					  pool->regions[r].backed + grown[r]);
	WRITE_ONCE(pool->backed_frames, pool->backed_frames + added);
	atomic_long_add(added, &pool->refills);
}

/* A failed step's frames: their addresses and clean bits go before their pages do. */
static void labyrinth_forget_frames(struct labyrinth_pool *pool,
				    const struct labyrinth_segment *sg)
{
	unsigned int c, i;

	for (c = 0; c < sg->nr; c++) {
		memset(&pool->frame_addr[sg->chunks[c].first], 0,
		       sg->chunks[c].nr * sizeof(*pool->frame_addr));
		for (i = 0; i < sg->chunks[c].nr; i++)
			clear_bit(sg->chunks[c].first + i, pool->clean);
	}
}

/*
 * One growth step, in process context: reserve a quarter of the initial
 * size more, or enough to reach the cap within the segments left, whichever
 * is larger, as a new segment.  A step is all or nothing: one that cannot
 * reserve all its frames gives them back and fails, so a spell of memory
 * pressure never spends the segments that the cap needs.
 * Return: frames added, 0 at the cap, or a negative error code.
 */
static int labyrinth_grow(struct labyrinth_pool *pool)
{
	unsigned int seg = pool->nr_segments, step, room;
	struct labyrinth_segment *sg;
	unsigned int *grown;
	int err;

	room = pool->max_frames - pool->backed_frames;
	if (!room)
		return 0;
	/* steps are sized to reach the cap by the last segment */
	if (WARN_ON_ONCE(seg >= LABYRINTH_MAX_SEGMENTS))
		return -ENOSPC;
	step = max(DIV_ROUND_UP(pool->nr_frames, 4),
		   DIV_ROUND_UP(room, LABYRINTH_MAX_SEGMENTS - seg));
	step = min(step, room);
	/* a step memory cannot hold would be reserved and given back each time */
	if (step > si_mem_available())
		return -ENOMEM;
	sg = &pool->segments[seg];
	grown = kvcalloc(pool->nr_regions, sizeof(*grown), GFP_KERNEL | __GFP_NOWARN);
	if (!grown)
		return -ENOMEM;
	err = labyrinth_segment_init(sg, step);
	if (!err)
		err = labyrinth_grow_reserve(pool, step, grown, sg);
	if (!err)
		err = labyrinth_dma_map_segment(pool, sg);
	if (err) {
		labyrinth_forget_frames(pool, sg);
		labyrinth_release_segment(sg);
	} else {
		labyrinth_grow_publish(pool, seg, grown, step);
	}
	kvfree(grown);
	return err ?: step;
}

static void labyrinth_grow_work(struct work_struct *work)
{
	struct labyrinth_pool *pool = container_of(work, struct labyrinth_pool, grow_work);
	int ret;

	if (READ_ONCE(pool->stopping))
		return;
	ret = labyrinth_grow(pool);
	if (ret < 0) {
		atomic_long_inc(&pool->refill_failures);
		WRITE_ONCE(pool->grow_failed_at, jiffies);
	}
	trace_labyrinth_refill(pool, max(ret, 0), min(ret, 0));
}

static void labyrinth_grow_kick(struct irq_work *work)
{
	struct labyrinth_pool *pool = container_of(work, struct labyrinth_pool, grow_kick);

	/* unbound: a large step should not hold up the kicking CPU's work */
	queue_work(system_unbound_wq, &pool->grow_work);
}

/*
 * Region a CPU without frames of its own grants from first: the CPUs with
 * frames, taken in turn, so that a CPU onlined after create (or one left
 * out of a pool smaller than the CPU count) neither steals on every grant
 * nor kicks growth that could never fill its own empty region.
 */
static unsigned int labyrinth_adopted_home(const struct labyrinth_pool *pool, unsigned int cpu)
{
	unsigned int r, with_frames = 0, pick;

	for (r = 0; r < pool->nr_regions; r++)
		with_frames += pool->regions[r].nr > 0;
	pick = cpu % with_frames;
	for (r = 0; r < pool->nr_regions; r++)
		if (pool->regions[r].nr && !pick--)
			break;
	return r;
}

/* Each CPU's home region, and its bounds for the fast path. */
static void labyrinth_assign_homes(struct labyrinth_pool *pool)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct labyrinth_pcpu *pc = per_cpu_ptr(pool->pcpu, cpu);
		struct labyrinth_region *rg;

		pc->home = pool->regions[cpu].nr ? cpu : labyrinth_adopted_home(pool, cpu);
		rg = &pool->regions[pc->home];
		pc->map = labyrinth_region_map(pool, pc->home);
		pc->addrs = &pool->frame_addr[rg->first];
		pc->backed = &rg->backed;
		pc->first = rg->first;
		pc->nr = rg->nr;
	}
}

/* Frame table slots, as a power of two: twice the cap or more. */
static unsigned int labyrinth_table_bits(unsigned int max_frames)
{
	return order_base_2(2 * (u64)max_frames);
}

/*
 * Give each CPU online now a home region with an even share of the frames
 * and of the growth cap, each region starting on a cache line of its own.
 * Bits beyond a region's initial frames stay clear and unsearched until
 * growth backs them.  CPUs that come online later share a home region.
 */
static int labyrinth_layout(struct labyrinth_pool *pool)
{
	unsigned int online, k = 0, bit = 0, cpu;

	cpus_read_lock();	/* every frame placed: the online set holds still */
	online = num_online_cpus();
	for_each_online_cpu(cpu) {
		struct labyrinth_region *rg = &pool->regions[cpu];

		rg->first = bit;
		rg->backed = pool->nr_frames / online + (k < pool->nr_frames % online);
		rg->nr = pool->max_frames / online + (k < pool->max_frames % online);
		bit += round_up(rg->nr, LABYRINTH_REGION_ALIGN_BITS);
		k++;
	}
	cpus_read_unlock();
	pool->nr_bits = bit;
	pool->backed_frames = pool->nr_frames;
	pool->bitmap = kvcalloc(BITS_TO_LONGS(bit), sizeof(long), GFP_KERNEL | __GFP_NOWARN);
	pool->frame_addr = kvcalloc(bit, sizeof(*pool->frame_addr), GFP_KERNEL | __GFP_NOWARN);
	pool->table_bits = labyrinth_table_bits(pool->max_frames);
	pool->frame_table = kvcalloc(BIT(pool->table_bits), sizeof(*pool->frame_table),
				     GFP_KERNEL | __GFP_NOWARN);
	pool->clean = kvcalloc(BITS_TO_LONGS(bit), sizeof(long), GFP_KERNEL | __GFP_NOWARN);
	if (pool->dma_dev)
		pool->frame_dma = kvcalloc(bit, sizeof(*pool->frame_dma),
					   GFP_KERNEL | __GFP_NOWARN);
	if (!pool->bitmap || !pool->frame_addr || !pool->frame_table || !pool->clean ||
	    (pool->dma_dev && !pool->frame_dma))
		return -ENOMEM;
	labyrinth_assign_homes(pool);
	return 0;
}

/*
 * Pages of a pool's own bookkeeping, sized by its cap: the frame address
 * array and the bitmap, with room for the region padding, and the frame
 * table.
 */
static unsigned long labyrinth_meta_pages(unsigned int max_frames)
{
	u64 bits = (u64)max_frames + (u64)nr_cpu_ids * LABYRINTH_REGION_ALIGN_BITS;
	u64 table = BIT_ULL(labyrinth_table_bits(max_frames)) * sizeof(u32);

	return DIV_ROUND_UP_ULL(bits * sizeof(unsigned long) + bits / BITS_PER_BYTE + table,
				PAGE_SIZE);
}

/*
 * A DMA-mapped pool's device and window.  Each refusal names its reason: a
 * driver's probe that fails with a bare -EINVAL is hard to debug.  Fields
 * set without the flag are refused too, since the caller clearly meant a
 * mapped pool and would otherwise get one that is not.
 */
static int labyrinth_check_dma(const struct labyrinth_pool_config *cfg)
{
	struct device *dev = cfg->dma_dev;
	const char *why = NULL;

	if (!(cfg->flags & LABYRINTH_POOL_DMA_MAP)) {
		if (dev || cfg->dma_dir || cfg->dma_offset || cfg->dma_max_len)
			why = "dma_* fields set without LABYRINTH_POOL_DMA_MAP";
	} else if (!dev) {
		why = "LABYRINTH_POOL_DMA_MAP without a dma_dev";
	} else if (!valid_dma_direction(cfg->dma_dir)) {
		why = "dma_dir is not DMA_BIDIRECTIONAL, DMA_TO_DEVICE or DMA_FROM_DEVICE";
	} else if (!dev->dma_mask || !*dev->dma_mask) {
		why = "dma_dev has no DMA mask (dma_set_mask_and_coherent() first)";
	} else if (cfg->dma_offset >= PAGE_SIZE ||
		   cfg->dma_max_len > PAGE_SIZE - cfg->dma_offset) {
		why = "dma_offset + dma_max_len beyond the page";
	}
	if (!why)
		return 0;
	pr_err("pool %s: rejected: %s\n", cfg->name, why);
	return -EINVAL;
}

static int labyrinth_check_config(const struct labyrinth_pool_config *cfg)
{
	const char *name = cfg->name;
	int err;

	if (!name || !*name || strnlen(name, LABYRINTH_POOL_NAME_MAX) >= LABYRINTH_POOL_NAME_MAX)
		return -EINVAL;
	if (!cfg->nr_frames || (cfg->max_frames && cfg->max_frames < cfg->nr_frames))
		return -EINVAL;
	if (cfg->flags & ~(LABYRINTH_POOL_POISON | LABYRINTH_POOL_SINGLE_OWNER |
			   LABYRINTH_POOL_NO_WIPE | LABYRINTH_POOL_DMA_MAP))
		return -EINVAL;
	err = labyrinth_check_dma(cfg);
	if (err)
		return err;
	if (max(cfg->nr_frames, cfg->max_frames) > LABYRINTH_MAX_FRAMES ||
	    cfg->nr_frames + labyrinth_meta_pages(max(cfg->nr_frames, cfg->max_frames)) >
	    si_mem_available())
		return -ENOMEM;
	return 0;
}

/**
 * labyrinth_pool_create_config() - reserve a pool: growth cap, poisoning
 * @config: name, sizes and flags; see &struct labyrinth_pool_config
 *
 * Every one of @config->nr_frames pages is reserved now, spread evenly over
 * the home regions of the CPUs online now and taken from each CPU's NUMA
 * node, in high-order chunks where the buddy allocator has them; grants
 * never allocate.  Pages are zeroed here (or poisoned, with
 * %LABYRINTH_POOL_POISON) so the first owner never sees stale data; with
 * %LABYRINTH_POOL_SINGLE_OWNER that is the only time they are cleared.
 *
 * With a growth cap, a CPU whose home region runs empty kicks a work item
 * (through irq_work, so from any context) that reserves more, in process
 * context, each step a quarter of @config->nr_frames or enough to reach
 * @config->max_frames in the %LABYRINTH_MAX_SEGMENTS - 1 steps a pool may
 * take, whichever is larger.  A step that fails is retried a second later
 * at the earliest.
 *
 * With %LABYRINTH_POOL_DMA_MAP every frame is mapped for
 * @config->dma_dev here and by each growth step, before any grant can
 * return it; a growth step whose frames cannot all be mapped adds none.
 *
 * Context: Process context; may sleep.
 * Return: The pool; ERR_PTR(-EINVAL) for an empty, missing or too long
 * name, a zero @config->nr_frames, a @config->max_frames below it or an
 * unknown flag, or a DMA configuration that cannot work (see
 * %LABYRINTH_POOL_DMA_MAP; the reason is logged); ERR_PTR(-ENOMEM) when
 * either size exceeds LABYRINTH_MAX_FRAMES, @config->nr_frames exceeds the
 * memory available, the pages cannot be reserved or a frame cannot be
 * mapped for DMA.  On error nothing stays allocated or mapped.
 */
struct labyrinth_pool *labyrinth_pool_create_config(const struct labyrinth_pool_config *config)
{
	struct labyrinth_pool *pool;
	int err;

	might_sleep();
	err = labyrinth_check_config(config);
	if (err)
		return ERR_PTR(err);

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	strscpy(pool->name, config->name, sizeof(pool->name));
	pool->nr_frames = config->nr_frames;
	pool->max_frames = max(config->nr_frames, config->max_frames);
	pool->flags = config->flags;
	if (pool->flags & LABYRINTH_POOL_DMA_MAP) {
		pool->dma_dev = get_device(config->dma_dev);
		pool->dma_dir = config->dma_dir;
		pool->dma_offset = config->dma_offset;
		pool->dma_max_len = config->dma_max_len ?: PAGE_SIZE - config->dma_offset;
	}
	if (!(pool->flags & LABYRINTH_POOL_SINGLE_OWNER) &&
	    (want_init_on_alloc(GFP_ATOMIC) || want_init_on_free()))
		pool->flags |= LABYRINTH_POOL_ZEROES;
	pool->nr_regions = nr_cpu_ids;
	pool->grow_failed_at = jiffies - LABYRINTH_GROW_BACKOFF;
	init_irq_work(&pool->grow_kick, labyrinth_grow_kick);
	INIT_WORK(&pool->grow_work, labyrinth_grow_work);
	init_irq_work(&pool->wipe_kick, labyrinth_wipe_kicked);
	INIT_DELAYED_WORK(&pool->wipe_work, labyrinth_wipe_work);

	err = -ENOMEM;
	pool->regions = kcalloc(nr_cpu_ids, sizeof(*pool->regions), GFP_KERNEL | __GFP_NOWARN);
	pool->pcpu = alloc_percpu(struct labyrinth_pcpu);
	if (pool->regions && pool->pcpu)
		err = labyrinth_layout(pool);
	if (!err)
		err = labyrinth_reserve(pool);
	if (err) {
		labyrinth_free_pool(pool);
		return ERR_PTR(err);
	}
	labyrinth_debugfs_add(pool);
	return pool;
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_create_config, LABYRINTH);

/**
 * labyrinth_pool_create() - reserve a fixed pool of exclusive pages
 * @name: name for messages and statistics
 * @nr_frames: pages to reserve
 *
 * labyrinth_pool_create_config() with no growth and no poisoning.
 *
 * Context: Process context; may sleep.
 * Return: As labyrinth_pool_create_config().
 */
struct labyrinth_pool *labyrinth_pool_create(const char *name, unsigned int nr_frames)
{
	const struct labyrinth_pool_config config = { .name = name, .nr_frames = nr_frames };

	return labyrinth_pool_create_config(&config);
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_create, LABYRINTH);

/*
 * No growth step or wipe may run, or start, while destroy looks at the
 * pool: a wipe holds the frame it clears.  A wipe cancelled before it
 * cleared every dirty frame leaves them to the grants, which clear frames
 * that are not clean.
 */
static void labyrinth_stop_workers(struct labyrinth_pool *pool)
{
	WRITE_ONCE(pool->stopping, true);
	irq_work_sync(&pool->grow_kick);
	cancel_work_sync(&pool->grow_work);
	irq_work_sync(&pool->wipe_kick);
	cancel_delayed_work_sync(&pool->wipe_work);
	WRITE_ONCE(pool->wipe_armed, false);
}

/*
 * Grants and frees are RCU-sched readers: wait out the last ones, then stop
 * the workers again for a kick a grant's or a free's tail sent after it
 * read @stopping clear.
 */
static void labyrinth_quiesce(struct labyrinth_pool *pool)
{
	synchronize_rcu();
	labyrinth_stop_workers(pool);
}

/**
 * labyrinth_pool_destroy() - give a pool's pages back to the page allocator
 * @pool: pool from labyrinth_pool_create()
 *
 * Refused while any frame is owned: those frames may still be in use, so
 * nothing is released and the refusal is counted and reported.  A free
 * that gave back the last frame may still be finishing on another CPU (in
 * an interrupt, say) when the pool looks unowned: destroy waits for an
 * RCU grace period, so such a free is over before anything is released.
 * Every grant on @pool must have returned before destroy is called, and no
 * grant or free may start after.
 *
 * Context: Process context; may sleep.
 * Return: 0 once the pool is gone, -EINVAL for a NULL or ERR_PTR @pool, or
 * -EBUSY when frames are still owned (the pool stays usable).
 */
int labyrinth_pool_destroy(struct labyrinth_pool *pool)
{
	u64 owned;

	might_sleep();
	if (IS_ERR_OR_NULL(pool))
		return -EINVAL;
	labyrinth_stop_workers(pool);
	owned = labyrinth_owned(pool);
	if (owned) {
		atomic_long_inc(&pool->busy_destroy);
		pr_warn("pool %s: destroy refused from %pS: %llu frames still owned\n",
			pool->name, (void *)_RET_IP_, owned);
		WRITE_ONCE(pool->stopping, false);
		return -EBUSY;
	}
	labyrinth_quiesce(pool);
	labyrinth_free_pool(pool);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(labyrinth_pool_destroy, LABYRINTH);

/**
 * labyrinth_pool_abandon() - tear a pool down, keeping the frames still owned
 * @pool: pool whose owners may never give their frames back
 *
 * For module unload when labyrinth_pool_destroy() refused: frames that are
 * owned may still be written by whoever holds them, so they are never given
 * to the page allocator; they stay allocated for good.  Every other frame
 * and all of the pool's own memory is released.
 *
 * Context: Process context; may sleep.  No grant or free may run on @pool.
 * Return: The number of owned frames kept.
 */
unsigned long labyrinth_pool_abandon(struct labyrinth_pool *pool)
{
	unsigned long kept = 0;
	unsigned int seg, c, i;

	labyrinth_stop_workers(pool);
	labyrinth_quiesce(pool);
	for (seg = 0; seg < pool->nr_segments; seg++) {
		struct labyrinth_segment *sg = &pool->segments[seg];

		/* the device is going away: no frame keeps its mapping */
		labyrinth_dma_unmap_segment(pool, sg);
		for (c = 0; c < sg->nr; c++) {
			for (i = 0; i < sg->chunks[c].nr; i++) {
				if (test_bit(sg->chunks[c].first + i, pool->bitmap))
					kept++;
				else
					free_page(sg->chunks[c].start + i * PAGE_SIZE);
			}
			cond_resched();
		}
		sg->nr = 0;	/* every page dealt with: nothing left to release */
	}
	pr_err("pool %s: abandoned with %lu frames still owned: those stay allocated\n",
	       pool->name, kept);
	labyrinth_free_pool(pool);
	return kept;
}
