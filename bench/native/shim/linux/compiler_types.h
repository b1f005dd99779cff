/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/compiler_types.h>, force-included like Kbuild does, plus
 * the few <linux/compiler.h> / <asm-generic/rwonce.h> macros that every
 * kernel header brings in with it.
 */
#ifndef _SHIM_LINUX_COMPILER_TYPES_H
#define _SHIM_LINUX_COMPILER_TYPES_H

/* sparse address-space annotation: nothing to check in user space */
#define __percpu

#define __always_inline		inline __attribute__((__always_inline__))
#define noinline		__attribute__((__noinline__))
#define __printf(a, b)		__attribute__((__format__(printf, a, b)))

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)

/* <linux/container_of.h>, which nearly every kernel header pulls in */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* <linux/compiler.h>: the compiler may not move memory accesses across it */
#define barrier()		__asm__ __volatile__("" : : : "memory")

/* the kernel's "caller of this function", for warnings */
#define _RET_IP_		((unsigned long)__builtin_return_address(0))

/*
 * Switch points for the interleaving explorer (explore/): built with
 * -DLAB_EXPLORE, every shared access the shims model (marked accesses,
 * atomics, this_cpu ops, irq_work) first calls into the explorer's
 * scheduler, which may run another actor there.  Nothing otherwise.
 */
#ifdef LAB_EXPLORE
void lab_explore_point(const char *what);
#define LAB_SWITCH(what)	lab_explore_point(what)
#else
#define LAB_SWITCH(what)	do { } while (0)
#endif

/*
 * READ_ONCE()/WRITE_ONCE() are volatile accesses in the kernel, which
 * KCSAN counts as marked.  A relaxed __atomic access compiles to the same
 * single mov on x86-64 and tells ThreadSanitizer the race is intended.
 * Scalars only, as in the kernel.
 */
#define READ_ONCE(x)							\
	({ LAB_SWITCH("READ_ONCE"); __atomic_load_n(&(x), __ATOMIC_RELAXED); })
#define WRITE_ONCE(x, val)						\
	do {								\
		LAB_SWITCH("WRITE_ONCE");				\
		__atomic_store_n(&(x), (val), __ATOMIC_RELAXED);	\
	} while (0)

#endif
