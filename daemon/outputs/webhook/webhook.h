/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Webhook outputs (docs/webhooks.md): detections POSTed to falcosidekick
 * (its "POST /" schema) or, as traceed's own detection JSON, to any URL.
 *
 * Delivery is at-least-once.  Each output has
 *   - a spool directory SPOOL_DIR/NAME/ of append-only segment files
 *     (webhook_spool.c): te_webhooks_submit() appends every payload with
 *     one write(2) before it returns, so a detection survives kill -9 and a
 *     restart from then on; a worker fdatasync()s new data at most
 *     TE_WEBHOOK_SYNC_MS later, so a power loss or kernel crash can lose
 *     what was submitted in the last ~second;
 *   - a bounded in-memory queue of the newest payloads, so the worker
 *     normally sends without reading the spool back, and so detections are
 *     still delivered (but not kept across a restart) if the spool cannot be
 *     written (disk full);
 *   - a worker thread that sends the oldest undelivered payload with libcurl,
 *     one at a time and in order, and retries with exponential backoff and
 *     jitter until a 2xx; 4xx other than 408/429 is "rejected" (logged with
 *     the response body) and not retried.
 * When the spool reaches spool_max_mib the oldest segment is removed; the
 * undelivered detections it held are counted as dropped and logged.
 *
 * Threads: te_webhooks_new/submit/test/free are called from one thread
 * (the event loop); te_webhooks_count/stats from any thread.
 *
 * Reload: te_webhooks_new() for the new configuration may run before or
 * after te_webhooks_free() of the old instance.  Each output's spool is
 * owned through flock(2) on SPOOL_DIR/NAME/lock; a new instance whose spool
 * is still held by the old one keeps its submissions in memory and takes
 * the spool over (appending them after what the old instance left) as soon
 * as te_webhooks_free() released it.  Creating the new instance first is
 * therefore fine (and lets a reload keep the old outputs when the new
 * configuration is refused); a kill -9 in that short window loses what was
 * submitted to the new instance in between.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config_kv.h"
#include "rule_event.h"
#include "rule_set.h"

struct te_webhooks;

struct te_webhook_stats {
	const char *name;      /* valid as long as the te_webhooks */
	const char *kind;      /* "falcosidekick" or "webhook" */
	const char *url;       /* scheme://host[:port]/path, user info removed */
	uint64_t queued;       /* undelivered now (memory and spool) */
	uint64_t delivered;    /* acknowledged with a 2xx */
	uint64_t retried;      /* attempts that failed and will be retried */
	uint64_t rejected;     /* 4xx other than 408/429: not retried */
	uint64_t dropped;      /* removed unsent (spool full) */
};

/* Environment variable that adds one falcosidekick output named "env". */
#define TE_WEBHOOK_ENV_URL "TRACEED_WEBHOOK_URL"

/*
 * Validate the outputs.webhooks @entries of @file and $TRACEED_WEBHOOK_URL ("FILE:LINE:COL:
 * outputs.webhooks[N].KEY: message" / "TRACEED_WEBHOOK_URL: message" in
 * @err), create SPOOL_DIR and SPOOL_DIR/NAME (0700), start one worker
 * thread per output.  The spool itself is loaded by the worker (see the
 * reload note above).  *out = NULL (and 0) when no output is configured.
 * Returns 0 or a negative errno; nothing is left behind on error.
 */
int te_webhooks_new(const char *file, const struct te_config_webhook *entries, size_t nentries,
		    const char *spool_dir, const char *hostname,
		    struct te_webhooks **out, char *err, size_t errlen);

/*
 * Event-loop thread.  For each output whose min_severity is at most the
 * rule's: format the payload (falcosidekick JSON, or @detection_json, the
 * te_detection_json() object, for kind webhook; NULL: formatted here with
 * a null "event"), append it to the output's spool with one write(2)
 * (page cache, no fsync), keep a copy in the memory queue and wake the
 * worker.  Takes the output's mutex, which the worker only holds for
 * bookkeeping, never across network I/O or fsync.  @output is the rule's
 * rendered output (NULL: rendered here).  @w may be NULL.
 */
void te_webhooks_submit(struct te_webhooks *w, const struct te_rule *rule,
			const struct te_rule_event *re, uint64_t suppressed, const char *output,
			const char *detection_json, size_t len);

/* Queue a test detection (rule_id TRD-TEST, rule "Test rule", severity
 * info, output "This is a test from traceed", tag "test") to every output,
 * whatever its min_severity.  Returns the number of outputs (0 for NULL). */
unsigned te_webhooks_test(struct te_webhooks *w);

/*
 * @url as it may be shown to anyone who can read the D-Bus Outputs
 * property: scheme://host[:port] and "/..." for a path or query, since
 * many services keep the secret there (a Slack hook's
 * /services/T.../B.../xxxx, a token parameter).  A bare "/" is kept.
 */
void te_webhook_url_public(const char *url, char *out, size_t outlen);

/* Number of outputs, in configuration order ($TRACEED_WEBHOOK_URL last). */
size_t te_webhooks_count(const struct te_webhooks *w);
/* Thread-safe snapshot of output @i's counters. */
void te_webhooks_stats(struct te_webhooks *w, size_t i, struct te_webhook_stats *out);

/*
 * Stop the workers: an in-flight transfer is aborted within about a second;
 * what is undelivered stays in the spool (memory-only entries are written
 * to it now), the spool is fdatasync()ed and its lock released.  NULL is
 * fine.
 */
void te_webhooks_free(struct te_webhooks *w);
