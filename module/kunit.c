// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for gph.ko: the transition table, ESSA result decoding, the
 * table protocol under a racing host, and the core registration API.
 * Built as gph_kunit.ko; load it after gph.ko.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/page_states.h>
#include "gph.h"
#include "essa_decode.h"
#include "table_proto.h"

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

kunit_test_suites(&gph_states_suite, &gph_essa_suite, &gph_table_suite,
		  &gph_registry_suite);

MODULE_DESCRIPTION("KUnit tests for gph");
MODULE_LICENSE("GPL");
