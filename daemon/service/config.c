/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * traceed.yaml -> struct te_config.  Like the rule loader, this uses
 * libyaml's document API: every node keeps its start mark, which is all a
 * "file:line:col" message needs, and the file is a few hundred bytes.
 *
 * Strictness, and why:
 *  - an unknown key is an error: "jounral: false" must not quietly leave the
 *    journal on (or a misspelt scope quietly watch everything);
 *  - numbers and booleans must be plain YAML scalars: "8" in quotes is a
 *    string the author chose, and yes/no/on/off are refused as in the rule
 *    files, where "no" is more often a typo'd string than a boolean;
 *  - the first error stops the load and nothing is applied: the caller
 *    keeps its current configuration (reload) or refuses to start.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "grow.h"
#include "yaml_util.h"

struct cctx {
	yaml_document_t *doc;
	unsigned flags;
	struct te_yaml_err err;
};

/* Room for a key's name in messages: "outputs.journal_rate_limit". */
#define KEY_MAX 64

/* A sequence (an empty value counts as an empty one) -> its items. */
static int want_seq(struct cctx *y, const yaml_node_t *n, const char *key,
		    yaml_node_item_t **start, yaml_node_item_t **end)
{
	*start = *end = NULL;
	if (te_yaml_is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return te_yaml_node_errorf(&y->err, n, "%s: expected a sequence, found %s", key,
					   te_yaml_node_kind(n));
	*start = n->data.sequence.items.start;
	*end = n->data.sequence.items.top;
	return 0;
}

static int push_str(struct cctx *y, char ***v, size_t *nv, size_t *cap, const char *s)
{
	char *d = strdup(s);

	if (!d || te_grow((void **)v, cap, *nv, sizeof(**v), 4) < 0) {
		free(d);
		return te_yaml_oom(&y->err);
	}
	(*v)[(*nv)++] = d;
	return 0;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Walk a mapping whose keys must come from @names: calls @fn with the index
 * of each key.  Unknown and repeated keys are refused here, once for every
 * section.  @section prefixes key names in messages ("outputs.").
 */
typedef int (*key_fn)(struct cctx *y, struct te_config *c, unsigned idx, const char *key,
		      yaml_node_t *val);

static int walk_mapping(struct cctx *y, struct te_config *c, yaml_node_t *map,
			const char *section, const char *const *names, unsigned nnames, key_fn fn)
{
	const yaml_node_t *seen[16] = { 0 };
	yaml_node_pair_t *p;
	char key[KEY_MAX];
	int r;

	if (te_yaml_is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return te_yaml_node_errorf(&y->err, map, "%s: expected a mapping, found %s",
					   *section ? section : "the file", te_yaml_node_kind(map));
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(y->doc, p->value);
		unsigned i;

		if (k->type != YAML_SCALAR_NODE)
			return te_yaml_node_errorf(&y->err, k, "%s%sexpected a key name, found %s",
						   section, *section ? ": " : "",
						   te_yaml_node_kind(k));
		for (i = 0; i < nnames && strcmp(names[i], te_yaml_scalar(k)); i++)
			;
		if (i == nnames)
			return te_yaml_node_errorf(&y->err, k, "unknown key '%s%s%s'", section,
						   *section ? "." : "", te_yaml_scalar(k));
		snprintf(key, sizeof(key), "%s%s%s", section, *section ? "." : "", names[i]);
		if (seen[i])
			return te_yaml_node_errorf(&y->err, k, "%s: given twice (first at line %u)",
						   key, te_yaml_line(&seen[i]->start_mark));
		seen[i] = k;
		r = fn(y, c, i, key, v);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- outputs ----------------------------------------------------------- */

static void free_kvs(struct te_config_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
		free_kvs(kv[i].sub, kv[i].nsub);
	}
	free(kv);
}

/*
 * One mapping of a webhook entry, kept opaque: string keys, values that are
 * strings or (one level down, for headers) mappings of strings.  What the
 * keys mean is the webhook sender's business.
 */
static int parse_kvs(struct cctx *y, yaml_node_t *map, const char *key, unsigned depth,
		     struct te_config_kv **out, size_t *nout)
{
	struct te_config_kv *v = NULL;
	size_t n = 0, cap = 0;
	yaml_node_pair_t *p;
	int r = 0;

	if (map->type != YAML_MAPPING_NODE) {
		r = te_yaml_node_errorf(&y->err, map, "%s: expected a mapping, found %s", key,
					te_yaml_node_kind(map));
		goto out;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(y->doc, p->value);
		struct te_config_kv *e;

		if (k->type != YAML_SCALAR_NODE || te_yaml_is_null(k)) {
			r = te_yaml_node_errorf(&y->err, k, "%s: expected a key name, found %s",
						key, te_yaml_is_null(k) ? "nothing"
									: te_yaml_node_kind(k));
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			if (!strcmp(v[i].key, te_yaml_scalar(k))) {
				r = te_yaml_node_errorf(&y->err, k, "%s.%s: given twice "
							"(first at line %u)", key,
							te_yaml_scalar(k), v[i].line);
				goto out;
			}
		if (te_grow((void **)&v, &cap, n, sizeof(*v), 4) < 0) {
			r = te_yaml_oom(&y->err);
			goto out;
		}
		e = &v[n++];
		*e = (struct te_config_kv){ .line = te_yaml_line(&val->start_mark),
					    .col = te_yaml_col(&val->start_mark) };
		e->key = strdup(te_yaml_scalar(k));
		if (!e->key) {
			r = te_yaml_oom(&y->err);
			goto out;
		}
		if (val->type == YAML_SCALAR_NODE) {
			e->value = strdup(te_yaml_scalar(val));
			if (!e->value) {
				r = te_yaml_oom(&y->err);
				goto out;
			}
		} else if (val->type == YAML_MAPPING_NODE && depth == 0) {
			char sub[128];

			snprintf(sub, sizeof(sub), "%s.%s", key, e->key);
			r = parse_kvs(y, val, sub, depth + 1, &e->sub, &e->nsub);
			if (r < 0)
				goto out;
		} else {
			r = te_yaml_node_errorf(&y->err, val,
						"%s.%s: expected a string%s, found %s", key,
						e->key,
						depth == 0 ? " or a mapping of strings" : "",
						te_yaml_node_kind(val));
			goto out;
		}
	}
	*out = v;
	*nout = n;
	return 0;
out:
	free_kvs(v, n);
	return r;
}

static void free_webhooks(struct te_config_webhook *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_kvs(w[i].kv, w[i].nkv);
	free(w);
}

static int parse_webhooks(struct cctx *y, struct te_config *c, const char *key, yaml_node_t *n)
{
	yaml_node_item_t *it, *end;
	size_t cap = 0;
	int r;

	r = want_seq(y, n, key, &it, &end);
	if (r < 0)
		return r;
	for (; it < end; it++) {
		yaml_node_t *m = yaml_document_get_node(y->doc, *it);
		struct te_config_webhook *w;
		char name[KEY_MAX + sizeof("[18446744073709551615]")];

		snprintf(name, sizeof(name), "%s[%zu]", key, c->outputs.nwebhooks);
		if (te_grow((void **)&c->outputs.webhooks, &cap, c->outputs.nwebhooks,
			    sizeof(*c->outputs.webhooks), 2) < 0)
			return te_yaml_oom(&y->err);
		w = &c->outputs.webhooks[c->outputs.nwebhooks];
		*w = (struct te_config_webhook){ .line = te_yaml_line(&m->start_mark),
						 .col = te_yaml_col(&m->start_mark) };
		r = parse_kvs(y, m, name, 0, &w->kv, &w->nkv);
		if (r < 0)
			return r;
		c->outputs.nwebhooks++;
	}
	/* Parsed first so that a malformed entry gets its own message, then
	 * refused as a whole: see TE_CONFIG_ALLOW_WEBHOOKS. */
	if (c->outputs.nwebhooks && !(y->flags & TE_CONFIG_ALLOW_WEBHOOKS))
		return te_yaml_node_errorf(&y->err, n, "%s: webhooks are not supported yet by "
					   "this version of traceed", key);
	return 0;
}

enum { OK_JOURNAL, OK_JOURNAL_RATE, OK_EVENT_SOCKET, OK_STDOUT, OK_WEBHOOKS, OK__MAX };
static const char *const output_keys[OK__MAX] = {
	[OK_JOURNAL] = "journal",
	[OK_JOURNAL_RATE] = "journal_rate_limit",
	[OK_EVENT_SOCKET] = "event_socket",
	[OK_STDOUT] = "stdout",
	[OK_WEBHOOKS] = "webhooks",
};

static int output_key(struct cctx *y, struct te_config *c, unsigned idx, const char *key,
		      yaml_node_t *v)
{
	struct te_yaml_val val = te_yaml_node_val(v, key);

	switch (idx) {
	case OK_JOURNAL:
		return te_yaml_want_bool(&y->err, &val, &c->outputs.journal);
	case OK_JOURNAL_RATE:
		return te_yaml_want_uint(&y->err, &val, 0, TE_CONFIG_MAX_JOURNAL_RATE, NULL,
					 &c->outputs.journal_rate_limit);
	case OK_EVENT_SOCKET:
		return te_yaml_want_bool(&y->err, &val, &c->outputs.event_socket);
	case OK_STDOUT:
		return te_yaml_want_bool(&y->err, &val, &c->outputs.stdout_);
	case OK_WEBHOOKS:
		return parse_webhooks(y, c, key, v);
	}
	return -EINVAL;
}

/* ---- top level --------------------------------------------------------- */

enum { TK_RULE_PATHS, TK_BUFFER, TK_DEDUP, TK_HISTORY, TK_SCOPE, TK_STATE_DIR, TK_OUTPUTS,
       TK__MAX };
static const char *const top_keys[TK__MAX] = {
	[TK_RULE_PATHS] = "rule_paths",
	[TK_BUFFER] = "buffer_mib",
	[TK_DEDUP] = "dedup_window_ms",
	[TK_HISTORY] = "history_size",
	[TK_SCOPE] = "scope",
	[TK_STATE_DIR] = "state_dir",
	[TK_OUTPUTS] = "outputs",
};

static int parse_rule_paths(struct cctx *y, struct te_config *c, const char *key, yaml_node_t *n)
{
	yaml_node_item_t *it, *end;
	size_t cap = 0;
	int r;

	r = want_seq(y, n, key, &it, &end);
	if (r < 0)
		return r;
	/* The file replaces the defaults rather than adding to them, so that
	 * an administrator can drop the shipped rules entirely. */
	free_strv(c->rule_paths, c->nrule_paths);
	c->rule_paths = NULL;
	c->nrule_paths = 0;
	c->rule_paths_default = false;
	/* An empty list would start a daemon that detects nothing; that is
	 * never what "rule_paths: []" was meant to do. */
	if (it == end)
		return te_yaml_node_errorf(&y->err, n, "%s: no rule paths given", key);
	for (; it < end; it++) {
		yaml_node_t *p = yaml_document_get_node(y->doc, *it);
		struct te_yaml_val val = te_yaml_node_val(p, key);

		if (c->nrule_paths == TE_CONFIG_MAX_RULE_PATHS)
			return te_yaml_val_errorf(&y->err, &val, "more than %d rule paths",
						  TE_CONFIG_MAX_RULE_PATHS);
		r = te_yaml_want_path(&y->err, &val);
		if (r < 0)
			return r;
		r = push_str(y, &c->rule_paths, &c->nrule_paths, &cap, val.text);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_scope(struct cctx *y, struct te_config *c, const char *key, yaml_node_t *n)
{
	yaml_node_item_t *it, *end;
	size_t cap = 0;
	char msg[256];
	int r;

	r = want_seq(y, n, key, &it, &end);
	if (r < 0)
		return r;
	for (; it < end; it++) {
		struct te_yaml_val val =
			te_yaml_node_val(yaml_document_get_node(y->doc, *it), key);

		r = te_yaml_want_str(&y->err, &val, "a scope expression");
		if (r < 0)
			return r;
		if (te_scope_add(&c->scope, val.text, msg, sizeof(msg)) < 0)
			/* te_scope_add speaks of the command-line option;
			 * here the reader is looking at the "scope:" key. */
			return te_yaml_val_errorf(&y->err, &val, "%s",
						  strncmp(msg, "--scope ", 8) ? msg : msg + 8);
		r = push_str(y, &c->scope_exprs, &c->nscope_exprs, &cap, val.text);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The BPF ring buffer's size, which must be a power of two. */
static int parse_buffer(struct cctx *y, struct te_config *c, const struct te_yaml_val *val)
{
	unsigned mib;
	int r;

	r = te_yaml_want_uint(&y->err, val, 1, TE_CONFIG_MAX_BUFFER_MIB, NULL, &mib);
	if (r < 0)
		return r;
	if (mib & (mib - 1))
		return te_yaml_val_errorf(&y->err, val, "%s is not a power of two (%u to %u)",
					  val->text, 1u, TE_CONFIG_MAX_BUFFER_MIB);
	c->buffer_mib = mib;
	return 0;
}

/* Absolute: the service runs in /, and a relative path in /etc that means
 * something else under --foreground would be a trap. */
static int parse_state_dir(struct cctx *y, struct te_config *c, const struct te_yaml_val *val)
{
	char *d;
	int r;

	r = te_yaml_want_path(&y->err, val);
	if (r < 0)
		return r;
	d = strdup(val->text);
	if (!d)
		return te_yaml_oom(&y->err);
	free(c->state_dir);
	c->state_dir = d;
	return 0;
}

static int top_key(struct cctx *y, struct te_config *c, unsigned idx, const char *key,
		   yaml_node_t *v)
{
	struct te_yaml_val val = te_yaml_node_val(v, key);

	switch (idx) {
	case TK_RULE_PATHS:
		return parse_rule_paths(y, c, key, v);
	case TK_BUFFER:
		return parse_buffer(y, c, &val);
	case TK_DEDUP:
		return te_yaml_want_uint(&y->err, &val, 0, TE_CONFIG_MAX_DEDUP_MS, NULL,
					 &c->dedup_window_ms);
	case TK_HISTORY:
		return te_yaml_want_uint(&y->err, &val, 0, TE_CONFIG_MAX_HISTORY, NULL,
					 &c->history_size);
	case TK_SCOPE:
		return parse_scope(y, c, key, v);
	case TK_STATE_DIR:
		return parse_state_dir(y, c, &val);
	case TK_OUTPUTS:
		/* the section's name from the table, not from @key's buffer:
		 * "outputs." and its keys always fit in KEY_MAX */
		return walk_mapping(y, c, v, top_keys[TK_OUTPUTS], output_keys, OK__MAX,
				    output_key);
	}
	return -EINVAL;
}

/* ---- entry points ------------------------------------------------------ */

int te_config_defaults(struct te_config *c)
{
	static const char *const paths[] = { TRACEED_RULES_DIR, TRACEED_RULES_D };

	*c = (struct te_config){
		.rule_paths_default = true,
		.buffer_mib = 8,
		.dedup_window_ms = 1000,
		.history_size = 1000,
		.outputs = { .journal = true, .journal_rate_limit = 100, .event_socket = true },
	};
	te_scope_init(&c->scope);
	c->rule_paths = calloc(2, sizeof(*c->rule_paths));
	c->state_dir = strdup(TRACEED_STATE_DIR);
	if (!c->rule_paths || !c->state_dir)
		goto oom;
	for (size_t i = 0; i < 2; i++) {
		c->rule_paths[i] = strdup(paths[i]);
		if (!c->rule_paths[i])
			goto oom;
		c->nrule_paths++;
	}
	return 0;
oom:
	te_config_free(c);
	return -ENOMEM;
}

void te_config_free(struct te_config *c)
{
	free(c->path);
	free_strv(c->rule_paths, c->nrule_paths);
	free_strv(c->scope_exprs, c->nscope_exprs);
	free(c->state_dir);
	free_webhooks(c->outputs.webhooks, c->outputs.nwebhooks);
	memset(c, 0, sizeof(*c));
}

static int parse_file(struct cctx *y, FILE *f, struct te_config *c)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root;
	char problem[512];
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return te_yaml_oom(&y->err);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		r = te_yaml_errorf(&y->err, te_yaml_line(&parser.problem_mark),
				   te_yaml_col(&parser.problem_mark), "YAML syntax error: %s",
				   te_yaml_problem(&parser, "unknown", problem, sizeof(problem)));
		goto out_parser;
	}
	y->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root) /* an empty file means all defaults */
		r = walk_mapping(y, c, root, "", top_keys, TK__MAX, top_key);
	if (r == 0) {
		/* Only the first document would be read: a second one is
		 * most likely a paste error, and silently ignoring half a
		 * file is what this parser exists to prevent. */
		if (!yaml_parser_load(&parser, &extra)) {
			r = te_yaml_errorf(&y->err, te_yaml_line(&parser.problem_mark),
					   te_yaml_col(&parser.problem_mark),
					   "YAML syntax error: %s",
					   parser.problem ? parser.problem : "unknown");
		} else {
			yaml_node_t *x = yaml_document_get_root_node(&extra);

			if (x)
				r = te_yaml_node_errorf(&y->err, x, "a second YAML document; the "
							"configuration is one mapping");
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	return r;
}

int te_config_load_flags(const char *path, unsigned flags, struct te_config *out, char *err,
			 size_t errlen)
{
	struct cctx y = { .flags = flags, .err = { .file = path, .buf = err, .len = errlen } };
	struct te_config tmp;
	struct stat st;
	FILE *f;
	int r;

	if (err && errlen)
		err[0] = '\0';
	r = te_config_defaults(&tmp);
	if (r < 0)
		return te_yaml_oom(&y.err);
	tmp.path = strdup(path);
	if (!tmp.path) {
		r = te_yaml_oom(&y.err);
		goto fail;
	}
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		if (r == -ENOENT) {
			tmp.file_missing = true;
			*out = tmp;
			return 0;
		}
		te_yaml_errnof(&y.err, r, TE_YAML_NOPOS, TE_YAML_NOPOS, "%s", strerror(-r));
		goto fail;
	}
	/* fopen() happily opens a directory; reading it would then fail with
	 * an unhelpful YAML "reader error". */
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		r = te_yaml_errorf(&y.err, TE_YAML_NOPOS, TE_YAML_NOPOS, "not a regular file");
		fclose(f);
		goto fail;
	}
	r = parse_file(&y, f, &tmp);
	fclose(f);
	if (r < 0)
		goto fail;
	*out = tmp;
	return 0;
fail:
	te_config_free(&tmp);
	return r;
}

int te_config_load(const char *path, struct te_config *out, char *err, size_t errlen)
{
	return te_config_load_flags(path, 0, out, err, errlen);
}
