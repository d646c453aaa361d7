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
			 { GPH_BUSY, "busy" },				\
			 { GPH_PENDING, "pending" })

#define gph_show_reason(r)						\
	__print_symbolic(r, { GPH_REASON_FREE, "free" },		\
			 { GPH_REASON_ALLOC, "alloc" },			\
			 { GPH_REASON_LOAD, "load" },			\
			 { GPH_REASON_UNLOAD, "unload" },		\
			 { GPH_REASON_HOST, "host" },			\
			 { GPH_REASON_IDLE, "idle" },			\
			 { GPH_REASON_USE, "use" },			\
			 { GPH_REASON_FAULT, "fault" })

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

/*
 * The guest found that the host discarded a folio and removes it from its
 * cache (once per discarded folio); the next read of it goes to disk. A
 * page-cache folio is named by file (dev, ino) and index; a swap-cache
 * folio (swap) by dev 0, ino = its swap type and index = its slot offset.
 */
TRACE_EVENT(gph_discard,
	TP_PROTO(dev_t dev, unsigned long ino, unsigned long index,
		 unsigned int order, bool swap, unsigned long pfn),
	TP_ARGS(dev, ino, index, order, swap, pfn),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(unsigned long, ino)
		__field(unsigned long, index)
		__field(unsigned long, pfn)
		__field(unsigned int, order)
		__field(bool, swap)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->ino = ino;
		__entry->index = index;
		__entry->pfn = pfn;
		__entry->order = order;
		__entry->swap = swap;
	),
	TP_printk("dev=%d:%d ino=%lu index=%lu order=%u %s pfn=0x%lx",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino,
		  __entry->index, __entry->order,
		  __entry->swap ? "swap" : "file", __entry->pfn)
);

/*
 * A folio removed after a discard was read back into the cache, @delay_ns
 * after the discard was found. Named as in gph_discard; @order is the folio
 * read back (2^order pages).
 */
TRACE_EVENT(gph_reread,
	TP_PROTO(dev_t dev, unsigned long ino, unsigned long index,
		 unsigned int order, u64 delay_ns),
	TP_ARGS(dev, ino, index, order, delay_ns),
	TP_STRUCT__entry(
		__field(dev_t, dev)
		__field(unsigned long, ino)
		__field(unsigned long, index)
		__field(unsigned int, order)
		__field(u64, delay_ns)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->ino = ino;
		__entry->index = index;
		__entry->order = order;
		__entry->delay_ns = delay_ns;
	),
	TP_printk("dev=%d:%d ino=%lu index=%lu order=%u delay_ns=%llu",
		  MAJOR(__entry->dev), MINOR(__entry->dev), __entry->ino,
		  __entry->index, __entry->order, __entry->delay_ns)
);

#endif /* _GPH_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gph_trace
#include <trace/define_trace.h>
