// SPDX-License-Identifier: GPL-2.0
/*
 * Host-built race of the essa backend's volatile protocol
 * (module/essa_proto.h) against a simulated machine: a make-volatile
 * thread, two lookup threads and a host thread that pages volatile frames
 * out (Vr -> Vp) and discards them (-> Vz, content zeroed) at any moment.
 * The machine checks that SET_VOLATILE runs inside the COMMIT window and
 * ORC 6 and SET_STABLE inside the TAKING window.
 *
 * A lookup that is told a frame is usable reads its content for a while:
 * the machine must have it stable and the content must be the file's. A
 * lookup told it is lost removes the folio once, under its lock; the frame
 * stays lost until the last lookup lets go, then the folio is freed and
 * read again into the same frame (the buddy hooks: SET_UNUSED, SET_STABLE).
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "table_proto.h"
#include "essa_decode.h"

#define FRAMES	2
#define ROUNDS	300000

/* The machine: one R1-coded state per frame (usage << 2 | content). */
#define HW_SR	0x00		/* stable, resident */
#define HW_SP	0x02		/* stable, preserved (paged out by the host) */
#define HW_SZ	0x03		/* stable, content zero */
#define HW_VR	0x0c		/* volatile, resident */
#define HW_VP	0x0e		/* volatile, preserved (paged out by the host) */
#define HW_VZ	0x0f		/* volatile, content zero: discarded */

struct erace {
	unsigned char byte[FRAMES];	/* the guest's */
	unsigned long hw[FRAMES];	/* the machine's */
	int content[FRAMES];		/* 1: the file's data; 0: the host's zeroes */
	int refs[FRAMES];		/* 1 for the page cache, + lookups */
	int cached[FRAMES];
	int locked[FRAMES];		/* the folio lock */
	int fail_next[FRAMES];		/* the next ESSA raises an exception */
	volatile int stop;
	long committed, paged_out, discarded, used, lost, removed;
	long bad_essa, bad_window, bad_reads;
};

static struct erace *machine;	/* for gph_essa_proto_insn() */

static unsigned long sim_essa(unsigned long f, int orc);
#define gph_essa_proto_insn(frame, orc)	sim_essa(frame, orc)
#define gph_essa_proto_set_stable(frame)	sim_essa(frame, GPH_ESSA_SET_STABLE)
#define gph_essa_proto_irq_save(flags)	((void)(flags = 0))
#define gph_essa_proto_irq_restore(flags)	((void)(flags))
#include "essa_proto.h"

/*
 * ESSA, as the machine executes it: atomically, returning the old state;
 * slowly, so that the other threads run into the windows around it.
 */
static unsigned long sim_essa(unsigned long f, int orc)
{
	unsigned long old, new;

	unsigned char window = orc == GPH_ESSA_SET_VOLATILE ? GPH_ESSA_COMMIT :
							      GPH_ESSA_TAKING;

	if (__atomic_load_n(&machine->byte[f], __ATOMIC_SEQ_CST) != window)
		__atomic_add_fetch(&machine->bad_window, 1, __ATOMIC_SEQ_CST);
	for (volatile int delay = 0; delay < 200; delay++)
		;
	if (machine->fail_next[f]) {
		machine->fail_next[f] = 0;
		return GPH_ESSA_EXCEPTION;
	}
	old = __atomic_load_n(&machine->hw[f], __ATOMIC_SEQ_CST);
	do {
		switch (orc) {
		case GPH_ESSA_SET_VOLATILE:
			/*
			 * Only a stable frame with content: resident, or
			 * paged out (SET_STABLE took a VP frame back as SP).
			 */
			if (old != HW_SR && old != HW_SP)
				__atomic_add_fetch(&machine->bad_essa, 1, __ATOMIC_SEQ_CST);
			new = old == HW_SP ? HW_VP : HW_VR;
			break;
		case GPH_ESSA_SET_STABLE_IF_RESIDENT:	/* resident only */
			new = old == HW_VR ? HW_SR : old;
			break;
		default:	/* SET_STABLE: keeps the content, or the zeroes */
			new = old & GPH_ESSA_CONTENT_MASK;
			break;
		}
	} while (!__atomic_compare_exchange_n(&machine->hw[f], &old, new, 0,
					      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	return old;
}


static int load(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static bool trylock(int *lock)
{
	int unlocked = 0;

	return __atomic_compare_exchange_n(lock, &unlocked, 1, 0, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

static void unlock(int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_SEQ_CST);
}

/* folio_try_get(): never from zero (a folio being freed). */
static bool try_get(int *refs)
{
	int v = load(refs);

	do {
		if (!v)
			return false;
	} while (!__atomic_compare_exchange_n(refs, &v, v + 1, 0, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return true;
}

static void *host(void *arg)
{
	struct erace *r = arg;
	unsigned int i = 0;

	while (!r->stop) {
		unsigned int f = i++ % FRAMES;
		unsigned long hw = __atomic_load_n(&r->hw[f], __ATOMIC_SEQ_CST);

		if (hw != HW_VR && hw != HW_VP)
			continue;
		if (hw == HW_VR && (i & 2)) {	/* page it out, content kept */
			if (__atomic_compare_exchange_n(&r->hw[f], &hw, HW_VP, 0,
							__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				r->paged_out++;
		} else if (__atomic_compare_exchange_n(&r->hw[f], &hw, HW_VZ, 0,
						       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&r->content[f], 0, __ATOMIC_SEQ_CST);
			r->discarded++;
		}
	}
	return NULL;
}

/* Make-volatile, as gph_folio_idle() does it: trylock, intent, refcount, commit. */
static void *idle(void *arg)
{
	struct erace *r = arg;
	unsigned int i = 0;

	while (!r->stop) {
		unsigned int f = i++ % FRAMES;
		unsigned char stable = GPH_STABLE, pending = GPH_PENDING;

		if (!load(&r->cached[f]) || !trylock(&r->locked[f]))
			continue;
		if (load(&r->cached[f]) &&
		    gph_proto_cas(&r->byte[f], &stable, GPH_PENDING)) {
			if (load(&r->refs[f]) == 1 && gph_essa_proto_commit(&r->byte[f], f))
				r->committed++;
			else
				gph_proto_cas(&r->byte[f], &pending, GPH_STABLE);
		}
		unlock(&r->locked[f]);
	}
	return NULL;
}

/* Free and read again: the last reference to a removed folio went. */
static void reuse(struct erace *r, unsigned int f)
{
	__atomic_store_n(&r->hw[f], HW_SR, __ATOMIC_SEQ_CST);	/* SET_UNUSED, SET_STABLE */
	__atomic_store_n(&r->byte[f], GPH_STABLE, __ATOMIC_SEQ_CST);
	__atomic_store_n(&r->content[f], 1, __ATOMIC_SEQ_CST);	/* read from disk */
	__atomic_store_n(&r->refs[f], 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&r->cached[f], 1, __ATOMIC_SEQ_CST);
}

static void *lookup(void *arg)
{
	struct erace *r = arg;
	long i;

	for (i = 0; i < ROUNDS; i++) {
		unsigned int f = i % FRAMES;
		int old, k;

		/* Found in the cache, folio_try_get() (fully ordered), still there? */
		if (!load(&r->cached[f]) || !try_get(&r->refs[f]))
			continue;
		if (!load(&r->cached[f]))
			goto put;
		for (volatile int delay = 0; delay < 100; delay++)
			;	/* slow to the hook: a removal may run meanwhile */
		old = gph_essa_proto_use(&r->byte[f], f);
		if (old == GPH_DISCARDED || old == GPH_ESSA_FOUND_LOST) {
			/* page_states_discard(): once, under the folio lock. */
			while (!trylock(&r->locked[f]))
				;
			if (load(&r->cached[f])) {
				__atomic_store_n(&r->cached[f], 0, __ATOMIC_SEQ_CST);
				__atomic_sub_fetch(&r->refs[f], 1, __ATOMIC_SEQ_CST);
				__atomic_add_fetch(&r->removed, 1, __ATOMIC_SEQ_CST);
			}
			unlock(&r->locked[f]);
			__atomic_add_fetch(&r->lost, 1, __ATOMIC_SEQ_CST);
		} else {
			for (k = 0; k < 256; k++)
				if (!load(&r->content[f]) ||
				    (__atomic_load_n(&r->hw[f], __ATOMIC_SEQ_CST) &
				     GPH_ESSA_USAGE_MASK)) {
					__atomic_add_fetch(&r->bad_reads, 1, __ATOMIC_SEQ_CST);
					break;
				}
			__atomic_add_fetch(&r->used, 1, __ATOMIC_SEQ_CST);
		}
put:
		if (__atomic_sub_fetch(&r->refs[f], 1, __ATOMIC_SEQ_CST) == 0)
			reuse(r, f);	/* ours was the last: removed and freed */
		/* Idle a while: time for make-volatile and the host. */
		for (volatile int delay = 0; delay < 400; delay++)
			;
		if (!(i & 1023))
			usleep(50);
	}
	return NULL;
}

TEST(make_volatile_against_lookups_and_discards)
{
	pthread_t th, ti, tl1, tl2;
	struct erace r;
	unsigned int f;

	memset(&r, 0, sizeof(r));
	machine = &r;
	for (f = 0; f < FRAMES; f++) {
		r.refs[f] = 1;
		r.cached[f] = 1;
		r.content[f] = 1;
	}
	ASSERT_EQ(0, pthread_create(&th, NULL, host, &r));
	ASSERT_EQ(0, pthread_create(&ti, NULL, idle, &r));
	ASSERT_EQ(0, pthread_create(&tl1, NULL, lookup, &r));
	ASSERT_EQ(0, pthread_create(&tl2, NULL, lookup, &r));
	pthread_join(tl1, NULL);
	pthread_join(tl2, NULL);
	r.stop = 1;
	pthread_join(th, NULL);
	pthread_join(ti, NULL);
	TH_LOG("%ld committed, %ld paged out, %ld discarded, %ld used, %ld lost, %ld removed",
	       r.committed, r.paged_out, r.discarded, r.used, r.lost, r.removed);
	EXPECT_EQ(0, r.bad_reads);
	EXPECT_EQ(0, r.bad_essa);
	EXPECT_EQ(0, r.bad_window);
	EXPECT_GT(r.committed, 0);
	EXPECT_GT(r.discarded, 0);
	EXPECT_GT(r.removed, 0);
	EXPECT_GT(r.used, 0);
}

/* The guest's own steps around a make-volatile: PENDING, COMMIT. */
static void pend(struct erace *r)
{
	r->byte[0] = GPH_PENDING;
}

/* One thread, step by step: what each ESSA leaves behind. */
TEST(single_steps)
{
	struct erace r;

	memset(&r, 0, sizeof(r));
	machine = &r;
	/* A lookup that finds PENDING takes it back without an ESSA ... */
	pend(&r);
	EXPECT_EQ(GPH_PENDING, gph_essa_proto_use(&r.byte[0], 0));
	EXPECT_EQ(GPH_STABLE, r.byte[0]);
	EXPECT_EQ(HW_SR, r.hw[0]);
	/* ... and then the commit fails: nothing was issued. */
	EXPECT_FALSE(gph_essa_proto_commit(&r.byte[0], 0));
	EXPECT_EQ(HW_SR, r.hw[0]);
	/* Commit: SET_VOLATILE; use: ORC 6 makes it stable again. */
	pend(&r);
	EXPECT_TRUE(gph_essa_proto_commit(&r.byte[0], 0));
	EXPECT_EQ(GPH_VOLATILE, r.byte[0]);
	EXPECT_EQ(HW_VR, r.hw[0]);
	EXPECT_EQ(GPH_VOLATILE, gph_essa_proto_use(&r.byte[0], 0));
	EXPECT_EQ(GPH_STABLE, r.byte[0]);
	EXPECT_EQ(HW_SR, r.hw[0]);
	/* Paged out by the host: ORC 6 leaves it volatile, SET_STABLE takes it. */
	r.byte[0] = GPH_VOLATILE;
	r.hw[0] = HW_VP;
	EXPECT_EQ(GPH_VOLATILE, gph_essa_proto_use(&r.byte[0], 0));
	EXPECT_EQ(GPH_STABLE, r.byte[0]);
	EXPECT_EQ(HW_SP, r.hw[0]);
	/* Discarded: ORC 6 leaves it, the byte says lost and stays so. */
	r.byte[0] = GPH_VOLATILE;
	r.hw[0] = HW_VZ;
	EXPECT_EQ(GPH_ESSA_FOUND_LOST, gph_essa_proto_use(&r.byte[0], 0));
	EXPECT_EQ(GPH_DISCARDED, r.byte[0]);
	EXPECT_EQ(HW_VZ, r.hw[0]);
	EXPECT_EQ(GPH_DISCARDED, gph_essa_proto_use(&r.byte[0], 0));
	/* An exception (the host could not do it) counts as lost. */
	r.byte[0] = GPH_VOLATILE;
	r.hw[0] = HW_VR;
	r.fail_next[0] = 1;
	EXPECT_EQ(GPH_ESSA_FOUND_LOST, gph_essa_proto_use(&r.byte[0], 0));
	EXPECT_EQ(GPH_DISCARDED, r.byte[0]);
	/* Stable with zeroes (someone made it stable behind our back): lost. */
	r.byte[0] = GPH_VOLATILE;
	r.hw[0] = HW_SZ;
	EXPECT_EQ(GPH_ESSA_FOUND_LOST, gph_essa_proto_use(&r.byte[0], 0));
	EXPECT_EQ(0, r.bad_essa);
	EXPECT_EQ(0, r.bad_window);
}

TEST_HARNESS_MAIN
