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

#endif
