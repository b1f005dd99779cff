/* SPDX-License-Identifier: GPL-2.0 */
/*
 * labyrinth tracepoints: grants, frees, refused frees, exhaustion and
 * growth, for ftrace and perf.  Enable with
 * echo 1 > /sys/kernel/tracing/events/labyrinth/enable.
 *
 * Frame addresses are printed with %p, so the trace shows hashed values.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM labyrinth

#if !defined(_LABYRINTH_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _LABYRINTH_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>
#include "labyrinth_internal.h"

/*
 * Pool names are copied into fixed arrays rather than with __string(),
 * whose assignment helper changed its arguments between 6.1 and 6.12.
 */
DECLARE_EVENT_CLASS(labyrinth_frame,
		    TP_PROTO(const struct labyrinth_pool *pool, const void *addr, bool away),
		    TP_ARGS(pool, addr, away),
		    TP_STRUCT__entry(__array(char, pool, LABYRINTH_POOL_NAME_MAX)
				     __field(const void *, addr)
				     __field(bool, away)),
		    TP_fast_assign(memcpy(__entry->pool, pool->name, LABYRINTH_POOL_NAME_MAX);
				   __entry->addr = addr;
				   __entry->away = away;),
		    TP_printk("pool=%s addr=%p away=%d", __entry->pool, __entry->addr,
			      __entry->away));

/* away: the frame was homed on another CPU (a steal) */
DEFINE_EVENT(labyrinth_frame, labyrinth_grant,
	     TP_PROTO(const struct labyrinth_pool *pool, const void *addr, bool away),
	     TP_ARGS(pool, addr, away));

/* away: the frame is homed on another CPU (a remote free) */
DEFINE_EVENT(labyrinth_frame, labyrinth_free,
	     TP_PROTO(const struct labyrinth_pool *pool, const void *addr, bool away),
	     TP_ARGS(pool, addr, away));

TRACE_EVENT(labyrinth_free_refused,
	    TP_PROTO(const struct labyrinth_pool *pool, const void *addr, int err,
		     unsigned long caller),
	    TP_ARGS(pool, addr, err, caller),
	    TP_STRUCT__entry(__array(char, pool, LABYRINTH_POOL_NAME_MAX)
			     __field(const void *, addr)
			     __field(int, err)
			     __field(unsigned long, caller)),
	    TP_fast_assign(memcpy(__entry->pool, pool->name, LABYRINTH_POOL_NAME_MAX);
			   __entry->addr = addr;
			   __entry->err = err;
			   __entry->caller = caller;),
	    TP_printk("pool=%s addr=%p reason=%s caller=%pS", __entry->pool, __entry->addr,
		      __print_symbolic(__entry->err, { -EINVAL, "bad_addr" },
				       { -ENOENT, "foreign" }, { -EALREADY, "double_free" }),
		      (void *)__entry->caller));

TRACE_EVENT(labyrinth_exhausted,
	    TP_PROTO(const struct labyrinth_pool *pool, unsigned int wanted),
	    TP_ARGS(pool, wanted),
	    TP_STRUCT__entry(__array(char, pool, LABYRINTH_POOL_NAME_MAX)
			     __field(unsigned int, wanted)),
	    TP_fast_assign(memcpy(__entry->pool, pool->name, LABYRINTH_POOL_NAME_MAX);
			   __entry->wanted = wanted;),
	    TP_printk("pool=%s wanted=%u", __entry->pool, __entry->wanted));

TRACE_EVENT(labyrinth_refill,
	    TP_PROTO(const struct labyrinth_pool *pool, unsigned int added, int err),
	    TP_ARGS(pool, added, err),
	    TP_STRUCT__entry(__array(char, pool, LABYRINTH_POOL_NAME_MAX)
			     __field(unsigned int, added)
			     __field(unsigned int, frames)
			     __field(unsigned int, max_frames)
			     __field(int, err)),
	    TP_fast_assign(memcpy(__entry->pool, pool->name, LABYRINTH_POOL_NAME_MAX);
			   __entry->added = added;
			   __entry->frames = READ_ONCE(pool->backed_frames);
			   __entry->max_frames = pool->max_frames;
			   __entry->err = err;),
	    TP_printk("pool=%s added=%u frames=%u max_frames=%u err=%d", __entry->pool,
		      __entry->added, __entry->frames, __entry->max_frames, __entry->err));

#endif /* _LABYRINTH_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE labyrinth_trace
#include <trace/define_trace.h>
