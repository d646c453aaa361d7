/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ESSA (Extract and Set Storage Attributes) operation codes and result
 * decoding. Pure C: compiled into gph.ko on s390 and into host unit tests
 * and KUnit on every architecture.
 */
#ifndef _GPH_ESSA_DECODE_H
#define _GPH_ESSA_DECODE_H

#include "gph_abi.h"

/* M3 operation request codes (ORC). */
enum gph_essa_orc {
	GPH_ESSA_GET_STATE = 0,
	GPH_ESSA_SET_STABLE = 1,
	GPH_ESSA_SET_UNUSED = 2,
	GPH_ESSA_SET_VOLATILE = 3,
	GPH_ESSA_SET_POT_VOLATILE = 4,
	GPH_ESSA_SET_STABLE_RESIDENT = 5,
	GPH_ESSA_SET_STABLE_IF_RESIDENT = 6,
	GPH_ESSA_SET_STABLE_NODAT = 7,	/* facility 147 */
};

/* R1 result bits. */
#define GPH_ESSA_USAGE_MASK	0x0c	/* 00 S, 01 U, 10 P(ot. volatile), 11 V */
#define GPH_ESSA_USAGE_SHIFT	2
#define GPH_ESSA_CONTENT_MASK	0x03	/* 00 resident, 10 preserved, 11 zero */
#define GPH_ESSA_CONTENT_ZERO	0x03
#define GPH_ESSA_EXCEPTION	0x10
#define GPH_ESSA_NODAT		0x20

/**
 * gph_essa_decode - the gph state a page was in, from ESSA's R1 result
 * @r1: the value ESSA returned in R1 (the state before the operation)
 *
 * Usage volatile or potentially volatile with content zero means the host
 * discarded the page (under KVM this is the only sign: there is no discard
 * fault). Usage unused is UNUSED whatever the content.
 *
 * Return: a gph_state (never GPH_BUSY).
 */
static inline enum gph_state gph_essa_decode(unsigned long r1)
{
	unsigned int usage = (r1 & GPH_ESSA_USAGE_MASK) >> GPH_ESSA_USAGE_SHIFT;
	unsigned int content = r1 & GPH_ESSA_CONTENT_MASK;

	switch (usage) {
	case 0:
		return GPH_STABLE;
	case 1:
		return GPH_UNUSED;
	default:	/* 2: potentially volatile, 3: volatile */
		return content == GPH_ESSA_CONTENT_ZERO ? GPH_DISCARDED :
							  GPH_VOLATILE;
	}
}

#endif /* _GPH_ESSA_DECODE_H */
