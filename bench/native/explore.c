// SPDX-License-Identifier: GPL-2.0
/*
 * explore: every interleaving of a few actors on labyrinth's pool, up to a
 * preemption bound, checked step by step.
 *
 * The pool is labyrinth_pool.c, unmodified, built over the shims with
 * -DLAB_EXPLORE: every marked access, atomic, this_cpu op and irq_work
 * operation is a switch point that calls lab_explore_point().  Actors are
 * coroutines (ucontext) run one at a time by a deterministic scheduler, so
 * a schedule is just the list of choices made at switch points.  Schedules
 * are enumerated depth first by re-running the scenario from scratch with
 * a prefix of choices (stateless model checking), and a schedule may
 * preempt a running actor at most "bound" times (iterative context
 * bounding, as in CHESS).  An actor that waits (for growth, for a grace
 * period) hands over without using a preemption.
 *
 * An NMI actor, if the scenario has one, may fire at any switch point of
 * an actor on its CPU; that costs one preemption, and it runs to
 * completion while the interrupted actor waits, as an NMI does.  Growth's
 * work item runs in a kworker actor of its own.
 *
 * Checked after every step: an owned frame's bit is set; a set bit of a
 * backed frame belongs to an owner, a grant or a free in progress.  Checked
 * at each call's return: a grant never returns a frame someone owns; a
 * free of an owned frame is accepted, a stray or double free refused; NULL
 * (or a short bulk grant) only when no backed frame stayed free for the
 * whole call; destroy gives back nothing while another actor is still in a
 * call.  At quiescence: the pool's counters, its owned count and the owner
 * table agree, and teardown leaves no page or block behind.
 *
 * The first violation stops the scenario; its schedule is printed as the
 * switches it made.  Same binary, same results: nothing here reads a clock
 * or a random number.
 */
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sanitizer/common_interface_defs.h>	/* built with UBSan, always */

#include <linux/bitmap.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "labyrinth_internal.h"

#define MAX_ACTORS	6
#define STACK_BYTES	(256 * 1024)
#define MAX_DEPTH	20000
#define NR_SLOTS	512
#define HOLDER		100	/* owner id of frames the setup holds */
#define NOBODY		(-1)
#define MAX_HELD	80

struct actor;
typedef void (*actor_fn)(struct actor *a);

enum actor_state { RUNNABLE, WAITING, YIELDED, DONE };

struct actor {
	const char *name;
	int cpu;
	actor_fn fn;
	bool nmi, kworker;
	enum actor_state state;
	bool (*until)(struct actor *a);
	unsigned long yielded_at;
	ucontext_t ctx;
	char *stack;
	int rcu_depth;
	unsigned long rcu_seq;
	const char *call;	/* labyrinth call in progress */
	bool granting;
	unsigned char cand[NR_SLOTS];	/* frames free since the grant began */
	void *held[MAX_HELD];
	unsigned int nheld;
	int arg;
};

struct frame {
	int owner;
	int freeing;		/* frees of it by its owners in progress */
	bool tainted;		/* a tolerated stray free hit it */
	long index;
};

struct actor_spec {
	const char *name;
	int cpu;
	actor_fn fn;
	int arg;
};

struct scenario {
	const char *name;
	const char *about;
	bool zeroes;		/* init_on_alloc: frames cleared between owners */
	unsigned int bound;
	unsigned int cpus, online;
	struct labyrinth_pool_config cfg;
	void (*setup)(void);
	struct actor_spec actors[MAX_ACTORS - 2];
	struct actor_spec nmi;
	bool kworker;
	void (*before_work)(void);
	void (*quiescent)(void);
};

struct decision {
	unsigned short n, chosen;
	short from, to;
	const char *what;
};

unsigned long lab_explore_jiffies;
#define JIFFIES_START	(1000UL)

static const struct scenario *sc;
static struct labyrinth_pool *pool;
static bool pool_gone;
static const void *pool_mem[6];

static struct actor act[MAX_ACTORS];
static int nr_act, cur, nmi_idx = -1, nmi_from;
static bool nmi_fired, in_nmi, exploring, run_failed;
static ucontext_t main_ctx;
static unsigned long steps;

static struct decision trail[MAX_DEPTH];
static unsigned int depth, prefix_len, preempts;
static unsigned long schedule_nr;

static struct frame frames[NR_SLOTS];
static void *holder_held[MAX_HELD];
static unsigned int holder_nheld;
static long allocs_before, pages_before;

/* the explorer's workqueue: the kworker actor runs what is queued */
static struct work_struct *wq_fifo[8];
static unsigned int wq_n;
static struct work_struct *wq_running;
static unsigned int work_runs;
struct workqueue_struct *system_wq;

static const char *who(int i)
{
	return i == HOLDER ? "setup" : i < 0 ? "nobody" : act[i].name;
}

static void print_schedule(FILE *out)
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

static __printf(1, 2) void violation(const char *fmt, ...)
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

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "explore: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(2);
}

/* A sanitizer report or a trap: name the scenario and the schedule. */
static void crashed(const char *why)
{
	printf("VIOLATION: %s: %s\n", sc ? sc->name : "?", why);
	if (sc)
		print_schedule(stdout);
	fflush(stdout);
}

static void on_signal(int sig)
{
	crashed(sig == SIGFPE ? "SIGFPE (division by zero?)" : strsignal(sig));
	_exit(1);
}

static void on_sanitizer_death(void)
{
	crashed("UBSan report (above)");
}

/* Stand-ins for labyrinth_debugfs.c, which is not built here. */
void labyrinth_debugfs_add(struct labyrinth_pool *p)
{
}

void labyrinth_debugfs_remove(struct labyrinth_pool *p)
{
}

/* ---- frames ---- */

static struct frame *frame_of(const void *addr)
{
	long slot = lab_shim_page_slot(addr);

	if (slot < 0 || slot >= NR_SLOTS)
		die("address %p is no page of this run\n", addr);
	return &frames[slot];
}

static long index_of(const void *addr)
{
	unsigned int i;

	for (i = 0; i < pool->nr_bits; i++)
		if (pool->frame_addr[i] == (unsigned long)addr)
			return i;
	die("frame %p has no index\n", addr);
	return -1;
}

static bool bit_set(long index)
{
	return (pool->bitmap[index / BITS_PER_LONG] >> (index % BITS_PER_LONG)) & 1;
}

static bool clean_set(long index)
{
	return (pool->clean[index / BITS_PER_LONG] >> (index % BITS_PER_LONG)) & 1;
}

/* The background wipe is running: it may hold a free frame. */
static bool wiping(void)
{
	return wq_running == &pool->wipe_work.work;
}

static bool grant_in_progress(int except)
{
	int i;

	for (i = 0; i < nr_act; i++)
		if (i != except && act[i].granting)
			return true;
	return false;
}

/*
 * Free for a grant by @self now: no owner, no free of it under way, and
 * its bit clear, or set with no other grant under way that could have set
 * it (a bit nobody can account for is a leak, and does not excuse a NULL).
 */
static bool free_now(const struct frame *f, long index, int self)
{
	if (f->owner != NOBODY || f->freeing)
		return false;
	return !bit_set(index) || (!grant_in_progress(self) && !wiping());
}

/* The bit numbers of every backed frame, into @index; returns how many. */
static unsigned int backed_indices(long *index)
{
	unsigned int r, i, n = 0;

	for (r = 0; r < pool->nr_regions; r++)
		for (i = 0; i < pool->regions[r].backed; i++)
			index[n++] = pool->regions[r].first + i;
	return n;
}

static void check_step(void)
{
	long index[NR_SLOTS], s, slots = lab_shim_registry_slots();
	unsigned int k, n;
	int i;

	if (pool_gone)
		return;
	for (s = 0; s < slots; s++) {
		const struct frame *f = &frames[s];

		if (f->owner != NOBODY && !f->freeing && !f->tainted && !bit_set(f->index))
			violation("frame %ld owned by %s has its bit clear", f->index,
				  who(f->owner));
	}
	n = backed_indices(index);
	for (k = 0; k < n; k++) {
		const struct frame *f;

		if (!bit_set(index[k]))
			continue;
		f = frame_of((void *)pool->frame_addr[index[k]]);
		if (f->owner == NOBODY && !f->freeing && !f->tainted && !grant_in_progress(-1) &&
		    !wiping())
			violation("backed frame %ld has its bit set and no owner", index[k]);
	}
	for (i = 0; i < nr_act; i++) {
		if (!act[i].granting)
			continue;
		for (k = 0; k < n; k++) {
			s = lab_shim_page_slot((void *)pool->frame_addr[index[k]]);
			if (act[i].cand[s] && !free_now(&frames[s], index[k], i))
				act[i].cand[s] = 0;
		}
	}
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

static int decide(const int *alts, unsigned int n, const char *what)
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

static void wait_until(bool (*until)(struct actor *a), const char *what)
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

/* ---- RCU-sched, the workqueue and releases, as the pool sees them ---- */

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

void lab_explore_warn(const char *cond, const char *file, int line)
{
	violation("WARN_ON_ONCE(%s) at %s:%d", cond, file, line);
}

/* clear_page() of a frame: nobody else may own it. */
void lab_explore_on_clear(const void *page)
{
	long slot;

	if (!exploring || !pool || pool_gone)
		return;
	slot = lab_shim_page_slot(page);
	if (slot >= 0 && slot < NR_SLOTS && frames[slot].owner != NOBODY)
		violation("%s clears frame %ld, which %s owns", act[cur].name, frames[slot].index,
			  who(frames[slot].owner));
}

void lab_explore_on_release(const void *ptr)
{
	unsigned int m;
	int i;

	if (!exploring || !pool)
		return;
	for (m = 0; m < ARRAY_SIZE(pool_mem); m++) {
		if (ptr != pool_mem[m])
			continue;
		if (pool->grow_work.pending || wq_running == &pool->grow_work ||
		    (pool->grow_kick.flags & (IRQ_WORK_PENDING | IRQ_WORK_BUSY))) {
			pool_gone = true;
			violation("destroy frees the pool with its growth work still queued");
		}
		if (pool->wipe_work.work.pending || wiping() ||
		    (pool->wipe_kick.flags & (IRQ_WORK_PENDING | IRQ_WORK_BUSY))) {
			pool_gone = true;
			violation("destroy frees the pool with its wipe still queued");
		}
		for (i = 0; i < nr_act; i++) {
			if (i == cur || !act[i].call)
				continue;
			pool_gone = true;	/* half freed: teardown leaves it be */
			violation("destroy frees the pool while %s is still in %s", act[i].name,
				  act[i].call);
		}
	}
}

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

static void wait_growth(void)
{
	wait_until(growth_idle, "waits for growth");
}

/* ---- the actors' calls, with the owner table ---- */

static void claim(int who_id, void *addr, const char *call)
{
	struct frame *f = frame_of(addr);

	if (f->owner != NOBODY) {
		violation("%s returned frame %ld to %s while %s owns it", call, f->index,
			  who(who_id), who(f->owner));
		return;
	}
	f->owner = who_id;
	f->index = index_of(addr);
}

static void hold(int who_id, void *addr)
{
	if (who_id == HOLDER)
		holder_held[holder_nheld++] = addr;
	else
		act[who_id].held[act[who_id].nheld++] = addr;
}

static void grant_begin(struct actor *a, const char *call)
{
	long index[NR_SLOTS], s;
	unsigned int k, n = backed_indices(index);

	a->call = call;
	memset(a->cand, 0, sizeof(a->cand));
	for (k = 0; k < n; k++) {
		s = lab_shim_page_slot((void *)pool->frame_addr[index[k]]);
		frames[s].index = index[k];
		if (free_now(&frames[s], index[k], a - act))
			a->cand[s] = 1;
	}
	a->granting = true;
}

/*
 * With zeroes, a frame must come out of a grant all zero; its new owner
 * then fills it, so that a frame handed on without a clear shows it.
 */
static void check_zero_then_fill(struct actor *a, void *addr)
{
	const unsigned char *b = addr;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE; i++) {
		if (b[i]) {
			violation("%s got frame %ld with byte %u = 0x%02x from its last owner",
				  a->name, frame_of(addr)->index, i, b[i]);
			return;
		}
	}
	memset(addr, 0xa0 + (a - act), PAGE_SIZE);
}

/*
 * A DMA-mapped pool's frame has its mapping before any grant can return
 * it: the shim maps a page to its own address.
 */
static void check_dma_addr(struct actor *a, const void *p)
{
	dma_addr_t dma = labyrinth_pool_dma_addr(pool, p);

	if (dma != (dma_addr_t)(unsigned long)p)
		violation("%s got frame %ld with DMA address %#llx, not its mapping", a->name,
			  frame_of(p)->index, (unsigned long long)dma);
}

static void grant_end(struct actor *a, void **got, unsigned int nr, unsigned int want)
{
	unsigned int i;
	long s;

	a->granting = false;
	a->call = NULL;
	for (i = 0; i < nr; i++) {
		claim(a - act, got[i],
		      want > 1 ? "labyrinth_pool_alloc_bulk" : "labyrinth_pool_alloc");
		a->cand[lab_shim_page_slot(got[i])] = 0;
		hold(a - act, got[i]);
		if (sc->zeroes)
			check_zero_then_fill(a, got[i]);
		if (pool->frame_dma)
			check_dma_addr(a, got[i]);
	}
	if (nr == want)
		return;
	for (s = 0; s < NR_SLOTS; s++)
		if (a->cand[s])
			violation("%s got %u of %u frames while frame %ld stayed free", a->name,
				  nr, want, frames[s].index);
}

/* One grant; the frame is held.  Return: the frame or NULL. */
static void *grant(struct actor *a)
{
	void *p;

	grant_begin(a, "labyrinth_pool_alloc");
	p = labyrinth_pool_alloc(pool);
	grant_end(a, &p, !!p, 1);
	return p;
}

static unsigned int grant_bulk(struct actor *a, unsigned int nr)
{
	void *got[MAX_HELD];
	unsigned int n;

	grant_begin(a, "labyrinth_pool_alloc_bulk");
	n = labyrinth_pool_alloc_bulk(pool, got, nr);
	grant_end(a, got, n, nr);
	return n;
}

static void *drop_held(struct actor *a, unsigned int i)
{
	void *p = a->held[i];

	a->held[i] = a->held[--a->nheld];
	return p;
}

/* Free @a's held frame number @i, which must be accepted. */
static void give_back(struct actor *a, unsigned int i)
{
	void *p = drop_held(a, i);
	struct frame *f = frame_of(p);
	int ret;

	f->owner = NOBODY;
	f->freeing++;
	a->call = "labyrinth_pool_free";
	ret = labyrinth_pool_free(pool, p);
	a->call = NULL;
	f->freeing--;
	if (ret)
		violation("free of frame %ld by its owner %s refused (%d)", f->index, a->name, ret);
}

/* A free of @p that @a does not own: it must be refused with @want. */
static void stray_free(struct actor *a, void *p, int want)
{
	long slot = lab_shim_page_slot(p);
	struct frame none = { .owner = NOBODY }, *f = slot >= 0 ? &frames[slot] : &none;
	int owner = f->owner, ret;

	a->call = "labyrinth_pool_free";
	ret = labyrinth_pool_free(pool, p);
	a->call = NULL;
	if (ret == want)
		return;
	if (!ret && (owner != NOBODY || f->owner != NOBODY)) {
		/* one bit cannot tell a stray free from the new owner's: documented */
		f->tainted = true;
		return;
	}
	violation("stray free of %p (frame %ld) by %s returned %d, not %d", p, f->index, a->name,
		  ret, want);
}

/*
 * Bulk free of @a's held frames listed in @list (indices into held[],
 * NR entries, repeats allowed): the first listing of each frame must be
 * freed, and the call return -EALREADY when anything is listed twice.
 */
static void give_back_bulk(struct actor *a, const unsigned int *list, unsigned int nr)
{
	void *addrs[MAX_HELD], *seen[MAX_HELD];
	unsigned int i, j, nseen = 0;
	bool dup = false;
	int ret;

	for (i = 0; i < nr; i++) {
		addrs[i] = a->held[list[i]];
		for (j = 0; j < nseen && seen[j] != addrs[i]; j++)
			;
		if (j < nseen) {
			dup = true;
			continue;
		}
		seen[nseen++] = addrs[i];
		frame_of(addrs[i])->owner = NOBODY;
		frame_of(addrs[i])->freeing++;
	}
	a->call = "labyrinth_pool_free_bulk";
	ret = labyrinth_pool_free_bulk(pool, addrs, nr);
	a->call = NULL;
	for (j = 0; j < nseen; j++)
		frame_of(seen[j])->freeing--;
	/* forget the freed frames (highest held index first) */
	for (i = a->nheld; i-- > 0;)
		for (j = 0; j < nseen; j++)
			if (a->held[i] == seen[j])
				drop_held(a, i);
	if (ret != (dup ? -EALREADY : 0))
		violation("bulk free by %s returned %d, expected %d", a->name, ret,
			  dup ? -EALREADY : 0);
}

static void give_back_all(struct actor *a)
{
	while (a->nheld)
		give_back(a, a->nheld - 1);
}

/* ---- scenarios ---- */

/* The setup takes @n frames on @cpu and holds them through the run. */
static void setup_hold(int cpu, unsigned int n)
{
	void *p;

	lab_shim_set_cpu(cpu);
	while (n--) {
		p = labyrinth_pool_alloc(pool);
		if (!p)
			die("%s: setup could not take a frame\n", sc->name);
		claim(HOLDER, p, "setup");
		hold(HOLDER, p);
	}
	lab_shim_set_cpu(0);
}

static void one_pair(struct actor *a)
{
	if (grant(a))
		give_back(a, a->nheld - 1);
}

static void pair(struct actor *a)
{
	int i;

	for (i = 0; i < (a->arg ?: 1); i++)
		one_pair(a);
}

/* Pairs with a wait for growth after each, as time passing would give. */
static void pair_wait(struct actor *a)
{
	int i;

	for (i = 0; i < a->arg; i++) {
		one_pair(a);
		wait_growth();
	}
}

static void grant_hold(struct actor *a)
{
	int i;

	for (i = 0; i < (a->arg ?: 1); i++)
		grant(a);
}

/* The setup's last frame becomes @a's. */
static void adopt_one(struct actor *a)
{
	void *p = holder_held[--holder_nheld];

	frame_of(p)->owner = a - act;
	a->held[a->nheld++] = p;
}

/* Frees the frame the setup took last, as its owner. */
static void free_held_by_setup(struct actor *a)
{
	adopt_one(a);
	give_back(a, a->nheld - 1);
}

static void free_then_grant(struct actor *a)
{
	free_held_by_setup(a);
	grant(a);
}

static void bulk_pair(struct actor *a)
{
	unsigned int list[MAX_HELD], i, n = grant_bulk(a, a->arg);

	for (i = 0; i < n; i++)
		list[i] = i;
	give_back_bulk(a, list, n);
}

/* Adopt the holder's frames: they become this actor's to free. */
static void adopt_all(struct actor *a)
{
	while (holder_nheld)
		adopt_one(a);
}

/* Frees {A, B, A} (or {A, A, B} with arg 1): the repeat must be refused. */
static void bulk_free_repeat(struct actor *a)
{
	static const unsigned int spread[] = { 0, 1, 0 }, together[] = { 0, 0, 1 };

	adopt_all(a);
	give_back_bulk(a, a->arg ? together : spread, 3);
}

static void misuse(struct actor *a)
{
	void *p = grant(a), *never;
	int stack_var;

	never = (void *)pool->frame_addr[pool->regions[0].first + 1];
	if (p) {
		give_back(a, a->nheld - 1);
		stray_free(a, p, -EALREADY);
	}
	stray_free(a, never, -EALREADY);
	stray_free(a, &stack_var, -EINVAL);
	stray_free(a, NULL, -EINVAL);
}

static bool second_segment(struct actor *a)
{
	/* a predicate runs inside the scheduler: no switch points here */
	return __atomic_load_n(&pool->nr_segments, __ATOMIC_RELAXED) >= 2;
}

/* Waits for growth's segment to be findable, then frees its first frame. */
static void stray_free_new_frame(struct actor *a)
{
	wait_until(second_segment, "segment published");
	stray_free(a, (void *)pool->segments[1].chunks[0].start, -EALREADY);
}

static void kick_growth(void)
{
	queue_work(system_wq, &pool->grow_work);
}

static void setup_hold_all_and_kick(void)
{
	setup_hold(0, pool->nr_frames);
	kick_growth();
}

static void setup_hold_all(void)
{
	setup_hold(0, pool->nr_frames);
}

static void setup_hold_home0(void)
{
	setup_hold(0, pool->regions[0].backed);
}

/* Take frames until NULL, waiting for growth after each NULL, @arg times. */
static void grant_through_growth(struct actor *a)
{
	int i;

	for (i = 0; i < a->arg; i++)
		if (!grant(a))
			wait_growth();
}

/* A grant that finds every frame owned (and kicks growth), then the last free. */
static void grant_then_free_held(struct actor *a)
{
	if (grant(a))
		give_back(a, a->nheld - 1);
	free_held_by_setup(a);
}

static bool pool_unowned(struct actor *a)
{
	unsigned int w;

	for (w = 0; w < BITS_TO_LONGS(pool->nr_bits); w++)
		if (pool->bitmap[w])
			return false;
	return true;
}

/* Destroys once @until holds: the destroy must succeed. */
static void destroy_once(struct actor *a, bool (*until)(struct actor *a), const char *what)
{
	int ret;

	wait_until(until, what);
	a->call = "labyrinth_pool_destroy";
	ret = labyrinth_pool_destroy(pool);
	a->call = NULL;
	if (ret)
		violation("destroy once nothing is %s returned %d", what, ret);
	else
		pool_gone = true;
}

static void destroy_when_unowned(struct actor *a)
{
	destroy_once(a, pool_unowned, "owned");
}

/* ---- the background wipe (scenarios with zeroes) ---- */

/* A frame written and freed before the run: the wipe is queued for it. */
static void setup_dirty_one(void)
{
	void *p = labyrinth_pool_alloc(pool);

	if (!p)
		die("%s: setup could not take a frame\n", sc->name);
	memset(p, 0x5e, PAGE_SIZE);
	if (labyrinth_pool_free(pool, p))
		die("%s: setup could not free its frame\n", sc->name);
	if (!pool->wipe_work.work.pending)
		die("%s: a free under init_on_alloc queued no wipe\n", sc->name);
}

static void setup_dirty_one_hold_one(void)
{
	setup_dirty_one();
	setup_hold(1, 1);
}

/* The setup's frame becomes @a's; it writes it and frees it. */
static void write_and_free_held(struct actor *a)
{
	adopt_one(a);
	memset(a->held[a->nheld - 1], 0xc0, PAGE_SIZE);
	give_back(a, a->nheld - 1);
}

static bool clients_hold_nothing(struct actor *a)
{
	unsigned int s;

	for (s = 0; s < NR_SLOTS; s++)
		if (frames[s].owner != NOBODY || frames[s].freeing)
			return false;
	return true;
}

/* Destroys once no client holds a frame, whatever the wipe holds. */
static void destroy_when_clients_done(struct actor *a)
{
	destroy_once(a, clients_hold_nothing, "held by a client");
}

/* Growth to the last segment: the setup takes it to 15 of 16. */
static void setup_near_last_segment(void)
{
	setup_hold_all();
	while (pool->nr_segments < LABYRINTH_MAX_SEGMENTS - 1) {
		kick_growth();
		lab_shim_flush_workqueue();
		setup_hold(0, pool->backed_frames - holder_nheld);
	}
}

/* Memory pressure: each growth step may take one page, and time moves on. */
static bool pressure;

static void one_page_per_step(void)
{
	lab_explore_jiffies += LABYRINTH_GROW_BACKOFF;
	lab_shim_page_budget = pressure ? 1 : -1;
}

static void setup_pressure(void)
{
	pressure = true;
	setup_hold_all();
}

/* Once the pressure ends, growth must still reach the cap. */
static void check_reaches_cap(void)
{
	unsigned int step;

	pressure = false;
	lab_shim_page_budget = -1;
	for (step = 0; step < LABYRINTH_MAX_SEGMENTS &&
	     pool->backed_frames < pool->max_frames; step++) {
		lab_explore_jiffies += LABYRINTH_GROW_BACKOFF;
		kick_growth();
		lab_shim_flush_workqueue();
	}
	if (pool->backed_frames < pool->max_frames)
		violation("after the pressure the pool is stuck at %u of %u frames, %u segments",
			  pool->backed_frames, pool->max_frames, pool->nr_segments);
}

/* With at most one frame owned at a time, growth needs at most one step. */
static void check_no_needless_growth(void)
{
	struct labyrinth_stats st;

	labyrinth_pool_read_stats(pool, &st);
	if (work_runs > 1 || pool->nr_segments > 2)
		violation("%u growth steps (%u segments) with at most one frame owned at once",
			  work_runs, pool->nr_segments);
	if (st.steals > 1)
		violation("%llu steals with at most one frame owned at once", st.steals);
}

/* A stale back-off stamp, more than half the jiffies range old: growth must run. */
static void setup_stale_backoff(void)
{
	setup_hold_all();
	pool->grow_failed_at = lab_explore_jiffies - (ULONG_MAX / 2 + 1) -
			       2 * LABYRINTH_GROW_BACKOFF;
}

static void check_grew(void)
{
	if (pool->backed_frames == pool->nr_frames)
		violation("the pool never grew: a stale back-off stamp held growth back");
}

#define CFG(n, max)	{ .name = "explore", .nr_frames = (n), .max_frames = (max) }

/* a device that reaches everything, for DMA-mapped pools */
static u64 explore_dma_mask = ~0ULL;
static struct device explore_dev = { .name = "explore", .dma_mask = &explore_dma_mask };

#define CFG_DMA(n, max)							\
	{ .name = "explore", .nr_frames = (n), .max_frames = (max),		\
	  .flags = LABYRINTH_POOL_DMA_MAP, .dma_dev = &explore_dev,		\
	  .dma_dir = DMA_FROM_DEVICE }

static const struct scenario scenarios[] = {
	{
		.name = "pairs-home-full",
		.about = "grant/free pairs on 2 CPUs from their own home regions, NMI on CPU 0",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(4, 0),
		.actors = { { "cpu0", 0, pair, 1 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi0", 0, pair, 1 },
	},
	{
		.name = "pairs-home-empty",
		.about = "CPU 0's home region held: its grants steal; CPU 1 grants and frees",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(4, 0),
		.setup = setup_hold_home0,
		.actors = { { "cpu0", 0, pair, 2 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi1", 1, pair, 1 },
	},
	{
		.name = "steal-vs-free",
		.about = "every frame held; CPU 1 frees one and grants, CPU 0 steals",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(2, 0),
		.setup = setup_hold_all,
		.actors = { { "cpu0", 0, grant_hold, 1 }, { "cpu1", 1, free_then_grant, 0 } },
		.nmi = { "nmi0", 0, grant_hold, 1 },
	},
	{
		.name = "bulk-vs-single",
		.about = "bulk grant and bulk free of 3 against single grants, NMI on CPU 1",
		.bound = 2, .cpus = 2, .online = 2, .cfg = CFG(4, 0),
		.actors = { { "cpu0", 0, bulk_pair, 3 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi1", 1, pair, 1 },
	},
	{
		.name = "bulk-free-repeat-one-word",
		.about = "bulk free {A, A, B} with A and B in one word, against a grant",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(4, 0),
		.setup = setup_hold_home0,
		.actors = { { "cpu0", 0, bulk_free_repeat, 1 }, { "cpu1", 1, grant_hold, 3 } },
		.nmi = { "nmi0", 0, grant_hold, 1 },
	},
	{
		.name = "bulk-free-repeat-two-words",
		.about = "bulk free {A, B, A} with A and B in different words, against grants",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(2, 0),
		.setup = setup_hold_all,
		.actors = { { "cpu0", 0, bulk_free_repeat, 0 }, { "cpu1", 1, grant_hold, 2 } },
		.nmi = { "nmi0", 0, grant_hold, 1 },
	},
	{
		.name = "stray-and-double-frees",
		.about = "double, never-granted, foreign and NULL frees against grant/free pairs",
		.bound = 2, .cpus = 2, .online = 2, .cfg = CFG(4, 0),
		.actors = { { "cpu0", 0, misuse, 0 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi1", 1, pair, 1 },
	},
	{
		.name = "growth-vs-grants",
		.about = "every frame held; grants on both CPUs and an NMI while growth runs",
		.bound = 2, .cpus = 2, .online = 2, .cfg = CFG(2, 8),
		.setup = setup_hold_all, .kworker = true,
		.actors = { { "cpu0", 0, pair, 1 }, { "cpu1", 1, grant_hold, 1 } },
		.nmi = { "nmi0", 0, pair, 1 },
	},
	{
		.name = "growth-dma-mapped",
		.about = "a DMA-mapped pool grows under grants: each frame granted has its mapping",
		.bound = 2, .cpus = 2, .online = 2, .cfg = CFG_DMA(2, 8),
		.setup = setup_hold_all, .kworker = true,
		.actors = { { "cpu0", 0, pair, 1 }, { "cpu1", 1, grant_hold, 1 } },
		.nmi = { "nmi0", 0, pair, 1 },
	},
	{
		.name = "growth-window-stray-free",
		.about = "a free of a frame growth is still publishing, never granted",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(2, 8),
		.setup = setup_hold_all_and_kick, .kworker = true,
		.actors = { { "cpu1", 1, stray_free_new_frame, 0 } },
	},
	{
		.name = "growth-last-segment",
		.about = "grants kick growth while its last step runs, and after",
		.bound = 2, .cpus = 1, .online = 1, .cfg = CFG(1, 16),
		.setup = setup_near_last_segment, .kworker = true,
		.actors = { { "cpu0", 0, grant_through_growth, 2 }, { "irq0", 0, grant_hold, 1 } },
		.nmi = { "nmi0", 0, grant_hold, 1 },
	},
	{
		.name = "growth-partial",
		.about = "one page per growth step, then no limit: the cap stays reachable",
		.bound = 2, .cpus = 1, .online = 1, .cfg = CFG(2, 32),
		.setup = setup_pressure, .kworker = true, .before_work = one_page_per_step,
		.quiescent = check_reaches_cap,
		.actors = { { "cpu0", 0, grant_through_growth, 32 } },
	},
	{
		.name = "growth-stale-backoff",
		.about = "a back-off stamp older than half the jiffies range holds nothing back",
		.bound = 2, .cpus = 1, .online = 1, .cfg = CFG(2, 8),
		.setup = setup_stale_backoff, .kworker = true, .quiescent = check_grew,
		.actors = { { "cpu0", 0, grant_through_growth, 2 } },
	},
	{
		.name = "hotplug-no-home",
		.about = "CPU 1 onlined after create: grant/free pairs neither steal nor grow",
		.bound = 2, .cpus = 2, .online = 1, .cfg = CFG(2, 64),
		.kworker = true, .quiescent = check_no_needless_growth,
		.actors = { { "cpu1", 1, pair_wait, 3 } },
		.nmi = { "nmi1", 1, pair, 1 },
	},
	{
		.name = "tiny-pool-empty-home",
		.about = "1 frame on 2 CPUs, growable: CPU 1's empty home grows once",
		.bound = 2, .cpus = 2, .online = 2, .cfg = CFG(1, 64),
		.kworker = true, .quiescent = check_no_needless_growth,
		.actors = { { "cpu1", 1, pair_wait, 3 } },
	},
	{
		.name = "bulk-two-words",
		.about = "66 frames homed on CPU 0, adopted by CPU 1: bulk over two words vs pairs",
		.bound = 2, .cpus = 2, .online = 1, .cfg = CFG(66, 0),
		.actors = { { "cpu0", 0, bulk_pair, 65 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi1", 1, pair, 1 },
	},
	{
		.name = "destroy-while-growing",
		.about = "a NULL grant kicks growth, then the last free and destroy race the step",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(1, 8),
		.setup = setup_hold_all, .kworker = true,
		.actors = { { "cpu0", 0, grant_then_free_held, 0 },
			    { "cpu1", 1, destroy_when_unowned, 0 } },
	},
	{
		.name = "wipe-vs-pairs",
		.about = "init_on_alloc: pairs on two CPUs and an NMI while the wipe runs",
		.zeroes = true, .bound = 2, .cpus = 2, .online = 2, .cfg = CFG(3, 0),
		.setup = setup_dirty_one, .kworker = true,
		.actors = { { "cpu0", 0, pair, 1 }, { "cpu1", 1, pair, 1 } },
		.nmi = { "nmi0", 0, one_pair, 0 },
	},
	{
		.name = "wipe-disarm-vs-free",
		.about = "init_on_alloc: a free lands while the wipe finds nothing and disarms",
		.zeroes = true, .bound = 3, .cpus = 2, .online = 2, .cfg = CFG(2, 0),
		.setup = setup_dirty_one_hold_one, .kworker = true,
		.actors = { { "cpu1", 1, write_and_free_held, 0 } },
	},
	{
		.name = "wipe-vs-destroy",
		.about = "init_on_alloc: the last free arms the wipe as destroy starts",
		.zeroes = true, .bound = 2, .cpus = 2, .online = 2, .cfg = CFG(2, 0),
		.setup = setup_dirty_one_hold_one, .kworker = true,
		.actors = { { "cpu1", 1, write_and_free_held, 0 },
			    { "cpu0", 0, destroy_when_clients_done, 0 } },
	},
	{
		.name = "destroy-after-last-free",
		.about = "CPU 1 frees the last frame; CPU 0 sees the pool unowned and destroys it",
		.bound = 3, .cpus = 2, .online = 2, .cfg = CFG(1, 0),
		.setup = setup_hold_all,
		.actors = { { "cpu1", 1, free_held_by_setup, 0 },
			    { "cpu0", 0, destroy_when_unowned, 0 } },
	},
};

/* ---- one run ---- */

static void add_actor(const struct actor_spec *spec, bool nmi, bool kw)
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

/* At rest, with the wipe drained, every free frame has been cleared. */
static void check_all_wiped(void)
{
	long index[NR_SLOTS];
	unsigned int k, n = backed_indices(index);
	const unsigned char *b;

	for (k = 0; k < n; k++) {
		if (bit_set(index[k]))
			continue;
		b = (const unsigned char *)pool->frame_addr[index[k]];
		if (!clean_set(index[k]) || b[0] || memcmp(b, b + 1, PAGE_SIZE - 1))
			violation("at rest, free frame %ld is not wiped (clean bit %d)", index[k],
				  clean_set(index[k]));
	}
}

/* Quiescence: counters, owned count and owner table agree. */
static void check_quiescent(void)
{
	struct labyrinth_stats st;
	unsigned int owners = 0, s;
	bool tainted = false;

	if (pool_gone)
		return;
	for (s = 0; s < NR_SLOTS; s++) {
		owners += frames[s].owner != NOBODY;
		tainted |= frames[s].tainted;
	}
	labyrinth_pool_read_stats(pool, &st);
	if (tainted)
		return;
	if (st.owned != owners || st.grants - st.frees != owners)
		violation("at rest: owned %llu, grants - frees %llu, owner table %u", st.owned,
			  st.grants - st.frees, owners);
	if (sc->zeroes)
		check_all_wiped();
	if (sc->quiescent && !run_failed)
		sc->quiescent();
}

static void teardown(void)
{
	int i, ret;

	if (pool_gone)
		goto leaks;
	if (run_failed) {
		/* the actors stopped anywhere: forget the work, free what can be */
		while (wq_n)
			wq_fifo[--wq_n]->pending = false;
		wq_running = NULL;
		labyrinth_pool_abandon(pool);
		return;
	}
	lab_shim_set_cpu(0);
	for (i = 0; i < nr_act; i++)
		while (act[i].nheld)
			if (labyrinth_pool_free(pool, drop_held(&act[i], 0)))
				violation("at the end, a held frame was refused");
	while (holder_nheld)
		if (labyrinth_pool_free(pool, holder_held[--holder_nheld]))
			violation("at the end, a frame the setup held was refused");
	ret = labyrinth_pool_destroy(pool);
	if (ret)
		violation("at the end, destroy returned %d", ret);
leaks:
	if (lab_shim_pages_live != pages_before || lab_shim_allocs_live != allocs_before)
		violation("the end left %ld pages and %ld blocks behind",
			  lab_shim_pages_live - pages_before, lab_shim_allocs_live - allocs_before);
}

static void run_once(void)
{
	int alts[MAX_ACTORS], i, first;
	unsigned int n = 0;

	memset(frames, 0, sizeof(frames));
	for (i = 0; i < NR_SLOTS; i++) {
		frames[i].owner = NOBODY;
		frames[i].index = -1;
	}
	holder_nheld = 0;
	nr_act = 0;
	nmi_idx = -1;
	nmi_fired = false;
	in_nmi = false;
	run_failed = false;
	pool_gone = false;
	wq_n = 0;
	wq_running = NULL;
	work_runs = 0;
	pressure = false;
	lab_shim_page_budget = -1;
	lab_explore_jiffies = JIFFIES_START;
	depth = 0;
	preempts = 0;
	steps = 0;

	allocs_before = lab_shim_allocs_live;
	pages_before = lab_shim_pages_live;
	lab_shim_registry_start(NR_SLOTS);
	nr_cpu_ids = sc->cpus;
	lab_shim_nr_online = sc->online;
	lab_shim_init_on_alloc = sc->zeroes;
	lab_shim_set_cpu(0);
	pool = labyrinth_pool_create_config(&sc->cfg);
	if (IS_ERR(pool))
		die("%s: create failed: %ld\n", sc->name, PTR_ERR(pool));
	lab_shim_nr_online = sc->cpus;	/* the rest come online now */
	pool_mem[0] = pool;
	pool_mem[1] = pool->pcpu;
	pool_mem[2] = pool->regions;
	pool_mem[3] = pool->bitmap;
	pool_mem[4] = pool->frame_addr;
	pool_mem[5] = pool->frame_table;
	if (sc->setup)
		sc->setup();

	for (i = 0; sc->actors[i].fn; i++)
		add_actor(&sc->actors[i], false, false);
	if (sc->kworker)
		add_actor(NULL, false, true);
	if (sc->nmi.fn)
		add_actor(&sc->nmi, true, false);

	exploring = true;
	cur = -1;
	for (i = 0; i < nr_act; i++)
		if (i != nmi_idx)
			alts[n++] = i;
	first = decide(alts, n, "start");
	act[first].state = RUNNABLE;
	cur = first;
	lab_shim_set_cpu(act[first].cpu);
	swapcontext(&main_ctx, &act[first].ctx);
	exploring = false;
	lab_shim_set_cpu(0);
	for (i = 0; i < nr_act && !run_failed; i++)
		if (act[i].state != DONE && !act[i].nmi)
			violation("%s never finished", act[i].name);
	if (!run_failed)
		check_quiescent();
	teardown();
	lab_shim_registry_stop();
}

/* Next schedule: the deepest decision with an alternative left. */
static bool next_schedule(void)
{
	while (depth > 0) {
		struct decision *d = &trail[depth - 1];

		if (d->chosen + 1 < d->n) {
			d->chosen++;
			prefix_len = depth;
			return true;
		}
		depth--;
	}
	return false;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int explore(const struct scenario *s, unsigned long limit)
{
	double t = now();
	unsigned int max_depth = 0;

	sc = s;
	schedule_nr = 0;
	prefix_len = 0;
	do {
		schedule_nr++;
		run_once();
		if (depth > max_depth)
			max_depth = depth;
		if (run_failed)
			break;
		if (limit && schedule_nr >= limit) {
			printf("limit: %s stopped after %lu schedules\n", s->name, limit);
			break;
		}
	} while (next_schedule());
	printf("scenario %-28s %8lu schedules  bound %u  nmi %-5s  %3u decisions max",
	       s->name, schedule_nr, s->bound, s->nmi.fn ? s->nmi.name : "none", max_depth);
	printf("  %d violations  %.1f s\n", run_failed, now() - t);
	fflush(stdout);
	return run_failed;
}

static int list_scenarios(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		printf("%-28s bound %u: %s\n", scenarios[i].name, scenarios[i].bound,
		       scenarios[i].about);
	return 0;
}

static int bad_arguments(void)
{
	fprintf(stderr, "explore [--scenario NAME] [--limit N] [--extra-bound K] [--list]\n");
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long limit = 0;
	const char *only = NULL;
	unsigned int i, failed = 0, ran = 0;
	int extra_bound = 0;

	for (i = 1; i < (unsigned int)argc; i++) {
		bool more = i + 1 < (unsigned int)argc;

		if (!strcmp(argv[i], "--list"))
			return list_scenarios();
		if (more && !strcmp(argv[i], "--scenario"))
			only = argv[++i];
		else if (more && !strcmp(argv[i], "--limit"))
			limit = strtoul(argv[++i], NULL, 0);
		else if (more && !strcmp(argv[i], "--extra-bound"))
			extra_bound = atoi(argv[++i]);
		else
			return bad_arguments();
	}
	signal(SIGFPE, on_signal);
	signal(SIGSEGV, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGILL, on_signal);
	__sanitizer_set_death_callback(on_sanitizer_death);
	lab_shim_quiet = true;
	for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
		struct scenario s = scenarios[i];

		if (only && strcmp(only, s.name))
			continue;
		s.bound += extra_bound;
		failed += explore(&s, limit);
		ran++;
	}
	if (!ran)
		die("no scenario named %s\n", only);
	printf("total: %u scenarios, %u with violations\n", ran, failed);
	return failed ? 1 : 0;
}
