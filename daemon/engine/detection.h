/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Detections: a rule that matched an event.  Formatting (JSON line, table
 * line) and de-duplication of repeats.
 *
 * Detection JSON (one object per line):
 *   {"time":"2026-11-28T03:16:45.850406123Z","rule_id":"TRC-102",
 *    "rule_name":"Anti-Debugging detected","severity":"high",
 *    "priority":"Error","mitre":{"technique":"T1622","tactic":"defense-evasion"},
 *    "tags":[...],"output":"...","output_fields":{"proc.name":"x",...},
 *    "suppressed":0,"hostname":"vm","event":{Tracee-style event}}
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule_event.h"
#include "rule_set.h"
#include "strbuf.h"

struct te_detector;

/* @window_ns: repeats of one rule by one process within this window are
 * counted, not emitted; 0 emits every match. */
struct te_detector *te_detector_new(uint64_t window_ns);
void te_detector_free(struct te_detector *d);

/*
 * Decide whether a match of @rule by @pid at @now_ns is emitted.  Returns
 * true to emit, with *suppressed set to the repeats swallowed since the last
 * emission of that (rule, pid); false when it is a repeat (counted).
 */
bool te_detector_admit(struct te_detector *d, const struct te_rule *rule, uint32_t pid,
		       uint64_t now_ns, uint64_t *suppressed);
/* Repeats swallowed in total. */
uint64_t te_detector_suppressed_total(const struct te_detector *d);

/* RFC 3339 UTC with nanoseconds: 2026-11-28T03:16:45.850406123Z */
void te_format_rfc3339(struct strbuf *sb, uint64_t wall_ns);

/* The detection JSON object (no newline); @output is the rule's rendered
 * output (NULL: rendered here), @event_json the matched event as a JSON
 * object (@event_len bytes). */
void te_detection_json(struct strbuf *sb, const struct te_rule *rule,
		       const struct te_rule_event *re, uint64_t suppressed, const char *output,
		       const char *event_json, size_t event_len);
/* One human line: TIME SEVERITY RULE-ID RULE-NAME: OUTPUT [(+N repeats)] */
void te_detection_text(struct strbuf *sb, const struct te_rule *rule,
		       const struct te_rule_event *re, uint64_t suppressed, const char *output);
