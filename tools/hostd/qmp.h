/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The little JSON and QMP gph-hostd needs. QMP is line-oriented: QEMU sends
 * one JSON object a line, replies and events in the order it makes them.
 * The parser is strict, bounded (depth, size) and returns NULL on anything
 * it does not understand; nothing QEMU sends can make it crash.
 */
#ifndef _GPH_HOSTD_QMP_H
#define _GPH_HOSTD_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	enum jv_type type;
	bool b;
	bool neg;		/* JV_NUM: negative */
	bool frac;		/* JV_NUM: had a fraction or exponent */
	uint64_t u;		/* JV_NUM: the magnitude, if an integer that fits */
	char *s;		/* JV_STR: NUL-terminated (a \u0000 ends it early) */
	size_t n;		/* JV_ARR, JV_OBJ: members */
	char **keys;		/* JV_OBJ */
	struct jv **v;
};

struct jv *jv_parse(const char *text, size_t len);
void jv_free(struct jv *v);
const struct jv *jv_get(const struct jv *obj, const char *key);
/* The string at @key, or NULL if absent or not a string. */
const char *jv_str(const struct jv *obj, const char *key);
/* Append @s as a JSON string literal (quotes and escapes) to @buf. */
bool jv_quote(char *buf, size_t size, const char *s);

/* One QMP connection. */
struct qmp {
	int fd;
	char *buf;		/* bytes read, not yet a line */
	size_t len, cap;
	uint64_t next_id;
	/* called for every event read; @name is the event, @data its data */
	void (*on_event)(void *ctx, const char *name, const struct jv *msg);
	void *ctx;
};

#define QMP_MAX_LINE	(16u << 20)

/* Return: 0, -errno from connect(), or -EPROTO (no greeting, capabilities refused). */
int qmp_connect(struct qmp *q, const char *path, int timeout_ms);
void qmp_close(struct qmp *q);

/**
 * qmp_cmd - run one command, handing every event before its reply to on_event
 * @args: a JSON object's text, or NULL
 * @reply: the whole reply object, for the caller to free; NULL to drop it
 *
 * Return: 0 on a "return" reply, -EREMOTEIO on an "error" reply (*reply still
 * set), -ETIMEDOUT, -EPIPE (the connection is gone) or -EPROTO.
 */
int qmp_cmd(struct qmp *q, const char *cmd, const char *args,
	    struct jv **reply, int timeout_ms);

/* Read events for up to @timeout_ms (0: only what is there). Return: 0 or -EPIPE, -EPROTO. */
int qmp_poll_events(struct qmp *q, int timeout_ms);

/**
 * qmp_wait_event - read until one of the events in @names (NULL-terminated)
 *
 * Every event is still handed to on_event. Return: 0, -ETIMEDOUT, -EPIPE, -EPROTO.
 */
int qmp_wait_event(struct qmp *q, const char *const *names, int timeout_ms);

#endif /* _GPH_HOSTD_QMP_H */
