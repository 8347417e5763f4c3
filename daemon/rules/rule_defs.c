// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lists and macros: the named pieces that conditions refer to.
 *
 * Lists are expanded when defined (an item naming an existing list is
 * replaced by that list's items, as in Falco), so a condition sees flat
 * string lists.  Macros are kept as text and parsed where a condition uses
 * them (rule_parser.c): Falco files define macros in any order and refer to
 * macros and lists defined further down, which parsing at definition time
 * could not allow.  A macro extended with append keeps, for each appended
 * piece, where it came from, so that errors point into the right YAML node.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rule_ast.h"

struct te_rl_defs {
	struct rl_list *lists;
	size_t nlists, caplists;
	struct rl_macro *macros;
	size_t nmacros, capmacros;
	/* Copies of the file names of macro locations, shared by the macros
	 * from one file: callers' strings need not outlive the call. */
	char **files;
	size_t nfiles;
};

static const char *const keywords[] = {
	"and",	      "or",	  "not",  "in",	   "contains", "icontains",
	"startswith", "endswith", "glob", "pmatch", "exists",
};

bool rl_is_keyword(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i]) == len && memcmp(keywords[i], s, len) == 0)
			return true;
	return false;
}

struct te_rl_defs *te_rl_defs_new(void)
{
	return calloc(1, sizeof(struct te_rl_defs));
}

static void free_items(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

void te_rl_defs_free(struct te_rl_defs *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nlists; i++) {
		free(d->lists[i].name);
		free_items(d->lists[i].items, d->lists[i].n);
	}
	free(d->lists);
	for (size_t i = 0; i < d->nmacros; i++) {
		free(d->macros[i].name);
		free(d->macros[i].text);
		free(d->macros[i].segs);
	}
	free(d->macros);
	for (size_t i = 0; i < d->nfiles; i++)
		free(d->files[i]);
	free(d->files);
	free(d);
}

const struct rl_list *rl_defs_find_list(const struct te_rl_defs *d, const char *name, size_t len)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->nlists; i++)
		if (strlen(d->lists[i].name) == len && memcmp(d->lists[i].name, name, len) == 0)
			return &d->lists[i];
	return NULL;
}

const struct rl_macro *rl_defs_find_macro(const struct te_rl_defs *d, const char *name,
					  size_t len)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->nmacros; i++)
		if (strlen(d->macros[i].name) == len && memcmp(d->macros[i].name, name, len) == 0)
			return &d->macros[i];
	return NULL;
}

/* A name must read back as one bare word that is not a keyword, or no
 * condition could refer to it. */
static bool valid_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || rl_is_keyword(name, n))
		return false;
	return strcspn(name, " \t\r\n\f\v(),\"'=<>!") == n;
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t nc;
	void *nv;

	if (need <= *cap)
		return 0;
	nc = *cap ? *cap * 2 : 16;
	while (nc < need)
		nc *= 2;
	nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

int te_rl_defs_list(struct te_rl_defs *d, const char *name, const char *const *items, size_t n,
		    bool append, const struct te_src_loc *loc, struct te_rl_error *err)
{
	const struct rl_list *old = NULL;
	struct rl_list *slot;
	char **v = NULL;
	size_t nv = 0, cap = 0;

	if (!valid_name(name)) {
		rl_error_loc(err, loc, "bad list name '%s': expected one word, not a keyword",
			     name ? name : "");
		return -EINVAL;
	}
	old = rl_defs_find_list(d, name, strlen(name));
	if (append && !old) {
		rl_error_loc(err, loc, "cannot append to list '%s': no such list", name);
		return -ENOENT;
	}
	/* The new item vector is built completely before the old one is
	 * touched: an item may name the very list being redefined. */
	if (append) {
		if (grow((void **)&v, &cap, old->n, sizeof(*v)) < 0)
			goto oom;
		for (size_t i = 0; i < old->n; i++) {
			if (!(v[nv] = strdup(old->items[i])))
				goto oom;
			nv++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct rl_list *sub = items[i] ? rl_defs_find_list(d, items[i], strlen(items[i]))
						     : NULL;
		size_t add = sub ? sub->n : 1;

		if (grow((void **)&v, &cap, nv + add, sizeof(*v)) < 0)
			goto oom;
		for (size_t j = 0; j < add; j++) {
			if (!(v[nv] = strdup(sub ? sub->items[j] : items[i] ? items[i] : "")))
				goto oom;
			nv++;
		}
	}
	if (old) {
		slot = &d->lists[old - d->lists];
		free_items(slot->items, slot->n);
	} else {
		char *nm = strdup(name);

		if (!nm || grow((void **)&d->lists, &d->caplists, d->nlists + 1, sizeof(*d->lists)) < 0) {
			free(nm);
			goto oom;
		}
		slot = &d->lists[d->nlists++];
		slot->name = nm;
	}
	slot->items = v;
	slot->n = nv;
	return 0;
oom:
	free_items(v, nv);
	rl_error_loc(err, loc, "out of memory");
	return -ENOMEM;
}

static const char *intern_file(struct te_rl_defs *d, const char *file)
{
	char **nf;

	if (!file)
		return NULL;
	for (size_t i = 0; i < d->nfiles; i++)
		if (strcmp(d->files[i], file) == 0)
			return d->files[i];
	nf = realloc(d->files, (d->nfiles + 1) * sizeof(*nf));
	if (!nf)
		return NULL;
	d->files = nf;
	if (!(d->files[d->nfiles] = strdup(file)))
		return NULL;
	return d->files[d->nfiles++];
}

int te_rl_defs_macro(struct te_rl_defs *d, const char *name, const char *condition, bool append,
		     const struct te_src_loc *loc, struct te_rl_error *err)
{
	const struct rl_macro *old;
	struct rl_macro *m;
	struct rl_seg seg = { 0 };
	size_t clen = condition ? strlen(condition) : 0;
	char *text;
	struct rl_seg *segs;

	if (!valid_name(name)) {
		rl_error_loc(err, loc, "bad macro name '%s': expected one word, not a keyword",
			     name ? name : "");
		return -EINVAL;
	}
	old = rl_defs_find_macro(d, name, strlen(name));
	if (append && !old) {
		rl_error_loc(err, loc, "cannot append to macro '%s': no such macro", name);
		return -ENOENT;
	}
	seg.loc.file = loc ? intern_file(d, loc->file) : NULL;
	if (loc && loc->file && !seg.loc.file)
		goto oom;
	seg.loc.line = loc && loc->line ? loc->line : 1;
	seg.loc.col = loc && loc->col ? loc->col : 1;

	if (append) {
		m = &d->macros[old - d->macros];
		/* "old new", as Falco joins them */
		text = malloc(m->len + 1 + clen + 1);
		segs = realloc(m->segs, (m->nsegs + 1) * sizeof(*segs));
		if (!text || !segs) {
			free(text);
			if (segs)
				m->segs = segs;
			goto oom;
		}
		m->segs = segs;
		memcpy(text, m->text, m->len);
		text[m->len] = ' ';
		memcpy(text + m->len + 1, condition ? condition : "", clen + 1);
		seg.off = m->len + 1;
		m->segs[m->nsegs++] = seg;
		free(m->text);
		m->text = text;
		m->len += 1 + clen;
		return 0;
	}

	text = strdup(condition ? condition : "");
	segs = malloc(sizeof(*segs));
	if (!text || !segs)
		goto oom_free;
	segs[0] = seg;
	if (old) {
		m = &d->macros[old - d->macros];
		free(m->text);
		free(m->segs);
	} else {
		char *nm = strdup(name);

		if (!nm ||
		    grow((void **)&d->macros, &d->capmacros, d->nmacros + 1, sizeof(*d->macros)) < 0) {
			free(nm);
			goto oom_free;
		}
		m = &d->macros[d->nmacros++];
		m->name = nm;
	}
	m->text = text;
	m->len = clen;
	m->segs = segs;
	m->nsegs = 1;
	return 0;
oom_free:
	free(text);
	free(segs);
oom:
	rl_error_loc(err, loc, "out of memory");
	return -ENOMEM;
}
