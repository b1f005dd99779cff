/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two peers of labyrinth's pool for the native benchmark, both without an
 * exclusivity check, so that the benchmark shows what that check costs
 * against designs a driver author would otherwise pick:
 *
 *   page_pool-like  one pool per CPU id, as a driver keeps one page_pool per
 *                   RX queue: an array cache the owning CPU alone touches
 *                   (page_pool's alloc cache and direct recycling), and a
 *                   ring under a spinlock that frees from other CPUs and a
 *                   full cache go to, refilled from in batches (its
 *                   ptr_ring).  A frame's pool is kept beside it, as
 *                   page_pool keeps it in struct page.
 *   freelist        a plain per-CPU-id list threaded through the free
 *                   frames: pop and push, nothing else.  A frame freed on
 *                   another CPU joins that CPU's list and never comes back,
 *                   so it takes no part in the hand-over scenario.
 *
 * Neither steals: a CPU id reaches only the frames of its own share, so a
 * drain on one thread ends at that share.  Frames are split evenly over
 * the CPU ids at create.
 */
#ifndef LAB_NATIVE_PEERS_H
#define LAB_NATIVE_PEERS_H

#include <linux/types.h>

struct pp_peer;
struct fl_peer;

/* Frames a peer holds now, free and ready, and the frames it was given. */
struct peer_count {
	unsigned long free;
	unsigned long total;
};

struct pp_peer *pp_peer_create(unsigned int nr_frames, unsigned int nr_cpus);
void pp_peer_destroy(struct pp_peer *pp);
void *pp_peer_alloc(struct pp_peer *pp);
int pp_peer_free(struct pp_peer *pp, void *addr);
unsigned int pp_peer_alloc_bulk(struct pp_peer *pp, void **addrs, unsigned int nr);
int pp_peer_free_bulk(struct pp_peer *pp, void **addrs, unsigned int nr);
void pp_peer_count(const struct pp_peer *pp, struct peer_count *c);

struct fl_peer *fl_peer_create(unsigned int nr_frames, unsigned int nr_cpus);
void fl_peer_destroy(struct fl_peer *fl);
void *fl_peer_alloc(struct fl_peer *fl);
int fl_peer_free(struct fl_peer *fl, void *addr);
unsigned int fl_peer_alloc_bulk(struct fl_peer *fl, void **addrs, unsigned int nr);
int fl_peer_free_bulk(struct fl_peer *fl, void **addrs, unsigned int nr);
void fl_peer_count(const struct fl_peer *fl, struct peer_count *c);

#endif /* LAB_NATIVE_PEERS_H */
