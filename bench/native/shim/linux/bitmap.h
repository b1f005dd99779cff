/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/bitmap.h> with the <linux/find.h> searches it includes.
 *
 * As in the kernel, a search whose size is a compile-time constant of at
 * most one word is inlined and any other goes out of line (shim.c, like
 * lib/find_bit.c), so the native fast path pays the same call.  Words are
 * read with relaxed loads: plain reads in the kernel, but marked here so
 * that ThreadSanitizer reports only races the pool itself makes.
 */
#ifndef _SHIM_LINUX_BITMAP_H
#define _SHIM_LINUX_BITMAP_H

#include <linux/bitops.h>
#include <linux/types.h>

#define BITMAP_FIRST_WORD_MASK(start)	(~0UL << ((start) & (BITS_PER_LONG - 1)))
#define BITMAP_LAST_WORD_MASK(nbits)	(~0UL >> (-(nbits) & (BITS_PER_LONG - 1)))

unsigned long _find_next_bit(const unsigned long *addr, unsigned long size,
			     unsigned long offset);
unsigned long _find_next_zero_bit(const unsigned long *addr, unsigned long size,
				  unsigned long offset);

#define __small_const_nbits(n) \
	(__builtin_constant_p(n) && (n) <= BITS_PER_LONG && (n) > 0)

static __always_inline unsigned long find_next_bit(const unsigned long *addr,
						   unsigned long size,
						   unsigned long offset)
{
	if (__small_const_nbits(size)) {
		unsigned long val;

		if (unlikely(offset >= size))
			return size;
		val = __atomic_load_n(addr, __ATOMIC_RELAXED) &
		      BITMAP_FIRST_WORD_MASK(offset) & BITMAP_LAST_WORD_MASK(size);
		return val ? __ffs(val) : size;
	}
	return _find_next_bit(addr, size, offset);
}

static __always_inline unsigned long find_next_zero_bit(const unsigned long *addr,
							unsigned long size,
							unsigned long offset)
{
	if (__small_const_nbits(size)) {
		unsigned long val;

		if (unlikely(offset >= size))
			return size;
		val = ~__atomic_load_n(addr, __ATOMIC_RELAXED) &
		      BITMAP_FIRST_WORD_MASK(offset) & BITMAP_LAST_WORD_MASK(size);
		return val ? __ffs(val) : size;
	}
	return _find_next_zero_bit(addr, size, offset);
}

#define for_each_set_bit(bit, addr, size) \
	for ((bit) = 0; (bit) = find_next_bit((addr), (size), (bit)), (bit) < (size); (bit)++)

/* non-atomic, like the kernel's: for bitmaps nobody else sees yet */
static inline void bitmap_set(unsigned long *map, unsigned int start, unsigned int nbits)
{
	unsigned int i;

	for (i = start; i < start + nbits; i++)
		map[BIT_WORD(i)] |= BIT_MASK(i);
}

static inline unsigned int bitmap_weight(const unsigned long *src, unsigned int nbits)
{
	unsigned int i, w = 0;

	for (i = 0; i < nbits / BITS_PER_LONG; i++)
		w += hweight_long(__atomic_load_n(&src[i], __ATOMIC_RELAXED));
	if (nbits % BITS_PER_LONG)
		w += hweight_long(__atomic_load_n(&src[i], __ATOMIC_RELAXED) &
				  BITMAP_LAST_WORD_MASK(nbits));
	return w;
}

#endif
