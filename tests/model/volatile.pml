/*
 * Spin model of the volatile page-cache race for one folio
 * (module/volatile.c, gph_proto_guest_use() in module/table_proto.h).
 *
 * idle (two of them: hooks run on any CPU): trylock the folio, announce
 * the intent (STABLE -> PENDING), read the refcount, commit (PENDING ->
 * VOLATILE) only if the page cache holds the only reference, else back out.
 * lookup (two): take a reference, take the frame back (PENDING/VOLATILE ->
 * STABLE) or find it discarded (DISCARDED/BUSY); use the content, or remove
 * the folio under its lock and read it again (modelled as fresh content in
 * the same frame, STABLE).
 * host: VOLATILE -> BUSY, destroy the content, BUSY -> DISCARDED.
 *
 * Each statement is atomic and sequentially consistent: on the machine the
 * cmpxchg of the intent and folio_try_get() are full barriers, which is what
 * makes this store-buffering pattern behave so.
 *
 * Safety: the host never destroys content a lookup is using.
 */
mtype = { STABLE, PENDING, VOLATILE, BUSY, DISCARDED };
mtype state = STABLE;
byte refs = 1;		/* the page cache's */
byte using = 0;		/* lookups reading the content */
bool locked = false;	/* the folio lock */

inline cas(old, new, ok) {
	atomic { if :: state == old -> state = new; ok = true :: else -> ok = false fi }
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
			:: r == 1 -> cas(PENDING, VOLATILE, ok)
			:: else -> cas(PENDING, STABLE, ok)
			fi
		:: else -> skip
		fi;
		locked = false
	od
}

proctype lookup() {
	mtype s;
	do
	:: refs++;
		/* gph_proto_guest_use() */
		do
		:: atomic { s = state;
			if
			:: s == PENDING || s == VOLATILE -> state = STABLE; break
			:: s == DISCARDED || s == BUSY -> break
			:: else -> break
			fi }
		od;
		if
		:: s == DISCARDED || s == BUSY ->
			/* page_states_discard(): remove under the lock, re-read */
			atomic { !locked -> locked = true };
			atomic { state != BUSY -> skip };
			if
			:: state == DISCARDED -> state = STABLE	/* fresh content */
			:: else -> skip
			fi;
			locked = false
		:: else ->
			using++;
			using--
		fi;
		refs--
	od
}

active proctype host() {
	bool ok;
	do
	:: cas(VOLATILE, BUSY, ok);
		if
		:: ok -> assert(using == 0);	/* destroying content: nobody may read it */
			cas(BUSY, DISCARDED, ok); assert(ok)
		:: else -> skip
		fi
	od
}

init {
	atomic { run idle(); run idle(); run lookup(); run lookup() }
}
