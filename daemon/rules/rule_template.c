// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Output templates: "%proc.name ran %evt.arg.pathname (user=%user.name)".
 *
 * A field starts at '%' followed by a letter and runs over letters, digits,
 * '_' and '.', plus an optional [N]; trailing dots are left out, so a field
 * can end a sentence ("... by %proc.name.").  "%%" is a literal '%', and a
 * '%' followed by anything else is kept as is.  Values render as in
 * rl_val_render: lists space-joined, absent values as "<NA>" (Falco's
 * spelling), so a reader can tell "empty" from "unknown".
 *
 * The template is split once into literal and field parts; rendering only
 * appends to the caller's reused strbuf.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rule_fields.h"
#include "rule_lang.h"
#include "rule_lexer.h"

struct tpl_part {
	size_t off, len;   /* literal: bytes of text */
	int field;         /* -1: literal; else index into fields */
};

struct te_template {
	char *text;
	struct tpl_part *parts;
	size_t nparts;
	struct rl_field *fields; /* distinct, in order of first use */
	size_t nfields;
};

void te_tpl_free(struct te_template *t)
{
	if (!t)
		return;
	free(t->text);
	free(t->parts);
	free(t->fields);
	free(t);
}

static int part_add(struct te_template *t, size_t off, size_t len, int field)
{
	struct tpl_part *p;

	if (field < 0 && len == 0)
		return 0;
	/* Adjacent literals ("a%%b") merge. */
	if (field < 0 && t->nparts && t->parts[t->nparts - 1].field < 0 &&
	    t->parts[t->nparts - 1].off + t->parts[t->nparts - 1].len == off) {
		t->parts[t->nparts - 1].len += len;
		return 0;
	}
	p = realloc(t->parts, (t->nparts + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->parts = p;
	t->parts[t->nparts++] = (struct tpl_part){ .off = off, .len = len, .field = field };
	return 0;
}

/* Index of the field (added when new), or -1 on ENOMEM. */
static int field_add(struct te_template *t, const struct rl_field *f)
{
	struct rl_field *v;

	for (size_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, f->name) == 0)
			return (int)i;
	v = realloc(t->fields, (t->nfields + 1) * sizeof(*v));
	if (!v)
		return -1;
	t->fields = v;
	t->fields[t->nfields] = *f;
	return (int)t->nfields++;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

struct te_template *te_tpl_compile(const char *text, const struct te_src_loc *loc,
				   struct te_rl_error *err)
{
	struct rl_seg seg = { .off = 0, .loc = { NULL, 1, 1 } };
	struct rl_src src = { .segs = &seg, .nsegs = 1 };
	struct te_template *t = calloc(1, sizeof(*t));
	size_t i = 0, lit = 0, len;

	if (loc)
		seg.loc = *loc;
	if (!t || !(t->text = strdup(text ? text : "")))
		goto oom;
	src.text = t->text;
	src.len = len = strlen(t->text);
	while (i < len) {
		struct rl_field f;
		char why[300];
		size_t start, end;
		int r, idx;

		if (t->text[i] != '%') {
			i++;
			continue;
		}
		if (i + 1 < len && t->text[i + 1] == '%') {
			/* keep the first '%', skip the second */
			if (part_add(t, lit, i + 1 - lit, -1) < 0)
				goto oom;
			i += 2;
			lit = i;
			continue;
		}
		if (i + 1 >= len || !isalpha((unsigned char)t->text[i + 1])) {
			i++;
			continue;
		}
		start = end = i + 1;
		while (end < len && name_char(t->text[end]))
			end++;
		while (end > start && t->text[end - 1] == '.')
			end--;
		if (end < len && t->text[end] == '[') {
			size_t j = end + 1;

			while (j < len && isdigit((unsigned char)t->text[j]))
				j++;
			if (j < len && t->text[j] == ']' && j > end + 1)
				end = j + 1;
		}
		r = rl_field_parse(t->text + start, end - start, &f, why, sizeof(why));
		if (r < 0) {
			if (r == -EINVAL)
				rl_error_at(err, &src, i, "%s", why);
			else
				rl_error_at(err, &src, i, "unknown field '%.*s'", (int)(end - start),
					    t->text + start);
			te_tpl_free(t);
			return NULL;
		}
		idx = field_add(t, &f);
		if (idx < 0 || part_add(t, lit, i - lit, -1) < 0 || part_add(t, 0, 0, idx) < 0)
			goto oom;
		i = lit = end;
	}
	if (part_add(t, lit, len - lit, -1) < 0)
		goto oom;
	return t;
oom:
	te_tpl_free(t);
	rl_error_loc(err, loc, "out of memory");
	return NULL;
}

void te_tpl_render(const struct te_template *t, const struct te_rule_event *ev, struct strbuf *out)
{
	struct rl_scratch s;
	struct rl_val v;

	if (!t || !ev)
		return;
	rl_scratch_init(&s);
	for (size_t i = 0; i < t->nparts; i++) {
		const struct tpl_part *p = &t->parts[i];

		if (p->field < 0) {
			sb_put(out, t->text + p->off, p->len);
			continue;
		}
		rl_field_get(&t->fields[p->field], ev, &s, &v);
		rl_val_render(&v, out);
	}
}

void te_tpl_fields(const struct te_template *t, const struct te_rule_event *ev,
		   void (*fn)(void *ctx, const char *field, const char *value), void *ctx)
{
	struct rl_scratch s;
	struct rl_val v;
	struct strbuf sb;

	if (!t || !ev || !fn)
		return;
	/* Called once per detection, not per event: a buffer of its own is
	 * simpler for callers than lending one. */
	sb_init(&sb);
	rl_scratch_init(&s);
	for (size_t i = 0; i < t->nfields; i++) {
		sb_reset(&sb);
		rl_field_get(&t->fields[i], ev, &s, &v);
		rl_val_render(&v, &sb);
		fn(ctx, t->fields[i].name, sb_str(&sb));
	}
	sb_free(&sb);
}
