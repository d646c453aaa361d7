// SPDX-License-Identifier: GPL-2.0
/*
 * swapfault — the cost of faulting pages back from the swap cache.
 *
 *   swapfault SECONDS [MIB]   map MIB MiB (default 16) of anonymous memory
 *                             and write it; then, until SECONDS of faulting
 *                             are timed: MADV_PAGEOUT it all, wait 2 s
 *                             (writeback ends, and gph's sweep may make the
 *                             clean, unmapped swap-cache folios volatile),
 *                             and write one word per page, timed. Each write
 *                             finds its folio in the swap cache: a minor
 *                             fault that maps it (gph: makes it stable) and
 *                             frees its slot. Prints
 *       swapfault: ops=N seconds=S ops_per_sec=R
 *                             where an op is one page faulted back.
 *   swapfault --park [MIB]    map, write, MADV_PAGEOUT, wait 2 s, print
 *                             "parked", then sleep until killed: the pages
 *                             sit in the swap cache for a coverage reading.
 *
 * Only the faults are timed: the pageout's writeback and the wait are not.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t page;

static void touch(char *m, size_t len, char v)
{
	size_t off;

	for (off = 0; off < len; off += page)
		m[off] = v;
}

/* Page everything out and let writeback end: the folios stay in the swap cache. */
static int page_out(char *m, size_t len)
{
	if (madvise(m, len, MADV_PAGEOUT)) {
		perror("swapfault: MADV_PAGEOUT");
		return -1;
	}
	sleep(2);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: swapfault SECONDS [MIB]\n"
			"       swapfault --park [MIB]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int park = argc >= 2 && !strcmp(argv[1], "--park");
	double secs = 0, timed = 0, t0;
	unsigned long long ops = 0;
	unsigned long mib = 16;
	char *m, *end, v = 1;
	size_t len;

	page = sysconf(_SC_PAGESIZE);
	if (argc < 2 || argc > 3)
		usage();
	if (!park) {
		secs = strtod(argv[1], &end);
		if (*end || end == argv[1] || !(secs > 0))
			usage();
	}
	if (argc == 3) {
		errno = 0;
		mib = strtoul(argv[2], &end, 10);
		if (errno || *end || end == argv[2] || !mib || mib > 1 << 20)
			usage();
	}
	len = mib << 20;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("swapfault: mmap");
		return 1;
	}
	/* Small folios: a large one is swapped whole and never volatile. */
	if (madvise(m, len, MADV_NOHUGEPAGE) && errno != EINVAL) {
		perror("swapfault: MADV_NOHUGEPAGE");
		return 1;
	}
	touch(m, len, v);
	if (park) {
		if (page_out(m, len))
			return 1;
		printf("parked\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	do {
		if (page_out(m, len))
			return 1;
		t0 = now();
		touch(m, len, ++v);
		timed += now() - t0;
		ops += len / page;
	} while (timed < secs);
	printf("swapfault: ops=%llu seconds=%.3f ops_per_sec=%.0f\n", ops, timed, ops / timed);
	return 0;
}
