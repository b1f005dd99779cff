/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the pool's KUnit suites share: pools torn down with their test,
 * a pool's counters, growable pools and the wipe held off per suite.
 * Static inline, so that each suite's object keeps only what it uses.
 */
#ifndef _LABYRINTH_TEST_H
#define _LABYRINTH_TEST_H

#include <kunit/test.h>
#include <linux/irq_work.h>
#include <linux/workqueue.h>
#include "../labyrinth_internal.h"

#define TEST_FRAMES	96

static inline void labyrinth_pool_exit(void *data)
{
	labyrinth_pool_destroy(data);
}

/* A pool destroyed when the test ends, whether it passed or not. */
static inline struct labyrinth_pool *test_pool(struct kunit *test, unsigned int nr_frames)
{
	struct labyrinth_pool *pool = labyrinth_pool_create("kunit", nr_frames);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	return pool;
}

static inline struct labyrinth_stats test_stats(struct labyrinth_pool *pool)
{
	struct labyrinth_stats st;

	labyrinth_pool_read_stats(pool, &st);
	return st;
}

static inline struct labyrinth_pool *test_create_growable(unsigned int nr_frames,
							  unsigned int max_frames)
{
	const struct labyrinth_pool_config cfg = {
		.name = "kunit-grow", .nr_frames = nr_frames, .max_frames = max_frames,
	};

	return labyrinth_pool_create_config(&cfg);
}

/* Let a kicked growth step finish, as the pool's own work item runs it. */
static inline void test_wait_growth(struct labyrinth_pool *pool)
{
	irq_work_sync(&pool->grow_kick);
	flush_work(&pool->grow_work);
}

/*
 * Every pool suite checks which frame comes back and exactly when a pool
 * runs dry; the background wipe holds frames for a moment, so it is held
 * off for the whole suite except where a test asks for it.
 */
static inline int test_hold_off_wipe(struct kunit_suite *suite)
{
	WRITE_ONCE(labyrinth_wipe_held_off, true);
	return 0;
}

static inline void test_resume_wipe(struct kunit_suite *suite)
{
	WRITE_ONCE(labyrinth_wipe_held_off, false);
}

#endif /* _LABYRINTH_TEST_H */
