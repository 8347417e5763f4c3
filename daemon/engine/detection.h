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

/*
 * De-duplication.  A repeat is a match of the same rule, by the same
 * process, whose fingerprint (te_detection_fingerprint: the executable and
 * the event's arguments that tell one target from another) is the same,
 * within @window_ns of the detection that opened the window.  Repeats are
 * held, not dropped: the engine keeps the last one of each window (@held)
 * and reports it, with the number of others folded into it, when the window
 * closes (te_detector_flush) or its slot is needed for another key.  So a
 * decoy cannot fold a different target away, and the last of a burst is
 * always reported with its own fields.  0 emits every match.
 *
 * @release is called with a held repeat that must be reported now, and the
 * number of repeats before it in its window (folded into it); it owns @held
 * from then on.
 */
typedef void (*te_held_release_fn)(void *ctx, void *held, uint64_t folded);
struct te_detector *te_detector_new(uint64_t window_ns, te_held_release_fn release, void *ctx);
/* Frees the detector; held repeats still in it are released first. */
void te_detector_free(struct te_detector *d);

/*
 * Decide whether a match of @rule by @pid with fingerprint @fp at @now_ns
 * is emitted now (true: it opens a window) or is a repeat (false: *@held
 * is the slot's held repeat, which the caller replaces with this match's
 * copy, freeing what was there).
 */
bool te_detector_admit(struct te_detector *d, const struct te_rule *rule, uint32_t pid,
		       uint64_t fp, uint64_t now_ns, void ***held);
/* The window it was made with (0: every match is emitted). */
uint64_t te_detector_window_ns(const struct te_detector *d);
/* Release the held repeats whose window is over at @now_ns (all: every one). */
void te_detector_flush(struct te_detector *d, uint64_t now_ns, bool all);
/* Repeats held back in total (each reported later, folded or as the last). */
uint64_t te_detector_suppressed_total(const struct te_detector *d);

/*
 * What makes one detection of a rule different from another by the same
 * process: the executable, and every argument except plain counts and
 * addresses (te_fmt UINT and HEX: sizes, lengths, pointers), so a different
 * file, target process, signal, mode, request or address family is a
 * different detection.  FNV-1a, 64 bits.
 */
uint64_t te_detection_fingerprint(const struct te_rule_event *re);

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
