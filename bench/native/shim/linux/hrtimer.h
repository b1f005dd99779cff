/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/hrtimer.h>: only what labyrinth_compat.h names; the pool
 * uses no timer.
 */
#ifndef _SHIM_LINUX_HRTIMER_H
#define _SHIM_LINUX_HRTIMER_H

typedef int clockid_t;
enum hrtimer_mode { HRTIMER_MODE_REL };
enum hrtimer_restart { HRTIMER_NORESTART };

struct hrtimer {
	enum hrtimer_restart (*function)(struct hrtimer *timer);
};

static inline void hrtimer_init(struct hrtimer *timer, clockid_t clock_id, enum hrtimer_mode mode)
{
}

static inline void hrtimer_init_on_stack(struct hrtimer *timer, clockid_t clock_id,
					 enum hrtimer_mode mode)
{
}

#endif
