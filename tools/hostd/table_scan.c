// SPDX-License-Identifier: GPL-2.0
/*
 * gph-hostd's table handling (table_scan.h): header check, summary scan,
 * candidates, and the take/punch/release of a batch. No QMP or file access.
 */
#include <stdlib.h>
#include <string.h>
#include "table_scan.h"

#define GROUP_FRAMES	(1ull << GPH_TABLE_GROUP_SHIFT)

/* The state bytes read a word at a time (states_offset is page-aligned). */
typedef uint64_t __attribute__((may_alias)) u64_alias;

void hts_init(struct hts *t, void *region, uint64_t region_size,
	      unsigned int page_shift, const struct hts_ram_map *map)
{
	memset(t, 0, sizeof(*t));
	t->region = region;
	t->region_size = region_size;
	t->page_shift = page_shift;
	t->map = map;
}

static void free_pending(struct hts *t)
{
	free(t->pend[0]);
	free(t->pend[1]);
	t->pend[0] = t->pend[1] = NULL;
	t->nr_pend[0] = t->nr_pend[1] = 0;
}

void hts_fini(struct hts *t)
{
	free_pending(t);
	t->have_layout = false;
}

static unsigned char *states(struct hts *t)
{
	return t->region + t->l.states_offset;
}

static __u64 *summary(struct hts *t)
{
	return (__u64 *)(t->region + t->l.summary_offset);
}

const char *hts_header_load(struct hts *t)
{
	struct gph_table_layout l;
	const char *why;

	if (t->region_size < sizeof(t->hdr)) {
		memset(&t->hdr, 0, sizeof(t->hdr));
		why = "region smaller than a header";
	} else {
		/* One copy: the guest may rewrite the shared header meanwhile. */
		memcpy(&t->hdr, t->region, sizeof(t->hdr));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		why = gph_table_layout_check(&t->hdr, t->region_size,
					     t->page_shift, &l);
	}
	if (why) {
		t->st.header_rejects++;
		t->have_layout = false;
		return why;
	}
	if (!t->pend[0] || memcmp(&l, &t->l, sizeof(l))) {
		uint64_t words = l.summary_words;

		free_pending(t);
		t->pend[0] = calloc(words, sizeof(uint64_t));
		t->pend[1] = calloc(words, sizeof(uint64_t));
		if (!t->pend[0] || !t->pend[1]) {
			free_pending(t);
			t->have_layout = false;
			return "out of memory for the pending bitmaps";
		}
		t->l = l;
		t->have_layout = true;
		hts_mark_all(t);
	}
	t->have_layout = true;
	return NULL;
}

void hts_mark_all(struct hts *t)
{
	uint64_t w, rem;
	int k;

	if (!t->pend[0])
		return;
	for (k = 0; k < 2; k++) {
		for (w = 0; w < t->l.summary_words; w++)
			t->pend[k][w] = ~0ull;
		rem = t->l.nr_groups % 64;
		if (rem)
			t->pend[k][t->l.summary_words - 1] = (1ull << rem) - 1;
		t->nr_pend[k] = t->l.nr_groups;
	}
}

void hts_drain_summary(struct hts *t)
{
	__u64 *sum;
	uint64_t i, last_mask, rem;

	if (!t->have_layout)
		return;
	sum = summary(t);
	rem = t->l.nr_groups % 64;
	last_mask = rem ? (1ull << rem) - 1 : ~0ull;
	for (i = 0; i < t->l.summary_words; i++) {
		uint64_t w, n0, n1;

		/* A plain read first: an idle guest costs no locked operation. */
		if (!gph_proto_read(&sum[i]))
			continue;
		w = gph_proto_summary_take(&sum[i]);
		if (i == t->l.summary_words - 1)
			w &= last_mask;		/* bits beyond nr_groups: ignored */
		n0 = w & ~t->pend[0][i];
		n1 = w & ~t->pend[1][i];
		t->pend[0][i] |= w;
		t->pend[1][i] |= w;
		t->nr_pend[0] += __builtin_popcountll(n0);
		t->nr_pend[1] += __builtin_popcountll(n1);
	}
}

bool hts_frame_off(const struct hts_ram_map *m, uint64_t frame,
		   unsigned int page_shift, uint64_t *off)
{
	uint64_t page = 1ull << page_shift, gpa;
	size_t lo = 0, hi = m->nr;

	if (frame > (UINT64_MAX >> page_shift))
		return false;
	gpa = frame << page_shift;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct hts_range *r = &m->r[mid];

		if (gpa < r->gpa) {
			hi = mid;
		} else if (gpa - r->gpa >= r->len) {
			lo = mid + 1;
		} else {
			uint64_t o;

			if (r->len - (gpa - r->gpa) < page)
				return false;
			o = r->off + (gpa - r->gpa);
			if (o < r->off || m->file_size < page || o > m->file_size - page)
				return false;
			*off = o;
			return true;
		}
	}
	return false;
}

size_t hts_collect(struct hts *t, unsigned char kind, uint64_t *cand, size_t max)
{
	int k = kind == GPH_UNUSED ? 0 : 1;
	unsigned char *s;
	uint64_t wi, off;
	size_t n = 0;

	if (!t->have_layout || (kind != GPH_UNUSED && kind != GPH_VOLATILE))
		return 0;
	hts_drain_summary(t);
	if (!t->nr_pend[k])
		return 0;
	s = states(t);
	for (wi = 0; wi < t->l.summary_words; wi++) {
		uint64_t w = t->pend[k][wi];

		while (w) {
			uint64_t g = wi * 64 + __builtin_ctzll(w);
			uint64_t f = g << GPH_TABLE_GROUP_SHIFT;
			uint64_t end = f + GROUP_FRAMES;

			/* Whole groups only: a group is read to its end or not at all. */
			if (max - n < GROUP_FRAMES && n)
				goto out;
			if (g >= t->l.nr_groups)	/* cannot happen: masked */
				end = f;
			if (end > t->l.nr_frames)
				end = t->l.nr_frames;
			t->st.groups_read++;
			for (; f < end; f++) {
				unsigned char b;

				/*
				 * Eight STABLE (or other small) bytes at a time: skip a
				 * word with no byte == kind and none >= 4 (BUSY, bad).
				 */
				if (!(f & 7) && end - f >= 8) {
					uint64_t x = __atomic_load_n((const u64_alias *)&s[f],
								     __ATOMIC_RELAXED);
					uint64_t y = x ^ (0x0101010101010101ull * kind);

					if (!((y - 0x0101010101010101ull) & ~y & 0x8080808080808080ull) &&
					    !(x & 0xfcfcfcfcfcfcfcfcull)) {
						f += 7;
						continue;
					}
				}
				b = gph_proto_read(&s[f]);

				if (b == kind) {
					if (!hts_frame_off(t->map, f, t->page_shift, &off)) {
						t->st.unmapped++;
						continue;
					}
					if (n == max)
						goto out;	/* max < a group: the rest next time */
					cand[n++] = f;
				} else if (b >= GPH_NR_STATES) {
					t->st.bad_bytes++;
				} else if (b == GPH_BUSY) {
					t->st.busy_seen++;
				}
			}
			t->pend[k][wi] &= ~(1ull << (g % 64));
			if (t->nr_pend[k])
				t->nr_pend[k]--;
			w &= w - 1;
		}
	}
	t->nr_pend[k] = 0;	/* every word read: nothing left */
out:
	return n;
}

/* Punch the frames @f[0..n) (ascending, all taken) in runs of contiguous file offsets. */
static void punch_runs(struct hts *t, const uint64_t *f, size_t n,
		       hts_punch_fn punch, void *ctx, struct hts_result *res)
{
	uint64_t page = 1ull << t->page_shift;
	size_t i = 0, j;

	while (i < n) {
		uint64_t off, len = page, o;
		int err;

		if (!hts_frame_off(t->map, f[i], t->page_shift, &off)) {
			i++;	/* not guest RAM: released, never punched */
			continue;
		}
		for (j = i + 1; j < n && f[j] == f[j - 1] + 1 &&
		     hts_frame_off(t->map, f[j], t->page_shift, &o) && o == off + len; j++)
			len += page;
		i = j;
		if (len > t->map->file_size || off > t->map->file_size - len)
			continue;	/* hts_frame_off() checked each page: unreachable */
		t->st.punches++;
		err = punch(ctx, off, len);
		if (err) {
			t->st.punch_failed++;
			if (!res->err)
				res->err = err;
			continue;
		}
		res->bytes += len;
	}
}

static void release_all(struct hts *t, unsigned char kind, const uint64_t *f,
			size_t n, struct hts_result *res)
{
	unsigned char *s = states(t);
	size_t i;

	for (i = 0; i < n; i++) {
		if (gph_proto_host_release(&s[f[i]], kind))
			res->released++;
		else
			t->st.release_failed++;
	}
	if (kind == GPH_UNUSED)
		t->st.dropped += n;
	else
		t->st.discarded += n;
}

void hts_apply(struct hts *t, unsigned char kind, uint64_t *cand, size_t n,
	       hts_punch_fn punch, void *ctx, struct hts_result *res)
{
	unsigned char *s;
	size_t i, k = 0;

	memset(res, 0, sizeof(*res));
	if (!t->have_layout || (kind != GPH_UNUSED && kind != GPH_VOLATILE))
		return;
	s = states(t);
	for (i = 0; i < n; i++) {
		uint64_t f = cand[i];

		if (f >= t->l.nr_frames || (k && f <= cand[k - 1]))
			continue;	/* not from hts_collect() */
		if (gph_proto_host_take(&s[f], kind))
			cand[k++] = f;
		else
			t->st.take_failed++;
	}
	res->taken = k;
	punch_runs(t, cand, k, punch, ctx, res);
	release_all(t, kind, cand, k, res);
}

void hts_recover(struct hts *t, unsigned char kind, hts_punch_fn punch,
		 void *ctx, struct hts_result *res)
{
	uint64_t buf[4096], f;
	unsigned char *s;
	size_t n = 0;

	memset(res, 0, sizeof(*res));
	if (!t->have_layout)
		return;
	if (kind != GPH_UNUSED)
		kind = GPH_VOLATILE;	/* unknown: DISCARDED, never UNUSED */
	s = states(t);
	for (f = 0; f <= t->l.nr_frames; f++) {
		if (f < t->l.nr_frames && gph_proto_read(&s[f]) == GPH_BUSY &&
		    n < sizeof(buf) / sizeof(buf[0])) {
			buf[n++] = f;
			continue;
		}
		if (n && (f == t->l.nr_frames || n == sizeof(buf) / sizeof(buf[0]))) {
			res->taken += n;
			punch_runs(t, buf, n, punch, ctx, res);
			release_all(t, kind, buf, n, res);
			n = 0;
			if (f < t->l.nr_frames)
				f--;	/* look at this frame again */
		}
	}
}

uint64_t hts_count_busy(struct hts *t)
{
	unsigned char *s;
	uint64_t f, n = 0;

	if (!t->have_layout)
		return 0;
	s = states(t);
	for (f = 0; f < t->l.nr_frames; f++)
		n += gph_proto_read(&s[f]) == GPH_BUSY;
	return n;
}
