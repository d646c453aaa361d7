// SPDX-License-Identifier: GPL-2.0
/*
 * gph: guest page hinting. The page-state machine: it receives the core's
 * page-state hooks, decides each page's state and hands it to a backend that
 * carries it to the host.
 */
#define pr_fmt(fmt) "gph: " fmt

#include <linux/cpumask.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/mutex.h>
#include <linux/page_states.h>
#include <linux/pagevec.h>
#include <linux/workqueue.h>
#include <linux/sysfs.h>
#include <kunit/visibility.h>
#include "gph.h"
#include "hookcost.h"
#include "table.h"

#define CREATE_TRACE_POINTS
#include "gph_trace.h"
#include "account.h"

DEFINE_PER_CPU(struct gph_stats, gph_stats);

static const struct gph_backend *const gph_backends[] = {
#ifdef CONFIG_S390
	&gph_essa_backend,
#endif
	&gph_table_backend,
};

static char *backend = "table";
module_param(backend, charp, 0444);
MODULE_PARM_DESC(backend, "where page states go: table (any arch), essa (s390 with CMMA)");

module_param_named(volatile, gph_volatile_on, bool, 0444);
MODULE_PARM_DESC(volatile, "make clean idle unmapped page-cache pages volatile (default 1; also /sys/kernel/mm/gph/volatile)");

/* sweep_ms, as a module parameter and in sysfs. */
static int gph_sweep_ms_set(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;

	if (kstrtouint(val, 0, &ms) || ms > 3600000) {
		pr_err_ratelimited("sweep_ms=%.24s: want 0 (off) .. 3600000 milliseconds\n", val);
		return -EINVAL;
	}
	WRITE_ONCE(gph_sweep_ms, ms);
	return 0;
}

static const struct kernel_param_ops gph_sweep_ms_ops = {
	.set = gph_sweep_ms_set,
	.get = param_get_uint,
};
module_param_cb(sweep_ms, &gph_sweep_ms_ops, &gph_sweep_ms, 0444);
MODULE_PARM_DESC(sweep_ms, "period of the walk that offers idle page-cache folios as volatile, 0 (off) .. 3600000 ms (default 1000; also sysfs)");

const struct gph_backend *gph_backend;
static unsigned long gph_nr_frames;
static bool gph_enabled;
static bool gph_draining;	/* disabling: free pages are no longer hinted */
static bool gph_unloading;	/* module exit began: enabled=1 is refused */
static DEFINE_MUTEX(gph_mutex);	/* serialises enable and disable */

/* --- transitions -------------------------------------------------------- */

static __always_inline int gph_set_one(unsigned long pfn, enum gph_state new,
				       enum gph_reason reason)
{
	/* The table backend inline: this runs for every page freed or allocated. */
	int old = gph_backend == &gph_table_backend ?
		gph_table_guest_set_state(pfn, new) :
		gph_backend->set_state(pfn, new);

	/*
	 * The counters start from "all stable". With a backend whose state
	 * the arch also sets (ESSA: s390's builtin CMMA hinted free pages
	 * before load), a frame already unused at load enters the books as
	 * stable -> unused. (A frame our own hook hinted between register and
	 * walk is then counted twice: the ESSA counters are approximate for
	 * the frees of that window.)
	 */
	if (reason == GPH_REASON_LOAD && old == new &&
	    gph_backend->shares_arch_state)
		old = GPH_STABLE;
	return old;
}

/*
 * The state that nearly every frame of a buddy move of many frames (an
 * order > 0, the load walk) leaves, for the table's eight-frame exchange;
 * -1 where the frames are set one by one.
 */
static __always_inline int gph_set8_from(enum gph_state new,
					 enum gph_reason reason)
{
	if (!IS_ENABLED(CONFIG_64BIT) || gph_backend != &gph_table_backend)
		return -1;	/* a word exchange where words are native */
	if (new == GPH_UNUSED &&
	    (reason == GPH_REASON_FREE || reason == GPH_REASON_LOAD))
		return GPH_STABLE;
	if (new == GPH_STABLE && reason == GPH_REASON_ALLOC)
		return GPH_UNUSED;
	return -1;
}

/*
 * Move @nr frames from @pfn to @new. Frames that change from the same old
 * state in a row are accounted and traced as one run. With the table, each
 * aligned eight frames that all hold the usual old state move in one
 * exchange; any others, one by one. Out of line, so that the order-0 path
 * of the hooks stays short.
 */
static noinline void gph_set_many(unsigned long pfn, unsigned int nr,
				  enum gph_state new, enum gph_reason reason)
{
	unsigned long f, end = pfn + nr, run_start = pfn;
	int from = gph_set8_from(new, reason);
	unsigned int run = 0, step;
	int run_old = -1, old;

	for (f = pfn; f < end; f += step) {
		if (from >= 0 && !(f & 7) && end - f >= 8 &&
		    gph_table_guest_set8(f, from, new)) {
			old = from;
			step = 8;
		} else {
			old = gph_set_one(f, new, reason);
			step = 1;
		}
		if (old != run_old) {
			gph_account(run_start, run, run_old, new, reason);
			run_start = f;
			run = 0;
			run_old = old;
		}
		run += step;
	}
	gph_account(run_start, run, run_old, new, reason);
}

static __always_inline void gph_set_range(unsigned long pfn, unsigned int nr,
					  enum gph_state new,
					  enum gph_reason reason)
{
	if (nr == 1)	/* most frees and allocations: order 0 */
		gph_account(pfn, 1, gph_set_one(pfn, new, reason), new, reason);
	else
		gph_set_many(pfn, nr, new, reason);
}

/* A transition of @nr frames from @pfn made outside the buddy hooks (volatile.c, emul). */
void gph_moved(unsigned long pfn, unsigned int nr, enum gph_state old,
	       enum gph_state new, enum gph_reason reason)
{
	gph_account(pfn, nr, old, new, reason);
}

/* Host-side accounting for backends whose host runs in the guest (emul). */
void gph_host_dropped(unsigned int nr)
{
	this_cpu_add(gph_stats.host_drops, nr);
}

/* --- core hooks --------------------------------------------------------- */

/*
 * The buddy hooks run where pages enter and leave the buddy free lists, under
 * zone->lock. Pages on the per-cpu lists stay stable: a fault and its munmap
 * that round-trip a page through one cost no hook at all.
 */
static void gph_free_pages(struct page *page, unsigned int order)
{
	if (READ_ONCE(gph_draining))
		return;
	gph_set_range(page_to_pfn(page), 1u << order, GPH_UNUSED,
		      GPH_REASON_FREE);
}

static void gph_alloc_pages(struct page *page, unsigned int order)
{
	gph_set_range(page_to_pfn(page), 1u << order, GPH_STABLE,
		      GPH_REASON_ALLOC);
}

/*
 * Registered only with volatile pages on: a frame freed volatile or
 * discarded (reclaim of a volatile folio, the last put of a discarded one)
 * must be stable before it reaches a per-cpu list, which hands it out again
 * without buddy_alloc. Not skipped while draining: the drain's walk may have
 * passed the frame already. Nearly every frame is stable: one byte load.
 */
static void gph_page_free(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page), nr = 1ul << order;

	if (unlikely(pfn + nr > gph_volatile_frames))
		return;		/* hot-added memory: never volatile */
	if (likely(gph_bytes_stable(&gph_volatile_bytes[pfn], nr)))
		return;
	gph_set_range(pfn, nr, GPH_STABLE, GPH_REASON_FREE);
}

/*
 * page_free, folio_idle and folio_stable are filled in by gph_enable(): only
 * with volatile pages on. Without them the core's page-cache sites and frees
 * are a patched jump each.
 */
static struct page_states_ops gph_ops = {
	.owner = THIS_MODULE,
	.buddy_free = gph_free_pages,
	.buddy_alloc = gph_alloc_pages,
	.folio_discarded = gph_folio_discarded,
	.discard_fault = gph_discard_fault,
};

/* The same hooks, timed (hookcost=1): registered instead of gph_ops. */
static void gph_free_pages_timed(struct page *page, unsigned int order)
{
	u64 t0 = gph_cost_start();

	gph_free_pages(page, order);
	gph_cost_end(GPH_HOOK_BUDDY_FREE, t0, 1u << order);
}

static void gph_alloc_pages_timed(struct page *page, unsigned int order)
{
	u64 t0 = gph_cost_start();

	gph_alloc_pages(page, order);
	gph_cost_end(GPH_HOOK_BUDDY_ALLOC, t0, 1u << order);
}

static void gph_page_free_timed(struct page *page, unsigned int order)
{
	u64 t0 = gph_cost_start();

	gph_page_free(page, order);
	gph_cost_end(GPH_HOOK_PAGE_FREE, t0, 1u << order);
}

static void gph_folio_idle_timed(struct folio *folio, unsigned int extra_refs)
{
	u64 t0 = gph_cost_start();

	gph_folio_idle(folio, extra_refs);
	gph_cost_end(GPH_HOOK_FOLIO_IDLE, t0, folio_nr_pages(folio));
}

static bool gph_folio_stable_timed(struct folio *folio)
{
	u64 t0 = gph_cost_start();
	bool ret = gph_folio_stable(folio);

	gph_cost_end(GPH_HOOK_FOLIO_STABLE, t0, folio_nr_pages(folio));
	return ret;
}

static void gph_folio_discarded_timed(struct folio *folio)
{
	u64 t0 = gph_cost_start();

	gph_folio_discarded(folio);
	gph_cost_end(GPH_HOOK_FOLIO_DISCARDED, t0, folio_nr_pages(folio));
}

static bool gph_discard_fault_timed(phys_addr_t phys)
{
	u64 t0 = gph_cost_start();
	bool ret = gph_discard_fault(phys);

	gph_cost_end(GPH_HOOK_DISCARD_FAULT, t0, 1);
	return ret;
}

static struct page_states_ops gph_ops_timed = {
	.owner = THIS_MODULE,
	.buddy_free = gph_free_pages_timed,
	.buddy_alloc = gph_alloc_pages_timed,
	.folio_discarded = gph_folio_discarded_timed,
	.discard_fault = gph_discard_fault_timed,
};

static struct page_states_ops *gph_registered_ops(void)
{
	return gph_hookcost_on ? &gph_ops_timed : &gph_ops;
}

/*
 * The hooks of volatile pages, registered only with them on: the core then
 * turns its page-cache sites on (page_states_volatile). Each ops is
 * registered alone and filled in only while it is not registered.
 */
static void gph_ops_set_volatile(struct page_states_ops *ops, bool on)
{
	bool timed = ops == &gph_ops_timed;

	ops->page_free = NULL;
	ops->folio_idle = NULL;
	ops->folio_stable = NULL;
	if (!on)
		return;
	ops->page_free = timed ? gph_page_free_timed : gph_page_free;
	ops->folio_idle = timed ? gph_folio_idle_timed : gph_folio_idle;
	ops->folio_stable = timed ? gph_folio_stable_timed : gph_folio_stable;
}

/* A backend that does volatile pages gives volatile.c a byte per frame. */
static bool gph_backend_does_volatile(void)
{
	return gph_volatile_bytes;
}

/* --- zones -------------------------------------------------------------- */

static unsigned long gph_end_pfn(void)
{
	unsigned long end = 0;
	struct zone *zone;
	int nid;

	for_each_gph_zone(nid, zone)
		end = max(end, zone_end_pfn(zone));
	return end;
}

static void gph_hint_free_block(struct page *page, unsigned int order,
				bool on_pcp, void *arg)
{
	unsigned long pfn = page_to_pfn(page), i, *nr_hinted = arg;

	if (!on_pcp) {
		gph_set_range(pfn, 1u << order, GPH_UNUSED, GPH_REASON_LOAD);
		*nr_hinted += 1ul << order;
		return;
	}
	/*
	 * Per-cpu lists stay stable. s390's CMMA hinted these unused on their
	 * way there: make them stable in the machine too, outside our books,
	 * which never counted them unused (the arch's alloc hint would, too).
	 */
	if (gph_backend->shares_arch_state)
		for (i = 0; i < 1ul << order && pfn + i < gph_nr_frames; i++)
			gph_backend->set_state(pfn + i, GPH_STABLE);
}

/*
 * Every frame back to stable; waits for the host to let go of BUSY frames.
 * A volatile folio is taken back as a lookup would, and a discarded one
 * still in a cache is removed first: its content is gone. A frame whose
 * discarded folio someone still holds stays lost until they let go: walk
 * again until none is left (a lookup that found it must still see it lost,
 * and no hook may be gone by then).
 */
static void gph_drain_local(struct work_struct *work)
{
	struct folio_batch none;

	folio_batch_init(&none);
	__folio_batch_release(&none);	/* drains this CPU's LRU batches first */
}

/*
 * Per-cpu LRU batches hold a reference on each folio in them, and may keep
 * one a discarded swap-cache folio's removal needs gone until their CPU
 * drains them (lru_add_drain_all() is not exported). Sleeps.
 */
static void gph_drain_lru_batches(void)
{
	struct work_struct __percpu *works = alloc_percpu(struct work_struct);
	int cpu;

	if (!works)
		return;
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		INIT_WORK(per_cpu_ptr(works, cpu), gph_drain_local);
		queue_work_on(cpu, system_wq, per_cpu_ptr(works, cpu));
	}
	for_each_online_cpu(cpu)
		flush_work(per_cpu_ptr(works, cpu));
	cpus_read_unlock();
	free_percpu(works);
}

static unsigned long gph_all_stable(void)
{
	unsigned long pfn, held, lost;

	do {
		held = lost = 0;
		for (pfn = 0; pfn < gph_nr_frames; pfn++) {
			if (!(pfn & 4095))
				cond_resched();
			/* Holes and offline memory were never hinted (and ESSA on them faults). */
			if (!pfn_to_online_page(pfn))
				continue;
			while (gph_backend->get_state(pfn) == GPH_BUSY)
				cpu_relax();
			switch (gph_volatile_release(pfn)) {
			case GPH_RELEASE_HELD:
				held++;
				continue;
			case GPH_RELEASE_NEVER:
				lost++;
				continue;
			case GPH_RELEASE_DONE:
				break;
			}
			/* essa: the machine may be stable while the guest's byte is not. */
			if (gph_backend->get_state(pfn) != GPH_STABLE ||
			    !gph_frame_byte_stable(pfn))
				gph_set_range(pfn, 1, GPH_STABLE, GPH_REASON_UNLOAD);
		}
		if (held) {
			pr_warn_ratelimited("disable: %lu discarded folios still held; walking again\n",
					    held);
			gph_drain_lru_batches();	/* a holder may be one */
		}
	} while (held);
	return lost;
}

/*
 * After unregistering: the frames whose discarded folios are held for good
 * (hwpoison) stayed lost while a lookup could still find them. Nothing
 * consults their state now, but a later enable would take their next owner
 * for discarded: make them stable (content lost, as hwpoison's is).
 */
static void gph_reset_left_lost(unsigned long lost)
{
	unsigned long pfn;
	u8 state;

	if (!lost)
		return;
	for (pfn = 0; pfn < gph_volatile_frames; pfn++) {
		state = READ_ONCE(gph_volatile_bytes[pfn]);
		if (state == GPH_STABLE || state == GPH_UNUSED)
			continue;
		gph_emul_map_back(pfn);
		gph_set_range(pfn, 1, GPH_STABLE, GPH_REASON_UNLOAD);
	}
	this_cpu_add(gph_stats.left_lost, lost);
	pr_warn("disable: %lu hwpoisoned frames were left discarded until the hooks were gone\n",
		lost);
}

/* --- per-cpu lists ------------------------------------------------------ */

/*
 * Pages on the per-cpu lists stay stable: the hooks run at the buddy lists.
 * After a burst of frees the allocator lets those lists grow to an eighth of
 * a zone, and shrinks them by an eighth a second (not on a CPU that sleeps).
 * So twice a second a zone whose idle per-cpu lists hold more than 1 % of
 * its pages is drained into the buddy lists, where its free pages become
 * unused. A CPU's list is idle when that CPU allocated fewer pages of the
 * zone's type since the last look than the list holds; a busy list's pages
 * are taken again within the half second and would give the host nothing
 * (and a drain costs a refill from the buddy lists, hooks included), so busy
 * lists alone never cause a drain. Free memory is back to the host within
 * about a second of its list going quiet. The counts are per zone type,
 * summed over nodes, and read without the CPU hotplug lock (a memory
 * offline waits for this work while holding it): a count folded from a CPU
 * going offline only makes a list look busy for one look.
 */
#define GPH_PCP_PERIOD_MS	500
#define GPH_PCP_MAX_PERMILLE	10

static void gph_pcp_drain(struct work_struct *work);
static DECLARE_DELAYED_WORK(gph_pcp_work, gph_pcp_drain);
static bool gph_pcp_on;			/* enabled: the drain requeues itself */
static atomic_t gph_pcp_offlining;	/* memory is going offline: see below */
/* Per CPU and zone type: PGALLOC_* at the last look, and the change since. */
static DEFINE_PER_CPU(unsigned long [MAX_NR_ZONES], gph_pcp_allocs_seen);
static DEFINE_PER_CPU(unsigned long [MAX_NR_ZONES], gph_pcp_allocs_new);

static void gph_pcp_queue(void)
{
	if (READ_ONCE(gph_pcp_on) && !atomic_read(&gph_pcp_offlining))
		queue_delayed_work(system_unbound_wq, &gph_pcp_work,
				   msecs_to_jiffies(GPH_PCP_PERIOD_MS));
}

/* Each CPU's allocations per zone type since the last call (0 without the counts). */
static void gph_pcp_count_allocs(void)
{
#ifdef CONFIG_VM_EVENT_COUNTERS
	unsigned long *seen, *new, now;
	int cpu, zid;

	for_each_possible_cpu(cpu) {
		seen = per_cpu(gph_pcp_allocs_seen, cpu);
		new = per_cpu(gph_pcp_allocs_new, cpu);
		for (zid = 0; zid < MAX_NR_ZONES; zid++) {
			/* As __count_zid_vm_events() indexes them. */
			now = READ_ONCE(per_cpu(vm_event_states, cpu).event[PGALLOC_NORMAL -
									    ZONE_NORMAL + zid]);
			new[zid] = now - seen[zid];
			seen[zid] = now;
		}
	}
#endif
}

/* Pages on @zone's idle per-cpu lists. */
static unsigned long gph_pcp_idle_pages(struct zone *zone)
{
	unsigned long idle = 0, count;
	int cpu;

	for_each_possible_cpu(cpu) {
		count = READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset, cpu)->count);
		if (per_cpu(gph_pcp_allocs_new, cpu)[zone_idx(zone)] < count)
			idle += count;
	}
	return idle;
}

static void gph_pcp_drain(struct work_struct *work)
{
	struct zone *zone;
	int nid;

	if (atomic_read(&gph_pcp_offlining))
		return;		/* requeued when the offline ends */
	gph_pcp_count_allocs();
	for_each_gph_zone(nid, zone)
		if (gph_pcp_idle_pages(zone) * 1000 >
		    zone_managed_pages(zone) * GPH_PCP_MAX_PERMILLE)
			drain_all_pages(zone);
	gph_pcp_queue();
}

/*
 * Offlining a zone's last memory frees its per-cpu lists (zone_pcp_reset())
 * between MEM_GOING_OFFLINE and MEM_OFFLINE: the drain, which reads them,
 * waits that out. Not under gph_mutex: the walk of an enable holds it and
 * takes the memory hotplug lock, which this notifier runs under.
 */
static int gph_memory_event(struct notifier_block *nb, unsigned long action,
			    void *arg)
{
	switch (action) {
	case MEM_GOING_OFFLINE:
		atomic_inc(&gph_pcp_offlining);
		cancel_delayed_work_sync(&gph_pcp_work);
		break;
	case MEM_OFFLINE:
	case MEM_CANCEL_OFFLINE:
		if (atomic_dec_and_test(&gph_pcp_offlining))
			gph_pcp_queue();
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block gph_memory_nb = {
	.notifier_call = gph_memory_event,
};

/* --- enable / disable --------------------------------------------------- */

static int gph_enable(void)
{
	struct page_states_ops *ops;
	unsigned long nr_hinted;
	struct zone *zone;
	int nid, err;
	bool vol;
	u64 t0;

	lockdep_assert_held(&gph_mutex);
	if (gph_enabled)
		return 0;
	if (gph_unloading)
		return -ENODEV;
	ops = gph_registered_ops();
	/* Read once: make-volatile may start only with folio_stable registered. */
	vol = gph_backend_does_volatile() && READ_ONCE(gph_volatile_on);
	gph_ops_set_volatile(ops, vol);
	/* The core skips page_free and folio_stable for frames whose byte is 0. */
	BUILD_BUG_ON(GPH_STABLE != 0);
	ops->stable_map = gph_volatile_bytes;
	ops->stable_map_frames = gph_volatile_frames;
	err = page_states_register(ops);
	if (err) {
		pr_err("cannot register page-state hooks (%d)%s\n", err,
		       err == -EBUSY ? ": another page hinting module is loaded" : "");
		return err;
	}
	/*
	 * Frees from now on are hinted by the hook; hint what was free before.
	 * Each zone's walk runs with interrupts off: say how long it took.
	 */
	for_each_gph_zone(nid, zone) {
		nr_hinted = 0;
		t0 = ktime_get_ns();
		page_states_walk_free(zone, gph_hint_free_block, &nr_hinted);
		pr_info("node %d zone %s: %lu free frames hinted in %llu us\n",
			nid, zone->name, nr_hinted,
			div_u64(ktime_get_ns() - t0, NSEC_PER_USEC));
	}
	if (gph_backend->set_enabled)
		gph_backend->set_enabled(true);
	gph_enabled = true;
	if (vol)
		gph_volatile_set_active(true);
	WRITE_ONCE(gph_pcp_on, true);
	gph_pcp_queue();
	return 0;
}

/*
 * Disabling must not leave a page UNUSED that is then allocated without the
 * alloc hook (the host could drop it under its new owner). So, with the
 * hooks still registered:
 *   1. stop hinting frees, and wait (RCU: the core runs each hook inside
 *      rcu_read_lock()) until no free hook that missed the flag is running;
 *   2. make every frame stable: no frame can become UNUSED again, and a
 *      page leaving the buddy lists during the walk still meets buddy_alloc
 *      (per-cpu lists hold stable pages only);
 *   3. only then unregister.
 */
static void gph_disable(void)
{
	unsigned long lost;

	lockdep_assert_held(&gph_mutex);
	if (!gph_enabled)
		return;
	WRITE_ONCE(gph_pcp_on, false);	/* the drain stops requeueing */
	cancel_delayed_work_sync(&gph_pcp_work);
	if (gph_backend->set_enabled)
		gph_backend->set_enabled(false);
	gph_volatile_set_active(false);
	WRITE_ONCE(gph_draining, true);
	synchronize_rcu();	/* no make-volatile is running after this */
	lost = gph_all_stable();
	page_states_unregister(gph_registered_ops());
	gph_reset_left_lost(lost);
	gph_reread_forget();
	WRITE_ONCE(gph_draining, false);
	gph_enabled = false;
}

/* --- sysfs: /sys/kernel/mm/gph/ ----------------------------------------- */

struct kobject *gph_kobj;
static struct kobject *gph_stats_kobj;

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(gph_enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	bool on;
	int err;

	if (kstrtobool(buf, &on))
		return -EINVAL;
	mutex_lock(&gph_mutex);
	if (on) {
		err = gph_enable();
	} else {
		gph_disable();
		err = 0;
	}
	mutex_unlock(&gph_mutex);
	return err ? err : count;
}
static struct kobj_attribute enabled_attr = __ATTR_RW(enabled);

static ssize_t backend_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", gph_backend->name);
}
static struct kobj_attribute backend_attr = __ATTR_RO(backend);

/* Who takes pages back, as the backend knows it. */
static const char *gph_host_name(void)
{
	return gph_backend->host ? gph_backend->host() : "unknown";
}

static ssize_t host_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", gph_host_name());
}
static struct kobj_attribute host_attr = __ATTR_RO(host);

static ssize_t avail_backends_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	int i, len = 0;

	for (i = 0; i < ARRAY_SIZE(gph_backends); i++)
		len += sysfs_emit_at(buf, len, "%s%s", i ? " " : "",
				     gph_backends[i]->name);
	return len + sysfs_emit_at(buf, len, "\n");
}
static struct kobj_attribute avail_backends_attr = __ATTR_RO(avail_backends);

static ssize_t nr_frames_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%lu\n", gph_nr_frames);
}
static struct kobj_attribute nr_frames_attr = __ATTR_RO(nr_frames);

static ssize_t volatile_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(gph_volatile_on));
}

/*
 * Switching volatile off takes every volatile page back: the same drain as
 * disable, so a plain "enabled" cycle does it.
 */
static ssize_t volatile_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	bool on;
	int err = 0;

	if (kstrtobool(buf, &on)) {
		pr_err_ratelimited("volatile: want 0 or 1\n");
		return -EINVAL;
	}
	if (on && !gph_backend_does_volatile()) {
		pr_err_ratelimited("volatile: the %s backend does not do volatile pages on this host (%s)\n",
				   gph_backend->name, gph_host_name());
		return -EOPNOTSUPP;
	}
	mutex_lock(&gph_mutex);
	if (on != READ_ONCE(gph_volatile_on)) {
		bool was_enabled = gph_enabled;

		gph_disable();
		WRITE_ONCE(gph_volatile_on, on);
		if (was_enabled)
			err = gph_enable();
	}
	mutex_unlock(&gph_mutex);
	return err ? err : count;
}
static struct kobj_attribute volatile_attr = __ATTR_RW(volatile);

static ssize_t sweep_ms_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(gph_sweep_ms));
}

static ssize_t sweep_ms_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	int err = gph_sweep_ms_set(buf, NULL);

	return err ? err : count;
}
static struct kobj_attribute sweep_ms_attr = __ATTR_RW(sweep_ms);

static struct attribute *gph_attrs[] = {
	&enabled_attr.attr,
	&volatile_attr.attr,
	&sweep_ms_attr.attr,
	&backend_attr.attr,
	&host_attr.attr,
	&avail_backends_attr.attr,
	&nr_frames_attr.attr,
	NULL,
};
static const struct attribute_group gph_attr_group = { .attrs = gph_attrs };

/* stats/: one value per file, except the transition matrix. */
static void gph_stats_sum(struct gph_stats *sum, long nr_state[GPH_NR_STATES])
{
	unsigned long freed_stable;
	int cpu, i, j;

	memset(sum, 0, sizeof(*sum));
	memset(nr_state, 0, sizeof(long) * GPH_NR_STATES);
	for_each_possible_cpu(cpu) {
		struct gph_stats *st = per_cpu_ptr(&gph_stats, cpu);

		for (i = 0; i < GPH_NR_STATES; i++)
			for (j = 0; j < GPH_NR_STATES; j++)
				sum->transitions[i][j] += READ_ONCE(st->transitions[i][j]);
		for (i = 0; i < GPH_NR_REASONS; i++)
			sum->by_reason[i] += READ_ONCE(st->by_reason[i]);
		sum->backend_ops += READ_ONCE(st->backend_ops) + READ_ONCE(st->backend_nops);
		sum->host_drops += READ_ONCE(st->host_drops);
		sum->discards += READ_ONCE(st->discards);
		for (i = 0; i <= GPH_MAX_ORDER; i++)
			sum->discards_by_order[i] += READ_ONCE(st->discards_by_order[i]);
		sum->rereads += READ_ONCE(st->rereads);
		sum->discards_swap += READ_ONCE(st->discards_swap);
		sum->rereads_swap += READ_ONCE(st->rereads_swap);
		sum->discard_faults += READ_ONCE(st->discard_faults);
		sum->left_lost += READ_ONCE(st->left_lost);
	}
	/*
	 * The hot path counts only transitions. Pages per state: what came
	 * in minus what went out; backend operations: one a page moved (or
	 * found already there), plus the host's and ESSA's own.
	 */
	for (i = 0; i < GPH_NR_STATES; i++)
		for (j = 0; j < GPH_NR_STATES; j++) {
			nr_state[j] += sum->transitions[i][j];
			nr_state[i] -= sum->transitions[i][j];
			sum->backend_ops += sum->transitions[i][j];
		}
	/*
	 * Only the buddy hooks move pages to UNUSED other than the load walk,
	 * and to STABLE other than unload, lookups, faults and the frees of
	 * volatile frames (by_reason[FREE] so far holds those): the rest is
	 * theirs.
	 */
	freed_stable = sum->by_reason[GPH_REASON_FREE];
	for (i = 0; i < GPH_NR_STATES; i++) {
		sum->by_reason[GPH_REASON_FREE] += sum->transitions[i][GPH_UNUSED];
		sum->by_reason[GPH_REASON_ALLOC] += sum->transitions[i][GPH_STABLE];
	}
	sum->by_reason[GPH_REASON_FREE] -= sum->by_reason[GPH_REASON_LOAD];
	sum->by_reason[GPH_REASON_ALLOC] -= sum->by_reason[GPH_REASON_UNLOAD] +
					    sum->by_reason[GPH_REASON_USE] +
					    sum->by_reason[GPH_REASON_FAULT] + freed_stable;
}

static ssize_t gph_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf);

#define GPH_STAT_ATTR(_name) \
	static struct kobj_attribute _name##_attr = __ATTR(_name, 0444, gph_stat_show, NULL)
GPH_STAT_ATTR(nr_stable);
GPH_STAT_ATTR(nr_unused);
GPH_STAT_ATTR(nr_volatile);
GPH_STAT_ATTR(nr_discarded);
GPH_STAT_ATTR(backend_ops);
GPH_STAT_ATTR(host_drops);
GPH_STAT_ATTR(discards);
GPH_STAT_ATTR(discards_by_order);
GPH_STAT_ATTR(rereads);
GPH_STAT_ATTR(discards_swap);
GPH_STAT_ATTR(rereads_swap);
GPH_STAT_ATTR(discard_faults);
GPH_STAT_ATTR(left_lost);
GPH_STAT_ATTR(transitions);
GPH_STAT_ATTR(states);
GPH_STAT_ATTR(reasons);

static ssize_t gph_stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	long nr_state[GPH_NR_STATES];
	struct gph_stats *sum;
	ssize_t len = 0;
	int i, j;

	sum = kmalloc(sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	gph_stats_sum(sum, nr_state);
	/* Frames never touched are stable: the sum is counted from all-stable. */
	nr_state[GPH_STABLE] += gph_nr_frames;

	if (attr == &transitions_attr) {
		/* Every move the books keep: the guest's, and the host's discards. */
		for (i = 0; i < GPH_NR_STATES; i++)
			for (j = 0; j < GPH_NR_STATES; j++)
				if (gph_transition_counted(i, j))
					len += sysfs_emit_at(buf, len, "%s %s %lu\n",
							     gph_state_name(i), gph_state_name(j),
							     sum->transitions[i][j]);
	} else if (attr == &states_attr) {
		/* All states from one pass over the CPUs: they add up to nr_frames. */
		for (i = 0; i < GPH_NR_STATES; i++)
			if (i != GPH_BUSY && i != GPH_PENDING)
				len += sysfs_emit_at(buf, len, "%s %ld\n",
						     gph_state_name(i), nr_state[i]);
	} else if (attr == &reasons_attr) {
		for (i = 0; i < GPH_NR_REASONS; i++)
			len += sysfs_emit_at(buf, len, "%s %lu\n",
					     gph_reason_name(i), sum->by_reason[i]);
	} else if (attr == &backend_ops_attr) {
		len = sysfs_emit(buf, "%lu\n", sum->backend_ops);
	} else if (attr == &host_drops_attr) {
		len = sysfs_emit(buf, "%lu\n", sum->host_drops);
	} else if (attr == &discards_attr) {
		len = sysfs_emit(buf, "%lu\n", sum->discards);
	} else if (attr == &discards_by_order_attr) {
		/* "order folios pages", orders 0..9 (9: 9 or more), as buddyinfo lists them. */
		for (i = 0; i <= GPH_MAX_ORDER; i++)
			len += sysfs_emit_at(buf, len, "%d %lu %lu\n", i, sum->discards_by_order[i],
					     sum->discards_by_order[i] << i);
	} else if (attr == &rereads_attr) {
		len = sysfs_emit(buf, "%lu\n", sum->rereads);
	} else if (attr == &discards_swap_attr) {
		len = sysfs_emit(buf, "%lu\n", sum->discards_swap);
	} else if (attr == &rereads_swap_attr) {
		len = sysfs_emit(buf, "%lu\n", sum->rereads_swap);
	} else if (attr == &discard_faults_attr) {
		len = sysfs_emit(buf, "%lu\n", sum->discard_faults);
	} else if (attr == &left_lost_attr) {
		len = sysfs_emit(buf, "%lu\n", sum->left_lost);
	} else {
		for (i = 0; i < GPH_NR_STATES; i++)
			if (!strcmp(attr->attr.name + 3, gph_state_name(i)))
				len = sysfs_emit(buf, "%ld\n", nr_state[i]);
	}
	kfree(sum);
	return len;
}

static struct attribute *gph_stats_attrs[] = {
	&nr_stable_attr.attr,
	&nr_unused_attr.attr,
	&nr_volatile_attr.attr,
	&nr_discarded_attr.attr,
	&backend_ops_attr.attr,
	&host_drops_attr.attr,
	&discards_attr.attr,
	&discards_by_order_attr.attr,
	&rereads_attr.attr,
	&discards_swap_attr.attr,
	&rereads_swap_attr.attr,
	&discard_faults_attr.attr,
	&left_lost_attr.attr,
	&transitions_attr.attr,
	&states_attr.attr,
	&reasons_attr.attr,
	NULL,
};
static const struct attribute_group gph_stats_group = { .attrs = gph_stats_attrs };

/* --- for selfcheck.c and kunit.c ---------------------------------------- */

/* One reason's count, as stats/by_reason shows it. */
unsigned long gph_stats_by_reason(enum gph_reason reason)
{
	long nr_state[GPH_NR_STATES];
	struct gph_stats sum;

	gph_stats_sum(&sum, nr_state);
	return sum.by_reason[reason];
}
EXPORT_SYMBOL_IF_KUNIT(gph_stats_by_reason);

unsigned long gph_stats_discards_by_order(unsigned int order)
{
	long nr_state[GPH_NR_STATES];
	struct gph_stats sum;

	gph_stats_sum(&sum, nr_state);
	return sum.discards_by_order[min_t(unsigned int, order, GPH_MAX_ORDER)];
}
EXPORT_SYMBOL_IF_KUNIT(gph_stats_discards_by_order);

static struct dentry *gph_debugfs;

int gph_frame_state(unsigned long pfn)
{
	return gph_backend->get_state(pfn);
}

/* Take a lost frame back (-> STABLE): its folio is being freed. Any context. */
void gph_frame_take_back(unsigned long pfn)
{
	gph_set_range(pfn, 1, GPH_STABLE, GPH_REASON_FAULT);
}

unsigned long gph_frames(void)
{
	return gph_nr_frames;
}
EXPORT_SYMBOL_IF_KUNIT(gph_frames);

bool gph_is_enabled(void)
{
	return READ_ONCE(gph_enabled);
}
EXPORT_SYMBOL_IF_KUNIT(gph_is_enabled);

/* states.c has no kernel headers; export its API to the KUnit module here. */
EXPORT_SYMBOL_IF_KUNIT(gph_transitions);
EXPORT_SYMBOL_IF_KUNIT(gph_state_name);

/* --- load / unload ------------------------------------------------------ */

static const struct gph_backend *gph_find_backend(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(gph_backends); i++)
		if (sysfs_streq(name, gph_backends[i]->name))
			return gph_backends[i];
	return NULL;
}

static int __init gph_init(void)
{
	char names[64] = "";
	int i, err;

	gph_backend = gph_find_backend(backend);
	if (!gph_backend) {
		for (i = 0; i < ARRAY_SIZE(gph_backends); i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names),
				 "%s%s", i ? ", " : "", gph_backends[i]->name);
		pr_err("unknown backend=%s; valid: %s\n", backend, names);
		return -EINVAL;
	}
	if (gph_backend->probe) {
		err = gph_backend->probe();
		if (err)
			return err;
	}

	gph_nr_frames = gph_end_pfn();
	err = gph_backend->start(gph_nr_frames);
	if (err)
		return err;

	gph_kobj = kobject_create_and_add("gph", mm_kobj);
	if (!gph_kobj) {
		err = -ENOMEM;
		goto stop_backend;
	}
	err = sysfs_create_group(gph_kobj, &gph_attr_group);
	if (err)
		goto put_kobj;
	gph_stats_kobj = kobject_create_and_add("stats", gph_kobj);
	if (!gph_stats_kobj) {
		err = -ENOMEM;
		goto put_kobj;
	}
	err = sysfs_create_group(gph_stats_kobj, &gph_stats_group);
	if (err)
		goto put_stats;
	if (gph_backend->attrs) {
		err = sysfs_create_group(gph_kobj, gph_backend->attrs);
		if (err)
			goto put_stats;
	}
	gph_selfcheck_init(&gph_debugfs);
	gph_hookcost_init(gph_debugfs);
	gph_emul_debugfs_init(gph_debugfs);
	if (!gph_backend_does_volatile() && gph_volatile_on) {
		pr_info("the %s backend does not do volatile pages: free-page hinting only\n",
			gph_backend->name);
		gph_volatile_on = false;
	}
	err = gph_sweep_start();
	if (err)
		goto remove_debugfs;
	err = register_memory_notifier(&gph_memory_nb);
	if (err)
		goto stop_sweep;

	mutex_lock(&gph_mutex);
	err = gph_enable();
	mutex_unlock(&gph_mutex);
	if (err)
		goto unregister_notifier;
	pr_info("loaded: backend %s, %lu frames\n", gph_backend->name,
		gph_nr_frames);
	return 0;

unregister_notifier:
	unregister_memory_notifier(&gph_memory_nb);
	cancel_delayed_work_sync(&gph_pcp_work);
stop_sweep:
	gph_sweep_stop();
remove_debugfs:
	gph_selfcheck_exit(gph_debugfs);
	if (gph_backend->attrs)
		sysfs_remove_group(gph_kobj, gph_backend->attrs);
put_stats:
	kobject_put(gph_stats_kobj);
put_kobj:
	kobject_put(gph_kobj);
stop_backend:
	gph_backend->stop();
	return err;
}

static void __exit gph_exit(void)
{
	mutex_lock(&gph_mutex);
	gph_unloading = true;	/* a racing "echo 1 > enabled" must not re-register */
	gph_disable();
	mutex_unlock(&gph_mutex);
	unregister_memory_notifier(&gph_memory_nb);
	cancel_delayed_work_sync(&gph_pcp_work);	/* one a notifier queued */
	gph_sweep_stop();
	gph_selfcheck_exit(gph_debugfs);
	if (gph_backend->attrs)
		sysfs_remove_group(gph_kobj, gph_backend->attrs);
	kobject_put(gph_stats_kobj);
	kobject_put(gph_kobj);
	gph_backend->stop();
	pr_info("unloaded\n");
}

module_init(gph_init);
module_exit(gph_exit);
MODULE_DESCRIPTION("Guest page hinting: unused, volatile and stable pages for the host");
MODULE_LICENSE("GPL");
