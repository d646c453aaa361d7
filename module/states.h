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

bool gph_transition_allowed(unsigned int old, unsigned int new,
			    enum gph_actor actor);
const char *gph_state_name(unsigned int state);
const char *gph_reason_name(unsigned int reason);

#endif /* _GPH_STATES_H */
