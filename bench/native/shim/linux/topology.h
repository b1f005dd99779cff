/* SPDX-License-Identifier: GPL-2.0 */
/* Shim of <linux/topology.h>: one NUMA node; the harness pins threads. */
#ifndef _SHIM_LINUX_TOPOLOGY_H
#define _SHIM_LINUX_TOPOLOGY_H

#include <linux/percpu.h>

static inline int cpu_to_node(int cpu)
{
	return 0;
}

#endif
