/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/sched.h>: the OS scheduler preempts threads by itself.
 * cpu_relax() comes from <asm/processor.h>, as in the kernel.
 */
#ifndef _SHIM_LINUX_SCHED_H
#define _SHIM_LINUX_SCHED_H

static inline void cond_resched(void)
{
}

/* <asm/processor.h>, which linux/sched.h brings in: a spin-wait hint */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

#endif
