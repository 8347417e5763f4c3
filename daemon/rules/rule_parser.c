// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parser of conditions: tokens -> syntax tree, by recursive descent.
 *
 *   or_expr   := and_expr ("or" and_expr)*
 *   and_expr  := unary ("and" unary)*
 *   unary     := "not" unary | primary
 *   primary   := "(" or_expr ")" | predicate | MACRO
 *   predicate := FIELD ("=" | "!=" | "<" | "<=" | ">" | ">=" | "contains"
 *                       | "icontains" | "startswith" | "endswith" | "glob")
 *                      value
 *              | FIELD ("in" | "pmatch") ("(" [value ("," value)*] ")" | LIST)
 *              | FIELD "exists"
 *
 * Everything that can be checked without an event is checked here, so that
 * a rule file either loads or says precisely what is wrong with it: field
 * names, that the operator fits the field's type, that numbers are numbers,
 * that evt.name names an event.  A word is a predicate's field when an
 * operator follows it, and a macro otherwise; so macro names and field
 * names never clash.
 *
 * Values: "double" or 'single' quoted strings (\" \' \\ are the escapes;
 * other backslashes stay, for glob patterns), or bare words.  A bare word
 * names a list inside in/pmatch operands, and is a plain string otherwise.
 * Any literal that reads as a number is also kept as one: decimal, 0x hex,
 * 0o octal, and a leading 0 means octal (0755, as chmod and C read it);
 * true and false are 1 and 0, for BOOL arguments.  Numbers are 64-bit; an
 * unsigned value above INT64_MAX compares by bit pattern, as arguments are
 * stored.  A number field (proc.pid) rejects a literal that is not one.
 *
 * Macros are parsed from their text at each use and the result inlined.
 * The chain of macros being expanded is kept on the stack to report a
 * macro that uses itself, and one depth counter (parentheses, not, macros)
 * bounds the recursion, since rule files are input.
 *
 * The tree is prepared for evaluation by rule_compile.c; rl_node_free
 * frees a tree, with the in/pmatch indexes (rule_index.c) rl_prepare built.
 * The parser calls neither the compiler nor evaluation.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rule_ast.h"

#define MAX_DEPTH 100
/*
 * What one condition may expand to, macros inlined: nodes plus list items.
 * A macro used twice in a macro used twice... doubles at each level, and
 * forty levels would ask for 2^40 nodes; the default rules' largest
 * condition is a few hundred.  Counted across the nested parsers of macro
 * uses through parser.budget.
 */
#define MAX_EXPANSION 200000u

struct expansion {
	const char *name;
	const struct expansion *up;
};

struct parser {
	const struct te_rl_defs *d;
	const struct rl_src *src;
	struct rl_token *toks;
	size_t ntoks, pos;
	struct te_rl_error *err;
	unsigned depth;
	const struct expansion *exp;
	unsigned *budget;       /* nodes and list items left (MAX_EXPANSION) */
	bool failed;
};

static const struct {
	const char *text;
	enum rl_op op;
} op_words[] = {
	{ "=", RL_OP_EQ },
	{ "!=", RL_OP_NE },
	{ "<", RL_OP_LT },
	{ "<=", RL_OP_LE },
	{ ">", RL_OP_GT },
	{ ">=", RL_OP_GE },
	{ "contains", RL_OP_CONTAINS },
	{ "icontains", RL_OP_ICONTAINS },
	{ "startswith", RL_OP_STARTSWITH },
	{ "endswith", RL_OP_ENDSWITH },
	{ "glob", RL_OP_GLOB },
	{ "pmatch", RL_OP_PMATCH },
	{ "in", RL_OP_IN },
	{ "exists", RL_OP_EXISTS },
};

const char *rl_op_name(enum rl_op op)
{
	for (size_t i = 0; i < sizeof(op_words) / sizeof(op_words[0]); i++)
		if (op_words[i].op == op)
			return op_words[i].text;
	return "?";
}

/* Is token @t an operator?  *op gets which. */
static bool tok_op(const struct rl_src *src, const struct rl_token *t, enum rl_op *op)
{
	if (t->kind != RL_T_OP && t->kind != RL_T_WORD)
		return false;
	for (size_t i = 0; i < sizeof(op_words) / sizeof(op_words[0]); i++) {
		if (strlen(op_words[i].text) == t->len &&
		    memcmp(op_words[i].text, src->text + t->off, t->len) == 0) {
			*op = op_words[i].op;
			return true;
		}
	}
	return false;
}

/* ---- numbers ----------------------------------------------------------- */

bool rl_parse_number(const char *s, size_t len, int64_t *out)
{
	bool neg = false;
	unsigned base = 10;
	uint64_t v = 0, limit;
	size_t i = 0;

	if (len == 4 && memcmp(s, "true", 4) == 0) {
		*out = 1;
		return true;
	}
	if (len == 5 && memcmp(s, "false", 5) == 0) {
		*out = 0;
		return true;
	}
	if (i < len && s[i] == '-') {
		neg = true;
		i++;
	}
	if (i + 1 < len && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	} else if (i + 1 < len && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O')) {
		base = 8;
		i += 2;
	} else if (i + 1 < len && s[i] == '0') {
		base = 8; /* 0755, as chmod and C read it */
		i += 1;
	}
	if (i >= len)
		return false;
	/* Values are 64-bit: unsigned ones up to UINT64_MAX (stored as their
	 * int64 bit pattern, like the arguments they are compared with),
	 * negative ones down to INT64_MIN. */
	limit = neg ? (uint64_t)INT64_MAX + 1 : UINT64_MAX;
	for (; i < len; i++) {
		unsigned dgt;
		char c = s[i];

		if (c >= '0' && c <= '9')
			dgt = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			dgt = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			dgt = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (dgt >= base || v > (limit - dgt) / base)
			return false;
		v = v * base + dgt;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* Does the text look like it was meant as a number (so that failing to
 * read it is a "bad number", not a word where a number was expected)? */
static bool looks_numeric(const char *s, size_t len)
{
	if (len && s[0] == '-') {
		s++;
		len--;
	}
	return len && isdigit((unsigned char)s[0]);
}

/* ---- tree -------------------------------------------------------------- */

static void lits_free(struct rl_lit *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].s);
		free(l[i].lower);
	}
	free(l);
}

void rl_node_free(struct rl_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		rl_node_free(n->kids[i]);
	free(n->kids);
	lits_free(n->lits, n->nlits);
	rl_index_free(n->idx);
	free(n);
}

/* ---- errors ------------------------------------------------------------ */

static const struct rl_token *cur(struct parser *p)
{
	return &p->toks[p->pos];
}

static void __attribute__((format(printf, 3, 4)))
fail_at(struct parser *p, const struct rl_token *t, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (p->failed)
		return; /* keep the first, innermost error */
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rl_error_at(p->err, p->src, t->off, "%s", msg);
}

/* "expected WHAT, found <current token>" */
static void expected(struct parser *p, const char *what)
{
	char found[80];

	rl_tok_describe(p->src, cur(p), found, sizeof(found));
	fail_at(p, cur(p), "expected %s, found %s", what, found);
}

static void oom(struct parser *p)
{
	fail_at(p, cur(p), "out of memory");
}

/* ---- building ---------------------------------------------------------- */

/* Take one unit of the expansion budget; false (and the error) when spent. */
static bool spend(struct parser *p)
{
	if (*p->budget == 0) {
		fail_at(p, cur(p),
			"condition too large: it expands to more than %u nodes and list items "
			"(a macro used many times inside macros used many times?)",
			MAX_EXPANSION);
		return false;
	}
	--*p->budget;
	return true;
}

static struct rl_node *node_new(struct parser *p, enum rl_kind kind)
{
	struct rl_node *n;

	if (!spend(p))
		return NULL;
	n = calloc(1, sizeof(*n));

	if (!n)
		oom(p);
	else
		n->kind = kind;
	return n;
}

static bool kid_add(struct parser *p, struct rl_node *n, struct rl_node *kid)
{
	struct rl_node **k = realloc(n->kids, (n->nkids + 1) * sizeof(*k));

	if (!k) {
		rl_node_free(kid);
		oom(p);
		return false;
	}
	n->kids = k;
	n->kids[n->nkids++] = kid;
	return true;
}

static const char *type_name(unsigned types)
{
	switch (types) {
	case RL_TY_NUM:
		return "a number";
	case RL_TY_STR:
		return "a string";
	case RL_TY_LIST:
		return "a list";
	case RL_TY_NUM | RL_TY_STR:
		return "a number or a string";
	case RL_TY_NUM | RL_TY_LIST:
		return "a number or a list";
	case RL_TY_STR | RL_TY_LIST:
		return "a string or a list";
	default:
		return "a number, a string or a list";
	}
}

static bool numeric_op(enum rl_op op)
{
	return op == RL_OP_LT || op == RL_OP_LE || op == RL_OP_GT || op == RL_OP_GE;
}

static bool string_op(enum rl_op op)
{
	return op == RL_OP_CONTAINS || op == RL_OP_ICONTAINS || op == RL_OP_STARTSWITH ||
	       op == RL_OP_ENDSWITH || op == RL_OP_GLOB || op == RL_OP_PMATCH;
}

/* Does the operator fit the field's type(s)? */
static bool check_op(struct parser *p, const struct rl_node *n, const struct rl_token *optok)
{
	const struct rl_field *f = &n->field;

	if (numeric_op(n->op) && !(f->types & RL_TY_NUM)) {
		fail_at(p, optok, "operator '%s' needs a number field; %s is %s", rl_op_name(n->op),
			f->name, type_name(f->types));
		return false;
	}
	if (string_op(n->op) && !(f->types & (RL_TY_STR | RL_TY_LIST))) {
		fail_at(p, optok, "operator '%s' needs a string field; %s is %s", rl_op_name(n->op),
			f->name, type_name(f->types));
		return false;
	}
	return true;
}

/* Must literals be numbers?  For <, <=, >, >= always; for = != in when the
 * field can be nothing else. */
static bool needs_number(const struct rl_node *n)
{
	return numeric_op(n->op) || n->field.types == RL_TY_NUM;
}

/* Append literal @s (@len bytes, taken over) to @n. */
static bool lit_add(struct parser *p, struct rl_node *n, char *s, size_t len)
{
	struct rl_lit *l;

	if (!s) {
		oom(p);
		return false;
	}
	if (!spend(p)) {
		free(s);
		return false;
	}
	l = realloc(n->lits, (n->nlits + 1) * sizeof(*l));
	if (!l) {
		free(s);
		oom(p);
		return false;
	}
	n->lits = l;
	l = &n->lits[n->nlits++];
	memset(l, 0, sizeof(*l));
	l->s = s;
	l->len = len;
	l->num_ok = rl_parse_number(s, len, &l->num);
	return true;
}

/* Check the literal just added (from token @t). */
static bool check_lit(struct parser *p, const struct rl_node *n, const struct rl_token *t,
		      const char *from_list)
{
	const struct rl_lit *l = &n->lits[n->nlits - 1];

	if (l->num_ok || !needs_number(n))
		return true;
	if (from_list)
		fail_at(p, t, "item '%s' of list '%s' is not a number (%s is %s)", l->s, from_list,
			n->field.name, type_name(n->field.types));
	else if (looks_numeric(l->s, l->len))
		fail_at(p, t, "bad number '%s': expected decimal, 0x hex or 0o octal", l->s);
	else
		fail_at(p, t, "expected a number (%s is %s), found '%s'", n->field.name,
			type_name(n->field.types), l->s);
	return false;
}

/* evt.name = X / in (...): at least one name must be an event, or the
 * predicate can never hold, which is surely a typo.  (Only one: Falco
 * lists of syscalls may name some that traceed does not trace.) */
static bool check_event_names(struct parser *p, const struct rl_node *n, const struct rl_token *t)
{
	if (n->field.id != RL_F_EVT_NAME ||
	    (n->op != RL_OP_EQ && n->op != RL_OP_NE && n->op != RL_OP_IN) || n->nlits == 0)
		return true;
	for (size_t i = 0; i < n->nlits; i++)
		if (te_event_by_name(n->lits[i].s))
			return true;
	if (n->nlits == 1)
		fail_at(p, t, "no event named '%s'", n->lits[0].s);
	else
		fail_at(p, t, "none of the names in the list is an event");
	return false;
}

/* A value token: WORD (not a keyword) or STRING. */
static bool is_value(struct parser *p, const struct rl_token *t)
{
	if (t->kind == RL_T_STRING)
		return true;
	return t->kind == RL_T_WORD && !rl_is_keyword(p->src->text + t->off, t->len);
}

static bool add_list_items(struct parser *p, struct rl_node *n, const struct rl_list *l,
			   const struct rl_token *t)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!lit_add(p, n, strdup(l->items[i]), strlen(l->items[i])) ||
		    !check_lit(p, n, t, l->name))
			return false;
	}
	return true;
}

/* in / pmatch operands: "(" values ")" or a list name. */
static bool parse_set(struct parser *p, struct rl_node *n)
{
	const struct rl_token *t = cur(p);
	const struct rl_list *l;

	if (t->kind == RL_T_WORD && (l = rl_defs_find_list(p->d, p->src->text + t->off, t->len))) {
		p->pos++;
		return add_list_items(p, n, l, t);
	}
	if (t->kind != RL_T_LPAREN) {
		expected(p, "'(' or a list name");
		return false;
	}
	p->pos++;
	if (cur(p)->kind == RL_T_RPAREN) {
		p->pos++;
		return true; /* in (): never true, as in Falco */
	}
	for (;;) {
		t = cur(p);
		if (!is_value(p, t)) {
			expected(p, "a value");
			return false;
		}
		p->pos++;
		l = t->kind == RL_T_WORD ? rl_defs_find_list(p->d, p->src->text + t->off, t->len)
					 : NULL;
		if (l) {
			if (!add_list_items(p, n, l, t))
				return false;
		} else {
			size_t len;
			char *s = rl_tok_value(p->src, t, &len);

			if (!lit_add(p, n, s, len) || !check_lit(p, n, t, NULL))
				return false;
		}
		if (cur(p)->kind == RL_T_COMMA) {
			p->pos++;
			continue;
		}
		if (cur(p)->kind == RL_T_RPAREN) {
			p->pos++;
			return true;
		}
		expected(p, "',' or ')'");
		return false;
	}
}

static struct rl_node *parse_predicate(struct parser *p)
{
	const struct rl_token *ft = cur(p), *optok, *vt;
	struct rl_node *n;
	char why[300];
	int r;

	n = node_new(p, RL_N_PRED);
	if (!n)
		return NULL;
	r = rl_field_parse(p->src->text + ft->off, ft->len, &n->field, why, sizeof(why));
	if (r == -EINVAL) {
		fail_at(p, ft, "%s", why);
		goto fail;
	}
	if (r < 0) {
		fail_at(p, ft, "unknown field '%.*s'", (int)ft->len, p->src->text + ft->off);
		goto fail;
	}
	p->pos++;
	optok = cur(p);
	if (!tok_op(p->src, optok, &n->op)) {
		expected(p, "an operator");
		goto fail;
	}
	p->pos++;
	if (!check_op(p, n, optok))
		goto fail;

	switch (n->op) {
	case RL_OP_EXISTS:
		break;
	case RL_OP_IN:
	case RL_OP_PMATCH:
		vt = cur(p);
		if (!parse_set(p, n) || !check_event_names(p, n, vt))
			goto fail;
		break;
	default: {
		size_t len;
		char *s;

		vt = cur(p);
		if (!is_value(p, vt)) {
			expected(p, "a value");
			goto fail;
		}
		p->pos++;
		s = rl_tok_value(p->src, vt, &len);
		if (!lit_add(p, n, s, len) || !check_lit(p, n, vt, NULL) ||
		    !check_event_names(p, n, vt))
			goto fail;
		break;
	}
	}
	return n;
fail:
	rl_node_free(n);
	return NULL;
}

static struct rl_node *parse_or(struct parser *p);

static bool enter(struct parser *p)
{
	if (++p->depth > MAX_DEPTH) {
		fail_at(p, cur(p), "condition nested too deeply (more than %d levels)", MAX_DEPTH);
		return false;
	}
	return true;
}

/* Parse a whole text (the condition, or a macro's) to the end. */
static struct rl_node *parse_all(struct parser *p)
{
	struct rl_node *n = parse_or(p);

	if (n && cur(p)->kind != RL_T_END) {
		expected(p, "'and', 'or' or end of condition");
		rl_node_free(n);
		return NULL;
	}
	return n;
}

static struct rl_node *parse_macro(struct parser *p, const struct rl_macro *m)
{
	const struct rl_token *t = cur(p);
	struct expansion e = { .name = m->name, .up = p->exp };
	struct rl_src src = {
		.text = m->text, .len = m->len, .segs = m->segs, .nsegs = m->nsegs, .macro = m->name,
	};
	struct parser sub = {
		.d = p->d, .src = &src, .err = p->err, .depth = p->depth, .exp = &e,
		.budget = p->budget,
	};
	struct rl_node *n;

	for (const struct expansion *x = p->exp; x; x = x->up) {
		if (strcmp(x->name, m->name) == 0) {
			/* The chain is linked innermost first; print it from the
			 * outermost use: "a -> b -> a". */
			const struct expansion *v[MAX_DEPTH + 1];
			char chain[300] = "";
			size_t nv = 0, len = 0;

			for (const struct expansion *y = p->exp; y && nv < MAX_DEPTH; y = y->up)
				v[nv++] = y;
			for (size_t i = nv; i-- > 0 && len < sizeof(chain);)
				len += (size_t)snprintf(chain + len, sizeof(chain) - len, "%s -> ",
							v[i]->name);
			if (len < sizeof(chain))
				snprintf(chain + len, sizeof(chain) - len, "%s", m->name);
			fail_at(p, t, "macro '%s' uses itself: %s", m->name, chain);
			return NULL;
		}
	}
	if (!enter(p))
		return NULL;
	sub.depth = p->depth;
	if (rl_lex(&src, &sub.toks, &sub.ntoks, p->err) < 0) {
		p->failed = true;
		return NULL;
	}
	n = parse_all(&sub);
	free(sub.toks);
	p->depth--;
	if (!n)
		p->failed = true;
	return n;
}

static struct rl_node *parse_primary(struct parser *p)
{
	const struct rl_token *t = cur(p);
	const struct rl_macro *m;
	enum rl_op op;
	struct rl_field f;

	if (t->kind == RL_T_LPAREN) {
		struct rl_node *n;

		if (!enter(p))
			return NULL;
		p->pos++;
		n = parse_or(p);
		p->depth--;
		if (!n)
			return NULL;
		if (cur(p)->kind != RL_T_RPAREN) {
			expected(p, "')'");
			rl_node_free(n);
			return NULL;
		}
		p->pos++;
		return n;
	}
	if (t->kind != RL_T_WORD || rl_is_keyword(p->src->text + t->off, t->len)) {
		expected(p, "a condition");
		return NULL;
	}
	/* An operator after the word: a predicate on a field. */
	if (tok_op(p->src, t + 1, &op))
		return parse_predicate(p);
	m = rl_defs_find_macro(p->d, p->src->text + t->off, t->len);
	if (m) {
		struct rl_node *n = parse_macro(p, m);

		if (n)
			p->pos++;
		return n;
	}
	if (rl_field_parse(p->src->text + t->off, t->len, &f, NULL, 0) == 0) {
		p->pos++;
		expected(p, "an operator");
	} else if (memchr(p->src->text + t->off, '.', t->len)) {
		fail_at(p, t, "unknown field '%.*s'", (int)t->len, p->src->text + t->off);
	} else {
		fail_at(p, t, "unknown macro '%.*s'", (int)t->len, p->src->text + t->off);
	}
	return NULL;
}

static struct rl_node *parse_unary(struct parser *p)
{
	struct rl_node *n, *kid;

	if (!rl_tok_is(p->src, cur(p), "not"))
		return parse_primary(p);
	if (!enter(p))
		return NULL;
	p->pos++;
	kid = parse_unary(p);
	p->depth--;
	if (!kid)
		return NULL;
	n = node_new(p, RL_N_NOT);
	if (!n || !kid_add(p, n, kid)) {
		if (!n)
			rl_node_free(kid);
		free(n);
		return NULL;
	}
	return n;
}

/* A run of @sub joined by keyword @kw; one operand is returned as is. */
static struct rl_node *parse_chain(struct parser *p, const char *kw, enum rl_kind kind,
				   struct rl_node *(*sub)(struct parser *))
{
	struct rl_node *first = sub(p), *n;

	if (!first || !rl_tok_is(p->src, cur(p), kw))
		return first;
	n = node_new(p, kind);
	if (!n || !kid_add(p, n, first)) {
		if (!n)
			rl_node_free(first);
		free(n);
		return NULL;
	}
	while (rl_tok_is(p->src, cur(p), kw)) {
		struct rl_node *k;

		p->pos++;
		k = sub(p);
		if (!k || !kid_add(p, n, k)) {
			rl_node_free(n);
			return NULL;
		}
	}
	return n;
}

static struct rl_node *parse_and(struct parser *p)
{
	return parse_chain(p, "and", RL_N_AND, parse_unary);
}

static struct rl_node *parse_or(struct parser *p)
{
	return parse_chain(p, "or", RL_N_OR, parse_and);
}

struct rl_node *rl_parse(const struct te_rl_defs *d, const struct rl_src *src,
			 struct te_rl_error *err)
{
	unsigned budget = MAX_EXPANSION;
	struct parser p = { .d = d, .src = src, .err = err, .budget = &budget };
	struct rl_node *n;

	if (rl_lex(src, &p.toks, &p.ntoks, err) < 0)
		return NULL;
	n = parse_all(&p);
	free(p.toks);
	return n;
}
