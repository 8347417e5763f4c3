// SPDX-License-Identifier: LGPL-2.1-or-later
/* See table.h.  Columns are separated by two spaces; a line is built in a
 * buffer so that its trailing blanks can be dropped. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "strbuf.h"
#include "table.h"

#define COL_GAP 2
/* A shrunk column keeps at least this many columns, so it stays readable;
 * past that the line wraps instead. */
#define SHRINK_MIN 8

struct table {
	size_t ncols;
	char **cells;      /* header cells first, then the rows, row-major */
	size_t ncells, cap;
	size_t shrink;     /* SIZE_MAX: none */
	bool *right;
};

struct table *table_new(const char *const *headers, size_t ncols)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->shrink = SIZE_MAX;
	t->right = calloc(ncols, sizeof(*t->right));
	if (!t->right)
		goto fail;
	for (size_t i = 0; i < ncols; i++)
		if (table_add(t, headers[i]) < 0)
			goto fail;
	return t;
fail:
	table_free(t);
	return NULL;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
	free(t);
}

void table_set_shrink(struct table *t, size_t col)
{
	if (col < t->ncols)
		t->shrink = col;
}

void table_set_right(struct table *t, size_t col)
{
	if (col < t->ncols)
		t->right[col] = true;
}

int table_add(struct table *t, const char *raw)
{
	struct strbuf sb;
	char *cell;

	if (t->ncells == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		char **c = reallocarray(t->cells, cap, sizeof(*c));

		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	sb_init(&sb);
	esc_append(&sb, raw ? raw : "", 0);
	cell = sb.oom ? NULL : strdup(sb_str(&sb));
	sb_free(&sb);
	if (!cell)
		return -ENOMEM;
	t->cells[t->ncells++] = cell;
	return 0;
}

int table_addf(struct table *t, const char *fmt, ...)
{
	char *s;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = table_add(t, s);
	free(s);
	return r;
}

size_t table_rows(const struct table *t)
{
	return t->ncells / t->ncols - 1;
}

static void put_spaces(struct strbuf *sb, size_t n)
{
	while (n--)
		sb_putc(sb, ' ');
}

int table_print(const struct table *t, FILE *f, bool header, size_t width, const char *ellipsis)
{
	size_t *w = calloc(t->ncols, sizeof(*w)), total = 0, first = header ? 0 : t->ncols;
	size_t ell = esc_width(ellipsis);
	struct strbuf line;
	int r;

	if (!w)
		return -ENOMEM;
	/* The header counts for the widths even when it is not printed, so a
	 * --no-legend table lines up like the one a human saw. */
	for (size_t i = 0; i < t->ncells; i++) {
		size_t cw = esc_width(t->cells[i]);

		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	for (size_t c = 0; c < t->ncols; c++)
		total += w[c] + (c ? COL_GAP : 0);
	if (width && total > width && t->shrink != SIZE_MAX) {
		size_t others = total - w[t->shrink];
		size_t avail = width > others ? width - others : 0;

		if (avail < SHRINK_MIN)
			avail = SHRINK_MIN;
		if (avail < w[t->shrink])
			w[t->shrink] = avail;
	}
	sb_init(&line);
	for (size_t i = first; i < t->ncells; i++) {
		size_t c = i % t->ncols, cw = esc_width(t->cells[i]);
		const char *cell = t->cells[i];

		if (c)
			put_spaces(&line, COL_GAP);
		if (cw > w[c]) {
			/* only the shrunk column can be too wide */
			size_t keep = w[c] > ell ? w[c] - ell : 0;
			size_t pw, bytes = esc_prefix_fitting(cell, keep, &pw);

			sb_put(&line, cell, bytes);
			sb_puts(&line, ellipsis);
			put_spaces(&line, w[c] > pw + ell ? w[c] - pw - ell : 0);
		} else if (t->right[c]) {
			put_spaces(&line, w[c] - cw);
			sb_puts(&line, cell);
		} else {
			sb_puts(&line, cell);
			put_spaces(&line, w[c] - cw);
		}
		if (c == t->ncols - 1) {
			/* padding of the last column(s), or empty cells at the end
			 * of the line: no trailing blanks */
			while (line.len && line.p[line.len - 1] == ' ')
				line.p[--line.len] = '\0';
			if (line.oom)
				break;
			fputs(sb_str(&line), f);
			fputc('\n', f);
			sb_reset(&line);
		}
	}
	r = line.oom ? -ENOMEM : 0;
	sb_free(&line);
	free(w);
	return r;
}
