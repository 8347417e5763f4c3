/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule set tests: loading rule files (tests/unit/data/rules), overrides,
 * exceptions, every error message with its file:line:col, and matching
 * through the per-event index.  They run against the real rule language,
 * so the conditions used are plain Falco syntax.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "rule_lang.h"
#include "rule_set.h"

/* ---- helpers ----------------------------------------------------------- */

static const char *data_path(const char *name)
{
	static char paths[8][PATH_MAX];
	static unsigned next;
	const char *dir = getenv("TEST_DATA_DIR");
	char *p = paths[next++ % 8];

	snprintf(p, PATH_MAX, "%s/rules/%s", dir ? dir : "tests/unit/data", name);
	return p;
}

/* Load paths; the diagnostics text goes to *diag (caller frees). */
static struct te_ruleset *load_paths(const char *const *paths, size_t n, char **diag,
				     struct te_rl_error *err)
{
	size_t len;
	FILE *f = open_memstream(diag, &len);
	struct te_ruleset *rs;

	assert_non_null(f);
	rs = te_ruleset_load(paths, n, f, err);
	fclose(f);
	return rs;
}

static struct te_ruleset *load_ok(const char *name)
{
	const char *path = data_path(name);
	struct te_rl_error err;
	struct te_ruleset *rs;
	char *diag = NULL;

	rs = load_paths(&path, 1, &diag, &err);
	if (!rs)
		fail_msg("%s did not load:\n%s", name, diag);
	assert_string_equal(diag, "");
	free(diag);
	return rs;
}

/* Load a file that must fail; returns the diagnostics, one line per error.
 * The first error must also be in err, formatted the same way. */
static char *load_bad(const char *name, unsigned expect_lines)
{
	const char *path = data_path(name);
	struct te_rl_error err;
	char *diag = NULL, first[1024];
	unsigned lines = 0;

	assert_null(load_paths(&path, 1, &diag, &err));
	for (const char *p = diag; *p; p++)
		lines += *p == '\n';
	if (lines != expect_lines)
		fail_msg("%s: %u errors, expected %u:\n%s", name, lines, expect_lines, diag);
	snprintf(first, sizeof(first), "%s:%u:%u: %s\n", err.file, err.line, err.col, err.msg);
	assert_true(strncmp(diag, first, strlen(first)) == 0);
	return diag;
}

/* Does diag contain the line "PATH:REST"? */
static void assert_diag(const char *diag, const char *name, const char *rest)
{
	char want[PATH_MAX + 600];

	snprintf(want, sizeof(want), "%s:%s\n", data_path(name), rest);
	if (!strstr(diag, want))
		fail_msg("missing error line:\n  %s in:\n%s", want, diag);
}

/* Line i (0-based) of diag starts with "PATH:PREFIX". */
static void assert_diag_line_prefix(const char *diag, unsigned i, const char *name,
				    const char *prefix)
{
	char want[PATH_MAX + 600];
	const char *p = diag;

	while (i-- && p)
		if ((p = strchr(p, '\n')))
			p++;
	assert_non_null(p);
	snprintf(want, sizeof(want), "%s:%s", data_path(name), prefix);
	if (strncmp(p, want, strlen(want)))
		fail_msg("expected a line starting with\n  %s\nin:\n%s", want, diag);
}

struct fake {
	struct te_rule_event ev;
	struct te_event_desc desc;
};

static const struct te_rule_event *event(struct fake *f, uint32_t id, const char *comm,
					 const char *exe)
{
	memset(f, 0, sizeof(*f));
	f->ev.desc = te_event_by_id(id);
	assert_non_null(f->ev.desc);
	f->ev.pid = f->ev.tid = 1234;
	f->ev.comm = comm;
	f->ev.exe = exe;
	f->ev.cmdline = comm;
	f->ev.container_id = "";
	f->ev.hostname = "host";
	return &f->ev;
}

struct matches {
	unsigned n;
	char ids[8][32];
};

static void on_match(void *ctx, struct te_rule *rule, const struct te_rule_event *ev)
{
	struct matches *m = ctx;

	assert_non_null(ev);
	if (m->n < 8)
		snprintf(m->ids[m->n], sizeof(m->ids[0]), "%s", rule->id);
	m->n++;
}

static unsigned match(struct te_ruleset *rs, const struct te_rule_event *ev, struct matches *m)
{
	unsigned n;

	memset(m, 0, sizeof(*m));
	n = te_ruleset_match(rs, ev, on_match, m);
	assert_int_equal(n, m->n);
	return n;
}

/* ---- severities -------------------------------------------------------- */

static void test_severity(void **state)
{
	static const struct {
		const char *in;
		enum te_severity out;
	} cases[] = {
		{ "info", TE_SEV_INFO },	  { "low", TE_SEV_LOW },
		{ "medium", TE_SEV_MEDIUM },	  { "high", TE_SEV_HIGH },
		{ "critical", TE_SEV_CRITICAL },  { "CRITICAL", TE_SEV_CRITICAL },
		{ "Emergency", TE_SEV_CRITICAL }, { "ALERT", TE_SEV_CRITICAL },
		{ "Error", TE_SEV_HIGH },	  { "WARNING", TE_SEV_MEDIUM },
		{ "Notice", TE_SEV_LOW },	  { "Informational", TE_SEV_INFO },
		{ "DEBUG", TE_SEV_INFO },
	};
	enum te_severity s = TE_SEV_HIGH;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = (enum te_severity)99;
		assert_int_equal(te_severity_parse(cases[i].in, &s), 0);
		assert_int_equal(s, cases[i].out);
	}
	s = TE_SEV_LOW;
	assert_int_equal(te_severity_parse("severe", &s), -EINVAL);
	assert_int_equal(te_severity_parse("", &s), -EINVAL);
	assert_int_equal(s, TE_SEV_LOW);

	assert_string_equal(te_severity_name(TE_SEV_INFO), "info");
	assert_string_equal(te_severity_name(TE_SEV_HIGH), "high");
	assert_string_equal(te_severity_name(TE_SEV_CRITICAL), "critical");
	assert_string_equal(te_severity_priority(TE_SEV_CRITICAL), "Critical");
	assert_string_equal(te_severity_priority(TE_SEV_HIGH), "Error");
	assert_string_equal(te_severity_priority(TE_SEV_MEDIUM), "Warning");
	assert_string_equal(te_severity_priority(TE_SEV_LOW), "Notice");
	assert_string_equal(te_severity_priority(TE_SEV_INFO), "Informational");
	assert_int_equal(te_severity_syslog(TE_SEV_CRITICAL), 2);
	assert_int_equal(te_severity_syslog(TE_SEV_HIGH), 3);
	assert_int_equal(te_severity_syslog(TE_SEV_MEDIUM), 4);
	assert_int_equal(te_severity_syslog(TE_SEV_LOW), 5);
	assert_int_equal(te_severity_syslog(TE_SEV_INFO), 6);
}

/* ---- good files -------------------------------------------------------- */

static void test_good_file(void **state)
{
	struct te_ruleset *rs = load_ok("good.yaml");
	struct te_rule *r;

	(void)state;
	assert_int_equal(te_ruleset_count(rs), 3);
	assert_int_equal(te_ruleset_enabled_count(rs), 2);

	r = te_ruleset_rule(rs, 0);
	assert_non_null(r);
	assert_ptr_equal(te_ruleset_find(rs, "TRC-102"), r);
	assert_ptr_equal(te_ruleset_find(rs, "Anti-Debugging detected"), r);
	assert_string_equal(r->id, "TRC-102");
	assert_string_equal(r->name, "Anti-Debugging detected");
	assert_string_equal(r->description, "A process used ptrace to detect a debugger.");
	assert_string_equal(r->condition, "is_ptrace and not proc.name in (debuggers)");
	assert_string_equal(r->output, "Anti-debugging by %proc.name");
	assert_int_equal(r->severity, TE_SEV_HIGH);
	assert_string_equal(r->mitre_technique, "T1622");
	assert_string_equal(r->mitre_tactic, "defense-evasion");
	assert_int_equal(r->ntags, 2);
	assert_string_equal(r->tags[0], "linux");
	assert_string_equal(r->tags[1], "debugging");
	assert_true(r->enabled);
	assert_string_equal(r->source_file, data_path("good.yaml"));
	assert_int_equal(r->source_line, 10);
	assert_non_null(r->cond);
	assert_non_null(r->tpl);
	/* Through the macro, only ptrace. */
	assert_true(r->events[TE_EV_PTRACE]);
	assert_false(r->events[TE_EV_OPENAT]);
	assert_int_equal(r->hits, 0);

	r = te_ruleset_rule(rs, 1);
	assert_string_equal(r->id, "TRC-104");
	assert_int_equal(r->severity, TE_SEV_MEDIUM); /* priority: WARNING */
	assert_false(r->enabled);
	assert_null(r->description);
	assert_null(r->mitre_technique);
	assert_null(r->mitre_tactic);
	assert_int_equal(r->ntags, 0);
	/* Folded block scalar: text with its final newline. */
	assert_string_equal(r->condition, "evt.name = memfd_create\n");
	assert_true(r->events[TE_EV_MEMFD_CREATE]);

	r = te_ruleset_rule(rs, 2);
	assert_string_equal(r->id, "TRC-105");
	assert_string_equal(r->description, "Falco's spelling of description");
	assert_int_equal(r->severity, TE_SEV_CRITICAL); /* Emergency */
	assert_true(r->events[TE_EV_OPEN]);
	assert_true(r->events[TE_EV_OPENAT]);
	assert_false(r->events[TE_EV_PTRACE]);

	assert_null(te_ruleset_rule(rs, 3));
	assert_null(te_ruleset_find(rs, "TRC-999"));
	te_ruleset_free(rs);
}

static void test_events_union(void **state)
{
	struct te_ruleset *rs = load_ok("good.yaml");
	bool ev[TE_EV_MAX];
	unsigned n = 0;

	(void)state;
	te_ruleset_events(rs, ev);
	for (unsigned i = 0; i < TE_EV_MAX; i++)
		n += ev[i];
	/* TRC-102 ptrace, TRC-105 open + openat; TRC-104 is disabled. */
	assert_int_equal(n, 3);
	assert_true(ev[TE_EV_PTRACE] && ev[TE_EV_OPEN] && ev[TE_EV_OPENAT]);
	assert_false(ev[TE_EV_MEMFD_CREATE]);

	assert_int_equal(te_ruleset_set_enabled(rs, "TRC-104", true), 0);
	te_ruleset_events(rs, ev);
	assert_true(ev[TE_EV_MEMFD_CREATE]);
	assert_int_equal(te_ruleset_enabled_count(rs), 3);
	te_ruleset_free(rs);
}

/* The events whose failed calls some rule can match: only those reach
 * user space when they fail (the kernel drops the rest). */
static void test_events_failed(void **state)
{
	struct te_ruleset *rs = load_ok("failed.yaml");
	bool ev[TE_EV_MAX], failed[TE_EV_MAX];

	(void)state;
	te_ruleset_events(rs, ev);
	te_ruleset_events_failed(rs, failed);
	assert_true(ev[TE_EV_OPENAT] && !failed[TE_EV_OPENAT]);
	assert_true(ev[TE_EV_UNLINKAT] && failed[TE_EV_UNLINKAT]);
	assert_true(ev[TE_EV_CONNECT] && failed[TE_EV_CONNECT]);
	assert_true(ev[TE_EV_CHMOD] && failed[TE_EV_CHMOD]);
	assert_true(ev[TE_EV_RENAMEAT] && !failed[TE_EV_RENAMEAT]);
	assert_true(ev[TE_EV_PTRACE] && !failed[TE_EV_PTRACE]);
	assert_false(failed[TE_EV_EXECVE]);
	/* a disabled rule needs nothing */
	assert_int_equal(te_ruleset_set_enabled(rs, "F-2", false), 0);
	te_ruleset_events_failed(rs, failed);
	assert_false(failed[TE_EV_UNLINKAT]);
	te_ruleset_free(rs);
}

/* --validate's warning: an exception on comm, argv or an ancestor's name
 * without a field the kernel vouches for. */
static void test_weak_exceptions(void **state)
{
	struct te_ruleset *rs = load_ok("weak.yaml");
	static const struct {
		const char *id, *field;
	} want[] = {
		{ "W-1", "proc.name" }, { "W-2", NULL }, { "W-3", NULL },
		{ "W-4", "proc.pname" }, { "W-5", "proc.cmdline" },
	};
	char *text = NULL;
	size_t len;
	FILE *f;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *got = te_expr_weak_exception(te_ruleset_find(rs, want[i].id)->cond);

		if (want[i].field)
			assert_string_equal(got, want[i].field);
		else
			assert_null(got);
	}
	f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(te_ruleset_warn_weak_exceptions(rs, f), 3);
	fclose(f);
	assert_non_null(strstr(text, "weak.yaml:3: warning: rule W-1: an exception tests proc.name"));
	free(text);
	te_ruleset_free(rs);
}

static void test_match_and_index(void **state)
{
	struct te_ruleset *rs = load_ok("good.yaml");
	struct matches m;
	struct fake f;
	const struct te_rule_event *ev;

	(void)state;
	assert_int_equal(match(rs, event(&f, TE_EV_PTRACE, "evil", "/tmp/evil"), &m), 1);
	assert_string_equal(m.ids[0], "TRC-102");
	/* gdb is in the debuggers list. */
	assert_int_equal(match(rs, event(&f, TE_EV_PTRACE, "gdb", "/usr/bin/gdb"), &m), 0);
	assert_int_equal(match(rs, event(&f, TE_EV_OPENAT, "evil", ""), &m), 1);
	assert_string_equal(m.ids[0], "TRC-105");
	assert_int_equal(match(rs, event(&f, TE_EV_OPENAT, "cat", ""), &m), 0);
	/* Disabled, so not in the index. */
	assert_int_equal(match(rs, event(&f, TE_EV_MEMFD_CREATE, "evil", ""), &m), 0);
	/* A NULL callback still counts. */
	assert_int_equal(te_ruleset_match(rs, event(&f, TE_EV_PTRACE, "x", ""), NULL, NULL), 1);

	assert_int_equal(te_ruleset_find(rs, "TRC-102")->hits, 2);
	assert_int_equal(te_ruleset_find(rs, "TRC-105")->hits, 1);
	assert_int_equal(te_ruleset_find(rs, "TRC-104")->hits, 0);

	/*
	 * Only the rules indexed under desc->id are evaluated: an openat
	 * event whose descriptor claims the name "ptrace" would satisfy
	 * TRC-102's condition, but TRC-102 is not indexed under openat.
	 */
	ev = event(&f, TE_EV_OPENAT, "evil", "");
	f.desc = *te_event_by_id(TE_EV_OPENAT);
	f.desc.name = "ptrace";
	f.ev.desc = &f.desc;
	assert_true(te_expr_eval(te_ruleset_find(rs, "TRC-102")->cond, ev));
	assert_int_equal(match(rs, ev, &m), 0);
	assert_int_equal(te_ruleset_find(rs, "TRC-102")->hits, 2);

	/* Re-indexing. */
	assert_int_equal(te_ruleset_set_enabled(rs, "TRC-104", true), 0);
	assert_int_equal(match(rs, event(&f, TE_EV_MEMFD_CREATE, "evil", ""), &m), 1);
	assert_string_equal(m.ids[0], "TRC-104");
	assert_int_equal(te_ruleset_set_enabled(rs, "TRC-102", false), 0);
	assert_int_equal(match(rs, event(&f, TE_EV_PTRACE, "evil", ""), &m), 0);
	assert_int_equal(te_ruleset_enabled_count(rs), 2);
	assert_int_equal(te_ruleset_set_enabled(rs, "TRC-102", true), 0);
	assert_int_equal(match(rs, event(&f, TE_EV_PTRACE, "evil", ""), &m), 1);
	assert_int_equal(te_ruleset_set_enabled(rs, "no-such-rule", true), -ENOENT);
	/* By id only, as documented. */
	assert_int_equal(te_ruleset_set_enabled(rs, "Memfd created", false), -ENOENT);
	assert_int_equal(te_ruleset_find(rs, "TRC-102")->hits, 3);
	te_ruleset_free(rs);
}

/* Several rules on one event match in load order. */
static void test_match_order(void **state)
{
	struct te_ruleset *rs = load_ok("overrides.yaml");
	struct matches m;
	struct fake f;

	(void)state;
	/* OVR-1 (ptrace and evil), OVR-4 (ptrace or openat, evil not
	 * excepted); OVR-2 became openat-only, OVR-3 is disabled. */
	assert_int_equal(match(rs, event(&f, TE_EV_PTRACE, "evil", ""), &m), 2);
	assert_string_equal(m.ids[0], "OVR-1");
	assert_string_equal(m.ids[1], "OVR-4");
	assert_int_equal(match(rs, event(&f, TE_EV_OPENAT, "someone", ""), &m), 3);
	assert_string_equal(m.ids[0], "OVR-2");
	assert_string_equal(m.ids[1], "OVR-4");
	assert_string_equal(m.ids[2], "OVR-5");
	te_ruleset_free(rs);
}

/*
 * te_ruleset_match looks most rules up by the text their condition
 * requires (fd.name = X, startswith, pmatch, in, a glob's literal
 * prefix...) before evaluating them: it must match exactly the rules whose
 * condition holds, in load order, on every event.
 */
static void set_arg(struct fake *f, const char *name, const char *val)
{
	const struct te_event_desc *d = f->ev.desc;

	for (unsigned i = 0; i < d->nargs; i++)
		if (!strcmp(d->args[i].name, name)) {
			f->ev.args[i].type = val ? TE_RV_STR : TE_RV_NONE;
			f->ev.args[i].str = val;
			f->ev.args[i].len = val ? strlen(val) : 0;
			return;
		}
	fail_msg("no argument %s", name);
}

struct all_matches {
	unsigned n;
	struct te_rule *r[64];
};

static void on_match_all(void *ctx, struct te_rule *rule, const struct te_rule_event *ev)
{
	struct all_matches *m = ctx;

	(void)ev;
	assert_true(m->n < 64);
	m->r[m->n++] = rule;
}

static void check_match(struct te_ruleset *rs, const struct te_rule_event *ev, const char *what)
{
	struct all_matches m = { 0 };
	unsigned n = te_ruleset_match(rs, ev, on_match_all, &m), k = 0;

	assert_int_equal(n, m.n);
	for (size_t i = 0; i < te_ruleset_count(rs); i++) {
		struct te_rule *r = te_ruleset_rule(rs, i);

		if (!r->enabled || !r->events[ev->desc->id] || !te_expr_eval(r->cond, ev))
			continue;
		if (k >= m.n || m.r[k] != r)
			fail_msg("%s: rule %s should match (as match #%u)", what, r->id, k);
		k++;
	}
	if (k != m.n)
		fail_msg("%s: %u matches, expected %u", what, m.n, k);
}

static void test_match_prefilter(void **state)
{
	static const char *paths[] = {
		"/etc/shadow", "/etc/shadow-", "/etc/passwd", "/etc/hosts", "/etc/f", "/etc/",
		"/etc", "/etc/cron.d", "/etc/cron.d/x", "/etc/cron.daily", "/var/spool/cron",
		"/var/spool/cron/crontabs/root", "/var/spool/cronx", "/tmp", "/tmp/x", "/tmpx",
		"/proc/1/mem", "/proc/self/mem", "/proc/1/maps", "/root/.ssh/authorized_keys",
		"/home/u/.bash_history", "/etc/pam.d/sshd", "/etc/pam.d", "/etc/pam.dx/y", "", "/",
		"x", "/x", "/a", "/a/b", "/ab", "/g/h/i", "relative/path", "/nonexistent/y",
		"/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/a/very/long/path/that/goes/on/and/on/and/on/beyond/sixty/four/bytes/for/the/masks/x",
		"/a/very/long/path/that/goes/on/and/on/and/on/beyond/sixty/four/bytes",
		"/a/very/long/path/that/goes/on/and/on/and/on/beyond/sixty/fo",
		"/a/very/long/path/that/goes/on/and/on/and/on/beyond/sixty/f",
		"/a/very/long/path/that/goes/on/and/on/and/on/beyond/sixty/four/bytesx",
		NULL,
	};
	static const char *comms[] = { "cat", "sh", "evil", "bash" };
	static const char *addrs[] = { "AF_UNIX /run/docker.sock", "AF_INET 1.2.3.4:80",
				       "AF_UNIX /var/run/x", NULL };
	struct te_ruleset *rs = load_ok("prefilter.yaml");
	struct fake f;
	char what[256];

	(void)state;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t c = 0; c < sizeof(comms) / sizeof(comms[0]); c++) {
			for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
				snprintf(what, sizeof(what), "openat %s by %s", paths[p] ? paths[p] : "(none)",
					 comms[c]);
				event(&f, TE_EV_OPENAT, comms[c], "");
				set_arg(&f, "pathname", paths[p]);
				f.ev.retval = p % 3 ? 3 : -2;
				check_match(rs, &f.ev, what);
				snprintf(what, sizeof(what), "execve %s by %s", paths[p] ? paths[p] : "(none)",
					 comms[c]);
				event(&f, TE_EV_EXECVE, comms[c], "");
				set_arg(&f, "pathname", paths[p]);
				check_match(rs, &f.ev, what);
			}
			for (size_t a = 0; a < sizeof(addrs) / sizeof(addrs[0]); a++) {
				snprintf(what, sizeof(what), "connect %s", addrs[a] ? addrs[a] : "(none)");
				event(&f, TE_EV_CONNECT, comms[c], "");
				set_arg(&f, "addr", addrs[a]);
				check_match(rs, &f.ev, what);
			}
		}
		/* and again after re-indexing */
		assert_int_equal(te_ruleset_set_enabled(rs, "r-sw-empty", false), 0);
	}
	/* Some rules did match, and some did not. */
	assert_true(te_ruleset_find(rs, "r-pm")->hits > 0);
	assert_true(te_ruleset_find(rs, "r-glob")->hits > 0);
	assert_true(te_ruleset_find(rs, "r-or-fields")->hits > 0);
	assert_true(te_ruleset_find(rs, "r-long")->hits > 0);
	assert_int_equal(te_ruleset_find(rs, "r-eq")->hits, 2 * 4);
	te_ruleset_free(rs);
}

static void test_directory(void **state)
{
	const char *path = data_path("dir");
	struct te_rl_error err;
	struct te_ruleset *rs;
	struct te_rule *r;
	char *diag = NULL;

	(void)state;
	/* .hidden.yaml (broken) and README.txt must not be read. */
	rs = load_paths(&path, 1, &diag, &err);
	if (!rs)
		fail_msg("%s", diag);
	assert_string_equal(diag, "");
	free(diag);
	assert_int_equal(te_ruleset_count(rs), 2);
	/* b.yml after a.yaml: b's definition wins, in a's place. */
	r = te_ruleset_rule(rs, 0);
	assert_string_equal(r->id, "DIR-1");
	assert_string_equal(r->output, "from b");
	assert_int_equal(r->severity, TE_SEV_MEDIUM);
	assert_string_equal(r->source_file, data_path("dir/b.yml"));
	assert_int_equal(r->source_line, 2);
	/* ... using a macro only c.yaml defines. */
	assert_true(r->events[TE_EV_PTRACE]);
	assert_false(r->events[TE_EV_OPENAT]);
	/* c.yaml disables DIR-2 by id. */
	r = te_ruleset_rule(rs, 1);
	assert_string_equal(r->id, "DIR-2");
	assert_false(r->enabled);
	assert_string_equal(r->source_file, data_path("dir/c.yaml"));
	assert_int_equal(te_ruleset_enabled_count(rs), 1);
	te_ruleset_free(rs);
}

/* Paths are taken in the order given: a file, then a directory that
 * overrides it. */
static void test_paths_order(void **state)
{
	const char *paths[2] = { data_path("good.yaml"), data_path("dir") };
	struct te_rl_error err;
	struct te_ruleset *rs;
	char *diag = NULL;

	(void)state;
	rs = load_paths(paths, 2, &diag, &err);
	if (!rs)
		fail_msg("%s", diag);
	free(diag);
	assert_int_equal(te_ruleset_count(rs), 5);
	assert_string_equal(te_ruleset_rule(rs, 0)->id, "TRC-102");
	assert_string_equal(te_ruleset_rule(rs, 3)->id, "DIR-1");
	te_ruleset_free(rs);
}

/* ---- overrides and exceptions ------------------------------------------ */

static void test_overrides(void **state)
{
	struct te_ruleset *rs = load_ok("overrides.yaml");
	struct te_rule *r;

	(void)state;
	assert_int_equal(te_ruleset_count(rs), 5);

	/* Condition appended verbatim, then output/severity replaced and
	 * tags appended. */
	r = te_ruleset_rule(rs, 0);
	assert_string_equal(r->id, "OVR-1");
	assert_string_equal(r->name, "Base");
	assert_string_equal(r->condition, "evt.name = ptrace and proc.name = evil");
	assert_string_equal(r->output, "changed %proc.name");
	assert_int_equal(r->severity, TE_SEV_HIGH);
	assert_int_equal(r->ntags, 2);
	assert_string_equal(r->tags[0], "a");
	assert_string_equal(r->tags[1], "b");
	assert_int_equal(r->source_line, 23); /* the last override */

	/* Replaced entirely: no tags, no mitre left over. */
	r = te_ruleset_rule(rs, 1);
	assert_string_equal(r->id, "OVR-2");
	assert_string_equal(r->condition, "evt.name = openat");
	assert_string_equal(r->output, "two");
	assert_int_equal(r->severity, TE_SEV_MEDIUM);
	assert_int_equal(r->ntags, 0);
	assert_null(r->mitre_technique);
	assert_true(r->events[TE_EV_OPENAT]);
	assert_false(r->events[TE_EV_PTRACE]);

	/* Disabled by an enabled-only item; the rest kept. */
	r = te_ruleset_rule(rs, 2);
	assert_string_equal(r->id, "OVR-3");
	assert_false(r->enabled);
	assert_string_equal(r->output, "three");
	/* m_ptrace was appended to: "evt.name = ptrace or evt.name = openat". */
	assert_true(r->events[TE_EV_PTRACE]);
	assert_true(r->events[TE_EV_OPENAT]);

	/* Exceptions (one appended) become "and not (...)". */
	r = te_ruleset_rule(rs, 3);
	assert_string_equal(r->id, "OVR-4");
	assert_string_equal(r->condition,
			    "(evt.name = openat or evt.name = ptrace)"
			    " and not ((proc.name = \"trusted\" and proc.exe = \"/usr/bin/trusted\")"
			    " or (proc.name in (gdb, strace) and proc.exe = \"it's\"))"
			    " and not ((proc.name in (shells)))");

	/* Single-field form: "in" by default. */
	r = te_ruleset_rule(rs, 4);
	assert_string_equal(r->condition,
			    "(evt.name = openat) and not (proc.name in (\"a b\", c, \"q\\\"\\\\x\"))");
	te_ruleset_free(rs);
}

static void test_exceptions_suppress(void **state)
{
	struct te_ruleset *rs = load_ok("overrides.yaml");
	struct matches m;
	struct fake f;

	(void)state;
	/* OVR-4: openat, excepted for (trusted, /usr/bin/trusted), for
	 * gdb/strace with exe "it's", and for the shells list (bash, zsh). */
#define OVR4(comm, exe) \
	(match(rs, event(&f, TE_EV_OPENAT, comm, exe), &m), \
	 m.n > 1 && !strcmp(m.ids[1], "OVR-4"))
	assert_true(OVR4("evil", "/tmp/evil"));
	assert_false(OVR4("trusted", "/usr/bin/trusted"));
	assert_true(OVR4("trusted", "/tmp/trusted"));        /* both fields must match */
	assert_false(OVR4("strace", "it's"));
	assert_true(OVR4("strace", "/usr/bin/strace"));
	assert_false(OVR4("bash", ""));
	assert_false(OVR4("zsh", ""));                        /* appended to the list */
#undef OVR4
	/* OVR-5: single-field exception. */
	match(rs, event(&f, TE_EV_OPENAT, "a b", ""), &m);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.ids[1], "OVR-4");
	match(rs, event(&f, TE_EV_OPENAT, "c", ""), &m);
	assert_int_equal(m.n, 2);
	match(rs, event(&f, TE_EV_OPENAT, "q\"\\x", ""), &m);  /* quote and backslash escaped */
	assert_int_equal(m.n, 2);
	match(rs, event(&f, TE_EV_OPENAT, "d", ""), &m);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.ids[2], "OVR-5");
	te_ruleset_free(rs);
}

/* ---- errors ------------------------------------------------------------ */

static void test_err_duplicate_id(void **state)
{
	char *diag = load_bad("bad_dup_id.yaml", 1);
	char rest[PATH_MAX + 200];

	(void)state;
	snprintf(rest, sizeof(rest),
		 "8:7: duplicate id 'DUP-1': rule 'Second' here and rule 'First' at %s:1:3",
		 data_path("bad_dup_id.yaml"));
	assert_diag(diag, "bad_dup_id.yaml", rest);
	free(diag);
}

static void test_err_unknown_key(void **state)
{
	char *diag = load_bad("bad_unknown_key.yaml", 1);

	(void)state;
	assert_diag(diag, "bad_unknown_key.yaml", "3:3: unknown key 'condtion' in rule 'Typo'");
	free(diag);
}

static void test_err_missing_condition(void **state)
{
	char *diag = load_bad("bad_missing_condition.yaml", 1);

	(void)state;
	assert_diag(diag, "bad_missing_condition.yaml",
		    "1:3: rule 'No condition' has no 'condition'");
	free(diag);
}

static void test_err_severity(void **state)
{
	char *diag = load_bad("bad_severity.yaml", 1);

	(void)state;
	assert_diag(diag, "bad_severity.yaml",
		    "5:13: unknown severity 'severe' (expected info, low, medium, high or critical)");
	free(diag);
}

static void test_err_yaml(void **state)
{
	char *diag = load_bad("bad_yaml.yaml", 1);

	(void)state;
	/* libyaml's own words, where it noticed: the ":" of "output:", which
	 * cannot be inside the unclosed [ of line 3. */
	assert_diag(diag, "bad_yaml.yaml",
		    "4:9: YAML: did not find expected ',' or ']' while parsing a flow sequence");
	free(diag);
}

static void test_err_append_missing(void **state)
{
	char *diag = load_bad("bad_append_missing.yaml", 3);

	(void)state;
	/* Lists are defined first, then macros, then rules. */
	assert_diag_line_prefix(diag, 0, "bad_append_missing.yaml", "10:3: ");
	assert_diag(diag, "bad_append_missing.yaml",
		    "10:3: cannot append to list 'late': no such list is defined before");
	assert_diag(diag, "bad_append_missing.yaml",
		    "1:3: cannot append to macro 'nowhere': no such macro is defined before");
	assert_diag(diag, "bad_append_missing.yaml",
		    "5:3: cannot append to rule 'Nobody': no such rule is defined before");
	free(diag);
}

static void test_err_engine_version(void **state)
{
	char *diag = load_bad("bad_engine.yaml", 1);

	(void)state;
	assert_diag(diag, "bad_engine.yaml", "1:28: rules need engine version 2, this is version 1");
	free(diag);
}

static void test_err_types(void **state)
{
	char *diag = load_bad("bad_types.yaml", 4);

	(void)state;
	assert_diag(diag, "bad_types.yaml", "1:9: rule must be a string, found a sequence");
	assert_diag(diag, "bad_types.yaml", "4:10: items must be a sequence, found a string");
	assert_diag(diag, "bad_types.yaml", "10:9: tags must be a sequence, found a mapping");
	assert_diag(diag, "bad_types.yaml",
		    "11:3: each item must be a mapping (rule, macro, list or "
		    "required_engine_version), found a string");
	free(diag);
}

/* A macro doubling itself 40 times is refused by the expansion bound, with
 * a message that says so, instead of exhausting memory. */
static void test_err_expansion(void **state)
{
	char *diag = load_bad("bad_expansion.yaml", 1);

	(void)state;
	assert_diag(diag, "bad_expansion.yaml",
		    "8:17: condition too large: it expands to more than 200000 nodes and list "
		    "items (a macro used many times inside macros used many times?) (in macro "
		    "'m2')");
	free(diag);
}

static void test_err_missing_path(void **state)
{
	const char *paths[2] = { "/nonexistent/traceed/rules.yaml", data_path("good.yaml") };
	struct te_rl_error err;
	char *diag = NULL;

	(void)state;
	assert_null(load_paths(paths, 2, &diag, &err));
	assert_string_equal(diag, "/nonexistent/traceed/rules.yaml:0:0: cannot open: "
				  "No such file or directory\n");
	assert_string_equal(err.file, "/nonexistent/traceed/rules.yaml");
	assert_string_equal(err.msg, "cannot open: No such file or directory");
	free(diag);
}

/*
 * Condition errors come from the rule language; what is checked here is
 * that each lands on the right file:line:col: the plain scalar's text, a
 * folded block's first line (later lines are approximate, see
 * rule_loader.c), an appended piece, a quoted scalar, the template, and a
 * generated exception.  All are reported, not only the first.
 */
static void test_err_condition_positions(void **state)
{
	const char *f = "bad_condition.yaml";
	char *diag = load_bad(f, 7);

	(void)state;
	assert_diag(diag, f, "39:11: exception 'wrong' has 1 values for 2 fields");
	assert_diag_line_prefix(diag, 0, f, "39:11: ");
	assert_diag_line_prefix(diag, 1, f, "3:36: ");   /* BAD-7 */
	assert_diag_line_prefix(diag, 2, f, "10:29: ");  /* BAD-8, folded */
	assert_diag_line_prefix(diag, 3, f, "21:18: ");  /* BAD-9, appended */
	assert_diag_line_prefix(diag, 4, f, "26:37: ");  /* BAD-10 condition */
	assert_diag_line_prefix(diag, 5, f, "27:");      /* BAD-10 template */
	assert_diag_line_prefix(diag, 6, f, "47:7: in exception 'pidx': ");
	free(diag);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_events_union),
		cmocka_unit_test(test_match_and_index),
		cmocka_unit_test(test_match_order),
		cmocka_unit_test(test_match_prefilter),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_paths_order),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_exceptions_suppress),
		cmocka_unit_test(test_err_duplicate_id),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_missing_condition),
		cmocka_unit_test(test_err_severity),
		cmocka_unit_test(test_err_yaml),
		cmocka_unit_test(test_err_append_missing),
		cmocka_unit_test(test_err_engine_version),
		cmocka_unit_test(test_err_types),
		cmocka_unit_test(test_events_failed),
		cmocka_unit_test(test_weak_exceptions),
		cmocka_unit_test(test_err_expansion),
		cmocka_unit_test(test_err_missing_path),
		cmocka_unit_test(test_err_condition_positions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
