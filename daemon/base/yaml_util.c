/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "yaml_util.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

const char *te_yaml_node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a string";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

bool te_yaml_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = te_yaml_scalar(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

const char *te_yaml_problem(const yaml_parser_t *p, const char *dflt, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", p->problem ? p->problem : dflt, p->context ? " " : "",
		 p->context ? p->context : "");
	return buf;
}

const char *te_yaml_shown(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	if (i < n && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

/* ---- errors ------------------------------------------------------------ */

/* "KEY: " (when @key) and the message, into @msg. */
static void vformat(char msg[TE_YAML_MSG_MAX], const char *key, const char *fmt, va_list ap)
{
	int n = 0;

	if (key) {
		n = snprintf(msg, TE_YAML_MSG_MAX, "%s: ", key);
		if (n < 0)
			n = 0;
		else if (n >= TE_YAML_MSG_MAX)
			n = TE_YAML_MSG_MAX - 1;
	}
	vsnprintf(msg + n, TE_YAML_MSG_MAX - (size_t)n, fmt, ap);
}

static int emit(const struct te_yaml_err *e, int err, unsigned line, unsigned col, const char *msg)
{
	const char *file = e->file ? e->file : "<string>";
	char pos[sizeof(":4294967295:4294967295")] = "";

	if (e->report)
		e->report(e->ctx, file, line, col, msg);
	if (line != TE_YAML_NOPOS && col != TE_YAML_NOPOS)
		snprintf(pos, sizeof(pos), ":%u:%u", line, col);
	else if (line != TE_YAML_NOPOS)
		snprintf(pos, sizeof(pos), ":%u", line);
	if (e->buf && e->len)
		snprintf(e->buf, e->len, "%s%s: %s", file, pos, msg);
	if (e->out)
		fprintf(e->out, "%s%s: %s\n", file, pos, msg);
	return err;
}

int te_yaml_verrorf(const struct te_yaml_err *e, int err, unsigned line, unsigned col,
		    const char *fmt, va_list ap)
{
	char msg[TE_YAML_MSG_MAX];

	vformat(msg, NULL, fmt, ap);
	return emit(e, err, line, col, msg);
}

int te_yaml_errnof(const struct te_yaml_err *e, int err, unsigned line, unsigned col,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = te_yaml_verrorf(e, err, line, col, fmt, ap);
	va_end(ap);
	return err;
}

int te_yaml_errorf(const struct te_yaml_err *e, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = te_yaml_verrorf(e, -EINVAL, line, col, fmt, ap);
	va_end(ap);
	return r;
}

int te_yaml_node_errorf(const struct te_yaml_err *e, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = te_yaml_verrorf(e, -EINVAL, te_yaml_line(&n->start_mark), te_yaml_col(&n->start_mark),
			    fmt, ap);
	va_end(ap);
	return r;
}

int te_yaml_oom(const struct te_yaml_err *e)
{
	return emit(e, -ENOMEM, TE_YAML_NOPOS, TE_YAML_NOPOS, "out of memory");
}

/* ---- scalar values ----------------------------------------------------- */

struct te_yaml_val te_yaml_node_val(const yaml_node_t *n, const char *key)
{
	struct te_yaml_val v = {
		.key = key,
		.line = te_yaml_line(&n->start_mark),
		.col = te_yaml_col(&n->start_mark),
	};

	if (n->type != YAML_SCALAR_NODE)
		v.found = te_yaml_node_kind(n);
	else if (!te_yaml_is_null(n))
		v.text = te_yaml_scalar(n);
	v.quoted = n->type == YAML_SCALAR_NODE &&
		   n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
		   n->data.scalar.style != YAML_ANY_SCALAR_STYLE;
	return v;
}

int te_yaml_val_errorf(const struct te_yaml_err *e, const struct te_yaml_val *v, const char *fmt,
		       ...)
{
	char msg[TE_YAML_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vformat(msg, v->key, fmt, ap);
	va_end(ap);
	return emit(e, -EINVAL, v->line, v->col, msg);
}

static int want_text(const struct te_yaml_err *e, const struct te_yaml_val *v, const char *what)
{
	if (v->text && v->text[0])
		return 0;
	return te_yaml_val_errorf(e, v, "expected %s, found %s", what,
				  !v->text && v->found ? v->found : "nothing");
}

int te_yaml_want_bool(const struct te_yaml_err *e, const struct te_yaml_val *v, bool *out)
{
	char b[64];

	if (!v->text)
		return want_text(e, v, "true or false");
	if (!v->quoted && !strcasecmp(v->text, "true"))
		*out = true;
	else if (!v->quoted && !strcasecmp(v->text, "false"))
		*out = false;
	else
		return te_yaml_val_errorf(e, v, "expected true or false, found '%s'",
					  te_yaml_shown(v->text, b, sizeof(b)));
	return 0;
}

int te_yaml_want_uint(const struct te_yaml_err *e, const struct te_yaml_val *v, unsigned min,
		      unsigned max, const char *unit, unsigned *out)
{
	unsigned long long n = 0;
	bool u = unit && *unit;
	char b[64];
	int r;

	if (v->text && v->quoted)
		return te_yaml_val_errorf(e, v, "expected a number, found the string \"%s\"",
					  te_yaml_shown(v->text, b, sizeof(b)));
	r = want_text(e, v, "a number");
	if (r < 0)
		return r;
	for (const char *p = v->text; *p; p++)
		if (*p < '0' || *p > '9')
			return te_yaml_val_errorf(e, v, "'%s' is not a number%s%s",
						  te_yaml_shown(v->text, b, sizeof(b)),
						  u ? " of " : "", u ? unit : "");
	/* Saturate instead of overflowing: "99999999999999999999" is out of
	 * range, not some wrapped-around small number. */
	for (const char *p = v->text; *p && n <= max; p++)
		n = n * 10 + (unsigned)(*p - '0');
	if (n < min || n > max)
		return te_yaml_val_errorf(e, v, "%s is out of range (%u to %u%s%s)",
					  te_yaml_shown(v->text, b, sizeof(b)), min, max,
					  u ? " " : "", u ? unit : "");
	*out = (unsigned)n;
	return 0;
}

int te_yaml_want_str(const struct te_yaml_err *e, const struct te_yaml_val *v, const char *what)
{
	return want_text(e, v, what);
}

int te_yaml_want_path(const struct te_yaml_err *e, const struct te_yaml_val *v)
{
	char b[256];
	int r;

	r = want_text(e, v, "a path");
	if (r < 0)
		return r;
	if (v->text[0] != '/')
		return te_yaml_val_errorf(e, v, "'%s' is not an absolute path",
					  te_yaml_shown(v->text, b, sizeof(b)));
	return 0;
}
