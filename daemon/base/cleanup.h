/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scope-bound cleanup, as in systemd: a variable declared with
 * _cleanup_(fn) has fn(&var) called when it goes out of scope, so every
 * early return frees what was acquired so far.
 *
 *   _cleanup_free_ char *copy = strdup(s);
 *   _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
 *   _cleanup_fclose_ FILE *f = fopen(path, "re");
 *   ...
 *   return TAKE_PTR(copy);   (ownership leaves; the cleanup sees NULL)
 *
 * Initialise every such variable where it is declared (NULL / -1 when
 * there is nothing yet), or a return before the assignment frees garbage.
 * The cleanups keep errno, so a function may `return -errno` after them.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

/* NULL, to reassign the freed variable in one statement: p = mfree(p). */
static inline void *mfree(void *p)
{
	free(p);
	return NULL;
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
	}
}

/* Never on stdin/stdout/stderr: keep those in a plain FILE *. */
static inline void fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;

		fclose(*f);
		errno = saved;
	}
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* The value of @p, which is reset (NULL / -1) so that its cleanup does
 * nothing: ownership moves to the caller. */
#define TAKE_PTR(p)                                \
	({                                         \
		__typeof__(p) _take_ = (p);        \
		(p) = NULL;                        \
		_take_;                            \
	})
#define TAKE_FD(fd)                                \
	({                                         \
		int _take_ = (fd);                 \
		(fd) = -1;                         \
		_take_;                            \
	})

/* A cleanup for pointers freed by @func (which need not accept NULL):
 * DEFINE_POINTER_CLEANUP(struct te_ruleset *, te_ruleset_free) defines
 * te_ruleset_freep(). */
#define DEFINE_POINTER_CLEANUP(type, func)         \
	static inline void func##p(type *p)        \
	{                                          \
		if (*p)                            \
			func(*p);                  \
	}
