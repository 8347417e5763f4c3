// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Compiled conditions: evaluation against one event, and the set of event
 * types a condition can match.
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
 *  - te_expr_events: evt.name/evt.type/evt.id predicates are evaluated on
 *    every event type, so =, in, !=, startswith... restrict exactly;
 *    predicates on evt.arg.NAME and fd.* restrict to the events that have
 *    the argument (and, except for != and exists, whose type can satisfy
 *    the comparison); `and` intersects, `or` unites, `not` gives all events
 *    (the complement of a superset says nothing), other fields all events.
 *
 * Evaluation does not allocate: values point into the event, and the
 * scratch for the ancestor walk is on the stack.  Long in/pmatch lists are
 * hashed (strings) or sorted (numbers) once at compile time.  Evaluation
 * has no side effects, so the operands of and/or are reordered at compile
 * time, cheap and decisive tests first (see order_kids).
 *
 * rl_expr_keys gives te_ruleset_match's prefilter (rule_set.c) the text
 * tests a condition cannot hold without on an event type.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rule_ast.h"
#include "grow.h"

/* Up to this many items a linear scan beats hashing. */
#define LINEAR_MAX 8

struct rl_index {
	uint32_t *slots;   /* open addressing; lit index + 1, 0 empty */
	size_t mask;
	int64_t *nums;     /* sorted numbers of the numeric items */
	size_t nnums;
	bool has_root;     /* pmatch: an item is "/" */
};

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

/* ---- indexes ----------------------------------------------------------- */

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void rl_index_free(struct rl_index *idx)
{
	if (!idx)
		return;
	free(idx->slots);
	free(idx->nums);
	free(idx);
}

static int build_index(struct rl_node *n)
{
	struct rl_index *idx = calloc(1, sizeof(*idx));
	size_t size = 16;

	if (!idx)
		return -ENOMEM;
	while (size < n->nlits * 2)
		size *= 2;
	idx->slots = calloc(size, sizeof(*idx->slots));
	idx->nums = malloc(n->nlits * sizeof(*idx->nums));
	if (!idx->slots || !idx->nums) {
		rl_index_free(idx);
		return -ENOMEM;
	}
	idx->mask = size - 1;
	for (size_t i = 0; i < n->nlits; i++) {
		const struct rl_lit *l = &n->lits[i];
		size_t h = hash(l->s, l->len) & idx->mask;

		if (n->op == RL_OP_PMATCH && l->len == 1 && l->s[0] == '/')
			idx->has_root = true;
		if (l->num_ok)
			idx->nums[idx->nnums++] = l->num;
		while (idx->slots[h])
			h = (h + 1) & idx->mask;
		idx->slots[h] = (uint32_t)i + 1;
	}
	qsort(idx->nums, idx->nnums, sizeof(*idx->nums), cmp_i64);
	n->idx = idx;
	return 0;
}

static uint64_t len_bit(size_t len)
{
	return 1ull << (len < 63 ? len : 63);
}

/* ---- ordering ----------------------------------------------------------- */

/*
 * Evaluation has no side effects, so the kids of an and/or may be
 * evaluated in any order: cheap and decisive tests first.  An and is
 * ordered by cost / P(false), an or by cost / P(true) (the expected cost
 * of the chain is then minimal, for independent tests).  The figures are
 * rough guesses; only their order matters.
 */
static float field_cost(const struct rl_field *f)
{
	switch (f->id) {
	case RL_F_PROC_ANAME:
	case RL_F_PROC_AEXE:
		return f->indexed && f->index == 0 ? 2 : f->indexed ? 10 : 30;
	case RL_F_PROC_PNAME:
	case RL_F_PROC_PEXE:
	case RL_F_PROC_PCMDLINE:
	case RL_F_USER_NAME:
		return 8;
	case RL_F_PROC_CMDLINE:
	case RL_F_PROC_ARGS:
	case RL_F_PROC_EXE:
	case RL_F_CONTAINER_ID:
	case RL_F_HOST_NAME:
	case RL_F_EVT_NAME:
		return 3;
	default:
		return 1;
	}
}

static void estimate(struct rl_node *n)
{
	float c = 0, p;

	switch (n->kind) {
	case RL_N_NOT:
		n->cost = n->kids[0]->cost;
		n->pass = 1 - n->kids[0]->pass;
		return;
	case RL_N_AND:
	case RL_N_OR:
		/* expected cost of the (ordered) chain */
		p = 1;
		for (size_t i = 0; i < n->nkids; i++) {
			c += p * n->kids[i]->cost;
			p *= n->kind == RL_N_AND ? n->kids[i]->pass : 1 - n->kids[i]->pass;
		}
		n->cost = c;
		n->pass = n->kind == RL_N_AND ? p : 1 - p;
		return;
	case RL_N_PRED:
		break;
	}
	c = field_cost(&n->field);
	switch (n->op) {
	case RL_OP_EXISTS:
		p = 0.9f;
		break;
	case RL_OP_NE:
		c += 1;
		p = 0.9f;
		break;
	case RL_OP_EQ:
		c += 1;
		p = 0.1f;
		break;
	case RL_OP_LT:
	case RL_OP_LE:
	case RL_OP_GT:
	case RL_OP_GE:
		c += 1;
		p = 0.5f;
		break;
	case RL_OP_STARTSWITH:
	case RL_OP_ENDSWITH:
		c += 2;
		p = 0.1f;
		break;
	case RL_OP_IN:
	case RL_OP_PMATCH:
		c += n->idx ? 4 : 1 + (float)n->nlits / 2;
		p = 0.1f;
		break;
	case RL_OP_CONTAINS:
		c += 6;
		p = 0.3f;
		break;
	case RL_OP_GLOB:
		c += n->glob_lit > 1 ? 3 : 15;
		p = n->glob_lit > 1 ? 0.1f : 0.2f;
		break;
	default: /* icontains */
		c += 15;
		p = 0.2f;
		break;
	}
	/* the event type is known from the index: these mostly hold */
	if (n->field.id == RL_F_EVT_NAME || n->field.id == RL_F_EVT_ID)
		p = n->op == RL_OP_NE ? 0.05f : 0.95f;
	if (n->field.types & RL_TY_LIST)
		c *= 4;
	n->cost = c;
	n->pass = p;
}

static float order_key(const struct rl_node *parent, const struct rl_node *kid)
{
	float decisive = parent->kind == RL_N_AND ? 1 - kid->pass : kid->pass;

	return kid->cost / (decisive > 0.001f ? decisive : 0.001f);
}

static void order_kids(struct rl_node *n)
{
	/* insertion sort: stable, and lists are short */
	for (size_t i = 1; i < n->nkids; i++) {
		struct rl_node *k = n->kids[i];
		float key = order_key(n, k);
		size_t j = i;

		while (j > 0 && order_key(n, n->kids[j - 1]) > key) {
			n->kids[j] = n->kids[j - 1];
			j--;
		}
		n->kids[j] = k;
	}
}

int rl_prepare(struct rl_node *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (rl_prepare(n->kids[i]) < 0)
			return -ENOMEM;
	if (n->kind == RL_N_AND || n->kind == RL_N_OR)
		order_kids(n);
	if (n->kind != RL_N_PRED) {
		estimate(n);
		return 0;
	}
	if (n->op == RL_OP_PMATCH) {
		/* "/etc/" and "/etc" name the same directory. */
		for (size_t i = 0; i < n->nlits; i++)
			while (n->lits[i].len > 1 && n->lits[i].s[n->lits[i].len - 1] == '/')
				n->lits[i].s[--n->lits[i].len] = '\0';
	}
	if (n->op == RL_OP_GLOB)
		n->glob_lit = strcspn(n->lits[0].s, "*?[\\");
	if (n->op == RL_OP_IN || n->op == RL_OP_PMATCH)
		for (size_t i = 0; i < n->nlits; i++)
			n->lenmask |= len_bit(n->lits[i].len);
	if (n->op == RL_OP_ICONTAINS) {
		struct rl_lit *l = &n->lits[0];

		l->lower = malloc(l->len + 1);
		if (!l->lower)
			return -ENOMEM;
		for (size_t i = 0; i <= l->len; i++)
			l->lower[i] = (char)tolower((unsigned char)l->s[i]);
	}
	if ((n->op == RL_OP_IN || n->op == RL_OP_PMATCH) && n->nlits > LINEAR_MAX &&
	    n->nlits < UINT32_MAX && build_index(n) < 0)
		return -ENOMEM;
	estimate(n);
	return 0;
}

/* ---- evaluation -------------------------------------------------------- */

static bool lit_eq(const struct rl_lit *l, const char *p, size_t n)
{
	return l->len == n && memcmp(l->s, p, n) == 0;
}

static bool set_has_str(const struct rl_node *nd, const char *p, size_t n)
{
	const struct rl_index *idx = nd->idx;

	if (!(nd->lenmask & len_bit(n)))
		return false; /* no item is that long */
	if (!idx) {
		for (size_t i = 0; i < nd->nlits; i++)
			if (lit_eq(&nd->lits[i], p, n))
				return true;
		return false;
	}
	for (size_t h = hash(p, n) & idx->mask; idx->slots[h]; h = (h + 1) & idx->mask)
		if (lit_eq(&nd->lits[idx->slots[h] - 1], p, n))
			return true;
	return false;
}

static bool set_has_num(const struct rl_node *nd, int64_t x)
{
	const struct rl_index *idx = nd->idx;

	if (!idx) {
		for (size_t i = 0; i < nd->nlits; i++)
			if (nd->lits[i].num_ok && nd->lits[i].num == x)
				return true;
		return false;
	}
	return bsearch(&x, idx->nums, idx->nnums, sizeof(x), cmp_i64) != NULL;
}

static bool pmatch(const struct rl_node *nd, const char *p, size_t n)
{
	if (!nd->idx) {
		for (size_t i = 0; i < nd->nlits; i++) {
			const struct rl_lit *l = &nd->lits[i];

			if (l->len == 0) {
				if (n == 0)
					return true;
				continue;
			}
			if (l->len == 1 && l->s[0] == '/') {
				if (n && p[0] == '/')
					return true;
				continue;
			}
			if (n >= l->len && memcmp(p, l->s, l->len) == 0 &&
			    (n == l->len || p[l->len] == '/'))
				return true;
		}
		return false;
	}
	/* Look up the value and each of its directory prefixes. */
	if (nd->idx->has_root && n && p[0] == '/')
		return true;
	if (set_has_str(nd, p, n))
		return true;
	for (size_t i = 1; i < n; i++)
		if (p[i] == '/' && (nd->lenmask & len_bit(i)) && set_has_str(nd, p, i))
			return true;
	return false;
}

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
		return lit_eq(l, p, n);
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
		return set_has_str(nd, p, n);
	case RL_OP_PMATCH:
		return pmatch(nd, p, n);
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
		return set_has_num(nd, x);
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

/* ---- compile ----------------------------------------------------------- */

struct te_expr *te_rl_compile(const struct te_rl_defs *d, const char *condition,
			      const struct te_src_loc *loc, struct te_rl_error *err)
{
	struct rl_seg seg = { .off = 0, .loc = { NULL, 1, 1 } };
	struct rl_src src = { .text = condition ? condition : "", .segs = &seg, .nsegs = 1 };
	struct rl_node *root;
	struct te_expr *e;

	if (loc)
		seg.loc = *loc;
	src.len = strlen(src.text);
	root = rl_parse(d, &src, err);
	if (!root)
		return NULL;
	e = malloc(sizeof(*e));
	if (!e || rl_prepare(root) < 0) {
		free(e);
		rl_node_free(root);
		rl_error_at(err, &src, 0, "out of memory");
		return NULL;
	}
	e->root = root;
	return e;
}

void te_expr_free(struct te_expr *e)
{
	if (!e)
		return;
	rl_node_free(e->root);
	free(e);
}

/* ---- event types -------------------------------------------------------- */

/* Can the predicate hold for a present value of type @t? */
static bool type_possible(const struct rl_node *nd, enum te_rv_type t)
{
	if (nd->op == RL_OP_EXISTS || nd->op == RL_OP_NE)
		return true;
	if (t == TE_RV_NUM) {
		switch (nd->op) {
		case RL_OP_EQ:
			return nd->lits[0].num_ok;
		case RL_OP_LT:
		case RL_OP_LE:
		case RL_OP_GT:
		case RL_OP_GE:
			return true;
		case RL_OP_IN:
			for (size_t i = 0; i < nd->nlits; i++)
				if (nd->lits[i].num_ok)
					return true;
			return false;
		default:
			return false;
		}
	}
	return !(nd->op == RL_OP_LT || nd->op == RL_OP_LE || nd->op == RL_OP_GT ||
		 nd->op == RL_OP_GE);
}

/*
 * Can the predicate be true on an event of type @d?  (A superset; exact for
 * evt.name, evt.type and evt.id, which depend on the event type alone and
 * are simply evaluated on the type.)
 */
static bool pred_on(const struct rl_node *nd, const struct te_event_desc *d)
{
	enum te_rv_type t;

	if (nd->field.id == RL_F_EVT_NAME || nd->field.id == RL_F_EVT_ID) {
		struct te_rule_event ev = {
			.desc = d, .comm = "", .exe = "", .cmdline = "",
			.container_id = "", .hostname = "",
		};
		struct rl_scratch s;
		struct rl_val v;

		rl_scratch_init(&s);
		rl_field_get(&nd->field, &ev, &s, &v);
		return eval_pred(nd, &v);
	}
	return rl_field_on_event(&nd->field, d, &t) && (t == TE_RV_NONE || type_possible(nd, t));
}

/* Events on which the predicate can be true. */
static void pred_events(const struct rl_node *nd, bool out[TE_EV_MAX])
{
	const struct te_event_desc *tab;
	size_t n;

	tab = te_event_table(&n);
	for (size_t i = 0; i < n; i++)
		if (tab[i].id < TE_EV_MAX)
			out[tab[i].id] = pred_on(nd, &tab[i]);
}

static void all_events(bool out[TE_EV_MAX])
{
	const struct te_event_desc *tab;
	size_t n;

	tab = te_event_table(&n);
	for (size_t i = 0; i < n; i++)
		if (tab[i].id < TE_EV_MAX)
			out[tab[i].id] = true;
}

static void node_events(const struct rl_node *nd, bool out[TE_EV_MAX])
{
	bool kid[TE_EV_MAX];

	memset(out, 0, TE_EV_MAX * sizeof(bool));
	switch (nd->kind) {
	case RL_N_NOT:
		/* The complement of a superset says nothing. */
		all_events(out);
		break;
	case RL_N_PRED:
		pred_events(nd, out);
		break;
	case RL_N_AND:
		all_events(out);
		for (size_t i = 0; i < nd->nkids; i++) {
			node_events(nd->kids[i], kid);
			for (size_t j = 0; j < TE_EV_MAX; j++)
				out[j] = out[j] && kid[j];
		}
		break;
	case RL_N_OR:
		for (size_t i = 0; i < nd->nkids; i++) {
			node_events(nd->kids[i], kid);
			for (size_t j = 0; j < TE_EV_MAX; j++)
				out[j] = out[j] || kid[j];
		}
		break;
	}
}

void te_expr_events(const struct te_expr *e, bool out[TE_EV_MAX])
{
	if (!e) {
		memset(out, 0, TE_EV_MAX * sizeof(bool));
		all_events(out);
		return;
	}
	node_events(e->root, out);
}

/* ---- prefilter keys ----------------------------------------------------- */

bool rl_field_same(const struct rl_field *a, const struct rl_field *b, const struct te_event_desc *d)
{
	if (a->id != b->id || a->indexed != b->indexed || (a->indexed && a->index != b->index))
		return false;
	if (a->uses_arg != b->uses_arg)
		return false;
	return !a->uses_arg || (d->id < TE_EV_MAX && a->argidx[d->id] == b->argidx[d->id]);
}

/* Is the field's value, when present on events of type @d, always text? */
static bool key_field(const struct rl_field *f, const struct te_event_desc *d)
{
	switch (f->id) {
	case RL_F_EVT_NAME: /* constant per event type: says nothing */
	case RL_F_EVT_ID:
		return false;
	case RL_F_EVT_ARG: {
		int a = d->id < TE_EV_MAX ? f->argidx[d->id] : -1;

		return a >= 0 && a < d->nargs && te_rv_type_of_fmt(d->args[a].fmt) == TE_RV_STR;
	}
	default:
		return f->types == RL_TY_STR;
	}
}

static int keys_push(struct rl_fkeys *k, const struct rl_field *f, enum rl_fkey_kind kind,
		     const char *s, size_t len)
{
	if (te_grow((void **)&k->v, &k->cap, k->n, sizeof(*k->v), 8) < 0)
		return -ENOMEM;
	k->v[k->n++] = (struct rl_fkey){ f, kind, s, len };
	return 0;
}

static void keys_reset(struct rl_fkeys *k, bool all)
{
	k->n = 0;
	k->all = all;
}

static int pred_keys(const struct rl_node *nd, const struct te_event_desc *d, struct rl_fkeys *out)
{
	const struct rl_field *f = &nd->field;
	int r = 0;

	if (!pred_on(nd, d))
		return 0; /* never true: no keys */
	if (!key_field(f, d)) {
		out->all = true;
		return 0;
	}
	switch (nd->op) {
	case RL_OP_EQ:
		return keys_push(out, f, RL_FKEY_EXACT, nd->lits[0].s, nd->lits[0].len);
	case RL_OP_STARTSWITH:
		return keys_push(out, f, RL_FKEY_PREFIX, nd->lits[0].s, nd->lits[0].len);
	case RL_OP_IN:
		for (size_t i = 0; i < nd->nlits && r == 0; i++)
			r = keys_push(out, f, RL_FKEY_EXACT, nd->lits[i].s, nd->lits[i].len);
		return r;
	case RL_OP_PMATCH:
		/* see pmatch(): "/" holds for every absolute path, "" only
		 * for "", others for the item and what lies under it */
		for (size_t i = 0; i < nd->nlits && r == 0; i++) {
			const struct rl_lit *l = &nd->lits[i];

			if (l->len == 1 && l->s[0] == '/')
				r = keys_push(out, f, RL_FKEY_PREFIX, l->s, 1);
			else
				r = keys_push(out, f, l->len ? RL_FKEY_PATH : RL_FKEY_EXACT, l->s,
					      l->len);
		}
		return r;
	case RL_OP_GLOB: {
		/* the literal text before the first special character must
		 * start the value; without one the pattern is the value */
		size_t n = strcspn(nd->lits[0].s, "*?[\\");

		return keys_push(out, f, nd->lits[0].s[n] ? RL_FKEY_PREFIX : RL_FKEY_EXACT,
				 nd->lits[0].s, n);
	}
	default:
		out->all = true;
		return 0;
	}
}

static int node_keys(const struct rl_node *nd, const struct te_event_desc *d, struct rl_fkeys *out)
{
	struct rl_fkeys best = { 0 }, tmp = { 0 };
	bool have = false;
	int r = 0;

	keys_reset(out, false);
	switch (nd->kind) {
	case RL_N_PRED:
		return pred_keys(nd, d, out);
	case RL_N_NOT:
		out->all = true;
		return 0;
	case RL_N_AND:
		/* any one kid's keys will do: the one with the fewest */
		for (size_t i = 0; i < nd->nkids && r == 0; i++) {
			r = node_keys(nd->kids[i], d, &tmp);
			if (r < 0 || tmp.all)
				continue;
			if (tmp.n == 0) { /* this kid never holds: nor does the and */
				have = false;
				keys_reset(&best, false);
				out->all = false;
				free(tmp.v);
				free(best.v);
				return 0;
			}
			if (!have || tmp.n < best.n) {
				struct rl_fkeys x = best;

				best = tmp;
				tmp = x;
				have = true;
			}
		}
		free(tmp.v);
		if (r < 0 || !have) {
			free(best.v);
			out->all = true;
			return r;
		}
		free(out->v);
		*out = best;
		return 0;
	case RL_N_OR:
		for (size_t i = 0; i < nd->nkids && r == 0; i++) {
			r = node_keys(nd->kids[i], d, &tmp);
			if (r < 0)
				break;
			if (tmp.all) {
				out->all = true;
				break;
			}
			for (size_t j = 0; j < tmp.n && r == 0; j++)
				r = keys_push(out, tmp.v[j].field, tmp.v[j].kind, tmp.v[j].s,
					      tmp.v[j].len);
		}
		free(tmp.v);
		if (out->all)
			out->n = 0;
		return r;
	}
	return 0;
}

int rl_expr_keys(const struct te_expr *e, const struct te_event_desc *d, struct rl_fkeys *out)
{
	int r;

	if (!e || !d) {
		keys_reset(out, true);
		return 0;
	}
	r = node_keys(e->root, d, out);
	if (r < 0)
		keys_reset(out, true);
	return r;
}
