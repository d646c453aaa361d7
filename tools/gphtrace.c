// SPDX-License-Identifier: GPL-2.0
/*
 * gphtrace: attach gph's BPF programs to the module's tracepoints.
 *
 * Today it pins the transition counter under /sys/fs/bpf/gph/ so that
 * `bpftool map dump pinned /sys/fs/bpf/gph/transitions` shows it, and
 * removes it again.
 */
#include <argp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
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

static struct env {
	enum { ACT_NONE, ACT_PIN, ACT_UNPIN } action;
	const char *pin_dir;
	int verbose;
} env = { .pin_dir = GPH_PIN_DEFAULT };

const char *argp_program_version = "gphtrace 0.1";
static const char doc[] =
"Trace gph page-state transitions with BPF.\n"
"\n"
"USAGE: gphtrace --pin [DIR] | --unpin [DIR]\n"
"\n"
"--pin loads the BPF programs, attaches them to the gph:gph_state tracepoint\n"
"(tp_btf through the module's BTF, raw_tp when that is missing) and pins the\n"
"attachment and the 'transitions' map under DIR (default " GPH_PIN_DEFAULT "), then\n"
"exits: counting goes on until --unpin.\n"
"\n"
"EXAMPLES:\n"
"  gphtrace --pin\n"
"  bpftool map dump pinned " GPH_PIN_DEFAULT "/transitions\n"
"  gphtrace --unpin\n"
"\n"
"EXIT STATUS: 0 success, 1 BPF failure, 2 bad usage, 3 gph.ko not loaded,\n"
"4 not permitted (run as root).";

static const struct argp_option opts[] = {
	{ "pin", 'p', "DIR", OPTION_ARG_OPTIONAL, "Attach and pin under DIR", 0 },
	{ "unpin", 'u', "DIR", OPTION_ARG_OPTIONAL, "Detach: remove what --pin left in DIR", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf debug output", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'p':
	case 'u':
		if (env.action != ACT_NONE)
			argp_error(state, "--pin and --unpin exclude each other");
		env.action = key == 'p' ? ACT_PIN : ACT_UNPIN;
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
		if (env.action == ACT_NONE)
			argp_error(state, "nothing to do: give --pin or --unpin");
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

static int pin(void)
{
	struct bpf_program *prog = NULL;
	struct bpf_link *link = NULL;
	struct gph_bpf *obj;
	char path[512];
	int err = EXIT_FAIL;

	obj = load(&prog);
	if (!obj) {
		fprintf(stderr, "gphtrace: cannot load the BPF programs (-v shows why)\n");
		return EXIT_FAIL;
	}
	link = bpf_program__attach(prog);
	if (!link) {
		fprintf(stderr, "gphtrace: cannot attach to gph:gph_state: %s\n", strerror(errno));
		goto cleanup;
	}
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
	return pin();
}
