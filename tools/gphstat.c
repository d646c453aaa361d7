// SPDX-License-Identifier: GPL-2.0
/*
 * gphstat: vmstat-like view of gph's page states, from the module's sysfs
 * counters (/sys/kernel/mm/gph/stats/), plus what BPF counted when
 * `gphtrace --pin` has pinned /sys/fs/bpf/gph/transitions and
 * /sys/fs/bpf/gph/discards_by_file.
 */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "gph_events.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* a counter could not be read */
	EXIT_USAGE = 2,		/* bad options */
	EXIT_NO_MODULE = 3,	/* gph.ko is not loaded */
};

#define STATS "/sys/kernel/mm/gph/stats"
#define BPF_TRANSITIONS "/sys/fs/bpf/gph/transitions"
#define BPF_DISCARDS "/sys/fs/bpf/gph/discards_by_file"

/* Order of enum gph_state. */
static const char *const state_names[GPH_NR_STATES] = {
	"stable", "unused", "volatile", "discarded", "busy", "pending",
};
#define NR_SHOWN_STATES 4	/* busy is host-internal */

struct sample {
	long long pages[NR_SHOWN_STATES];
	/* pages moved old -> new, by the module's counters and by BPF */
	unsigned long long mod[GPH_NR_STATES][GPH_NR_STATES];
	unsigned long long bpf[GPH_NR_STATES][GPH_NR_STATES];
	unsigned long long to_unused, to_stable, to_volatile, backend_ops, host_drops;
	unsigned long long discards, rereads, bpf_pages;
	unsigned long long bpf_discards, bpf_rereads;	/* summed over files */
	int has_bpf;		/* the pinned maps were readable */
	int consistent;		/* module counters did not move while BPF was read */
	double t;
};

static struct env {
	double interval;
	long count;
	int json;
} env = { .interval = 1, .count = -1 };

static volatile sig_atomic_t exiting;

const char *argp_program_version = "gphstat 0.1";
static const char doc[] =
"Show gph page states and transition rates, like vmstat.\n"
"\n"
"USAGE: gphstat [-i SEC] [-c COUNT] [--json]\n"
"\n"
"Each line: pages and MiB per state (stable, unused, volatile, discarded),\n"
"then per second: pages hinted unused, pages made stable, pages made\n"
"volatile, backend operations (ESSA or compare-and-exchange), pages the host\n"
"dropped, discarded folios the guest removed, and those read back in. With\n"
"BPF counting (gphtrace --pin), also the pages BPF saw change state (bpf/s)\n"
"and the discarded folios BPF counted, summed over files (bpfdisc/s). The\n"
"first line shows states only. --json adds the transition, discard and\n"
"re-read counts by the module and by BPF, read as one consistent snapshot\n"
"(\"consistent\": true).\n"
"\n"
"EXAMPLES:\n"
"  gphstat              # every second until interrupted\n"
"  gphstat -i 5 -c 3    # three lines, five seconds apart\n"
"  gphstat -c 1 --json  # one JSON object, for scripts\n"
"\n"
"EXIT STATUS: 0 success, 1 a counter could not be read, 2 bad usage,\n"
"3 gph.ko not loaded.";

static const struct argp_option opts[] = {
	{ "interval", 'i', "SEC", 0, "Seconds between lines (default 1; > 0)", 0 },
	{ "count", 'c', "COUNT", 0, "Stop after COUNT lines (default: run until interrupted)", 0 },
	{ "json", 'j', NULL, 0, "One JSON object per line", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char *end;

	switch (key) {
	case 'i':
		errno = 0;
		env.interval = strtod(arg, &end);
		if (errno || *end || env.interval <= 0 || env.interval > 86400)
			argp_error(state, "invalid interval '%s': want seconds in (0, 86400]", arg);
		break;
	case 'c':
		errno = 0;
		env.count = strtol(arg, &end, 10);
		if (errno || *end || env.count <= 0)
			argp_error(state, "invalid count '%s': want a positive integer", arg);
		break;
	case 'j':
		env.json = 1;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int read_file(const char *name, char *buf, size_t len)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), STATS "/%s", name);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "gphstat: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

static int read_ull(const char *name, unsigned long long *v)
{
	char buf[64];

	if (read_file(name, buf, sizeof(buf)))
		return -1;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

static int state_index(const char *name)
{
	int i;

	for (i = 0; i < GPH_NR_STATES; i++)
		if (!strcmp(name, state_names[i]))
			return i;
	return -1;
}

/* stats/transitions: "old new pages" lines. */
static int read_transitions(unsigned long long m[GPH_NR_STATES][GPH_NR_STATES])
{
	char buf[4096], *line, *save = NULL;

	/*
	 * Kept open and re-read with pread(): opening a sysfs file allocates
	 * kernel memory, and those page allocations would themselves show up
	 * as transitions while a consistent snapshot is being taken.
	 */
	static int fd = -1;
	ssize_t n;

	memset(m, 0, sizeof(unsigned long long) * GPH_NR_STATES * GPH_NR_STATES);
	if (fd < 0)
		fd = open(STATS "/transitions", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0) {
		fprintf(stderr, "gphstat: cannot read " STATS "/transitions: %s\n", strerror(errno));
		return -1;
	}
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char from[32], to[32];
		unsigned long long v;
		int a, b;

		if (sscanf(line, "%31s %31s %llu", from, to, &v) != 3)
			continue;
		a = state_index(from);
		b = state_index(to);
		if (a >= 0 && b >= 0)
			m[a][b] = v;
	}
	return 0;
}

/* The pinned BPF map, summed over reasons; 0 if read, -1 if absent. */
static int read_bpf(unsigned long long m[GPH_NR_STATES][GPH_NR_STATES])
{
	struct gph_transition_key key, next, *prev = NULL;
	struct gph_transition_val val;
	static int fd = -1;	/* kept open, like the sysfs file */

	memset(m, 0, sizeof(unsigned long long) * GPH_NR_STATES * GPH_NR_STATES);
	if (fd < 0)
		fd = bpf_obj_get(BPF_TRANSITIONS);
	if (fd < 0)
		return -1;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		if ((unsigned int)key.old < GPH_NR_STATES && (unsigned int)key.new < GPH_NR_STATES)
			m[key.old][key.new] += val.pages;
	}
	return 0;
}

/* The module's counters that BPF also counts: transitions, discards, re-reads. */
static int read_module_counts(unsigned long long m[GPH_NR_STATES][GPH_NR_STATES],
			      unsigned long long *discards, unsigned long long *rereads)
{
	return read_transitions(m) || read_ull("discards", discards) ||
	       read_ull("rereads", rereads) ? -1 : 0;
}

/* discards_by_file, summed over files; 0 if read, -1 if absent. */
static int read_bpf_discards(unsigned long long *discards, unsigned long long *rereads)
{
	struct gph_file_key key, next;
	struct gph_file_val val;
	static int fd = -1;	/* kept open, like the sysfs file */
	int first = 1;

	*discards = *rereads = 0;
	if (fd < 0)
		fd = bpf_obj_get(BPF_DISCARDS);
	if (fd < 0)
		return -1;
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		key = next;
		first = 0;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		*discards += val.discards;
		*rereads += val.rereads;
	}
	return 0;
}

static int sample(struct sample *s)
{
	char buf[4096], *line, *save = NULL;
	struct timespec ts;
	int i;

	memset(s, 0, sizeof(*s));
	/* stats/states: every state from one pass, so they add up. */
	if (read_file("states", buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[32];
		long long v;

		if (sscanf(line, "%31s %lld", name, &v) != 2)
			continue;
		for (i = 0; i < NR_SHOWN_STATES; i++)
			if (!strcmp(name, state_names[i]))
				s->pages[i] = v;
	}
	if (read_module_counts(s->mod, &s->discards, &s->rereads) ||
	    read_ull("backend_ops", &s->backend_ops) || read_ull("host_drops", &s->host_drops))
		return -1;
	/*
	 * BPF's counts: a snapshot is consistent when the module's counters
	 * did not move while the maps were read (the module traces before it
	 * counts, so the maps cannot be behind). Retry a few times, each time
	 * from the module's counters read last.
	 */
	for (i = 0; i < 40 && !s->consistent; i++) {
		unsigned long long again[GPH_NR_STATES][GPH_NR_STATES], discards, rereads;
		struct timespec pause = { 0, 50 * 1000 * 1000 };

		if (i)	/* let a burst of page traffic pass */
			nanosleep(&pause, NULL);
		if (read_bpf(s->bpf) || read_bpf_discards(&s->bpf_discards, &s->bpf_rereads))
			break;
		s->has_bpf = 1;
		if (read_module_counts(again, &discards, &rereads))
			return -1;
		s->consistent = !memcmp(again, s->mod, sizeof(again)) &&
				discards == s->discards && rereads == s->rereads;
		memcpy(s->mod, again, sizeof(again));
		s->discards = discards;
		s->rereads = rereads;
	}
	/* Derived from the module's counters as the snapshot left them. */
	for (i = 0; i < GPH_NR_STATES; i++) {
		s->to_unused += s->mod[i][GPH_UNUSED];
		s->to_stable += s->mod[i][GPH_STABLE];
		s->to_volatile += s->mod[i][GPH_VOLATILE];
	}
	s->bpf_pages = 0;
	for (i = 0; i < GPH_NR_STATES * GPH_NR_STATES; i++)
		s->bpf_pages += s->bpf[i / GPH_NR_STATES][i % GPH_NR_STATES];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->t = ts.tv_sec + ts.tv_nsec / 1e9;
	return 0;
}

static double rate(unsigned long long now, unsigned long long then, double dt)
{
	return dt > 0 ? (now - then) / dt : 0;
}

static const char *const rate_names[] = {
	"to_unused", "to_stable", "to_volatile", "backend_ops", "host_drops",
	"discards", "rereads", "bpf_pages", "bpf_discards",
};
#define NR_RATES 9	/* the last NR_BPF_RATES only with BPF */
#define NR_BPF_RATES 2

/* "transitions":[{"old":…,"new":…,"module":N[,"bpf":N]},…] for every pair seen. */
static void print_json_transitions(const struct sample *s)
{
	int a, b, first = 1;

	printf(",\"bpf\":%s,\"consistent\":%s,\"discards\":{\"module\":%llu",
	       s->has_bpf ? "true" : "false", s->consistent ? "true" : "false", s->discards);
	if (s->has_bpf)
		printf(",\"bpf\":%llu", s->bpf_discards);
	printf("},\"rereads\":{\"module\":%llu", s->rereads);
	if (s->has_bpf)
		printf(",\"bpf\":%llu", s->bpf_rereads);
	printf("},\"transitions\":[");
	for (a = 0; a < GPH_NR_STATES; a++)
		for (b = 0; b < GPH_NR_STATES; b++) {
			if (!s->mod[a][b] && !s->bpf[a][b])
				continue;
			printf("%s{\"old\":\"%s\",\"new\":\"%s\",\"module\":%llu", first ? "" : ",",
			       state_names[a], state_names[b], s->mod[a][b]);
			if (s->has_bpf)
				printf(",\"bpf\":%llu", s->bpf[a][b]);
			printf("}");
			first = 0;
		}
	printf("]");
}

static void print(const struct sample *s, const struct sample *prev, int line)
{
	double dt = prev ? s->t - prev->t : 0, r[NR_RATES] = {};
	int i;

	if (prev) {
		r[0] = rate(s->to_unused, prev->to_unused, dt);
		r[1] = rate(s->to_stable, prev->to_stable, dt);
		r[2] = rate(s->to_volatile, prev->to_volatile, dt);
		r[3] = rate(s->backend_ops, prev->backend_ops, dt);
		r[4] = rate(s->host_drops, prev->host_drops, dt);
		r[5] = rate(s->discards, prev->discards, dt);
		r[6] = rate(s->rereads, prev->rereads, dt);
		r[7] = rate(s->bpf_pages, prev->bpf_pages, dt);
		r[8] = rate(s->bpf_discards, prev->bpf_discards, dt);
	}
	if (env.json) {
		printf("{\"pages\":{");
		for (i = 0; i < NR_SHOWN_STATES; i++)
			printf("%s\"%s\":%lld", i ? "," : "", state_names[i], s->pages[i]);
		printf("}");
		if (prev) {
			printf(",\"per_sec\":{");
			for (i = 0; i < NR_RATES - (s->has_bpf ? 0 : NR_BPF_RATES); i++)
				printf("%s\"%s\":%.1f", i ? "," : "", rate_names[i], r[i]);
			printf("}");
		}
		print_json_transitions(s);
		printf("}\n");
	} else {
		/* BPF columns only with BPF */
		int nr = NR_RATES - (s->has_bpf ? 0 : NR_BPF_RATES);

		if (line % 20 == 0)
			printf("%10s %8s %10s %8s %10s %8s %10s %8s %10s %10s %10s %10s %10s %10s %10s%s\n",
			       "stable", "MiB", "unused", "MiB", "volatile", "MiB", "discarded", "MiB",
			       "unused/s", "stable/s", "volatile/s", "ops/s", "drops/s",
			       "discards/s", "rereads/s",
			       s->has_bpf ? "      bpf/s  bpfdisc/s" : "");
		for (i = 0; i < NR_SHOWN_STATES; i++)
			printf("%10lld %8lld ", s->pages[i], s->pages[i] * 4096 >> 20);
		for (i = 0; i < nr; i++) {
			if (prev)
				printf("%10.0f%s", r[i], i == nr - 1 ? "\n" : " ");
			else
				printf("%10s%s", "-", i == nr - 1 ? "\n" : " ");
		}
	}
	fflush(stdout);
}

static void on_signal(int sig)
{
	exiting = 1;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct sample prev, cur;
	struct timespec ts;
	long n;

	argp_err_exit_status = EXIT_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return EXIT_USAGE;
	if (access(STATS, F_OK)) {
		fprintf(stderr, "gphstat: gph.ko is not loaded (%s missing); load it first: insmod gph.ko\n",
			STATS);
		return EXIT_NO_MODULE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (sample(&prev))
		return EXIT_FAIL;
	print(&prev, NULL, 0);
	ts.tv_sec = (time_t)env.interval;
	ts.tv_nsec = (long)((env.interval - ts.tv_sec) * 1e9);
	for (n = 1; !exiting && (env.count < 0 || n < env.count); n++) {
		if (nanosleep(&ts, NULL) && exiting)
			break;
		if (sample(&cur))
			return EXIT_FAIL;
		print(&cur, &prev, (int)n);
		prev = cur;
	}
	return EXIT_OK;
}
