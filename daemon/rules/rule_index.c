// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The lookup index of the in and pmatch operators, and the lookups that
 * evaluation (rule_eval.c) makes in the items of such a predicate.
 *
 * A predicate's items are its literals (rl_node.lits).  Short lists are
 * scanned; a long one (rl_prepare, rule_compile.c, decides) gets an index
 * built once at compile time: an open-addressing hash table of the texts
 * and a sorted array of the numbers.  Before either, rl_node.lenmask (a bit
 * per item length, rl_len_bit) rejects most values in one test.
 *
 * rl_pmatch implements pmatch as rule_eval.c describes it; with an index it
 * looks up the value and each of its directory prefixes.
 *
 * Lookups do not allocate.  This file depends on the syntax tree
 * (rule_ast.h) only: not on the parser, the compiler or evaluation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rule_ast.h"

/* ---- the index --------------------------------------------------------- */

struct rl_index {
	uint32_t *slots;   /* open addressing; lit index + 1, 0 empty */
	size_t mask;
	int64_t *nums;     /* sorted numbers of the numeric items */
	size_t nnums;
	bool has_root;     /* pmatch: an item is "/" */
};

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

int rl_index_build(struct rl_node *n)
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

/* ---- lookups (rule_eval.c) --------------------------------------------- */

bool rl_in_str(const struct rl_node *nd, const char *p, size_t n)
{
	const struct rl_index *idx = nd->idx;

	if (!(nd->lenmask & rl_len_bit(n)))
		return false; /* no item is that long */
	if (!idx) {
		for (size_t i = 0; i < nd->nlits; i++)
			if (rl_lit_eq(&nd->lits[i], p, n))
				return true;
		return false;
	}
	for (size_t h = hash(p, n) & idx->mask; idx->slots[h]; h = (h + 1) & idx->mask)
		if (rl_lit_eq(&nd->lits[idx->slots[h] - 1], p, n))
			return true;
	return false;
}

bool rl_in_num(const struct rl_node *nd, int64_t x)
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

bool rl_pmatch(const struct rl_node *nd, const char *p, size_t n)
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
	if (rl_in_str(nd, p, n))
		return true;
	for (size_t i = 1; i < n; i++)
		if (p[i] == '/' && (nd->lenmask & rl_len_bit(i)) && rl_in_str(nd, p, i))
			return true;
	return false;
}
