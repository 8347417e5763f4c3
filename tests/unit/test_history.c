/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The detection history behind ListDetections: the ring bound, filters,
 * "the most recent N", resizing, and UTF-8 cleaning of kernel strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "history.h"
#include "utf8.h"

static void push(struct te_history *h, uint64_t id, const char *rule, enum te_severity sev)
{
	struct te_history_entry e = {
		.id = id,
		.time_usec = id * 1000,
		.severity = sev,
		.rule_id = rule,
		.rule_name = "name",
		.output = "out",
		.comm = "comm",
		.pid = (uint32_t)id,
	};

	assert_int_equal(te_history_push(h, &e), 0);
}

struct collected {
	uint64_t ids[64];
	size_t n;
};

static void collect(void *ctx, const struct te_history_entry *e)
{
	struct collected *c = ctx;

	assert_true(c->n < 64);
	c->ids[c->n++] = e->id;
}

static struct collected query(struct te_history *h, struct te_history_filter f)
{
	struct collected c = { 0 };
	size_t n = te_history_query(h, &f, collect, &c);

	assert_int_equal(n, c.n);
	return c;
}

#define ANY ((struct te_history_filter){ .min_severity = -1 })

static void test_ring_keeps_newest(void **state)
{
	struct te_history *h = te_history_new(3);
	struct collected c;

	(void)state;
	for (uint64_t id = 1; id <= 5; id++)
		push(h, id, "TRC-1", TE_SEV_LOW);
	assert_int_equal(te_history_size(h), 3);
	assert_int_equal(te_history_max(h), 3);
	c = query(h, ANY);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.ids[0], 3); /* oldest first */
	assert_int_equal(c.ids[2], 5);
	te_history_free(h);
}

static void test_filters(void **state)
{
	struct te_history *h = te_history_new(10);
	struct te_history_filter f;
	struct collected c;

	(void)state;
	push(h, 1, "TRC-1", TE_SEV_LOW);
	push(h, 2, "TRC-2", TE_SEV_HIGH);
	push(h, 3, "TRC-1", TE_SEV_CRITICAL);
	push(h, 4, "TRC-2", TE_SEV_MEDIUM);

	f = ANY;
	f.rule_id = "TRC-1";
	c = query(h, f);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[0], 1);
	assert_int_equal(c.ids[1], 3);

	f = ANY;
	f.min_severity = TE_SEV_HIGH;
	c = query(h, f);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[0], 2);
	assert_int_equal(c.ids[1], 3);

	f = ANY;
	f.since_usec = 3000;
	c = query(h, f);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[0], 3);

	f = ANY;
	f.after_id = 3;
	c = query(h, f);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], 4);

	f = ANY;
	f.before_id = 3;
	c = query(h, f);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[1], 2);

	/* the most recent N matches, still oldest first */
	f = ANY;
	f.limit = 2;
	c = query(h, f);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[0], 3);
	assert_int_equal(c.ids[1], 4);

	f = ANY;
	f.rule_id = "TRC-2";
	f.limit = 1;
	c = query(h, f);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ids[0], 4);

	f = ANY;
	f.rule_id = "TRC-9";
	assert_int_equal(query(h, f).n, 0);
	te_history_free(h);
}

static void test_resize(void **state)
{
	struct te_history *h = te_history_new(4);
	struct collected c;

	(void)state;
	for (uint64_t id = 1; id <= 6; id++) /* wraps: ring holds 3..6 */
		push(h, id, "TRC-1", TE_SEV_LOW);
	assert_int_equal(te_history_resize(h, 2), 0);
	c = query(h, ANY);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ids[0], 5);
	assert_int_equal(c.ids[1], 6);
	assert_int_equal(te_history_resize(h, 8), 0);
	push(h, 7, "TRC-1", TE_SEV_LOW);
	c = query(h, ANY);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.ids[2], 7);
	/* 0 keeps nothing, and pushing then is harmless */
	assert_int_equal(te_history_resize(h, 0), 0);
	push(h, 8, "TRC-1", TE_SEV_LOW);
	assert_int_equal(te_history_size(h), 0);
	te_history_free(h);
}

static void test_copy_cleans_utf8(void **state)
{
	struct te_history_entry e = { .id = 1, .comm = "ev\xffil", .cmdline = "caf\xc3\xa9" };
	struct te_history_entry c;

	(void)state;
	assert_int_equal(te_history_entry_copy(&c, &e), 0);
	assert_string_equal(c.comm, "ev\\xffil");
	assert_string_equal(c.cmdline, "caf\xc3\xa9"); /* valid: unchanged */
	assert_string_equal(c.rule_id, "");           /* NULL becomes "" */
	assert_string_equal(c.event, "");
	te_history_entry_clear(&c);
}

static void test_fitting_limit(void **state)
{
	struct te_history *h = te_history_new(10);
	struct te_history_entry e = { .rule_id = "TRC-1", .rule_name = "n", .comm = "c" };
	struct te_history_filter f = ANY;
	char big[1000];
	size_t one;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e.event = big;
	for (uint64_t id = 1; id <= 5; id++) {
		e.id = id;
		assert_int_equal(te_history_push(h, &e), 0);
	}
	one = te_history_entry_wire_size(&e);
	assert_true(one > sizeof(big)); /* the event alone is that big */
	/* everything fits: no limit needed */
	assert_int_equal(te_history_fitting_limit(h, &f, 5 * one), 0);
	/* room for two and a half: the two newest */
	assert_int_equal(te_history_fitting_limit(h, &f, 2 * one + one / 2), 2);
	/* a filter first, then the budget */
	f.after_id = 3;
	assert_int_equal(te_history_fitting_limit(h, &f, 2 * one), 0);
	assert_int_equal(te_history_fitting_limit(h, &f, one), 1);
	/* not even one fits: the newest alone, never "all" */
	assert_int_equal(te_history_fitting_limit(h, &f, 10), 1);
	te_history_free(h);
}

static void test_utf8(void **state)
{
	char *s;

	(void)state;
	assert_true(te_utf8_valid("plain", 5));
	assert_true(te_utf8_valid("\xe2\x82\xac \xf0\x9f\x98\x80", 8));
	assert_false(te_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	assert_false(te_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(te_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(te_utf8_valid("\xe2\x82", 2));         /* cut short */
	s = te_utf8_dup_escaped("a\xe2\x82z");
	assert_string_equal(s, "a\\xe2\\x82z");
	free(s);
	s = te_utf8_dup_escaped(NULL);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_keeps_newest),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_copy_cleans_utf8),
		cmocka_unit_test(test_fitting_limit),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
