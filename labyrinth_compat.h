/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences, kept in one place.  labyrinth builds against
 * Debian's 6.1 and 6.12 kernels and in the 6.12 tree.
 */
#ifndef _LABYRINTH_COMPAT_H
#define _LABYRINTH_COMPAT_H

#include <linux/version.h>

/*
 * Symbol namespaces are bare identifiers up to 6.12, written
 * EXPORT_SYMBOL_NS_GPL(sym, LABYRINTH) and MODULE_IMPORT_NS(LABYRINTH),
 * and string literals from 6.13.  6.1 stringifies the identifier with #,
 * so it cannot come from a macro there; from 6.13 the identifier is made
 * the literal instead, and the same source serves both.
 */
#if LINUX_VERSION_MAJOR > 6 || (LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 13)
#define LABYRINTH "LABYRINTH"
#endif

#endif /* _LABYRINTH_COMPAT_H */
