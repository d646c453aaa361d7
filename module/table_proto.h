/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The table protocol: how guest and host move one frame's state byte.
 * Kernel-independent, so tests/unit races it with threads on the host, and
 * a host agent can use the same code.
 *
 * Guest and host change a byte only with compare-and-exchange, each only
 * along the transitions gph_transition_allowed() grants it, so neither can
 * lose a race: the host takes a hinted frame by moving it to BUSY, does its
 * work, and releases it; a guest that finds BUSY waits for the release.
 */
#ifndef _GPH_TABLE_PROTO_H
#define _GPH_TABLE_PROTO_H

#include "states.h"

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/compiler.h>
#include <asm/processor.h>
#define gph_proto_read(p)		READ_ONCE(*(p))
#define gph_proto_cas(p, oldp, new)	try_cmpxchg(p, oldp, new)
#define gph_proto_relax()		cpu_relax()
#define gph_proto_bug(cond)		WARN_ON_ONCE(cond)
#else
#define gph_proto_read(p)		__atomic_load_n(p, __ATOMIC_RELAXED)
#define gph_proto_cas(p, oldp, new)					\
	__atomic_compare_exchange_n(p, oldp, new, 0, __ATOMIC_SEQ_CST,	\
				    __ATOMIC_RELAXED)
#define gph_proto_relax()		__asm__ __volatile__("" ::: "memory")
#define gph_proto_bug(cond)		(cond)
#endif

/**
 * gph_proto_move - move a state byte from @old to @new as @actor
 *
 * Return: true if the byte held @old and now holds @new; false if it held
 * something else or the transition table forbids the move.
 */
static inline bool gph_proto_move(unsigned char *byte, unsigned char old,
				  unsigned char new, enum gph_actor actor)
{
	if (gph_proto_bug(!gph_transition_allowed(old, new, actor)))
		return false;
	return gph_proto_cas(byte, &old, new);
}

/**
 * gph_proto_guest_set - the guest moves a byte to @new from whatever it holds
 *
 * Waits while the host holds the frame (BUSY). Never returns BUSY.
 *
 * Return: the state the byte left (== @new if it already held it), or -1 if
 * the guest may not move from the state it found.
 */
static inline int gph_proto_guest_set(unsigned char *byte, unsigned char new)
{
	unsigned char old = gph_proto_read(byte);

	/*
	 * Fast path for the buddy hooks: free moves STABLE -> UNUSED, alloc
	 * UNUSED -> STABLE, both always legal for the guest.
	 */
	if ((old == GPH_STABLE && new == GPH_UNUSED) ||
	    (old == GPH_UNUSED && new == GPH_STABLE)) {
		if (gph_proto_cas(byte, &old, new))
			return old;
	}
	for (;;) {
		old = gph_proto_read(byte);
		if (old == new)
			return old;
		if (old == GPH_BUSY) {
			gph_proto_relax();
			continue;
		}
		if (!gph_transition_allowed(old, new, GPH_ACTOR_GUEST))
			return -1;
		if (gph_proto_cas(byte, &old, new))
			return old;
	}
}

/**
 * gph_proto_guest_use - take a frame back before using its content
 *
 * The caller holds a reference that a make-volatile's refcount check counts,
 * taken with a fully ordered atomic before this call. Never waits.
 *
 * Return: the state found. GPH_VOLATILE or GPH_PENDING: moved to STABLE.
 * GPH_DISCARDED or GPH_BUSY (the host is discarding it): the content is
 * lost. Anything else: left as it was, content usable.
 */
static inline int gph_proto_guest_use(unsigned char *byte)
{
	unsigned char old;

	for (;;) {
		old = gph_proto_read(byte);
		if (old != GPH_VOLATILE && old != GPH_PENDING)
			return old;
		if (gph_proto_cas(byte, &old, GPH_STABLE))
			return old;
	}
}

static inline bool gph_proto_lost(int state)
{
	return state == GPH_DISCARDED || state == GPH_BUSY;
}

#endif /* _GPH_TABLE_PROTO_H */
