// SPDX-License-Identifier: LGPL-2.1-or-later
/* See json_out.h. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "json_out.h"
#include "timeparse.h"

void jw_init(struct jw *j)
{
	sb_init(&j->sb);
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

void jw_free(struct jw *j)
{
	sb_free(&j->sb);
}

/* The comma before a value, unless it is the first at its level or the
 * value of a key just written. */
static void sep(struct jw *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		sb_putc(&j->sb, ',');
	j->first[j->depth] = false;
}

static void begin(struct jw *j, char c)
{
	sep(j);
	sb_putc(&j->sb, c);
	if (j->depth + 1 < JW_MAX_DEPTH)
		j->depth++;
	else
		j->sb.oom = true; /* deeper than we write: fail the document */
	j->first[j->depth] = true;
}

static void end(struct jw *j, char c)
{
	sb_putc(&j->sb, c);
	if (j->depth > 0)
		j->depth--;
}

void jw_object_begin(struct jw *j) { begin(j, '{'); }
void jw_object_end(struct jw *j) { end(j, '}'); }
void jw_array_begin(struct jw *j) { begin(j, '['); }
void jw_array_end(struct jw *j) { end(j, ']'); }

void jw_key(struct jw *j, const char *key)
{
	sep(j);
	sb_json_str(&j->sb, key, strlen(key));
	sb_putc(&j->sb, ':');
	j->after_key = true;
}

void jw_string(struct jw *j, const char *s)
{
	sep(j);
	sb_json_str(&j->sb, s, strlen(s));
}

void jw_u64(struct jw *j, uint64_t v)
{
	sep(j);
	sb_printf(&j->sb, "%llu", (unsigned long long)v);
}

void jw_i64(struct jw *j, int64_t v)
{
	sep(j);
	sb_printf(&j->sb, "%lld", (long long)v);
}

void jw_double(struct jw *j, double v)
{
	sep(j);
	if (!isfinite(v)) /* JSON has no NaN or infinity */
		sb_puts(&j->sb, "null");
	else
		sb_printf(&j->sb, "%.17g", v);
}

void jw_bool(struct jw *j, bool v)
{
	sep(j);
	sb_puts(&j->sb, v ? "true" : "false");
}

void jw_null(struct jw *j)
{
	sep(j);
	sb_puts(&j->sb, "null");
}

void jw_kv_string(struct jw *j, const char *key, const char *s)
{
	jw_key(j, key);
	jw_string(j, s);
}

void jw_kv_u64(struct jw *j, const char *key, uint64_t v)
{
	jw_key(j, key);
	jw_u64(j, v);
}

void jw_kv_bool(struct jw *j, const char *key, bool v)
{
	jw_key(j, key);
	jw_bool(j, v);
}

void jw_kv_time(struct jw *j, const char *key, uint64_t usec)
{
	char name[128], buf[64];
	const char *s = format_time_rfc3339(usec, buf, sizeof(buf));

	jw_kv_u64(j, key, usec);
	snprintf(name, sizeof(name), "%s_rfc3339", key);
	jw_key(j, name);
	if (s)
		jw_string(j, s);
	else
		jw_null(j);
}

int jw_flush(struct jw *j, FILE *f)
{
	int r = 0;

	if (j->sb.oom)
		r = -ENOMEM;
	else {
		fputs(sb_str(&j->sb), f);
		fputc('\n', f);
		if (fflush(f) != 0 || ferror(f))
			r = -EIO;
	}
	sb_reset(&j->sb);
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
	return r;
}
