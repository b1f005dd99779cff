// SPDX-License-Identifier: GPL-2.0
/*
 * The explorer's model of ownership: who owns each frame, as the actors'
 * calls returned them.  The pool's bitmap is held against that table
 * after every step, each grant against the frames that stayed free for
 * the whole call, and the pool's counters against it at rest.
 */
#include "explore.h"

struct labyrinth_pool *pool;
bool pool_gone;
const void *pool_mem[6];

struct frame frames[NR_SLOTS];
void *holder_held[MAX_HELD];
unsigned int holder_nheld;

/* ---- frames ---- */

struct frame *frame_of(const void *addr)
{
	long slot = lab_shim_page_slot(addr);

	if (slot < 0 || slot >= NR_SLOTS)
		die("address %p is no page of this run\n", addr);
	return &frames[slot];
}

static long index_of(const void *addr)
{
	unsigned int i;

	for (i = 0; i < pool->nr_bits; i++)
		if (pool->frame_addr[i] == (unsigned long)addr)
			return i;
	die("frame %p has no index\n", addr);
	return -1;
}

static bool bit_set(long index)
{
	return (pool->bitmap[index / BITS_PER_LONG] >> (index % BITS_PER_LONG)) & 1;
}

static bool clean_set(long index)
{
	return (pool->clean[index / BITS_PER_LONG] >> (index % BITS_PER_LONG)) & 1;
}

/* The background wipe is running: it may hold a free frame. */
static bool wiping(void)
{
	return wq_running == &pool->wipe_work.work;
}

static bool grant_in_progress(int except)
{
	int i;

	for (i = 0; i < nr_act; i++)
		if (i != except && act[i].granting)
			return true;
	return false;
}

/*
 * Free for a grant by @self now: no owner, no free of it under way, and
 * its bit clear, or set with no other grant under way that could have set
 * it (a bit nobody can account for is a leak, and does not excuse a NULL).
 */
static bool free_now(const struct frame *f, long index, int self)
{
	if (f->owner != NOBODY || f->freeing)
		return false;
	return !bit_set(index) || (!grant_in_progress(self) && !wiping());
}

/* The bit numbers of every backed frame, into @index; returns how many. */
static unsigned int backed_indices(long *index)
{
	unsigned int r, i, n = 0;

	for (r = 0; r < pool->nr_regions; r++)
		for (i = 0; i < pool->regions[r].backed; i++)
			index[n++] = pool->regions[r].first + i;
	return n;
}

void check_step(void)
{
	long index[NR_SLOTS], s, slots = lab_shim_registry_slots();
	unsigned int k, n;
	int i;

	if (pool_gone)
		return;
	for (s = 0; s < slots; s++) {
		const struct frame *f = &frames[s];

		if (f->owner != NOBODY && !f->freeing && !f->tainted && !bit_set(f->index))
			violation("frame %ld owned by %s has its bit clear", f->index,
				  who(f->owner));
	}
	n = backed_indices(index);
	for (k = 0; k < n; k++) {
		const struct frame *f;

		if (!bit_set(index[k]))
			continue;
		f = frame_of((void *)pool->frame_addr[index[k]]);
		if (f->owner == NOBODY && !f->freeing && !f->tainted && !grant_in_progress(-1) &&
		    !wiping())
			violation("backed frame %ld has its bit set and no owner", index[k]);
	}
	for (i = 0; i < nr_act; i++) {
		if (!act[i].granting)
			continue;
		for (k = 0; k < n; k++) {
			s = lab_shim_page_slot((void *)pool->frame_addr[index[k]]);
			if (act[i].cand[s] && !free_now(&frames[s], index[k], i))
				act[i].cand[s] = 0;
		}
	}
}

/* ---- what the pool reports through the shims ---- */

void lab_explore_warn(const char *cond, const char *file, int line)
{
	violation("WARN_ON_ONCE(%s) at %s:%d", cond, file, line);
}

/* clear_page() of a frame: nobody else may own it. */
void lab_explore_on_clear(const void *page)
{
	long slot;

	if (!exploring || !pool || pool_gone)
		return;
	slot = lab_shim_page_slot(page);
	if (slot >= 0 && slot < NR_SLOTS && frames[slot].owner != NOBODY)
		violation("%s clears frame %ld, which %s owns", act[cur].name, frames[slot].index,
			  who(frames[slot].owner));
}

void lab_explore_on_release(const void *ptr)
{
	unsigned int m;
	int i;

	if (!exploring || !pool)
		return;
	for (m = 0; m < ARRAY_SIZE(pool_mem); m++) {
		if (ptr != pool_mem[m])
			continue;
		if (pool->grow_work.pending || wq_running == &pool->grow_work ||
		    (pool->grow_kick.flags & (IRQ_WORK_PENDING | IRQ_WORK_BUSY))) {
			pool_gone = true;
			violation("destroy frees the pool with its growth work still queued");
		}
		if (pool->wipe_work.work.pending || wiping() ||
		    (pool->wipe_kick.flags & (IRQ_WORK_PENDING | IRQ_WORK_BUSY))) {
			pool_gone = true;
			violation("destroy frees the pool with its wipe still queued");
		}
		for (i = 0; i < nr_act; i++) {
			if (i == cur || !act[i].call)
				continue;
			pool_gone = true;	/* half freed: teardown leaves it be */
			violation("destroy frees the pool while %s is still in %s", act[i].name,
				  act[i].call);
		}
	}
}

/* ---- the owner table, kept as calls return ---- */

void claim(int who_id, void *addr, const char *call)
{
	struct frame *f = frame_of(addr);

	if (f->owner != NOBODY) {
		violation("%s returned frame %ld to %s while %s owns it", call, f->index,
			  who(who_id), who(f->owner));
		return;
	}
	f->owner = who_id;
	f->index = index_of(addr);
}

void hold(int who_id, void *addr)
{
	if (who_id == HOLDER)
		holder_held[holder_nheld++] = addr;
	else
		act[who_id].held[act[who_id].nheld++] = addr;
}

void grant_begin(struct actor *a, const char *call)
{
	long index[NR_SLOTS], s;
	unsigned int k, n = backed_indices(index);

	a->call = call;
	memset(a->cand, 0, sizeof(a->cand));
	for (k = 0; k < n; k++) {
		s = lab_shim_page_slot((void *)pool->frame_addr[index[k]]);
		frames[s].index = index[k];
		if (free_now(&frames[s], index[k], a - act))
			a->cand[s] = 1;
	}
	a->granting = true;
}

/*
 * With zeroes, a frame must come out of a grant all zero; its new owner
 * then fills it, so that a frame handed on without a clear shows it.
 */
static void check_zero_then_fill(struct actor *a, void *addr)
{
	const unsigned char *b = addr;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE; i++) {
		if (b[i]) {
			violation("%s got frame %ld with byte %u = 0x%02x from its last owner",
				  a->name, frame_of(addr)->index, i, b[i]);
			return;
		}
	}
	memset(addr, 0xa0 + (a - act), PAGE_SIZE);
}

/*
 * A DMA-mapped pool's frame has its mapping before any grant can return
 * it: the shim maps a page to its own address.
 */
static void check_dma_addr(struct actor *a, const void *p)
{
	dma_addr_t dma = labyrinth_pool_dma_addr(pool, p);

	if (dma != (dma_addr_t)(unsigned long)p)
		violation("%s got frame %ld with DMA address %#llx, not its mapping", a->name,
			  frame_of(p)->index, (unsigned long long)dma);
}

void grant_end(struct actor *a, void **got, unsigned int nr, unsigned int want)
{
	unsigned int i;
	long s;

	a->granting = false;
	a->call = NULL;
	for (i = 0; i < nr; i++) {
		claim(a - act, got[i],
		      want > 1 ? "labyrinth_pool_alloc_bulk" : "labyrinth_pool_alloc");
		a->cand[lab_shim_page_slot(got[i])] = 0;
		hold(a - act, got[i]);
		if (sc->zeroes)
			check_zero_then_fill(a, got[i]);
		if (pool->frame_dma)
			check_dma_addr(a, got[i]);
	}
	if (nr == want)
		return;
	for (s = 0; s < NR_SLOTS; s++)
		if (a->cand[s])
			violation("%s got %u of %u frames while frame %ld stayed free", a->name,
				  nr, want, frames[s].index);
}

/* ---- at rest ---- */

/* At rest, with the wipe drained, every free frame has been cleared. */
static void check_all_wiped(void)
{
	long index[NR_SLOTS];
	unsigned int k, n = backed_indices(index);
	const unsigned char *b;

	for (k = 0; k < n; k++) {
		if (bit_set(index[k]))
			continue;
		b = (const unsigned char *)pool->frame_addr[index[k]];
		if (!clean_set(index[k]) || b[0] || memcmp(b, b + 1, PAGE_SIZE - 1))
			violation("at rest, free frame %ld is not wiped (clean bit %d)", index[k],
				  clean_set(index[k]));
	}
}

/* Quiescence: counters, owned count and owner table agree. */
void check_quiescent(void)
{
	struct labyrinth_stats st;
	unsigned int owners = 0, s;
	bool tainted = false;

	if (pool_gone)
		return;
	for (s = 0; s < NR_SLOTS; s++) {
		owners += frames[s].owner != NOBODY;
		tainted |= frames[s].tainted;
	}
	labyrinth_pool_read_stats(pool, &st);
	if (tainted)
		return;
	if (st.owned != owners || st.grants - st.frees != owners)
		violation("at rest: owned %llu, grants - frees %llu, owner table %u", st.owned,
			  st.grants - st.frees, owners);
	if (sc->zeroes)
		check_all_wiped();
	if (sc->quiescent && !run_failed)
		sc->quiescent();
}
