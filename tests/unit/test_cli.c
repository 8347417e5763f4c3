/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command-line parsing: modes, --events selection, --scope, usage errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "event.h"

/* Parse a NULL-terminated list of arguments; the error text goes to *err_out. */
static int parse(struct te_cli *cli, char **err_out, ...)
{
	char *argv[32] = { "traceed" };
	int argc = 1;
	va_list ap;
	char *buf = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&buf, &len);
	int ret;

	va_start(ap, err_out);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	ret = te_cli_parse(cli, argc, argv, err);
	fclose(err);
	*err_out = buf;
	return ret;
}

static void assert_usage_error(const char *expect_in_message, ...)
{
	/* Re-dispatch the variadic list through parse(): collect first. */
	char *args[16];
	int n = 0;
	va_list ap;
	struct te_cli cli;
	char *err;
	int ret;

	va_start(ap, expect_in_message);
	for (char *a; (a = va_arg(ap, char *)) && n < 15;)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	ret = parse(&cli, &err, n > 0 ? args[0] : NULL, n > 1 ? args[1] : NULL,
		    n > 2 ? args[2] : NULL, n > 3 ? args[3] : NULL, NULL);
	assert_int_equal(ret, 2);
	if (!strstr(err, expect_in_message))
		fail_msg("usage error '%s' does not mention '%s'", err, expect_in_message);
	free(err);
}

static void test_modes(void **state)
{
	struct te_cli cli;
	char *err;

	(void)state;
	assert_int_equal(parse(&cli, &err, "--foreground", NULL), 0);
	assert_int_equal(cli.mode, TE_MODE_FOREGROUND);
	assert_int_equal(cli.output, TE_OUT_TABLE);
	assert_int_equal(cli.buffer_mib, 8);
	free(err);
	assert_int_equal(parse(&cli, &err, "-f", "-o", "json", NULL), 0);
	assert_int_equal(cli.output, TE_OUT_JSON);
	free(err);
	assert_int_equal(parse(&cli, &err, "--list-events", NULL), 0);
	assert_int_equal(cli.mode, TE_MODE_LIST_EVENTS);
	free(err);
	assert_int_equal(parse(&cli, &err, "--probe", NULL), 0);
	assert_int_equal(cli.mode, TE_MODE_PROBE);
	free(err);
	assert_int_equal(parse(&cli, &err, "--service", "-r", "x.yaml", NULL), 0);
	assert_int_equal(cli.mode, TE_MODE_SERVICE);
	free(err);
	assert_int_equal(parse(&cli, &err, "--foreground", "--help", NULL), 0);
	assert_int_equal(cli.mode, TE_MODE_HELP);
	free(err);
	assert_int_equal(parse(&cli, &err, "-V", NULL), 0);
	assert_int_equal(cli.mode, TE_MODE_VERSION);
	free(err);
	assert_int_equal(parse(&cli, &err, "-f", "--buffer-size", "64", NULL), 0);
	assert_int_equal(cli.buffer_mib, 64);
	free(err);
}

static void test_usage_errors(void **state)
{
	(void)state;
	assert_usage_error("nothing to do", NULL);
	assert_usage_error("unknown option '--bogus'", "--bogus", NULL);
	assert_usage_error("unknown format 'xml'", "-f", "--output", "xml", NULL);
	assert_usage_error("'--output' needs an argument", "-f", "--output", NULL);
	assert_usage_error("unknown event or set 'nosuch'", "-f", "--events", "ptrace,nosuch", NULL);
	assert_usage_error("unexpected argument 'extra'", "-f", "extra", NULL);
	assert_usage_error("exclude each other", "--foreground", "--probe", NULL);
	assert_usage_error("'3' is not a power of two", "-f", "--buffer-size", "3", NULL);
	assert_usage_error("unknown scope", "-f", "--scope", "gid=0", NULL);
	assert_usage_error("'abc' is not a number", "-f", "--scope", "uid=abc", NULL);
	assert_usage_error("selects no event", "-f", "--events", "-syscalls,-proc", NULL);
	assert_usage_error("exclude each other", "-f", "--replay", "x.json", NULL);
	assert_usage_error("exclude each other", "--service", "--foreground", NULL);
	assert_usage_error("'soon' is not a number of milliseconds", "-f", "--dedup-window", "soon",
			   NULL);
	assert_usage_error("unexpected argument 'extra'", "--replay", "a.json", "extra", NULL);
}

static void test_rules_options(void **state)
{
	struct te_cli cli;
	char *err;

	(void)state;
	/* Without --events: detection mode, default rule paths. */
	assert_int_equal(parse(&cli, &err, "-f", NULL), 0);
	assert_false(cli.events_given);
	assert_int_equal(cli.nrule_paths, 0);
	assert_int_equal(cli.dedup_window_ms, 1000);
	free(err);

	assert_int_equal(parse(&cli, &err, "-f", "-r", "a.yaml", "--rules", "dir", NULL), 0);
	assert_int_equal(cli.nrule_paths, 2);
	assert_string_equal(cli.rule_paths[0], "a.yaml");
	assert_string_equal(cli.rule_paths[1], "dir");
	free(err);

	assert_int_equal(parse(&cli, &err, "-f", "--events", "ptrace", NULL), 0);
	assert_true(cli.events_given);
	free(err);

	assert_int_equal(parse(&cli, &err, "--replay", "-", "--dedup-window", "0", NULL), 0);
	assert_int_equal(cli.mode, TE_MODE_REPLAY);
	assert_string_equal(cli.replay_path, "-");
	assert_int_equal(cli.dedup_window_ms, 0);
	free(err);

	/* --validate takes the paths after it too. */
	assert_int_equal(parse(&cli, &err, "--validate", "one.yaml", "two", "three", NULL), 0);
	assert_int_equal(cli.mode, TE_MODE_VALIDATE);
	assert_int_equal(cli.nrule_paths, 3);
	assert_string_equal(cli.rule_paths[2], "three");
	free(err);
}

static void test_events_selection(void **state)
{
	bool sel[TE_EV_MAX];
	char err[256];
	size_t n, count = 0;
	const struct te_event_desc *table = te_event_table(&n);

	(void)state;
	assert_int_equal(te_cli_parse_events(sel, "ptrace,openat", err, sizeof(err)), 0);
	for (int i = 0; i < TE_EV_MAX; i++)
		count += sel[i];
	assert_int_equal(count, 2);
	assert_true(sel[TE_EV_PTRACE]);
	assert_true(sel[TE_EV_OPENAT]);

	/* Only exclusions: everything but those. */
	assert_int_equal(te_cli_parse_events(sel, "-ptrace", err, sizeof(err)), 0);
	assert_false(sel[TE_EV_PTRACE]);
	for (size_t i = 0; i < n; i++)
		if (table[i].id != TE_EV_PTRACE)
			assert_true(sel[table[i].id]);

	/* A set, minus one member. */
	assert_int_equal(te_cli_parse_events(sel, "net,-connect", err, sizeof(err)), 0);
	assert_true(sel[TE_EV_BIND]);
	assert_true(sel[TE_EV_ACCEPT4]);
	assert_false(sel[TE_EV_CONNECT]);
	assert_false(sel[TE_EV_PTRACE]);

	assert_int_equal(te_cli_parse_events(sel, "signals", err, sizeof(err)), 0);
	assert_true(sel[TE_EV_KILL]);
	assert_true(sel[TE_EV_TGKILL]);
	assert_false(sel[TE_EV_OPENAT]);

	assert_int_equal(te_cli_parse_events(sel, "", err, sizeof(err)), -22);
	assert_int_equal(te_cli_parse_events(sel, "-", err, sizeof(err)), -22);
}

static struct te_record_hdr hdr_of(uint32_t pid, uint32_t uid, const char *comm)
{
	struct te_record_hdr h = { .pid = pid, .uid = uid };

	strncpy(h.comm, comm, sizeof(h.comm));
	return h;
}

static void test_scope(void **state)
{
	struct te_cli cli;
	char *err;
	struct te_record_hdr root_bash = hdr_of(10, 0, "bash"), user_sh = hdr_of(20, 1000, "sh");
	struct te_record_hdr max_comm = hdr_of(30, 1000, "fifteen_chars__");

	(void)state;
	assert_int_equal(parse(&cli, &err, "-f", "--scope", "uid=0", NULL), 0);
	free(err);
	assert_true(te_scope_match(&cli.scope, &root_bash, ""));
	assert_false(te_scope_match(&cli.scope, &user_sh, ""));

	assert_int_equal(parse(&cli, &err, "-f", "-s", "uid>999", "-s", "comm!=bash", NULL), 0);
	free(err);
	assert_false(te_scope_match(&cli.scope, &root_bash, ""));
	assert_true(te_scope_match(&cli.scope, &user_sh, ""));

	assert_int_equal(parse(&cli, &err, "-f", "-s", "comm=bash,fifteen_chars__", NULL), 0);
	free(err);
	assert_true(te_scope_match(&cli.scope, &root_bash, ""));
	assert_true(te_scope_match(&cli.scope, &max_comm, ""));
	assert_false(te_scope_match(&cli.scope, &user_sh, ""));

	assert_int_equal(parse(&cli, &err, "-f", "-s", "pid!=10,20", NULL), 0);
	free(err);
	assert_false(te_scope_match(&cli.scope, &root_bash, ""));
	assert_false(te_scope_match(&cli.scope, &user_sh, ""));
	assert_true(te_scope_match(&cli.scope, &max_comm, ""));

	assert_int_equal(parse(&cli, &err, "-f", "-s", "container", NULL), 0);
	free(err);
	assert_false(te_scope_match(&cli.scope, &root_bash, ""));
	assert_true(te_scope_match(&cli.scope, &root_bash, "0123abcd"));
	assert_int_equal(parse(&cli, &err, "-f", "-s", "!container", NULL), 0);
	free(err);
	assert_true(te_scope_match(&cli.scope, &root_bash, ""));
	assert_false(te_scope_match(&cli.scope, &root_bash, "0123abcd"));

	assert_usage_error("longer than the kernel's 15", "-f", "-s", "comm=sixteen_chars___", NULL);
	assert_usage_error("expected an operator", "-f", "-s", "comm>x", NULL);
	assert_usage_error("< and > take one value", "-f", "-s", "uid<1,2", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_rules_options),
		cmocka_unit_test(test_events_selection),
		cmocka_unit_test(test_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
