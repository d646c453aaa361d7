/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The page-state transition table. states.c has no kernel dependency: it is
 * compiled into gph.ko and into the host-built unit tests alike.
 */
#ifndef _GPH_STATES_H
#define _GPH_STATES_H

#include "gph_abi.h"

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#endif

extern const char *const gph_state_names[GPH_NR_STATES];
extern const char *const gph_reason_names[GPH_NR_REASONS];
/* gph_transitions[old][new]: bit (1 << actor) set if actor may move old -> new. */
extern const unsigned char gph_transitions[GPH_NR_STATES][GPH_NR_STATES];

/**
 * gph_transition_allowed - may @actor move a page from @old to @new?
 * @old: current state
 * @new: wanted state
 * @actor: GPH_ACTOR_GUEST or GPH_ACTOR_HOST
 *
 * Inline: the buddy hooks ask it for every page.
 *
 * Return: true if the transition is legal. Staying in a state is not a
 * transition and is never allowed.
 */
static inline bool gph_transition_allowed(unsigned int old, unsigned int new,
					  enum gph_actor actor)
{
	if (old >= GPH_NR_STATES || new >= GPH_NR_STATES ||
	    (unsigned int)actor > GPH_ACTOR_HOST)
		return false;
	return gph_transitions[old][new] & (1u << actor);
}
bool gph_transition_counted(unsigned int old, unsigned int new);
const char *gph_state_name(unsigned int state);
const char *gph_reason_name(unsigned int reason);

#endif /* _GPH_STATES_H */
