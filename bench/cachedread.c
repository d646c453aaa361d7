// SPDX-License-Identifier: GPL-2.0
/*
 * cachedread FILE BS SECONDS — read FILE (already in the page cache) with
 * pread(2) of BS bytes, front to back and around again, for SECONDS;
 * prints "cachedread bs=BS mib_per_sec=N reads=N".
 *
 * cachedread --latency FILE — one pass of 4 KiB preads over FILE, timing
 * each; prints a log2 histogram of the latencies in microseconds (the cost
 * a reader sees for a discarded page it must read again, or a cached one).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int latency(const char *path)
{
	static char buf[4096];
	long hist[32] = { 0 }, n = 0;
	int fd = open(path, O_RDONLY), b, top = 0;
	off_t off;

	if (fd < 0) {
		perror(path);
		return 1;
	}
	for (off = 0;; off += sizeof(buf)) {
		double t0 = now();
		ssize_t r = pread(fd, buf, sizeof(buf), off);
		long us = (long)((now() - t0) * 1e6);

		if (r <= 0)
			break;
		for (b = 0; us > 0 && b < 31; b++)
			us >>= 1;
		hist[b]++;
		n++;
		if (b > top)
			top = b;
	}
	printf("latency of %ld 4 KiB reads (us, log2 buckets):\n", n);
	for (b = 0; b <= top; b++)
		printf("  %6ld .. %-6ld %8ld\n", b ? 1L << (b - 1) : 0L, (1L << b) - 1, hist[b]);
	return 0;
}

int main(int argc, char **argv)
{
	size_t bs;
	double secs, t0, t;
	long reads = 0;
	off_t off = 0, size;
	struct stat st;
	char *buf;
	int fd;

	if (argc == 3 && !strcmp(argv[1], "--latency"))
		return latency(argv[2]);
	if (argc != 4) {
		fprintf(stderr, "usage: cachedread FILE BS SECONDS | cachedread --latency FILE\n");
		return 2;
	}
	bs = strtoul(argv[2], NULL, 0);
	secs = atof(argv[3]);
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || !bs || !(buf = malloc(bs))) {
		perror(argv[1]);
		return 1;
	}
	size = st.st_size / bs * bs;
	t0 = now();
	do {
		for (int i = 0; i < 64; i++) {
			if (pread(fd, buf, bs, off) != (ssize_t)bs) {
				perror("pread");
				return 1;
			}
			reads++;
			off += bs;
			if (off >= size)
				off = 0;
		}
		t = now() - t0;
	} while (t < secs);
	printf("cachedread bs=%zu mib_per_sec=%.1f reads=%ld\n", bs,
	       reads * (double)bs / (1 << 20) / t, reads);
	return 0;
}
