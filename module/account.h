/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counting and tracing a state change: inline, because it runs in the buddy
 * hooks for every page freed or allocated, and on every take-back of a
 * volatile frame. Include after gph_trace.h.
 */
#ifndef _GPH_ACCOUNT_H
#define _GPH_ACCOUNT_H

#include "gph.h"

static __always_inline void gph_account(unsigned long pfn, unsigned int nr,
					int old, unsigned int new,
					unsigned int reason)
{
	if (old < 0 || !nr)
		return;
	if (old == new) {	/* an operation that changed nothing: rare */
		this_cpu_add(gph_stats.backend_nops, nr);
		return;
	}
	/*
	 * Trace first: a reader that sees the counters unchanged across its
	 * read of a BPF map (gphstat) then knows the map holds no event the
	 * counters lack.
	 */
	gph_trace(gph_state, pfn, nr, old, new, reason);
	/* this_cpu ops: the hooks run in any context, interrupts included. */
	this_cpu_add(gph_stats.transitions[old][new], nr);
	/*
	 * Buddy frees and allocations are derived in gph_stats_sum(); frames
	 * that a free made stable (they were volatile) are counted here.
	 */
	if (reason != GPH_REASON_ALLOC &&
	    !(reason == GPH_REASON_FREE && new == GPH_UNUSED))
		this_cpu_add(gph_stats.by_reason[reason], nr);
}

#endif /* _GPH_ACCOUNT_H */
