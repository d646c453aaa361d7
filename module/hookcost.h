/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hook cost profiler: what each of the module's hooks costs per call, in
 * get_cycles() units (under QEMU with -icount shift=0: guest instructions),
 * measured in the workload that calls it. Off unless gph.ko is loaded with
 * hookcost=1: then gph registers timed copies of its hooks, so the hooks
 * of a normal load carry no profiling code at all.
 */
#ifndef _GPH_HOOKCOST_H
#define _GPH_HOOKCOST_H

#include <linux/percpu.h>
#include <linux/timex.h>
#include <linux/types.h>

enum gph_hook {
	GPH_HOOK_BUDDY_FREE,
	GPH_HOOK_BUDDY_ALLOC,
	GPH_HOOK_PAGE_FREE,
	GPH_HOOK_FOLIO_IDLE,
	GPH_HOOK_FOLIO_STABLE,
	GPH_HOOK_FOLIO_DISCARDED,
	GPH_HOOK_DISCARD_FAULT,
	GPH_NR_HOOKS
};

struct gph_hookcost {
	u64 calls;
	u64 frames;
	u64 cycles;	/* from entry to return, the timer's own cost included */
};

DECLARE_PER_CPU(struct gph_hookcost, gph_hookcost[GPH_NR_HOOKS]);
extern bool gph_hookcost_on;

static __always_inline u64 gph_cost_start(void)
{
	return get_cycles();
}

/* Any context: each this_cpu_add is safe against a hook in an interrupt. */
static __always_inline void gph_cost_end(enum gph_hook hook, u64 t0,
					 unsigned int frames)
{
	u64 d = get_cycles() - t0;

	this_cpu_add(gph_hookcost[hook].cycles, d);
	this_cpu_add(gph_hookcost[hook].frames, frames);
	this_cpu_inc(gph_hookcost[hook].calls);
}

void gph_hookcost_init(struct dentry *dir);

#endif /* _GPH_HOOKCOST_H */
