/*
 * Spin model of volatile page cache with the essa backend, for one frame:
 * the protocol module/essa_proto.h follows (tests/unit/test_essa_protocol.c
 * races the same code with threads).
 *
 * Unlike the table, the frame's state lives in the machine (hw), which only
 * ESSA changes, one instruction at a time, and which the host may change
 * on its own: a volatile resident frame (HV) becomes discarded (HZ, its
 * content gone) at any moment. The guest keeps its own byte per frame (g)
 * for the intent and for the two windows in which it changes hw:
 *   COMMIT  make-volatile: after the refcount check, around SET_VOLATILE;
 *   TAKING  make-stable: around SET_STABLE_IF_RESIDENT (ORC 6), which
 *           leaves a discarded frame as it is and says so.
 * A lookup that finds either window waits for it (bounded: interrupts are
 * off in it), so no lookup takes a frame for stable while hw is volatile.
 * LOST: ORC 6 found it discarded; the folio is removed from the cache
 * (once, under its lock), and the frame stays LOST until the folio is
 * freed: a lookup that took its reference before the removal still finds
 * LOST. Freeing makes the frame stable (the buddy hook), and the page is
 * read again into a new folio, here in the same frame.
 *
 * -DSTABLE_AT_REMOVAL makes the frame stable when the folio is removed
 * instead (the first design): a lookup holding the removed folio then reads
 * the zeroes, and spin says so.
 *
 * idle (two), lookup (two) and the host; statements are atomic and
 * sequentially consistent (the byte's cmpxchg and the lookup's
 * folio_try_get() are full barriers).
 *
 * Safety: the host never discards content a lookup is using, and a lookup
 * uses content only while hw is stable and the content is the file's.
 */
mtype = { STABLE, PENDING, COMMIT, VOLATILE, TAKING, LOST, HS, HV, HZ };
mtype g = STABLE;	/* the guest's byte */
mtype hw = HS;		/* the machine's state of the frame */
byte refs = 1;		/* the page cache's, while it is cached */
bool cached = true;	/* in the page cache */
bool content = true;	/* the frame holds the file's data */
byte using = 0;		/* lookups reading the content */
bool locked = false;	/* the folio lock */

inline cas(old, new, ok) {
	atomic { if :: g == old -> g = new; ok = true :: else -> ok = false fi }
}

proctype idle() {
	bool ok;
	byte r;
	do
	:: atomic { cached && !locked -> locked = true };	/* folio_trylock */
		cas(STABLE, PENDING, ok);
		if
		:: ok ->
			r = refs;
			if
			:: r == 1 ->
				cas(PENDING, COMMIT, ok);
				if
				:: ok ->
					assert(hw == HS);
					hw = HV;		/* ESSA SET_VOLATILE */
					g = VOLATILE
				:: else -> skip		/* a lookup took it back */
				fi
			:: else -> cas(PENDING, STABLE, ok)
			fi
		:: else -> skip
		fi;
		locked = false
	od
}

proctype lookup() {
	mtype s;
	bool lost;
	do
	:: atomic { cached -> refs++ };	/* found in the cache, folio_try_get() */
		lost = false;
		do
		:: atomic { s = g;
			if
			:: s == PENDING -> g = STABLE; break	/* hw never left HS */
			:: s == VOLATILE -> g = TAKING; break
			:: s == LOST -> lost = true; break
			:: s == STABLE -> break
			:: s == COMMIT || s == TAKING -> skip	/* wait for the window */
			fi }
		od;
		if
		:: s == VOLATILE ->
			atomic {		/* ESSA SET_STABLE_IF_RESIDENT */
				if
				:: hw == HV -> hw = HS
				:: hw == HS -> skip
				:: hw == HZ -> lost = true	/* left discarded */
				fi };
			if
			:: lost -> g = LOST
			:: else -> g = STABLE
			fi
		:: else -> skip
		fi;
		if
		:: lost ->
			/* page_states_discard(): remove once, under the lock */
			atomic { !locked -> locked = true };
			if
			:: cached ->
#ifdef STABLE_AT_REMOVAL
				hw = HS; g = STABLE;
#endif
				cached = false; refs--	/* the cache's reference */
			:: else -> skip
			fi;
			locked = false
		:: else ->
			atomic { assert(hw == HS && content); using++ };
			using--
		fi;
		refs--
	od
}

active proctype host() {
	do
	:: atomic { hw == HV -> assert(using == 0); hw = HZ; content = false }
	od
}

/* The last reference gone: freed (the buddy hook makes the frame stable),
 * allocated again and read from disk into a new folio in the cache. */
active proctype reuse() {
	do
	:: atomic { !cached && refs == 0 -> g = STABLE; hw = HS; content = true;
		cached = true; refs = 1 }
	od
}

init {
	atomic { run idle(); run idle(); run lookup(); run lookup() }
}
