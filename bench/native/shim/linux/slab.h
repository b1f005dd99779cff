/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/slab.h>.  Like kmalloc for sizes that are multiples of a
 * cache line (and vmalloc for a page or more), blocks are cache-line
 * (page) aligned: the pool's per-CPU bitmap regions rely on it to sit on
 * cache lines of their own.  Live blocks are counted (lab_shim_allocs_live)
 * so the harness can check that nothing leaks.
 */
#ifndef _SHIM_LINUX_SLAB_H
#define _SHIM_LINUX_SLAB_H

#include <linux/gfp.h>
#include <linux/types.h>

extern long lab_shim_allocs_live;

void *lab_shim_kmalloc(size_t n, size_t size, bool zero);
void kfree(const void *ptr);

static inline void *kzalloc(size_t size, gfp_t flags)
{
	return lab_shim_kmalloc(1, size, true);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return lab_shim_kmalloc(n, size, true);
}

static inline void *kvcalloc(size_t n, size_t size, gfp_t flags)
{
	return lab_shim_kmalloc(n, size, true);
}

static inline void *kvmalloc_array(size_t n, size_t size, gfp_t flags)
{
	return lab_shim_kmalloc(n, size, false);
}

static inline void kvfree(const void *ptr)
{
	kfree(ptr);
}

#endif
