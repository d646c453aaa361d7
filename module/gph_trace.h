/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gph

#if !defined(_GPH_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GPH_TRACE_H

#include <linux/tracepoint.h>
#include "gph_abi.h"

#define gph_show_state(s)						\
	__print_symbolic(s, { GPH_STABLE, "stable" },			\
			 { GPH_UNUSED, "unused" },			\
			 { GPH_VOLATILE, "volatile" },			\
			 { GPH_DISCARDED, "discarded" },		\
			 { GPH_BUSY, "busy" })

#define gph_show_reason(r)						\
	__print_symbolic(r, { GPH_REASON_FREE, "free" },		\
			 { GPH_REASON_ALLOC, "alloc" },			\
			 { GPH_REASON_LOAD, "load" },			\
			 { GPH_REASON_UNLOAD, "unload" },		\
			 { GPH_REASON_HOST, "host" })

/*
 * A run of @nr_pages frames from @pfn moved from @old to @new. Consecutive
 * frames with the same old state are reported as one event.
 */
TRACE_EVENT(gph_state,
	TP_PROTO(unsigned long pfn, unsigned int nr_pages, unsigned int old,
		 unsigned int new, unsigned int reason),
	TP_ARGS(pfn, nr_pages, old, new, reason),
	TP_STRUCT__entry(
		__field(unsigned long, pfn)
		__field(unsigned int, nr_pages)
		__field(u8, old)
		__field(u8, new)
		__field(u8, reason)
	),
	TP_fast_assign(
		__entry->pfn = pfn;
		__entry->nr_pages = nr_pages;
		__entry->old = old;
		__entry->new = new;
		__entry->reason = reason;
	),
	TP_printk("pfn=0x%lx nr_pages=%u %s -> %s reason=%s",
		  __entry->pfn, __entry->nr_pages, gph_show_state(__entry->old),
		  gph_show_state(__entry->new), gph_show_reason(__entry->reason))
);

/* The emulated host acted on @nr_pages frames from @pfn. */
TRACE_EVENT(gph_host,
	TP_PROTO(unsigned long pfn, unsigned int nr_pages, unsigned int old,
		 unsigned int new),
	TP_ARGS(pfn, nr_pages, old, new),
	TP_STRUCT__entry(
		__field(unsigned long, pfn)
		__field(unsigned int, nr_pages)
		__field(u8, old)
		__field(u8, new)
	),
	TP_fast_assign(
		__entry->pfn = pfn;
		__entry->nr_pages = nr_pages;
		__entry->old = old;
		__entry->new = new;
	),
	TP_printk("pfn=0x%lx nr_pages=%u %s -> %s", __entry->pfn,
		  __entry->nr_pages, gph_show_state(__entry->old),
		  gph_show_state(__entry->new))
);

#endif /* _GPH_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gph_trace
#include <trace/define_trace.h>
