/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The detection history behind ListDetections: the bound, eviction by
 * severity (a flood of low detections must not push a high one out),
 * filters, "the most recent N", resizing, and UTF-8 cleaning of kernel
 * strings. */
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

#define COLLECT_MAX 2048

struct collected {
	uint64_t ids[COLLECT_MAX];
	size_t n;
};

static void collect(void *ctx, const struct te_history_entry *e)
{
	struct collected *c = ctx;

	assert_true(c->n < COLLECT_MAX);
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

/* ---- eviction by severity ------------------------------------------------ */

static void expect_ids(const struct collected *c, const uint64_t *want, size_t n)
{
	assert_int_equal(c->n, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(c->ids[i], want[i]);
}

/* The attack: one high detection, then a flood of cheap low ones. */
static void test_low_flood_keeps_high(void **state)
{
	struct te_history *h = te_history_new(100);
	struct te_history_filter f;
	struct collected c;
	uint64_t want[100];

	(void)state;
	push(h, 1, "TRC-HIGH", TE_SEV_HIGH);
	for (uint64_t id = 2; id <= 1001; id++)
		push(h, id, "TRC-LOW", TE_SEV_LOW);
	assert_int_equal(te_history_size(h), 100);
	/* 1001 pushed, 100 kept: 901 evicted, all of them low */
	assert_int_equal(te_history_evicted(h), 901);

	/* the high one first (oldest id), then the 99 newest low ones */
	want[0] = 1;
	for (uint64_t i = 1; i < 100; i++)
		want[i] = 902 + i;
	c = query(h, ANY);
	expect_ids(&c, want, 100);

	f = ANY;
	f.min_severity = TE_SEV_MEDIUM;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 1 }, 1);
	f = ANY;
	f.rule_id = "TRC-HIGH";
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 1 }, 1);
	/* the most recent N, whatever their severity, oldest first */
	f = ANY;
	f.limit = 3;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 999, 1000, 1001 }, 3);
	f.limit = 100;
	c = query(h, f);
	expect_ids(&c, want, 100);
	f.limit = 1000;
	c = query(h, f);
	expect_ids(&c, want, 100);
	/* the id window spans both severities */
	f = ANY;
	f.before_id = 906;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 1, 903, 904, 905 }, 4);
	f.limit = 2;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 904, 905 }, 2);
	f = ANY;
	f.after_id = 1;
	c = query(h, f);
	expect_ids(&c, want + 1, 99);
	f.after_id = 1000;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 1001 }, 1);
	f.after_id = 1001;
	assert_int_equal(query(h, f).n, 0);
	f = ANY;
	f.since_usec = 1000 * 1000; /* push(): time = id ms */
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 1000, 1001 }, 2);
	f = ANY;
	f.rule_id = "TRC-LOW";
	f.limit = 2;
	f.before_id = 1001;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 999, 1000 }, 2);

	/* another high one still evicts low ones, not the first high */
	push(h, 1002, "TRC-HIGH", TE_SEV_HIGH);
	assert_int_equal(te_history_evicted(h), 902);
	f = ANY;
	f.min_severity = TE_SEV_HIGH;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 1, 1002 }, 2);
	c = query(h, ANY);
	assert_int_equal(c.n, 100);
	assert_int_equal(c.ids[0], 1);
	assert_int_equal(c.ids[1], 904);
	assert_int_equal(c.ids[99], 1002);
	te_history_free(h);
}

/* Full of higher entries: the new low one is the one not kept. */
static void test_new_lowest_not_kept(void **state)
{
	struct te_history *h = te_history_new(3);
	struct collected c;

	(void)state;
	push(h, 1, "TRC-1", TE_SEV_HIGH);
	push(h, 2, "TRC-1", TE_SEV_MEDIUM);
	push(h, 3, "TRC-1", TE_SEV_HIGH);
	assert_int_equal(te_history_evicted(h), 0);
	push(h, 4, "TRC-1", TE_SEV_LOW);   /* below all: not kept */
	push(h, 5, "TRC-1", TE_SEV_INFO);  /* the same */
	assert_int_equal(te_history_evicted(h), 2);
	c = query(h, ANY);
	expect_ids(&c, (uint64_t[]){ 1, 2, 3 }, 3);
	push(h, 6, "TRC-1", TE_SEV_MEDIUM); /* equal to the lowest: the oldest of it goes */
	c = query(h, ANY);
	expect_ids(&c, (uint64_t[]){ 1, 3, 6 }, 3);
	push(h, 7, "TRC-1", TE_SEV_CRITICAL); /* the medium one goes, not a high one */
	c = query(h, ANY);
	expect_ids(&c, (uint64_t[]){ 1, 3, 7 }, 3);
	push(h, 8, "TRC-1", TE_SEV_CRITICAL); /* now the oldest high */
	c = query(h, ANY);
	expect_ids(&c, (uint64_t[]){ 3, 7, 8 }, 3);
	assert_int_equal(te_history_evicted(h), 5);
	/* out-of-range severities are clamped, not a crash */
	push(h, 9, "TRC-1", (enum te_severity)42);
	c = query(h, ANY);
	expect_ids(&c, (uint64_t[]){ 7, 8, 9 }, 3);
	te_history_free(h);
}

static void test_resize_keeps_high(void **state)
{
	struct te_history *h = te_history_new(10);
	struct te_history_filter f = ANY;
	struct collected c;

	(void)state;
	push(h, 1, "TRC-1", TE_SEV_CRITICAL);
	for (uint64_t id = 2; id <= 9; id++)
		push(h, id, "TRC-1", TE_SEV_LOW);
	push(h, 10, "TRC-1", TE_SEV_HIGH);
	/* 10 -> 3: the low ones go, oldest first */
	assert_int_equal(te_history_resize(h, 3), 0);
	assert_int_equal(te_history_evicted(h), 7);
	c = query(h, ANY);
	expect_ids(&c, (uint64_t[]){ 1, 9, 10 }, 3);
	push(h, 11, "TRC-1", TE_SEV_LOW);
	c = query(h, ANY);
	expect_ids(&c, (uint64_t[]){ 1, 10, 11 }, 3);
	/* 3 -> 2: the last low one, then nothing else */
	assert_int_equal(te_history_resize(h, 2), 0);
	c = query(h, ANY);
	expect_ids(&c, (uint64_t[]){ 1, 10 }, 2);
	/* growing keeps everything, and pushes fill the new room */
	assert_int_equal(te_history_resize(h, 5), 0);
	push(h, 12, "TRC-1", TE_SEV_INFO);
	push(h, 13, "TRC-1", TE_SEV_MEDIUM);
	push(h, 14, "TRC-1", TE_SEV_INFO);
	push(h, 15, "TRC-1", TE_SEV_INFO); /* full: the oldest info goes */
	c = query(h, ANY);
	expect_ids(&c, (uint64_t[]){ 1, 10, 13, 14, 15 }, 5);
	f.min_severity = TE_SEV_HIGH;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 1, 10 }, 2);
	/* 7 + 1 (push of 11) + 1 (to 2) + 1 (push of 15) */
	assert_int_equal(te_history_evicted(h), 10);
	te_history_free(h);
}

/* ---- against a model ------------------------------------------------------ */

/* The obvious O(n) history the real one must agree with. */
struct model_ent {
	uint64_t id, time;
	int sev;
	int rule;
};

struct model {
	struct model_ent e[64];
	size_t n, max;
	uint64_t evicted;
};

static void model_drop_one(struct model *m)
{
	size_t victim = SIZE_MAX;

	for (size_t i = 0; i < m->n; i++)
		if (victim == SIZE_MAX || m->e[i].sev < m->e[victim].sev)
			victim = i; /* the first of the lowest: the oldest */
	memmove(&m->e[victim], &m->e[victim + 1], (m->n - victim - 1) * sizeof(m->e[0]));
	m->n--;
	m->evicted++;
}

static void model_push(struct model *m, struct model_ent e)
{
	if (!m->max)
		return;
	if (m->n == m->max) {
		int low = 99;

		for (size_t i = 0; i < m->n; i++)
			low = m->e[i].sev < low ? m->e[i].sev : low;
		if (e.sev < low) {
			m->evicted++;
			return;
		}
		model_drop_one(m);
	}
	m->e[m->n++] = e;
}

static struct collected model_query(const struct model *m, const struct te_history_filter *f)
{
	struct collected all = { 0 }, c = { 0 };
	char rule[16];

	for (size_t i = 0; i < m->n; i++) {
		const struct model_ent *e = &m->e[i];

		snprintf(rule, sizeof(rule), "TRC-%d", e->rule);
		if (e->time < f->since_usec || e->id <= f->after_id ||
		    (f->before_id && e->id >= f->before_id) ||
		    (f->rule_id && strcmp(rule, f->rule_id)) ||
		    (f->min_severity >= 0 && e->sev < f->min_severity))
			continue;
		all.ids[all.n++] = e->id;
	}
	for (size_t i = f->limit && all.n > f->limit ? all.n - f->limit : 0; i < all.n; i++)
		c.ids[c.n++] = all.ids[i];
	return c;
}

static void test_against_model(void **state)
{
	static const char *const rules[] = { "TRC-0", "TRC-1", "TRC-2" };
	struct model m = { .max = 20 };
	struct te_history *h = te_history_new(20);
	unsigned seed = 12345;
	uint64_t id = 0;

	(void)state;
	for (int step = 0; step < 20000; step++) {
		unsigned r = (unsigned)rand_r(&seed);

		if (r % 500 == 0) {
			uint32_t max = (uint32_t)(rand_r(&seed) % 40);

			/* resize: drop like pushes would (low, then old) */
			assert_int_equal(te_history_resize(h, max), 0);
			while (m.n > max)
				model_drop_one(&m);
			m.max = max;
		} else if (r % 3 == 0) {
			struct te_history_filter f = ANY;
			struct collected want, got;

			if (rand_r(&seed) % 2)
				f.after_id = id > 10 ? id - (uint64_t)(rand_r(&seed) % 30) : 0;
			if (rand_r(&seed) % 3 == 0)
				f.before_id = id > 5 ? id - (uint64_t)(rand_r(&seed) % 10) : 0;
			if (rand_r(&seed) % 3 == 0)
				f.since_usec = id > 10 ? (id - (uint64_t)(rand_r(&seed) % 30)) * 7 : 0;
			if (rand_r(&seed) % 3 == 0)
				f.rule_id = rules[rand_r(&seed) % 3];
			if (rand_r(&seed) % 2)
				f.min_severity = rand_r(&seed) % 5;
			if (rand_r(&seed) % 2)
				f.limit = (uint32_t)(rand_r(&seed) % 8);
			want = model_query(&m, &f);
			got = query(h, f);
			expect_ids(&got, want.ids, want.n);
			assert_int_equal(te_history_evicted(h), m.evicted);
			assert_int_equal(te_history_size(h), m.n);
		} else {
			/* mostly low, sometimes high, like a flood */
			int sev = r % 7 < 4 ? TE_SEV_LOW : (int)(rand_r(&seed) % 5);
			int rule = rand_r(&seed) % 3;
			struct te_history_entry e = {
				.id = ++id, .time_usec = id * 7, .severity = (enum te_severity)sev,
				.rule_id = rules[rule], .rule_name = "n",
			};

			assert_int_equal(te_history_push(h, &e), 0);
			model_push(&m, (struct model_ent){ .id = id, .time = id * 7, .sev = sev,
							  .rule = rule });
		}
	}
	te_history_free(h);
}

/* A large history at saturation: pushes must not scan (an O(n) push
 * would not finish in the test's time). */
static void test_large(void **state)
{
	const uint32_t max = 200000;
	struct te_history *h = te_history_new(max);
	struct te_history_filter f = ANY;
	struct collected c;

	(void)state;
	assert_non_null(h);
	push(h, 1, "TRC-1", TE_SEV_CRITICAL);
	for (uint64_t id = 2; id <= 3 * max; id++)
		push(h, id, "TRC-2", id % 1000 == 0 ? TE_SEV_MEDIUM : TE_SEV_INFO);
	assert_int_equal(te_history_size(h), max);
	assert_int_equal(te_history_evicted(h), 3 * max - max);
	f.min_severity = TE_SEV_MEDIUM;
	f.limit = 3;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 598000, 599000, 600000 }, 3);
	f.limit = 0;
	f.after_id = 598500;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 599000, 600000 }, 2);
	f = ANY;
	f.limit = 2;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 599999, 600000 }, 2);
	f.limit = 0;
	f.before_id = 3;
	c = query(h, f);
	expect_ids(&c, (uint64_t[]){ 1 }, 1);
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
		cmocka_unit_test(test_low_flood_keeps_high),
		cmocka_unit_test(test_new_lowest_not_kept),
		cmocka_unit_test(test_resize_keeps_high),
		cmocka_unit_test(test_against_model),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_copy_cleans_utf8),
		cmocka_unit_test(test_fitting_limit),
		cmocka_unit_test(test_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
