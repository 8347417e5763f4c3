/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's log lines; see log.h. */
#include "log.h"
#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDENT "traceed: "

/* Set once from main() before any thread; read-only afterwards. */
static int max_level = LOG_INFO;
static bool prefix_level;

void log_set_target_prefix(bool on)
{
	prefix_level = on;
}

void log_set_max_level(int level)
{
	max_level = level & LOG_PRIMASK;
}

int log_get_max_level(void)
{
	return max_level;
}

int log_level_from_string(const char *s)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err",
					     "warning", "notice", "info", "debug" };

	if (!s || !*s)
		return -EINVAL;
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	for (int i = 0; i < 8; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	if (strcasecmp(s, "error") == 0)
		return LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return LOG_WARNING;
	return -EINVAL;
}

/* $JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected to the
 * journal; it is inherited, so it only counts when stderr is that stream. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (!e || !*e)
		return false;
	errno = 0;
	dev = strtoull(e, &end, 10);
	if (errno || end == e || *end != ':')
		return false;
	e = end + 1;
	ino = strtoull(e, &end, 10);
	if (errno || end == e || *end)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_open(void)
{
	const char *lvl = getenv("TRACEED_LOG_LEVEL");
	int r;

	prefix_level = stderr_is_journal();
	if (lvl && *lvl) {
		r = log_level_from_string(lvl);
		if (r < 0)
			log_warning("TRACEED_LOG_LEVEL=%s is not a log level (debug, info, notice, "
				    "warning, err); using info", lvl);
		else
			max_level = r;
	}
}

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* nowhere left to say it */
		}
		p += w;
		n -= (size_t)w;
	}
}

/*
 * @msg (@len bytes, no trailing newline) as lines: "traceed: " before the
 * first one (@ident) on a terminal, "<N>" before each one under the journal.
 * Built in one buffer, written at once; flushed early only for a message
 * with many short lines.
 */
static void emit(int level, bool ident, const char *msg, size_t len)
{
	char out[LOG_LINE_MAX + 64];
	size_t n = 0;

	if (!prefix_level) {
		if (ident) {
			memcpy(out, IDENT, sizeof(IDENT) - 1);
			n = sizeof(IDENT) - 1;
		}
		memcpy(out + n, msg, len); /* len < LOG_LINE_MAX */
		n += len;
		out[n++] = '\n';
		write_all(out, n);
		return;
	}
	for (size_t i = 0; i <= len;) {
		const char *nl = memchr(msg + i, '\n', len - i);
		size_t l = (nl ? (size_t)(nl - msg) : len) - i;

		if (n + 3 + l + 1 > sizeof(out)) {
			write_all(out, n);
			n = 0;
		}
		out[n++] = '<';
		out[n++] = (char)('0' + (level & LOG_PRIMASK));
		out[n++] = '>';
		memcpy(out + n, msg + i, l);
		n += l;
		out[n++] = '\n';
		i += l + 1;
	}
	write_all(out, n);
}

/*
 * Messages quote process names, paths and rule text: make every line safe
 * for the terminal or journal viewer it ends up in (utf8.h), keeping the
 * newlines that split a message into lines.
 */
static void sanitize(char *msg, size_t len)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(msg + i, '\n', len - i);
		size_t l = (nl ? (size_t)(nl - msg) : len) - i;

		te_utf8_sanitize_terminal(msg + i, l);
		i += l + 1;
	}
}

static void log_line(int level, bool ident, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	va_list aq;
	int n;

	if (!fmt)
		return;
	va_copy(aq, ap);
	n = vsnprintf(msg, sizeof(msg), fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(msg)) {
		if (n > 0 && msg[n - 1] == '\n')
			n--;
		sanitize(msg, (size_t)n);
		emit(level, ident, msg, (size_t)n);
		return;
	}
	/* Longer than a line should be (a verifier log): in pieces, through
	 * stdio's unbuffered stderr (a stack buffer), rather than cut. */
	flockfile(stderr);
	if (prefix_level)
		fprintf(stderr, "<%d>", level & LOG_PRIMASK);
	else if (ident)
		fputs(IDENT, stderr);
	vfprintf(stderr, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
	funlockfile(stderr);
}

int log_internalv(int level, int error, const char *fmt, va_list ap)
{
	int saved = errno;
	int e = error < 0 ? -error : error;

	if ((level & LOG_PRIMASK) <= max_level) {
		/* %m is the error being reported, not whatever errno is now */
		errno = e ? e : saved;
		log_line(level & LOG_PRIMASK, true, fmt, ap);
	}
	errno = saved;
	return -e;
}

int log_internal(int level, int error, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = log_internalv(level, error, fmt, ap);
	va_end(ap);
	return r;
}

void log_raw_v(int level, const char *fmt, va_list ap)
{
	int saved = errno;

	log_line(level & LOG_PRIMASK, false, fmt, ap);
	errno = saved;
}
