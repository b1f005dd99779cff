/* SPDX-License-Identifier: GPL-2.0 */
/* Shim of <linux/timer.h>: the pool uses no timer; labyrinth_compat.h names these. */
#ifndef _SHIM_LINUX_TIMER_H
#define _SHIM_LINUX_TIMER_H

#define timer_container_of(var, callback_timer, field)	NULL

#endif
