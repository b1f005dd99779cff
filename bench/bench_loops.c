// SPDX-License-Identifier: GPL-2.0
/*
 * The timed loops of labyrinth_bench.ko: every allocator behind one
 * switch, bench_get() and bench_put(), inlined into one loop function per
 * allocator so that the allocator's calls are direct, and the helpers that
 * time a stretch and turn it into figures.  The pools the loops call
 * (bench) and scenario a's floor are defined here, in the loops' own file,
 * so that the compiler sees the loops as it did when the module was one
 * file and builds the same code for them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/cache.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/objpool.h>
#include <linux/percpu.h>
#include <linux/timex.h>
#include <net/page_pool/helpers.h>
#include <net/page_pool/types.h>

#include "../labyrinth.h"
#include "labyrinth_bench.h"

/*
 * The floor of scenario a, defined as the native harness's floor
 * (bench/native/bench_loops.c): no allocator, two noinline calls,
 * bench_floor_alloc() and bench_floor_free(), on this CPU's state reached
 * through a per-CPU pointer: an array pop and one atomic bit set, one
 * atomic bit clear and an array push.  It tells what the calls and the two
 * atomic read-modify-writes of a pair cost in this guest.
 */
#define BENCH_FLOOR_SLOTS	64

/* The word on a line of its own, as the native floor_state has it. */
struct bench_floor {
	unsigned long word ____cacheline_aligned;
	unsigned int top ____cacheline_aligned;
	void *slot[BENCH_FLOOR_SLOTS];
	char obj[BENCH_FLOOR_SLOTS];
};

static DEFINE_PER_CPU_ALIGNED(struct bench_floor, bench_floor);

void bench_floor_init(void)
{
	struct bench_floor *f;
	unsigned int cpu, i;

	for_each_possible_cpu(cpu) {
		f = per_cpu_ptr(&bench_floor, cpu);
		f->word = 0;
		f->top = BENCH_FLOOR_SLOTS;
		for (i = 0; i < BENCH_FLOOR_SLOTS; i++)
			f->slot[i] = &f->obj[i];
	}
}

static unsigned long bench_floor_bit(const struct bench_floor *f, const void *p)
{
	return ((const char *)p - f->obj) % BITS_PER_LONG;
}

static noinline void *bench_floor_alloc(struct bench_floor *f)
{
	void *p;

	if (unlikely(!f->top))
		return NULL;
	p = f->slot[--f->top];
	if (unlikely(test_and_set_bit(bench_floor_bit(f, p), &f->word)))
		return NULL;
	return p;
}

static noinline int bench_floor_free(struct bench_floor *f, void *p)
{
	if (unlikely(!test_and_clear_bit(bench_floor_bit(f, p), &f->word)))
		return -EALREADY;
	f->slot[f->top++] = p;
	return 0;
}

/* Set up by bench_main.c; here, beside the loops that read it on every page. */
struct bench_env bench;

/* ---- the allocators, behind one switch the loops specialise away ---- */

static __always_inline void *bench_get(struct bench_worker *w, enum bench_alloc a)
{
	switch (a) {
	case BA_LAB:
		return labyrinth_void_alloc_page_gfp_atomic_exclusive();
	case BA_LAB_POOL:
		return labyrinth_pool_alloc(bench.lab_pool);
	case BA_LAB_STEAL:
		return labyrinth_pool_alloc(bench.steal);
	case BA_LAB_SINGLE:
		return labyrinth_pool_alloc(bench.single);
	case BA_LAB_NOWIPE:
		return labyrinth_pool_alloc(bench.nowipe);
	case BA_ALLOC_PAGE:
		return alloc_page(GFP_ATOMIC);
	case BA_PAGE_POOL:
		return page_pool_alloc_pages(w->pp, GFP_ATOMIC);
	case BA_MEMPOOL:
		return mempool_alloc(bench.mp, GFP_ATOMIC);
	case BA_MEMPOOL_RES:
		return mempool_alloc_preallocated(bench.mp_res);
	case BA_OBJPOOL:
		return objpool_pop(&bench.op);
	case BA_FLOOR:
		return bench_floor_alloc(this_cpu_ptr(&bench_floor));
	default:
		return NULL;
	}
}

static __always_inline void bench_put(struct bench_worker *w, enum bench_alloc a,
				      void *obj, bool direct)
{
	int err = 0;

	if (unlikely(!obj)) {
		w->fails++;
		return;
	}
	switch (a) {
	case BA_LAB:
		err = labyrinth_free_page_exclusive(obj);
		break;
	case BA_LAB_POOL:
		err = labyrinth_pool_free(bench.lab_pool, obj);
		break;
	case BA_LAB_STEAL:
		err = labyrinth_pool_free(bench.steal, obj);
		break;
	case BA_LAB_SINGLE:
		err = labyrinth_pool_free(bench.single, obj);
		break;
	case BA_LAB_NOWIPE:
		err = labyrinth_pool_free(bench.nowipe, obj);
		break;
	case BA_ALLOC_PAGE:
		__free_page(obj);
		break;
	case BA_PAGE_POOL:
		page_pool_put_full_page(w->pp, obj, direct);
		break;
	case BA_MEMPOOL:
		mempool_free(obj, bench.mp);
		break;
	case BA_MEMPOOL_RES:
		mempool_free(obj, bench.mp_res);
		break;
	case BA_OBJPOOL:
		err = objpool_push(obj, &bench.op);
		break;
	case BA_FLOOR:
		err = bench_floor_free(this_cpu_ptr(&bench_floor), obj);
		break;
	default:
		break;
	}
	if (unlikely(err))
		w->errs++;
}

/*
 * The default pool's bulk calls, for scenarios b and d: BENCH_BATCH pages
 * a call.  Granted pages fill a prefix of the array; the rest is NULL.
 */
static void bench_loop_bulk(struct bench_worker *w, enum bench_kind kind, unsigned long n)
{
	struct labyrinth_pool *pool = labyrinth_default_pool();
	unsigned int got;
	unsigned long i;

	switch (kind) {
	case BK_BATCH:
		for (i = 0; i < n; i++) {
			got = labyrinth_pool_alloc_bulk(pool, w->batch, BENCH_BATCH);
			w->fails += BENCH_BATCH - got;
			if (unlikely(labyrinth_pool_free_bulk(pool, w->batch, got)))
				w->errs++;
		}
		break;
	case BK_FILL:
		got = labyrinth_pool_alloc_bulk(pool, w->buf, n);
		for (i = got; i < n; i++)
			w->buf[i] = NULL;
		break;
	case BK_DRAIN:
		got = 0;
		while (got < n && w->buf[got])
			got++;
		w->fails += n - got;
		if (unlikely(labyrinth_pool_free_bulk(pool, w->buf, got)))
			w->errs++;
		break;
	default:
		break;
	}
}

/*
 * Every loop of every scenario.  Inlined into one function per allocator
 * with @a a constant, so the allocator's calls are direct and the switch
 * above costs nothing per page.
 */
static __always_inline void bench_loop(struct bench_worker *w, enum bench_alloc a,
				       enum bench_kind kind, unsigned long n)
{
	unsigned long i, j;
	void *obj;
	u64 c0, c1;

	if (a == BA_LAB_BULK) {
		bench_loop_bulk(w, kind, n);
		return;
	}
	switch (kind) {
	case BK_PAIRS:
		for (i = 0; i < n; i++) {
			obj = bench_get(w, a);
			bench_put(w, a, obj, true);
		}
		break;
	case BK_BATCH:
		for (i = 0; i < n; i++) {
			for (j = 0; j < BENCH_BATCH; j++)
				w->batch[j] = bench_get(w, a);
			for (j = 0; j < BENCH_BATCH; j++)
				bench_put(w, a, w->batch[j], true);
		}
		break;
	case BK_FILL:
		for (i = 0; i < n; i++)
			w->buf[i] = bench_get(w, a);
		break;
	case BK_DRAIN:
		for (i = 0; i < n; i++)
			bench_put(w, a, w->buf[i], w->direct);
		break;
	case BK_LATENCY:
		for (i = 0; i < n; i++) {
			c0 = get_cycles();
			barrier();
			obj = bench_get(w, a);
			barrier();
			c1 = get_cycles();
			w->lat[i] = c1 - c0;
			barrier();
			bench_put(w, a, obj, true);
			barrier();
			w->latf[i] = get_cycles() - c1;
		}
		break;
	}
}

/* The one function per allocator that bench_loop() is inlined into. */
#define BENCH_LOOP(fn, allocator)						\
static noinline void fn(struct bench_worker *w, enum bench_kind k, unsigned long n)	\
{										\
	bench_loop(w, allocator, k, n);						\
}

BENCH_LOOP(bench_loop_lab, BA_LAB)
BENCH_LOOP(bench_loop_lab_pool, BA_LAB_POOL)
BENCH_LOOP(bench_loop_alloc_page, BA_ALLOC_PAGE)
BENCH_LOOP(bench_loop_page_pool, BA_PAGE_POOL)
BENCH_LOOP(bench_loop_mempool, BA_MEMPOOL)
BENCH_LOOP(bench_loop_mempool_res, BA_MEMPOOL_RES)
BENCH_LOOP(bench_loop_objpool, BA_OBJPOOL)
BENCH_LOOP(bench_loop_lab_bulk, BA_LAB_BULK)
BENCH_LOOP(bench_loop_lab_steal, BA_LAB_STEAL)
BENCH_LOOP(bench_loop_lab_single, BA_LAB_SINGLE)
BENCH_LOOP(bench_loop_lab_nowipe, BA_LAB_NOWIPE)
BENCH_LOOP(bench_loop_floor, BA_FLOOR)

/* One indirect call per timed stretch (or per batch in d), never per page. */
void (* const bench_loops[BA_NR])(struct bench_worker *w, enum bench_kind k,
				  unsigned long n) = {
	[BA_LAB] = bench_loop_lab,
	[BA_LAB_POOL] = bench_loop_lab_pool,
	[BA_ALLOC_PAGE] = bench_loop_alloc_page,
	[BA_PAGE_POOL] = bench_loop_page_pool,
	[BA_MEMPOOL] = bench_loop_mempool,
	[BA_MEMPOOL_RES] = bench_loop_mempool_res,
	[BA_OBJPOOL] = bench_loop_objpool,
	[BA_LAB_STEAL] = bench_loop_lab_steal,
	[BA_LAB_BULK] = bench_loop_lab_bulk,
	[BA_LAB_SINGLE] = bench_loop_lab_single,
	[BA_LAB_NOWIPE] = bench_loop_lab_nowipe,
	[BA_FLOOR] = bench_loop_floor,
};

/* ---- timing ---- */

void bench_timed(struct bench_worker *w, enum bench_kind k, unsigned long n)
{
	bench_enter(w, true);
	bench_clock_start(w);
	bench_loops[w->a](w, k, n);
	bench_clock_stop(w);
	bench_leave(w, true);
}

void bench_record(struct bench_worker *w, unsigned int run, u64 ns, u64 cycles,
		  u64 pages)
{
	w->ps[run] = div64_u64(ns * 1000, pages);
	w->mcyc[run] = div64_u64(cycles * 1000, pages);
}

void bench_spread_of(const u64 *v, unsigned int n, struct bench_spread *s)
{
	u64 tmp[BENCH_MAX_RUNS], x;
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && tmp[j - 1] > x; j--)
			tmp[j] = tmp[j - 1];
		tmp[j] = x;
	}
	s->min = tmp[0];
	s->max = tmp[n - 1];
	s->med = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* Thousandths of a ns for @cycles of get_cycles(), by the calibration. */
u64 bench_cycles_to_mns(u64 cycles)
{
	if (!bench.cal_cycles)
		return 0;
	return mul_u64_u64_div_u64(cycles * 1000, bench.cal_ns, bench.cal_cycles);
}
