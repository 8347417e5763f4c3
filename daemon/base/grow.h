/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Growing an array by doubling: the one helper behind every vector in the
 * rule compiler and loader. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Make room for one more element in *v (n used, *cap allocated, elements
 * of @size bytes): doubles the capacity, starting at @initial.  Returns 0
 * or -ENOMEM (the array is then unchanged).
 */
static inline int te_grow(void **v, size_t *cap, size_t n, size_t size, size_t initial)
{
	size_t nc;
	void *nv;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : initial;
	if (nc > SIZE_MAX / size)
		return -ENOMEM;
	nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}
