/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One webhook request with libcurl (interface in webhook_internal.h): a
 * CURL easy handle configured once from an output's options, then one
 * POST (or PUT) per te_http_send(), reusing the connection.  The outcome
 * is classified for the delivery side (webhook.c), which decides about
 * retries and logging: 2xx sent; 4xx other than 408/429 rejected; anything
 * else, a redirect included, retried.
 *
 * Used by one worker thread; no lock is held during a transfer.  A stop
 * flag set by another thread aborts the transfer from the progress
 * callback, which libcurl calls about once a second even while waiting.
 */
#include "webhook_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cleanup.h"

#ifndef TRACEED_VERSION
#define TRACEED_VERSION "0"
#endif

/* Response bodies quoted in the log. */
#define BODY_KEEP 1024
#define BODY_LOG 256

_Static_assert(TE_HTTP_WHY_MAX >= BODY_LOG * 4 + CURL_ERROR_SIZE + 160,
	       "te_http_result.why holds a curl error or a quoted response body");

struct te_http {
	CURL *curl;
	struct curl_slist *hdrs;
	char curl_err[CURL_ERROR_SIZE];
	struct strbuf resp;
	const bool *stop; /* te_http_send()'s, for on_progress() */
};

int te_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

void te_http_global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct te_http *h = ctx;
	size_t len = size * n;

	if (h->resp.len < BODY_KEEP)
		sb_put(&h->resp, p, len < BODY_KEEP - h->resp.len ? len : BODY_KEEP - h->resp.len);
	return len;
}

static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct te_http *h = ctx;

	(void)dt, (void)dn, (void)ut, (void)un;
	return h->stop && __atomic_load_n(h->stop, __ATOMIC_RELAXED) ? 1 : 0;
}

static int curl_setup(struct te_http *h, const struct te_webhook_opts *op)
{
	bool own_ct = false;
	CURL *c = curl_easy_init();

	if (!c)
		return -ENOMEM;
	h->curl = c;
	for (size_t i = 0; i < op->nheaders; i++) {
		struct curl_slist *l = curl_slist_append(h->hdrs, op->headers[i]);

		if (!l)
			return -ENOMEM;
		h->hdrs = l;
		if (!strncasecmp(op->headers[i], "Content-Type:", 13))
			own_ct = true;
	}
	if (!own_ct) {
		struct curl_slist *l = curl_slist_append(h->hdrs, "Content-Type: application/json");

		if (!l)
			return -ENOMEM;
		h->hdrs = l;
	}
	/* no "Expect: 100-continue" round trip for large bodies */
	{
		struct curl_slist *l = curl_slist_append(h->hdrs, "Expect:");

		if (!l)
			return -ENOMEM;
		h->hdrs = l;
	}
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_URL, op->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* A redirect is not followed: the custom headers (tokens) would go to
	 * wherever it points.  It counts as a failed attempt, and the log
	 * says where it pointed. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)op->timeout_s * 1000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(op->timeout_s < 10 ? op->timeout_s : 10) * 1000L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "traceed/" TRACEED_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_err);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, op->checkcert ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, op->checkcert ? 2L : 0L);
	if (op->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, op->ca_file);
	if (op->client_cert)
		curl_easy_setopt(c, CURLOPT_SSLCERT, op->client_cert);
	if (op->client_key)
		curl_easy_setopt(c, CURLOPT_SSLKEY, op->client_key);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	if (op->put)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	return 0;
}

DEFINE_POINTER_CLEANUP(struct te_http *, te_http_free)

int te_http_new(const struct te_webhook_opts *op, struct te_http **out)
{
	_cleanup_(te_http_freep) struct te_http *h = calloc(1, sizeof(*h));
	int r;

	*out = NULL;
	if (!h)
		return -ENOMEM;
	sb_init(&h->resp);
	r = curl_setup(h, op);
	if (r < 0)
		return r;
	*out = TAKE_PTR(h);
	return 0;
}

void te_http_free(struct te_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->hdrs);
	sb_free(&h->resp);
	free(h);
}

/* The response body for a log line: printable ASCII kept, the rest as \xNN,
 * cut at BODY_LOG bytes of input. */
static void quote_body(const struct strbuf *b, char *out, size_t outlen)
{
	size_t o = 0, n = b->len < BODY_LOG ? b->len : BODY_LOG;

	for (size_t i = 0; i < n && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)b->p[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	if (b->len > n && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}

void te_http_send(struct te_http *h, const char *body, size_t len, const bool *stop,
		  struct te_http_result *res)
{
	CURLcode rc;
	char quoted[BODY_LOG * 4 + 8];

	memset(res, 0, sizeof(*res));
	sb_reset(&h->resp);
	h->curl_err[0] = '\0';
	h->stop = stop;
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(h->curl);
	h->stop = NULL;
	if (rc == CURLE_ABORTED_BY_CALLBACK && stop && __atomic_load_n(stop, __ATOMIC_RELAXED)) {
		res->what = TE_HTTP_ABORTED;
		return;
	}
	if (rc != CURLE_OK) {
		res->what = TE_HTTP_RETRY;
		snprintf(res->why, sizeof(res->why), "%s%s%s", curl_easy_strerror(rc),
			 h->curl_err[0] ? ": " : "", h->curl_err);
		return;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &res->code);
	if (res->code >= 200 && res->code < 300) {
		res->what = TE_HTTP_SENT;
		return;
	}
	quote_body(&h->resp, quoted, sizeof(quoted));
	if (res->code >= 400 && res->code < 500 && res->code != 408 && res->code != 429) {
		res->what = TE_HTTP_REJECTED;
		snprintf(res->why, sizeof(res->why), "HTTP %ld: %s", res->code,
			 quoted[0] ? quoted : "(empty response body)");
		return;
	}
	res->what = TE_HTTP_RETRY;
	if (res->code >= 300 && res->code < 400) {
		char *loc = NULL;

		curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &loc);
		snprintf(res->why, sizeof(res->why),
			 "HTTP %ld redirect to %s, not followed: set url to the final address",
			 res->code, loc ? loc : "(no Location)");
	} else {
		curl_off_t ra = 0;

		snprintf(res->why, sizeof(res->why), "HTTP %ld: %s", res->code,
			 quoted[0] ? quoted : "(empty response body)");
		if (curl_easy_getinfo(h->curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
			res->retry_after_s = (uint64_t)ra;
	}
}
