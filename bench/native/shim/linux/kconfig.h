/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/kconfig.h>, which Kbuild force-includes into every kernel
 * file (-include); the Makefile here does the same.  The native build has
 * no Kconfig: every CONFIG_ option is off, so IS_ENABLED() is constant 0
 * (the pool's KUnit fault injection, for one, compiles out).
 */
#ifndef _SHIM_LINUX_KCONFIG_H
#define _SHIM_LINUX_KCONFIG_H

#define IS_ENABLED(option)	0

#endif
