/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/export.h>: no module loader, so an export is a plain
 * redeclaration (which still checks that the symbol exists).
 */
#ifndef _SHIM_LINUX_EXPORT_H
#define _SHIM_LINUX_EXPORT_H

#define EXPORT_SYMBOL_NS_GPL(sym, ns)	extern __typeof__(sym) sym
#define EXPORT_SYMBOL_GPL(sym)		extern __typeof__(sym) sym

#endif
