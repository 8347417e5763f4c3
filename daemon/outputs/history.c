/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

struct te_history {
	struct te_history_entry *ring;
	uint32_t max;    /* capacity of ring */
	uint32_t head;   /* index of the oldest entry */
	uint32_t size;
};

void te_history_entry_clear(struct te_history_entry *e)
{
	free((char *)e->rule_id);
	free((char *)e->rule_name);
	free((char *)e->mitre_technique);
	free((char *)e->mitre_tactic);
	free((char *)e->output);
	free((char *)e->comm);
	free((char *)e->exe);
	free((char *)e->cmdline);
	free((char *)e->container_id);
	free((char *)e->event);
	memset(e, 0, sizeof(*e));
}

int te_history_entry_copy(struct te_history_entry *dst, const struct te_history_entry *src)
{
	*dst = *src;
	/* valid UTF-8 whatever the kernel gave (D-Bus refuses anything else);
	 * all or nothing: a half-copied entry is freed below */
	dst->rule_id = te_utf8_dup_escaped(src->rule_id);
	dst->rule_name = te_utf8_dup_escaped(src->rule_name);
	dst->mitre_technique = te_utf8_dup_escaped(src->mitre_technique);
	dst->mitre_tactic = te_utf8_dup_escaped(src->mitre_tactic);
	dst->output = te_utf8_dup_escaped(src->output);
	dst->comm = te_utf8_dup_escaped(src->comm);
	dst->exe = te_utf8_dup_escaped(src->exe);
	dst->cmdline = te_utf8_dup_escaped(src->cmdline);
	dst->container_id = te_utf8_dup_escaped(src->container_id);
	dst->event = te_utf8_dup_escaped(src->event);
	if (!dst->rule_id || !dst->rule_name || !dst->mitre_technique || !dst->mitre_tactic ||
	    !dst->output || !dst->comm || !dst->exe || !dst->cmdline || !dst->container_id ||
	    !dst->event) {
		te_history_entry_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

struct te_history *te_history_new(uint32_t max)
{
	struct te_history *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	if (max && !(h->ring = calloc(max, sizeof(*h->ring)))) {
		free(h);
		return NULL;
	}
	h->max = max;
	return h;
}

void te_history_free(struct te_history *h)
{
	if (!h)
		return;
	for (uint32_t i = 0; i < h->size; i++)
		te_history_entry_clear(&h->ring[(h->head + i) % h->max]);
	free(h->ring);
	free(h);
}

int te_history_resize(struct te_history *h, uint32_t max)
{
	struct te_history_entry *ring = NULL;
	uint32_t keep = h->size < max ? h->size : max;
	uint32_t drop = h->size - keep;

	if (max == h->max)
		return 0;
	if (max && !(ring = calloc(max, sizeof(*ring))))
		return -ENOMEM;
	for (uint32_t i = 0; i < h->size; i++) {
		struct te_history_entry *e = &h->ring[(h->head + i) % h->max];

		if (i < drop)
			te_history_entry_clear(e);
		else
			ring[i - drop] = *e; /* moved, strings and all */
	}
	free(h->ring);
	h->ring = ring;
	h->max = max;
	h->head = 0;
	h->size = keep;
	return 0;
}

int te_history_push(struct te_history *h, const struct te_history_entry *e)
{
	struct te_history_entry copy;

	if (h->max == 0)
		return 0;
	if (te_history_entry_copy(&copy, e) < 0)
		return -ENOMEM;
	te_history_push_owned(h, &copy);
	return 0;
}

void te_history_push_owned(struct te_history *h, struct te_history_entry *e)
{
	uint32_t slot;

	if (h->max == 0) {
		te_history_entry_clear(e);
		return;
	}
	if (h->size == h->max) {
		slot = h->head;
		te_history_entry_clear(&h->ring[slot]);
		h->head = (h->head + 1) % h->max;
	} else {
		slot = (h->head + h->size) % h->max;
		h->size++;
	}
	h->ring[slot] = *e;
	memset(e, 0, sizeof(*e));
}

uint32_t te_history_size(const struct te_history *h)
{
	return h->size;
}

uint32_t te_history_max(const struct te_history *h)
{
	return h->max;
}

static bool matches(const struct te_history_entry *e, const struct te_history_filter *f)
{
	if (e->time_usec < f->since_usec || e->id <= f->after_id ||
	    (f->before_id && e->id >= f->before_id))
		return false;
	if (f->rule_id && strcmp(e->rule_id, f->rule_id) != 0)
		return false;
	return f->min_severity < 0 || (int)e->severity >= f->min_severity;
}

size_t te_history_query(const struct te_history *h, const struct te_history_filter *f,
			te_history_fn fn, void *ctx)
{
	size_t nmatch = 0, skip, n = 0;

	/* With a limit, the most recent ones: count first, then skip the rest. */
	for (uint32_t i = 0; i < h->size; i++)
		nmatch += matches(&h->ring[(h->head + i) % h->max], f);
	skip = f->limit && nmatch > f->limit ? nmatch - f->limit : 0;
	for (uint32_t i = 0; i < h->size; i++) {
		const struct te_history_entry *e = &h->ring[(h->head + i) % h->max];

		if (!matches(e, f))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		fn(ctx, e);
		n++;
	}
	return n;
}

size_t te_history_entry_wire_size(const struct te_history_entry *e)
{
	/* 11 strings, each a 4-byte length, its bytes and a NUL, padded to 8;
	 * 5 numbers of 8 bytes and 3 of 4; and the struct's own alignment */
	const char *strs[] = { e->rule_id, e->rule_name, "critical", e->mitre_technique,
			       e->mitre_tactic, e->output, e->comm, e->exe,
			       e->cmdline, e->container_id, e->event };
	size_t n = 8 + 5 * 8 + 3 * 4;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		n += 4 + strlen(strs[i] ? strs[i] : "") + 1 + 7;
	return n;
}

struct fit_ctx {
	size_t *sizes;
	size_t n, cap;
	bool oom;
};

static void fit_one(void *ctx, const struct te_history_entry *e)
{
	struct fit_ctx *fc = ctx;

	if (fc->oom)
		return;
	if (fc->n == fc->cap) {
		size_t cap = fc->cap ? fc->cap * 2 : 1024;
		size_t *p = reallocarray(fc->sizes, cap, sizeof(*p));

		if (!p) {
			fc->oom = true;
			return;
		}
		fc->sizes = p;
		fc->cap = cap;
	}
	fc->sizes[fc->n++] = te_history_entry_wire_size(e);
}

uint32_t te_history_fitting_limit(const struct te_history *h, const struct te_history_filter *f,
				  size_t max_bytes)
{
	struct fit_ctx fc = { 0 };
	size_t total = 0, keep = 0;

	te_history_query(h, f, fit_one, &fc);
	/* newest first, until the budget is spent */
	for (size_t i = fc.n; i > 0 && !fc.oom; i--) {
		if (total + fc.sizes[i - 1] > max_bytes)
			break;
		total += fc.sizes[i - 1];
		keep++;
	}
	free(fc.sizes);
	/* on ENOMEM the reply itself will fail with it */
	if (fc.oom || keep == fc.n)
		return 0;
	/* at least the newest: one entry is bounded by a record's size */
	return keep ? (uint32_t)keep : 1;
}
