// SPDX-License-Identifier: GPL-2.0
/*
 * hostchan SOCKET RAMFILE [QMP] — answer a guest's questions about its host, on
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
 *
 * Anything else gets "error unknown request". Connects when QEMU has made
 * the socket (retrying for 60 s) and exits 0 when the guest side closes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: hostchan SOCKET RAMFILE [QMP]\n");
		return 2;
	}
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
		} else if (!line[0]) {
			continue;
		} else {
			snprintf(reply, sizeof(reply), "error unknown request\n");
		}
		if (write(fd, reply, strlen(reply)) < 0)
			break;
	}
	return 0;
}
