/* SPDX-License-Identifier: GPL-2.0 */
/*
 * labyrinth torture engine, shared by the labyrinth_torture module and the
 * labyrinth_torture KUnit suite.  See torture/engine.c.
 */
#ifndef _LABYRINTH_TORTURE_H
#define _LABYRINTH_TORTURE_H

#include <linux/types.h>
#include "../labyrinth.h"

/**
 * enum labyrinth_torture_ctx - contexts the torture grants and frees from
 * @LABYRINTH_TORTURE_THREAD: a kthread per online CPU (process context)
 * @LABYRINTH_TORTURE_SOFTIRQ: a tasklet per online CPU
 * @LABYRINTH_TORTURE_HARDIRQ: an hrtimer in hard mode per online CPU
 * @LABYRINTH_TORTURE_NMI: NMI IPIs, to self and to other CPUs
 * @LABYRINTH_TORTURE_NR_CTX: number of contexts
 */
enum labyrinth_torture_ctx {
	LABYRINTH_TORTURE_THREAD,
	LABYRINTH_TORTURE_SOFTIRQ,
	LABYRINTH_TORTURE_HARDIRQ,
	LABYRINTH_TORTURE_NMI,
	LABYRINTH_TORTURE_NR_CTX,
};

/**
 * enum labyrinth_torture_fault - what the torture counts as a fault
 * @LABYRINTH_TORTURE_DOUBLE_GRANT: a frame granted while another owner held it
 * @LABYRINTH_TORTURE_CANARY: an owner's identity or pattern damaged in its page
 * @LABYRINTH_TORTURE_STALE: a grant that still held the previous owner's bytes
 *	although the kernel runs with init_on_alloc or init_on_free
 * @LABYRINTH_TORTURE_OWNER: owner table and page disagree, or a granted
 *	address that is not a direct-mapped page
 * @LABYRINTH_TORTURE_REFUSED: a valid free refused
 * @LABYRINTH_TORTURE_MISUSE: a deliberate bad free accepted or refused with
 *	the wrong error code
 * @LABYRINTH_TORTURE_DUEL: two racing frees of one frame that did not end
 *	with exactly one success
 * @LABYRINTH_TORTURE_LEAK: a frame still owned after every owner gave its
 *	frames back, or a pool that refused to be destroyed
 * @LABYRINTH_TORTURE_COUNTERS: pool statistics that disagree with what the
 *	torture did
 * @LABYRINTH_TORTURE_RESERVE: an idle pool that returned NULL before every
 *	reserved frame was granted
 * @LABYRINTH_TORTURE_NR_FAULTS: number of fault kinds
 */
enum labyrinth_torture_fault {
	LABYRINTH_TORTURE_DOUBLE_GRANT,
	LABYRINTH_TORTURE_CANARY,
	LABYRINTH_TORTURE_STALE,
	LABYRINTH_TORTURE_OWNER,
	LABYRINTH_TORTURE_REFUSED,
	LABYRINTH_TORTURE_MISUSE,
	LABYRINTH_TORTURE_DUEL,
	LABYRINTH_TORTURE_LEAK,
	LABYRINTH_TORTURE_COUNTERS,
	LABYRINTH_TORTURE_RESERVE,
	LABYRINTH_TORTURE_NR_FAULTS,
};

/**
 * struct labyrinth_torture_config - one torture run
 * @duration: seconds of torture, at least 1
 * @nr_pages: frames of the pool under torture, at least 1
 * @max_pages: growth cap of that pool, 0 for a fixed reserve
 * @progress: seconds between progress lines, 0 for none
 * @onoff: milliseconds of one CPU offline/online cycle done by the engine
 *	itself (remove_cpu()/add_cpu()), 0 for none
 * @hog_slack: pages above the zones' high watermarks the memory hog leaves
 *	free once allocation failed
 * @nmi: send NMI IPIs, where the architecture allows
 * @hog: after a third of @duration, take every free page the page allocator
 *	gives (GFP_KERNEL | __GFP_NORETRY) and hold them to the end, less what
 *	@hog_slack leaves
 */
struct labyrinth_torture_config {
	unsigned int duration;
	unsigned int nr_pages;
	unsigned int max_pages;
	unsigned int progress;
	unsigned int onoff;
	unsigned int hog_slack;
	bool nmi;
	bool hog;
};

/**
 * struct labyrinth_torture_result - what one run did and found
 * @ops: steps run in each context
 * @grants: frames granted in each context
 * @frees: frames freed in each context, handed-over frames included
 * @handoffs: frames handed to another CPU's list to be freed there
 * @bulk_grants: bulk grant calls
 * @bulk_frees: bulk free calls
 * @nulls: grants that returned NULL, and bulk grants that came back short
 * @bursts: times a kthread took every frame it could get, then gave them back
 * @misuse: deliberate bad frees tried
 * @duel_frames: frames freed by two CPUs at once
 * @faults: sum of @fault
 * @fault: faults of each kind, see &enum labyrinth_torture_fault
 * @stats: the tortured pool's statistics after the run
 * @reserve_granted: frames granted by the reserve checks, before the run
 *	and after it (under memory pressure when the hog ran)
 * @reserve_frames: frames the pool had when each reserve check began (it
 *	may grow while the check drains it)
 * @hog_pages: pages the memory hog held at the end
 * @hog_free_pages: free pages in the system once the hog held them
 * @nmi_sent: NMI IPIs sent
 * @nmi_skipped: why no NMI was sent, or NULL
 * @onoff_cycles: CPU offline/online cycles done by the engine
 * @cpus: present CPUs, each with a kthread, a tasklet and an hrtimer
 */
struct labyrinth_torture_result {
	unsigned long ops[LABYRINTH_TORTURE_NR_CTX];
	unsigned long grants[LABYRINTH_TORTURE_NR_CTX];
	unsigned long frees[LABYRINTH_TORTURE_NR_CTX];
	unsigned long handoffs;
	unsigned long bulk_grants;
	unsigned long bulk_frees;
	unsigned long nulls;
	unsigned long bursts;
	unsigned long misuse;
	unsigned long duel_frames;
	unsigned long faults;
	unsigned long fault[LABYRINTH_TORTURE_NR_FAULTS];
	struct labyrinth_stats stats;
	unsigned int reserve_granted[2];
	unsigned int reserve_frames[2];
	unsigned long hog_pages;
	unsigned long hog_free_pages;
	unsigned long nmi_sent;
	const char *nmi_skipped;
	unsigned int onoff_cycles;
	unsigned int cpus;
};

int labyrinth_torture_run(const struct labyrinth_torture_config *config,
			  struct labyrinth_torture_result *result);

#endif /* _LABYRINTH_TORTURE_H */
