// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit, labyrinth_pool_regions: the per-CPU regions a pool is cut into.
 * Grants steal from other regions when the home one is empty, and a CPU
 * without frames of its own, in a pool smaller than the CPU count or
 * onlined after create, adopts a home that has some.
 */

#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "labyrinth_test.h"

/*
 * With the home region full, grants come from other CPUs' regions and are
 * counted as steals; nothing stays stranded.
 */
static void test_steal_from_other_regions(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, TEST_FRAMES);
	void **got = kunit_kcalloc(test, TEST_FRAMES, sizeof(*got), GFP_KERNEL);
	unsigned int i, home_frames;

	if (nr_cpu_ids < 2)
		kunit_skip(test, "needs more than one CPU region");
	KUNIT_ASSERT_NOT_NULL(test, got);
	migrate_disable();
	home_frames = labyrinth_region_backed(pool, this_cpu_read(pool->pcpu->home));
	for (i = 0; i < TEST_FRAMES; i++)
		got[i] = labyrinth_pool_alloc(pool);
	migrate_enable();
	for (i = 0; i < TEST_FRAMES; i++)
		KUNIT_EXPECT_NOT_NULL(test, got[i]);
	KUNIT_EXPECT_EQ(test, test_stats(pool).steals, TEST_FRAMES - home_frames);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free_bulk(pool, got, TEST_FRAMES));
}

static void test_pool_smaller_than_cpus(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, 1);
	void *p = labyrinth_pool_alloc(pool);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, labyrinth_pool_alloc(pool));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
	KUNIT_EXPECT_PTR_EQ(test, labyrinth_pool_alloc(pool), p);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
}

/* Grant and free one frame 64 times, on the CPU work_on_cpu() chose. */
static long test_churn_one(void *data)
{
	struct labyrinth_pool *pool = data;
	unsigned int i;
	void *p;

	for (i = 0; i < 64; i++) {
		p = labyrinth_pool_alloc(pool);
		if (!p)
			return -ENOMEM;
		if (labyrinth_pool_free(pool, p))
			return -EALREADY;
	}
	return 0;
}

/* Size (its share of the cap) of the home region of @cpu. */
static unsigned int test_home_nr(struct labyrinth_pool *pool, int cpu)
{
	return pool->regions[per_cpu_ptr(pool->pcpu, cpu)->home].nr;
}

/*
 * A pool smaller than the CPU count leaves CPUs without frames of their
 * own.  Each adopts a region that has frames as its home, so its grants
 * and frees are home ones, not a steal and a remote free every time.
 */
static void test_small_pool_homes_every_cpu(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, 1);
	struct labyrinth_stats st;
	int cpu, bare = -1;

	for_each_possible_cpu(cpu) {
		KUNIT_EXPECT_GT_MSG(test, test_home_nr(pool, cpu), 0, "CPU %d", cpu);
		if (!pool->regions[cpu].nr && cpu_online(cpu))
			bare = cpu;
	}
	if (bare < 0)
		kunit_skip(test, "every online CPU has frames of its own");
	KUNIT_EXPECT_EQ(test, 0, work_on_cpu(bare, test_churn_one, pool));
	st = test_stats(pool);
	KUNIT_EXPECT_EQ(test, st.grants, 64);
	KUNIT_EXPECT_EQ(test, st.steals, 0);
	KUNIT_EXPECT_EQ(test, st.remote_frees, 0);
}

/*
 * A CPU that comes online after create has no region of its own.  It
 * adopts one with frames, so churning one frame on it neither steals nor
 * kicks growth (which could never fill its empty region) on every grant.
 */
static void test_late_cpu_adopts_home(struct kunit *test)
{
	struct labyrinth_pool *pool;
	struct labyrinth_stats st;
	int other, err;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	other = cpumask_last(cpu_online_mask);
	err = remove_cpu(other);
	if (err)
		kunit_skip(test, "CPU %d cannot go offline: %d", other, err);
	pool = test_create_growable(64, 1024);
	err = add_cpu(other);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	KUNIT_ASSERT_EQ(test, err, 0);

	KUNIT_EXPECT_EQ(test, pool->regions[other].nr, 0);
	KUNIT_EXPECT_GT(test, test_home_nr(pool, other), 0);
	KUNIT_EXPECT_EQ(test, 0, work_on_cpu(other, test_churn_one, pool));
	test_wait_growth(pool);
	st = test_stats(pool);
	KUNIT_EXPECT_EQ(test, st.grants, 64);
	KUNIT_EXPECT_EQ(test, st.steals, 0);
	KUNIT_EXPECT_EQ(test, st.refills, 0);
	KUNIT_EXPECT_EQ(test, st.nr_frames, 64);
}

static struct kunit_case labyrinth_pool_regions_cases[] = {
	KUNIT_CASE(test_steal_from_other_regions),
	KUNIT_CASE(test_pool_smaller_than_cpus),
	KUNIT_CASE(test_small_pool_homes_every_cpu),
	KUNIT_CASE(test_late_cpu_adopts_home),
	{}
};

static struct kunit_suite labyrinth_pool_regions_suite = {
	.name = "labyrinth_pool_regions",
	.suite_init = test_hold_off_wipe,
	.suite_exit = test_resume_wipe,
	.test_cases = labyrinth_pool_regions_cases,
};

kunit_test_suite(labyrinth_pool_regions_suite);
