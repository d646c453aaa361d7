// SPDX-License-Identifier: GPL-2.0
/*
 * hostchan SOCKET RAMFILE [QMP [PIDFILE JOURNAL LOG]] — answer a guest's questions about its host, on
 * the guest's second serial port (QEMU: -chardev socket,server=on,path=SOCKET
 * -device isa-serial), for the gph-hostd scenarios. One request a line:
 *
 *   blocks       -> "blocks N": bytes of RAMFILE the host has allocated
 *                   (st_blocks * 512), what gph-hostd gives back
 *   time         -> "time NS": the host's CLOCK_MONOTONIC
 *   reset        -> "reset ok": QMP system_reset (needs QMP, a socket of
 *                   its own: gph-hostd has the other)
 *   reboots-on   -> "reboots-on ok": a reset or guest reboot resets the VM
 *                   (set-action reboot=reset; the runner starts QEMU with
 *                   -no-reboot, so that the guest's last reboot ends it)
 *   reboots-off  -> "reboots-off ok": back to reboot=shutdown
 *   kill-on      -> "kill-on ok": kill -9 gph-hostd (its pid in PIDFILE;
 *                   the runner restarts it) again and again until kill-off:
 *                   every other kill at a random time 0.2-1.5 s after the
 *                   last, the others the moment its JOURNAL says a window
 *                   is open (the VM may then be stopped, frames BUSY)
 *   kill-off     -> "kill-off KILLS INWINDOW RECOVERED": kills sent, kills
 *                   sent while a window was open, and how often a restarted
 *                   gph-hostd found a window to finish (lines in its LOG)
 *   log-count T  -> "log-count N": lines of gph-hostd's LOG that contain T
 *   files        -> "files SIZE BLOCKS TABBLOCKS SENTINEL": RAMFILE's size
 *                   and allocated bytes, the table file's allocated bytes
 *                   (RAMFILE with .tab for .ram), and whether the sentinel
 *                   (.sentinel for .ram, made by the runner, read at start)
 *                   is "intact" or "changed"
 *   sample-on    -> "sample-on ok": every 100 ms, append "NS BYTES" (host
 *                   CLOCK_MONOTONIC, RAMFILE's allocated bytes) to the
 *                   samples file (.samples for .ram), until sample-off
 *   sample-off   -> "sample-off N": N samples written
 *   mark NAME    -> "mark NS": append "NS mark NAME" to the samples file
 *                   (make bench-host: where each workload starts and frees)
 *
 * Anything else gets "error unknown request". Connects when QEMU has made
 * the socket (retrying for 60 s) and exits 0 when the guest side closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int connect_retry(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i, fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "hostchan: socket path too long: %s\n", path);
		exit(2);
	}
	strcpy(sa.sun_path, path);
	for (i = 0; i < 600; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		usleep(100000);
	}
	fprintf(stderr, "hostchan: cannot connect to %s: %s\n", path, strerror(errno));
	exit(1);
}

/* One QMP command on a fresh connection; 0 if QEMU answered "return". */
static int qmp(const char *qmp_path, const char *cmd)
{
	char buf[4096];
	size_t len = 0;
	int fd, step = 0, ok = -1;
	ssize_t n;

	if (!qmp_path)
		return -1;
	fd = connect_retry(qmp_path);
	while (step < 3 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		char *nl;

		len += n;
		buf[len] = 0;
		while ((nl = strchr(buf, '\n'))) {
			*nl = 0;
			if (step == 0 && strstr(buf, "\"QMP\"")) {
				dprintf(fd, "{\"execute\":\"qmp_capabilities\"}\n");
				step = 1;
			} else if (step == 1 && strstr(buf, "\"return\"")) {
				dprintf(fd, "%s\n", cmd);
				step = 2;
			} else if (step == 2 && (strstr(buf, "\"return\"") || strstr(buf, "\"error\""))) {
				ok = strstr(buf, "\"return\"") ? 0 : -1;
				if (ok)
					fprintf(stderr, "hostchan: %s: %s\n", cmd, buf);
				step = 3;
			}
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0;	/* a line too long to matter */
	}
	close(fd);
	return ok;
}

/* --- kill -9 gph-hostd ------------------------------------------------------ */

struct kill_counts {
	unsigned long kills, in_window, samples;
};

static pid_t read_pid(const char *pidfile)
{
	FILE *f = fopen(pidfile, "r");
	long pid = 0;

	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid > 1 ? (pid_t)pid : 0;
}

/* gph-hostd's journal: magic, then "stopped" (a window is open). */
static int window_open(const char *journal)
{
	uint32_t j[2] = { 0, 0 };
	int fd = open(journal, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, j, sizeof(j), 0) != sizeof(j))
		j[1] = 0;
	close(fd);
	return j[1] != 0;
}

/* The killer, a child of its own until kill-off sends it SIGTERM. */
static void killer(const char *pidfile, const char *journal, struct kill_counts *kc)
{
	unsigned int seed = getpid();
	unsigned long round;
	pid_t pid, last = 0;
	int i, inw;

	for (round = 0;; round++) {
		inw = 0;
		if (round & 1) {
			/* Wait up to 3 s for a window of a gph-hostd not yet killed. */
			for (i = 0; i < 15000; i++) {
				pid = read_pid(pidfile);
				if (pid && pid != last && window_open(journal)) {
					inw = 1;
					break;
				}
				usleep(200);
			}
		} else {
			usleep(200000 + rand_r(&seed) % 1300000);
		}
		pid = read_pid(pidfile);
		if (!pid || pid == last || kill(pid, SIGKILL))
			continue;	/* not restarted yet, or gone */
		last = pid;
		__atomic_add_fetch(&kc->kills, 1, __ATOMIC_RELAXED);
		if (inw)
			__atomic_add_fetch(&kc->in_window, 1, __ATOMIC_RELAXED);
		fprintf(stderr, "hostchan: killed gph-hostd %d%s\n", pid,
			inw ? " with a window open" : "");
	}
}

static unsigned long count_lines(const char *path, const char *what)
{
	unsigned long n = 0;
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, what) != NULL;
	fclose(f);
	return n;
}

/* RAMFILE's sibling: its name with SUFFIX for ".ram"; static buffer. */
static const char *sibling(const char *ramfile, const char *suffix)
{
	static char path[4096];
	size_t n = strlen(ramfile);

	if (n < 4 || n + strlen(suffix) >= sizeof(path) || strcmp(ramfile + n - 4, ".ram"))
		return "/nonexistent";
	memcpy(path, ramfile, n - 4);
	strcpy(path + n - 4, suffix);
	return path;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Append one line to the samples file (O_APPEND: sampler and marks mix). */
static void sample_line(const char *ramfile, const char *line)
{
	int fd = open(sibling(ramfile, ".samples"), O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		perror("hostchan: samples");
	close(fd);
}

/* The sampler: a child writing "NS BYTES" every 100 ms until SIGTERM. */
static void sampler(const char *ramfile, unsigned long *count)
{
	struct timespec next;
	char line[64];
	struct stat st;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		if (!stat(ramfile, &st)) {
			snprintf(line, sizeof(line), "%lld %lld\n", now_ns(),
				 (long long)st.st_blocks * 512);
			sample_line(ramfile, line);
			(*count)++;
		}
		next.tv_nsec += 100000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
}

/* The sentinel's bytes and allocation, to compare with at "files". */
static char *sentinel_copy;
static struct stat sentinel_st;

static char *slurp(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;

	if (fd >= 0 && !fstat(fd, st) && st->st_size > 0 && st->st_size < (64 << 20)) {
		buf = malloc(st->st_size);
		if (buf && pread(fd, buf, st->st_size, 0) != st->st_size) {
			free(buf);
			buf = NULL;
		}
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

static const char *sentinel_state(const char *ramfile)
{
	struct stat st;
	char *now = slurp(sibling(ramfile, ".sentinel"), &st);
	int same = sentinel_copy && now && st.st_size == sentinel_st.st_size &&
		   st.st_blocks == sentinel_st.st_blocks &&
		   !memcmp(now, sentinel_copy, st.st_size);

	free(now);
	return same ? "intact" : "changed";
}

/* The killer and the sampler end with hostchan, however it ends. */
static void child_dies_with_parent(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() == 1)
		_exit(1);
}

int main(int argc, char **argv)
{
	char line[128], reply[256];
	struct timespec ts;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	char c;
	int fd;

	const char *qmp_path = argc > 3 ? argv[3] : NULL;
	const char *pidfile = argc > 6 ? argv[4] : NULL;
	struct kill_counts *kc;
	pid_t killer_pid = 0, sampler_pid = 0;

	if (argc != 3 && argc != 4 && argc != 7) {
		fprintf(stderr, "usage: hostchan SOCKET RAMFILE [QMP [PIDFILE JOURNAL LOG]]\n");
		return 2;
	}
	kc = mmap(NULL, sizeof(*kc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (kc == MAP_FAILED) {
		perror("hostchan: mmap");
		return 1;
	}
	sentinel_copy = slurp(sibling(argv[2], ".sentinel"), &sentinel_st);
	fd = connect_retry(argv[1]);
	while ((n = read(fd, &c, 1)) == 1) {
		if (c == '\r')
			continue;
		if (c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = c;
			continue;
		}
		line[len] = 0;
		len = 0;
		if (!strcmp(line, "blocks")) {
			if (stat(argv[2], &st))
				snprintf(reply, sizeof(reply), "error %s\n", strerror(errno));
			else
				snprintf(reply, sizeof(reply), "blocks %lld\n",
					 (long long)st.st_blocks * 512);
		} else if (!strcmp(line, "time")) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			snprintf(reply, sizeof(reply), "time %lld\n",
				 (long long)ts.tv_sec * 1000000000 + ts.tv_nsec);
		} else if (!strcmp(line, "reset") || !strcmp(line, "reboots-on") ||
			   !strcmp(line, "reboots-off")) {
			const char *cmd = !strcmp(line, "reset") ?
				"{\"execute\":\"system_reset\"}" :
				!strcmp(line, "reboots-on") ?
				"{\"execute\":\"set-action\",\"arguments\":{\"reboot\":\"reset\"}}" :
				"{\"execute\":\"set-action\",\"arguments\":{\"reboot\":\"shutdown\"}}";

			snprintf(reply, sizeof(reply), "%s %s\n", line,
				 qmp(qmp_path, cmd) ? "failed" : "ok");
		} else if (!strcmp(line, "kill-on") && pidfile && !killer_pid) {
			kc->kills = kc->in_window = 0;
			killer_pid = fork();
			if (!killer_pid) {
				child_dies_with_parent();
				killer(pidfile, argv[5], kc);
				_exit(0);
			}
			snprintf(reply, sizeof(reply), "kill-on %s\n", killer_pid > 0 ? "ok" : "failed");
			if (killer_pid < 0)
				killer_pid = 0;
		} else if (!strcmp(line, "kill-off") && killer_pid) {
			kill(killer_pid, SIGTERM);
			waitpid(killer_pid, NULL, 0);
			killer_pid = 0;
			snprintf(reply, sizeof(reply), "kill-off %lu %lu %lu\n", kc->kills,
				 kc->in_window, count_lines(argv[6], "left a window open"));
		} else if (!strncmp(line, "log-count ", 10) && argc > 6) {
			snprintf(reply, sizeof(reply), "log-count %lu\n",
				 count_lines(argv[6], line + 10));
		} else if (!strcmp(line, "files")) {
			struct stat tab;

			if (stat(argv[2], &st) || stat(sibling(argv[2], ".tab"), &tab))
				snprintf(reply, sizeof(reply), "error %s\n", strerror(errno));
			else
				snprintf(reply, sizeof(reply), "files %lld %lld %lld %s\n",
					 (long long)st.st_size, (long long)st.st_blocks * 512,
					 (long long)tab.st_blocks * 512, sentinel_state(argv[2]));
		} else if (!strcmp(line, "sample-on") && !sampler_pid) {
			kc->samples = 0;
			sampler_pid = fork();
			if (!sampler_pid) {
				child_dies_with_parent();
				sampler(argv[2], &kc->samples);
				_exit(0);
			}
			snprintf(reply, sizeof(reply), "sample-on %s\n", sampler_pid > 0 ? "ok" : "failed");
			if (sampler_pid < 0)
				sampler_pid = 0;
		} else if (!strcmp(line, "sample-off") && sampler_pid) {
			kill(sampler_pid, SIGTERM);
			waitpid(sampler_pid, NULL, 0);
			sampler_pid = 0;
			snprintf(reply, sizeof(reply), "sample-off %lu\n", kc->samples);
		} else if (!strncmp(line, "mark ", 5) && line[5]) {
			char m[192];
			long long t = now_ns();

			snprintf(m, sizeof(m), "%lld mark %s\n", t, line + 5);
			sample_line(argv[2], m);
			snprintf(reply, sizeof(reply), "mark %lld\n", t);
		} else if (!line[0]) {
			continue;
		} else {
			snprintf(reply, sizeof(reply), "error unknown request\n");
		}
		if (write(fd, reply, strlen(reply)) < 0)
			break;
	}
	if (killer_pid) {
		kill(killer_pid, SIGTERM);
		waitpid(killer_pid, NULL, 0);
	}
	if (sampler_pid) {
		kill(sampler_pid, SIGTERM);
		waitpid(sampler_pid, NULL, 0);
	}
	return 0;
}
