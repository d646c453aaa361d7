// SPDX-License-Identifier: GPL-2.0
/*
 * memcheck MIB PASSES [WORKERS] — churn anonymous memory and verify it.
 *
 * Each worker maps MIB MiB, writes every page with a pattern of (worker,
 * page index, pass), reads it all back, unmaps, and repeats PASSES times;
 * unmapping frees the pages, so the buddy allocator and the page-state
 * hooks see constant free/alloc traffic. Any mismatch is reported; a page
 * holding gph's emul poison (0x6b) is named as such. Exit 1 on mismatch.
 *
 * With MEMCHECK_HOLD=FILE set (one worker), the worker holds its last
 * pass's memory after verifying it, creates FILE, verifies it again once
 * FILE is removed, and lets go: a test can measure the host's footprint
 * with the memory in use, free it at a known moment, or check that nothing
 * took it meanwhile. MEMCHECK_FREEING=FILE is created right before that
 * memory is freed, for a benchmark to mark the moment.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define POISON_WORD 0x6b6b6b6b6b6b6b6bULL

static long verify(const uint64_t *m, int worker, int pass, size_t npages,
		   size_t page, long *poisoned)
{
	long bad = 0;
	size_t p, w;

	for (p = 0; p < npages; p++) {
		uint64_t v = ((uint64_t)worker << 48) ^ ((uint64_t)pass << 32) ^ p;
		const uint64_t *q = m + p * (page / 8);

		for (w = 0; w < page / 8; w++) {
			if (q[w] == v + w)
				continue;
			if (q[w] == POISON_WORD)
				(*poisoned)++;
			if (bad++ < 5)
				fprintf(stderr, "memcheck: worker %d pass %d page %zu word %zu: %#llx, want %#llx\n",
					worker, pass, p, w, (unsigned long long)q[w],
					(unsigned long long)(v + w));
			break;
		}
	}
	return bad;
}

static long run(int worker, size_t mib, int passes)
{
	size_t page = sysconf(_SC_PAGESIZE), len = mib << 20, npages = len / page;
	long bad = 0, poisoned = 0;
	int pass;

	for (pass = 0; pass < passes; pass++) {
		uint64_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t p, w;

		if (m == MAP_FAILED) {
			perror("memcheck: mmap");
			return -1;
		}
		for (p = 0; p < npages; p++) {
			uint64_t v = ((uint64_t)worker << 48) ^ ((uint64_t)pass << 32) ^ p;
			uint64_t *q = m + p * (page / 8);

			for (w = 0; w < page / 8; w++)
				q[w] = v + w;
		}
		bad += verify(m, worker, pass, npages, page, &poisoned);
		if (pass == passes - 1 && getenv("MEMCHECK_HOLD")) {
			const char *hold = getenv("MEMCHECK_HOLD");
			int fd = open(hold, O_CREAT | O_WRONLY, 0644);

			if (fd >= 0)
				close(fd);
			while (access(hold, F_OK) == 0)
				usleep(20000);
			/* Still ours after the hold? */
			bad += verify(m, worker, pass, npages, page, &poisoned);
			/* MEMCHECK_FREEING=FILE: created right before the free. */
			const char *freeing = getenv("MEMCHECK_FREEING");

			if (freeing) {
				fd = open(freeing, O_CREAT | O_WRONLY, 0644);
				if (fd >= 0)
					close(fd);
			}
		}
		munmap(m, len);
	}
	if (poisoned)
		fprintf(stderr, "memcheck: worker %d: %ld pages held the emul host's poison\n",
			worker, poisoned);
	return bad;
}

int main(int argc, char **argv)
{
	int passes, workers = 1, i, status, failed = 0;
	size_t mib;

	if (argc < 3 || argc > 4 || (mib = strtoul(argv[1], NULL, 0)) == 0 ||
	    (passes = atoi(argv[2])) <= 0 || (argc == 4 && (workers = atoi(argv[3])) <= 0)) {
		fprintf(stderr, "usage: memcheck MIB PASSES [WORKERS]\n");
		return 2;
	}
	if (workers > 1 && getenv("MEMCHECK_HOLD")) {
		fprintf(stderr, "memcheck: MEMCHECK_HOLD takes one worker\n");
		return 2;
	}
	for (i = 0; i < workers; i++) {
		if (fork() == 0)
			_exit(run(i, mib, passes) == 0 ? 0 : 1);
	}
	for (i = 0; i < workers; i++) {
		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	printf("memcheck: %d workers x %zu MiB x %d passes: %s\n", workers, mib, passes,
	       failed ? "MISMATCH" : "all pages verified");
	return failed ? 1 : 0;
}
