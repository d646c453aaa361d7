// SPDX-License-Identifier: GPL-2.0
/*
 * fragfree MIB SECONDS — a fragmented free, for make bench-host: touch MIB
 * MiB of anonymous memory, give back every other 4 KiB page
 * (MADV_DONTNEED: order-0 frees that never merge into a 2 MiB block while
 * the rest is held), print "freed" on stdout, hold the rest for SECONDS,
 * verify it and exit. Exit 1 if a kept page changed, 2 on bad usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long mib = argc == 3 ? atol(argv[1]) : 0, secs = argc == 3 ? atol(argv[2]) : -1;
	size_t page = 4096, npages, i, bad = 0;
	unsigned char *m;

	if (mib < 1 || mib > (1L << 20) || secs < 0) {
		fprintf(stderr, "usage: fragfree MIB SECONDS\n");
		return 2;
	}
	npages = (size_t)mib << 20 >> 12;
	m = mmap(NULL, npages * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("fragfree: mmap");
		return 2;
	}
	madvise(m, npages * page, MADV_NOHUGEPAGE);	/* 4 KiB pages, not THPs */
	for (i = 0; i < npages; i++)
		*(uint64_t *)(m + i * page) = i ^ 0x5a5a5a5aUL;
	for (i = 1; i < npages; i += 2)
		if (madvise(m + i * page, page, MADV_DONTNEED)) {
			perror("fragfree: madvise");
			return 2;
		}
	printf("freed\n");
	fflush(stdout);
	sleep(secs);
	for (i = 0; i < npages; i += 2)
		bad += *(uint64_t *)(m + i * page) != (i ^ 0x5a5a5a5aUL);
	printf("fragfree: %zu pages kept, %zu freed, %zu bad\n",
	       (npages + 1) / 2, npages / 2, bad);
	return bad ? 1 : 0;
}
