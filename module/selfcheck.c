// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/gph/selfcheck: compare every frame's recorded state with
 * the buddy allocator. While hinting is enabled, on a buddy free list ⇔
 * UNUSED (or BUSY, while the host holds it); pages on a per-cpu list are
 * handed out again without a hook, so they count as in use and must not be
 * UNUSED. A frame in use with volatile pages off must be STABLE, and while
 * disabled every frame must be.
 *
 * Free ⇒ UNUSED is checked inside the walk, which holds every lock that
 * guards the free lists: no page can leave them meanwhile. UNUSED ⇒ free is
 * checked after the walk, against the free set it recorded; a page freed or
 * allocated since (or caught between its hook and its list) disagrees for a
 * moment only. So a frame is a disagreement only if it disagrees in each of
 * GPH_CHECK_ROUNDS rounds.
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
#include "table.h"

#define GPH_CHECK_ROUNDS	3
#define GPH_CHECK_REPORT	16

struct gph_check {
	unsigned long *free;		/* frames on a free list in this round */
	unsigned long *free_bad;	/* ... whose state was not UNUSED/BUSY */
	unsigned long nr_pcp;		/* frames on per-cpu lists, this round */
	bool enabled;
	bool vol;			/* volatile pages on */
};

static bool gph_frame_agrees(int state, bool is_free, const struct gph_check *c)
{
	if (!c->enabled)
		return state == GPH_STABLE;
	if (is_free)
		return state == GPH_UNUSED || state == GPH_BUSY;
	if (!c->vol)	/* nothing makes it volatile: switching disables first */
		return state == GPH_STABLE;
	return state != GPH_UNUSED && state != GPH_BUSY;
}

/*
 * A page on a per-cpu list is handed out again without a hook: it must be
 * stable, and so must its byte (a frame freed volatile that page_free
 * missed would be reused volatile), enabled or not.
 */
static bool gph_pcp_frame_agrees(unsigned long pfn)
{
	return gph_frame_state(pfn) == GPH_STABLE && gph_frame_byte_stable(pfn);
}

/* Called under zone->lock and every pcp->lock of the zone. */
static void gph_check_free_block(struct page *page, unsigned int order,
				 bool on_pcp, void *arg)
{
	unsigned long pfn = page_to_pfn(page), nr = gph_frames(), end;
	struct gph_check *c = arg;

	/* Memory hot-added after load lies beyond the table: not checked. */
	if (pfn >= nr)
		return;
	end = min(pfn + (1ul << order), nr);
	if (on_pcp)
		c->nr_pcp += end - pfn;
	for (; pfn < end; pfn++) {
		__set_bit(pfn, c->free);
		if (on_pcp ? !gph_pcp_frame_agrees(pfn) :
		    !gph_frame_agrees(gph_frame_state(pfn), true, c))
			__set_bit(pfn, c->free_bad);
	}
}

static int gph_selfcheck_show(struct seq_file *m, void *v)
{
	unsigned long nr = gph_frames(), pfn, nr_free, nr_bad, shown = 0;
	struct gph_check c = {
		.enabled = gph_is_enabled(),
		.vol = READ_ONCE(gph_volatile_on),
	};
	unsigned long *bad;
	struct zone *zone;
	int round, nid;

	c.free = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), GFP_KERNEL);
	c.free_bad = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), GFP_KERNEL);
	bad = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), GFP_KERNEL);
	if (!c.free || !c.free_bad || !bad)
		goto nomem;
	bitmap_fill(bad, nr);
	for (round = 0; round < GPH_CHECK_ROUNDS; round++) {
		bitmap_zero(c.free, nr);
		bitmap_zero(c.free_bad, nr);
		c.nr_pcp = 0;
		for_each_gph_zone(nid, zone)
			page_states_walk_free(zone, gph_check_free_block, &c);
		for (pfn = 0; pfn < nr; pfn++) {
			bool agrees;

			if (!(pfn & 4095))
				cond_resched();
			if (!test_bit(pfn, bad))
				continue;
			if (!pfn_to_online_page(pfn))
				agrees = true;	/* holes: never hinted */
			else if (test_bit(pfn, c.free))
				agrees = !test_bit(pfn, c.free_bad);
			else
				agrees = gph_frame_agrees(gph_frame_state(pfn), false, &c);
			if (agrees)
				clear_bit(pfn, bad);
		}
	}
	nr_free = bitmap_weight(c.free, nr) - c.nr_pcp;
	nr_bad = bitmap_weight(bad, nr);
	seq_printf(m, "enabled %d\nframes %lu\nfree %lu\npcp %lu\ndisagreements %lu\n",
		   c.enabled, nr, nr_free, c.nr_pcp, nr_bad);
	if (gph_table.hdr)	/* the host's own counters, as the host agent sees them */
		seq_printf(m, "host_dropped %llu\nhost_discarded %llu\n",
			   READ_ONCE(gph_table.hdr->host_dropped),
			   READ_ONCE(gph_table.hdr->host_discarded));
	for_each_set_bit(pfn, bad, nr) {
		if (shown++ == GPH_CHECK_REPORT)
			break;
		seq_printf(m, "pfn 0x%lx state %s free %d\n", pfn,
			   gph_state_name(gph_frame_state(pfn)), test_bit(pfn, c.free));
	}
	if (nr_bad)
		pr_warn_ratelimited("selfcheck: %lu frames disagree with the buddy allocator\n",
				    nr_bad);
	kvfree(c.free);
	kvfree(c.free_bad);
	kvfree(bad);
	return 0;
nomem:
	kvfree(c.free);
	kvfree(c.free_bad);
	kvfree(bad);
	return -ENOMEM;
}
DEFINE_SHOW_ATTRIBUTE(gph_selfcheck);

/* coverage: idle page-cache folios that could be volatile, and those that are. */
static int gph_coverage_show(struct seq_file *m, void *v)
{
	unsigned long candidates, vol, private;

	gph_volatile_coverage(&candidates, &vol, &private);
	seq_printf(m, "candidates %lu\nvolatile %lu\nwith_private %lu\n", candidates, vol,
		   private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gph_coverage);

int gph_selfcheck_init(struct dentry **dir)
{
	*dir = debugfs_create_dir("gph", NULL);
	debugfs_create_file("selfcheck", 0400, *dir, NULL, &gph_selfcheck_fops);
	debugfs_create_file("coverage", 0400, *dir, NULL, &gph_coverage_fops);
	return 0;
}

void gph_selfcheck_exit(struct dentry *dir)
{
	debugfs_remove_recursive(dir);
}
