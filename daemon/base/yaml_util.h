/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small libyaml helpers shared by the configuration and rule-file loaders,
 * which both read a libyaml document and point messages at node marks. */
#pragma once

#include <stddef.h>

#include <yaml.h>

/* libyaml marks are 0-based; messages are 1-based like compilers'. */
static inline unsigned te_yaml_line(const yaml_mark_t *m)
{
	return (unsigned)m->line + 1;
}

static inline unsigned te_yaml_col(const yaml_mark_t *m)
{
	return (unsigned)m->column + 1;
}

static inline const char *te_yaml_scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static inline size_t te_yaml_seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* What a node is, for "expected X, found %s": "a string", "a mapping"... */
const char *te_yaml_node_kind(const yaml_node_t *n);

/*
 * libyaml's words for a failed load: "problem context", or @dflt when it
 * gave no problem.  Returns @buf.
 */
const char *te_yaml_problem(const yaml_parser_t *p, const char *dflt, char *buf, size_t len);
