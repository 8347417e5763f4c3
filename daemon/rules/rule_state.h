/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which rules the administrator enabled or disabled (tracectl rules
 * enable/disable), kept in STATE_DIR/rule-state so that the choice survives
 * restarts, reloads and package upgrades.  The file overrides the rule
 * files' own `enabled:`.
 *
 * Format: one line per rule, in the order the choices were first made,
 *     enabled TRC-102
 *     disabled TRC-105
 * '#' comments and blank lines are ignored.  A line-based text file rather
 * than JSON: it is tiny, an administrator can read and repair it with any
 * editor, and one bad line costs only that line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rule_set.h"

#define TE_RULE_STATE_FILE "rule-state"
#define TE_RULE_ID_MAX 128

struct te_rule_state_entry {
	char *id;
	bool enabled;
};

struct te_rule_state {
	struct te_rule_state_entry *v;
	size_t n, cap;
	unsigned bad_lines;          /* malformed lines skipped by the last load */
};

/* printable ASCII without spaces, 1..TE_RULE_ID_MAX bytes */
bool te_rule_id_valid(const char *id);

void te_rule_state_init(struct te_rule_state *st);
void te_rule_state_free(struct te_rule_state *st);

/*
 * Read STATE_DIR/rule-state into @st (replacing what it held, and only once
 * the file has been read: on an I/O error @st is unchanged).  A missing
 * file is an empty state.  Malformed lines are skipped, counted in
 * st->bad_lines and reported to @diag (may be NULL) as "PATH:LINE: message";
 * they never cost the other entries.  Temporary files left by an
 * interrupted save are never read.  0 or a negative errno.
 */
int te_rule_state_load(struct te_rule_state *st, const char *state_dir, FILE *diag);

/* Record a choice.  -EINVAL for an invalid id, -ENOMEM. */
int te_rule_state_set(struct te_rule_state *st, const char *id, bool enabled);
/* 0 and *enabled, or -ENOENT when no choice was recorded for @id. */
int te_rule_state_get(const struct te_rule_state *st, const char *id, bool *enabled);

/*
 * Apply the recorded choices to @rs.  Ids that @rs does not have are kept
 * (the rule may come back with the next package) and reported to @diag.
 * Returns how many ids were not found.
 */
size_t te_rule_state_apply(const struct te_rule_state *st, struct te_ruleset *rs, FILE *diag);

/*
 * Write STATE_DIR/rule-state atomically: a temporary file in the same
 * directory, fsync, rename over the old file, fsync the directory.  A crash
 * at any point leaves either the old or the new file.  0 or a negative errno
 * (the old file is then untouched).
 */
int te_rule_state_save(const struct te_rule_state *st, const char *state_dir);
