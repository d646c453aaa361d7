/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gph ABI shared by the module, BPF programs, tools and host agents.
 * Fixed-width types only; no kernel-only headers.
 */
#ifndef _GPH_ABI_H
#define _GPH_ABI_H

#ifndef __VMLINUX_H__	/* BPF programs get the types from vmlinux.h */
#include <linux/types.h>
#endif

/*
 * Page states. Values are stored one byte per page frame in the table
 * backend's shared table and appear in tracepoints and BPF maps, so they are
 * ABI. gph_state_names[] in module/states.c must stay in sync.
 */
enum gph_state {
	GPH_STABLE = 0,		/* the host must preserve the content */
	GPH_UNUSED = 1,		/* free: the host may drop it, content is lost */
	GPH_VOLATILE = 2,	/* clean cache: the host may discard it */
	GPH_DISCARDED = 3,	/* the host discarded it; the guest must re-read */
	GPH_BUSY = 4,		/* host-owned while the host drops or discards */
	GPH_PENDING = 5,	/* guest-owned: deciding whether to go volatile;
				 * the host treats it as stable */
	GPH_NR_STATES,
};

/* Why a transition happened; gph_reason_names[] must stay in sync. */
enum gph_reason {
	GPH_REASON_FREE = 0,	/* buddy free */
	GPH_REASON_ALLOC = 1,	/* buddy alloc */
	GPH_REASON_LOAD = 2,	/* module load: already-free pages */
	GPH_REASON_UNLOAD = 3,	/* module unload or disable: back to stable */
	GPH_REASON_HOST = 4,	/* the host took or gave back a page */
	GPH_REASON_IDLE = 5,	/* a clean page-cache folio went idle: volatile */
	GPH_REASON_USE = 6,	/* a volatile folio is used again: stable */
	GPH_REASON_FAULT = 7,	/* the free path wrote to a discarded frame: stable */
	GPH_NR_REASONS,
};

/* Who moves a page: the guest kernel or the host agent. */
enum gph_actor {
	GPH_ACTOR_GUEST = 0,
	GPH_ACTOR_HOST = 1,
};

/*
 * Table backend. One shared region, laid out by the guest (version 2):
 *
 *   0                 struct gph_table_header (one page)
 *   summary_offset    summary bitmap: bit g of 64-bit word g / 64 covers
 *                     frames [g << group_shift, (g + 1) << group_shift)
 *   states_offset     one state byte per page frame, frame n at byte n
 *   table_size        the end; the region may be larger
 *
 * Every state byte changes only by atomic compare-and-exchange, by guest and
 * host alike. After a guest moves a byte to UNUSED or VOLATILE it sets its
 * group's summary bit (test first, then an atomic or); the host takes a word
 * with an atomic exchange to 0 and then reads the bytes of each group it
 * found set, so a scan costs O(groups that changed), not O(guest memory).
 *
 * The host must treat everything here as untrusted input (sizes, offsets,
 * flags, every byte): the guest writes it.
 */
#define GPH_TABLE_MAGIC		0x47504854u	/* "GPHT" */
#define GPH_TABLE_VERSION	2
#define GPH_TABLE_HEADER_SIZE	4096
#define GPH_TABLE_GROUP_SHIFT	9	/* 512 frames: 2 MiB of 4 KiB pages */

/* guest_flags */
#define GPH_GUEST_ATTACHED	(1u << 0)	/* the guest set up the table */
#define GPH_GUEST_ENABLED	(1u << 1)	/* hints are current; host may act */

/* host_flags */
#define GPH_HOST_ATTACHED	(1u << 0)	/* a host agent is scanning */

struct gph_table_header {
	__u32 magic;
	__u16 version;
	__u8 page_shift;
	__u8 group_shift;	/* frames per summary bit: 1 << group_shift */
	__u64 nr_frames;
	__u32 guest_flags;	/* written by the guest */
	__u32 host_flags;	/* written by the host */
	__u64 host_target;	/* host: bytes of guest RAM it wants back */
	__u64 host_dropped;	/* host: UNUSED pages dropped, cumulative */
	__u64 host_discarded;	/* host: VOLATILE pages discarded, cumulative */
	__u64 summary_offset;	/* from the header's start, 8-byte aligned */
	__u64 states_offset;	/* from the header's start */
	__u64 table_size;	/* bytes in use from the header's start */
	__u32 generation;	/* guest: bumped each time it attaches */
	__u32 guest_beat;	/* guest: bumped about once a second, attached */
	__u64 reserved[6];
};

#endif /* _GPH_ABI_H */
