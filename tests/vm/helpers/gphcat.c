// SPDX-License-Identifier: GPL-2.0
/*
 * gphcat MODE FILE — write FILE to stdout, reading it the way MODE says, so
 * that `gphcat MODE FILE | sha256sum` checks one read path against the
 * manifest:
 *   read      read(2) in 64 KiB chunks
 *   random    pread(2) of 4 KiB blocks in a shuffled order, then written out
 *             in file order
 *   mmap      mmap(2) the file and write from the mapping
 *   sendfile  sendfile(2) to stdout (a pipe)
 *   splice    splice(2) from the file into stdout (a pipe)
 *   direct    O_DIRECT reads (bypass the page cache)
 *   mlock     mmap + mlock, read the mapping PASSES times (env GPHCAT_PASSES,
 *             default 3) a second apart, comparing each pass with the first;
 *             output once. Creates the file $GPHCAT_READY once locked, and
 *             goes on until the file $GPHCAT_UNTIL exists, if that is set.
 * Exit 0 on success, 1 on a read error or a changed mlocked mapping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "gphcat: %s: %s\n", what, strerror(errno));
	return 1;
}

static int write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(1, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[65536];
	const char *mode;
	struct stat st;
	size_t size;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: gphcat read|random|mmap|sendfile|splice|direct|mlock FILE\n");
		return 2;
	}
	mode = argv[1];
	fd = open(argv[2], O_RDONLY | (strcmp(mode, "direct") ? 0 : O_DIRECT));
	if (fd < 0 || fstat(fd, &st))
		return die(argv[2]);
	size = st.st_size;

	if (!strcmp(mode, "read")) {
		ssize_t n;

		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write_all(buf, n))
				return die("write");
		return n < 0 ? die("read") : 0;
	}
	if (!strcmp(mode, "random")) {
		size_t nblk = (size + 4095) / 4096, i, j, t, *order;
		char *all = malloc(size + 1);

		order = malloc(nblk * sizeof(*order));
		if (!all || !order)
			return die("malloc");
		srand(getpid());
		for (i = 0; i < nblk; i++)
			order[i] = i;
		for (i = nblk; i > 1; i--) {
			j = rand() % i;
			t = order[i - 1];
			order[i - 1] = order[j];
			order[j] = t;
		}
		for (i = 0; i < nblk; i++) {
			size_t off = order[i] * 4096, len = size - off < 4096 ? size - off : 4096;

			if (pread(fd, all + off, len, off) != (ssize_t)len)
				return die("pread");
		}
		return write_all(all, size) ? die("write") : 0;
	}
	if (!strcmp(mode, "mmap") || !strcmp(mode, "mlock")) {
		int passes = getenv("GPHCAT_PASSES") ? atoi(getenv("GPHCAT_PASSES")) : 3;
		char *m, *first;
		int p;

		if (!size)
			return 0;
		m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			return die("mmap");
		if (!strcmp(mode, "mmap"))
			return write_all(m, size) ? die("write") : 0;
		if (mlock(m, size))
			return die("mlock");
		if (getenv("GPHCAT_READY"))	/* tell the test the pages are locked */
			close(open(getenv("GPHCAT_READY"), O_CREAT | O_WRONLY, 0644));
		first = malloc(size);
		if (!first)
			return die("malloc");
		memcpy(first, m, size);
		for (p = 1; p < passes || (getenv("GPHCAT_UNTIL") &&
					   access(getenv("GPHCAT_UNTIL"), F_OK)); p++) {
			sleep(1);
			if (memcmp(first, m, size)) {
				fprintf(stderr, "gphcat: mlocked mapping of %s changed in pass %d\n",
					argv[2], p);
				return 1;
			}
		}
		return write_all(first, size) ? die("write") : 0;
	}
	if (!strcmp(mode, "sendfile") || !strcmp(mode, "splice")) {
		loff_t off = 0;
		ssize_t n;

		while ((size_t)off < size) {
			if (!strcmp(mode, "sendfile"))
				n = sendfile(1, fd, &off, size - off);
			else
				n = splice(fd, &off, 1, NULL, size - off, SPLICE_F_MOVE);
			if (n < 0)
				return die(mode);
			if (!n)
				break;
		}
		return 0;
	}
	if (!strcmp(mode, "direct")) {
		char *b;
		ssize_t n;

		if (posix_memalign((void **)&b, 4096, sizeof(buf)))
			return die("posix_memalign");
		while ((n = read(fd, b, sizeof(buf))) > 0)
			if (write_all(b, n))
				return die("write");
		return n < 0 ? die("read") : 0;
	}
	fprintf(stderr, "gphcat: unknown mode '%s'\n", mode);
	return 2;
}
