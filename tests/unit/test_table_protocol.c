// SPDX-License-Identifier: GPL-2.0
/*
 * Host-built race of the table protocol (module/table_proto.h): a guest
 * thread frees and allocates frames while a host thread takes free frames
 * (UNUSED -> BUSY -> UNUSED) and "drops" their content. The guest must never
 * get a frame back while the host holds it, and never see BUSY.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include "kselftest_harness.h"
#include "table_proto.h"

#define FRAMES	16
#define ROUNDS	2000000

struct race {
	unsigned char state[FRAMES];
	int content[FRAMES];		/* 1 while the guest owns the frame */
	volatile int stop;
	long host_taken, host_saw_owned, guest_bad;
};

static void *host(void *arg)
{
	struct race *r = arg;
	unsigned int i = 0;

	while (!r->stop) {
		unsigned int f = i++ % FRAMES;

		if (gph_proto_read(&r->state[f]) != GPH_UNUSED ||
		    !gph_proto_move(&r->state[f], GPH_UNUSED, GPH_BUSY, GPH_ACTOR_HOST))
			continue;
		/* The host owns the frame: the guest must not be using it. */
		if (__atomic_load_n(&r->content[f], __ATOMIC_SEQ_CST))
			r->host_saw_owned++;
		r->host_taken++;
		if (!gph_proto_move(&r->state[f], GPH_BUSY, GPH_UNUSED, GPH_ACTOR_HOST))
			r->guest_bad++;	/* someone moved a BUSY frame */
	}
	return NULL;
}

TEST(guest_and_host_race)
{
	struct race r;
	pthread_t t;
	long i;

	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, pthread_create(&t, NULL, host, &r));
	for (i = 0; i < ROUNDS; i++) {
		unsigned int f = i % FRAMES;
		int old;

		/* alloc: STABLE, then use the content */
		old = gph_proto_guest_set(&r.state[f], GPH_STABLE);
		if (old == GPH_BUSY || old < 0)
			r.guest_bad++;
		__atomic_store_n(&r.content[f], 1, __ATOMIC_SEQ_CST);
		/* free: stop using the content, then hint UNUSED */
		__atomic_store_n(&r.content[f], 0, __ATOMIC_SEQ_CST);
		old = gph_proto_guest_set(&r.state[f], GPH_UNUSED);
		if (old != GPH_STABLE)
			r.guest_bad++;
	}
	r.stop = 1;
	pthread_join(t, NULL);
	TH_LOG("host took %ld frames during %d guest rounds", r.host_taken, ROUNDS);
	EXPECT_EQ(0, r.guest_bad);
	EXPECT_EQ(0, r.host_saw_owned);
	EXPECT_GT(r.host_taken, 0);
	for (i = 0; i < FRAMES; i++)
		EXPECT_EQ(GPH_UNUSED, r.state[i]);
}

/*
 * The buddy hooks move eight frames with one word exchange
 * (gph_proto_guest_set8) while the host takes single free bytes: the word
 * must move only when all eight hold the expected state, and the guest
 * falls back to one byte at a time. Same checks as above, per frame.
 */
#define WORDS	2

static void *host8(void *arg)
{
	struct race *r = arg;
	unsigned int i = 0;

	while (!r->stop) {
		unsigned int f = (i++ * 7) % (8 * WORDS);

		if (gph_proto_read(&r->state[f]) != GPH_UNUSED ||
		    !gph_proto_host_take(&r->state[f], GPH_UNUSED))
			continue;
		if (__atomic_load_n(&r->content[f], __ATOMIC_SEQ_CST))
			r->host_saw_owned++;
		r->host_taken++;
		for (int spin = 0; spin < 200; spin++)	/* "drop" it: hold it a while */
			gph_proto_relax();
		if (!gph_proto_host_release(&r->state[f], GPH_UNUSED))
			r->guest_bad++;
	}
	return NULL;
}

static int timed_out(const struct timespec *start, long secs)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec - start->tv_sec >= secs;
}

/* Move a word's frames to @to: the word at once, else one by one. */
static int set8_or_bytes(struct race *r, unsigned int w, unsigned char to)
{
	unsigned char from = to == GPH_UNUSED ? GPH_STABLE : GPH_UNUSED;
	unsigned int f;
	int bad = 0;

	if (gph_proto_guest_set8(&r->state[8 * w], from, to))
		return 1;
	for (f = 8 * w; f < 8 * w + 8; f++)
		if (gph_proto_guest_set(&r->state[f], to) != from)
			bad++;
	return bad ? -bad : 0;
}

TEST(guest_word_and_host_race)
{
	struct race r __attribute__((aligned(8)));
	long i, words = 0, bytes = 0;
	pthread_t t;
	int ret;
	unsigned int f;

	struct timespec start;

	_Static_assert(8 * WORDS <= FRAMES, "race too small");
	clock_gettime(CLOCK_MONOTONIC, &start);
	memset(&r, 0, sizeof(r));
	memset(r.state, GPH_UNUSED, 8 * WORDS);	/* free frames */
	ASSERT_EQ(0, (unsigned long)r.state % 8);
	ASSERT_EQ(0, pthread_create(&t, NULL, host8, &r));
	/*
	 * At least ROUNDS / 8 rounds, and on until the host took frames and a
	 * word fell back to bytes at least once (a loaded machine may run the
	 * threads in turn for a while): 60 s at most.
	 */
	for (i = 0; i < ROUNDS / 8 || ((!bytes || !r.host_taken) && !timed_out(&start, 60)); i++) {
		unsigned int w = i % WORDS;

		ret = set8_or_bytes(&r, w, GPH_STABLE);	/* alloc */
		ret < 0 ? r.guest_bad++ : ret ? words++ : bytes++;
		for (f = 8 * w; f < 8 * w + 8; f++)
			__atomic_store_n(&r.content[f], 1, __ATOMIC_SEQ_CST);
		for (f = 8 * w; f < 8 * w + 8; f++)
			__atomic_store_n(&r.content[f], 0, __ATOMIC_SEQ_CST);
		ret = set8_or_bytes(&r, w, GPH_UNUSED);	/* free */
		ret < 0 ? r.guest_bad++ : ret ? words++ : bytes++;
	}
	r.stop = 1;
	pthread_join(t, NULL);
	TH_LOG("host took %ld frames; guest moved %ld words at once, %ld byte by byte",
	       r.host_taken, words, bytes);
	EXPECT_EQ(0, r.guest_bad);
	EXPECT_EQ(0, r.host_saw_owned);
	EXPECT_GT(r.host_taken, 0);
	EXPECT_GT(words, 0);
	EXPECT_GT(bytes, 0);	/* the host's takes made words fall back */
	for (f = 0; f < 8 * WORDS; f++)
		EXPECT_EQ(GPH_UNUSED, r.state[f]);
}

TEST(word_moves_only_when_all_eight_hold_from)
{
	unsigned char b[8] __attribute__((aligned(8)));

	memset(b, GPH_STABLE, 8);
	EXPECT_TRUE(gph_proto_guest_set8(b, GPH_STABLE, GPH_UNUSED));
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(GPH_UNUSED, b[i]);
	b[5] = GPH_BUSY;
	EXPECT_FALSE(gph_proto_guest_set8(b, GPH_UNUSED, GPH_STABLE));
	EXPECT_EQ(GPH_BUSY, b[5]);
	EXPECT_EQ(GPH_UNUSED, b[0]);
	memset(b, GPH_STABLE, 8);
	EXPECT_FALSE(gph_proto_guest_set8(b, GPH_STABLE, GPH_DISCARDED));	/* not the guest's move */
	EXPECT_EQ(GPH_STABLE, b[0]);
}

TEST(guest_may_not_leave_busy_or_enter_discarded)
{
	unsigned char b = GPH_STABLE;

	EXPECT_EQ(-1, gph_proto_guest_set(&b, GPH_DISCARDED));
	EXPECT_EQ(GPH_STABLE, b);
	EXPECT_FALSE(gph_proto_move(&b, GPH_STABLE, GPH_BUSY, GPH_ACTOR_HOST));
	EXPECT_EQ(GPH_STABLE, b);
}

/*
 * The summary bitmap loses no hint: a guest frees and allocates frames and
 * marks each free's group; a host looks only where the summary points. At
 * the end every free frame must have been dropped by the host after its
 * last free (gen: the guest counts a frame's frees; the host records the
 * count it found while it held the frame BUSY, when the guest cannot free
 * it again).
 */
#define SUM_FRAMES	(8u << GPH_TABLE_GROUP_SHIFT)
#define SUM_ROUNDS	400000

struct sumrace {
	unsigned char state[SUM_FRAMES];
	__u64 summary[1];
	unsigned int gen[SUM_FRAMES], dropped_gen[SUM_FRAMES];
	volatile int stop;
	long drops;
};

static void sum_host_pass(struct sumrace *r)
{
	__u64 word = gph_proto_summary_take(&r->summary[0]);
	unsigned int g, f;

	for (g = 0; g < 64; g++) {
		if (!(word & (1ull << g)))
			continue;
		for (f = g << GPH_TABLE_GROUP_SHIFT;
		     f < ((g + 1) << GPH_TABLE_GROUP_SHIFT) && f < SUM_FRAMES; f++) {
			if (gph_proto_read(&r->state[f]) != GPH_UNUSED ||
			    !gph_proto_host_take(&r->state[f], GPH_UNUSED))
				continue;
			r->dropped_gen[f] = __atomic_load_n(&r->gen[f], __ATOMIC_SEQ_CST);
			r->drops++;
			gph_proto_host_release(&r->state[f], GPH_UNUSED);
		}
	}
}

static void *sum_host(void *arg)
{
	struct sumrace *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST))
		sum_host_pass(r);
	sum_host_pass(r);	/* what the guest marked last */
	return NULL;
}

TEST(summary_loses_no_hint)
{
	static struct sumrace r;
	unsigned int x = 12345, f, lost = 0;
	pthread_t t;
	long i;

	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, pthread_create(&t, NULL, sum_host, &r));
	for (i = 0; i < SUM_ROUNDS; i++) {
		x = x * 1103515245 + 12345;
		f = (x >> 8) % SUM_FRAMES;
		if (gph_proto_guest_set(&r.state[f], GPH_STABLE) < 0)
			break;
		__atomic_fetch_add(&r.gen[f], 1, __ATOMIC_SEQ_CST);
		if (gph_proto_guest_set(&r.state[f], GPH_UNUSED) < 0)
			break;
#ifndef BREAK_SUMMARY
		gph_proto_summary_mark(r.summary, f);
#endif
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(SUM_ROUNDS, i);
	for (f = 0; f < SUM_FRAMES; f++)
		if (r.state[f] == GPH_UNUSED && r.dropped_gen[f] != r.gen[f])
			lost++;
	TH_LOG("%ld drops; %u free frames the host never saw after their last free", r.drops, lost);
	EXPECT_EQ(0, lost);
	EXPECT_GT(r.drops, 0);
}

TEST_HARNESS_MAIN

/*
 * The make-volatile race (module/volatile.c) with real threads: a guest
 * "idle" thread announces the intent, reads the refcount and commits only
 * when nobody else holds the frame; a guest "lookup" thread takes a
 * reference, takes the frame back with gph_proto_guest_use() and reads the
 * content, or re-reads it when the host discarded it; a host thread discards
 * volatile frames by poisoning them. The lookup must never read poison.
 */
#define VFRAMES	4
#define VROUNDS	1000000

struct vrace {
	unsigned char state[VFRAMES];
	int refs[VFRAMES];	/* 1: the page cache's */
	int content[VFRAMES];	/* 1 valid, 0 poisoned by the host */
	volatile int stop;
	long committed, discarded, used, lost, poisoned_reads;
};

static void *vhost(void *arg)
{
	struct vrace *r = arg;
	unsigned int i = 0;

	while (!r->stop) {
		unsigned int f = i++ % VFRAMES;

		if (!gph_proto_move(&r->state[f], GPH_VOLATILE, GPH_BUSY, GPH_ACTOR_HOST))
			continue;
		__atomic_store_n(&r->content[f], 0, __ATOMIC_SEQ_CST);
		gph_proto_move(&r->state[f], GPH_BUSY, GPH_DISCARDED, GPH_ACTOR_HOST);
		r->discarded++;
	}
	return NULL;
}

static void *vidle(void *arg)
{
	struct vrace *r = arg;
	unsigned int i = 0;

	while (!r->stop) {
		unsigned int f = i++ % VFRAMES;

		if (!gph_proto_move(&r->state[f], GPH_STABLE, GPH_PENDING, GPH_ACTOR_GUEST))
			continue;	/* A1 */
		if (__atomic_load_n(&r->refs[f], __ATOMIC_SEQ_CST) == 1 &&	/* A2 */
		    gph_proto_move(&r->state[f], GPH_PENDING, GPH_VOLATILE, GPH_ACTOR_GUEST))
			r->committed++;
		else
			gph_proto_move(&r->state[f], GPH_PENDING, GPH_STABLE, GPH_ACTOR_GUEST);
	}
	return NULL;
}

TEST(make_volatile_against_lookup_and_discard)
{
	pthread_t th, ti;
	struct vrace r;
	long i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < VFRAMES; i++) {
		r.refs[i] = 1;
		r.content[i] = 1;
	}
	ASSERT_EQ(0, pthread_create(&th, NULL, vhost, &r));
	ASSERT_EQ(0, pthread_create(&ti, NULL, vidle, &r));
	/*
	 * On a loaded machine the other threads may hardly run during
	 * VROUNDS: go on until a discard was met (up to 100 times as long),
	 * so that the race is really run before it is judged.
	 */
	for (i = 0; i < VROUNDS || (!r.lost && i < 100L * VROUNDS); i++) {
		unsigned int f = i % VFRAMES;
		int old;

		__atomic_add_fetch(&r.refs[f], 1, __ATOMIC_SEQ_CST);	/* B1 */
		old = gph_proto_guest_use(&r.state[f]);
		if (gph_proto_lost(old)) {
			/* Discarded: wait out BUSY, re-read, then it is stable. */
			while (gph_proto_read(&r.state[f]) == GPH_BUSY)
				;
			__atomic_store_n(&r.content[f], 1, __ATOMIC_SEQ_CST);
			gph_proto_guest_set(&r.state[f], GPH_STABLE);
			r.lost++;
		} else {
			/* Read the content for a while: the host must not take it. */
			for (int k = 0; k < 64; k++)
				if (!__atomic_load_n(&r.content[f], __ATOMIC_SEQ_CST)) {
					r.poisoned_reads++;
					break;
				}
			r.used++;
		}
		__atomic_sub_fetch(&r.refs[f], 1, __ATOMIC_SEQ_CST);
	}
	r.stop = 1;
	pthread_join(th, NULL);
	pthread_join(ti, NULL);
	TH_LOG("%ld committed, %ld discarded, %ld used, %ld re-read", r.committed,
	       r.discarded, r.used, r.lost);
	EXPECT_EQ(0, r.poisoned_reads);
	EXPECT_GT(r.committed, 0);
	EXPECT_GT(r.discarded, 0);
	EXPECT_GT(r.lost, 0);
}
