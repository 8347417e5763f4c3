/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule-file loader, private to the rule set: reads YAML rule files into
 * items (one per top-level list element) that remember where every value
 * came from.  It checks shapes and types only; what the items mean together
 * (overrides, duplicate ids, compiling) is rule_set.c's job.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rule_lang.h"
#include "rule_severity.h"

/* The highest required_engine_version this loader reads. */
#define TE_RULE_ENGINE_VERSION 1

/* Where errors go: every one to @out, the first one to @first. */
struct rl_diag {
	FILE *out;
	struct te_rl_error *first;
	unsigned count;
};
void rl_report(struct rl_diag *d, const char *file, unsigned line, unsigned col, const char *fmt,
	       ...) __attribute__((format(printf, 5, 6)));
void rl_report_loc(struct rl_diag *d, const struct te_src_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rl_report_err(struct rl_diag *d, const struct te_rl_error *e);

/* What an item defines.  (Not rule_ast.h's enum rl_kind: condition nodes.) */
enum rl_item_kind { RL_LIST, RL_MACRO, RL_RULE };

/* The keys an item can set, as bits of rl_item.present/append/replace. */
enum rl_key {
	RK_ID,
	RK_DESC,
	RK_COND,
	RK_OUTPUT,
	RK_SEVERITY,
	RK_MITRE,
	RK_TAGS,
	RK_ENABLED,
	RK_EXCEPTIONS,
	RK_ITEMS,
	RK__MAX,
};
#define RK_BIT(k) (1u << (k))
const char *rl_key_name(enum rl_key k);

/* One exception, already turned into condition text. */
struct rl_exception {
	char *name;
	struct te_src_loc loc;  /* the exception's mapping */
	char *text;             /* "(f1 = v1 and f2 in (a, b)) or (...)"; NULL: no values */
};

struct rl_item {
	enum rl_item_kind kind;
	struct te_src_loc loc;          /* the item's first key */
	char *name;                     /* value of rule:, macro: or list: */
	unsigned present;               /* RK_BIT()s of the keys given */
	unsigned append;                /* keys to append to the earlier definition */
	unsigned replace;               /* keys named "replace" in override: */
	struct te_src_loc key_loc[RK__MAX]; /* where each given key's value starts */

	char *id;
	char *description;
	char *condition;                /* key_loc[RK_COND] is where its text starts */
	char *output;
	enum te_severity severity;
	char *mitre_technique, *mitre_tactic;
	char **tags;
	size_t ntags;
	bool enabled;
	struct rl_exception *exc;
	size_t nexc;
	char **items;                   /* lists */
	size_t nitems;
};

struct rl_items {
	struct rl_item *v;
	size_t n, cap;
	/* File names; te_src_loc.file points into these, so they live as long
	 * as anything holding a location (the rule set keeps them). */
	char **files;
	size_t nfiles;
};

/*
 * Read each path (file, or directory of *.yaml / *.yml in lexical order)
 * and append its items.  Errors go to @d; reading goes on after an error so
 * that one run reports as much as possible.  Returns the number of errors.
 */
unsigned rl_load_paths(struct rl_items *out, const char *const *paths, size_t npaths,
		       struct rl_diag *d);
void rl_items_free(struct rl_items *it);
