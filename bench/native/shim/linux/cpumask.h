/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/cpumask.h>.  The possible CPUs are ids 0..nr_cpu_ids-1
 * (one per benchmark thread); the online ones are 0..lab_shim_nr_online-1,
 * so a harness can leave the top ids "offline" when a pool is created and
 * run threads on them afterwards, as if those CPUs came online later.
 */
#ifndef _SHIM_LINUX_CPUMASK_H
#define _SHIM_LINUX_CPUMASK_H

#include <linux/types.h>

extern unsigned int nr_cpu_ids;
extern unsigned int lab_shim_nr_online;

static inline unsigned int num_online_cpus(void)
{
	return lab_shim_nr_online;
}

static inline bool cpu_possible(unsigned int cpu)
{
	return cpu < nr_cpu_ids;
}

static inline bool cpu_online(unsigned int cpu)
{
	return cpu < lab_shim_nr_online;
}

#define for_each_possible_cpu(cpu) \
	for ((cpu) = 0; (cpu) < nr_cpu_ids; (cpu)++)
#define for_each_online_cpu(cpu) \
	for ((cpu) = 0; (cpu) < lab_shim_nr_online; (cpu)++)

#endif
