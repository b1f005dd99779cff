/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/cpu.h>: the hotplug lock.  The online set changes only
 * when the harness says so, never under a pool's feet, so there is nothing
 * to hold.
 */
#ifndef _SHIM_LINUX_CPU_H
#define _SHIM_LINUX_CPU_H

#include <linux/cpumask.h>

static inline void cpus_read_lock(void)
{
}

static inline void cpus_read_unlock(void)
{
}

#endif
