/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Terminal-safe rendering of strings that came from the bus.  A detection's
 * comm, exe and cmdline are chosen by whoever ran the process, so printing
 * them raw would let that process write escape sequences to the terminal
 * of the administrator reading them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

enum {
	ESC_KEEP_NEWLINE = 1 << 0, /* leave '\n' as is (multi-line text fields) */
};

/*
 * Append @s to @sb with everything a terminal could interpret escaped as
 * \t, \n, \r or \xNN: C0 controls, DEL, C1 controls (U+0080..U+009F, which
 * some terminals treat as CSI and friends), the bidirectional overrides and
 * isolates (U+202A..U+202E, U+2066..U+2069, "Trojan Source") and every byte
 * that is not part of well-formed UTF-8.  Everything else, including
 * backslash, is copied.
 */
void esc_append(struct strbuf *sb, const char *s, unsigned flags);

/* Columns that the escaped string @s takes on a terminal. */
size_t esc_width(const char *s);

/* Length in bytes of the longest prefix of the escaped string @s that fits
 * in @cols columns, never splitting a UTF-8 sequence; its width in *@width. */
size_t esc_prefix_fitting(const char *s, size_t cols, size_t *width);

