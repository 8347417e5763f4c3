/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bus-free parts of tracectl: --since parsing and time formatting,
 * escaping of untrusted strings, table layout and truncation, the JSON
 * writer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "escape.h"
#include "json_out.h"
#include "strbuf.h"
#include "table.h"
#include "timeparse.h"

#define T0 UINT64_C(1767323045) /* 2026-01-02 03:04:05 UTC, a Friday */
#define S(x) ((uint64_t)(x) * USEC_PER_SEC)

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static uint64_t parsed(const char *s, uint64_t now)
{
	uint64_t v = 0;
	int r = parse_time(s, now, &v);

	if (r < 0)
		fail_msg("parse_time(\"%s\") = %d", s, r);
	return v;
}

static void assert_bad_time(const char *s, int err)
{
	uint64_t v = 12345;
	int r = parse_time(s, S(T0), &v);

	if (r != err)
		fail_msg("parse_time(\"%s\") = %d (value %llu), expected %d", s, r,
			 (unsigned long long)v, err);
	assert_int_equal(v, 12345); /* untouched on error */
}

static void test_time_absolute(void **state)
{
	(void)state;
	set_tz("UTC0");
	assert_int_equal(parsed("2026-01-02 03:04:05", 0), S(T0));
	assert_int_equal(parsed("2026-01-02T03:04:05", 0), S(T0));
	assert_int_equal(parsed("2026-01-02 03:04", 0), S(T0 - 5));
	assert_int_equal(parsed("2026-01-02", 0), S(T0 - 3 * 3600 - 4 * 60 - 5));
	assert_int_equal(parsed("2026-01-02T03:04:05Z", 0), S(T0));
	assert_int_equal(parsed("2026-01-02t03:04:05z", 0), S(T0));
	assert_int_equal(parsed("2026-01-02T04:04:05+01:00", 0), S(T0));
	assert_int_equal(parsed("2026-01-01T22:04:05-05:00", 0), S(T0));
	assert_int_equal(parsed("2026-01-02T03:04:05.123456Z", 0), S(T0) + 123456);
	assert_int_equal(parsed("2026-01-02T03:04:05.5Z", 0), S(T0) + 500000);
	assert_int_equal(parsed("2026-01-02T03:04:05.123456789Z", 0), S(T0) + 123456);
	assert_int_equal(parsed("2024-02-29", 0), S(1709164800)); /* leap day */
	assert_int_equal(parsed("1970-01-01T00:00:00Z", 0), 0);

	/* local time follows TZ, DST included */
	set_tz("CET-1CEST,M3.5.0,M10.5.0/3");
	assert_int_equal(parsed("2026-01-02 04:04:05", 0), S(T0));
	assert_int_equal(parsed("2026-07-01 12:00:00", 0), parsed("2026-07-01T10:00:00Z", 0));
	/* an explicit offset ignores TZ */
	assert_int_equal(parsed("2026-01-02T03:04:05Z", 0), S(T0));
	set_tz("UTC0");
}

static void test_time_epoch_and_named(void **state)
{
	(void)state;
	set_tz("UTC0");
	assert_int_equal(parsed("@1767323045", 0), S(T0));
	assert_int_equal(parsed("@1767323045.25", 0), S(T0) + 250000);
	assert_int_equal(parsed("@0", 0), 0);
	assert_int_equal(parsed("now", S(T0) + 7), S(T0) + 7);
	assert_int_equal(parsed("today", S(T0) + 7), S(T0 - 3 * 3600 - 4 * 60 - 5));
	assert_int_equal(parsed("yesterday", S(T0)), S(T0 - 86400 - 3 * 3600 - 4 * 60 - 5));
	/* midnight is local: in CET, 2026-01-02 00:00 is 2026-01-01 23:00Z */
	set_tz("CET-1");
	assert_int_equal(parsed("today", S(T0)), S(T0 - 4 * 3600 - 4 * 60 - 5));
	set_tz("UTC0");
}

static void test_time_relative(void **state)
{
	uint64_t now = S(T0);

	(void)state;
	assert_int_equal(parsed("-5min", now), now - S(300));
	assert_int_equal(parsed("-5m", now), now - S(300));
	assert_int_equal(parsed("5min ago", now), now - S(300));
	assert_int_equal(parsed("5 minutes ago", now), now - S(300));
	assert_int_equal(parsed("-2h", now), now - S(7200));
	assert_int_equal(parsed("-1d", now), now - S(86400));
	assert_int_equal(parsed("-1w", now), now - S(7 * 86400));
	assert_int_equal(parsed("-1h30min", now), now - S(5400));
	assert_int_equal(parsed("-1h 30min", now), now - S(5400));
	assert_int_equal(parsed("-1 h", now), now - S(3600));
	assert_int_equal(parsed("-90s", now), now - S(90));
	assert_int_equal(parsed("-500ms", now), now - 500000);
	assert_int_equal(parsed("-3us", now), now - 3);
}

static void test_time_invalid(void **state)
{
	(void)state;
	set_tz("UTC0");
	assert_bad_time("", -EINVAL);
	assert_bad_time("yesterdayish", -EINVAL);
	assert_bad_time("2026-02-29", -EINVAL);   /* not a leap year */
	assert_bad_time("2026-02-30", -EINVAL);
	assert_bad_time("2026-13-01", -EINVAL);
	assert_bad_time("2026-00-01", -EINVAL);
	assert_bad_time("2026-1-2", -EINVAL);
	assert_bad_time("2026-01-02 24:00", -EINVAL);
	assert_bad_time("2026-01-02 03:60", -EINVAL);
	assert_bad_time("2026-01-02 03", -EINVAL);
	assert_bad_time("2026-01-02 03:04:05 junk", -EINVAL);
	assert_bad_time("2026-01-02T03:04:05+1", -EINVAL);
	assert_bad_time("2026-01-02T03:04:05.Z", -EINVAL);
	assert_bad_time("1969-12-31 23:59:59", -ERANGE);
	assert_bad_time("@", -EINVAL);
	assert_bad_time("@12x", -EINVAL);
	assert_bad_time("@-1", -EINVAL);
	assert_bad_time("@99999999999999999999", -ERANGE);
	assert_bad_time("-5", -EINVAL);          /* a unit is required */
	assert_bad_time("-5 parsecs", -EINVAL);
	assert_bad_time("5min", -EINVAL);        /* neither "-" nor "ago" */
	assert_bad_time("-", -EINVAL);
	assert_bad_time(" ago", -EINVAL);
	assert_bad_time("-min", -EINVAL);
	assert_bad_time("-100000d", -ERANGE);    /* before 1970 */
	assert_bad_time("-99999999999999999999d", -ERANGE);
}

static void test_time_format(void **state)
{
	char buf[64];

	(void)state;
	set_tz("UTC0");
	assert_string_equal(format_time_local(S(T0) + 999999, buf, sizeof(buf)), "2026-01-02 03:04:05");
	assert_string_equal(format_time_local(0, buf, sizeof(buf)), "-");
	set_tz("CET-1");
	assert_string_equal(format_time_local(S(T0), buf, sizeof(buf)), "2026-01-02 04:04:05");
	/* RFC 3339 is always UTC */
	assert_string_equal(format_time_rfc3339(S(T0) + 7, buf, sizeof(buf)),
			    "2026-01-02T03:04:05.000007Z");
	assert_null(format_time_rfc3339(0, buf, sizeof(buf)));
	set_tz("UTC0");
}

static void assert_escaped(const char *in, unsigned flags, const char *want)
{
	struct strbuf sb;

	sb_init(&sb);
	esc_append(&sb, in, flags);
	assert_false(sb.oom);
	assert_string_equal(sb_str(&sb), want);
	sb_free(&sb);
}

static void test_escape(void **state)
{
	(void)state;
	assert_escaped("plain /usr/bin/gdb -p 1", 0, "plain /usr/bin/gdb -p 1");
	assert_escaped("", 0, "");
	assert_escaped("ev\x1b]0;pwned\x07il", 0, "ev\\x1b]0;pwned\\x07il");
	assert_escaped("a\tb\nc\rd", 0, "a\\tb\\nc\\rd");
	assert_escaped("a\nb", ESC_KEEP_NEWLINE, "a\nb");
	assert_escaped("a\x7f", 0, "a\\x7f");
	assert_escaped("\x01\x1f", 0, "\\x01\\x1f");
	assert_escaped("back\\slash", 0, "back\\slash");
	/* well-formed UTF-8 stays */
	assert_escaped("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x90\x9b", 0, "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x90\x9b");
	/* C1 CSI (U+009B) and a bidi override (U+202E) are escaped byte by byte */
	assert_escaped("x\xc2\x9by", 0, "x\\xc2\\x9by");
	assert_escaped("/tmp/\xe2\x80\xae" "exe.txt", 0, "/tmp/\\xe2\\x80\\xaeexe.txt");
	assert_escaped("\xe2\x81\xa6", 0, "\\xe2\\x81\\xa6");
	/* invalid UTF-8: stray continuation, overlong, surrogate, truncated */
	assert_escaped("\xff\x80", 0, "\\xff\\x80");
	assert_escaped("\xc0\xaf", 0, "\\xc0\\xaf");
	assert_escaped("\xed\xa0\x80", 0, "\\xed\\xa0\\x80");
	assert_escaped("ab\xe6\x97", 0, "ab\\xe6\\x97");
}

static void test_width(void **state)
{
	size_t w;

	(void)state;
	assert_int_equal(esc_width("abc"), 3);
	assert_int_equal(esc_width("caf\xc3\xa9"), 4);
	assert_int_equal(esc_width("\xe2\x80\xa6"), 1);
	assert_int_equal(esc_prefix_fitting("abcdef", 4, &w), 4);
	assert_int_equal(w, 4);
	/* never half a character */
	assert_int_equal(esc_prefix_fitting("ab\xc3\xa9\xc3\xa9", 3, &w), 4);
	assert_int_equal(w, 3);
	assert_int_equal(esc_prefix_fitting("abc", 10, &w), 3);
	assert_int_equal(esc_prefix_fitting("abc", 0, &w), 0);
}

static char *print_table(const struct table *t, bool header, size_t width, const char *ell)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(table_print(t, f, header, width, ell), 0);
	fclose(f);
	return buf;
}

static struct table *sample_table(void)
{
	static const char *const h[] = { "ID", "HITS", "NAME", "SEV" };
	struct table *t = table_new(h, 4);

	assert_non_null(t);
	table_set_right(t, 1);
	table_set_shrink(t, 2);
	assert_int_equal(table_add(t, "TRC-102"), 0);
	assert_int_equal(table_addf(t, "%d", 3), 0);
	assert_int_equal(table_add(t, "Anti-Debugging detected"), 0);
	assert_int_equal(table_add(t, "high"), 0);
	assert_int_equal(table_add(t, "X"), 0);
	assert_int_equal(table_addf(t, "%d", 12345), 0);
	assert_int_equal(table_add(t, "evil\x1b[2J name"), 0);
	assert_int_equal(table_add(t, "low"), 0);
	assert_int_equal(table_rows(t), 2);
	return t;
}

static void test_table_layout(void **state)
{
	struct table *t = sample_table();
	char *out;

	(void)state;
	/* not a terminal: full width, escaped, numbers right-aligned, no
	 * trailing blanks */
	out = print_table(t, true, 0, "...");
	assert_string_equal(out,
			    "ID        HITS  NAME                     SEV\n"
			    "TRC-102      3  Anti-Debugging detected  high\n"
			    "X        12345  evil\\x1b[2J name         low\n");
	free(out);
	/* --no-legend: same columns, no header */
	out = print_table(t, false, 0, "...");
	assert_string_equal(out,
			    "TRC-102      3  Anti-Debugging detected  high\n"
			    "X        12345  evil\\x1b[2J name         low\n");
	free(out);
	/* wide enough: unchanged */
	out = print_table(t, false, 80, "...");
	assert_non_null(strstr(out, "Anti-Debugging detected  high"));
	free(out);
	table_free(t);
}

static void test_table_truncation(void **state)
{
	struct table *t = sample_table();
	char *out, *line, *save = NULL;

	(void)state;
	/* 30 columns: ID 7 + HITS 5 + SEV 4 + gaps 6 leave 8 for NAME */
	out = print_table(t, true, 30, "...");
	assert_string_equal(out,
			    "ID        HITS  NAME      SEV\n"
			    "TRC-102      3  Anti-...  high\n"
			    "X        12345  evil\\...  low\n");
	free(out);
	/* the UTF-8 ellipsis is one column wide */
	out = print_table(t, true, 30, "\xe2\x80\xa6");
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		assert_true(esc_width(line) <= 30);
	free(out);
	/* narrower than the other columns: the shrunk one keeps 8 columns and
	 * the line wraps rather than lose the ID */
	out = print_table(t, false, 10, "...");
	assert_non_null(strstr(out, "TRC-102      3  Anti-...  high\n"));
	free(out);
	table_free(t);
}

static void test_table_empty_and_no_shrink(void **state)
{
	static const char *const h[] = { "A", "B" };
	struct table *t = table_new(h, 2);
	char *out;

	(void)state;
	assert_int_equal(table_rows(t), 0);
	out = print_table(t, true, 0, "...");
	assert_string_equal(out, "A  B\n");
	free(out);
	/* no shrinkable column: nothing is cut */
	assert_int_equal(table_add(t, "a-long-cell"), 0);
	assert_int_equal(table_add(t, NULL), 0);
	out = print_table(t, false, 5, "...");
	assert_string_equal(out, "a-long-cell\n");
	free(out);
	table_free(t);
}

static void assert_valid_json(const char *s)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o = json_tokener_parse_ex(tok, s, (int)strlen(s));

	if (!o || json_tokener_get_error(tok) != json_tokener_success)
		fail_msg("not JSON: %s", s);
	json_object_put(o);
	json_tokener_free(tok);
}

static char *flush_to_string(struct jw *j)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(jw_flush(j, f), 0);
	fclose(f);
	return buf;
}

static void test_json_writer(void **state)
{
	struct jw j;
	char *out;

	(void)state;
	jw_init(&j);
	jw_array_begin(&j);
	jw_object_begin(&j);
	jw_kv_string(&j, "comm", "ev\x1b]0;x\x07\"\\\n");
	jw_kv_string(&j, "bytes", "\xff\xc3(\xed\xa0\x80");
	jw_kv_string(&j, "utf8", "caf\xc3\xa9");
	jw_kv_u64(&j, "pid", 4242);
	jw_kv_bool(&j, "enabled", false);
	jw_kv_time(&j, "time", S(T0) + 1);
	jw_kv_time(&j, "never", 0);
	jw_key(&j, "tags");
	jw_array_begin(&j);
	jw_string(&j, "a");
	jw_string(&j, "b");
	jw_array_end(&j);
	jw_key(&j, "neg");
	jw_i64(&j, -5);
	jw_object_end(&j);
	jw_object_begin(&j);
	jw_object_end(&j);
	jw_array_end(&j);
	out = flush_to_string(&j);
	assert_string_equal(out,
		"[{\"comm\":\"ev\\u001b]0;x\\u0007\\\"\\\\\\n\","
		"\"bytes\":\"\\u00ff\\u00c3(\\u00ed\\u00a0\\u0080\","
		"\"utf8\":\"caf\xc3\xa9\","
		"\"pid\":4242,\"enabled\":false,"
		"\"time\":1767323045000001,\"time_rfc3339\":\"2026-01-02T03:04:05.000001Z\","
		"\"never\":0,\"never_rfc3339\":null,"
		"\"tags\":[\"a\",\"b\"],\"neg\":-5},{}]\n");
	assert_valid_json(out);
	free(out);
	/* the writer is reusable after a flush (monitor: one object a line) */
	jw_object_begin(&j);
	jw_kv_u64(&j, "id", 1);
	jw_object_end(&j);
	out = flush_to_string(&j);
	assert_string_equal(out, "{\"id\":1}\n");
	free(out);
	jw_free(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_absolute),
		cmocka_unit_test(test_time_epoch_and_named),
		cmocka_unit_test(test_time_relative),
		cmocka_unit_test(test_time_invalid),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_table_layout),
		cmocka_unit_test(test_table_truncation),
		cmocka_unit_test(test_table_empty_and_no_shrink),
		cmocka_unit_test(test_json_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
