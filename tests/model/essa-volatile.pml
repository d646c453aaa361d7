/*
 * Spin model of volatile page cache with the essa backend, for one frame:
 * the protocol module/essa_proto.h follows (tests/unit/test_essa_protocol.c
 * races the same code with threads).
 *
 * Unlike the table, the frame's state lives in the machine (hw), which only
 * ESSA changes, one instruction at a time, and which the host may change
 * on its own: a volatile frame (HV) may be paged out (HP, content kept) or
 * discarded (HZ, content gone) at any moment. ORC 6 leaves HP and HZ as
 * they are; SET_STABLE then takes HP, or finds HZ. The guest keeps its own
 * byte per frame (g) for the intent and for the two windows in which it
 * changes hw:
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
 * the zeroes, and spin says so (tests/model/run checks that it does).
 * mutants: STABLE_AT_REMOVAL
 *
 * disable runs once, at any point: make-volatile stops, then the frame is
 * released as gph_volatile_release() does it (taken back like a lookup,
 * windows waited out; a lost folio removed and waited for, as long as it
 * takes) and made stable if either the machine or the byte is not; then
 * the hooks go, and a later enable brings them back. A lookup without hooks
 * uses the content at once; a lookup that finds LOST must never be looking
 * at the file's content. A release that skips a frame in a window, or a
 * disable that looks only at the machine, fails here (reviews of 69c846a
 * and c8cff4c found those).
 *
 * Lookups take the frame back only while the core's key page_states_volatile
 * is on (vkey): register turns it on when the module brings its folio hooks
 * (volatile=1), unregister turns it off. The later enable registers with
 * volatile pages on (the key, then make-volatile) or off (both stay off).
 * -DACTIVE_BEFORE_KEY starts make-volatile before the key is on, and
 * -DKEY_OFF_BEFORE_RELEASE turns the key off before the release: a lookup
 * then uses a volatile frame's content as if it were stable.
 * mutants: ACTIVE_BEFORE_KEY KEY_OFF_BEFORE_RELEASE
 *
 * idle (two), lookup (two) and the host; statements are atomic and
 * sequentially consistent (the byte's cmpxchg and the lookup's
 * folio_try_get() are full barriers).
 *
 * Safety: the host never discards content a lookup is using, and a lookup
 * uses content only while hw is stable and the content is the file's.
 */
mtype = { STABLE, PENDING, COMMIT, VOLATILE, TAKING, LOST, HS, HV, HP, HZ };
mtype g = STABLE;	/* the guest's byte */
mtype hw = HS;		/* the machine's state of the frame */
byte refs = 1;		/* the page cache's, while it is cached */
bool cached = true;	/* in the page cache */
bool content = true;	/* the frame holds the file's data */
byte using = 0;		/* lookups reading the content */
bool locked = false;	/* the folio lock */
bool vact = true;	/* make-volatile on (gph_volatile_active) */
byte in_idle = 0;	/* make-volatiles running (synchronize_rcu() waits) */
bool vhooks = true;	/* page_free, folio_idle, folio_stable registered (volatile=1) */
bool vkey = true;	/* the core's volatile key: lookups call folio_stable */
bool ddone = false;	/* disable is over: enable may register again */

inline cas(old, new, ok) {
	atomic { if :: g == old -> g = new; ok = true :: else -> ok = false fi }
}

proctype idle() {
	bool ok;
	byte r;
	do
	:: atomic { vact && cached && !locked -> locked = true; in_idle++ };	/* folio_trylock */
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
		atomic { locked = false; in_idle-- }
	od
}

proctype lookup() {
	mtype s;
	bool lost, paged = false;
	do
	:: atomic { cached -> refs++ };	/* found in the cache, folio_try_get() */
		lost = false;
		if
		:: !vkey -> atomic { assert(hw == HS && content); using++ }; using--; refs--; goto nxt
		:: else -> skip
		fi;
		do
		:: atomic { s = g;
			if
			:: !vhooks -> s = STABLE; break	/* the core calls no one: "stable" */
			:: else -> skip
			fi;
			if
			:: s == PENDING -> g = STABLE; break	/* hw never left HS */
			:: s == VOLATILE -> g = TAKING; break
			:: s == LOST -> assert(!content); lost = true; break
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
				:: hw == HP -> paged = true	/* left paged out */
				fi };
			if
			:: paged ->
				atomic {	/* ESSA SET_STABLE: keeps content or zeroes */
					if
					:: hw == HP -> hw = HS
					:: hw == HZ -> hw = HS; lost = true
					fi };
				paged = false
			:: else -> skip
			fi;
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
		refs--;
nxt:		skip
	od
}

active proctype host() {
	do
	:: atomic { hw == HV -> hw = HP }	/* paged out: content kept */
	:: atomic { (hw == HV || hw == HP) -> assert(using == 0); hw = HZ; content = false }
	od
}

/* The last reference gone: freed (page_free, registered with volatile=1,
 * makes the frame stable; a per-cpu list hands it out again without a buddy
 * hook), allocated again and read from disk into a new folio in the cache. */
active proctype reuse() {
	do
	:: atomic { !cached && refs == 0 -> if :: vhooks -> g = STABLE :: else -> skip fi; hw = HS; content = true;
		cached = true; refs = 1 }
	od
}


/* gph_disable() with the fix: gph_volatile_release() returns early only on
 * STABLE, otherwise pins the folio and takes it back as a lookup does
 * (waiting out a window); a lost folio is removed and waited for. */
active proctype disable() {
	mtype s;
	bool got = false, lost = false, paged = false;
#ifdef KEY_OFF_BEFORE_RELEASE
	vkey = false;
#endif
	vact = false;
	in_idle == 0;
	if
	:: g == STABLE -> skip
	:: else ->
		atomic { if :: refs > 0 -> refs++; got = true :: else -> skip fi };
		if
		:: got ->
			do
			:: atomic { s = g;
				if
				:: s == PENDING -> g = STABLE; break
				:: s == VOLATILE -> g = TAKING; break
				:: s == LOST -> lost = true; break
				:: s == STABLE -> break
				:: s == COMMIT || s == TAKING -> skip
				fi }
			od;
			if
			:: s == VOLATILE ->
				atomic { if :: hw == HV -> hw = HS :: hw == HS -> skip
					 :: hw == HZ -> lost = true :: hw == HP -> paged = true fi };
				if
				:: paged -> atomic { if :: hw == HP -> hw = HS
						     :: hw == HZ -> hw = HS; lost = true fi }
				:: else -> skip
				fi;
				if :: lost -> g = LOST :: else -> g = STABLE fi
			:: else -> skip
			fi;
			if
			:: lost ->
				atomic { !locked -> locked = true };
				if :: cached -> cached = false; refs-- :: else -> skip fi;
				locked = false;
				refs == 1
			:: else -> skip
			fi;
			refs--
		:: else -> skip
		fi
	fi;
	if
	:: hw != HS || g != STABLE -> hw = HS; g = STABLE
	:: else -> skip
	fi;
	vkey = false; vhooks = false; ddone = true	/* page_states_unregister() */
}

/* gph_enable: free frames walked (none here), hooks back */
active proctype reenable() {
	ddone;
	if
	:: vhooks = true;		/* volatile=1: the ops, the key, make-volatile */
#ifdef ACTIVE_BEFORE_KEY
		vact = true;
		vkey = true
#else
		vkey = true;
		vact = true
#endif
	:: skip			/* volatile=0: the buddy hooks only; the key and make-volatile stay off */
	fi
}

init {
	atomic { run idle(); run idle(); run lookup(); run lookup() }
}
