/* SPDX-License-Identifier: GPL-2.0 */
/* Shim of <linux/string.h>: libc's, plus the kernel's strscpy() and memchr_inv(). */
#ifndef _SHIM_LINUX_STRING_H
#define _SHIM_LINUX_STRING_H

#include <errno.h>
#include <string.h>
#include <linux/types.h>

/* copy with NUL always written; length copied, or -E2BIG if truncated */
static inline ssize_t strscpy(char *dst, const char *src, size_t count)
{
	size_t len;

	if (!count)
		return -E2BIG;
	len = strnlen(src, count);
	if (len == count) {
		memcpy(dst, src, count - 1);
		dst[count - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

/*
 * First byte of [@start, @start + @bytes) that is not @c, or NULL.  Eight
 * bytes at a time, like lib/string.c's, which keeps poisoned pools usable
 * under ThreadSanitizer (one checked access per word, not per byte).
 */
static inline void *memchr_inv(const void *start, int c, size_t bytes)
{
	const unsigned char *p = start, *end = p + bytes;
	const unsigned long pattern = (unsigned char)c * (~0UL / 0xff);

	for (; p < end && ((unsigned long)p % sizeof(long)); p++)
		if (*p != (unsigned char)c)
			return (void *)p;
	for (; end - p >= (long)sizeof(long); p += sizeof(long))
		if (*(const unsigned long *)p != pattern)
			break;
	for (; p < end; p++)
		if (*p != (unsigned char)c)
			return (void *)p;
	return NULL;
}

#endif
