// SPDX-License-Identifier: GPL-2.0
/*
 * swapcheck — anonymous memory that goes through swap, verified page by page.
 *
 *   swapcheck anon MIB PASSES [WORKERS]  touch MIB MiB per worker in a random
 *                                        order PASSES times, rewriting every
 *                                        other pass; verify every page
 *   swapcheck fork MIB                   page MIB MiB out, fork; the child
 *                                        verifies, rewrites half (copy on
 *                                        write) and verifies; then the parent
 *                                        verifies its own pattern
 *   swapcheck pageout MIB ROUNDS         MADV_PAGEOUT everything, wait a
 *                                        second, verify; ROUNDS times
 *   swapcheck file PATH MIB              write a file of MIB MiB (on tmpfs:
 *                                        it goes to swap when larger than
 *                                        RAM), then read and verify every
 *                                        page twice in a random order
 *   swapcheck file-verify PATH MIB       read and verify the file's first
 *                                        MIB MiB once (after a swapoff)
 *   swapcheck shmpageout PATH MIB ROUNDS write a file of MIB MiB (on tmpfs),
 *                                        map it shared, MADV_PAGEOUT it (its
 *                                        shmem folios go to the swap cache),
 *                                        wait, verify through the mapping;
 *                                        ROUNDS times
 *   swapcheck shmpageout-huge PATH MIB ROUNDS  the same without
 *                                        MADV_NOHUGEPAGE (large shmem folios)
 *   swapcheck pageout-thp MIB ROUNDS     anonymous THPs (MADV_HUGEPAGE, 2 MiB
 *                                        aligned): MADV_PAGEOUT, wait, run
 *                                        the shrinkers (drop_caches=2: the
 *                                        deferred-split one reads the THPs
 *                                        in the swap cache), wait, verify;
 *                                        ROUNDS times
 *
 * A page holds (worker, page index, generation) in every word, or zeroes for
 * every 16th page (the swap layer's zero-page shortcut). A mismatch names the
 * page and the first bad word, and tells gph's emulated host's poison (0x6b
 * unused, 0x5a discarded) apart. Prints one line per mode run:
 *   swapcheck MODE: N pages verified, B bad
 * Exit 1 on any bad page, 2 on bad usage or a failed system call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define POISON_UNUSED		0x6b6b6b6b6b6b6b6bULL
#define POISON_DISCARDED	0x5a5a5a5a5a5a5a5aULL

static size_t page_size, words;

struct area {
	uint64_t *mem;
	size_t pages;
	unsigned int worker;
	unsigned char *gen;	/* generation per page, as last written */
	long verified, bad;
};

static int zero_page(size_t p)
{
	return p % 16 == 15;
}

static uint64_t pattern(const struct area *a, size_t p, unsigned int gen)
{
	return ((uint64_t)a->worker << 48) ^ ((uint64_t)gen << 40) ^ p;
}

/* fill_page / check_page: page P's content at Q (in the area, or a read buffer). */
static void fill_page(struct area *a, uint64_t *q, size_t p, unsigned int gen)
{
	uint64_t v = pattern(a, p, gen);
	size_t w;

	a->gen[p] = gen;
	if (zero_page(p)) {
		memset(q, 0, page_size);
		return;
	}
	for (w = 0; w < words; w++)
		q[w] = v + w;
}

static void check_page(struct area *a, const uint64_t *q, size_t p, const char *what)
{
	uint64_t v = pattern(a, p, a->gen[p]), want;
	size_t w;

	a->verified++;
	for (w = 0; w < words; w++) {
		want = zero_page(p) ? 0 : v + w;
		if (q[w] == want)
			continue;
		if (a->bad++ < 5)
			fprintf(stderr, "swapcheck: %s: worker %u page %zu word %zu: %#llx, want %#llx%s\n",
				what, a->worker, p, w, (unsigned long long)q[w],
				(unsigned long long)want,
				q[w] == POISON_UNUSED ? " (unused poison)" :
				q[w] == POISON_DISCARDED ? " (discarded poison)" : "");
		return;
	}
}

static void write_page(struct area *a, size_t p, unsigned int gen)
{
	fill_page(a, a->mem + p * words, p, gen);
}

static void verify_page(struct area *a, size_t p, const char *what)
{
	check_page(a, a->mem + p * words, p, what);
}

static void verify_all(struct area *a, const char *what)
{
	size_t p;

	for (p = 0; p < a->pages; p++)
		verify_page(a, p, what);
}

/*
 * map_area: MIB MiB, anonymous (FD -1) or a shared mapping of FD, every page
 * written with generation 0.
 */
/* shmpageout-huge: leave the mapping's THP choice to the file system. */
static int allow_huge;

static int map_area(struct area *a, size_t mib, unsigned int worker, int fd)
{
	size_t len = mib << 20, p;

	a->pages = len / page_size;
	a->worker = worker;
	a->verified = a->bad = 0;
	a->mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED, fd, 0);
	a->gen = calloc(a->pages, 1);
	if (a->mem == MAP_FAILED || !a->gen) {
		perror("swapcheck: mmap");
		return -1;
	}
	/* Small folios (the steps count them), unless shmpageout-huge asks. */
	if (!allow_huge && madvise(a->mem, len, MADV_NOHUGEPAGE) && errno != EINVAL) {
		perror("swapcheck: MADV_NOHUGEPAGE");
		return -1;
	}
	for (p = 0; p < a->pages; p++)
		write_page(a, p, 0);
	return 0;
}

static int page_out(struct area *a)
{
	if (madvise(a->mem, a->pages * page_size, MADV_PAGEOUT)) {
		perror("swapcheck: MADV_PAGEOUT");
		return -1;
	}
	sleep(2);	/* writeback ends; the sweep (1 s) sees the folios idle */
	return 0;
}

static int report(const char *mode, long verified, long bad)
{
	printf("swapcheck %s: %ld pages verified, %ld bad\n", mode, verified, bad);
	return bad ? 1 : 0;
}

/* A full-period walk over [0, n): p -> (p * step + off) mod n, step odd and prime to n. */
static size_t gcd(size_t a, size_t b)
{
	while (b) {
		size_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* random_walk: the step and offset of a random full-period walk over N pages. */
static void random_walk(size_t n, size_t *step, size_t *off)
{
	*step = (random() % n) | 1;
	while (gcd(*step, n) != 1)
		*step += 2;
	*off = random() % n;
}

static int anon_worker(size_t mib, int passes, unsigned int worker)
{
	struct area a;
	size_t p, i, step, off;
	int pass;

	if (map_area(&a, mib, worker, -1))
		return 2;
	srandom(worker + 1);
	for (pass = 1; pass <= passes; pass++) {
		random_walk(a.pages, &step, &off);
		for (i = 0; i < a.pages; i++) {
			p = (i * step + off) % a.pages;
			verify_page(&a, p, "anon");
			if (pass % 2)	/* dirty again: swapped out again later */
				write_page(&a, p, pass & 0xff);
		}
	}
	verify_all(&a, "anon final");
	return report("anon", a.verified, a.bad);
}

static int anon(size_t mib, int passes, int workers)
{
	int i, status, rc = 0;

	for (i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("swapcheck: fork");
			return 2;
		}
		if (!pid)
			exit(anon_worker(mib, passes, i));
	}
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			rc = rc == 2 || !WIFEXITED(status) ? 2 : WEXITSTATUS(status);
	return rc;
}

static int fork_cow(size_t mib)
{
	struct area a;
	size_t p;
	int status;
	pid_t pid;

	if (map_area(&a, mib, 0, -1))
		return 2;
	/* Page out before fork: MADV_PAGEOUT skips pages mapped twice. */
	if (page_out(&a))
		return 2;
	pid = fork();
	if (pid < 0) {
		perror("swapcheck: fork");
		return 2;
	}
	if (!pid) {
		verify_all(&a, "fork child");
		for (p = 0; p < a.pages; p += 2)
			write_page(&a, p, 1);	/* copy on write */
		verify_all(&a, "fork child after writes");
		exit(report("fork child", a.verified, a.bad));
	}
	if (waitpid(pid, &status, 0) != pid) {
		perror("swapcheck: waitpid");
		return 2;
	}
	verify_all(&a, "fork parent");
	if (report("fork parent", a.verified, a.bad))
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

/* MADV_PAGEOUT the area, wait, verify it all; ROUNDS times. */
static int pageout_rounds(struct area *a, int rounds, const char *mode)
{
	int r;

	for (r = 0; r < rounds; r++) {
		if (page_out(a))
			return 2;
		verify_all(a, mode);
	}
	return report(mode, a->verified, a->bad);
}

static int pageout(size_t mib, int rounds)
{
	struct area a;

	if (map_area(&a, mib, 0, -1))
		return 2;
	return pageout_rounds(&a, rounds, "pageout");
}

/* AnonHugePages of this process, in kB (-1 if unreadable). */
static long anon_huge_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[128];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/*
 * Anonymous THPs: 6.12 queues each one for deferred split at its fault, and
 * the shrinker's thp_underused() reads the pages of a queued folio without
 * a lookup, also while it sits in the swap cache after MADV_PAGEOUT. The
 * shrinker runs between the page-out and the reads, once the emulated host
 * had time to discard whatever went volatile.
 */
static int pageout_thp(size_t mib, int rounds)
{
	const size_t huge = 2UL << 20, len = mib << 20;
	struct area a = { .worker = 5 };
	uintptr_t start;
	char *raw;
	size_t p;
	int r, fd;

	raw = mmap(NULL, len + huge, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a.pages = len / page_size;
	a.gen = calloc(a.pages, 1);
	if (raw == MAP_FAILED || !a.gen) {
		perror("swapcheck: mmap");
		return 2;
	}
	start = ((uintptr_t)raw + huge - 1) & ~(huge - 1);
	a.mem = (uint64_t *)start;
	if (madvise(a.mem, len, MADV_HUGEPAGE)) {
		perror("swapcheck: MADV_HUGEPAGE");
		return 2;
	}
	for (p = 0; p < a.pages; p++)
		write_page(&a, p, 0);
	printf("swapcheck pageout-thp: AnonHugePages %ld kB of %zu kB\n",
	       anon_huge_kb(), len >> 10);
	for (r = 0; r < rounds; r++) {
		if (madvise(a.mem, len, MADV_PAGEOUT)) {
			perror("swapcheck: MADV_PAGEOUT");
			return 2;
		}
		sleep(2);	/* writeback ends; volatile folios are discarded */
		fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
		if (fd < 0 || write(fd, "2", 1) != 1) {
			perror("swapcheck: /proc/sys/vm/drop_caches");
			return 2;
		}
		close(fd);
		sleep(2);	/* the sweep (1 s) sees the folios the shrinker let go */
		verify_all(&a, "pageout-thp");
	}
	return report("pageout-thp", a.verified, a.bad);
}

/*
 * A file of MIB MiB in the same pattern (worker 7), written with write() and
 * read back with pread(): on tmpfs its pages are shmem folios, which reclaim
 * moves to the swap cache and swap-in brings back through it.
 */
static int file_check(const char *path, size_t mib, int write_it)
{
	struct area a = { .worker = 7 };
	uint64_t *buf = malloc(page_size);
	size_t p, i, step, off;
	int fd, pass;

	a.pages = (mib << 20) / page_size;
	a.gen = calloc(a.pages, 1);
	fd = open(path, write_it ? O_RDWR | O_CREAT | O_TRUNC : O_RDONLY, 0600);
	if (fd < 0 || !buf || !a.gen) {
		fprintf(stderr, "swapcheck: %s: %s\n", path, strerror(errno));
		return 2;
	}
	for (p = 0; write_it && p < a.pages; p++) {
		fill_page(&a, buf, p, 0);
		if (pwrite(fd, buf, page_size, p * page_size) != (ssize_t)page_size) {
			fprintf(stderr, "swapcheck: write %s page %zu: %s\n", path, p,
				strerror(errno));
			return 2;
		}
	}
	srandom(7);
	for (pass = 0; pass < (write_it ? 2 : 1); pass++) {
		random_walk(a.pages, &step, &off);
		for (i = 0; i < a.pages; i++) {
			p = (i * step + off) % a.pages;
			errno = 0;
			if (pread(fd, buf, page_size, p * page_size) != (ssize_t)page_size) {
				fprintf(stderr, "swapcheck: read %s page %zu: %s\n", path, p,
					errno ? strerror(errno) : "short read");
				return 2;
			}
			check_page(&a, buf, p, "file");
		}
	}
	close(fd);
	free(buf);
	return report(write_it ? "file" : "file-verify", a.verified, a.bad);
}

/*
 * Shmem without memory pressure: MADV_PAGEOUT on a shared mapping of a tmpfs
 * file writes its folios to swap and leaves them in the swap cache, clean
 * and unmapped, as it leaves anonymous ones; faults bring them back.
 */
static int shm_pageout(const char *path, size_t mib, int rounds)
{
	struct area a;
	int fd, rc;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, mib << 20)) {
		fprintf(stderr, "swapcheck: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (map_area(&a, mib, 6, fd))
		return 2;
	rc = pageout_rounds(&a, rounds, "shmpageout");
	munmap(a.mem, mib << 20);
	close(fd);
	return rc;
}

static long number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "swapcheck: '%s' is not a number in %ld..%ld\n", s, min, max);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: swapcheck anon MIB PASSES [WORKERS]\n"
			"       swapcheck fork MIB\n"
			"       swapcheck pageout MIB ROUNDS\n"
			"       swapcheck file PATH MIB\n"
			"       swapcheck file-verify PATH MIB\n"
			"       swapcheck shmpageout PATH MIB ROUNDS\n"
			"       swapcheck shmpageout-huge PATH MIB ROUNDS\n"
			"       swapcheck pageout-thp MIB ROUNDS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	page_size = sysconf(_SC_PAGESIZE);
	words = page_size / sizeof(uint64_t);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "anon"))
		return anon(number(argv[2], 1, 1 << 20), number(argv[3], 1, 255),
			    argc == 5 ? number(argv[4], 1, 64) : 1);
	if (argc == 3 && !strcmp(argv[1], "fork"))
		return fork_cow(number(argv[2], 1, 1 << 20));
	if (argc == 4 && !strcmp(argv[1], "pageout"))
		return pageout(number(argv[2], 1, 1 << 20), number(argv[3], 1, 1000));
	if (argc == 4 && !strcmp(argv[1], "pageout-thp"))
		return pageout_thp(number(argv[2], 2, 1 << 20), number(argv[3], 1, 1000));
	if (argc == 4 && (!strcmp(argv[1], "file") || !strcmp(argv[1], "file-verify")))
		return file_check(argv[2], number(argv[3], 1, 1 << 20),
				  !strcmp(argv[1], "file"));
	allow_huge = argc == 5 && !strcmp(argv[1], "shmpageout-huge");
	if (argc == 5 && (!strcmp(argv[1], "shmpageout") || allow_huge))
		return shm_pageout(argv[2], number(argv[3], 1, 1 << 20),
				   number(argv[4], 1, 1000));
	usage();
	return 2;
}
