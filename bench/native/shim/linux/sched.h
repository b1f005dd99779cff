/* SPDX-License-Identifier: GPL-2.0 */
/* Shim of <linux/sched.h>: the OS scheduler preempts threads by itself. */
#ifndef _SHIM_LINUX_SCHED_H
#define _SHIM_LINUX_SCHED_H

static inline void cond_resched(void)
{
}

#endif
