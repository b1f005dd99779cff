/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/percpu.h> (with the smp.h bits the pool uses).  A "CPU"
 * is a benchmark thread: each thread calls lab_shim_set_cpu() with its own
 * id 0..nr_cpu_ids-1 when it starts (and is pinned to a real core by the
 * harness); no two running threads share an id, just as no two tasks run
 * on one CPU at once.
 *
 * A per-CPU allocation is nr_cpu_ids units of LAB_PCPU_UNIT bytes, so CPU
 * c's copy sits at c * LAB_PCPU_UNIT from CPU 0's, on cache lines of its
 * own like the kernel's per-CPU areas.  The __percpu pointer is CPU 0's
 * copy; this_cpu_*() add the thread's offset, kept in TLS the way x86
 * keeps it in %gs.
 */
#ifndef _SHIM_LINUX_PERCPU_H
#define _SHIM_LINUX_PERCPU_H

#include <linux/cpumask.h>
#include <linux/types.h>

#define LAB_PCPU_UNIT		4096UL

/* local-exec: defined in this executable, one %fs-relative load like %gs */
extern __thread int lab_shim_cpu __attribute__((tls_model("local-exec")));
extern __thread unsigned long lab_shim_cpu_off __attribute__((tls_model("local-exec")));
void lab_shim_set_cpu(int cpu);

void __percpu *__alloc_percpu(size_t size, size_t align);
void free_percpu(void __percpu *ptr);

#define alloc_percpu(type) \
	((type __percpu *)__alloc_percpu(sizeof(type), __alignof__(type)))

#define per_cpu_ptr(ptr, cpu) \
	((__typeof__(ptr))((unsigned long)(ptr) + (unsigned long)(cpu) * LAB_PCPU_UNIT))
#define this_cpu_ptr(ptr) \
	((__typeof__(ptr))((unsigned long)(ptr) + lab_shim_cpu_off))

#define raw_smp_processor_id()	(lab_shim_cpu)
#define smp_processor_id()	(lab_shim_cpu)

/*
 * this_cpu ops: in the kernel one unlocked instruction, atomic against
 * interrupts on the same CPU but not against other CPUs, which only read.
 * Relaxed load and store give that same unlocked code and mark the
 * variable for ThreadSanitizer (the stats reader uses READ_ONCE()).
 */
#define this_cpu_read(pcp)						\
	({								\
		LAB_SWITCH("this_cpu_read");				\
		__atomic_load_n(this_cpu_ptr(&(pcp)), __ATOMIC_RELAXED);\
	})
#define this_cpu_write(pcp, val)					\
	do {								\
		LAB_SWITCH("this_cpu_write");				\
		__atomic_store_n(this_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED); \
	} while (0)
#define this_cpu_add(pcp, val)							\
	do {									\
		__typeof__(&(pcp)) __p;						\
										\
		LAB_SWITCH("this_cpu_add");					\
		__p = this_cpu_ptr(&(pcp));					\
		__atomic_store_n(__p, __atomic_load_n(__p, __ATOMIC_RELAXED) +	\
				 (val), __ATOMIC_RELAXED);			\
	} while (0)
#define this_cpu_inc(pcp)	this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp)	this_cpu_add(pcp, -1)

#endif
