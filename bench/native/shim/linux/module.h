/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/module.h>, with the printk.h pieces it brings in.
 * Exports come from export.h; messages go to stderr through
 * lab_shim_printk() (shim.c), which prints %pS as a bare address and counts
 * messages in lab_shim_warnings.
 */
#ifndef _SHIM_LINUX_MODULE_H
#define _SHIM_LINUX_MODULE_H

#include <linux/export.h>
#include <linux/types.h>

#ifndef KBUILD_MODNAME
#define KBUILD_MODNAME		"labyrinth"
#endif
#ifndef pr_fmt
#define pr_fmt(fmt)		fmt
#endif

/* a client's import is only a note for modpost */
#define MODULE_IMPORT_NS(ns)		extern int lab_shim_module_import_ns

extern long lab_shim_warnings;
extern bool lab_shim_quiet;	/* count messages but do not print them */
void lab_shim_printk(const char *level, const char *fmt, ...) __printf(2, 3);

#define pr_err(fmt, ...)	lab_shim_printk("err", pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	lab_shim_printk("warn", pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	lab_shim_printk("info", pr_fmt(fmt), ##__VA_ARGS__)

/*
 * The kernel allows 10 messages per call site every 5 s; the shim allows
 * each call site its first 10 messages and drops the rest.
 */
#define pr_warn_ratelimited(fmt, ...)						\
	do {									\
		static int __lab_rl;						\
										\
		if (__atomic_fetch_add(&__lab_rl, 1, __ATOMIC_RELAXED) < 10)	\
			pr_warn(fmt, ##__VA_ARGS__);				\
	} while (0)

#endif
