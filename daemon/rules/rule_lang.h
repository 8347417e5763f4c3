/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rule language: Falco-style conditions and output templates, compiled
 * once and evaluated per event without allocating.
 *
 *   condition := expr
 *   expr      := expr "or" expr | expr "and" expr | "not" expr | "(" expr ")"
 *              | field OP value | field "in" "(" values ")" | field "exists"
 *              | macro-name
 *   OP        := = != < <= > >= contains icontains startswith endswith
 *                glob pmatch
 *   value     := "quoted string" | 'quoted' | bare-word | number | list-name
 *   values    := value ("," value)*   (a list name in a values list is expanded)
 *
 * Precedence: not > and > or.  Fields are listed in rule_fields.c and in
 * traceed.rules(5).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "rule_event.h"
#include "strbuf.h"

/* Where a piece of rule text came from, for error messages. */
struct te_src_loc {
	const char *file;   /* may be NULL: "<string>" */
	unsigned line;      /* 1-based line of the first character of the text */
	unsigned col;       /* 1-based column of the first character */
};

/* One error: "FILE:LINE:COL: MESSAGE". */
struct te_rl_error {
	char file[256];
	unsigned line, col;
	char msg[512];
};
/* Format as "file:line:col: msg" into buf. */
void te_rl_error_format(const struct te_rl_error *e, char *buf, size_t len);

/* Lists and macros known when conditions are compiled. */
struct te_rl_defs;
struct te_rl_defs *te_rl_defs_new(void);
void te_rl_defs_free(struct te_rl_defs *d);
/*
 * Add or (append=true) extend a list.  Items are literal strings; an item
 * that names an existing list is expanded into its items (Falco does this).
 * Replacing an existing list without append replaces it.
 */
int te_rl_defs_list(struct te_rl_defs *d, const char *name, const char *const *items, size_t n,
		    bool append, const struct te_src_loc *loc, struct te_rl_error *err);
/*
 * Add, replace or (append=true) extend a macro.  As in Falco, appending
 * joins the texts verbatim ("old new"), so an appended condition usually
 * starts with "and" or "or".
 * Macros are parsed when first used by a compiled condition, so they may be
 * defined in any order; a macro that uses itself is an error then.
 */
int te_rl_defs_macro(struct te_rl_defs *d, const char *name, const char *condition, bool append,
		     const struct te_src_loc *loc, struct te_rl_error *err);

struct te_expr;
/*
 * Compile @condition.  Errors name the position (loc + offset in the text),
 * what was expected and what was found: unknown field, unknown macro or
 * list, an operator that does not fit the field's type ("proc.pid contains
 * \"x\""), evt.arg.NAME that no event has, a bad number, unbalanced
 * parentheses.  Returns NULL with @err filled on error.
 */
struct te_expr *te_rl_compile(const struct te_rl_defs *d, const char *condition,
			      const struct te_src_loc *loc, struct te_rl_error *err);
void te_expr_free(struct te_expr *e);
bool te_expr_eval(const struct te_expr *e, const struct te_rule_event *ev);
/*
 * The events the condition can match: out[id] = true for each.  When the
 * condition restricts evt.name/evt.type (=, in) in a way that holds for
 * every match, only those; when it does not, every event.  evt.arg.NAME also
 * restricts to events that have an argument NAME.
 */
void te_expr_events(const struct te_expr *e, bool out[TE_EV_MAX]);
/*
 * The same for a failed call (evt.retval < 0): an event is left out when
 * the condition requires, in every match, a return value no failure has
 * (evt.retval = 0, >= 0, > 0...).  The kernel then drops that event's
 * failures before building a record, so a flood of failing calls, which no
 * rule can match, cannot crowd out the events that matter.  An
 * over-approximation like te_expr_events: a condition it cannot see
 * through (not, a type it does not know) keeps failures.
 */
void te_expr_events_failed(const struct te_expr *e, bool out[TE_EV_MAX]);
/*
 * An exception that an attacker can talk past: a way out of the condition
 * (an alternative under a `not`, which is what `exceptions:` become too)
 * that tests a field the process chooses itself (proc.name, proc.pname,
 * proc.aname, proc.cmdline, proc.args, argv, env) with no field the kernel
 * vouches for (proc.exe_verified, proc.pexe_verified, proc.aexe_verified)
 * in the same conjunction.  Returns the first such field's name, or NULL.
 */
const char *te_expr_weak_exception(const struct te_expr *e);

/* Output templates: text with %field and %field[N] / %evt.arg.NAME. */
struct te_template;
struct te_template *te_tpl_compile(const char *text, const struct te_src_loc *loc,
				   struct te_rl_error *err);
void te_tpl_free(struct te_template *t);
void te_tpl_render(const struct te_template *t, const struct te_rule_event *ev, struct strbuf *out);
/*
 * Each distinct field used by the template, with its value rendered, for
 * falcosidekick's output_fields: calls fn(ctx, "proc.name", "bash").
 */
void te_tpl_fields(const struct te_template *t, const struct te_rule_event *ev,
		   void (*fn)(void *ctx, const char *field, const char *value), void *ctx);

/* Is @name a known field (with an optional [N] or .ARG suffix)? */
bool te_rl_field_known(const char *name);
