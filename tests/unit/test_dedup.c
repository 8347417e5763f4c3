/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * De-duplication without decoys (daemon/engine/detection.h): a repeat is the
 * same rule, process and fingerprint within the window; a different target
 * is never folded into an earlier detection, and the repeats held back are
 * reported with the last one's fields when the window closes.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "event.h"
#include "rule_set.h"

#define MS 1000000ull
#define WINDOW (1000 * MS)

struct seen {
	unsigned n;
	char output[16][128];
	uint64_t suppressed[16];
	uint64_t time[16];
};

static void sink(void *ctx, const struct te_rule *rule, const struct te_rule_event *re,
		 uint64_t suppressed, const char *output, const char *event_json, size_t len)
{
	struct seen *s = ctx;

	(void)rule;
	(void)event_json;
	(void)len;
	assert_true(s->n < 16);
	snprintf(s->output[s->n], sizeof(s->output[0]), "%s", output);
	s->suppressed[s->n] = suppressed;
	s->time[s->n] = re->time_ns;
	s->n++;
}

struct fake {
	struct te_rule_event ev;
};

/* An openat of @path by pid @pid at @t_ms. */
static const struct te_rule_event *open_event(struct fake *f, uint32_t pid, const char *path,
					      uint64_t t_ms)
{
	const struct te_event_desc *d = te_event_by_id(TE_EV_OPENAT);

	memset(f, 0, sizeof(*f));
	assert_non_null(d);
	f->ev.desc = d;
	f->ev.time_ns = 1000000000000ull + t_ms * MS;
	f->ev.pid = f->ev.tid = pid;
	f->ev.comm = "cat";
	f->ev.exe = "/usr/bin/cat";
	f->ev.cmdline = "cat";
	f->ev.container_id = "";
	f->ev.hostname = "host";
	for (unsigned i = 0; i < d->nargs; i++)
		if (!strcmp(d->args[i].name, "pathname")) {
			f->ev.args[i].type = TE_RV_STR;
			f->ev.args[i].str = path;
			f->ev.args[i].len = strlen(path);
		}
	return &f->ev;
}

static struct te_ruleset *load(void)
{
	const char *dir = getenv("TEST_DATA_DIR");
	char path[PATH_MAX];
	const char *p = path;
	struct te_rl_error err;
	struct te_ruleset *rs;

	snprintf(path, sizeof(path), "%s/rules/dedup.yaml", dir ? dir : "tests/unit/data");
	rs = te_ruleset_load(&p, 1, stderr, &err);
	assert_non_null(rs);
	return rs;
}

static struct te_engine *engine(struct te_ruleset *rs, struct seen *s)
{
	struct te_engine_opts o = { .dedup_window_ns = WINDOW, .sink = sink, .sink_ctx = s };
	struct te_engine *e = te_engine_new(rs, &o);

	assert_non_null(e);
	return e;
}

/* The decoy: pam.d first, shadow 0.3 s later by the same process. */
static void test_decoy_does_not_hide(void **state)
{
	struct te_ruleset *rs = load();
	struct seen s = { 0 };
	struct te_engine *e = engine(rs, &s);
	struct fake f;

	(void)state;
	te_engine_process(e, open_event(&f, 42, "/etc/pam.d/other", 0), NULL, NULL);
	te_engine_process(e, open_event(&f, 42, "/etc/shadow", 300), NULL, NULL);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.output[0], "cat read /etc/pam.d/other");
	assert_string_equal(s.output[1], "cat read /etc/shadow");
	te_engine_free(e);
	te_ruleset_free(rs);
}

/* Repeats are held and the last one is reported, with the count, when the
 * window closes: by a flush, or before the next detection of that key. */
static void test_repeats_reported_at_close(void **state)
{
	struct te_ruleset *rs = load();
	struct seen s = { 0 };
	struct te_engine *e = engine(rs, &s);
	struct fake f;

	(void)state;
	for (unsigned i = 0; i < 5; i++)
		te_engine_process(e, open_event(&f, 42, "/etc/shadow", 100 * i), NULL, NULL);
	assert_int_equal(s.n, 1);              /* the first; four held */
	assert_int_equal(te_engine_suppressed(e), 4);
	te_engine_flush(e, open_event(&f, 42, "/etc/shadow", 900)->time_ns, false);
	assert_int_equal(s.n, 1);              /* window still open */
	te_engine_flush(e, open_event(&f, 42, "/etc/shadow", 1000)->time_ns, false);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.suppressed[1], 3);  /* three folded into the last */
	assert_int_equal(s.time[1], open_event(&f, 42, "/etc/shadow", 400)->time_ns);
	assert_string_equal(s.output[1], "cat read /etc/shadow");

	/* a repeat, then a match after the window without a flush in between:
	 * the held one comes out first, in order */
	te_engine_process(e, open_event(&f, 42, "/etc/shadow", 2000), NULL, NULL);
	te_engine_process(e, open_event(&f, 42, "/etc/shadow", 2500), NULL, NULL);
	te_engine_process(e, open_event(&f, 42, "/etc/shadow", 3100), NULL, NULL);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.time[3], open_event(&f, 42, "/etc/shadow", 2500)->time_ns);
	assert_int_equal(s.suppressed[3], 0);
	assert_int_equal(s.time[4], open_event(&f, 42, "/etc/shadow", 3100)->time_ns);

	/* what is still held is reported when the engine goes */
	te_engine_process(e, open_event(&f, 42, "/etc/shadow", 3200), NULL, NULL);
	assert_int_equal(s.n, 5);
	te_engine_free(e);
	assert_int_equal(s.n, 6);
	assert_int_equal(s.time[5], open_event(&f, 42, "/etc/shadow", 3200)->time_ns);
	te_ruleset_free(rs);
}

/* Another process is another key. */
static void test_other_process(void **state)
{
	struct te_ruleset *rs = load();
	struct seen s = { 0 };
	struct te_engine *e = engine(rs, &s);
	struct fake f;

	(void)state;
	te_engine_process(e, open_event(&f, 42, "/etc/shadow", 0), NULL, NULL);
	te_engine_process(e, open_event(&f, 43, "/etc/shadow", 10), NULL, NULL);
	assert_int_equal(s.n, 2);
	te_engine_free(e);
	te_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoy_does_not_hide),
		cmocka_unit_test(test_repeats_reported_at_close),
		cmocka_unit_test(test_other_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
