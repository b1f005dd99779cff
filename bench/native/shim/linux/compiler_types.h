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
 * READ_ONCE()/WRITE_ONCE() are volatile accesses in the kernel, which
 * KCSAN counts as marked.  A relaxed __atomic access compiles to the same
 * single mov on x86-64 and tells ThreadSanitizer the race is intended.
 * Scalars only, as in the kernel.
 */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, val)	__atomic_store_n(&(x), (val), __ATOMIC_RELAXED)

#endif
