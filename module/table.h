/* SPDX-License-Identifier: GPL-2.0 */
/* table backend: the guest's side of a transition, inline for the buddy hooks. */
#ifndef _GPH_TABLE_H
#define _GPH_TABLE_H

#include "gph.h"
#include "table_proto.h"

struct gph_table {
	struct gph_table_header *hdr;
	u64 *summary;
	u8 *states;
	unsigned long nr_frames;
	struct pci_dev *pdev;		/* host=hostd: the ivshmem device */
	resource_size_t region_size;	/* its BAR2 */
};

extern struct gph_table gph_table;
extern const struct gph_backend gph_table_backend;
extern const struct attribute_group gph_emul_group;

void gph_table_refused(unsigned long pfn, enum gph_state new);

static inline u8 *gph_table_byte(unsigned long pfn)
{
	return &gph_table.states[pfn];
}

/*
 * Move frame @pfn to @new as the guest; return the state it left, -ERANGE
 * beyond the table (hot-added memory stays stable: not hinted) or -EINVAL
 * for a move the transition table forbids.
 */
static __always_inline int gph_table_guest_set_state(unsigned long pfn,
						     enum gph_state new)
{
	int old;

	if (unlikely(pfn >= gph_table.nr_frames))
		return -ERANGE;
	old = gph_proto_guest_set(&gph_table.states[pfn], new);
	if (unlikely(old < 0)) {
		gph_table_refused(pfn, new);
		return -EINVAL;
	}
	/* A frame the host may take: where to look (a hot word, tested first). */
	if (new == GPH_UNUSED && old != GPH_UNUSED)
		gph_proto_summary_mark(gph_table.summary, pfn);
	return old;
}

/*
 * Move the eight frames from @pfn (a multiple of 8), all @from, to @new in
 * one exchange. Return: false if not all held @from (nothing changed) or
 * they reach beyond the table.
 */
static __always_inline bool gph_table_guest_set8(unsigned long pfn,
						 enum gph_state from,
						 enum gph_state new)
{
	if (unlikely(pfn + 8 > gph_table.nr_frames) ||
	    !gph_proto_guest_set8(&gph_table.states[pfn], from, new))
		return false;
	BUILD_BUG_ON(GPH_TABLE_GROUP_SHIFT < 3);
	if (new == GPH_UNUSED)	/* one group holds all eight */
		gph_proto_summary_mark(gph_table.summary, pfn);
	return true;
}

#endif /* _GPH_TABLE_H */
