// SPDX-License-Identifier: LGPL-2.1-or-later
/* See timeparse.h.  Hand-written rather than strptime(): strptime accepts
 * trailing garbage and out-of-range fields that mktime() then silently
 * normalises ("2026-02-31" would become March 3rd). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "timeparse.h"

uint64_t now_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* Exactly @digits decimal digits at *p into *v; advances *p. */
static bool take_num(const char **p, int digits, int *v)
{
	int x = 0;

	for (int i = 0; i < digits; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += digits;
	*v = x;
	return true;
}

/* ".ddd" (1..9 digits) as microseconds; nothing there is 0. */
static bool take_fraction(const char **p, uint64_t *usec)
{
	uint64_t scale = 100000, v = 0;
	int n = 0;

	*usec = 0;
	if (**p != '.')
		return true;
	(*p)++;
	for (; isdigit((unsigned char)**p); (*p)++, n++) {
		v += (uint64_t)(**p - '0') * scale;
		scale /= 10;
	}
	*usec = v;
	return n > 0 && n <= 9;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

static int to_usec(time_t t, uint64_t frac, uint64_t *ret)
{
	if (t < 0)
		return -ERANGE;
	*ret = (uint64_t)t * USEC_PER_SEC + frac;
	return 0;
}

/* Local midnight @days_back days before @now. */
static int local_midnight(uint64_t now, int days_back, uint64_t *ret)
{
	time_t t = (time_t)(now / USEC_PER_SEC);
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return -ERANGE;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday -= days_back;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -ERANGE;
	return to_usec(t, 0, ret);
}

static int parse_absolute(const char *p, uint64_t *ret)
{
	struct tm tm = { .tm_isdst = -1 };
	int y, mo, d, h = 0, mi = 0, s = 0, oh = 0, om = 0;
	uint64_t frac = 0;
	bool zone = false;
	long off = 0;
	time_t t;

	if (!take_num(&p, 4, &y) || *p++ != '-' || !take_num(&p, 2, &mo) ||
	    *p++ != '-' || !take_num(&p, 2, &d))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -EINVAL;
	if (*p == ' ' || *p == 'T' || *p == 't') {
		p++;
		if (!take_num(&p, 2, &h) || *p++ != ':' || !take_num(&p, 2, &mi))
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (!take_num(&p, 2, &s) || !take_fraction(&p, &frac))
				return -EINVAL;
		}
		if (h > 23 || mi > 59 || s > 60)
			return -EINVAL;
		if (*p == 'Z' || *p == 'z') {
			zone = true;
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;

			if (!take_num(&p, 2, &oh) || *p++ != ':' || !take_num(&p, 2, &om) ||
			    oh > 23 || om > 59)
				return -EINVAL;
			zone = true;
			off = sign * (oh * 3600L + om * 60L);
		}
	}
	if (*p)
		return -EINVAL;
	if (s == 60) /* a leap second reads as the one before */
		s = 59;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	if (zone) {
		tm.tm_isdst = 0;
		t = timegm(&tm);
		if (t == (time_t)-1)
			return -ERANGE;
		t -= off;
	} else {
		/* -1 is a valid result (1969-12-31 23:59:59 UTC) but we reject
		 * times before the epoch anyway */
		t = mktime(&tm);
		if (t == (time_t)-1)
			return -ERANGE;
	}
	return to_usec(t, frac, ret);
}

static const struct unit {
	const char *name;
	uint64_t usec;
} units[] = {
	{ "us", 1 }, { "usec", 1 },
	{ "ms", 1000 }, { "msec", 1000 },
	{ "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC }, { "second", USEC_PER_SEC },
	{ "seconds", USEC_PER_SEC },
	{ "m", 60 * USEC_PER_SEC }, { "min", 60 * USEC_PER_SEC },
	{ "minute", 60 * USEC_PER_SEC }, { "minutes", 60 * USEC_PER_SEC },
	{ "h", 3600 * USEC_PER_SEC }, { "hr", 3600 * USEC_PER_SEC },
	{ "hour", 3600 * USEC_PER_SEC }, { "hours", 3600 * USEC_PER_SEC },
	{ "d", 86400 * USEC_PER_SEC }, { "day", 86400 * USEC_PER_SEC },
	{ "days", 86400 * USEC_PER_SEC },
	{ "w", 7 * 86400 * USEC_PER_SEC }, { "week", 7 * 86400 * USEC_PER_SEC },
	{ "weeks", 7 * 86400 * USEC_PER_SEC },
};

/* "1h30min", "5 min", "2d 3h" (at least one number+unit, nothing after)
 * up to @end. */
static int parse_span(const char *p, const char *end, uint64_t *ret)
{
	uint64_t total = 0;
	bool any = false;

	while (p < end) {
		uint64_t n = 0, u = 0;
		const char *q;
		size_t len;

		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; p < end && isdigit((unsigned char)*p); p++) {
			if (n > (UINT64_MAX - 9) / 10)
				return -ERANGE;
			n = n * 10 + (uint64_t)(*p - '0');
		}
		while (p < end && *p == ' ')
			p++;
		for (q = p; q < end && isalpha((unsigned char)*q); q++)
			;
		len = (size_t)(q - p);
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == len && !strncmp(units[i].name, p, len))
				u = units[i].usec;
		if (!u)
			return -EINVAL; /* a bare number is ambiguous: ask for a unit */
		if (n > (UINT64_MAX - total) / u)
			return -ERANGE;
		total += n * u;
		any = true;
		p = q;
	}
	if (!any)
		return -EINVAL;
	*ret = total;
	return 0;
}

int parse_time(const char *s, uint64_t now, uint64_t *ret)
{
	size_t n = strlen(s);
	uint64_t span, frac;
	int r;

	if (!strcmp(s, "now")) {
		*ret = now;
		return 0;
	}
	if (!strcmp(s, "today"))
		return local_midnight(now, 0, ret);
	if (!strcmp(s, "yesterday"))
		return local_midnight(now, 1, ret);
	if (s[0] == '@') {
		const char *p = s + 1;
		uint64_t sec = 0;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (sec > (UINT64_MAX / USEC_PER_SEC - 9) / 10)
				return -ERANGE;
			sec = sec * 10 + (uint64_t)(*p - '0');
		}
		if (!take_fraction(&p, &frac) || *p)
			return -EINVAL;
		*ret = sec * USEC_PER_SEC + frac;
		return 0;
	}
	if (s[0] == '-' || (n > 4 && !strcmp(s + n - 4, " ago"))) {
		const char *b = s[0] == '-' ? s + 1 : s;
		const char *e = s[0] == '-' ? s + n : s + n - 4;

		r = parse_span(b, e, &span);
		if (r < 0)
			return r;
		if (span > now)
			return -ERANGE;
		*ret = now - span;
		return 0;
	}
	return parse_absolute(s, ret);
}

const char *format_time_local(uint64_t usec, char *buf, size_t n)
{
	time_t t = (time_t)(usec / USEC_PER_SEC);
	struct tm tm;

	if (usec == 0 || !localtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, n, "-");
	return buf;
}

const char *format_time_rfc3339(uint64_t usec, char *buf, size_t n)
{
	time_t t = (time_t)(usec / USEC_PER_SEC);
	char day[32];
	struct tm tm;

	if (usec == 0 || !gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm))
		return NULL;
	snprintf(buf, n, "%s.%06uZ", day, (unsigned)(usec % USEC_PER_SEC));
	return buf;
}
