/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lexical path normalisation (daemon/base/path.h): every spelling of a path
 * that the kernel would resolve to the same place without symbolic links
 * meets the rules as one string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "path.h"

static void check(const char *in, const char *want)
{
	char buf[256];
	size_t n;

	snprintf(buf, sizeof(buf), "%s", in);
	n = te_path_normalize(buf, strlen(buf));
	if (n != strlen(want) || memcmp(buf, want, n) != 0)
		fail_msg("normalize(\"%s\") = \"%.*s\", want \"%s\"", in, (int)n, buf, want);
}

static void test_spellings(void **state)
{
	(void)state;
	check("/var/log/x", "/var/log/x");
	check("//var/log/x", "/var/log/x");
	check("/var//log///x", "/var/log/x");
	check("/tmp/../var/log/x", "/var/log/x");
	check("/etc/./cron.d//b", "/etc/cron.d/b");
	check("/etc/cron.d/", "/etc/cron.d");
	check("/a/b/c/../../d", "/a/d");
	check("/../../etc/shadow", "/etc/shadow");
	check("/..", "/");
	check("/", "/");
	check("///", "/");
	check("/.", "/");
	check("/a/..", "/");
	check("/a/...", "/a/...");
	check("/a/..b/.c", "/a/..b/.c");
}

/* What is not an absolute path is not touched: a cut path says so itself. */
static void test_left_alone(void **state)
{
	(void)state;
	check("<truncated>/d/../t", "<truncated>/d/../t");
	check("relative/../x", "relative/../x");
	check("", "");
}

/* Not NUL-terminated: only @len bytes are read and written. */
static void test_counted(void **state)
{
	char buf[] = "//x/./yZZZZ";
	size_t n = te_path_normalize(buf, 7);

	(void)state;
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "/x/y", 4);
	assert_memory_equal(buf + 7, "ZZZZ", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_left_alone),
		cmocka_unit_test(test_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
