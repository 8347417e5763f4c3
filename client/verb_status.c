// SPDX-License-Identifier: LGPL-2.1-or-later
/* tracectl status (GetStatus and the Outputs property) and
 * tracectl outputs test (TestOutputs). */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_json.h"
#include "escape.h"
#include "json_out.h"
#include "table.h"
#include "timeparse.h"
#include "tracectl.h"

static const struct action get_status = { "get the status", NULL };
static const struct action get_outputs = { "read the Outputs property", NULL };
static const struct action test_outputs = { "send a test detection to the outputs",
					    "org.traceed1.test-outputs" };

#define OUTPUT_FIELDS "sssttttt"

/* The keys of GetStatus that the text view shows.  Strings point into the
 * reply; a key that is absent or has another type is left unset. */
struct status {
	const char *version, *last_reload_error;
	uint64_t started_at, events_seen, events_lost, detections, suppressed, last_reload;
	uint64_t webhook_queued, webhook_dropped, socket_lost;
	uint32_t rules_loaded, rules_enabled, history_size, history_max, socket_clients;
	unsigned have; /* bit per field below */
	const char **unavailable;
	size_t n_unavailable;
	const char **reasons; /* pairs: event, reason */
	size_t n_reasons;
};

enum {
	H_VERSION = 1 << 0, H_STARTED = 1 << 1, H_SEEN = 1 << 2, H_LOST = 1 << 3,
	H_DETECTIONS = 1 << 4, H_SUPPRESSED = 1 << 5, H_LOADED = 1 << 6, H_ENABLED = 1 << 7,
	H_HSIZE = 1 << 8, H_HMAX = 1 << 9, H_RELOAD = 1 << 10, H_RELOAD_ERR = 1 << 11,
	H_CLIENTS = 1 << 12, H_WQUEUED = 1 << 13, H_WDROPPED = 1 << 14, H_UNAVAIL = 1 << 15,
	H_SOCK_LOST = 1 << 16,
};

static const struct key {
	const char *name;
	char type;
	size_t off;
	unsigned bit;
} keys[] = {
#define K(n, t, f, b) { n, t, offsetof(struct status, f), b }
	K("Version", 's', version, H_VERSION),
	K("StartedAt", 't', started_at, H_STARTED),
	K("EventsSeen", 't', events_seen, H_SEEN),
	K("EventsLost", 't', events_lost, H_LOST),
	K("DetectionsTotal", 't', detections, H_DETECTIONS),
	K("DetectionsSuppressed", 't', suppressed, H_SUPPRESSED),
	K("RulesLoaded", 'u', rules_loaded, H_LOADED),
	K("RulesEnabled", 'u', rules_enabled, H_ENABLED),
	K("HistorySize", 'u', history_size, H_HSIZE),
	K("HistoryMax", 'u', history_max, H_HMAX),
	K("LastReload", 't', last_reload, H_RELOAD),
	K("LastReloadError", 's', last_reload_error, H_RELOAD_ERR),
	K("EventSocketClients", 'u', socket_clients, H_CLIENTS),
	K("EventSocketLost", 't', socket_lost, H_SOCK_LOST),
	K("WebhookQueued", 't', webhook_queued, H_WQUEUED),
	K("WebhookDropped", 't', webhook_dropped, H_WDROPPED),
#undef K
};

static int push(const char ***arr, size_t *n, const char *s)
{
	const char **a = reallocarray(*arr, *n + 1, sizeof(**arr));

	if (!a)
		return -ENOMEM;
	a[(*n)++] = s;
	*arr = a;
	return 0;
}

/* Read "as" or "a{ss}" inside the current variant into @arr. */
static int read_strings(sd_bus_message *m, const char *contents, const char ***arr, size_t *n)
{
	bool dict = !strcmp(contents, "a{ss}");
	const char *a, *b;
	int r = sd_bus_message_enter_container(m, 'a', contents + 1);

	while (r >= 0) {
		r = dict ? sd_bus_message_read(m, "{ss}", &a, &b) : sd_bus_message_read(m, "s", &a);
		if (r <= 0)
			break;
		r = push(arr, n, a);
		if (r >= 0 && dict)
			r = push(arr, n, b);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	return r;
}

static int status_parse(sd_bus_message *m, struct status *s)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");

	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key, *contents;
		bool done = false;

		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0)
			r = sd_bus_message_peek_type(m, NULL, &contents);
		if (r < 0)
			break;
		for (size_t i = 0; !done && i < sizeof(keys) / sizeof(keys[0]); i++) {
			char sig[2] = { keys[i].type, 0 };

			if (strcmp(key, keys[i].name) || strcmp(contents, sig))
				continue;
			r = sd_bus_message_read(m, "v", sig, (char *)s + keys[i].off);
			s->have |= keys[i].bit;
			done = true;
		}
		if (!done && !strcmp(key, "UnavailableEvents") && !strcmp(contents, "as")) {
			r = sd_bus_message_enter_container(m, 'v', contents);
			if (r >= 0)
				r = read_strings(m, contents, &s->unavailable, &s->n_unavailable);
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
			s->have |= H_UNAVAIL;
			done = true;
		}
		if (!done && !strcmp(key, "UnavailableEventReasons") && !strcmp(contents, "a{ss}")) {
			r = sd_bus_message_enter_container(m, 'v', contents);
			if (r >= 0)
				r = read_strings(m, contents, &s->reasons, &s->n_reasons);
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
			done = true;
		}
		if (!done) /* a key we do not know: the interface allows that */
			r = sd_bus_message_skip(m, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	return r;
}

static void line_u64(const char *key, uint64_t v)
{
	printf("%18s: %llu\n", key, (unsigned long long)v);
}

static void status_print(const struct status *s)
{
	char buf[64];

	if (s->have & H_VERSION)
		ctl_field("Version", s->version);
	if (s->have & H_STARTED)
		printf("%18s: %s\n", "Started at", format_time_local(s->started_at, buf, sizeof(buf)));
	if (s->have & H_SEEN)
		line_u64("Events seen", s->events_seen);
	if (s->have & H_LOST)
		line_u64("Events lost", s->events_lost);
	if (s->have & H_DETECTIONS) {
		printf("%18s: %llu", "Detections", (unsigned long long)s->detections);
		if (s->have & H_SUPPRESSED)
			printf(" (%llu repeats suppressed)", (unsigned long long)s->suppressed);
		putchar('\n');
	}
	if ((s->have & (H_LOADED | H_ENABLED)) == (H_LOADED | H_ENABLED))
		printf("%18s: %u loaded, %u enabled\n", "Rules", s->rules_loaded, s->rules_enabled);
	if (s->have & H_UNAVAIL) {
		if (s->n_unavailable == 0)
			printf("%18s: none\n", "Unavailable events");
		for (size_t i = 0; i < s->n_unavailable; i++) {
			const char *why = NULL;
			char *ev = ctl_escape(s->unavailable[i]), *w;

			for (size_t k = 0; k + 1 < s->n_reasons; k += 2)
				if (!strcmp(s->reasons[k], s->unavailable[i]))
					why = s->reasons[k + 1];
			w = ctl_escape(why ? why : "no reason given");
			printf("%18s: %s (%s)\n", i ? "" : "Unavailable events", ev ? ev : "?",
			       w ? w : "?");
			free(ev);
			free(w);
		}
	}
	if (s->have & H_HSIZE) {
		printf("%18s: %u", "History", s->history_size);
		if (s->have & H_HMAX)
			printf(" of %u", s->history_max);
		printf(" detections\n");
	}
	if (s->have & H_RELOAD)
		printf("%18s: %s\n", "Last reload",
		       s->last_reload ? format_time_local(s->last_reload, buf, sizeof(buf)) : "never");
	if ((s->have & H_RELOAD_ERR) && *s->last_reload_error)
		ctl_field("Last reload error", s->last_reload_error);
	if (s->have & H_CLIENTS) {
		printf("%18s: %u clients", "Event socket", s->socket_clients);
		if (s->have & H_SOCK_LOST)
			printf(", %" PRIu64 " lines lost by slow clients", s->socket_lost);
		putchar('\n');
	}
	if ((s->have & (H_WQUEUED | H_WDROPPED)) == (H_WQUEUED | H_WDROPPED))
		printf("%18s: %llu queued, %llu dropped\n", "Webhooks",
		       (unsigned long long)s->webhook_queued, (unsigned long long)s->webhook_dropped);
}

/* GetStatus as one JSON object: every key as it came, except Outputs (the
 * property's array of objects replaces it) and the times, which get an
 * RFC 3339 twin. */
static int status_json(struct jw *j, sd_bus_message *m)
{
	int r = sd_bus_message_enter_container(m, 'a', "{sv}");

	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key, *contents;

		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0)
			r = sd_bus_message_peek_type(m, NULL, &contents);
		if (r < 0)
			break;
		if (!strcmp(key, "Outputs")) {
			r = sd_bus_message_skip(m, "v");
		} else if ((!strcmp(key, "StartedAt") || !strcmp(key, "LastReload")) &&
			   !strcmp(contents, "t")) {
			uint64_t t;

			r = sd_bus_message_read(m, "v", "t", &t);
			jw_kv_time(j, key, t);
		} else {
			jw_key(j, key);
			r = jw_from_bus(j, m);
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	return r;
}

/* Outputs: into the JSON document (@j set) or a table (@t set). */
static int outputs_read(sd_bus_message *m, struct jw *j, struct table *t)
{
	int r = sd_bus_message_enter_container(m, 'a', "(" OUTPUT_FIELDS ")");

	if (j)
		jw_array_begin(j);
	for (;;) {
		const char *name, *kind, *url;
		uint64_t q, d, rt, rj, dr;

		if (r < 0)
			break;
		r = sd_bus_message_read(m, "(" OUTPUT_FIELDS ")", &name, &kind, &url, &q, &d, &rt, &rj,
					&dr);
		if (r <= 0)
			break;
		if (j) {
			jw_object_begin(j);
			jw_kv_string(j, "name", name);
			jw_kv_string(j, "kind", kind);
			jw_kv_string(j, "url", url);
			jw_kv_u64(j, "queued", q);
			jw_kv_u64(j, "delivered", d);
			jw_kv_u64(j, "retried", rt);
			jw_kv_u64(j, "rejected", rj);
			jw_kv_u64(j, "dropped", dr);
			jw_object_end(j);
		} else if ((table_add(t, name) | table_add(t, kind) | table_add(t, url) |
			    table_addf(t, "%llu", (unsigned long long)q) |
			    table_addf(t, "%llu", (unsigned long long)d) |
			    table_addf(t, "%llu", (unsigned long long)rt) |
			    table_addf(t, "%llu", (unsigned long long)rj) |
			    table_addf(t, "%llu", (unsigned long long)dr)) < 0)
			return -ENOMEM;
	}
	if (j)
		jw_array_end(j);
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	return r;
}

static struct table *outputs_table_new(void)
{
	static const char *const h[] = { "OUTPUT", "KIND", "URL", "QUEUED", "DELIVERED",
					 "RETRIED", "REJECTED", "DROPPED" };
	struct table *t = table_new(h, 8);

	if (t) {
		for (size_t c = 3; c < 8; c++)
			table_set_right(t, c);
		table_set_shrink(t, 2);
	}
	return t;
}

int verb_status(struct ctl *c, int argc, char **argv)
{
	sd_bus_message *reply = NULL, *outputs = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	struct status s = { 0 };
	struct table *t = NULL;
	struct jw j;
	int r, code;

	(void)argv;
	if (argc > 1)
		return ctl_error(EXIT_USAGE, "status takes no arguments");
	jw_init(&j);
	code = ctl_call(c, "GetStatus", &get_status, NULL, &reply, NULL);
	if (code)
		goto out;
	r = sd_bus_get_property(c->bus, TRACEED_BUS_NAME, TRACEED_OBJECT, TRACEED_IFACE, "Outputs",
				&e, &outputs, "a(" OUTPUT_FIELDS ")");
	if (r < 0) {
		code = ctl_bus_error(&get_outputs, NULL, &e, r);
		goto out;
	}
	if (c->json) {
		jw_object_begin(&j);
		r = status_json(&j, reply);
		if (r < 0) {
			code = ctl_bad_reply(&get_status, r);
			goto out;
		}
		jw_key(&j, "Outputs");
		r = outputs_read(outputs, &j, NULL);
		if (r < 0) {
			code = ctl_bad_reply(&get_outputs, r);
			goto out;
		}
		jw_object_end(&j);
		if (jw_flush(&j, stdout) < 0)
			code = ctl_error(EXIT_FAILURE, "cannot write the output");
		goto out;
	}
	r = status_parse(reply, &s);
	if (r < 0) {
		code = ctl_bad_reply(&get_status, r);
		goto out;
	}
	if (!(t = outputs_table_new())) {
		code = ctl_error(EXIT_FAILURE, "out of memory");
		goto out;
	}
	r = outputs_read(outputs, NULL, t);
	if (r < 0) {
		code = ctl_bad_reply(&get_outputs, r);
		goto out;
	}
	status_print(&s);
	if (table_rows(t) > 0) {
		putchar('\n');
		if (table_print(t, stdout, c->legend, c->columns, c->ellipsis) < 0)
			code = ctl_error(EXIT_FAILURE, "out of memory");
	}
out:
	free(s.unavailable);
	free(s.reasons);
	table_free(t);
	jw_free(&j);
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(outputs);
	return code;
}

int verb_outputs(struct ctl *c, int argc, char **argv)
{
	sd_bus_message *reply = NULL;
	uint32_t queued;
	int r, code;

	if (argc < 2 || strcmp(argv[1], "test"))
		return ctl_error(EXIT_USAGE, "outputs needs the verb 'test' (see tracectl outputs --help)");
	if (argc > 2)
		return ctl_error(EXIT_USAGE, "outputs test takes no arguments");
	code = ctl_call(c, "TestOutputs", &test_outputs, NULL, &reply, NULL);
	if (code)
		return code;
	r = sd_bus_message_read(reply, "u", &queued);
	sd_bus_message_unref(reply);
	if (r < 0)
		return ctl_bad_reply(&test_outputs, r);
	if (c->json) {
		printf("{\"queued\":%u}\n", queued);
	} else if (queued == 0)
		printf("No webhook output is configured; the test detection went nowhere.\n");
	else
		printf("Test detection queued to %u output%s.\n", queued, queued == 1 ? "" : "s");
	return fflush(stdout) == 0 ? 0 : ctl_error(EXIT_FAILURE, "cannot write the output");
}
