/* SPDX-License-Identifier: GPL-2.0 */
/*
 * labyrinth internals shared by the pool, the module core and the KUnit
 * suites.  Nothing here is part of the exported API.
 */
#ifndef _LABYRINTH_INTERNAL_H
#define _LABYRINTH_INTERNAL_H

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>
#include "labyrinth.h"

/*
 * Bits of one CPU's home region are rounded up to whole cache lines so that
 * two CPUs granting from their own regions never write the same line.
 */
#define LABYRINTH_REGION_ALIGN_BITS	(SMP_CACHE_BYTES * BITS_PER_BYTE)

/*
 * Internal flag: the pool follows the kernel's policy and the kernel runs
 * with init_on_alloc or init_on_free, so frames are cleared between owners.
 * Above every flag of labyrinth.h.
 */
#define LABYRINTH_POOL_ZEROES	BIT(31)

/* How long after a free the background wipe looks for frames to clear. */
#define LABYRINTH_WIPE_DELAY	max(1, HZ / 100)

/* Default pool size when nr_pages is not given: 4 MiB of 4 KiB pages. */
#define LABYRINTH_DEFAULT_NR_PAGES	1024U

/*
 * One CPU's view of its pool.  @map, @addrs, @backed, @first and @nr
 * describe the home region and never change after create, so the fast path
 * finds its region without reading the shared region array.
 */
struct labyrinth_pcpu {
	unsigned long *map;		/* the home region's first bitmap word */
	const unsigned long *addrs;	/* frame_addr[] from the home region's first bit */
	const unsigned int *backed;	/* the home region's searchable bits */
	unsigned int home;	/* region this CPU grants from first */
	unsigned int first;	/* the home region's first bit */
	unsigned int nr;	/* the home region's bits, backed or not */
	unsigned int hint;	/* next bit to try in the home region */
	u64 grants;
	u64 frees;
	u64 steals;
	u64 remote_frees;
	u64 failures;
	u64 clean_grants;
	u64 wiped;
};

/*
 * A run of physically contiguous frames that were reserved together and
 * occupy consecutive frame indices: start maps to frame index first.
 */
struct labyrinth_chunk {
	unsigned long start;
	unsigned int nr;
	unsigned int first;
};

/*
 * One CPU's home region: bitmap bits [first, first + nr).  Only the first
 * @backed bits have frames, and only those are ever searched; the rest wait
 * for growth with their bits clear, so a free of a frame growth is still
 * publishing finds it not owned.  Growth raises @backed with a release
 * once the frames can be found by a free; grants read it with an acquire.
 */
struct labyrinth_region {
	unsigned int first;
	unsigned int nr;
	unsigned int backed;
};

/*
 * The chunks of one reservation: the create, or one growth step, kept to
 * give the pages back.  Never changed once published.
 */
struct labyrinth_segment {
	struct labyrinth_chunk *chunks;
	unsigned int nr;
	bool mapped;	/* every frame mapped for the pool's DMA device */
};

/* Reservations a pool can make: its create, then up to 15 growth steps. */
#define LABYRINTH_MAX_SEGMENTS	16

/* How long a failed growth step holds back the next one. */
#define LABYRINTH_GROW_BACKOFF	HZ

/**
 * struct labyrinth_pool - one pool of exclusive pages
 * @name: for messages and statistics
 * @nr_frames: frames reserved at create
 * @max_frames: growth cap; equal to @nr_frames for a fixed pool
 * @backed_frames: frames reserved so far, growth included
 * @nr_regions: one home region per possible CPU id
 * @nr_bits: bitmap bits, cache-line padding between regions included
 * @regions: home region of each CPU id; CPUs offline at create get none
 * @bitmap: exclusivity bitmap, bit set while the frame is owned
 * @frame_addr: frame index (bit number) to direct-map address, 0 for padding
 * @frame_table: address to frame index for the frees: an open-addressed
 *               hash of page frame numbers, entries frame index + 1, 0 empty
 * @table_bits: log2 of the slots of @frame_table, at least twice the cap
 * @segments: reservations, to give their pages back
 * @nr_segments: entries of @segments in use
 * @grow_kick: queued from any context when a home region runs empty
 * @grow_work: process-context growth step, queued by @grow_kick
 * @stopping: set while destroy waits for growth to finish
 * @grow_failed_at: jiffies of the last failed growth step; no retry for
 *                  %LABYRINTH_GROW_BACKOFF after it
 * @clean: one bit per frame, set while the frame is free and holds only
 *         zeroes: written at reservation and by the background wipe, taken
 *         by the grant that hands the frame out (%LABYRINTH_POOL_ZEROES)
 * @wipe_kick: queued from any context by a free when the wipe is idle
 * @wipe_work: the background wipe, in process context
 * @wipe_armed: the wipe is queued or running; frees need not kick it
 * @refills: frames added by growth
 * @refill_failures: growth steps that added nothing
 * @flags: LABYRINTH_POOL_* flags from the config, and %LABYRINTH_POOL_ZEROES
 * @dma_dev: device the frames are mapped for (%LABYRINTH_POOL_DMA_MAP), a
 *           reference held; NULL for a pool without DMA mappings
 * @dma_dir: direction of the mappings
 * @dma_offset: first byte of a frame that syncs cover
 * @dma_max_len: bytes from @dma_offset that syncs cover at most
 * @frame_dma: frame index to DMA address, like @frame_addr; written before
 *             the frame enters @frame_table, never changed while it is there
 * @poison_faults: grants that found a frame written after its free
 * @pcpu: per-CPU hint and event counters
 * @debugfs: the pool's directory under /sys/kernel/debug/labyrinth
 * @bad_addr: frees refused for NULL, ERR_PTR or unaligned addresses
 * @foreign: frees refused for addresses outside the pool
 * @double_free: frees refused because the frame was not owned
 * @busy_destroy: destroys refused because frames were owned
 *
 * Grants and frees write only the bitmap, the clean bits, the per-CPU data
 * and the misuse counters; growth appends segments and fills regions'
 * unbacked bits; the background wipe holds a free frame, like a grant, for
 * the time it takes to clear it.
 */
struct labyrinth_pool {
	char name[LABYRINTH_POOL_NAME_MAX];
	unsigned int nr_frames;
	unsigned int max_frames;
	unsigned int backed_frames;
	unsigned int nr_regions;
	unsigned int nr_bits;
	struct labyrinth_region *regions;
	unsigned long *bitmap;
	unsigned long *frame_addr;
	u32 *frame_table;
	unsigned int table_bits;
	struct labyrinth_segment segments[LABYRINTH_MAX_SEGMENTS];
	unsigned int nr_segments;
	struct irq_work grow_kick;
	struct work_struct grow_work;
	bool stopping;
	unsigned long grow_failed_at;
	unsigned long *clean;
	struct irq_work wipe_kick;
	struct delayed_work wipe_work;
	bool wipe_armed;
	atomic_long_t refills;
	atomic_long_t refill_failures;
	unsigned int flags;
	struct device *dma_dev;
	enum dma_data_direction dma_dir;
	unsigned int dma_offset;
	unsigned int dma_max_len;
	dma_addr_t *frame_dma;
	atomic_long_t poison_faults;
	struct labyrinth_pcpu __percpu *pcpu;
	struct dentry *debugfs;
	atomic_long_t bad_addr;
	atomic_long_t foreign;
	atomic_long_t double_free;
	atomic_long_t busy_destroy;
};

/* Searchable bits of @region; its frames' addresses are visible after it. */
static inline unsigned int labyrinth_region_backed(const struct labyrinth_pool *pool,
						   unsigned int region)
{
	/* pairs with the release in labyrinth_grow_publish() */
	return smp_load_acquire(&pool->regions[region].backed);
}

static inline unsigned int labyrinth_index_limit(const struct labyrinth_pool *pool)
{
	return pool->nr_bits;
}

#if IS_ENABLED(CONFIG_LABYRINTH_KUNIT_TEST)
/*
 * For the suites that check exact exhaustion or which frame comes back:
 * while set, frees do not start the background wipe, which holds frames.
 */
extern bool labyrinth_wipe_held_off;
static inline bool labyrinth_wipe_allowed(void)
{
	return !READ_ONCE(labyrinth_wipe_held_off);
}

/* Fault injection for the suites: fail reserving chunk number N (1-based). */
extern unsigned int labyrinth_fail_reserve_at;
static inline bool labyrinth_reserve_should_fail(unsigned int nr_chunks)
{
	/* read by the growth work item while a test thread may set it */
	unsigned int at = READ_ONCE(labyrinth_fail_reserve_at);

	return at && nr_chunks + 1 >= at;
}

/*
 * Fault injection for the DMA suite: fail mapping frame number N (1-based)
 * of a reservation, and every one after it, as dma_mapping_error() would.
 */
extern unsigned int labyrinth_fail_dma_map_at;
static inline bool labyrinth_dma_map_should_fail(unsigned int nr_mapped)
{
	/* read by the growth work item while a test thread may set it */
	unsigned int at = READ_ONCE(labyrinth_fail_dma_map_at);

	return at && nr_mapped + 1 >= at;
}

/*
 * Called by a growth step after its segment is published and before its
 * frames become grantable, so a suite can act inside that window.
 */
extern void (*labyrinth_grow_window_hook)(struct labyrinth_pool *pool);

static inline void labyrinth_grow_window(struct labyrinth_pool *pool)
{
	void (*hook)(struct labyrinth_pool *pool) = READ_ONCE(labyrinth_grow_window_hook);

	if (hook)
		hook(pool);
}
#else
static inline bool labyrinth_wipe_allowed(void)
{
	return true;
}

static inline bool labyrinth_reserve_should_fail(unsigned int nr_chunks)
{
	return false;
}

static inline bool labyrinth_dma_map_should_fail(unsigned int nr_mapped)
{
	return false;
}

static inline void labyrinth_grow_window(struct labyrinth_pool *pool)
{
}
#endif

/* The default pool, set by labyrinth_core.c before its exports can run. */
extern struct labyrinth_pool *labyrinth_default;

void labyrinth_debugfs_add(struct labyrinth_pool *pool);
void labyrinth_debugfs_remove(struct labyrinth_pool *pool);
void labyrinth_debugfs_init(void);
void labyrinth_debugfs_exit(void);

unsigned long labyrinth_pool_abandon(struct labyrinth_pool *pool);
int labyrinth_frame_index(const struct labyrinth_pool *pool, const void *addr,
			  unsigned int *index);

int labyrinth_parse_pages(const char *text, unsigned int min, unsigned long ram_pages,
			  unsigned int *pages, char *why, size_t why_len);

#endif /* _LABYRINTH_INTERNAL_H */
