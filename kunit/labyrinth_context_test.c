// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: grants and frees from softirq, hardirq and NMI context, across
 * CPUs, and from every CPU at once.
 *
 * Every grant is checked against an owner table: the grant must move the
 * frame's slot from free to its new owner with cmpxchg, and the free must
 * move it back, so a frame handed to two owners at once fails the test the
 * moment it happens.  Owners also write a canary over the whole page and
 * check it before freeing, which catches a second owner's writes.
 */

#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/timer.h>
#include <linux/vmalloc.h>
#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <asm/nmi.h>
#endif
#include "../labyrinth_internal.h"

#define CTX_FRAMES	64
#define CTX_BATCH	8

/* Counters written from any context, checked in process context. */
struct ctx_result {
	atomic_t grants;
	atomic_t frees;
	atomic_t faults;	/* double grant, canary damage, refused free */
	atomic_t wrong_context;
};

struct ctx_pool {
	struct labyrinth_pool *pool;
	atomic_long_t *owner;	/* by frame index: 0 or the owner's token */
	struct ctx_result res;
};

static void ctx_fill(void *page, unsigned long token)
{
	unsigned long *w = page;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		w[i] = token ^ i;
}

static bool ctx_intact(const void *page, unsigned long token)
{
	const unsigned long *w = page;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++)
		if (w[i] != (token ^ i))
			return false;
	return true;
}

static void ctx_take(struct ctx_pool *cp, void *page, unsigned long token)
{
	unsigned int index;

	if (labyrinth_frame_index(cp->pool, page, &index) ||
	    atomic_long_cmpxchg(&cp->owner[index], 0, token) != 0)
		atomic_inc(&cp->res.faults);
	ctx_fill(page, token);
	atomic_inc(&cp->res.grants);
}

static void ctx_give(struct ctx_pool *cp, void *page, unsigned long token)
{
	unsigned int index;

	if (!ctx_intact(page, token) ||
	    labyrinth_frame_index(cp->pool, page, &index) ||
	    atomic_long_cmpxchg(&cp->owner[index], token, 0) != token)
		atomic_inc(&cp->res.faults);
	if (labyrinth_pool_free(cp->pool, page))
		atomic_inc(&cp->res.faults);
	else
		atomic_inc(&cp->res.frees);
}

/* Grant up to @batch frames, hold them while checking, free them. */
static void ctx_work_n(struct ctx_pool *cp, unsigned long token, unsigned int batch)
{
	void *held[CTX_BATCH];
	unsigned int i, n = 0;

	for (i = 0; i < min(batch, CTX_BATCH); i++) {
		held[n] = labyrinth_pool_alloc(cp->pool);
		if (held[n])
			ctx_take(cp, held[n++], token);
	}
	for (i = 0; i < n; i++)
		ctx_give(cp, held[i], token);
}

static void ctx_work(struct ctx_pool *cp, unsigned long token)
{
	ctx_work_n(cp, token, CTX_BATCH);
}

/* The same through the bulk calls: one grant and one free of a batch. */
static void ctx_work_bulk(struct ctx_pool *cp, unsigned long token)
{
	void *held[CTX_BATCH];
	unsigned int i, n;

	n = labyrinth_pool_alloc_bulk(cp->pool, held, CTX_BATCH);
	for (i = 0; i < n; i++)
		ctx_take(cp, held[i], token);
	for (i = 0; i < n; i++) {
		unsigned int index;

		if (!ctx_intact(held[i], token) ||
		    labyrinth_frame_index(cp->pool, held[i], &index) ||
		    atomic_long_cmpxchg(&cp->owner[index], token, 0) != token)
			atomic_inc(&cp->res.faults);
	}
	if (labyrinth_pool_free_bulk(cp->pool, held, n))
		atomic_inc(&cp->res.faults);
	atomic_add(n, &cp->res.frees);
}

static void ctx_pool_exit(void *data)
{
	struct ctx_pool *cp = data;

	labyrinth_pool_destroy(cp->pool);
	vfree(cp->owner);
}

static struct ctx_pool *ctx_pool(struct kunit *test, unsigned int nr_frames)
{
	struct ctx_pool *cp = kunit_kzalloc(test, sizeof(*cp), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, cp);
	cp->pool = labyrinth_pool_create("kunit-ctx", nr_frames);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, cp->pool);
	cp->owner = vzalloc(labyrinth_index_limit(cp->pool) * sizeof(*cp->owner));
	if (!cp->owner)
		labyrinth_pool_destroy(cp->pool);
	KUNIT_ASSERT_NOT_NULL(test, cp->owner);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, ctx_pool_exit, cp));
	return cp;
}

/* Every grant freed, no fault, the pool empty and its counters agreeing. */
static void ctx_expect_clean(struct kunit *test, struct ctx_pool *cp, int min_grants)
{
	struct labyrinth_stats st;

	labyrinth_pool_read_stats(cp->pool, &st);
	KUNIT_EXPECT_EQ(test, atomic_read(&cp->res.faults), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&cp->res.wrong_context), 0);
	KUNIT_EXPECT_GE(test, atomic_read(&cp->res.grants), min_grants);
	KUNIT_EXPECT_EQ(test, atomic_read(&cp->res.grants), atomic_read(&cp->res.frees));
	KUNIT_EXPECT_EQ(test, st.owned, 0);
	KUNIT_EXPECT_EQ(test, st.grants, st.frees);
	KUNIT_EXPECT_EQ(test, st.grants, atomic_read(&cp->res.grants));
	KUNIT_EXPECT_EQ(test, st.double_free + st.foreign + st.bad_addr, 0);
}

/* softirq: a timer callback runs in the TIMER_SOFTIRQ handler. */
struct ctx_timer {
	struct timer_list timer;
	struct ctx_pool *cp;
	struct completion done;
};

static void ctx_timer_fn(struct timer_list *t)
{
	struct ctx_timer *ct = timer_container_of(ct, t, timer);

	if (!in_serving_softirq())
		atomic_inc(&ct->cp->res.wrong_context);
	ctx_work(ct->cp, 0x50f7);
	complete(&ct->done);
}

static void test_softirq(struct kunit *test)
{
	struct ctx_pool *cp = ctx_pool(test, CTX_FRAMES);
	struct ctx_timer ct = { .cp = cp };
	int round;

	for (round = 0; round < 16; round++) {
		init_completion(&ct.done);
		timer_setup_on_stack(&ct.timer, ctx_timer_fn, 0);
		mod_timer(&ct.timer, jiffies);
		wait_for_completion(&ct.done);
		timer_delete_sync(&ct.timer);
		timer_destroy_on_stack(&ct.timer);
	}
	ctx_expect_clean(test, cp, 16 * CTX_BATCH);
}

/* hardirq: an hrtimer in hard mode fires from the timer interrupt. */
struct ctx_hrtimer {
	struct hrtimer timer;
	struct ctx_pool *cp;
	struct completion done;
};

static enum hrtimer_restart ctx_hrtimer_fn(struct hrtimer *t)
{
	struct ctx_hrtimer *ch = container_of(t, struct ctx_hrtimer, timer);

	if (!in_hardirq())
		atomic_inc(&ch->cp->res.wrong_context);
	ctx_work(ch->cp, 0x4a7d);
	complete(&ch->done);
	return HRTIMER_NORESTART;
}

static void test_hardirq(struct kunit *test)
{
	struct ctx_pool *cp = ctx_pool(test, CTX_FRAMES);
	struct ctx_hrtimer ch = { .cp = cp };
	int round;

	hrtimer_setup_on_stack(&ch.timer, ctx_hrtimer_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	for (round = 0; round < 16; round++) {
		init_completion(&ch.done);
		hrtimer_start(&ch.timer, ns_to_ktime(10 * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
		wait_for_completion(&ch.done);
	}
	hrtimer_cancel(&ch.timer);
	destroy_hrtimer_on_stack(&ch.timer);
	ctx_expect_clean(test, cp, 16 * CTX_BATCH);
}

/*
 * Frames granted on one CPU, freed on another with interrupts off: in the
 * IPI's hardirq, or, when that CPU idles polling, in the idle loop's flush
 * of its call queue, which the kernel runs instead of sending the IPI.
 */
struct ctx_remote {
	struct ctx_pool *cp;
	void *held[CTX_BATCH];
	unsigned int n;
	int cpu;
};

static void ctx_remote_free(void *info)
{
	struct ctx_remote *cr = info;
	unsigned int i;

	if (!irqs_disabled() || smp_processor_id() != cr->cpu)
		atomic_inc(&cr->cp->res.wrong_context);
	for (i = 0; i < cr->n; i++)
		ctx_give(cr->cp, cr->held[i], 0xc055);
}

static void test_cross_cpu_free(struct kunit *test)
{
	struct ctx_pool *cp = ctx_pool(test, CTX_FRAMES);
	struct ctx_remote cr = { .cp = cp };
	struct labyrinth_stats st;
	int this, other, round;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	for (round = 0; round < 8; round++) {
		int err;

		/* stay here until the IPI ran, so "other" really is another CPU */
		this = get_cpu();
		other = cpumask_any_but(cpu_online_mask, this);
		cr.cpu = other;
		for (cr.n = 0; cr.n < CTX_BATCH; cr.n++) {
			cr.held[cr.n] = labyrinth_pool_alloc(cp->pool);
			if (!cr.held[cr.n])
				break;
			ctx_take(cp, cr.held[cr.n], 0xc055);
		}
		err = smp_call_function_single(other, ctx_remote_free, &cr, 1);
		put_cpu();
		KUNIT_ASSERT_EQ(test, cr.n, CTX_BATCH);
		KUNIT_ASSERT_EQ(test, err, 0);
	}
	labyrinth_pool_read_stats(cp->pool, &st);
	KUNIT_EXPECT_GE(test, st.remote_frees, 8 * CTX_BATCH);
	ctx_expect_clean(test, cp, 8 * CTX_BATCH);
}

#ifdef CONFIG_X86_LOCAL_APIC
/*
 * NMI: an NMI IPI to self.  The handler only acts when a test armed it, so
 * NMIs of other origin pass through untouched.
 */
static struct ctx_pool *nmi_pool;
static atomic_t nmi_armed;
static atomic_t nmi_seen;

static int ctx_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	if (!atomic_xchg(&nmi_armed, 0))
		return NMI_DONE;
	if (!in_nmi())
		atomic_inc(&nmi_pool->res.wrong_context);
	/* two frames: enough to race, short enough for a KASAN kernel's NMI */
	ctx_work_n(nmi_pool, 0x7a11 + smp_processor_id(), 2);
	atomic_inc(&nmi_seen);
	return NMI_HANDLED;
}

static void ctx_nmi_exit(void *data)
{
	unregister_nmi_handler(NMI_LOCAL, "labyrinth_kunit");
}

static void ctx_nmi_setup(struct kunit *test, struct ctx_pool *cp)
{
	int err;

	nmi_pool = cp;
	atomic_set(&nmi_armed, 0);
	atomic_set(&nmi_seen, 0);
	err = register_nmi_handler(NMI_LOCAL, ctx_nmi_handler, 0, "labyrinth_kunit");
	KUNIT_ASSERT_EQ(test, 0, err);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, ctx_nmi_exit, NULL));
}

/* Fire one armed NMI at this CPU; false if it never arrived. */
static bool ctx_nmi_fire(void)
{
	int wait;

	atomic_set(&nmi_armed, 1);
	apic->send_IPI_self(NMI_VECTOR);
	for (wait = 0; wait < 1000 && atomic_read(&nmi_armed); wait++)
		usleep_range(100, 200);
	return !atomic_read(&nmi_armed);
}

static void test_nmi(struct kunit *test)
{
	struct ctx_pool *cp = ctx_pool(test, CTX_FRAMES);
	int round;

	ctx_nmi_setup(test, cp);
	for (round = 0; round < 10; round++)
		if (!ctx_nmi_fire())
			break;
	atomic_set(&nmi_armed, 0);
	if (!round)
		kunit_skip(test, "no NMI arrived from an IPI to self on this machine");
	KUNIT_EXPECT_EQ(test, round, 10);
	KUNIT_EXPECT_EQ(test, atomic_read(&nmi_seen), round);
	ctx_expect_clean(test, cp, round * 2);
}

/*
 * NMIs that land in the middle of process-context grants and frees on the
 * same CPU: the interrupted path and the NMI both keep exclusivity.  The
 * IPI is sent just before each grant, so delivery falls at varying points
 * of the alloc/fill/check/free sequence.
 */
static void test_nmi_interrupts_process_context(struct kunit *test)
{
	struct ctx_pool *cp = ctx_pool(test, CTX_FRAMES);
	int round, fired = 0;

	ctx_nmi_setup(test, cp);
	for (round = 0; round < 200; round++) {
		preempt_disable();
		if (!atomic_read(&nmi_armed)) {
			atomic_set(&nmi_armed, 1);
			apic->send_IPI_self(NMI_VECTOR);
			fired++;
		}
		ctx_work(cp, 0x9e0c);
		preempt_enable();
	}
	for (round = 0; round < 1000 && atomic_read(&nmi_armed); round++)
		usleep_range(100, 200);
	atomic_set(&nmi_armed, 0);
	if (!atomic_read(&nmi_seen))
		kunit_skip(test, "no NMI arrived from an IPI to self on this machine");
	kunit_info(test, "%d NMIs sent, %d handled during 200 process rounds\n",
		   fired, atomic_read(&nmi_seen));
	ctx_expect_clean(test, cp, 200 * CTX_BATCH);
}

/*
 * NMIs from another CPU at random moments, so that they land anywhere in
 * this CPU's grants and frees, between any two instructions of the search,
 * the claim and the release, not just right after a send to self.
 */
struct ctx_nmi_sender {
	int target;
	int sent;
};

static int ctx_nmi_sender_fn(void *data)
{
	struct ctx_nmi_sender *ns = data;
	int wait;

	while (!kthread_should_stop()) {
		atomic_set(&nmi_armed, 1);
		apic->send_IPI(ns->target, NMI_VECTOR);
		ns->sent++;
		for (wait = 0; wait < 10000 && atomic_read(&nmi_armed); wait++)
			udelay(1);
		udelay(get_random_u32_below(20));
		cond_resched();
	}
	return 0;
}

static void test_nmi_from_other_cpu(struct kunit *test)
{
	struct ctx_pool *cp = ctx_pool(test, CTX_FRAMES);
	struct ctx_nmi_sender ns;
	struct task_struct *t;
	int round;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	ctx_nmi_setup(test, cp);
	migrate_disable();
	ns.target = raw_smp_processor_id();
	ns.sent = 0;
	t = kthread_create_on_cpu(ctx_nmi_sender_fn, &ns,
				  cpumask_any_but(cpu_online_mask, ns.target), "labyrinth_nmi");
	if (IS_ERR(t)) {
		migrate_enable();
		KUNIT_FAIL(test, "sender kthread: %pe", t);
		return;
	}
	wake_up_process(t);
	for (round = 0; round < 500; round++) {
		if (round % 2)
			ctx_work_bulk(cp, 0xb0d1);
		else
			ctx_work(cp, 0xb0d1);
		cond_resched();
	}
	kthread_stop(t);
	migrate_enable();
	atomic_set(&nmi_armed, 0);
	if (!atomic_read(&nmi_seen))
		kunit_skip(test, "no NMI arrived from another CPU on this machine");
	kunit_info(test, "%d NMIs sent, %d handled during 500 process rounds\n",
		   ns.sent, atomic_read(&nmi_seen));
	ctx_expect_clean(test, cp, 500 * CTX_BATCH);
}
#else
static void test_nmi(struct kunit *test)
{
	kunit_skip(test, "NMI IPI to self needs an x86 local APIC");
}

static void test_nmi_interrupts_process_context(struct kunit *test)
{
	kunit_skip(test, "NMI IPI to self needs an x86 local APIC");
}

static void test_nmi_from_other_cpu(struct kunit *test)
{
	kunit_skip(test, "NMI IPIs need an x86 local APIC");
}
#endif

/*
 * Every online CPU at once: a kthread bound to each CPU grants and frees in
 * batches from a pool too small for all of them, so grants steal and some
 * return NULL.
 */
struct ctx_storm {
	struct ctx_pool *cp;
	atomic_t running;
	struct completion done;
	unsigned int rounds;
};

static int ctx_storm_fn(void *data)
{
	struct ctx_storm *cs = data;
	unsigned long token = 0x5700 + smp_processor_id();
	unsigned int i;

	for (i = 0; i < cs->rounds; i++) {
		if (i % 2)
			ctx_work_bulk(cs->cp, token);
		else
			ctx_work(cs->cp, token);
		if (!(i % 16))
			cond_resched();
	}
	if (atomic_dec_and_test(&cs->running))
		complete(&cs->done);
	return 0;
}

/* Run ctx_storm_fn on every online CPU at once and wait for all of them. */
static void ctx_storm_run(struct kunit *test, struct ctx_storm *cs)
{
	struct task_struct *t;
	int cpu;

	init_completion(&cs->done);
	atomic_set(&cs->running, 1);
	for_each_online_cpu(cpu) {
		t = kthread_create_on_cpu(ctx_storm_fn, cs, cpu, "labyrinth_storm/%u");
		if (IS_ERR(t)) {
			KUNIT_FAIL(test, "kthread on CPU %d: %pe", cpu, t);
			break;	/* still wait for the threads already running */
		}
		atomic_inc(&cs->running);
		wake_up_process(t);
	}
	if (atomic_dec_and_test(&cs->running))
		complete(&cs->done);
	wait_for_completion(&cs->done);
}

static void test_all_cpus_at_once(struct kunit *test)
{
	/* fewer frames than the CPUs' batches together: contention and steals */
	struct ctx_pool *cp = ctx_pool(test, CTX_BATCH * num_online_cpus() / 2 + 1);
	struct ctx_storm cs = { .cp = cp, .rounds = 2000 };
	struct labyrinth_stats st;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	ctx_storm_run(test, &cs);

	labyrinth_pool_read_stats(cp->pool, &st);
	kunit_info(test, "%d grants, %llu steals, %llu short grants on %u CPUs\n",
		   atomic_read(&cp->res.grants), st.steals, st.failures, num_online_cpus());
	KUNIT_EXPECT_GT(test, st.steals, 0);
	ctx_expect_clean(test, cp, 1);
}

/*
 * Nothing stranded: with frames for every CPU's whole batch, no grant may
 * come back NULL or short however the CPUs interleave.
 */
static void test_wipe_resume(void *unused)
{
	WRITE_ONCE(labyrinth_wipe_held_off, false);
}

static void test_all_cpus_never_short(struct kunit *test)
{
	struct ctx_storm cs = { .rounds = 2000 };
	struct labyrinth_stats st;
	struct ctx_pool *cp;

	/* the background wipe holds a frame now and then: not in this count */
	WRITE_ONCE(labyrinth_wipe_held_off, true);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, test_wipe_resume, NULL));
	cp = ctx_pool(test, CTX_BATCH * num_online_cpus());
	cs.cp = cp;

	ctx_storm_run(test, &cs);
	labyrinth_pool_read_stats(cp->pool, &st);
	KUNIT_EXPECT_EQ(test, st.failures, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&cp->res.grants), 2000 * CTX_BATCH * num_online_cpus());
	ctx_expect_clean(test, cp, 1);
}

/*
 * CPU hotplug: a CPU offline at create has no frames of its own and takes
 * the others' (adopting a region with frames as its home); frames homed on
 * a CPU that goes offline stay reachable.
 */
struct ctx_on_cpu {
	struct ctx_pool *cp;
	unsigned int granted;
};

static void ctx_grant_all(void *info)
{
	struct ctx_on_cpu *oc = info;
	void *p;

	while ((p = labyrinth_pool_alloc(oc->cp->pool))) {
		ctx_take(oc->cp, p, 0x4077);
		oc->granted++;
	}
}

static void ctx_free_all(struct ctx_pool *cp)
{
	unsigned int i;

	for (i = 0; i < labyrinth_index_limit(cp->pool); i++)
		if (atomic_long_read(&cp->owner[i]) == 0x4077)
			ctx_give(cp, (void *)cp->pool->frame_addr[i], 0x4077);
}

static void test_hotplug(struct kunit *test)
{
	struct ctx_pool *cp;
	struct ctx_on_cpu oc = {};
	int other, err;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs");
	other = cpumask_last(cpu_online_mask);
	err = remove_cpu(other);
	if (err)
		kunit_skip(test, "CPU %d cannot go offline: %d", other, err);

	/* created with the CPU offline: its region is empty */
	cp = ctx_pool(test, CTX_FRAMES);
	KUNIT_EXPECT_EQ(test, cp->pool->regions[other].nr, 0);
	KUNIT_ASSERT_EQ(test, 0, add_cpu(other));

	/* the CPU that came online since gets every frame, none of its own */
	oc.cp = cp;
	KUNIT_ASSERT_EQ(test, 0, smp_call_function_single(other, ctx_grant_all, &oc, 1));
	KUNIT_EXPECT_EQ(test, oc.granted, CTX_FRAMES);
	ctx_free_all(cp);
	ctx_expect_clean(test, cp, CTX_FRAMES);

	/* frames homed on a CPU that goes offline are still granted */
	cp = ctx_pool(test, CTX_FRAMES);
	KUNIT_EXPECT_GT(test, labyrinth_region_backed(cp->pool, other), 0);
	KUNIT_ASSERT_EQ(test, 0, remove_cpu(other));
	oc.cp = cp;
	oc.granted = 0;
	ctx_grant_all(&oc);
	KUNIT_EXPECT_EQ(test, oc.granted, CTX_FRAMES);
	ctx_free_all(cp);
	KUNIT_EXPECT_EQ(test, 0, add_cpu(other));
	ctx_expect_clean(test, cp, CTX_FRAMES);
}

static struct kunit_case labyrinth_context_cases[] = {
	KUNIT_CASE(test_softirq),
	KUNIT_CASE(test_hardirq),
	KUNIT_CASE(test_cross_cpu_free),
	KUNIT_CASE(test_nmi),
	KUNIT_CASE(test_nmi_interrupts_process_context),
	KUNIT_CASE(test_nmi_from_other_cpu),
	KUNIT_CASE_SLOW(test_all_cpus_at_once),
	KUNIT_CASE_SLOW(test_all_cpus_never_short),
	KUNIT_CASE(test_hotplug),
	{}
};

static struct kunit_suite labyrinth_context_suite = {
	.name = "labyrinth_context",
	.test_cases = labyrinth_context_cases,
};

kunit_test_suite(labyrinth_context_suite);
