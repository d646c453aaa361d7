// SPDX-License-Identifier: GPL-2.0
/*
 * hostchan SOCKET RAMFILE — answer a guest's questions about its host, on
 * the guest's second serial port (QEMU: -chardev socket,server=on,path=SOCKET
 * -device isa-serial), for the gph-hostd scenarios. One request a line:
 *
 *   blocks       -> "blocks N": bytes of RAMFILE the host has allocated
 *                   (st_blocks * 512), what gph-hostd gives back
 *   time         -> "time NS": the host's CLOCK_MONOTONIC
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

int main(int argc, char **argv)
{
	char line[128], reply[128];
	struct timespec ts;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	char c;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: hostchan SOCKET RAMFILE\n");
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
