// SPDX-License-Identifier: GPL-2.0
/*
 * gph page-state transitions and discards from the module's tracepoints
 * (gph:gph_state, gph_host, gph_discard, gph_reread), counted into BTF-typed
 * maps that `gphtrace --pin` pins under /sys/fs/bpf/gph/ (so `bpftool map
 * dump pinned` prints state names and field names), and, when gphtrace
 * streams, sent to user space through a ring buffer:
 *
 *   transitions         old x new x reason -> events, pages
 *   discards_by_file    {dev, ino} -> discards (gph_discard), rereads (gph_reread),
 *                       pages (2^order per discard)
 *   discards_by_cgroup  cgroup id of the task that found the discard -> discards, pages
 *   volatile_lifetime   log2 histogram, ns from a folio going volatile to the
 *                       host discarding (any frame of) it
 *   reread_latency      log2 histogram of gph_reread's delay_ns: from finding
 *                       a discard to the folio being read back
 *
 * The histograms count pages: a folio's sample adds 2^order, so that a 2 MiB
 * folio weighs 512 pages there, as in discards_by_file.
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

/* Files beyond max_entries are not counted: the total would fall short. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct gph_file_key);
	__type(value, struct gph_file_val);
} discards_by_file SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct gph_cgroup_key);
	__type(value, struct gph_cgroup_val);
} discards_by_cgroup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GPH_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} volatile_lifetime SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GPH_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} reread_latency SEC(".maps");

/*
 * When each volatile folio went volatile: its first frame -> ns and frames
 * (a folio is naturally aligned, so a frame's folio starts at the frame
 * rounded down to some order). LRU: a folio that stays volatile while this
 * many others go volatile after it is forgotten, and its discard is not in
 * volatile_lifetime; long lifetimes are undercounted when much of memory is
 * volatile at once.
 */
struct gph_volatile_run {
	__u64 since_ns;
	__u64 nr_pages;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct gph_volatile_run);
} volatile_since SEC(".maps");

/* Orders a volatile folio can have: 0 .. MAX_PAGE_ORDER (10 on 6.12). */
#define GPH_MAX_FOLIO_ORDER 10

/* Load-time parameters, set by gphtrace before loading. */
const volatile bool stream = false;	/* send events to the ring buffer */
const volatile __u32 kind_mask = 0;	/* only these event kinds (0: all) */
const volatile __u32 targ_pid = 0;	/* only this process (0: all) */
const volatile __u32 state_mask = 0;	/* only transitions touching these states (0: all) */
const volatile __u32 targ_dev = 0;	/* with targ_ino: only discards of this */
const volatile __u64 targ_ino = 0;	/* file (kernel dev_t; 0: all) */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline unsigned int log2_u64(__u64 v)
{
	unsigned int r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r;
}

/* One sample of @v in log2 histogram @hist, weighing @pages. */
static __always_inline void hist_add(void *hist, __u64 v, __u64 pages)
{
	__u32 slot = log2_u64(v);
	__u64 *count;

	count = bpf_map_lookup_elem(hist, &slot);
	if (count)
		__sync_fetch_and_add(count, pages);
}

/* The stream's filters; fills the common header on success. */
static __always_inline struct gph_event *reserve(unsigned int kind)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct gph_event *e;

	if (!stream || (kind_mask && !(kind_mask & (1u << kind))))
		return NULL;
	if (targ_pid && pid != targ_pid)
		return NULL;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->kind = kind;
	e->pid = pid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline bool file_wanted(__u32 dev, __u64 ino)
{
	return !targ_ino || (dev == targ_dev && ino == targ_ino);
}

/* The value under @key, created as @zero first if absent; NULL if the map is full. */
static __always_inline void *lookup_or_init(void *map, const void *key,
					    const void *zero)
{
	void *val = bpf_map_lookup_elem(map, key);

	if (val)
		return val;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

/* --- gph_state --------------------------------------------------------- */

static __always_inline void count(unsigned int nr_pages, unsigned int old,
				  unsigned int new, unsigned int reason)
{
	struct gph_transition_key key = { .old = old, .new = new, .reason = reason };
	struct gph_transition_val zero = {}, *val;

	val = lookup_or_init(&transitions, &key, &zero);
	if (!val)
		return;
	__sync_fetch_and_add(&val->events, 1);
	__sync_fetch_and_add(&val->pages, nr_pages);
}

static __always_inline void on_state(unsigned long pfn, unsigned int nr_pages,
				     unsigned int old, unsigned int new,
				     unsigned int reason)
{
	struct gph_event *e;

	count(nr_pages, old, new, reason);
	/* A run is one folio (gph_folio_idle commits a whole folio, a lookup
	 * takes a whole folio back): keyed by its first frame. */
	if (new == GPH_VOLATILE) {
		struct gph_volatile_run run = { bpf_ktime_get_ns(), nr_pages };
		__u64 key = pfn;

		bpf_map_update_elem(&volatile_since, &key, &run, BPF_ANY);
	} else if ((old == GPH_VOLATILE && new != GPH_DISCARDED) ||
		   old == GPH_DISCARDED) {
		/* Taken back, or freed. The emulated host's discard, which it
		 * reports here too, ends the lifetime in on_host(); essa's,
		 * found only at a lookup, has no time: its run goes when the
		 * frame leaves DISCARDED. */
		__u64 key = pfn;

		bpf_map_delete_elem(&volatile_since, &key);
	}
	if (state_mask && !(state_mask & ((1u << old) | (1u << new))))
		return;
	e = reserve(GPH_EV_STATE);
	if (!e)
		return;
	e->state.pfn = pfn;
	e->state.nr_pages = nr_pages;
	e->state.old = old;
	e->state.new = new;
	e->state.reason = reason;
	bpf_ringbuf_submit(e, 0);
}

/* Preferred: typed arguments through the module's BTF. */
SEC("tp_btf/gph_state")
int BPF_PROG(gph_state_btf, unsigned long pfn, unsigned int nr_pages,
	     unsigned int old, unsigned int new, unsigned int reason)
{
	on_state(pfn, nr_pages, old, new, reason);
	return 0;
}

/* Fallback when module BTF is missing: the raw tracepoint arguments. */
SEC("raw_tp/gph_state")
int BPF_PROG(gph_state_raw, unsigned long pfn, unsigned int nr_pages,
	     unsigned int old, unsigned int new, unsigned int reason)
{
	on_state(pfn, nr_pages, old, new, reason);
	return 0;
}

/* --- gph_host: the end of a volatile lifetime ---------------------------- */

/*
 * The host discards frame by frame, a large folio's frames in any order: the
 * first frame of a folio it discards ends the folio's lifetime, counted with
 * all its pages; the folio's other frames then find no run. Two CPUs may
 * discard frames of one folio at once: the one whose delete succeeds counts.
 * A run whose folio was taken back between its commit and its trace event
 * stays until the frame changes state again (rare; it may count once wrong).
 */
static __always_inline void on_host(unsigned long pfn, unsigned int old,
				    unsigned int new)
{
	struct gph_volatile_run *run;
	__u64 key, since, nr;
	unsigned int order;

	if (old != GPH_VOLATILE || new != GPH_DISCARDED)
		return;
	for (order = 0; order <= GPH_MAX_FOLIO_ORDER; order++) {
		key = pfn & ~((1ull << order) - 1);
		run = bpf_map_lookup_elem(&volatile_since, &key);
		/* Folios do not overlap: one run at most covers @pfn. */
		if (!run || pfn - key >= run->nr_pages)
			continue;
		since = run->since_ns;
		nr = run->nr_pages;
		if (bpf_map_delete_elem(&volatile_since, &key))
			return;		/* another CPU's discard counted it */
		hist_add(&volatile_lifetime, bpf_ktime_get_ns() - since, nr);
		return;
	}
}

SEC("tp_btf/gph_host")
int BPF_PROG(gph_host_btf, unsigned long pfn, unsigned int nr_pages,
	     unsigned int old, unsigned int new)
{
	on_host(pfn, old, new);
	return 0;
}

SEC("raw_tp/gph_host")
int BPF_PROG(gph_host_raw, unsigned long pfn, unsigned int nr_pages,
	     unsigned int old, unsigned int new)
{
	on_host(pfn, old, new);
	return 0;
}

/* --- gph_discard and gph_reread: per file, per cgroup -------------------- */

static __always_inline struct gph_file_val *file_val(__u32 dev, __u64 ino)
{
	struct gph_file_key key = { .dev = dev, .ino = ino };
	struct gph_file_val zero = {};

	return lookup_or_init(&discards_by_file, &key, &zero);
}

static __always_inline void on_discard(__u32 dev, __u64 ino, __u64 index,
				       unsigned int order, bool swap, __u64 pfn)
{
	struct gph_cgroup_key ckey = { .cgroup_id = bpf_get_current_cgroup_id() };
	struct gph_cgroup_val czero = {}, *cval;
	struct gph_file_val *val;
	struct gph_event *e;

	__u64 pages = 1ull << (order & 31);	/* a large folio is discarded whole */

	val = file_val(dev, ino);
	if (val) {
		__sync_fetch_and_add(&val->discards, 1);
		__sync_fetch_and_add(&val->pages, pages);
	}
	cval = lookup_or_init(&discards_by_cgroup, &ckey, &czero);
	if (cval) {
		__sync_fetch_and_add(&cval->discards, 1);
		__sync_fetch_and_add(&cval->pages, pages);
	}

	if (!file_wanted(dev, ino))
		return;
	e = reserve(GPH_EV_DISCARD);
	if (!e)
		return;
	e->discard.dev = dev;
	e->discard.ino = ino;
	e->discard.index = index;
	e->discard.pfn = pfn;
	e->discard.order = order;
	e->discard.swap = swap;
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/gph_discard")
int BPF_PROG(gph_discard_btf, dev_t dev, unsigned long ino, unsigned long index,
	     unsigned int order, bool swap, unsigned long pfn)
{
	on_discard(dev, ino, index, order, swap, pfn);
	return 0;
}

SEC("raw_tp/gph_discard")
int BPF_PROG(gph_discard_raw, dev_t dev, unsigned long ino, unsigned long index,
	     unsigned int order, bool swap, unsigned long pfn)
{
	on_discard(dev, ino, index, order, swap, pfn);
	return 0;
}

static __always_inline void on_reread(__u32 dev, __u64 ino, __u64 index,
				      unsigned int order, __u64 delay_ns)
{
	struct gph_file_val *val;
	struct gph_event *e;

	val = file_val(dev, ino);
	if (val)
		__sync_fetch_and_add(&val->rereads, 1);
	hist_add(&reread_latency, delay_ns, 1ull << (order & 31));

	if (!file_wanted(dev, ino))
		return;
	e = reserve(GPH_EV_REREAD);
	if (!e)
		return;
	e->reread.dev = dev;
	e->reread.ino = ino;
	e->reread.index = index;
	e->reread.delay_ns = delay_ns;
	e->reread.order = order;
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/gph_reread")
int BPF_PROG(gph_reread_btf, dev_t dev, unsigned long ino, unsigned long index,
	     unsigned int order, u64 delay_ns)
{
	on_reread(dev, ino, index, order, delay_ns);
	return 0;
}

SEC("raw_tp/gph_reread")
int BPF_PROG(gph_reread_raw, dev_t dev, unsigned long ino, unsigned long index,
	     unsigned int order, u64 delay_ns)
{
	on_reread(dev, ino, index, order, delay_ns);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
