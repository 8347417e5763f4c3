// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Growable text buffer.  It is reset, not freed, between events, so once it
 * has grown to the size of the largest event formatted so far, formatting
 * does not allocate.  On allocation failure the buffer keeps what fits,
 * sets oom, and ignores further writes until reset: callers check oom once
 * at the end instead of after every call.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "utf8.h"

void sb_init(struct strbuf *sb)
{
	sb->p = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->oom = false;
}

void sb_free(struct strbuf *sb)
{
	free(sb->p);
	sb_init(sb);
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->oom = false;
	if (sb->p)
		sb->p[0] = '\0';
}

/* Room for @n more bytes plus the NUL that sb_str() relies on. */
static bool sb_grow(struct strbuf *sb, size_t n)
{
	size_t need, cap;
	char *p;

	if (sb->oom)
		return false;
	if (n > SIZE_MAX - sb->len - 1)
		goto fail;
	need = sb->len + n + 1;
	if (need <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(sb->p, cap);
	if (!p)
		goto fail;
	sb->p = p;
	sb->cap = cap;
	return true;
fail:
	sb->oom = true;
	return false;
}

void sb_put(struct strbuf *sb, const char *s, size_t n)
{
	if (n == 0 || !sb_grow(sb, n))
		return;
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

void sb_putc(struct strbuf *sb, char c)
{
	if (!sb_grow(sb, 1))
		return;
	sb->p[sb->len++] = c;
	sb->p[sb->len] = '\0';
}

void sb_puts(struct strbuf *sb, const char *s)
{
	sb_put(sb, s, strlen(s));
}

void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list again;
	size_t room;
	int n;

	if (sb->oom)
		return;
	/* Try in the space we have first: the common case needs one pass. */
	room = sb->cap > sb->len ? sb->cap - sb->len : 0;
	va_copy(again, ap);
	n = vsnprintf(room ? sb->p + sb->len : NULL, room, fmt, ap);
	if (n < 0)
		goto out;
	if ((size_t)n >= room) {
		if (!sb_grow(sb, (size_t)n)) {
			if (sb->p && sb->cap > sb->len)
				sb->p[sb->len] = '\0'; /* drop the partial write */
			goto out;
		}
		vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, again);
	}
	sb->len += (size_t)n;
out:
	va_end(again);
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

/*
 * JSON string with the escapes RFC 8259 requires plus:
 *  - control bytes and DEL: \b \f \n \r \t where JSON has a short form,
 *    \u00XX otherwise (DEL too, so a terminal never sees raw control bytes);
 *  - a byte that does not start a well-formed UTF-8 sequence: \u00XX with
 *    the byte's value.  Paths and argv are bytes, not text; this keeps the
 *    byte value visible to an investigator (a Latin-1 file name reads as
 *    itself), where U+FFFD would erase it.  The cost: a consumer cannot
 *    tell an escaped invalid byte 0xE9 from a genuine U+00E9 "é", which in
 *    our output would always appear unescaped as the UTF-8 pair C3 A9.
 * Runs of plain bytes are copied in one sb_put.
 */
void sb_json_str(struct strbuf *sb, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	sb_putc(sb, '"');
	while (i < n) {
		unsigned char c = s[i];
		const char *esc = NULL;
		size_t seq;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			seq = te_utf8_seq_len((const char *)s + i, n - i);
			if (seq) {
				i += seq;
				continue;
			}
		}
		sb_put(sb, str + run, i - run);
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		}
		if (esc) {
			sb_puts(sb, esc);
		} else {
			static const char hex[] = "0123456789abcdef";
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			sb_put(sb, u, sizeof(u));
		}
		i++;
		run = i;
	}
	sb_put(sb, str + run, i - run);
	sb_putc(sb, '"');
}

const char *sb_str(struct strbuf *sb)
{
	/* every write leaves p NUL-terminated at len */
	return sb->p ? sb->p : "";
}
