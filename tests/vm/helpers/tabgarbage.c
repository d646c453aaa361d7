// SPDX-License-Identifier: GPL-2.0
/*
 * tabgarbage MODE SECONDS — a hostile guest for gph-hostd (hostd-hostile):
 * writes garbage into the gph table in the ivshmem-plain device's BAR2
 * (through /sys/bus/pci/devices/.../resource2) every 20 ms for SECONDS.
 * gph.ko must not be loaded. The header found there (gph's last) is the
 * template; every garbage header moves guest_beat, so a host that trusts a
 * table once its beat moves does look at it.
 *
 *   random  every byte of the header page and of the summary random
 *   fields  a valid header with ATTACHED|ENABLED and a new generation,
 *           then one field (or two) set to a hostile value: magic, version,
 *           page and group shift, nr_frames, the offsets, table_size
 *   bytes   a valid header, every summary bit set, and every state byte
 *           random, never UNUSED or VOLATILE (which would let the host
 *           take the guest's own memory, as any guest may do to itself)
 *
 * Each mode ends by writing the template back (with the last beat and the
 * new generation), for the next. Prints how many garbage tables it wrote. Exit 0, or 1 on an error.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../../../include/gph_abi.h"

static int read_hex(const char *dir, const char *name, unsigned int *v)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%x", v) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

/* The ivshmem-plain device's BAR2, mapped shared; its size in *size. */
static unsigned char *map_bar2(size_t *size)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	unsigned int ven, dev;
	char path[512];
	struct stat st;
	void *p;
	int fd;

	if (!d) {
		perror("tabgarbage: /sys/bus/pci/devices");
		return NULL;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || read_hex(e->d_name, "vendor", &ven) ||
		    read_hex(e->d_name, "device", &dev) || ven != 0x1af4 || dev != 0x1110)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource2", e->d_name);
		closedir(d);
		fd = open(path, O_RDWR | O_SYNC);
		if (fd < 0 || fstat(fd, &st)) {
			perror(path);
			return NULL;
		}
		p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (p == MAP_FAILED) {
			perror("tabgarbage: mmap resource2");
			return NULL;
		}
		*size = st.st_size;
		return p;
	}
	closedir(d);
	fprintf(stderr, "tabgarbage: no ivshmem-plain device (1af4:1110)\n");
	return NULL;
}

static uint64_t rnd(void)
{
	return ((uint64_t)random() << 33) ^ ((uint64_t)random() << 11) ^ random();
}

/* A value meant to hurt: zero, all ones, around a power of two, huge. */
static uint64_t hostile(uint64_t good, size_t region)
{
	switch (random() % 10) {
	case 0: return 0;
	case 1: return ~0ull;
	case 2: return good + 1;
	case 3: return good - 1;
	case 4: return good * 2;
	case 5: return region;
	case 6: return region + 4096;
	case 7: return 1ull << (random() % 64);
	case 8: return (uint64_t)-4096;
	default: return rnd();
	}
}

static void corrupt_field(struct gph_table_header *h, const struct gph_table_header *t,
			  size_t region)
{
	switch (random() % 9) {
	case 0: h->magic = (uint32_t)hostile(t->magic, region); break;
	case 1: h->version = (uint16_t)(random() % 2 ? 1 : hostile(t->version, region)); break;
	case 2: h->page_shift = (uint8_t)hostile(t->page_shift, region); break;
	case 3: h->group_shift = (uint8_t)hostile(t->group_shift, region); break;
	case 4: h->nr_frames = hostile(t->nr_frames, region); break;
	case 5: h->summary_offset = hostile(t->summary_offset, region); break;
	case 6: h->states_offset = hostile(t->states_offset, region); break;
	case 7: h->table_size = hostile(t->table_size, region); break;
	default: /* a consistent lie: more frames, the layout grown to match */
		h->nr_frames = hostile(t->nr_frames, region);
		h->table_size = hostile(t->table_size, region);
		break;
	}
}

int main(int argc, char **argv)
{
	struct gph_table_header t, *h;
	struct timespec end, now;
	unsigned long written = 0;
	unsigned char *mem;
	size_t region, i, states_end;
	int mode;

	if (argc != 3 || (strcmp(argv[1], "random") && strcmp(argv[1], "fields") &&
			  strcmp(argv[1], "bytes"))) {
		fprintf(stderr, "usage: tabgarbage random|fields|bytes SECONDS\n");
		return 1;
	}
	mode = argv[1][0];
	mem = map_bar2(&region);
	if (!mem)
		return 1;
	h = (struct gph_table_header *)mem;
	memcpy(&t, h, sizeof(t));
	if (t.magic != GPH_TABLE_MAGIC || t.version != GPH_TABLE_VERSION ||
	    t.table_size > region || t.states_offset + t.nr_frames > region) {
		fprintf(stderr, "tabgarbage: no gph table to start from (load gph.ko once first)\n");
		return 1;
	}
	states_end = t.states_offset + t.nr_frames;
	srandom(getpid());
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += atoi(argv[2]);
	t.guest_flags = GPH_GUEST_ATTACHED | GPH_GUEST_ENABLED;
	t.generation++;
	do {
		t.guest_beat++;
		switch (mode) {
		case 'r':
			for (i = 0; i < t.states_offset; i += 8)
				*(uint64_t *)(mem + i) = rnd();
			h->guest_beat = t.guest_beat;	/* let it be looked at */
			break;
		case 'f':
			memcpy(h, &t, sizeof(t));
			corrupt_field(h, &t, region);
			if (random() % 2)
				corrupt_field(h, &t, region);
			break;
		case 'b':
			memcpy(h, &t, sizeof(t));
			memset(mem + t.summary_offset, 0xff, t.states_offset - t.summary_offset);
			for (i = t.states_offset; i < states_end; i++) {
				unsigned char v = random();

				mem[i] = v == GPH_UNUSED || v == GPH_VOLATILE ? GPH_BUSY : v;
			}
			break;
		}
		written++;
		usleep(20000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	memcpy(h, &t, sizeof(t));	/* the template, for the next mode */
	printf("tabgarbage %s: %lu garbage tables in %s s\n", argv[1], written, argv[2]);
	return 0;
}
