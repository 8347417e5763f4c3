/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to the rule language: the syntax tree the parser builds (with
 * fields resolved, types checked, macros inlined and list names expanded),
 * that rule_compile.c prepares (indexes, ordering) and rule_eval.c
 * evaluates, plus what the parser needs from the definitions.  Each group
 * of declarations names the file that defines it.  Calls go one way only
 * (A -> B: A calls B):
 *
 *   rule_parser.c  -> rule_index.c   (rl_node_free frees the indexes)
 *   rule_eval.c    -> rule_index.c   (lookups in the in/pmatch items)
 *   rule_compile.c -> rule_parser.c, rule_index.c, and rule_eval.c
 *                     (te_expr_events and rl_expr_keys evaluate evt.name
 *                     and evt.id predicates on each event type)
 *
 * Nothing outside daemon/rules/rule_*.c includes this.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rule_fields.h"
#include "rule_lang.h"
#include "rule_lexer.h"

enum rl_op {
	RL_OP_EQ,
	RL_OP_NE,
	RL_OP_LT,
	RL_OP_LE,
	RL_OP_GT,
	RL_OP_GE,
	RL_OP_CONTAINS,
	RL_OP_ICONTAINS,
	RL_OP_STARTSWITH,
	RL_OP_ENDSWITH,
	RL_OP_GLOB,
	RL_OP_PMATCH,
	RL_OP_IN,
	RL_OP_EXISTS,
};

/* A literal operand.  Kept as text and, when it reads as one, as a number:
 * which is used depends on the value's type at run time (evt.arg.flags is
 * a number on some events and text on others). */
struct rl_lit {
	char *s;          /* NUL-terminated */
	size_t len;
	char *lower;      /* ASCII-lowercased copy for icontains, else NULL */
	bool num_ok;
	int64_t num;
};

enum rl_kind { RL_N_AND, RL_N_OR, RL_N_NOT, RL_N_PRED };

struct rl_index; /* lookup structure for in/pmatch (rule_index.c) */

struct rl_node {
	enum rl_kind kind;
	struct rl_node **kids;  /* AND, OR: two or more; NOT: one */
	size_t nkids;
	/* RL_N_PRED */
	enum rl_op op;
	struct rl_field field;
	struct rl_lit *lits;    /* one for binary operators, the items for in/pmatch */
	size_t nlits;
	struct rl_index *idx;   /* NULL: scan lits */
	uint64_t lenmask;       /* in, pmatch: bit min(len, 63) of each item */
	size_t glob_lit;        /* glob: length of the literal text it starts with */
	/* Estimates for ordering the kids of and/or (rl_prepare). */
	float cost;             /* relative cost of evaluating the node */
	float pass;             /* probability that it is true */
};

struct te_expr {
	struct rl_node *root;
};

/* Defined here, inline: used by rule_index.c, rule_compile.c, rule_eval.c. */
/* The bit of rl_node.lenmask for an item of @len bytes. */
static inline uint64_t rl_len_bit(size_t len)
{
	return 1ull << (len < 63 ? len : 63);
}
/* Is the literal the text @p (@n bytes)? */
static inline bool rl_lit_eq(const struct rl_lit *l, const char *p, size_t n)
{
	return l->len == n && memcmp(l->s, p, n) == 0;
}

/* rule_parser.c */
struct rl_node *rl_parse(const struct te_rl_defs *d, const struct rl_src *src,
			 struct te_rl_error *err);
void rl_node_free(struct rl_node *n);
/* Decimal, 0x hex, 0o or leading-0 octal, optional '-'; true and false. */
bool rl_parse_number(const char *s, size_t len, int64_t *out);
const char *rl_op_name(enum rl_op op);

/* rule_defs.c */
struct rl_list {
	char *name;
	char **items;
	size_t n;
};
struct rl_macro {
	char *name;
	char *text;          /* the joined condition text */
	size_t len;
	struct rl_seg *segs; /* where each appended piece came from */
	size_t nsegs;
};
const struct rl_list *rl_defs_find_list(const struct te_rl_defs *d, const char *name, size_t len);
const struct rl_macro *rl_defs_find_macro(const struct te_rl_defs *d, const char *name,
					  size_t len);
/* Is @s (@len bytes) a keyword of the condition language? */
bool rl_is_keyword(const char *s, size_t len);

/* rule_index.c */
/* Build n->idx from the items of an in/pmatch predicate; -ENOMEM. */
int rl_index_build(struct rl_node *n);
void rl_index_free(struct rl_index *idx);
/* Is the text (@n bytes) / the number an item of the in predicate @nd?
 * Does the text pmatch one of its items?  Short lists are scanned. */
bool rl_in_str(const struct rl_node *nd, const char *p, size_t n);
bool rl_in_num(const struct rl_node *nd, int64_t x);
bool rl_pmatch(const struct rl_node *nd, const char *p, size_t n);

/* rule_compile.c */
int rl_prepare(struct rl_node *n);   /* indexes, lowercased literals; -ENOMEM */

/* rule_eval.c */
/* fnmatch(3) with flags 0 on a counted string (see rule_eval.c). */
bool rl_glob_match(const char *pat, const char *s, size_t n);
/* One predicate on a value, as evaluation does it (for rule_compile.c). */
bool rl_eval_pred(const struct rl_node *nd, const struct rl_val *v);
