/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The detection engine as the daemon and --replay use it: events in, rules
 * matched through the rule set's index, repeats de-duplicated, detections
 * written as JSON lines or table lines.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "detection.h"
#include "rule_event.h"
#include "rule_set.h"
#include "strbuf.h"

/* Another place a detection goes (the outputs of --service).  @output is
 * the rule's rendered output (rendered once per detection, for every
 * output); @event_json is NUL-terminated. */
typedef void (*te_detection_sink)(void *ctx, const struct te_rule *rule,
				  const struct te_rule_event *re, uint64_t suppressed,
				  const char *output, const char *event_json, size_t event_len);

struct te_engine_opts {
	bool json;                 /* JSON lines, else one text line each */
	uint64_t dedup_window_ns;
	FILE *out;                 /* NULL: no printed detections */
	te_detection_sink sink;    /* optional, called for every detection */
	void *sink_ctx;
};

struct te_engine;

/* Writes the matched event as one JSON object into @sb; called only when a
 * rule matched, so the cost of formatting is paid per detection. */
typedef void (*te_event_json_fn)(void *ctx, struct strbuf *sb);

struct te_engine *te_engine_new(struct te_ruleset *rs, const struct te_engine_opts *opts);
void te_engine_free(struct te_engine *e);
/* Use @rs from now on (a reload); reports the held repeats and forgets the
 * de-duplication state, whose keys are the old set's rules.  The old set
 * must still exist during the call. */
int te_engine_set_ruleset(struct te_engine *e, struct te_ruleset *rs);
/* The de-duplication window for the next te_engine_set_ruleset() (a
 * reload that changed dedup_window_ms). */
void te_engine_set_dedup_window(struct te_engine *e, uint64_t window_ns);
/*
 * Report the repeats de-duplication held back whose window is over at
 * @now_ns (wall clock, like te_rule_event.time_ns), or all of them: the
 * daemon calls it from a timer, replay at the end; te_engine_free() and
 * te_engine_set_ruleset() report what is held before they let go of it.
 */
void te_engine_flush(struct te_engine *e, uint64_t now_ns, bool all);
/*
 * Report a detection that no rule's condition produced (the daemon's own
 * alarms, service/selfcheck.c) through the same outputs, with @output as
 * its text and no event.  Never de-duplicated.
 */
void te_engine_report(struct te_engine *e, const struct te_rule *rule,
		      const struct te_rule_event *re, const char *output);
/* Match one event; returns the detections written. */
unsigned te_engine_process(struct te_engine *e, const struct te_rule_event *re,
			   te_event_json_fn event_json, void *ctx);
uint64_t te_engine_matches(const struct te_engine *e);   /* before de-duplication */
uint64_t te_engine_emitted(const struct te_engine *e);
uint64_t te_engine_suppressed(const struct te_engine *e);
