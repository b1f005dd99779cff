// SPDX-License-Identifier: GPL-2.0
/*
 * The explorer's scheduler: actors as coroutines, the choice at every
 * switch point, the NMI that may interrupt an actor, and what the pool
 * waits on (RCU-sched grace periods, the workqueue and its kworker), so
 * that a wait is a hand-over the schedule records rather than a spin.  A
 * violation is reported here too, as the schedule that led to it.
 */
#include <stdarg.h>

#include "explore.h"

#define STACK_BYTES	(256 * 1024)

unsigned long lab_explore_jiffies;

struct actor act[MAX_ACTORS];
int nr_act, cur, nmi_idx = -1;
static int nmi_from;
bool nmi_fired, in_nmi, exploring, run_failed;
ucontext_t main_ctx;
unsigned long steps;

struct decision trail[MAX_DEPTH];
unsigned int depth, prefix_len, preempts;
unsigned long schedule_nr;

/* the explorer's workqueue: the kworker actor runs what is queued */
struct work_struct *wq_fifo[8];
unsigned int wq_n;
struct work_struct *wq_running;
unsigned int work_runs;
struct workqueue_struct *system_wq;

const char *who(int i)
{
	return i == HOLDER ? "setup" : i < 0 ? "nobody" : act[i].name;
}

void print_schedule(FILE *out)
{
	unsigned int d;
	int n = 0;

	fprintf(out, "  schedule %lu (preemptions %u), switches:\n", schedule_nr, preempts);
	for (d = 0; d < depth; d++) {
		if (trail[d].from == trail[d].to)
			continue;
		fprintf(out, "    %s -> %s at %s\n",
			trail[d].from < 0 ? "start" : who(trail[d].from), who(trail[d].to),
			trail[d].what);
		if (++n == 40) {
			fprintf(out, "    ...\n");
			break;
		}
	}
}

__printf(1, 2) void violation(const char *fmt, ...)
{
	va_list ap;

	if (run_failed)
		return;
	run_failed = true;
	printf("VIOLATION: %s: ", sc->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	print_schedule(stdout);
	fflush(stdout);
	/* leave the actors where they are: the run is over */
	if (exploring) {
		exploring = false;
		swapcontext(&act[cur].ctx, &main_ctx);
	}
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "explore: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(2);
}

/* ---- the scheduler ---- */

static bool ready(int i)
{
	struct actor *a = &act[i];

	switch (a->state) {
	case RUNNABLE:
		return true;
	case WAITING:
		return a->until(a);
	case YIELDED:
		return steps != a->yielded_at;
	default:
		return false;
	}
}

int decide(const int *alts, unsigned int n, const char *what)
{
	unsigned int c = 0;

	if (n > 1) {
		if (depth == MAX_DEPTH)
			die("%s: more than %d decisions in one run\n", sc->name, MAX_DEPTH);
		if (depth < prefix_len) {
			if (trail[depth].n != n)
				die("%s: not deterministic at decision %u\n", sc->name, depth);
			c = trail[depth].chosen;
		}
		trail[depth] = (struct decision){ .n = n, .chosen = c, .from = cur,
						  .to = alts[c], .what = what };
		depth++;
	}
	return alts[c];
}

static void resume(int next)
{
	int prev = cur;

	act[next].state = RUNNABLE;
	cur = next;
	lab_shim_set_cpu(act[next].cpu);
	swapcontext(&act[prev].ctx, &act[next].ctx);
}

static void run_nmi(void)
{
	nmi_fired = true;
	in_nmi = true;
	nmi_from = cur;
	resume(nmi_idx);
}

void lab_explore_point(const char *what)
{
	int alts[MAX_ACTORS + 1], i, next;
	unsigned int n = 0;

	steps++;
	if (!exploring)
		return;
	check_step();
	if (in_nmi || !exploring)
		return;
	alts[n++] = cur;
	if (preempts < sc->bound) {
		for (i = 0; i < nr_act; i++)
			if (i != cur && i != nmi_idx && ready(i))
				alts[n++] = i;
		if (nmi_idx >= 0 && !nmi_fired && act[nmi_idx].cpu == act[cur].cpu)
			alts[n++] = nmi_idx;
	}
	next = decide(alts, n, what);
	if (next == cur)
		return;
	preempts++;
	if (next == nmi_idx)
		run_nmi();
	else
		resume(next);
}

/* The current actor cannot go on: run another one, at no preemption cost. */
static void hand_over(const char *what)
{
	int alts[MAX_ACTORS], i, next;
	unsigned int n = 0;

	for (i = 0; i < nr_act; i++)
		if (i != cur && i != nmi_idx && ready(i))
			alts[n++] = i;
	if (!n) {
		for (i = 0; i < nr_act; i++)
			if (i != nmi_idx && act[i].state != DONE)
				break;
		if (i == nr_act)	/* everyone is done: back to the main loop */
			swapcontext(&act[cur].ctx, &main_ctx);
		violation("%s waits at %s and nothing else can run (deadlock)", act[i].name, what);
		return;
	}
	next = decide(alts, n, what);
	if (act[cur].state == DONE) {
		act[next].state = RUNNABLE;
		cur = next;
		lab_shim_set_cpu(act[next].cpu);
		setcontext(&act[next].ctx);
	}
	resume(next);
}

void wait_until(bool (*until)(struct actor *a), const char *what)
{
	struct actor *a = &act[cur];

	if (!exploring) {
		if (!until(a))
			die("%s: wait for %s outside the exploration\n", sc->name, what);
		return;
	}
	if (in_nmi) {
		violation("NMI waits for %s", what);
		return;
	}
	while (exploring && !until(a)) {
		a->state = WAITING;
		a->until = until;
		hand_over(what);
	}
	a->state = RUNNABLE;
}

/* irq_work_sync()'s spin: someone else must take a step first. */
void lab_explore_yield(void)
{
	struct actor *a = &act[cur];

	if (!exploring)
		die("%s: irq_work_sync() would spin forever\n", sc->name);
	if (in_nmi) {
		violation("NMI spins in irq_work_sync()");
		return;
	}
	a->state = YIELDED;
	a->yielded_at = steps;
	hand_over("irq_work_sync");
	a->state = RUNNABLE;
}

static void actor_main(void)
{
	struct actor *a = &act[cur];

	a->fn(a);
	a->state = DONE;
	if (a->nmi) {
		in_nmi = false;
		cur = nmi_from;
		lab_shim_set_cpu(act[cur].cpu);
		setcontext(&act[cur].ctx);
	}
	hand_over("exit");
}

/* ---- RCU-sched, as the pool sees it ---- */

void lab_explore_rcu_lock(void)
{
	if (exploring && act[cur].rcu_depth++ == 0)
		act[cur].rcu_seq++;
}

void lab_explore_rcu_unlock(void)
{
	if (exploring)
		act[cur].rcu_depth--;
}

static unsigned long gp_seq[MAX_ACTORS];
static bool gp_wait[MAX_ACTORS];

static bool grace_period_over(struct actor *self)
{
	int i;

	for (i = 0; i < nr_act; i++)
		if (gp_wait[i] && act[i].rcu_depth && act[i].rcu_seq == gp_seq[i])
			return false;
	return true;
}

void lab_explore_synchronize_rcu(void)
{
	int i;

	if (!exploring)
		return;
	for (i = 0; i < nr_act; i++) {
		gp_wait[i] = i != cur && act[i].rcu_depth;
		gp_seq[i] = act[i].rcu_seq;
	}
	wait_until(grace_period_over, "synchronize_rcu");
}

/* ---- the workqueue, and growth as the actors wait for it ---- */

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	if (work->pending)
		return false;
	if (wq_n == ARRAY_SIZE(wq_fifo))
		die("workqueue full\n");
	work->pending = true;
	wq_fifo[wq_n++] = work;
	return true;
}

static struct work_struct *waited_work;

static bool work_idle(struct actor *a)
{
	return !waited_work->pending && wq_running != waited_work;
}

static bool work_not_running(struct actor *a)
{
	return wq_running != waited_work;
}

bool cancel_work_sync(struct work_struct *work)
{
	bool was_pending = work->pending;
	unsigned int i;

	if (was_pending) {
		for (i = 0; i < wq_n && wq_fifo[i] != work; i++)
			;
		memmove(&wq_fifo[i], &wq_fifo[i + 1], (wq_n - i - 1) * sizeof(*wq_fifo));
		wq_n--;
		work->pending = false;
	}
	waited_work = work;
	wait_until(work_not_running, "cancel_work_sync");
	return was_pending;
}

bool flush_work(struct work_struct *work)
{
	waited_work = work;
	wait_until(work_idle, "flush_work");
	return true;
}

static void run_work(void)
{
	struct work_struct *work = wq_fifo[0];

	memmove(&wq_fifo[0], &wq_fifo[1], (wq_n - 1) * sizeof(*wq_fifo));
	wq_n--;
	work->pending = false;
	wq_running = work;
	if (sc->before_work)
		sc->before_work();
	work->func(work);
	wq_running = NULL;
	work_runs++;
}

/* Outside the exploration: run what is queued, as the kworker would. */
void lab_shim_flush_workqueue(void)
{
	while (wq_n)
		run_work();
}

static bool others_done(void)
{
	int i;

	for (i = 0; i < nr_act; i++)
		if (!act[i].kworker && !act[i].nmi && act[i].state != DONE)
			return false;
	return true;
}

static bool kworker_has_work(struct actor *a)
{
	return wq_n || others_done();
}

static void kworker(struct actor *a)
{
	for (;;) {
		wait_until(kworker_has_work, "an empty workqueue");
		if (!wq_n)
			return;
		run_work();
	}
}

/* Growth has nothing queued or running: time passes for an actor that waits. */
static bool growth_idle(struct actor *a)
{
	return !wq_n && !wq_running;
}

void wait_growth(void)
{
	wait_until(growth_idle, "waits for growth");
}

/* ---- the actors ---- */

/* A stack, once allocated, is kept for every later run of the same slot. */
void add_actor(const struct actor_spec *spec, bool nmi, bool kw)
{
	struct actor *a = &act[nr_act];
	char *stack = a->stack;

	memset(a, 0, sizeof(*a));
	a->stack = stack ?: malloc(STACK_BYTES);
	if (!a->stack)
		die("no memory for a stack\n");
	a->name = kw ? "kworker" : spec->name;
	a->cpu = kw ? 0 : spec->cpu;
	a->fn = kw ? kworker : spec->fn;
	a->arg = kw ? 0 : spec->arg;
	a->nmi = nmi;
	a->kworker = kw;
	a->state = RUNNABLE;
	getcontext(&a->ctx);
	a->ctx.uc_stack.ss_sp = a->stack;
	a->ctx.uc_stack.ss_size = STACK_BYTES;
	a->ctx.uc_link = NULL;
	makecontext(&a->ctx, actor_main, 0);
	if (nmi)
		nmi_idx = nr_act;
	nr_act++;
}

