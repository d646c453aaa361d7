// SPDX-License-Identifier: GPL-2.0
/*
 * gph-hostd: the host agent of gph's table backend. It reads the state
 * table a guest keeps in an ivshmem-plain device's memory and punches holes
 * in the guest's RAM file for UNUSED frames (drops) and VOLATILE frames
 * (discards), inside QMP stop windows, as tests/model/hostd.pml models it
 * and docs/hostd.md explains. Table handling: table_scan.c. QMP: qmp.c.
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "qmp.h"
#include "table_scan.h"

#define MAX_ALLOW_DIRS		16
#define QMP_TIMEOUT_MS		30000	/* stop drains and flushes block devices */
#define RECONNECT_MS		500
#define JOURNAL_MAGIC		0x324a5047u	/* "GPJ2": with the QEMU's identity */
/* The guest beats once a second: a table whose beat stopped this long is stale. */
#define BEAT_TIMEOUT_US		5000000ull

enum discard_policy { DISCARD_NEVER, DISCARD_PRESSURE, DISCARD_ALWAYS };

static struct env {
	const char *qmp_path;
	const char *ram_id;
	const char *tab_id;
	const char *name;
	const char *state_dir;
	unsigned int interval_ms;
	enum discard_policy discard;
	uint64_t max_rss;
	const char *cgroup;	/* the VM's cgroup v2 directory */
	double psi;		/* memory pressure "some avg10" (%) that discards */
	const char *allow[MAX_ALLOW_DIRS];
	int nr_allow;
	size_t max_batch;
	bool stats;
	const char *metrics_file;
	bool exit_when_gone;
	bool verbose;
} env = {
	.ram_id = "ram0",
	.tab_id = "gphtab",
	.state_dir = "/var/lib/gph-hostd",
	.interval_ms = 100,
	.discard = DISCARD_PRESSURE,
	.max_batch = 65536,
};

static volatile sig_atomic_t exiting;
/* --cgroup, opened once: its files are read through it, not by name. */
static int cgroup_fd = -1;

/* The journal: survives kill -9 (page cache); only process death matters. */
struct journal {
	uint32_t magic;
	uint32_t stopped;	/* a window is open: the VM may be stopped by us */
	uint32_t kind;		/* GPH_UNUSED or GPH_VOLATILE */
	uint32_t gen;		/* the trusted generation */
	uint32_t qemu_pid;	/* the QEMU whose VM it is: a window is finished */
	uint64_t qemu_start;	/* only in that same process (pid and start time) */
};

struct hostd {
	struct qmp q;
	int jfd;
	struct journal j;
	/* the VM, learnt from QMP */
	int ram_fd, tab_fd;
	uint64_t ram_size, tab_size;
	void *tab;
	struct hts_ram_map map;
	struct hts t;
	bool have_vm;
	uint32_t qemu_pid;	/* the QMP peer */
	uint64_t qemu_start;
	bool passthrough;	/* a device that pins guest RAM (VFIO): no windows */
	bool devices_changed;	/* DEVICE_ADDED: look again */
	/* trust, as the model's hostd */
	bool trust;
	uint32_t b0;		/* guest_beat when trust was lost */
	uint32_t last_beat;	/* guest_beat as last seen, and when it moved */
	uint64_t beat_moved_us;
	uint32_t tgen;
	bool reset_seen, we_stopped;
	uint64_t nr_resets;	/* RESET and SHUTDOWN events read */
	uint64_t nr_distrusts;	/* distrust() calls: an event during a QMP command */
	bool volatile_turn;	/* the last window dropped: discards go first */
	/* statistics */
	uint64_t *cand;
	uint64_t windows, window_us_total, last_window_us, scan_us_total, last_scan_us;
	uint64_t bytes_returned, drops, discards;
	uint64_t hdr_dropped_pub, hdr_discarded_pub;
	unsigned int pagesize, page_shift;
};

/* --- messages ------------------------------------------------------------ */

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "gph-hostd: %s: ", env.name ? env.name : "-");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define vmsg(...) do { if (env.verbose) msg(__VA_ARGS__); } while (0)

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

/* At most one message per call site every 10 s: the guest controls how often. */
#define msg_ratelimited(...) do {					\
	static uint64_t last_, missed_;					\
	uint64_t t_ = now_us();						\
	if (!last_ || t_ - last_ >= 10000000) {				\
		msg(__VA_ARGS__);					\
		if (missed_)						\
			msg("(%" PRIu64 " like it suppressed)", missed_); \
		last_ = t_;						\
		missed_ = 0;						\
	} else {							\
		missed_++;						\
	}								\
} while (0)

/* --- options ------------------------------------------------------------- */

const char *argp_program_version = "gph-hostd 1";
static const char doc[] =
"gph-hostd -- give a gph guest's hinted memory back to the host\n\n"
"gph-hostd runs beside one QEMU guest whose kernel runs the gph module with the table "
"backend. The guest keeps one state byte per page frame in an ivshmem-plain device's "
"memory; gph-hostd maps that memory and the guest's RAM, both memory-backend-file "
"objects with share=on, and gives memory back to the host by punching holes "
"(fallocate PUNCH_HOLE) in the RAM file: frames the guest marked UNUSED (free) are "
"dropped, frames it marked VOLATILE (clean page cache) are discarded when "
"--discard-volatile says so. Everything about the VM (file paths, sizes, where guest "
"RAM lies in the file) comes from QEMU's QMP socket, never from the guest; the table "
"is untrusted input. Holes are punched only while QEMU has stopped the vCPUs (QMP "
"stop and cont: a window of a few milliseconds, at most one per --interval) and only "
"for a table a live guest kernel has written since the last reset.\v"
"Exit status: 0 on SIGTERM or SIGINT, or when the VM is gone with --exit-when-gone; "
"1 on a bad option or a VM gph-hostd refuses (a backend with share=off, a file outside "
"--allow-dir, another gph-hostd for the same VM).\n\n"
"A window that a killed gph-hostd left open (the VM stopped) is finished by the next one "
"from its journal in --state-dir. Do not resume such a VM by hand: restart gph-hostd.\n\n"
"Example:\n"
"  qemu-system-x86_64 -m 4G \\\n"
"    -object memory-backend-file,id=ram0,size=4G,mem-path=/dev/shm/gph-vm1.ram,share=on \\\n"
"    -machine memory-backend=ram0 \\\n"
"    -object memory-backend-file,id=gphtab,size=2M,mem-path=/dev/shm/gph-vm1.tab,share=on \\\n"
"    -device ivshmem-plain,memdev=gphtab -qmp unix:/run/gph/vm1.qmp,server=on,wait=off ...\n"
"  gph-hostd --qmp=/run/gph/vm1.qmp --discard-volatile=pressure --max-rss=3G --stats\n";
static const char args_doc[] = "";

enum {
	OPT_QMP = 256, OPT_RAM, OPT_TAB, OPT_NAME, OPT_STATE, OPT_INTERVAL, OPT_DISCARD,
	OPT_MAXRSS, OPT_ALLOW, OPT_BATCH, OPT_STATS, OPT_METRICS, OPT_GONE, OPT_CGROUP,
	OPT_PSI,
};

static const struct argp_option opts[] = {
	{ "qmp", OPT_QMP, "PATH", 0, "QEMU's QMP unix socket (required). gph-hostd needs a "
	  "monitor of its own: -qmp unix:PATH,server=on,wait=off", 0 },
	{ "ram-backend", OPT_RAM, "ID", 0, "id of guest RAM's memory-backend-file (default ram0)", 0 },
	{ "table-backend", OPT_TAB, "ID", 0, "id of the ivshmem-plain device's "
	  "memory-backend-file (default gphtab)", 0 },
	{ "name", OPT_NAME, "NAME", 0, "the VM's name in messages, metrics and the journal's "
	  "file name (default: the QMP socket's file name without extension)", 0 },
	{ "state-dir", OPT_STATE, "DIR", 0, "where the journal NAME.journal lives; it is "
	  "locked, so a second gph-hostd for the VM refuses (default /var/lib/gph-hostd)", 0 },
	{ "interval", OPT_INTERVAL, "MS", 0, "scan the table every MS milliseconds, at most "
	  "one window each (default 100, 10..60000)", 0 },
	{ "discard-volatile", OPT_DISCARD, "WHEN", 0, "discard VOLATILE frames never, under "
	  "pressure (as --max-rss, --cgroup and --psi say; with none of them: never), or "
	  "always (default pressure)", 0 },
	{ "max-rss", OPT_MAXRSS, "SIZE", 0, "pressure: discard while the RAM file's "
	  "allocated size is above SIZE, as much as it is above; K, M, G, T suffixes "
	  "(powers of 1024)", 0 },
	{ "cgroup", OPT_CGROUP, "DIR", 0, "pressure: the cgroup v2 directory QEMU runs in "
	  "(e.g. /sys/fs/cgroup/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope); discard "
	  "while its memory.current is above 90 % of memory.high (of memory.max if "
	  "memory.high is max), as much as it is above, before the kernel reclaims the "
	  "guest's page cache into swap itself", 0 },
	{ "psi", OPT_PSI, "PERCENT", 0, "pressure: discard a full batch each interval while "
	  "the share of time tasks stalled on memory (\"some avg10\" in --cgroup's "
	  "memory.pressure, or in /proc/pressure/memory without --cgroup) is at least "
	  "PERCENT, 0.01..100", 0 },
	{ "allow-dir", OPT_ALLOW, "DIR", 0, "backend files must resolve to a file under DIR; "
	  "repeatable (default /dev/shm)", 0 },
	{ "max-batch", OPT_BATCH, "FRAMES", 0, "frames per window at most; bounds how long "
	  "the vCPUs stay stopped, 512..16777216 (default 65536)", 0 },
	{ "stats", OPT_STATS, NULL, 0, "print one line per interval on stdout: time, RAM "
	  "file allocated bytes, drops, discards, windows, last window's stopped time (us), "
	  "last scan (us), rejected headers", 0 },
	{ "metrics-file", OPT_METRICS, "PATH", 0, "write counters in node_exporter's "
	  "textfile format to PATH every interval (atomically: PATH.tmp, then rename); "
	  "removed when gph-hostd exits with no window open", 0 },
	{ "exit-when-gone", OPT_GONE, NULL, 0, "exit 0 when QEMU is gone (the QMP socket "
	  "closes or refuses) instead of reconnecting every 500 ms", 0 },
	{ "verbose", 'v', NULL, 0, "say what gph-hostd learns and decides", 0 },
	{},
};

static int parse_u64(const char *s, uint64_t *v, bool suffix)
{
	char *end;
	unsigned long long n;
	int shift = 0;

	if (*s < '0' || *s > '9')	/* strtoull takes spaces and signs */
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (suffix && *end) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		end++;
		if (*end == 'i' || *end == 'B')
			end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	}
	if (*end || (shift && n > (UINT64_MAX >> shift)))
		return -EINVAL;
	*v = (uint64_t)n << shift;
	return 0;
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) > 64 || *s == '.')
		return false;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	uint64_t v;

	switch (key) {
	case OPT_QMP:
		env.qmp_path = arg;
		break;
	case OPT_RAM:
	case OPT_TAB:
		if (!valid_name(arg))
			argp_error(state, "--%s=%s: an object id is letters, digits, '-', '_', '.'",
				   key == OPT_RAM ? "ram-backend" : "table-backend", arg);
		*(key == OPT_RAM ? &env.ram_id : &env.tab_id) = arg;
		break;
	case OPT_NAME:
		if (!valid_name(arg))
			argp_error(state, "--name=%s: use letters, digits, '-', '_', '.' (up to 64)", arg);
		env.name = arg;
		break;
	case OPT_STATE:
		env.state_dir = arg;
		break;
	case OPT_INTERVAL:
		if (parse_u64(arg, &v, false) || v < 10 || v > 60000)
			argp_error(state, "--interval=%s: want milliseconds, 10..60000", arg);
		env.interval_ms = v;
		break;
	case OPT_DISCARD:
		if (!strcmp(arg, "never"))
			env.discard = DISCARD_NEVER;
		else if (!strcmp(arg, "pressure"))
			env.discard = DISCARD_PRESSURE;
		else if (!strcmp(arg, "always"))
			env.discard = DISCARD_ALWAYS;
		else
			argp_error(state, "--discard-volatile=%s: want never, pressure or always", arg);
		break;
	case OPT_MAXRSS:
		if (parse_u64(arg, &v, true) || !v)
			argp_error(state, "--max-rss=%s: want a size such as 3G, 512M", arg);
		env.max_rss = v;
		break;
	case OPT_CGROUP:
		env.cgroup = arg;
		break;
	case OPT_PSI: {
		char *end;

		errno = 0;
		env.psi = strtod(arg, &end);
		if (errno || end == arg || *end || !(env.psi >= 0.01 && env.psi <= 100))
			argp_error(state, "--psi=%s: want a percentage, 0.01..100", arg);
		break;
	}
	case OPT_ALLOW: {
		char dir[PATH_MAX];
		struct stat st;

		if (env.nr_allow == MAX_ALLOW_DIRS)
			argp_error(state, "--allow-dir: at most %d", MAX_ALLOW_DIRS);
		if (!realpath(arg, dir) || stat(dir, &st) || !S_ISDIR(st.st_mode))
			argp_error(state, "--allow-dir=%s: not a directory", arg);
		env.allow[env.nr_allow++] = arg;
		break;
	}
	case OPT_BATCH:
		/* At least a summary group: a window then always finishes one. */
		if (parse_u64(arg, &v, false) || v < (1u << GPH_TABLE_GROUP_SHIFT) || v > (1u << 24))
			argp_error(state, "--max-batch=%s: want frames, %u..16777216", arg,
				   1u << GPH_TABLE_GROUP_SHIFT);
		env.max_batch = v;
		break;
	case OPT_STATS:
		env.stats = true;
		break;
	case OPT_METRICS:
		env.metrics_file = arg;
		break;
	case OPT_GONE:
		env.exit_when_gone = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s': every option is --name=value", arg);
		break;
	case ARGP_KEY_END:
		if (!env.qmp_path)
			argp_error(state, "--qmp=PATH is required: QEMU's QMP socket");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = { opts, parse_arg, args_doc, doc, NULL, NULL, NULL };

/* --- the journal --------------------------------------------------------- */

static int journal_open(struct hostd *d)
{
	char path[PATH_MAX];

	if (mkdir(env.state_dir, 0700) && errno != EEXIST) {
		msg("cannot create --state-dir %s: %s", env.state_dir, strerror(errno));
		return -1;
	}
	if (snprintf(path, sizeof(path), "%s/%s.journal", env.state_dir, env.name) >= (int)sizeof(path)) {
		msg("--state-dir too long");
		return -1;
	}
	d->jfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->jfd < 0) {
		msg("cannot open the journal %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(d->jfd, LOCK_EX | LOCK_NB)) {
		msg("%s is locked: another gph-hostd serves VM %s", path, env.name);
		return -1;
	}
	if (pread(d->jfd, &d->j, sizeof(d->j), 0) != sizeof(d->j) || d->j.magic != JOURNAL_MAGIC)
		memset(&d->j, 0, sizeof(d->j));
	if (d->j.stopped)
		msg("journal: the last gph-hostd left a window open (kind %u, generation %u): "
		    "finishing it", d->j.kind, d->j.gen);
	return 0;
}

static int journal_write(struct hostd *d, bool stopped, unsigned char kind, uint32_t gen)
{
	d->j.magic = JOURNAL_MAGIC;
	d->j.qemu_pid = d->qemu_pid;
	d->j.qemu_start = d->qemu_start;
	d->j.stopped = stopped;
	d->j.kind = kind;
	d->j.gen = gen;
	/* No fsync: only the death of this process matters, not the host's. */
	if (pwrite(d->jfd, &d->j, sizeof(d->j), 0) != sizeof(d->j)) {
		msg_ratelimited("journal write failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* --- the VM, from QMP ---------------------------------------------------- */

enum { SERVE_EXIT, SERVE_GONE, SERVE_RETRY, SERVE_FATAL };

static int qmp_err(int r)
{
	return r == -EPIPE ? SERVE_GONE : SERVE_RETRY;
}

static int qom_get(struct hostd *d, const char *id, const char *prop, struct jv **reply)
{
	char args[256];
	int r;

	snprintf(args, sizeof(args), "{\"path\": \"/objects/%s\", \"property\": \"%s\"}", id, prop);
	r = qmp_cmd(&d->q, "qom-get", args, reply, QMP_TIMEOUT_MS);
	if (r == -EREMOTEIO) {
		const struct jv *e = jv_get(*reply, "error");

		msg("qom-get /objects/%s %s: %s (is -object memory-backend-file,id=%s,... there?)",
		    id, prop, jv_str(e, "desc") ?: "error", id);
	}
	return r;
}

static bool under_allowed(const char *real)
{
	int i;

	for (i = 0; i < env.nr_allow; i++) {
		char dir[PATH_MAX];
		size_t n;

		if (!realpath(env.allow[i], dir))
			continue;
		n = strlen(dir);
		if (n == 1 && dir[0] == '/')
			return true;
		if (!strncmp(real, dir, n) && real[n] == '/')
			return true;
	}
	return false;
}

/*
 * Does the QMP peer map the file @st? From /proc/PID/maps (device and inode)
 * when gph-hostd may read it (root with CAP_SYS_PTRACE, or the same user);
 * else at least the peer's user must own it. A peer that is not the QEMU of
 * that file (a compromised QEMU, or a socket someone else put there) cannot
 * have another VM's or another service's file punched.
 */
static bool peer_maps(struct hostd *d, const struct stat *st)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char path[64], line[512];
	unsigned int maj, mnr;
	unsigned long long ino;
	bool found = false;
	FILE *f;

	if (getsockopt(d->q.fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) || cr.pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)cr.pid);
	f = fopen(path, "re");
	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		vmsg("cannot read %s: the file's owner must be the QMP peer's user (%u)",
		     path, (unsigned int)cr.uid);
		return st->st_uid == cr.uid;
	}
	do {
		/* start-end perms offset major:minor inode path */
		if (sscanf(line, "%*x-%*x %*s %*x %x:%x %llu", &maj, &mnr, &ino) == 3 &&
		    ino == (unsigned long long)st->st_ino && maj == major(st->st_dev) &&
		    mnr == minor(st->st_dev))
			found = true;
		/* a line longer than the buffer: skip its rest */
		while (!strchr(line, '\n') && fgets(line, sizeof(line), f))
			;
	} while (!found && fgets(line, sizeof(line), f));
	fclose(f);
	return found;
}

/* Open backend @id's file; Return: SERVE_* of a failure, or -1 and *fd, *size. */
static int open_backend(struct hostd *d, const char *id, int *fd, uint64_t *size)
{
	struct jv *rp = NULL, *rs = NULL, *rsh = NULL;
	const struct jv *v;
	char link[64], real[PATH_MAX];
	const char *path;
	struct stat st;
	ssize_t n;
	int r, ret = SERVE_FATAL;

	*fd = -1;
	if ((r = qom_get(d, id, "mem-path", &rp)) || (r = qom_get(d, id, "size", &rs)) ||
	    (r = qom_get(d, id, "share", &rsh))) {
		ret = r == -EREMOTEIO ? SERVE_FATAL : qmp_err(r);
		goto out;
	}
	path = jv_str(rp, "return");
	v = jv_get(rs, "return");
	if (!path || !v || v->type != JV_NUM || v->neg || v->frac) {
		msg("/objects/%s: unexpected mem-path or size", id);
		goto out;
	}
	*size = v->u;
	v = jv_get(rsh, "return");
	if (!v || v->type != JV_BOOL || !v->b) {
		msg("/objects/%s has share=off: punching a private mapping returns nothing "
		    "and the guest's table is invisible; use share=on", id);
		goto out;
	}
	/*
	 * O_PATH first: nothing named by the QMP peer is opened for writing
	 * (a device's open may act) before it is known to be a regular file
	 * under an --allow-dir that the peer itself maps.
	 */
	*fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0) {
		msg("/objects/%s: cannot open %s: %s", id, path, strerror(errno));
		goto out;
	}
	/* What was opened, not what the name resolves to now. */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", *fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n <= 0) {
		msg("/objects/%s: cannot resolve %s", id, path);
		goto out;
	}
	real[n] = 0;
	if (!under_allowed(real)) {
		msg("/objects/%s: %s is not under an --allow-dir (default /dev/shm)", id, real);
		goto out;
	}
	if (fstat(*fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != *size) {
		msg("/objects/%s: %s is not a regular file of the backend's size %" PRIu64,
		    id, real, *size);
		goto out;
	}
	if (!peer_maps(d, &st)) {
		msg("/objects/%s: %s is not what this QEMU maps (replaced since, or named "
		    "by a QMP peer that does not use it): refused", id, real);
		goto out;
	}
	{
		int rw = open(link, O_RDWR | O_CLOEXEC | O_NONBLOCK);	/* the same inode */

		close(*fd);
		*fd = rw;
		if (rw < 0) {
			msg("/objects/%s: cannot open %s: %s", id, real, strerror(errno));
			goto out;
		}
	}
	/*
	 * One gph-hostd per file, whatever --name each was given: two would
	 * open windows into each other's. (QEMU locks image files with OFD
	 * locks, not memory backends, and flock() is apart from those.)
	 */
	if (flock(*fd, LOCK_EX | LOCK_NB)) {
		msg("/objects/%s: %s is locked: another gph-hostd serves it", id, real);
		goto out;
	}
	vmsg("/objects/%s: %s, %" PRIu64 " bytes, share=on", id, real, *size);
	ret = -1;
out:
	if (ret != -1 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	jv_free(rp);
	jv_free(rs);
	jv_free(rsh);
	return ret;
}

static int cmp_range(const void *a, const void *b)
{
	const struct hts_range *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/*
 * Guest RAM's ranges from "info mtree -f": the flat view of address space
 * "memory". Lines look like (QEMU 7.2, -M pc and q35 alike):
 *
 *   FlatView #2
 *    AS "memory", root: system
 *    Root memory region: system
 *     0000000000000000-00000000000bffff (prio 0, ram): ram0
 *     0000000000100000-00000000bfffffff (prio 0, ram): ram0 @0000000000100000
 *     0000000100000000-000000013fffffff (prio 0, ram): ram0 @00000000c0000000
 *
 * The legacy range 0xa0000-0xfffff is never taken, whatever the view says:
 * it is VGA memory, shadowed ROM and, on -M pc, SMRAM, which firmware uses
 * in System Management Mode and no OS ever frees. (q35's TSEG, the other
 * SMRAM, leaves the view once the firmware enables it; see read_ram_map.)
 */
#define LEGACY_START 0xa0000ull
#define LEGACY_END 0x100000ull

static int map_add(struct hts_ram_map *map, size_t *cap, uint64_t gpa, uint64_t len, uint64_t off)
{
	if (!len)
		return 0;
	if (map->nr == *cap) {
		struct hts_range *nr;

		*cap = *cap ? *cap * 2 : 8;
		nr = realloc(map->r, *cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		map->r = nr;
	}
	map->r[map->nr++] = (struct hts_range){ gpa, len, off };
	return 0;
}

int hostd_parse_mtree(const char *text, const char *id, uint64_t file_size,
		      unsigned int page_shift, struct hts_ram_map *map)
{
	uint64_t page = 1ull << page_shift;
	const char *p = text;
	bool in = false, done = false;
	size_t cap = 0;

	map->nr = 0;
	while (*p && !done) {
		const char *nl = strchr(p, '\n'), *s = p;
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[512], type[32], name[128];
		uint64_t start, end, off = 0;
		int prio, used = 0;

		p += len + (nl ? 1 : 0);
		if (len >= sizeof(line))
			continue;
		memcpy(line, s, len);
		line[len] = 0;
		if (!strncmp(line, "FlatView #", 10)) {
			done = in && map->nr;
			in = false;
			continue;
		}
		if (strstr(line, " AS \"memory\",") == line) {
			in = true;
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, " %" SCNx64 "-%" SCNx64 " (prio %d, %31[^)]): %127s%n",
			   &start, &end, &prio, type, name, &used) != 5)
			continue;
		if (strcmp(type, "ram") || strcmp(name, id))
			continue;
		if (line[used] == ' ' && line[used + 1] == '@' &&
		    sscanf(line + used + 2, "%" SCNx64, &off) != 1)
			continue;
		if (end < start || end == UINT64_MAX)
			continue;
		/* Whole pages only. */
		{
			uint64_t a = (start + page - 1) & ~(page - 1);
			uint64_t e = (end + 1) & ~(page - 1);

			if (e <= a)
				continue;
			off += a - start;
			start = a;
			end = e;
		}
		if (end - start > file_size || off > file_size - (end - start)) {
			msg("mtree: %s range %#" PRIx64 "+%#" PRIx64 " @%#" PRIx64
			    " beyond the file: ignored", id, start, end - start, off);
			continue;
		}
		/* Up to two pieces: below and above the legacy range. */
		if (start < LEGACY_END && end > LEGACY_START) {
			uint64_t lo = start < LEGACY_START ? LEGACY_START - start : 0;
			uint64_t hi = end > LEGACY_END ? LEGACY_END : end;

			if (map_add(map, &cap, start, lo, off) ||
			    map_add(map, &cap, hi, end - hi, off + (hi - start)))
				return -ENOMEM;
			continue;
		}
		if (map_add(map, &cap, start, end - start, off))
			return -ENOMEM;
	}
	qsort(map->r, map->nr, sizeof(*map->r), cmp_range);
	for (size_t i = 1; i < map->nr; i++)
		if (map->r[i].gpa < map->r[i - 1].gpa + map->r[i - 1].len)
			return -EINVAL;	/* a flat view does not overlap */
	map->file_size = file_size;
	return map->nr ? 0 : -ENOENT;
}

/*
 * The guest-physical -> file-offset map, from QEMU's flat view. Read at
 * connect, and again each time the table is trusted: by then the firmware
 * has run, and q35's TSEG (SMRAM at the top of low memory, which the
 * firmware enables and locks) shows as "tseg-blackhole", not as RAM, so a
 * guest cannot have hostd zero its SMM handler. Returns -1, or a serve()
 * result.
 */
static int read_ram_map(struct hostd *d)
{
	struct hts_ram_map map = { 0 };
	char args[64];
	const char *text;
	struct jv *reply = NULL;
	int r;

	snprintf(args, sizeof(args), "{\"command-line\": \"info mtree -f\"}");
	r = qmp_cmd(&d->q, "human-monitor-command", args, &reply, QMP_TIMEOUT_MS);
	if (r) {
		jv_free(reply);
		return r == -EREMOTEIO ? SERVE_FATAL : qmp_err(r);
	}
	text = jv_str(reply, "return");
	r = text ? hostd_parse_mtree(text, env.ram_id, d->ram_size, d->page_shift, &map) : -EPROTO;
	jv_free(reply);
	if (r) {
		free(map.r);
		msg("info mtree -f: no RAM of backend %s in address space \"memory\" (%s)",
		    env.ram_id, strerror(-r));
		return SERVE_FATAL;
	}
	/* hts holds &d->map: change it in place. */
	free(d->map.r);
	d->map = map;
	for (size_t i = 0; i < d->map.nr; i++)
		vmsg("guest RAM %#" PRIx64 "-%#" PRIx64 " at file offset %#" PRIx64,
		     d->map.r[i].gpa, d->map.r[i].gpa + d->map.r[i].len - 1, d->map.r[i].off);
	return -1;
}

static void vm_close(struct hostd *d)
{
	if (d->tab && d->have_vm) {
		struct gph_table_header *h = d->tab;

		__atomic_fetch_and(&h->host_flags, ~GPH_HOST_ATTACHED, __ATOMIC_SEQ_CST);
	}
	hts_fini(&d->t);
	if (d->tab)
		munmap(d->tab, d->tab_size);
	d->tab = NULL;
	if (d->ram_fd >= 0)
		close(d->ram_fd);
	if (d->tab_fd >= 0)
		close(d->tab_fd);
	d->ram_fd = d->tab_fd = -1;
	free(d->map.r);
	d->map.r = NULL;
	d->map.nr = 0;
	d->have_vm = false;
}

static int status_of(struct hostd *d, char *buf, size_t size)
{
	struct jv *reply = NULL;
	const char *s;
	int r = qmp_cmd(&d->q, "query-status", NULL, &reply, QMP_TIMEOUT_MS);

	s = jv_str(jv_get(reply, "return"), "status");
	snprintf(buf, size, "%s", s ?: "unknown");
	jv_free(reply);
	return r == -EREMOTEIO ? 0 : r;
}

/* A process's start time (/proc/PID/stat field 22), 0 if unknown. */
static uint64_t proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')'))) {
			/* ") " then fields 3, 4, ... one space apart; start time is 22 */
			for (i = 3, p += 2; *p && i < 22; p++)
				if (*p == ' ')
					i++;
			start = strtoull(p, NULL, 10);
		}
		fclose(f);
	}
	return start;
}

/* The QMP peer's pid and start time: which QEMU. */
static void qemu_identify(struct hostd *d)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	d->qemu_pid = 0;
	d->qemu_start = 0;
	if (getsockopt(d->q.fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) || cr.pid <= 0)
		return;
	d->qemu_pid = cr.pid;
	d->qemu_start = proc_start(cr.pid);
}

/*
 * Devices that pin guest RAM for DMA: a punched page would be replaced for
 * the CPU and not for the device. QEMU itself refuses RAM discards beside
 * them (ram_block_discard_disable). GPH_HOSTD_TEST_PASSTHROUGH adds a type,
 * for tools/hostd/selftest.sh, which has no VFIO device to show.
 */
static bool passthrough_type(const char *type)
{
	const char *test = getenv("GPH_HOSTD_TEST_PASSTHROUGH");

	if (!strncmp(type, "child<", 6))
		type += 6;
	return !strncmp(type, "vfio", 4) || (test && *test && !strncmp(type, test, strlen(test)));
}

/* Return: 1 if a passthrough device is there, 0 if not, or a QMP error. */
static int find_passthrough(struct hostd *d)
{
	static const char *const paths[] = { "/machine/peripheral", "/machine/peripheral-anon" };
	int found = 0;

	for (size_t i = 0; i < 2 && !found; i++) {
		struct jv *reply = NULL;
		const struct jv *list;
		char args[128];
		int r;

		snprintf(args, sizeof(args), "{\"path\": \"%s\"}", paths[i]);
		r = qmp_cmd(&d->q, "qom-list", args, &reply, QMP_TIMEOUT_MS);
		if (r && r != -EREMOTEIO) {
			jv_free(reply);
			return r;
		}
		list = jv_get(reply, "return");
		for (size_t k = 0; list && list->type == JV_ARR && k < list->n; k++) {
			const char *type = jv_str(list->v[k], "type");

			if (type && passthrough_type(type)) {
				msg("device %s is %s: it pins guest RAM, so punching holes would "
				    "corrupt what it sees; gph-hostd gives nothing back for this VM",
				    jv_str(list->v[k], "name") ?: "?", type);
				found = 1;
				break;
			}
		}
		jv_free(reply);
	}
	return found;
}

/*
 * May a window open now? Only while the VM runs (not paused by anyone, not
 * an incoming migration) and no migration is under way: a punch or a table
 * write is invisible to migration's dirty tracking. Return: 1, 0, or a QMP
 * error.
 */
static int vm_may_window(struct hostd *d, bool stopped)
{
	static const char *const idle[] = { "none", "completed", "failed", "cancelled", NULL };
	struct jv *reply = NULL;
	char status[32];
	const char *s;
	int r, ok = 1;

	if (!stopped) {
		r = status_of(d, status, sizeof(status));
		if (r || strcmp(status, "running"))
			return r;
	}
	r = qmp_cmd(&d->q, "query-migrate", NULL, &reply, QMP_TIMEOUT_MS);
	if (r && r != -EREMOTEIO)
		goto out;
	s = jv_str(jv_get(reply, "return"), "status");
	if (s) {	/* absent before any migration */
		ok = 0;
		for (size_t i = 0; idle[i]; i++)
			ok |= !strcmp(s, idle[i]);
		if (!ok)
			vmsg("migration %s: no window", s);
	}
	r = 0;
out:
	jv_free(reply);
	return r ? r : ok;
}

/*
 * After punches (or before finishing a killed instance's window): a
 * migration under way now began after the check made with the vCPUs
 * stopped, so it may have copied table bytes and RAM that hostd changed
 * behind its dirty log. Cancel it before the VM runs; tests/model/
 * hostd-events.pml (NO_MIG_CANCEL) shows a migration completing with a
 * punched page otherwise. Return: 0 or a QMP error.
 */
static int cancel_overlapping_migration(struct hostd *d)
{
	int r = vm_may_window(d, true);

	if (r < 0)
		return r;
	if (r == 1)
		return 0;
	msg("a migration began while guest RAM was being punched: cancelling it (the punches "
	    "and table writes escaped its dirty log); it can be started again");
	r = qmp_cmd(&d->q, "migrate_cancel", NULL, NULL, QMP_TIMEOUT_MS);
	return r == -EREMOTEIO ? 0 : r;
}

static int vm_open(struct hostd *d)
{
	int r, ret;

	if ((ret = open_backend(d, env.ram_id, &d->ram_fd, &d->ram_size)) != -1 ||
	    (ret = open_backend(d, env.tab_id, &d->tab_fd, &d->tab_size)) != -1)
		return ret;
	if (d->tab_size < GPH_TABLE_HEADER_SIZE) {
		msg("/objects/%s: %" PRIu64 " bytes is too small for a table", env.tab_id, d->tab_size);
		return SERVE_FATAL;
	}
	d->tab = mmap(NULL, d->tab_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->tab_fd, 0);
	if (d->tab == MAP_FAILED) {
		d->tab = NULL;
		msg("cannot map the table: %s", strerror(errno));
		return SERVE_FATAL;
	}
	r = read_ram_map(d);
	if (r != -1)
		return r;
	hts_init(&d->t, d->tab, d->tab_size, d->page_shift, &d->map);
	qemu_identify(d);
	r = find_passthrough(d);
	if (r < 0)
		return qmp_err(r);
	d->passthrough = r;
	d->devices_changed = false;
	d->have_vm = true;
	return -1;
}

static uint32_t read_beat(struct hostd *d)
{
	struct gph_table_header *h = d->tab;

	return h ? __atomic_load_n(&h->guest_beat, __ATOMIC_ACQUIRE) : 0;
}

static void distrust(struct hostd *d, const char *why)
{
	if (d->trust)
		vmsg("distrusting the table: %s", why);
	d->trust = false;
	d->b0 = read_beat(d);
	d->nr_distrusts++;
}

static void on_event(void *ctx, const char *name, const struct jv *m)
{
	struct hostd *d = ctx;

	(void)m;
	if (!strcmp(name, "RESET")) {
		d->reset_seen = true;
		d->nr_resets++;
		distrust(d, name);
		vmsg("event %s", name);
	} else if (!strcmp(name, "SHUTDOWN")) {
		/*
		 * The guest is going away: QEMU exits, or with -no-shutdown
		 * waits in "shutdown" for a reset, whose RESET comes then. No
		 * reset of ours: that would boot a guest that powered off.
		 */
		distrust(d, name);
		vmsg("event %s", name);
	} else if (!strcmp(name, "DEVICE_ADDED")) {
		d->devices_changed = true;
	} else if (!strcmp(name, "STOP")) {
		d->we_stopped = true;
	}
}

static uint64_t ram_allocated(struct hostd *d)
{
	struct stat st;

	return d->ram_fd >= 0 && !fstat(d->ram_fd, &st) ? (uint64_t)st.st_blocks * 512 : 0;
}

/* For releases that must not punch (hts_recover outside a safe window). */
static int no_punch(void *ctx, uint64_t off, uint64_t len)
{
	(void)ctx; (void)off; (void)len;
	return 0;
}

static int punch(void *ctx, uint64_t off, uint64_t len)
{
	struct hostd *d = ctx;
	off_t data;

	/* Checked against the file's size right before the punch. */
	if (len > d->ram_size || off > d->ram_size - len)
		return -ERANGE;
	/* A hole already (dropped before): skip the unmap and MMU-notifier work. */
	data = lseek(d->ram_fd, off, SEEK_DATA);
	if ((data < 0 && errno == ENXIO) || (data >= 0 && (uint64_t)data >= off + len))
		return 0;
	if (fallocate(d->ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
		return -errno;
	return 0;
}

static void publish(struct hostd *d, unsigned char kind, uint64_t n)
{
	struct gph_table_header *h = d->tab;

	if (kind == GPH_UNUSED)
		__atomic_fetch_add(&h->host_dropped, n, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&h->host_discarded, n, __ATOMIC_RELAXED);
}

/* system_reset is a request: wait for the reset itself. */
static int force_reset(struct hostd *d)
{
	static const char *const ev[] = { "RESET", "SHUTDOWN", NULL };
	uint64_t n0 = d->nr_resets;
	int r;

	msg("a reset came while guest RAM was being punched: resetting the VM again");
	r = qmp_cmd(&d->q, "system_reset", NULL, NULL, QMP_TIMEOUT_MS);
	if (r && r != -EREMOTEIO)
		return r;
	/* Any reset after the request will do: it came after the last punch. */
	if (d->nr_resets == n0)
		r = qmp_wait_event(&d->q, ev, QMP_TIMEOUT_MS);
	distrust(d, "forced reset");
	return r;
}

static int cont(struct hostd *d)
{
	int r = qmp_cmd(&d->q, "cont", NULL, NULL, QMP_TIMEOUT_MS);

	/* Refused: keep the journal; the next connection's recovery retries. */
	if (r == -EREMOTEIO)
		msg_ratelimited("cont refused by QEMU: the VM stays stopped; trying again");
	return r;
}

/* After a window: resume only a VM our stop (or a reset meanwhile) left stopped. */
static int resume(struct hostd *d)
{
	char status[32];
	int r = status_of(d, status, sizeof(status));

	if (r)
		return r;
	/* A reset of a paused VM leaves it in "prelaunch" (QEMU's main loop). */
	if (!strcmp(status, "paused") || !strcmp(status, "prelaunch"))
		return cont(d);
	msg("the VM is %s after a window: not resuming it", status);
	return 0;
}

/* A window the last instance left open: docs/hostd.md, "Crash safety". */
static int recover(struct hostd *d)
{
	char status[32];
	const char *why;
	int r;

	d->we_stopped = false;	/* reset_seen: since before vm_open() */
	if (d->j.qemu_pid != d->qemu_pid || d->j.qemu_start != d->qemu_start) {
		/* That QEMU is gone, and its stop with it: a new one is not ours. */
		msg("journal: the window was in another QEMU (pid %u): nothing to finish",
		    d->j.qemu_pid);
		return journal_write(d, false, 0, 0) ? -EIO : 0;
	}
	/* A migration under way may have begun inside that window. */
	r = cancel_overlapping_migration(d);
	if (r)
		return r;
	r = status_of(d, status, sizeof(status));
	if (r)
		return r;
	why = hts_header_load(&d->t);
	if (!strcmp(status, "running") && !why && d->t.hdr.generation == d->j.gen &&
	    hts_count_busy(&d->t)) {
		struct hts_result res;

		/*
		 * Resumed by someone else with frames still BUSY. The guest may
		 * have been reset since and be booting on this stale table (its
		 * header changes only when gph loads): no punch, only release.
		 * UNUSED and DISCARDED both allow content that was not punched.
		 */
		hts_recover(&d->t, d->j.kind, no_punch, d, &res);
		msg("journal: the VM runs: released %zu BUSY frames as %s without a punch",
		    res.taken, d->j.kind == GPH_UNUSED ? "UNUSED" : "DISCARDED");
	} else if (!strcmp(status, "paused") && d->t.hdr.generation == d->j.gen) {
		struct hts_result res;

		if (why) {
			msg("journal: the table's header is refused (%s): cannot release BUSY frames", why);
		} else {
			/* A device that pins guest RAM came meanwhile: release only. */
			hts_recover(&d->t, d->j.kind, d->passthrough ? no_punch : punch, d, &res);
			r = cancel_overlapping_migration(d);
			if (r)
				return r;
			publish(d, d->j.kind == GPH_UNUSED ? GPH_UNUSED : GPH_VOLATILE, res.taken);
			msg("journal: punched and released %zu BUSY frames as %s", res.taken,
			    d->j.kind == GPH_UNUSED ? "UNUSED" : "DISCARDED");
		}
		r = status_of(d, status, sizeof(status));
		if (!r && d->reset_seen)
			r = force_reset(d);
		if (!r)
			r = cont(d);
	} else if (!strcmp(status, "paused")) {
		uint64_t busy = why ? 0 : hts_count_busy(&d->t);

		if (busy)
			msg("journal: a late stop after a reset, yet %" PRIu64 " frames BUSY", busy);
		r = cont(d);
	} else if (!strcmp(status, "prelaunch")) {
		/* Our stop, then a reset: that reset may have come before a punch. */
		r = force_reset(d);
		if (!r)
			r = cont(d);
	} else if (strcmp(status, "running")) {
		msg("journal: the VM is %s: leaving it as it is", status);
	}
	if (r)
		return r;
	return journal_write(d, false, 0, 0) ? -EIO : 0;
}

/*
 * For tools/hostd/selftest.sh: GPH_HOSTD_TEST_MIGRATE=1 starts a migration
 * (to a pipe, throttled to 1 byte/s) once, with the vCPUs stopped, after
 * the migration check and right before the punches: as another monitor's
 * migrate command can come in there.
 */
static int test_migrate(struct hostd *d)
{
	static bool done;
	const char *v = getenv("GPH_HOSTD_TEST_MIGRATE");
	int r;

	if (done || !v || strcmp(v, "1"))
		return 0;
	done = true;
	msg("test: a migration starts before the punches");
	r = qmp_cmd(&d->q, "migrate-set-parameters", "{\"max-bandwidth\": 1}", NULL, QMP_TIMEOUT_MS);
	if (!r)
		r = qmp_cmd(&d->q, "migrate", "{\"uri\": \"exec:cat >/dev/null\"}", NULL,
			    QMP_TIMEOUT_MS);
	return r;
}

/* One stop window over one batch of one kind: the model's hostd, step by step. */
static int window(struct hostd *d, unsigned char kind, size_t n)
{
	struct hts_result res = { 0 };
	uint64_t t0, before;
	const char *why;
	int r;

	/*
	 * A RESET read since the tick began (during vm_may_window()'s
	 * queries) took the trust: reset_seen, cleared below, would forget it.
	 */
	if (!d->trust)
		return 0;
	/* Without the journal a kill -9 would leave the VM stopped: no window. */
	if (journal_write(d, true, kind, d->tgen)) {
		hts_mark_all(&d->t);	/* the candidates' summary bits were taken */
		return 0;
	}
	d->reset_seen = d->we_stopped = false;
	t0 = now_us();
	r = qmp_cmd(&d->q, "stop", NULL, NULL, QMP_TIMEOUT_MS);
	if (r && r != -EREMOTEIO)
		return r;	/* the journal finishes it */
	if (r || d->reset_seen) {
		vmsg("window aborted: %s", r ? "stop refused" : "a reset came before stop's reply");
		hts_mark_all(&d->t);
		goto resume;
	}
	/* A migration started since the check before the stop? */
	r = vm_may_window(d, true);
	if (r < 0)
		return r;
	/* A device hot-added since (DEVICE_ADDED read during the queries)? */
	if (r && d->devices_changed) {
		d->devices_changed = false;
		r = find_passthrough(d);
		if (r < 0)
			return r;
		d->passthrough = r;
		r = !r;
	}
	if (!r) {
		hts_mark_all(&d->t);
		goto resume;
	}
	why = hts_header_load(&d->t);
#ifndef HOSTD_BREAK_TRUST
	if (why || d->t.hdr.generation != d->tgen || !(d->t.hdr.guest_flags & GPH_GUEST_ENABLED)) {
		distrust(d, why ?: "generation or ENABLED changed");
		goto resume;
	}
#else
	(void)why;	/* tools/hostd/selftest.sh must fail against this build */
#endif
	r = test_migrate(d);
	if (r)
		return r;
	before = ram_allocated(d);
	hts_apply(&d->t, kind, d->cand, n, punch, d, &res);
	{
		uint64_t after = ram_allocated(d);

		d->bytes_returned += before > after ? before - after : 0;
	}
	if (res.err)
		msg_ratelimited("fallocate(PUNCH_HOLE): %s", strerror(-res.err));
	r = cancel_overlapping_migration(d);
	if (r && r != -EREMOTEIO)
		return r;	/* the journal finishes it, cancel included */
	publish(d, kind, res.taken);
	if (kind == GPH_UNUSED)
		d->drops += res.taken;
	else
		d->discards += res.taken;
	/* Its reply comes after every event emitted before it. */
	r = qmp_cmd(&d->q, "query-status", NULL, NULL, QMP_TIMEOUT_MS);
	if (r && r != -EREMOTEIO)
		return r;
	if (d->reset_seen) {
		r = force_reset(d);
		if (r)
			return r;
	}
resume:
	if (d->we_stopped) {
		r = resume(d);
		if (r)
			return r;	/* the journal stays: the next connection retries */
	}
	d->last_window_us = now_us() - t0;
	d->window_us_total += d->last_window_us;
	d->windows++;
	journal_write(d, false, 0, 0);
	vmsg("window: %s, %zu candidates, %zu taken, %" PRIu64 " us stopped",
	     kind == GPH_UNUSED ? "drop" : "discard", n, res.taken, d->last_window_us);
	return 0;
}

/* Read a small file of --cgroup (or an absolute path) into buf; false if it cannot. */
static bool read_small(const char *name, char *buf, size_t len)
{
	int fd = openat(cgroup_fd >= 0 ? cgroup_fd : AT_FDCWD, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

/* A cgroup memory file's number; false for "max", unreadable or garbled. */
static bool cgroup_value(const char *name, uint64_t *v)
{
	char buf[64], *end;

	if (!read_small(name, buf, sizeof(buf)) || buf[0] < '0' || buf[0] > '9')
		return false;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return !errno && (*end == '\n' || !*end);
}

/* "some avg10" of the PSI memory file, in percent; -1 if it cannot be read. */
static double psi_some_avg10(void)
{
	char buf[256], *p;

	if (!read_small(env.cgroup ? "memory.pressure" : "/proc/pressure/memory", buf,
			sizeof(buf)) || strncmp(buf, "some ", 5))
		return -1;
	p = strstr(buf, "avg10=");
	return p ? strtod(p + 6, NULL) : -1;
}

/* The cgroup's bytes above 90 % of its limit (memory.high, else memory.max). */
static uint64_t cgroup_excess(void)
{
	uint64_t cur, limit;

	if (!cgroup_value("memory.current", &cur)) {
		msg_ratelimited("--cgroup=%s: cannot read memory.current: no pressure from it",
				env.cgroup);
		return 0;
	}
	if (!cgroup_value("memory.high", &limit) && !cgroup_value("memory.max", &limit))
		return 0;
	limit -= limit / 10;
	return cur > limit ? cur - limit : 0;
}

/* Frames of VOLATILE to discard now: 0 if the policy says not to. */
static size_t discard_quota(struct hostd *d)
{
	uint64_t alloc, excess = 0;

	switch (env.discard) {
	case DISCARD_ALWAYS:
		return env.max_batch;
	case DISCARD_PRESSURE:
		if (env.psi && psi_some_avg10() >= env.psi)
			return env.max_batch;
		if (env.max_rss) {
			alloc = ram_allocated(d);
			if (alloc > env.max_rss)
				excess = alloc - env.max_rss;
		}
		if (env.cgroup) {
			alloc = cgroup_excess();
			if (alloc > excess)
				excess = alloc;
		}
		excess = (excess + d->pagesize - 1) >> d->page_shift;
		return excess < env.max_batch ? excess : env.max_batch;
	default:
		return 0;
	}
}

/*
 * Leave out the UNUSED candidates whose page in the RAM file is a hole
 * already: dropped before, by this instance or by one that was killed, and
 * not written since. They need no window. Without this a restarted
 * gph-hostd, whose first pass finds every free frame, spends its first
 * windows stopping the VM to punch nothing. Two lseeks per change between
 * data and hole; an error keeps the candidate.
 */
static size_t skip_holes(struct hostd *d, uint64_t *cand, size_t n)
{
	uint64_t lo = 1, hi = 0, off;	/* [lo, hi) known to be a hole or data */
	bool hole = false;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (!hts_frame_off(&d->map, cand[i], d->page_shift, &off)) {
			cand[k++] = cand[i];	/* hts_apply() skips it */
			continue;
		}
		if (off < lo || off >= hi) {
			off_t data = lseek(d->ram_fd, off, SEEK_DATA), end;

			lo = off;
			if (data < 0) {
				hole = errno == ENXIO;	/* a hole to the end */
				hi = hole ? d->ram_size : off + 1;
			} else if ((uint64_t)data > off) {
				hole = true;
				hi = data;
			} else {
				end = lseek(d->ram_fd, off, SEEK_HOLE);
				hole = false;
				hi = end > data ? (uint64_t)end : off + 1;
			}
		}
		if (!hole)
			cand[k++] = cand[i];
	}
	return k;
}

/*
 * For tools/hostd/selftest.sh: GPH_HOSTD_TEST_RESET=WHERE:PID, WHERE one of
 * "trust" (right before the table would be trusted) or "window" (candidates
 * collected, right before the checks that open a window), stops the fake
 * guest's beat (SIGSTOP to PID) and resets the VM there, once: the RESET
 * comes in while hostd is about to trust, or to stop the VM and punch.
 */
static int test_reset(struct hostd *d, const char *where)
{
	static const char *const ev[] = { "RESET", NULL };
	static bool done;
	const char *v = getenv("GPH_HOSTD_TEST_RESET");
	size_t len = strlen(where);
	uint64_t n0 = d->nr_resets;
	long pid;
	int r;

	if (done || !v || strncmp(v, where, len) || v[len] != ':')
		return 0;
	done = true;
	pid = strtol(v + len + 1, NULL, 10);
	if (pid <= 1 || kill((pid_t)pid, SIGSTOP))
		return -EINVAL;
	msg("test: beat stopped, system_reset before %s", where);
	r = qmp_cmd(&d->q, "system_reset", NULL, NULL, QMP_TIMEOUT_MS);
	if (!r && d->nr_resets == n0)	/* its RESET may have come before the reply */
		r = qmp_wait_event(&d->q, ev, QMP_TIMEOUT_MS);
	return r;
}

static int tick(struct hostd *d)
{
	const struct gph_table_header *h = &d->t.hdr;
	unsigned char kind = GPH_UNUSED;
	uint64_t t0 = now_us();
	const char *why;
	size_t n, quota;
	int r;

	/* Events first: a RESET read now takes the trust before we look. */
	r = qmp_poll_events(&d->q, 0);
	if (r)
		return r;
	if (d->devices_changed && !d->passthrough) {
		d->devices_changed = false;
		r = find_passthrough(d);
		if (r < 0)
			return r;
		d->passthrough = r;
	}
	if (d->passthrough)
		return 0;
	why = hts_header_load(&d->t);
	if (why) {
		msg_ratelimited("table header refused: %s (%" PRIu64 " so far)", why,
				d->t.st.header_rejects);
		return 0;
	}
	if (!d->trust) {
		uint64_t n0 = d->nr_distrusts;	/* a RESET during the map read? */

#ifdef HOSTD_BREAK_TRUST
		if (!(h->guest_flags & GPH_GUEST_ENABLED))
#else
		if (!(h->guest_flags & GPH_GUEST_ENABLED) || h->guest_beat == d->b0)
#endif
			return 0;
		r = test_reset(d, "trust");
		if (r)
			return r;
		r = read_ram_map(d);
		if (r != -1)	/* reconnect, and read it again there */
			return r == SERVE_GONE ? -EPIPE : -EPROTO;
		/*
		 * A RESET read while QMP answered "info mtree" was for this
		 * guest: trust would outlive it. Look again on a later tick,
		 * once the new kernel beats.
		 */
		if (d->nr_distrusts != n0)
			return 0;
		d->trust = true;
		d->last_beat = h->guest_beat;
		d->beat_moved_us = t0;
		d->tgen = h->generation;
		/* Summary bits an earlier instance took may be lost: one full pass. */
		hts_mark_all(&d->t);
		msg("trusting the table: generation %u, %" PRIu64 " frames", d->tgen,
		    (uint64_t)d->t.l.nr_frames);
		/*
		 * BUSY bytes now are nobody's: no window is open, and a killed
		 * instance's were finished from the journal. They come from a
		 * migration or a snapshot that copied the table inside a
		 * window, and the guest would wait on them forever. Release
		 * them as DISCARDED, no punch: the guest takes that as free
		 * (a free frame) or re-reads (a page-cache folio).
		 */
		if (hts_count_busy(&d->t)) {
			struct hts_result res;

			hts_recover(&d->t, GPH_VOLATILE, no_punch, d, &res);
			msg("released %zu BUSY frames no window of ours holds, as DISCARDED",
			    res.taken);
		}
	}
	if (h->generation != d->tgen || !(h->guest_flags & GPH_GUEST_ENABLED)) {
		distrust(d, "generation or ENABLED changed");
		return 0;
	}
	/*
	 * A kernel that stopped beating (paused, hung, or replaced without a
	 * reset, as kexec does) may not own these states any more.
	 */
	if (h->guest_beat != d->last_beat) {
		d->last_beat = h->guest_beat;
		d->beat_moved_us = t0;
	} else if (t0 - d->beat_moved_us > BEAT_TIMEOUT_US) {
		distrust(d, "the guest's beat stopped");
		return 0;
	}
	__atomic_fetch_or(&((struct gph_table_header *)d->tab)->host_flags,
			  GPH_HOST_ATTACHED, __ATOMIC_RELAXED);
	/*
	 * With --discard-volatile=always drops and discards take turns: a
	 * guest that frees pages all the time must not keep its page cache
	 * from being discarded. Under pressure, drops first: they may bring
	 * the file under --max-rss without a discard.
	 */
	quota = discard_quota(d);
	n = 0;
	if (quota && d->volatile_turn) {
		kind = GPH_VOLATILE;
		n = hts_collect(&d->t, GPH_VOLATILE, d->cand, quota);
	}
	if (!n) {
		kind = GPH_UNUSED;
		n = hts_collect(&d->t, GPH_UNUSED, d->cand, env.max_batch);
		n = skip_holes(d, d->cand, n);
	}
	if (!n && quota && !d->volatile_turn) {
		kind = GPH_VOLATILE;
		n = hts_collect(&d->t, GPH_VOLATILE, d->cand, quota);
	}
	d->volatile_turn = n && kind == GPH_UNUSED && env.discard == DISCARD_ALWAYS;
	d->last_scan_us = now_us() - t0;
	d->scan_us_total += d->last_scan_us;
	if (!n)
		return 0;
	r = test_reset(d, "window");
	if (r)
		return r;
	r = vm_may_window(d, false);
	if (r <= 0) {
		hts_mark_all(&d->t);	/* the candidates' summary bits were taken */
		return r;
	}
	return window(d, kind, n);
}

static void stats_line(struct hostd *d)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%ld.%03ld alloc=%" PRIu64 " drops=%" PRIu64 " discards=%" PRIu64
	       " windows=%" PRIu64 " window_us=%" PRIu64 " scan_us=%" PRIu64
	       " rejects=%" PRIu64 " trust=%d\n",
	       (long)ts.tv_sec, ts.tv_nsec / 1000000, ram_allocated(d), d->drops, d->discards,
	       d->windows, d->last_window_us, d->last_scan_us, d->t.st.header_rejects, d->trust);
	fflush(stdout);
}

static void metrics(struct hostd *d)
{
	static const struct { const char *name, *type, *help; } m[] = {
		{ "bytes_returned_total", "counter", "RAM file bytes freed by punches" },
		{ "drops_total", "counter", "UNUSED frames dropped" },
		{ "discards_total", "counter", "VOLATILE frames discarded" },
		{ "windows_total", "counter", "QMP stop windows" },
		{ "window_seconds_total", "counter", "time the vCPUs were stopped by gph-hostd" },
		{ "scan_seconds_total", "counter", "time spent scanning the table" },
		{ "ram_allocated_bytes", "gauge", "allocated bytes of the guest's RAM file" },
		{ "table_rejects_total", "counter", "table headers refused" },
		{ "trusted", "gauge", "1 while the guest's table is trusted (a live kernel beats)" },
		{ "passthrough", "gauge", "1 if a device that pins guest RAM keeps gph-hostd out" },
		{ "window_open", "gauge", "1 while a window is open: the VM may be held stopped "
		  "(alert if it stays 1)" },
	};
	double v[11] = {
		d->bytes_returned, d->drops, d->discards, d->windows,
		d->window_us_total / 1e6, d->scan_us_total / 1e6, ram_allocated(d),
		d->t.st.header_rejects, d->trust, d->passthrough, d->j.stopped,
	};
	char tmp[PATH_MAX];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", env.metrics_file) >= (int)sizeof(tmp))
		return;
	/* Not through a symlink someone left at PATH.tmp. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f && fd >= 0)
		close(fd);
	if (!f) {
		msg_ratelimited("cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		fprintf(f, "# HELP gph_hostd_%s %s\n# TYPE gph_hostd_%s %s\n"
			"gph_hostd_%s{vm=\"%s\"} %.15g\n", m[i].name, m[i].help, m[i].name,
			m[i].type, m[i].name, env.name, v[i]);
	if (fclose(f) || rename(tmp, env.metrics_file))
		msg_ratelimited("cannot write %s: %s", env.metrics_file, strerror(errno));
}

/* One QMP connection: set up, finish the journal, scan until it ends. */
static int serve(struct hostd *d)
{
	uint64_t next = now_us();
	int r;

	/* A VM restarted by libvirt may come back in a new cgroup of the same name. */
	if (env.cgroup) {
		int fd = open(env.cgroup, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0) {
			close(cgroup_fd);
			cgroup_fd = fd;
		}
	}
	d->reset_seen = false;
	r = vm_open(d);
	if (r != -1)
		return r;
	if (d->j.stopped) {
		r = recover(d);
		if (r)
			return qmp_err(r);
	}
	d->trust = false;
	d->b0 = read_beat(d);
	while (!exiting) {
		uint64_t t = now_us();

		if (t >= next) {
			next = t + env.interval_ms * 1000ull;
			r = tick(d);
			if (r)
				return qmp_err(r);
			if (env.stats)
				stats_line(d);
			if (env.metrics_file)
				metrics(d);
			continue;
		}
		/* Sleep on the socket: events are read as they come. */
		r = qmp_poll_events(&d->q, (next - t + 999) / 1000);
		if (r)
			return qmp_err(r);
	}
	return SERVE_EXIT;
}

/* Check --cgroup and --psi once, so that a typo fails at start, not silently later. */
static int pressure_setup(void)
{
	char buf[256];
	uint64_t v;
	bool psi = env.psi;

	if (env.discard != DISCARD_PRESSURE && (env.max_rss || env.cgroup || psi))
		msg("--max-rss, --cgroup and --psi only matter with --discard-volatile=pressure");
	if (env.cgroup) {
		cgroup_fd = open(env.cgroup, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cgroup_fd < 0 || !cgroup_value("memory.current", &v)) {
			fprintf(stderr, "gph-hostd: --cgroup=%s: %s: want the cgroup v2 directory "
				"QEMU runs in, with the memory controller (memory.current)\n",
				env.cgroup, cgroup_fd < 0 ? strerror(errno) : "no memory.current there");
			return -1;
		}
	}
	if (psi && (!read_small(env.cgroup ? "memory.pressure" : "/proc/pressure/memory", buf,
				sizeof(buf)) || psi_some_avg10() < 0)) {
		fprintf(stderr, "gph-hostd: --psi: cannot read %s: the kernel needs CONFIG_PSI "
			"(and no psi=0 on its command line)\n",
			env.cgroup ? "memory.pressure in --cgroup" : "/proc/pressure/memory");
		return -1;
	}
	if (env.discard == DISCARD_PRESSURE && !env.max_rss && !env.cgroup && !psi)
		vmsg("--discard-volatile=pressure without --max-rss, --cgroup or --psi: "
		     "VOLATILE frames stay");
	return 0;
}

/*
 * --exit-when-gone: is the VM gone for good? Only if nobody listens on the
 * socket (a QEMU busy in a long stop or a slow greeting is still there), and
 * never while our journal says a window is open in a QEMU that still lives:
 * that VM stays paused until a gph-hostd finishes the window.
 */
static bool vm_gone(struct hostd *d, int err)
{
	if (err != -ENOENT && err != -ECONNREFUSED)
		return false;
	if (d->j.stopped && d->j.qemu_pid &&
	    (kill((pid_t)d->j.qemu_pid, 0) == 0 || errno == EPERM) &&
	    (!d->j.qemu_start || proc_start(d->j.qemu_pid) == d->j.qemu_start)) {
		msg_ratelimited("QMP socket gone, but QEMU %u lives with our window open: waiting",
				d->j.qemu_pid);
		return false;
	}
	return true;
}

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

int main(int argc, char **argv)
{
	static struct hostd hostd = { .ram_fd = -1, .tab_fd = -1, .jfd = -1 };
	struct hostd *d = &hostd;
	struct sigaction sa = { .sa_handler = on_signal };
	bool said_waiting = false;
	char namebuf[65];
	int ret = 1;

	argp_err_exit_status = 1;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 1;
	if (!env.nr_allow)
		env.allow[env.nr_allow++] = "/dev/shm";
	if (!env.name) {
		const char *b = strrchr(env.qmp_path, '/');
		char *dot;

		snprintf(namebuf, sizeof(namebuf), "%s", b ? b + 1 : env.qmp_path);
		dot = strrchr(namebuf, '.');
		if (dot && dot != namebuf)
			*dot = 0;
		if (!valid_name(namebuf)) {
			fprintf(stderr, "gph-hostd: cannot make a name of '%s': give --name\n",
				env.qmp_path);
			return 1;
		}
		env.name = namebuf;
	}
	if (pressure_setup())
		return 1;
	d->pagesize = sysconf(_SC_PAGESIZE);
	d->page_shift = __builtin_ctz(d->pagesize);
	d->cand = calloc(env.max_batch, sizeof(*d->cand));
	if (!d->cand || journal_open(d))
		goto cleanup;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->q.on_event = on_event;
	d->q.ctx = d;
	d->q.fd = -1;

	while (!exiting) {
		int r = qmp_connect(&d->q, env.qmp_path, QMP_TIMEOUT_MS);

		if (r) {
			if (env.exit_when_gone && vm_gone(d, r)) {
				msg("QMP %s: %s: the VM is gone", env.qmp_path, strerror(-r));
				ret = 0;
				goto cleanup;
			}
			if (!said_waiting)
				msg("QMP %s: %s: retrying every %d ms", env.qmp_path,
				    strerror(-r), RECONNECT_MS);
			said_waiting = true;
			usleep(RECONNECT_MS * 1000);
			continue;
		}
		said_waiting = false;
		vmsg("connected to %s", env.qmp_path);
		r = serve(d);
		vm_close(d);
		qmp_close(&d->q);
		if (r == SERVE_FATAL)
			goto cleanup;
		if (r == SERVE_GONE && env.exit_when_gone && vm_gone(d, -ECONNREFUSED)) {
			msg("the VM is gone");
			break;
		}
		if (r != SERVE_EXIT && !exiting) {
			msg("QMP connection lost (%s): reconnecting",
			    r == SERVE_GONE ? "closed" : "protocol error or timeout");
			usleep(RECONNECT_MS * 1000);
		}
	}
	ret = 0;
cleanup:
	vm_close(d);
	qmp_close(&d->q);
	if (env.stats && d->have_vm)
		stats_line(d);
	/* Leaving with no window open: nothing to alert on, no stale counters. */
	if (env.metrics_file && !d->j.stopped)
		unlink(env.metrics_file);
	free(d->cand);
	if (d->jfd >= 0)
		close(d->jfd);
	return ret;
}
