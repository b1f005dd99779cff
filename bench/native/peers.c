// SPDX-License-Identifier: GPL-2.0
/*
 * The native benchmark's peers of labyrinth's pool (see peers.h): a
 * page_pool-like recycle and a plain per-CPU free list.  Built after
 * net/core/page_pool.c's shape (alloc cache of 128 refilled 64 at a time
 * from a ring; frees by the owning CPU go straight back to the cache), not
 * from its code.  The frames are one block of memory of their own, touched
 * once at create so that no timed loop takes a page fault.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cache.h>
#include <linux/compiler_types.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include "peers.h"

#define PP_CACHE	128	/* page_pool's PP_ALLOC_CACHE_SIZE */
#define PP_REFILL	64	/* page_pool's PP_ALLOC_CACHE_REFILL */

static void *peer_frames(unsigned int nr_frames)
{
	char *base = aligned_alloc(PAGE_SIZE, (size_t)nr_frames * PAGE_SIZE);
	unsigned int i;

	if (base)
		for (i = 0; i < nr_frames; i++)
			base[(size_t)i * PAGE_SIZE] = 0;
	return base;
}

/* Frames of CPU id @cpu's share: [first, first + nr). */
static void peer_share(unsigned int nr_frames, unsigned int nr_cpus, unsigned int cpu,
		       unsigned int *first, unsigned int *nr)
{
	unsigned int extra = nr_frames % nr_cpus;

	*first = nr_frames / nr_cpus * cpu + (cpu < extra ? cpu : extra);
	*nr = nr_frames / nr_cpus + (cpu < nr_frames % nr_cpus);
}

/* ---- page_pool-like: alloc cache + ring */

/* ptr_ring's two locks, each with its index on a line of its own */
struct pp_ring {
	int producer_lock ____cacheline_aligned;
	unsigned int head;
	int consumer_lock ____cacheline_aligned;
	unsigned int tail;
	unsigned int mask;
	void **slot;
};

struct pp_cpu {
	unsigned int count;
	void *cache[PP_CACHE];
	struct pp_ring ring;
} ____cacheline_aligned;

struct pp_peer {
	unsigned int nr_frames;
	unsigned int nr_cpus;
	char *base;
	unsigned short *owner;	/* the CPU id whose pool a frame belongs to */
	struct pp_cpu *cpu;
};

static void pp_lock(int *lock)
{
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			cpu_relax();
}

static void pp_unlock(int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* The ring holds its CPU's whole share: a put never finds it full. */
static void pp_ring_put(struct pp_ring *r, void *p)
{
	pp_lock(&r->producer_lock);
	r->slot[r->head & r->mask] = p;
	/* pairs with the acquire in pp_refill(): the slot before the index */
	__atomic_store_n(&r->head, r->head + 1, __ATOMIC_RELEASE);
	pp_unlock(&r->producer_lock);
}

static noinline void *pp_refill(struct pp_cpu *c)
{
	struct pp_ring *r = &c->ring;
	unsigned int head;

	pp_lock(&r->consumer_lock);
	head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	while (r->tail != head && c->count < PP_REFILL)
		c->cache[c->count++] = r->slot[r->tail++ & r->mask];
	pp_unlock(&r->consumer_lock);
	return c->count ? c->cache[--c->count] : NULL;
}

static int pp_index(const struct pp_peer *pp, const void *addr, unsigned long *index)
{
	unsigned long off = (const char *)addr - pp->base;

	if ((const char *)addr < pp->base || off % PAGE_SIZE ||
	    off / PAGE_SIZE >= pp->nr_frames)
		return -EINVAL;
	*index = off / PAGE_SIZE;
	return 0;
}

void *pp_peer_alloc(struct pp_peer *pp)
{
	struct pp_cpu *c = &pp->cpu[smp_processor_id()];

	/* fast path */
	if (likely(c->count))
		return c->cache[--c->count];
	return pp_refill(c);
}

int pp_peer_free(struct pp_peer *pp, void *addr)
{
	unsigned int cpu = smp_processor_id(), owner;
	struct pp_cpu *c = &pp->cpu[cpu];
	unsigned long i;

	if (unlikely(pp_index(pp, addr, &i)))
		return -EINVAL;
	owner = pp->owner[i];
	/* fast path: page_pool's direct recycling, in its owner's context */
	if (likely(owner == cpu && c->count < PP_CACHE)) {
		c->cache[c->count++] = addr;
		return 0;
	}
	pp_ring_put(&pp->cpu[owner].ring, addr);
	return 0;
}

unsigned int pp_peer_alloc_bulk(struct pp_peer *pp, void **addrs, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		addrs[i] = pp_peer_alloc(pp);
		if (!addrs[i])
			break;
	}
	return i;
}

int pp_peer_free_bulk(struct pp_peer *pp, void **addrs, unsigned int nr)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < nr; i++)
		err = pp_peer_free(pp, addrs[i]) ?: err;
	return err;
}

struct pp_peer *pp_peer_create(unsigned int nr_frames, unsigned int nr_cpus)
{
	struct pp_peer *pp = calloc(1, sizeof(*pp));
	unsigned int cpu, first, nr, size, i;

	if (!pp || !nr_cpus || nr_cpus > 65536)
		goto fail;
	pp->nr_frames = nr_frames;
	pp->nr_cpus = nr_cpus;
	pp->base = peer_frames(nr_frames);
	pp->owner = calloc(nr_frames, sizeof(*pp->owner));
	pp->cpu = aligned_alloc(SMP_CACHE_BYTES, nr_cpus * sizeof(*pp->cpu));
	if (pp->cpu)
		memset(pp->cpu, 0, nr_cpus * sizeof(*pp->cpu));
	if (!pp->base || !pp->owner || !pp->cpu)
		goto fail;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		struct pp_ring *r = &pp->cpu[cpu].ring;

		peer_share(nr_frames, nr_cpus, cpu, &first, &nr);
		for (size = 1; size < nr; size <<= 1)
			;
		r->mask = size - 1;
		r->slot = calloc(size, sizeof(*r->slot));
		if (!r->slot)
			goto fail;
		/* every frame starts in its pool's ring, as pages the pool got */
		for (i = first; i < first + nr; i++) {
			pp->owner[i] = cpu;
			r->slot[r->head++ & r->mask] = pp->base + (size_t)i * PAGE_SIZE;
		}
	}
	return pp;
fail:
	pp_peer_destroy(pp);
	return ERR_PTR(-ENOMEM);
}

void pp_peer_destroy(struct pp_peer *pp)
{
	unsigned int cpu;

	if (!pp)
		return;
	for (cpu = 0; pp->cpu && cpu < pp->nr_cpus; cpu++)
		free(pp->cpu[cpu].ring.slot);
	free(pp->cpu);
	free(pp->owner);
	free(pp->base);
	free(pp);
}

void pp_peer_count(const struct pp_peer *pp, struct peer_count *c)
{
	unsigned int cpu;

	c->free = 0;
	c->total = pp->nr_frames;
	for (cpu = 0; cpu < pp->nr_cpus; cpu++)
		c->free += pp->cpu[cpu].count + pp->cpu[cpu].ring.head - pp->cpu[cpu].ring.tail;
}

/* ---- plain per-CPU free list */

struct fl_cpu {
	void *head;
	unsigned long count;
} ____cacheline_aligned;

struct fl_peer {
	unsigned int nr_frames;
	unsigned int nr_cpus;
	char *base;
	struct fl_cpu *cpu;
};

void *fl_peer_alloc(struct fl_peer *fl)
{
	struct fl_cpu *c = &fl->cpu[smp_processor_id()];
	void *p = c->head;

	if (unlikely(!p))
		return NULL;
	c->head = *(void **)p;
	c->count--;
	return p;
}

int fl_peer_free(struct fl_peer *fl, void *addr)
{
	struct fl_cpu *c = &fl->cpu[smp_processor_id()];

	*(void **)addr = c->head;
	c->head = addr;
	c->count++;
	return 0;
}

unsigned int fl_peer_alloc_bulk(struct fl_peer *fl, void **addrs, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		addrs[i] = fl_peer_alloc(fl);
		if (!addrs[i])
			break;
	}
	return i;
}

int fl_peer_free_bulk(struct fl_peer *fl, void **addrs, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		fl_peer_free(fl, addrs[i]);
	return 0;
}

struct fl_peer *fl_peer_create(unsigned int nr_frames, unsigned int nr_cpus)
{
	struct fl_peer *fl = calloc(1, sizeof(*fl));
	unsigned int cpu, first, nr, i;

	if (!fl || !nr_cpus)
		goto fail;
	fl->nr_frames = nr_frames;
	fl->nr_cpus = nr_cpus;
	fl->base = peer_frames(nr_frames);
	fl->cpu = aligned_alloc(SMP_CACHE_BYTES, nr_cpus * sizeof(*fl->cpu));
	if (!fl->base || !fl->cpu)
		goto fail;
	memset(fl->cpu, 0, nr_cpus * sizeof(*fl->cpu));
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		struct fl_cpu *c = &fl->cpu[cpu];

		peer_share(nr_frames, nr_cpus, cpu, &first, &nr);
		for (i = first + nr; i-- > first;) {
			void *p = fl->base + (size_t)i * PAGE_SIZE;

			*(void **)p = c->head;
			c->head = p;
			c->count++;
		}
	}
	return fl;
fail:
	fl_peer_destroy(fl);
	return ERR_PTR(-ENOMEM);
}

void fl_peer_destroy(struct fl_peer *fl)
{
	if (!fl)
		return;
	free(fl->cpu);
	free(fl->base);
	free(fl);
}

void fl_peer_count(const struct fl_peer *fl, struct peer_count *c)
{
	unsigned int cpu;

	c->free = 0;
	c->total = fl->nr_frames;
	for (cpu = 0; cpu < fl->nr_cpus; cpu++)
		c->free += fl->cpu[cpu].count;
}
