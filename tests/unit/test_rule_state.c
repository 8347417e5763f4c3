/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The administrator's rule choices on disk: ids, round trip, atomic
 * replace (a crash's leftovers are ignored), malformed lines, apply. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "rule_set.h"
#include "rule_state.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_rule_state.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/rule-state", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
			if (unlink(p) < 0)
				rmdir(p);
		}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 4096);

	assert_non_null(f);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 4095, f) < 4095);
	fclose(f);
	return buf;
}

/* Load with the diagnostics captured in *diag (caller frees). */
static int load(struct te_rule_state *st, const char *dir, char **diag)
{
	size_t len;
	FILE *d = open_memstream(diag, &len);
	int r;

	assert_non_null(d);
	r = te_rule_state_load(st, dir, d);
	fclose(d);
	return r;
}

static unsigned count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_ids(void **state)
{
	char id[TE_RULE_ID_MAX + 2];
	struct te_rule_state st;

	(void)state;
	assert_true(te_rule_id_valid("TRC-102"));
	assert_true(te_rule_id_valid("x"));
	assert_false(te_rule_id_valid(""));
	assert_false(te_rule_id_valid("TRC 102"));
	assert_false(te_rule_id_valid("TRC\t102"));
	assert_false(te_rule_id_valid("TRC-102\n"));
	assert_false(te_rule_id_valid("r\xc3\xa9gle"));
	assert_false(te_rule_id_valid("a\x7f"));
	memset(id, 'A', TE_RULE_ID_MAX);
	id[TE_RULE_ID_MAX] = '\0';
	assert_true(te_rule_id_valid(id));
	id[TE_RULE_ID_MAX] = 'A';
	id[TE_RULE_ID_MAX + 1] = '\0';
	assert_false(te_rule_id_valid(id));

	te_rule_state_init(&st);
	assert_int_equal(te_rule_state_set(&st, id, true), -EINVAL);
	assert_int_equal(te_rule_state_set(&st, "bad id", true), -EINVAL);
	assert_int_equal(te_rule_state_set(&st, NULL, true), -EINVAL);
	assert_int_equal(st.n, 0);
	te_rule_state_free(&st);
}

static void test_missing_file_is_empty(void **state)
{
	struct fixture *f = *state;
	struct te_rule_state st;
	char *diag;

	te_rule_state_init(&st);
	assert_int_equal(load(&st, f->dir, &diag), 0);
	assert_int_equal(st.n, 0);
	assert_string_equal(diag, "");
	free(diag);
	te_rule_state_free(&st);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct te_rule_state st, back;
	bool on;
	char *text, *diag;

	te_rule_state_init(&st);
	assert_int_equal(te_rule_state_set(&st, "TRC-102", false), 0);
	assert_int_equal(te_rule_state_set(&st, "TRC-103", true), 0);
	assert_int_equal(te_rule_state_set(&st, "GONE-1", false), 0);
	assert_int_equal(te_rule_state_set(&st, "TRC-102", true), 0); /* changes, no dup */
	assert_int_equal(st.n, 3);
	assert_int_equal(te_rule_state_save(&st, f->dir), 0);

	text = read_file(f->path);
	assert_non_null(strstr(text, "\nenabled TRC-102\nenabled TRC-103\ndisabled GONE-1\n"));
	free(text);
	/* only the state file: no temporary left behind */
	assert_int_equal(count_files(f->dir), 1);

	te_rule_state_init(&back);
	assert_int_equal(load(&back, f->dir, &diag), 0);
	assert_string_equal(diag, "");
	free(diag);
	assert_int_equal(back.n, 3);
	assert_int_equal(back.bad_lines, 0);
	for (size_t i = 0; i < st.n; i++) {
		assert_string_equal(back.v[i].id, st.v[i].id);
		assert_int_equal(back.v[i].enabled, st.v[i].enabled);
	}
	assert_int_equal(te_rule_state_get(&back, "GONE-1", &on), 0);
	assert_false(on);
	assert_int_equal(te_rule_state_get(&back, "TRC-999", &on), -ENOENT);

	/* a second save replaces the first */
	assert_int_equal(te_rule_state_set(&back, "TRC-103", false), 0);
	assert_int_equal(te_rule_state_save(&back, f->dir), 0);
	te_rule_state_free(&st);
	te_rule_state_init(&st);
	assert_int_equal(te_rule_state_load(&st, f->dir, NULL), 0);
	assert_int_equal(te_rule_state_get(&st, "TRC-103", &on), 0);
	assert_false(on);
	assert_int_equal(count_files(f->dir), 1);
	te_rule_state_free(&st);
	te_rule_state_free(&back);
}

/* A crash between writing the temporary file and the rename leaves the
 * temporary behind: load must read the last complete state, never it. */
static void test_crash_leftover_ignored(void **state)
{
	struct fixture *f = *state;
	struct te_rule_state st;
	char tmp[256];
	bool on;

	te_rule_state_init(&st);
	/* crash before the very first rename: only the temporary exists */
	snprintf(tmp, sizeof(tmp), "%s/.rule-state.Ab12Cd", f->dir);
	write_file(tmp, "disabled TRC-102\ndisa", 21);
	assert_int_equal(te_rule_state_load(&st, f->dir, NULL), 0);
	assert_int_equal(st.n, 0);

	/* a complete state, then a crash during the next save */
	assert_int_equal(te_rule_state_set(&st, "TRC-102", true), 0);
	assert_int_equal(te_rule_state_save(&st, f->dir), 0);
	write_file(tmp, "disabled TRC-102\n", 17);
	te_rule_state_free(&st);
	assert_int_equal(te_rule_state_load(&st, f->dir, NULL), 0);
	assert_int_equal(st.n, 1);
	assert_int_equal(te_rule_state_get(&st, "TRC-102", &on), 0);
	assert_true(on);
	/* and a save still works with the leftover present */
	assert_int_equal(te_rule_state_save(&st, f->dir), 0);
	te_rule_state_free(&st);
}

static void test_save_failure_keeps_old(void **state)
{
	struct fixture *f = *state;
	struct te_rule_state st;
	char missing[256];

	te_rule_state_init(&st);
	snprintf(missing, sizeof(missing), "%s/no-such-dir", f->dir);
	assert_int_equal(te_rule_state_set(&st, "TRC-102", false), 0);
	assert_int_equal(te_rule_state_save(&st, missing), -ENOENT);
	te_rule_state_free(&st);
}

static void test_malformed_lines(void **state)
{
	static const char text[] =
		"# comment\n"
		"\n"
		"enabled TRC-1\n"                    /* 3 ok */
		"disabled\n"                         /* 4 no id */
		"maybe TRC-2\n"                      /* 5 bad word */
		"disabled TRC-3 extra\n"             /* 6 trailing text */
		"  disabled\tTRC-4  \r\n"            /* 7 ok: blanks, CRLF */
		"enabled \x01\x02\n"                 /* 8 control bytes */
		"enabled TRC-\0x\n"                  /* 9 NUL */
		"ENABLED TRC-5\n"                    /* 10 case matters */
		"disabled TRC-1\n"                   /* 11 ok: later wins */
		"enabled TRC-6";                     /* 12 ok: no final newline */
	struct fixture *f = *state;
	struct te_rule_state st;
	char *diag, want[2048];
	bool on;

	write_file(f->path, text, sizeof(text) - 1);
	te_rule_state_init(&st);
	assert_int_equal(load(&st, f->dir, &diag), 0);
	snprintf(want, sizeof(want),
		 "%1$s:4: no rule id after: 'disabled' (line skipped)\n"
		 "%1$s:5: expected 'enabled ID' or 'disabled ID': 'maybe' (line skipped)\n"
		 "%1$s:6: unexpected text after the rule id: 'extra' (line skipped)\n"
		 "%1$s:8: invalid rule id: '?" "?' (line skipped)\n"
		 "%1$s:9: NUL byte in line: 'enabled TRC-' (line skipped)\n"
		 "%1$s:10: expected 'enabled ID' or 'disabled ID': 'ENABLED' (line skipped)\n",
		 f->path);
	assert_string_equal(diag, want);
	free(diag);
	assert_int_equal(st.bad_lines, 6);
	assert_int_equal(st.n, 3);
	assert_int_equal(te_rule_state_get(&st, "TRC-1", &on), 0);
	assert_false(on);
	assert_int_equal(te_rule_state_get(&st, "TRC-4", &on), 0);
	assert_false(on);
	assert_int_equal(te_rule_state_get(&st, "TRC-6", &on), 0);
	assert_true(on);
	te_rule_state_free(&st);
}

/* An unreadable state (here: a directory in its place) is an error and
 * leaves what the caller held. */
static void test_load_error_keeps_state(void **state)
{
	struct fixture *f = *state;
	struct te_rule_state st;

	te_rule_state_init(&st);
	assert_int_equal(te_rule_state_set(&st, "TRC-7", false), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_true(te_rule_state_load(&st, f->dir, NULL) < 0);
	assert_int_equal(st.n, 1);
	assert_string_equal(st.v[0].id, "TRC-7");
	te_rule_state_free(&st);
}

static void test_apply(void **state)
{
	const char *dir = getenv("TEST_DATA_DIR");
	char path[PATH_MAX], *diag = NULL;
	const char *paths[1] = { path };
	struct te_rule_state st;
	struct te_rl_error err;
	struct te_ruleset *rs;
	size_t len;
	FILE *d;

	(void)state;
	snprintf(path, sizeof(path), "%s/config/rules.yaml", dir ? dir : "tests/unit/data");
	rs = te_ruleset_load(paths, 1, stderr, &err);
	assert_non_null(rs);
	assert_true(te_ruleset_find(rs, "TST-1")->enabled);
	assert_false(te_ruleset_find(rs, "TST-2")->enabled);

	te_rule_state_init(&st);
	assert_int_equal(te_rule_state_set(&st, "TST-1", false), 0);
	assert_int_equal(te_rule_state_set(&st, "GONE-9", true), 0);
	assert_int_equal(te_rule_state_set(&st, "TST-2", true), 0);
	d = open_memstream(&diag, &len);
	assert_int_equal(te_rule_state_apply(&st, rs, d), 1);
	fclose(d);
	assert_false(te_ruleset_find(rs, "TST-1")->enabled);
	assert_true(te_ruleset_find(rs, "TST-2")->enabled);
	assert_int_equal(te_ruleset_enabled_count(rs), 1);
	assert_string_equal(diag,
			    "rule-state: rule GONE-9 is not loaded; keeping it enabled for when it returns\n");
	/* the unknown id is kept for a later rule set */
	assert_int_equal(st.n, 3);
	free(diag);
	te_rule_state_free(&st);
	te_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test_setup_teardown(test_missing_file_is_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_leftover_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_failure_keeps_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_error_keeps_state, setup, teardown),
		cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
