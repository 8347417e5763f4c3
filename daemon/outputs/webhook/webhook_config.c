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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "webhook.h"
#include "yaml_util.h"

const char *te_webhook_kind_name(enum te_webhook_kind k)
{
	return k == TE_WEBHOOK_PLAIN ? "webhook" : "falcosidekick";
}

struct vctx {
	struct te_yaml_err err;  /* FILE: the configuration, or TRACEED_WEBHOOK_URL */
	char entry[48];          /* "outputs.webhooks[2]" */
};

/* Room for "outputs.webhooks[N].KEY" with one of known_keys[]. */
#define KEY_MAX 64

/* @kv as a value to check, named "outputs.webhooks[N].KEY" (in @key). */
static struct te_yaml_val kv_val(const struct vctx *v, const struct te_config_kv *kv,
				 char key[KEY_MAX])
{
	snprintf(key, KEY_MAX, "%s.%s", v->entry, kv->key);
	return (struct te_yaml_val){
		.key = key,
		.text = kv->value && kv->value[0] ? kv->value : NULL,
		.found = kv->value ? NULL : "a mapping",
		.line = kv->line,
		.col = kv->col,
	};
}

/* A file to read: an absolute path, readable now rather than at the first
 * delivery, hours later. */
static int want_file(struct vctx *v, const struct te_yaml_val *val, char **out)
{
	char b[256];
	int r = te_yaml_want_path(&v->err, val);

	if (r < 0)
		return r;
	if (access(val->text, R_OK) < 0)
		return te_yaml_val_errorf(&v->err, val, "%s: %s",
					  te_yaml_shown(val->text, b, sizeof(b)), strerror(errno));
	*out = strdup(val->text);
	return *out ? 0 : te_yaml_oom(&v->err);
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

static int want_url(struct vctx *v, const struct te_yaml_val *val, struct te_webhook_opts *o)
{
	char why[160], b[128];
	int r = te_yaml_want_str(&v->err, val, "a URL");

	if (r < 0)
		return r;
	r = te_webhook_url_check(val->text, &o->url_public, why, sizeof(why));
	if (r == -ENOMEM)
		return te_yaml_oom(&v->err);
	if (r < 0) {
		/* the public form is not known yet: do not echo a password */
		if (strchr(val->text, '@'))
			return te_yaml_val_errorf(&v->err, val, "%s", why);
		return te_yaml_val_errorf(&v->err, val, "'%s': %s",
					  te_yaml_shown(val->text, b, sizeof(b)), why);
	}
	o->url = strdup(val->text);
	return o->url ? 0 : te_yaml_oom(&v->err);
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

/* @kv is headers:, named by @val. */
static int want_headers(struct vctx *v, const struct te_config_kv *kv,
			const struct te_yaml_val *val, struct te_webhook_opts *o)
{
	char b[64];

	if (kv->value) {
		if (!kv->value[0]) /* "headers:" with nothing: none */
			return 0;
		return te_yaml_val_errorf(&v->err, val, "expected a mapping of header names to "
					  "values, found '%s'",
					  te_yaml_shown(kv->value, b, sizeof(b)));
	}
	if (kv->nsub > TE_WEBHOOK_MAX_HEADERS)
		return te_yaml_val_errorf(&v->err, val, "more than %d headers",
					  TE_WEBHOOK_MAX_HEADERS);
	o->headers = calloc(kv->nsub ? kv->nsub : 1, sizeof(*o->headers));
	if (!o->headers)
		return te_yaml_oom(&v->err);
	for (size_t i = 0; i < kv->nsub; i++) {
		const struct te_config_kv *h = &kv->sub[i];
		const char *name = h->key;

		for (const char *p = name; *p; p++)
			if (!tchar(*p))
				return te_yaml_errorf(&v->err, h->line, h->col,
						      "%s: '%s' is not a valid header name",
						      val->key, te_yaml_shown(name, b, sizeof(b)));
		/* the body's framing is libcurl's business */
		if (!strcasecmp(name, "Content-Length") || !strcasecmp(name, "Transfer-Encoding"))
			return te_yaml_errorf(&v->err, h->line, h->col,
					      "%s.%s: this header cannot be set", val->key, name);
		if (!h->value)
			return te_yaml_errorf(&v->err, h->line, h->col,
					      "%s.%s: expected a string, found a mapping", val->key,
					      name);
		for (const char *p = h->value; *p; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				return te_yaml_errorf(&v->err, h->line, h->col,
						      "%s.%s: the value contains a control "
						      "character (CR, LF, ...)", val->key, name);
		if (asprintf(&o->headers[o->nheaders], "%s: %s", name, h->value) < 0) {
			o->headers[o->nheaders] = NULL;
			return te_yaml_oom(&v->err);
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
	struct te_yaml_val val;
	char b[128], kb[KEY_MAX];
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
			r = te_yaml_errorf(&v->err, kv->line, kv->col, "%s: unknown key '%s'",
					   v->entry, te_yaml_shown(k, b, sizeof(b)));
			break;
		}
		val = kv_val(v, kv, kb);
		if (!strcmp(k, "url")) {
			url = kv;
			r = want_url(v, &val, o);
		} else if (!strcmp(k, "name")) {
			r = te_yaml_want_str(&v->err, &val, "a string");
			if (r == 0 && !valid_name(val.text))
				r = te_yaml_val_errorf(&v->err, &val, "'%s' is not a valid name "
						       "(1 to %d of A-Z a-z 0-9 - _ ., not "
						       "starting with '.')",
						       te_yaml_shown(val.text, b, sizeof(b)),
						       TE_WEBHOOK_NAME_MAX);
			if (r == 0 && !(o->name = strdup(val.text)))
				r = te_yaml_oom(&v->err);
		} else if (!strcmp(k, "kind")) {
			r = te_yaml_want_str(&v->err, &val, "a string");
			if (r == 0 && !strcmp(val.text, "falcosidekick"))
				o->kind = TE_WEBHOOK_FALCOSIDEKICK;
			else if (r == 0 && !strcmp(val.text, "webhook"))
				o->kind = TE_WEBHOOK_PLAIN;
			else if (r == 0)
				r = te_yaml_val_errorf(&v->err, &val, "'%s' is not a kind "
						       "(falcosidekick, webhook)",
						       te_yaml_shown(val.text, b, sizeof(b)));
		} else if (!strcmp(k, "headers")) {
			r = want_headers(v, kv, &val, o);
		} else if (!strcmp(k, "min_severity")) {
			r = te_yaml_want_str(&v->err, &val, "a string");
			if (r == 0 && te_severity_parse(val.text, &o->min_severity) < 0)
				r = te_yaml_val_errorf(&v->err, &val,
						       "'%s' is not a severity (info, low, medium, "
						       "high, critical)",
						       te_yaml_shown(val.text, b, sizeof(b)));
		} else if (!strcmp(k, "timeout")) {
			r = te_yaml_want_uint(&v->err, &val, 1, TE_WEBHOOK_MAX_TIMEOUT_S, "seconds",
					      &o->timeout_s);
		} else if (!strcmp(k, "method")) {
			method = kv;
			r = te_yaml_want_str(&v->err, &val, "a string");
			if (r == 0 && !strcmp(val.text, "POST"))
				o->put = false;
			else if (r == 0 && !strcmp(val.text, "PUT"))
				o->put = true;
			else if (r == 0)
				r = te_yaml_val_errorf(&v->err, &val, "'%s' is not a method "
						       "(POST, PUT)",
						       te_yaml_shown(val.text, b, sizeof(b)));
		} else if (!strcmp(k, "ca_file")) {
			r = want_file(v, &val, &o->ca_file);
		} else if (!strcmp(k, "client_cert")) {
			cert = kv;
			r = want_file(v, &val, &o->client_cert);
		} else if (!strcmp(k, "client_key")) {
			key = kv;
			r = want_file(v, &val, &o->client_key);
		} else if (!strcmp(k, "checkcert")) {
			r = te_yaml_want_bool(&v->err, &val, &o->checkcert);
		} else if (!strcmp(k, "spool_max_mib")) {
			r = te_yaml_want_uint(&v->err, &val, 1, TE_WEBHOOK_MAX_SPOOL_MIB, "MiB",
					      &o->spool_max_mib);
		} else if (!strcmp(k, "max_backoff")) {
			r = te_yaml_want_uint(&v->err, &val, 1, TE_WEBHOOK_MAX_TIMEOUT_S, "seconds",
					      &o->max_backoff_s);
		}
	}
	if (r < 0)
		return r;
	if (!url)
		return te_yaml_errorf(&v->err, w->line, w->col, "%s: url is missing", v->entry);
	if (method && o->put && o->kind == TE_WEBHOOK_FALCOSIDEKICK) {
		val = kv_val(v, method, kb);
		return te_yaml_val_errorf(&v->err, &val, "kind falcosidekick accepts POST only");
	}
	if (key && !cert) {
		val = kv_val(v, key, kb);
		return te_yaml_val_errorf(&v->err, &val, "client_key needs client_cert");
	}
	if (!o->name && asprintf(&o->name, "webhook-%zu", index + 1) < 0) {
		o->name = NULL;
		return te_yaml_oom(&v->err);
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
	struct vctx v = { .err = { .buf = err, .len = errlen } };
	bool env = env_url && env_url[0];
	size_t n = nentries + (env ? 1 : 0), i;
	struct te_webhook_opts *o;
	int r = 0;

	file = file ? file : "<configuration>";
	v.err.file = file;
	*out = NULL;
	*nout = 0;
	if (err && errlen)
		err[0] = '\0';
	if (n == 0)
		return 0;
	o = calloc(n, sizeof(*o));
	if (!o)
		return te_yaml_oom(&v.err);
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
				r = te_yaml_errorf(&v.err, at ? at->line : w->line,
						   at ? at->col : w->col,
						   "%s.name: '%s' is already the name of "
						   "outputs.webhooks[%zu] (line %u); each output "
						   "needs its own (it names its spool)",
						   v.entry, o[i].name, j, entries[j].line);
				goto fail;
			}
	}
	if (env) {
		char why[160];

		/* messages about the variable, without a position */
		v.err.file = TE_WEBHOOK_ENV_URL;
		opts_init(&o[i]);
		i++; /* freed on failure from here on */
		r = te_webhook_url_check(env_url, &o[i - 1].url_public, why, sizeof(why));
		if (r < 0) {
			r = r == -ENOMEM ? te_yaml_oom(&v.err)
					 : te_yaml_errorf(&v.err, TE_YAML_NOPOS, TE_YAML_NOPOS,
							  "%s", why);
			goto fail;
		}
		o[i - 1].url = strdup(env_url);
		o[i - 1].name = strdup("env");
		if (!o[i - 1].url || !o[i - 1].name) {
			r = te_yaml_oom(&v.err);
			goto fail;
		}
		for (size_t j = 0; j + 1 < i; j++)
			if (!strcmp(o[j].name, "env")) {
				r = te_yaml_errorf(&v.err, TE_YAML_NOPOS, TE_YAML_NOPOS,
						   "adds an output named \"env\", but "
						   "outputs.webhooks[%zu] in %s has that name "
						   "already", j, file);
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

void te_webhook_url_public(const char *url, char *out, size_t outlen)
{
	const char *host = strstr(url ? url : "", "://"), *path;
	size_t keep;

	if (!outlen)
		return;
	if (!host) {
		snprintf(out, outlen, "%s", "(hidden)");
		return;
	}
	path = strpbrk(host + 3, "/?#");
	if (!path || (path[0] == '/' && path[1] == '\0')) {
		snprintf(out, outlen, "%s", url);
		return;
	}
	keep = (size_t)(path - url);
	snprintf(out, outlen, "%.*s/...", (int)keep, url);
}
