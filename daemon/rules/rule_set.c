/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule sets: the items read by rule_loader.c, merged (overrides, appends),
 * compiled and indexed by event type.
 *
 * Load order.  All files are read first, then every list, then every macro
 * is defined (each kind in file order, so an append comes after what it
 * extends), and only then are rules compiled.  So a rule may use a macro
 * or list from a later file; Falco requires definitions to come first, we
 * do not, because /etc/traceed/rules.d files are read after the shipped
 * ones and should be able to both define and use new macros in any file.
 *
 * Overrides.  A rule item whose name, or id, matches an earlier rule:
 *   - replaces it entirely (keeping its place in the order, so a local
 *     redefinition matches in the same order as the shipped one), unless
 *   - it has override: {KEY: append|replace, ...} or append: true, which
 *     changes only the keys named, or
 *   - it has only enabled: (and perhaps id:), Falco's way to switch a rule
 *     off, which changes only enabled.
 * A full definition reusing another rule's id under a different name is an
 * error: two rules with one id is almost always a copy-paste mistake, and
 * ids are what the D-Bus API, journal and webhooks identify rules by.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rule_fields.h"
#include "grow.h"
#include "rule_loader.h"
#include "rule_set.h"

/* ---- the set ----------------------------------------------------------- */

struct te_ruleset {
	struct te_rule **rules;  /* load order; pointers stay put for the index */
	size_t n;
	struct te_rl_defs *defs; /* kept: compiled rules may refer to lists */
	char **files;            /* te_src_loc.file of the macros points here */
	size_t nfiles;
	/* The index: rules able to match event e are idx[off[e] .. off[e+1]). */
	uint32_t off[TE_EV_MAX + 1];
	struct te_rule **idx;
	/* Prefilter per event type (NULL: evaluate every indexed rule). */
	struct evfilter *filt[TE_EV_MAX];
};

static void filters_free(struct te_ruleset *rs);

static void rule_free(struct te_rule *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->name);
	free(r->description);
	free(r->condition);
	free(r->output);
	free(r->mitre_technique);
	free(r->mitre_tactic);
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	free(r->source_file);
	te_expr_free(r->cond);
	te_tpl_free(r->tpl);
	free(r);
}

void te_ruleset_free(struct te_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_free(rs->rules[i]);
	filters_free(rs);
	free(rs->rules);
	free(rs->idx);
	if (rs->defs)
		te_rl_defs_free(rs->defs);
	for (size_t i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs);
}

/* ---- prefilter ---------------------------------------------------------- */

/*
 * Most rules require, in a top-level conjunction, that some text field
 * (fd.name, fd.filename, proc.name...) equals, starts with or lies under
 * one of a few strings (rl_expr_keys).  Per event type, those strings are
 * put in one hash table per field; a match looks the field's value up at
 * the lengths the table has keys of, and evaluates only the rules with a
 * hit plus those without keys, in load order.  Most events then cost a few
 * lookups instead of an evaluation of every rule.
 */
#define FILT_MAXLEN 256        /* keys as long or longer: rule always evaluated */
#define FILT_MAXWORDS 64       /* up to 4096 rules per event type */

struct kentry {
	const char *s;
	uint32_t len;
	uint8_t kind;          /* enum rl_fkey_kind */
	uint32_t rule;         /* position in the event type's rule list */
	uint64_t h;
};

struct kgroup {
	const struct rl_field *field;
	struct kentry *ents;
	size_t nents, cap;
	uint32_t *slots;       /* entry + 1; 0 empty */
	size_t mask;
	uint64_t lens[FILT_MAXLEN / 64];   /* lengths some key has */
	uint64_t prefix[FILT_MAXLEN / 64]; /* lengths of PREFIX keys */
	uint64_t path[FILT_MAXLEN / 64];   /* lengths of PATH keys */
	size_t maxlen;
};

struct evfilter {
	size_t nwords;
	uint64_t *always;      /* rules without keys */
	struct kgroup *groups;
	size_t ngroups;
};

static inline uint64_t load8(const char *p, size_t n)
{
	uint64_t x = 0;

	if (n >= 8)
		memcpy(&x, p, 8);
	else
		for (size_t i = 0; i < n; i++)
			x |= (uint64_t)(unsigned char)p[i] << (8 * i);
	return x;
}

/* Constant time: the first and last 8 bytes and the length. */
static inline uint64_t khash(const char *p, size_t n)
{
	uint64_t a = load8(p, n), b = n > 8 ? load8(p + n - 8, 8) : 0;
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull) ^ n) * 0xff51afd7ed558ccdull;

	return h ^ (h >> 29);
}

static void evfilter_free(struct evfilter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->ngroups; i++) {
		free(f->groups[i].ents);
		free(f->groups[i].slots);
	}
	free(f->groups);
	free(f->always);
	free(f);
}

static int group_add(struct kgroup *g, const struct rl_fkey *k, uint32_t rule)
{
	if (te_grow((void **)&g->ents, &g->cap, g->nents, sizeof(*g->ents), 16) < 0)
		return -ENOMEM;
	g->ents[g->nents++] = (struct kentry){ k->s, (uint32_t)k->len, (uint8_t)k->kind, rule,
					       khash(k->s, k->len) };
	return 0;
}

static int group_finish(struct kgroup *g)
{
	size_t size = 16;

	while (size < g->nents * 2)
		size *= 2;
	g->slots = calloc(size, sizeof(*g->slots));
	if (!g->slots)
		return -ENOMEM;
	g->mask = size - 1;
	for (size_t i = 0; i < g->nents; i++) {
		const struct kentry *e = &g->ents[i];
		size_t h = e->h & g->mask;

		while (g->slots[h])
			h = (h + 1) & g->mask;
		g->slots[h] = (uint32_t)i + 1;
		g->lens[e->len / 64] |= 1ull << (e->len % 64);
		if (e->kind == RL_FKEY_PREFIX)
			g->prefix[e->len / 64] |= 1ull << (e->len % 64);
		if (e->kind == RL_FKEY_PATH)
			g->path[e->len / 64] |= 1ull << (e->len % 64);
		if (e->len > g->maxlen)
			g->maxlen = e->len;
	}
	return 0;
}

/* Build the prefilter of event type @d over its rules idx[0..n). */
static int evfilter_build(struct te_rule *const *idx, size_t n, const struct te_event_desc *d,
			  struct evfilter **out)
{
	struct evfilter *f;
	struct rl_fkeys k = { 0 };
	int r = 0;

	*out = NULL;
	if (n == 0 || n > FILT_MAXWORDS * 64)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->nwords = (n + 63) / 64;
	f->always = calloc(f->nwords, sizeof(*f->always));
	if (!f->always)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		bool always = false;

		if (rl_expr_keys(idx[i]->cond, d, &k) < 0)
			goto oom;
		always = k.all;
		for (size_t j = 0; j < k.n && !always; j++)
			if (k.v[j].len >= FILT_MAXLEN)
				always = true;
		if (always) {
			f->always[i / 64] |= 1ull << (i % 64);
			continue;
		}
		for (size_t j = 0; j < k.n; j++) {
			struct kgroup *g = NULL;

			for (size_t x = 0; x < f->ngroups && !g; x++)
				if (rl_field_same(f->groups[x].field, k.v[j].field, d))
					g = &f->groups[x];
			if (!g) {
				struct kgroup *ng = realloc(f->groups,
							    (f->ngroups + 1) * sizeof(*ng));

				if (!ng)
					goto oom;
				f->groups = ng;
				g = &f->groups[f->ngroups++];
				memset(g, 0, sizeof(*g));
				g->field = k.v[j].field;
			}
			if (group_add(g, &k.v[j], (uint32_t)i) < 0)
				goto oom;
		}
	}
	for (size_t x = 0; x < f->ngroups; x++)
		if (group_finish(&f->groups[x]) < 0)
			goto oom;
	free(k.v);
	*out = f;
	return 0;
oom:
	r = -ENOMEM;
	free(k.v);
	evfilter_free(f);
	return r;
}

static void probe_at(const struct kgroup *g, const char *p, size_t n, size_t L, uint64_t *cand)
{
	uint64_t h = khash(p, L);

	for (size_t s = h & g->mask; g->slots[s]; s = (s + 1) & g->mask) {
		const struct kentry *e = &g->ents[g->slots[s] - 1];

		if (e->h != h || e->len != L)
			continue;
		if (e->kind == RL_FKEY_EXACT && L != n)
			continue;
		if (e->kind == RL_FKEY_PATH && L != n && p[L] != '/')
			continue;
		if (memcmp(e->s, p, L) == 0)
			cand[e->rule / 64] |= 1ull << (e->rule % 64);
	}
}

/* Set the bits of the rules whose keys in @g hold for the text p[0..n). */
static void group_probe(const struct kgroup *g, const char *p, size_t n, uint64_t *cand)
{
	/* Below n, only PREFIX keys and PATH keys ending before a '/' can
	 * hit; at n, every kind. */
	size_t lim = n <= g->maxlen ? n : g->maxlen + 1; /* lengths below lim */

	for (size_t w = 0; w * 64 < lim; w++) {
		uint64_t bits = g->prefix[w], path = g->path[w];

		if (w == lim / 64) { /* lengths < lim only */
			bits &= (1ull << (lim % 64)) - 1;
			path &= (1ull << (lim % 64)) - 1;
		}
		while (path) {
			size_t L = w * 64 + (size_t)__builtin_ctzll(path);

			path &= path - 1;
			if (p[L] == '/')
				bits |= 1ull << (L % 64);
		}
		while (bits) {
			size_t L = w * 64 + (size_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			probe_at(g, p, n, L, cand);
		}
	}
	if (n <= g->maxlen && (g->lens[n / 64] >> (n % 64) & 1))
		probe_at(g, p, n, n, cand);
}

static void filters_free(struct te_ruleset *rs)
{
	for (unsigned e = 0; e < TE_EV_MAX; e++) {
		evfilter_free(rs->filt[e]);
		rs->filt[e] = NULL;
	}
}

/* Counting sort of the enabled rules by event: two passes, one array, and
 * load order kept within each event. */
static int reindex(struct te_ruleset *rs)
{
	uint32_t count[TE_EV_MAX] = { 0 }, pos[TE_EV_MAX];
	struct te_rule **idx;
	size_t total = 0, i;
	unsigned e;

	for (i = 0; i < rs->n; i++)
		for (e = 0; e < TE_EV_MAX; e++)
			if (rs->rules[i]->enabled && rs->rules[i]->events[e])
				count[e]++;
	for (e = 0; e < TE_EV_MAX; e++) {
		pos[e] = (uint32_t)total;
		total += count[e];
	}
	idx = calloc(total ? total : 1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (e = 0; e < TE_EV_MAX; e++)
		rs->off[e] = pos[e];
	rs->off[TE_EV_MAX] = (uint32_t)total;
	for (i = 0; i < rs->n; i++)
		for (e = 0; e < TE_EV_MAX; e++)
			if (rs->rules[i]->enabled && rs->rules[i]->events[e])
				idx[pos[e]++] = rs->rules[i];
	free(rs->idx);
	rs->idx = idx;
	/* The prefilters; an event type without one (out of memory, too many
	 * rules) just has every rule evaluated. */
	filters_free(rs);
	for (e = 0; e < TE_EV_MAX; e++) {
		const struct te_event_desc *d = te_event_by_id(e);

		if (d && d->id == e)
			(void)evfilter_build(&idx[rs->off[e]], rs->off[e + 1] - rs->off[e], d,
					     &rs->filt[e]);
	}
	return 0;
}

size_t te_ruleset_count(const struct te_ruleset *rs)
{
	return rs->n;
}

struct te_rule *te_ruleset_rule(struct te_ruleset *rs, size_t i)
{
	return i < rs->n ? rs->rules[i] : NULL;
}

struct te_rule *te_ruleset_find(struct te_ruleset *rs, const char *id_or_name)
{
	/* Ids first: an id is what callers normally have, and a rule named
	 * like another rule's id should not shadow it. */
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->rules[i]->id, id_or_name))
			return rs->rules[i];
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->rules[i]->name, id_or_name))
			return rs->rules[i];
	return NULL;
}

size_t te_ruleset_enabled_count(const struct te_ruleset *rs)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++)
		n += rs->rules[i]->enabled;
	return n;
}

int te_ruleset_set_enabled(struct te_ruleset *rs, const char *id, bool enabled)
{
	struct te_rule *r = NULL;
	bool old;
	int ret;

	for (size_t i = 0; i < rs->n && !r; i++)
		if (!strcmp(rs->rules[i]->id, id))
			r = rs->rules[i];
	if (!r)
		return -ENOENT;
	old = r->enabled;
	r->enabled = enabled;
	ret = reindex(rs);
	if (ret < 0)
		r->enabled = old; /* the old index is still in place and right */
	return ret;
}

size_t te_ruleset_warn_weak_exceptions(const struct te_ruleset *rs, FILE *out)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const struct te_rule *r = rs->rules[i];
		const char *f = te_expr_weak_exception(r->cond);

		if (!f)
			continue;
		n++;
		fprintf(out,
			"%s:%u: warning: rule %s: an exception tests %s, which the process "
			"chooses itself, without a field the kernel vouches for "
			"(proc.exe_verified, proc.pexe_verified, proc.aexe_verified)\n",
			r->source_file ? r->source_file : "<rules>", r->source_line,
			r->id ? r->id : r->name, f);
	}
	return n;
}

void te_ruleset_events_failed(const struct te_ruleset *rs, bool out[TE_EV_MAX])
{
	memset(out, 0, TE_EV_MAX * sizeof(out[0]));
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i]->enabled)
			for (unsigned e = 0; e < TE_EV_MAX; e++)
				out[e] |= rs->rules[i]->events[e] && rs->rules[i]->events_failed[e];
}

void te_ruleset_events(const struct te_ruleset *rs, bool out[TE_EV_MAX])
{
	memset(out, 0, TE_EV_MAX * sizeof(out[0]));
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rules[i]->enabled)
			for (unsigned e = 0; e < TE_EV_MAX; e++)
				out[e] |= rs->rules[i]->events[e];
}

static unsigned match_one(struct te_rule *r, const struct te_rule_event *ev, struct rl_scratch *s,
			  te_match_fn fn, void *ctx)
{
	if (!rl_eval(r->cond, ev, s))
		return 0;
	r->hits++;
	if (fn)
		fn(ctx, r, ev);
	return 1;
}

unsigned te_ruleset_match(struct te_ruleset *rs, const struct te_rule_event *ev, te_match_fn fn,
			  void *ctx)
{
	unsigned n = 0;
	uint32_t id = ev->desc->id, base;
	const struct evfilter *f;
	uint64_t cand[FILT_MAXWORDS];
	struct rl_scratch s;

	if (id >= TE_EV_MAX)
		return 0;
	base = rs->off[id];
	rl_scratch_init(&s);
	f = rs->filt[id];
	if (!f) {
		for (uint32_t i = base; i < rs->off[id + 1]; i++)
			n += match_one(rs->idx[i], ev, &s, fn, ctx);
		return n;
	}
	memcpy(cand, f->always, f->nwords * sizeof(*cand));
	for (size_t g = 0; g < f->ngroups; g++) {
		struct rl_val v;

		rl_field_get(f->groups[g].field, ev, &s, &v);
		if (v.type == TE_RV_STR) {
			group_probe(&f->groups[g], v.str, v.len, cand);
		} else if (v.type != TE_RV_NONE) {
			/* not text after all (a mixed-type argument): no
			 * conclusion, evaluate everything */
			memset(cand, 0xff, f->nwords * sizeof(*cand));
			break;
		}
	}
	for (size_t w = 0; w < f->nwords; w++) {
		uint64_t bits = cand[w];

		while (bits) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (base + i < rs->off[id + 1])
				n += match_one(rs->idx[base + i], ev, &s, fn, ctx);
		}
	}
	return n;
}

/* ---- merging rule items ------------------------------------------------ */

/* One piece of a condition: the definition's text, then each append. */
struct piece {
	const char *text;
	struct te_src_loc loc;
};

/* A rule as the items say so far; strings are borrowed from the items
 * except those in ->owned (appended outputs and descriptions). */
struct draft {
	const struct rl_item *def;     /* the full definition */
	const struct rl_item *last;    /* the last item that changed it */
	const char *id, *name, *description, *output;
	struct te_src_loc output_loc;
	enum te_severity severity;
	const char *mitre_technique, *mitre_tactic;
	const char **tags;
	size_t ntags;
	bool enabled;
	struct piece *cond;
	size_t ncond;
	const struct rl_exception **exc;
	size_t nexc;
	char *owned[2];                /* built description, output */
};

struct merge {
	struct draft *v;
	size_t n, cap;
	struct rl_diag *d;
};

static void draft_clear(struct draft *dr)
{
	free(dr->tags);
	free(dr->cond);
	free(dr->exc);
	free(dr->owned[0]);
	free(dr->owned[1]);
	memset(dr, 0, sizeof(*dr));
}

static int oom(struct merge *m, const struct rl_item *it)
{
	rl_report_loc(m->d, &it->loc, "out of memory");
	return -ENOMEM;
}

static int set_tags(struct draft *dr, const struct rl_item *it, bool append)
{
	size_t n = (append ? dr->ntags : 0) + it->ntags;
	const char **v = realloc(append ? dr->tags : NULL, (n ? n : 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (!append)
		free(dr->tags);
	memcpy(v + n - it->ntags, it->tags, it->ntags * sizeof(*v));
	dr->tags = v;
	dr->ntags = n;
	return 0;
}

static int set_cond(struct draft *dr, const struct rl_item *it, bool append)
{
	size_t n = append ? dr->ncond + 1 : 1;
	struct piece *v = realloc(append ? dr->cond : NULL, n * sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (!append)
		free(dr->cond);
	v[n - 1] = (struct piece){ it->condition, it->key_loc[RK_COND] };
	dr->cond = v;
	dr->ncond = n;
	return 0;
}

static int set_exc(struct draft *dr, const struct rl_item *it, bool append)
{
	size_t n = (append ? dr->nexc : 0) + it->nexc;
	const struct rl_exception **v = realloc(append ? dr->exc : NULL, (n ? n : 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (!append)
		free(dr->exc);
	for (size_t i = 0; i < it->nexc; i++)
		v[n - it->nexc + i] = &it->exc[i];
	dr->exc = v;
	dr->nexc = n;
	return 0;
}

/* "old new", as Falco appends text. */
static int set_text(const char **dst, char **owned, const char *add, bool append)
{
	char *s;

	if (!append || !*dst) {
		*dst = add;
		return 0;
	}
	if (asprintf(&s, "%s %s", *dst, add) < 0)
		return -ENOMEM;
	free(*owned);
	*owned = s;
	*dst = s;
	return 0;
}

/* Apply the keys in @keys of @it to @dr, appending those in it->append. */
static int apply(struct draft *dr, const struct rl_item *it, unsigned keys)
{
	int r = 0;

#define APP(k) ((it->append & RK_BIT(k)) != 0)
	if (keys & RK_BIT(RK_DESC))
		r |= set_text(&dr->description, &dr->owned[0], it->description, APP(RK_DESC));
	if (keys & RK_BIT(RK_OUTPUT)) {
		r |= set_text(&dr->output, &dr->owned[1], it->output, APP(RK_OUTPUT));
		/* An appended output's errors point at its start: the best
		 * single position we have for joined text. */
		if (!APP(RK_OUTPUT))
			dr->output_loc = it->key_loc[RK_OUTPUT];
	}
	if (keys & RK_BIT(RK_COND))
		r |= set_cond(dr, it, APP(RK_COND));
	if (keys & RK_BIT(RK_EXCEPTIONS))
		r |= set_exc(dr, it, APP(RK_EXCEPTIONS));
	if (keys & RK_BIT(RK_TAGS))
		r |= set_tags(dr, it, APP(RK_TAGS));
	if (keys & RK_BIT(RK_SEVERITY))
		dr->severity = it->severity;
	if (keys & RK_BIT(RK_ENABLED))
		dr->enabled = it->enabled;
	if (keys & RK_BIT(RK_MITRE)) {
		dr->mitre_technique = it->mitre_technique;
		dr->mitre_tactic = it->mitre_tactic;
	}
#undef APP
	dr->last = it;
	return r ? -ENOMEM : 0;
}

static struct draft *find_by_name(struct merge *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, name))
			return &m->v[i];
	return NULL;
}

static struct draft *find_by_id(struct merge *m, const char *id)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].id && !strcmp(m->v[i].id, id))
			return &m->v[i];
	return NULL;
}

static void merge_partial(struct merge *m, const struct rl_item *it, const char *how)
{
	struct draft *dr = find_by_name(m, it->name);

	/* "- rule: TRC-102 / enabled: false" names the rule by its id. */
	if (!dr)
		dr = find_by_id(m, it->name);
	if (!dr && it->id)
		dr = find_by_id(m, it->id);
	if (!dr) {
		rl_report_loc(m->d, &it->loc, "cannot %s rule '%s': no such rule is defined before",
			      how, it->name);
		return;
	}
	if (it->id && strcmp(it->id, dr->id)) {
		rl_report_loc(m->d, &it->key_loc[RK_ID],
			      "rule '%s' has id '%s' (%s:%u:%u); an override cannot change it to '%s'",
			      dr->name, dr->id, dr->def->loc.file, dr->def->loc.line, dr->def->loc.col,
			      it->id);
		return;
	}
	if (apply(dr, it, it->present & ~RK_BIT(RK_ID)) < 0)
		oom(m, it);
}

static void merge_full(struct merge *m, const struct rl_item *it)
{
	static const enum rl_key required[] = { RK_ID, RK_COND, RK_OUTPUT, RK_SEVERITY };
	struct draft *byname, *byid, *dr;
	bool bad = false;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(it->present & RK_BIT(required[i]))) {
			rl_report_loc(m->d, &it->loc, "rule '%s' has no '%s'", it->name,
				      rl_key_name(required[i]));
			bad = true;
		}
	if (bad)
		return;
	byname = find_by_name(m, it->name);
	byid = find_by_id(m, it->id);
	if (byid && byid != byname) {
		rl_report_loc(m->d, &it->key_loc[RK_ID],
			      "duplicate id '%s': rule '%s' here and rule '%s' at %s:%u:%u", it->id,
			      it->name, byid->name, byid->def->loc.file, byid->def->loc.line,
			      byid->def->loc.col);
		return;
	}
	dr = byname;
	if (dr) {
		draft_clear(dr);
	} else {
		if (te_grow((void **)&m->v, &m->cap, m->n, sizeof(*m->v), 64) < 0) {
			oom(m, it);
			return;
		}
		dr = &m->v[m->n++];
		memset(dr, 0, sizeof(*dr));
	}
	dr->def = it;
	dr->id = it->id;
	dr->name = it->name;
	dr->enabled = true;
	/* A full definition appends nothing. */
	if (apply(dr, it, it->present & ~(it->append | RK_BIT(RK_ID))) < 0)
		oom(m, it);
}

static void merge_rule(struct merge *m, const struct rl_item *it)
{
	bool enabled_only = (it->present & ~RK_BIT(RK_ID)) == RK_BIT(RK_ENABLED);

	if (it->append && !it->replace)
		merge_partial(m, it, "append to");
	else if (it->append || it->replace)
		merge_partial(m, it, "override");
	else if (enabled_only)
		merge_partial(m, it, "enable or disable");
	else
		merge_full(m, it);
}

/* ---- lists and macros -------------------------------------------------- */

static bool defined_before(const struct rl_items *items, size_t upto,
			   enum rl_item_kind kind, const char *name)
{
	for (size_t i = 0; i < upto; i++)
		if (items->v[i].kind == kind && !strcmp(items->v[i].name, name))
			return true;
	return false;
}

static void define(const struct rl_items *items, enum rl_item_kind kind,
		   struct te_rl_defs *defs, struct rl_diag *d)
{
	for (size_t i = 0; i < items->n; i++) {
		const struct rl_item *it = &items->v[i];
		struct te_rl_error err = { 0 };
		bool append = it->append != 0;
		int r;

		if (it->kind != kind)
			continue;
		if (append && !defined_before(items, i, kind, it->name)) {
			rl_report_loc(d, &it->loc, "cannot append to %s '%s': no such %s is defined before",
				      kind == RL_LIST ? "list" : "macro", it->name,
				      kind == RL_LIST ? "list" : "macro");
			continue;
		}
		if (kind == RL_LIST)
			r = te_rl_defs_list(defs, it->name, (const char *const *)it->items,
					    it->nitems, append, &it->loc, &err);
		else
			r = te_rl_defs_macro(defs, it->name, it->condition, append,
					     &it->key_loc[RK_COND], &err);
		if (r < 0)
			rl_report_err(d, &err);
	}
}

/* ---- compiling --------------------------------------------------------- */

/*
 * A rule's condition is compiled as one text: its pieces joined, and when
 * it has exceptions, "(PIECES) and not (EXC1) and not (EXC2)".  The text is
 * compiled with a made-up origin so that an error's line and column can be
 * turned back into an offset, and from there into the piece (file, line,
 * column) it came from, or the exception it was generated from.
 */
static const char origin_file[] = "\001traceed-rule-text";

struct seg {
	size_t off, len;
	struct te_src_loc loc;
	const char *exc;        /* generated from this exception */
};

static void advance(const char *s, size_t n, unsigned *line, unsigned *col)
{
	/* The convention te_rl_compile uses for loc + offset. */
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static void map_error(struct te_rl_error *e, const char *text, const struct seg *segs,
		      size_t nsegs)
{
	unsigned line = 1, col = 1;
	size_t off = 0, len = strlen(text), i;
	const struct seg *s = NULL;
	char msg[sizeof(e->msg)];

	if (strcmp(e->file, origin_file))
		return; /* in a macro: it has its own position */
	while (off < len && (line < e->line || (line == e->line && col < e->col)))
		advance(text + off++, 1, &line, &col);
	/* The piece holding off; glue between pieces belongs to the next. */
	for (i = 0; i < nsegs && !s; i++)
		if (off < segs[i].off + segs[i].len)
			s = &segs[i];
	if (!s) {
		s = &segs[nsegs - 1];
		off = s->off + s->len;
	}
	if (off < s->off)
		off = s->off;
	snprintf(e->file, sizeof(e->file), "%s", s->loc.file);
	e->line = s->loc.line;
	e->col = s->loc.col;
	if (s->exc) {
		memcpy(msg, e->msg, sizeof(msg));
		msg[sizeof(msg) - 1] = '\0';
		snprintf(e->msg, sizeof(e->msg), "in exception '%.200s': %.280s", s->exc, msg);
	} else {
		advance(text + s->off, off - s->off, &e->line, &e->col);
	}
}

static int build_condition(const struct draft *dr, struct strbuf *sb, struct seg **segsp,
			   size_t *nsegs)
{
	size_t n = 0, i;
	bool wrap = false;
	struct seg *segs;

	for (i = 0; i < dr->nexc; i++)
		wrap |= dr->exc[i]->text != NULL;
	segs = calloc(dr->ncond + dr->nexc, sizeof(*segs));
	if (!segs)
		return -ENOMEM;
	/* Wrapped so that "a or b" with an exception means "(a or b) and not
	 * (...)", as in Falco; left bare otherwise, so its text is the
	 * rule's text. */
	if (wrap)
		sb_putc(sb, '(');
	for (i = 0; i < dr->ncond; i++) {
		if (i)
			sb_putc(sb, ' ');
		segs[n++] = (struct seg){ sb->len, strlen(dr->cond[i].text), dr->cond[i].loc, NULL };
		sb_puts(sb, dr->cond[i].text);
	}
	if (wrap)
		sb_putc(sb, ')');
	for (i = 0; i < dr->nexc; i++) {
		if (!dr->exc[i]->text)
			continue; /* no values: excepts nothing */
		sb_puts(sb, " and not (");
		segs[n++] = (struct seg){ sb->len, strlen(dr->exc[i]->text), dr->exc[i]->loc,
					  dr->exc[i]->name };
		sb_puts(sb, dr->exc[i]->text);
		sb_putc(sb, ')');
	}
	*segsp = segs;
	*nsegs = n;
	return sb->oom ? -ENOMEM : 0;
}

static char *dup_or_null(const char *s, bool *fail)
{
	char *r;

	if (!s)
		return NULL;
	r = strdup(s);
	if (!r)
		*fail = true;
	return r;
}

static struct te_rule *compile(const struct draft *dr, const struct te_rl_defs *defs,
			       struct rl_diag *d)
{
	struct te_src_loc origin = { origin_file, 1, 1 };
	struct te_rule *r = calloc(1, sizeof(*r));
	struct te_rl_error err;
	struct strbuf sb;
	struct seg *segs = NULL;
	size_t nsegs = 0;
	bool fail = false;

	sb_init(&sb);
	if (!r || build_condition(dr, &sb, &segs, &nsegs) < 0)
		goto nomem;
	r->id = dup_or_null(dr->id, &fail);
	r->name = dup_or_null(dr->name, &fail);
	r->description = dup_or_null(dr->description, &fail);
	r->condition = dup_or_null(sb_str(&sb), &fail);
	r->output = dup_or_null(dr->output, &fail);
	r->severity = dr->severity;
	r->mitre_technique = dup_or_null(dr->mitre_technique, &fail);
	r->mitre_tactic = dup_or_null(dr->mitre_tactic, &fail);
	r->enabled = dr->enabled;
	r->source_file = dup_or_null(dr->last->loc.file, &fail);
	r->source_line = dr->last->loc.line;
	if (dr->ntags) {
		r->tags = calloc(dr->ntags, sizeof(*r->tags));
		if (!r->tags)
			goto nomem;
		for (r->ntags = 0; r->ntags < dr->ntags; r->ntags++)
			r->tags[r->ntags] = dup_or_null(dr->tags[r->ntags], &fail);
	}
	if (fail)
		goto nomem;

	memset(&err, 0, sizeof(err));
	r->cond = te_rl_compile(defs, r->condition, &origin, &err);
	if (!r->cond) {
		map_error(&err, r->condition, segs, nsegs);
		rl_report_err(d, &err);
		fail = true;
	}
	memset(&err, 0, sizeof(err));
	r->tpl = te_tpl_compile(r->output, &dr->output_loc, &err);
	if (!r->tpl) {
		rl_report_err(d, &err);
		fail = true;
	}
	if (fail)
		goto bad;
	te_expr_events(r->cond, r->events);
	te_expr_events_failed(r->cond, r->events_failed);
	free(segs);
	sb_free(&sb);
	return r;
nomem:
	rl_report_loc(d, &dr->def->loc, "out of memory");
bad:
	free(segs);
	sb_free(&sb);
	rule_free(r);
	return NULL;
}

struct te_ruleset *te_ruleset_load(const char *const *paths, size_t npaths, FILE *diag,
				   struct te_rl_error *err)
{
	struct rl_diag d = { .out = diag, .first = err };
	struct rl_items items = { 0 };
	struct merge m = { .d = &d };
	struct te_ruleset *rs;
	size_t i;

	if (err)
		memset(err, 0, sizeof(*err));
	rs = calloc(1, sizeof(*rs));
	if (!rs || !(rs->defs = te_rl_defs_new())) {
		rl_report(&d, "<rules>", 0, 0, "out of memory");
		goto fail;
	}
	rl_load_paths(&items, paths, npaths, &d);

	define(&items, RL_LIST, rs->defs, &d);
	define(&items, RL_MACRO, rs->defs, &d);
	for (i = 0; i < items.n; i++)
		if (items.v[i].kind == RL_RULE)
			merge_rule(&m, &items.v[i]);

	rs->rules = calloc(m.n ? m.n : 1, sizeof(*rs->rules));
	if (!rs->rules) {
		rl_report(&d, "<rules>", 0, 0, "out of memory");
		goto fail;
	}
	/* Every rule is compiled even after a failure, to report them all. */
	for (i = 0; i < m.n; i++) {
		struct te_rule *r = compile(&m.v[i], rs->defs, &d);

		if (r)
			rs->rules[rs->n++] = r;
	}
	if (d.count)
		goto fail;
	if (reindex(rs) < 0) {
		rl_report(&d, "<rules>", 0, 0, "out of memory");
		goto fail;
	}
	/* Macros' locations point at the file names: keep them. */
	rs->files = items.files;
	rs->nfiles = items.nfiles;
	items.files = NULL;
	items.nfiles = 0;
	for (i = 0; i < m.n; i++)
		draft_clear(&m.v[i]);
	free(m.v);
	rl_items_free(&items);
	return rs;
fail:
	for (i = 0; i < m.n; i++)
		draft_clear(&m.v[i]);
	free(m.v);
	te_ruleset_free(rs);
	rl_items_free(&items);
	return NULL;
}
