/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UTF-8 validity for strings that leave the daemon on D-Bus, which refuses
 * invalid UTF-8 in "s" values.  Process names, command lines and paths come
 * from the kernel and are arbitrary bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF). */
bool te_utf8_valid(const char *s, size_t len);
/*
 * Length of the well-formed sequence at @s (1..4; RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one;
 * its code point in *@cp (may be NULL).  The one UTF-8 decoder of the
 * project: strbuf's JSON escaping and tracectl's terminal escaping use it.
 */
size_t te_utf8_decode(const char *s, size_t avail, unsigned *cp);
size_t te_utf8_seq_len(const char *s, size_t avail);
/*
 * A malloc'd copy of @s (NULL: "") in which each byte that is not part of a
 * valid sequence is written as the four characters "\xNN", so the value
 * stays readable and distinguishable.  NULL on ENOMEM.
 */
char *te_utf8_dup_escaped(const char *s);
/*
 * Make @len bytes at @s safe to print on a terminal, in place (the length
 * does not change): every byte of a control character (C0, DEL, and the C1
 * range U+0080..U+009F, which some terminals take as CSI and friends) and
 * every byte that is not part of a well-formed sequence becomes '?'.
 * Process names, paths and argv are the process's own bytes; printed raw
 * they could move the cursor, rewrite earlier lines or set the title.
 */
void te_utf8_sanitize_terminal(char *s, size_t len);
