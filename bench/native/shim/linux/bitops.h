/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/bitops.h>: atomic bit operations on __atomic builtins,
 * with the kernel's ordering (Documentation/atomic_bitops.txt):
 * value-returning test_and_*() are fully ordered (seq_cst), set_bit() and
 * clear_bit() are atomic but unordered (relaxed), clear_bit_unlock() is a
 * release, test_bit() is a plain
 * read, modelled as a relaxed load so that ThreadSanitizer does not count
 * it as a race with other CPUs' atomic updates.
 */
#ifndef _SHIM_LINUX_BITOPS_H
#define _SHIM_LINUX_BITOPS_H

#include <linux/bits.h>
#include <linux/types.h>

#define BITS_TO_LONGS(nr)	(((nr) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static __always_inline bool test_bit(unsigned long nr, const unsigned long *addr)
{
	LAB_SWITCH("test_bit");
	return (__atomic_load_n(addr + BIT_WORD(nr), __ATOMIC_RELAXED) >>
		(nr % BITS_PER_LONG)) & 1;
}

static __always_inline void set_bit(unsigned long nr, unsigned long *addr)
{
	LAB_SWITCH("set_bit");
	__atomic_fetch_or(addr + BIT_WORD(nr), BIT_MASK(nr), __ATOMIC_RELAXED);
}

static __always_inline void clear_bit(unsigned long nr, unsigned long *addr)
{
	LAB_SWITCH("clear_bit");
	__atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr), __ATOMIC_RELAXED);
}

/* release: everything before it is visible to whoever sees the bit clear */
static __always_inline void clear_bit_unlock(unsigned long nr, unsigned long *addr)
{
	LAB_SWITCH("clear_bit_unlock");
	__atomic_fetch_and(addr + BIT_WORD(nr), ~BIT_MASK(nr), __ATOMIC_RELEASE);
}

static __always_inline bool test_and_set_bit(unsigned long nr, unsigned long *addr)
{
	unsigned long mask = BIT_MASK(nr);

	LAB_SWITCH("test_and_set_bit");
	return (__atomic_fetch_or(addr + BIT_WORD(nr), mask, __ATOMIC_SEQ_CST) & mask) != 0;
}

static __always_inline bool test_and_clear_bit(unsigned long nr, unsigned long *addr)
{
	unsigned long mask = BIT_MASK(nr);

	LAB_SWITCH("test_and_clear_bit");
	return (__atomic_fetch_and(addr + BIT_WORD(nr), ~mask, __ATOMIC_SEQ_CST) & mask) != 0;
}

/* index of the lowest set bit; undefined for 0, as in the kernel */
static __always_inline unsigned long __ffs(unsigned long word)
{
	return __builtin_ctzl(word);
}

/*
 * The kernel patches in popcnt where the CPU has it; plain -O2 without
 * -march gets libgcc's table version instead, slower by a few ns.
 */
static __always_inline unsigned int hweight_long(unsigned long w)
{
	return __builtin_popcountl(w);
}

#endif
