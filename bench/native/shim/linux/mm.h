/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/mm.h>, with what it brings in from asm/page.h (PAGE_*,
 * clear_page) and linux/kernel.h, math.h, minmax.h, array_size.h (min, max,
 * min3, min_t, round_up, DIV_ROUND_UP(_ULL), ARRAY_SIZE, might_sleep).
 */
#ifndef _SHIM_LINUX_MM_H
#define _SHIM_LINUX_MM_H

#include <string.h>
#include <linux/gfp.h>
#include <linux/types.h>

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE - 1))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define PAGE_ALIGNED(addr)	IS_ALIGNED((unsigned long)(addr), PAGE_SIZE)

#define min_t(type, x, y)	({ type __x = (x); type __y = (y); __x < __y ? __x : __y; })
#define min(x, y)		({ __typeof__(x) __a = (x); __typeof__(y) __b = (y); \
				   __a < __b ? __a : __b; })
#define max(x, y)		({ __typeof__(x) __a = (x); __typeof__(y) __b = (y); \
				   __a > __b ? __a : __b; })
#define min3(x, y, z)		min(min(x, y), z)
#define round_up(x, y)		((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define DIV_ROUND_UP_ULL(n, d)	DIV_ROUND_UP((unsigned long long)(n), (d))
#define ARRAY_SIZE(arr)		(sizeof(arr) / sizeof((arr)[0]))

/* no scheduler to check against */
#define might_sleep()		do { } while (0)

#define swap(a, b) \
	do { __typeof__(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)

/*
 * <asm-generic/bug.h>: counted and printed like a warning; under the
 * explorer every hit is a violation of the explored schedule.
 */
#ifdef LAB_EXPLORE
void lab_explore_warn(const char *cond, const char *file, int line);
#define WARN_ON_ONCE(cond)							\
	({									\
		bool __c = !!(cond);						\
										\
		if (__c)							\
			lab_explore_warn(#cond, __FILE__, __LINE__);		\
		__c;								\
	})
#else
#define WARN_ON_ONCE(cond)							\
	({									\
		static bool __warned;						\
		bool __c = !!(cond);						\
										\
		if (__c && !__warned) {						\
			__warned = true;					\
			lab_shim_printk("warn", "WARN_ON_ONCE(%s) at %s:%d\n",	\
					#cond, __FILE__, __LINE__);		\
		}								\
		__c;								\
	})
#endif
void lab_shim_printk(const char *level, const char *fmt, ...);

static inline void *page_address(const struct page *page)
{
	return (void *)page;
}

static inline struct page *virt_to_page(const void *addr)
{
	return (struct page *)((unsigned long)addr & PAGE_MASK);
}

/* each page of a block is already its own munmap()-able page (gfp.h) */
static inline void split_page(struct page *page, unsigned int order)
{
}

#ifdef LAB_EXPLORE
/* the explorer checks that nobody writes a frame someone else owns */
void lab_explore_on_clear(const void *page);
#else
static inline void lab_explore_on_clear(const void *page)
{
}
#endif

static inline void clear_page(void *page)
{
	lab_explore_on_clear(page);
	memset(page, 0, PAGE_SIZE);
}

/*
 * init_on_alloc / init_on_free: boot parameters and static keys in the
 * kernel, global switches here (off unless the harness turns them on).
 */
extern bool lab_shim_init_on_alloc;
extern bool lab_shim_init_on_free;

static inline bool want_init_on_alloc(gfp_t flags)
{
	if (lab_shim_init_on_alloc)
		return true;
	return flags & __GFP_ZERO;
}

static inline bool want_init_on_free(void)
{
	return lab_shim_init_on_free;
}

/* pages the machine could still give, from sysconf(_SC_AVPHYS_PAGES) */
long si_mem_available(void);

#endif
