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

/*
 * Key of the pinned "discards_by_file" map: the file of a discarded folio.
 * dev is the kernel's dev_t as the tracepoints carry it, MKDEV(major, minor)
 * = major << 20 | minor, not user space's st_dev encoding.
 */
struct gph_file_key {
	__u32 dev;
	__u32 pad;
	__u64 ino;
};

/*
 * Value: gph_discard events (folios removed), gph_reread events (read back),
 * and the pages of the discarded folios (a folio of order n counts 2^n).
 */
struct gph_file_val {
	__u64 discards;
	__u64 rereads;
	__u64 pages;
};

/* Key of the pinned "discards_by_cgroup" map: the task's cgroup v2 id. */
struct gph_cgroup_key {
	__u64 cgroup_id;
};

/* Value: gph_discard events seen by tasks of that cgroup, and their pages. */
struct gph_cgroup_val {
	__u64 discards;
	__u64 pages;
};

/*
 * The log2 histograms ("volatile_lifetime", "reread_latency") are arrays of
 * GPH_HIST_SLOTS counters; slot n counts values in [2^n, 2^(n+1)) ns (slot 0
 * also counts 0), in pages: a folio's sample adds 2^order (a 2 MiB folio
 * adds 512), as PAGES does in discards_by_file.
 */
#define GPH_HIST_SLOTS 64

/* Kinds of streamed events; bit (1 << kind) in the kind_mask parameter. */
enum gph_event_kind {
	GPH_EV_STATE = 0,	/* gph:gph_state */
	GPH_EV_DISCARD = 1,	/* gph:gph_discard */
	GPH_EV_REREAD = 2,	/* gph:gph_reread */
};

/* One event, streamed through the "events" ring buffer. */
struct gph_event {
	__u64 ts_ns;
	__u32 kind;		/* enum gph_event_kind */
	__u32 pid;
	char comm[16];
	union {
		struct {
			__u64 pfn;
			__u32 nr_pages;
			__u8 old;
			__u8 new;
			__u8 reason;
			__u8 pad;
		} state;
		struct {
			__u64 ino;
			__u64 index;
			__u64 pfn;
			__u32 dev;	/* kernel dev_t, as in gph_file_key */
			__u8 order;
			__u8 swap;
			__u16 pad;
		} discard;
		struct {
			__u64 ino;
			__u64 index;
			__u64 delay_ns;
			__u32 dev;
			__u8 order;	/* of the folio read back */
			__u8 pad[3];
		} reread;
	};
};

#endif /* _GPH_EVENTS_H */
