/* SPDX-License-Identifier: GPL-2.0 */
/*
 * explore: every interleaving of a few actors on labyrinth's pool, up to a
 * preemption bound, checked step by step.  This header is what the
 * explorer's files share: its types, its state and its prototypes.
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
 *
 * sched.c is the scheduler and what the pool waits on (RCU, the
 * workqueue); checks.c the owner table and the checks; actors.c the
 * actors' calls and bodies; scenarios.c the scenarios; main.c one run,
 * the walk over schedules and the command line.
 */
#ifndef _EXPLORE_H
#define _EXPLORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

/* the shims, in the order the pool's headers expect them */
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

/* main.c: the scenario being explored */
extern const struct scenario *sc;

/* sched.c: the actors, the schedule so far, the workqueue */
extern struct actor act[MAX_ACTORS];
extern int nr_act, cur, nmi_idx;
extern bool nmi_fired, in_nmi, exploring, run_failed;
extern ucontext_t main_ctx;
extern unsigned long steps;
extern struct decision trail[MAX_DEPTH];
extern unsigned int depth, prefix_len, preempts;
extern unsigned long schedule_nr;
extern struct work_struct *wq_fifo[8];
extern unsigned int wq_n;
extern struct work_struct *wq_running;
extern unsigned int work_runs;

const char *who(int i);
void print_schedule(FILE *out);
__printf(1, 2) void violation(const char *fmt, ...);
void die(const char *fmt, ...);
int decide(const int *alts, unsigned int n, const char *what);
void wait_until(bool (*until)(struct actor *a), const char *what);
void wait_growth(void);
void add_actor(const struct actor_spec *spec, bool nmi, bool kw);

/* checks.c: the pool under test and the owner table */
extern struct labyrinth_pool *pool;
extern bool pool_gone;
extern const void *pool_mem[6];
extern struct frame frames[NR_SLOTS];
extern void *holder_held[MAX_HELD];
extern unsigned int holder_nheld;

struct frame *frame_of(const void *addr);
void check_step(void);
void claim(int who_id, void *addr, const char *call);
void hold(int who_id, void *addr);
void grant_begin(struct actor *a, const char *call);
void grant_end(struct actor *a, void **got, unsigned int nr, unsigned int want);
void check_quiescent(void);

/* actors.c: the actors' calls and the bodies the scenarios name */
void *grant(struct actor *a);
void *drop_held(struct actor *a, unsigned int i);
void give_back(struct actor *a, unsigned int i);
void one_pair(struct actor *a);
void pair(struct actor *a);
void pair_wait(struct actor *a);
void grant_hold(struct actor *a);
void free_held_by_setup(struct actor *a);
void free_then_grant(struct actor *a);
void bulk_pair(struct actor *a);
void bulk_free_repeat(struct actor *a);
void misuse(struct actor *a);
void stray_free_new_frame(struct actor *a);
void grant_through_growth(struct actor *a);
void grant_then_free_held(struct actor *a);
void destroy_when_unowned(struct actor *a);
void write_and_free_held(struct actor *a);
void destroy_when_clients_done(struct actor *a);

/* scenarios.c */
extern const struct scenario scenarios[];
extern const unsigned int nr_scenarios;
extern bool pressure;		/* reset by each run */

#endif
