/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule sets: YAML rule files loaded into compiled rules, indexed by event
 * type.  A rule set is immutable once loaded except for enabling and
 * disabling rules and hit counters; a reload builds a new set and swaps it
 * in only when the whole load succeeded.
 *
 * File format (Falco's, with Tracee's metadata):
 *   - required_engine_version: 1
 *   - list: NAME            items: [a, b]           [override: {items: append}]
 *   - macro: NAME           condition: TEXT         [override: {condition: append}]
 *   - rule: NAME
 *     id: TRC-102           description: TEXT       condition: TEXT
 *     output: TEXT          severity: info|low|medium|high|critical
 *     mitre: {technique: T1622, tactic: defense-evasion}
 *     tags: [a, b]          enabled: true
 *     exceptions: [{name, fields: [f1, f2], comps: [=, in], values: [[v1, [v2, v3]]]}]
 *     override: {condition: append, exceptions: append, output: replace, enabled: replace, ...}
 * The old Falco form `append: true` on a macro, list or rule is accepted too.
 * A later item with the same rule id or name replaces the earlier one,
 * unless it asks to append.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rule_lang.h"
#include "rule_severity.h"

struct te_rule {
	char *id;            /* "TRC-102"; unique */
	char *name;          /* "Anti-Debugging detected" */
	char *description;
	char *condition;     /* source text after macro/override processing */
	char *output;        /* template source */
	enum te_severity severity;
	char *mitre_technique; /* "T1622" or NULL */
	char *mitre_tactic;    /* "defense-evasion" or NULL */
	char **tags;
	size_t ntags;
	bool enabled;        /* from the file; the daemon may override */
	char *source_file;   /* where the (last) definition came from */
	unsigned source_line;
	struct te_expr *cond;      /* condition and exceptions, compiled */
	struct te_template *tpl;   /* output, compiled */
	bool events[TE_EV_MAX];    /* event types it can match */
	bool events_failed[TE_EV_MAX]; /* ... when the call failed (retval < 0) */
	uint64_t hits;
};

struct te_ruleset;

/*
 * Load rule files.  Each path is a file or a directory (its *.yaml and
 * *.yml files, in lexical order); paths are processed in the order given.
 * On any error returns NULL; every error is written to @diag (one
 * "file:line:col: message" line each) and the first also to @err.
 */
struct te_ruleset *te_ruleset_load(const char *const *paths, size_t npaths, FILE *diag,
				   struct te_rl_error *err);
void te_ruleset_free(struct te_ruleset *rs);

size_t te_ruleset_count(const struct te_ruleset *rs);
struct te_rule *te_ruleset_rule(struct te_ruleset *rs, size_t i);
struct te_rule *te_ruleset_find(struct te_ruleset *rs, const char *id_or_name);
size_t te_ruleset_enabled_count(const struct te_ruleset *rs);
/* Enable/disable by id; -ENOENT when no such rule.  Re-indexes. */
int te_ruleset_set_enabled(struct te_ruleset *rs, const char *id, bool enabled);
/* Union of the event types of the enabled rules. */
void te_ruleset_events(const struct te_ruleset *rs, bool out[TE_EV_MAX]);
/* The same for failed calls (te_expr_events_failed): the events whose
 * failures some enabled rule can match. */
void te_ruleset_events_failed(const struct te_ruleset *rs, bool out[TE_EV_MAX]);
/*
 * `traceed --validate`'s warnings: one "FILE:LINE: warning: ..." line on
 * @out for each rule with an exception that rests only on what the
 * process says about itself (te_expr_weak_exception).  Returns how many.
 */
size_t te_ruleset_warn_weak_exceptions(const struct te_ruleset *rs, FILE *out);

typedef void (*te_match_fn)(void *ctx, struct te_rule *rule, const struct te_rule_event *ev);
/*
 * Evaluate the enabled rules that can match ev->desc->id (only those: the
 * index), in load order; call @fn for each match and count its hit.
 * Returns the number of matches.
 */
unsigned te_ruleset_match(struct te_ruleset *rs, const struct te_rule_event *ev,
			  te_match_fn fn, void *ctx);
