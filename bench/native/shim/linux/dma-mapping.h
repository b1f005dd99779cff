/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/dma-mapping.h>: user space has no IOMMU and no bounce
 * buffers, so a frame's DMA address is its address (an identity mapping,
 * as dma-direct without an offset) and syncs do nothing.
 */
#ifndef _SHIM_LINUX_DMA_MAPPING_H
#define _SHIM_LINUX_DMA_MAPPING_H

#include <linux/device.h>
#include <linux/err.h>
#include <linux/dma-direction.h>
#include <linux/mm.h>
#include <linux/types.h>

#define DMA_MAPPING_ERROR	(~(dma_addr_t)0)
#define DMA_ATTR_SKIP_CPU_SYNC	(1UL << 5)

static inline dma_addr_t dma_map_page_attrs(struct device *dev, struct page *page,
					    size_t offset, size_t size,
					    enum dma_data_direction dir, unsigned long attrs)
{
	return (dma_addr_t)(unsigned long)page_address(page) + offset;
}

static inline void dma_unmap_page_attrs(struct device *dev, dma_addr_t addr, size_t size,
					enum dma_data_direction dir, unsigned long attrs)
{
}

static inline int dma_mapping_error(struct device *dev, dma_addr_t addr)
{
	return addr == DMA_MAPPING_ERROR ? -ENOMEM : 0;
}

static inline void dma_sync_single_range_for_cpu(struct device *dev, dma_addr_t addr,
						 unsigned long offset, size_t size,
						 enum dma_data_direction dir)
{
}

static inline void dma_sync_single_range_for_device(struct device *dev, dma_addr_t addr,
						    unsigned long offset, size_t size,
						    enum dma_data_direction dir)
{
}

#endif
