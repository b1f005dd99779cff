/* SPDX-License-Identifier: GPL-2.0 */
/* Shim of <linux/version.h>: the shims model the 6.12 kernel's API. */
#ifndef _SHIM_LINUX_VERSION_H
#define _SHIM_LINUX_VERSION_H

#define KERNEL_VERSION(a, b, c)	(((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
#define LINUX_VERSION_CODE	KERNEL_VERSION(6, 12, 0)
#define LINUX_VERSION_MAJOR	6
#define LINUX_VERSION_PATCHLEVEL	12
#define LINUX_VERSION_SUBLEVEL	0

#endif
