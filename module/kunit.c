// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for gph.ko: the transition table, ESSA result decoding, the
 * table protocol under a racing host, the core registration API, and the
 * discard-fault handler fed with synthesized addresses.
 * Built as gph_kunit.ko; load it after gph.ko.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/uio.h>
#include <linux/xarray.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/page_states.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/pseudo_fs.h>
#include <linux/rcupdate.h>
#include "gph.h"
#include "essa_decode.h"
#include "table.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);


/* --- gph_states -------------------------------------------------------- */

static void gph_transition_allowed_guest(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, gph_transition_allowed(GPH_STABLE, GPH_UNUSED, GPH_ACTOR_GUEST));
	KUNIT_EXPECT_TRUE(test, gph_transition_allowed(GPH_UNUSED, GPH_STABLE, GPH_ACTOR_GUEST));
	KUNIT_EXPECT_TRUE(test, gph_transition_allowed(GPH_VOLATILE, GPH_STABLE, GPH_ACTOR_GUEST));
	KUNIT_EXPECT_FALSE(test, gph_transition_allowed(GPH_UNUSED, GPH_BUSY, GPH_ACTOR_GUEST));
	KUNIT_EXPECT_FALSE(test, gph_transition_allowed(GPH_BUSY, GPH_STABLE, GPH_ACTOR_GUEST));
	KUNIT_EXPECT_FALSE(test, gph_transition_allowed(GPH_STABLE, GPH_DISCARDED, GPH_ACTOR_GUEST));
}

static void gph_transition_allowed_host(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, gph_transition_allowed(GPH_UNUSED, GPH_BUSY, GPH_ACTOR_HOST));
	KUNIT_EXPECT_TRUE(test, gph_transition_allowed(GPH_BUSY, GPH_UNUSED, GPH_ACTOR_HOST));
	KUNIT_EXPECT_TRUE(test, gph_transition_allowed(GPH_BUSY, GPH_DISCARDED, GPH_ACTOR_HOST));
	KUNIT_EXPECT_FALSE(test, gph_transition_allowed(GPH_STABLE, GPH_BUSY, GPH_ACTOR_HOST));
	KUNIT_EXPECT_FALSE(test, gph_transition_allowed(GPH_UNUSED, GPH_STABLE, GPH_ACTOR_HOST));
}

static void gph_transition_allowed_never_self_or_out_of_range(struct kunit *test)
{
	unsigned int s;

	for (s = 0; s < GPH_NR_STATES; s++) {
		KUNIT_EXPECT_FALSE(test, gph_transition_allowed(s, s, GPH_ACTOR_GUEST));
		KUNIT_EXPECT_FALSE(test, gph_transition_allowed(s, s, GPH_ACTOR_HOST));
		KUNIT_EXPECT_STRNEQ(test, gph_state_name(s), "invalid");
	}
	KUNIT_EXPECT_FALSE(test, gph_transition_allowed(GPH_NR_STATES, GPH_STABLE, GPH_ACTOR_GUEST));
	KUNIT_EXPECT_FALSE(test, gph_transition_allowed(GPH_STABLE, 200, GPH_ACTOR_GUEST));
	KUNIT_EXPECT_FALSE(test, gph_transition_allowed(GPH_STABLE, GPH_UNUSED, 7));
	KUNIT_EXPECT_STREQ(test, gph_state_name(GPH_NR_STATES), "invalid");
}

static struct kunit_case gph_states_cases[] = {
	KUNIT_CASE(gph_transition_allowed_guest),
	KUNIT_CASE(gph_transition_allowed_host),
	KUNIT_CASE(gph_transition_allowed_never_self_or_out_of_range),
	{}
};

static struct kunit_suite gph_states_suite = {
	.name = "gph_states",
	.test_cases = gph_states_cases,
};

/* --- gph_essa: decoding of synthesized ESSA results --------------------- */

static void gph_essa_decode_usage(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x00), GPH_STABLE);	/* Sr */
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x02), GPH_STABLE);	/* Sp */
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x03), GPH_STABLE);	/* Sz */
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x04), GPH_UNUSED);	/* Ur */
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x07), GPH_UNUSED);	/* Uz */
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x0c), GPH_VOLATILE);	/* Vr */
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x08), GPH_VOLATILE);	/* Pr */
}

static void gph_essa_decode_volatile_zero_is_discarded(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x0f), GPH_DISCARDED);	/* Vz */
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x0b), GPH_DISCARDED);	/* Pz */
}

static void gph_essa_decode_ignores_nodat_and_exception_bits(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x20 | 0x04), GPH_UNUSED);
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x10 | 0x0c), GPH_VOLATILE);
	KUNIT_EXPECT_EQ(test, gph_essa_decode(0x30), GPH_STABLE);
}

static struct kunit_case gph_essa_cases[] = {
	KUNIT_CASE(gph_essa_decode_usage),
	KUNIT_CASE(gph_essa_decode_volatile_zero_is_discarded),
	KUNIT_CASE(gph_essa_decode_ignores_nodat_and_exception_bits),
	{}
};

static struct kunit_suite gph_essa_suite = {
	.name = "gph_essa",
	.test_cases = gph_essa_cases,
};

/* --- gph_table: the compare-and-exchange protocol ---------------------- */

static void gph_table_guest_set_moves_and_reports_old(struct kunit *test)
{
	u8 byte = GPH_STABLE;

	KUNIT_EXPECT_EQ(test, gph_proto_guest_set(&byte, GPH_UNUSED), GPH_STABLE);
	KUNIT_EXPECT_EQ(test, byte, GPH_UNUSED);
	KUNIT_EXPECT_EQ(test, gph_proto_guest_set(&byte, GPH_UNUSED), GPH_UNUSED);
	KUNIT_EXPECT_EQ(test, gph_proto_guest_set(&byte, GPH_STABLE), GPH_UNUSED);
	KUNIT_EXPECT_EQ(test, byte, GPH_STABLE);
}

static void gph_table_cas_fails_on_stale_old(struct kunit *test)
{
	u8 byte = GPH_STABLE;

	KUNIT_EXPECT_FALSE(test, gph_proto_move(&byte, GPH_UNUSED, GPH_BUSY, GPH_ACTOR_HOST));
	KUNIT_EXPECT_EQ(test, byte, GPH_STABLE);
	byte = GPH_UNUSED;
	KUNIT_EXPECT_TRUE(test, gph_proto_move(&byte, GPH_UNUSED, GPH_BUSY, GPH_ACTOR_HOST));
	KUNIT_EXPECT_EQ(test, byte, GPH_BUSY);
}

static void gph_table_set8_moves_a_word_or_nothing(struct kunit *test)
{
	u8 b[8] __aligned(8);

	if (!IS_ENABLED(CONFIG_64BIT))
		kunit_skip(test, "word exchanges are used on 64-bit kernels only");
	memset(b, GPH_STABLE, sizeof(b));
	KUNIT_EXPECT_TRUE(test, gph_proto_guest_set8(b, GPH_STABLE, GPH_UNUSED));
	KUNIT_EXPECT_EQ(test, b[0], GPH_UNUSED);
	KUNIT_EXPECT_EQ(test, b[7], GPH_UNUSED);
	b[3] = GPH_BUSY;		/* the host holds one frame */
	KUNIT_EXPECT_FALSE(test, gph_proto_guest_set8(b, GPH_UNUSED, GPH_STABLE));
	KUNIT_EXPECT_EQ(test, b[0], GPH_UNUSED);
	KUNIT_EXPECT_EQ(test, b[3], GPH_BUSY);
}

#define GPH_RACE_BYTES	64
#define GPH_RACE_ROUNDS	20000

struct gph_race {
	u8 bytes[GPH_RACE_BYTES];
	atomic_t host_taken;
	atomic_t guest_bad;	/* guest saw a state it must never leave */
	atomic_t stop;
	struct completion host_done;
};

static int gph_race_host(void *arg)
{
	struct gph_race *r = arg;
	unsigned int i = 0;

	while (!atomic_read(&r->stop)) {
		u8 *b = &r->bytes[i++ % GPH_RACE_BYTES];

		if (READ_ONCE(*b) == GPH_UNUSED &&
		    gph_proto_move(b, GPH_UNUSED, GPH_BUSY, GPH_ACTOR_HOST)) {
			atomic_inc(&r->host_taken);
			ndelay(50);
			WARN_ON(!gph_proto_move(b, GPH_BUSY, GPH_UNUSED, GPH_ACTOR_HOST));
		}
		if (!(i & 255))
			cond_resched();
	}
	kthread_complete_and_exit(&r->host_done, 0);
}

/* The guest frees and allocates while the host takes free bytes. */
static void gph_table_guest_host_race(struct kunit *test)
{
	struct task_struct *host;
	struct gph_race *r;
	unsigned int i;
	int old;

	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	init_completion(&r->host_done);
	host = kthread_run(gph_race_host, r, "gph_kunit_host");
	KUNIT_ASSERT_FALSE(test, IS_ERR(host));

	for (i = 0; i < GPH_RACE_ROUNDS; i++) {
		u8 *b = &r->bytes[i % GPH_RACE_BYTES];

		old = gph_proto_guest_set(b, GPH_UNUSED);
		if (old != GPH_STABLE)
			atomic_inc(&r->guest_bad);
		old = gph_proto_guest_set(b, GPH_STABLE);
		/* The host may have held it, but always gives it back UNUSED. */
		if (old != GPH_UNUSED)
			atomic_inc(&r->guest_bad);
		if (!(i & 255))
			cond_resched();
	}
	atomic_set(&r->stop, 1);
	wait_for_completion(&r->host_done);

	KUNIT_EXPECT_EQ(test, atomic_read(&r->guest_bad), 0);
	for (i = 0; i < GPH_RACE_BYTES; i++)
		KUNIT_EXPECT_EQ(test, r->bytes[i], GPH_STABLE);
	kunit_info(test, "host took %d frames during %u guest rounds\n",
		   atomic_read(&r->host_taken), GPH_RACE_ROUNDS);
}

static void gph_table_guest_use_takes_back_or_reports_lost(struct kunit *test)
{
	u8 byte = GPH_VOLATILE;

	KUNIT_EXPECT_EQ(test, gph_proto_guest_use(&byte), GPH_VOLATILE);
	KUNIT_EXPECT_EQ(test, byte, GPH_STABLE);
	byte = GPH_PENDING;
	KUNIT_EXPECT_EQ(test, gph_proto_guest_use(&byte), GPH_PENDING);
	KUNIT_EXPECT_EQ(test, byte, GPH_STABLE);
	KUNIT_EXPECT_EQ(test, gph_proto_guest_use(&byte), GPH_STABLE);
	byte = GPH_DISCARDED;
	KUNIT_EXPECT_TRUE(test, gph_proto_lost(gph_proto_guest_use(&byte)));
	KUNIT_EXPECT_EQ(test, byte, GPH_DISCARDED);	/* removal happens elsewhere */
	byte = GPH_BUSY;
	KUNIT_EXPECT_TRUE(test, gph_proto_lost(gph_proto_guest_use(&byte)));
	KUNIT_EXPECT_EQ(test, byte, GPH_BUSY);		/* never waits for the host */
}

static struct kunit_case gph_table_cases[] = {
	KUNIT_CASE(gph_table_guest_use_takes_back_or_reports_lost),
	KUNIT_CASE(gph_table_guest_set_moves_and_reports_old),
	KUNIT_CASE(gph_table_cas_fails_on_stale_old),
	KUNIT_CASE(gph_table_guest_host_race),
	KUNIT_CASE(gph_table_set8_moves_a_word_or_nothing),
	{}
};

static struct kunit_suite gph_table_suite = {
	.name = "gph_table",
	.test_cases = gph_table_cases,
};

/* --- gph_registry: page_states_register() edge cases ------------------- */

static void gph_dummy_pages(struct page *page, unsigned int order)
{
}

static const struct page_states_ops gph_dummy_ops = {
	.owner = THIS_MODULE,
	.buddy_free = gph_dummy_pages,
	.buddy_alloc = gph_dummy_pages,
};

static void page_states_register_rejects_incomplete_ops(struct kunit *test)
{
	struct page_states_ops half = { .owner = THIS_MODULE,
					.buddy_free = gph_dummy_pages };

	KUNIT_EXPECT_EQ(test, page_states_register(NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, page_states_register(&half), -EINVAL);
}

static void gph_dummy_idle(struct folio *folio, unsigned int extra_refs)
{
}

/* Whoever makes folios volatile must also take them back. */
static void page_states_register_rejects_idle_without_stable(struct kunit *test)
{
	struct page_states_ops ops = gph_dummy_ops;

	ops.folio_idle = gph_dummy_idle;
	KUNIT_EXPECT_EQ(test, page_states_register(&ops), -EINVAL);
}

static void page_states_register_second_is_busy(struct kunit *test)
{
	int err;

	if (!gph_is_enabled())
		kunit_skip(test, "gph is disabled, so no first registrant exists");
	err = page_states_register(&gph_dummy_ops);
	if (!err)	/* gph went away meanwhile: never leave our ops behind */
		page_states_unregister(&gph_dummy_ops);
	KUNIT_EXPECT_EQ(test, err, -EBUSY);
}

static struct kunit_case gph_registry_cases[] = {
	KUNIT_CASE(page_states_register_rejects_incomplete_ops),
	KUNIT_CASE(page_states_register_rejects_idle_without_stable),
	KUNIT_CASE(page_states_register_second_is_busy),
	{}
};

static struct kunit_suite gph_registry_suite = {
	.name = "gph_registry",
	.test_cases = gph_registry_cases,
};

/* --- gph_discard_fault: the s390 discard-fault path, without z/VM -------- */

/*
 * No machine here raises a discard fault (program check 0x1a needs z/VM),
 * so these cases call the core's entry, page_states_discard_fault(), the way
 * the s390 trap handler does, with addresses made up to hit each case. The
 * folio is a page-cache folio of an inode on a private pseudo file system,
 * and its frame is marked discarded in the table as the host would.
 */
#define GPH_KUNIT_FS_MAGIC	0x67706821

static int gph_kunit_fs_init(struct fs_context *fc)
{
	return init_pseudo(fc, GPH_KUNIT_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type gph_kunit_fs_type = {
	.name = "gph_kunit",
	.init_fs_context = gph_kunit_fs_init,
	.kill_sb = kill_anon_super,
};

struct gph_cached {
	struct vfsmount *mnt;
	struct inode *inode;
	struct folio *folio;	/* the test holds one reference throughout */
};

static void gph_cached_exit(void *data)
{
	struct gph_cached *c = data;

	if (c->folio) {
		unsigned long i, pfn = folio_pfn(c->folio);

		/* Whatever the case left, the frames are the guest's again. */
		for (i = 0; i < folio_nr_pages(c->folio); i++)
			cmpxchg(&gph_table.states[pfn + i], GPH_DISCARDED, GPH_STABLE);
		folio_put(c->folio);
	}
	gph_reread_forget();	/* its slot names our mapping, which goes now */
	if (c->inode)
		iput(c->inode);
	if (c->mnt)
		kern_unmount(c->mnt);
}

/* The cases that mark frames themselves need the table backend, enabled. */
static void gph_kunit_needs_table(struct kunit *test)
{
	if (!gph_is_enabled() || gph_frames() != gph_table.nr_frames)
		kunit_skip(test, "needs gph.ko enabled with backend=table");
}

/* Planted volatile frames are taken back by the core only with volatile=1. */
static void gph_kunit_needs_volatile(struct kunit *test)
{
	gph_kunit_needs_table(test);
	if (!READ_ONCE(gph_volatile_on))
		kunit_skip(test, "needs gph.ko with volatile=1: the core calls the folio hooks only then");
}

/*
 * A clean, uptodate, unlocked page-cache folio of @order at index 0 of a new
 * inode, whose mapping has @aops (NULL: the pseudo file system's, empty).
 */
static struct gph_cached *gph_cached_folio_order(struct kunit *test,
						 const struct address_space_operations *aops,
						 unsigned int order)
{
	struct vfsmount *mnt;
	struct inode *inode;
	struct gph_cached *c;
	struct folio_batch fbatch;
	struct folio *folio;
	int err;

	gph_kunit_needs_volatile(test);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, kunit_add_action(test, gph_cached_exit, c), 0);
	mnt = kern_mount(&gph_kunit_fs_type);
	KUNIT_ASSERT_FALSE(test, IS_ERR(mnt));
	c->mnt = mnt;
	inode = alloc_anon_inode(mnt->mnt_sb);
	KUNIT_ASSERT_FALSE(test, IS_ERR(inode));
	c->inode = inode;
	if (aops)
		inode->i_mapping->a_ops = aops;
	if (order)
		mapping_set_large_folios(inode->i_mapping);
	folio = filemap_alloc_folio(GFP_KERNEL, order);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	migrate_disable();	/* the LRU batch drained below is this CPU's */
	err = filemap_add_folio(inode->i_mapping, folio, 0, GFP_KERNEL);
	if (err) {
		migrate_enable();
		folio_put(folio);
	}
	KUNIT_ASSERT_EQ(test, err, 0);
	c->folio = folio;
	folio_mark_uptodate(folio);
	folio_unlock(folio);
	/*
	 * Onto the LRU, as an idle cached folio is: the per-cpu batch that
	 * holds it until then is drained by releasing a folio batch.
	 */
	folio_batch_init(&fbatch);
	folio_get(folio);
	folio_batch_add(&fbatch, folio);
	folio_batch_release(&fbatch);
	migrate_enable();
	return c;
}

static struct gph_cached *gph_cached_folio_aops(struct kunit *test,
						const struct address_space_operations *aops)
{
	return gph_cached_folio_order(test, aops, 0);
}

static struct gph_cached *gph_cached_folio(struct kunit *test)
{
	return gph_cached_folio_aops(test, NULL);
}

static u8 gph_kunit_state(struct folio *folio)
{
	return READ_ONCE(gph_table.states[folio_pfn(folio)]);
}

/* The host discards the frame: from whatever hinted state the guest left. */
static void gph_kunit_host_discards(struct kunit *test, struct folio *folio)
{
	u8 *byte = &gph_table.states[folio_pfn(folio)];
	unsigned int tries;
	u8 old = 0;

	for (tries = 0; tries < 1000000; tries++) {
		old = READ_ONCE(*byte);
		if (old != GPH_PENDING && old != GPH_BUSY &&
		    cmpxchg(byte, old, GPH_DISCARDED) == old)
			return;
		cpu_relax();
	}
	KUNIT_FAIL(test, "frame %#lx never left state %u", folio_pfn(folio), old);
}

static phys_addr_t gph_kunit_phys(struct folio *folio)
{
	return PFN_PHYS(folio_pfn(folio));
}

static void gph_discard_fault_outside_memory_is_reported(struct kunit *test)
{
	phys_addr_t phys = PFN_PHYS(gph_frames());

	if (!gph_is_enabled())
		kunit_skip(test, "gph is disabled: nobody handles discard faults");
	KUNIT_EXPECT_FALSE(test, gph_discard_fault(phys));
	KUNIT_EXPECT_FALSE(test, page_states_discard_fault(phys));
}

static void gph_discard_fault_on_stable_frame_is_retried(struct kunit *test)
{
	struct page *page;
	phys_addr_t phys;

	if (!gph_is_enabled())
		kunit_skip(test, "gph is disabled: nobody handles discard faults");
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	phys = PFN_PHYS(page_to_pfn(page));
	/* Stable kernel memory: a report about it is stale, so retry. */
	KUNIT_EXPECT_TRUE(test, gph_discard_fault(phys));
	KUNIT_EXPECT_TRUE(test, page_states_discard_fault(phys));
	__free_page(page);
}

static void gph_discard_fault_on_discarded_kernel_page_is_reported(struct kunit *test)
{
	struct page *page;
	phys_addr_t phys;
	u8 *byte;

	gph_kunit_needs_table(test);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	phys = PFN_PHYS(page_to_pfn(page));
	byte = &gph_table.states[page_to_pfn(page)];
	if (cmpxchg(byte, GPH_STABLE, GPH_DISCARDED) != GPH_STABLE) {
		__free_page(page);
		KUNIT_FAIL(test, "a freshly allocated frame is not stable");
		return;
	}
	/* Lost, but never page cache: nothing to retry. */
	KUNIT_EXPECT_FALSE(test, gph_discard_fault(phys));
	KUNIT_EXPECT_FALSE(test, page_states_discard_fault(phys));
	KUNIT_EXPECT_EQ(test, cmpxchg(byte, GPH_DISCARDED, GPH_STABLE), GPH_DISCARDED);
	__free_page(page);
}

/* The free path writes to a frame (poisoning, init_on_free) before its hook. */
static void gph_discard_fault_on_frame_being_freed_takes_it_back(struct kunit *test)
{
	unsigned long faults;
	struct page *page;
	u8 *byte;

	gph_kunit_needs_table(test);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	byte = &gph_table.states[page_to_pfn(page)];
	if (!page_ref_freeze(page, 1)) {	/* refcount 0: as while it is freed */
		__free_page(page);
		KUNIT_FAIL(test, "cannot freeze a fresh page's refcount");
		return;
	}
	WRITE_ONCE(*byte, GPH_DISCARDED);
	faults = gph_stats_by_reason(GPH_REASON_FAULT);
	KUNIT_EXPECT_TRUE(test, page_states_discard_fault(PFN_PHYS(page_to_pfn(page))));
	KUNIT_EXPECT_EQ(test, READ_ONCE(*byte), GPH_STABLE);	/* the retry finds content */
	/* Counted as taken back by a fault, not as a use of a volatile folio. */
	KUNIT_EXPECT_EQ(test, gph_stats_by_reason(GPH_REASON_FAULT), faults + 1);
	WRITE_ONCE(*byte, GPH_STABLE);
	page_ref_unfreeze(page, 1);
	__free_page(page);
}

/*
 * A refcount frozen while the folio is still in its cache (a removal that
 * found it held unfreezes it again) is not a folio being freed: reported,
 * and the frame stays lost, or the cache would keep a stable folio with
 * the host's fill in it.
 */
static void gph_discard_fault_on_frozen_cached_folio_is_reported(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio(test);
	phys_addr_t phys = gph_kunit_phys(c->folio);
	int refs;

	gph_kunit_host_discards(test, c->folio);
	refs = folio_ref_count(c->folio);
	KUNIT_ASSERT_TRUE(test, folio_ref_freeze(c->folio, refs));
	KUNIT_EXPECT_FALSE(test, page_states_discard_fault(phys));
	KUNIT_EXPECT_EQ(test, gph_kunit_state(c->folio), GPH_DISCARDED);
	folio_ref_unfreeze(c->folio, refs);
}

/*
 * A discarded page-cache folio: nothing maps it in user space, and a kernel
 * access that reaches it skipped make-stable. Reported, never retried, and
 * nothing is removed or leaked: the next lookup removes the folio.
 */
static void gph_discard_fault_on_discarded_folio_is_reported(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio(test);
	phys_addr_t phys = gph_kunit_phys(c->folio);
	int refs;

	gph_kunit_host_discards(test, c->folio);
	refs = folio_ref_count(c->folio);	/* ours and the cache's */
	KUNIT_EXPECT_FALSE(test, page_states_discard_fault(phys + 123));
	KUNIT_EXPECT_PTR_EQ(test, c->folio->mapping, c->inode->i_mapping);
	KUNIT_EXPECT_EQ(test, folio_ref_count(c->folio), refs);
	KUNIT_EXPECT_EQ(test, gph_kunit_state(c->folio), GPH_DISCARDED);
	KUNIT_EXPECT_TRUE(test, IS_ERR(filemap_get_folio(c->inode->i_mapping, 0)));
	KUNIT_EXPECT_EQ(test, c->inode->i_mapping->nrpages, 0UL);	/* the lookup removed it */
}

/* --- disable: gph_volatile_release() ------------------------------------ */

/* A volatile folio is taken back, as a lookup would, and stays cached. */
static void gph_volatile_release_takes_back_a_volatile_folio(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio(test);
	u8 *byte = &gph_table.states[folio_pfn(c->folio)];

	KUNIT_ASSERT_EQ(test, cmpxchg(byte, GPH_STABLE, GPH_VOLATILE), GPH_STABLE);
	KUNIT_EXPECT_EQ(test, gph_volatile_release(folio_pfn(c->folio)), GPH_RELEASE_DONE);
	KUNIT_EXPECT_EQ(test, gph_kunit_state(c->folio), GPH_STABLE);
	KUNIT_EXPECT_PTR_EQ(test, c->folio->mapping, c->inode->i_mapping);
}

/*
 * A discarded folio is removed; while someone else (here the test) still
 * holds it, its frame stays lost: making it stable would hand the zeroes to
 * a lookup that found the folio before the removal.
 */
static void gph_volatile_release_leaves_a_held_frame_lost(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio(test);
	u64 start = ktime_get_ns();

	gph_kunit_host_discards(test, c->folio);
	KUNIT_EXPECT_EQ(test, gph_volatile_release(folio_pfn(c->folio)), GPH_RELEASE_HELD);
	/* It waited (a second: a lookup lets go far sooner) before giving up. */
	KUNIT_EXPECT_GE(test, ktime_get_ns() - start, 900 * NSEC_PER_MSEC);
	KUNIT_EXPECT_NULL(test, c->folio->mapping);
	KUNIT_EXPECT_EQ(test, gph_kunit_state(c->folio), GPH_DISCARDED);
}

/* Held by the cache alone: removed, and the frame may be made stable. */
static void gph_volatile_release_removes_a_discarded_folio(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio(test);
	struct folio *folio = c->folio;
	struct address_space *mapping = c->inode->i_mapping;
	unsigned long pfn = folio_pfn(folio);

	gph_kunit_host_discards(test, folio);
	c->folio = NULL;	/* the cache's reference is the last */
	folio_put(folio);
	KUNIT_EXPECT_EQ(test, gph_volatile_release(pfn), GPH_RELEASE_DONE);
	KUNIT_EXPECT_EQ(test, mapping->nrpages, 0UL);
}

/* --- filemap_get_read_batch(): the walk after a discarded folio ---------- */

/*
 * A read finds the first folio of its batch discarded, leaves RCU and sleeps
 * in page_states_discard() on the folio lock, which another finder holds and
 * uses to remove the folio. That empties the folio's xarray leaf, which is
 * freed after a grace period and may then be reused by another file's cache.
 * When the read looks again, it must walk from the top of its own tree, not
 * from the node its walk stopped in: there it would find the other file's
 * folio (issue 13, defect 1). The case drives that interleaving by hand:
 * the test is the other finder, and it reallocates the leaf for inode G.
 */
#define GPH_RB_INDEX	128	/* alone in its leaf (indices 128..191) */
/* Leaves g may take to get the freed one back: all below g's root node. */
#define GPH_RB_TRIES	(XA_CHUNK_SIZE - GPH_RB_INDEX / XA_CHUNK_SIZE)

/* Reads every folio as a page of 'F', the content of inode f below. */
static int gph_kunit_read_folio(struct file *file, struct folio *folio)
{
	memset(folio_address(folio), 'F', PAGE_SIZE);
	folio_end_read(folio, true);
	return 0;
}

/* Like a disk file's: it can read a discarded folio again. */
static const struct address_space_operations gph_kunit_readable_aops = {
	.read_folio = gph_kunit_read_folio,
};

static const struct file_operations gph_rb_fops = {
	.read_iter = generic_file_read_iter,
};

struct gph_rb {
	struct vfsmount *mnt;
	struct inode *f, *g;	/* f is read, g reuses f's freed leaf */
	struct file *file;
	struct folio *p;	/* f's folio at GPH_RB_INDEX; the test holds it */
	char *buf;
	int iocb_flags;	/* the reader's, besides a sync kiocb's */
	ssize_t ret;
	struct completion done;
};

static void gph_rb_exit(void *data)
{
	struct gph_rb *rb = data;

	if (rb->p) {
		cmpxchg(&gph_table.states[folio_pfn(rb->p)], GPH_DISCARDED, GPH_STABLE);
		folio_put(rb->p);
	}
	if (rb->file) {
		__fput_sync(rb->file);
		flush_delayed_fput();
	}
	if (rb->f)
		iput(rb->f);
	if (rb->g)
		iput(rb->g);
	if (rb->mnt)
		kern_unmount(rb->mnt);
	kfree(rb->buf);
}

/*
 * Add a clean, uptodate folio full of @c at @index of @inode; with @keep, the
 * test keeps a reference to it there.
 */
static int gph_rb_add(struct inode *inode, pgoff_t index, char c, struct folio **keep)
{
	struct folio *folio = filemap_alloc_folio(GFP_KERNEL, 0);
	int err;

	if (!folio)
		return -ENOMEM;
	memset(folio_address(folio), c, PAGE_SIZE);
	err = filemap_add_folio(inode->i_mapping, folio, index, GFP_KERNEL);
	if (err) {
		folio_put(folio);
		return err;
	}
	folio_mark_uptodate(folio);
	folio_unlock(folio);
	if (keep)
		*keep = folio;
	else
		folio_put(folio);	/* the cache's references remain */
	return 0;
}

/* The xarray node that holds @index of @inode's cache. */
static struct xa_node *gph_rb_node(struct inode *inode, pgoff_t index)
{
	XA_STATE(xas, &inode->i_mapping->i_pages, index);
	struct xa_node *node;

	rcu_read_lock();
	xas_load(&xas);
	node = xas.xa_node;
	rcu_read_unlock();
	return node;
}

static int gph_rb_reader(void *data)
{
	struct gph_rb *rb = data;
	struct kvec kv = { .iov_base = rb->buf, .iov_len = PAGE_SIZE };
	struct iov_iter iter;
	struct kiocb kiocb;

	init_sync_kiocb(&kiocb, rb->file);
	kiocb.ki_flags |= rb->iocb_flags;
	kiocb.ki_pos = (loff_t)GPH_RB_INDEX << PAGE_SHIFT;
	iov_iter_kvec(&iter, ITER_DEST, &kv, 1, PAGE_SIZE);
	rb->ret = filemap_read(&kiocb, &iter, 0);
	complete(&rb->done);
	return 0;
}

/*
 * Inodes f (readable, read by the case) and g, each with a folio at index 0,
 * f with the folio p at GPH_RB_INDEX, and a file open on f.
 */
static struct gph_rb *gph_rb_new(struct kunit *test)
{
	struct gph_rb *rb;

	gph_kunit_needs_volatile(test);
	rb = kunit_kzalloc(test, sizeof(*rb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rb);
	init_completion(&rb->done);
	KUNIT_ASSERT_EQ(test, kunit_add_action(test, gph_rb_exit, rb), 0);
	rb->buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rb->buf);
	rb->mnt = kern_mount(&gph_kunit_fs_type);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rb->mnt));
	rb->f = alloc_anon_inode(rb->mnt->mnt_sb);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rb->f));
	rb->g = alloc_anon_inode(rb->mnt->mnt_sb);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rb->g));
	rb->f->i_mapping->a_ops = &gph_kunit_readable_aops;
	rb->f->i_flags |= S_NOATIME;
	i_size_write(rb->f, (loff_t)(GPH_RB_INDEX + XA_CHUNK_SIZE) << PAGE_SHIFT);
	/* Index 0 too, so that the leaf of GPH_RB_INDEX hangs below a root node. */
	KUNIT_ASSERT_EQ(test, gph_rb_add(rb->f, 0, 'F', NULL), 0);
	KUNIT_ASSERT_EQ(test, gph_rb_add(rb->g, 0, 'G', NULL), 0);
	KUNIT_ASSERT_EQ(test, gph_rb_add(rb->f, GPH_RB_INDEX, 'F', &rb->p), 0);
	ihold(rb->f);	/* the file's dentry owns this one */
	rb->file = alloc_file_pseudo(rb->f, rb->mnt, "gph_kunit_rb", O_RDONLY, &gph_rb_fops);
	if (IS_ERR(rb->file)) {
		iput(rb->f);
		rb->file = NULL;
		KUNIT_FAIL(test, "alloc_file_pseudo failed");
		return NULL;
	}
	return rb;
}

/*
 * The other finder (the test) holds the lock of f's folio p, the host
 * discards p, and a reader starts on it.
 */
static bool gph_rb_start(struct kunit *test, struct gph_rb *rb)
{
	struct task_struct *reader;

	folio_lock(rb->p);
	gph_kunit_host_discards(test, rb->p);
	reader = kthread_run(gph_rb_reader, rb, "gph_kunit_rb");
	if (IS_ERR(reader)) {
		folio_unlock(rb->p);
		KUNIT_FAIL(test, "kthread_run failed");
		return false;
	}
	return true;
}

/* Wait 60 s for the reader; false if it still runs (rb is then leaked). */
static bool gph_rb_wait(struct kunit *test, struct gph_rb *rb)
{
	if (wait_for_completion_timeout(&rb->done, 60 * HZ))
		return true;
	/* The reader still uses rb: leak it rather than free it. */
	rb->p = NULL;
	rb->file = NULL;
	rb->f = rb->g = NULL;
	rb->mnt = NULL;
	rb->buf = NULL;
	KUNIT_FAIL(test, "the read did not finish in 60 s");
	return false;
}

static void gph_read_batch_retry_walks_its_own_tree(struct kunit *test)
{
	struct xa_node *leaf;
	struct gph_rb *rb;
	unsigned long i, tries = 0;
	bool reused = false, waiting = false;
	size_t bad = 0;

	rb = gph_rb_new(test);
	if (!rb)
		return;
	leaf = gph_rb_node(rb->f, GPH_RB_INDEX);
	KUNIT_ASSERT_PTR_NE(test, leaf, gph_rb_node(rb->f, 0));

	/* The other finder holds the lock; the host discarded the folio. */
	if (!gph_rb_start(test, rb))
		return;
	for (i = 0; i < 500 && !(waiting = folio_test_waiters(rb->p)); i++)
		msleep(10);
	/* Remove the folio, let the leaf be freed, and allocate it again for g. */
	migrate_disable();	/* the leaf is freed to this CPU's slab */
	page_states_discard(rb->p, PSD_LOCKED);
	synchronize_rcu();
	rcu_barrier();
	for (tries = 0; tries < GPH_RB_TRIES && !reused; tries++) {
		pgoff_t index = GPH_RB_INDEX + XA_CHUNK_SIZE * tries;

		if (gph_rb_add(rb->g, index, 'G', NULL))
			break;
		reused = gph_rb_node(rb->g, index) == leaf;
	}
	migrate_enable();
	folio_unlock(rb->p);
	if (!gph_rb_wait(test, rb))
		return;
	KUNIT_EXPECT_TRUE(test, waiting);
	KUNIT_EXPECT_EQ(test, rb->ret, (ssize_t)PAGE_SIZE);
	for (i = 0; i < PAGE_SIZE; i++)
		bad += rb->buf[i] != 'F';
	KUNIT_EXPECT_EQ_MSG(test, bad, 0UL,
			    "the read returned another file's data ('%c'...)", rb->buf[0]);
	kunit_info(test, "leaf %s after %lu allocations", reused ? "reused" : "not reused", tries);
	if (!reused && !bad)
		kunit_skip(test, "the freed leaf was not reallocated: the case proves nothing");
}

/*
 * io_uring's buffered reads set IOCB_WAITQ: they must not sleep on the lock
 * of a discarded folio that someone else holds, but return -EAGAIN and be
 * retried when it is let go (issue 13, defect 7c).
 */
static void gph_read_batch_waitq_read_does_not_wait(struct kunit *test)
{
	struct gph_rb *rb = gph_rb_new(test);
	bool done;

	if (!rb)
		return;
	rb->iocb_flags = IOCB_WAITQ;
	if (!gph_rb_start(test, rb))
		return;
	done = wait_for_completion_timeout(&rb->done, 10 * HZ);
	folio_unlock(rb->p);	/* a reader that waited for it goes on now */
	if (!done && !gph_rb_wait(test, rb))
		return;
	KUNIT_EXPECT_TRUE_MSG(test, done, "the read waited for the folio lock");
	KUNIT_EXPECT_EQ(test, rb->ret, (ssize_t)-EAGAIN);
}

static struct kunit_case gph_read_batch_cases[] = {
	KUNIT_CASE(gph_read_batch_retry_walks_its_own_tree),
	KUNIT_CASE(gph_read_batch_waitq_read_does_not_wait),
	{}
};

static struct kunit_suite gph_read_batch_suite = {
	.name = "gph_read_batch",
	.test_cases = gph_read_batch_cases,
};

/* --- which mappings may go volatile ------------------------------------- */

static void gph_kunit_free_folio(struct folio *folio)
{
}

/* Like NFS directories' (issue 13, defect 2): ->free_folio reads the folio. */
static const struct address_space_operations gph_kunit_free_folio_aops = {
	.read_folio = gph_kunit_read_folio,
	.free_folio = gph_kunit_free_folio,
};

/* An idle folio the mapping can read again goes volatile. */
static void gph_volatile_idle_folio_of_a_readable_mapping(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio_aops(test, &gph_kunit_readable_aops);

	gph_folio_idle(c->folio, 1);	/* 1: the test's own reference */
	KUNIT_EXPECT_EQ(test, gph_kunit_state(c->folio), GPH_VOLATILE);
	KUNIT_EXPECT_TRUE(test, gph_folio_stable(c->folio));
	KUNIT_EXPECT_EQ(test, gph_kunit_state(c->folio), GPH_STABLE);
}

/* ... but never one of a mapping with ->free_folio, or without ->read_folio. */
static void gph_volatile_never_with_free_folio(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio_aops(test, &gph_kunit_free_folio_aops);

	gph_folio_idle(c->folio, 1);
	KUNIT_EXPECT_EQ(test, gph_kunit_state(c->folio), GPH_STABLE);
}

static void gph_volatile_never_without_read_folio(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio(test);	/* empty a_ops */

	gph_folio_idle(c->folio, 1);
	KUNIT_EXPECT_EQ(test, gph_kunit_state(c->folio), GPH_STABLE);
}

static struct kunit_case gph_volatile_mapping_cases[] = {
	KUNIT_CASE(gph_volatile_idle_folio_of_a_readable_mapping),
	KUNIT_CASE(gph_volatile_never_with_free_folio),
	KUNIT_CASE(gph_volatile_never_without_read_folio),
	{}
};

static struct kunit_suite gph_volatile_mapping_suite = {
	.name = "gph_volatile_mapping",
	.test_cases = gph_volatile_mapping_cases,
};

/* --- large folios: the whole folio, or none of it ------------------------- */

#define GPH_KUNIT_ORDER	2	/* four frames */

/* How many of @folio's frames hold @state. */
static unsigned long gph_kunit_frames_in(struct folio *folio, u8 state)
{
	unsigned long i, n = 0;

	for (i = 0; i < folio_nr_pages(folio); i++)
		n += READ_ONCE(gph_table.states[folio_pfn(folio) + i]) == state;
	return n;
}

/* An idle large folio goes volatile whole; a lookup takes back every frame. */
static void gph_large_folio_volatile_whole_and_back(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio_order(test, &gph_kunit_readable_aops,
						      GPH_KUNIT_ORDER);
	unsigned long nr = folio_nr_pages(c->folio);
	struct folio *f;

	gph_folio_idle(c->folio, 1);	/* 1: the test's own reference */
	KUNIT_EXPECT_EQ(test, gph_kunit_frames_in(c->folio, GPH_VOLATILE), nr);
	f = filemap_get_folio(c->inode->i_mapping, 3);	/* a tail page's index */
	KUNIT_ASSERT_PTR_EQ(test, f, c->folio);
	KUNIT_EXPECT_EQ(test, gph_kunit_frames_in(c->folio, GPH_STABLE), nr);
	folio_put(f);
}

/* A reference the caller does not declare: no frame goes volatile, none stays PENDING. */
static void gph_large_folio_unknown_reference_backs_out(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio_order(test, &gph_kunit_readable_aops,
						      GPH_KUNIT_ORDER);

	folio_get(c->folio);
	gph_folio_idle(c->folio, 1);
	folio_put(c->folio);
	KUNIT_EXPECT_EQ(test, gph_kunit_frames_in(c->folio, GPH_STABLE),
			folio_nr_pages(c->folio));
}

/*
 * The host discards one tail frame: the whole folio is lost. A lookup of
 * any index misses, the folio is removed once and counted at its order, and
 * the discarded frame stays DISCARDED while the test still holds the folio.
 */
static void gph_large_folio_one_frame_discarded_loses_it_all(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio_order(test, &gph_kunit_readable_aops,
						      GPH_KUNIT_ORDER);
	unsigned long before, pfn = folio_pfn(c->folio);
	u8 *tail = &gph_table.states[pfn + 2];

	gph_folio_idle(c->folio, 1);
	KUNIT_ASSERT_EQ(test, gph_kunit_frames_in(c->folio, GPH_VOLATILE),
			folio_nr_pages(c->folio));
	before = gph_stats_discards_by_order(GPH_KUNIT_ORDER);
	KUNIT_ASSERT_EQ(test, cmpxchg(tail, GPH_VOLATILE, GPH_DISCARDED), GPH_VOLATILE);
	KUNIT_EXPECT_TRUE(test, IS_ERR(filemap_get_folio(c->inode->i_mapping, 1)));
	KUNIT_EXPECT_NULL(test, c->folio->mapping);
	KUNIT_EXPECT_EQ(test, c->inode->i_mapping->nrpages, 0UL);
	KUNIT_EXPECT_EQ(test, READ_ONCE(*tail), GPH_DISCARDED);
	/* A second lookup that found it before the removal still finds it lost. */
	KUNIT_EXPECT_FALSE(test, gph_folio_stable(c->folio));
	KUNIT_EXPECT_EQ(test, gph_stats_discards_by_order(GPH_KUNIT_ORDER), before + 1);
}

static struct kunit_case gph_large_folio_cases[] = {
	KUNIT_CASE(gph_large_folio_volatile_whole_and_back),
	KUNIT_CASE(gph_large_folio_unknown_reference_backs_out),
	KUNIT_CASE(gph_large_folio_one_frame_discarded_loses_it_all),
	{}
};

static struct kunit_suite gph_large_folio_suite = {
	.name = "gph_large_folio",
	.test_cases = gph_large_folio_cases,
};

/* --- lookups of a discarded folio that may not sleep ---------------------- */

struct gph_locker {
	struct folio *folio;
	struct completion locked, done;
};

/* Holds @folio's lock for two seconds, as a racing remover or truncate would. */
static int gph_locker_fn(void *data)
{
	struct gph_locker *l = data;

	folio_lock(l->folio);
	complete(&l->locked);
	msleep(2000);
	folio_unlock(l->folio);
	complete(&l->done);
	return 0;
}

/*
 * FGP_NOWAIT with FGP_CREAT may not wait for the lock of a discarded folio,
 * and must not add a folio in its place while it stays: -EAGAIN, as for a
 * held lock without page states (issue 13, defect 7: it spun on -EEXIST).
 */
static void gph_lookup_nowait_creat_on_a_held_discarded_folio(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio(test);
	struct task_struct *t;
	struct gph_locker *l;
	struct folio *f;

	l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, l);
	l->folio = c->folio;
	init_completion(&l->locked);
	init_completion(&l->done);
	gph_kunit_host_discards(test, c->folio);
	t = kthread_run(gph_locker_fn, l, "gph_kunit_lock");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&l->locked);
	f = __filemap_get_folio(c->inode->i_mapping, 0,
				FGP_LOCK | FGP_CREAT | FGP_NOWAIT, GFP_KERNEL);
	wait_for_completion(&l->done);
	if (!IS_ERR(f)) {
		folio_unlock(f);
		folio_put(f);
	}
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -EAGAIN);
	KUNIT_EXPECT_PTR_EQ(test, c->folio->mapping, c->inode->i_mapping);
}

/*
 * A plain lookup may run with interrupts off (build IDs from NMI): there, on
 * a discarded folio, it only misses and removes nothing (defect 7: the
 * removal's xa_unlock_irq() turned interrupts on).
 */
static void gph_lookup_plain_on_a_discarded_folio_only_misses(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio(test);
	struct folio *f;
	bool irqs_off;

	gph_kunit_host_discards(test, c->folio);
	local_irq_disable();
	f = filemap_get_folio(c->inode->i_mapping, 0);
	irqs_off = irqs_disabled();
	local_irq_enable();
	if (!IS_ERR(f))
		folio_put(f);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -ENOENT);
	KUNIT_EXPECT_TRUE(test, irqs_off);
	KUNIT_EXPECT_PTR_EQ(test, c->folio->mapping, c->inode->i_mapping);
}

/*
 * In a task with interrupts on, a plain lookup still removes it (trying the
 * lock): callers that add a folio after a miss and retry on -EEXIST without
 * sleeping (btrfs verity) would spin while it stayed.
 */
static void gph_lookup_plain_in_a_task_removes_a_discarded_folio(struct kunit *test)
{
	struct gph_cached *c = gph_cached_folio(test);
	struct folio *f, *n;
	int err;

	gph_kunit_host_discards(test, c->folio);
	f = filemap_get_folio(c->inode->i_mapping, 0);
	if (!IS_ERR(f))
		folio_put(f);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f), -ENOENT);
	KUNIT_EXPECT_NULL(test, c->folio->mapping);
	n = filemap_alloc_folio(GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, n);
	err = filemap_add_folio(c->inode->i_mapping, n, 0, GFP_KERNEL);
	if (!err)
		folio_unlock(n);
	folio_put(n);
	KUNIT_EXPECT_EQ(test, err, 0);
}

static struct kunit_case gph_lookup_cases[] = {
	KUNIT_CASE(gph_lookup_nowait_creat_on_a_held_discarded_folio),
	KUNIT_CASE(gph_lookup_plain_on_a_discarded_folio_only_misses),
	KUNIT_CASE(gph_lookup_plain_in_a_task_removes_a_discarded_folio),
	{}
};

static struct kunit_suite gph_lookup_suite = {
	.name = "gph_lookup",
	.test_cases = gph_lookup_cases,
};

static struct kunit_case gph_volatile_release_cases[] = {
	KUNIT_CASE(gph_volatile_release_takes_back_a_volatile_folio),
	KUNIT_CASE(gph_volatile_release_leaves_a_held_frame_lost),
	KUNIT_CASE(gph_volatile_release_removes_a_discarded_folio),
	{}
};

static struct kunit_suite gph_volatile_release_suite = {
	.name = "gph_volatile_release",
	.test_cases = gph_volatile_release_cases,
};

static struct kunit_case gph_discard_fault_cases[] = {
	KUNIT_CASE(gph_discard_fault_outside_memory_is_reported),
	KUNIT_CASE(gph_discard_fault_on_stable_frame_is_retried),
	KUNIT_CASE(gph_discard_fault_on_discarded_kernel_page_is_reported),
	KUNIT_CASE(gph_discard_fault_on_frame_being_freed_takes_it_back),
	KUNIT_CASE(gph_discard_fault_on_discarded_folio_is_reported),
	KUNIT_CASE(gph_discard_fault_on_frozen_cached_folio_is_reported),
	{}
};

static struct kunit_suite gph_discard_fault_suite = {
	.name = "gph_discard_fault",
	.test_cases = gph_discard_fault_cases,
};

kunit_test_suites(&gph_states_suite, &gph_essa_suite, &gph_table_suite,
		  &gph_registry_suite, &gph_discard_fault_suite,
		  &gph_volatile_release_suite, &gph_read_batch_suite,
		  &gph_volatile_mapping_suite, &gph_large_folio_suite, &gph_lookup_suite);

MODULE_DESCRIPTION("KUnit tests for gph");
MODULE_LICENSE("GPL");
