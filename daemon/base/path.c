// SPDX-License-Identifier: LGPL-2.1-or-later
#include "path.h"

#include <string.h>

size_t te_path_normalize(char *p, size_t len)
{
	size_t in = 0, out = 0;

	if (len == 0 || p[0] != '/')
		return len;
	/* out is where the next "/component" is written; out == 0 is "/" */
	while (in < len) {
		size_t start, n;

		while (in < len && p[in] == '/')
			in++;
		start = in;
		while (in < len && p[in] != '/')
			in++;
		n = in - start;
		if (n == 0 || (n == 1 && p[start] == '.'))
			continue;
		if (n == 2 && p[start] == '.' && p[start + 1] == '.') {
			while (out > 0 && p[out - 1] != '/')
				out--;
			if (out > 0)
				out--; /* the '/' before the removed component */
			continue;
		}
		p[out++] = '/';
		memmove(p + out, p + start, n);
		out += n;
	}
	if (out == 0)
		p[out++] = '/';
	if (out < len)
		p[out] = '\0';
	return out;
}
