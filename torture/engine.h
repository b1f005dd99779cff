/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the torture engine's files share, and nothing outside them sees:
 * the page and token layouts, the limits, a source, the run's state and
 * the functions one file calls in another.  engine.c says how the engine
 * works; labyrinth_torture.h is the interface to it.
 */
#ifndef _LABYRINTH_TORTURE_ENGINE_H
#define _LABYRINTH_TORTURE_ENGINE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/hash.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/prandom.h>
#include <linux/types.h>
#include "labyrinth_torture.h"

/* Page layout, in words: header, then the canary body. */
#define LT_WORDS	(PAGE_SIZE / sizeof(unsigned long))
#define LT_HDR_TOKEN	0	/* the owner's token */
#define LT_HDR_CHECK	1	/* token ^ LT_MAGIC */
#define LT_HDR_NODE	2	/* llist_node while handed to another CPU */
#define LT_BODY		4	/* first word of the pattern */
#define LT_SAMPLES	8	/* pattern words of a partial canary */
#define LT_MAGIC	((unsigned long)GOLDEN_RATIO_64 ^ 0x6c61627972696e74)
#define LT_MULT		((unsigned long)GOLDEN_RATIO_64)

/*
 * Token: context + 1 (never 0), whole-page flag, CPU, sequence number.
 * The context field keeps every token non-zero, as the owner table needs.
 */
#define LT_CTX_SHIFT	(BITS_PER_LONG - 3)
#define LT_WHOLE	BIT(BITS_PER_LONG - 4)
#define LT_CPU_SHIFT	(BITS_PER_LONG - 17)
#define LT_CPU_MASK	0x1fffUL
#define LT_SEQ_MASK	(BIT(LT_CPU_SHIFT) - 1)
#define LT_CONTROL	LABYRINTH_TORTURE_NR_CTX	/* the controlling thread */

#define LT_HOLD_MAX	48	/* frames one kthread may hold */
#define LT_BULK_MAX	8
#define LT_MISUSE_EVERY	256	/* one misuse per this many steps, on average */
#define LT_SOLO_FRAMES	4
#define LT_DUEL_FRAMES	64

/* Looks at an idle pool's reserve, 20 ms apart, while its wipe finishes. */
#define LT_RESERVE_LOOKS	10
#define LT_DUEL_EVERY	(HZ / 10)
#define LT_REPORTS	20	/* fault messages printed, the rest only counted */
#define LT_SPIN_US	100000	/* longest wait for another CPU in a duel */

/* Steps run by the last torture: written by the sole writer, read by anyone. */
struct lt_counts {
	unsigned long ops;
	unsigned long grants;
	unsigned long frees;
	unsigned long handoffs;
	unsigned long bulk_grants;
	unsigned long bulk_frees;
	unsigned long nulls;
	unsigned long misuse;
	unsigned long bursts;
	unsigned long nmi_sent;
};

struct lt_held {
	void *addr;
	unsigned long token;
	unsigned long until;	/* released once the source's ops reach this */
};

struct lt_torture;

/*
 * One source of grants and frees.  Only its own context touches it while
 * the torture runs (an NMI source is per CPU, and NMIs do not nest), so
 * nothing here needs a lock; the controller takes the held frames back
 * once every source has stopped.
 */
struct lt_source {
	struct lt_torture *t;
	unsigned int ctx;
	unsigned int home;
	unsigned int max_held;
	unsigned int hold_steps;
	unsigned int nr_held;
	unsigned long seq;
	struct rnd_state rnd;
	struct lt_counts c;
	struct labyrinth_pool *solo;	/* private: double frees are safe here */
	struct lt_held held[LT_HOLD_MAX];
	struct lt_held *burst;		/* thread: room for every frame */
	struct task_struct *task;	/* thread */
	bool unparked;			/* thread: changed under the hotplug lock */
	struct hrtimer timer;		/* hardirq */
	bool timer_ready;		/* hardirq: @timer is set up */
	unsigned int timer_cpu;		/* hardirq: CPU its timer last ran on */
	struct tasklet_struct tasklet;	/* softirq */
};

/* Owner table entry: @key is pfn + 1 once claimed and never changes. */
struct lt_slot {
	atomic_long_t key;
	atomic_long_t owner;
};

struct lt_duel {
	void *addr[LT_DUEL_FRAMES];
	int ret[2][LT_DUEL_FRAMES];
	unsigned int nr;
	int ready;
	int go;
	int done;
};

struct lt_torture {
	const struct labyrinth_torture_config *cfg;
	struct labyrinth_torture_result *res;
	struct labyrinth_pool *pool;
	struct labyrinth_pool *duel_pool;
	struct lt_slot *slots;
	unsigned long slot_mask;
	unsigned int slot_bits;
	struct llist_head *inbox;	/* by CPU: frames handed over to it */
	atomic_t *nmi_pending;		/* by CPU: one NMI of ours in flight */
	struct lt_source *src[LABYRINTH_TORTURE_NR_CTX];	/* by CPU */
	struct lt_source ctl;
	unsigned int *cpus;		/* CPUs with a kthread, in order */
	unsigned int nr_cpus;
	unsigned int cap;		/* most frames the pool can have */
	void **reserve;			/* room for every frame of the pool */
	bool zeroed;			/* grants must come back zeroed */
	bool nmi;
	bool nmi_registered;
	bool stop;
	atomic_long_t want_bad_addr;
	atomic_long_t want_foreign;
	atomic_long_t want_solo_double;
	atomic_long_t want_duel_double;
	atomic_long_t fault[LABYRINTH_TORTURE_NR_FAULTS];
	atomic_t reports;
	struct lt_duel duel;
	struct task_struct *onoff;
	unsigned int onoff_cycles;
	int cpuhp_state;		/* > 0 while the kthreads follow hotplug */
	struct hlist_node cpuhp_node;
	struct list_head hog;
	unsigned long hog_pages;
	bool hogged;
	u64 peak_owned;
};

/* A counter with one writer, read by the progress lines while it runs. */
static inline void lt_inc(unsigned long *counter)
{
	WRITE_ONCE(*counter, *counter + 1);
}

/* An owner for messages: "thread/1#1234" is the kthread of CPU 1, grant 1234. */
struct lt_who {
	char s[40];
};

extern const char * const lt_ctx_names[];

/* engine_own.c: the owner table, tokens and canaries */
__printf(3, 4) void lt_fault(struct lt_torture *t, enum labyrinth_torture_fault kind,
			     const char *fmt, ...);
const char *lt_who(struct lt_who *w, unsigned long token);
unsigned long lt_pfn(const void *addr);
unsigned long lt_token(struct lt_source *s, bool whole);
bool lt_take(struct lt_source *s, void *addr, unsigned long token);
bool lt_check(struct lt_source *s, void *addr, unsigned long token, bool release);
void lt_free(struct lt_source *s, void *addr, unsigned long token);
void lt_free_bulk(struct lt_source *s, void **addrs, unsigned int nr);

/* engine_sources.c: the sources, CPU hotplug */
void lt_receive(struct lt_source *s, unsigned int cpu);
void lt_init_source(struct lt_torture *t, struct lt_source *s, unsigned int ctx,
		    unsigned int cpu);
int lt_setup_source(struct lt_torture *t, unsigned int ctx, unsigned int cpu);
int lt_start(struct lt_torture *t);
void lt_stop(struct lt_torture *t);

/* engine_misuse.c: bad frees, the duel, the memory hog */
void lt_misuse(struct lt_source *s);
void lt_duel(struct lt_torture *t);
void lt_hog(struct lt_torture *t);
void lt_unhog(struct lt_torture *t);

#endif /* _LABYRINTH_TORTURE_ENGINE_H */
