/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/irq_work.h>.  In the kernel irq_work_queue() claims the
 * work and raises a self-IPI, which on x86 with interrupts on is taken
 * right after the call.  Here the callback runs at once, inside
 * irq_work_queue(), on the calling thread: the same "interrupt nested in
 * the caller" it would be.  The flag protocol is the kernel's: PENDING
 * from claim until the callback starts, BUSY until it has returned.
 */
#ifndef _SHIM_LINUX_IRQ_WORK_H
#define _SHIM_LINUX_IRQ_WORK_H

#include <sched.h>
#include <linux/types.h>

#define IRQ_WORK_PENDING	1U
#define IRQ_WORK_BUSY		2U

struct irq_work {
	unsigned int flags;
	void (*func)(struct irq_work *work);
};

/* the kernel's, from 5.11; labyrinth_compat.h supplies it for 5.10 */
#define IRQ_WORK_INIT_HARD(fn)	((struct irq_work){ .flags = 0, .func = (fn) })

static inline void init_irq_work(struct irq_work *work, void (*func)(struct irq_work *))
{
	work->flags = 0;
	work->func = func;
}

static inline bool irq_work_queue(struct irq_work *work)
{
	unsigned int flags;

	LAB_SWITCH("irq_work_queue");
	if (__atomic_fetch_or(&work->flags, IRQ_WORK_PENDING | IRQ_WORK_BUSY,
			      __ATOMIC_SEQ_CST) & IRQ_WORK_PENDING)
		return false;	/* already queued: it will run */
	flags = __atomic_and_fetch(&work->flags, ~IRQ_WORK_PENDING, __ATOMIC_SEQ_CST);
	work->func(work);
	/* BUSY stays if the work was claimed again meanwhile */
	__atomic_compare_exchange_n(&work->flags, &flags, flags & ~IRQ_WORK_BUSY, false,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	return true;
}

static inline bool irq_work_is_pending(struct irq_work *work)
{
	LAB_SWITCH("irq_work_is_pending");
	return __atomic_load_n(&work->flags, __ATOMIC_RELAXED) & IRQ_WORK_PENDING;
}

#ifdef LAB_EXPLORE
void lab_explore_yield(void);	/* blocked: let the other actors run */
#define lab_irq_work_wait()	lab_explore_yield()
#else
#define lab_irq_work_wait()	sched_yield()
#endif

/* wait until the callback is not running anywhere */
static inline void irq_work_sync(struct irq_work *work)
{
	while (__atomic_load_n(&work->flags, __ATOMIC_ACQUIRE) & IRQ_WORK_BUSY)
		lab_irq_work_wait();
}

#endif
