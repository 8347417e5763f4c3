/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon watching itself.  Every TE_SELFCHECK_INTERVAL_USEC, on the
 * event loop:
 *   - the kernel's event selection is read back (capture/integrity.h): a
 *     `wanted` map changed by someone else (bpftool map update) is caught
 *     at the next check;
 *   - a heartbeat: traceed forks a child that exits at once, and the
 *     kernel side must report that child's sched_process_exit within
 *     TE_SELFCHECK_DEADLINE_USEC.  It travels the whole way (the tracepoint
 *     program, the selection map, the ring buffer, the consumer), so a
 *     detached or replaced program, a zeroed map or a stalled buffer all
 *     show up as a missing heartbeat.
 * A changed selection is written back as traceed set it, so detection goes
 * on after the alarm.  A failure raises TRD-2101 (critical, "traceed self-check failed"), a
 * detection built into traceed rather than a rule, so that no rule file
 * and no `tracectl rules disable` can turn it off; it is raised once per
 * failure, and again after the check has passed in between.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TE_SELFCHECK_INTERVAL_USEC (2 * 1000 * 1000ull)
#define TE_SELFCHECK_DEADLINE_USEC (5 * 1000 * 1000ull)
#define TE_SELFCHECK_RULE_ID "TRD-2101"

struct te_daemon;
struct te_event;

struct te_selfcheck {
	pid_t child;               /* heartbeat child awaiting its exit event */
	uint64_t spawned_usec;     /* CLOCK_MONOTONIC */
	bool child_seen;
	bool failing;              /* alarm raised, not yet passed again */
	uint64_t alarms;
};

/* Start the periodic check on d->event.  0 or a negative errno. */
int te_selfcheck_start(struct te_daemon *d);
/* From the record path, for every decoded event: is it the heartbeat? */
void te_selfcheck_saw(struct te_selfcheck *c, const struct te_event *ev);
/* Reap a child still pending (at stop). */
void te_selfcheck_stop(struct te_selfcheck *c);
