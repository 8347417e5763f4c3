/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small libyaml helpers shared by the readers of YAML input (the
 * configuration, its webhook entries, the rule files) and of the rule
 * state: one way to point a message at a position, one set of checks for
 * scalar values, so that every reader words the same mistake the same way.
 */
#pragma once

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <yaml.h>

/* libyaml marks are 0-based; messages are 1-based like compilers'. */
static inline unsigned te_yaml_line(const yaml_mark_t *m)
{
	return (unsigned)m->line + 1;
}

static inline unsigned te_yaml_col(const yaml_mark_t *m)
{
	return (unsigned)m->column + 1;
}

static inline const char *te_yaml_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static inline size_t te_yaml_seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* What a node is, for "expected X, found %s": "a string", "a mapping"... */
const char *te_yaml_node_kind(const yaml_node_t *n);

/* A plain scalar that YAML reads as null: empty ("key:"), ~, null. */
bool te_yaml_is_null(const yaml_node_t *n);

/*
 * libyaml's words for a failed load: "problem context", or @dflt when it
 * gave no problem.  Returns @buf.
 */
const char *te_yaml_problem(const yaml_parser_t *p, const char *dflt, char *buf, size_t len);

/* For messages: @s with control characters shown as '?', cut to what fits
 * in @buf with "..." marking the cut.  Returns @buf. */
const char *te_yaml_shown(const char *s, char *buf, size_t len);

/* ---- errors ------------------------------------------------------------ */

/*
 * Where a reader's messages go.  Each message is
 *     "FILE:LINE:COL: message"
 *     "FILE:LINE: message"          (col is TE_YAML_NOPOS: a line-based file)
 *     "FILE: message"               (line is TE_YAML_NOPOS: the whole input)
 * and is written to every destination that is set: @buf (a reader that
 * stops at its first error), @out (one line each, for a reader that goes
 * on), @report (in parts, TE_YAML_NOPOS as is, for one that keeps them).
 */
struct te_yaml_err {
	const char *file;      /* FILE; NULL: "<string>" */
	char *buf;             /* the last message; NULL or @len 0: not kept */
	size_t len;
	FILE *out;             /* NULL: not written */
	void (*report)(void *ctx, const char *file, unsigned line, unsigned col,
		       const char *msg);
	void *ctx;
};

/* A line or column that is not known: left out of the message.  Not 0,
 * which the rule language prints ("FILE:0:0: cannot open: ..."). */
#define TE_YAML_NOPOS UINT_MAX

/* Longest message (without "FILE:LINE:COL: "); longer ones are cut. */
#define TE_YAML_MSG_MAX 512

/* Write a message; returns @err (a negative errno). */
int te_yaml_verrorf(const struct te_yaml_err *e, int err, unsigned line, unsigned col,
		    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
int te_yaml_errnof(const struct te_yaml_err *e, int err, unsigned line, unsigned col,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* -EINVAL, the usual one. */
int te_yaml_errorf(const struct te_yaml_err *e, unsigned line, unsigned col, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));
/* At @n's start. */
int te_yaml_node_errorf(const struct te_yaml_err *e, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "FILE: out of memory", -ENOMEM. */
int te_yaml_oom(const struct te_yaml_err *e);

/* ---- scalar values ----------------------------------------------------- */

/*
 * One value to check, wherever it was read from (a node, a key/value kept
 * by the configuration), named by @key in messages:
 *     "FILE:LINE:COL: KEY: expected true or false, found 'yes'"
 */
struct te_yaml_val {
	const char *key;       /* "outputs.journal"; NULL: no "KEY: " */
	const char *text;      /* the scalar; NULL: there is none */
	const char *found;     /* @text NULL: what is there instead ("a mapping");
				* NULL: "nothing" */
	bool quoted;           /* written in quotes, so a string: never taken as
				* a number or a boolean */
	unsigned line, col;    /* where the value starts */
};

/* @n as a value: a scalar's text, none for a null one ("key:", ~, null) or
 * a collection (found: "a sequence", "a mapping"). */
struct te_yaml_val te_yaml_node_val(const yaml_node_t *n, const char *key);

/* A message about @v: "FILE:LINE:COL: KEY: message", -EINVAL. */
int te_yaml_val_errorf(const struct te_yaml_err *e, const struct te_yaml_val *v, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));

/*
 * The checks: 0 and *out, or -EINVAL and a message.
 *   bool   true or false, any case (not YAML 1.1's yes/no/on/off: "no" is
 *          more often a typo'd string than a boolean)
 *   uint   decimal digits only (not "-1", " 8", "0x10"), @min..@max;
 *          @unit ("seconds", or NULL) is named in messages
 *   str    a non-empty string; @what names it ("a scope expression")
 *   path   an absolute path: a relative one would depend on the
 *          directory the daemon was started in
 * Values are shown cut and without control characters.
 */
int te_yaml_want_bool(const struct te_yaml_err *e, const struct te_yaml_val *v, bool *out);
int te_yaml_want_uint(const struct te_yaml_err *e, const struct te_yaml_val *v, unsigned min,
		      unsigned max, const char *unit, unsigned *out);
int te_yaml_want_str(const struct te_yaml_err *e, const struct te_yaml_val *v, const char *what);
int te_yaml_want_path(const struct te_yaml_err *e, const struct te_yaml_val *v);
