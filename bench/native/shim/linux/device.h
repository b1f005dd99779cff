/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/device.h>: a device is its name and DMA mask, and its
 * reference count is not tracked (the harness never creates a DMA pool).
 */
#ifndef _SHIM_LINUX_DEVICE_H
#define _SHIM_LINUX_DEVICE_H

#include <linux/types.h>

struct device {
	const char *name;
	u64 *dma_mask;
};

static inline struct device *get_device(struct device *dev)
{
	return dev;
}

static inline void put_device(struct device *dev)
{
}

static inline const char *dev_name(const struct device *dev)
{
	return dev->name;
}

#endif
