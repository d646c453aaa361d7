// SPDX-License-Identifier: GPL-2.0
/*
 * The one table of legal page-state transitions, for guest and host.
 * No kernel headers beyond states.h: tests/unit builds this file as is.
 */
#include "states.h"

/* Must stay in sync with enum gph_state. */
const char *const gph_state_names[GPH_NR_STATES] = {
	[GPH_STABLE] = "stable",
	[GPH_UNUSED] = "unused",
	[GPH_VOLATILE] = "volatile",
	[GPH_DISCARDED] = "discarded",
	[GPH_BUSY] = "busy",
	[GPH_PENDING] = "pending",
};

/* Must stay in sync with enum gph_reason. */
const char *const gph_reason_names[GPH_NR_REASONS] = {
	[GPH_REASON_FREE] = "free",
	[GPH_REASON_ALLOC] = "alloc",
	[GPH_REASON_LOAD] = "load",
	[GPH_REASON_UNLOAD] = "unload",
	[GPH_REASON_HOST] = "host",
	[GPH_REASON_IDLE] = "idle",
	[GPH_REASON_USE] = "use",
	[GPH_REASON_FAULT] = "fault",
};

#define G (1u << GPH_ACTOR_GUEST)
#define H (1u << GPH_ACTOR_HOST)

/*
 * gph_transitions[old][new]: which actor may move a page from old to new.
 * The guest owns STABLE/UNUSED/VOLATILE/PENDING and leaves DISCARDED; the
 * host only takes a hinted page (UNUSED or VOLATILE) into BUSY and releases
 * it as UNUSED (dropped) or DISCARDED. Nobody but the host touches a BUSY
 * page, so a guest that finds BUSY waits for the host to finish (or, when
 * it was volatile, takes it as discarded).
 *
 * A page goes volatile through PENDING: the guest first announces the
 * intent, then checks the folio's refcount, then commits (or backs out).
 * The host leaves PENDING alone, so a back-out never finds the content gone.
 */
const unsigned char gph_transitions[GPH_NR_STATES][GPH_NR_STATES] = {
	[GPH_STABLE] = {
		[GPH_UNUSED] = G,
		[GPH_PENDING] = G,
	},
	[GPH_PENDING] = {
		[GPH_STABLE] = G,
		[GPH_VOLATILE] = G,
	},
	[GPH_UNUSED] = {
		[GPH_STABLE] = G,
		[GPH_BUSY] = H,
	},
	[GPH_VOLATILE] = {
		[GPH_STABLE] = G,
		[GPH_UNUSED] = G,
		[GPH_BUSY] = H,
	},
	[GPH_DISCARDED] = {
		[GPH_STABLE] = G,
		[GPH_UNUSED] = G,
	},
	[GPH_BUSY] = {
		[GPH_UNUSED] = H,
		[GPH_DISCARDED] = H,
	},
};

#undef G
#undef H

/*
 * The moves the statistics keep: what each side does, with the guest's
 * PENDING detour folded into STABLE -> VOLATILE and the host's BUSY window
 * into VOLATILE -> DISCARDED (a drop, UNUSED -> BUSY -> UNUSED, moves nothing).
 */
bool gph_transition_counted(unsigned int old, unsigned int new)
{
	if (old >= GPH_NR_STATES || new >= GPH_NR_STATES || old == new ||
	    old == GPH_BUSY || old == GPH_PENDING ||
	    new == GPH_BUSY || new == GPH_PENDING)
		return false;
	return gph_transition_allowed(old, new, GPH_ACTOR_GUEST) ||
	       (old == GPH_STABLE && new == GPH_VOLATILE) ||
	       (old == GPH_VOLATILE && new == GPH_DISCARDED);
}

const char *gph_state_name(unsigned int state)
{
	return state < GPH_NR_STATES ? gph_state_names[state] : "invalid";
}

const char *gph_reason_name(unsigned int reason)
{
	return reason < GPH_NR_REASONS ? gph_reason_names[reason] : "invalid";
}
