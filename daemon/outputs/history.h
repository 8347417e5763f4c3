/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Detection history: up to N detections, kept in memory for D-Bus
 * ListDetections (tracectl detections).  Entries own copies of their
 * strings, because the rule set they came from may be replaced by a reload.
 *
 * Eviction prefers low severities, so that a flood of cheap low-severity
 * detections cannot push a rare high-severity one out: when the history is
 * full, the entry that goes is the oldest of the lowest severity present;
 * when the new entry's severity is below every kept entry's, the new entry
 * is the one not kept.  Either way te_history_evicted() counts it.  Inside
 * one severity the history is a ring: the newest are kept.  Push, eviction
 * and the start of a query are O(1) or O(log N) (one ring per severity,
 * merged by id when listed), so N may be large (a million).
 *
 * Ids are given by the caller (the daemon's detection sequence, shared with
 * the Detection signal), increasing, so "after_id" lets a client list and
 * then follow the signal without gaps or duplicates.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule_set.h"

struct te_history_entry {
	uint64_t id;
	uint64_t time_usec;          /* realtime */
	enum te_severity severity;
	/* Owned by the history once pushed; const so a caller can fill an
	 * entry from borrowed strings for te_history_push(). */
	const char *rule_id, *rule_name;
	const char *mitre_technique, *mitre_tactic; /* "" when none */
	const char *output;          /* rendered */
	uint32_t pid, ppid, uid;
	const char *comm, *exe, *cmdline, *container_id;
	uint64_t suppressed;
	const char *event;           /* the event as JSON */
};

struct te_history_filter {
	uint64_t since_usec;         /* time >= since; 0: any */
	uint64_t after_id;           /* id > after_id; 0: any */
	uint64_t before_id;          /* id < before_id; 0: any (paging back) */
	const char *rule_id;         /* exact; NULL: any */
	int min_severity;            /* enum te_severity; -1: any */
	uint32_t limit;              /* the most recent N matches; 0: all */
};

struct te_history;

/* Keep at most @max entries (0: keep none; pushes are then dropped, and
 * not counted as evicted: the history is off). */
struct te_history *te_history_new(uint32_t max);
void te_history_free(struct te_history *h);
/*
 * Change the bound (a reload).  When it shrinks below the size, the
 * entries that go are chosen as by a push: lowest severity first, oldest
 * first inside a severity; they count as evicted.  0 or -ENOMEM (nothing
 * changed then).
 */
int te_history_resize(struct te_history *h, uint32_t max);

/*
 * Copy @e (see te_history_entry_copy) into the history; when full, the
 * oldest entry of the lowest severity present goes, or @e itself when its
 * severity is lower than every kept entry's (see the top).  0 or -ENOMEM
 * (the entry is then not kept; the history stays consistent).
 */
int te_history_push(struct te_history *h, const struct te_history_entry *e);

/*
 * The same in two steps, for a caller that needs the sanitized copy itself
 * (the D-Bus signal): te_history_entry_copy() makes it (strings duplicated,
 * NULL as "", invalid UTF-8 escaped as \xNN, since D-Bus refuses it; 0 or
 * -ENOMEM), te_history_push_owned() moves it in and zeroes @e (or clears it
 * when the history keeps nothing).
 */
int te_history_entry_copy(struct te_history_entry *dst, const struct te_history_entry *src);
void te_history_push_owned(struct te_history *h, struct te_history_entry *e);
void te_history_entry_clear(struct te_history_entry *e);

uint32_t te_history_size(const struct te_history *h);
uint32_t te_history_max(const struct te_history *h);
/* Entries pushed but not kept, or dropped since, because the history was
 * full or shrunk: since te_history_new(). */
uint64_t te_history_evicted(const struct te_history *h);

/*
 * Call @fn for the entries matching @f, oldest first (by id); with a limit,
 * only the last @limit matches.  Returns the number of calls.  @fn must not
 * change the history.
 */
typedef void (*te_history_fn)(void *ctx, const struct te_history_entry *e);
size_t te_history_query(const struct te_history *h, const struct te_history_filter *f,
			te_history_fn fn, void *ctx);

/* An upper bound of the bytes @e takes in a D-Bus message. */
size_t te_history_entry_wire_size(const struct te_history_entry *e);
/*
 * How many of the most recent entries matching @f fit in @max_bytes (by
 * te_history_entry_wire_size), at least 1, or 0 when all of them do: a
 * limit for a reply that must stay under a size.
 */
uint32_t te_history_fitting_limit(const struct te_history *h, const struct te_history_filter *f,
				  size_t max_bytes);
