/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <linux/tracepoint.h>: no ftrace, so every event is off.  Each
 * TRACE_EVENT()/DEFINE_EVENT() becomes an empty inline trace_<name>() and
 * a trace_<name>_enabled() that says false, as with the static key off;
 * the event's struct, assignment and print format are dropped unseen.
 */
#ifndef _SHIM_LINUX_TRACEPOINT_H
#define _SHIM_LINUX_TRACEPOINT_H

#include <linux/types.h>

#define TP_PROTO(...)	__VA_ARGS__
#define TP_ARGS(...)	__VA_ARGS__

#define DECLARE_EVENT_CLASS(name, proto, args, tstruct, assign, print)

#define DEFINE_EVENT(template, name, proto, args)				\
	static inline void trace_##name(proto)					\
	{									\
	}									\
	static inline bool trace_##name##_enabled(void)				\
	{									\
		return false;							\
	}

#define TRACE_EVENT(name, proto, args, tstruct, assign, print)			\
	DEFINE_EVENT(name, name, PARAMS(proto), PARAMS(args))

#define PARAMS(...)	__VA_ARGS__

#endif
