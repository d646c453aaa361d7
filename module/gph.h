/* SPDX-License-Identifier: GPL-2.0 */
/* gph.ko internals: the contract between the state machine and its backends. */
#ifndef _GPH_H
#define _GPH_H

#include <linux/kobject.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/types.h>
#include "gph_abi.h"
#include "states.h"

struct dentry;
struct folio;

/**
 * struct gph_backend - carries page states to one kind of host
 * @name: value of the backend= parameter
 * @probe: can this backend run on this machine? Called once at load, may
 *	sleep. Return 0, or -ENODEV after a pr_err() that says what to do
 *	instead. May be NULL (always available).
 * @start: set up for frames [0, @nr_frames), every frame stable. May sleep.
 *	Return 0 or -errno.
 * @stop: undo @start. Every frame is stable when it is called. May sleep.
 * @set_state: move frame @pfn to @new on behalf of the guest and return the
 *	state it left, or -errno for a transition the table forbids (after a
 *	WARN_ON_ONCE). Waits while the host owns the frame (GPH_BUSY). Called
 *	from the buddy free and alloc hooks: any context, must not sleep.
 * @get_state: the frame's current state; any context. Used by self-check.
 * @set_enabled: tell the host whether hints are current (after the load
 *	walk) or not (before the unload walk). May sleep. May be NULL.
 * @attrs: extra sysfs attributes in /sys/kernel/mm/gph/, or NULL.
 * @shares_arch_state: the architecture's own hints land in the same state
 *	(ESSA), so frames may already be hinted when gph loads.
 * @volatile_commit: make-volatile's commit of frame @pfn, whose byte @byte
 *	(gph_volatile_bytes) the guest holds PENDING: true if it is volatile
 *	now, false if a lookup took it back first. Any context, never sleeps.
 *	NULL for the table backend (volatile.c has it inline).
 * @volatile_use: take frame @pfn back before its content is used; returns
 *	as gph_proto_guest_use(). Any context; waits only for the short
 *	windows around other CPUs' ESSAs.
 *
 * A backend that does volatile pages sets gph_volatile_bytes and
 * gph_volatile_frames in @start and clears them in @stop.
 */
struct gph_backend {
	const char *name;
	int (*probe)(void);
	int (*start)(unsigned long nr_frames);
	void (*stop)(void);
	int (*set_state)(unsigned long pfn, enum gph_state new);
	int (*get_state)(unsigned long pfn);
	void (*set_enabled)(bool enabled);
	const struct attribute_group *attrs;
	bool shares_arch_state;
	bool (*volatile_commit)(u8 *byte, unsigned long pfn);
	int (*volatile_use)(u8 *byte, unsigned long pfn);
	const char *(*host)(void);	/* who takes pages back (sysfs host) */
};

/* main.c: the backend chosen at load */
extern const struct gph_backend *gph_backend;

#ifdef CONFIG_S390
extern const struct gph_backend gph_essa_backend;
#endif

/* Per-cpu statistics: always on, summed when sysfs is read. */
/* discards_by_order's last slot: PMD-sized folios (order 9 on x86 and s390) and up. */
#define GPH_MAX_ORDER	9

struct gph_stats {
	unsigned long transitions[GPH_NR_STATES][GPH_NR_STATES];
	unsigned long by_reason[GPH_NR_REASONS];
	unsigned long backend_ops;	/* host and ESSA GET_STATE operations; the
					 * guest's are derived from transitions */
	unsigned long backend_nops;	/* guest operations that changed nothing */
	unsigned long host_drops;	/* UNUSED pages the host took */
	unsigned long discards;		/* discarded folios removed from a cache */
	unsigned long discards_by_order[GPH_MAX_ORDER + 1];	/* of those, by folio
					 * order (the last: that order or more) */
	unsigned long rereads;		/* of those, read back in */
	unsigned long discards_swap;	/* of the discards, swap-cache folios */
	unsigned long rereads_swap;	/* of the re-reads, from swap */
	unsigned long discard_faults;	/* accesses the host reported as discarded */
	unsigned long left_lost;	/* frames a disable left discarded until
					 * unregistered: hwpoisoned folios */
};
DECLARE_PER_CPU(struct gph_stats, gph_stats);

static inline void gph_count_backend_ops(unsigned long n)
{
	this_cpu_add(gph_stats.backend_ops, n);
}

void gph_host_dropped(unsigned int nr);
void gph_moved(unsigned long pfn, unsigned int nr, enum gph_state old,
	       enum gph_state new, enum gph_reason reason);

/*
 * Fire a gph tracepoint with interrupts off: an event from an interrupt
 * nested in a BPF program attached to the same tracepoint would be dropped
 * by BPF's recursion guard, and BPF's counts would fall short of ours.
 */
#define gph_trace(event, ...)						\
	do {								\
		if (trace_##event##_enabled()) {			\
			unsigned long __gph_flags;			\
									\
			local_irq_save(__gph_flags);			\
			trace_##event(__VA_ARGS__);			\
			local_irq_restore(__gph_flags);			\
		}							\
	} while (0)

/* Every populated zone; for_each_populated_zone() is not usable by modules. */
#define for_each_gph_zone(nid, zone)					\
	for_each_online_node(nid)					\
		for (zone = NODE_DATA(nid)->node_zones;			\
		     zone < NODE_DATA(nid)->node_zones + MAX_NR_ZONES; zone++) \
			if (populated_zone(zone))

extern struct kobject *gph_kobj;

/* main.c, for selfcheck.c and kunit.c */
int gph_frame_state(unsigned long pfn);
void gph_frame_take_back(unsigned long pfn);
unsigned long gph_stats_by_reason(enum gph_reason reason);
unsigned long gph_stats_discards_by_order(unsigned int order);
unsigned long gph_frames(void);
bool gph_is_enabled(void);

/* selfcheck.c: /sys/kernel/debug/gph/ */
int gph_selfcheck_init(struct dentry **dir);
void gph_selfcheck_exit(struct dentry *dir);


/* table.c: the guest made a folio's frames volatile; the host should look. */
void gph_table_volatile(unsigned long pfn, unsigned long nr);
/* emul.c: the emulated host, for tests and machines with no host agent. */
int gph_emul_start(void);
void gph_emul_stop(void);
void gph_emul_volatile(unsigned long pfn);
void gph_emul_map_back(unsigned long pfn);
void gph_emul_debugfs_init(struct dentry *dir);

/*
 * volatile.c: volatile page cache. The guest's byte per frame: the table's
 * shared state bytes, or the essa backend's own; NULL: no volatile pages.
 */
extern u8 *gph_volatile_bytes;
extern unsigned long gph_volatile_frames;

/* Every byte of @nr frames STABLE? (GPH_STABLE is 0; plain loads: the caller orders them.) */
static __always_inline bool gph_bytes_stable(const u8 *bytes, unsigned long nr)
{
	if (nr == 1)	/* most folios */
		return READ_ONCE(*bytes) == GPH_STABLE;
	return !memchr_inv(bytes, GPH_STABLE, nr);
}

/* Frame @pfn's byte STABLE, or beyond the bytes (never volatile)? */
static inline bool gph_frame_byte_stable(unsigned long pfn)
{
	return pfn >= gph_volatile_frames ||
	       READ_ONCE(gph_volatile_bytes[pfn]) == GPH_STABLE;
}
extern bool gph_volatile_on;
extern unsigned int gph_sweep_ms;
void gph_volatile_set_active(bool active);
void gph_folio_idle(struct folio *folio, unsigned int extra_refs);
bool gph_folio_stable(struct folio *folio);
void gph_folio_discarded(struct folio *folio);
bool gph_discard_fault(phys_addr_t phys);
/* gph_volatile_release(): may disable make the frame stable? */
enum gph_release {
	GPH_RELEASE_DONE,	/* yes */
	GPH_RELEASE_HELD,	/* not yet: a discarded folio is still held */
	GPH_RELEASE_NEVER,	/* no: its folio is held for good (hwpoison) */
};
enum gph_release gph_volatile_release(unsigned long pfn);
void gph_reread_forget(void);
void gph_volatile_coverage(unsigned long *candidates, unsigned long *volatile_,
			   unsigned long *private);
int gph_sweep_start(void);
void gph_sweep_stop(void);

#endif /* _GPH_H */
