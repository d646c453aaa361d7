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
#define gph_proto_cas64(p, oldp, new)	try_cmpxchg64(p, oldp, new)
#define gph_proto_relax()		cpu_relax()
#define gph_proto_bug(cond)		WARN_ON_ONCE(cond)
/* table.c: relax, and after a second warn and keep the watchdogs quiet */
void gph_table_busy_wait(const unsigned char *byte, u64 *since);
#define gph_proto_busy_wait(byte, since) gph_table_busy_wait(byte, since)
/* summary words: unordered or (after a fully ordered cmpxchg), full xchg */
#define gph_proto_or64(p, v)		atomic64_or(v, (atomic64_t *)(p))
#define gph_proto_xchg64(p, v)		xchg(p, v)
#else
#define gph_proto_read(p)		__atomic_load_n(p, __ATOMIC_RELAXED)
#define gph_proto_cas(p, oldp, new)					\
	__atomic_compare_exchange_n(p, oldp, new, 0, __ATOMIC_SEQ_CST,	\
				    __ATOMIC_RELAXED)
#define gph_proto_cas64(p, oldp, new)	gph_proto_cas(p, oldp, new)
#define gph_proto_relax()		__asm__ __volatile__("" ::: "memory")
#define gph_proto_busy_wait(byte, since) \
	do { (void)(byte); (void)(since); gph_proto_relax(); } while (0)
#define gph_proto_bug(cond)		(cond)
#define gph_proto_or64(p, v)		__atomic_fetch_or(p, v, __ATOMIC_RELAXED)
#define gph_proto_xchg64(p, v)		__atomic_exchange_n(p, v, __ATOMIC_SEQ_CST)
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
	__u64 busy_since = 0;

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
			gph_proto_busy_wait(byte, &busy_since);
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

/* Eight state bytes as one word, for gph_proto_guest_set8(). */
typedef __u64 __attribute__((__may_alias__)) gph_proto_word8;
#define GPH_PROTO_WORD8(state)	(0x0101010101010101ull * (unsigned char)(state))

/**
 * gph_proto_guest_set8 - move eight frames that all hold @from to @to at once
 * @bytes: the first of the eight bytes, 8-byte aligned
 * @from: the state every one of the eight must hold
 * @to: the state they move to; a move the guest may make from @from
 *
 * For the buddy hooks' moves of many frames (STABLE <-> UNUSED): one
 * compare-and-exchange instead of eight. The host changes one byte at a
 * time, with compare-and-exchange too, so if it took any of the eight, or
 * any holds something else, the word's exchange fails and changes nothing:
 * the caller then moves them one by one. (Exchanges of different sizes on
 * one aligned word are coherent on the machines gph runs on; Linux's
 * qspinlock mixes them as well.)
 *
 * Return: true if all eight held @from and now hold @to.
 */
static inline bool gph_proto_guest_set8(unsigned char *bytes, unsigned char from,
					unsigned char to)
{
	gph_proto_word8 *word = (gph_proto_word8 *)bytes;
	__u64 old = GPH_PROTO_WORD8(from);

	if (gph_proto_bug(!gph_transition_allowed(from, to, GPH_ACTOR_GUEST)))
		return false;
	if (gph_proto_read(word) != old)	/* a plain load first: no exchange doomed to fail */
		return false;
	return gph_proto_cas64(word, &old, GPH_PROTO_WORD8(to));
}

static inline bool gph_proto_lost(int state)
{
	return state == GPH_DISCARDED || state == GPH_BUSY;
}

/* --- the host's side ---------------------------------------------------- */

/**
 * gph_proto_host_take - the host takes a hinted frame before it drops or
 * discards it
 * @kind: GPH_UNUSED (a drop) or GPH_VOLATILE (a discard)
 *
 * Return: true if the byte held @kind and now holds BUSY: the frame is the
 * host's until gph_proto_host_release().
 */
static inline bool gph_proto_host_take(unsigned char *byte, unsigned char kind)
{
	if (kind != GPH_UNUSED && kind != GPH_VOLATILE)
		return false;
	return gph_proto_cas(byte, &kind, GPH_BUSY);
}

/**
 * gph_proto_host_release - give a taken frame back: UNUSED after a drop,
 * DISCARDED after a discard (the guest must read the content again)
 *
 * Return: false if the byte did not hold BUSY: a guest that breaks the
 * protocol (the host logs it and goes on; the content is gone either way).
 */
static inline bool gph_proto_host_release(unsigned char *byte, unsigned char kind)
{
	unsigned char busy = GPH_BUSY;

	return gph_proto_cas(byte, &busy,
			     kind == GPH_UNUSED ? GPH_UNUSED : GPH_DISCARDED);
}

/* --- the region's layout and the summary bitmap ------------------------- */

struct gph_table_layout {
	__u64 nr_frames;
	__u64 nr_groups;	/* summary bits in use */
	__u64 summary_offset;
	__u64 summary_words;	/* 64-bit words */
	__u64 states_offset;
	__u64 table_size;
};

#define GPH_TABLE_MAX_FRAMES	(1ull << 40)	/* 4 PiB of 4 KiB pages */

/* The layout a guest with @nr_frames frames writes (version 2). */
static inline void gph_table_layout_for(__u64 nr_frames, struct gph_table_layout *l)
{
	__u64 summary_end;

	l->nr_frames = nr_frames;
	l->nr_groups = (nr_frames + (1ull << GPH_TABLE_GROUP_SHIFT) - 1) >>
		       GPH_TABLE_GROUP_SHIFT;
	l->summary_offset = GPH_TABLE_HEADER_SIZE;
	l->summary_words = (l->nr_groups + 63) / 64;
	summary_end = l->summary_offset + 8 * l->summary_words;
	l->states_offset = (summary_end + 4095) & ~4095ull;
	l->table_size = l->states_offset + nr_frames;
}

/**
 * gph_table_layout_check - validate a header the guest wrote
 * @h: a private copy of the header (the guest may change the shared one
 *	at any time: read it once, then check the copy)
 * @region_size: bytes mapped; nothing at or beyond it may be touched
 * @page_shift: the host's page size, which the guest's must match
 * @l: the layout to use, filled on success
 *
 * Every field is untrusted. Only the exact layout gph_table_layout_for()
 * gives is accepted, so no offset or size from the guest is used as such.
 *
 * Return: NULL if the header may be used, else why not.
 */
static inline const char *gph_table_layout_check(const struct gph_table_header *h,
						 __u64 region_size, unsigned int page_shift,
						 struct gph_table_layout *l)
{
	if (region_size < GPH_TABLE_HEADER_SIZE)
		return "region smaller than a header";
	if (h->magic != GPH_TABLE_MAGIC)
		return "bad magic";
	if (h->version != GPH_TABLE_VERSION)
		return "unknown version";
	if (h->page_shift != page_shift)
		return "page size differs from the host's";
	if (h->group_shift != GPH_TABLE_GROUP_SHIFT)
		return "unknown summary group size";
	if (h->nr_frames == 0 || h->nr_frames > GPH_TABLE_MAX_FRAMES ||
	    h->nr_frames > region_size)
		return "nr_frames out of range";
	gph_table_layout_for(h->nr_frames, l);
	if (h->summary_offset != l->summary_offset ||
	    h->states_offset != l->states_offset ||
	    h->table_size != l->table_size)
		return "layout differs from nr_frames'";
	if (l->table_size > region_size)
		return "table larger than the region";
	return (void *)0;
}

/* The guest, after it moved frame @frame to UNUSED or VOLATILE. */
static inline void gph_proto_summary_mark(__u64 *summary, __u64 frame)
{
	__u64 group = frame >> GPH_TABLE_GROUP_SHIFT;
	__u64 *word = &summary[group / 64];
	__u64 bit = 1ull << (group % 64);

	/*
	 * The caller's cmpxchg on the byte was fully ordered: a bit seen set
	 * here is one the host has not yet taken with its exchange, and the
	 * exchange orders its read of the byte after ours.
	 */
	if (!(gph_proto_read(word) & bit))
		gph_proto_or64(word, bit);
}

/* The host: take one word of the summary; its set bits are groups to read. */
static inline __u64 gph_proto_summary_take(__u64 *word)
{
	return gph_proto_xchg64(word, 0);
}

#endif /* _GPH_TABLE_PROTO_H */
