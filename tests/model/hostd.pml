/*
 * Spin model of gph-hostd's reset and crash safety (docs/hostd.md): the host
 * agent punches guest RAM only inside a window in which QEMU has stopped the
 * vCPUs, and only for a table it has seen a live kernel write since its QMP
 * connection (or since the last RESET event).
 *
 * Two frames: frame 0 is allocated and freed (UNUSED drops); frame 1 holds a
 * page-cache folio that goes volatile (VOLATILE discards). The machine reset
 * writes a ROM blob into frame 0, as rom_reset() does.
 *
 * qemu: the main loop. Runs one command at a time and answers it; processes
 * reset requests (machine reset, runstate PRELAUNCH when stopped, RESET
 * event). Events and answers reach the client in the order they are made.
 * A command from a client that died is run or dropped before the next
 * client's first one.
 * vcpu: boots (writes memory), loads gph (clears ENABLED, writes every byte,
 * bumps the generation, sets ENABLED, beats), frees and allocates frame 0,
 * caches frame 1, makes it volatile and uses it again (make stable: only
 * VOLATILE or DISCARDED change it; any other state means "content usable",
 * as gph_proto_guest_use() does), beats. Runs only while RUNNING.
 * admin: QMP system_reset from another monitor, or a guest reboot.
 * killer: kill -9 of hostd at any statement.
 * hostd: connects; finishes a window the last instance left stopped (its
 * journal); trusts a table once it sees a beat after connecting or after a
 * RESET event; picks candidates while the guest runs; then stop, check no
 * RESET came before the answer, take (-> BUSY), punch, release, a QUERY to
 * see any RESET made during the window (then system_reset once more, and
 * wait for that reset, before cont), cont.
 *
 * Safety: the guest never uses content that a punch destroyed (a live frame
 * is never punched without a reset before the guest runs again; a volatile
 * frame is never punched without being marked DISCARDED); hostd never leaves
 * the VM stopped.
 *
 * Mutants (tests/model/run checks that each makes the search fail):
 * mutants: NO_STOP_CHECK NO_BEAT RECOVER_UNUSED CONT_BEFORE_RESET NO_WINDOW_QUERY
 */
#define NF		2
#ifndef MAXRESETS
#define MAXRESETS	2
#endif
#ifndef MAXKILLS
#define MAXKILLS	2
#endif
/*
 * EVENTS (tests/model/hostd-events.pml) adds, at fewer resets and kills:
 * the guest powers off (QEMU with -no-shutdown: SHUTDOWN, then STOP if it
 * ran; a shutdown requested while we hold it stopped changes no runstate);
 * cont refused in "shutdown" (a reset is required); a reset from any stopped
 * state leaves PRELAUNCH; management resets such a VM and continues it, but
 * not inside a window (docs/hostd.md, "Refused, and not covered"); and a
 * migration another monitor starts at any time. A migration copies the
 * table and RAM under a dirty log that hostd's punches and table writes
 * escape: one they overlap must be cancelled before it completes. Timing
 * assumption: a migration does not complete inside a window (milliseconds)
 * or before a killed hostd's successor has finished its window.
 */
#ifndef MAXSHUTDOWNS
#define MAXSHUTDOWNS	1
#endif
#ifndef MAXMIGS
#define MAXMIGS		1
#endif

mtype = { STABLE, UNUSED, VOLATILE, DISCARDED, BUSY };	/* table bytes */
mtype = { RUNNING, PAUSED, PRELAUNCH, SHUTDOWN };	/* runstate */
mtype = { NONE, STOP, CONT, QUERY, SYSRESET, MIGQ, MIGCANCEL };	/* QMP commands */
mtype = { EV_RESET, EV_STOP, EV_SHUTDOWN, RESP };	/* QEMU -> client */
mtype = { MIG_ACTIVE, MIG_IDLE };			/* query-migrate's answer */

/* guest RAM and the shared table */
mtype st[NF];
bool live[NF];		/* the running guest needs this frame's content */
bool corrupt[NF];	/* the content is not what the guest last wrote */
bool cached;		/* frame 1 holds a folio the guest will use again */
byte gen;		/* header: the generation, bumped at attach */
bool hdr_enabled;		/* header: ATTACHED | ENABLED */
bit beat;		/* header: the guest's heartbeat (a counter; its low bit) */
byte phase;		/* guest: 0 booting, 1 table cleared, 2 filled, 3 attached */
bool down;		/* guest: powered off (halted) until the next reset */
bool shut_req;		/* QEMU: a shutdown request not yet processed */
bool after_shut;	/* management saw SHUTDOWN: it resets the VM, then continues it */
bool mig;		/* a migration is under way */
bool mig_tainted;	/* hostd punched or wrote the table while it ran */
byte shutdowns, migs;

/* QEMU */
mtype rstate = RUNNING;
bool reset_req;
mtype cmd = NONE;	/* the command QEMU has read and not answered */
bool connected;
chan out = [6] of { mtype, mtype };

/* hostd's journal file: survives kill -9 */
bool j_stopped;
mtype j_kind;
byte j_gen;

byte resets, kills;
bool kill_now;

inline emit(e, v) {
	if
	:: connected -> assert(nfull(out)); out!e,v	/* else the model's queue is too short */
	:: else -> skip
	fi
}

active proctype qemu() {
end:	do
	:: atomic { reset_req && !shut_req ->	/* main_loop_should_exit(): shutdown first */
		/* pause_all_vcpus(); qemu_system_reset(); resume_all_vcpus() */
		live[0] = true; corrupt[0] = false;	/* rom_reset() */
		live[1] = false; cached = false; phase = 0; down = false;
		if
		:: rstate != RUNNING -> rstate = PRELAUNCH
		:: else -> skip
		fi;
		emit(EV_RESET, 0);
		reset_req = false }
	:: atomic { cmd != NONE && connected ->
		if
		:: cmd == STOP ->
			if
			:: rstate == RUNNING -> rstate = PAUSED; emit(EV_STOP, 0)
			:: else -> skip
			fi
		:: cmd == CONT && rstate != SHUTDOWN -> rstate = RUNNING
		:: cmd == CONT && rstate == SHUTDOWN -> skip	/* refused: reset first */
		:: cmd == QUERY -> skip
		:: cmd == SYSRESET -> reset_req = true	/* a request: later */
		:: cmd == MIGQ -> skip
		:: cmd == MIGCANCEL -> mig = false; mig_tainted = false
		fi;
		if
		:: cmd == MIGQ && mig -> emit(RESP, MIG_ACTIVE)
		:: cmd == MIGQ && !mig -> emit(RESP, MIG_IDLE)
		:: else -> emit(RESP, rstate)
		fi;
		cmd = NONE }
	:: atomic { shut_req ->
		/* -no-shutdown: vm_stop(RUN_STATE_SHUTDOWN) stops only a running VM */
		emit(EV_SHUTDOWN, 0); after_shut = true;
		if
		:: rstate == RUNNING -> rstate = SHUTDOWN; emit(EV_STOP, 0)
		:: else -> skip
		fi;
		shut_req = false }
	:: atomic { cmd != NONE && !connected ->	/* the client died */
		if
		:: cmd == STOP && rstate == RUNNING -> rstate = PAUSED
		:: cmd == CONT && rstate != SHUTDOWN -> rstate = RUNNING
		:: cmd == SYSRESET -> reset_req = true
		:: cmd == MIGCANCEL -> mig = false; mig_tainted = false
		:: true -> skip		/* dropped from the queue, or a query */
		fi;
		cmd = NONE }
	od
}

active proctype vcpu() {
	byte f;
end:	do
	/* firmware and the kernel before gph loads write memory, blind to the table */
	:: atomic { rstate == RUNNING && !down && phase == 0 && !live[0] -> live[0] = true; corrupt[0] = false }
	:: atomic { rstate == RUNNING && !down && phase == 0 && !live[1] -> live[1] = true; corrupt[1] = false }
	/* gph loads: a fresh table, then publish it */
	:: atomic { rstate == RUNNING && !down && phase == 0 -> hdr_enabled = false; phase = 1 }
	:: atomic { rstate == RUNNING && !down && phase == 1 ->
		for (f : 0 .. NF - 1) {
			if :: live[f] -> st[f] = STABLE :: else -> st[f] = UNUSED fi
		}
		phase = 2 }
	:: atomic { rstate == RUNNING && !down && phase == 2 ->
		gen++; hdr_enabled = true; beat = 1 - beat; phase = 3 }
	:: atomic { rstate == RUNNING && !down && phase == 3 -> beat = 1 - beat }
#ifdef EVENTS
	/* poweroff: the guest needs no memory until a reset boots it again */
	:: atomic { rstate == RUNNING && !down && shutdowns < MAXSHUTDOWNS ->
		shutdowns++; down = true; shut_req = true;
		live[0] = false; live[1] = false; cached = false }
#endif
	/* the guest reads what it needs */
	:: atomic { rstate == RUNNING && !down && live[0] -> assert(!corrupt[0]) }
	:: atomic { rstate == RUNNING && !down && live[1] -> assert(!corrupt[1]) }
	/* frame 0: free (-> UNUSED) and allocate (waits while BUSY) */
	:: atomic { rstate == RUNNING && !down && phase == 3 && live[0] && st[0] == STABLE ->
		live[0] = false; st[0] = UNUSED }
	:: atomic { rstate == RUNNING && !down && phase == 3 && !live[0] &&
		    (st[0] == UNUSED || st[0] == DISCARDED) ->
		st[0] = STABLE; live[0] = true; corrupt[0] = false }
	/* frame 1: read into the page cache, idle (volatile), used again, evicted */
	:: atomic { rstate == RUNNING && !down && phase == 3 && !live[1] && !cached &&
		    (st[1] == UNUSED || st[1] == DISCARDED) ->
		st[1] = STABLE; live[1] = true; corrupt[1] = false; cached = true }
	:: atomic { rstate == RUNNING && !down && phase == 3 && cached && live[1] && st[1] == STABLE ->
		st[1] = VOLATILE; live[1] = false }
	:: atomic { rstate == RUNNING && !down && phase == 3 && cached && !live[1] && st[1] != BUSY ->
		if
		:: st[1] == VOLATILE -> st[1] = STABLE		/* content usable */
		:: st[1] == DISCARDED ->			/* read it again */
			st[1] = STABLE; corrupt[1] = false
		:: else -> skip				/* not a hint: usable */
		fi;
		live[1] = true }
	:: atomic { rstate == RUNNING && !down && phase == 3 && cached && live[1] && st[1] == STABLE ->
		cached = false; live[1] = false; st[1] = UNUSED }
	od
}

active proctype admin() {
end:	do
	:: atomic { resets < MAXRESETS -> resets++; reset_req = true }
#ifdef EVENTS
	/* libvirt's fake reboot: a powered-off VM is reset, then continued */
	:: atomic { after_shut && down && !reset_req -> reset_req = true }
	:: atomic { after_shut && !down && !j_stopped ->
		if :: rstate == PRELAUNCH -> rstate = RUNNING :: else -> skip fi;
		after_shut = false }
	/* a migration from another monitor; it completes from what it copied */
	:: atomic { migs < MAXMIGS && !mig -> migs++; mig = true; mig_tainted = false }
	:: atomic { mig && !j_stopped -> assert(!mig_tainted); mig = false }
#endif
	od
}

active proctype killer() {
end:	do
	:: atomic { kills < MAXKILLS && !kill_now -> kills++; kill_now = true }
	od
}

/*
 * Send a command, read until its answer; note STOP events, and RESET events:
 * after a reset the table is stale until a kernel writes it again.
 */
inline qmp(c) {
	atomic { cmd == NONE -> cmd = c };
	do
	:: out?EV_RESET,v -> reset_seen = true; trust = false; b0 = beat
	:: out?EV_SHUTDOWN,v -> trust = false; b0 = beat
	:: out?EV_STOP,v -> we_stopped = true
	:: out?RESP,v -> break
	od
}

/*
 * After punches: a migration under way now began after the check made with
 * the vCPUs stopped, and the punches escaped its dirty log: cancel it.
 */
inline cancel_overlapping_migration() {
#ifdef EVENTS
#ifndef NO_MIG_CANCEL
	qmp(MIGQ);
	if
	:: v == MIG_ACTIVE -> qmp(MIGCANCEL)
	:: else -> skip
	fi
#else
	skip
#endif
#else
	skip
#endif
}

/* A punch or a table write by hostd: invisible to a migration's dirty log. */
inline taint() {
	if :: mig -> mig_tainted = true :: else -> skip fi
}

/* system_reset is a request: wait for the reset itself before going on. */
inline force_reset() {
	qmp(SYSRESET);
#ifndef CONT_BEFORE_RESET
	do
	:: out?EV_RESET,v -> trust = false; b0 = beat; break
	:: out?EV_SHUTDOWN,v -> skip
	:: out?EV_STOP,v -> skip
	od
#endif
}

active proctype hostd() {
	bool trust, reset_seen, we_stopped;
	bool cand[NF], took[NF];
	byte tgen, f;
	bit b0;
	mtype v, kind;

restart:
	{
		/* connect: the last instance's command is run or dropped first */
		atomic { cmd == NONE ->
			do
			:: out?kind,v
			:: empty(out) -> break
			od;
			connected = true };
		trust = false; reset_seen = false; we_stopped = false;
		/* a window the last instance left open */
		if
		:: j_stopped ->
			/* a migration under way may have begun inside that window */
			cancel_overlapping_migration();
			qmp(QUERY);
			if
			:: v == PAUSED && gen != j_gen ->
				/* the STOP ran late, after a reset: nothing taken */
				d_step { for (f : 0 .. NF - 1) { assert(st[f] != BUSY) }; f = 0 }
				qmp(CONT)
			:: v == PAUSED && gen == j_gen ->
				/*
				 * Frames we took are BUSY: punch them again and
				 * release them. No reset since we took them: that
				 * would have left PRELAUNCH.
				 */
				atomic { for (f : 0 .. NF - 1) {
					if
					:: st[f] == BUSY ->
						corrupt[f] = true; taint();
#ifdef RECOVER_UNUSED
						st[f] = UNUSED
#else
						if :: j_kind == UNUSED -> st[f] = UNUSED :: else -> st[f] = DISCARDED fi
#endif
					:: else -> skip
					fi
				}; f = 0 }
				cancel_overlapping_migration();
#ifndef NO_WINDOW_QUERY
				qmp(QUERY);	/* a reset while we punched */
				if
				:: reset_seen -> force_reset()
				:: else -> skip
				fi;
#endif
				qmp(CONT)
			:: v == PRELAUNCH ->
				/* a reset in the window, maybe before a punch */
				force_reset();
				qmp(CONT)
			:: v == RUNNING ->
				/*
				 * Resumed by someone else, maybe reset and booting:
				 * release BUSY frames without a punch (both states
				 * allow content that was not punched).
				 */
				d_step { for (f : 0 .. NF - 1) {
					if
					:: st[f] == BUSY ->
						if :: j_kind == UNUSED -> st[f] = UNUSED :: else -> st[f] = DISCARDED fi
					:: else -> skip
					fi
				}; f = 0 }
			:: v == SHUTDOWN -> skip	/* powered off: a reset comes first */
			fi;
			j_stopped = false
		:: else -> skip
		fi;
		b0 = beat;
		do
		:: assert(rstate == RUNNING || down || after_shut);
			/* events between windows */
			do
			:: out?EV_RESET,v -> trust = false; b0 = beat
			:: out?EV_SHUTDOWN,v -> trust = false; b0 = beat
			:: out?EV_STOP,v -> skip
			:: out?RESP,v -> assert(false)
			:: empty(out) -> break
			od;
			if
			:: !trust ->
				/* a live kernel wrote this table after we could see resets */
				/* (the window checks the generation again, stopped) */
				atomic {
#ifdef NO_BEAT
				if :: hdr_enabled -> trust = true; tgen = gen :: else -> skip fi
#else
				if :: hdr_enabled && beat != b0 -> trust = true; tgen = gen :: else -> skip fi
#endif
				}
			:: trust ->
				/* candidates, read while the guest runs */
				if :: kind = UNUSED :: kind = VOLATILE fi;
				d_step { for (f : 0 .. NF - 1) {
					cand[f] = (st[f] == kind); took[f] = false
				}; f = 0 }
				if
				:: !cand[0] && !cand[1] -> goto next
				:: else -> skip
				fi;
#ifdef EVENTS
				qmp(MIGQ);	/* vm_may_window(): none under way */
				if
				:: v == MIG_ACTIVE -> goto next
				:: else -> skip
				fi;
#ifndef NO_TRUST_RECHECK
				/* a RESET read meanwhile took the trust: window()'s first test */
				if
				:: !trust -> goto next
				:: else -> skip
				fi;
#endif
#endif
				j_kind = kind; j_gen = tgen; j_stopped = true;
				reset_seen = false; we_stopped = false;
				qmp(STOP);
#ifndef NO_STOP_CHECK
				if
				:: reset_seen -> goto resume
				:: else -> skip
				fi;
#endif
				if
				:: !(gen == tgen && hdr_enabled) -> trust = false; b0 = beat; goto resume
				:: else -> skip
				fi;
#ifdef EVENTS
				qmp(MIGQ);	/* again, stopped */
				if
				:: v == MIG_ACTIVE -> goto resume
				:: else -> skip
				fi;
#endif
				/* take: cmpxchg kind -> BUSY */
				d_step { for (f : 0 .. NF - 1) {
					if
					:: cand[f] && st[f] == kind -> st[f] = BUSY; took[f] = true; taint()
					:: else -> skip
					fi
				}; f = 0 }
				/* fallocate(PUNCH_HOLE) */
				d_step { for (f : 0 .. NF - 1) {
					if :: took[f] -> corrupt[f] = true; taint() :: else -> skip fi
				}; f = 0 }
				/* release: BUSY -> UNUSED (a drop) or DISCARDED */
				d_step { for (f : 0 .. NF - 1) {
					if
					:: took[f] -> assert(st[f] == BUSY);
						if :: kind == UNUSED -> st[f] = UNUSED :: else -> st[f] = DISCARDED fi
					:: else -> skip
					fi;
					cand[f] = false; took[f] = false
				}; f = 0 }
				cancel_overlapping_migration();
#ifndef NO_WINDOW_QUERY
				qmp(QUERY);	/* any RESET made while we punched */
				if
				:: reset_seen -> force_reset()
				:: else -> skip
				fi;
#endif
resume:
				if
				:: we_stopped -> qmp(CONT)
				:: else -> skip
				fi;
				j_stopped = false;
next:				kind = 0
			fi
		od
	} unless {
		atomic { kill_now -> kill_now = false; connected = false }
	};
	goto restart
}
