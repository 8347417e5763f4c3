// SPDX-License-Identifier: LGPL-2.1-or-later
/* See detection.h. */
#include <stdlib.h>
#include <string.h>

#include "detection.h"
#include "escape.h"
#include "strbuf.h"
#include "timeparse.h"

int severity_rank(const char *s)
{
	static const char *const names[] = { "info", "low", "medium", "high", "critical" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

int detection_read(sd_bus_message *m, struct detection *d)
{
	return sd_bus_message_read(m, DETECTION_SIGNATURE, &d->id, &d->time, &d->rule_id,
				   &d->rule_name, &d->severity, &d->mitre_technique, &d->mitre_tactic,
				   &d->output, &d->pid, &d->ppid, &d->uid, &d->comm, &d->exe,
				   &d->cmdline, &d->container_id, &d->suppressed, &d->event);
}

void detection_json(struct jw *j, const struct detection *d)
{
	jw_object_begin(j);
	jw_kv_u64(j, "id", d->id);
	jw_kv_time(j, "time", d->time);
	jw_kv_string(j, "rule_id", d->rule_id);
	jw_kv_string(j, "rule_name", d->rule_name);
	jw_kv_string(j, "severity", d->severity);
	jw_kv_string(j, "mitre_technique", d->mitre_technique);
	jw_kv_string(j, "mitre_tactic", d->mitre_tactic);
	jw_kv_string(j, "output", d->output);
	jw_kv_u64(j, "pid", d->pid);
	jw_kv_u64(j, "ppid", d->ppid);
	jw_kv_u64(j, "uid", d->uid);
	jw_kv_string(j, "comm", d->comm);
	jw_kv_string(j, "exe", d->exe);
	jw_kv_string(j, "cmdline", d->cmdline);
	jw_kv_string(j, "container_id", d->container_id);
	jw_kv_u64(j, "suppressed", d->suppressed);
	/* kept a string, as on the bus: it is the daemon's JSON, and passing
	 * it through unparsed keeps it byte for byte */
	jw_kv_string(j, "event", d->event);
	jw_object_end(j);
}

struct table *detection_table_new(void)
{
	static const char *const h[] = { "ID", "TIME", "SEVERITY", "RULE", "PID", "COMM", "OUTPUT" };
	struct table *t = table_new(h, 7);

	if (t) {
		table_set_right(t, 0);
		table_set_right(t, 4);
		table_set_shrink(t, 6);
	}
	return t;
}

int detection_table_add(struct table *t, const struct detection *d)
{
	char tbuf[64];
	int r = 0;

	r |= table_addf(t, "%llu", (unsigned long long)d->id);
	r |= table_add(t, format_time_local(d->time, tbuf, sizeof(tbuf)));
	r |= table_add(t, d->severity);
	r |= table_add(t, d->rule_id);
	r |= table_addf(t, "%u", d->pid);
	r |= table_add(t, d->comm);
	if (d->suppressed)
		r |= table_addf(t, "%s (+%llu repeats)", d->output, (unsigned long long)d->suppressed);
	else
		r |= table_add(t, d->output);
	return r < 0 ? -1 : 0;
}

void detection_line(FILE *f, const struct detection *d)
{
	struct strbuf sb;
	char tbuf[64];

	sb_init(&sb);
	sb_printf(&sb, "%s ", format_time_local(d->time, tbuf, sizeof(tbuf)));
	esc_append(&sb, d->severity, 0);
	sb_putc(&sb, ' ');
	esc_append(&sb, d->rule_id, 0);
	sb_printf(&sb, " pid=%u comm=", d->pid);
	esc_append(&sb, d->comm, 0);
	sb_puts(&sb, ": ");
	esc_append(&sb, d->output, 0);
	if (d->suppressed)
		sb_printf(&sb, " (+%llu repeats)", (unsigned long long)d->suppressed);
	if (!sb.oom)
		fprintf(f, "%s\n", sb_str(&sb));
	sb_free(&sb);
}
