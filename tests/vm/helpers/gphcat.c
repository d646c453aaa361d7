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
 *   uring     io_uring IORING_OP_READ of 16 KiB blocks, 8 in flight, buffered
 *             (io_uring tries each without blocking, then with IOCB_WAITQ)
 *   mlock     mmap + mlock, read the mapping PASSES times (env GPHCAT_PASSES,
 *             default 3) a second apart, comparing each pass with the first;
 *             output once. Creates the file $GPHCAT_READY once locked, and
 *             goes on until the file $GPHCAT_UNTIL exists, if that is set.
 * Exit 0 on success, 1 on a read error or a changed mlocked mapping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* Buffered reads of all of @fd into @all through io_uring, raw syscalls. */
static int uring_read(int fd, char *all, size_t size)
{
	const size_t blk = 16384, nblk = (size + blk - 1) / blk;
	unsigned int *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	size_t next = 0, done = 0;
	struct io_uring_params p;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned int submit = 0, inflight = 0;
	char *sq, *cq;
	int ring;

	memset(&p, 0, sizeof(p));
	ring = syscall(__NR_io_uring_setup, 8, &p);
	if (ring < 0)
		return -1;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned int),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return -1;
	sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	sq_array = (unsigned int *)(sq + p.sq_off.array);
	cq_head = (unsigned int *)(cq + p.cq_off.head);
	cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);

	while (done < nblk) {
		unsigned int head;

		while (inflight < p.sq_entries && next < nblk) {
			unsigned int tail = *sq_tail, idx = tail & *sq_mask;
			struct io_uring_sqe *e = &sqes[idx];
			size_t off = next * blk;

			memset(e, 0, sizeof(*e));
			e->opcode = IORING_OP_READ;
			e->fd = fd;
			e->off = off;
			e->addr = (unsigned long)(all + off);
			e->len = size - off < blk ? size - off : blk;
			e->user_data = next;
			sq_array[idx] = idx;
			__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
			next++;
			inflight++;
			submit++;
		}
		if (syscall(__NR_io_uring_enter, ring, submit, 1,
			    IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		submit = 0;
		head = __atomic_load_n(cq_head, __ATOMIC_ACQUIRE);
		while (head != __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) {
			struct io_uring_cqe *c = &cqes[head & *cq_mask];
			size_t off = c->user_data * blk;
			size_t len = size - off < blk ? size - off : blk;

			if (c->res < 0) {
				errno = -c->res;
				return -1;
			}
			/* A short read: the rest synchronously. */
			if ((size_t)c->res < len &&
			    pread(fd, all + off + c->res, len - c->res, off + c->res) !=
			    (ssize_t)(len - c->res))
				return -1;
			done++;
			inflight--;
			head++;
		}
		__atomic_store_n(cq_head, head, __ATOMIC_RELEASE);
	}
	close(ring);
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
		fprintf(stderr, "usage: gphcat read|random|mmap|sendfile|splice|direct|uring|mlock FILE\n");
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
	if (!strcmp(mode, "uring")) {
		char *all = malloc(size + 1);

		if (!all)
			return die("malloc");
		if (uring_read(fd, all, size))
			return die("io_uring read");
		return write_all(all, size) ? die("write") : 0;
	}
	fprintf(stderr, "gphcat: unknown mode '%s'\n", mode);
	return 2;
}
