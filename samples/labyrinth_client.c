// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth_client - a sample user of labyrinth.
 *
 * Copy this file to start a driver that takes pages from labyrinth.  On load
 * it takes and returns @rounds pages of the default pool from process
 * context, then again from hardirq context (an irq_work marked
 * IRQ_WORK_HARD_IRQ, raised on x86 by a self-IPI), writing and checking a
 * pattern in every page.  Then, like a NIC driver, it fills an RX ring from
 * its own growable pool, rx_pool, in hardirq context with one bulk grant
 * and hands the ring to a work item that checks and frees it in process
 * context.  It prints the pools' counters; insmod fails with -EIO if
 * anything went wrong, so a broken pool is visible from the shell.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "../labyrinth.h"

static unsigned int rounds = 64;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "pages taken and returned in each context (default 64)");

static bool misuse;
module_param(misuse, bool, 0444);
MODULE_PARM_DESC(misuse, "also free one default-pool page twice and expect -EALREADY (default N)");

static bool leak_on_exit;
module_param(leak_on_exit, bool, 0444);
MODULE_PARM_DESC(leak_on_exit,
		 "keep one default-pool page at unload, like a buggy driver (tests labyrinth's unload; default N)");

/* A page kept on purpose with leak_on_exit: never freed. */
static void *client_leaked;

/* rx_pool: 64 frames reserved, growing up to 256 when a CPU runs dry. */
#define RX_POOL_FRAMES	64
#define RX_POOL_MAX	256
#define RX_RING		128
#define RX_FILLS	4
#define RX_BYTE		0xa7

/* Seed of the pattern written into every page; mixed with round and offset. */
#define CLIENT_CANARY	0x6c61627972696e74ULL

/**
 * struct client_result - outcome of the rounds run in one context
 * @ok: rounds that passed
 * @bad_round: first round that failed, valid when @why is set
 * @why: what went wrong in @bad_round, NULL while every round passed
 * @err: return value of the free in @bad_round, 0 if the free was not reached
 */
struct client_result {
	unsigned int ok;
	unsigned int bad_round;
	const char *why;
	int err;
};

static u64 client_pattern(unsigned int round, unsigned int i)
{
	return CLIENT_CANARY ^ ((u64)round << 32) ^ i;
}

/*
 * One grant, write, check and free.  Returns NULL on success or a reason;
 * *err gets the free's return value.  Callable from any context: it never
 * sleeps and prints nothing, so a failure in hardirq is reported later.
 */
static const char *client_round_trip(unsigned int round, int *err)
{
	unsigned int i, n = PAGE_SIZE / sizeof(u64);
	const char *why = NULL;
	u64 *words;
	void *p;

	*err = 0;
	p = labyrinth_void_alloc_page_gfp_atomic_exclusive();
	if (!p)
		return "grant returned NULL";
	/* Never write through an address the pool got wrong. */
	if (!PAGE_ALIGNED(p))
		return "grant returned an unaligned address";

	words = p;
	for (i = 0; i < n; i++)
		words[i] = client_pattern(round, i);
	for (i = 0; i < n; i++) {
		if (words[i] != client_pattern(round, i)) {
			why = "pattern changed while the page was owned";
			break;
		}
	}

	*err = labyrinth_free_page_exclusive(p);
	if (*err && !why)
		why = "free failed";
	return why;
}

static void client_run(struct client_result *res)
{
	unsigned int round;
	const char *why;
	int err;

	for (round = 0; round < rounds; round++) {
		why = client_round_trip(round, &err);
		if (!why) {
			res->ok++;
			continue;
		}
		if (!res->why) {
			res->why = why;
			res->bad_round = round;
			res->err = err;
		}
	}
}

static bool client_report(const char *ctx, const struct client_result *res)
{
	if (res->why)
		pr_err("%s round %u: %s (%d)\n", ctx, res->bad_round, res->why, res->err);
	return !res->why && res->ok == rounds;
}

static struct client_result hardirq_result;

static void client_hardirq_fn(struct irq_work *work)
{
	/* The whole point of this pass: prove the pool works in hardirq. */
	if (!in_hardirq()) {
		hardirq_result.why = "irq_work callback not in hardirq context";
		return;
	}
	client_run(&hardirq_result);
}

/* HARD: runs from the irq_work interrupt even on PREEMPT_RT. */
static struct irq_work client_irq_work = IRQ_WORK_INIT_HARD(client_hardirq_fn);

/*
 * The RX ring: filled in hardirq by one bulk grant, emptied by a work item
 * in process context.  irq_work_sync() and flush_work() order the steps.
 */
static struct labyrinth_pool *rx_pool;
static void *rx_ring[RX_RING];
static unsigned int rx_filled, rx_total, rx_bad;

static void client_rx_fill_fn(struct irq_work *work)
{
	unsigned int i;

	if (!in_hardirq())
		rx_bad++;
	rx_filled = labyrinth_pool_alloc_bulk(rx_pool, rx_ring, RX_RING);
	for (i = 0; i < rx_filled; i++)
		memset(rx_ring[i], RX_BYTE, PAGE_SIZE);
}

static struct irq_work client_rx_fill = IRQ_WORK_INIT_HARD(client_rx_fill_fn);

static void client_rx_drain_fn(struct work_struct *work)
{
	unsigned int i;

	for (i = 0; i < rx_filled; i++)
		if (memchr_inv(rx_ring[i], RX_BYTE, PAGE_SIZE))
			rx_bad++;
	if (labyrinth_pool_free_bulk(rx_pool, rx_ring, rx_filled))
		rx_bad++;
	rx_total += rx_filled;
}

static DECLARE_WORK(client_rx_drain, client_rx_drain_fn);

/* A few fills; between them growth, kicked by the first, adds frames. */
static bool client_rx_run(void)
{
	const struct labyrinth_pool_config cfg = {
		.name = "rx_pool", .nr_frames = RX_POOL_FRAMES, .max_frames = RX_POOL_MAX,
	};
	struct labyrinth_stats st;
	unsigned int fill;

	rx_pool = labyrinth_pool_create_config(&cfg);
	if (IS_ERR(rx_pool)) {
		pr_err("rx_pool: create failed: %pe\n", rx_pool);
		rx_pool = NULL;
		return false;
	}
	for (fill = 0; fill < RX_FILLS; fill++) {
		if (irq_work_queue(&client_rx_fill))
			irq_work_sync(&client_rx_fill);
		schedule_work(&client_rx_drain);
		flush_work(&client_rx_drain);
		msleep(20);
	}
	labyrinth_pool_read_stats(rx_pool, &st);
	pr_info("rx_pool fills=%u frames=%u bad=%u nr_frames=%llu refills=%llu owned=%llu\n",
		RX_FILLS, rx_total, rx_bad, st.nr_frames, st.refills, st.owned);
	return !rx_bad && rx_total >= RX_FILLS * RX_POOL_FRAMES && !st.owned;
}

/* A deliberate double free: refused, counted, and nothing else changes. */
static bool client_misuse(void)
{
	void *p = labyrinth_void_alloc_page_gfp_atomic_exclusive();
	int first, second;

	if (!p)
		return false;
	first = labyrinth_free_page_exclusive(p);
	second = labyrinth_free_page_exclusive(p);
	pr_info("misuse double free: first=%d second=%d\n", first, second);
	return !first && second == -EALREADY;
}

static int __init labyrinth_client_init(void)
{
	struct client_result process_result = { };
	struct labyrinth_stats st;
	bool ok;

	client_run(&process_result);

	if (irq_work_queue(&client_irq_work))
		irq_work_sync(&client_irq_work);
	else
		hardirq_result.why = "irq_work already pending";

	ok = client_report("process", &process_result);
	ok = client_report("hardirq", &hardirq_result) && ok;
	ok = client_rx_run() && ok;
	if (misuse)
		ok = client_misuse() && ok;
	if (leak_on_exit) {
		client_leaked = labyrinth_void_alloc_page_gfp_atomic_exclusive();
		ok = client_leaked && ok;
	}

	labyrinth_pool_read_stats(labyrinth_default_pool(), &st);
	pr_info("process ok=%u hardirq ok=%u\n", process_result.ok, hardirq_result.ok);
	pr_info("stats nr_frames=%llu owned=%llu grants=%llu frees=%llu steals=%llu remote_frees=%llu failures=%llu bad_addr=%llu foreign=%llu double_free=%llu\n",
		st.nr_frames, st.owned, st.grants, st.frees, st.steals,
		st.remote_frees, st.failures, st.bad_addr, st.foreign,
		st.double_free);

	if (!ok && rx_pool)
		labyrinth_pool_destroy(rx_pool);
	return ok ? 0 : -EIO;
}
module_init(labyrinth_client_init);

/* rx_pool lives while the module is loaded, so its statistics can be read. */
static void __exit labyrinth_client_exit(void)
{
	if (labyrinth_pool_destroy(rx_pool))
		pr_err("rx_pool kept: frames still owned\n");
}
module_exit(labyrinth_client_exit);

MODULE_IMPORT_NS(LABYRINTH);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("labyrinth developers");
MODULE_DESCRIPTION("labyrinth sample client: pages from process and hardirq context, an RX ring pool");
