// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Compiling conditions: everything done once per condition, before any
 * event is evaluated.
 *
 *  - te_rl_compile parses (rule_parser.c) and prepares the tree;
 *    te_expr_free frees it.
 *  - rl_prepare: pmatch items lose their trailing slashes, glob patterns
 *    note their literal start, in/pmatch predicates get their length mask
 *    and, for long lists, their index (rule_index.c), icontains a lowercased
 *    literal; then cost and probability estimates, by which the operands of
 *    and/or are reordered, cheap and decisive tests first (see order_kids).
 *    Evaluation (rule_eval.c) has no side effects, so the order is free.
 *
 *  - te_expr_events: evt.name/evt.type/evt.id predicates are evaluated on
 *    every event type, so =, in, !=, startswith... restrict exactly;
 *    predicates on evt.arg.NAME and fd.* restrict to the events that have
 *    the argument (and, except for != and exists, whose type can satisfy
 *    the comparison); `and` intersects, `or` unites, `not` gives all events
 *    (the complement of a superset says nothing), other fields all events.
 *
 *  - rl_expr_keys gives te_ruleset_match's prefilter (rule_set.c) the text
 *    tests a condition cannot hold without on an event type.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rule_ast.h"
#include "grow.h"

/* Up to this many items a linear scan beats hashing. */
#define LINEAR_MAX 8

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
	/* a stat(2) the first time a process is asked (cached after) */
	case RL_F_PROC_EXE_VERIFIED:
	case RL_F_PROC_PEXE_VERIFIED:
		return 20;
	case RL_F_PROC_AEXE_VERIFIED:
		return f->indexed ? 20 : 40;
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
			n->lenmask |= rl_len_bit(n->lits[i].len);
	if (n->op == RL_OP_ICONTAINS) {
		struct rl_lit *l = &n->lits[0];

		l->lower = malloc(l->len + 1);
		if (!l->lower)
			return -ENOMEM;
		for (size_t i = 0; i <= l->len; i++)
			l->lower[i] = (char)tolower((unsigned char)l->s[i]);
	}
	if ((n->op == RL_OP_IN || n->op == RL_OP_PMATCH) && n->nlits > LINEAR_MAX &&
	    n->nlits < UINT32_MAX && rl_index_build(n) < 0)
		return -ENOMEM;
	estimate(n);
	return 0;
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
		return rl_eval_pred(nd, &v);
	}
	return rl_field_on_event(&nd->field, d, &t) && (t == TE_RV_NONE || type_possible(nd, t));
}

/*
 * Can an evt.retval predicate hold for a failed call (some retval < 0)?
 * Anything else about the return value (exists, a type error) can.
 */
static bool retval_can_fail(const struct rl_node *nd)
{
	for (size_t i = 0; i < nd->nlits; i++) {
		const struct rl_lit *l = &nd->lits[i];

		if (!l->num_ok)
			return true;
		switch (nd->op) {
		case RL_OP_EQ:
		case RL_OP_IN:
			if (l->num < 0)
				return true;
			break;
		case RL_OP_GT:
			if (l->num < -1)
				return true;
			break;
		case RL_OP_GE:
			if (l->num <= -1)
				return true;
			break;
		default:
			return true;  /* !=, <, <=: some negative value satisfies them */
		}
	}
	return nd->nlits == 0;
}

/* Events on which the predicate can be true (@failed: for a failed call). */
static void pred_events(const struct rl_node *nd, bool failed, bool out[TE_EV_MAX])
{
	const struct te_event_desc *tab;
	size_t n;

	tab = te_event_table(&n);
	for (size_t i = 0; i < n; i++)
		if (tab[i].id < TE_EV_MAX)
			out[tab[i].id] = pred_on(nd, &tab[i]) &&
					 !(failed && nd->field.id == RL_F_EVT_RETVAL &&
					   !retval_can_fail(nd));
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

static void node_events(const struct rl_node *nd, bool failed, bool out[TE_EV_MAX])
{
	bool kid[TE_EV_MAX];

	memset(out, 0, TE_EV_MAX * sizeof(bool));
	switch (nd->kind) {
	case RL_N_NOT:
		/* The complement of a superset says nothing. */
		all_events(out);
		break;
	case RL_N_PRED:
		pred_events(nd, failed, out);
		break;
	case RL_N_AND:
		all_events(out);
		for (size_t i = 0; i < nd->nkids; i++) {
			node_events(nd->kids[i], failed, kid);
			for (size_t j = 0; j < TE_EV_MAX; j++)
				out[j] = out[j] && kid[j];
		}
		break;
	case RL_N_OR:
		for (size_t i = 0; i < nd->nkids; i++) {
			node_events(nd->kids[i], failed, kid);
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
	node_events(e->root, false, out);
}

void te_expr_events_failed(const struct te_expr *e, bool out[TE_EV_MAX])
{
	if (!e) {
		memset(out, 0, TE_EV_MAX * sizeof(bool));
		all_events(out);
		return;
	}
	node_events(e->root, true, out);
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
		/* see rl_pmatch() (rule_index.c): "/" holds for every absolute
		 * path, "" only for "", others for the item and what lies under it */
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

/* ---- exceptions that rest on the process's own words ------------------- */

/* Fields whose value the process chooses: its name, its command line and
 * environment, its parent's and ancestors' names. */
static bool field_self_chosen(const struct rl_field *f)
{
	switch (f->id) {
	case RL_F_PROC_NAME:
	case RL_F_PROC_CMDLINE:
	case RL_F_PROC_ARGS:
	case RL_F_PROC_PNAME:
	case RL_F_PROC_PCMDLINE:
	case RL_F_PROC_ANAME:
		return true;
	case RL_F_EVT_ARG:
		return !strcmp(f->name, "evt.arg.env") || !strcmp(f->name, "evt.arg.envp") ||
		       !strcmp(f->name, "evt.arg.argv");
	default:
		return false;
	}
}

static bool field_vouched(const struct rl_field *f)
{
	return f->id == RL_F_PROC_EXE_VERIFIED || f->id == RL_F_PROC_PEXE_VERIFIED ||
	       f->id == RL_F_PROC_AEXE_VERIFIED;
}

/* In the conjunction @nd (an and, or one predicate): the first self-chosen
 * field when no vouched one stands beside it, else NULL. */
static const char *conj_weak(const struct rl_node *nd)
{
	const char *chosen = NULL;
	bool vouched = false;

	if (nd->kind == RL_N_PRED) {
		chosen = field_self_chosen(&nd->field) ? nd->field.name : NULL;
		vouched = field_vouched(&nd->field);
	} else if (nd->kind == RL_N_AND) {
		for (size_t i = 0; i < nd->nkids; i++) {
			const struct rl_node *k = nd->kids[i];

			if (k->kind != RL_N_PRED)
				continue; /* nested or/not: judged on their own */
			if (!chosen && field_self_chosen(&k->field))
				chosen = k->field.name;
			vouched = vouched || field_vouched(&k->field);
		}
	}
	return vouched ? NULL : chosen;
}

/* Under a not, each alternative (an or's kid) is an exception: a way for
 * an event to escape the rule. */
static const char *node_weak(const struct rl_node *nd, bool under_not)
{
	const char *w;

	if (under_not && (w = conj_weak(nd)))
		return w;
	for (size_t i = 0; i < nd->nkids; i++) {
		bool nested_not = nd->kind == RL_N_NOT || (under_not && nd->kind == RL_N_OR);

		if ((w = node_weak(nd->kids[i], nested_not)))
			return w;
	}
	return NULL;
}

const char *te_expr_weak_exception(const struct te_expr *e)
{
	return e ? node_weak(e->root, false) : NULL;
}
