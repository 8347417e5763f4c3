/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fanout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "daemon.h"
#include "detection.h"
#include "event_socket.h"
#include "history.h"
#include "journal.h"
#include "log.h"
#include "webhook.h"

#define SPOOL_SUBDIR "spool"

static int open_webhooks(const struct te_config *cfg, const char *hostname,
			 struct te_webhooks **out, char *err, size_t errlen)
{
	char spool[4096];

	if ((size_t)snprintf(spool, sizeof(spool), "%s/%s", cfg->state_dir, SPOOL_SUBDIR) >=
	    sizeof(spool)) {
		snprintf(err, errlen, "state_dir is too long for the webhook spool");
		return -ENAMETOOLONG;
	}
	return te_webhooks_new(cfg->path, cfg->outputs.webhooks, cfg->outputs.nwebhooks, spool,
			       hostname, out, err, errlen);
}

int te_detection_out_open(struct te_daemon *d, char *err, size_t errlen)
{
	char why[512];
	int r;

	r = te_journal_new(d->set.journal_rate_limit, &d->journal);
	if (r < 0) {
		snprintf(err, errlen, "out of memory for the journal output");
		return r;
	}
	d->history = te_history_new(d->cfg.history_size);
	if (!d->history) {
		snprintf(err, errlen, "out of memory for a history of %u detections",
			 d->cfg.history_size);
		return -ENOMEM;
	}
	r = open_webhooks(&d->cfg, d->hostname, &d->webhooks, err, errlen);
	if (r < 0)
		return r;
	/*
	 * A socket passed by traceed.socket is used whatever the file says
	 * (the administrator enabled the unit); without one the daemon makes
	 * its own only when outputs.event_socket asks for it.  A socket that
	 * cannot be made costs that output, not detection.
	 */
	if (te_event_socket_open(d->event, d->cfg.outputs.event_socket ? TE_EVENT_SOCKET_PATH : NULL,
				 &d->evsock, why, sizeof(why)) < 0)
		log_warning("no event socket: %s", why);
	return 0;
}

int te_detection_out_prepare(struct te_daemon *d, const struct te_config *cfg,
			     struct te_detection_out_next *next, char *err, size_t errlen)
{
	/*
	 * The new outputs are made while the old ones still run: each output's
	 * spool is locked, and a new output whose spool the old one still
	 * holds keeps detections in memory until _commit() frees the old one
	 * (webhook.h).  The history is resized by the caller once the reload
	 * cannot fail; the event socket stays as it is (a socket passed by
	 * systemd cannot be re-created; outputs.event_socket takes effect at
	 * restart).
	 */
	next->webhooks = NULL;
	return open_webhooks(cfg, d->hostname, &next->webhooks, err, errlen);
}

void te_detection_out_commit(struct te_daemon *d, struct te_detection_out_next *next)
{
	te_webhooks_free(d->webhooks);
	d->webhooks = next->webhooks;
	next->webhooks = NULL;
}

void te_detection_out_discard(struct te_detection_out_next *next)
{
	te_webhooks_free(next->webhooks);
	next->webhooks = NULL;
}

void te_detection_out_close(struct te_daemon *d)
{
	te_webhooks_free(d->webhooks);
	d->webhooks = NULL;
	te_event_socket_free(d->evsock);
	d->evsock = NULL;
	te_history_free(d->history);
	d->history = NULL;
	te_journal_free(d->journal);
	d->journal = NULL;
}

void te_detection_out(void *ctx, const struct te_rule *rule, const struct te_rule_event *re,
		      uint64_t suppressed, const char *output, const char *event_json,
		      size_t event_len)
{
	struct te_daemon *d = ctx;
	struct te_history_entry e, copy;
	const char *event = event_json ? event_json : "{}";

	/* journald away (early boot, restart): count, never stop tracing */
	if (d->cfg.outputs.journal && te_journal_detection(d->journal, rule, re, suppressed, output,
							     event_json, event_len) < 0)
		d->journal_failures++;

	d->detections++;
	e = (struct te_history_entry){
		.id = d->detections,
		.time_usec = re->time_ns / 1000u,
		.severity = rule->severity,
		.rule_id = rule->id,
		.rule_name = rule->name,
		.mitre_technique = rule->mitre_technique,
		.mitre_tactic = rule->mitre_tactic,
		.output = output,
		.pid = re->pid,
		.ppid = re->ppid,
		.uid = re->uid,
		.comm = re->comm,
		.exe = re->exe,
		.cmdline = re->cmdline,
		.container_id = re->container_id,
		.suppressed = suppressed,
		/* NUL-terminated by the engine (sb_str) */
		.event = event,
	};
	if (te_history_entry_copy(&copy, &e) == 0) {
		te_bus_emit_detection(d->bus, &copy);
		te_history_push_owned(d->history, &copy);
	}

	if (d->evsock || d->webhooks || d->cfg.outputs.stdout_) {
		sb_reset(&d->det);
		te_detection_json(&d->det, rule, re, suppressed, output, event_json, event_len);
		te_event_socket_send(d->evsock, d->det.p, d->det.len);
		te_webhooks_submit(d->webhooks, rule, re, suppressed, output, d->det.p, d->det.len);
		if (d->cfg.outputs.stdout_) {
			sb_putc(&d->det, '\n');
			fwrite(d->det.p, 1, d->det.len, stdout);
		}
	}
}
