// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit, labyrinth_pool_growth: a growable pool that runs dry grows, in
 * steps, to its cap and no further; a fixed pool never grows; a step that
 * fails, wholly or part way, adds nothing and the pool keeps serving; a
 * free of a frame still being published is refused; the back-off after a
 * failure is a distance, which jiffies wrapping cannot stretch.
 */

#include <kunit/test.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "labyrinth_test.h"

/* Take every frame the pool has now, with interrupts off: growth never runs here. */
static unsigned int test_drain(struct labyrinth_pool *pool, void **got, unsigned int max)
{
	unsigned long flags;
	unsigned int n = 0;

	local_irq_save(flags);
	while (n < max && (got[n] = labyrinth_pool_alloc(pool)))
		n++;
	local_irq_restore(flags);
	return n;
}

/*
 * A growable pool that runs dry kicks growth from atomic context; the work
 * item adds frames in steps until the cap, and grown frames are granted,
 * distinct, and freed like the first ones.
 */
static void test_growth_to_cap(struct kunit *test)
{
	struct labyrinth_pool *pool = test_create_growable(64, 256);
	void **got = kunit_kcalloc(test, 257, sizeof(*got), GFP_KERNEL);
	unsigned int n, i, j, steps = 0;
	struct labyrinth_stats st;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	KUNIT_ASSERT_NOT_NULL(test, got);
	n = test_drain(pool, got, 257);
	KUNIT_EXPECT_EQ(test, n, 64);
	while (n < 256 && steps++ < LABYRINTH_MAX_SEGMENTS) {
		test_wait_growth(pool);
		n += test_drain(pool, got + n, 257 - n);
	}
	st = test_stats(pool);
	KUNIT_EXPECT_EQ(test, n, 256);
	KUNIT_EXPECT_EQ(test, st.nr_frames, 256);
	KUNIT_EXPECT_EQ(test, st.max_frames, 256);
	KUNIT_EXPECT_EQ(test, st.refills, 256 - 64);
	KUNIT_EXPECT_EQ(test, st.owned, 256);
	test_wait_growth(pool);
	KUNIT_EXPECT_NULL(test, labyrinth_pool_alloc(pool));
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			KUNIT_ASSERT_PTR_NE(test, got[i], got[j]);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, n));
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 0);
}

/* A cap far above the initial size is still reached: steps grow to fit. */
static void test_growth_reaches_far_cap(struct kunit *test)
{
	struct labyrinth_pool *pool = test_create_growable(4, 100);
	void **got = kunit_kcalloc(test, 101, sizeof(*got), GFP_KERNEL);
	unsigned int n, steps = 0;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	KUNIT_ASSERT_NOT_NULL(test, got);
	n = test_drain(pool, got, 101);
	while (n < 100 && steps++ < LABYRINTH_MAX_SEGMENTS) {
		test_wait_growth(pool);
		n += test_drain(pool, got + n, 101 - n);
	}
	KUNIT_EXPECT_EQ(test, n, 100);
	KUNIT_EXPECT_EQ(test, test_stats(pool).nr_frames, 100);
	KUNIT_EXPECT_EQ(test, test_stats(pool).refill_failures, 0);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, n));
}

static void test_fixed_pool_never_grows(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	void **got = kunit_kcalloc(test, TEST_FRAMES, sizeof(*got), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_EXPECT_EQ(test, test_drain(pool, got, TEST_FRAMES), TEST_FRAMES);
	test_wait_growth(pool);
	KUNIT_EXPECT_NULL(test, labyrinth_pool_alloc(pool));
	KUNIT_EXPECT_EQ(test, test_stats(pool).refills, 0);
	KUNIT_EXPECT_EQ(test, test_stats(pool).nr_frames, TEST_FRAMES);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, TEST_FRAMES));
}

/* A growth step that cannot reserve anything is counted; the reserve still serves. */
static void test_growth_failure_keeps_serving(struct kunit *test)
{
	struct labyrinth_pool *pool = test_create_growable(64, 256);
	void **got = kunit_kcalloc(test, 64, sizeof(*got), GFP_KERNEL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	KUNIT_ASSERT_NOT_NULL(test, got);
	WRITE_ONCE(labyrinth_fail_reserve_at, 1);
	KUNIT_EXPECT_EQ(test, test_drain(pool, got, 64), 64);
	test_wait_growth(pool);
	WRITE_ONCE(labyrinth_fail_reserve_at, 0);
	KUNIT_EXPECT_GE(test, test_stats(pool).refill_failures, 1);
	KUNIT_EXPECT_EQ(test, test_stats(pool).refills, 0);
	KUNIT_EXPECT_EQ(test, test_stats(pool).nr_frames, 64);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, 64));
	KUNIT_EXPECT_EQ(test, test_drain(pool, got, 64), 64);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, 64));
}

/* A growable pool destroyed when the test ends. */
static struct labyrinth_pool *test_growable_pool(struct kunit *test, unsigned int nr_frames,
						 unsigned int max_frames)
{
	struct labyrinth_pool *pool = test_create_growable(nr_frames, max_frames);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	return pool;
}

/* Run one growth step now, whatever the back-off says, and wait for it. */
static void test_grow_step(struct labyrinth_pool *pool)
{
	queue_work(system_unbound_wq, &pool->grow_work);
	flush_work(&pool->grow_work);
}

static void test_fail_reserve_off(void *unused)
{
	WRITE_ONCE(labyrinth_fail_reserve_at, 0);
}

/*
 * A growth step that reserves only part of its frames adds none of them:
 * it gives them back and fails, and does not spend one of the 15 growth
 * segments, so a spell of memory pressure that fails every step part way
 * leaves the cap reachable.  784 = 64 + 15 * 48: every step is 48 frames,
 * 24 a region on two CPUs, so at least two chunks (16 + 8), and the
 * second chunk of each step fails.
 */
static void test_partial_growth_adds_nothing(struct kunit *test)
{
	struct labyrinth_pool *pool = test_growable_pool(test, 64, 784);
	void **got = kunit_kcalloc(test, 785, sizeof(*got), GFP_KERNEL);
	struct labyrinth_stats st;
	unsigned int i, n;

	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, test_fail_reserve_off, NULL));
	WRITE_ONCE(labyrinth_fail_reserve_at, 2);
	for (i = 0; i < LABYRINTH_MAX_SEGMENTS - 1; i++) {
		test_grow_step(pool);
		st = test_stats(pool);
		KUNIT_ASSERT_EQ(test, st.refill_failures, i + 1);
		KUNIT_ASSERT_EQ(test, st.refills, 0);
		KUNIT_ASSERT_EQ(test, st.nr_frames, 64);
		KUNIT_ASSERT_EQ(test, READ_ONCE(pool->nr_segments), 1);
	}
	WRITE_ONCE(labyrinth_fail_reserve_at, 0);
	for (i = 0; i < LABYRINTH_MAX_SEGMENTS - 1; i++)
		test_grow_step(pool);
	st = test_stats(pool);
	KUNIT_EXPECT_EQ(test, st.nr_frames, 784);
	KUNIT_EXPECT_EQ(test, st.refills, 784 - 64);
	n = test_drain(pool, got, 785);
	KUNIT_EXPECT_EQ(test, n, 784);
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 784);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, n));
}

/* What test_window_hook() saw inside a growth step's publish window. */
static struct test_window {
	struct labyrinth_pool *pool;
	void *frame;
	void *granted;
	int free_ret;
	bool ran;
} test_window;

static void test_window_hook(struct labyrinth_pool *pool)
{
	const struct labyrinth_segment *sg = &pool->segments[pool->nr_segments - 1];

	if (pool != test_window.pool || test_window.ran)
		return;
	test_window.frame = (void *)sg->chunks[0].start;
	test_window.free_ret = labyrinth_pool_free(pool, test_window.frame);
	test_window.granted = labyrinth_pool_alloc(pool);
	test_window.ran = true;
}

static void test_window_hook_off(void *unused)
{
	WRITE_ONCE(labyrinth_grow_window_hook, NULL);
}

/*
 * Growth publishes its segment, so frees can find the new frames, before
 * grants may take them.  A free of a new frame in that window is of a
 * frame nobody was ever granted: refused, and it must not make the frame
 * grantable early, so that afterwards it is granted exactly once.
 */
static void test_growth_window_refuses_new_frame(struct kunit *test)
{
	struct labyrinth_pool *pool = test_growable_pool(test, 64, 80);
	void **got = kunit_kcalloc(test, 82, sizeof(*got), GFP_KERNEL);
	unsigned int i, j, n, seen = 0;

	KUNIT_ASSERT_NOT_NULL(test, got);
	test_window = (struct test_window){ .pool = pool };
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, test_window_hook_off, NULL));
	WRITE_ONCE(labyrinth_grow_window_hook, test_window_hook);
	n = test_drain(pool, got, 81);
	KUNIT_EXPECT_EQ(test, n, 64);
	test_wait_growth(pool);	/* one step of 16 frames reaches the cap */
	WRITE_ONCE(labyrinth_grow_window_hook, NULL);
	KUNIT_ASSERT_TRUE(test, test_window.ran);
	KUNIT_EXPECT_EQ(test, test_window.free_ret, -EALREADY);
	KUNIT_EXPECT_NULL(test, test_window.granted);
	if (test_window.granted)
		got[n++] = test_window.granted;
	n += test_drain(pool, got + n, 81 - n);
	KUNIT_EXPECT_EQ(test, n, 80);
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 80);
	KUNIT_EXPECT_EQ(test, test_stats(pool).double_free, 1);
	for (i = 0; i < n; i++) {
		seen += got[i] == test_window.frame;
		for (j = i + 1; j < n; j++)
			KUNIT_EXPECT_PTR_NE(test, got[i], got[j]);
	}
	KUNIT_EXPECT_EQ(test, seen, 1);
	labyrinth_pool_free_bulk(pool, got, n);
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 0);
}

/*
 * The growth back-off is a distance from the last failure: a failure just
 * now holds growth back, but a stamp older than half the jiffies range
 * (32-bit jiffies wrap after 49.7 days) must not read as one in the future
 * and hold growth back for weeks more.
 */
static void test_growth_backoff_is_a_distance(struct kunit *test)
{
	struct labyrinth_pool *pool = test_growable_pool(test, 64, 128);
	void **got = kunit_kcalloc(test, 129, sizeof(*got), GFP_KERNEL);
	unsigned long failed = jiffies;
	unsigned int n;

	KUNIT_ASSERT_NOT_NULL(test, got);
	WRITE_ONCE(pool->grow_failed_at, failed);
	n = test_drain(pool, got, 129);
	test_wait_growth(pool);
	if (jiffies - failed < LABYRINTH_GROW_BACKOFF)
		KUNIT_EXPECT_EQ(test, test_stats(pool).refills, 0);
	else
		kunit_info(test, "guest too slow to see the back-off hold\n");

	WRITE_ONCE(pool->grow_failed_at,
		   jiffies - LABYRINTH_GROW_BACKOFF - ULONG_MAX / 2 - 1);
	n += test_drain(pool, got + n, 129 - n);	/* the failed grant kicks */
	test_wait_growth(pool);
	n += test_drain(pool, got + n, 129 - n);
	KUNIT_EXPECT_GT(test, test_stats(pool).refills, 0);
	KUNIT_EXPECT_GT(test, n, 64);
	KUNIT_EXPECT_EQ(test, test_stats(pool).refill_failures, 0);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, n));
}

static struct kunit_case labyrinth_pool_growth_cases[] = {
	KUNIT_CASE(test_growth_to_cap),
	KUNIT_CASE(test_growth_reaches_far_cap),
	KUNIT_CASE(test_fixed_pool_never_grows),
	KUNIT_CASE(test_growth_failure_keeps_serving),
	KUNIT_CASE(test_partial_growth_adds_nothing),
	KUNIT_CASE(test_growth_window_refuses_new_frame),
	KUNIT_CASE(test_growth_backoff_is_a_distance),
	{}
};

static struct kunit_suite labyrinth_pool_growth_suite = {
	.name = "labyrinth_pool_growth",
	.suite_init = test_hold_off_wipe,
	.suite_exit = test_resume_wipe,
	.test_cases = labyrinth_pool_growth_cases,
};

kunit_test_suite(labyrinth_pool_growth_suite);
