// SPDX-License-Identifier: GPL-2.0
/*
 * What every part of bench-native --check shares: the pool under check and
 * its calls (chk_ops), the owner table updated by compare-and-swap, the
 * canaries stamped into held pages, the fill a granted page must have, and
 * chk_fail(), which counts a failure and stops the round.
 */
#include "native.h"

unsigned int *chk_owner;		/* per page slot: 0 free, else worker id + 1 */
bool chk_poisoned;			/* the pool poisons freed frames */
void **mbox;				/* [from * threads + to]: a frame handed over */
int chk_stop;
long chk_errors;

static void *lab_alloc(void *p)
{
	return labyrinth_pool_alloc(p);
}

static int lab_free(void *p, void *addr)
{
	return labyrinth_pool_free(p, addr);
}

static unsigned int lab_alloc_bulk(void *p, void **addrs, unsigned int nr)
{
	return labyrinth_pool_alloc_bulk(p, addrs, nr);
}

static int lab_free_bulk(void *p, void **addrs, unsigned int nr)
{
	return labyrinth_pool_free_bulk(p, addrs, nr);
}

const struct chk_ops lab_ops = {
	.alloc = lab_alloc,
	.free = lab_free,
	.alloc_bulk = lab_alloc_bulk,
	.free_bulk = lab_free_bulk,
};

const struct chk_ops *chk_ops = &lab_ops;
void *chk_pool;

void chk_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	__atomic_fetch_add(&chk_errors, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&chk_stop, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	fprintf(stderr, "check: FAIL (cpu %u): ", w ? w->id : 0);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/*
 * Owner table updates are relaxed on purpose: atomicity is all a double
 * grant check needs, and no ordering here may hide from ThreadSanitizer a
 * missing release/acquire in the pool between one owner and the next.
 * Frames are numbered by the shims' page registry, not by the pool.
 */
bool chk_own(struct worker *w, void *addr, unsigned int from, unsigned int to)
{
	long slot = lab_shim_page_slot(addr);
	unsigned int old = from;

	if (slot < 0 || slot >= opt.frames || !PAGE_ALIGNED(addr)) {
		chk_fail(w, "%p is not a frame of the pool\n", addr);
		return false;
	}
	if (!__atomic_compare_exchange_n(&chk_owner[slot], &old, to, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
		if (!from)
			chk_fail(w, "double grant: frame %p granted while cpu %u owns it\n",
				 addr, old - 1);
		else
			chk_fail(w, "frame %p: owner table says %u, expected %u\n", addr,
				 old, from);
		return false;
	}
	return true;
}

void chk_stamp(void *addr, u64 tag)
{
	u64 *p = addr;
	unsigned int i;

	p[0] = (unsigned long)addr;
	for (i = 1; i < CANARY_SPOTS; i++)
		p[i * (PAGE_SIZE / 8 / CANARY_SPOTS)] = tag;
}

/* @tag 0: any tag of cpu @owner, written consistently */
bool chk_canary(struct worker *w, void *addr, u64 tag, unsigned int owner)
{
	u64 *p = addr;
	unsigned int i;

	if (!tag)
		tag = p[PAGE_SIZE / 8 / CANARY_SPOTS];
	if (p[0] != (unsigned long)addr || tag >> 32 != owner + 1)
		goto bad;
	for (i = 1; i < CANARY_SPOTS; i++)
		if (p[i * (PAGE_SIZE / 8 / CANARY_SPOTS)] != tag)
			goto bad;
	return true;
bad:
	chk_fail(w, "canary of frame %p damaged (expected tag %#llx of cpu %u)\n", addr,
		 tag, owner);
	return false;
}

/* What a granted page must hold: zeroes, poison, or (0) anything. */
int chk_fill(void)
{
	if (lab_shim_init_on_alloc || lab_shim_init_on_free)
		return 0;
	return chk_poisoned ? LABYRINTH_POISON_BYTE : -1;
}

bool chk_filled(struct worker *w, void *addr, int c, const char *when)
{
	u8 *bad;

	if (c < 0)
		return true;
	bad = memchr_inv(addr, c, PAGE_SIZE);
	if (bad)
		chk_fail(w, "frame %p %s: byte %ld is %#x, not %#x\n", addr, when,
			 (long)(bad - (u8 *)addr), *bad, c);
	return !bad;
}

int cmp_addr(const void *a, const void *b)
{
	unsigned long x = (unsigned long)*(void * const *)a;
	unsigned long y = (unsigned long)*(void * const *)b;

	return x < y ? -1 : x > y;
}

/* Sort @addrs; true if all @n are page addresses and no two are equal. */
bool chk_distinct(void **addrs, unsigned int n)
{
	unsigned int i;

	qsort(addrs, n, sizeof(*addrs), cmp_addr);
	for (i = 0; i < n; i++)
		if (!PAGE_ALIGNED(addrs[i]) || (i && addrs[i] == addrs[i - 1]))
			return false;
	return true;
}

/*
 * A pool counter against the harness's count @want: exact, except that
 * the shim's this_cpu_inc() (a load and a store) loses what an NMI
 * stand-in counted in between, at most @nmi.
 */
bool chk_count(u64 got, u64 want, u64 nmi)
{
	return got <= want && want - got <= nmi;
}
