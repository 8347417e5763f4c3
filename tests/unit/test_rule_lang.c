/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule language tests: lexer, parser (precedence, macros, lists, every
 * error message with its file:line:col), every operator on strings,
 * numbers, lists and absent values, each field on hand-built events (with
 * ancestors from a real te_proctree), the event types a condition can
 * match, and output templates.
 */
#include <errno.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rule_ast.h"
#include "rule_fields.h"
#include "rule_lang.h"
#include "rule_lexer.h"

/* ---- helpers ----------------------------------------------------------- */

static int arg_pos(const struct te_rule_event *ev, const char *name)
{
	for (unsigned i = 0; i < ev->desc->nargs; i++)
		if (strcmp(ev->desc->args[i].name, name) == 0)
			return (int)i;
	fail_msg("event %s has no argument %s", ev->desc->name, name);
	return -1;
}

static void arg_str(struct te_rule_event *ev, const char *name, const char *s)
{
	int i = arg_pos(ev, name);

	ev->args[i] = (struct te_rv){ .type = TE_RV_STR, .str = s, .len = strlen(s) };
}

static void arg_num(struct te_rule_event *ev, const char *name, int64_t n)
{
	int i = arg_pos(ev, name);

	ev->args[i] = (struct te_rv){ .type = TE_RV_NUM, .num = n };
}

/* items: NUL-separated, @len bytes including the last NUL */
static void arg_list(struct te_rule_event *ev, const char *name, const char *items, size_t len)
{
	int i = arg_pos(ev, name);

	ev->args[i] = (struct te_rv){ .type = TE_RV_LIST, .str = items, .len = len };
}

static void ev_init(struct te_rule_event *ev, const char *evname)
{
	memset(ev, 0, sizeof(*ev));
	ev->desc = te_event_by_name(evname);
	assert_non_null(ev->desc);
	ev->time_ns = 1700000000123456789ull;
	ev->retval = 3;
	ev->pid = 100;
	ev->tid = 101;
	ev->ppid = 50;
	ev->ns_pid = 7;
	ev->uid = 0;
	ev->gid = 20;
	ev->comm = "bash";
	ev->exe = "/usr/bin/bash";
	ev->cmdline = "bash -c id";
	ev->container_id = "";
	ev->hostname = "node1";
}

/* openat(AT_FDCWD, "/etc/shadow", O_WRONLY|O_CREAT, 0644) by bash */
static void ev_openat(struct te_rule_event *ev)
{
	ev_init(ev, "openat");
	arg_str(ev, "dirfd", "AT_FDCWD");
	arg_str(ev, "pathname", "/etc/shadow");
	arg_str(ev, "flags", "O_WRONLY|O_CREAT");
	arg_num(ev, "mode", 0644);
}

static const char exec_argv[] = "python3\0-c\0import os\0";
static const char exec_env[] = "PATH=/bin\0LD_PRELOAD=/tmp/evil.so\0";

static void ev_exec(struct te_rule_event *ev)
{
	ev_init(ev, "sched_process_exec");
	ev->comm = "python3";
	ev->exe = "/usr/bin/python3.11";
	ev->cmdline = "python3 -c import os";
	arg_str(ev, "cmdpath", "/usr/bin/python3");
	arg_str(ev, "pathname", "/usr/bin/python3.11");
	arg_num(ev, "is_memfd", 0);
	arg_list(ev, "argv", exec_argv, sizeof(exec_argv) - 1);
	arg_list(ev, "env", exec_env, sizeof(exec_env) - 1);
	/* interpreter_pathname, dev, inode: absent */
}

static struct te_expr *compile(const struct te_rl_defs *d, const char *cond)
{
	struct te_rl_error err;
	char buf[1024];
	struct te_expr *e = te_rl_compile(d, cond, NULL, &err);

	if (!e) {
		te_rl_error_format(&err, buf, sizeof(buf));
		fail_msg("'%s' did not compile: %s", cond, buf);
	}
	return e;
}

static bool match_d(const struct te_rl_defs *d, const char *cond, const struct te_rule_event *ev)
{
	struct te_expr *e = compile(d, cond);
	bool r = te_expr_eval(e, ev);

	te_expr_free(e);
	return r;
}

static bool match(const char *cond, const struct te_rule_event *ev)
{
	return match_d(NULL, cond, ev);
}

#define T(cond, ev) assert_true(match(cond, ev))
#define F(cond, ev) assert_false(match(cond, ev))

/* The formatted error of a condition that must not compile. */
static const char *cerr_loc(const struct te_rl_defs *d, const char *cond,
			    const struct te_src_loc *loc)
{
	static char buf[1024];
	struct te_rl_error err;
	struct te_expr *e;

	memset(&err, 0, sizeof(err));
	e = te_rl_compile(d, cond, loc, &err);
	if (e) {
		te_expr_free(e);
		fail_msg("'%s' compiled but should not", cond);
	}
	te_rl_error_format(&err, buf, sizeof(buf));
	return buf;
}

static const struct te_src_loc rules_loc = { "rules.yaml", 3, 14 };

static const char *cerr(const struct te_rl_defs *d, const char *cond)
{
	return cerr_loc(d, cond, &rules_loc);
}

static char *render(const char *tpl, const struct te_rule_event *ev)
{
	static char out[2048];
	struct te_rl_error err;
	struct te_template *t = te_tpl_compile(tpl, NULL, &err);
	struct strbuf sb;

	if (!t)
		fail_msg("template '%s': %s", tpl, err.msg);
	sb_init(&sb);
	te_tpl_render(t, ev, &sb);
	snprintf(out, sizeof(out), "%s", sb_str(&sb));
	sb_free(&sb);
	te_tpl_free(t);
	return out;
}

static struct te_rl_defs *defs_with(void)
{
	struct te_rl_defs *d = te_rl_defs_new();
	struct te_rl_error err;
	const char *shells[] = { "bash", "sh" };
	const char *more[] = { "shells", "zsh" };
	const char *pids[] = { "100", "0x65" };

	assert_non_null(d);
	assert_int_equal(te_rl_defs_list(d, "shells", shells, 2, false, NULL, &err), 0);
	assert_int_equal(te_rl_defs_list(d, "all_shells", more, 2, false, NULL, &err), 0);
	assert_int_equal(te_rl_defs_list(d, "pids", pids, 2, false, NULL, &err), 0);
	assert_int_equal(te_rl_defs_macro(d, "T", "evt.retval = 3", false, NULL, &err), 0);
	assert_int_equal(te_rl_defs_macro(d, "F", "evt.retval = 4", false, NULL, &err), 0);
	return d;
}

/* ---- lexer ------------------------------------------------------------- */

static void test_lexer_tokens(void **state)
{
	const char *text = "proc.name = 'a b' and (evt.retval>=0)\n  or x!=\"q\\\"\"";
	struct rl_seg seg = { 0, { "f.yaml", 10, 5 } };
	struct rl_src src = { text, strlen(text), &seg, 1, NULL };
	struct rl_token *t;
	size_t n, len;
	const char *file;
	unsigned line, col;
	char *v;
	static const struct {
		enum rl_tok_kind kind;
		size_t off, len;
	} want[] = {
		{ RL_T_WORD, 0, 9 },    { RL_T_OP, 10, 1 },     { RL_T_STRING, 12, 5 },
		{ RL_T_WORD, 18, 3 },   { RL_T_LPAREN, 22, 1 }, { RL_T_WORD, 23, 10 },
		{ RL_T_OP, 33, 2 },     { RL_T_WORD, 35, 1 },   { RL_T_RPAREN, 36, 1 },
		{ RL_T_WORD, 40, 2 },   { RL_T_WORD, 43, 1 },   { RL_T_OP, 44, 2 },
		{ RL_T_STRING, 46, 5 }, { RL_T_END, 51, 0 },
	};

	(void)state;
	assert_int_equal(rl_lex(&src, &t, &n, NULL), 0);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(t[i].kind, want[i].kind);
		assert_int_equal(t[i].off, want[i].off);
		assert_int_equal(t[i].len, want[i].len);
	}
	assert_true(rl_tok_is(&src, &t[3], "and"));
	assert_false(rl_tok_is(&src, &t[3], "an"));
	v = rl_tok_value(&src, &t[2], &len);
	assert_string_equal(v, "a b");
	free(v);
	v = rl_tok_value(&src, &t[12], &len);
	assert_string_equal(v, "q\"");
	assert_int_equal(len, 2);
	free(v);

	/* first line: loc col + offset; later lines: column in the line */
	rl_src_pos(&src, t[5].off, &file, &line, &col);
	assert_string_equal(file, "f.yaml");
	assert_int_equal(line, 10);
	assert_int_equal(col, 5 + 23);
	rl_src_pos(&src, t[9].off, &file, &line, &col);
	assert_int_equal(line, 11);
	assert_int_equal(col, 3);
	free(t);
}

static void test_lexer_escapes(void **state)
{
	const char *text = "'it\\'s' \"a\\\\b\" \"c\\d\" x\\y";
	struct rl_src src = { text, strlen(text), NULL, 0, NULL };
	struct rl_token *t;
	size_t n;
	char *v;

	(void)state;
	assert_int_equal(rl_lex(&src, &t, &n, NULL), 0);
	assert_int_equal(n, 5);
	v = rl_tok_value(&src, &t[0], NULL);
	assert_string_equal(v, "it's");
	free(v);
	v = rl_tok_value(&src, &t[1], NULL);
	assert_string_equal(v, "a\\b");
	free(v);
	/* other backslashes stay (glob patterns need them) */
	v = rl_tok_value(&src, &t[2], NULL);
	assert_string_equal(v, "c\\d");
	free(v);
	v = rl_tok_value(&src, &t[3], NULL);
	assert_string_equal(v, "x\\y");
	free(v);
	free(t);
}

static void test_lexer_errors(void **state)
{
	(void)state;
	assert_string_equal(cerr(NULL, "proc.name = \"abc"),
			    "rules.yaml:3:26: expected closing \", found end of condition");
	assert_string_equal(cerr(NULL, "proc.name ! bash"),
			    "rules.yaml:3:24: expected '!=', found '!'");
}

static void test_error_format(void **state)
{
	struct te_rl_error e = { .file = "", .line = 2, .col = 7, .msg = "boom" };
	char buf[64];

	(void)state;
	te_rl_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "<string>:2:7: boom");
	strcpy(e.file, "/x.yaml");
	te_rl_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "/x.yaml:2:7: boom");
	/* NULL loc: <string> 1:1 */
	assert_string_equal(cerr_loc(NULL, "  nope.x = 1", NULL),
			    "<string>:1:3: unknown field 'nope.x'");
}

/* ---- parser ------------------------------------------------------------ */

static void test_precedence(void **state)
{
	struct te_rl_defs *d = defs_with();
	struct te_rule_event ev;

	(void)state;
	ev_openat(&ev);
	assert_true(match_d(d, "T", &ev));
	assert_false(match_d(d, "F", &ev));
	/* and binds tighter than or */
	assert_true(match_d(d, "T or F and F", &ev));
	assert_true(match_d(d, "F and F or T", &ev));
	assert_false(match_d(d, "(T or F) and F", &ev));
	/* not binds tighter than and / or */
	assert_false(match_d(d, "not F and F", &ev));
	assert_true(match_d(d, "not (F and F)", &ev));
	assert_true(match_d(d, "not T or T", &ev));
	assert_false(match_d(d, "not (T or T)", &ev));
	assert_true(match_d(d, "not not T", &ev));
	assert_true(match_d(d, "((T))", &ev));
	assert_true(match_d(d, "T and T and T and not F", &ev));
	assert_false(match_d(d, "F or F or F", &ev));
	te_rl_defs_free(d);
}

/* ---- operators --------------------------------------------------------- */

/*
 * The fast paths of the operators (contains without memmem, glob's literal
 * start, the length masks of in and pmatch) and the reordering of and/or
 * operands by cost must not change a result.
 */
static void test_ops_fast_paths(void **state)
{
	struct te_rule_event ev;

	(void)state;
	ev_openat(&ev);
	/* fd.name is /etc/shadow */
	T("fd.name contains /", &ev);
	T("fd.name contains /etc/shadow", &ev);
	F("fd.name contains /etc/shadow/", &ev);
	T("fd.name contains w", &ev);
	T("fd.name contains dow", &ev);
	T("fd.name contains ''", &ev);
	F("fd.name contains wx", &ev);
	F("fd.name contains 'sd'", &ev);
	arg_str(&ev, "pathname", "/aaaab/aab/some/quite/long/path/with/a/needle-longer-than-16-bytes/x");
	T("fd.name contains aab/", &ev);
	T("fd.name contains a/needle-longer-than-16-bytes/", &ev);
	F("fd.name contains a/needle-longer-than-16-bytes/y", &ev);
	T("fd.name contains 'h/with/a/needle-longer-than-16-bytes/x'", &ev);
	T("fd.name glob '/aaaab/*'", &ev);
	F("fd.name glob '/aaaac/*'", &ev);
	T("fd.name glob '*bytes/x'", &ev);
	F("fd.name glob '/aaaab/aab/some/quite/long/path/with/a/needle-longer-than-16-bytes/x/'", &ev);
	T("fd.name glob '/aaaab/aab/some/quite/long/path/with/a/needle-longer-than-16-bytes/x'", &ev);
	T("fd.name glob '/aa\\aab/*'", &ev);
	T("fd.name glob '/a[a]aab/*'", &ev);
	/* lengths: items longer than 63 bytes share a mask bit */
	T("fd.name in (a, b, '/aaaab/aab/some/quite/long/path/with/a/needle-longer-than-16-bytes/x')", &ev);
	F("fd.name in (a, b, '/aaaab/aab/some/quite/long/path/with/a/needle-longer-than-16-bytes/y')", &ev);
	T("fd.name in (a, b, c, d, e, f, g, h, i, '/aaaab/aab/some/quite/long/path/with/a/needle-longer-than-16-bytes/x')", &ev);
	T("fd.name pmatch (/a, /b, /c, /d, /e, /f, /g, /h, /i, /aaaab/aab)", &ev);
	T("fd.name pmatch (/a, /b, /c, /d, /e, /f, /g, /h, /i, /aaaab/aab/some/quite/long/path/with/a/needle-longer-than-16-bytes)", &ev);
	F("fd.name pmatch (/a, /b, /c, /d, /e, /f, /g, /h, /i, /aaaab/aa)", &ev);
	T("fd.name pmatch (/a, /b, /c, /d, /e, /f, /g, /h, /i, /)", &ev);
	/* and/or/not with absent values, in any order */
	T("fd.name contains needle and (evt.arg.interpreter_pathname = x or not evt.arg.interpreter_pathname = x)", &ev);
	F("(evt.arg.interpreter_pathname = x or evt.arg.interpreter_pathname != x) and fd.name contains needle", &ev);
	T("not evt.arg.interpreter_pathname exists and proc.name = bash and fd.name glob '*x'", &ev);
}

static void test_ops_strings(void **state)
{
	struct te_rule_event ev;

	(void)state;
	ev_openat(&ev);
	T("proc.name = bash", &ev);
	T("proc.name=bash", &ev);
	T("proc.name = \"bash\"", &ev);
	F("proc.name = bas", &ev);
	T("proc.name != sh", &ev);
	F("proc.name != bash", &ev);
	T("fd.name contains shad", &ev);
	F("fd.name contains SHAD", &ev);
	T("fd.name icontains SHAD", &ev);
	T("fd.name icontains ''", &ev);
	F("fd.name icontains shadows", &ev);
	T("fd.name startswith /etc/", &ev);
	F("fd.name startswith /usr", &ev);
	T("fd.name endswith shadow", &ev);
	F("fd.name endswith /etc", &ev);
	T("fd.name glob '/etc/*'", &ev);
	T("fd.name glob /etc/sh?dow", &ev);
	T("fd.name glob '*[a-z]'", &ev);
	F("fd.name glob '/etc/*.conf'", &ev);
	T("proc.name in (sh, bash)", &ev);
	F("proc.name in (sh, zsh)", &ev);
	F("proc.name in ()", &ev);
	T("fd.name pmatch (/etc)", &ev);
	T("fd.name pmatch (/etc/shadow)", &ev);
	F("fd.name pmatch (/etc/sha)", &ev);
	T("fd.name exists", &ev);
	T("evt.arg.flags contains O_CREAT", &ev);
	T("evt.arg.dirfd = AT_FDCWD", &ev);
	/* a number-looking literal compares as text on a string */
	ev.comm = "123";
	T("proc.name = 123", &ev);
	T("proc.name in (0x1, 123)", &ev);
}

static void test_ops_numbers(void **state)
{
	struct te_rule_event ev;

	(void)state;
	ev_openat(&ev);
	T("proc.pid = 100", &ev);
	T("proc.pid = 0x64", &ev);
	T("proc.pid = 0144", &ev);
	T("proc.pid = 0o144", &ev);
	F("proc.pid = 101", &ev);
	T("proc.pid != 101", &ev);
	F("proc.pid != 100", &ev);
	T("proc.pid < 101", &ev);
	F("proc.pid < 100", &ev);
	T("proc.pid <= 100", &ev);
	T("proc.pid > 99", &ev);
	F("proc.pid > 100", &ev);
	T("proc.pid >= 100", &ev);
	T("proc.pid in (1, 100, 7)", &ev);
	F("proc.pid in (1, 2)", &ev);
	T("proc.pid exists", &ev);
	T("evt.arg.mode = 0644", &ev);
	T("evt.arg.mode = 420", &ev);
	T("evt.arg.mode = 0o644", &ev);
	ev.retval = -13;
	T("evt.retval < 0", &ev);
	T("evt.retval = -13", &ev);
	T("evt.retval in (-13, -1)", &ev);
	T("evt.retval >= -0xd", &ev);
	/* 64-bit: unsigned values compare by their bit pattern */
	ev.retval = -1;
	T("evt.retval = 0xffffffffffffffff", &ev);
	T("evt.retval = 18446744073709551615", &ev);
	ev.retval = INT64_MIN;
	T("evt.retval = -9223372036854775808", &ev);
	/* bool args: true/false read as 1/0 */
	ev_exec(&ev);
	T("evt.arg.is_memfd = false", &ev);
	F("evt.arg.is_memfd = true", &ev);
}

static void test_ops_lists(void **state)
{
	struct te_rule_event ev;
	static const char empty[] = "";

	(void)state;
	ev_exec(&ev);
	T("evt.arg.argv = -c", &ev);
	F("evt.arg.argv = -x", &ev);
	T("evt.arg.argv != -x", &ev);
	F("evt.arg.argv != -c", &ev);
	T("evt.arg.argv contains 'port o'", &ev);
	T("evt.arg.argv icontains IMPORT", &ev);
	T("evt.arg.argv startswith pyth", &ev);
	T("evt.arg.argv endswith os", &ev);
	F("evt.arg.argv endswith xyz", &ev);
	T("evt.arg.argv glob 'imp*'", &ev);
	F("evt.arg.argv glob 'x*'", &ev);
	T("evt.arg.argv in (foo, python3)", &ev);
	F("evt.arg.argv in (foo, bar)", &ev);
	T("evt.arg.env startswith 'LD_PRELOAD='", &ev);
	T("evt.arg.env contains evil.so", &ev);
	T("evt.arg.argv exists", &ev);
	arg_str(&ev, "pathname", "/tmp/x");
	arg_list(&ev, "argv", "/tmp/a/b\0/usr/x\0", 16);
	T("evt.arg.argv pmatch (/tmp/a)", &ev);
	F("evt.arg.argv pmatch (/tmp/b)", &ev);
	/* an empty list: present, no item */
	arg_list(&ev, "argv", empty, 0);
	T("evt.arg.argv exists", &ev);
	F("evt.arg.argv = ''", &ev);
	T("evt.arg.argv != ''", &ev);
	F("evt.arg.argv contains ''", &ev);
}

static void test_absent(void **state)
{
	struct te_rule_event ev;

	(void)state;
	ev_exec(&ev);
	/* interpreter_pathname was not sent */
	F("evt.arg.interpreter_pathname exists", &ev);
	T("not evt.arg.interpreter_pathname exists", &ev);
	F("evt.arg.interpreter_pathname = /bin/sh", &ev);
	F("evt.arg.interpreter_pathname != /bin/sh", &ev);
	F("evt.arg.interpreter_pathname contains sh", &ev);
	F("evt.arg.interpreter_pathname in (a, b)", &ev);
	F("evt.arg.interpreter_pathname glob '*'", &ev);
	F("evt.arg.inode > 0", &ev);
	F("evt.arg.inode != 5", &ev);
	T("not evt.arg.inode = 5", &ev);
	T("not (evt.arg.inode = 5)", &ev);
	/* an argument the event does not have */
	F("evt.arg.request = PTRACE_TRACEME", &ev);
	F("evt.arg.request != PTRACE_TRACEME", &ev);
	/* no process tree: parent unknown */
	F("proc.pname = bash", &ev);
	F("proc.pname != bash", &ev);
	T("not proc.pname = bash", &ev);
	F("proc.aname = bash", &ev);
	F("proc.aname exists", &ev);
	F("proc.aname[1] exists", &ev);
	/* unknown exe, cmdline */
	ev.exe = "";
	ev.cmdline = "";
	F("proc.exe exists", &ev);
	F("proc.exe != /x", &ev);
	F("proc.cmdline exists", &ev);
	F("proc.args exists", &ev);
	/* no fd.name on ptrace */
	ev_init(&ev, "ptrace");
	arg_str(&ev, "request", "PTRACE_TRACEME");
	F("fd.name exists", &ev);
	F("fd.name != x", &ev);
	T("evt.arg.request = PTRACE_TRACEME", &ev);
}

/* evt.arg.flags is text on open* and a number on process_vm_readv */
static void test_mixed_type_arg(void **state)
{
	struct te_rule_event ev;

	(void)state;
	ev_openat(&ev);
	T("evt.arg.flags contains O_CREAT", &ev);
	F("evt.arg.flags = 0", &ev);
	F("evt.arg.flags < 5", &ev);
	T("evt.arg.flags != 0", &ev);
	ev_init(&ev, "process_vm_readv");
	arg_num(&ev, "flags", 0);
	F("evt.arg.flags contains O_CREAT", &ev);
	T("evt.arg.flags = 0", &ev);
	T("evt.arg.flags < 5", &ev);
	T("evt.arg.flags in (O_RDONLY, 0)", &ev);
	F("evt.arg.flags in (O_RDONLY, 1)", &ev);
	F("evt.arg.flags = O_RDONLY", &ev);
	T("evt.arg.flags != O_RDONLY", &ev);
}

static void test_in_lists(void **state)
{
	struct te_rl_defs *d = defs_with();
	struct te_rule_event ev;
	struct te_rl_error err;
	const char *fish[] = { "fish" };
	const char *many[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "zsh" };
	const char *manypids[] = { "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "300" };

	(void)state;
	ev_openat(&ev);
	assert_true(match_d(d, "proc.name in (shells)", &ev));
	assert_true(match_d(d, "proc.name in shells", &ev));
	assert_true(match_d(d, "proc.name in (all_shells)", &ev));
	assert_true(match_d(d, "proc.name in (fish, shells)", &ev));
	/* a quoted name is a string, not a list */
	assert_false(match_d(d, "proc.name in ('shells')", &ev));
	/* all_shells was expanded when defined: [bash, sh, zsh] */
	ev.comm = "zsh";
	assert_true(match_d(d, "proc.name in (all_shells)", &ev));
	assert_false(match_d(d, "proc.name in (shells)", &ev));
	ev.comm = "fish";
	assert_false(match_d(d, "proc.name in (all_shells)", &ev));
	assert_int_equal(te_rl_defs_list(d, "all_shells", fish, 1, true, NULL, &err), 0);
	assert_true(match_d(d, "proc.name in (all_shells)", &ev));
	/* replacing (no append) drops the old items */
	assert_int_equal(te_rl_defs_list(d, "all_shells", many, 12, false, NULL, &err), 0);
	assert_false(match_d(d, "proc.name in (all_shells)", &ev));
	/* more than 8 items: hashed lookups, same answers */
	ev.comm = "zsh";
	assert_true(match_d(d, "proc.name in (all_shells)", &ev));
	ev.comm = "l";
	assert_false(match_d(d, "proc.name in (all_shells)", &ev));
	/* numbers from lists: 100 and 0x65 */
	assert_true(match_d(d, "proc.pid in (pids)", &ev));
	ev.pid = 101;
	assert_true(match_d(d, "proc.pid in pids", &ev));
	ev.pid = 102;
	assert_false(match_d(d, "proc.pid in (pids)", &ev));
	assert_int_equal(te_rl_defs_list(d, "manypids", manypids, 11, false, NULL, &err), 0);
	ev.pid = 300;
	assert_true(match_d(d, "proc.pid in (manypids)", &ev));
	ev.pid = 11;
	assert_false(match_d(d, "proc.pid in (manypids)", &ev));
	te_rl_defs_free(d);
}

static void test_macros(void **state)
{
	struct te_rl_defs *d = te_rl_defs_new();
	struct te_rl_error err;
	struct te_rule_event ev;
	const char *shells[] = { "bash", "sh" };

	(void)state;
	ev_openat(&ev);
	/* used before the macros and list it needs are defined */
	assert_int_equal(te_rl_defs_macro(d, "shell_writes", "spawned_shell and open_write",
					  false, NULL, &err), 0);
	assert_int_equal(te_rl_defs_macro(d, "spawned_shell", "proc.name in (shells)", false,
					  NULL, &err), 0);
	assert_int_equal(te_rl_defs_macro(d, "open_write",
					  "evt.name in (open, openat) and evt.arg.flags contains O_WRONLY",
					  false, NULL, &err), 0);
	assert_int_equal(te_rl_defs_list(d, "shells", shells, 2, false, NULL, &err), 0);
	assert_true(match_d(d, "shell_writes", &ev));
	assert_true(match_d(d, "not not shell_writes and fd.name = /etc/shadow", &ev));
	assert_false(match_d(d, "not shell_writes", &ev));
	/* append joins the texts: "spawned_shell and open_write and proc.pid = 1" */
	assert_int_equal(te_rl_defs_macro(d, "shell_writes", "and proc.pid = 1", true, NULL, &err),
			 0);
	assert_false(match_d(d, "shell_writes", &ev));
	assert_int_equal(te_rl_defs_macro(d, "shell_writes", "or proc.pid = 100", true, NULL, &err),
			 0);
	assert_true(match_d(d, "shell_writes", &ev));
	/* replace */
	assert_int_equal(te_rl_defs_macro(d, "spawned_shell", "proc.name = zsh", false, NULL, &err),
			 0);
	assert_false(match_d(d, "spawned_shell", &ev));
	te_rl_defs_free(d);
}

static void test_macro_errors(void **state)
{
	struct te_rl_defs *d = te_rl_defs_new();
	struct te_rl_error err;
	char buf[512];
	const struct te_src_loc ma = { "macros.yaml", 5, 14 }, mb = { "macros.yaml", 9, 14 },
				mc = { "local.yaml", 2, 16 };

	(void)state;
	assert_int_equal(te_rl_defs_macro(d, "a", "proc.pid = 1 or b", false, &ma, &err), 0);
	assert_int_equal(te_rl_defs_macro(d, "b", "proc.pid = 2 and a", false, &mb, &err), 0);
	assert_int_equal(te_rl_defs_macro(d, "self", "self", false, &ma, &err), 0);
	assert_string_equal(cerr(d, "proc.name = x or a"),
			    "macros.yaml:9:31: macro 'a' uses itself: a -> b -> a (in macro 'b')");
	assert_string_equal(cerr(d, "self"),
			    "macros.yaml:5:14: macro 'self' uses itself: self -> self (in macro 'self')");
	/* an error inside a macro points into the macro's text */
	assert_int_equal(te_rl_defs_macro(d, "bad", "proc.name = a and\n  proc.nme = b", false, &ma,
					  &err), 0);
	assert_string_equal(cerr(d, "bad"),
			    "macros.yaml:6:3: unknown field 'proc.nme' (in macro 'bad')");
	/* ... and into the appended piece when that is where it is */
	assert_int_equal(te_rl_defs_macro(d, "good", "proc.name = a", false, &ma, &err), 0);
	assert_int_equal(te_rl_defs_macro(d, "good", "and proc.pid contains 1", true, &mc, &err), 0);
	assert_string_equal(
		cerr(d, "good"),
		"local.yaml:2:29: operator 'contains' needs a string field; proc.pid is a number (in macro 'good')");
	assert_int_equal(te_rl_defs_macro(d, "open", "proc.name = a or", false, &ma, &err), 0);
	assert_string_equal(cerr(d, "open"),
			    "macros.yaml:5:30: expected a condition, found end of condition (in macro 'open')");
	assert_int_equal(te_rl_defs_macro(d, "empty", "", false, &ma, &err), 0);
	assert_string_equal(cerr(d, "empty"),
			    "macros.yaml:5:14: expected a condition, found end of condition (in macro 'empty')");

	/* definitions */
	assert_int_equal(te_rl_defs_macro(d, "nosuch", "x", true, &mc, &err), -ENOENT);
	te_rl_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "local.yaml:2:16: cannot append to macro 'nosuch': no such macro");
	assert_int_equal(te_rl_defs_list(d, "nolist", NULL, 0, true, &mc, &err), -ENOENT);
	te_rl_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "local.yaml:2:16: cannot append to list 'nolist': no such list");
	assert_int_equal(te_rl_defs_macro(d, "and", "x", false, &mc, &err), -EINVAL);
	te_rl_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf,
			    "local.yaml:2:16: bad macro name 'and': expected one word, not a keyword");
	assert_int_equal(te_rl_defs_list(d, "a b", NULL, 0, false, NULL, &err), -EINVAL);
	te_rl_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "<string>:1:1: bad list name 'a b': expected one word, not a keyword");
	te_rl_defs_free(d);
}

static void test_errors(void **state)
{
	struct te_rl_defs *d = te_rl_defs_new();
	struct te_rl_error err;
	const char *words[] = { "one", "two" };
	char deep[512];
	const struct te_src_loc l7 = { "r.yaml", 7, 12 };

	(void)state;
	assert_int_equal(te_rl_defs_list(d, "words", words, 2, false, NULL, &err), 0);
	/* rules_loc: rules.yaml, line 3, column 14 */
	assert_string_equal(cerr(d, "proc.nme = x"), "rules.yaml:3:14: unknown field 'proc.nme'");
	assert_string_equal(cerr(d, "proc.name = x and my_macro"),
			    "rules.yaml:3:32: unknown macro 'my_macro'");
	assert_string_equal(cerr(d, "proc.pid contains \"x\""),
			    "rules.yaml:3:23: operator 'contains' needs a string field; proc.pid is a number");
	assert_string_equal(cerr(d, "proc.pid glob '*'"),
			    "rules.yaml:3:23: operator 'glob' needs a string field; proc.pid is a number");
	assert_string_equal(cerr(d, "proc.name < 5"),
			    "rules.yaml:3:24: operator '<' needs a number field; proc.name is a string");
	assert_string_equal(cerr(d, "evt.arg.argv >= 5"),
			    "rules.yaml:3:27: operator '>=' needs a number field; evt.arg.argv is a list");
	assert_string_equal(cerr(d, "proc.pid = abc"),
			    "rules.yaml:3:25: expected a number (proc.pid is a number), found 'abc'");
	assert_string_equal(cerr(d, "evt.arg.flags < O_RDONLY"),
			    "rules.yaml:3:30: expected a number (evt.arg.flags is a number or a string), found 'O_RDONLY'");
	assert_string_equal(cerr(d, "proc.pid = 12abc"),
			    "rules.yaml:3:25: bad number '12abc': expected decimal, 0x hex or 0o octal");
	assert_string_equal(cerr(d, "evt.arg.mode = 0789"),
			    "rules.yaml:3:29: bad number '0789': expected decimal, 0x hex or 0o octal");
	assert_string_equal(cerr(d, "proc.pid = 0x"),
			    "rules.yaml:3:25: bad number '0x': expected decimal, 0x hex or 0o octal");
	assert_string_equal(cerr(d, "proc.pid = 99999999999999999999"),
			    "rules.yaml:3:25: bad number '99999999999999999999': expected decimal, 0x hex or 0o octal");
	assert_string_equal(cerr(d, "proc.pid in (1, x2)"),
			    "rules.yaml:3:30: expected a number (proc.pid is a number), found 'x2'");
	assert_string_equal(cerr(d, "proc.pid in (words)"),
			    "rules.yaml:3:27: item 'one' of list 'words' is not a number (proc.pid is a number)");
	assert_string_equal(cerr(d, "(proc.name = a"),
			    "rules.yaml:3:28: expected ')', found end of condition");
	assert_string_equal(cerr(d, "((proc.name = a) or (proc.pid = 1)"),
			    "rules.yaml:3:48: expected ')', found end of condition");
	assert_string_equal(cerr(d, "proc.name = a)"),
			    "rules.yaml:3:27: expected 'and', 'or' or end of condition, found ')'");
	assert_string_equal(cerr(d, "evt.arg.NOSUCH = 1"),
			    "rules.yaml:3:14: no event has an argument 'NOSUCH' (evt.arg.NOSUCH)");
	assert_string_equal(cerr(d, "proc.name = a b"),
			    "rules.yaml:3:28: expected 'and', 'or' or end of condition, found 'b'");
	assert_string_equal(cerr(d, ""), "rules.yaml:3:14: expected a condition, found end of condition");
	assert_string_equal(cerr(d, "   "), "rules.yaml:3:17: expected a condition, found end of condition");
	assert_string_equal(cerr(d, "and proc.name = a"),
			    "rules.yaml:3:14: expected a condition, found 'and'");
	assert_string_equal(cerr(d, "proc.name = a and"),
			    "rules.yaml:3:31: expected a condition, found end of condition");
	assert_string_equal(cerr(d, "proc.name ="),
			    "rules.yaml:3:25: expected a value, found end of condition");
	assert_string_equal(cerr(d, "proc.name = )"), "rules.yaml:3:26: expected a value, found ')'");
	assert_string_equal(cerr(d, "proc.name bash"),
			    "rules.yaml:3:24: expected an operator, found 'bash'");
	assert_string_equal(cerr(d, "proc.name"),
			    "rules.yaml:3:23: expected an operator, found end of condition");
	assert_string_equal(cerr(d, "proc.name in (a b)"),
			    "rules.yaml:3:30: expected ',' or ')', found 'b'");
	assert_string_equal(cerr(d, "proc.name in (a,)"),
			    "rules.yaml:3:30: expected a value, found ')'");
	assert_string_equal(cerr(d, "proc.name in nolist"),
			    "rules.yaml:3:27: expected '(' or a list name, found 'nolist'");
	assert_string_equal(cerr(d, "proc.name pmatch \"/etc\""),
			    "rules.yaml:3:31: expected '(' or a list name, found \"/etc\"");
	assert_string_equal(cerr(d, "evt.name = opneat"), "rules.yaml:3:25: no event named 'opneat'");
	assert_string_equal(cerr(d, "evt.type in (creat, opneat)"),
			    "rules.yaml:3:26: none of the names in the list is an event");
	assert_string_equal(cerr(d, "proc.name[1] = x"),
			    "rules.yaml:3:14: field 'proc.name' takes no [index]");
	assert_string_equal(cerr(d, "proc.aname[65] = x"),
			    "rules.yaml:3:14: index 65 of 'proc.aname[65]' is above the maximum of 64");
	assert_string_equal(cerr(d, "proc.aname[x] = x"),
			    "rules.yaml:3:14: bad index in 'proc.aname[x]': expected [N] with N a decimal number");
	/* line and column on a later line of a multi-line condition */
	assert_string_equal(cerr_loc(d, "proc.name = a and\n  (proc.nme = b)", &l7),
			    "r.yaml:8:4: unknown field 'proc.nme'");
	assert_string_equal(cerr_loc(d, "proc.name = a and\n\n   proc.pid < x", &l7),
			    "r.yaml:9:15: expected a number (proc.pid is a number), found 'x'");
	/* nesting is bounded */
	memset(deep, '(', 300);
	strcpy(deep + 300, "proc.pid = 1");
	assert_string_equal(cerr_loc(d, deep, NULL),
			    "<string>:1:101: condition nested too deeply (more than 100 levels)");
	/* NULL condition, NULL err */
	assert_null(te_rl_compile(d, NULL, NULL, NULL));
	te_rl_defs_free(d);
}

/* ---- pmatch and glob --------------------------------------------------- */

static void test_pmatch(void **state)
{
	struct te_rl_defs *d = te_rl_defs_new();
	struct te_rl_error err;
	struct te_rule_event ev;
	const char *small[] = { "/etc/cron.d/", "/var/spool/cron" };
	const char *big[] = { "/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h", "/i",
			      "/etc/cron.d/", "/var/spool/cron" };
	const char *root[] = { "/" };
	static const struct {
		const char *path;
		bool want;
	} cases[] = {
		{ "/etc/cron.d/x", true },    { "/etc/cron.d", true },
		{ "/etc/cron.d/", true },     { "/etc/cron.daily/x", false },
		{ "/etc/cron", false },       { "/var/spool/cron/crontabs/root", true },
		{ "/var/spool", false },      { "etc/cron.d/x", false },
		{ "", false },
	};

	(void)state;
	assert_int_equal(te_rl_defs_list(d, "small", small, 2, false, NULL, &err), 0);
	assert_int_equal(te_rl_defs_list(d, "big", big, 11, false, NULL, &err), 0);
	assert_int_equal(te_rl_defs_list(d, "root", root, 1, false, NULL, &err), 0);
	ev_openat(&ev);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		arg_str(&ev, "pathname", cases[i].path);
		if (match_d(d, "fd.name pmatch (small)", &ev) != cases[i].want)
			fail_msg("small: %s", cases[i].path);
		if (match_d(d, "fd.name pmatch (big)", &ev) != cases[i].want)
			fail_msg("big: %s", cases[i].path);
		if (match_d(d, "fd.name pmatch root", &ev) != (cases[i].path[0] == '/'))
			fail_msg("root: %s", cases[i].path);
	}
	te_rl_defs_free(d);
}

/* rl_glob_match must agree with fnmatch(pattern, s, 0). */
static void test_glob(void **state)
{
	static const char *pats[] = {
		"*", "?", "a*", "*a", "a?c", "a*c", "*.sh", "/etc/*", "/etc/*/x", "[abc]*",
		"[!abc]*", "[^a]bc", "[a-c]x", "[]]", "[!]]", "a\\*b", "a\\b", "[[:digit:]]*",
		"[[:alpha:]_]*", "*[0-9]", "**a**", "a*b*c*d", "[", "a[", "\\", ".*", "*/",
		"", "[a-]", "[\\]]", "/tmp/[!.]*", "[a\\]", "*\\", "a[!",
	};
	static const char *strs[] = {
		"", "a", "abc", "axc", "a*b", "ab", "x.sh", "/etc/passwd", "/etc/a/x", "bcd",
		"]", "!", "9abc", "_x1", "abcabcd", "[", "a[", "\\", ".hidden", "a/b/",
		"-", "/tmp/.x", "/tmp/y", "aXbXcXd", "a\\b", "[a]", "a[!", "a\\",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		for (size_t j = 0; j < sizeof(strs) / sizeof(strs[0]); j++) {
			bool want = fnmatch(pats[i], strs[j], 0) == 0;
			bool got = rl_glob_match(pats[i], strs[j], strlen(strs[j]));

			if (want != got)
				fail_msg("glob '%s' on '%s': fnmatch %d, ours %d", pats[i], strs[j],
					 want, got);
		}
	}
	/* counted strings: bytes after n are not looked at */
	assert_true(rl_glob_match("/etc", "/etc/cron.d", 4));
	assert_false(rl_glob_match("/etc/*", "/etc/cron.d", 4));
}

/* ---- fields ------------------------------------------------------------ */

static void test_fields_event(void **state)
{
	struct te_rule_event ev;

	(void)state;
	ev_openat(&ev);
	assert_string_equal(render("%evt.name %evt.type %evt.id", &ev), "openat openat 31");
	assert_string_equal(render("%evt.time %evt.retval %evt.truncated", &ev),
			    "1700000000123456789 3 0");
	ev.truncated = true;
	T("evt.truncated = 1", &ev);
	T("evt.id = 31", &ev);
	T("evt.type = openat", &ev);
	T("evt.time > 1700000000000000000", &ev);
	assert_string_equal(render("%evt.arg.dirfd %evt.arg.pathname %evt.arg.flags %evt.arg.mode",
				   &ev),
			    "AT_FDCWD /etc/shadow O_WRONLY|O_CREAT 0644");
	assert_string_equal(render("%proc.name %proc.exe %proc.cmdline [%proc.args]", &ev),
			    "bash /usr/bin/bash bash -c id [-c id]");
	assert_string_equal(render("%proc.pid %proc.tid %proc.vpid %proc.ppid", &ev),
			    "100 101 7 50");
	T("proc.tid = 101 and proc.vpid = 7 and proc.ppid = 50", &ev);
	T("proc.args = '-c id'", &ev);
	ev.cmdline = "bash";
	T("proc.args = ''", &ev);
	assert_string_equal(render("%user.uid %group.gid %container.id %host.name", &ev),
			    "0 20 host node1");
	T("container.id = host", &ev);
	ev.container_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	T("container.id startswith 0123 and container.id != host", &ev);
	ev.hostname = "";
	F("host.name exists", &ev);
	T("user.uid = 0 and group.gid = 20", &ev);
	/* HEX arguments render as hex, BOOL as true/false */
	ev_init(&ev, "mmap");
	arg_num(&ev, "addr", 0x7f0000);
	arg_num(&ev, "len", 4096);
	assert_string_equal(render("%evt.arg.addr %evt.arg.len %evt.arg.fd", &ev),
			    "0x7f0000 4096 <NA>");
	T("evt.arg.addr = 0x7f0000", &ev);
}

static void test_fields_user(void **state)
{
	struct te_rule_event ev;
	struct rl_users sys;
	const char *root;

	(void)state;
	ev_openat(&ev);
	/* whatever the system's /etc/passwd says for 0 */
	assert_int_equal(rl_users_load(&sys, "/etc/passwd"), 0);
	root = rl_users_lookup(&sys, 0);
	assert_string_equal(render("%user.name", &ev), root ? root : "0");
	rl_users_free(&sys);
	ev.uid = 4000000000u;
	assert_string_equal(render("%user.name", &ev), "4000000000");
	T("user.name = 4000000000", &ev);
}

static void test_users_parse(void **state)
{
	char path[] = "/tmp/test_rule_lang_passwdXXXXXX";
	const char *text = "root:x:0:0:root:/root:/bin/bash\n"
			   "# comment:x:5:\n"
			   "toor:x:0:0::/root:/bin/sh\n"
			   "+nis::\n"
			   "bad:x:notanumber:0::/:/bin/sh\n"
			   "alice:x:1000:1000::/home/alice:/bin/bash\n"
			   "big:x:4294967295:0::/:\n"
			   "huge:x:4294967296:0::/:\n"
			   "nouid\n"
			   "daemon:x:1:1::/:";
	struct rl_users u;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(rl_users_load(&u, path), 0);
	unlink(path);
	assert_int_equal(u.n, 4);
	assert_string_equal(rl_users_lookup(&u, 0), "root"); /* first line wins */
	assert_string_equal(rl_users_lookup(&u, 1), "daemon");
	assert_string_equal(rl_users_lookup(&u, 1000), "alice");
	assert_string_equal(rl_users_lookup(&u, 4294967295u), "big");
	assert_null(rl_users_lookup(&u, 5));
	rl_users_free(&u);
	assert_int_equal(rl_users_load(&u, "/nonexistent/passwd"), -ENOENT);
}

static void test_fields_fd(void **state)
{
	struct te_rule_event ev;
	static const struct {
		const char *ev, *arg, *val, *name, *dir, *file;
	} cases[] = {
		{ "openat", "pathname", "/etc/cron.d/x", "/etc/cron.d/x", "/etc/cron.d", "x" },
		{ "open", "pathname", "/x", "/x", "/", "x" },
		{ "unlink", "pathname", "/tmp/d/", "/tmp/d/", "/tmp/d", "" },
		{ "execve", "pathname", "/bin/sh", "/bin/sh", "/bin", "sh" },
		{ "connect", "addr", "AF_INET 127.0.0.1:4444", "AF_INET 127.0.0.1:4444", "<NA>",
		  "<NA>" },
		{ "accept4", "addr", "AF_INET6 [::1]:80", "AF_INET6 [::1]:80", "<NA>", "<NA>" },
		{ "dup2", "remote", "AF_INET 10.0.0.1:22", "AF_INET 10.0.0.1:22", "<NA>", "<NA>" },
		{ "mount", "target", "/mnt/x", "/mnt/x", "/mnt", "x" },
		{ "umount2", "target", "/mnt", "/mnt", "/", "mnt" },
		{ "memfd_create", "name", "payload", "payload", "<NA>", "<NA>" },
		{ "ptrace", "request", "PTRACE_TRACEME", "<NA>", "<NA>", "<NA>" },
	};
	char want[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ev_init(&ev, cases[i].ev);
		arg_str(&ev, cases[i].arg, cases[i].val);
		snprintf(want, sizeof(want), "%s|%s|%s", cases[i].name, cases[i].dir, cases[i].file);
		assert_string_equal(render("%fd.name|%fd.directory|%fd.filename", &ev), want);
	}
	/* rename*: the new path */
	ev_init(&ev, "renameat2");
	arg_str(&ev, "oldpath", "/tmp/a");
	arg_str(&ev, "newpath", "/etc/ld.so.preload");
	assert_string_equal(render("%fd.name %fd.directory %fd.filename", &ev),
			    "/etc/ld.so.preload /etc ld.so.preload");
	T("fd.directory = /etc and fd.filename = ld.so.preload", &ev);
	ev_init(&ev, "rename");
	arg_str(&ev, "oldpath", "/tmp/a");
	arg_str(&ev, "newpath", "/tmp/b");
	T("fd.name = /tmp/b", &ev);
}

static void test_fields_memfd(void **state)
{
	struct te_rule_event ev;

	(void)state;
	ev_exec(&ev);
	T("proc.is_memfd = 0", &ev);
	arg_num(&ev, "is_memfd", 1);
	T("proc.is_memfd = 1", &ev);
	ev_openat(&ev);
	T("proc.is_memfd = 0", &ev);
	ev.exe = "/memfd:payload (deleted)";
	T("proc.is_memfd = 1", &ev);
}

static void test_fields_ancestors(void **state)
{
	struct te_proctree *pt = te_proctree_new(64);
	struct te_rule_event ev;
	static const char init_argv[] = "/sbin/init\0splash";
	static const char sshd_argv[] = "sshd: alice\0";
	static const char bash_argv[] = "-bash\0";

	(void)state;
	assert_non_null(pt);
	te_proctree_exec(pt, 1, 0, "/sbin/init", 10, init_argv, sizeof(init_argv), "systemd", 0);
	te_proctree_fork(pt, 1, 200, 0, "sshd", 0);
	te_proctree_exec(pt, 200, 1, "/usr/sbin/sshd", 14, sshd_argv, sizeof(sshd_argv), "sshd", 0);
	te_proctree_fork(pt, 200, 300, 0, "sshd", 1000);
	te_proctree_exec(pt, 300, 200, "/usr/bin/bash", 13, bash_argv, sizeof(bash_argv), "bash",
			 1000);
	te_proctree_fork(pt, 300, 400, 0, "bash", 1000);

	ev_openat(&ev);
	ev.pid = 400;
	ev.ppid = 300;
	ev.comm = "cat";
	ev.exe = "/usr/bin/cat";
	ev.pt = pt;
	ev.proc = te_proctree_get(pt, 400);
	assert_non_null(ev.proc);

	assert_string_equal(render("%proc.pname|%proc.pexe|%proc.pcmdline", &ev),
			    "bash|/usr/bin/bash|-bash");
	assert_string_equal(render("%proc.aname[0] %proc.aname[1] %proc.aname[2] %proc.aname[3] "
				   "%proc.aname[4]",
				   &ev),
			    "cat bash sshd systemd <NA>");
	assert_string_equal(render("%proc.aexe[0] %proc.aexe[2] %proc.aexe[3]", &ev),
			    "/usr/bin/cat /usr/sbin/sshd /sbin/init");
	assert_string_equal(render("%proc.aname", &ev), "bash sshd systemd");
	assert_string_equal(render("%proc.aexe", &ev), "/usr/bin/bash /usr/sbin/sshd /sbin/init");
	T("proc.pname = bash", &ev);
	T("proc.aname[2] = sshd", &ev);
	T("proc.aname = sshd", &ev);
	T("proc.aname in (nginx, sshd)", &ev);
	T("proc.aname contains yst", &ev);
	F("proc.aname = cat", &ev);
	T("proc.aname != cat", &ev);
	F("proc.aname != sshd", &ev);
	T("proc.aexe pmatch (/usr/sbin)", &ev);
	T("proc.aexe[1] endswith /bash", &ev);
	F("proc.aname[4] exists", &ev);
	T("proc.aname exists", &ev);
	T("proc.aname[2] = sshd and proc.pname = bash and proc.aname[3] = systemd", &ev);
	/* a process whose parent is unknown: empty list, absent parent */
	te_proctree_fork(pt, 999, 500, 0, "orphan", 0);
	ev.proc = te_proctree_get(pt, 500);
	F("proc.pname exists", &ev);
	T("proc.aname exists", &ev);
	F("proc.aname = bash", &ev);
	assert_string_equal(render("[%proc.aname] %proc.pname", &ev), "[] <NA>");
	te_proctree_free(pt);
}

static void test_field_known(void **state)
{
	(void)state;
	assert_true(te_rl_field_known("proc.name"));
	assert_true(te_rl_field_known("evt.type"));
	assert_true(te_rl_field_known("proc.aname[3]"));
	assert_true(te_rl_field_known("proc.aexe"));
	assert_true(te_rl_field_known("evt.arg.pathname"));
	assert_true(te_rl_field_known("evt.arg.interpreter_pathname"));
	assert_true(te_rl_field_known("fd.directory"));
	assert_false(te_rl_field_known("evt.arg.NOSUCH"));
	assert_false(te_rl_field_known("evt.arg."));
	assert_false(te_rl_field_known("proc.name[1]"));
	assert_false(te_rl_field_known("proc.aname[]"));
	assert_false(te_rl_field_known("proc"));
	assert_false(te_rl_field_known(""));
	assert_false(te_rl_field_known(NULL));
}

/* ---- event types ------------------------------------------------------- */

/* The events a condition can match, as "a,b,c" in id order, or "ALL". */
static const char *events_of(const struct te_rl_defs *d, const char *cond)
{
	static char buf[2048];
	bool out[TE_EV_MAX];
	struct te_expr *e = compile(d, cond);
	size_t n, len = 0, count = 0;
	(void)te_event_table(&n);

	memset(out, 0xff, sizeof(out)); /* must be fully overwritten */
	te_expr_events(e, out);
	te_expr_free(e);
	buf[0] = '\0';
	for (uint32_t id = 0; id < TE_EV_MAX; id++) {
		const struct te_event_desc *desc = te_event_by_id(id);

		if (!desc) {
			assert_false(out[id]);
			continue;
		}
		if (out[id]) {
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", count ? "," : "",
						desc->name);
			count++;
		}
	}
	return count == n ? "ALL" : buf;
}

static void test_events(void **state)
{
	struct te_rl_defs *d = te_rl_defs_new();
	struct te_rl_error err;
	const char *opens[] = { "open", "openat", "creat" };

	(void)state;
	assert_int_equal(te_rl_defs_list(d, "open_events", opens, 3, false, NULL, &err), 0);
	assert_int_equal(te_rl_defs_macro(d, "open_write",
					  "evt.type in (open_events) and evt.arg.flags contains O_WRONLY",
					  false, NULL, &err), 0);
	assert_int_equal(te_rl_defs_macro(d, "spawned", "evt.name = sched_process_exec", false,
					  NULL, &err), 0);
	assert_string_equal(events_of(d, "evt.name = openat"), "openat");
	assert_string_equal(events_of(d, "evt.name in (openat, open)"), "open,openat");
	assert_string_equal(events_of(d, "evt.type = execve or evt.name = ptrace"), "execve,ptrace");
	assert_string_equal(events_of(d, "evt.name = openat and proc.name = bash"), "openat");
	assert_string_equal(events_of(d, "evt.name = openat and evt.name = open"), "");
	assert_string_equal(events_of(d, "not evt.name = openat"), "ALL");
	assert_string_equal(events_of(d, "proc.name = bash"), "ALL");
	assert_string_equal(events_of(d, "proc.name = bash or evt.name = open"), "ALL");
	assert_string_equal(events_of(d, "evt.name startswith open"), "open,openat,openat2");
	assert_string_equal(events_of(d, "evt.id = 20"), "ptrace");
	assert_string_equal(events_of(d, "evt.arg.request = PTRACE_TRACEME"), "ptrace");
	assert_string_equal(events_of(d, "evt.arg.interpreter_pathname exists"),
			    "sched_process_exec");
	assert_string_equal(events_of(d, "evt.arg.argv contains x"),
			    "sched_process_exec,execve,execveat");
	/* addr is a sockaddr (text) on sockets, a number on ptrace and mmap */
	assert_string_equal(events_of(d, "evt.arg.addr contains 127.0.0.1"),
			    "connect,bind,accept,accept4");
	assert_string_equal(events_of(d, "evt.arg.addr = 0"),
			    "ptrace,mmap,mprotect,connect,bind,accept,accept4");
	assert_string_equal(events_of(d, "evt.arg.addr > 0"), "ptrace,mmap,mprotect");
	assert_string_equal(
		events_of(d, "fd.name startswith /etc"),
		"sched_process_exec,execve,execveat,open,openat,openat2,write,rename,renameat,"
		"renameat2,unlink,unlinkat,chmod,fchmod,fchmodat,mmap,memfd_create,finit_module,"
		"connect,bind,accept,accept4,dup,dup2,dup3,mount,umount2");
	/* through macros and lists; creat is not an event here */
	assert_string_equal(events_of(d, "open_write"), "open,openat");
	assert_string_equal(events_of(d, "open_write or spawned"), "sched_process_exec,open,openat");
	assert_string_equal(events_of(d, "(open_write or spawned) and evt.arg.argv exists"),
			    "sched_process_exec");
	assert_string_equal(events_of(d, "evt.name != openat and evt.name in (open, openat)"),
			    "open");
	assert_string_equal(events_of(d, "evt.name = openat or not proc.name = x"), "ALL");
	te_rl_defs_free(d);
}

/* ---- templates --------------------------------------------------------- */

struct field_seen {
	char text[1024];
};

static void collect(void *ctx, const char *field, const char *value)
{
	struct field_seen *s = ctx;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%s=%s;", field, value);
}

static void test_templates(void **state)
{
	struct te_rule_event ev;
	struct te_template *t;
	struct te_rl_error err;
	struct field_seen seen = { "" };
	char buf[512];
	const struct te_src_loc loc = { "rules.yaml", 12, 11 };

	(void)state;
	ev_openat(&ev);
	ev.uid = 4000000000u; /* in no passwd file: the number */
	assert_string_equal(render("%proc.name wrote %evt.arg.pathname (user=%user.name, "
				   "interp=%evt.arg.interpreter_pathname)",
				   &ev),
			    "bash wrote /etc/shadow (user=4000000000, interp=<NA>)");
	assert_string_equal(render("100%% sure, by %proc.name.", &ev), "100% sure, by bash.");
	assert_string_equal(render("50% of %proc.pid%", &ev), "50% of 100%");
	assert_string_equal(render("no fields", &ev), "no fields");
	assert_string_equal(render("", &ev), "");
	assert_string_equal(render("%proc.name%proc.pid", &ev), "bash100");
	ev_exec(&ev);
	assert_string_equal(render("argv=%evt.arg.argv env=[%evt.arg.env]", &ev),
			    "argv=python3 -c import os env=[PATH=/bin LD_PRELOAD=/tmp/evil.so]");
	assert_string_equal(render("memfd=%evt.arg.is_memfd", &ev), "memfd=false");

	t = te_tpl_compile("%proc.name ran %evt.arg.pathname by %proc.name (%proc.aname[2])", NULL,
			   &err);
	assert_non_null(t);
	te_tpl_fields(t, &ev, collect, &seen);
	assert_string_equal(seen.text,
			    "proc.name=python3;evt.arg.pathname=/usr/bin/python3.11;proc.aname[2]=<NA>;");
	te_tpl_free(t);

	assert_null(te_tpl_compile("x %proc.nme y", &loc, &err));
	te_rl_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "rules.yaml:12:13: unknown field 'proc.nme'");
	assert_null(te_tpl_compile("a\n  %evt.arg.NOSUCH", &loc, &err));
	te_rl_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "rules.yaml:13:3: no event has an argument 'NOSUCH' (evt.arg.NOSUCH)");
	assert_null(te_tpl_compile("%proc.aname[99]", NULL, &err));
	te_rl_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "<string>:1:1: index 99 of 'proc.aname[99]' is above the maximum of 64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lexer_tokens),
		cmocka_unit_test(test_lexer_escapes),
		cmocka_unit_test(test_lexer_errors),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_ops_strings),
		cmocka_unit_test(test_ops_fast_paths),
		cmocka_unit_test(test_ops_numbers),
		cmocka_unit_test(test_ops_lists),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_mixed_type_arg),
		cmocka_unit_test(test_in_lists),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_macro_errors),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pmatch),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_fields_event),
		cmocka_unit_test(test_fields_user),
		cmocka_unit_test(test_users_parse),
		cmocka_unit_test(test_fields_fd),
		cmocka_unit_test(test_fields_memfd),
		cmocka_unit_test(test_fields_ancestors),
		cmocka_unit_test(test_field_known),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
