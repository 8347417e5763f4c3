/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where a detection goes under --service, in this order:
 *   1. the journal (journal.c), when outputs.journal is on;
 *   2. the history (ListDetections) and the D-Bus Detection signal, with the
 *      same id — the daemon's detection sequence;
 *   3. the event socket and (outputs.stdout) standard output, as one JSON
 *      line (te_detection_json);
 *   4. the webhook outputs' queues and spools (webhook.h; never waits on the
 *      network).
 * The journal comes first because it is the record an administrator looks
 * at; nothing later can delay or lose it.
 *
 * The outputs are the daemon's (d->journal, d->history, d->evsock,
 * d->webhooks); this file makes, replaces and frees them and feeds them.
 * Their readers (bus.c: the Outputs property, TestOutputs, GetStatus) ask
 * them directly, not through here.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "rule_event.h"
#include "rule_set.h"

struct te_daemon;

/* Configuration flags the daemon loads its file with. */
#define TE_DETECTION_OUT_CONFIG_FLAGS TE_CONFIG_ALLOW_WEBHOOKS

/*
 * Create the journal output, the history, the event socket and the webhook
 * outputs for d->cfg and d->set.
 * A socket that cannot be opened is reported and left out (the daemon runs
 * on); a webhook configuration that is wrong is an error (@err says why),
 * since the administrator expects alerts to leave the machine.  0 or a
 * negative errno.
 */
int te_detection_out_open(struct te_daemon *d, char *err, size_t errlen);

/*
 * A reload with @cfg, in two steps so that a failure anywhere leaves
 * everything as it was: _prepare() builds what may fail (the webhook
 * outputs of @cfg) into *@next, or fails with @err; then the reload either
 * _commit()s it (after d->cfg became @cfg) or _discard()s it.
 */
struct te_detection_out_next {
	struct te_webhooks *webhooks;
};
int te_detection_out_prepare(struct te_daemon *d, const struct te_config *cfg,
			     struct te_detection_out_next *next, char *err, size_t errlen);
void te_detection_out_commit(struct te_daemon *d, struct te_detection_out_next *next);
void te_detection_out_discard(struct te_detection_out_next *next);

/* The engine's sink (te_detection_sink), @ctx is the daemon. */
void te_detection_out(void *ctx, const struct te_rule *rule, const struct te_rule_event *re,
		      uint64_t suppressed, const char *output, const char *event_json,
		      size_t event_len);

void te_detection_out_close(struct te_daemon *d);
