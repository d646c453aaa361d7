// SPDX-License-Identifier: GPL-2.0
/*
 * pagerace MODE FILE SECONDS — one writer and two readers race on FILE;
 * every page read must be one the writer wrote.
 *
 * MODE truncate: buffered writes, truncates, extends, fsyncs (clean pages
 *                can go volatile) and fadvise(DONTNEED), against buffered
 *                readers.
 * MODE direct:   O_DIRECT writes against buffered and O_DIRECT readers.
 *
 * Every 8-byte word of page i written in generation g holds
 * (tag(i, word) << 32 | g). A reader accepts a word that is zero (a hole or
 * a truncated tail) or carries the right tag and a generation the writer
 * has reached; a page torn between two writes is fine (within a word too:
 * reads and writes copy bytes), a poisoned or stale foreign page is not.
 * When the writer stops, every page must hold exactly the generation
 * written last (zero for holes), read both through the
 * page cache and with O_DIRECT. Exit 1 on any mismatch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG	4096
#define NP	1024	/* pages: a 4 MiB file at most */
#define WORDS	(PG / 8)

struct shared {
	volatile uint32_t maxgen;
	volatile uint32_t size_pages;
	volatile int stop;
	uint32_t last[NP];
	long reads, bad;
};

static struct shared *sh;
static const char *path;

static uint64_t tag(uint32_t i, uint32_t w)
{
	return (uint32_t)(i * 2654435761u + w * 40503u + 1);
}

static void fill(uint64_t *p, uint32_t i, uint32_t gen)
{
	uint32_t w;

	for (w = 0; w < WORDS; w++)
		p[w] = tag(i, w) << 32 | gen;
}

/*
 * A word a reader may see mid-run: zero, a write (tag << 32 | generation
 * reached so far) or, as a read racing a write copies bytes rather than
 * words, a mix of the two: every byte zero or the byte a write puts there,
 * and the generation below @lim, the power of two above the newest. Poison
 * and other pages' words fail.
 */
static int word_ok(uint64_t v, uint32_t i, uint32_t w, uint64_t lim)
{
	uint64_t want = tag(i, w) << 32;
	int b;

	if ((uint32_t)v >= lim)
		return 0;
	for (b = 4; b < 8; b++) {
		uint8_t got = v >> (8 * b), byte = want >> (8 * b);

		if (got && got != byte)
			return 0;
	}
	return 1;
}

/* Mid-run check: every word one that a reader racing the writer may see. */
static int page_ok(const uint64_t *p, size_t n, uint32_t i)
{
	uint32_t w, max = sh->maxgen;
	uint64_t lim = 1;

	while (lim <= max)
		lim <<= 1;
	for (w = 0; w < n / 8; w++) {
		if (!word_ok(p[w], i, w, lim)) {
			fprintf(stderr, "pagerace: page %u word %u holds %016llx%s\n", i, w,
				(unsigned long long)p[w],
				p[w] == 0x5a5a5a5a5a5a5a5aULL ? " (gph emul discard poison)" : "");
			return 0;
		}
	}
	return 1;
}

/* Final check: exactly the last generation, or a hole of zeros. */
static int page_exact(const uint64_t *p, uint32_t i, uint32_t gen)
{
	uint32_t w;

	for (w = 0; w < WORDS; w++)
		if (p[w] != (gen ? tag(i, w) << 32 | gen : 0)) {
			fprintf(stderr, "pagerace: final: page %u word %u holds %016llx, want generation %u\n",
				i, w, (unsigned long long)p[w], gen);
			return 0;
		}
	return 1;
}

static void writer(int direct)
{
	int fd = open(path, O_RDWR | O_CREAT | (direct ? O_DIRECT : 0), 0644);
	uint64_t *buf;
	uint32_t i, k, start, n, gen;

	if (fd < 0 || posix_memalign((void **)&buf, PG, 16 * PG))
		exit(2);
	srand(getpid());
	while (!sh->stop) {
		int r = rand() % 10;

		if (r == 0 && !direct) {
			n = rand() % NP;
			if (ftruncate(fd, (off_t)n * PG))
				exit(2);
			for (i = n; i < NP; i++)
				sh->last[i] = 0;
			sh->size_pages = n;	/* shrinks or extends (a hole) */
		} else if (r <= 6) {
			k = rand() % 16 + 1;
			start = rand() % (NP - k);
			gen = __sync_add_and_fetch(&sh->maxgen, 1);
			for (i = 0; i < k; i++)
				fill(buf + i * WORDS, start + i, gen);
			if (pwrite(fd, buf, (size_t)k * PG, (off_t)start * PG) != (ssize_t)k * PG)
				exit(2);
			for (i = 0; i < k; i++)
				sh->last[start + i] = gen;
			if (sh->size_pages < start + k)
				sh->size_pages = start + k;
		} else if (r <= 8) {
			fsync(fd);
		} else {
			start = rand() % NP;
			fsync(fd);
			posix_fadvise(fd, (off_t)start * PG, 64 * PG, POSIX_FADV_DONTNEED);
		}
	}
	fsync(fd);
	close(fd);
	exit(0);
}

static void reader(int direct_too)
{
	int fd = open(path, O_RDONLY), dfd = open(path, O_RDONLY | O_DIRECT);
	uint64_t *buf;
	long reads = 0, bad = 0;

	if (fd < 0 || dfd < 0 || posix_memalign((void **)&buf, PG, PG))
		exit(2);
	srand(getpid());
	while (!sh->stop) {
		uint32_t i = rand() % NP;
		int use = direct_too && (rand() & 1) ? dfd : fd;
		ssize_t n = pread(use, buf, PG, (off_t)i * PG);

		if (n < 0)
			exit(2);
		reads++;
		if (!page_ok(buf, n, i))
			bad++;
	}
	__sync_fetch_and_add(&sh->reads, reads);
	__sync_fetch_and_add(&sh->bad, bad);
	exit(0);
}

static long final_check(int flags)
{
	int fd = open(path, O_RDONLY | flags);
	uint64_t *buf;
	long bad = 0;
	uint32_t i;
	off_t size = lseek(fd, 0, SEEK_END);

	if (fd < 0 || posix_memalign((void **)&buf, PG, PG))
		return 1;
	if (size != (off_t)sh->size_pages * PG) {
		fprintf(stderr, "pagerace: final: size %lld, want %u pages\n",
			(long long)size, sh->size_pages);
		bad++;
	}
	for (i = 0; i < sh->size_pages; i++) {
		if (pread(fd, buf, PG, (off_t)i * PG) != PG) {
			fprintf(stderr, "pagerace: final: short read of page %u\n", i);
			bad++;
			continue;
		}
		bad += !page_exact(buf, i, sh->last[i]);
	}
	close(fd);
	return bad;
}

int main(int argc, char **argv)
{
	int direct, status, failed = 0;
	pid_t pids[3];
	long bad;
	int i;

	if (argc != 4 || (strcmp(argv[1], "truncate") && strcmp(argv[1], "direct"))) {
		fprintf(stderr, "usage: pagerace truncate|direct FILE SECONDS\n");
		return 2;
	}
	direct = !strcmp(argv[1], "direct");
	path = argv[2];
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	unlink(path);
	close(open(path, O_RDWR | O_CREAT, 0644));
	pids[0] = fork();
	if (!pids[0])
		writer(direct);
	for (i = 1; i < 3; i++) {
		pids[i] = fork();
		if (!pids[i])
			reader(direct);
	}
	sleep(atoi(argv[3]));
	sh->stop = 1;
	for (i = 0; i < 3; i++) {
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	/*
	 * Read back through the cache as it was left (for direct, drop it
	 * first: a buffered read racing an O_DIRECT write may legitimately
	 * cache the old data), then drop it and read both ways again.
	 */
	bad = 0;
	if (direct)
		posix_fadvise(open(path, O_RDONLY), 0, 0, POSIX_FADV_DONTNEED);
	bad += final_check(0);
	posix_fadvise(open(path, O_RDONLY), 0, 0, POSIX_FADV_DONTNEED);
	bad += final_check(0) + final_check(O_DIRECT);
	printf("pagerace %s: %u generations written, %ld reads verified during the race, %ld bad; final size %u pages, %ld bad\n",
	       argv[1], sh->maxgen, sh->reads, sh->bad, sh->size_pages, bad);
	return failed || sh->bad || bad;
}
