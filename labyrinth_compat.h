/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences, kept in one place.  labyrinth builds against
 * Debian's 5.10, 6.1 and 6.12 kernels and in the 6.12 tree.
 */
#ifndef _LABYRINTH_COMPAT_H
#define _LABYRINTH_COMPAT_H

#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/preempt.h>
#include <linux/timer.h>
#include <linux/version.h>

#ifdef LINUX_VERSION_MAJOR	/* 5.10 has none */
#if LINUX_VERSION_MAJOR > 6 || (LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 13)
#define LABYRINTH_SINCE_6_13
#endif
#if LINUX_VERSION_MAJOR > 5 || LINUX_VERSION_PATCHLEVEL >= 16
#define LABYRINTH_SINCE_5_16
#endif
#endif

/*
 * Symbol namespaces are bare identifiers up to 6.12, written
 * EXPORT_SYMBOL_NS_GPL(sym, LABYRINTH) and MODULE_IMPORT_NS(LABYRINTH),
 * and string literals from 6.13.  6.1 stringifies the identifier with #,
 * so it cannot come from a macro there; from 6.13 the identifier is made
 * the literal instead, and the same source serves both.
 */
#ifdef LABYRINTH_SINCE_6_13
#define LABYRINTH "LABYRINTH"
#else
/*
 * 6.13 added hrtimer_setup(), which sets the callback with the rest, and
 * 6.15 removed hrtimer_init(): the new spelling, for the older kernels.
 */
static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}

static inline void hrtimer_setup_on_stack(struct hrtimer *timer,
					  enum hrtimer_restart (*function)(struct hrtimer *),
					  clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init_on_stack(timer, clock_id, mode);
	timer->function = function;
}
#endif

/*
 * 5.11 added irq_work_is_pending() and IRQ_WORK_INIT_HARD() together, and
 * in_hardirq(); 5.10 has the same flags in ->flags, and in_irq().
 */
#ifndef IRQ_WORK_INIT_HARD
static inline bool irq_work_is_pending(struct irq_work *work)
{
	return atomic_read(&work->flags) & IRQ_WORK_PENDING;
}

#define IRQ_WORK_INIT_HARD(fn)						\
	((struct irq_work){ .flags = ATOMIC_INIT(IRQ_WORK_HARD_IRQ), .func = (fn) })
#endif

#ifndef in_hardirq
#define in_hardirq()	in_irq()
#endif

/* 6.16 renamed from_timer() and destroy_timer_on_stack(). */
#ifndef timer_container_of
#define timer_container_of(var, callback_timer, field)	from_timer(var, callback_timer, field)
#define timer_destroy_on_stack(timer)	destroy_timer_on_stack(timer)
#endif

/*
 * kthread_create_on_cpu() is exported since 5.16 (with kthread_run_on_cpu());
 * before, kthread_bind() does the binding, and unpark keeps it on a CPU
 * that was online when the kthread was made.
 */
#ifndef LABYRINTH_SINCE_5_16
#include <linux/kthread.h>

static inline struct task_struct *
labyrinth_kthread_create_on_cpu(int (*threadfn)(void *data), void *data,
				unsigned int cpu, const char *namefmt)
{
	struct task_struct *p = kthread_create(threadfn, data, namefmt, cpu);

	if (!IS_ERR(p))
		kthread_bind(p, cpu);
	return p;
}

#define kthread_create_on_cpu labyrinth_kthread_create_on_cpu
#endif

#endif /* _LABYRINTH_COMPAT_H */
