// SPDX-License-Identifier: GPL-2.0
/*
 * gph-hostd's table handling (tools/hostd/table_scan.c) against a hostile
 * guest: every header field out of range, state bytes that are no state,
 * BUSY set by the guest, summary bits beyond nr_groups, a guest that changes
 * bytes under the host. Nothing outside the table or the RAM map may be
 * touched: the punch callback records every range and checks it against the
 * map, and guard bytes after the table must stay as they were.
 */
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "table_scan.h"

#define PAGE	4096ull
#define GUARD	8192

/* Guest RAM: frames [0, 192) and [256, 2048) at file offsets 0 and 192 pages; a hole between. */
static struct hts_range ranges[] = {
	{ 0, 192 * PAGE, 0 },
	{ 256 * PAGE, (2048 - 256) * PAGE, 192 * PAGE },
};
static const struct hts_ram_map ram_map = { ranges, 2, (192 + 2048 - 256) * PAGE };

struct rec {
	uint64_t off[4096], len[4096];
	int n;
	int bad;		/* punches outside the map */
	unsigned char *flip;	/* a byte the "guest" changes during the punch */
	const struct hts_ram_map *map;	/* NULL: ram_map */
};

static int record(void *ctx, uint64_t off, uint64_t len)
{
	struct rec *r = ctx;
	const struct hts_ram_map *m = r->map ?: &ram_map;
	bool inside = false;

	for (size_t i = 0; i < m->nr; i++)
		if (off >= m->r[i].off && off + len <= m->r[i].off + m->r[i].len)
			inside = true;
	if (!inside || off % PAGE || len % PAGE || !len || off + len > m->file_size)
		r->bad++;
	if (r->n < 4096) {
		r->off[r->n] = off;
		r->len[r->n] = len;
	}
	r->n++;
	if (r->flip)
		__atomic_store_n(r->flip, GPH_STABLE, __ATOMIC_SEQ_CST);
	return 0;
}

struct table {
	unsigned char *region;
	size_t size;		/* the region: table + GUARD */
	struct gph_table_header *h;
	struct gph_table_layout l;
	unsigned char *s;
	__u64 *sum;
};

static void table_make(struct table *t, uint64_t nr_frames)
{
	gph_table_layout_for(nr_frames, &t->l);
	t->size = t->l.table_size + GUARD;
	t->region = calloc(1, t->size);
	memset(t->region + t->l.table_size, GPH_UNUSED, GUARD);	/* a take here shows */
	t->h = (struct gph_table_header *)t->region;
	t->h->magic = GPH_TABLE_MAGIC;
	t->h->version = GPH_TABLE_VERSION;
	t->h->page_shift = 12;
	t->h->group_shift = GPH_TABLE_GROUP_SHIFT;
	t->h->nr_frames = nr_frames;
	t->h->summary_offset = t->l.summary_offset;
	t->h->states_offset = t->l.states_offset;
	t->h->table_size = t->l.table_size;
	t->h->guest_flags = GPH_GUEST_ATTACHED | GPH_GUEST_ENABLED;
	t->s = t->region + t->l.states_offset;
	t->sum = (__u64 *)(t->region + t->l.summary_offset);
}

static bool guard_intact(struct table *t)
{
	for (size_t i = t->l.table_size; i < t->size; i++)
		if (t->region[i] != GPH_UNUSED)
			return false;
	return true;
}

static void mark(struct table *t, uint64_t first, uint64_t n, unsigned char st)
{
	for (; n; n--, first++) {
		t->s[first] = st;
		gph_proto_summary_mark(t->sum, first);
	}
}

/* One scan and window, as hostd does it: Return: frames taken. */
static size_t pass(struct hts *h, unsigned char kind, struct rec *r, size_t max)
{
	static uint64_t cand[1 << 16];
	struct hts_result res;
	size_t n = hts_collect(h, kind, cand, max);

	hts_apply(h, kind, cand, n, record, r, &res);
	return res.taken;
}

TEST(header_every_bad_field_is_refused)
{
	struct table t;
	struct hts h;
	struct rec r = { 0 };
	struct gph_table_header good;
	int i;

	table_make(&t, 2048);
	mark(&t, 0, 2048, GPH_UNUSED);
	good = *t.h;
	for (i = 0; i < 14; i++) {
		uint64_t region = t.size;

		*t.h = good;
		switch (i) {
		case 0: t.h->magic ^= 1; break;
		case 1: t.h->version = 1; break;
		case 2: t.h->version = 0xffff; break;
		case 3: t.h->page_shift = 16; break;
		case 4: t.h->group_shift = 0; break;
		case 5: t.h->nr_frames = 0; break;
		case 6: t.h->nr_frames = ~0ull; break;
		case 7: t.h->nr_frames = GPH_TABLE_MAX_FRAMES + 1; break;
		case 8: t.h->summary_offset += 8; break;
		case 9: t.h->states_offset = 4096; break;
		case 10: t.h->table_size = ~0ull; break;
		case 11: t.h->nr_frames = 4096; break;	/* offsets are 2048's */
		case 12: region = t.l.table_size - 1; break;	/* table beyond the region */
		case 13: region = 100; break;	/* smaller than a header */
		}
		hts_init(&h, t.region, region, 12, &ram_map);
		ASSERT_NE(NULL, hts_header_load(&h)) TH_LOG("case %d accepted", i);
		EXPECT_EQ(1, h.st.header_rejects);
		EXPECT_EQ(0, pass(&h, GPH_UNUSED, &r, 4096));
		hts_fini(&h);
	}
	EXPECT_EQ(0, r.n);
	EXPECT_TRUE(guard_intact(&t));
	/* nr_frames larger than the region (but consistent offsets): refused */
	table_make(&t, 1 << 20);
	hts_init(&h, t.region, 8192 + 4096, 12, &ram_map);
	EXPECT_NE(NULL, hts_header_load(&h));
	hts_fini(&h);
	free(t.region);
}

TEST(drops_unused_in_coalesced_runs_and_releases_them)
{
	struct table t;
	struct hts h;
	struct rec r = { 0 };
	struct hts_result res;

	table_make(&t, 2048);
	mark(&t, 600, 101, GPH_UNUSED);		/* one run */
	mark(&t, 1000, 1, GPH_UNUSED);
	mark(&t, 1200, 5, GPH_VOLATILE);
	hts_init(&h, t.region, t.size, 12, &ram_map);
	ASSERT_EQ(NULL, hts_header_load(&h));
	EXPECT_EQ(102, pass(&h, GPH_UNUSED, &r, 65536));
	ASSERT_EQ(2, r.n);
	EXPECT_EQ((192 + 600 - 256) * PAGE, r.off[0]);
	EXPECT_EQ(101 * PAGE, r.len[0]);
	EXPECT_EQ(1 * PAGE, r.len[1]);
	EXPECT_EQ(GPH_UNUSED, t.s[650]);
	EXPECT_EQ(GPH_VOLATILE, t.s[1200]);	/* not this kind */
	EXPECT_EQ(5, pass(&h, GPH_VOLATILE, &r, 65536));
	EXPECT_EQ(GPH_DISCARDED, t.s[1204]);
	EXPECT_EQ(0, r.bad);
	/* Idle: no summary bit, no group read. */
	uint64_t groups = h.st.groups_read;
	EXPECT_EQ(0, pass(&h, GPH_UNUSED, &r, 65536));
	EXPECT_EQ(groups, h.st.groups_read);
	hts_recover(&h, GPH_UNUSED, record, &r, &res);
	EXPECT_EQ(0, res.taken);
	hts_fini(&h);
	free(t.region);
}

TEST(a_run_never_spans_the_ram_maps_hole)
{
	struct table t;
	struct hts h;
	struct rec r = { 0 };

	table_make(&t, 2048);
	mark(&t, 150, 200, GPH_UNUSED);		/* 150..349 crosses the hole 192..255 */
	hts_init(&h, t.region, t.size, 12, &ram_map);
	ASSERT_EQ(NULL, hts_header_load(&h));
	EXPECT_EQ(200 - 64, pass(&h, GPH_UNUSED, &r, 65536));
	EXPECT_EQ(2, r.n);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(64, h.st.unmapped);
	EXPECT_EQ(GPH_UNUSED, t.s[200]);	/* in the hole: never taken */
	hts_fini(&h);
	free(t.region);
}

TEST(a_run_never_joins_ranges_with_distant_file_offsets)
{
	/* Frames 0..1023 contiguous in guest-physical space, not in the file. */
	static struct hts_range split[] = {
		{ 0, 512 * PAGE, 1536 * PAGE },
		{ 512 * PAGE, 512 * PAGE, 0 },
	};
	static const struct hts_ram_map m = { split, 2, 2048 * PAGE };
	struct table t;
	struct hts h;
	struct rec r = { .map = &m };

	table_make(&t, 1024);
	mark(&t, 500, 24, GPH_UNUSED);
	hts_init(&h, t.region, t.size, 12, &m);
	ASSERT_EQ(NULL, hts_header_load(&h));
	EXPECT_EQ(24, pass(&h, GPH_UNUSED, &r, 65536));
	EXPECT_EQ(2, r.n);
	EXPECT_EQ(0, r.bad);
	hts_fini(&h);
	free(t.region);
}

TEST(hostile_bytes_and_summary_touch_nothing_outside)
{
	struct table t;
	struct hts h;
	struct rec r = { 0 };
	uint64_t f, busy = 0;
	int round;

	/* 2000 frames: 4 groups, the last partial; the summary word has 60 spare bits. */
	table_make(&t, 2000);
	srand(1);
	for (f = 0; f < 2000; f++) {
		t.s[f] = rand() & 0xff;
		if (f % 7 == 0)
			t.s[f] = GPH_UNUSED;
		if (f % 11 == 0)
			t.s[f] = GPH_BUSY;	/* the guest set it */
		busy += t.s[f] == GPH_BUSY;
	}
	for (round = 0; round < 3; round++) {
		hts_init(&h, t.region, t.size, 12, &ram_map);
		ASSERT_EQ(NULL, hts_header_load(&h));
		t.sum[0] = ~0ull;	/* bits far beyond nr_groups */
		if (round == 2) {
			static uint64_t cand[4096];
			size_t i, beyond = 0, n = hts_collect(&h, GPH_UNUSED, cand, 4096);

			for (i = 0; i < n; i++)
				beyond += cand[i] >= 2000;
			EXPECT_EQ(0, beyond);
			hts_mark_all(&h);
		}
		pass(&h, GPH_UNUSED, &r, round ? 1 : 65536);
		pass(&h, GPH_VOLATILE, &r, 700);
		EXPECT_GT(h.st.bad_bytes, 0);
		EXPECT_GT(h.st.busy_seen, 0);
		hts_fini(&h);
	}
	EXPECT_EQ(0, r.bad);
	EXPECT_TRUE(guard_intact(&t));
	for (f = 0; f < 2000; f += 11)
		EXPECT_EQ(GPH_BUSY, t.s[f]);	/* the host only releases what it took */
	(void)busy;
	free(t.region);
}

TEST(guest_takes_a_frame_back_before_the_window)
{
	struct table t;
	struct hts h;
	struct rec r = { 0 };
	static uint64_t cand[4096];
	struct hts_result res;
	size_t n;

	table_make(&t, 2048);
	mark(&t, 300, 10, GPH_UNUSED);
	hts_init(&h, t.region, t.size, 12, &ram_map);
	ASSERT_EQ(NULL, hts_header_load(&h));
	n = hts_collect(&h, GPH_UNUSED, cand, 4096);
	ASSERT_EQ(10, n);
	t.s[305] = GPH_STABLE;		/* allocated again */
	hts_apply(&h, GPH_UNUSED, cand, n, record, &r, &res);
	EXPECT_EQ(9, res.taken);
	EXPECT_EQ(1, h.st.take_failed);
	EXPECT_EQ(2, r.n);		/* 300..304 and 306..309 */
	EXPECT_EQ(GPH_STABLE, t.s[305]);
	hts_fini(&h);
	free(t.region);
}

TEST(guest_that_breaks_busy_is_counted)
{
	struct table t;
	struct hts h;
	struct rec r = { 0 };

	table_make(&t, 2048);
	mark(&t, 400, 3, GPH_VOLATILE);
	r.flip = &t.s[401];		/* moves a BUSY byte during the punch */
	hts_init(&h, t.region, t.size, 12, &ram_map);
	ASSERT_EQ(NULL, hts_header_load(&h));
	EXPECT_EQ(3, pass(&h, GPH_VOLATILE, &r, 4096));
	EXPECT_EQ(1, h.st.release_failed);
	EXPECT_EQ(GPH_DISCARDED, t.s[400]);
	EXPECT_EQ(GPH_STABLE, t.s[401]);
	hts_fini(&h);
	free(t.region);
}

TEST(batch_limit_reads_whole_groups_and_resumes)
{
	struct table t;
	struct hts h;
	struct rec r = { 0 };
	size_t total = 0, got;
	int calls = 0;

	table_make(&t, 2048);
	mark(&t, 256, 2048 - 256, GPH_UNUSED);
	hts_init(&h, t.region, t.size, 12, &ram_map);
	ASSERT_EQ(NULL, hts_header_load(&h));
	while ((got = pass(&h, GPH_UNUSED, &r, 600)) && calls < 10) {
		EXPECT_LE(got, 512);
		total += got;
		calls++;
	}
	EXPECT_EQ(2048 - 256, total);	/* each frame once */
	EXPECT_EQ(4, calls);
	/* A full pass (trust) finds them all again. */
	hts_mark_all(&h);
	EXPECT_EQ(256, pass(&h, GPH_UNUSED, &r, 600));	/* group 0: 256..511 */
	hts_fini(&h);
	free(t.region);
}

TEST(recover_releases_busy_as_the_journal_says)
{
	struct table t;
	struct hts h;
	struct rec r = { 0 };
	struct hts_result res;

	table_make(&t, 2048);
	memset(t.s + 500, GPH_BUSY, 20);
	hts_init(&h, t.region, t.size, 12, &ram_map);
	ASSERT_EQ(NULL, hts_header_load(&h));
	EXPECT_EQ(20, hts_count_busy(&h));
	hts_recover(&h, GPH_UNUSED, record, &r, &res);
	EXPECT_EQ(20, res.taken);
	EXPECT_EQ(GPH_UNUSED, t.s[510]);
	memset(t.s + 500, GPH_BUSY, 20);
	hts_recover(&h, GPH_VOLATILE, record, &r, &res);
	EXPECT_EQ(GPH_DISCARDED, t.s[510]);
	memset(t.s + 500, GPH_BUSY, 20);
	hts_recover(&h, 0x7f, record, &r, &res);	/* unknown kind: never UNUSED */
	EXPECT_EQ(GPH_DISCARDED, t.s[519]);
	EXPECT_EQ(0, hts_count_busy(&h));
	EXPECT_EQ(0, r.bad);
	hts_fini(&h);
	free(t.region);
}

TEST(frame_off_bounds)
{
	struct hts_ram_map small = { ranges, 2, 200 * PAGE };	/* file shorter than the map */
	uint64_t off;

	EXPECT_TRUE(hts_frame_off(&ram_map, 0, 12, &off));
	EXPECT_EQ(0, off);
	EXPECT_TRUE(hts_frame_off(&ram_map, 191, 12, &off));
	EXPECT_FALSE(hts_frame_off(&ram_map, 192, 12, &off));
	EXPECT_TRUE(hts_frame_off(&ram_map, 256, 12, &off));
	EXPECT_EQ(192 * PAGE, off);
	EXPECT_TRUE(hts_frame_off(&ram_map, 2047, 12, &off));
	EXPECT_FALSE(hts_frame_off(&ram_map, 2048, 12, &off));
	EXPECT_FALSE(hts_frame_off(&ram_map, ~0ull, 12, &off));
	EXPECT_FALSE(hts_frame_off(&ram_map, 1ull << 52, 12, &off));
	EXPECT_TRUE(hts_frame_off(&small, 263, 12, &off));
	EXPECT_FALSE(hts_frame_off(&small, 264, 12, &off));	/* past the file */
}

TEST_HARNESS_MAIN
