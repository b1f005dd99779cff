// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the torture engine (torture/engine.c and its siblings) for
 * labyrinth.torture_seconds seconds, with CPU hotplug done by the engine
 * itself.  Kernels built with KASAN, lockdep or KCSAN turn whatever the
 * torture provokes into a report that fails the run.
 */

#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/moduleparam.h>
#include "../torture/labyrinth_torture.h"

/* The KUnit executor gives a case 300 s; leave room for setup and checks. */
#define TORTURE_SECONDS_MAX	240

static unsigned int torture_seconds = CONFIG_LABYRINTH_TORTURE_SECONDS;
module_param(torture_seconds, uint, 0444);
MODULE_PARM_DESC(torture_seconds,
		 "Seconds of the labyrinth_torture KUnit case, 0 skips it, at most 240 (default from Kconfig)");

static void test_torture(struct kunit *test)
{
	struct labyrinth_torture_config config = {
		.duration = min(torture_seconds, TORTURE_SECONDS_MAX),
		.nr_pages = 128,
		.max_pages = 512,
		.progress = 10,
		.onoff = num_online_cpus() > 1 ? 2000 : 0,
		.nmi = true,
	};
	struct labyrinth_torture_result *res;
	unsigned int ctx;
	int ret;

	if (!torture_seconds)
		kunit_skip(test, "labyrinth.torture_seconds=0");
	res = kunit_kzalloc(test, sizeof(*res), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, res);

	ret = labyrinth_torture_run(&config, res);
	kunit_info(test, "%u s: ops thread=%lu softirq=%lu hardirq=%lu nmi=%lu, %lu handed over, %lu misuse, %lu duel frames, %u hotplug cycles, %lu faults\n",
		   config.duration, res->ops[LABYRINTH_TORTURE_THREAD],
		   res->ops[LABYRINTH_TORTURE_SOFTIRQ], res->ops[LABYRINTH_TORTURE_HARDIRQ],
		   res->ops[LABYRINTH_TORTURE_NMI], res->handoffs, res->misuse, res->duel_frames,
		   res->onoff_cycles, res->faults);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, res->faults, 0);
	KUNIT_EXPECT_EQ(test, res->stats.owned, 0);
	KUNIT_EXPECT_EQ(test, res->stats.grants, res->stats.frees);
	KUNIT_EXPECT_EQ(test, res->reserve_granted[1], res->stats.nr_frames);
	for (ctx = 0; ctx < LABYRINTH_TORTURE_NR_CTX; ctx++) {
		if (ctx == LABYRINTH_TORTURE_NMI && res->nmi_skipped)
			continue;
		KUNIT_EXPECT_GT_MSG(test, res->ops[ctx], 0, "context %u never ran", ctx);
	}
	KUNIT_EXPECT_GT(test, res->handoffs, 0);
	KUNIT_EXPECT_GT(test, res->misuse, 0);
	if (config.onoff)
		KUNIT_EXPECT_GT(test, res->onoff_cycles, 0);
}

static struct kunit_case labyrinth_torture_cases[] = {
	KUNIT_CASE_SLOW(test_torture),
	{}
};

static struct kunit_suite labyrinth_torture_suite = {
	.name = "labyrinth_torture",
	.test_cases = labyrinth_torture_cases,
};

kunit_test_suite(labyrinth_torture_suite);
