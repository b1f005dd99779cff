// SPDX-License-Identifier: GPL-2.0
/*
 * The torture's sources: one step of grants and frees, the hand-over
 * between CPUs, NMIs, hard hrtimers, tasklets, the per-CPU kthreads and
 * their bursts, the kthreads parked and unparked across CPU hotplug, the
 * in-kernel hotplug thread, and starting and stopping all of them.
 */

#define pr_fmt(fmt) "labyrinth_torture: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#ifdef CONFIG_X86_LOCAL_APIC
#include <asm/apic.h>
#include <asm/nmi.h>
#endif
#include "engine.h"

/* The NMI handler has no argument: the one run in progress. */
static struct lt_torture *lt_running;

/* Hand a held frame to a CPU whose kthread or tasklet will free it. */
static void lt_hand_over(struct lt_source *s, struct lt_held *h)
{
	struct lt_torture *t = s->t;
	unsigned int cpu = t->cpus[prandom_u32_state(&s->rnd) % t->nr_cpus];

	if (!lt_check(s, h->addr, h->token, false))
		return;
	llist_add((struct llist_node *)((unsigned long *)h->addr + LT_HDR_NODE), &t->inbox[cpu]);
	lt_inc(&s->c.handoffs);
}

/* Free what other CPUs handed to @cpu; the token travels in the page. */
void lt_receive(struct lt_source *s, unsigned int cpu)
{
	struct llist_node *node = llist_del_all(&s->t->inbox[cpu]), *next;
	unsigned long *page;

	while (node) {
		next = node->next;
		page = (unsigned long *)((unsigned long)node & PAGE_MASK);
		lt_free(s, page, page[LT_HDR_TOKEN]);
		node = next;
	}
}

/* Release the held frames whose time is up: free, bulk free or hand over. */
static void lt_release_due(struct lt_source *s)
{
	void *bulk[LT_BULK_MAX];
	unsigned int i = 0, nr = 0, r;
	struct lt_held *h;

	while (i < s->nr_held) {
		h = &s->held[i];
		if (s->c.ops < h->until) {
			i++;
			continue;
		}
		r = prandom_u32_state(&s->rnd) % 8;
		if (r == 0) {
			lt_hand_over(s, h);
		} else if (r < 3 && nr < LT_BULK_MAX) {
			if (lt_check(s, h->addr, h->token, true))
				bulk[nr++] = h->addr;
		} else {
			lt_free(s, h->addr, h->token);
		}
		*h = s->held[--s->nr_held];
	}
	if (nr)
		lt_free_bulk(s, bulk, nr);
}

static void lt_keep(struct lt_source *s, void *addr)
{
	bool whole = s->ctx == LABYRINTH_TORTURE_THREAD && !(prandom_u32_state(&s->rnd) % 4);
	unsigned long token = lt_token(s, whole);
	struct lt_held *h;

	lt_inc(&s->c.grants);
	if (!lt_take(s, addr, token))
		return;
	h = &s->held[s->nr_held++];
	h->addr = addr;
	h->token = token;
	h->until = s->c.ops + 1 + prandom_u32_state(&s->rnd) % s->hold_steps;
}

/* Grant one frame, or a bulk of them, up to what the source may hold. */
static void lt_grant(struct lt_source *s)
{
	unsigned int room = s->max_held - s->nr_held, want, got, i;
	unsigned int r = prandom_u32_state(&s->rnd);
	void *addrs[LT_BULK_MAX];

	if (!room)
		return;
	if (room >= 2 && !(r % 4)) {
		want = 2 + (r >> 8) % (min_t(unsigned int, room, LT_BULK_MAX) - 1);
		got = labyrinth_pool_alloc_bulk(s->t->pool, addrs, want);
		lt_inc(&s->c.bulk_grants);
		if (got < want)
			lt_inc(&s->c.nulls);
	} else {
		addrs[0] = labyrinth_pool_alloc(s->t->pool);
		got = !!addrs[0];
		if (!got)
			lt_inc(&s->c.nulls);
	}
	for (i = 0; i < got; i++)
		lt_keep(s, addrs[i]);
}

/* One step of any source: receive, release what is due, grant, misuse. */
static void lt_step(struct lt_source *s, int inbox)
{
	if (inbox >= 0)
		lt_receive(s, inbox);
	lt_release_due(s);
	lt_grant(s);
	if (!(prandom_u32_state(&s->rnd) % LT_MISUSE_EVERY))
		lt_misuse(s);
	lt_inc(&s->c.ops);
}

#ifdef CONFIG_X86_LOCAL_APIC
/* At most one NMI of ours in flight per CPU, so none is ever merged. */
static void lt_nmi_send(struct lt_source *s, unsigned int cpu, bool self)
{
	if (atomic_cmpxchg(&s->t->nmi_pending[cpu], 0, 1))
		return;
	if (self)
		apic->send_IPI_self(NMI_VECTOR);
	else
		apic->send_IPI(cpu, NMI_VECTOR);
	lt_inc(&s->c.nmi_sent);
}

static int lt_nmi_handler(unsigned int type, struct pt_regs *regs)
{
	struct lt_torture *t = READ_ONCE(lt_running);
	unsigned int cpu = smp_processor_id();

	if (!t || atomic_cmpxchg(&t->nmi_pending[cpu], 1, 0) != 1)
		return NMI_DONE;
	lt_step(&t->src[LABYRINTH_TORTURE_NMI][cpu], -1);
	return NMI_HANDLED;
}

static int lt_nmi_register(struct lt_torture *t)
{
	return register_nmi_handler(NMI_LOCAL, lt_nmi_handler, 0, "labyrinth_torture");
}

static void lt_nmi_unregister(struct lt_torture *t)
{
	unregister_nmi_handler(NMI_LOCAL, "labyrinth_torture");
}
#else
static void lt_nmi_send(struct lt_source *s, unsigned int cpu, bool self)
{
}

static int lt_nmi_register(struct lt_torture *t)
{
	t->res->nmi_skipped = "NMI IPIs need an x86 local APIC";
	return -EOPNOTSUPP;
}

static void lt_nmi_unregister(struct lt_torture *t)
{
}
#endif

/* An NMI at a CPU picked at random, which may be this one or another. */
static void lt_nmi_any(struct lt_source *s)
{
	struct lt_torture *t = s->t;
	unsigned int cpu = t->cpus[prandom_u32_state(&s->rnd) % t->nr_cpus];

	/*
	 * Never at a CPU that is going or gone.  Only a trylock: the hotplug
	 * that holds the lock may be waiting for this kthread to park.
	 */
	if (!cpus_read_trylock())
		return;
	if (cpu_online(cpu))
		lt_nmi_send(s, cpu, false);
	cpus_read_unlock();
}

static ktime_t lt_period(struct lt_source *s)
{
	return ns_to_ktime(100 * NSEC_PER_USEC +
			   prandom_u32_state(&s->rnd) % (500 * NSEC_PER_USEC));
}

static enum hrtimer_restart lt_hard_fn(struct hrtimer *timer)
{
	struct lt_source *s = container_of(timer, struct lt_source, timer);
	struct lt_torture *t = s->t;
	unsigned int cpu = smp_processor_id();

	if (READ_ONCE(t->stop))
		return HRTIMER_NORESTART;
	WRITE_ONCE(s->timer_cpu, cpu);
	/* lands in the middle of this handler's own grants and frees */
	if (t->nmi && !(prandom_u32_state(&s->rnd) % 4))
		lt_nmi_send(s, cpu, true);
	lt_step(s, -1);
	tasklet_schedule(&t->src[LABYRINTH_TORTURE_SOFTIRQ][s->home].tasklet);
	hrtimer_forward_now(timer, lt_period(s));
	return HRTIMER_RESTART;
}

static void lt_hard_start(void *info)
{
	struct lt_source *s = info;

	WRITE_ONCE(s->timer_cpu, smp_processor_id());
	hrtimer_start(&s->timer, lt_period(s), HRTIMER_MODE_REL_PINNED_HARD);
}

static void lt_soft_fn(struct tasklet_struct *tasklet)
{
	struct lt_source *s = from_tasklet(s, tasklet, tasklet);

	if (!READ_ONCE(s->t->stop))
		lt_step(s, raw_smp_processor_id());
}

/*
 * The CPU's hrtimer migrated away when the CPU went offline; the kthread,
 * parked meanwhile, runs again only on its CPU, and pins the timer back.
 */
static void lt_thread_home(struct lt_source *s)
{
	struct lt_source *hard = &s->t->src[LABYRINTH_TORTURE_HARDIRQ][s->home];

	if (raw_smp_processor_id() != s->home ||
	    READ_ONCE(hard->timer_cpu) == s->home)
		return;
	hrtimer_cancel(&hard->timer);
	preempt_disable();
	lt_hard_start(hard);
	preempt_enable();
}

/*
 * Take every frame the pool gives until it returns NULL, hold them for a
 * moment, give them back: the other sources meet an empty pool, steal and
 * come back empty-handed, and a growable pool grows.
 */
static void lt_burst(struct lt_source *s)
{
	struct lt_torture *t = s->t;
	unsigned int nr = 0, i;
	unsigned long token;
	void *p;

	lt_inc(&s->c.bursts);
	while (nr < t->cap && (p = labyrinth_pool_alloc(t->pool))) {
		token = lt_token(s, false);
		lt_inc(&s->c.grants);
		if (!lt_take(s, p, token))
			continue;
		s->burst[nr].addr = p;
		s->burst[nr++].token = token;
	}
	if (nr < t->cap)
		lt_inc(&s->c.nulls);
	usleep_range(100, 1000);
	for (i = 0; i < nr; i++)
		lt_free(s, s->burst[i].addr, s->burst[i].token);
}

static int lt_thread_fn(void *data)
{
	struct lt_source *s = data;
	unsigned int r;

	while (!kthread_should_stop()) {
		if (kthread_should_park()) {
			kthread_parkme();
			continue;	/* unparked to stop, maybe on another CPU */
		}
		if (!(s->c.ops % 64))
			lt_thread_home(s);
		lt_step(s, s->home);
		r = prandom_u32_state(&s->rnd);
		if (s->t->nmi && !(r % 16))
			lt_nmi_any(s);
		if (!((r >> 8) % 2048))
			lt_burst(s);
		else if (!((r >> 4) % 8))
			usleep_range(10, 50 + (r >> 8) % 200);	/* sleep holding frames */
		else
			cond_resched();
	}
	return 0;
}

/* In-kernel CPU hotplug (config->onoff), for kernels without a shell. */
static void lt_nap(unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);

	while (!kthread_should_stop() && time_before(jiffies, end))
		schedule_timeout_interruptible(1);
}

static int lt_onoff_fn(void *data)
{
	struct lt_torture *t = data;
	unsigned int cpu = t->cpus[t->nr_cpus - 1];

	while (!kthread_should_stop()) {
		lt_nap(t->cfg->onoff / 2);
		if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || kthread_should_stop() || remove_cpu(cpu))
			continue;
		lt_nap(t->cfg->onoff / 2);
		while (add_cpu(cpu))
			msleep(20);
		WRITE_ONCE(t->onoff_cycles, t->onoff_cycles + 1);
	}
	return 0;
}

void lt_init_source(struct lt_torture *t, struct lt_source *s, unsigned int ctx,
		    unsigned int cpu)
{
	s->t = t;
	s->ctx = ctx;
	s->home = cpu;
	s->max_held = ctx == LABYRINTH_TORTURE_THREAD ? LT_HOLD_MAX :
		      ctx == LABYRINTH_TORTURE_NMI ? 4 : 8;
	s->hold_steps = ctx == LABYRINTH_TORTURE_THREAD ? 64 : 8;
	prandom_seed_state(&s->rnd, get_random_u64());
}

int lt_setup_source(struct lt_torture *t, unsigned int ctx, unsigned int cpu)
{
	const struct labyrinth_pool_config solo = {
		.name = "torture-solo", .nr_frames = LT_SOLO_FRAMES,
	};
	struct lt_source *s = &t->src[ctx][cpu];

	lt_init_source(t, s, ctx, cpu);
	s->solo = labyrinth_pool_create_config(&solo);
	if (IS_ERR(s->solo)) {
		int err = PTR_ERR(s->solo);

		s->solo = NULL;
		return err;
	}
	switch (ctx) {
	case LABYRINTH_TORTURE_THREAD:
		s->burst = kvcalloc(t->cap, sizeof(*s->burst), GFP_KERNEL);
		if (!s->burst)
			return -ENOMEM;
		/*
		 * Bound and parked, as smpboot does, and unparked by the
		 * hotplug callbacks below.  An unbound kthread moved back
		 * with set_cpus_allowed_ptr() while CPUs went and came hit
		 * the WARN in affine_move_task() under 7.2's PREEMPT_RT.
		 */
		s->task = kthread_create_on_cpu(lt_thread_fn, s, cpu, "labyrinth_t/%u");
		if (IS_ERR(s->task)) {
			int err = PTR_ERR(s->task);

			s->task = NULL;
			return err;
		}
		kthread_park(s->task);
		break;
	case LABYRINTH_TORTURE_HARDIRQ:
		hrtimer_setup(&s->timer, lt_hard_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
		s->timer_ready = true;
		break;
	case LABYRINTH_TORTURE_SOFTIRQ:
		tasklet_setup(&s->tasklet, lt_soft_fn);
		break;
	}
	return 0;
}

/*
 * Park and unpark exactly once each (both WARN otherwise): s->unparked
 * changes only under the CPU hotplug lock, read or write side.
 */
static void lt_thread_unpark(struct lt_source *s)
{
	if (s->task && !s->unparked) {
		kthread_unpark(s->task);
		s->unparked = true;
	}
}

static int lt_cpu_online(unsigned int cpu, struct hlist_node *node)
{
	struct lt_torture *t = hlist_entry(node, struct lt_torture, cpuhp_node);

	lt_thread_unpark(&t->src[LABYRINTH_TORTURE_THREAD][cpu]);
	return 0;
}

static int lt_cpu_offline(unsigned int cpu, struct hlist_node *node)
{
	struct lt_torture *t = hlist_entry(node, struct lt_torture, cpuhp_node);
	struct lt_source *s = &t->src[LABYRINTH_TORTURE_THREAD][cpu];

	if (s->task && s->unparked) {
		kthread_park(s->task);
		s->unparked = false;
	}
	return 0;
}

/* Each CPU's kthread runs while the CPU is online, parked otherwise. */
static int lt_start_threads(struct lt_torture *t)
{
	unsigned int i, cpu;
	int state, err;

	state = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN, "labyrinth/torture:online",
					lt_cpu_online, lt_cpu_offline);
	if (state < 0)
		return state;
	/* the _cpuslocked variant is not exported: callbacks may come first */
	err = cpuhp_state_add_instance_nocalls(state, &t->cpuhp_node);
	if (err) {
		cpuhp_remove_multi_state(state);
		return err;
	}
	t->cpuhp_state = state;
	cpus_read_lock();
	for (i = 0; i < t->nr_cpus; i++) {
		cpu = t->cpus[i];
		if (cpu_online(cpu))
			lt_thread_unpark(&t->src[LABYRINTH_TORTURE_THREAD][cpu]);
	}
	cpus_read_unlock();
	return 0;
}

static void lt_stop_threads(struct lt_torture *t)
{
	struct lt_source *thread = t->src[LABYRINTH_TORTURE_THREAD];
	unsigned int cpu;

	if (t->cpuhp_state > 0) {
		cpuhp_state_remove_instance_nocalls(t->cpuhp_state, &t->cpuhp_node);
		cpuhp_remove_multi_state(t->cpuhp_state);
		t->cpuhp_state = 0;
	}
	/* a parked kthread is unparked to stop, on another CPU if its own is gone */
	for (cpu = 0; thread && cpu < nr_cpu_ids; cpu++)
		if (thread[cpu].task)
			kthread_stop(thread[cpu].task);
}

int lt_start(struct lt_torture *t)
{
	unsigned int i, cpu;
	int err;

	if (t->cfg->nmi) {
		WRITE_ONCE(lt_running, t);
		err = lt_nmi_register(t);
		t->nmi_registered = !err;
		t->nmi = !err;
		if (err && !t->res->nmi_skipped)
			t->res->nmi_skipped = "register_nmi_handler() failed";
	} else {
		t->res->nmi_skipped = "disabled by nmi=0";
	}
	cpus_read_lock();
	for (i = 0; i < t->nr_cpus; i++) {
		cpu = t->cpus[i];
		if (!cpu_online(cpu) ||
		    smp_call_function_single(cpu, lt_hard_start,
					     &t->src[LABYRINTH_TORTURE_HARDIRQ][cpu], 1)) {
			/* gone already: start it here, its kthread moves it home */
			preempt_disable();
			lt_hard_start(&t->src[LABYRINTH_TORTURE_HARDIRQ][cpu]);
			preempt_enable();
		}
	}
	cpus_read_unlock();
	/* after the timers: a kthread pins its CPU's timer, see lt_thread_home() */
	err = lt_start_threads(t);
	if (err) {
		pr_err("cannot follow CPU hotplug with the kthreads: %d\n", err);
		return err;
	}
	if (t->cfg->onoff && t->nr_cpus > 1) {
		t->onoff = kthread_run(lt_onoff_fn, t, "labyrinth_onoff");
		if (IS_ERR(t->onoff)) {
			pr_warn("no CPU hotplug kthread: %pe\n", t->onoff);
			t->onoff = NULL;
		}
	}
	return 0;
}

/* Stop every source; afterwards nothing but the caller touches the frames. */
void lt_stop(struct lt_torture *t)
{
	unsigned int cpu;

	struct lt_source *hard = t->src[LABYRINTH_TORTURE_HARDIRQ];
	struct lt_source *soft = t->src[LABYRINTH_TORTURE_SOFTIRQ];

	WRITE_ONCE(t->stop, true);
	if (t->onoff)
		kthread_stop(t->onoff);	/* leaves every CPU online */
	lt_stop_threads(t);
	/* the kthreads re-arm the timers, the timers schedule the tasklets */
	for (cpu = 0; hard && cpu < nr_cpu_ids; cpu++)
		if (hard[cpu].timer_ready)
			hrtimer_cancel(&hard[cpu].timer);
	for (cpu = 0; soft && cpu < nr_cpu_ids; cpu++)
		if (soft[cpu].tasklet.callback)
			tasklet_kill(&soft[cpu].tasklet);
	if (t->nmi_registered) {
		msleep(20);	/* let an NMI just sent arrive while we still claim it */
		lt_nmi_unregister(t);	/* waits for running handlers */
	}
	WRITE_ONCE(lt_running, NULL);
}
