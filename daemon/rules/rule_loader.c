/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * YAML rule files -> rl_items.  libyaml's document API is used (rather than
 * the event stream) because every node keeps its start mark, which is all
 * we need for "file:line:col" messages, and a tree is far easier to check
 * than a stream.  Rule files are small; holding one in memory is fine.
 *
 * We are stricter than Falco: an unknown key is an error, not a warning,
 * because a misspelt "condtion:" or "enabeld:" silently changes what a
 * security rule does, and rule files are checked by `traceed --validate`
 * before they are deployed.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "rule_loader.h"
#include "grow.h"
#include "yaml_util.h"

/* ---- diagnostics ------------------------------------------------------- */

static void rl_vreport(struct rl_diag *d, const char *file, unsigned line, unsigned col,
		       const char *fmt, va_list ap)
{
	struct te_rl_error e = { .line = line, .col = col };

	snprintf(e.file, sizeof(e.file), "%s", file ? file : "<string>");
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	rl_report_err(d, &e);
}

void rl_report(struct rl_diag *d, const char *file, unsigned line, unsigned col, const char *fmt,
	       ...)
{
	va_list ap;

	va_start(ap, fmt);
	rl_vreport(d, file, line, col, fmt, ap);
	va_end(ap);
}

void rl_report_loc(struct rl_diag *d, const struct te_src_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rl_vreport(d, loc->file, loc->line, loc->col, fmt, ap);
	va_end(ap);
}

void rl_report_err(struct rl_diag *d, const struct te_rl_error *e)
{
	/* Every line has the same "file:line:col: " shape whoever made the
	 * error (the loader, the compiler); a file that cannot be read is at
	 * 0:0. */
	te_yaml_errorf(&(struct te_yaml_err){ .file = e->file, .out = d->out }, e->line, e->col,
		       "%s", e->msg);
	if (d->count++ == 0 && d->first)
		*d->first = *e;
}

static const char *const key_names[RK__MAX] = {
	[RK_ID] = "id",
	[RK_DESC] = "description",
	[RK_COND] = "condition",
	[RK_OUTPUT] = "output",
	[RK_SEVERITY] = "severity",
	[RK_MITRE] = "mitre",
	[RK_TAGS] = "tags",
	[RK_ENABLED] = "enabled",
	[RK_EXCEPTIONS] = "exceptions",
	[RK_ITEMS] = "items",
};

const char *rl_key_name(enum rl_key k)
{
	return k < RK__MAX ? key_names[k] : "?";
}

/* ---- YAML helpers ------------------------------------------------------ */

struct yctx {
	struct te_yaml_err err; /* the file; messages go to yaml_report() */
	const char *buf;        /* the whole file, for block scalar positions */
	size_t len;
	yaml_document_t *doc;
	struct rl_diag *d;
	unsigned errors;        /* errors in this item (to drop it) */
};

/* Where y->err's messages go: to the rule set's diagnostics (where no
 * position is 0:0), one more error in this item. */
static void yaml_report(void *ctx, const char *file, unsigned line, unsigned col,
			const char *msg)
{
	struct yctx *y = ctx;

	rl_report(y->d, file, line == TE_YAML_NOPOS ? 0 : line, col == TE_YAML_NOPOS ? 0 : col,
		  "%s", msg);
	y->errors++;
}

static struct te_src_loc node_loc(const struct yctx *y, const yaml_node_t *n)
{
	return (struct te_src_loc){ y->err.file, te_yaml_line(&n->start_mark),
				    te_yaml_col(&n->start_mark) };
}

/* A scalar's text, or an error saying what @what should have been. */
static const char *want_scalar(struct yctx *y, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		te_yaml_node_errorf(&y->err, n, "%s must be a string, found %s", what,
				    te_yaml_node_kind(n));
		return NULL;
	}
	return te_yaml_scalar(n);
}

static char *dup_scalar(struct yctx *y, const yaml_node_t *n, const char *what)
{
	const char *s = want_scalar(y, n, what);
	char *r;

	if (!s)
		return NULL;
	r = strdup(s);
	if (!r)
		te_yaml_node_errorf(&y->err, n, "out of memory");
	return r;
}

static int want_bool(struct yctx *y, const yaml_node_t *n, const char *key, bool *out)
{
	struct te_yaml_val v = te_yaml_node_val(n, key);

	/* Unlike traceed.yaml, rule files have always taken "true" in
	 * quotes as true. */
	v.quoted = false;
	return te_yaml_want_bool(&y->err, &v, out);
}

/* A sequence of scalars -> NULL-terminated-free vector of copies. */
static int want_str_seq(struct yctx *y, const yaml_node_t *n, const char *what, char ***out,
			size_t *nout)
{
	yaml_node_item_t *it;
	char **v;
	size_t k = 0, cap;
	char buf[64];

	if (n->type != YAML_SEQUENCE_NODE) {
		te_yaml_node_errorf(&y->err, n, "%s must be a sequence, found %s", what,
				    te_yaml_node_kind(n));
		return -EINVAL;
	}
	cap = te_yaml_seq_len(n);
	v = calloc(cap ? cap : 1, sizeof(*v));
	if (!v) {
		te_yaml_node_errorf(&y->err, n, "out of memory");
		return -ENOMEM;
	}
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(y->doc, *it);

		snprintf(buf, sizeof(buf), "each of %s", what);
		v[k] = dup_scalar(y, c, buf);
		if (!v[k]) {
			while (k)
				free(v[--k]);
			free(v);
			return -EINVAL;
		}
		k++;
	}
	*out = v;
	*nout = k;
	return 0;
}

/*
 * Where the text of a condition scalar starts.  Plain scalars start at
 * their mark; quoted ones one column later.  For block scalars
 * ("condition: >" or "|") the mark is the indicator and the text starts on
 * the next non-blank line, at its indentation, so we look in the file.
 * This is exact for the first line only: folded style turns line breaks
 * into spaces and both styles strip the indentation, so positions on later
 * lines of the condition are approximate (right line for literal style,
 * column off by the indentation).  A node that is not a scalar: its mark.
 */
static struct te_src_loc text_loc(const struct yctx *y, const yaml_node_t *n)
{
	struct te_src_loc loc = node_loc(y, n);
	size_t i = 0, line = 0, target = n->start_mark.line;
	unsigned col;

	if (n->type != YAML_SCALAR_NODE)
		return loc;
	switch (n->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		loc.col++;
		return loc;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		break;
	default:
		return loc;
	}
	/* Line numbers (not mark.index, which counts characters, not bytes). */
	while (i < y->len && line < target)
		if (y->buf[i++] == '\n')
			line++;
	for (;;) {
		while (i < y->len && y->buf[i] != '\n')
			i++;
		if (i >= y->len)
			return loc;
		i++;
		line++;
		col = 1;
		while (i < y->len && y->buf[i] == ' ') {
			i++;
			col++;
		}
		if (i < y->len && y->buf[i] != '\n' && y->buf[i] != '\r') {
			loc.line = (unsigned)line + 1;
			loc.col = col;
			return loc;
		}
	}
}

/* ---- exceptions -------------------------------------------------------- */

static bool is_int(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool is_ident(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static bool comp_known(const char *c);

/* Words a condition reads as operators, never as values. */
static bool is_keyword(const char *s)
{
	return !strcmp(s, "and") || !strcmp(s, "or") || !strcmp(s, "not") || !strcmp(s, "exists") ||
	       comp_known(s);
}

/* A bare word that may name a list (one that names none is taken
 * literally when the condition is compiled). */
static bool may_name_list(const char *s)
{
	return is_ident(s) && !is_keyword(s);
}

static bool comp_takes_list(const char *c)
{
	return !strcmp(c, "in") || !strcmp(c, "pmatch");
}

static bool comp_known(const char *c)
{
	static const char *const ops[] = { "=",	  "!=",		"<",	 "<=",	     ">",
					   ">=",  "contains",	"icontains", "startswith",
					   "endswith", "glob",	"pmatch", "in" };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(c, ops[i]))
			return true;
	return false;
}

/*
 * A value as condition text.  Integers stay bare so numeric fields compare
 * as numbers; everything else is double-quoted, with the two escapes the
 * condition lexer knows: \" and \\.
 */
static void put_value(const yaml_node_t *n, struct strbuf *sb)
{
	const char *v = te_yaml_scalar(n);

	if (is_int(v)) {
		sb_puts(sb, v);
		return;
	}
	sb_putc(sb, '"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			sb_putc(sb, '\\');
		sb_putc(sb, *v);
	}
	sb_putc(sb, '"');
}

/* "(a, b, c)" from a sequence of scalars. */
static int put_value_list(struct yctx *y, const yaml_node_t *n, struct strbuf *sb)
{
	yaml_node_item_t *it;

	sb_putc(sb, '(');
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(y->doc, *it);

		if (!want_scalar(y, c, "a value in an exception list"))
			return -EINVAL;
		if (it != n->data.sequence.items.start)
			sb_puts(sb, ", ");
		/* Inside a list, a bare word may name a list and is expanded
		 * (a word that names none is taken literally), so words stay
		 * bare and exceptions can use lists as in Falco. */
		if (may_name_list(te_yaml_scalar(c)))
			sb_puts(sb, te_yaml_scalar(c));
		else
			put_value(c, sb);
	}
	sb_putc(sb, ')');
	return 0;
}

/* One "field comp value" term.  @vn is a scalar or a sequence. */
static int put_term(struct yctx *y, const char *field, const char *comp, const yaml_node_t *vn,
		    struct strbuf *sb)
{
	if (vn->type == YAML_SEQUENCE_NODE) {
		if (!comp_takes_list(comp)) {
			te_yaml_node_errorf(&y->err, vn, "a list of values needs comp 'in' or "
					    "'pmatch', not '%s'", comp);
			return -EINVAL;
		}
		sb_printf(sb, "%s %s ", field, comp);
		return put_value_list(y, vn, sb);
	}
	if (!want_scalar(y, vn, "an exception value"))
		return -EINVAL;
	if (comp_takes_list(comp)) {
		/* As in Falco, a single value with "in" names a list; a value
		 * that cannot be a list name is taken literally. */
		if (may_name_list(te_yaml_scalar(vn))) {
			sb_printf(sb, "%s %s (%s)", field, comp, te_yaml_scalar(vn));
			return 0;
		}
		sb_printf(sb, "%s %s (", field, comp);
		put_value(vn, sb);
		sb_putc(sb, ')');
		return 0;
	}
	sb_printf(sb, "%s %s ", field, comp);
	put_value(vn, sb);
	return 0;
}

static yaml_node_t *seq_at(struct yctx *y, const yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(y->doc, n->data.sequence.items.start[i]);
}

/*
 * Falco's exception shapes:
 *   {name, fields: [f1, f2], comps: [=, in], values: [[v1, [a, b]], ...]}
 *     -> (f1 = v1 and f2 in (a, b)) or ...    comps default to "=", or
 *        "in" where the value is a list
 *   {name, fields: f, comps: in, values: [a, b]}
 *     -> f in (a, b)                          comps default to "in"
 * The rule set appends "and not (TEXT)" to the rule's condition.
 */
static int parse_exception(struct yctx *y, const yaml_node_t *n, struct rl_exception *ex)
{
	yaml_node_t *name = NULL, *fields = NULL, *comps = NULL, *values = NULL;
	yaml_node_pair_t *p;
	struct strbuf sb;
	size_t nf, i, r;
	int ret = -EINVAL;

	ex->loc = node_loc(y, n);
	if (n->type != YAML_MAPPING_NODE) {
		te_yaml_node_errorf(&y->err, n, "an exception must be a mapping, found %s",
				    te_yaml_node_kind(n));
		return -EINVAL;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		const char *ks = want_scalar(y, k, "a key");

		if (!ks)
			return -EINVAL;
		if (!strcmp(ks, "name"))
			name = v;
		else if (!strcmp(ks, "fields"))
			fields = v;
		else if (!strcmp(ks, "comps"))
			comps = v;
		else if (!strcmp(ks, "values"))
			values = v;
		else {
			te_yaml_node_errorf(&y->err, k, "unknown key '%s' in exception", ks);
			return -EINVAL;
		}
	}
	if (!name) {
		te_yaml_node_errorf(&y->err, n, "exception has no 'name'");
		return -EINVAL;
	}
	ex->name = dup_scalar(y, name, "exception name");
	if (!ex->name)
		return -EINVAL;
	if (!fields) {
		te_yaml_node_errorf(&y->err, n, "exception '%s' has no 'fields'", ex->name);
		return -EINVAL;
	}
	if (values && values->type != YAML_SEQUENCE_NODE) {
		te_yaml_node_errorf(&y->err, values,
				    "exception values must be a sequence, found %s",
				    te_yaml_node_kind(values));
		return -EINVAL;
	}
	sb_init(&sb);

	if (fields->type == YAML_SCALAR_NODE) {
		const char *comp = "in";

		if (comps) {
			comp = want_scalar(y, comps, "comps of a single-field exception");
			if (!comp)
				goto out;
			if (!comp_known(comp)) {
				te_yaml_node_errorf(&y->err, comps, "unknown comparison '%s'",
						    comp);
				goto out;
			}
		}
		if (!te_rl_field_known(te_yaml_scalar(fields))) {
			te_yaml_node_errorf(&y->err, fields, "unknown field '%s'",
					    te_yaml_scalar(fields));
			goto out;
		}
		if (!values || te_yaml_seq_len(values) == 0) {
			ret = 0;
			goto out;
		}
		if (comp_takes_list(comp)) {
			sb_printf(&sb, "%s %s ", te_yaml_scalar(fields), comp);
			if (put_value_list(y, values, &sb) < 0)
				goto out;
		} else {
			/* "f = a or f = b": one term per value. */
			for (i = 0; i < te_yaml_seq_len(values); i++) {
				if (i)
					sb_puts(&sb, " or ");
				if (put_term(y, te_yaml_scalar(fields), comp, seq_at(y, values, i), &sb) < 0)
					goto out;
			}
		}
	} else if (fields->type == YAML_SEQUENCE_NODE) {
		nf = te_yaml_seq_len(fields);
		if (nf == 0) {
			te_yaml_node_errorf(&y->err, fields, "exception '%s' has no fields",
					    ex->name);
			goto out;
		}
		for (i = 0; i < nf; i++) {
			yaml_node_t *f = seq_at(y, fields, i);

			if (!want_scalar(y, f, "an exception field"))
				goto out;
			if (!te_rl_field_known(te_yaml_scalar(f))) {
				te_yaml_node_errorf(&y->err, f, "unknown field '%s'",
						    te_yaml_scalar(f));
				goto out;
			}
		}
		if (comps) {
			if (comps->type != YAML_SEQUENCE_NODE) {
				te_yaml_node_errorf(&y->err, comps, "comps must be a sequence "
						    "when fields is, found %s",
						    te_yaml_node_kind(comps));
				goto out;
			}
			if (te_yaml_seq_len(comps) != nf) {
				te_yaml_node_errorf(&y->err, comps,
						    "exception '%s' has %zu comps for %zu fields",
						    ex->name, te_yaml_seq_len(comps), nf);
				goto out;
			}
			for (i = 0; i < nf; i++) {
				yaml_node_t *c = seq_at(y, comps, i);

				if (!want_scalar(y, c, "a comparison"))
					goto out;
				if (!comp_known(te_yaml_scalar(c))) {
					te_yaml_node_errorf(&y->err, c, "unknown comparison '%s'",
							    te_yaml_scalar(c));
					goto out;
				}
			}
		}
		for (r = 0; values && r < te_yaml_seq_len(values); r++) {
			yaml_node_t *row = seq_at(y, values, r);

			if (row->type != YAML_SEQUENCE_NODE) {
				te_yaml_node_errorf(&y->err, row, "each exception value must be a "
						    "sequence of %zu values, found %s", nf,
						    te_yaml_node_kind(row));
				goto out;
			}
			if (te_yaml_seq_len(row) != nf) {
				te_yaml_node_errorf(&y->err, row,
						    "exception '%s' has %zu values for %zu fields",
						    ex->name, te_yaml_seq_len(row), nf);
				goto out;
			}
			sb_puts(&sb, r ? " or (" : "(");
			for (i = 0; i < nf; i++) {
				yaml_node_t *vn = seq_at(y, row, i);
				const char *comp = comps ? te_yaml_scalar(seq_at(y, comps, i))
						 : vn->type == YAML_SEQUENCE_NODE ? "in" : "=";

				if (i)
					sb_puts(&sb, " and ");
				if (put_term(y, te_yaml_scalar(seq_at(y, fields, i)), comp, vn, &sb) < 0)
					goto out;
			}
			sb_putc(&sb, ')');
		}
	} else {
		te_yaml_node_errorf(&y->err, fields,
				    "exception fields must be a string or a sequence, found %s",
				    te_yaml_node_kind(fields));
		goto out;
	}
	if (sb.len) {
		if (sb.oom) {
			te_yaml_node_errorf(&y->err, n, "out of memory");
			goto out;
		}
		ex->text = strdup(sb_str(&sb));
		if (!ex->text) {
			te_yaml_node_errorf(&y->err, n, "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	sb_free(&sb);
	return ret;
}

/* ---- items ------------------------------------------------------------- */

static void item_free(struct rl_item *it)
{
	size_t i;

	free(it->name);
	free(it->id);
	free(it->description);
	free(it->condition);
	free(it->output);
	free(it->mitre_technique);
	free(it->mitre_tactic);
	for (i = 0; i < it->ntags; i++)
		free(it->tags[i]);
	free(it->tags);
	for (i = 0; i < it->nexc; i++) {
		free(it->exc[i].name);
		free(it->exc[i].text);
	}
	free(it->exc);
	for (i = 0; i < it->nitems; i++)
		free(it->items[i]);
	free(it->items);
}

void rl_items_free(struct rl_items *it)
{
	size_t i;

	for (i = 0; i < it->n; i++)
		item_free(&it->v[i]);
	free(it->v);
	for (i = 0; i < it->nfiles; i++)
		free(it->files[i]);
	free(it->files);
	memset(it, 0, sizeof(*it));
}

/* The keys each kind of item takes, and the YAML spelling of each.  Falco's
 * "desc" and "priority" are accepted as well so Falco rules read as they
 * are. */
struct key_spec {
	const char *name;
	int key;                /* enum rl_key, or one of the K_* below */
	unsigned kinds;         /* 1u << enum rl_item_kind */
};
enum { K_OVERRIDE = RK__MAX, K_APPEND, K_NAME };
#define KL (1u << RL_LIST)
#define KM (1u << RL_MACRO)
#define KR (1u << RL_RULE)
static const struct key_spec key_specs[] = {
	{ "rule", K_NAME, KR },
	{ "macro", K_NAME, KM },
	{ "list", K_NAME, KL },
	{ "id", RK_ID, KR },
	{ "description", RK_DESC, KR },
	{ "desc", RK_DESC, KR },
	{ "condition", RK_COND, KR | KM },
	{ "output", RK_OUTPUT, KR },
	{ "severity", RK_SEVERITY, KR },
	{ "priority", RK_SEVERITY, KR },
	{ "mitre", RK_MITRE, KR },
	{ "tags", RK_TAGS, KR },
	{ "enabled", RK_ENABLED, KR },
	{ "exceptions", RK_EXCEPTIONS, KR },
	{ "items", RK_ITEMS, KL },
	{ "override", K_OVERRIDE, KR | KM | KL },
	{ "append", K_APPEND, KR | KM | KL },
};

static const char *kind_name(enum rl_item_kind k)
{
	return k == RL_LIST ? "list" : k == RL_MACRO ? "macro" : "rule";
}

/* What override: may say for each key (Falco's rules, plus mitre). */
static const unsigned can_append = RK_BIT(RK_COND) | RK_BIT(RK_EXCEPTIONS) | RK_BIT(RK_TAGS) |
				   RK_BIT(RK_OUTPUT) | RK_BIT(RK_DESC) | RK_BIT(RK_ITEMS);
static const unsigned can_replace = RK_BIT(RK_COND) | RK_BIT(RK_EXCEPTIONS) | RK_BIT(RK_TAGS) |
				    RK_BIT(RK_OUTPUT) | RK_BIT(RK_DESC) | RK_BIT(RK_ITEMS) |
				    RK_BIT(RK_SEVERITY) | RK_BIT(RK_ENABLED) | RK_BIT(RK_MITRE);

static int parse_override(struct yctx *y, struct rl_item *it, const yaml_node_t *n,
			  struct te_src_loc key_locs[RK__MAX])
{
	yaml_node_pair_t *p;

	if (n->type != YAML_MAPPING_NODE) {
		te_yaml_node_errorf(&y->err, n, "override must be a mapping, found %s",
				    te_yaml_node_kind(n));
		return -EINVAL;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		const char *ks = want_scalar(y, k, "an override key");
		const char *vs = want_scalar(y, v, "an override");
		const struct key_spec *ksp = NULL;

		if (!ks || !vs)
			return -EINVAL;
		for (size_t i = 0; i < sizeof(key_specs) / sizeof(key_specs[0]); i++)
			if (!strcmp(key_specs[i].name, ks) && key_specs[i].key < RK__MAX &&
			    (key_specs[i].kinds & (1u << it->kind)))
				ksp = &key_specs[i];
		if (!ksp) {
			te_yaml_node_errorf(&y->err, k, "override of unknown %s key '%s'",
					    kind_name(it->kind), ks);
			return -EINVAL;
		}
		if (!((can_append | can_replace) & RK_BIT(ksp->key))) {
			/* The id is what an override finds its rule by. */
			te_yaml_node_errorf(&y->err, k, "'%s' cannot be overridden", ks);
			return -EINVAL;
		}
		if (!strcmp(vs, "append") && (can_append & RK_BIT(ksp->key))) {
			it->append |= RK_BIT(ksp->key);
		} else if (!strcmp(vs, "replace") && (can_replace & RK_BIT(ksp->key))) {
			it->replace |= RK_BIT(ksp->key);
		} else {
			te_yaml_node_errorf(&y->err, v, "'%s' can be overridden with %s, not '%s'",
					    ks, can_append & RK_BIT(ksp->key) ? "append or replace"
									      : "replace", vs);
			return -EINVAL;
		}
		key_locs[ksp->key] = node_loc(y, k);
	}
	return 0;
}

static int parse_mitre(struct yctx *y, struct rl_item *it, const yaml_node_t *n)
{
	yaml_node_pair_t *p;

	if (n->type != YAML_MAPPING_NODE) {
		te_yaml_node_errorf(&y->err, n,
				    "mitre must be a mapping {technique, tactic}, found %s",
				    te_yaml_node_kind(n));
		return -EINVAL;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		const char *ks = want_scalar(y, k, "a key");
		char **dst;

		if (!ks)
			return -EINVAL;
		if (!strcmp(ks, "technique"))
			dst = &it->mitre_technique;
		else if (!strcmp(ks, "tactic"))
			dst = &it->mitre_tactic;
		else {
			te_yaml_node_errorf(&y->err, k, "unknown key '%s' in mitre (expected "
					    "technique or tactic)", ks);
			return -EINVAL;
		}
		free(*dst);
		*dst = dup_scalar(y, v, ks);
		if (!*dst)
			return -EINVAL;
	}
	return 0;
}

static int parse_value(struct yctx *y, struct rl_item *it, int key, const yaml_node_t *v)
{
	size_t i;

	switch (key) {
	case RK_ID:
		return (it->id = dup_scalar(y, v, "id")) ? 0 : -EINVAL;
	case RK_DESC:
		return (it->description = dup_scalar(y, v, "description")) ? 0 : -EINVAL;
	case RK_COND:
		it->key_loc[RK_COND] = text_loc(y, v);
		return (it->condition = dup_scalar(y, v, "condition")) ? 0 : -EINVAL;
	case RK_OUTPUT:
		it->key_loc[RK_OUTPUT] = text_loc(y, v);
		return (it->output = dup_scalar(y, v, "output")) ? 0 : -EINVAL;
	case RK_SEVERITY: {
		const char *s = want_scalar(y, v, "severity");

		if (!s)
			return -EINVAL;
		if (te_severity_parse(s, &it->severity) < 0) {
			te_yaml_node_errorf(&y->err, v, "unknown severity '%s' (expected info, "
					    "low, medium, high or critical)", s);
			return -EINVAL;
		}
		return 0;
	}
	case RK_MITRE:
		return parse_mitre(y, it, v);
	case RK_TAGS:
		return want_str_seq(y, v, "tags", &it->tags, &it->ntags);
	case RK_ENABLED:
		return want_bool(y, v, "enabled", &it->enabled);
	case RK_ITEMS:
		return want_str_seq(y, v, "items", &it->items, &it->nitems);
	case RK_EXCEPTIONS:
		if (v->type != YAML_SEQUENCE_NODE) {
			te_yaml_node_errorf(&y->err, v, "exceptions must be a sequence, found %s",
					    te_yaml_node_kind(v));
			return -EINVAL;
		}
		it->exc = calloc(te_yaml_seq_len(v) ? te_yaml_seq_len(v) : 1, sizeof(*it->exc));
		if (!it->exc) {
			te_yaml_node_errorf(&y->err, v, "out of memory");
			return -ENOMEM;
		}
		for (i = 0; i < te_yaml_seq_len(v); i++) {
			it->nexc++;
			if (parse_exception(y, seq_at(y, v, i), &it->exc[i]) < 0)
				return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

static int engine_version(struct yctx *y, const yaml_node_t *v)
{
	const char *s = want_scalar(y, v, "required_engine_version");
	char *end;
	unsigned long n;

	if (!s)
		return -EINVAL;
	errno = 0;
	n = strtoul(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno) {
		te_yaml_node_errorf(&y->err, v,
				    "required_engine_version must be a number, found '%s'", s);
		return -EINVAL;
	}
	if (n > TE_RULE_ENGINE_VERSION) {
		te_yaml_node_errorf(&y->err, v, "rules need engine version %lu, this is version %d",
				    n, TE_RULE_ENGINE_VERSION);
		return -EINVAL;
	}
	return 0;
}

static int push_item(struct rl_items *out, struct rl_item *it)
{
	if (te_grow((void **)&out->v, &out->cap, out->n, sizeof(*out->v), 64) < 0)
		return -ENOMEM;
	out->v[out->n++] = *it;
	return 0;
}

static void parse_item(struct yctx *y, const yaml_node_t *n, struct rl_items *out)
{
	struct te_src_loc override_locs[RK__MAX] = { 0 };
	struct rl_item it = { .enabled = true };
	const yaml_node_t *kind_key = NULL, *kind_val = NULL, *override = NULL;
	yaml_node_pair_t *p;
	bool legacy_append = false;
	int kind = -1;

	y->errors = 0;
	if (n->type != YAML_MAPPING_NODE) {
		te_yaml_node_errorf(&y->err, n,
				    "each item must be a mapping (rule, macro, list or "
				    "required_engine_version), found %s",
				    te_yaml_node_kind(n));
		return;
	}
	it.loc = node_loc(y, n);

	/* First pass: what kind of item is this? */
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		const char *ks;
		int kk = -1;

		if (k->type != YAML_SCALAR_NODE)
			continue;
		ks = te_yaml_scalar(k);
		if (!strcmp(ks, "rule"))
			kk = RL_RULE;
		else if (!strcmp(ks, "macro"))
			kk = RL_MACRO;
		else if (!strcmp(ks, "list"))
			kk = RL_LIST;
		else if (!strcmp(ks, "required_engine_version"))
			kk = 99;
		if (kk < 0)
			continue;
		if (kind_key) {
			te_yaml_node_errorf(&y->err, k, "item has both '%s' and '%s'",
					    te_yaml_scalar(kind_key), ks);
			return;
		}
		kind_key = k;
		kind_val = yaml_document_get_node(y->doc, p->value);
		kind = kk;
		it.loc = node_loc(y, k);
	}
	if (!kind_key) {
		te_yaml_node_errorf(&y->err, n,
				    "item is none of rule, macro, list or required_engine_version");
		return;
	}
	if (kind == 99) {
		/* A version item stands alone: anything else in it is a mistake. */
		for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(y->doc, p->key);

			if (k != kind_key) {
				te_yaml_node_errorf(&y->err, k, "unknown key '%s' with "
						    "required_engine_version", k->type ==
						    YAML_SCALAR_NODE ? te_yaml_scalar(k) : "?");
				return;
			}
		}
		engine_version(y, kind_val);
		return;
	}
	it.kind = (enum rl_item_kind)kind;

	/* Second pass: every key, in order. */
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		const struct key_spec *ksp = NULL;
		const char *ks = want_scalar(y, k, "a key");

		if (!ks)
			continue;
		for (size_t i = 0; i < sizeof(key_specs) / sizeof(key_specs[0]); i++)
			if (!strcmp(key_specs[i].name, ks) &&
			    (key_specs[i].kinds & (1u << it.kind)))
				ksp = &key_specs[i];
		if (!ksp) {
			te_yaml_node_errorf(&y->err, k, "unknown key '%s' in %s '%s'", ks,
					    kind_name(it.kind), kind_val->type == YAML_SCALAR_NODE ?
					    te_yaml_scalar(kind_val) : "?");
			continue;
		}
		if (ksp->key == K_NAME) {
			it.name = dup_scalar(y, v, kind_name(it.kind));
			continue;
		}
		if (ksp->key == K_OVERRIDE) {
			override = v;
			continue;
		}
		if (ksp->key == K_APPEND) {
			want_bool(y, v, "append", &legacy_append);
			continue;
		}
		if (it.present & RK_BIT(ksp->key)) {
			te_yaml_node_errorf(&y->err, k, "'%s' given twice", ks);
			continue;
		}
		it.present |= RK_BIT(ksp->key);
		it.key_loc[ksp->key] = node_loc(y, v);
		parse_value(y, &it, ksp->key, v);
	}
	if (y->errors)
		goto drop;

	if (override && legacy_append) {
		te_yaml_node_errorf(&y->err, override,
				    "use either override: or append: true, not both");
		goto drop;
	}
	if (override) {
		if (parse_override(y, &it, override, override_locs) < 0)
			goto drop;
		/* As in Falco: with override:, each key given must say how it
		 * overrides and each override must come with its key, so that
		 * an override item says exactly what it changes. */
		for (int k = 0; k < RK__MAX; k++) {
			bool listed = (it.append | it.replace) & RK_BIT(k);

			if (k == RK_ID)
				continue;
			if ((it.present & RK_BIT(k)) && !listed)
				te_yaml_node_errorf(&y->err, override,
						    "'%s' is given but override: does not say "
						    "append or replace for it", key_names[k]);
			else if (!(it.present & RK_BIT(k)) && listed)
				te_yaml_errorf(&y->err, override_locs[k].line, override_locs[k].col,
					       "override of '%s' but no '%s' is given",
					       key_names[k], key_names[k]);
		}
		if (y->errors)
			goto drop;
	} else if (legacy_append) {
		/* Falco's old form: append: true appends what can be appended. */
		unsigned appendable = it.kind == RL_LIST    ? RK_BIT(RK_ITEMS)
				      : it.kind == RL_MACRO ? RK_BIT(RK_COND)
							    : RK_BIT(RK_COND) | RK_BIT(RK_EXCEPTIONS);

		for (int k = 0; k < RK__MAX; k++)
			if ((it.present & RK_BIT(k)) & ~appendable && k != RK_ID)
				te_yaml_node_errorf(&y->err, n, "'%s' cannot be given with append: "
						    "true (use override:)", key_names[k]);
		if (y->errors)
			goto drop;
		it.append = it.present & appendable;
	}

	if (!it.name)
		goto drop;
	if (it.kind == RL_MACRO && !(it.present & RK_BIT(RK_COND))) {
		te_yaml_node_errorf(&y->err, kind_key, "macro '%s' has no condition", it.name);
		goto drop;
	}
	if (it.kind == RL_LIST && !(it.present & RK_BIT(RK_ITEMS))) {
		te_yaml_node_errorf(&y->err, kind_key, "list '%s' has no items", it.name);
		goto drop;
	}
	if (push_item(out, &it) < 0) {
		te_yaml_node_errorf(&y->err, n, "out of memory");
		goto drop;
	}
	return;
drop:
	item_free(&it);
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *b = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t r;

		if (cap - n < 4096) {
			char *nb = realloc(b, cap + 65536);

			if (!nb) {
				free(b);
				fclose(f);
				return -ENOMEM;
			}
			b = nb;
			cap += 65536;
		}
		r = fread(b + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno ? -errno : -EIO;

		free(b);
		fclose(f);
		return e;
	}
	fclose(f);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* Keep a copy of @path for locations to point at. */
static const char *keep_file(struct rl_items *out, const char *path)
{
	char **v = realloc(out->files, (out->nfiles + 1) * sizeof(*v));

	if (!v)
		return NULL;
	out->files = v;
	v[out->nfiles] = strdup(path);
	if (!v[out->nfiles])
		return NULL;
	return v[out->nfiles++];
}

static void load_file(struct rl_items *out, const char *path, struct rl_diag *d)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct yctx y = { .d = d };
	char problem[512];
	char *buf = NULL;
	size_t len = 0;
	int r;

	y.err = (struct te_yaml_err){ .file = keep_file(out, path), .report = yaml_report,
				      .ctx = &y };
	if (!y.err.file) {
		rl_report(d, path, 0, 0, "out of memory");
		return;
	}
	r = read_file(path, &buf, &len);
	if (r < 0) {
		rl_report(d, path, 0, 0, "cannot read: %s", strerror(-r));
		return;
	}
	y.buf = buf;
	y.len = len;
	if (!yaml_parser_initialize(&parser)) {
		rl_report(d, path, 0, 0, "out of memory");
		free(buf);
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		yaml_node_t *root;
		yaml_node_item_t *it;

		if (!yaml_parser_load(&parser, &doc)) {
			/* libyaml stops at the first syntax error: report its
			 * words and where it noticed. */
			rl_report(d, path, te_yaml_line(&parser.problem_mark),
				  te_yaml_col(&parser.problem_mark), "YAML: %s",
				  te_yaml_problem(&parser, "syntax error", problem, sizeof(problem)));
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) { /* end of stream (or an empty file) */
			yaml_document_delete(&doc);
			break;
		}
		y.doc = &doc;
		if (root->type == YAML_SCALAR_NODE && !*te_yaml_scalar(root) &&
		    root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			/* a document of only comments */
		} else if (root->type != YAML_SEQUENCE_NODE) {
			te_yaml_node_errorf(&y.err, root,
					    "a rules file must be a sequence of items, found %s",
					    te_yaml_node_kind(root));
		} else {
			for (it = root->data.sequence.items.start; it < root->data.sequence.items.top;
			     it++)
				parse_item(&y, yaml_document_get_node(&doc, *it), out);
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(buf);
}

static int yaml_name(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	/* Hidden files are skipped like a shell glob would, so an editor's
	 * ".x.yaml.swp" or a half-written ".x.yaml" is never loaded. */
	if (de->d_name[0] == '.')
		return 0;
	return (n > 5 && !strcmp(de->d_name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(de->d_name + n - 4, ".yml"));
}

static void load_dir(struct rl_items *out, const char *dir, struct rl_diag *d)
{
	struct dirent **ents;
	int n, i;

	n = scandir(dir, &ents, yaml_name, alphasort);
	if (n < 0) {
		rl_report(d, dir, 0, 0, "cannot read directory: %s", strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		char *path;
		struct stat st;

		if (asprintf(&path, "%s/%s", dir, ents[i]->d_name) < 0) {
			rl_report(d, dir, 0, 0, "out of memory");
		} else {
			/* Only regular files (following links): a directory
			 * called x.yaml is not a rules file. */
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				load_file(out, path, d);
			free(path);
		}
		free(ents[i]);
	}
	free(ents);
}

unsigned rl_load_paths(struct rl_items *out, const char *const *paths, size_t npaths,
		       struct rl_diag *d)
{
	unsigned before = d->count;
	struct stat st;

	for (size_t i = 0; i < npaths; i++) {
		if (stat(paths[i], &st) < 0)
			rl_report(d, paths[i], 0, 0, "cannot open: %s", strerror(errno));
		else if (S_ISDIR(st.st_mode))
			load_dir(out, paths[i], d);
		else
			load_file(out, paths[i], d);
	}
	return d->count - before;
}
