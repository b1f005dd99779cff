// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth_edu - a DMA-mapped labyrinth pool behind a real (emulated)
 * device: QEMU's "edu" PCI device (1234:11e8), driven like a NIC's rings.
 *
 * edu copies between RAM and a buffer of its own at 0x40000 by DMA and
 * raises an interrupt when a copy is done.  Two pools are created with
 * LABYRINTH_POOL_DMA_MAP: tx (DMA_TO_DEVICE) and rx (DMA_FROM_DEVICE).
 * For each of @frames frames the interrupt handler grants a tx and an rx
 * frame, writes a pattern into the tx frame, syncs both for the device and
 * has edu move the page tx -> edu -> rx, then, on the last completion
 * interrupt, syncs the rx frame for the CPU, checks every byte and frees
 * both.  Everything after the first kick runs in the interrupt handler.
 *
 * QEMU 7.2's edu aborts on a transfer that ends at the end of its buffer
 * (0x41000), so a page moves as two 2048-byte halves, each through
 * 0x40000-0x407ff: four transfers a frame.  edu's own DMA mask is 28 bits
 * unless QEMU is told otherwise (-device edu,dma_mask=...): @dma_bits.
 *
 * Two negative checks show that the mappings and syncs are real:
 * @skip_cpu_sync leaves out the sync for the CPU, so under swiotlb=force
 * the CPU reads the rx frame, not the bounce buffer the device wrote; and
 * @dma_after_destroy has the device write to a frame's DMA address after
 * its pool was destroyed, which an IOMMU must refuse (a DMAR fault).
 *
 * The result is one line, "labyrinth_edu: <dev>: N frames, B bytes
 * verified, W wrong", and the probe fails with -EIO when anything was
 * wrong, so a broken mapping or a missing sync is visible from the shell.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "../labyrinth.h"

static unsigned int frames = 16;
module_param(frames, uint, 0444);
MODULE_PARM_DESC(frames, "pages moved tx -> edu -> rx and checked (default 16)");

static unsigned int dma_bits = 28;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits, "DMA mask of the device in bits: edu's default is 28 (default 28)");

static bool skip_cpu_sync;
module_param(skip_cpu_sync, bool, 0444);
MODULE_PARM_DESC(skip_cpu_sync,
		 "negative check: read rx frames without syncing them for the CPU; under swiotlb the bytes are stale (default N)");

static bool dma_after_destroy;
module_param(dma_after_destroy, bool, 0444);
MODULE_PARM_DESC(dma_after_destroy,
		 "negative check, only behind an IOMMU: at remove, one DMA to an rx frame's address after its pool is destroyed, which must fault (default N)");

#define EDU_ID			0x00
#define EDU_IRQ_STATUS		0x24
#define EDU_IRQ_RAISE		0x60
#define EDU_IRQ_ACK		0x64
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98

#define EDU_DMA_RUN		BIT(0)
#define EDU_DMA_FROM_EDU	BIT(1)	/* edu's buffer to RAM; clear: RAM to edu */
#define EDU_DMA_IRQ		BIT(2)	/* raise interrupt 0x100 when done */

#define EDU_ID_MAGIC		0xed
#define EDU_BUF			0x40000
#define EDU_HALF		2048
#define EDU_POOL_FRAMES		8
/* rx frames hold this until the device writes them, so stale bytes show */
#define EDU_RX_FILL		0x5a

/**
 * struct edu - one edu device and its two pools
 * @pdev: the PCI device
 * @mmio: BAR 0
 * @tx: frames the CPU fills and the device reads
 * @rx: frames the device fills and the CPU reads
 * @tx_buf: the frame in flight from @tx
 * @rx_buf: the frame in flight from @rx
 * @last_rx_dma: DMA address of the last rx frame, for @dma_after_destroy
 * @frame: frames finished, good or not
 * @step: transfer of the frame in flight, 0 when none is
 * @bytes_ok: bytes that came back as written
 * @bytes_bad: bytes that did not
 * @error: first failure other than a wrong byte
 * @stopping: finish the frame in flight and start no other
 * @done: the last frame is finished
 */
struct edu {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct labyrinth_pool *tx;
	struct labyrinth_pool *rx;
	void *tx_buf;
	void *rx_buf;
	dma_addr_t last_rx_dma;
	unsigned int frame;
	unsigned int step;
	u64 bytes_ok;
	u64 bytes_bad;
	int error;
	bool stopping;
	struct completion done;
};

static u8 edu_pattern(unsigned int frame, unsigned int i)
{
	return (frame * 37 + i * 7 + (i >> 8) + 1) & 0xff;
}

/* One transfer of EDU_HALF bytes; its completion raises the interrupt. */
static void edu_dma(struct edu *edu, dma_addr_t src, dma_addr_t dst, bool from_edu)
{
	writeq(src, edu->mmio + EDU_DMA_SRC);
	writeq(dst, edu->mmio + EDU_DMA_DST);
	writeq(EDU_HALF, edu->mmio + EDU_DMA_COUNT);
	writeq(EDU_DMA_RUN | EDU_DMA_IRQ | (from_edu ? EDU_DMA_FROM_EDU : 0),
	       edu->mmio + EDU_DMA_CMD);
}

/* Grant a frame pair and start its first transfer; false when nothing is left to do. */
static bool edu_start_frame(struct edu *edu)
{
	u8 *tx;
	unsigned int i;

	if (edu->frame >= frames || edu->stopping || edu->error)
		return false;
	edu->tx_buf = labyrinth_pool_alloc(edu->tx);
	edu->rx_buf = labyrinth_pool_alloc(edu->rx);
	if (!edu->tx_buf || !edu->rx_buf) {
		edu->error = -ENOMEM;
		return false;
	}
	tx = edu->tx_buf;
	for (i = 0; i < PAGE_SIZE; i++)
		tx[i] = edu_pattern(edu->frame, i);
	memset(edu->rx_buf, EDU_RX_FILL, PAGE_SIZE);
	/* the CPU's writes reach memory (or the bounce buffer) before the device looks */
	labyrinth_pool_dma_sync_for_device(edu->tx, edu->tx_buf, 0, PAGE_SIZE);
	labyrinth_pool_dma_sync_for_device(edu->rx, edu->rx_buf, 0, PAGE_SIZE);
	edu->step = 1;
	edu_dma(edu, labyrinth_pool_dma_addr(edu->tx, edu->tx_buf), EDU_BUF, false);
	return true;
}

/* The frame pair is back: sync for the CPU, check every byte, free both. */
static void edu_finish_frame(struct edu *edu)
{
	const u8 *rx = edu->rx_buf;
	unsigned int i, bad = 0;

	if (!skip_cpu_sync)
		labyrinth_pool_dma_sync_for_cpu(edu->rx, edu->rx_buf, 0, PAGE_SIZE);
	edu->last_rx_dma = labyrinth_pool_dma_addr(edu->rx, edu->rx_buf);
	for (i = 0; i < PAGE_SIZE; i++)
		bad += rx[i] != edu_pattern(edu->frame, i);
	edu->bytes_bad += bad;
	edu->bytes_ok += PAGE_SIZE - bad;
	labyrinth_pool_free(edu->tx, edu->tx_buf);
	labyrinth_pool_free(edu->rx, edu->rx_buf);
	edu->tx_buf = NULL;
	edu->rx_buf = NULL;
	edu->step = 0;
	edu->frame++;
}

static void edu_release_frames(struct edu *edu)
{
	if (edu->tx_buf)
		labyrinth_pool_free(edu->tx, edu->tx_buf);
	if (edu->rx_buf)
		labyrinth_pool_free(edu->rx, edu->rx_buf);
	edu->tx_buf = NULL;
	edu->rx_buf = NULL;
}

/*
 * The ring, as a state machine run by the interrupt: step 1 tx half 0 to
 * edu, 2 edu to rx half 0, 3 tx half 1 to edu, 4 edu to rx half 1, then
 * the frame is checked and the next one started.
 */
static irqreturn_t edu_irq(int irq, void *data)
{
	struct edu *edu = data;
	dma_addr_t tx, rx;
	u32 status;

	status = readl(edu->mmio + EDU_IRQ_STATUS);
	if (!status)
		return IRQ_NONE;
	writel(status, edu->mmio + EDU_IRQ_ACK);

	tx = edu->step ? labyrinth_pool_dma_addr(edu->tx, edu->tx_buf) : 0;
	rx = edu->step ? labyrinth_pool_dma_addr(edu->rx, edu->rx_buf) : 0;
	switch (edu->step) {
	case 1:
		edu->step = 2;
		edu_dma(edu, EDU_BUF, rx, true);
		return IRQ_HANDLED;
	case 2:
		edu->step = 3;
		edu_dma(edu, tx + EDU_HALF, EDU_BUF, false);
		return IRQ_HANDLED;
	case 3:
		edu->step = 4;
		edu_dma(edu, EDU_BUF, rx + EDU_HALF, true);
		return IRQ_HANDLED;
	case 4:
		edu_finish_frame(edu);
		break;
	}
	if (!edu_start_frame(edu)) {
		edu_release_frames(edu);
		complete(&edu->done);
	}
	return IRQ_HANDLED;
}

static struct labyrinth_pool *edu_pool(struct edu *edu, const char *name,
				       enum dma_data_direction dir)
{
	const struct labyrinth_pool_config cfg = {
		.name = name, .nr_frames = EDU_POOL_FRAMES,
		.flags = LABYRINTH_POOL_SINGLE_OWNER | LABYRINTH_POOL_DMA_MAP,
		.dma_dev = &edu->pdev->dev, .dma_dir = dir,
	};

	return labyrinth_pool_create_config(&cfg);
}

static void edu_destroy_pools(struct edu *edu)
{
	if (!IS_ERR_OR_NULL(edu->rx))
		labyrinth_pool_destroy(edu->rx);
	if (!IS_ERR_OR_NULL(edu->tx))
		labyrinth_pool_destroy(edu->tx);
}

/* Run every frame: the first kick is a software interrupt, the rest are completions. */
static int edu_run(struct edu *edu)
{
	unsigned long timeout = msecs_to_jiffies(2000 + frames * 4 * 1000);

	writel(1, edu->mmio + EDU_IRQ_RAISE);
	if (!wait_for_completion_timeout(&edu->done, timeout)) {
		dev_err(&edu->pdev->dev, "no completion after %u frames\n", edu->frame);
		return -ETIMEDOUT;
	}
	dev_info(&edu->pdev->dev, "%u frames, %llu bytes verified, %llu wrong\n",
		 edu->frame, edu->bytes_ok, edu->bytes_bad);
	if (edu->error)
		return edu->error;
	return edu->bytes_bad || edu->frame != frames ? -EIO : 0;
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu *edu;
	int err, irq;
	u32 ident;

	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	init_completion(&edu->done);
	pci_set_drvdata(pdev, edu);

	err = pci_enable_device(pdev);
	if (err)
		return err;
	err = pci_request_region(pdev, 0, KBUILD_MODNAME);
	if (err)
		goto disable;
	edu->mmio = pci_iomap(pdev, 0, 0);
	if (!edu->mmio) {
		err = -ENOMEM;
		goto release;
	}
	ident = readl(edu->mmio + EDU_ID);
	if ((ident & 0xff) != EDU_ID_MAGIC) {
		dev_err(&pdev->dev, "not an edu device: id 0x%08x\n", ident);
		err = -ENODEV;
		goto unmap;
	}
	pci_set_master(pdev);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(dma_bits));
	if (err) {
		dev_err(&pdev->dev, "no usable %u-bit DMA mask\n", dma_bits);
		goto clear_master;
	}

	edu->tx = edu_pool(edu, "edu-tx", DMA_TO_DEVICE);
	edu->rx = IS_ERR(edu->tx) ? NULL : edu_pool(edu, "edu-rx", DMA_FROM_DEVICE);
	if (IS_ERR(edu->tx) || IS_ERR(edu->rx)) {
		err = IS_ERR(edu->tx) ? PTR_ERR(edu->tx) : PTR_ERR(edu->rx);
		goto pools;
	}

	err = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_ALL_TYPES);
	if (err < 0)
		goto pools;
	irq = pci_irq_vector(pdev, 0);
	err = request_irq(irq, edu_irq, IRQF_SHARED, KBUILD_MODNAME, edu);
	if (err)
		goto vectors;

	err = edu_run(edu);
	if (!err)
		return 0;

	/* stop what may still be in flight before anything goes away */
	WRITE_ONCE(edu->stopping, true);
	wait_for_completion_timeout(&edu->done, msecs_to_jiffies(5000));
	free_irq(irq, edu);
	edu_release_frames(edu);
vectors:
	pci_free_irq_vectors(pdev);
pools:
	edu_destroy_pools(edu);
clear_master:
	pci_clear_master(pdev);
unmap:
	pci_iounmap(pdev, edu->mmio);
release:
	pci_release_region(pdev, 0);
disable:
	pci_disable_device(pdev);
	return err;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu *edu = pci_get_drvdata(pdev);

	/* every frame finished in probe: nothing is in flight */
	edu_destroy_pools(edu);
	if (dma_after_destroy && edu->last_rx_dma) {
		/*
		 * The mapping went with the pool: through an IOMMU this write
		 * must fault instead of landing in a page that may be anyone's.
		 * Its completion interrupt finds nothing left to start.
		 */
		WRITE_ONCE(edu->stopping, true);
		edu_dma(edu, EDU_BUF, edu->last_rx_dma, true);
		msleep(500);
	}
	free_irq(pci_irq_vector(pdev, 0), edu);
	pci_free_irq_vectors(pdev);
	pci_clear_master(pdev);
	pci_iounmap(pdev, edu->mmio);
	pci_release_region(pdev, 0);
	pci_disable_device(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = KBUILD_MODNAME,
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
};
module_pci_driver(edu_driver);

MODULE_IMPORT_NS(LABYRINTH);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("labyrinth developers");
MODULE_DESCRIPTION("labyrinth sample: an RX/TX ring of DMA-mapped pool frames on QEMU's edu device");
