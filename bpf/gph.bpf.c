// SPDX-License-Identifier: GPL-2.0
/*
 * Counts gph page-state transitions from the module's gph:gph_state
 * tracepoint into a BTF-typed hash map, pinned as /sys/fs/bpf/gph/transitions
 * by `gphtrace --pin`, so `bpftool map dump pinned` prints state names.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "gph_events.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GPH_NR_STATES * GPH_NR_STATES * GPH_NR_REASONS);
	__type(key, struct gph_transition_key);
	__type(value, struct gph_transition_val);
} transitions SEC(".maps");

static __always_inline void count(unsigned int nr_pages, unsigned int old,
				  unsigned int new, unsigned int reason)
{
	struct gph_transition_key key = { .old = old, .new = new, .reason = reason };
	struct gph_transition_val zero = {}, *val;

	val = bpf_map_lookup_elem(&transitions, &key);
	if (!val) {
		bpf_map_update_elem(&transitions, &key, &zero, BPF_NOEXIST);
		val = bpf_map_lookup_elem(&transitions, &key);
		if (!val)
			return;
	}
	__sync_fetch_and_add(&val->events, 1);
	__sync_fetch_and_add(&val->pages, nr_pages);
}

/* Preferred: typed arguments through the module's BTF. */
SEC("tp_btf/gph_state")
int BPF_PROG(gph_state_btf, unsigned long pfn, unsigned int nr_pages,
	     unsigned int old, unsigned int new, unsigned int reason)
{
	count(nr_pages, old, new, reason);
	return 0;
}

/* Fallback when module BTF is missing: the raw tracepoint arguments. */
SEC("raw_tp/gph_state")
int BPF_PROG(gph_state_raw, unsigned long pfn, unsigned int nr_pages,
	     unsigned int old, unsigned int new, unsigned int reason)
{
	count(nr_pages, old, new, reason);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
