// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/gph/selfcheck: compare every frame's recorded state with
 * the buddy allocator. While hinting is enabled, free ⇔ UNUSED (or BUSY,
 * while the host holds it); while disabled, every frame must be STABLE.
 *
 * Pages move between the free lists and their users while the check runs, so
 * one snapshot can catch a page between its hook and its list. A frame is a
 * disagreement only if it disagrees in each of GPH_CHECK_ROUNDS snapshots.
 */
#define pr_fmt(fmt) "gph: " fmt

#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page_states.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include "gph.h"

#define GPH_CHECK_ROUNDS	3
#define GPH_CHECK_REPORT	16

static void gph_mark_free(struct page *page, unsigned int order, void *arg)
{
	unsigned long pfn = page_to_pfn(page), nr = gph_frames();
	unsigned long *free = arg;

	/* Memory hot-added after load lies beyond the table: not checked. */
	if (pfn < nr)
		bitmap_set(free, pfn, min_t(unsigned long, 1ul << order, nr - pfn));
}

static bool gph_frame_agrees(int state, bool is_free, bool enabled)
{
	if (!enabled)
		return state == GPH_STABLE;
	if (is_free)
		return state == GPH_UNUSED || state == GPH_BUSY;
	return state != GPH_UNUSED && state != GPH_BUSY;
}

static int gph_selfcheck_show(struct seq_file *m, void *v)
{
	unsigned long nr = gph_frames(), pfn, nr_free = 0, nr_bad, shown = 0;
	unsigned long *free, *bad;
	bool enabled = gph_is_enabled();
	struct zone *zone;
	int round, nid;

	free = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), GFP_KERNEL);
	bad = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), GFP_KERNEL);
	if (!free || !bad) {
		kvfree(free);
		kvfree(bad);
		return -ENOMEM;
	}
	bitmap_fill(bad, nr);
	for (round = 0; round < GPH_CHECK_ROUNDS; round++) {
		bitmap_zero(free, nr);
		for_each_online_node(nid)
			for (zone = NODE_DATA(nid)->node_zones;
			     zone < NODE_DATA(nid)->node_zones + MAX_NR_ZONES; zone++)
				if (populated_zone(zone))
					page_states_walk_free(zone, gph_mark_free, free);
		for (pfn = 0; pfn < nr; pfn++) {
			if (!pfn_to_online_page(pfn)) {
				clear_bit(pfn, bad);	/* holes: never hinted */
				continue;
			}
			if (test_bit(pfn, bad) &&
			    gph_frame_agrees(gph_frame_state(pfn),
					     test_bit(pfn, free), enabled))
				clear_bit(pfn, bad);
			if (!(pfn & 4095))
				cond_resched();
		}
	}
	nr_free = bitmap_weight(free, nr);
	nr_bad = bitmap_weight(bad, nr);
	seq_printf(m, "enabled %d\nframes %lu\nfree %lu\ndisagreements %lu\n",
		   enabled, nr, nr_free, nr_bad);
	for_each_set_bit(pfn, bad, nr) {
		if (shown++ == GPH_CHECK_REPORT)
			break;
		seq_printf(m, "pfn 0x%lx state %s free %d\n", pfn,
			   gph_state_name(gph_frame_state(pfn)),
			   test_bit(pfn, free));
	}
	if (nr_bad)
		pr_warn_ratelimited("selfcheck: %lu frames disagree with the buddy allocator\n",
				    nr_bad);
	kvfree(free);
	kvfree(bad);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gph_selfcheck);

int gph_selfcheck_init(struct dentry **dir)
{
	*dir = debugfs_create_dir("gph", NULL);
	debugfs_create_file("selfcheck", 0400, *dir, NULL, &gph_selfcheck_fops);
	return 0;
}

void gph_selfcheck_exit(struct dentry *dir)
{
	debugfs_remove_recursive(dir);
}
