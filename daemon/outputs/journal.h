/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Journal output: one structured journal entry per detection, plus entries
 * for lost kernel events and rule reloads.  Each kind has a fixed MESSAGE_ID
 * documented in units/traceed.catalog (installed to the systemd catalog
 * directory, so `journalctl -x` explains the entry).
 *
 * A detection entry carries:
 *   MESSAGE=TRC-102 Anti-Debugging detected: <rendered output>
 *   MESSAGE_ID=TE_JOURNAL_ID_DETECTION   PRIORITY=te_severity_syslog()
 *   SYSLOG_IDENTIFIER=traceed
 *   TRACEED_RULE_ID  TRACEED_RULE_NAME  TRACEED_SEVERITY ("high")
 *   TRACEED_MITRE (technique)  TRACEED_MITRE_TACTIC    (only when the rule has them)
 *   TRACEED_PID  TRACEED_PPID  TRACEED_UID  TRACEED_COMM  TRACEED_CMDLINE
 *   TRACEED_EXE  TRACEED_CONTAINER_ID                  (only when known / in a container)
 *   TRACEED_EVENT      the matched event as JSON       (only when given)
 *   TRACEED_SUPPRESSED repeats of this (rule, pid) folded into this entry
 * Values come from the kernel and from user-controlled strings (comm,
 * cmdline, paths), so every field is passed with an explicit length through
 * sd_journal_sendv: an embedded newline or "FIELD=" cannot start a field of
 * its own.
 *
 * Flood guard.  The engine already folds repeats of one rule by one process
 * (dedup window).  Beyond that, at most `max_per_sec` detection entries are
 * written per one-second window (default TE_JOURNAL_DEFAULT_MAX_PER_SEC;
 * 0 = no limit), with two exceptions that a flood of cheap detections cannot
 * use to hide the one that matters: medium, high and critical detections
 * are always written in full, and so is the first detection of every rule
 * in the window.  A low or info detection over the cap is not written but
 * counted per rule; when the window ends, one entry per such rule is written:
 *   MESSAGE=TRC-102 Anti-Debugging detected: 900 more detections like this in the last second
 * with the rule's fields, TRACEED_AGGREGATED=900 (detections folded) and
 * TRACEED_SUPPRESSED (their dedup repeats), so nothing is silently lost and
 * journald's own rate limit (which drops without saying what) is not hit by
 * an attack that triggers a rule in a loop.  A window starts with the first
 * detection after the previous one ended; it is closed by the next
 * detection after it ends, or by te_journal_tick(), which the daemon calls
 * from a timer (every second is enough) so the summary is written even when
 * the flood stops.  Call te_journal_flush() before a rule set is freed on
 * reload: the pending counts refer to its rules by id and name, which are
 * copied, but a flush keeps the summary next to the entries it summarises.
 * te_journal_free() flushes too.
 *
 * One struct te_journal per daemon (te_journal_new/te_journal_free), passed
 * to every function; a NULL handle is a journal output that is off (the
 * functions do nothing and return 0).  The functions that write return 0 or
 * a negative errno from sd_journal_sendv (e.g. -ENOENT when journald is not
 * running); the daemon counts failures rather than stopping.  Not
 * thread-safe: call from the event loop only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule_event.h"
#include "rule_set.h"

/* MESSAGE_IDs (see units/traceed.catalog); fixed forever once released. */
#define TE_JOURNAL_ID_DETECTION     "02684fb27ab246cc93ac342c45c7a9f6"
#define TE_JOURNAL_ID_EVENTS_LOST   "8e1eafb055bc4996acab6f8cb23ed809"
#define TE_JOURNAL_ID_RULES_RELOADED "ebae09ad5f4e4f06be3d540ac121fbc4"
#define TE_JOURNAL_ID_RELOAD_FAILED "bd466e914e064a98ab63957725dbb8c2"

#define TE_JOURNAL_DEFAULT_MAX_PER_SEC 100

struct te_journal;

/* A journal output allowing @max_per_sec detection entries per second
 * before aggregation (0: no flood guard).  0 or -ENOMEM. */
int te_journal_new(unsigned max_per_sec, struct te_journal **ret);
/* Write the pending summaries, then free.  NULL is fine. */
void te_journal_free(struct te_journal *j);

/* Detection entries per second before aggregation; 0 disables the guard. */
void te_journal_set_rate_limit(struct te_journal *j, unsigned max_per_sec);

/*
 * One detection of @r on @re.  @suppressed: repeats the dedup folded into
 * this one.  @output: the rule's rendered output (NULL: rendered here).
 * @event_json (@len bytes, may be NULL) becomes TRACEED_EVENT.
 * Returns 0 also when the detection was counted by the flood guard.
 */
int te_journal_detection(struct te_journal *j, const struct te_rule *r,
			 const struct te_rule_event *re, uint64_t suppressed, const char *output,
			 const char *event_json, size_t len);

/*
 * Kernel events lost since the last report (@lost) and since start
 * (@total_lost).  The caller rate-limits: call at most once per reporting
 * interval, and only when @lost > 0.  PRIORITY warning.
 */
int te_journal_events_lost(struct te_journal *j, uint64_t lost, uint64_t total_lost);

/*
 * A rule reload: @ok with the number of @rules now loaded (PRIORITY info),
 * or failed with @error (PRIORITY err; the previous rules stay active and
 * @rules is their number).
 */
int te_journal_reload(struct te_journal *j, bool ok, size_t rules, const char *error);

/* Close the flood window if it ended by @now_ns (CLOCK_MONOTONIC, ns) and
 * write the "N more" summaries.  Returns 0 or the first send error. */
int te_journal_tick(struct te_journal *j, uint64_t now_ns);
/* Write the pending summaries now, whatever the time. */
int te_journal_flush(struct te_journal *j);
