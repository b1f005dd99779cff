// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit, labyrinth_misuse: every free the pool must refuse, singly and in
 * bulk (one entry racing a re-grant on another CPU), destroy while frames
 * are owned, abandoning such a pool, and every invalid create, including
 * one that fails part way and must give back every page.
 */

#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>
#include "labyrinth_test.h"

/*
 * Misuse: each refused free returns its error, bumps its counter by one and
 * leaves ownership exactly as it was.
 */
struct misuse_case {
	struct labyrinth_pool *pool;
	void *held;
	struct labyrinth_stats before;
};

static void misuse_setup(struct kunit *test, struct misuse_case *m)
{
	m->pool = test_pool(test, TEST_FRAMES);
	m->held = labyrinth_pool_alloc(m->pool);
	KUNIT_ASSERT_NOT_NULL(test, m->held);
	m->before = test_stats(m->pool);
}

/* Ownership unchanged and the pool still grants and frees. */
static void misuse_check_intact(struct kunit *test, struct misuse_case *m)
{
	struct labyrinth_stats now = test_stats(m->pool);
	void *p;

	KUNIT_EXPECT_EQ(test, now.owned, m->before.owned);
	KUNIT_EXPECT_EQ(test, now.frees, m->before.frees);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(m->pool, m->held));
	p = labyrinth_pool_alloc(m->pool);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(m->pool, p));
	KUNIT_EXPECT_EQ(test, test_stats(m->pool).owned, 0);
}

static void test_double_free(struct kunit *test)
{
	struct misuse_case m;
	void *p;

	misuse_setup(test, &m);
	p = labyrinth_pool_alloc(m.pool);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(m.pool, p));
	m.before = test_stats(m.pool);
	KUNIT_EXPECT_EQ(test, -EALREADY, labyrinth_pool_free(m.pool, p));
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).double_free, 1);
	misuse_check_intact(test, &m);
}

/*
 * Frees never write to the frame, even under init_on_free (which make check
 * runs with): a racing double free could otherwise wipe the next owner's data.
 */
static void test_free_writes_nothing(struct kunit *test)
{
	struct labyrinth_pool *pool = test_pool(test, 1);
	void *p = labyrinth_pool_alloc(pool);

	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0x5a, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0x5a, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, -EALREADY, labyrinth_pool_free(pool, p));
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0x5a, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, test_stats(pool).double_free, 1);
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 0);
}

static void test_free_never_granted(struct kunit *test)
{
	struct misuse_case m;
	unsigned int i;

	misuse_setup(test, &m);
	for (i = 0; i < labyrinth_index_limit(m.pool); i++)
		if (m.pool->frame_addr[i] && (void *)m.pool->frame_addr[i] != m.held)
			break;
	KUNIT_ASSERT_LT(test, i, labyrinth_index_limit(m.pool));
	KUNIT_EXPECT_EQ(test, -EALREADY,
			labyrinth_pool_free(m.pool, (void *)m.pool->frame_addr[i]));
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).double_free, 1);
	misuse_check_intact(test, &m);
}

static void test_free_kmalloc_address(struct kunit *test)
{
	struct misuse_case m;
	void *k = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, k);
	misuse_setup(test, &m);
	/* page-sized kmalloc is page aligned, so this is foreign, not unaligned */
	KUNIT_EXPECT_EQ(test, PAGE_ALIGNED(k) ? -ENOENT : -EINVAL, labyrinth_pool_free(m.pool, k));
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).foreign + test_stats(m.pool).bad_addr, 1);
	misuse_check_intact(test, &m);
}

static void test_free_buddy_page(struct kunit *test)
{
	struct misuse_case m;
	unsigned long page = get_zeroed_page(GFP_KERNEL);

	KUNIT_ASSERT_NE(test, page, 0);
	misuse_setup(test, &m);
	KUNIT_EXPECT_EQ(test, -ENOENT, labyrinth_pool_free(m.pool, (void *)page));
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).foreign, 1);
	free_page(page);
	misuse_check_intact(test, &m);
}

static void test_free_stack_address(struct kunit *test)
{
	struct misuse_case m;
	int on_stack;

	misuse_setup(test, &m);
	KUNIT_EXPECT_LT(test, labyrinth_pool_free(m.pool, &on_stack), 0);
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).foreign + test_stats(m.pool).bad_addr, 1);
	misuse_check_intact(test, &m);
}

static void test_free_other_pools_frame(struct kunit *test)
{
	struct labyrinth_pool *other = test_pool(test, TEST_FRAMES);
	struct misuse_case m;
	void *p = labyrinth_pool_alloc(other);

	KUNIT_ASSERT_NOT_NULL(test, p);
	misuse_setup(test, &m);
	KUNIT_EXPECT_EQ(test, -ENOENT, labyrinth_pool_free(m.pool, p));
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).foreign, 1);
	KUNIT_EXPECT_EQ(test, test_stats(other).owned, 1);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(other, p));
	misuse_check_intact(test, &m);
}

static void test_free_inside_frame(struct kunit *test)
{
	struct misuse_case m;

	misuse_setup(test, &m);
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_pool_free(m.pool, m.held + 64));
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_pool_free(m.pool, m.held + PAGE_SIZE - 1));
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).bad_addr, 2);
	misuse_check_intact(test, &m);
}

static void test_free_null(struct kunit *test)
{
	struct misuse_case m;

	misuse_setup(test, &m);
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_pool_free(m.pool, NULL));
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).bad_addr, 1);
	misuse_check_intact(test, &m);
}

static void test_free_err_ptr(struct kunit *test)
{
	struct misuse_case m;

	misuse_setup(test, &m);
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_pool_free(m.pool, ERR_PTR(-ENOMEM)));
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).bad_addr, 1);
	misuse_check_intact(test, &m);
}

/* In bulk, bad entries are refused one by one and the good ones freed. */
static void test_free_bulk_with_bad_entries(struct kunit *test)
{
	struct misuse_case m;
	void *p, *q, *list[5];

	misuse_setup(test, &m);
	p = labyrinth_pool_alloc(m.pool);
	q = labyrinth_pool_alloc(m.pool);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	m.before = test_stats(m.pool);
	list[0] = p;
	list[1] = NULL;
	list[2] = p;		/* listed twice: a double free */
	list[3] = q + 8;
	list[4] = q;
	KUNIT_EXPECT_LT(test, labyrinth_pool_free_bulk(m.pool, list, 5), 0);
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).bad_addr, 2);
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).double_free, 1);
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).frees, m.before.frees + 2);
	KUNIT_EXPECT_EQ(test, test_stats(m.pool).owned, 1);
	m.before = test_stats(m.pool);
	misuse_check_intact(test, &m);
}

static void test_destroy_while_owned(struct kunit *test)
{
	struct labyrinth_pool *pool = labyrinth_pool_create("kunit-busy", TEST_FRAMES);
	void *p;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	p = labyrinth_pool_alloc(pool);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, -EBUSY, labyrinth_pool_destroy(pool));
	KUNIT_EXPECT_EQ(test, test_stats(pool).busy_destroy, 1);
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 1);
	memset(p, 0x11, PAGE_SIZE);	/* the refused destroy left it ours */
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_destroy(pool));
}

static void test_destroy_bad_pointer(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_pool_destroy(NULL));
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_pool_destroy(ERR_PTR(-ENOMEM)));
}

static void test_create_invalid(struct kunit *test)
{
	static const char long_name[] = "a-name-longer-than-thirty-one-characters";

	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(labyrinth_pool_create(NULL, 8)));
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(labyrinth_pool_create("", 8)));
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(labyrinth_pool_create(long_name, 8)));
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(labyrinth_pool_create("kunit", 0)));
	KUNIT_EXPECT_EQ(test, -ENOMEM, PTR_ERR(labyrinth_pool_create("kunit", UINT_MAX)));
	KUNIT_EXPECT_EQ(test, -ENOMEM,
			PTR_ERR(labyrinth_pool_create("kunit", LABYRINTH_MAX_FRAMES + 1)));
	KUNIT_EXPECT_EQ(test, -ENOMEM,
			PTR_ERR(labyrinth_pool_create("kunit", totalram_pages() + 1)));
}

static unsigned long test_free_pages(void)
{
	drain_all_pages(NULL);
	return global_zone_page_state(NR_FREE_PAGES);
}

/*
 * A create that fails part-way, here at its second chunk, gives back every
 * page it took: a leak would be thousands of pages, the noise a few.
 */
static void test_create_failure_frees_everything(struct kunit *test)
{
	unsigned long before = test_free_pages();
	struct labyrinth_pool *pool;

	/* chunks are at most a pageblock, so 4096 frames need two or more */
	WRITE_ONCE(labyrinth_fail_reserve_at, 2);
	pool = labyrinth_pool_create("kunit", 4096);
	WRITE_ONCE(labyrinth_fail_reserve_at, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(pool), -ENOMEM);
	if (!IS_ERR(pool))
		labyrinth_pool_destroy(pool);
	KUNIT_EXPECT_LT(test, abs_diff(before, test_free_pages()), 256);
}

/*
 * A bulk free on one CPU while a kthread on another takes what comes free,
 * and a timer that holds the free once A is free until the kthread has it.
 */
#define TEST_RELIST_FRAMES	16384
#define TEST_HOLD_NS		(20 * NSEC_PER_USEC)

struct test_relist {
	struct labyrinth_pool *pool;
	void **list;
	unsigned int nr;
	void **taken;
	unsigned int nr_taken;
	void *a;
	unsigned int a_index;
	struct hrtimer hold;
	bool spinning;
	bool a_taken;
	bool held;
	bool done;
};

static int test_taker_fn(void *data)
{
	struct test_relist *rl = data;
	void *p;

	while (!kthread_should_stop()) {
		if (!READ_ONCE(rl->done)) {
			p = labyrinth_pool_alloc(rl->pool);
			if (p && rl->nr_taken < rl->nr)
				rl->taken[rl->nr_taken++] = p;
			if (p == rl->a)
				WRITE_ONCE(rl->a_taken, true);
		}
		WRITE_ONCE(rl->spinning, true);
		cond_resched();
	}
	return 0;
}

/*
 * In the freeing CPU's timer interrupt: once the free has released A's
 * word, wait for the other CPU to be granted A, so that the second A is
 * looked at while A has its new owner.  A second at most: QEMU without
 * multi-threaded TCG runs the other CPU only every 100 ms.
 */
static enum hrtimer_restart test_hold_fn(struct hrtimer *timer)
{
	struct test_relist *rl = container_of(timer, struct test_relist, hold);
	unsigned int us;

	if (READ_ONCE(rl->done) || READ_ONCE(rl->a_taken))
		return HRTIMER_NORESTART;
	if (test_bit(rl->a_index, rl->pool->bitmap)) {
		hrtimer_forward_now(timer, ns_to_ktime(TEST_HOLD_NS));
		return HRTIMER_RESTART;
	}
	for (us = 0; us < USEC_PER_SEC && !READ_ONCE(rl->a_taken); us++)
		udelay(1);
	WRITE_ONCE(rl->held, READ_ONCE(rl->a_taken));
	return HRTIMER_NORESTART;
}

static long test_free_list(void *data)
{
	struct test_relist *rl = data;
	int ret;

	hrtimer_start(&rl->hold, ns_to_ktime(TEST_HOLD_NS), HRTIMER_MODE_REL_PINNED_HARD);
	ret = labyrinth_pool_free_bulk(rl->pool, rl->list, rl->nr);
	WRITE_ONCE(rl->done, true);
	hrtimer_cancel(&rl->hold);
	return ret;
}

/*
 * free_bulk({A, B..., A}), A and the Bs in different bitmap words: A's
 * word is released before the second A is looked at, and by then another
 * CPU may own A again.  The second A must be refused, never taken for the
 * new owner's free.  A kthread on the other CPU takes every frame that
 * comes free, A first (the only free frame of its home region), while the
 * free walks, and poisons, the 8192 Bs of the other region; a timer on the
 * freeing CPU holds the free until the kthread has A.
 */
static void test_free_bulk_relisted_regranted(struct kunit *test)
{
	const struct labyrinth_pool_config cfg = {
		.name = "kunit-relist", .nr_frames = TEST_RELIST_FRAMES,
		.flags = LABYRINTH_POOL_POISON,
	};
	struct labyrinth_pool *pool = labyrinth_pool_create_config(&cfg);
	struct test_relist rl = { .pool = pool };
	const struct labyrinth_region *its;
	struct labyrinth_stats st;
	struct task_struct *t;
	unsigned int i, taker;
	void **got;
	long ret;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	got = kunit_kcalloc(test, TEST_RELIST_FRAMES, sizeof(*got), GFP_KERNEL);
	rl.list = kunit_kcalloc(test, TEST_RELIST_FRAMES, sizeof(*rl.list), GFP_KERNEL);
	rl.taken = kunit_kcalloc(test, TEST_RELIST_FRAMES, sizeof(*rl.taken), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_ASSERT_NOT_NULL(test, rl.list);
	KUNIT_ASSERT_NOT_NULL(test, rl.taken);
	KUNIT_ASSERT_EQ(test, labyrinth_pool_alloc_bulk(pool, got, TEST_RELIST_FRAMES),
			TEST_RELIST_FRAMES);

	taker = cpumask_last(cpu_online_mask);
	its = &pool->regions[per_cpu_ptr(pool->pcpu, taker)->home];
	rl.a_index = its->first;
	rl.a = (void *)pool->frame_addr[rl.a_index];
	rl.list[rl.nr++] = rl.a;
	for (i = 0; i < labyrinth_index_limit(pool); i++)
		if (pool->frame_addr[i] && i - its->first >= its->nr)
			rl.list[rl.nr++] = (void *)pool->frame_addr[i];
	KUNIT_ASSERT_GE(test, rl.nr, 2);
	rl.list[rl.nr++] = rl.a;

	t = kthread_create_on_cpu(test_taker_fn, &rl, taker, "labyrinth_taker");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t);
	wake_up_process(t);
	for (i = 0; i < 1000 && !READ_ONCE(rl.spinning); i++)
		usleep_range(100, 200);
	hrtimer_setup_on_stack(&rl.hold, test_hold_fn, CLOCK_MONOTONIC,
			       HRTIMER_MODE_REL_PINNED_HARD);
	ret = work_on_cpu(cpumask_first(cpu_online_mask), test_free_list, &rl);
	destroy_hrtimer_on_stack(&rl.hold);
	kthread_stop(t);

	st = test_stats(pool);
	kunit_info(test, "the other CPU took %u frames%s%s\n", rl.nr_taken,
		   rl.a_taken ? ", A among them" : "", rl.held ? " while the free was held" : "");
	KUNIT_EXPECT_EQ(test, ret, -EALREADY);
	KUNIT_EXPECT_EQ(test, st.double_free, 1);
	KUNIT_EXPECT_EQ(test, st.frees, rl.nr - 1);
	/*
	 * Still owned: the kthread's region but A, and what the kthread took,
	 * each frame once (a frame freed under it would be missing here).
	 */
	KUNIT_EXPECT_EQ(test, st.owned, its->backed - 1 + rl.nr_taken);

	labyrinth_pool_free_bulk(pool, rl.taken, rl.nr_taken);
	for (i = 1; i < its->backed; i++)
		labyrinth_pool_free(pool, (void *)pool->frame_addr[its->first + i]);
	KUNIT_EXPECT_EQ(test, test_stats(pool).owned, 0);
}

static void test_create_config_invalid(struct kunit *test)
{
	struct labyrinth_pool_config cfg = { .name = "kunit", .nr_frames = 64 };

	cfg.max_frames = 63;
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(labyrinth_pool_create_config(&cfg)));
	cfg.max_frames = LABYRINTH_MAX_FRAMES + 1;
	KUNIT_EXPECT_EQ(test, -ENOMEM, PTR_ERR(labyrinth_pool_create_config(&cfg)));
	cfg.max_frames = 0;
	cfg.flags = BIT(7);
	KUNIT_EXPECT_EQ(test, -EINVAL, PTR_ERR(labyrinth_pool_create_config(&cfg)));
}

/*
 * Abandoning a pool (module unload with frames still owned) keeps exactly
 * the owned frames and releases every other page.
 */
static void test_abandon_keeps_owned_frames(struct kunit *test)
{
	unsigned long before = test_free_pages();
	struct labyrinth_pool *pool = labyrinth_pool_create("kunit-abandon", 2048);
	void *held, *p;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	held = labyrinth_pool_alloc(pool);
	p = labyrinth_pool_alloc(pool);
	KUNIT_ASSERT_NOT_NULL(test, held);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, 0, labyrinth_pool_free(pool, p));
	KUNIT_EXPECT_EQ(test, labyrinth_pool_abandon(pool), 1);
	memset(held, 0x3c, PAGE_SIZE);	/* still the owner's to write */
	KUNIT_EXPECT_LT(test, abs_diff(before, test_free_pages()), 256);
}

static struct kunit_case labyrinth_misuse_cases[] = {
	KUNIT_CASE(test_double_free),
	KUNIT_CASE(test_free_writes_nothing),
	KUNIT_CASE(test_free_never_granted),
	KUNIT_CASE(test_free_kmalloc_address),
	KUNIT_CASE(test_free_buddy_page),
	KUNIT_CASE(test_free_stack_address),
	KUNIT_CASE(test_free_other_pools_frame),
	KUNIT_CASE(test_free_inside_frame),
	KUNIT_CASE(test_free_null),
	KUNIT_CASE(test_free_err_ptr),
	KUNIT_CASE(test_free_bulk_with_bad_entries),
	KUNIT_CASE_SLOW(test_free_bulk_relisted_regranted),
	KUNIT_CASE(test_destroy_while_owned),
	KUNIT_CASE(test_destroy_bad_pointer),
	KUNIT_CASE(test_abandon_keeps_owned_frames),
	KUNIT_CASE(test_create_invalid),
	KUNIT_CASE(test_create_config_invalid),
	KUNIT_CASE(test_create_failure_frees_everything),
	{}
};

static struct kunit_suite labyrinth_misuse_suite = {
	.name = "labyrinth_misuse",
	.suite_init = test_hold_off_wipe,
	.suite_exit = test_resume_wipe,
	.test_cases = labyrinth_misuse_cases,
};

kunit_test_suite(labyrinth_misuse_suite);
