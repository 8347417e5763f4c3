/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

/*
 * A repeat held back by de-duplication (detection.h): a copy of what its
 * outputs need — the event's fields and arguments, the rendered output and
 * the event JSON — so that it is reported with its own fields when its
 * window closes.  Ancestors are not kept (the process may be gone by
 * then); they are in the rendered output, taken at match time.
 */
struct held {
	const struct te_rule *rule;
	struct te_rule_event re;
	size_t bytes;
	char *output, *event_json;
	size_t event_len;
	char data[];               /* the strings re, output and event_json point to */
};

/* Held copies in memory at most; past it a repeat is reported at once. */
#define HELD_MAX_BYTES (32u << 20)

static void release_held(void *ctx, void *held, uint64_t folded);

struct te_engine {
	struct te_ruleset *rs;
	struct te_detector *dedup;
	struct te_engine_opts opts;
	struct strbuf line;        /* the detection being written */
	struct strbuf event;       /* the matched event's JSON */
	struct strbuf output;      /* the rule's rendered output */
	uint64_t matches, emitted;
	size_t held_bytes;
	uint64_t suppressed_before;  /* repeats counted by earlier rule sets */
	/* per te_engine_process call */
	te_event_json_fn event_json;
	void *event_ctx;
	bool event_ready;
	unsigned written;
};

struct te_engine *te_engine_new(struct te_ruleset *rs, const struct te_engine_opts *opts)
{
	struct te_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->rs = rs;
	e->opts = *opts;
	e->dedup = te_detector_new(opts->dedup_window_ns, release_held, e);
	if (!e->dedup) {
		free(e);
		return NULL;
	}
	sb_init(&e->line);
	sb_init(&e->event);
	sb_init(&e->output);
	return e;
}

void te_engine_free(struct te_engine *e)
{
	if (!e)
		return;
	te_detector_free(e->dedup);  /* reports what it still holds */
	sb_free(&e->line);
	sb_free(&e->event);
	sb_free(&e->output);
	free(e);
}

void te_engine_set_dedup_window(struct te_engine *e, uint64_t window_ns)
{
	e->opts.dedup_window_ns = window_ns;
}

int te_engine_set_ruleset(struct te_engine *e, struct te_ruleset *rs)
{
	struct te_detector *fresh = te_detector_new(e->opts.dedup_window_ns, release_held, e);

	if (!fresh)
		return -1;
	/* the old set's held repeats are reported while its rules still exist */
	e->suppressed_before += te_detector_suppressed_total(e->dedup);
	te_detector_free(e->dedup);
	e->dedup = fresh;
	e->rs = rs;
	return 0;
}

/* Write one detection to every output. */
static void emit(struct te_engine *e, const struct te_rule *rule, const struct te_rule_event *re,
		 uint64_t suppressed, const char *output, const char *event_json, size_t event_len)
{
	if (e->opts.sink)
		/* NUL-terminated, so a sink may keep them as C strings */
		e->opts.sink(e->opts.sink_ctx, rule, re, suppressed, output, event_json, event_len);
	if (e->opts.out) {
		sb_reset(&e->line);
		if (e->opts.json) {
			te_detection_json(&e->line, rule, re, suppressed, output, event_json,
					  event_len);
			sb_putc(&e->line, '\n');
		} else {
			te_detection_text(&e->line, rule, re, suppressed, output);
		}
		fwrite(e->line.p, 1, e->line.len, e->opts.out);
	}
	e->emitted++;
	e->written++;
}

static void free_held(struct te_engine *e, struct held *h)
{
	if (h) {
		e->held_bytes -= h->bytes;
		free(h);
	}
}

static void release_held(void *ctx, void *p, uint64_t folded)
{
	struct te_engine *e = ctx;
	struct held *h = p;

	emit(e, h->rule, &h->re, folded, h->output, h->event_json, h->event_len);
	free_held(e, h);
}

/* Copy @n bytes and a NUL to *@at; returns the copy. */
static char *put(char **at, const char *s, size_t n)
{
	char *r = *at;

	if (n)
		memcpy(r, s, n);
	r[n] = '\0';
	*at += n + 1;
	return r;
}

/*
 * Copy the match into the held repeat @old's place when it fits (a flood of
 * one repeat reuses one allocation), else into a new one; NULL over
 * HELD_MAX_BYTES or out of memory, @old then untouched.
 */
static struct held *hold(struct te_engine *e, const struct te_rule *rule,
			 const struct te_rule_event *re, struct held *old)
{
	const char *str[] = { re->comm, re->exe, re->cmdline, re->container_id, re->hostname };
	size_t len[5], n = 0;
	struct held *h;
	char *at;

	for (size_t i = 0; i < 5; i++)
		n += (len[i] = strlen(str[i])) + 1;
	for (size_t i = 0; i < TE_MAX_ARGS; i++)
		if (re->args[i].type == TE_RV_STR || re->args[i].type == TE_RV_LIST)
			n += re->args[i].len + 1;
	n += e->output.len + 1 + e->event.len + 1;
	if (old && old->bytes >= sizeof(*old) + n) {
		h = old;
		e->held_bytes -= h->bytes;  /* counted again below */
	} else {
		if (e->held_bytes + n + sizeof(*h) > HELD_MAX_BYTES)
			return NULL;
		h = malloc(sizeof(*h) + n);
		if (!h)
			return NULL;
		free_held(e, old);
		h->bytes = sizeof(*h) + n;
	}
	h->rule = rule;
	h->re = *re;
	h->re.pt = NULL;
	h->re.proc = NULL;
	at = h->data;
	h->re.comm = put(&at, str[0], len[0]);
	h->re.exe = put(&at, str[1], len[1]);
	h->re.cmdline = put(&at, str[2], len[2]);
	h->re.container_id = put(&at, str[3], len[3]);
	h->re.hostname = put(&at, str[4], len[4]);
	for (size_t i = 0; i < TE_MAX_ARGS; i++)
		if (re->args[i].type == TE_RV_STR || re->args[i].type == TE_RV_LIST)
			h->re.args[i].str = put(&at, re->args[i].str, re->args[i].len);
	h->output = put(&at, e->output.p, e->output.len);
	h->event_json = put(&at, e->event.p, e->event.len);
	h->event_len = e->event.len;
	e->held_bytes += h->bytes;
	return h;
}

static void on_match(void *ctx, struct te_rule *rule, const struct te_rule_event *re)
{
	struct te_engine *e = ctx;
	bool admitted;
	void **slot;

	e->matches++;
	/* the fingerprint only matters when there is a window to fold into */
	admitted = te_detector_admit(e->dedup, rule, re->pid,
				     te_detector_window_ns(e->dedup) ? te_detection_fingerprint(re) : 0,
				     re->time_ns, &slot);
	if (!e->opts.sink && !e->opts.out) {
		/* nothing prints it (benchmarks): counted, not formatted */
		if (admitted) {
			e->emitted++;
			e->written++;
		}
		return;
	}
	/* several rules may match one event: format it once */
	if ((e->opts.json || e->opts.sink || !admitted) && !e->event_ready) {
		sb_reset(&e->event);
		if (e->event_json)
			e->event_json(e->event_ctx, &e->event);
		e->event_ready = true;
	}
	/* rendered once here for every output of this detection */
	sb_reset(&e->output);
	te_tpl_render(rule->tpl, re, &e->output);
	if (!admitted) {
		struct held *h = hold(e, rule, re, *slot);

		if (h) {
			*slot = h;
			return;
		}
		/* over the bound (or out of memory): reported now rather than lost */
	}
	emit(e, rule, re, 0, sb_str(&e->output), sb_str(&e->event), e->event.len);
}

void te_engine_report(struct te_engine *e, const struct te_rule *rule,
		      const struct te_rule_event *re, const char *output)
{
	e->matches++;
	emit(e, rule, re, 0, output, "", 0);
}

void te_engine_flush(struct te_engine *e, uint64_t now_ns, bool all)
{
	te_detector_flush(e->dedup, now_ns, all);
}

unsigned te_engine_process(struct te_engine *e, const struct te_rule_event *re,
			   te_event_json_fn event_json, void *ctx)
{
	e->event_json = event_json;
	e->event_ctx = ctx;
	e->event_ready = false;
	e->written = 0;
	te_ruleset_match(e->rs, re, on_match, e);
	return e->written;
}

uint64_t te_engine_matches(const struct te_engine *e)
{
	return e->matches;
}

uint64_t te_engine_emitted(const struct te_engine *e)
{
	return e->emitted;
}

uint64_t te_engine_suppressed(const struct te_engine *e)
{
	return e->suppressed_before + te_detector_suppressed_total(e->dedup);
}
