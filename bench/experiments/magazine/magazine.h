/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shape (b) of issue 4, as a user-space prototype next to labyrinth's pool:
 * per-CPU magazines in front of a lock-free depot, the exclusivity bitmap
 * used for ownership checks only.  See magazine.c.
 */
#ifndef _LABYRINTH_BENCH_MAGAZINE_H
#define _LABYRINTH_BENCH_MAGAZINE_H

#include <linux/types.h>

/* Frame indices a magazine holds: one bitmap word of frames when full. */
#define MAG_SIZE		64

/*
 * Flags for mag_pool_create().  MAG_POOL_LOCAL guards each CPU's
 * magazines with a plain per-CPU flag instead of a lock word other CPUs
 * can take: cheaper, still safe against NMIs on the same CPU, but no CPU
 * can reach the frames parked in another's magazines.  It is the lower
 * bound of what per-CPU magazines cost, not a shape that meets the brief.
 */
#define MAG_POOL_LOCAL		0x1u

struct mag_pool;

/**
 * struct mag_stats - counters of one magazine pool, summed over every CPU
 * @nr_frames: frames reserved at create
 * @owned: frames granted and not yet freed, read from the bitmap
 * @grants: frames handed out, bulk grants included
 * @frees: frames taken back, bulk frees included
 * @steals: magazines (or, on a diverted grant, frames) taken from another CPU
 * @diverted: grants and frees that found their own CPU's magazines busy
 *	(held by the context they interrupted or by a stealer) and used the
 *	depot instead
 * @depot: magazines exchanged with the depot by a CPU's own slow path
 * @failures: grants that returned NULL, or bulk grants that came up short
 * @bulk_atomics: atomic bitmap operations of bulk grants and frees, one per
 *	run of entries in one bitmap word (frames / this = the batching)
 * @bad_addr: frees refused for NULL, ERR_PTR or an unaligned address
 * @foreign: frees refused for an address this pool never reserved
 * @double_free: frees refused because the frame was not owned
 * @bad_grant: magazine entries whose frame was already owned (never
 *	handed out: a frame pushed twice, e.g. by an accepted stale free)
 */
struct mag_stats {
	u64 nr_frames;
	u64 owned;
	u64 grants;
	u64 frees;
	u64 steals;
	u64 diverted;
	u64 depot;
	u64 failures;
	u64 bulk_atomics;
	u64 bad_addr;
	u64 foreign;
	u64 double_free;
	u64 bad_grant;
};

struct mag_pool *mag_pool_create(unsigned int nr_frames, unsigned int flags);
int mag_pool_destroy(struct mag_pool *pool);
void *mag_pool_alloc(struct mag_pool *pool);
int mag_pool_free(struct mag_pool *pool, void *addr);
unsigned int mag_pool_alloc_bulk(struct mag_pool *pool, void **addrs, unsigned int nr);
int mag_pool_free_bulk(struct mag_pool *pool, void **addrs, unsigned int nr);
void mag_pool_read_stats(struct mag_pool *pool, struct mag_stats *stats);
void mag_pool_test_hold(struct mag_pool *pool, unsigned int cpu, bool hold);
bool mag_pool_test_held(struct mag_pool *pool, unsigned int cpu);

#endif /* _LABYRINTH_BENCH_MAGAZINE_H */
