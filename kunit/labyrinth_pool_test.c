// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: a pool's grants, frees, bulk calls, exhaustion, stealing and every
 * refused misuse, from process context.
 */

#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "../labyrinth_internal.h"

#define TEST_FRAMES	96

static void labyrinth_pool_exit(void *data)
{
	labyrinth_pool_destroy(data);
}

/* A pool destroyed when the test ends, whether it passed or not. */
static struct labyrinth_pool *test_pool(struct kunit *test, unsigned int nr_frames)
{
	struct labyrinth_pool *pool = labyrinth_pool_create("kunit", nr_frames);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, labyrinth_pool_exit, pool));
	return pool;
}

static struct labyrinth_stats test_stats(struct labyrinth_pool *pool)
{
	struct labyrinth_stats st;

	labyrinth_pool_read_stats(pool, &st);
	return st;
}

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

/* Exactly nr_frames grants succeed, all distinct, then NULL. */
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

static struct labyrinth_pool *test_create_growable(unsigned int nr_frames, unsigned int max_frames)
{
	const struct labyrinth_pool_config cfg = {
		.name = "kunit-grow", .nr_frames = nr_frames, .max_frames = max_frames,
	};

	return labyrinth_pool_create_config(&cfg);
}

/* Let a kicked growth step finish, as the pool's own work item runs it. */
static void test_wait_growth(struct labyrinth_pool *pool)
{
	irq_work_sync(&pool->grow_kick);
	flush_work(&pool->grow_work);
}

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

/* ---- the background wipe (kernel policy under init_on_alloc/free) ---- */

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

/*
 * The pool and misuse suites check which frame comes back and exactly when
 * a pool runs dry; the background wipe holds frames for a moment, so it is
 * held off there except where a test asks for it.
 */
static int test_hold_off_wipe(struct kunit_suite *suite)
{
	WRITE_ONCE(labyrinth_wipe_held_off, true);
	return 0;
}

static void test_resume_wipe(struct kunit_suite *suite)
{
	WRITE_ONCE(labyrinth_wipe_held_off, false);
}

static struct kunit_case labyrinth_pool_cases[] = {
	KUNIT_CASE(test_round_trip),
	KUNIT_CASE(test_direct_mapped),
	KUNIT_CASE(test_first_grant_is_zeroed),
	KUNIT_CASE(test_grant_hides_previous_owner),
	KUNIT_CASE(test_single_owner_keeps_bytes),
	KUNIT_CASE(test_exhaustion),
	KUNIT_CASE(test_refill_after_exhaustion),
	KUNIT_CASE(test_steal_from_other_regions),
	KUNIT_CASE(test_pool_smaller_than_cpus),
	KUNIT_CASE(test_frame_index_bijective),
	KUNIT_CASE(test_frame_table_half_full),
	KUNIT_CASE(test_bulk_round_trip),
	KUNIT_CASE(test_bulk_mixes_with_single),
	KUNIT_CASE(test_default_pool_exports),
	KUNIT_CASE(test_growth_to_cap),
	KUNIT_CASE(test_growth_reaches_far_cap),
	KUNIT_CASE(test_fixed_pool_never_grows),
	KUNIT_CASE(test_growth_failure_keeps_serving),
	KUNIT_CASE(test_partial_growth_adds_nothing),
	KUNIT_CASE(test_growth_window_refuses_new_frame),
	KUNIT_CASE(test_growth_backoff_is_a_distance),
	KUNIT_CASE(test_small_pool_homes_every_cpu),
	KUNIT_CASE(test_late_cpu_adopts_home),
	KUNIT_CASE(test_poison_catches_write_after_free),
	KUNIT_CASE(test_poison_quiet_when_honest),
	KUNIT_CASE(test_wipe_clears_freed_frames),
	KUNIT_CASE(test_wipe_or_grant_clears),
	KUNIT_CASE(test_wipe_then_destroy),
	KUNIT_CASE(test_wipe_not_for_single_owner_or_poison),
	KUNIT_CASE(test_no_wipe_clears_at_grant),
	{}
};

static struct kunit_suite labyrinth_pool_suite = {
	.name = "labyrinth_pool",
	.suite_init = test_hold_off_wipe,
	.suite_exit = test_resume_wipe,
	.test_cases = labyrinth_pool_cases,
};

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

kunit_test_suites(&labyrinth_pool_suite, &labyrinth_misuse_suite);
