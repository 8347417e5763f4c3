/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Column-aligned tables with a header, for the list verbs.  Cells are
 * escaped on the way in (escape.h), so whatever the bus sent is safe to
 * print and measurable. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct table;

/* @headers: @ncols column titles.  NULL on allocation failure. */
struct table *table_new(const char *const *headers, size_t ncols);
void table_free(struct table *t);

/* The free-text column that gives way when the table is wider than the
 * terminal (truncated with an ellipsis); none by default. */
void table_set_shrink(struct table *t, size_t col);
/* Pad this column on the left (numbers). */
void table_set_right(struct table *t, size_t col);

/* Append one cell; rows fill left to right.  -ENOMEM or 0. */
int table_add(struct table *t, const char *raw);
int table_addf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

size_t table_rows(const struct table *t);

/*
 * Print the table.  @header: print the column titles.  @width: the
 * terminal's width, 0 for no limit (not a terminal).  @ellipsis: what marks
 * a truncated cell ("…" in a UTF-8 locale, "..." otherwise).
 * -ENOMEM or 0.
 */
int table_print(const struct table *t, FILE *f, bool header, size_t width, const char *ellipsis);
