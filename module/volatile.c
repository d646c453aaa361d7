// SPDX-License-Identifier: GPL-2.0
/*
 * Volatile page cache: clean, idle page-cache folios are offered to the host
 * (VOLATILE), taken back before any use (STABLE), and removed from the cache
 * when the host discarded them (DISCARDED), so that the next read goes to
 * disk.
 *
 * The race that matters, make-volatile against a lookup, is store
 * buffering, and both sides use fully ordered atomics:
 *
 *   gph_folio_idle (A)                       lookup + gph_folio_stable (B)
 *   A1 state STABLE -> PENDING (cmpxchg)     B1 folio_try_get() (refcount++)
 *   A2 r = folio_ref_count()                 B2 s = state
 *   A3 r == expected and the flags allow?    B3 PENDING/VOLATILE -> STABLE
 *      PENDING -> VOLATILE (cmpxchg)            DISCARDED/BUSY: "discarded"
 *      else PENDING -> STABLE
 *
 * A2 missing B1 while B2 misses A1 is forbidden: either A sees the new
 * reference and backs out, or B sees the intent and takes the folio back
 * (then A3's commit fails). The host never takes PENDING, so a back-out
 * never finds the content gone. A holds the folio lock (trylock) from A1
 * to A3: no second make-volatile can re-enter PENDING between B3 and A3
 * and let A commit on a stale refcount.
 *
 * The guest's byte per frame is the table backend's shared state byte, or
 * the essa backend's own (essa_proto.h: there A3 and B3 each open a short
 * window around one ESSA). Mapped folios are never volatile, with either
 * backend, so every use goes through a page-cache lookup that calls
 * gph_folio_stable().
 *
 * A discarded frame stays DISCARDED until its folio is freed, also after the
 * folio left the cache: a lookup that took its reference just before the
 * removal must still find it lost (tests/model/essa-volatile.pml).
 */
#define pr_fmt(fmt) "gph: " fmt

#include <linux/hash.h>
#include <linux/iomap.h>
#include <linux/kthread.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/page_states.h>
#include <linux/pagemap.h>
#include <kunit/visibility.h>
#include <linux/sched/clock.h>
#include <linux/spinlock.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include "gph.h"
#include "gph_trace.h"
#include "account.h"
#include "table.h"

/* Set by the backend's start, cleared by its stop (gph.h). */
u8 *gph_volatile_bytes;
unsigned long gph_volatile_frames;

/* --- conditions --------------------------------------------------------- */

enum gph_verdict {
	GPH_NOT_NOW,	/* a condition that only a hooked event clears */
	GPH_LATER,	/* busy right now: the sweep should look again */
	GPH_YES,
};

/*
 * iomap (XFS, and others on iomap) keeps per-block state beside a large
 * folio, in kernel memory, as its private data: none of it is in the
 * folio's frames. For a clean, uptodate folio it can be let go and made
 * again when needed, as reclaim and invalidation do (filemap_release_folio
 * under the folio lock; iomap_release_folio only frees it, in any context).
 * Other private data (buffer heads, with journal locks behind their
 * release) keeps a folio stable.
 */
static inline bool gph_private_releasable(struct folio *folio,
					  struct address_space *mapping)
{
#if IS_ENABLED(CONFIG_FS_IOMAP)
	return mapping->a_ops->release_folio == iomap_release_folio;
#else
	return false;
#endif
}

/*
 * Every condition for volatile except "no unknown references", for a
 * page-cache or a swap-cache folio (PG_swapcache is exact only under the
 * folio lock, which A1-A3 hold). Read after
 * the refcount (A2): whoever sets a disqualifying flag (dirty, locked,
 * mapped, private) holds a reference, so a refcount that matches means the
 * flags seen after it are current. Caller holds RCU (the mapping).
 *
 * GPH_NOT_NOW for conditions whose end a hook reports anyway (read
 * completion, end of writeback, the put after the last unmap), or never
 * ends (private data, mlock); GPH_LATER for a folio still waiting in a
 * per-cpu LRU batch, which may drain without a hook that sees it idle.
 */
static enum gph_verdict gph_swap_may_be_volatile(struct folio *folio)
{
	/* KSM reads its folios without a lookup. */
	if (folio_test_ksm(folio) || folio_test_hugetlb(folio))
		return GPH_NOT_NOW;
	/*
	 * A THP still queued for deferred split: the shrinker's
	 * thp_underused() compares its pages with the zero page without a
	 * lookup (with khugepaged/max_ptes_none below 511). A swap-cache
	 * folio is never queued again once a scan has taken it off.
	 */
	if (folio_order(folio) > 1 && data_race(!list_empty(&folio->_deferred_list)))
		return GPH_LATER;
	/* Clean: the slot holds what the folio holds. */
	if (!folio_test_uptodate(folio) || folio_test_dirty(folio) ||
	    folio_test_writeback(folio) || folio_test_hwpoison(folio))
		return GPH_NOT_NOW;
	if (folio_test_unevictable(folio) || folio_test_mlocked(folio) ||
	    folio_mapped(folio))
		return GPH_NOT_NOW;
	return folio_test_lru(folio) ? GPH_YES : GPH_LATER;
}

static enum gph_verdict gph_folio_may_be_volatile(struct folio *folio)
{
	struct address_space *mapping;

	/* Anonymous or shmem, in the swap cache; ->mapping is not a file's. */
	if (folio_test_swapcache(folio))
		return gph_swap_may_be_volatile(folio);
	mapping = READ_ONCE(folio->mapping);
	if (!mapping || ((unsigned long)mapping & PAGE_MAPPING_FLAGS))
		return GPH_NOT_NOW;	/* truncated, anon or movable */
	if (folio_test_swapbacked(folio) || folio_test_swapcache(folio) ||
	    folio_test_hugetlb(folio))
		return GPH_NOT_NOW;
	if (!folio_test_uptodate(folio) || folio_test_dirty(folio) ||
	    folio_test_writeback(folio) || folio_test_hwpoison(folio))
		return GPH_NOT_NOW;
	/* Private data: only iomap's, which make-volatile lets go (below). */
	if (folio_has_private(folio) && !gph_private_releasable(folio, mapping))
		return GPH_NOT_NOW;
	/* mlocked or in an unevictable mapping: never volatile. */
	if (folio_test_unevictable(folio) || folio_test_mlocked(folio) ||
	    mapping_unevictable(mapping) || mapping_release_always(mapping))
		return GPH_NOT_NOW;
	/*
	 * Only what the mapping can read again from its own store, and no
	 * mapping that keeps kernel data in its folios: ->free_folio looks at
	 * a folio as it leaves the cache (NFS directories keep readdir arrays
	 * with pointers there), and a discarded one would hand it poison.
	 */
	if (!mapping->a_ops->read_folio || mapping->a_ops->free_folio)
		return GPH_NOT_NOW;
	/* Mapped folios stay stable: no host of ours raises discard faults for them. */
	if (folio_mapped(folio))
		return GPH_NOT_NOW;
	return folio_test_lru(folio) ? GPH_YES : GPH_LATER;
}

/*
 * Frames the sweep should look at again: folios that were busy when a hook
 * saw them, and folios a lookup took back (used now, idle again later).
 * The sweep visits only these, so its cost follows the page cache's
 * activity, not the size of memory.
 */
static unsigned long *gph_revisit;

static inline void gph_revisit_mark(struct folio *folio)
{
	unsigned long pfn = folio_pfn(folio);

	if (gph_revisit && pfn < gph_volatile_frames && !test_bit(pfn, gph_revisit))
		set_bit(pfn, gph_revisit);
}

/* --- make volatile ------------------------------------------------------ */

bool gph_volatile_on = true;
EXPORT_SYMBOL_IF_KUNIT(gph_volatile_on);
static bool gph_volatile_active;	/* on, enabled, not draining */

void gph_volatile_set_active(bool active)
{
	/* Look at every frame once: folios cached before we were on. */
	if (active && gph_revisit)
		bitmap_fill(gph_revisit, gph_volatile_frames);
	WRITE_ONCE(gph_volatile_active, active && READ_ONCE(gph_volatile_on));
}

/*
 * The bytes of @folio's frames, one per page, and how many (*nr); NULL if
 * any lies beyond ours (hot-added memory: not ours to look at).
 */
static inline u8 *gph_volatile_bytes_of(struct folio *folio, unsigned long *nr)
{
	unsigned long pfn = folio_pfn(folio);

	*nr = folio_nr_pages(folio);
	return pfn + *nr <= gph_volatile_frames ? &gph_volatile_bytes[pfn] : NULL;
}

/* A3's commit PENDING -> VOLATILE; the table's (no op) inline. */
static __always_inline bool gph_volatile_commit(u8 *byte, unsigned long pfn)
{
	if (!gph_backend->volatile_commit)
		return gph_proto_move(byte, GPH_PENDING, GPH_VOLATILE, GPH_ACTOR_GUEST);
	return gph_backend->volatile_commit(byte, pfn);
}

/* B2, B3: take a frame back for use; as gph_proto_guest_use(). */
static __always_inline int gph_volatile_use(u8 *byte, unsigned long pfn)
{
	if (!gph_backend->volatile_use)
		return gph_proto_guest_use(byte);
	return gph_backend->volatile_use(byte, pfn);
}

static void gph_reread_check(struct folio *folio);

/*
 * A make-volatile that did not commit the whole folio: frames [from, to)
 * are PENDING (A1 done, never committed) and go back to STABLE, and frames
 * [0, from) that it had committed are taken back as a lookup would (a
 * lookup that made a frame of ours stable first takes back them all
 * itself, but a failed commit need not come from one). A frame the host
 * discarded meanwhile stays DISCARDED: the next lookup finds the folio
 * lost and removes it.
 */
static void gph_back_out(u8 *bytes, unsigned long pfn, unsigned long from,
			 unsigned long to)
{
	unsigned long i;

	for (i = from; i < to; i++)
		gph_proto_move(&bytes[i], GPH_PENDING, GPH_STABLE, GPH_ACTOR_GUEST);
	for (i = 0; i < from; i++)
		if (gph_volatile_use(&bytes[i], pfn + i) == GPH_VOLATILE)
			gph_moved(pfn + i, 1, GPH_VOLATILE, GPH_STABLE, GPH_REASON_USE);
}

/* page_states_ops.folio_idle: any context; never sleeps or waits. */
void gph_folio_idle(struct folio *folio, unsigned int extra_refs)
{
	unsigned long pfn, nr, i;
	enum gph_verdict verdict;
	bool committed;
	u8 *bytes;
	int refs;

	/*
	 * The caller holds a reference (0003): the folio cannot be freed and
	 * reused while its ->mapping is looked at. A kernel whose hooks pass
	 * none is older than this module.
	 */
	if (WARN_ON_ONCE(!extra_refs))
		return;
	gph_reread_check(folio);
	/*
	 * Mapped: never volatile, and the put after its last unmap calls this
	 * again. Most calls on a fault are this (LRU batches of mapped folios):
	 * answer them before the reference and the rest of the verdict.
	 */
	if (!READ_ONCE(gph_volatile_active) || folio_mapped(folio))
		return;
	folio_get(folio);	/* ours, counted in A2's expected refcount */
	verdict = gph_folio_may_be_volatile(folio);
	if (verdict != GPH_YES) {
		if (verdict == GPH_LATER)
			gph_revisit_mark(folio);
		goto put;
	}
	bytes = gph_volatile_bytes_of(folio, &nr);
	if (!bytes || !gph_bytes_stable(bytes, nr))
		goto put;
	if (!folio_trylock(folio)) {
		gph_revisit_mark(folio);
		goto put;
	}
	/*
	 * iomap's per-block state: let it go while we hold the lock, before
	 * A2 counts references (attached private data holds one); only for a
	 * folio that would go volatile now, as mapping_evict_folio() checks
	 * before it lets go, so that failed attempts do not churn it.
	 */
	if (folio_test_private(folio)) {
		if (!folio->mapping || folio_test_swapcache(folio) ||
		    !gph_private_releasable(folio, folio->mapping))
			goto unlock;
		verdict = gph_folio_may_be_volatile(folio);
		if (verdict != GPH_YES || folio_ref_count(folio) != nr + 2 + extra_refs) {
			/* Busy (a reader waited for this read): look again later. */
			if (verdict != GPH_NOT_NOW)
				gph_revisit_mark(folio);
			goto unlock;
		}
		if (!filemap_release_folio(folio, 0))
			goto unlock;
	}
	pfn = folio_pfn(folio);
	/*
	 * A1 on every frame, fully ordered cmpxchgs; the host leaves PENDING
	 * alone. The whole folio goes volatile, or none of it.
	 */
	for (i = 0; i < nr; i++)
		if (!gph_proto_move(&bytes[i], GPH_STABLE, GPH_PENDING, GPH_ACTOR_GUEST))
			break;
	if (i < nr) {
		gph_back_out(bytes, pfn, 0, i);
		goto unlock;
	}
	refs = folio_ref_count(folio);	/* A2 */
	smp_rmb();			/* the refcount before the flags */
	verdict = gph_folio_may_be_volatile(folio);
	/* Expected: the cache's (one per page), ours, and the caller's known ones. */
	i = 0;
	if (refs == nr + 1 + extra_refs && verdict == GPH_YES)
		for (; i < nr; i++)
			if (!gph_volatile_commit(&bytes[i], pfn + i))
				break;	/* a lookup took it back first */
	committed = i == nr;
	/* The frames that went volatile, also a prefix a lookup cut short. */
	if (i)
		gph_moved(pfn, i, GPH_STABLE, GPH_VOLATILE, GPH_REASON_IDLE);
	if (committed) {
		gph_table_volatile(pfn, nr);
	} else {
		gph_back_out(bytes, pfn, i, nr);	/* may fail: taken back already */
		if (verdict != GPH_NOT_NOW)
			gph_revisit_mark(folio);	/* busy: idle after they let go? */
	}
unlock:
	folio_unlock(folio);
put:
	folio_put(folio);
}
EXPORT_SYMBOL_IF_KUNIT(gph_folio_idle);

/* --- make stable -------------------------------------------------------- */

/*
 * Take @folio back (B2, B3): every frame, in order; false if the host
 * discarded any of them (the whole folio is lost then, and a frame that
 * stays DISCARDED until the folio is freed tells every later lookup so).
 * Most lookups find every frame stable: plain loads, no atomics.
 */
static bool gph_folio_take_back(struct folio *folio, enum gph_reason reason)
{
	unsigned long pfn, nr, i, taken = 0;
	bool lost = false;
	u8 *bytes = gph_volatile_bytes_of(folio, &nr);
	int old;

	if (!bytes || gph_bytes_stable(bytes, nr))
		return true;
	pfn = folio_pfn(folio);
	if (nr == 1) {	/* most folios: the loop without the loop */
		old = gph_volatile_use(bytes, pfn);
		taken = old == GPH_VOLATILE;
		lost = gph_proto_lost(old);
	} else {
		for (i = 0; i < nr; i++) {
			old = gph_volatile_use(&bytes[i], pfn + i);
			if (old == GPH_VOLATILE)
				taken++;
			else if (gph_proto_lost(old))
				lost = true;
		}
	}
	if (taken) {
		/* Inline: a lookup of a volatile folio pays this every time. */
		gph_account(pfn, taken, GPH_VOLATILE, GPH_STABLE, reason);
		if (reason == GPH_REASON_USE)
			gph_revisit_mark(folio);	/* volatile again once it is idle */
	}
	return !lost;
}

/* page_states_ops.folio_stable: after a fully ordered reference; any context. */
bool gph_folio_stable(struct folio *folio)
{
	return gph_folio_take_back(folio, GPH_REASON_USE);
}
EXPORT_SYMBOL_IF_KUNIT(gph_folio_stable);

/* --- discards and re-reads ---------------------------------------------- */

/*
 * Recently removed folios, so that their next read can be counted as a
 * re-read and timed. Lossy by design: a slot is overwritten by the next
 * discard that hashes to it. A page-cache folio is known by its mapping and
 * index, a swap-cache folio by its swap type (odd: never an address) and
 * slot offset.
 */
#define GPH_REREAD_BITS		10
#define GPH_REREAD_SLOTS	(1 << GPH_REREAD_BITS)
static struct gph_reread_slot {
	unsigned long key;
	pgoff_t index;
	u64 ns;
} gph_reread_slots[GPH_REREAD_SLOTS];
static DEFINE_RAW_SPINLOCK(gph_reread_lock);
static atomic_t gph_reread_pending = ATOMIC_INIT(0);

struct gph_folio_id {
	unsigned long key;
	pgoff_t index;
	dev_t dev;		/* swap: 0 */
	unsigned long ino;	/* swap: the swap type */
	bool swap;
};

static inline struct gph_reread_slot *gph_reread_slot(const struct gph_folio_id *id)
{
	return &gph_reread_slots[hash_long(id->key ^ id->index, GPH_REREAD_BITS)];
}

/*
 * What a discard and its re-read are reported as; false for a folio in
 * neither cache. Racy unless @folio is locked: a re-read may go uncounted.
 * Caller holds RCU (the inode).
 */
static bool gph_folio_id(struct folio *folio, struct gph_folio_id *id)
{
	struct address_space *mapping;
	struct inode *host;

	if (folio_test_swapcache(folio)) {
		swp_entry_t entry = { .val = READ_ONCE(folio->swap.val) };

		if (!entry.val)
			return false;
		*id = (struct gph_folio_id) {
			.key = (swp_type(entry) << 1) | 1, .index = swp_offset(entry),
			.ino = swp_type(entry), .swap = true,
		};
		return true;
	}
	mapping = READ_ONCE(folio->mapping);
	if (!mapping || ((unsigned long)mapping & PAGE_MAPPING_FLAGS))
		return false;
	host = mapping->host;
	*id = (struct gph_folio_id) {
		.key = (unsigned long)mapping, .index = folio->index,
		.dev = host && host->i_sb ? host->i_sb->s_dev : 0,
		.ino = host ? host->i_ino : 0,
	};
	return true;
}

/*
 * page_states_ops.folio_discarded: @folio is locked and still in its cache
 * (a swap-cache folio's refcount is frozen, and irqs are off).
 */
void gph_folio_discarded(struct folio *folio)
{
	struct gph_reread_slot *slot;
	struct gph_folio_id id;
	unsigned long flags;

	if (WARN_ON_ONCE(!gph_folio_id(folio, &id)))
		return;
	gph_trace(gph_discard, id.dev, id.ino, id.index, folio_order(folio),
		  id.swap, folio_pfn(folio));
	this_cpu_inc(gph_stats.discards);
	this_cpu_inc(gph_stats.discards_by_order[min_t(unsigned int, folio_order(folio),
						      GPH_MAX_ORDER)]);
	if (id.swap)
		this_cpu_inc(gph_stats.discards_swap);
	/*
	 * The frame stays DISCARDED until the folio is freed: a lookup that
	 * took its reference before the removal must still find it lost.
	 * Where the host raises discard faults, the free path's own writes
	 * (poisoning, init_on_free) fault, and gph_discard_fault() takes the
	 * frame back then.
	 */
	slot = gph_reread_slot(&id);
	raw_spin_lock_irqsave(&gph_reread_lock, flags);
	if (!slot->key)
		atomic_inc(&gph_reread_pending);
	slot->key = id.key;
	slot->index = id.index;
	slot->ns = local_clock();
	raw_spin_unlock_irqrestore(&gph_reread_lock, flags);
}

/* --- discard faults ----------------------------------------------------- */

/*
 * page_states_ops.discard_fault: a host that raises discard faults (z/VM)
 * reports an access to a discarded frame by its address only. Returns true
 * when the frame holds content again, so the access is retried; false when
 * nothing here explains it. Nothing maps a volatile folio into user space and
 * every kernel access makes it stable first, so an access to a frame that is
 * still discarded bypassed that: the architecture's fixup or report follows.
 *
 * The folio is pinned before its state is read, so a frame freed and reused
 * meanwhile is never taken for its new owner: its state is stable again, and
 * the fault that was on its way is retried. A frame whose folio is being
 * freed is taken back here (the free path writes to it before its hook).
 */
bool gph_discard_fault(phys_addr_t phys)
{
	unsigned long pfn = PHYS_PFN(phys);
	struct folio *folio;
	struct page *page;
	bool retry;

	this_cpu_inc(gph_stats.discard_faults);
	page = pfn < gph_frames() ? pfn_to_online_page(pfn) : NULL;
	if (!page)
		return false;
	folio = page_folio(page);
	if (!folio_try_get(folio)) {
		if (!gph_proto_lost(gph_frame_state(pfn)))
			return true;	/* content again: a stale report */
		/*
		 * A refcount frozen while the folio stays in its cache (a
		 * removal that found it held) is not a free: a stray access.
		 */
		if (READ_ONCE(folio->mapping) || folio_test_swapcache(folio))
			return false;
		/*
		 * Being freed, and the free path wrote to it (poisoning,
		 * init_on_free): its content is no one's. Stable, and retry.
		 */
		gph_frame_take_back(pfn);
		return true;
	}
	/* Changed under us, or content again: a stale report. */
	retry = folio != page_folio(page) || !gph_proto_lost(gph_frame_state(pfn));
	folio_put(folio);
	return retry;
}
EXPORT_SYMBOL_IF_KUNIT(gph_discard_fault);

/* A folio that was removed after a discard is back and uptodate: a re-read. */
static void gph_reread_check(struct folio *folio)
{
	struct gph_reread_slot *slot;
	struct gph_folio_id id;
	unsigned long flags;
	u64 then = 0;

	if (likely(!atomic_read(&gph_reread_pending)))
		return;
	if (!folio_test_uptodate(folio) || !gph_folio_id(folio, &id))
		return;
	slot = gph_reread_slot(&id);
	if (READ_ONCE(slot->key) != id.key)
		return;
	raw_spin_lock_irqsave(&gph_reread_lock, flags);
	if (slot->key == id.key && slot->index == id.index) {
		then = slot->ns;
		slot->key = 0;
		atomic_dec(&gph_reread_pending);
	}
	raw_spin_unlock_irqrestore(&gph_reread_lock, flags);
	if (!then)
		return;
	gph_trace(gph_reread, id.dev, id.ino, id.index, folio_order(folio),
		  local_clock() - then);
	/* After the trace, as gph_account(). */
	this_cpu_inc(gph_stats.rereads);
	if (id.swap)
		this_cpu_inc(gph_stats.rereads_swap);
}

/* Forget every pending re-read (the mappings may go away once we unload). */
void gph_reread_forget(void)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&gph_reread_lock, flags);
	memset(gph_reread_slots, 0, sizeof(gph_reread_slots));
	atomic_set(&gph_reread_pending, 0);
	raw_spin_unlock_irqrestore(&gph_reread_lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(gph_reread_forget);

/*
 * Disable, make-volatile stopped: frame @pfn is about to be made stable. A
 * page-cache folio still volatile there is taken back as a lookup would
 * (the host may discard it until then; a lookup's window is waited out),
 * and a discarded one is removed, so that no one reads it as stable after
 * we leave. The frame may be made stable only once no lookup that found the
 * folio before its removal can still look at the state: wait until ours is
 * the last reference. Sleeps.
 *
 * Return: GPH_RELEASE_HELD if, after a second, someone still holds the
 * discarded folio, or a discarded swap-cache folio could not be removed
 * (held or isolated by someone else): the frame must stay lost, and the
 * caller may try again later (lookups, reclaim and migration let go).
 * GPH_RELEASE_NEVER for a removed, hwpoisoned folio still held: memory
 * failure holds it for good and never reads it, so waiting is pointless.
 * GPH_RELEASE_DONE when the frame may be made stable.
 */
enum gph_release gph_volatile_release(unsigned long pfn)
{
	enum gph_release release = GPH_RELEASE_DONE;
	unsigned long deadline;
	struct page *page;
	struct folio *folio;
	bool removed;
	u8 state;

	if (pfn >= gph_volatile_frames)
		return GPH_RELEASE_DONE;
	state = READ_ONCE(gph_volatile_bytes[pfn]);
	if (state == GPH_STABLE || state == GPH_UNUSED)
		return GPH_RELEASE_DONE;
	page = pfn_to_online_page(pfn);
	if (!page)
		return GPH_RELEASE_DONE;
	folio = page_folio(page);
	if (!folio_try_get(folio))
		return GPH_RELEASE_DONE;	/* free, or being freed: its content is no one's */
	if (folio != page_folio(page) || !page_states_folio_candidate(folio) ||
	    gph_folio_take_back(folio, GPH_REASON_UNLOAD))
		goto put;	/* not ours to look at, or taken back */
	folio_lock(folio);
	/* Unless it is gone already; a swap-cache folio stays while held. */
	removed = page_states_discard(folio, PSD_LOCKED);
	folio_unlock(folio);
	if (!removed) {
		release = GPH_RELEASE_HELD;
		goto put;
	}
	deadline = jiffies + HZ;
	while (folio_ref_count(folio) > 1) {
		if (folio_test_hwpoison(folio)) {
			release = GPH_RELEASE_NEVER;
			break;
		}
		if (time_after(jiffies, deadline)) {
			pr_warn_ratelimited("pfn %#lx: a discarded folio is still referenced after 1 s; trying again\n",
					    pfn);
			release = GPH_RELEASE_HELD;
			break;
		}
		schedule_timeout_uninterruptible(1);
	}
put:
	folio_put(folio);
	return release;
}
EXPORT_SYMBOL_IF_KUNIT(gph_volatile_release);

/* --- coverage (debugfs) -------------------------------------------------- */

/* Anonymous and not in the swap cache: never a candidate. A hint, unpinned. */
static inline bool gph_page_anon_only(struct page *page)
{
	return PageAnon(page) && !folio_test_swapcache(page_folio(page));
}

/*
 * How much of what could be volatile is: every page-cache or swap-cache folio
 * on the LRU that passes the conditions (idle: only the cache's reference), and how
 * many of those are VOLATILE. For benchmarks and tests; sleeps.
 */
void gph_volatile_coverage(unsigned long *candidates, unsigned long *volatile_,
			   unsigned long *private)
{
	unsigned long pfn;
	struct page *page;
	struct folio *folio;

	*candidates = *volatile_ = *private = 0;
	for (pfn = 0; pfn < gph_volatile_frames; pfn++) {
		if (!(pfn & 1023))
			cond_resched();
		page = pfn_to_online_page(pfn);
		if (!page || gph_page_anon_only(page) || !PageLRU(page))
			continue;
		folio = page_folio(page);
		if (!folio_try_get(folio))
			continue;
		rcu_read_lock();
		/* Idle: the cache's references, ours, and private data's own. */
		if (folio == page_folio(page) && folio_test_lru(folio) &&
		    page_states_folio_candidate(folio) &&
		    folio_ref_count(folio) == folio_nr_pages(folio) + 1 +
					      folio_test_private(folio) &&
		    gph_folio_may_be_volatile(folio) == GPH_YES) {
			(*candidates)++;
			if (READ_ONCE(gph_volatile_bytes[pfn]) == GPH_VOLATILE)
				(*volatile_)++;
			if (folio_test_private(folio))
				(*private)++;	/* iomap's, not let go yet */
		}
		rcu_read_unlock();
		folio_put(folio);
	}
}

/* --- sweeper ------------------------------------------------------------ */

/*
 * Folios that went idle through a plain folio_put() pass no hook: once per
 * period a walk offers the folios of the frames marked for a second look.
 */
unsigned int gph_sweep_ms = 1000;
static struct task_struct *gph_sweep_task;

static void gph_sweep_frame(unsigned long pfn)
{
	struct address_space *mapping;
	struct page *page;
	struct folio *folio;

	/* The state byte first: hinted frames are done (table: free ones too). */
	if (READ_ONCE(gph_volatile_bytes[pfn]) != GPH_STABLE)
		return;
	page = pfn_to_online_page(pfn);
	if (!page || gph_page_anon_only(page))
		return;
	folio = page_folio(page);
	if (!folio_try_get(folio))
		return;
	if (folio != page_folio(page))
		goto put;
	if (!folio_test_lru(folio)) {
		/*
		 * Without the LRU bit we cannot tell what the page is, so
		 * nothing is dereferenced: a page-cache folio still in a
		 * per-cpu LRU batch looks like this and gets another look.
		 */
		mapping = READ_ONCE(folio->mapping);
		if ((mapping && !((unsigned long)mapping & PAGE_MAPPING_FLAGS) &&
		     !page_has_type(page)) || folio_test_swapcache(folio))
			set_bit(pfn, gph_revisit);
		goto put;
	}
	/* On the LRU and referenced by us: a user folio, ->mapping is real. */
	if (page_states_folio_candidate(folio)) {
		rcu_read_lock();	/* disable waits for this with synchronize_rcu() */
		gph_folio_idle(folio, 1);
		rcu_read_unlock();
	}
put:
	folio_put(folio);
}

static int gph_sweep_thread(void *unused)
{
	unsigned long pfn;

	while (!kthread_should_stop()) {
		unsigned int ms = READ_ONCE(gph_sweep_ms);

		if (ms && READ_ONCE(gph_volatile_active) && gph_revisit) {
			unsigned long i, word;

			/* A word at a time: one atomic per 64 frames. */
			for (i = 0; i < BITS_TO_LONGS(gph_volatile_frames); i++) {
				if (!(i & 15)) {
					cond_resched();
					if (kthread_should_stop())
						return 0;
				}
				if (!READ_ONCE(gph_revisit[i]))
					continue;
				for (word = xchg(&gph_revisit[i], 0); word; word &= word - 1) {
					pfn = i * BITS_PER_LONG + __ffs(word);
					if (pfn < gph_volatile_frames)
						gph_sweep_frame(pfn);	/* may mark it again */
				}
			}
		}
		schedule_timeout_interruptible(msecs_to_jiffies(ms ? ms : 1000));
	}
	return 0;
}

int gph_sweep_start(void)
{
	if (gph_volatile_frames) {
		gph_revisit = kvcalloc(BITS_TO_LONGS(gph_volatile_frames),
				       sizeof(long), GFP_KERNEL);
		if (!gph_revisit)
			return -ENOMEM;
	}
	gph_sweep_task = kthread_run(gph_sweep_thread, NULL, "gph_sweep");
	if (IS_ERR(gph_sweep_task)) {
		int err = PTR_ERR(gph_sweep_task);

		gph_sweep_task = NULL;
		kvfree(gph_revisit);
		gph_revisit = NULL;
		return err;
	}
	return 0;
}

/* After the hooks are gone (disable ran): nobody marks frames any more. */
void gph_sweep_stop(void)
{
	if (gph_sweep_task)
		kthread_stop(gph_sweep_task);
	gph_sweep_task = NULL;
	kvfree(gph_revisit);
	gph_revisit = NULL;
}
