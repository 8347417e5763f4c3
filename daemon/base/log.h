/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's log: one line per message on standard error, as systemd's
 * small daemons write it.
 *
 *   log_error("cannot open %s", path);
 *   return log_error_errno(r, "reading the ring buffer failed: %m");
 *
 * Levels are syslog's (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO,
 * LOG_DEBUG).  A message above the maximum level (default LOG_INFO) is not
 * written; TRACEED_LOG_LEVEL=debug (or err, warning, notice, info, or a
 * number 0-7), read by log_open(), changes it.
 *
 * Two forms of line:
 *   - on a terminal, a pipe or a file (--foreground, tests):
 *       traceed: MESSAGE
 *   - when standard error is the journal, i.e. $JOURNAL_STREAM names
 *     stderr's device and inode (systemd.exec(5)), or after
 *     log_set_target_prefix(true):
 *       <N>MESSAGE
 *     N is the syslog level, which journald turns into PRIORITY=; no
 *     "traceed: " (the journal has SYSLOG_IDENTIFIER).  Each line of a
 *     message that spans several gets the prefix.
 * A trailing newline of @fmt is dropped (one is always added).
 *
 * Errors: log_*_errno(err, ...) take a positive or negative errno, return
 * -abs(err) (so `return log_error_errno(r, ...);` works) and set errno to
 * abs(err) while formatting, so that "%m" is strerror(abs(err)).  @err must
 * not be 0.  The caller's errno is preserved by every log function.
 *
 * Each line is formatted on the stack (no allocation) and written with one
 * write(2): lines from other threads (the webhook workers) do not
 * interleave.  A message longer than LOG_LINE_MAX bytes is written in
 * several pieces instead of being cut (libbpf's verifier log).
 *
 * State: the maximum level and the line form are process-wide; set them
 * once from main() (log_open()) before any thread starts.  Without
 * log_open() the defaults apply: LOG_INFO, "traceed: " lines.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#define LOG_LINE_MAX 4096

/* $JOURNAL_STREAM (journal form when it is stderr) and $TRACEED_LOG_LEVEL. */
void log_open(void);
/* true: "<N>" lines without "traceed: "; false: "traceed: " lines. */
void log_set_target_prefix(bool on);
void log_set_max_level(int level);
int log_get_max_level(void);
/* "debug", "info", ... or "0".."7": the level, or -EINVAL. */
int log_level_from_string(const char *s);

/* @error: 0, or an errno (sign ignored) for %m.  Returns -abs(@error). */
int log_internal(int level, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int log_internalv(int level, int error, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * A line of a library that names itself ("libbpf: ..."): written as is on
 * a terminal (no "traceed: "), with "<N>" under the journal.  Not filtered
 * by the maximum level: the caller decides (libbpf's debug output has its
 * own switch, TRACEED_DEBUG_BPF).
 */
void log_raw_v(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_full(level, ...) log_internal((level), 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)

#define log_full_errno(level, err, ...) log_internal((level), (err), __VA_ARGS__)
#define log_error_errno(err, ...) log_internal(LOG_ERR, (err), __VA_ARGS__)
#define log_warning_errno(err, ...) log_internal(LOG_WARNING, (err), __VA_ARGS__)
#define log_notice_errno(err, ...) log_internal(LOG_NOTICE, (err), __VA_ARGS__)
#define log_info_errno(err, ...) log_internal(LOG_INFO, (err), __VA_ARGS__)
#define log_debug_errno(err, ...) log_internal(LOG_DEBUG, (err), __VA_ARGS__)
