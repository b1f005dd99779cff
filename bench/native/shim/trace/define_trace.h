/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shim of <trace/define_trace.h>.  In the kernel, with CREATE_TRACE_POINTS,
 * it reads the trace header again to emit the events' code; the shim's
 * events are empty inlines, so there is nothing to emit.
 */
