/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/gfp.h> (with NUMA_NO_NODE and pageblock_order, which the
 * kernel's gfp.h brings in through mmzone.h).
 *
 * The page allocator is mmap(): an order-N block is one anonymous,
 * populated, page-aligned mapping of 2^N pages (zeroed, as __GFP_ZERO
 * asks), and a single page of it can be munmap()-ed on its own, so
 * split_page() has nothing to do.  There is no struct page array: a
 * struct page pointer here is the page's address (see page_address()).
 * Only page alignment is given, not the buddy allocator's natural
 * alignment of high orders; the pool does not rely on it.
 */
#ifndef _SHIM_LINUX_GFP_H
#define _SHIM_LINUX_GFP_H

#include <linux/types.h>

/* flag values are the shim's own; only __GFP_ZERO is looked at */
#define __GFP_ZERO		0x01u
#define __GFP_NOWARN		0x02u
#define __GFP_NORETRY		0x04u
#define __GFP_HIGH		0x08u
#define __GFP_RECLAIM		0x10u
#define GFP_ATOMIC		__GFP_HIGH
#define GFP_KERNEL		__GFP_RECLAIM

#define NUMA_NO_NODE		(-1)
/* x86-64 with THP: a pageblock is a PMD, order 9 (2 MiB) */
#define pageblock_order		9

struct page;

/*
 * Harness hooks (shim.c): pages mapped now; a budget for fault injection;
 * a registry numbering every page mapped while it is started (-1: unknown).
 */
extern long lab_shim_pages_live;
extern long lab_shim_page_budget;	/* -1: no limit */
void lab_shim_registry_start(long capacity);
void lab_shim_registry_stop(void);
long lab_shim_page_slot(const void *addr);
long lab_shim_registry_slots(void);

struct page *alloc_pages_node(int nid, gfp_t gfp_mask, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
void free_pages(unsigned long addr, unsigned int order);
#define free_page(addr)		free_pages((addr), 0)

#endif
