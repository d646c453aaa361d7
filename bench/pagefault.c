// SPDX-License-Identifier: GPL-2.0
/*
 * pagefault SECONDS [MIB] — will-it-scale page_fault1 in one process: map
 * MIB MiB of anonymous memory, write one word per page (a fault, and a
 * page allocation), unmap (a page free), repeat for SECONDS.
 * pagefault --file FILE SECONDS — page_fault2: the same over a private
 * mapping of FILE, whole (each write looks its page up in the page cache
 * and copies it to a new anonymous page). Prints
 *   pagefault: ops=N seconds=S ops_per_sec=R
 * where an op is one page faulted in and freed again.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs, start, t;
	size_t len, page = sysconf(_SC_PAGESIZE), off;
	unsigned long long ops = 0;
	int fd = -1;

	if (argc >= 2 && !strcmp(argv[1], "--file")) {
		struct stat st;

		if (argc != 4 || (secs = atof(argv[3])) <= 0) {
			fprintf(stderr, "usage: pagefault --file FILE SECONDS\n");
			return 2;
		}
		fd = open(argv[2], O_RDONLY);
		if (fd < 0 || fstat(fd, &st) < 0) {
			perror(argv[2]);
			return 1;
		}
		len = st.st_size / page * page;
		if (!len) {
			fprintf(stderr, "pagefault: %s: shorter than a page\n", argv[2]);
			return 1;
		}
	} else {
		if (argc < 2 || argc > 3 || (secs = atof(argv[1])) <= 0) {
			fprintf(stderr, "usage: pagefault SECONDS [MIB]\n"
				"       pagefault --file FILE SECONDS\n");
			return 2;
		}
		len = (argc == 3 ? strtoul(argv[2], NULL, 0) : 16) << 20;
	}
	start = now();
	do {
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_PRIVATE, fd, 0);

		if (m == MAP_FAILED) {
			perror("pagefault: mmap");
			return 1;
		}
		for (off = 0; off < len; off += page)
			m[off] = 1;
		munmap(m, len);
		ops += len / page;
		t = now() - start;
	} while (t < secs);
	printf("pagefault: ops=%llu seconds=%.3f ops_per_sec=%.0f\n", ops, t, ops / t);
	return 0;
}
