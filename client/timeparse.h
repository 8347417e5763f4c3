/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Times as tracectl reads (--since) and prints them.  The daemon's times are
 * microseconds since the epoch (CLOCK_REALTIME), 0 meaning "never". */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define USEC_PER_SEC UINT64_C(1000000)

/*
 * Parse a point in time, relative to @now (usec):
 *   RFC 3339            2026-01-02T03:04:05Z, ...05.5+01:00
 *   local time          "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "YYYY-MM-DD HH:MM:SS"
 *                       (also with T instead of the blank)
 *   epoch seconds       "@1767323045", "@1767323045.25"
 *   relative            "-5min", "-2h", "-1d", "-1h30min", "5min ago"
 *   named               "now", "today", "yesterday" (local midnight)
 * Units: us, ms, s, sec, m, min, h, hr, d, w and their long forms.
 * 0 and *ret, or -EINVAL (not a time) / -ERANGE (before 1970, overflow).
 */
int parse_time(const char *s, uint64_t now, uint64_t *ret);

/* "YYYY-MM-DD HH:MM:SS" in local time; "-" for 0.  @buf: >= 32 bytes. */
const char *format_time_local(uint64_t usec, char *buf, size_t n);

/* RFC 3339 in UTC with microseconds, "2026-01-02T03:04:05.000000Z".
 * @buf: >= 32 bytes.  NULL for 0 (unknown). */
const char *format_time_rfc3339(uint64_t usec, char *buf, size_t n);

uint64_t now_realtime(void);
