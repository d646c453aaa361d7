// SPDX-License-Identifier: GPL-2.0
/*
 * gphstat: vmstat-like view of gph's page states, from the module's sysfs
 * counters (/sys/kernel/mm/gph/stats/).
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "gph_abi.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* a counter could not be read */
	EXIT_USAGE = 2,		/* bad options */
	EXIT_NO_MODULE = 3,	/* gph.ko is not loaded */
};

#define STATS "/sys/kernel/mm/gph/stats"

static const char *const state_names[] = { "stable", "unused", "volatile", "discarded" };
#define NR_SHOWN_STATES 4

struct sample {
	long long pages[NR_SHOWN_STATES];
	unsigned long long to_unused, to_stable, backend_ops, host_drops;
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
"then per second: pages hinted unused, pages made stable, backend operations\n"
"(ESSA or compare-and-exchange) and pages the host dropped. The first line\n"
"shows states only.\n"
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
	if (read_file("transitions", buf, sizeof(buf)))
		return -1;
	save = NULL;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char from[32], to[32];
		unsigned long long v;

		if (sscanf(line, "%31s %31s %llu", from, to, &v) != 3)
			continue;
		if (!strcmp(to, "unused"))
			s->to_unused += v;
		else if (!strcmp(to, "stable"))
			s->to_stable += v;
	}
	if (read_ull("backend_ops", &s->backend_ops) || read_ull("host_drops", &s->host_drops))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->t = ts.tv_sec + ts.tv_nsec / 1e9;
	return 0;
}

static double rate(unsigned long long now, unsigned long long then, double dt)
{
	return dt > 0 ? (now - then) / dt : 0;
}

static const char *const rate_names[] = { "to_unused", "to_stable", "backend_ops", "host_drops" };
#define NR_RATES 4

static void print(const struct sample *s, const struct sample *prev, int line)
{
	double dt = prev ? s->t - prev->t : 0, r[NR_RATES] = {};
	int i;

	if (prev) {
		r[0] = rate(s->to_unused, prev->to_unused, dt);
		r[1] = rate(s->to_stable, prev->to_stable, dt);
		r[2] = rate(s->backend_ops, prev->backend_ops, dt);
		r[3] = rate(s->host_drops, prev->host_drops, dt);
	}
	if (env.json) {
		printf("{\"pages\":{");
		for (i = 0; i < NR_SHOWN_STATES; i++)
			printf("%s\"%s\":%lld", i ? "," : "", state_names[i], s->pages[i]);
		printf("}");
		if (prev) {
			printf(",\"per_sec\":{");
			for (i = 0; i < NR_RATES; i++)
				printf("%s\"%s\":%.1f", i ? "," : "", rate_names[i], r[i]);
			printf("}");
		}
		printf("}\n");
	} else {
		if (line % 20 == 0)
			printf("%10s %8s %10s %8s %10s %8s %10s %8s %10s %10s %10s %10s\n",
			       "stable", "MiB", "unused", "MiB", "volatile", "MiB", "discarded", "MiB",
			       "unused/s", "stable/s", "ops/s", "drops/s");
		for (i = 0; i < NR_SHOWN_STATES; i++)
			printf("%10lld %8lld ", s->pages[i], s->pages[i] * 4096 >> 20);
		for (i = 0; i < NR_RATES; i++) {
			if (prev)
				printf("%10.0f%s", r[i], i == NR_RATES - 1 ? "\n" : " ");
			else
				printf("%10s%s", "-", i == NR_RATES - 1 ? "\n" : " ");
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
