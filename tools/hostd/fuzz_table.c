// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target over gph-hostd's table handling (table_scan.c) and its
 * JSON parser (qmp.c): `make fuzz-hostd`. The input is the table region a
 * hostile guest wrote (header, summary, state bytes). The first byte picks
 * how: bit 0 repairs the header into a valid layout for an nr_frames taken
 * from the input (so the scan itself gets fuzzed, not only the check);
 * bit 1 flips bytes between collect and apply (a guest racing the host);
 * bit 2 feeds the rest to the JSON parser instead.
 *
 * Every punch must be page-aligned, inside one RAM range of the map and
 * inside the RAM file: anything else aborts, and so does any out-of-bounds
 * access (the region is allocated to its exact size under ASan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qmp.h"
#include "table_scan.h"

static struct hts_range ranges[] = {
	{ 0, 0xc0000, 0 },
	{ 0x100000, 0xf00000, 0x100000 },		/* 1 MiB .. 16 MiB */
	{ 0x100000000ull, 0x100000, 0x1000000 },	/* 4 GiB: 1 MiB at 16 MiB */
};
static const struct hts_ram_map map = { ranges, 3, 0x1100000 };

static int punch(void *ctx, uint64_t off, uint64_t len)
{
	size_t i;

	(void)ctx;
	if (!len || off % 4096 || len % 4096 || off + len > map.file_size || off + len < off)
		abort();
	for (i = 0; i < map.nr; i++)
		if (off >= ranges[i].off && off + len <= ranges[i].off + ranges[i].len)
			return 0;
	abort();	/* coalesced across ranges, or outside guest RAM */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t cand[1024];
	struct hts_result res;
	struct hts t;
	unsigned char *region, mode;
	size_t n, max;

	if (size < 2)
		return 0;
	mode = data[0];
	data++;
	size--;
	if (mode & 4) {
		jv_free(jv_parse((const char *)data, size));
		return 0;
	}
	region = malloc(size);
	if (!region)
		return 0;
	memcpy(region, data, size);
	if ((mode & 1) && size >= GPH_TABLE_HEADER_SIZE) {
		struct gph_table_header *h = (struct gph_table_header *)region;
		struct gph_table_layout l;
		uint64_t nr = h->nr_frames % (size + 1);

		gph_table_layout_for(nr ? nr : 1, &l);
		h->magic = GPH_TABLE_MAGIC;
		h->version = GPH_TABLE_VERSION;
		h->page_shift = 12;
		h->group_shift = GPH_TABLE_GROUP_SHIFT;
		h->nr_frames = l.nr_frames;
		h->summary_offset = l.summary_offset;
		h->states_offset = l.states_offset;
		h->table_size = l.table_size;
	}
	hts_init(&t, region, size, 12, &map);
	max = 1 + (mode >> 3) * 64;	/* 1 .. 1985: below and above a group */
	if (max > sizeof(cand) / sizeof(cand[0]))
		max = sizeof(cand) / sizeof(cand[0]);
	for (int round = 0; round < 2; round++) {
		unsigned char kind = round ? GPH_VOLATILE : GPH_UNUSED;

		if (hts_header_load(&t))
			break;
		n = hts_collect(&t, kind, cand, max);
		if (n > max)
			abort();
		for (size_t i = 0; i < n; i++)
			if (cand[i] >= t.l.nr_frames || (i && cand[i] <= cand[i - 1]))
				abort();
		if (mode & 2)	/* the guest changes its mind before the window */
			for (size_t i = 0; i < size; i += 97)
				region[i] ^= data[i % size];
		hts_apply(&t, kind, cand, n, punch, NULL, &res);
		if (res.taken > n || res.released > res.taken)
			abort();
	}
	if (!hts_header_load(&t)) {
		hts_count_busy(&t);
		hts_recover(&t, mode & 8 ? GPH_UNUSED : 0xff, punch, NULL, &res);
		hts_mark_all(&t);
		hts_collect(&t, GPH_UNUSED, cand, max);
	}
	hts_fini(&t);
	free(region);
	return 0;
}
