/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/rcupdate.h>: the RCU-sched read side the pool's grants
 * and frees run in, and synchronize_rcu() that destroy waits with.
 *
 * Threads here never outlive the pools they use (the harness joins them
 * before it destroys), so the plain build has nothing to wait for.  The
 * interleaving explorer (explore/, -DLAB_EXPLORE) tracks each actor's
 * read side and makes synchronize_rcu() wait for every reader that had
 * started when it was called, as a grace period does.
 */
#ifndef _SHIM_LINUX_RCUPDATE_H
#define _SHIM_LINUX_RCUPDATE_H

#ifdef LAB_EXPLORE
void lab_explore_rcu_lock(void);
void lab_explore_rcu_unlock(void);
void lab_explore_synchronize_rcu(void);
#define rcu_read_lock_sched_notrace()	lab_explore_rcu_lock()
#define rcu_read_unlock_sched_notrace()	lab_explore_rcu_unlock()
#define synchronize_rcu()		lab_explore_synchronize_rcu()
#else
#define rcu_read_lock_sched_notrace()	barrier()
#define rcu_read_unlock_sched_notrace()	barrier()
#define synchronize_rcu()		barrier()
#endif

#endif
