// SPDX-License-Identifier: GPL-2.0
/*
 * bench-scan: what one gph-hostd interval's scan costs on a simulated guest.
 *
 *   bench-scan [GIB [TRANSITIONS_PER_S [INTERVAL_MS]]]   (default 1024 100000 100)
 *
 * A table for GIB GiB of guest RAM in anonymous memory; each interval the
 * "guest" makes TRANSITIONS_PER_S * INTERVAL_MS / 1000 transitions (a frame
 * freed: STABLE -> UNUSED and its summary bit, or allocated: UNUSED ->
 * STABLE), spread at random (the worst case: each hits another group) or
 * clustered in runs of 64 frames; then the host collects candidates and
 * takes/releases them with a punch that does nothing (the window's QMP and
 * fallocate costs are not the scan's). Prints the scan's time per interval.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include "table_scan.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int nop_punch(void *ctx, uint64_t off, uint64_t len)
{
	(void)ctx; (void)off; (void)len;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uint64_t gib = argc > 1 ? strtoull(argv[1], NULL, 0) : 1024;
	uint64_t rate = argc > 2 ? strtoull(argv[2], NULL, 0) : 100000;
	uint64_t interval = argc > 3 ? strtoull(argv[3], NULL, 0) : 100;
	uint64_t nr = gib << 18, per = rate * interval / 1000;
	static struct hts_range range;
	struct hts_ram_map map = { &range, 1, nr << 12 };
	struct gph_table_layout l;
	struct gph_table_header *h;
	uint64_t *cand = malloc(65536 * sizeof(*cand));
	unsigned char *region, *s;
	struct hts t;

	if (!gib || !cand)
		return 2;
	range.len = nr << 12;
	gph_table_layout_for(nr, &l);
	region = mmap(NULL, l.table_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (region == MAP_FAILED)
		return 2;
	memset(region, 0, l.table_size);	/* every frame STABLE, and touched */
	h = (struct gph_table_header *)region;
	*h = (struct gph_table_header){
		.magic = GPH_TABLE_MAGIC, .version = GPH_TABLE_VERSION, .page_shift = 12,
		.group_shift = GPH_TABLE_GROUP_SHIFT, .nr_frames = nr,
		.summary_offset = l.summary_offset, .states_offset = l.states_offset,
		.table_size = l.table_size,
		.guest_flags = GPH_GUEST_ATTACHED | GPH_GUEST_ENABLED,
	};
	s = region + l.states_offset;
	hts_init(&t, region, l.table_size, 12, &map);
	if (hts_header_load(&t))
		return 2;
	hts_collect(&t, GPH_UNUSED, cand, 65536);	/* the pass at trust, not timed */
	printf("# %llu GiB guest: %llu frames, summary %llu KiB, states %llu MiB; "
	       "%llu transitions per %llu ms interval\n",
	       (unsigned long long)gib, (unsigned long long)nr,
	       (unsigned long long)(l.summary_words * 8 / 1024),
	       (unsigned long long)(nr >> 20), (unsigned long long)per,
	       (unsigned long long)interval);

	for (int pattern = 0; pattern < 3; pattern++) {
		const char *name[] = { "idle", "random", "clustered-64" };
		uint64_t total = 0, worst = 0, taken = 0, groups0 = t.st.groups_read;
		int rounds = 50;

		for (int r = 0; r < rounds; r++) {
			uint64_t t0, dt, i;
			struct hts_result res;
			size_t n;

			for (i = 0; pattern && i < per; i++) {
				uint64_t f = pattern == 1 ? xorshift() % nr :
					     (xorshift() % (nr / 64)) * 64;
				uint64_t k, run = pattern == 1 ? 1 : 64;

				for (k = 0; k < run && i < per; k++, i++) {
					unsigned char want = s[f + k] == GPH_STABLE ? GPH_UNUSED : GPH_STABLE;

					if (gph_proto_guest_set(&s[f + k], want) >= 0 && want == GPH_UNUSED)
						gph_proto_summary_mark((__u64 *)(region + l.summary_offset), f + k);
				}
				i--;
			}
			t0 = now_ns();
			hts_header_load(&t);
			n = hts_collect(&t, GPH_UNUSED, cand, 65536);
			dt = now_ns() - t0;
			/* The window's part (take, nothing, release): reported apart. */
			qsort(cand, n, sizeof(*cand), cmp_u64);
			hts_apply(&t, GPH_UNUSED, cand, n, nop_punch, NULL, &res);
			taken += res.taken;
			total += dt;
			if (dt > worst)
				worst = dt;
		}
		printf("%-13s scan per interval: mean %7.1f us, worst %7.1f us, %5.2f %% of one CPU; "
		       "groups read %llu, frames taken %llu per interval\n", name[pattern],
		       total / 1e3 / rounds, worst / 1e3, total / 1e3 / rounds / (interval * 10.0),
		       (unsigned long long)((t.st.groups_read - groups0) / rounds),
		       (unsigned long long)(taken / rounds));
	}
	hts_fini(&t);
	return 0;
}
