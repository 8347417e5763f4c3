/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "journal.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>

#include <systemd/sd-journal.h>

#include "clock.h"
#include "strbuf.h"

#define MAX_FIELDS 24

/*
 * The entry being built: every field "NAME=value" back to back in one
 * buffer, with offsets rather than pointers because the buffer may move as
 * it grows.  Reused for every entry, so a detection allocates nothing once
 * the buffer has reached its working size.
 */
struct entry {
	struct strbuf sb;
	size_t off[MAX_FIELDS], len[MAX_FIELDS];
	unsigned n;
};

/* Detections over the cap in the current window, per rule.  Id and name
 * are copied: a reload may free the rule before the window ends. */
struct pending {
	char *id, *name, *mitre, *tactic;
	enum te_severity severity;
	uint64_t count;       /* detections not written */
	uint64_t suppressed;  /* their dedup repeats */
};

struct te_journal {
	unsigned max_per_sec;
	bool window_open;
	uint64_t window_start;   /* CLOCK_MONOTONIC ns */
	unsigned written;        /* detection entries in this window */
	struct pending *pend;
	size_t npend, cap;
	/* rules with an entry written in full in this window (pointers: a
	 * reload flushes, so they never outlive their rule set) */
	const struct te_rule **seen;
	size_t nseen, seen_cap;
	struct entry e;
	struct strbuf text;      /* rendered output */
};

static void entry_begin(struct entry *e)
{
	sb_reset(&e->sb);
	e->n = 0;
}

static void field_end(struct entry *e, size_t off)
{
	/* MAX_FIELDS is above the largest entry built here; the guard only
	 * keeps a future field from writing past the arrays. */
	if (e->n >= MAX_FIELDS)
		return;
	e->off[e->n] = off;
	e->len[e->n] = e->sb.len - off;
	e->n++;
}

static void field(struct entry *e, const char *name, const char *value, size_t len)
{
	size_t off = e->sb.len;

	sb_puts(&e->sb, name);
	sb_putc(&e->sb, '=');
	sb_put(&e->sb, value, len);
	field_end(e, off);
}

static void field_str(struct entry *e, const char *name, const char *value)
{
	field(e, name, value ? value : "", value ? strlen(value) : 0);
}

/* Absent and empty values are left out rather than written as "NAME=":
 * `journalctl TRACEED_CONTAINER_ID=` is no way to find host processes, and
 * a missing field says "unknown" more plainly. */
static void field_opt(struct entry *e, const char *name, const char *value)
{
	if (value && *value)
		field_str(e, name, value);
}

static void field_u64(struct entry *e, const char *name, uint64_t v)
{
	size_t off = e->sb.len;

	sb_printf(&e->sb, "%s=%" PRIu64, name, v);
	field_end(e, off);
}

static void field_fmt(struct entry *e, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void field_fmt(struct entry *e, const char *name, const char *fmt, ...)
{
	size_t off = e->sb.len;
	va_list ap;

	/* straight into the entry's buffer: no allocation per field */
	sb_puts(&e->sb, name);
	sb_putc(&e->sb, '=');
	va_start(ap, fmt);
	sb_vprintf(&e->sb, fmt, ap);
	va_end(ap);
	field_end(e, off);
}

static int entry_send(struct entry *e)
{
	struct iovec iov[MAX_FIELDS];

	if (e->sb.oom)
		return -ENOMEM;
	for (unsigned i = 0; i < e->n; i++) {
		iov[i].iov_base = e->sb.p + e->off[i];
		iov[i].iov_len = e->len[i];
	}
	return sd_journal_sendv(iov, (int)e->n);
}

/* The fields every entry has. */
static void entry_common(struct entry *e, const char *message_id, int priority)
{
	entry_begin(e);
	field_str(e, "MESSAGE_ID", message_id);
	field_fmt(e, "PRIORITY", "%d", priority);
	field_str(e, "SYSLOG_IDENTIFIER", "traceed");
}

static void entry_rule(struct entry *e, const char *id, const char *name,
		       enum te_severity sev, const char *mitre, const char *tactic)
{
	field_str(e, "TRACEED_RULE_ID", id);
	field_str(e, "TRACEED_RULE_NAME", name);
	field_str(e, "TRACEED_SEVERITY", te_severity_name(sev));
	field_opt(e, "TRACEED_MITRE", mitre);
	field_opt(e, "TRACEED_MITRE_TACTIC", tactic);
}

int te_journal_new(unsigned max_per_sec, struct te_journal **ret)
{
	struct te_journal *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->max_per_sec = max_per_sec;
	sb_init(&j->e.sb);
	sb_init(&j->text);
	*ret = j;
	return 0;
}

void te_journal_set_rate_limit(struct te_journal *j, unsigned max_per_sec)
{
	if (j)
		j->max_per_sec = max_per_sec;
}

static int send_detection(struct te_journal *j, const struct te_rule *r,
			  const struct te_rule_event *re, uint64_t suppressed, const char *output,
			  const char *event_json, size_t len)
{
	struct entry *e = &j->e;
	size_t off;

	sb_reset(&j->text);
	if (output)
		sb_puts(&j->text, output);
	else if (r->tpl)
		te_tpl_render(r->tpl, re, &j->text);

	entry_common(e, TE_JOURNAL_ID_DETECTION, te_severity_syslog(r->severity));
	off = e->sb.len;
	sb_printf(&e->sb, "MESSAGE=%s %s: ", r->id ? r->id : "", r->name ? r->name : "");
	sb_put(&e->sb, j->text.p ? j->text.p : "", j->text.len);
	if (suppressed)
		sb_printf(&e->sb, " (+%" PRIu64 " repeats suppressed)", suppressed);
	field_end(e, off);
	entry_rule(e, r->id, r->name, r->severity, r->mitre_technique, r->mitre_tactic);
	field_u64(e, "TRACEED_PID", re->pid);
	field_u64(e, "TRACEED_PPID", re->ppid);
	field_u64(e, "TRACEED_UID", re->uid);
	field_str(e, "TRACEED_COMM", re->comm);
	field_opt(e, "TRACEED_EXE", re->exe);
	field_str(e, "TRACEED_CMDLINE", re->cmdline);
	field_opt(e, "TRACEED_CONTAINER_ID", re->container_id);
	if (event_json && len)
		field(e, "TRACEED_EVENT", event_json, len);
	field_u64(e, "TRACEED_SUPPRESSED", suppressed);
	return entry_send(e);
}

static int send_summary(struct te_journal *j, const struct pending *p)
{
	struct entry *e = &j->e;

	entry_common(e, TE_JOURNAL_ID_DETECTION, te_severity_syslog(p->severity));
	field_fmt(e, "MESSAGE", "%s %s: %" PRIu64 " more detection%s like this in the last second",
		  p->id, p->name, p->count, p->count == 1 ? "" : "s");
	entry_rule(e, p->id, p->name, p->severity, p->mitre, p->tactic);
	field_u64(e, "TRACEED_AGGREGATED", p->count);
	field_u64(e, "TRACEED_SUPPRESSED", p->suppressed);
	return entry_send(e);
}

static void pending_free(struct pending *p)
{
	free(p->id);
	free(p->name);
	free(p->mitre);
	free(p->tactic);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Count a detection over the cap.  On allocation failure the detection is
 * written instead: exceeding the cap beats losing it. */
static int count_excess(struct te_journal *j, const struct te_rule *r, uint64_t suppressed)
{
	const char *id = r->id ? r->id : "";
	struct pending *p;

	for (size_t i = 0; i < j->npend; i++) {
		if (!strcmp(j->pend[i].id, id)) {
			j->pend[i].count++;
			j->pend[i].suppressed += suppressed;
			return 0;
		}
	}
	if (j->npend == j->cap) {
		size_t cap = j->cap ? 2 * j->cap : 8;
		struct pending *n = realloc(j->pend, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		j->pend = n;
		j->cap = cap;
	}
	p = &j->pend[j->npend];
	*p = (struct pending){
		.id = strdup(id),
		.name = strdup(r->name ? r->name : ""),
		.mitre = dup_or_null(r->mitre_technique),
		.tactic = dup_or_null(r->mitre_tactic),
		.severity = r->severity,
		.count = 1,
		.suppressed = suppressed,
	};
	if (!p->id || !p->name || (r->mitre_technique && !p->mitre) ||
	    (r->mitre_tactic && !p->tactic)) {
		pending_free(p);
		return -ENOMEM;
	}
	j->npend++;
	return 0;
}

/* End the window: one summary per rule that went over the cap.  A summary
 * that cannot be sent is still forgotten — keeping it would only repeat the
 * failure each second — but its error is returned for the caller to count. */
static int close_window(struct te_journal *j)
{
	int ret = 0;

	for (size_t i = 0; i < j->npend; i++) {
		int r = send_summary(j, &j->pend[i]);

		if (r < 0 && ret == 0)
			ret = r;
		pending_free(&j->pend[i]);
	}
	j->npend = 0;
	j->nseen = 0;
	j->window_open = false;
	j->written = 0;
	return ret;
}

/* Has @r had an entry in full in this window?  Marks it as having one. */
static bool seen_before(struct te_journal *j, const struct te_rule *r)
{
	for (size_t i = 0; i < j->nseen; i++)
		if (j->seen[i] == r)
			return true;
	if (j->nseen == j->seen_cap) {
		size_t cap = j->seen_cap ? 2 * j->seen_cap : 16;
		const struct te_rule **n = realloc(j->seen, cap * sizeof(*n));

		if (!n)
			return false; /* written in full: the safe side */
		j->seen = n;
		j->seen_cap = cap;
	}
	j->seen[j->nseen++] = r;
	return false;
}

int te_journal_detection(struct te_journal *j, const struct te_rule *r,
			 const struct te_rule_event *re, uint64_t suppressed, const char *output,
			 const char *event_json, size_t len)
{
	uint64_t now;
	int ret = 0;

	if (!j)
		return 0;
	if (j->max_per_sec == 0)
		return send_detection(j, r, re, suppressed, output, event_json, len);

	now = te_now_ns(CLOCK_MONOTONIC);
	if (j->window_open && now - j->window_start >= NSEC_PER_SEC)
		ret = close_window(j);
	if (!j->window_open) {
		j->window_open = true;
		j->window_start = now;
		j->written = 0;
	}
	/*
	 * Only low and info detections are folded, and never a rule's first in
	 * the window: a flood of cheap detections must not turn the one that
	 * matters (or the first of another rule) into a count.
	 */
	if (r->severity < TE_SEV_MEDIUM && seen_before(j, r) && j->written >= j->max_per_sec &&
	    count_excess(j, r, suppressed) == 0)
		return ret;
	j->written++;
	int s = send_detection(j, r, re, suppressed, output, event_json, len);
	return s < 0 ? s : ret;
}

int te_journal_tick(struct te_journal *j, uint64_t now_ns)
{
	if (j && j->window_open && now_ns - j->window_start >= NSEC_PER_SEC)
		return close_window(j);
	return 0;
}

int te_journal_flush(struct te_journal *j)
{
	return j ? close_window(j) : 0;
}

int te_journal_events_lost(struct te_journal *j, uint64_t lost, uint64_t total_lost)
{
	struct entry *e;

	if (!j)
		return 0;
	e = &j->e;
	entry_common(e, TE_JOURNAL_ID_EVENTS_LOST, LOG_WARNING);
	field_fmt(e, "MESSAGE",
		  "Lost %" PRIu64 " kernel events (%" PRIu64 " since start): the ring buffer was full",
		  lost, total_lost);
	field_u64(e, "TRACEED_EVENTS_LOST", lost);
	field_u64(e, "TRACEED_EVENTS_LOST_TOTAL", total_lost);
	return entry_send(e);
}

int te_journal_reload(struct te_journal *j, bool ok, size_t rules, const char *error)
{
	struct entry *e;

	if (!j)
		return 0;
	e = &j->e;
	if (ok) {
		entry_common(e, TE_JOURNAL_ID_RULES_RELOADED, LOG_INFO);
		field_fmt(e, "MESSAGE", "Rules reloaded: %zu rules loaded", rules);
		field_u64(e, "TRACEED_RULES", rules);
	} else {
		size_t off;

		entry_common(e, TE_JOURNAL_ID_RELOAD_FAILED, LOG_ERR);
		/* the error may be several diagnostics, one per line: sendv
		 * keeps them in the one field */
		off = e->sb.len;
		sb_puts(&e->sb, "MESSAGE=Rule reload failed, the previous rules stay active: ");
		sb_puts(&e->sb, error ? error : "unknown error");
		field_end(e, off);
		field_u64(e, "TRACEED_RULES", rules);
		field_str(e, "TRACEED_ERROR", error ? error : "unknown error");
	}
	return entry_send(e);
}

void te_journal_free(struct te_journal *j)
{
	if (!j)
		return;
	/* the summaries of a window still open: nothing is lost at exit */
	close_window(j);
	free(j->pend);
	free(j->seen);
	sb_free(&j->e.sb);
	sb_free(&j->text);
	free(j);
}
