// SPDX-License-Identifier: GPL-2.0
/*
 * labyrinth_client - a sample user of labyrinth's default pool.
 *
 * Copy this file to start a driver that takes pages from labyrinth.  On load
 * it takes and returns @rounds pages from process context, then again from
 * hardirq context (an irq_work marked IRQ_WORK_HARD_IRQ, raised on x86 by a
 * self-IPI), writes and checks a pattern in every page, and prints the
 * pool's counters.  insmod fails with -EIO if any round went wrong, so a
 * broken pool is visible from the shell.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>

#include "../labyrinth.h"

static unsigned int rounds = 64;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "pages taken and returned in each context (default 64)");

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

	labyrinth_pool_read_stats(labyrinth_default_pool(), &st);
	pr_info("process ok=%u hardirq ok=%u\n", process_result.ok, hardirq_result.ok);
	pr_info("stats nr_frames=%llu owned=%llu grants=%llu frees=%llu steals=%llu remote_frees=%llu failures=%llu bad_addr=%llu foreign=%llu double_free=%llu\n",
		st.nr_frames, st.owned, st.grants, st.frees, st.steals,
		st.remote_frees, st.failures, st.bad_addr, st.foreign,
		st.double_free);

	return ok ? 0 : -EIO;
}
module_init(labyrinth_client_init);

/* Nothing to undo, but without an exit routine the module could not unload. */
static void __exit labyrinth_client_exit(void)
{
}
module_exit(labyrinth_client_exit);

MODULE_IMPORT_NS(LABYRINTH);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("labyrinth developers");
MODULE_DESCRIPTION("labyrinth sample client: pages from process and hardirq context");
