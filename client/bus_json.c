// SPDX-License-Identifier: LGPL-2.1-or-later
/* See bus_json.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus_json.h"

union basic {
	uint8_t y;
	int b;
	int16_t n;
	uint16_t q;
	int32_t i;
	uint32_t u;
	int64_t x;
	uint64_t t;
	double d;
	const char *s;
	int h;
};

static int read_basic(struct jw *j, sd_bus_message *m, char type, bool as_key)
{
	union basic v;
	char buf[32];
	int r = sd_bus_message_read_basic(m, type, &v);

	if (r < 0)
		return r;
	if (r == 0)
		return -EBADMSG;
	/* a dictionary key must be a JSON string: numbers are printed */
	switch (type) {
	case 's': case 'o': case 'g':
		if (as_key)
			jw_key(j, v.s);
		else
			jw_string(j, v.s);
		return 0;
	case 'b':
		if (as_key)
			jw_key(j, v.b ? "true" : "false");
		else
			jw_bool(j, v.b);
		return 0;
	case 'y': snprintf(buf, sizeof(buf), "%u", v.y); break;
	case 'n': snprintf(buf, sizeof(buf), "%d", v.n); break;
	case 'q': snprintf(buf, sizeof(buf), "%u", v.q); break;
	case 'i': snprintf(buf, sizeof(buf), "%d", v.i); break;
	case 'u': snprintf(buf, sizeof(buf), "%u", v.u); break;
	case 'x': snprintf(buf, sizeof(buf), "%lld", (long long)v.x); break;
	case 't': snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v.t); break;
	case 'd':
		if (!as_key) {
			jw_double(j, v.d);
			return 0;
		}
		snprintf(buf, sizeof(buf), "%.17g", v.d);
		break;
	case 'h': /* a descriptor means nothing outside this process */
		if (as_key)
			jw_key(j, "fd");
		else
			jw_null(j);
		return 0;
	default:
		return -EBADMSG;
	}
	if (as_key)
		jw_key(j, buf);
	else if (type == 'x' || type == 'i' || type == 'n')
		jw_i64(j, type == 'x' ? v.x : type == 'i' ? v.i : v.n);
	else
		jw_u64(j, type == 't' ? v.t : type == 'u' ? v.u : type == 'q' ? v.q : v.y);
	return 0;
}

static int value(struct jw *j, sd_bus_message *m, int depth)
{
	const char *contents;
	char type;
	int r;

	/* D-Bus nests at most 64 containers; our writer fewer */
	if (depth >= JW_MAX_DEPTH - 2)
		return -E2BIG;
	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r < 0)
		return r;
	if (r == 0)
		return -EBADMSG;
	switch (type) {
	case 'v':
		r = sd_bus_message_enter_container(m, 'v', contents);
		if (r >= 0)
			r = value(j, m, depth + 1);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		return r;
	case 'a':
		r = sd_bus_message_enter_container(m, 'a', contents);
		if (r < 0)
			return r;
		if (contents[0] == '{') {
			/* "{sv}" -> "sv": what a dict entry contains */
			char entry[256];
			size_t len = strlen(contents);

			if (len < 4 || len - 2 >= sizeof(entry))
				return -EBADMSG;
			memcpy(entry, contents + 1, len - 2);
			entry[len - 2] = '\0';
			jw_object_begin(j);
			while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', entry)) > 0) {
				r = read_basic(j, m, contents[1], true);
				if (r >= 0)
					r = value(j, m, depth + 1);
				if (r >= 0)
					r = sd_bus_message_exit_container(m);
			}
			jw_object_end(j);
		} else {
			jw_array_begin(j);
			while (r >= 0 && (r = sd_bus_message_at_end(m, false)) == 0)
				r = value(j, m, depth + 1);
			jw_array_end(j);
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		return r;
	case 'r':
		r = sd_bus_message_enter_container(m, 'r', contents);
		if (r < 0)
			return r;
		jw_array_begin(j);
		while (r >= 0 && (r = sd_bus_message_at_end(m, false)) == 0)
			r = value(j, m, depth + 1);
		jw_array_end(j);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		return r;
	default:
		return read_basic(j, m, type, false);
	}
}

int jw_from_bus(struct jw *j, sd_bus_message *m)
{
	return value(j, m, 0);
}
