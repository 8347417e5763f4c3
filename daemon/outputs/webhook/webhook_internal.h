/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pieces of the webhook sender shared by its files and its unit tests:
 *   webhook_config.c   outputs.webhooks entries -> struct te_webhook_opts
 *   webhook_payload.c  falcosidekick JSON, the test detection
 *   webhook_spool.c    the on-disk spool of one output
 *   webhook_http.c     one request with libcurl, its outcome classified
 *   webhook.c          queues, worker threads, backoff, counters
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_kv.h"
#include "rule_event.h"
#include "rule_set.h"
#include "strbuf.h"

/* ---- options (webhook_config.c) ---------------------------------------- */

enum te_webhook_kind { TE_WEBHOOK_FALCOSIDEKICK = 0, TE_WEBHOOK_PLAIN };

#define TE_WEBHOOK_NAME_MAX 64
#define TE_WEBHOOK_DEFAULT_TIMEOUT_S 10
#define TE_WEBHOOK_MAX_TIMEOUT_S 3600
#define TE_WEBHOOK_DEFAULT_SPOOL_MIB 64
#define TE_WEBHOOK_MAX_SPOOL_MIB 65536
#define TE_WEBHOOK_DEFAULT_MAX_BACKOFF_S 60
#define TE_WEBHOOK_MAX_HEADERS 64

struct te_webhook_opts {
	char *name;                /* [A-Za-z0-9_.-], 1..64, no leading '.' */
	enum te_webhook_kind kind;
	char *url;                 /* as configured (may carry user:password@) */
	char *url_public;          /* user info removed: logs, status */
	char **headers;            /* "Name: value", ready for CURLOPT_HTTPHEADER */
	size_t nheaders;
	enum te_severity min_severity;
	unsigned timeout_s;
	bool put;                  /* method PUT (kind webhook only) */
	char *ca_file, *client_cert, *client_key;
	bool checkcert;
	unsigned spool_max_mib;
	unsigned max_backoff_s;
};

const char *te_webhook_kind_name(enum te_webhook_kind k);

/*
 * All outputs of @cfg plus, when @env_url is non-NULL and non-empty, one
 * falcosidekick output named "env".  0 with *out = NULL, *nout = 0 when
 * there are none; -EINVAL / -ENOMEM with the message in @err.
 */
int te_webhook_opts_parse(const char *file, const struct te_config_webhook *entries,
			  size_t nentries, const char *env_url,
			  struct te_webhook_opts **out, size_t *nout, char *err, size_t errlen);
void te_webhook_opts_free(struct te_webhook_opts *o, size_t n);

/*
 * An http:// or https:// URL with a host and nothing curl would not parse;
 * *public_out (malloc'ed) is the URL without user info.  0 or -EINVAL with
 * the reason in @why (no position).
 */
int te_webhook_url_check(const char *url, char **public_out, char *why, size_t whylen);

/* ---- payloads (webhook_payload.c) -------------------------------------- */

/*
 * falcosidekick's "POST /" body:
 *   {"uuid","output","priority","rule","time","output_fields":{...},
 *    "source":"syscall","tags":[...],"hostname"}
 * @uuid may be NULL (then omitted); @output is the rule's rendered output
 * (NULL: rendered here).
 */
void te_webhook_falcosidekick_json(struct strbuf *sb, const struct te_rule *rule,
				   const struct te_rule_event *re, uint64_t suppressed,
				   const char *output, const char *hostname, const char *uuid);

/* A random-looking, unique RFC 4122 version 4 UUID string from a per-instance
 * random @seed (two words) and a counter. */
void te_webhook_uuid(char out[37], const uint64_t seed[2], uint64_t counter);

/* The test detection: a rule and an event that te_detection_json() and
 * te_webhook_falcosidekick_json() accept.  0 or -ENOMEM. */
struct te_webhook_test_detection {
	struct te_rule rule;
	struct te_rule_event re;
	char *tags[1];
	char comm[16];
};
int te_webhook_test_detection_init(struct te_webhook_test_detection *t, const char *hostname);
void te_webhook_test_detection_fini(struct te_webhook_test_detection *t);

/* ---- spool (webhook_spool.c) ------------------------------------------- */

/*
 * Directory DIR of one output:
 *   lock                 flock(2)ed by the owning instance
 *   ack                  16 bytes: "TEWA", 4 reserved, u64 head (LE): every
 *                        record with a smaller id was delivered/rejected
 *   %016llx-S.seg        segments of severity S (0 info .. 4 critical),
 *                        numbered per severity, appended in order; records:
 *                          u32 magic "TEWR", u32 length, u64 id,
 *                          u32 crc32(payload), u32 0, payload
 *   %016llx.seg          segments written before the spool kept severities
 *                        apart (any severity): read, never appended to
 * Record ids increase strictly across the segments of one severity; the
 * spool's order is the ids' order, merged across severities.  When full,
 * the spool makes room by removing the oldest segment of the lowest
 * severity present (see webhook_spool.c).  Not thread-safe: the caller
 * serialises (webhook.c holds the output's mutex).
 */
struct te_spool;

#define TE_SPOOL_NSEV (TE_SEV_CRITICAL + 1)

struct te_spool *te_spool_new(const char *dir, uint64_t max_bytes);
/* Create @dir (0700) if needed.  0 or -errno. */
int te_spool_mkdir(const char *dir);
/* Take the lock without waiting: 0, -EAGAIN when another instance has it. */
int te_spool_trylock(struct te_spool *s);
/*
 * Scan the segments (after the lock): torn or corrupt tails are cut off,
 * delivered and empty segments removed, and, when the spool is larger than
 * max_bytes (the limit was lowered), segments removed as te_spool_append()
 * would.  *head: the first undelivered id (== *next when none); *next: the
 * id after the last record; *pending: the undelivered records found (ids in
 * [*head, *next) not on disk were dropped before).  @note gets a message
 * about anything repaired or removed ("" when nothing was).
 */
int te_spool_load(struct te_spool *s, uint64_t *head, uint64_t *next, uint64_t *pending,
		  char *note, size_t notelen);

/* What te_spool_append() removed to make room. */
struct te_spool_evicted {
	uint64_t pending; /* undelivered records (id >= the ack head) removed */
	bool head;        /* ... among them the one at the ack head */
};
/* te_spool_append(): not stored, lower than everything a full spool holds */
#define TE_SPOOL_REFUSED 1
/*
 * Append one record of severity @sev.  When it would not fit under
 * max_bytes, room is made by removing whole segments of the lowest
 * severity present, oldest first, never of a severity above @sev; when
 * only those would make room, nothing is removed and the record is refused.
 * 0, TE_SPOOL_REFUSED, -EFBIG (larger than the whole spool) or the write's
 * -errno (nothing of it is kept then).  *@ev (may be NULL) says what was
 * removed, whatever the result.
 */
int te_spool_append(struct te_spool *s, uint64_t id, enum te_severity sev, const void *p,
		    size_t len, struct te_spool_evicted *ev);
/* The smallest id >= @min on disk: true and *id, or false when none. */
bool te_spool_find(struct te_spool *s, uint64_t min, uint64_t *id);
/* Read the record te_spool_find() found into @out (replacing its content).
 * 0 or -errno / -EBADMSG. */
int te_spool_read(struct te_spool *s, struct strbuf *out);
/* Every id < @head is done: remember it (ack file, not synced) and remove
 * segments holding nothing else.  0 or -errno. */
int te_spool_ack(struct te_spool *s, uint64_t head);
/* Bytes in the segments now; those of one severity. */
uint64_t te_spool_bytes(const struct te_spool *s);
uint64_t te_spool_bytes_sev(const struct te_spool *s, enum te_severity sev);
/*
 * Durability in two steps so the slow part runs without the caller's lock:
 * te_spool_sync_take() (under the lock) returns true and, per severity, the
 * range of segments written since the last sync; te_spool_sync_run()
 * (without) fdatasync()s them and the directory.
 */
struct te_spool_sync {
	bool dirty[TE_SPOOL_NSEV];
	uint64_t from_seq[TE_SPOOL_NSEV], to_seq[TE_SPOOL_NSEV];
};
bool te_spool_sync_take(struct te_spool *s, struct te_spool_sync *sy);
int te_spool_sync_run(struct te_spool *s, const struct te_spool_sync *sy);
/* Sync, unlock, close, free.  NULL is fine. */
void te_spool_free(struct te_spool *s);

/* ---- HTTP (webhook_http.c) --------------------------------------------- */

/*
 * One output's libcurl easy handle, configured once from its options: url,
 * headers (plus "Content-Type: application/json" unless one is configured,
 * and no "Expect: 100-continue"), ca_file, client_cert/key, checkcert,
 * timeout (connecting: at most 10 s of it), POST or PUT, HTTP and HTTPS
 * only, redirects not followed.  Used by one thread at a time; the
 * connection is kept between requests.
 */
struct te_http;

/* libcurl's process-wide setup, around every te_http: 0 or -ENOMEM. */
int te_http_global_init(void);
void te_http_global_cleanup(void);

/* 0 or -ENOMEM (then *out = NULL). */
int te_http_new(const struct te_webhook_opts *op, struct te_http **out);
/* NULL is fine. */
void te_http_free(struct te_http *h);

enum te_http_outcome {
	TE_HTTP_SENT,     /* 2xx */
	TE_HTTP_RETRY,    /* transport error, timeout, 3xx, 408, 429, 5xx, ... */
	TE_HTTP_REJECTED, /* 4xx other than 408/429: not to be retried */
	TE_HTTP_ABORTED,  /* *stop was set */
};

/* Room for a libcurl error message or a quoted response body. */
#define TE_HTTP_WHY_MAX 1440

struct te_http_result {
	enum te_http_outcome what;
	long code;              /* HTTP status; 0 without a response */
	uint64_t retry_after_s; /* Retry-After of a retried response, 0 if none */
	/* RETRY and REJECTED, for the log: the libcurl error, or "HTTP CODE:
	 * BODY" with the response body's first 256 bytes (non-printable bytes
	 * as \xNN), or where a redirect pointed; "" otherwise */
	char why[TE_HTTP_WHY_MAX];
};

/*
 * Send @body (@len bytes; NULL is an empty body) and wait for the response,
 * at most the configured timeout.  Another thread setting *@stop (read
 * with __atomic_load_n; @stop may be NULL) aborts the transfer within about
 * a second: TE_HTTP_ABORTED.
 */
void te_http_send(struct te_http *h, const char *body, size_t len, const bool *stop,
		  struct te_http_result *res);
