// SPDX-License-Identifier: GPL-2.0
/*
 * gphtrace: gph page-state transitions through BPF. Streams them as they
 * happen, with filters, or pins the transition counter under
 * /sys/fs/bpf/gph/ for `bpftool map dump pinned /sys/fs/bpf/gph/transitions`.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "gph_events.h"
#include "gph.skel.h"

/* Exit codes, documented in --help. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* BPF load, attach or pin failed */
	EXIT_USAGE = 2,		/* bad options */
	EXIT_NO_MODULE = 3,	/* gph.ko is not loaded */
	EXIT_NO_PERM = 4,	/* not root / no CAP_BPF */
};

#define GPH_SYSFS "/sys/kernel/mm/gph"
#define GPH_PIN_DEFAULT "/sys/fs/bpf/gph"

/* Order of enum gph_state and enum gph_reason. */
static const char *const state_names[GPH_NR_STATES] = {
	"stable", "unused", "volatile", "discarded", "busy", "pending",
};
static const char *const reason_names[GPH_NR_REASONS] = {
	"free", "alloc", "load", "unload", "host", "idle", "use",
};

static struct env {
	enum { ACT_STREAM, ACT_PIN, ACT_UNPIN } action;
	const char *pin_dir;
	int verbose;
	unsigned int pid;
	unsigned int state_mask;
	double duration;
} env = { .pin_dir = GPH_PIN_DEFAULT };

static volatile sig_atomic_t exiting;

const char *argp_program_version = "gphtrace 0.1";
static const char doc[] =
"Trace gph page-state transitions with BPF.\n"
"\n"
"USAGE: gphtrace [-p PID] [-s STATE]... [--discards-only] [-d SEC]\n"
"       gphtrace --pin [DIR] | --unpin [DIR]\n"
"\n"
"Without --pin or --unpin, prints every page-state transition as it happens:\n"
"TIME(s) PID COMM PFN PAGES OLD -> NEW REASON, until interrupted or for SEC\n"
"seconds. PID and COMM are the task that caused it (frees and allocations\n"
"run in any task). STATE is stable, unused, volatile or discarded and keeps\n"
"the transitions into or out of it; give -s more than once for several.\n"
"\n"
"--pin loads the BPF programs, attaches them to the gph:gph_state tracepoint\n"
"(tp_btf through the module's BTF, raw_tp when that is missing) and pins the\n"
"attachment and the 'transitions' map under DIR (default " GPH_PIN_DEFAULT "), then\n"
"exits: counting goes on until --unpin.\n"
"\n"
"EXAMPLES:\n"
"  gphtrace -d 5                   # five seconds of transitions\n"
"  gphtrace -p 1234 -s unused      # what process 1234 frees and allocates\n"
"  gphtrace --discards-only        # pages the host discarded\n"
"  gphtrace --pin\n"
"  bpftool map dump pinned " GPH_PIN_DEFAULT "/transitions\n"
"  gphtrace --unpin\n"
"\n"
"EXIT STATUS: 0 success, 1 BPF failure, 2 bad usage, 3 gph.ko not loaded,\n"
"4 not permitted (run as root).";

enum { OPT_PIN = 256, OPT_UNPIN, OPT_DISCARDS };

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Only transitions caused by process PID", 0 },
	{ "state", 's', "STATE", 0, "Only transitions into or out of STATE", 0 },
	{ "discards-only", OPT_DISCARDS, NULL, 0, "Only pages the host discarded (-s discarded)", 0 },
	{ "duration", 'd', "SEC", 0, "Stop streaming after SEC seconds", 0 },
	{ "pin", OPT_PIN, "DIR", OPTION_ARG_OPTIONAL, "Attach, pin under DIR, exit", 0 },
	{ "unpin", OPT_UNPIN, "DIR", OPTION_ARG_OPTIONAL, "Detach: remove what --pin left in DIR", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf debug output", 0 },
	{},
};

static int parse_state(const char *name)
{
	int i;

	for (i = 0; i < GPH_BUSY; i++)
		if (!strcmp(name, state_names[i]))
			return i;
	return -1;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char *end;
	long v;
	int st;

	switch (key) {
	case 'p':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v <= 0 || v > 0x7fffffff)
			argp_error(state, "invalid PID '%s'", arg);
		env.pid = v;
		break;
	case 's':
		st = parse_state(arg);
		if (st < 0)
			argp_error(state, "unknown state '%s': want stable, unused, volatile or discarded", arg);
		env.state_mask |= 1u << st;
		break;
	case OPT_DISCARDS:
		env.state_mask |= 1u << GPH_DISCARDED;
		break;
	case 'd':
		errno = 0;
		env.duration = strtod(arg, &end);
		if (errno || *end || env.duration <= 0)
			argp_error(state, "invalid duration '%s': want seconds > 0", arg);
		break;
	case OPT_PIN:
	case OPT_UNPIN:
		if (env.action != ACT_STREAM)
			argp_error(state, "--pin and --unpin exclude each other");
		env.action = key == OPT_PIN ? ACT_PIN : ACT_UNPIN;
		if (arg) {
			if (arg[0] != '/')
				argp_error(state, "DIR must be an absolute path: '%s'", arg);
			env.pin_dir = arg;
		}
		break;
	case 'v':
		env.verbose = 1;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (env.action != ACT_STREAM && (env.pid || env.state_mask || env.duration))
			argp_error(state, "filters and --duration apply to streaming, not to --pin/--unpin");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int path_in(char *buf, size_t len, const char *name)
{
	if ((size_t)snprintf(buf, len, "%s/%s", env.pin_dir, name) >= len) {
		fprintf(stderr, "gphtrace: pin path too long: %s/%s\n", env.pin_dir, name);
		return -1;
	}
	return 0;
}

static int unpin(void)
{
	static const char *const names[] = { "transitions", "link_gph_state" };
	char path[512];
	int i, err = EXIT_OK;

	for (i = 0; i < 2; i++) {
		if (path_in(path, sizeof(path), names[i]))
			return EXIT_USAGE;
		if (unlink(path) && errno != ENOENT) {
			fprintf(stderr, "gphtrace: cannot remove %s: %s\n", path, strerror(errno));
			err = errno == EPERM || errno == EACCES ? EXIT_NO_PERM : EXIT_FAIL;
		}
	}
	if (rmdir(env.pin_dir) && errno != ENOENT && errno != ENOTEMPTY)
		fprintf(stderr, "gphtrace: cannot remove %s: %s\n", env.pin_dir, strerror(errno));
	return err;
}

/* Load with tp_btf; if the module's BTF is not usable, with raw_tp. */
static struct gph_bpf *load(struct bpf_program **prog)
{
	struct gph_bpf *obj;
	int btf;

	for (btf = 1; btf >= 0; btf--) {
		obj = gph_bpf__open();
		if (!obj)
			return NULL;
		obj->rodata->stream = env.action == ACT_STREAM;
		obj->rodata->targ_pid = env.pid;
		obj->rodata->state_mask = env.state_mask;
		bpf_program__set_autoload(obj->progs.gph_state_btf, btf);
		bpf_program__set_autoload(obj->progs.gph_state_raw, !btf);
		if (!gph_bpf__load(obj)) {
			*prog = btf ? obj->progs.gph_state_btf : obj->progs.gph_state_raw;
			if (env.verbose)
				fprintf(stderr, "gphtrace: attached as %s\n", btf ? "tp_btf" : "raw_tp");
			return obj;
		}
		gph_bpf__destroy(obj);
		if (btf)
			fprintf(stderr, "gphtrace: tp_btf unavailable (no module BTF?), trying raw_tp\n");
	}
	return NULL;
}

/* Load (tp_btf, else raw_tp) and attach to gph:gph_state; errors are printed. */
static struct gph_bpf *load_and_attach(struct bpf_link **link)
{
	struct bpf_program *prog = NULL;
	struct gph_bpf *obj;

	obj = load(&prog);
	if (!obj) {
		fprintf(stderr, "gphtrace: cannot load the BPF programs (-v shows why)\n");
		return NULL;
	}
	*link = bpf_program__attach(prog);
	if (!*link) {
		fprintf(stderr, "gphtrace: cannot attach to gph:gph_state: %s\n", strerror(errno));
		gph_bpf__destroy(obj);
		return NULL;
	}
	return obj;
}

static int pin(void)
{
	struct bpf_link *link = NULL;
	struct gph_bpf *obj;
	char path[512];
	int err = EXIT_FAIL;

	obj = load_and_attach(&link);
	if (!obj)
		return EXIT_FAIL;
	if (mkdir(env.pin_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "gphtrace: cannot create %s: %s (is bpffs mounted on /sys/fs/bpf?)\n",
			env.pin_dir, strerror(errno));
		goto cleanup;
	}
	if (path_in(path, sizeof(path), "transitions") ||
	    bpf_map__pin(obj->maps.transitions, path)) {
		fprintf(stderr, "gphtrace: cannot pin %s: %s\n", path, strerror(errno));
		goto cleanup;
	}
	if (path_in(path, sizeof(path), "link_gph_state") || bpf_link__pin(link, path)) {
		fprintf(stderr, "gphtrace: cannot pin %s: %s\n", path, strerror(errno));
		unpin();
		goto cleanup;
	}
	printf("gphtrace: counting into %s/transitions\n", env.pin_dir);
	err = EXIT_OK;
cleanup:
	bpf_link__destroy(link);
	gph_bpf__destroy(obj);
	return err;
}

static void on_signal(int sig)
{
	exiting = 1;
}

static int handle_event(void *ctx, void *data, size_t len)
{
	const struct gph_state_event *e = data;

	if (len < sizeof(*e))
		return 0;
	printf("%12.6f %7u %-16.16s 0x%-10llx %6u %-9s -> %-9s %s\n", e->ts_ns / 1e9, e->pid,
	       e->comm, (unsigned long long)e->pfn, e->nr_pages,
	       e->old < GPH_NR_STATES ? state_names[e->old] : "?",
	       e->new < GPH_NR_STATES ? state_names[e->new] : "?",
	       e->reason < GPH_NR_REASONS ? reason_names[e->reason] : "?");
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int stream(void)
{
	struct ring_buffer *rb = NULL;
	struct bpf_link *link = NULL;
	struct gph_bpf *obj;
	int err = EXIT_FAIL;
	double end;

	obj = load_and_attach(&link);
	if (!obj)
		return EXIT_FAIL;
	rb = ring_buffer__new(bpf_map__fd(obj->maps.events), handle_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "gphtrace: cannot open the event ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("%12s %7s %-16s %-12s %6s %-9s    %-9s %s\n", "TIME(s)", "PID", "COMM", "PFN",
	       "PAGES", "OLD", "NEW", "REASON");
	end = env.duration ? now() + env.duration : 0;
	while (!exiting && (!end || now() < end)) {
		int n = ring_buffer__poll(rb, 100);

		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "gphtrace: polling the ring buffer: %s\n", strerror(-n));
			goto cleanup;
		}
	}
	ring_buffer__consume(rb);
	err = EXIT_OK;
cleanup:
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	gph_bpf__destroy(obj);
	return err;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	int err;

	argp_err_exit_status = EXIT_USAGE;
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return EXIT_USAGE;
	libbpf_set_print(libbpf_print);

	if (geteuid() != 0) {
		fprintf(stderr, "gphtrace: must run as root (BPF and bpffs need it)\n");
		return EXIT_NO_PERM;
	}
	if (env.action == ACT_UNPIN)
		return unpin();
	if (access(GPH_SYSFS, F_OK)) {
		fprintf(stderr, "gphtrace: gph.ko is not loaded (%s missing); load it first: insmod gph.ko\n",
			GPH_SYSFS);
		return EXIT_NO_MODULE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return env.action == ACT_PIN ? pin() : stream();
}
