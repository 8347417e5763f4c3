/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Event printing for --foreground: Tracee-style JSON lines and a table. */
#pragma once

#include "event.h"
#include "proctree.h"
#include "strbuf.h"

struct te_output_ctx {
	const char *hostname;
};

/* One JSON object (no newline) describing @ev, enriched from @proc (may be NULL). */
void te_output_json(struct strbuf *sb, const struct te_output_ctx *ctx,
		    const struct te_event *ev, const struct te_proc *proc);
/* Table: header line, then one line per event (newline included). */
void te_output_table_header(struct strbuf *sb);
void te_output_table(struct strbuf *sb, const struct te_output_ctx *ctx,
		     const struct te_event *ev, const struct te_proc *proc);

/* One argument's value as text (table, rule engine) / as JSON (value only). */
void te_arg_text(struct strbuf *sb, const struct te_arg_desc *d, const struct te_arg_value *v);
void te_arg_json(struct strbuf *sb, const struct te_arg_desc *d, const struct te_arg_value *v);
