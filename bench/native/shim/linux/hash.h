/* SPDX-License-Identifier: GPL-2.0 */
/* Shim of <linux/hash.h>: the multiplicative hash, as the kernel's generic one. */
#ifndef _SHIM_LINUX_HASH_H
#define _SHIM_LINUX_HASH_H

#include <linux/types.h>

#define GOLDEN_RATIO_32		0x61C88647

static inline u32 hash_32(u32 val, unsigned int bits)
{
	return (val * GOLDEN_RATIO_32) >> (32 - bits);
}

#endif
