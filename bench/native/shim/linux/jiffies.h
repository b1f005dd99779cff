/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/jiffies.h>: a tick counter derived from CLOCK_MONOTONIC at
 * HZ=250, enough for the pool's one-second growth back-off.
 */
#ifndef _SHIM_LINUX_JIFFIES_H
#define _SHIM_LINUX_JIFFIES_H

#include <time.h>

#define HZ	250

static inline unsigned long shim_jiffies(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * HZ + ts.tv_nsec / (1000000000L / HZ);
}

#ifdef LAB_EXPLORE
/* the explorer's own clock: deterministic, and moved only by scenarios */
extern unsigned long lab_explore_jiffies;
#define jiffies			lab_explore_jiffies
#else
#define jiffies			shim_jiffies()
#endif
#define time_before(a, b)	((long)((a) - (b)) < 0)

#endif
