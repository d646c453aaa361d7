/*
 * Spin model of volatile page cache with the essa backend, for one folio:
 * the protocol the essa backend is to follow (not built yet; see
 * docs/volatile-page-cache-sites.md, "essa").
 *
 * Unlike the table, the frame's state lives in the machine (hw), which only
 * ESSA changes, one instruction at a time, and which the host may change
 * on its own: a volatile resident frame (HV) becomes discarded (HZ) at any
 * moment. The guest keeps its own byte per frame (g) for the intent and
 * for the two windows in which it changes hw:
 *   COMMIT  make-volatile: after the refcount check, around SET_VOLATILE;
 *   TAKING  make-stable: around SET_STABLE_IF_RESIDENT (ORC 6), which
 *           leaves a discarded frame as it is and says so.
 * A lookup that finds either window waits for it (bounded: interrupts are
 * off in it), so no lookup takes a frame for stable while hw is volatile.
 * LOST: ORC 6 found it discarded; the folio is removed (under its lock)
 * and the frame made stable (SET_STABLE: zeroes); the page is read again
 * into the same frame here.
 *
 * idle (two), lookup (two) and the host as in volatile.pml; statements are
 * atomic and sequentially consistent (the byte's cmpxchg and the lookup's
 * folio_try_get() are full barriers).
 *
 * Safety: the host never discards content a lookup is using, and a lookup
 * uses content only while hw is stable.
 */
mtype = { STABLE, PENDING, COMMIT, VOLATILE, TAKING, LOST, HS, HV, HZ };
mtype g = STABLE;	/* the guest's byte */
mtype hw = HS;		/* the machine's state of the frame */
byte refs = 1;		/* the page cache's */
byte using = 0;		/* lookups reading the content */
bool locked = false;	/* the folio lock */

inline cas(old, new, ok) {
	atomic { if :: g == old -> g = new; ok = true :: else -> ok = false fi }
}

proctype idle() {
	bool ok;
	byte r;
	do
	:: atomic { !locked -> locked = true };		/* folio_trylock */
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
	:: refs++;
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
			:: g == LOST -> hw = HS; g = STABLE	/* SET_STABLE, read again */
			:: else -> skip
			fi;
			locked = false
		:: else ->
			atomic { assert(hw == HS); using++ };
			using--
		fi;
		refs--
	od
}

active proctype host() {
	do
	:: atomic { hw == HV -> assert(using == 0); hw = HZ }
	od
}

init {
	atomic { run idle(); run idle(); run lookup(); run lookup() }
}
