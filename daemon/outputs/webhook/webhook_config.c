/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * outputs.webhooks entries (kept as raw key/values by config.c) and
 * $TRACEED_WEBHOOK_URL -> struct te_webhook_opts.
 *
 * Same strictness as config.c: an unknown key, a value of the wrong kind or
 * out of range refuses the whole configuration, with "FILE:LINE:COL:
 * outputs.webhooks[N].KEY: message" naming the value.  Everything that
 * ends up in an HTTP request (URL, header names and values) is checked
 * here, so a CR/LF in a header value can never split a request.
 */
#include "webhook_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "webhook.h"

const char *te_webhook_kind_name(enum te_webhook_kind k)
{
	return k == TE_WEBHOOK_PLAIN ? "webhook" : "falcosidekick";
}

struct vctx {
	const char *file;
	char *err;
	size_t errlen;
	char entry[48];       /* "outputs.webhooks[2]" or TRACEED_WEBHOOK_URL */
	bool env;             /* messages without a position */
};

__attribute__((format(printf, 5, 6)))
static int fail(struct vctx *v, unsigned line, unsigned col, const char *key, const char *fmt,
		...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!v->err || !v->errlen)
		return -EINVAL;
	if (v->env)
		snprintf(v->err, v->errlen, "%s: %s", v->entry, msg);
	else if (key)
		snprintf(v->err, v->errlen, "%s:%u:%u: %s.%s: %s", v->file, line, col, v->entry, key,
			 msg);
	else
		snprintf(v->err, v->errlen, "%s:%u:%u: %s: %s", v->file, line, col, v->entry, msg);
	return -EINVAL;
}

#define fail_kv(v, kv, ...) fail((v), (kv)->line, (kv)->col, (kv)->key, __VA_ARGS__)

static int oom(struct vctx *v)
{
	if (v->err && v->errlen)
		snprintf(v->err, v->errlen, "%s: out of memory", v->entry);
	return -ENOMEM;
}

/* For messages: the value with control characters shown as '?', cut to
 * what fits in @buf with "..." marking the cut. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	if (i < n && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

static int want_str(struct vctx *v, const struct te_config_kv *kv)
{
	if (!kv->value)
		return fail_kv(v, kv, "expected a string, found a mapping");
	return 0;
}

static int want_nonempty(struct vctx *v, const struct te_config_kv *kv)
{
	int r = want_str(v, kv);

	if (r == 0 && !kv->value[0])
		return fail_kv(v, kv, "expected a value, found nothing");
	return r;
}

static int want_bool(struct vctx *v, const struct te_config_kv *kv, bool *out)
{
	char b[64];
	int r = want_nonempty(v, kv);

	if (r < 0)
		return r;
	if (!strcasecmp(kv->value, "true"))
		*out = true;
	else if (!strcasecmp(kv->value, "false"))
		*out = false;
	else
		return fail_kv(v, kv, "expected true or false, found '%s'",
			       shown(kv->value, b, sizeof(b)));
	return 0;
}

static int want_uint(struct vctx *v, const struct te_config_kv *kv, unsigned min, unsigned max,
		     const char *unit, unsigned *out)
{
	unsigned long long n = 0;
	char b[64];
	int r = want_nonempty(v, kv);

	if (r < 0)
		return r;
	for (const char *p = kv->value; *p; p++)
		if (*p < '0' || *p > '9')
			return fail_kv(v, kv, "'%s' is not a number%s%s", shown(kv->value, b, sizeof(b)),
				       *unit ? " of " : "", unit);
	for (const char *p = kv->value; *p && n <= max; p++)
		n = n * 10 + (unsigned)(*p - '0');
	if (n < min || n > max)
		return fail_kv(v, kv, "%s is out of range (%u to %u%s%s)",
			       shown(kv->value, b, sizeof(b)), min, max, *unit ? " " : "", unit);
	*out = (unsigned)n;
	return 0;
}

static int want_file(struct vctx *v, const struct te_config_kv *kv, char **out)
{
	char b[256];
	int r = want_nonempty(v, kv);

	if (r < 0)
		return r;
	if (kv->value[0] != '/')
		return fail_kv(v, kv, "'%s' is not an absolute path", shown(kv->value, b, sizeof(b)));
	/* Checked now rather than at the first delivery, hours later. */
	if (access(kv->value, R_OK) < 0)
		return fail_kv(v, kv, "%s: %s", shown(kv->value, b, sizeof(b)), strerror(errno));
	*out = strdup(kv->value);
	return *out ? 0 : oom(v);
}

int te_webhook_url_check(const char *url, char **public_out, char *why, size_t whylen)
{
	CURLU *h;
	CURLUcode uc;
	char *scheme = NULL, *host = NULL, *pub = NULL;
	int r = -EINVAL;

	if (public_out)
		*public_out = NULL;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			snprintf(why, whylen, "contains a space or control character");
			return -EINVAL;
		}
	h = curl_url();
	if (!h) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	/* any scheme parses, so that the message below names the problem */
	uc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		snprintf(why, whylen, "not a valid URL (%s)", curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))) {
		snprintf(why, whylen, "only http:// and https:// URLs are supported");
		goto out;
	}
	if (curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
		snprintf(why, whylen, "the URL has no host");
		goto out;
	}
	/* What logs and `tracectl status` show: no user:password, no query
	 * (tokens are often passed there), no fragment. */
	if (curl_url_set(h, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_OPTIONS, NULL, 0) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
	    curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_URL, &pub, 0) != CURLUE_OK) {
		snprintf(why, whylen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	if (public_out) {
		*public_out = strdup(pub);
		if (!*public_out) {
			snprintf(why, whylen, "out of memory");
			r = -ENOMEM;
			goto out;
		}
	}
	r = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(pub);
	curl_url_cleanup(h);
	return r;
}

static int want_url(struct vctx *v, const struct te_config_kv *kv, struct te_webhook_opts *o)
{
	char why[160], b[128];
	int r = want_nonempty(v, kv);

	if (r < 0)
		return r;
	r = te_webhook_url_check(kv->value, &o->url_public, why, sizeof(why));
	if (r == -ENOMEM)
		return oom(v);
	if (r < 0) {
		/* the public form is not known yet: do not echo a password */
		if (strchr(kv->value, '@'))
			return fail_kv(v, kv, "%s", why);
		return fail_kv(v, kv, "'%s': %s", shown(kv->value, b, sizeof(b)), why);
	}
	o->url = strdup(kv->value);
	return o->url ? 0 : oom(v);
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TE_WEBHOOK_NAME_MAX || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* RFC 9110 token characters. */
static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int want_headers(struct vctx *v, const struct te_config_kv *kv, struct te_webhook_opts *o)
{
	char b[64];

	if (kv->value) {
		if (!kv->value[0]) /* "headers:" with nothing: none */
			return 0;
		return fail_kv(v, kv, "expected a mapping of header names to values, found '%s'",
			       shown(kv->value, b, sizeof(b)));
	}
	if (kv->nsub > TE_WEBHOOK_MAX_HEADERS)
		return fail_kv(v, kv, "more than %d headers", TE_WEBHOOK_MAX_HEADERS);
	o->headers = calloc(kv->nsub ? kv->nsub : 1, sizeof(*o->headers));
	if (!o->headers)
		return oom(v);
	for (size_t i = 0; i < kv->nsub; i++) {
		const struct te_config_kv *h = &kv->sub[i];
		const char *name = h->key;
		char key[96];

		snprintf(key, sizeof(key), "headers.%s", name);
		for (const char *p = name; *p; p++)
			if (!tchar(*p))
				return fail(v, h->line, h->col, "headers",
					    "'%s' is not a valid header name",
					    shown(name, b, sizeof(b)));
		/* the body's framing is libcurl's business */
		if (!strcasecmp(name, "Content-Length") || !strcasecmp(name, "Transfer-Encoding"))
			return fail(v, h->line, h->col, key, "this header cannot be set");
		if (!h->value)
			return fail(v, h->line, h->col, key, "expected a string, found a mapping");
		for (const char *p = h->value; *p; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				return fail(v, h->line, h->col, key,
					    "the value contains a control character (CR, LF, ...)");
		if (asprintf(&o->headers[o->nheaders], "%s: %s", name, h->value) < 0) {
			o->headers[o->nheaders] = NULL;
			return oom(v);
		}
		o->nheaders++;
	}
	return 0;
}

static void opts_init(struct te_webhook_opts *o)
{
	*o = (struct te_webhook_opts){
		.kind = TE_WEBHOOK_FALCOSIDEKICK,
		.min_severity = TE_SEV_INFO,
		.timeout_s = TE_WEBHOOK_DEFAULT_TIMEOUT_S,
		.checkcert = true,
		.spool_max_mib = TE_WEBHOOK_DEFAULT_SPOOL_MIB,
		.max_backoff_s = TE_WEBHOOK_DEFAULT_MAX_BACKOFF_S,
	};
}

static const char *const known_keys[] = {
	"url",	   "name",	  "kind",	"headers",   "min_severity",  "timeout",
	"method",  "ca_file",	  "client_cert", "client_key", "checkcert",     "spool_max_mib",
	"max_backoff",
};

static int parse_entry(struct vctx *v, const struct te_config_webhook *w, size_t index,
		       struct te_webhook_opts *o)
{
	const struct te_config_kv *url = NULL, *method = NULL, *key = NULL, *cert = NULL;
	char b[128];
	int r = 0;

	opts_init(o);
	for (size_t i = 0; i < w->nkv && r == 0; i++) {
		const struct te_config_kv *kv = &w->kv[i];
		const char *k = kv->key;
		size_t j;

		for (j = 0; j < sizeof(known_keys) / sizeof(known_keys[0]); j++)
			if (!strcmp(k, known_keys[j]))
				break;
		if (j == sizeof(known_keys) / sizeof(known_keys[0])) {
			r = fail(v, kv->line, kv->col, NULL, "unknown key '%s'",
				 shown(k, b, sizeof(b)));
			break;
		}
		if (!strcmp(k, "url")) {
			url = kv;
			r = want_url(v, kv, o);
		} else if (!strcmp(k, "name")) {
			r = want_nonempty(v, kv);
			if (r == 0 && !valid_name(kv->value))
				r = fail_kv(v, kv,
					    "'%s' is not a valid name (1 to %d of A-Z a-z 0-9 - _ ., "
					    "not starting with '.')",
					    shown(kv->value, b, sizeof(b)), TE_WEBHOOK_NAME_MAX);
			if (r == 0 && !(o->name = strdup(kv->value)))
				r = oom(v);
		} else if (!strcmp(k, "kind")) {
			r = want_nonempty(v, kv);
			if (r == 0 && !strcmp(kv->value, "falcosidekick"))
				o->kind = TE_WEBHOOK_FALCOSIDEKICK;
			else if (r == 0 && !strcmp(kv->value, "webhook"))
				o->kind = TE_WEBHOOK_PLAIN;
			else if (r == 0)
				r = fail_kv(v, kv, "'%s' is not a kind (falcosidekick, webhook)",
					    shown(kv->value, b, sizeof(b)));
		} else if (!strcmp(k, "headers")) {
			r = want_headers(v, kv, o);
		} else if (!strcmp(k, "min_severity")) {
			r = want_nonempty(v, kv);
			if (r == 0 && te_severity_parse(kv->value, &o->min_severity) < 0)
				r = fail_kv(v, kv,
					    "'%s' is not a severity (info, low, medium, high, critical)",
					    shown(kv->value, b, sizeof(b)));
		} else if (!strcmp(k, "timeout")) {
			r = want_uint(v, kv, 1, TE_WEBHOOK_MAX_TIMEOUT_S, "seconds", &o->timeout_s);
		} else if (!strcmp(k, "method")) {
			method = kv;
			r = want_nonempty(v, kv);
			if (r == 0 && !strcmp(kv->value, "POST"))
				o->put = false;
			else if (r == 0 && !strcmp(kv->value, "PUT"))
				o->put = true;
			else if (r == 0)
				r = fail_kv(v, kv, "'%s' is not a method (POST, PUT)",
					    shown(kv->value, b, sizeof(b)));
		} else if (!strcmp(k, "ca_file")) {
			r = want_file(v, kv, &o->ca_file);
		} else if (!strcmp(k, "client_cert")) {
			cert = kv;
			r = want_file(v, kv, &o->client_cert);
		} else if (!strcmp(k, "client_key")) {
			key = kv;
			r = want_file(v, kv, &o->client_key);
		} else if (!strcmp(k, "checkcert")) {
			r = want_bool(v, kv, &o->checkcert);
		} else if (!strcmp(k, "spool_max_mib")) {
			r = want_uint(v, kv, 1, TE_WEBHOOK_MAX_SPOOL_MIB, "MiB", &o->spool_max_mib);
		} else if (!strcmp(k, "max_backoff")) {
			r = want_uint(v, kv, 1, TE_WEBHOOK_MAX_TIMEOUT_S, "seconds", &o->max_backoff_s);
		}
	}
	if (r < 0)
		return r;
	if (!url)
		return fail(v, w->line, w->col, NULL, "url is missing");
	if (method && o->put && o->kind == TE_WEBHOOK_FALCOSIDEKICK)
		return fail_kv(v, method, "kind falcosidekick accepts POST only");
	if (key && !cert)
		return fail_kv(v, key, "client_key needs client_cert");
	if (!o->name && asprintf(&o->name, "webhook-%zu", index + 1) < 0) {
		o->name = NULL;
		return oom(v);
	}
	return 0;
}

static void opts_fini(struct te_webhook_opts *o)
{
	free(o->name);
	free(o->url);
	free(o->url_public);
	for (size_t i = 0; i < o->nheaders; i++)
		free(o->headers[i]);
	free(o->headers);
	free(o->ca_file);
	free(o->client_cert);
	free(o->client_key);
}

void te_webhook_opts_free(struct te_webhook_opts *o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		opts_fini(&o[i]);
	free(o);
}

int te_webhook_opts_parse(const char *file, const struct te_config_webhook *entries,
			  size_t nentries, const char *env_url,
			  struct te_webhook_opts **out, size_t *nout, char *err, size_t errlen)
{
	struct vctx v = { .file = file ? file : "<configuration>", .err = err,
			  .errlen = errlen };
	bool env = env_url && env_url[0];
	size_t n = nentries + (env ? 1 : 0), i;
	struct te_webhook_opts *o;
	int r = 0;

	*out = NULL;
	*nout = 0;
	if (err && errlen)
		err[0] = '\0';
	if (n == 0)
		return 0;
	o = calloc(n, sizeof(*o));
	if (!o) {
		snprintf(v.entry, sizeof(v.entry), "outputs.webhooks");
		return oom(&v);
	}
	for (i = 0; i < nentries; i++) {
		const struct te_config_webhook *w = &entries[i];

		snprintf(v.entry, sizeof(v.entry), "outputs.webhooks[%zu]", i);
		r = parse_entry(&v, w, i, &o[i]);
		if (r < 0)
			goto fail;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(o[j].name, o[i].name)) {
				const struct te_config_kv *at = NULL;

				for (size_t k = 0; k < w->nkv; k++)
					if (!strcmp(w->kv[k].key, "name"))
						at = &w->kv[k];
				r = fail(&v, at ? at->line : w->line, at ? at->col : w->col, "name",
					 "'%s' is already the name of outputs.webhooks[%zu] (line %u); "
					 "each output needs its own (it names its spool)",
					 o[i].name, j, entries[j].line);
				goto fail;
			}
	}
	if (env) {
		char why[160];

		snprintf(v.entry, sizeof(v.entry), "%s", TE_WEBHOOK_ENV_URL);
		v.env = true;
		opts_init(&o[i]);
		i++; /* freed on failure from here on */
		r = te_webhook_url_check(env_url, &o[i - 1].url_public, why, sizeof(why));
		if (r < 0) {
			r = r == -ENOMEM ? oom(&v) : fail(&v, 0, 0, NULL, "%s", why);
			goto fail;
		}
		o[i - 1].url = strdup(env_url);
		o[i - 1].name = strdup("env");
		if (!o[i - 1].url || !o[i - 1].name) {
			r = oom(&v);
			goto fail;
		}
		for (size_t j = 0; j + 1 < i; j++)
			if (!strcmp(o[j].name, "env")) {
				r = fail(&v, 0, 0, NULL,
					 "adds an output named \"env\", but outputs.webhooks[%zu] in %s "
					 "has that name already",
					 j, v.file);
				goto fail;
			}
	}
	*out = o;
	*nout = n;
	return 0;
fail:
	/* entries 0..i are initialised (calloc'ed past that) */
	te_webhook_opts_free(o, n);
	return r;
}
