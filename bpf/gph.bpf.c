// SPDX-License-Identifier: GPL-2.0
/*
 * gph page-state transitions from the module's gph:gph_state tracepoint:
 * counted into a BTF-typed hash map (pinned as /sys/fs/bpf/gph/transitions
 * by `gphtrace --pin`, so `bpftool map dump pinned` prints state names), and,
 * when gphtrace streams, sent to user space through a ring buffer.
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

/* Load-time parameters, set by gphtrace before loading. */
const volatile bool stream = false;	/* send events to the ring buffer */
const volatile __u32 targ_pid = 0;	/* only this process (0: all) */
const volatile __u32 state_mask = 0;	/* only events touching these states (0: all) */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void emit(unsigned long pfn, unsigned int nr_pages,
				 unsigned int old, unsigned int new, unsigned int reason)
{
	struct gph_state_event *e;
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (targ_pid && pid != targ_pid)
		return;
	if (state_mask && !(state_mask & ((1u << old) | (1u << new))))
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return;
	e->ts_ns = bpf_ktime_get_ns();
	e->pfn = pfn;
	e->nr_pages = nr_pages;
	e->pid = pid;
	e->old = old;
	e->new = new;
	e->reason = reason;
	e->pad = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

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
	if (stream)
		emit(pfn, nr_pages, old, new, reason);
	return 0;
}

/* Fallback when module BTF is missing: the raw tracepoint arguments. */
SEC("raw_tp/gph_state")
int BPF_PROG(gph_state_raw, unsigned long pfn, unsigned int nr_pages,
	     unsigned int old, unsigned int new, unsigned int reason)
{
	count(nr_pages, old, new, reason);
	if (stream)
		emit(pfn, nr_pages, old, new, reason);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
