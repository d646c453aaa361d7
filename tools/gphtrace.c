// SPDX-License-Identifier: GPL-2.0
/*
 * gphtrace: gph page-state transitions and discards through BPF. Streams
 * them as they happen, with filters; counts discards per file for a while
 * and prints the top files (--top); or pins the counters under
 * /sys/fs/bpf/gph/ for `bpftool map dump pinned /sys/fs/bpf/gph/transitions`.
 */
#define _GNU_SOURCE		/* FTW_ACTIONRETVAL */
#include <argp.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <time.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
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
	"free", "alloc", "load", "unload", "host", "idle", "use", "fault",
};

/* What --pin leaves in DIR, and --unpin removes. */
static const char *const pinned_maps[] = {
	"transitions", "discards_by_file", "discards_by_cgroup",
	"volatile_lifetime", "reread_latency",
};
#define NR_PINNED_MAPS (sizeof(pinned_maps) / sizeof(pinned_maps[0]))

/* The tracepoints, in the order of tp_names[] and the links. */
enum { TP_STATE, TP_HOST, TP_DISCARD, TP_REREAD, NR_TPS };
static const char *const tp_names[NR_TPS] = {
	"gph_state", "gph_host", "gph_discard", "gph_reread",
};

#define KIND(k) (1u << (k))
#define KINDS_DISCARD (KIND(GPH_EV_DISCARD) | KIND(GPH_EV_REREAD))

static struct env {
	enum { ACT_STREAM, ACT_PIN, ACT_UNPIN, ACT_TOP } action;
	const char *pin_dir;
	int verbose;
	unsigned int pid;
	unsigned int state_mask;
	unsigned int kind_mask;		/* event kinds to stream; 0: all */
	double duration;
	const char *file;		/* --file: its kernel dev_t and inode */
	__u32 file_dev;
	__u64 file_ino;
	long top;			/* --top N */
	const char *root;		/* --root: where --top looks for paths */
} env = { .pin_dir = GPH_PIN_DEFAULT };

static volatile sig_atomic_t exiting;

const char *argp_program_version = "gphtrace 0.2";
static const char doc[] =
"Trace gph page-state transitions and discards with BPF.\n"
"\n"
"USAGE: gphtrace [-p PID] [-s STATE]... [--discards-only] [-d SEC]\n"
"       gphtrace --file PATH [-p PID] [-d SEC]\n"
"       gphtrace --top N [--root DIR] [-d SEC]\n"
"       gphtrace --pin [DIR] | --unpin [DIR]\n"
"\n"
"Without --top, --pin or --unpin, prints events as they happen, until\n"
"interrupted or for SEC seconds. A page-state transition:\n"
"  TIME(s) PID COMM PFN PAGES OLD -> NEW REASON\n"
"a folio the guest found discarded by the host and removed (gph_discard):\n"
"  TIME(s) PID COMM PFN PAGES discard MAJ:MIN ino=INODE index=INDEX file|swap\n"
"and such a folio read back in (gph_reread), DELAY after the discard, PAGES\n"
"the folio read back:\n"
"  TIME(s) PID COMM - PAGES reread MAJ:MIN ino=INODE index=INDEX delay=DELAYus\n"
"PID and COMM are the task that caused it (frees and allocations run in any\n"
"task). STATE is stable, unused, volatile or discarded and keeps only the\n"
"transitions into or out of it; give -s more than once for several.\n"
"--discards-only keeps only discard and re-read events; --file only those\n"
"of the file PATH (matched by device and inode).\n"
"\n"
"--top N counts discards per file for SEC seconds (or until interrupted),\n"
"then prints the N files with most pages discarded: PAGES DISCARDS REREADS\n"
"FILE. A discard removes a whole folio: PAGES counts 2^order for each (a\n"
"2 MiB folio is 512), DISCARDS the folios. FILE is the first path under DIR\n"
"(default /) with that device and inode, or MAJOR:MINOR:INODE when there is\n"
"none.\n"
"\n"
"--pin loads the BPF programs, attaches them to the gph:gph_state, gph_host,\n"
"gph_discard and gph_reread tracepoints (tp_btf through the module's BTF,\n"
"raw_tp when that is missing) and pins the links and the maps under DIR\n"
"(default " GPH_PIN_DEFAULT "), then exits: counting goes on until --unpin.\n"
"Maps: transitions (old, new, reason -> events, pages), discards_by_file\n"
"({dev, ino} -> discards, rereads, pages; dev is the kernel's MAJOR << 20 |\n"
"MINOR), discards_by_cgroup (cgroup id -> discards, pages), and log2\n"
"histograms in ns\n"
"(slot n: [2^n, 2^(n+1))): volatile_lifetime (a folio volatile until the\n"
"host discarded it), reread_latency (discard found until read back). The\n"
"histograms count pages: each folio's sample adds 2^order.\n"
"\n"
"EXAMPLES:\n"
"  gphtrace -d 5                   # five seconds of transitions and discards\n"
"  gphtrace -p 1234 -s unused      # what process 1234 frees and allocates\n"
"  gphtrace --discards-only        # folios the host discarded, as found\n"
"  gphtrace --file /var/log/syslog # discards of one file\n"
"  gphtrace --top 10 --root /srv -d 60   # the ten files most discarded\n"
"  gphtrace --pin\n"
"  bpftool map dump pinned " GPH_PIN_DEFAULT "/discards_by_file\n"
"  gphtrace --unpin\n"
"\n"
"EXIT STATUS: 0 success, 1 BPF failure, 2 bad usage, 3 gph.ko not loaded,\n"
"4 not permitted (run as root).";

enum { OPT_PIN = 256, OPT_UNPIN, OPT_DISCARDS, OPT_FILE, OPT_TOP, OPT_ROOT };

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "Only events caused by process PID", 0 },
	{ "state", 's', "STATE", 0, "Only transitions into or out of STATE", 0 },
	{ "discards-only", OPT_DISCARDS, NULL, 0,
	  "Only folios found discarded (gph_discard) and their re-reads", 0 },
	{ "file", OPT_FILE, "PATH", 0, "Only discards and re-reads of the regular file PATH", 0 },
	{ "duration", 'd', "SEC", 0, "Stop after SEC seconds", 0 },
	{ "top", OPT_TOP, "N", 0, "Count discards per file, then print the N top files", 0 },
	{ "root", OPT_ROOT, "DIR", 0, "--top: find file paths under DIR (default /)", 0 },
	{ "pin", OPT_PIN, "DIR", OPTION_ARG_OPTIONAL, "Attach, pin under DIR, exit", 0 },
	{ "unpin", OPT_UNPIN, "DIR", OPTION_ARG_OPTIONAL, "Detach: remove what --pin left in DIR", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf debug output", 0 },
	{},
};

/* The tracepoints' dev_t: MKDEV() with a 20-bit minor, not glibc's st_dev. */
static __u32 kernel_dev(dev_t dev)
{
	return (__u32)major(dev) << 20 | minor(dev);
}

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
	struct stat st;
	char *end;
	long v;
	int st_idx;

	switch (key) {
	case 'p':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v <= 0 || v > 0x7fffffff)
			argp_error(state, "invalid PID '%s'", arg);
		env.pid = v;
		break;
	case 's':
		st_idx = parse_state(arg);
		if (st_idx < 0)
			argp_error(state, "unknown state '%s': want stable, unused, volatile or discarded", arg);
		env.state_mask |= 1u << st_idx;
		env.kind_mask |= KIND(GPH_EV_STATE);
		break;
	case OPT_DISCARDS:
		env.kind_mask |= KINDS_DISCARD;
		break;
	case OPT_FILE:
		if (stat(arg, &st))
			argp_error(state, "--file '%s': %s", arg, strerror(errno));
		if (!S_ISREG(st.st_mode))
			argp_error(state, "--file '%s': not a regular file", arg);
		env.file = arg;
		env.file_dev = kernel_dev(st.st_dev);
		env.file_ino = st.st_ino;
		env.kind_mask |= KINDS_DISCARD;
		break;
	case 'd':
		errno = 0;
		env.duration = strtod(arg, &end);
		if (errno || *end || env.duration <= 0)
			argp_error(state, "invalid duration '%s': want seconds > 0", arg);
		break;
	case OPT_TOP:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v <= 0 || v > 1000000)
			argp_error(state, "invalid --top '%s': want a number of files in 1..1000000", arg);
		env.top = v;
		break;
	case OPT_ROOT:
		if (stat(arg, &st))
			argp_error(state, "--root '%s': %s", arg, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			argp_error(state, "--root '%s': not a directory", arg);
		env.root = arg;
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
		if (env.action != ACT_STREAM && (env.pid || env.kind_mask || env.duration || env.top ||
						 env.root))
			argp_error(state, "filters, --top, --root and --duration do not apply to --pin/--unpin");
		if (env.file && env.state_mask)
			argp_error(state, "--file streams discards of one file, -s transitions: use one");
		if (env.top && (env.pid || env.kind_mask))
			argp_error(state, "--top counts every discard: it takes only -d and --root");
		if (env.root && !env.top)
			argp_error(state, "--root applies to --top");
		if (env.top)
			env.action = ACT_TOP;
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

static int unpin_one(const char *name, int *err)
{
	char path[512];

	if (path_in(path, sizeof(path), name))
		return -1;
	if (unlink(path) && errno != ENOENT) {
		fprintf(stderr, "gphtrace: cannot remove %s: %s\n", path, strerror(errno));
		*err = errno == EPERM || errno == EACCES ? EXIT_NO_PERM : EXIT_FAIL;
	}
	return 0;
}

static int unpin(void)
{
	char name[64];
	int i, err = EXIT_OK;

	for (i = 0; i < (int)NR_PINNED_MAPS; i++)
		if (unpin_one(pinned_maps[i], &err))
			return EXIT_USAGE;
	for (i = 0; i < NR_TPS; i++) {
		snprintf(name, sizeof(name), "link_%s", tp_names[i]);
		if (unpin_one(name, &err))
			return EXIT_USAGE;
	}
	if (rmdir(env.pin_dir) && errno != ENOENT && errno != ENOTEMPTY)
		fprintf(stderr, "gphtrace: cannot remove %s: %s\n", env.pin_dir, strerror(errno));
	return err;
}

/* The tp_btf and raw_tp program of each tracepoint. */
static void progs_of(struct gph_bpf *obj, struct bpf_program *btf[NR_TPS],
		     struct bpf_program *raw[NR_TPS])
{
	btf[TP_STATE] = obj->progs.gph_state_btf;
	raw[TP_STATE] = obj->progs.gph_state_raw;
	btf[TP_HOST] = obj->progs.gph_host_btf;
	raw[TP_HOST] = obj->progs.gph_host_raw;
	btf[TP_DISCARD] = obj->progs.gph_discard_btf;
	raw[TP_DISCARD] = obj->progs.gph_discard_raw;
	btf[TP_REREAD] = obj->progs.gph_reread_btf;
	raw[TP_REREAD] = obj->progs.gph_reread_raw;
}

/*
 * Load the programs of the tracepoints in @want (a mask of 1 << TP_*) with
 * tp_btf; if the module's BTF is not usable, with raw_tp.
 */
static struct gph_bpf *load(unsigned int want, struct bpf_program *prog[NR_TPS])
{
	struct bpf_program *btf_progs[NR_TPS], *raw_progs[NR_TPS];
	struct gph_bpf *obj;
	int btf, i;

	for (btf = 1; btf >= 0; btf--) {
		obj = gph_bpf__open();
		if (!obj)
			return NULL;
		obj->rodata->stream = env.action == ACT_STREAM;
		obj->rodata->kind_mask = env.kind_mask;
		obj->rodata->targ_pid = env.pid;
		obj->rodata->state_mask = env.state_mask;
		obj->rodata->targ_dev = env.file_dev;
		obj->rodata->targ_ino = env.file_ino;
		progs_of(obj, btf_progs, raw_progs);
		for (i = 0; i < NR_TPS; i++) {
			bpf_program__set_autoload(btf_progs[i], btf && (want & (1u << i)));
			bpf_program__set_autoload(raw_progs[i], !btf && (want & (1u << i)));
			prog[i] = want & (1u << i) ? (btf ? btf_progs[i] : raw_progs[i]) : NULL;
		}
		if (!gph_bpf__load(obj)) {
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

static void destroy_links(struct bpf_link *link[NR_TPS])
{
	int i;

	for (i = 0; i < NR_TPS; i++) {
		bpf_link__destroy(link[i]);
		link[i] = NULL;
	}
}

/*
 * Load (tp_btf, else raw_tp) and attach to the tracepoints in @want; errors
 * are printed. link[i] is NULL for those not wanted.
 */
static struct gph_bpf *load_and_attach(unsigned int want, struct bpf_link *link[NR_TPS])
{
	struct bpf_program *prog[NR_TPS];
	struct gph_bpf *obj;
	int i;

	memset(link, 0, sizeof(link[0]) * NR_TPS);
	obj = load(want, prog);
	if (!obj) {
		fprintf(stderr, "gphtrace: cannot load the BPF programs (-v shows why)\n");
		return NULL;
	}
	for (i = 0; i < NR_TPS; i++) {
		if (!prog[i])
			continue;
		link[i] = bpf_program__attach(prog[i]);
		if (!link[i]) {
			fprintf(stderr, "gphtrace: cannot attach to gph:%s: %s\n", tp_names[i],
				strerror(errno));
			destroy_links(link);
			gph_bpf__destroy(obj);
			return NULL;
		}
	}
	return obj;
}

static int pin(void)
{
	struct bpf_link *link[NR_TPS];
	struct bpf_map *maps[NR_PINNED_MAPS];
	char path[512], name[64];
	struct gph_bpf *obj;
	int err = EXIT_FAIL, i;

	obj = load_and_attach((1u << NR_TPS) - 1, link);
	if (!obj)
		return EXIT_FAIL;
	maps[0] = obj->maps.transitions;
	maps[1] = obj->maps.discards_by_file;
	maps[2] = obj->maps.discards_by_cgroup;
	maps[3] = obj->maps.volatile_lifetime;
	maps[4] = obj->maps.reread_latency;
	if (mkdir(env.pin_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "gphtrace: cannot create %s: %s (is bpffs mounted on /sys/fs/bpf?)\n",
			env.pin_dir, strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < (int)NR_PINNED_MAPS; i++) {
		if (path_in(path, sizeof(path), pinned_maps[i]) || bpf_map__pin(maps[i], path)) {
			fprintf(stderr, "gphtrace: cannot pin %s: %s\n", path, strerror(errno));
			unpin();
			goto cleanup;
		}
	}
	for (i = 0; i < NR_TPS; i++) {
		snprintf(name, sizeof(name), "link_%s", tp_names[i]);
		if (path_in(path, sizeof(path), name) || bpf_link__pin(link[i], path)) {
			fprintf(stderr, "gphtrace: cannot pin %s: %s\n", path, strerror(errno));
			unpin();
			goto cleanup;
		}
	}
	printf("gphtrace: counting into %s/{transitions,discards_by_file,...}\n", env.pin_dir);
	err = EXIT_OK;
cleanup:
	destroy_links(link);
	gph_bpf__destroy(obj);
	return err;
}

static void on_signal(int sig)
{
	exiting = 1;
}

static int handle_event(void *ctx, void *data, size_t len)
{
	const struct gph_event *e = data;

	if (len < sizeof(*e))
		return 0;
	printf("%12.6f %7u %-16.16s ", e->ts_ns / 1e9, e->pid, e->comm);
	switch (e->kind) {
	case GPH_EV_STATE:
		printf("0x%-10llx %6u %-9s -> %-9s %s\n", (unsigned long long)e->state.pfn,
		       e->state.nr_pages,
		       e->state.old < GPH_NR_STATES ? state_names[e->state.old] : "?",
		       e->state.new < GPH_NR_STATES ? state_names[e->state.new] : "?",
		       e->state.reason < GPH_NR_REASONS ? reason_names[e->state.reason] : "?");
		break;
	case GPH_EV_DISCARD:
		printf("0x%-10llx %6u %-9s    %u:%u ino=%llu index=%llu %s\n",
		       (unsigned long long)e->discard.pfn, 1u << e->discard.order, "discard",
		       e->discard.dev >> 20, e->discard.dev & 0xfffff,
		       (unsigned long long)e->discard.ino, (unsigned long long)e->discard.index,
		       e->discard.swap ? "swap" : "file");
		break;
	case GPH_EV_REREAD:
		printf("%-12s %6u %-9s    %u:%u ino=%llu index=%llu delay=%.1fus\n", "-",
		       1u << (e->reread.order & 31),
		       "reread", e->reread.dev >> 20, e->reread.dev & 0xfffff,
		       (unsigned long long)e->reread.ino, (unsigned long long)e->reread.index,
		       e->reread.delay_ns / 1e3);
		break;
	}
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The tracepoints the streamed event kinds need. */
static unsigned int stream_tps(void)
{
	unsigned int kinds = env.kind_mask ? env.kind_mask : ~0u, want = 0;

	if (kinds & KIND(GPH_EV_STATE))
		want |= 1u << TP_STATE;
	if (kinds & KIND(GPH_EV_DISCARD))
		want |= 1u << TP_DISCARD;
	if (kinds & KIND(GPH_EV_REREAD))
		want |= 1u << TP_REREAD;
	return want;
}

static int stream(void)
{
	struct ring_buffer *rb = NULL;
	struct bpf_link *link[NR_TPS];
	struct gph_bpf *obj;
	int err = EXIT_FAIL;
	double end;

	obj = load_and_attach(stream_tps(), link);
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
	fflush(stdout);		/* the header says "attached": scripts wait for it */
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
	destroy_links(link);
	gph_bpf__destroy(obj);
	return err;
}

/* --- --top ------------------------------------------------------------- */

struct top_file {
	struct gph_file_key key;
	struct gph_file_val val;
	char *path;
};

static struct top_file *top_files;
static long nr_top, nr_unresolved;

/* Most pages first: a discarded 2 MiB folio weighs 512 of a 4 KiB one. */
static int by_discards(const void *a, const void *b)
{
	const struct top_file *x = a, *y = b;

	if (x->val.pages != y->val.pages)
		return x->val.pages < y->val.pages ? 1 : -1;
	if (x->val.discards != y->val.discards)
		return x->val.discards < y->val.discards ? 1 : -1;
	if (x->val.rereads != y->val.rereads)
		return x->val.rereads < y->val.rereads ? 1 : -1;
	return 0;
}

/* nftw() callback: name the top files, skip pseudo file systems. */
static int resolve_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	struct statfs sfs;
	long i;

	if (type == FTW_D) {
		if (!statfs(path, &sfs) &&
		    (sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC ||
		     sfs.f_type == DEBUGFS_MAGIC || sfs.f_type == TRACEFS_MAGIC ||
		     sfs.f_type == BPF_FS_MAGIC || sfs.f_type == CGROUP2_SUPER_MAGIC ||
		     sfs.f_type == CGROUP_SUPER_MAGIC))
			return FTW_SKIP_SUBTREE;
		return FTW_CONTINUE;
	}
	if (type != FTW_F || !S_ISREG(sb->st_mode))
		return FTW_CONTINUE;
	for (i = 0; i < nr_top; i++) {
		struct top_file *t = &top_files[i];

		if (t->path || t->key.ino != sb->st_ino || t->key.dev != kernel_dev(sb->st_dev))
			continue;
		t->path = strdup(path);
		if (t->path && --nr_unresolved == 0)
			return FTW_STOP;
	}
	return FTW_CONTINUE;
}

static int top(void)
{
	struct gph_file_key key, next;
	struct bpf_link *link[NR_TPS];
	struct top_file *files = NULL;
	long nr = 0, nr_keys = 0, cap = 0, i;
	struct gph_bpf *obj;
	int err = EXIT_FAIL, fd;
	double end;

	obj = load_and_attach(1u << TP_DISCARD | 1u << TP_REREAD, link);
	if (!obj)
		return EXIT_FAIL;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	end = env.duration ? now() + env.duration : 0;
	while (!exiting && (!end || now() < end)) {
		struct timespec pause = { 0, 100 * 1000 * 1000 };

		nanosleep(&pause, NULL);
	}
	destroy_links(link);	/* the counts are final from here */

	fd = bpf_map__fd(obj->maps.discards_by_file);
	while (!bpf_map_get_next_key(fd, nr_keys ? &key : NULL, &next)) {
		key = next;
		nr_keys++;
		if (nr == cap) {
			struct top_file *more;

			cap = cap ? 2 * cap : 256;
			more = realloc(files, cap * sizeof(*files));
			if (!more) {
				fprintf(stderr, "gphtrace: out of memory\n");
				goto cleanup;
			}
			files = more;
		}
		files[nr].key = key;
		files[nr].path = NULL;
		if (!bpf_map_lookup_elem(fd, &key, &files[nr].val) && files[nr].val.discards)
			nr++;
	}
	qsort(files, nr, sizeof(*files), by_discards);
	top_files = files;
	nr_top = nr < env.top ? nr : env.top;
	nr_unresolved = nr_top;
	if (nr_top)
		nftw(env.root ? env.root : "/", resolve_one, 64, FTW_PHYS | FTW_ACTIONRETVAL);
	printf("%10s %10s %10s %s\n", "PAGES", "DISCARDS", "REREADS", "FILE");
	for (i = 0; i < nr_top; i++) {
		const struct top_file *t = &files[i];

		printf("%10llu %10llu %10llu ", (unsigned long long)t->val.pages,
		       (unsigned long long)t->val.discards, (unsigned long long)t->val.rereads);
		if (t->path)
			printf("%s\n", t->path);
		else
			printf("%u:%u:%llu\n", t->key.dev >> 20, t->key.dev & 0xfffff,
			       (unsigned long long)t->key.ino);
	}
	err = EXIT_OK;
cleanup:
	for (i = 0; i < nr_top; i++)
		free(files[i].path);
	free(files);
	destroy_links(link);
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
	switch (env.action) {
	case ACT_PIN:
		return pin();
	case ACT_TOP:
		return top();
	default:
		return stream();
	}
}
