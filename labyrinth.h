/* SPDX-License-Identifier: GPL-2.0 */
/*
 * labyrinth: per-CPU, lock-free pools of pre-reserved pages, each frame
 * tracked by an exclusivity bit so that no frame ever has two owners.
 *
 * Every grant and free is safe in process, softirq, hardirq and NMI context.
 * Exports live in the LABYRINTH symbol namespace: a client module needs
 * MODULE_IMPORT_NS(LABYRINTH) (labyrinth_compat.h makes that spelling work
 * on every kernel).
 */
#ifndef _LABYRINTH_H
#define _LABYRINTH_H

#include <linux/bits.h>
#include <linux/dma-direction.h>
#include <linux/types.h>
#include "labyrinth_compat.h"

struct device;
struct labyrinth_pool;

/**
 * LABYRINTH_POOL_NAME_MAX - longest pool name, including the NUL
 */
#define LABYRINTH_POOL_NAME_MAX	32

/**
 * LABYRINTH_MAX_FRAMES - largest number of frames one pool may reserve
 *
 * 256 GiB of 4 KiB pages.  Keeps the per-frame metadata of a pool (24
 * bytes a frame at worst) within what one kvmalloc() allocation may hold.
 */
#define LABYRINTH_MAX_FRAMES	BIT(26)

/**
 * struct labyrinth_stats - counters of one pool, summed over every CPU
 * @nr_frames: frames reserved now: at create, plus what growth added
 * @max_frames: growth cap (equal to @nr_frames at create for a fixed pool)
 * @owned: frames granted and not yet freed
 * @grants: frames handed out, bulk grants included
 * @frees: frames taken back, bulk frees included
 * @steals: grants served from a region other than the granting CPU's home
 * @remote_frees: frees of a frame outside the freeing CPU's home region
 * @failures: grants that returned NULL because every frame was owned
 * @bad_addr: frees refused for NULL, ERR_PTR or an unaligned address (-EINVAL)
 * @foreign: frees refused for an address this pool never reserved (-ENOENT)
 * @double_free: frees refused because the frame was not owned (-EALREADY)
 * @busy_destroy: destroys refused because frames were still owned (-EBUSY)
 * @refills: frames added by growth
 * @refill_failures: growth steps that could not add a frame
 * @poison_faults: grants that found a poisoned frame written after its free
 * @clean_grants: grants of a frame the background wipe had already cleared
 * @wiped: frames cleared by the background wipe after their free
 *
 * The counters are per CPU and read without stopping the pool, so a
 * snapshot taken while other CPUs work is approximate.  @owned is @grants
 * less @frees: exact whenever no grant or free is running.
 */
struct labyrinth_stats {
	u64 nr_frames;
	u64 max_frames;
	u64 owned;
	u64 grants;
	u64 frees;
	u64 steals;
	u64 remote_frees;
	u64 failures;
	u64 bad_addr;
	u64 foreign;
	u64 double_free;
	u64 busy_destroy;
	u64 refills;
	u64 refill_failures;
	u64 poison_faults;
	u64 clean_grants;
	u64 wiped;
};

/**
 * LABYRINTH_POOL_POISON - poison freed frames and check the poison on grant
 *
 * A free fills the page with %LABYRINTH_POISON_BYTE; the next grant of the
 * frame checks every byte and counts and reports a write after free.  Costs
 * a page write per free and a page read per grant: a debugging option.
 * The poison is written before the frame is released, so two racing frees
 * of one frame (a caller's bug) can poison the frame's next owner.
 */
#define LABYRINTH_POOL_POISON	BIT(0)

/**
 * LABYRINTH_POOL_SINGLE_OWNER - zero frames once, at reservation, never on recycle
 *
 * page_pool's contract, for a pool whose frames only its creator ever
 * holds (an RX ring's buffers, say): frames are zeroed when reserved, at
 * create and by growth, and a recycled frame keeps whatever its last owner,
 * the same client, left in it, even when the kernel runs with init_on_alloc
 * or init_on_free.  Without this flag a pool follows the kernel's policy:
 * under init_on_alloc or init_on_free every grant clears the frame, so no
 * owner sees the bytes of the one before.  The default pool, which every
 * client module shares, always follows the kernel's policy.  With
 * %LABYRINTH_POOL_POISON as well, frames hold the poison pattern instead of
 * zeroes, and the poison is still checked on every grant.
 */
#define LABYRINTH_POOL_SINGLE_OWNER	BIT(1)

/**
 * LABYRINTH_POOL_NO_WIPE - under the kernel's policy, clear at grant only
 *
 * A pool that follows the kernel's policy has the frames it frees cleared
 * in the background soon after, so that grants after an idle spell find
 * them clear.  With this flag every frame is cleared by the grant that
 * hands it out instead: the grant costs a page clear, and the page is in
 * the granting CPU's cache when the owner first writes it.  No effect on a
 * single-owner pool, which never clears on recycle, nor on a poisoned one,
 * which is never wiped.
 */
#define LABYRINTH_POOL_NO_WIPE	BIT(2)

/**
 * LABYRINTH_POOL_DMA_MAP - map every frame for a device once, at reservation
 *
 * page_pool's PP_FLAG_DMA_MAP contract: each frame is mapped for
 * &labyrinth_pool_config.dma_dev in &labyrinth_pool_config.dma_dir when it
 * is reserved, at create and by each growth step, and unmapped when the
 * pool is destroyed.  The mapping is made with DMA_ATTR_SKIP_CPU_SYNC: the
 * owner of a frame syncs the range it hands to the device and the range it
 * reads back (labyrinth_pool_dma_sync_for_device(),
 * labyrinth_pool_dma_sync_for_cpu()).  labyrinth_pool_dma_addr() gives a
 * frame's DMA address in O(1) from any context.
 */
#define LABYRINTH_POOL_DMA_MAP	BIT(3)

/**
 * LABYRINTH_POISON_BYTE - pattern a poisoned pool writes into freed frames
 */
#define LABYRINTH_POISON_BYTE	0x6b

/**
 * struct labyrinth_pool_config - how to create a pool
 * @name: for messages and statistics, 1 to LABYRINTH_POOL_NAME_MAX - 1
 *        characters
 * @nr_frames: pages reserved at create
 * @max_frames: growth cap, at least @nr_frames; 0 for a fixed pool
 * @flags: %LABYRINTH_POOL_POISON, %LABYRINTH_POOL_SINGLE_OWNER,
 *         %LABYRINTH_POOL_NO_WIPE, %LABYRINTH_POOL_DMA_MAP, any of them
 *         together, or 0
 * @dma_dev: with %LABYRINTH_POOL_DMA_MAP, the device every frame is mapped
 *           for; it must have a DMA mask.  The pool holds a reference to it
 *           until it is destroyed.  NULL without the flag.
 * @dma_dir: with %LABYRINTH_POOL_DMA_MAP, the direction of the mappings:
 *           %DMA_FROM_DEVICE for a receive ring, %DMA_TO_DEVICE for
 *           transmit, %DMA_BIDIRECTIONAL (0, the default) for both.  0
 *           without the flag.
 * @dma_offset: with %LABYRINTH_POOL_DMA_MAP, where in a frame the device's
 *              part starts (headroom the device never touches); syncs
 *              cover no byte below it.  Below PAGE_SIZE; 0 without the flag.
 * @dma_max_len: with %LABYRINTH_POOL_DMA_MAP, the longest the device
 *               reads or writes from @dma_offset; syncs cover no byte at
 *               or beyond @dma_offset + @dma_max_len, as page_pool's
 *               max_len.  0 for the rest of the page; @dma_offset +
 *               @dma_max_len at most PAGE_SIZE.  0 without the flag.
 */
struct labyrinth_pool_config {
	const char *name;
	unsigned int nr_frames;
	unsigned int max_frames;
	unsigned int flags;
	struct device *dma_dev;
	enum dma_data_direction dma_dir;
	unsigned int dma_offset;
	unsigned int dma_max_len;
};

void *labyrinth_void_alloc_page_gfp_atomic_exclusive(void);
int labyrinth_free_page_exclusive(void *addr);
struct labyrinth_pool *labyrinth_default_pool(void);

struct labyrinth_pool *labyrinth_pool_create(const char *name, unsigned int nr_frames);
struct labyrinth_pool *labyrinth_pool_create_config(const struct labyrinth_pool_config *config);
int labyrinth_pool_destroy(struct labyrinth_pool *pool);
void *labyrinth_pool_alloc(struct labyrinth_pool *pool);
int labyrinth_pool_free(struct labyrinth_pool *pool, void *addr);
unsigned int labyrinth_pool_alloc_bulk(struct labyrinth_pool *pool, void **addrs,
				       unsigned int nr);
int labyrinth_pool_free_bulk(struct labyrinth_pool *pool, void **addrs, unsigned int nr);
void labyrinth_pool_read_stats(struct labyrinth_pool *pool, struct labyrinth_stats *stats);
const char *labyrinth_pool_name(const struct labyrinth_pool *pool);

dma_addr_t labyrinth_pool_dma_addr(const struct labyrinth_pool *pool, const void *addr);
int labyrinth_pool_dma_sync_for_cpu(const struct labyrinth_pool *pool, const void *addr,
				    unsigned int offset, unsigned int len);
int labyrinth_pool_dma_sync_for_device(const struct labyrinth_pool *pool, const void *addr,
				       unsigned int offset, unsigned int len);
int labyrinth_pool_dma_sync_bulk_for_cpu(const struct labyrinth_pool *pool, void * const *addrs,
					 unsigned int nr, unsigned int offset, unsigned int len);
int labyrinth_pool_dma_sync_bulk_for_device(const struct labyrinth_pool *pool,
					    void * const *addrs, unsigned int nr,
					    unsigned int offset, unsigned int len);

#endif /* _LABYRINTH_H */
