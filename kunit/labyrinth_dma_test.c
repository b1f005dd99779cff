// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: DMA-mapped pools (LABYRINTH_POOL_DMA_MAP) on a KUnit test device.
 * The KUnit guest has no IOMMU and no forced bounce buffering, so a frame's
 * mapping is dma-direct's: the DMA address of its physical address.  Every
 * configuration the pool must refuse, and a mapping failure injected at
 * create and at growth, must leave no page behind.
 */

#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/irq_work.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>
#include "labyrinth_test.h"

#define TEST_DMA_FRAMES	64

/*
 * A test device that can reach all of memory, unregistered when the test
 * ends.  KUnit gives its devices a 32-bit mask; the guest's memory may lie
 * above 4 GiB, where a 32-bit mask would send mappings to swiotlb.
 */
static struct device *test_dma_device(struct kunit *test, const char *name)
{
	struct device *dev = kunit_device_register(test, name);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_EQ(test, 0, dma_coerce_mask_and_coherent(dev, DMA_BIT_MASK(64)));
	return dev;
}

static struct labyrinth_pool_config test_dma_config(struct device *dev, unsigned int nr_frames,
						    unsigned int max_frames)
{
	return (struct labyrinth_pool_config){
		.name = "kunit-dma", .nr_frames = nr_frames, .max_frames = max_frames,
		.flags = LABYRINTH_POOL_DMA_MAP, .dma_dev = dev, .dma_dir = DMA_FROM_DEVICE,
	};
}

/* A DMA-mapped pool destroyed when the test ends, before its device goes. */
static struct labyrinth_pool *test_dma_pool(struct kunit *test, struct device *dev,
					    unsigned int nr_frames, unsigned int max_frames)
{
	const struct labyrinth_pool_config cfg = test_dma_config(dev, nr_frames, max_frames);
	struct labyrinth_pool *pool = labyrinth_pool_create_config(&cfg);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	return pool;
}

/* Every frame the pool has now, with interrupts off so growth cannot add more. */
static unsigned int test_dma_drain(struct labyrinth_pool *pool, void **got, unsigned int max)
{
	unsigned long flags;
	unsigned int n = 0;

	local_irq_save(flags);
	while (n < max && (got[n] = labyrinth_pool_alloc(pool)))
		n++;
	local_irq_restore(flags);
	return n;
}

/* What dma-direct gives for the page at @addr: no IOMMU in the KUnit guest. */
static dma_addr_t test_dma_expected(struct device *dev, const void *addr)
{
	return phys_to_dma(dev, virt_to_phys((void *)addr));
}

/* Each of @got's @n frames has its page's DMA address, page aligned. */
static void test_dma_check_frames(struct kunit *test, struct labyrinth_pool *pool,
				  struct device *dev, void **got, unsigned int n)
{
	unsigned int i;
	dma_addr_t dma;

	for (i = 0; i < n; i++) {
		dma = labyrinth_pool_dma_addr(pool, got[i]);
		KUNIT_EXPECT_NE(test, dma, DMA_MAPPING_ERROR);
		KUNIT_EXPECT_EQ(test, dma, test_dma_expected(dev, got[i]));
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(dma));
	}
}

static unsigned long test_dma_free_pages(void)
{
	drain_all_pages(NULL);
	return global_zone_page_state(NR_FREE_PAGES);
}

/*
 * Every frame is mapped at create, to its own page's address, and keeps
 * that address across frees and grants: no map or unmap per grant.
 */
static void test_dma_maps_every_frame(struct kunit *test)
{
	struct device *dev = test_dma_device(test, "labyrinth-dma0");
	struct labyrinth_pool *pool = test_dma_pool(test, dev, TEST_DMA_FRAMES, 0);
	void **got = kunit_kcalloc(test, TEST_DMA_FRAMES + 1, sizeof(*got), GFP_KERNEL);
	dma_addr_t *dma = kunit_kcalloc(test, TEST_DMA_FRAMES, sizeof(*dma), GFP_KERNEL);
	unsigned int i, n;

	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	n = test_dma_drain(pool, got, TEST_DMA_FRAMES + 1);
	KUNIT_ASSERT_EQ(test, n, TEST_DMA_FRAMES);
	test_dma_check_frames(test, pool, dev, got, n);
	for (i = 0; i < n; i++)
		dma[i] = labyrinth_pool_dma_addr(pool, got[i]);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, n));
	/* free frames keep their mapping too */
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, dma[i], labyrinth_pool_dma_addr(pool, got[i]));
	n = test_dma_drain(pool, got, TEST_DMA_FRAMES);
	KUNIT_ASSERT_EQ(test, n, TEST_DMA_FRAMES);
	test_dma_check_frames(test, pool, dev, got, n);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, n));
}

/*
 * Anything that is not one of the pool's frames has no DMA address, and a
 * pool without DMA mappings has none for its own frames.
 */
static void test_dma_foreign_pointer(struct kunit *test)
{
	struct device *dev = test_dma_device(test, "labyrinth-dma1");
	struct labyrinth_pool *pool = test_dma_pool(test, dev, TEST_DMA_FRAMES, 0);
	struct labyrinth_pool *plain = labyrinth_pool_create("kunit-plain", 8);
	void *buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	void *own, *other;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, plain);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, plain));
	KUNIT_ASSERT_NOT_NULL(test, buf);
	own = labyrinth_pool_alloc(pool);
	other = labyrinth_pool_alloc(plain);
	KUNIT_ASSERT_NOT_NULL(test, own);
	KUNIT_ASSERT_NOT_NULL(test, other);

	KUNIT_EXPECT_EQ(test, labyrinth_pool_dma_addr(pool, NULL), DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, labyrinth_pool_dma_addr(pool, ERR_PTR(-ENOMEM)), DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, labyrinth_pool_dma_addr(pool, own + 64), DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, labyrinth_pool_dma_addr(pool, other), DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, labyrinth_pool_dma_addr(pool, buf), DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, labyrinth_pool_dma_addr(plain, other), DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, labyrinth_pool_dma_addr(pool, own), test_dma_expected(dev, own));

	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_pool_dma_sync_for_cpu(pool, NULL, 0, 64));
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_pool_dma_sync_for_cpu(pool, own + 64, 0, 64));
	KUNIT_EXPECT_EQ(test, -ENOENT, labyrinth_pool_dma_sync_for_cpu(pool, other, 0, 64));
	KUNIT_EXPECT_EQ(test, -ENOENT, labyrinth_pool_dma_sync_for_device(pool, buf, 0, 64));
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_pool_dma_sync_for_device(plain, other, 0, 64));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, own));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(plain, other));
}

/* Syncs of whole, partial, clamped and empty ranges; bulk syncs report a bad entry. */
static void test_dma_syncs(struct kunit *test)
{
	struct device *dev = test_dma_device(test, "labyrinth-dma2");
	struct labyrinth_pool_config cfg = test_dma_config(dev, TEST_DMA_FRAMES, 0);
	struct labyrinth_pool *pool;
	void *ring[16], *bad[3];
	unsigned int n;

	cfg.dma_offset = 256;
	cfg.dma_max_len = 2048;
	pool = labyrinth_pool_create_config(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	n = labyrinth_pool_alloc_bulk(pool, ring, ARRAY_SIZE(ring));
	KUNIT_ASSERT_EQ(test, n, ARRAY_SIZE(ring));

	/* the device's window, part of it, past it, and nothing at all */
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_dma_sync_for_device(pool, ring[0], 0, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_dma_sync_for_cpu(pool, ring[0], 0, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_dma_sync_for_device(pool, ring[1], 300, 100));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_dma_sync_for_cpu(pool, ring[1], 300, 100));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_dma_sync_for_cpu(pool, ring[2], 3000, 1000));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_dma_sync_for_cpu(pool, ring[2], 0, 0));
	KUNIT_EXPECT_EQ(test, 0,
			labyrinth_pool_dma_sync_for_cpu(pool, ring[2], UINT_MAX, UINT_MAX));

	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_dma_sync_bulk_for_device(pool, ring, n, 0, 2048));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_dma_sync_bulk_for_cpu(pool, ring, n, 0, 2048));
	bad[0] = ring[0];
	bad[1] = ring[1] + 8;
	bad[2] = ring[2];
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_pool_dma_sync_bulk_for_cpu(pool, bad, 3, 0, 64));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			labyrinth_pool_dma_sync_bulk_for_device(pool, bad, 3, 0, 64));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, ring, n));
}

/* Frames added by growth are mapped before any grant can return them. */
static void test_dma_growth_maps_new_frames(struct kunit *test)
{
	struct device *dev = test_dma_device(test, "labyrinth-dma3");
	struct labyrinth_pool *pool = test_dma_pool(test, dev, 64, 128);
	void **got = kunit_kcalloc(test, 129, sizeof(*got), GFP_KERNEL);
	unsigned int n, steps;

	KUNIT_ASSERT_NOT_NULL(test, got);
	n = test_dma_drain(pool, got, 129);
	KUNIT_ASSERT_EQ(test, n, 64);
	for (steps = 0; steps < LABYRINTH_MAX_SEGMENTS && n < 128; steps++) {
		queue_work(system_unbound_wq, &pool->grow_work);
		flush_work(&pool->grow_work);
		n += test_dma_drain(pool, got + n, 129 - n);
	}
	KUNIT_EXPECT_EQ(test, n, 128);
	KUNIT_EXPECT_EQ(test, test_stats(pool).nr_frames, 128);
	test_dma_check_frames(test, pool, dev, got, n);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, n));
}

static void test_dma_expect_refused(struct kunit *test, const struct labyrinth_pool_config *cfg)
{
	struct labyrinth_pool *pool = labyrinth_pool_create_config(cfg);

	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(pool), -EINVAL);
	if (!IS_ERR(pool))
		labyrinth_pool_destroy(pool);
}

/*
 * Each configuration a DMA pool cannot work with is refused before
 * anything is reserved, with one line naming the problem.
 */
static void test_dma_config_invalid(struct kunit *test)
{
	struct device *dev = test_dma_device(test, "labyrinth-dma4");
	struct device *nomask = test_dma_device(test, "labyrinth-dma5");
	struct device *zeromask = test_dma_device(test, "labyrinth-dma6");
	unsigned long before = test_dma_free_pages();
	struct labyrinth_pool_config cfg;

	/* a direction, but no device */
	cfg = test_dma_config(NULL, 8, 0);
	test_dma_expect_refused(test, &cfg);
	/* device fields without the flag */
	cfg = test_dma_config(dev, 8, 0);
	cfg.flags = 0;
	test_dma_expect_refused(test, &cfg);
	cfg = test_dma_config(NULL, 8, 0);
	cfg.flags = 0;
	test_dma_expect_refused(test, &cfg);
	/* unknown directions */
	cfg = test_dma_config(dev, 8, 0);
	cfg.dma_dir = DMA_NONE;
	test_dma_expect_refused(test, &cfg);
	cfg.dma_dir = (enum dma_data_direction)7;
	test_dma_expect_refused(test, &cfg);
	/* no DMA mask at all, as a device whose bus never set one up, and a zero one */
	nomask->dma_mask = NULL;
	cfg = test_dma_config(nomask, 8, 0);
	test_dma_expect_refused(test, &cfg);
	zeromask->coherent_dma_mask = 0;
	zeromask->dma_mask = &zeromask->coherent_dma_mask;
	cfg = test_dma_config(zeromask, 8, 0);
	test_dma_expect_refused(test, &cfg);
	/* a window beyond the page */
	cfg = test_dma_config(dev, 8, 0);
	cfg.dma_offset = PAGE_SIZE;
	test_dma_expect_refused(test, &cfg);
	cfg.dma_offset = 128;
	cfg.dma_max_len = PAGE_SIZE - 127;
	test_dma_expect_refused(test, &cfg);

	KUNIT_EXPECT_LT(test, abs_diff(before, test_dma_free_pages()), 256);
}

static void test_dma_fail_map_off(void *unused)
{
	WRITE_ONCE(labyrinth_fail_dma_map_at, 0);
}

/*
 * A create whose mapping fails part way, at the first frame or the
 * thousandth, returns -ENOMEM and gives back every page it took (a leak
 * would be thousands of pages; the noise is a few).
 */
static void test_dma_map_failure_at_create(struct kunit *test)
{
	static const unsigned int at[] = { 1, 2, 1000, 4096 };
	struct device *dev = test_dma_device(test, "labyrinth-dma7");
	const struct labyrinth_pool_config cfg = test_dma_config(dev, 4096, 0);
	struct labyrinth_pool *pool;
	unsigned long before;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, test_dma_fail_map_off, NULL));
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		before = test_dma_free_pages();
		WRITE_ONCE(labyrinth_fail_dma_map_at, at[i]);
		pool = labyrinth_pool_create_config(&cfg);
		WRITE_ONCE(labyrinth_fail_dma_map_at, 0);
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(pool), -ENOMEM);
		if (!IS_ERR(pool))
			labyrinth_pool_destroy(pool);
		KUNIT_EXPECT_LT(test, abs_diff(before, test_dma_free_pages()), 256);
	}
	/* and with the fault gone, the same create works */
	pool = labyrinth_pool_create_config(&cfg);
	KUNIT_EXPECT_FALSE(test, IS_ERR(pool));
	if (!IS_ERR(pool))
		KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_destroy(pool));
}

/*
 * A growth step whose mapping fails part way (at its third frame of 16)
 * adds nothing: no frame is published, the pool keeps serving what it had, and once mapping works
 * again the next step grows it, every new frame mapped.
 */
static void test_dma_map_failure_at_growth(struct kunit *test)
{
	struct device *dev = test_dma_device(test, "labyrinth-dma8");
	struct labyrinth_pool *pool = test_dma_pool(test, dev, 64, 80);
	void **got = kunit_kcalloc(test, 81, sizeof(*got), GFP_KERNEL);
	struct labyrinth_stats st;
	unsigned long before;
	unsigned int n, m;

	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, test_dma_fail_map_off, NULL));
	WRITE_ONCE(labyrinth_fail_dma_map_at, 3);
	n = test_dma_drain(pool, got, 81);
	KUNIT_ASSERT_EQ(test, n, 64);
	irq_work_sync(&pool->grow_kick);
	flush_work(&pool->grow_work);
	before = test_dma_free_pages();
	queue_work(system_unbound_wq, &pool->grow_work);
	flush_work(&pool->grow_work);
	KUNIT_EXPECT_LT(test, abs_diff(before, test_dma_free_pages()), 256);
	st = test_stats(pool);
	KUNIT_EXPECT_GE(test, st.refill_failures, 1);
	KUNIT_EXPECT_EQ(test, st.refills, 0);
	KUNIT_EXPECT_EQ(test, st.nr_frames, 64);
	KUNIT_EXPECT_EQ(test, READ_ONCE(pool->nr_segments), 1);
	KUNIT_EXPECT_EQ(test, test_dma_drain(pool, got + n, 81 - n), 0);

	WRITE_ONCE(labyrinth_fail_dma_map_at, 0);
	queue_work(system_unbound_wq, &pool->grow_work);
	flush_work(&pool->grow_work);
	/* one step of 16 frames reaches the cap: nothing grows behind the drain */
	st = test_stats(pool);
	KUNIT_EXPECT_EQ(test, st.nr_frames, 80);
	m = test_dma_drain(pool, got + n, 81 - n);
	KUNIT_EXPECT_EQ(test, n + m, 80);
	test_dma_check_frames(test, pool, dev, got, n + m);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, n + m));
}

static struct kunit_case labyrinth_dma_cases[] = {
	KUNIT_CASE(test_dma_maps_every_frame),
	KUNIT_CASE(test_dma_foreign_pointer),
	KUNIT_CASE(test_dma_syncs),
	KUNIT_CASE(test_dma_growth_maps_new_frames),
	KUNIT_CASE(test_dma_config_invalid),
	KUNIT_CASE(test_dma_map_failure_at_create),
	KUNIT_CASE(test_dma_map_failure_at_growth),
	{}
};

static struct kunit_suite labyrinth_dma_suite = {
	.name = "labyrinth_dma",
	/* exact exhaustion counts: the wipe held off, as in the pool suites */
	.suite_init = test_hold_off_wipe,
	.suite_exit = test_resume_wipe,
	.test_cases = labyrinth_dma_cases,
};

kunit_test_suites(&labyrinth_dma_suite);
