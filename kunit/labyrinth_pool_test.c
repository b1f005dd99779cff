// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit, labyrinth_pool: a pool's grants and frees, singly and in bulk,
 * each frame to one owner at a time (exhaustion after exactly N distinct
 * grants, the frame index), what a new owner may find in a frame, the
 * default pool's exports, and poisoning.
 */

#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "labyrinth_test.h"

static void test_round_trip(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	struct labyrinth_stats st;
	void *p;

	p = labyrinth_pool_alloc(pool);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(p));
	memset(p, 0xa5, PAGE_SIZE);
	st = test_stats(pool);
	KUNIT_EXPECT_EQ(test, st.owned, 1);
	KUNIT_EXPECT_EQ(test, st.grants, 1);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
	st = test_stats(pool);
	KUNIT_EXPECT_EQ(test, st.owned, 0);
	KUNIT_EXPECT_EQ(test, st.frees, 1);
	KUNIT_EXPECT_EQ(test, st.nr_frames, TEST_FRAMES);
}

static void test_direct_mapped(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	void *p = labyrinth_pool_alloc(pool);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, virt_addr_valid(p));
	KUNIT_EXPECT_PTR_EQ(test, page_address(virt_to_page(p)), p);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
}

static void test_first_grant_is_zeroed(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	void *p = labyrinth_pool_alloc(pool);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
}

/*
 * Under init_on_alloc or init_on_free the next owner of a frame never sees
 * the previous owner's bytes.  make check boots the plain KUnit kernel with
 * init_on_free=1 and the debug one with init_on_alloc=1.
 */
static void test_grant_hides_previous_owner(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, 1);
	void *p = labyrinth_pool_alloc(pool);

	if (!want_init_on_alloc(GFP_ATOMIC) && !want_init_on_free())
		kunit_skip(test, "kernel runs without init_on_alloc and init_on_free");
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
	KUNIT_ASSERT_PTR_EQ(test, labyrinth_pool_alloc(pool), p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
}

/*
 * A single-owner pool zeroes a frame once, at reservation, and never on
 * recycle, whatever init_on_alloc or init_on_free say: the next grant of a
 * frame sees what the same client left in it.
 */
static void test_single_owner_keeps_bytes(struct kunit *test)
{
	const struct labyrinth_pool_config cfg = {
		.name = "kunit-single", .nr_frames = 1, .flags = LABYRINTH_POOL_SINGLE_OWNER,
	};
	struct labyrinth_pool *pool = labyrinth_pool_create_config(&cfg);
	void *p;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	p = labyrinth_pool_alloc(pool);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, PAGE_SIZE));
	memset(p, 0xa5, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
	KUNIT_ASSERT_PTR_EQ(test, labyrinth_pool_alloc(pool), p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0xa5, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
}

/* Exactly nr_frames grants succeed, all distinct, then NULL. */
static void test_exhaustion(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	void **got = kunit_kcalloc(test, TEST_FRAMES, sizeof(*got), GFP_KERNEL);
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, got);
	for (i = 0; i < TEST_FRAMES; i++) {
		got[i] = labyrinth_pool_alloc(pool);
		KUNIT_ASSERT_NOT_NULL_MSG(test, got[i], "grant %u of %u", i, TEST_FRAMES);
	}
	KUNIT_EXPECT_NULL(test, labyrinth_pool_alloc(pool));
	KUNIT_EXPECT_EQ(test, test_stats(pool).failures, 1);
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, TEST_FRAMES);
	for (i = 0; i < TEST_FRAMES; i++)
		for (j = i + 1; j < TEST_FRAMES; j++)
			KUNIT_ASSERT_PTR_NE(test, got[i], got[j]);
	for (i = 0; i < TEST_FRAMES; i++)
		KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, got[i]));
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 0);
}

/* A frame freed when the pool is empty is the next one granted. */
static void test_refill_after_exhaustion(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	void **got = kunit_kcalloc(test, TEST_FRAMES, sizeof(*got), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, got);
	for (i = 0; i < TEST_FRAMES; i++)
		KUNIT_ASSERT_NOT_NULL(test, got[i] = labyrinth_pool_alloc(pool));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, got[TEST_FRAMES / 2]));
	KUNIT_EXPECT_PTR_EQ(test, labyrinth_pool_alloc(pool), got[TEST_FRAMES / 2]);
	KUNIT_EXPECT_NULL(test, labyrinth_pool_alloc(pool));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, TEST_FRAMES));
}

static void test_frame_index_bijective(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	unsigned int index, seen = 0, i;

	for (i = 0; i < labyrinth_index_limit(pool); i++) {
		if (!pool->frame_addr[i])
			continue;
		seen++;
		KUNIT_ASSERT_EQ(test, 0, labyrinth_frame_index(pool, (void *)pool->frame_addr[i],
							       &index));
		KUNIT_EXPECT_EQ(test, index, i);
	}
	KUNIT_EXPECT_EQ(test, seen, TEST_FRAMES);
}

/* Every frame once in the frame table, which stays at most half full. */
static void test_frame_table_half_full(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	unsigned int slots = BIT(pool->table_bits), used = 0, i;
	u32 entry;

	for (i = 0; i < slots; i++) {
		entry = pool->frame_table[i];
		if (!entry)
			continue;
		used++;
		KUNIT_ASSERT_LE(test, entry, labyrinth_index_limit(pool));
		KUNIT_EXPECT_NE(test, pool->frame_addr[entry - 1], 0UL);
	}
	KUNIT_EXPECT_EQ(test, used, TEST_FRAMES);
	KUNIT_EXPECT_GE(test, slots, 2 * pool->max_frames);
}

static void test_bulk_round_trip(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	void **got = kunit_kcalloc(test, TEST_FRAMES + 1, sizeof(*got), GFP_KERNEL);
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_ASSERT_EQ(test, labyrinth_pool_alloc_bulk(pool, got, 40), 40);
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 40);
	KUNIT_EXPECT_EQ(test, labyrinth_pool_alloc_bulk(pool, got + 40, TEST_FRAMES + 1 - 40),
			TEST_FRAMES - 40);
	KUNIT_EXPECT_EQ(test, test_stats(pool).failures, 1);
	for (i = 0; i < TEST_FRAMES; i++) {
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(got[i]));
		for (j = i + 1; j < TEST_FRAMES; j++)
			KUNIT_ASSERT_PTR_NE(test, got[i], got[j]);
	}
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, TEST_FRAMES));
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 0);
	KUNIT_EXPECT_EQ(test, test_stats(pool).frees, TEST_FRAMES);
}

/* Frames granted singly can be freed in bulk and the other way round. */
static void test_bulk_mixes_with_single(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	void *got[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_NOT_NULL(test, got[i] = labyrinth_pool_alloc(pool));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, 8));
	KUNIT_ASSERT_EQ(test, labyrinth_pool_alloc_bulk(pool, got, 8), 8);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, got[i]));
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 0);
}

static void test_default_pool_exports(struct kunit *test)
{
	struct labyrinth_stats before, after;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, labyrinth_default_pool());
	KUNIT_EXPECT_STREQ(test, labyrinth_pool_name(labyrinth_default_pool()), "default");
	labyrinth_pool_read_stats(labyrinth_default_pool(), &before);
	p = labyrinth_void_alloc_page_gfp_atomic_exclusive();
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_free_page_exclusive(p));
	KUNIT_EXPECT_EQ(test, -EALREADY, labyrinth_free_page_exclusive(p));
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_free_page_exclusive(NULL));
	labyrinth_pool_read_stats(labyrinth_default_pool(), &after);
	KUNIT_EXPECT_EQ(test, after.grants - before.grants, 1);
	KUNIT_EXPECT_EQ(test, after.frees - before.frees, 1);
	KUNIT_EXPECT_EQ(test, after.double_free - before.double_free, 1);
	KUNIT_EXPECT_EQ(test, after.bad_addr - before.bad_addr, 1);
}

static struct labyrinth_pool *test_poisoned_pool(struct kunit *test)
{
	const struct labyrinth_pool_config cfg = {
		.name = "kunit-poison", .nr_frames = 1, .flags = LABYRINTH_POOL_POISON,
	};
	struct labyrinth_pool *pool = labyrinth_pool_create_config(&cfg);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	return pool;
}

/* With poisoning, a write into a free frame is reported at its next grant. */
static void test_poison_catches_write_after_free(struct kunit *test)
{
	struct labyrinth_pool *pool = test_poisoned_pool(test);
	u8 *p = labyrinth_pool_alloc(pool);

	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0x11, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
	KUNIT_EXPECT_NULL(test, memchr_inv(p, LABYRINTH_POISON_BYTE, PAGE_SIZE));
	p[100] = 0x42;			/* the stale pointer writes */
	KUNIT_ASSERT_PTR_EQ(test, labyrinth_pool_alloc(pool), (void *)p);
	KUNIT_EXPECT_EQ(test, test_stats(pool).poison_faults, 1);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
}

/* No false alarms: honest grant/free cycles, single and bulk, stay clean. */
static void test_poison_quiet_when_honest(struct kunit *test)
{
	struct labyrinth_pool *pool = test_poisoned_pool(test);
	void *p;
	int i;

	for (i = 0; i < 100; i++) {
		p = labyrinth_pool_alloc(pool);
		KUNIT_ASSERT_NOT_NULL(test, p);
		memset(p, i, PAGE_SIZE);
		if (i % 2)
			KUNIT_ASSERT_EQ(test, 0, labyrinth_pool_free(pool, p));
		else
			KUNIT_ASSERT_EQ(test, 0, labyrinth_pool_free_bulk(pool, &p, 1));
	}
	KUNIT_EXPECT_EQ(test, test_stats(pool).poison_faults, 0);
	KUNIT_EXPECT_EQ(test, -EALREADY, labyrinth_pool_free(pool, p));
	KUNIT_EXPECT_NULL(test, memchr_inv(p, LABYRINTH_POISON_BYTE, PAGE_SIZE));
}

static struct kunit_case labyrinth_pool_cases[] = {
	KUNIT_CASE(test_round_trip),
	KUNIT_CASE(test_direct_mapped),
	KUNIT_CASE(test_first_grant_is_zeroed),
	KUNIT_CASE(test_grant_hides_previous_owner),
	KUNIT_CASE(test_single_owner_keeps_bytes),
	KUNIT_CASE(test_exhaustion),
	KUNIT_CASE(test_refill_after_exhaustion),
	KUNIT_CASE(test_frame_index_bijective),
	KUNIT_CASE(test_frame_table_half_full),
	KUNIT_CASE(test_bulk_round_trip),
	KUNIT_CASE(test_bulk_mixes_with_single),
	KUNIT_CASE(test_default_pool_exports),
	KUNIT_CASE(test_poison_catches_write_after_free),
	KUNIT_CASE(test_poison_quiet_when_honest),
	{}
};

static struct kunit_suite labyrinth_pool_suite = {
	.name = "labyrinth_pool",
	.suite_init = test_hold_off_wipe,
	.suite_exit = test_resume_wipe,
	.test_cases = labyrinth_pool_cases,
};

kunit_test_suite(labyrinth_pool_suite);
