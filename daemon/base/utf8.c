/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t te_utf8_decode(const char *str, size_t n, unsigned *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c, lo = 0x80, hi = 0xbf; /* allowed range of the 2nd byte */
	size_t len;
	unsigned v;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		len = 1;
		v = c;
		goto out;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
out:
	if (cp)
		*cp = v;
	return len;
}

size_t te_utf8_seq_len(const char *s, size_t avail)
{
	return te_utf8_decode(s, avail, NULL);
}

bool te_utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = te_utf8_seq_len(s + i, len - i);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

char *te_utf8_dup_escaped(const char *s)
{
	size_t len, o = 0;
	char *out;

	if (!s)
		s = "";
	len = strlen(s);
	if (te_utf8_valid(s, len)) {
		out = malloc(len + 1);
		if (out)
			memcpy(out, s, len + 1);
		return out;
	}
	out = malloc(len * 4 + 1); /* every byte may become \xNN */
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = te_utf8_seq_len(s + i, len - i);

		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			o += (size_t)sprintf(out + o, "\\x%02x", (unsigned char)s[i]);
			i++;
		}
	}
	out[o] = '\0';
	return out;
}

void te_utf8_sanitize_terminal(char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = te_utf8_decode(s + i, len - i, &cp);

		if (n == 0) {
			s[i++] = '?';
			continue;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			memset(s + i, '?', n);
		i += n;
	}
}
