/*
 * Spin model of the table protocol for one page frame (module/table_proto.h,
 * module/table.c, gph_disable() in module/main.c).
 *
 * Guest: allocates the frame (alloc hook: wait while BUSY, then -> STABLE),
 * uses it, frees it (free hook: -> UNUSED unless draining), over and over.
 * Host (emul): takes an UNUSED frame (UNUSED -> BUSY), destroys its content,
 * gives it back (BUSY -> UNUSED).
 * Disable: set draining, wait for running free hooks (RCU), make every
 * frame stable, unregister the hooks (and wait for RCU again), clear
 * draining; allocations and frees after that skip the hooks.
 *
 * Safety: the host never destroys content the guest owns, and the guest
 * never owns a frame the host holds.
 */
mtype = { STABLE, UNUSED, BUSY };
mtype state = STABLE;
bool owned = false;		/* the guest is using the content */
bool registered = true;		/* the core calls the hooks */
bool draining = false;
byte readers = 0;		/* free hooks inside the core's rcu_read_lock() */

inline cas(old, new, ok) {
	atomic { if :: state == old -> state = new; ok = true :: else -> ok = false fi }
}

active proctype guest() {
	bool ok;
	do
	:: /* alloc: the frame comes off the free list */
		if
		:: registered ->
			do
			:: atomic { state == BUSY -> skip }	/* spin while the host holds it */
			:: atomic { state != BUSY -> state = STABLE; break }
			od
		:: else -> skip		/* hooks gone: no transition */
		fi;
		atomic { assert(state != BUSY); owned = true };
		/* use it */
		owned = false;
		/* free: the core reads the ops pointer under rcu_read_lock() */
		atomic { if :: registered -> readers++ :: else -> goto freed fi };
		if
		:: !draining -> cas(STABLE, UNUSED, ok); assert(ok)
		:: else -> skip
		fi;
		readers--;
freed:		skip
	od
}

active proctype host() {
	bool ok;
	do
	:: cas(UNUSED, BUSY, ok);
		if
		:: ok -> assert(!owned);	/* destroying content: nobody may use it */
			cas(BUSY, UNUSED, ok); assert(ok)
		:: else -> skip
		fi
	od
}

active proctype disable() {
	bool ok;
	draining = true;
	readers == 0;			/* synchronize_rcu() */
	/* gph_all_stable(): wait for BUSY, then UNUSED -> STABLE */
	do
	:: atomic { state == STABLE -> break }
	:: cas(UNUSED, STABLE, ok)
	od;
	registered = false;		/* page_states_unregister(): */
	readers == 0;			/* ... its synchronize_rcu() */
	draining = false
}
