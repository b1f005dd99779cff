/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/workqueue.h>: one kworker thread (shim.c, started on the
 * first queue_work()) runs queued items in order, in "process context";
 * under the explorer (-DLAB_EXPLORE) the kworker is an actor of its own
 * and explore/sched.c implements these functions.
 * Same contract as the kernel's: queueing a pending item does nothing and
 * returns false; an item is no longer pending once it starts, so it can be
 * queued again while it runs.  The kworker runs as CPU 0 for the per-CPU
 * shims (a work item that used this_cpu ops would share CPU 0 with the
 * harness's thread 0; the pool's growth work uses none).
 */
#ifndef _SHIM_LINUX_WORKQUEUE_H
#define _SHIM_LINUX_WORKQUEUE_H

#include <linux/types.h>

struct work_struct {
	bool pending;			/* under the shim's workqueue lock */
	struct work_struct *next;
	void (*func)(struct work_struct *work);
};

struct workqueue_struct;
extern struct workqueue_struct *system_wq;
/* one kworker serves both here: the pool only needs process context */
#define system_unbound_wq	system_wq

#define INIT_WORK(work, fn)				\
	do {						\
		(work)->pending = false;		\
		(work)->next = NULL;			\
		(work)->func = (fn);			\
	} while (0)

bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
bool flush_work(struct work_struct *work);
bool cancel_work_sync(struct work_struct *work);
/* harness hook: wait until no item is queued or running */
void lab_shim_flush_workqueue(void);

/*
 * Delayed work: the delay is not kept.  The pool's wipe only uses it to
 * batch frees; running it at once is one more interleaving, not a new one.
 */
struct delayed_work {
	struct work_struct work;
};

#define INIT_DELAYED_WORK(dwork, fn)	INIT_WORK(&(dwork)->work, (fn))
#define to_delayed_work(w)	((struct delayed_work *)(w))

static inline bool queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork,
				      unsigned long delay)
{
	return queue_work(wq, &dwork->work);
}

static inline bool cancel_delayed_work_sync(struct delayed_work *dwork)
{
	return cancel_work_sync(&dwork->work);
}

static inline bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}

#endif
