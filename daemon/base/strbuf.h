/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A growable text buffer, reused across events so that formatting an event
 * does not allocate once the buffer has reached its working size. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;  /* an allocation failed; content is truncated */
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_putc(struct strbuf *sb, char c);
void sb_put(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* A JSON string literal, quotes included; invalid UTF-8 and control bytes
 * are escaped so the output is always valid JSON. */
void sb_json_str(struct strbuf *sb, const char *s, size_t n);
/* NUL-terminated view; valid until the next write. */
const char *sb_str(struct strbuf *sb);
