/*
 * Spin model of the table's word exchange (gph_proto_guest_set8() in
 * module/table_proto.h, gph_set_many() in module/main.c) for a word of two
 * frames (eight in the module: the argument is the same for any number).
 *
 * Guest: allocates both frames (the buddy hook moves UNUSED -> STABLE: the
 * whole word in one compare-and-exchange if every byte holds UNUSED, else
 * frame by frame, waiting while the host holds one), uses them, frees them
 * (STABLE -> UNUSED: the word, else frame by frame), over and over.
 * Host: takes one UNUSED frame at a time (UNUSED -> BUSY), destroys its
 * content, gives it back (BUSY -> UNUSED).
 *
 * Safety: the host never destroys content the guest owns; the guest never
 * owns a frame the host holds; a frame-by-frame move finds the state the
 * word would have moved from.
 *
 * mutants: WORD_IGNORES_BUSY WORD_NOT_ATOMIC
 *   WORD_IGNORES_BUSY: the word is written if any byte is not yet at the
 *   target, host-held frames included.
 *   WORD_NOT_ATOMIC: the bytes are read, then the word written in a second
 *   step (a load and a store, not one exchange).
 */
mtype = { STABLE, UNUSED, BUSY };
mtype st[2] = UNUSED;	/* both frames free */
bool owned[2];

inline word_cas(from, to, ok) {
	atomic {
#if defined(WORD_IGNORES_BUSY)
		if
		:: st[0] != to || st[1] != to -> st[0] = to; st[1] = to; ok = true
		:: else -> ok = false
		fi
#elif defined(WORD_NOT_ATOMIC)
		ok = (st[0] == from && st[1] == from)
	};
	atomic {
		if
		:: ok -> st[0] = to; st[1] = to
		:: else -> skip
		fi
#else
		if
		:: st[0] == from && st[1] == from -> st[0] = to; st[1] = to; ok = true
		:: else -> ok = false
		fi
#endif
	}
}

/* gph_proto_guest_set(): wait while BUSY, then move; the old state must be @from */
inline byte_set(f, from, to) {
	do
	:: atomic { st[f] == BUSY -> skip }
	:: atomic { st[f] != BUSY -> assert(st[f] == from); st[f] = to; break }
	od
}

active proctype guest() {
	bool ok;
	byte f;
	do
	:: /* alloc */
		word_cas(UNUSED, STABLE, ok);
		if
		:: !ok -> f = 0; do :: f < 2 -> byte_set(f, UNUSED, STABLE); f++ :: else -> break od
		:: else -> skip
		fi;
		atomic { assert(st[0] == STABLE && st[1] == STABLE); owned[0] = true; owned[1] = true };
		/* use, then stop using */
		owned[0] = false; owned[1] = false;
		/* free */
		word_cas(STABLE, UNUSED, ok);
		if
		:: !ok -> f = 0; do :: f < 2 -> byte_set(f, STABLE, UNUSED); f++ :: else -> break od
		:: else -> skip
		fi
	od
}

active proctype host() {
	byte f;
	do
	:: f = 0
	:: f = 1
	:: atomic { st[f] == UNUSED -> st[f] = BUSY };
		assert(!owned[f]);	/* destroying content: nobody may use it */
		atomic { assert(st[f] == BUSY); st[f] = UNUSED }
	od
}
