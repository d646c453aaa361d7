// SPDX-License-Identifier: GPL-2.0
/* Host-built tests of module/states.c: the transition table. */
#include "kselftest_harness.h"
#include "states.h"

TEST(guest_owns_stable_unused_volatile)
{
	EXPECT_TRUE(gph_transition_allowed(GPH_STABLE, GPH_UNUSED, GPH_ACTOR_GUEST));
	EXPECT_TRUE(gph_transition_allowed(GPH_UNUSED, GPH_STABLE, GPH_ACTOR_GUEST));
	EXPECT_TRUE(gph_transition_allowed(GPH_VOLATILE, GPH_STABLE, GPH_ACTOR_GUEST));
	EXPECT_TRUE(gph_transition_allowed(GPH_DISCARDED, GPH_STABLE, GPH_ACTOR_GUEST));
	EXPECT_FALSE(gph_transition_allowed(GPH_UNUSED, GPH_BUSY, GPH_ACTOR_GUEST));
	EXPECT_FALSE(gph_transition_allowed(GPH_BUSY, GPH_UNUSED, GPH_ACTOR_GUEST));
	EXPECT_FALSE(gph_transition_allowed(GPH_STABLE, GPH_DISCARDED, GPH_ACTOR_GUEST));
}

TEST(host_only_takes_hinted_frames)
{
	unsigned int s;

	for (s = 0; s < GPH_NR_STATES; s++) {
		bool hinted = s == GPH_UNUSED || s == GPH_VOLATILE;

		EXPECT_EQ(hinted, gph_transition_allowed(s, GPH_BUSY, GPH_ACTOR_HOST))
			TH_LOG("host %s -> busy", gph_state_name(s));
	}
	EXPECT_TRUE(gph_transition_allowed(GPH_BUSY, GPH_UNUSED, GPH_ACTOR_HOST));
	EXPECT_TRUE(gph_transition_allowed(GPH_BUSY, GPH_DISCARDED, GPH_ACTOR_HOST));
	EXPECT_FALSE(gph_transition_allowed(GPH_BUSY, GPH_STABLE, GPH_ACTOR_HOST));
	EXPECT_FALSE(gph_transition_allowed(GPH_STABLE, GPH_UNUSED, GPH_ACTOR_HOST));
}

/*
 * Volatile only through the guest's PENDING intent, which the host never
 * takes: a guest that backs out after its refcount check finds its content.
 */
TEST(volatile_only_through_pending)
{
	unsigned int s;

	EXPECT_FALSE(gph_transition_allowed(GPH_STABLE, GPH_VOLATILE, GPH_ACTOR_GUEST));
	EXPECT_TRUE(gph_transition_allowed(GPH_STABLE, GPH_PENDING, GPH_ACTOR_GUEST));
	EXPECT_TRUE(gph_transition_allowed(GPH_PENDING, GPH_VOLATILE, GPH_ACTOR_GUEST));
	EXPECT_TRUE(gph_transition_allowed(GPH_PENDING, GPH_STABLE, GPH_ACTOR_GUEST));
	for (s = 0; s < GPH_NR_STATES; s++) {
		EXPECT_FALSE(gph_transition_allowed(GPH_PENDING, s, GPH_ACTOR_HOST));
		if (s != GPH_VOLATILE && s != GPH_STABLE)
			EXPECT_FALSE(gph_transition_allowed(GPH_PENDING, s, GPH_ACTOR_GUEST))
				TH_LOG("pending -> %s", gph_state_name(s));
	}
}

/* The books keep net moves: never the transient PENDING or BUSY. */
TEST(counted_transitions)
{
	unsigned int s;

	EXPECT_TRUE(gph_transition_counted(GPH_STABLE, GPH_VOLATILE));
	EXPECT_TRUE(gph_transition_counted(GPH_VOLATILE, GPH_DISCARDED));
	EXPECT_TRUE(gph_transition_counted(GPH_VOLATILE, GPH_STABLE));
	EXPECT_TRUE(gph_transition_counted(GPH_DISCARDED, GPH_UNUSED));
	EXPECT_FALSE(gph_transition_counted(GPH_UNUSED, GPH_UNUSED));
	for (s = 0; s < GPH_NR_STATES; s++) {
		EXPECT_FALSE(gph_transition_counted(s, GPH_PENDING));
		EXPECT_FALSE(gph_transition_counted(GPH_BUSY, s));
	}
}

/* Every legal move has exactly one owner: guest and host never share one. */
TEST(no_transition_has_two_owners)
{
	unsigned int a, b;

	for (a = 0; a < GPH_NR_STATES; a++)
		for (b = 0; b < GPH_NR_STATES; b++)
			EXPECT_FALSE(gph_transition_allowed(a, b, GPH_ACTOR_GUEST) &&
				     gph_transition_allowed(a, b, GPH_ACTOR_HOST))
				TH_LOG("%s -> %s", gph_state_name(a), gph_state_name(b));
}

TEST(out_of_range_is_refused)
{
	EXPECT_FALSE(gph_transition_allowed(GPH_NR_STATES, GPH_STABLE, GPH_ACTOR_GUEST));
	EXPECT_FALSE(gph_transition_allowed(GPH_STABLE, 255, GPH_ACTOR_GUEST));
	EXPECT_FALSE(gph_transition_allowed(GPH_STABLE, GPH_UNUSED, (enum gph_actor)5));
	EXPECT_STREQ("invalid", gph_state_name(GPH_NR_STATES));
	EXPECT_STREQ("invalid", gph_reason_name(GPH_NR_REASONS));
}

TEST(every_state_and_reason_has_a_name)
{
	unsigned int i;

	for (i = 0; i < GPH_NR_STATES; i++)
		EXPECT_NE(NULL, gph_state_names[i]);
	for (i = 0; i < GPH_NR_REASONS; i++)
		EXPECT_NE(NULL, gph_reason_names[i]);
}

TEST_HARNESS_MAIN
