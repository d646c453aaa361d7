// SPDX-License-Identifier: GPL-2.0
/*
 * gph-fake-guest: plays a gph guest in a table file, for tools/hostd/selftest.sh.
 * Frame n is guest-physical n << 12; "fill" and "check" take it as the same
 * offset in the RAM file, which holds below 0xc0000 and from 1 MiB up to the
 * PCI hole on QEMU's pc and q35 machines.
 *
 *   init  TABLE NR_FRAMES GEN        a valid v2 header, ATTACHED|ENABLED, every frame STABLE
 *   beat  TABLE MS                   bump guest_beat every MS ms until killed
 *   mark  TABLE FIRST COUNT STATE    move frames to STATE (stable|unused|volatile), as the
 *                                    guest does (cmpxchg, then the summary bit)
 *   poke  TABLE FIRST COUNT STATE    write STATE into the bytes, no protocol (e.g. busy)
 *   count TABLE STATE                print how many frames hold STATE (also busy, discarded)
 *   fill  RAM FIRST COUNT SEED       write a pattern into the frames' pages
 *   check RAM FIRST COUNT SEED       exit 0 if every page holds it; print intact/zero/other
 *   qmp   SOCKET COMMAND [ARGS]      run one QMP command (ARGS: a JSON object),
 *                                    print its reply
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "table_proto.h"

#define PAGE	4096ull

static void die(const char *what)
{
	fprintf(stderr, "gph-fake-guest: %s: %s\n", what, errno ? strerror(errno) : "bad usage");
	exit(2);
}

static unsigned long long num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s)
		die(s);
	return v;
}

static void *map(const char *path, size_t *size)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDWR);

	if (fd < 0 || fstat(fd, &st))
		die(path);
	*size = st.st_size;
	p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	close(fd);
	return p;
}

static struct gph_table_header *table(const char *path, struct gph_table_layout *l, size_t *size)
{
	struct gph_table_header *h = map(path, size);

	if (gph_table_layout_check(h, *size, 12, l))
		die("the table's header is not valid");
	return h;
}

static int state_of(const char *s)
{
	static const char *const n[] = { "stable", "unused", "volatile", "discarded", "busy", "pending" };

	for (int i = 0; i < 6; i++)
		if (!strcmp(s, n[i]))
			return i;
	die(s);
	return -1;
}

static void pattern(unsigned char *page, unsigned long long frame, unsigned long long seed)
{
	unsigned long long *w = (unsigned long long *)page;

	for (size_t i = 0; i < PAGE / 8; i++)
		w[i] = (frame * 0x9e3779b97f4a7c15ull) ^ (seed << 32) ^ i ^ 0x5555aaaa00000001ull;
}

static int qmp(const char *sock, const char *cmd, const char *args)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536], line[1024];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), got = 0;
	FILE *f;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die(sock);
	f = fdopen(fd, "r+");
	if (!fgets(buf, sizeof(buf), f))
		die("no QMP greeting");
	snprintf(line, sizeof(line), "{\"execute\":\"qmp_capabilities\"}\n"
		 "{\"execute\":\"%s\"%s%s}\n", cmd, args ? ",\"arguments\":" : "", args ?: "");
	fputs(line, f);
	fflush(f);
	/* Two replies; events in between are skipped. */
	while (got < 2 && fgets(buf, sizeof(buf), f)) {
		if (strstr(buf, "\"return\"") || strstr(buf, "\"error\"")) {
			if (++got == 2)
				fputs(buf, stdout);
		}
	}
	fclose(f);
	return got == 2 && !strstr(buf, "\"error\"") ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct gph_table_layout l;
	struct gph_table_header *h;
	unsigned char *s, page[PAGE];
	size_t size;

	if (argc < 3)
		die("usage: see the source's header comment");
	if (!strcmp(argv[1], "init") && argc == 5) {
		unsigned long long nr = num(argv[3]);

		h = map(argv[2], &size);
		gph_table_layout_for(nr, &l);
		if (l.table_size > size)
			die("table file too small");
		__atomic_store_n(&h->guest_flags, 0, __ATOMIC_SEQ_CST);
		memset((char *)h + l.summary_offset, 0, l.table_size - l.summary_offset);
		h->magic = GPH_TABLE_MAGIC;
		h->version = GPH_TABLE_VERSION;
		h->page_shift = 12;
		h->group_shift = GPH_TABLE_GROUP_SHIFT;
		h->nr_frames = nr;
		h->summary_offset = l.summary_offset;
		h->states_offset = l.states_offset;
		h->table_size = l.table_size;
		h->generation = num(argv[4]);
		__atomic_store_n(&h->guest_flags, GPH_GUEST_ATTACHED, __ATOMIC_RELEASE);
		__atomic_store_n(&h->guest_flags, GPH_GUEST_ATTACHED | GPH_GUEST_ENABLED, __ATOMIC_RELEASE);
		return 0;
	}
	if (!strcmp(argv[1], "beat") && argc == 4) {
		unsigned long long ms = num(argv[3]);

		h = table(argv[2], &l, &size);
		for (;;) {
			__atomic_fetch_add(&h->guest_beat, 1, __ATOMIC_RELEASE);
			usleep(ms * 1000);
		}
	}
	if (!strcmp(argv[1], "mark") && argc == 6) {
		unsigned long long f = num(argv[3]), n = num(argv[4]);
		int st = state_of(argv[5]);

		h = table(argv[2], &l, &size);
		s = (unsigned char *)h + l.states_offset;
		if (f + n > l.nr_frames)
			die("frames beyond nr_frames");
		for (; n; n--, f++) {
			/* VOLATILE through PENDING, as make-volatile commits it */
			if ((st == GPH_VOLATILE && s[f] != GPH_VOLATILE &&
			     gph_proto_guest_set(&s[f], GPH_PENDING) < 0) ||
			    gph_proto_guest_set(&s[f], st) < 0)
				die("illegal transition");
			if (st == GPH_UNUSED || st == GPH_VOLATILE)
				gph_proto_summary_mark((__u64 *)((char *)h + l.summary_offset), f);
		}
		return 0;
	}
	if (!strcmp(argv[1], "poke") && argc == 6) {	/* raw bytes, no protocol */
		unsigned long long f = num(argv[3]), n = num(argv[4]);

		h = table(argv[2], &l, &size);
		if (f + n > l.nr_frames)
			die("frames beyond nr_frames");
		memset((unsigned char *)h + l.states_offset + f, state_of(argv[5]), n);
		return 0;
	}
	if (!strcmp(argv[1], "count") && argc == 4) {
		unsigned long long n = 0;
		int st = state_of(argv[3]);

		h = table(argv[2], &l, &size);
		s = (unsigned char *)h + l.states_offset;
		for (unsigned long long f = 0; f < l.nr_frames; f++)
			n += s[f] == st;
		printf("%llu\n", n);
		return 0;
	}
	if ((!strcmp(argv[1], "fill") || !strcmp(argv[1], "check")) && argc == 6) {
		unsigned long long f = num(argv[3]), n = num(argv[4]), seed = num(argv[5]);
		unsigned long long intact = 0, zero = 0, other = 0;
		bool fill = argv[1][0] == 'f';
		int fd = open(argv[2], O_RDWR);

		if (fd < 0)
			die(argv[2]);
		for (; n; n--, f++) {
			unsigned char got[PAGE];

			pattern(page, f, seed);
			if (fill) {
				if (pwrite(fd, page, PAGE, f * PAGE) != PAGE)
					die("pwrite");
				continue;
			}
			if (pread(fd, got, PAGE, f * PAGE) != PAGE)
				die("pread");
			if (!memcmp(got, page, PAGE)) {
				intact++;
			} else {
				unsigned char z[PAGE] = { 0 };

				if (!memcmp(got, z, PAGE))
					zero++;
				else
					other++;
			}
		}
		if (fill)
			return 0;
		printf("intact=%llu zero=%llu other=%llu\n", intact, zero, other);
		return zero || other ? 1 : 0;
	}
	if (!strcmp(argv[1], "qmp") && (argc == 4 || argc == 5))
		return qmp(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	die("usage: see the source's header comment");
}
