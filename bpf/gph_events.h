/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Map keys and values shared by bpf/gph.bpf.c and tools/: fixed-width types only. */
#ifndef _GPH_EVENTS_H
#define _GPH_EVENTS_H

#include "gph_abi.h"

/* Key of the pinned "transitions" map: pages moved from old to new, by reason. */
struct gph_transition_key {
	enum gph_state old;
	enum gph_state new;
	enum gph_reason reason;
};

/* Value: events (tracepoint hits) and the pages they moved. */
struct gph_transition_val {
	__u64 events;
	__u64 pages;
};

/* One gph_state event, streamed through the "events" ring buffer. */
struct gph_state_event {
	__u64 ts_ns;
	__u64 pfn;
	__u32 nr_pages;
	__u32 pid;
	__u8 old;
	__u8 new;
	__u8 reason;
	__u8 pad;
	char comm[16];
};

#endif /* _GPH_EVENTS_H */
