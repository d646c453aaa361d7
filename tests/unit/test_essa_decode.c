// SPDX-License-Identifier: GPL-2.0
/* Host-built tests of ESSA result decoding (module/essa_decode.h). */
#include "kselftest_harness.h"
#include "essa_decode.h"

/* R1 = usage << 2 | content; see reference: Sr Sp Sz Ur Uz Vr Vz Pr. */
TEST(usage_and_content)
{
	EXPECT_EQ(GPH_STABLE, gph_essa_decode(0x00));
	EXPECT_EQ(GPH_STABLE, gph_essa_decode(0x02));
	EXPECT_EQ(GPH_STABLE, gph_essa_decode(0x03));
	EXPECT_EQ(GPH_UNUSED, gph_essa_decode(0x04));
	EXPECT_EQ(GPH_UNUSED, gph_essa_decode(0x07));
	EXPECT_EQ(GPH_VOLATILE, gph_essa_decode(0x0c));
	EXPECT_EQ(GPH_VOLATILE, gph_essa_decode(0x08));
}

/* KVM drops volatile pages silently: V or P with content zero = discarded. */
TEST(volatile_with_zero_content_is_discarded)
{
	EXPECT_EQ(GPH_DISCARDED, gph_essa_decode(0x0f));
	EXPECT_EQ(GPH_DISCARDED, gph_essa_decode(0x0b));
	EXPECT_EQ(GPH_VOLATILE, gph_essa_decode(0x0e));	/* V, preserved */
}

TEST(nodat_and_exception_bits_do_not_change_the_state)
{
	unsigned long r1;

	for (r1 = 0; r1 < 16; r1++) {
		EXPECT_EQ(gph_essa_decode(r1), gph_essa_decode(r1 | GPH_ESSA_NODAT));
		EXPECT_EQ(gph_essa_decode(r1), gph_essa_decode(r1 | GPH_ESSA_EXCEPTION));
		EXPECT_EQ(gph_essa_decode(r1), gph_essa_decode(r1 | ~0xffUL));
	}
}

TEST_HARNESS_MAIN
