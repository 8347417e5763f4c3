// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Evaluation of compiled conditions against one event, and glob matching.
 *
 * Semantics (traceed.rules(5) is written from this):
 *  - Absent values (an argument the event lacks or the kernel did not send,
 *    an unknown parent or executable) make every comparison false, `!=`
 *    included, like SQL NULL and like Falco with missing values; `exists`
 *    is false; `not (...)` inverts the result as usual, so
 *    `not proc.pname = bash` is true when the parent is unknown.
 *  - On a list (evt.arg.argv, evt.arg.env, proc.aname, proc.aexe) =,
 *    contains, icontains, startswith, endswith, glob, in and pmatch hold
 *    when any item does; `!=` is the negation of `=` (no item equals).
 *  - A value whose type does not fit the comparison at run time (possible
 *    only where events disagree on an argument's type, see rule_fields.c)
 *    compares false; `!=` is still the negation of `=`.
 *  - glob is fnmatch(3) with flags 0: `*` and `?` match '/' and a leading
 *    '.', `[...]` classes and `\` escapes as usual.  Paths are better
 *    matched with pmatch or startswith; glob must not surprise people who
 *    know fnmatch or Falco.
 *  - pmatch (path match) holds when the value equals an item or lies under
 *    it: "/etc/cron.d/x" pmatch (/etc/cron.d) is true, "/etc/cron.daily"
 *    is not.  Trailing slashes of items are ignored; "/" matches every
 *    absolute path.
 *
 * Evaluation does not allocate: values point into the event, and the
 * scratch for the ancestor walk is on the stack.  The tree was prepared
 * once at compile time (rule_compile.c): long in/pmatch lists are indexed
 * (rule_index.c, which also holds the lookups in their items) and the
 * operands of and/or are ordered, cheap and decisive tests first.
 */
#include <ctype.h>
#include <string.h>

#include "rule_ast.h"

/* ---- glob -------------------------------------------------------------- */

static bool class_match(const char *name, size_t len, unsigned char c)
{
	static const struct {
		const char *name;
		int (*fn)(int);
	} classes[] = {
		{ "alnum", isalnum }, { "alpha", isalpha }, { "blank", isblank },
		{ "cntrl", iscntrl }, { "digit", isdigit }, { "graph", isgraph },
		{ "lower", islower }, { "print", isprint }, { "punct", ispunct },
		{ "space", isspace }, { "upper", isupper }, { "xdigit", isxdigit },
	};

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i].name) == len && memcmp(classes[i].name, name, len) == 0)
			return classes[i].fn(c) != 0;
	return false;
}

/*
 * A bracket expression; @p points after '['.  Returns the pattern after
 * the closing ']' with *m set, or NULL when there is no closing ']' (then
 * fnmatch takes the '[' literally).
 */
static const char *bracket(const char *p, unsigned char c, bool *m)
{
	bool neg = false, hit = false;
	const char *first;

	if (*p == '!' || *p == '^') {
		neg = true;
		p++;
	}
	first = p;
	while (*p && (*p != ']' || p == first)) {
		unsigned char lo, hi;

		if (p[0] == '[' && p[1] == ':') {
			const char *end = strstr(p + 2, ":]");

			if (end) {
				hit |= class_match(p + 2, (size_t)(end - p - 2), c);
				p = end + 2;
				continue;
			}
		}
		if (*p == '\\' && p[1])
			p++;
		lo = hi = (unsigned char)*p++;
		if (p[0] == '-' && p[1] && p[1] != ']') {
			p++;
			if (*p == '\\' && p[1])
				p++;
			hi = (unsigned char)*p++;
		}
		if (lo <= c && c <= hi)
			hit = true;
	}
	if (*p != ']')
		return NULL;
	*m = hit != neg;
	return p + 1;
}

bool rl_glob_match(const char *pat, const char *s, size_t n)
{
	const char *p = pat, *star_p = NULL;
	size_t i = 0, star_i = 0;

	/* Iterative with one backtrack point: on a mismatch after a '*', let
	 * the star eat one more byte.  At worst O(pattern x string), never
	 * exponential like naive recursion. */
	while (*p || i < n) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_i = i;
			continue;
		}
		if (*p && i < n) {
			const char *q;
			bool m;

			switch (*p) {
			case '?':
				p++;
				i++;
				continue;
			case '[':
				q = bracket(p + 1, (unsigned char)s[i], &m);
				if (q) {
					if (m) {
						p = q;
						i++;
						continue;
					}
					break;
				}
				goto literal;
			case '\\':
				/* a trailing backslash makes the pattern invalid,
				 * and fnmatch then matches nothing */
				if (!p[1])
					return false;
				if (s[i] == p[1]) {
					p += 2;
					i++;
					continue;
				}
				break;
			default:
			literal:
				if (s[i] == *p) {
					p++;
					i++;
					continue;
				}
				break;
			}
		}
		if (star_p && star_i < n) {
			p = star_p;
			i = ++star_i;
			continue;
		}
		return false;
	}
	return true;
}

/* ---- evaluation -------------------------------------------------------- */

static bool icontains(const struct rl_lit *l, const char *p, size_t n)
{
	if (l->len > n)
		return false;
	for (size_t i = 0; i + l->len <= n; i++) {
		size_t j = 0;

		while (j < l->len && tolower((unsigned char)p[i + j]) == (unsigned char)l->lower[j])
			j++;
		if (j == l->len)
			return true;
	}
	return false;
}

/* memmem for the short needles of conditions: scan for the first and last
 * bytes, then compare the rest. */
static bool contains(const struct rl_lit *l, const char *p, size_t n)
{
	size_t m = l->len;
	unsigned char c0, cl;

	if (m == 0)
		return true;
	if (m > n)
		return false;
	if (m > 16)
		return memmem(p, n, l->s, m) != NULL;
	c0 = (unsigned char)l->s[0];
	cl = (unsigned char)l->s[m - 1];
	for (size_t i = 0; i + m <= n; i++)
		if ((unsigned char)p[i] == c0 && (unsigned char)p[i + m - 1] == cl &&
		    memcmp(p + i + 1, l->s + 1, m - 1) == 0)
			return true;
	return false;
}

/* One text value against a predicate (!= is handled by the caller). */
static bool str_match(const struct rl_node *nd, enum rl_op op, const char *p, size_t n)
{
	const struct rl_lit *l = nd->lits;

	switch (op) {
	case RL_OP_EQ:
		return rl_lit_eq(l, p, n);
	case RL_OP_CONTAINS:
		return contains(l, p, n);
	case RL_OP_ICONTAINS:
		return icontains(l, p, n);
	case RL_OP_STARTSWITH:
		return n >= l->len && memcmp(p, l->s, l->len) == 0;
	case RL_OP_ENDSWITH:
		return n >= l->len && memcmp(p + n - l->len, l->s, l->len) == 0;
	case RL_OP_GLOB:
		/* the pattern's literal start must start the value */
		if (n < nd->glob_lit || memcmp(p, l->s, nd->glob_lit) != 0)
			return false;
		return rl_glob_match(l->s, p, n);
	case RL_OP_IN:
		return rl_in_str(nd, p, n);
	case RL_OP_PMATCH:
		return rl_pmatch(nd, p, n);
	default: /* < <= > >= on text: only reachable with mixed-type args */
		return false;
	}
}

static bool num_match(const struct rl_node *nd, enum rl_op op, int64_t x)
{
	const struct rl_lit *l = nd->lits;

	switch (op) {
	case RL_OP_EQ:
		return l->num_ok && x == l->num;
	case RL_OP_LT:
		return l->num_ok && x < l->num;
	case RL_OP_LE:
		return l->num_ok && x <= l->num;
	case RL_OP_GT:
		return l->num_ok && x > l->num;
	case RL_OP_GE:
		return l->num_ok && x >= l->num;
	case RL_OP_IN:
		return rl_in_num(nd, x);
	default: /* string operators on a number: only with mixed-type args */
		return false;
	}
}

static bool list_any(const struct rl_node *nd, enum rl_op op, const struct rl_val *v)
{
	struct rl_item_it it;
	const char *p;
	size_t n;

	rl_items(&it, v);
	while (rl_item_next(&it, &p, &n))
		if (str_match(nd, op, p, n))
			return true;
	return false;
}

static bool eval_pred(const struct rl_node *nd, const struct rl_val *v)
{
	enum rl_op op = nd->op;
	bool negate = false;

	if (v->type == TE_RV_NONE)
		return false;
	if (op == RL_OP_EXISTS)
		return true;
	if (op == RL_OP_NE) {
		/* the negation of = on the same (present) value */
		op = RL_OP_EQ;
		negate = true;
	}
	switch (v->type) {
	case TE_RV_NUM:
		return num_match(nd, op, v->num) != negate;
	case TE_RV_STR:
		return str_match(nd, op, v->str, v->len) != negate;
	case TE_RV_LIST:
		return list_any(nd, op, v) != negate;
	default:
		return false;
	}
}

/* eval_pred for the compile-time analyses (rule_compile.c); evaluation
 * itself calls the static function, which the compiler may inline. */
bool rl_eval_pred(const struct rl_node *nd, const struct rl_val *v)
{
	return eval_pred(nd, v);
}

static bool eval(const struct rl_node *nd, const struct te_rule_event *ev, struct rl_scratch *s)
{
	struct rl_val v;

	switch (nd->kind) {
	case RL_N_AND:
		for (size_t i = 0; i < nd->nkids; i++)
			if (!eval(nd->kids[i], ev, s))
				return false;
		return true;
	case RL_N_OR:
		for (size_t i = 0; i < nd->nkids; i++)
			if (eval(nd->kids[i], ev, s))
				return true;
		return false;
	case RL_N_NOT:
		return !eval(nd->kids[0], ev, s);
	case RL_N_PRED:
		rl_field_get(&nd->field, ev, s, &v);
		return eval_pred(nd, &v);
	}
	return false;
}

bool rl_eval(const struct te_expr *e, const struct te_rule_event *ev, struct rl_scratch *s)
{
	return e && ev && eval(e->root, ev, s);
}

bool te_expr_eval(const struct te_expr *e, const struct te_rule_event *ev)
{
	struct rl_scratch s;

	if (!e || !ev)
		return false;
	rl_scratch_init(&s);
	return eval(e->root, ev, &s);
}
