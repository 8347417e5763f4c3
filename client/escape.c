// SPDX-License-Identifier: LGPL-2.1-or-later
/* See escape.h.  The escaped form is plain ASCII plus well-formed UTF-8, so
 * measuring and truncating it (for table columns) never meets a control
 * byte or half a character. */
#include <string.h>
#include <wchar.h>

#include "escape.h"
#include "utf8.h"

/* Code points above ASCII that a terminal acts on or that reorder text. */
static bool dangerous(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029;
}

static void put_hex(struct strbuf *sb, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

	sb_put(sb, e, sizeof(e));
}

void esc_append(struct strbuf *sb, const char *s, unsigned flags)
{
	size_t n = strlen(s), i = 0, run = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		unsigned cp;
		size_t len;

		if (c >= 0x20 && c < 0x7f) {
			i++;
			continue;
		}
		if (c == '\n' && (flags & ESC_KEEP_NEWLINE)) {
			i++;
			continue;
		}
		len = c >= 0x80 ? te_utf8_decode(s + i, n - i, &cp) : 0;
		if (len && !dangerous(cp)) {
			i += len;
			continue;
		}
		sb_put(sb, s + run, i - run);
		if (c == '\t')
			sb_puts(sb, "\\t");
		else if (c == '\n')
			sb_puts(sb, "\\n");
		else if (c == '\r')
			sb_puts(sb, "\\r");
		else if (len)
			for (size_t k = 0; k < len; k++)
				put_hex(sb, (unsigned char)s[i + k]);
		else
			put_hex(sb, c);
		i += len ? len : 1;
		run = i;
	}
	sb_put(sb, s + run, i - run);
}

/* Width of one code point of escaped text: wcwidth() knows wide East Asian
 * characters in a UTF-8 locale; where it does not know (C locale), one. */
static size_t cp_width(unsigned cp)
{
	int w;

	if (cp < 0x80)
		return 1;
	w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : (size_t)w;
}

size_t esc_width(const char *s)
{
	size_t n = strlen(s), w = 0;

	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = te_utf8_decode(s + i, n - i, &cp);

		if (!len) { /* not escaped text after all: count the byte */
			w++;
			i++;
			continue;
		}
		w += cp_width(cp);
		i += len;
	}
	return w;
}

size_t esc_prefix_fitting(const char *s, size_t cols, size_t *width)
{
	size_t n = strlen(s), w = 0, i = 0;

	while (i < n) {
		unsigned cp;
		size_t len = te_utf8_decode(s + i, n - i, &cp), cw;

		cw = len ? cp_width(cp) : 1;
		if (!len)
			len = 1;
		if (w + cw > cols)
			break;
		w += cw;
		i += len;
	}
	*width = w;
	return i;
}
