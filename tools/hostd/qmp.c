// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal JSON and a QMP client for gph-hostd (qmp.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "qmp.h"

#define JV_MAX_DEPTH	64
/* Values per message: QEMU's replies hold a few hundred; a hostile peer's 16 MiB line, millions. */
#define JV_MAX_NODES	65536

/* --- JSON ---------------------------------------------------------------- */

struct jp {
	const char *p, *end;
	int depth;
	size_t nodes;
};

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static struct jv *parse_value(struct jp *j);

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string literal at j->p (the opening quote); returns a malloc'd copy. */
static char *parse_string(struct jp *j)
{
	const char *p = j->p + 1, *q;
	char *out, *o;

	if (j->p >= j->end || *j->p != '"')
		return NULL;
	/* The literal's end first: allocate for it, not for the rest of the line. */
	for (q = p; q < j->end && *q != '"'; q++)
		if (*q == '\\' && q + 1 < j->end)
			q++;
	if (q >= j->end)
		return NULL;
	/* The decoded string is never longer than the literal. */
	out = malloc(q - p + 1);
	if (!out)
		return NULL;
	o = out;
	while (p < j->end && *p != '"') {
		unsigned char c = *p++;

		if (c < 0x20)
			goto bad;
		if (c != '\\') {
			*o++ = c;
			continue;
		}
		if (p >= j->end)
			goto bad;
		c = *p++;
		switch (c) {
		case '"': case '\\': case '/': *o++ = c; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned int u = 0;
			int i, h;

			if (j->end - p < 4)
				goto bad;
			for (i = 0; i < 4; i++) {
				h = hexval(p[i]);
				if (h < 0)
					goto bad;
				u = u << 4 | h;
			}
			p += 4;
			/* Six bytes in, at most three out. Surrogates and NUL: '?'. */
			if (u == 0 || (u >= 0xd800 && u <= 0xdfff)) {
				*o++ = '?';
			} else if (u < 0x80) {
				*o++ = u;
			} else if (u < 0x800) {
				*o++ = 0xc0 | u >> 6;
				*o++ = 0x80 | (u & 0x3f);
			} else {
				*o++ = 0xe0 | u >> 12;
				*o++ = 0x80 | ((u >> 6) & 0x3f);
				*o++ = 0x80 | (u & 0x3f);
			}
			break;
		}
		default:
			goto bad;
		}
	}
	if (p >= j->end)
		goto bad;
	*o = 0;
	j->p = p + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static struct jv *parse_number(struct jp *j, struct jv *v)
{
	const char *p = j->p;
	bool digits = false;

	v->type = JV_NUM;
	if (p < j->end && *p == '-') {
		v->neg = true;
		p++;
	}
	while (p < j->end && *p >= '0' && *p <= '9') {
		unsigned int d = *p - '0';

		if (v->u > (UINT64_MAX - d) / 10)
			v->frac = true;		/* does not fit: not an integer we use */
		else
			v->u = v->u * 10 + d;
		digits = true;
		p++;
	}
	if (!digits)
		return NULL;
	if (p < j->end && *p == '.') {
		v->frac = true;
		p++;
		if (p >= j->end || *p < '0' || *p > '9')
			return NULL;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E')) {
		v->frac = true;
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= j->end || *p < '0' || *p > '9')
			return NULL;
		while (p < j->end && *p >= '0' && *p <= '9')
			p++;
	}
	j->p = p;
	return v;
}

static bool push(struct jv *v, char *key, struct jv *m)
{
	struct jv **nv;

	if (v->n % 8 == 0) {
		nv = realloc(v->v, (v->n + 8) * sizeof(*nv));
		if (!nv)
			return false;
		v->v = nv;
		if (v->type == JV_OBJ) {
			char **nk = realloc(v->keys, (v->n + 8) * sizeof(*nk));

			if (!nk)
				return false;
			v->keys = nk;
		}
	}
	if (v->type == JV_OBJ)
		v->keys[v->n] = key;
	v->v[v->n++] = m;
	return true;
}

static struct jv *parse_container(struct jp *j, struct jv *v, char close)
{
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct jv *m;

		skip_ws(j);
		if (v->type == JV_OBJ) {
			key = parse_string(j);
			if (!key)
				return NULL;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':') {
				free(key);
				return NULL;
			}
			j->p++;
		}
		m = parse_value(j);
		if (!m || !push(v, key, m)) {
			free(key);
			jv_free(m);
			return NULL;
		}
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return v;
		}
		return NULL;
	}
}

static bool literal(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
		return false;
	j->p += n;
	return true;
}

static struct jv *parse_value(struct jp *j)
{
	struct jv *v, *r = NULL;

	skip_ws(j);
	if (j->p >= j->end || j->depth >= JV_MAX_DEPTH || ++j->nodes > JV_MAX_NODES)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	j->depth++;
	switch (*j->p) {
	case '{':
		v->type = JV_OBJ;
		r = parse_container(j, v, '}');
		break;
	case '[':
		v->type = JV_ARR;
		r = parse_container(j, v, ']');
		break;
	case '"':
		v->type = JV_STR;
		v->s = parse_string(j);
		r = v->s ? v : NULL;
		break;
	case 't':
		v->type = JV_BOOL;
		v->b = true;
		r = literal(j, "true") ? v : NULL;
		break;
	case 'f':
		v->type = JV_BOOL;
		r = literal(j, "false") ? v : NULL;
		break;
	case 'n':
		r = literal(j, "null") ? v : NULL;
		break;
	default:
		r = parse_number(j, v);
		break;
	}
	j->depth--;
	if (!r)
		jv_free(v);
	return r;
}

struct jv *jv_parse(const char *text, size_t len)
{
	struct jp j = { .p = text, .end = text + len };
	struct jv *v = parse_value(&j);

	skip_ws(&j);
	if (v && j.p != j.end) {
		jv_free(v);
		return NULL;
	}
	return v;
}

void jv_free(struct jv *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		jv_free(v->v[i]);
	}
	free(v->keys);
	free(v->v);
	free(v->s);
	free(v);
}

const struct jv *jv_get(const struct jv *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != JV_OBJ)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return obj->v[i];
	return NULL;
}

const char *jv_str(const struct jv *obj, const char *key)
{
	const struct jv *v = jv_get(obj, key);

	return v && v->type == JV_STR ? v->s : NULL;
}

bool jv_quote(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

#define PUT(c) do { if (n + 1 >= size) return false; buf[n++] = (c); } while (0)
	PUT('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			PUT('\\');
			PUT(c);
		} else if (c < 0x20) {
			if (n + 7 >= size)
				return false;
			n += snprintf(buf + n, size - n, "\\u%04x", c);
		} else {
			PUT(c);
		}
	}
	PUT('"');
	buf[n] = 0;
	return true;
#undef PUT
}

/* --- QMP ----------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The next line, parsed, waiting up to @deadline (ms, CLOCK_MONOTONIC; < 0:
 * don't wait). Return: 1 and *out, 0 on timeout, or -EPIPE, -EPROTO.
 */
static int read_msg(struct qmp *q, int64_t deadline, struct jv **out)
{
	for (;;) {
		char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		int64_t left;
		ssize_t r;

		if (nl) {
			size_t n = nl - q->buf;
			bool empty = n == 0 || (n == 1 && q->buf[0] == '\r');

			*out = empty ? NULL : jv_parse(q->buf, n);
			memmove(q->buf, nl + 1, q->len - n - 1);
			q->len -= n + 1;
			if (empty)
				continue;
			return *out ? 1 : -EPROTO;
		}
		if (q->len >= QMP_MAX_LINE)
			return -EPROTO;
		left = deadline < 0 ? 0 : deadline - now_ms();
		if (left < 0)
			left = 0;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -EPIPE;
		if (r == 0)
			return 0;
		if (q->cap - q->len < 65536) {
			size_t cap = q->cap ? q->cap * 2 : 131072;
			char *nb;

			if (cap > QMP_MAX_LINE + 65536)
				cap = QMP_MAX_LINE + 65536;
			nb = realloc(q->buf, cap);
			if (!nb)
				return -EPROTO;
			q->buf = nb;
			q->cap = cap;
		}
		r = read(q->fd, q->buf + q->len, q->cap - q->len);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -EPIPE;
		q->len += r;
	}
}

/* Hand an event to on_event. Return: true if @m was an event. */
static bool dispatch_event(struct qmp *q, struct jv *m, const char **name)
{
	const char *ev = jv_str(m, "event");

	if (!ev)
		return false;
	if (q->on_event)
		q->on_event(q->ctx, ev, m);
	if (name)
		*name = ev;
	return true;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t r = send(fd, s, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPIPE;
		s += r;
		n -= r;
	}
	return 0;
}

int qmp_cmd(struct qmp *q, const char *cmd, const char *args,
	    struct jv **reply, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	uint64_t id = ++q->next_id;
	char *line;
	size_t n;
	int r;

	if (reply)
		*reply = NULL;
	if (q->fd < 0)
		return -EPIPE;
	n = strlen(cmd) + (args ? strlen(args) : 0) + 96;
	line = malloc(n);
	if (!line)
		return -ENOMEM;
	snprintf(line, n, "{\"execute\": \"%s\"%s%s, \"id\": %llu}\n", cmd,
		 args ? ", \"arguments\": " : "", args ? args : "",
		 (unsigned long long)id);
	r = write_all(q->fd, line, strlen(line));
	free(line);
	if (r)
		return r;
	for (;;) {
		struct jv *m;
		const struct jv *rid;

		r = read_msg(q, deadline, &m);
		if (r <= 0)
			return r ? r : -ETIMEDOUT;
		if (dispatch_event(q, m, NULL)) {
			jv_free(m);
			continue;
		}
		rid = jv_get(m, "id");
		if ((!jv_get(m, "return") && !jv_get(m, "error")) ||
		    !rid || rid->type != JV_NUM || rid->u != id) {
			jv_free(m);	/* a greeting, or a stale reply */
			continue;
		}
		r = jv_get(m, "error") ? -EREMOTEIO : 0;
		if (reply)
			*reply = m;
		else
			jv_free(m);
		return r;
	}
}

int qmp_poll_events(struct qmp *q, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		struct jv *m;
		int r = read_msg(q, timeout_ms ? deadline : -1, &m);

		if (r <= 0)
			return r;
		dispatch_event(q, m, NULL);
		jv_free(m);
		/* Once something came, drain only what is already there. */
		timeout_ms = 0;
	}
}

int qmp_wait_event(struct qmp *q, const char *const *names, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		const char *ev = NULL;
		struct jv *m;
		bool hit = false;
		int r = read_msg(q, deadline, &m);

		if (r <= 0)
			return r ? r : -ETIMEDOUT;
		if (dispatch_event(q, m, &ev))
			for (const char *const *n = names; *n; n++)
				hit |= !strcmp(*n, ev);
		jv_free(m);
		if (hit)
			return 0;
	}
}

int qmp_connect(struct qmp *q, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct jv *m = NULL;
	int r;

	q->fd = -1;
	q->len = 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return -errno;
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		r = -errno;
		qmp_close(q);
		return r;
	}
	/* The greeting, then leave capability negotiation: only then events come. */
	r = read_msg(q, now_ms() + timeout_ms, &m);
	if (r <= 0 || !jv_get(m, "QMP")) {
		jv_free(m);
		qmp_close(q);
		return r < 0 && r != -EPROTO ? r : -EPROTO;
	}
	jv_free(m);
	r = qmp_cmd(q, "qmp_capabilities", NULL, NULL, timeout_ms);
	if (r) {
		qmp_close(q);
		return r == -EPIPE ? r : -EPROTO;
	}
	return 0;
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->len = 0;
}
