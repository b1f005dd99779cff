/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/types.h>: the kernel's fixed-size names over <stdint.h>.
 * u64 is unsigned long long as in the kernel (asm-generic/int-ll64.h), so
 * that "%llu" in the pool's messages type-checks.
 */
#ifndef _SHIM_LINUX_TYPES_H
#define _SHIM_LINUX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>		/* ssize_t */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef long long s64;

/* DMA addresses are 64 bits wide on x86_64 */
typedef u64 dma_addr_t;

/* allocation flags; the values only matter to the shims (see gfp.h) */
typedef unsigned int gfp_t;

#endif
