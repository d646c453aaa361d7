/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gph-hostd's table handling: the guest's header, the summary bitmap, the
 * state bytes, and the take/punch/release of one batch. No QMP, no files:
 * the caller maps the table, says where guest RAM lies in the RAM file, and
 * punches through a callback, so tests/unit and the fuzzer drive it alone.
 *
 * Everything in the table is untrusted. The header is copied once per call
 * and checked with gph_table_layout_check(); only the layout that check
 * returns is used, never an offset or size the guest wrote. State bytes move
 * only with the protocol's own functions (module/table_proto.h).
 */
#ifndef _GPH_HOSTD_TABLE_SCAN_H
#define _GPH_HOSTD_TABLE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gph_abi.h"
#include "table_proto.h"

/* Guest-physical [gpa, gpa + len) lies at [off, off + len) of the RAM file. */
struct hts_range {
	uint64_t gpa;
	uint64_t len;
	uint64_t off;
};

/* Where guest RAM is: from QEMU (info mtree -f), never from the guest. */
struct hts_ram_map {
	struct hts_range *r;	/* sorted by gpa, not overlapping */
	size_t nr;
	uint64_t file_size;	/* the RAM file's size: no punch reaches past it */
};

/**
 * hts_punch_fn - give the host the RAM file's bytes [off, off + len) back
 *
 * Called inside a window (the vCPUs stopped) with every frame of the range
 * taken (BUSY). off and len are page-aligned and within the map's file_size.
 *
 * Return: 0, or -errno (the frames are released all the same).
 */
typedef int (*hts_punch_fn)(void *ctx, uint64_t off, uint64_t len);

/* Counters, cumulative. */
struct hts_stats {
	uint64_t header_rejects;	/* headers gph_table_layout_check() refused */
	uint64_t bad_bytes;		/* state bytes >= GPH_NR_STATES seen */
	uint64_t busy_seen;		/* BUSY bytes seen outside a window */
	uint64_t unmapped;		/* hinted frames outside guest RAM: skipped */
	uint64_t groups_read;		/* groups whose bytes were read */
	uint64_t take_failed;		/* candidates the guest took back first */
	uint64_t release_failed;	/* taken frames no longer BUSY: guest bug */
	uint64_t punches;		/* punch calls */
	uint64_t punch_failed;
	uint64_t dropped;		/* UNUSED frames punched */
	uint64_t discarded;		/* VOLATILE frames punched */
};

struct hts {
	unsigned char *region;		/* the table file, mapped shared */
	uint64_t region_size;		/* its size, from fstat() */
	unsigned int page_shift;	/* the host's */
	const struct hts_ram_map *map;
	struct gph_table_header hdr;	/* the last private copy */
	struct gph_table_layout l;	/* valid while have_layout */
	bool have_layout;
	uint64_t *pend[2];		/* groups to read: [0] for UNUSED, [1] VOLATILE */
	uint64_t nr_pend[2];		/* bits set in pend[] (an upper bound) */
	uint64_t *sum_cache;		/* reused by hts_collect() */
	struct hts_stats st;
};

void hts_init(struct hts *t, void *region, uint64_t region_size,
	      unsigned int page_shift, const struct hts_ram_map *map);
void hts_fini(struct hts *t);

/**
 * hts_header_load - copy the guest's header and check the copy
 *
 * On success t->hdr holds the copy and t->l the layout; a layout that differs
 * from the last one resets the pending bitmaps and schedules a full pass.
 *
 * Return: NULL, or why the header was refused (counted in header_rejects;
 * t->hdr still holds the copy, t->have_layout is false).
 */
const char *hts_header_load(struct hts *t);

/* Schedule one pass over every group, for both kinds (on trust). */
void hts_mark_all(struct hts *t);

/* Take every set summary word into the pending bitmaps. Needs a layout. */
void hts_drain_summary(struct hts *t);

/**
 * hts_collect - pick up to @max frames holding @kind, while the guest runs
 * @kind: GPH_UNUSED or GPH_VOLATILE
 * @cand: filled with frame numbers, ascending
 *
 * Drains the summary first. Groups read to the end leave the pending bitmap
 * of @kind; a group cut short by @max stays for the next call.
 *
 * Return: the number of candidates (0 without a layout).
 */
size_t hts_collect(struct hts *t, unsigned char kind, uint64_t *cand, size_t max);

/* Result of one hts_apply() or hts_recover(). */
struct hts_result {
	size_t taken;
	size_t released;
	uint64_t bytes;		/* punched */
	int err;		/* the first punch error, or 0 */
};

/**
 * hts_apply - take, punch and release a batch, inside a window
 * @cand: from hts_collect(); compacted in place to the frames taken
 *
 * Takes every candidate that still holds @kind (gph_proto_host_take()), then
 * punches the taken frames' RAM in runs of contiguous file offsets, then
 * releases each (gph_proto_host_release()). Call it only with the vCPUs
 * stopped and the generation checked against the trusted one.
 */
void hts_apply(struct hts *t, unsigned char kind, uint64_t *cand, size_t n,
	       hts_punch_fn punch, void *ctx, struct hts_result *res);

/**
 * hts_recover - finish a window a killed agent left open
 * @kind: the journal's kind: GPH_UNUSED releases to UNUSED; anything else
 *	(VOLATILE, or unknown) to DISCARDED
 *
 * Punches every frame still BUSY again and releases it. O(nr_frames): only
 * at start. Needs a layout.
 */
void hts_recover(struct hts *t, unsigned char kind, hts_punch_fn punch,
		 void *ctx, struct hts_result *res);

/* BUSY frames in the table (O(nr_frames)). */
uint64_t hts_count_busy(struct hts *t);

/**
 * hts_frame_off - where frame @frame's page lies in the RAM file
 *
 * Return: true and *off if the whole page is in one RAM range and inside
 * the file; false otherwise (never punch it).
 */
bool hts_frame_off(const struct hts_ram_map *m, uint64_t frame,
		   unsigned int page_shift, uint64_t *off);

#endif /* _GPH_HOSTD_TABLE_SCAN_H */
