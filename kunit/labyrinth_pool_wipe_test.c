// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit, labyrinth_pool_wipe: the background wipe, which clears freed
 * frames soon after their free when the kernel runs with init_on_alloc or
 * init_on_free, so grants need not; a grant that gets there first clears
 * the frame itself.  Single-owner, poisoned and no-wipe pools are never
 * wiped.  Without init_on_alloc and init_on_free most cases skip.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/string.h>
#include "labyrinth_test.h"

#define TEST_WIPE_FRAMES	16

static void test_wipe_restore(void *held_off)
{
	WRITE_ONCE(labyrinth_wipe_held_off, (bool)(uintptr_t)held_off);
}

/* Lets frees start the background wipe for the rest of the test. */
static void test_allow_wipe(struct kunit *test)
{
	bool was = READ_ONCE(labyrinth_wipe_held_off);

	WRITE_ONCE(labyrinth_wipe_held_off, false);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, test_wipe_restore,
							   (void *)(uintptr_t)was));
}

/* Waits up to 5 s for the wipe to have cleared @want frames of @pool. */
static u64 test_wait_wiped(struct labyrinth_pool *pool, u64 want)
{
	unsigned long until = jiffies + 5 * HZ;

	while (test_stats(pool).wiped < want && time_before(jiffies, until))
		msleep(20);
	return test_stats(pool).wiped;
}

static struct labyrinth_pool *test_wiped_pool(struct kunit *test)
{
	struct labyrinth_pool *pool;

	test_allow_wipe(test);
	pool = test_pool(test, TEST_WIPE_FRAMES);
	if (!(pool->flags & LABYRINTH_POOL_ZEROES))
		kunit_skip(test, "kernel runs without init_on_alloc and init_on_free");
	return pool;
}

/*
 * Freed frames are cleared in the background soon after their free, and
 * the grants that follow hand them out without clearing them again, all
 * zero.
 */
static void test_wipe_clears_freed_frames(struct kunit *test)
{
	struct labyrinth_pool *pool = test_wiped_pool(test);
	void *got[TEST_WIPE_FRAMES];
	unsigned int index, i;

	for (i = 0; i < TEST_WIPE_FRAMES; i++) {
		got[i] = labyrinth_pool_alloc(pool);
		KUNIT_ASSERT_NOT_NULL(test, got[i]);
		memset(got[i], 0x5a, PAGE_SIZE);
	}
	KUNIT_EXPECT_EQ(test, test_stats(pool).clean_grants, TEST_WIPE_FRAMES);
	for (i = 0; i < TEST_WIPE_FRAMES; i++)
		KUNIT_ASSERT_EQ(test, 0, labyrinth_pool_free(pool, got[i]));
	KUNIT_ASSERT_EQ(test, test_wait_wiped(pool, TEST_WIPE_FRAMES), TEST_WIPE_FRAMES);
	for (i = 0; i < TEST_WIPE_FRAMES; i++) {
		KUNIT_ASSERT_EQ(test, 0, labyrinth_frame_index(pool, got[i], &index));
		KUNIT_EXPECT_TRUE(test, test_bit(index, pool->clean));
		/* free, but the wipe is done with it: only zeroes to read */
		KUNIT_EXPECT_NULL(test, memchr_inv(got[i], 0, PAGE_SIZE));
	}
	for (i = 0; i < TEST_WIPE_FRAMES; i++) {
		got[i] = labyrinth_pool_alloc(pool);
		KUNIT_ASSERT_NOT_NULL(test, got[i]);
		KUNIT_EXPECT_NULL(test, memchr_inv(got[i], 0, PAGE_SIZE));
	}
	KUNIT_EXPECT_EQ(test, test_stats(pool).clean_grants, 2 * TEST_WIPE_FRAMES);
	for (i = 0; i < TEST_WIPE_FRAMES; i++)
		KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, got[i]));
}

/*
 * A frame granted again before the wipe reached it is cleared by its
 * grant: the next owner never sees the last one's bytes either way.
 */
static void test_wipe_or_grant_clears(struct kunit *test)
{
	struct labyrinth_pool *pool = test_wiped_pool(test);
	unsigned int round;
	void *p;

	for (round = 0; round < 200; round++) {
		p = labyrinth_pool_alloc(pool);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_ASSERT_NULL_MSG(test, memchr_inv(p, 0, PAGE_SIZE), "round %u", round);
		memset(p, 0xa5, PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, 0, labyrinth_pool_free(pool, p));
		if (round % 50 == 49)
			msleep(30);	/* let the wipe run between some rounds */
	}
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 0);
}

/* Destroy never waits on, nor is refused because of, a wipe in progress. */
static void test_wipe_then_destroy(struct kunit *test)
{
	struct labyrinth_pool *pool;
	void *got[TEST_WIPE_FRAMES];
	unsigned int i, delay;

	test_allow_wipe(test);
	for (delay = 0; delay <= 2 * LABYRINTH_WIPE_DELAY; delay++) {
		pool = labyrinth_pool_create("kunit-wipe", TEST_WIPE_FRAMES);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
		if (!(pool->flags & LABYRINTH_POOL_ZEROES)) {
			labyrinth_pool_destroy(pool);
			kunit_skip(test, "kernel runs without init_on_alloc and init_on_free");
		}
		for (i = 0; i < TEST_WIPE_FRAMES; i++)
			got[i] = labyrinth_pool_alloc(pool);
		for (i = 0; i < TEST_WIPE_FRAMES; i++)
			KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, got[i]));
		schedule_timeout_uninterruptible(delay);
		KUNIT_ASSERT_EQ_MSG(test, 0, labyrinth_pool_destroy(pool), "delay %u", delay);
	}
}

/* Single-owner, poisoned and no-wipe pools are never wiped. */
static void test_wipe_not_for_single_owner_or_poison(struct kunit *test)
{
	static const unsigned int flags[] = {
		LABYRINTH_POOL_SINGLE_OWNER, LABYRINTH_POOL_POISON, LABYRINTH_POOL_NO_WIPE,
	};
	static const int left[] = { 0xa5, LABYRINTH_POISON_BYTE, 0xa5 };
	struct labyrinth_pool_config cfg = { .name = "kunit-nowipe", .nr_frames = 4 };
	struct labyrinth_pool *pool;
	unsigned int f;
	void *p;

	test_allow_wipe(test);
	for (f = 0; f < ARRAY_SIZE(flags); f++) {
		cfg.flags = flags[f];
		pool = labyrinth_pool_create_config(&cfg);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
		KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit,
								   pool));
		p = labyrinth_pool_alloc(pool);
		KUNIT_ASSERT_NOT_NULL(test, p);
		memset(p, 0xa5, PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, 0, labyrinth_pool_free(pool, p));
		schedule_timeout_uninterruptible(4 * LABYRINTH_WIPE_DELAY);
		KUNIT_EXPECT_EQ(test, test_stats(pool).wiped, 0);
		KUNIT_EXPECT_FALSE(test, READ_ONCE(pool->wipe_armed));
		/* the bytes stay, or the poison; the next grant clears or checks */
		KUNIT_EXPECT_NULL(test, memchr_inv(p, left[f], PAGE_SIZE));
	}
}

/* Without the wipe, the kernel's policy still holds: the grant clears. */
static void test_no_wipe_clears_at_grant(struct kunit *test)
{
	const struct labyrinth_pool_config cfg = {
		.name = "kunit-nowipe", .nr_frames = 1, .flags = LABYRINTH_POOL_NO_WIPE,
	};
	struct labyrinth_pool *pool;
	void *p;

	test_allow_wipe(test);
	pool = labyrinth_pool_create_config(&cfg);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	if (!(pool->flags & LABYRINTH_POOL_ZEROES))
		kunit_skip(test, "kernel runs without init_on_alloc and init_on_free");
	p = labyrinth_pool_alloc(pool);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, 0, labyrinth_pool_free(pool, p));
	KUNIT_ASSERT_PTR_EQ(test, labyrinth_pool_alloc(pool), p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, test_stats(pool).clean_grants, 0);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
}

static struct kunit_case labyrinth_pool_wipe_cases[] = {
	KUNIT_CASE(test_wipe_clears_freed_frames),
	KUNIT_CASE(test_wipe_or_grant_clears),
	KUNIT_CASE(test_wipe_then_destroy),
	KUNIT_CASE(test_wipe_not_for_single_owner_or_poison),
	KUNIT_CASE(test_no_wipe_clears_at_grant),
	{}
};

static struct kunit_suite labyrinth_pool_wipe_suite = {
	.name = "labyrinth_pool_wipe",
	.suite_init = test_hold_off_wipe,
	.suite_exit = test_resume_wipe,
	.test_cases = labyrinth_pool_wipe_cases,
};

kunit_test_suite(labyrinth_pool_wipe_suite);
