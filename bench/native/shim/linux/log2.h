/* SPDX-License-Identifier: GPL-2.0 */
/* Shim of <linux/log2.h>: floor(log2(n)), -1 for 0 like the kernel's fls(). */
#ifndef _SHIM_LINUX_LOG2_H
#define _SHIM_LINUX_LOG2_H

#include <linux/types.h>

static inline int lab_ilog2_u64(u64 n)
{
	return n ? 63 - __builtin_clzll(n) : -1;
}

#define ilog2(n)	lab_ilog2_u64(n)

/* ceil(log2(n)), 0 for 0 and 1, as the kernel's */
static inline int lab_order_base_2(u64 n)
{
	return n > 1 ? lab_ilog2_u64(n - 1) + 1 : 0;
}

#define order_base_2(n)	lab_order_base_2(n)

#endif
