/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/atomic.h>: the atomic_long_t operations and try_cmpxchg()
 * the pool uses, with the kernel's ordering (Documentation/atomic_t.txt):
 * operations that return nothing and plain reads are relaxed, RMW
 * operations that return a value are fully ordered (seq_cst), and a failed
 * try_cmpxchg() implies no ordering.
 */
#ifndef _SHIM_LINUX_ATOMIC_H
#define _SHIM_LINUX_ATOMIC_H

#include <linux/types.h>

typedef struct {
	long counter;
} atomic_long_t;

#define ATOMIC_LONG_INIT(i)	{ (i) }

static __always_inline long atomic_long_read(const atomic_long_t *v)
{
	LAB_SWITCH("atomic_long_read");
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static __always_inline void atomic_long_set(atomic_long_t *v, long i)
{
	LAB_SWITCH("atomic_long_set");
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static __always_inline void atomic_long_inc(atomic_long_t *v)
{
	LAB_SWITCH("atomic_long_inc");
	__atomic_fetch_add(&v->counter, 1, __ATOMIC_RELAXED);
}

static __always_inline void atomic_long_add(long i, atomic_long_t *v)
{
	LAB_SWITCH("atomic_long_add");
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);
}

static __always_inline long atomic_long_fetch_or(long i, atomic_long_t *v)
{
	LAB_SWITCH("atomic_long_fetch_or");
	return __atomic_fetch_or(&v->counter, i, __ATOMIC_SEQ_CST);
}

static __always_inline long atomic_long_fetch_andnot(long i, atomic_long_t *v)
{
	LAB_SWITCH("atomic_long_fetch_andnot");
	return __atomic_fetch_and(&v->counter, ~i, __ATOMIC_SEQ_CST);
}

/* true and *@oldp unchanged on success; false and *@oldp = current value */
#define try_cmpxchg(ptr, oldp, new)					\
	({								\
		LAB_SWITCH("try_cmpxchg");				\
		__atomic_compare_exchange_n((ptr), (oldp), (new), false,\
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED); \
	})

/* the old value; fully ordered */
#define xchg(ptr, v)							\
	({								\
		LAB_SWITCH("xchg");					\
		__atomic_exchange_n((ptr), (v), __ATOMIC_SEQ_CST);	\
	})

/*
 * <asm/barrier.h>, which linux/atomic.h brings in.  smp_mb() as a locked
 * RMW on a word of its own, which is what x86 does, and which
 * ThreadSanitizer models (it ignores stand-alone fences).
 */
extern long lab_shim_mb_word;
#define smp_mb()							\
	do {								\
		LAB_SWITCH("smp_mb");					\
		__atomic_fetch_add(&lab_shim_mb_word, 0, __ATOMIC_SEQ_CST); \
	} while (0)
/* x86-64 keeps loads in order, so smp_rmb() is barrier() there, as here */
#define smp_rmb()							\
	do {								\
		LAB_SWITCH("smp_rmb");					\
		barrier();						\
	} while (0)
#define smp_load_acquire(p)						\
	({ LAB_SWITCH("smp_load_acquire"); __atomic_load_n((p), __ATOMIC_ACQUIRE); })
#define smp_store_release(p, v)						\
	do {								\
		LAB_SWITCH("smp_store_release");			\
		__atomic_store_n((p), (v), __ATOMIC_RELEASE);		\
	} while (0)

#endif
