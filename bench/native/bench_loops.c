// SPDX-License-Identifier: GPL-2.0
/*
 * The native benchmark's timed loops: the floors, and one copy of every
 * scenario's loop (pairs, bulk, FIFO, cross-CPU hand-over, drain) per pool
 * shape, each calling its pool directly; run by the workers for bench.c.
 * The pools and rings are defined here, in the loops' own file, so that
 * the loops reach them without an indirection.
 */
#include "native.h"

struct labyrinth_pool *pool;		/* shape a */
struct mag_pool *mpool[NR_SHAPES];	/* shapes b and b-local */
struct pp_peer *ppeer;
struct fl_peer *flpeer;

struct xring *xrings;

static u64 tsc(void)
{
#if HAVE_TSC
	return __rdtsc();
#else
	return 0;
#endif
}

/* ---- the floor: same loop shape, nothing but an array and one atomic word */

static noinline void *floor_alloc(struct floor_state *f)
{
	unsigned long bit;
	void *p;

	if (unlikely(!f->top))
		return NULL;
	p = f->stack[--f->top];
	bit = BIT(((unsigned long)p >> PAGE_SHIFT) % BITS_PER_LONG);
	if (unlikely(__atomic_fetch_or(&f->word, bit, __ATOMIC_SEQ_CST) & bit))
		return NULL;
	return p;
}

static noinline int floor_free(struct floor_state *f, void *p)
{
	unsigned long bit = BIT(((unsigned long)p >> PAGE_SHIFT) % BITS_PER_LONG);

	if (unlikely(!(__atomic_fetch_and(&f->word, ~bit, __ATOMIC_SEQ_CST) & bit)))
		return -EALREADY;
	f->stack[f->top++] = p;
	return 0;
}

static unsigned long loop_floor(struct floor_state *f, unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		void *p = floor_alloc(f);

		if (unlikely(!p) || unlikely(floor_free(f, p)))
			bad++;
	}
	return bad;
}

/* ---- the shapes, called directly so that each loop is compiled for one */

static __always_inline void *sh_alloc(enum shape s)
{
	if (s == SHAPE_A)
		return labyrinth_pool_alloc(pool);
	if (s == SHAPE_PP)
		return pp_peer_alloc(ppeer);
	if (s == SHAPE_FL)
		return fl_peer_alloc(flpeer);
	return mag_pool_alloc(mpool[s]);
}

static __always_inline int sh_free(enum shape s, void *p)
{
	if (s == SHAPE_A)
		return labyrinth_pool_free(pool, p);
	if (s == SHAPE_PP)
		return pp_peer_free(ppeer, p);
	if (s == SHAPE_FL)
		return fl_peer_free(flpeer, p);
	return mag_pool_free(mpool[s], p);
}

static __always_inline unsigned int sh_alloc_bulk(enum shape s, void **addrs, unsigned int nr)
{
	if (s == SHAPE_A)
		return labyrinth_pool_alloc_bulk(pool, addrs, nr);
	if (s == SHAPE_PP)
		return pp_peer_alloc_bulk(ppeer, addrs, nr);
	if (s == SHAPE_FL)
		return fl_peer_alloc_bulk(flpeer, addrs, nr);
	return mag_pool_alloc_bulk(mpool[s], addrs, nr);
}

static __always_inline int sh_free_bulk(enum shape s, void **addrs, unsigned int nr)
{
	if (s == SHAPE_A)
		return labyrinth_pool_free_bulk(pool, addrs, nr);
	if (s == SHAPE_PP)
		return pp_peer_free_bulk(ppeer, addrs, nr);
	if (s == SHAPE_FL)
		return fl_peer_free_bulk(flpeer, addrs, nr);
	return mag_pool_free_bulk(mpool[s], addrs, nr);
}

static __always_inline unsigned long loop_pair(enum shape s, unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		void *p = sh_alloc(s);

		if (unlikely(!p) || unlikely(sh_free(s, p)))
			bad++;
	}
	return bad;
}

static __always_inline unsigned long loop_bulk(enum shape s, unsigned long batches)
{
	void *addrs[BULK];
	unsigned long i, bad = 0;

	for (i = 0; i < batches; i++) {
		unsigned int got = sh_alloc_bulk(s, addrs, BULK);

		if (unlikely(got != BULK))
			bad++;
		if (unlikely(sh_free_bulk(s, addrs, got)))
			bad++;
	}
	return bad;
}

static __always_inline unsigned long loop_fifo(enum shape s, void **ring, unsigned long n)
{
	unsigned long i, bad = 0;
	unsigned int h = 0;

	for (i = 0; i < n; i++) {
		void *p = sh_alloc(s);

		if (unlikely(!p) || unlikely(sh_free(s, ring[h]))) {
			bad++;
			if (!p)
				continue;
		}
		ring[h] = p;
		h = (h + 1) % FIFO_DEPTH;
	}
	return bad;
}

static __always_inline void xring_put(struct xring *r, void *p)
{
	unsigned long h = r->p_head;

	if (unlikely(h - r->p_tail_seen == XRING_SIZE)) {
		/* full: let the consumer see everything before waiting on it */
		__atomic_store_n(&r->head, h, __ATOMIC_RELEASE);
		/* pairs with the consumer's release: it is done with the slots */
		while ((r->p_tail_seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE)) ==
		       h - XRING_SIZE)
			cpu_relax();
	}
	r->slot[h % XRING_SIZE] = p;
	r->p_head = ++h;
	if (!(h % XRING_BATCH))
		__atomic_store_n(&r->head, h, __ATOMIC_RELEASE);
}

static __always_inline void *xring_get(struct xring *r)
{
	unsigned long t = r->c_tail;
	void *p;

	if (unlikely(t == r->c_head_seen)) {
		/* empty: give the producer its room back before waiting on it */
		__atomic_store_n(&r->tail, t, __ATOMIC_RELEASE);
		/* pairs with the producer's release: the slots are written */
		while ((r->c_head_seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE)) == t)
			cpu_relax();
	}
	p = r->slot[t % XRING_SIZE];
	r->c_tail = ++t;
	if (!(t % XRING_BATCH))
		__atomic_store_n(&r->tail, t, __ATOMIC_RELEASE);
	return p;
}

/* End of a run: publish what the batching held back. */
static void xring_flush(struct xring *r, bool producer)
{
	if (producer)
		__atomic_store_n(&r->head, r->p_head, __ATOMIC_RELEASE);
	else
		__atomic_store_n(&r->tail, r->c_tail, __ATOMIC_RELEASE);
}

/* Thread 2k grants and hands over; a NULL goes over too, so counts match. */
static __always_inline unsigned long loop_cross_give(enum shape s, struct xring *r,
						     unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		void *p = sh_alloc(s);

		if (unlikely(!p))
			bad++;
		xring_put(r, p);
	}
	return bad;
}

static __always_inline unsigned long loop_cross_take(enum shape s, struct xring *r,
						     unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		void *p = xring_get(r);

		if (likely(p) && unlikely(sh_free(s, p)))
			bad++;
	}
	return bad;
}

/* The hand-over floor: one atomic bit op on each side, out of line as above. */
static noinline bool xfloor_set(struct xring *r, unsigned long k)
{
	unsigned long bit = BIT(k % BITS_PER_LONG);

	return !(__atomic_fetch_or(&r->bits[k / BITS_PER_LONG], bit, __ATOMIC_SEQ_CST) & bit);
}

static noinline bool xfloor_clear(struct xring *r, unsigned long k)
{
	unsigned long bit = BIT(k % BITS_PER_LONG);

	return __atomic_fetch_and(&r->bits[k / BITS_PER_LONG], ~bit, __ATOMIC_SEQ_CST) & bit;
}

static unsigned long loop_xfloor_give(struct xring *r, unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		unsigned long k = i % XFLOOR_FRAMES;

		if (unlikely(!xfloor_set(r, k)))
			bad++;
		xring_put(r, (void *)((k + 1) << PAGE_SHIFT));
	}
	return bad;
}

static unsigned long loop_xfloor_take(struct xring *r, unsigned long n)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n; i++) {
		unsigned long k = ((unsigned long)xring_get(r) >> PAGE_SHIFT) - 1;

		if (unlikely(!xfloor_clear(r, k)))
			bad++;
	}
	return bad;
}

/*
 * Grant until NULL, then free everything in grant order, @cycles times.
 * Return: frames granted.  One thread alone must get every frame each
 * time, except from the magazines that cannot steal.
 */
static __always_inline unsigned long loop_drain(enum shape s, struct worker *w,
						unsigned long cycles)
{
	unsigned long c, total = 0;
	unsigned int n, i;

	for (c = 0; c < cycles; c++) {
		n = 0;
		while (n <= opt.frames && (w->drain[n] = sh_alloc(s)))
			n++;
		w->drain_nulls += n <= opt.frames;
		total += n;
		if (n < w->drain_min)
			w->drain_min = n;
		for (i = 0; i < n; i++)
			if (unlikely(sh_free(s, w->drain[i])))
				w->bad++;
	}
	return total;
}

static __always_inline void timed(struct worker *w, enum job_kind job, enum shape s,
				  unsigned long pairs)
{
	struct xring *xr = xrings ? &xrings[w->id / 2] : NULL;
	bool give = !(w->id % 2);
	void *ring[FIFO_DEPTH];
	unsigned long n = pairs;
	double t0, t1;
	u64 c0, c1;
	unsigned int i;

	w->bad = 0;
	w->drain_nulls = 0;
	w->drain_min = ~0UL;
	if (job == JOB_FIFO) {
		for (i = 0; i < FIFO_DEPTH; i++) {
			ring[i] = sh_alloc(s);
			if (!ring[i])
				die("pool too small for %d held frames a thread\n", FIFO_DEPTH);
		}
	}
	if (job == JOB_BULK)
		n = pairs / BULK;
	if (job == JOB_DRAIN)
		n = pairs > opt.frames ? pairs / opt.frames : 1;

	t0 = now_ns();
	c0 = tsc();
	switch (job) {
	case JOB_FLOOR:
		w->bad = loop_floor(w->floor, n);
		break;
	case JOB_XFLOOR:
		w->bad = give ? loop_xfloor_give(xr, n) : loop_xfloor_take(xr, n);
		xring_flush(xr, give);
		break;
	case JOB_PAIR:
		w->bad = loop_pair(s, n);
		break;
	case JOB_BULK:
		w->bad = loop_bulk(s, n);
		n *= BULK;
		break;
	case JOB_FIFO:
		w->bad = loop_fifo(s, ring, n);
		break;
	case JOB_CROSS:
		w->bad = give ? loop_cross_give(s, xr, n) : loop_cross_take(s, xr, n);
		xring_flush(xr, give);
		break;
	case JOB_DRAIN:
		n = loop_drain(s, w, n);
		break;
	default:
		break;
	}
	c1 = tsc();
	t1 = now_ns();
	w->ns = n ? (t1 - t0) / n : 0;
	w->tsc = n ? (double)(c1 - c0) / n : 0;

	if (job == JOB_FIFO)
		for (i = 0; i < FIFO_DEPTH; i++)
			if (sh_free(s, ring[i]))
				w->bad++;
	/* alone, a drain that stops short stranded frames */
	if (job == JOB_DRAIN && ctl.active == 1 && shape_steals(s) && w->drain_min != opt.frames)
		w->bad++;
}

/* One copy of the timed loops per shape, each calling its pool directly. */
void run_timed(struct worker *w, enum job_kind job, enum shape s, unsigned long pairs)
{
	switch (s) {
	case SHAPE_A:
		timed(w, job, SHAPE_A, pairs);
		break;
	case SHAPE_B:
		timed(w, job, SHAPE_B, pairs);
		break;
	case SHAPE_BL:
		timed(w, job, SHAPE_BL, pairs);
		break;
	case SHAPE_PP:
		timed(w, job, SHAPE_PP, pairs);
		break;
	default:
		timed(w, job, SHAPE_FL, pairs);
		break;
	}
}
