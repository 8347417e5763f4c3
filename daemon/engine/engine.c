/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "engine.h"

#include <stdlib.h>

struct te_engine {
	struct te_ruleset *rs;
	struct te_detector *dedup;
	struct te_engine_opts opts;
	struct strbuf line;        /* the detection being written */
	struct strbuf event;       /* the matched event's JSON */
	struct strbuf output;      /* the rule's rendered output */
	uint64_t matches, emitted;
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
	e->dedup = te_detector_new(opts->dedup_window_ns);
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
	te_detector_free(e->dedup);
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
	struct te_detector *fresh = te_detector_new(e->opts.dedup_window_ns);

	if (!fresh)
		return -1;
	e->suppressed_before += te_detector_suppressed_total(e->dedup);
	te_detector_free(e->dedup);
	e->dedup = fresh;
	e->rs = rs;
	return 0;
}

static void on_match(void *ctx, struct te_rule *rule, const struct te_rule_event *re)
{
	struct te_engine *e = ctx;
	uint64_t suppressed;

	e->matches++;
	if (!te_detector_admit(e->dedup, rule, re->pid, re->time_ns, &suppressed))
		return;
	/* several rules may match one event: format it once */
	if ((e->opts.json || e->opts.sink) && !e->event_ready) {
		sb_reset(&e->event);
		if (e->event_json)
			e->event_json(e->event_ctx, &e->event);
		e->event_ready = true;
	}
	/* rendered once here for every output of this detection */
	sb_reset(&e->output);
	if (e->opts.sink || e->opts.out)
		te_tpl_render(rule->tpl, re, &e->output);
	if (e->opts.sink)
		/* NUL-terminated (sb_str), so a sink may keep them as C strings */
		e->opts.sink(e->opts.sink_ctx, rule, re, suppressed, sb_str(&e->output),
			     sb_str(&e->event), e->event.len);
	if (e->opts.out) {
		sb_reset(&e->line);
		if (e->opts.json) {
			te_detection_json(&e->line, rule, re, suppressed, sb_str(&e->output),
					  e->event.p, e->event.len);
			sb_putc(&e->line, '\n');
		} else {
			te_detection_text(&e->line, rule, re, suppressed, sb_str(&e->output));
		}
		fwrite(e->line.p, 1, e->line.len, e->opts.out);
	}
	e->emitted++;
	e->written++;
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
