/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An event written out: a Tracee-style JSON object (--foreground, the event
 * inside a detection, replay) or a tracee-ebpf-style table line.
 */
#pragma once

#include "argfmt.h"
#include "event.h"
#include "proctree.h"
#include "strbuf.h"

struct te_output_ctx {
	const char *hostname;
	uint32_t self_pid;   /* traceed's own pid: "targetsTraceed" (0: none) */
};

/* One JSON object (no newline) describing @ev, enriched from @proc (may be NULL). */
void te_output_json(struct strbuf *sb, const struct te_output_ctx *ctx,
		    const struct te_event *ev, const struct te_proc *proc);
/* Table: header line, then one line per event (newline included). */
void te_output_table_header(struct strbuf *sb);
void te_output_table(struct strbuf *sb, const struct te_output_ctx *ctx,
		     const struct te_event *ev, const struct te_proc *proc);
