/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "cleanup.h"
#include "daemon.h"
#include "event_socket.h"
#include "log.h"
#include "polkit.h"
#include "utf8.h"
#include "webhook.h"

#define BUS_NAME "org.traceed1"
#define BUS_PATH "/org/traceed1"
#define BUS_IFACE "org.traceed1.Manager"
#define ERROR_NO_SUCH_RULE "org.traceed1.Error.NoSuchRule"
#define ERROR_RELOAD_FAILED "org.traceed1.Error.ReloadFailed"
#define DEFAULT_SYSTEM_BUS "unix:path=/run/dbus/system_bus_socket"
#define MAX_ARG_LEN 256       /* longest string argument accepted */
#define RECONNECT_USEC (1000 * 1000ull)
/* Detection signals waiting to be written before new ones are dropped
 * (counted): a flood must not grow the daemon's memory without bound when
 * the bus is slow.  The history keeps every detection regardless. */
#define MAX_QUEUED_SIGNALS 4096
/* Largest ListDetections reply, well under D-Bus's 128 MiB message limit
 * (and dbus-daemon's default 32 MiB): beyond it, the most recent
 * detections that fit are returned, as with a limit. */
#define MAX_REPLY_BYTES (16u * 1024 * 1024)

struct te_bus {
	struct te_daemon *d;
	sd_bus *bus;
	sd_event_source *reconnect;
	uint64_t signals_dropped;
};

static int bus_connect(struct te_bus *b);

/* --- arguments and replies ----------------------------------------------- */

/* Every string from the bus: not empty, bounded, printable ASCII (ids,
 * severities and filter keys are all ASCII). */
static int check_arg(const char *what, const char *s, sd_bus_error *error)
{
	size_t n = strlen(s);

	if (n == 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s is empty", what);
	if (n > MAX_ARG_LEN)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s is %zu bytes long, at most %d are accepted", what, n,
					 MAX_ARG_LEN);
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "%s contains a byte 0x%02x that is not printable ASCII",
						 what, (unsigned char)s[i]);
	return 0;
}

/* A string the daemon holds (a file name may be any bytes): D-Bus wants UTF-8. */
static int append_str(sd_bus_message *m, const char *s)
{
	char *esc;
	int r;

	if (!s)
		s = "";
	if (te_utf8_valid(s, strlen(s)))
		return sd_bus_message_append_basic(m, 's', s);
	esc = te_utf8_dup_escaped(s);
	if (!esc)
		return -ENOMEM;
	r = sd_bus_message_append_basic(m, 's', esc);
	free(esc);
	return r;
}

static int read_rule_id(sd_bus_message *m, struct te_daemon *d, struct te_rule **rule,
			sd_bus_error *error)
{
	const char *id;
	int r = sd_bus_message_read(m, "s", &id);

	if (r < 0)
		return r;
	r = check_arg("the rule id", id, error);
	if (r < 0)
		return r;
	*rule = te_daemon_rule(d, id);
	if (!*rule)
		return sd_bus_error_setf(error, ERROR_NO_SUCH_RULE, "no rule with id \"%s\"", id);
	return 0;
}

/* --- rules --------------------------------------------------------------- */

/* The ListRules fields of one rule, "sssssbts". */
static int append_rule_summary(sd_bus_message *m, const struct te_rule *r)
{
	int ret;

	if ((ret = append_str(m, r->id)) < 0 || (ret = append_str(m, r->name)) < 0 ||
	    (ret = append_str(m, te_severity_name(r->severity))) < 0 ||
	    (ret = append_str(m, r->mitre_technique)) < 0 ||
	    (ret = append_str(m, r->mitre_tactic)) < 0)
		return ret;
	ret = sd_bus_message_append(m, "bt", (int)r->enabled, (uint64_t)r->hits);
	if (ret < 0)
		return ret;
	return append_str(m, r->source_file);
}

static int method_list_rules(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct te_daemon *d = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	size_t n = d->rs ? te_ruleset_count(d->rs) : 0;
	int r;

	(void)error;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(sssssbts)");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = sd_bus_message_open_container(reply, 'r', "sssssbts");
		if (r >= 0)
			r = append_rule_summary(reply, te_ruleset_rule(d->rs, i));
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	return r;
}

static int method_get_rule(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct te_rule *rule;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r = read_rule_id(m, userdata, &rule, error);

	if (r < 0)
		return r;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = append_rule_summary(reply, rule);
	if (r >= 0)
		r = append_str(reply, rule->description);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "s");
	for (size_t i = 0; r >= 0 && i < rule->ntags; i++)
		r = append_str(reply, rule->tags[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "u", rule->source_line);
	if (r >= 0)
		r = append_str(reply, rule->condition);
	if (r >= 0)
		r = append_str(reply, rule->output);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	return r;
}

/* Runs once polkit agreed: the id was checked when the call came, but the
 * rule set may have been reloaded since, so it is looked up again. */
static void set_enabled(sd_bus_message *m, void *userdata, bool enabled)
{
	struct te_daemon *d = userdata;
	const char *id;
	char err[512];
	int r;

	sd_bus_message_rewind(m, true);
	if (sd_bus_message_read(m, "s", &id) < 0) {
		sd_bus_reply_method_errno(m, EINVAL, NULL);
		return;
	}
	r = te_daemon_set_rule_enabled(d, id, enabled, err, sizeof(err));
	if (r == -ENOENT)
		sd_bus_reply_method_errorf(m, ERROR_NO_SUCH_RULE, "%s", err);
	else if (r < 0)
		sd_bus_reply_method_errorf(m, SD_BUS_ERROR_FAILED, "%s", err);
	else
		sd_bus_reply_method_return(m, NULL);
}

static void do_enable(sd_bus_message *m, void *userdata)
{
	set_enabled(m, userdata, true);
}

static void do_disable(sd_bus_message *m, void *userdata)
{
	set_enabled(m, userdata, false);
}

static int method_enable_rule(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct te_rule *rule;
	int r = read_rule_id(m, userdata, &rule, error);

	if (r < 0)
		return r;
	return te_polkit_authorize(m, "org.traceed1.manage-rules", do_enable, userdata, error);
}

static int method_disable_rule(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct te_rule *rule;
	int r = read_rule_id(m, userdata, &rule, error);

	if (r < 0)
		return r;
	return te_polkit_authorize(m, "org.traceed1.manage-rules", do_disable, userdata, error);
}

static void do_reload(sd_bus_message *m, void *userdata)
{
	struct te_daemon *d = userdata;
	char err[512];

	if (d->service)
		sd_notify(0, "RELOADING=1");
	if (te_daemon_reload(d, err, sizeof(err)) < 0)
		sd_bus_reply_method_errorf(m, ERROR_RELOAD_FAILED, "%s", err);
	else
		sd_bus_reply_method_return(m, NULL);
	if (d->service)
		sd_notify(0, "READY=1");
}

static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return te_polkit_authorize(m, "org.traceed1.reload", do_reload, userdata, error);
}

static void do_test_outputs(sd_bus_message *m, void *userdata)
{
	struct te_daemon *d = userdata;

	sd_bus_reply_method_return(m, "u", te_webhooks_test(d->webhooks));
}

static int method_test_outputs(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return te_polkit_authorize(m, "org.traceed1.test-outputs", do_test_outputs, userdata, error);
}

/* --- detections ---------------------------------------------------------- */

#define DETECTION_SIG "ttssssssuuussssts"

static int append_detection(sd_bus_message *m, const struct te_history_entry *e)
{
	/* the entry's strings are valid UTF-8 already (te_history_entry_copy) */
	return sd_bus_message_append(m, DETECTION_SIG, e->id, e->time_usec, e->rule_id,
				     e->rule_name, te_severity_name(e->severity), e->mitre_technique,
				     e->mitre_tactic, e->output, e->pid, e->ppid, e->uid, e->comm,
				     e->exe, e->cmdline, e->container_id, e->suppressed, e->event);
}

struct list_ctx {
	sd_bus_message *reply;
	int r;
};

static void list_one(void *ctx, const struct te_history_entry *e)
{
	struct list_ctx *lc = ctx;

	if (lc->r < 0)
		return;
	lc->r = sd_bus_message_open_container(lc->reply, 'r', DETECTION_SIG);
	if (lc->r >= 0)
		lc->r = append_detection(lc->reply, e);
	if (lc->r >= 0)
		lc->r = sd_bus_message_close_container(lc->reply);
}

/* Read one filter value of type @type into @out, or InvalidArgs. */
static int read_filter_value(sd_bus_message *m, const char *key, const char *type, void *out,
			     sd_bus_error *error)
{
	const char *contents;
	char t;
	int r = sd_bus_message_peek_type(m, &t, &contents);

	if (r < 0)
		return r;
	if (t != 'v' || strcmp(contents, type) != 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "filter \"%s\" must be of type %s, not %s", key, type,
					 contents ? contents : "?");
	r = sd_bus_message_enter_container(m, 'v', type);
	if (r >= 0)
		r = sd_bus_message_read_basic(m, type[0], out);
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	return r;
}

static int parse_filters(sd_bus_message *m, struct te_history_filter *f, sd_bus_error *error)
{
	const char *key, *s;
	int r;

	*f = (struct te_history_filter){ .min_severity = -1 };
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		if (strcmp(key, "since") == 0) {
			r = read_filter_value(m, key, "t", &f->since_usec, error);
		} else if (strcmp(key, "after_id") == 0) {
			r = read_filter_value(m, key, "t", &f->after_id, error);
		} else if (strcmp(key, "before_id") == 0) {
			r = read_filter_value(m, key, "t", &f->before_id, error);
		} else if (strcmp(key, "limit") == 0) {
			r = read_filter_value(m, key, "u", &f->limit, error);
		} else if (strcmp(key, "rule") == 0) {
			r = read_filter_value(m, key, "s", &s, error);
			if (r >= 0)
				r = check_arg("filter \"rule\"", s, error);
			f->rule_id = s;
		} else if (strcmp(key, "min_severity") == 0) {
			enum te_severity sev;

			r = read_filter_value(m, key, "s", &s, error);
			if (r >= 0 && te_severity_parse(s, &sev) < 0)
				r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						      "filter \"min_severity\": unknown severity \"%s\" "
						      "(info, low, medium, high, critical)",
						      s);
			f->min_severity = (int)sev;
		} else {
			r = check_arg("a filter key", key, error);
			if (r >= 0)
				r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						      "unknown filter \"%s\" (since, after_id, before_id, "
						      "rule, min_severity, limit)",
						      key);
		}
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int method_list_detections(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct te_daemon *d = userdata;
	struct te_history_filter f;
	struct list_ctx lc = { 0 };
	int r = parse_filters(m, &f, error);

	if (r < 0)
		return r;
	if (d->history) {
		uint32_t fit = te_history_fitting_limit(d->history, &f, MAX_REPLY_BYTES);

		if (fit && (f.limit == 0 || fit < f.limit))
			f.limit = fit;
	}
	r = sd_bus_message_new_method_return(m, &lc.reply);
	if (r >= 0)
		r = sd_bus_message_open_container(lc.reply, 'a', "(" DETECTION_SIG ")");
	if (r >= 0 && d->history) {
		te_history_query(d->history, &f, list_one, &lc);
		r = lc.r;
	}
	if (r >= 0)
		r = sd_bus_message_close_container(lc.reply);
	if (r >= 0)
		r = sd_bus_send(NULL, lc.reply, NULL);
	sd_bus_message_unref(lc.reply);
	return r;
}

void te_bus_emit_detection(struct te_bus *b, const struct te_history_entry *e)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	uint64_t queued = 0;
	int r;

	if (!b || !b->bus || !sd_bus_is_open(b->bus))
		return;
	if (sd_bus_get_n_queued_write(b->bus, &queued) >= 0 && queued >= MAX_QUEUED_SIGNALS) {
		if (b->signals_dropped++ % 1000 == 0)
			log_warning("the bus is not keeping up; %llu Detection signals dropped so far "
				    "(ListDetections still has them)",
				    (unsigned long long)b->signals_dropped);
		return;
	}
	r = sd_bus_message_new_signal(b->bus, &m, BUS_PATH, BUS_IFACE, "Detection");
	if (r >= 0)
		r = append_detection(m, e);
	if (r >= 0)
		r = sd_bus_send(b->bus, m, NULL);
	if (r < 0)
		log_warning_errno(r, "Detection signal %llu not sent: %m", (unsigned long long)e->id);
}

/* --- properties and status ----------------------------------------------- */

static int prop_version(sd_bus *bus, const char *path, const char *iface, const char *prop,
			sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	(void)bus, (void)path, (void)iface, (void)prop, (void)userdata, (void)error;
	return sd_bus_message_append(reply, "s", TRACEED_VERSION);
}

/* The numeric properties, by name: one getter, so GetStatus and the
 * properties cannot disagree. */
static int number_property(struct te_daemon *d, const char *prop, char *type, uint64_t *v)
{
	*type = 't';
	if (strcmp(prop, "StartedAt") == 0)
		*v = d->started_at_usec;
	else if (strcmp(prop, "EventsSeen") == 0)
		*v = d->seen;
	else if (strcmp(prop, "EventsLost") == 0)
		*v = te_daemon_events_lost(d);
	else if (strcmp(prop, "DetectionsTotal") == 0)
		*v = d->detections;
	else {
		*type = 'u';
		if (strcmp(prop, "RulesLoaded") == 0)
			*v = d->rs ? te_ruleset_count(d->rs) : 0;
		else if (strcmp(prop, "RulesEnabled") == 0)
			*v = d->rs ? te_ruleset_enabled_count(d->rs) : 0;
		else
			return -ENOENT;
	}
	return 0;
}

static int append_number(sd_bus_message *m, char type, uint64_t v)
{
	if (type == 'u') {
		uint32_t u = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;

		return sd_bus_message_append_basic(m, 'u', &u);
	}
	return sd_bus_message_append_basic(m, 't', &v);
}

static int prop_number(sd_bus *bus, const char *path, const char *iface, const char *prop,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	uint64_t v;
	char type;
	int r = number_property(userdata, prop, &type, &v);

	(void)bus, (void)path, (void)iface, (void)error;
	return r < 0 ? r : append_number(reply, type, v);
}

/* UnavailableEvents ("as", sorted by name) or the reasons ("a{ss}"). */
static int append_unavailable(sd_bus_message *m, struct te_daemon *d, bool reasons)
{
	const char *names[TE_EV_MAX], *whys[TE_EV_MAX], *why;
	size_t n = 0;
	int r;

	for (int id = 0; id < TE_EV_MAX; id++)
		if (te_event_by_id(id) && te_daemon_event_unavailable(d, id, &why)) {
			size_t j = n++;

			/* insertion sort: a handful of names at most */
			while (j > 0 && strcmp(names[j - 1], te_event_by_id(id)->name) > 0) {
				names[j] = names[j - 1];
				whys[j] = whys[j - 1];
				j--;
			}
			names[j] = te_event_by_id(id)->name;
			whys[j] = why ? why : "";
		}
	r = sd_bus_message_open_container(m, 'a', reasons ? "{ss}" : "s");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (reasons) {
			r = sd_bus_message_open_container(m, 'e', "ss");
			if (r >= 0)
				r = append_str(m, names[i]);
			if (r >= 0)
				r = append_str(m, whys[i]);
			if (r >= 0)
				r = sd_bus_message_close_container(m);
		} else {
			r = append_str(m, names[i]);
		}
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

static int prop_unavailable(sd_bus *bus, const char *path, const char *iface, const char *prop,
			    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	(void)bus, (void)path, (void)iface, (void)prop, (void)error;
	return append_unavailable(reply, userdata, false);
}

/* The webhook outputs, in configuration order. */
static int append_outputs(sd_bus_message *m, struct te_daemon *d)
{
	size_t n = te_webhooks_count(d->webhooks);
	int r = sd_bus_message_open_container(m, 'a', "(sssttttt)");

	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct te_webhook_stats st;
		char url[512];

		te_webhooks_stats(d->webhooks, i, &st);
		/* any local user may read this: no secret in the path */
		te_webhook_url_public(st.url, url, sizeof(url));
		r = sd_bus_message_open_container(m, 'r', "sssttttt");
		if (r >= 0)
			r = append_str(m, st.name);
		if (r >= 0)
			r = append_str(m, st.kind);
		if (r >= 0)
			r = append_str(m, url);
		if (r >= 0)
			r = sd_bus_message_append(m, "ttttt", st.queued, st.delivered, st.retried,
						  st.rejected, st.dropped);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

static int prop_outputs(sd_bus *bus, const char *path, const char *iface, const char *prop,
			sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	(void)bus, (void)path, (void)iface, (void)prop, (void)error;
	return append_outputs(reply, userdata);
}

/* One "{sv}" entry of GetStatus. */
static int status_open(sd_bus_message *m, const char *key, const char *type)
{
	int r = sd_bus_message_open_container(m, 'e', "sv");

	if (r >= 0)
		r = sd_bus_message_append(m, "s", key);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', type);
	return r;
}

static int status_close(sd_bus_message *m)
{
	int r = sd_bus_message_close_container(m);

	return r < 0 ? r : sd_bus_message_close_container(m);
}

static int status_number(sd_bus_message *m, const char *key, char type, uint64_t v)
{
	char sig[2] = { type, 0 };
	int r = status_open(m, key, sig);

	if (r >= 0)
		r = append_number(m, type, v);
	return r < 0 ? r : status_close(m);
}

static int status_string(sd_bus_message *m, const char *key, const char *v)
{
	int r = status_open(m, key, "s");

	if (r >= 0)
		r = append_str(m, v);
	return r < 0 ? r : status_close(m);
}

static int method_get_status(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	static const char *const numbers[] = { "StartedAt",	  "EventsSeen",	  "EventsLost",
					       "DetectionsTotal", "RulesLoaded", "RulesEnabled" };
	struct te_daemon *d = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint64_t queued = 0, dropped = 0, v;
	char type;
	int r;

	(void)error;
	for (size_t i = 0; i < te_webhooks_count(d->webhooks); i++) {
		struct te_webhook_stats st;

		te_webhooks_stats(d->webhooks, i, &st);
		queued += st.queued;
		dropped += st.dropped;
	}
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "{sv}");
	if (r >= 0)
		r = status_string(reply, "Version", TRACEED_VERSION);
	for (size_t i = 0; r >= 0 && i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		r = number_property(d, numbers[i], &type, &v);
		if (r >= 0)
			r = status_number(reply, numbers[i], type, v);
	}
	if (r >= 0 && (r = status_open(reply, "UnavailableEvents", "as")) >= 0 &&
	    (r = append_unavailable(reply, d, false)) >= 0)
		r = status_close(reply);
	if (r >= 0 && (r = status_open(reply, "UnavailableEventReasons", "a{ss}")) >= 0 &&
	    (r = append_unavailable(reply, d, true)) >= 0)
		r = status_close(reply);
	if (r >= 0 && (r = status_open(reply, "Outputs", "a(sssttttt)")) >= 0 &&
	    (r = append_outputs(reply, d)) >= 0)
		r = status_close(reply);
	if (r >= 0)
		r = status_number(reply, "DetectionsSuppressed", 't',
				  d->engine ? te_engine_suppressed(d->engine) : 0);
	if (r >= 0)
		r = status_number(reply, "HistorySize", 'u', d->history ? te_history_size(d->history) : 0);
	if (r >= 0)
		r = status_number(reply, "HistoryMax", 'u', d->history ? te_history_max(d->history) : 0);
	if (r >= 0)
		r = status_number(reply, "HistoryEvicted", 't',
				  d->history ? te_history_evicted(d->history) : 0);
	if (r >= 0)
		r = status_number(reply, "SelfCheckAlarms", 't', d->selfcheck.alarms);
	if (r >= 0)
		r = status_number(reply, "LastReload", 't', d->last_reload_usec);
	if (r >= 0)
		r = status_string(reply, "LastReloadError", d->last_reload_error);
	if (r >= 0)
		r = status_number(reply, "EventSocketClients", 'u', te_event_socket_clients(d->evsock));
	if (r >= 0)
		r = status_number(reply, "EventSocketLost", 't', te_event_socket_lost(d->evsock));
	if (r >= 0)
		r = status_number(reply, "DetectionSignalsDropped", 't',
				  d->bus ? d->bus->signals_dropped : 0);
	if (r >= 0)
		r = status_number(reply, "WebhookQueued", 't', queued);
	if (r >= 0)
		r = status_number(reply, "WebhookDropped", 't', dropped);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	return r;
}

/* --- the interface ------------------------------------------------------- */

/* The order and the argument names are those of dbus/org.traceed1.Manager.xml,
 * which a test compares with what this serves. */
static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("ListRules", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssssbts)", rules),
				method_list_rules, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetRule", SD_BUS_ARGS("s", id),
				SD_BUS_RESULT("s", rule_id, "s", name, "s", severity, "s",
					      mitre_technique, "s", mitre_tactic, "b", enabled, "t",
					      hits, "s", source_file, "s", description, "as", tags,
					      "u", source_line, "s", condition, "s", output),
				method_get_rule, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("EnableRule", SD_BUS_ARGS("s", id), SD_BUS_NO_RESULT,
				method_enable_rule, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("DisableRule", SD_BUS_ARGS("s", id), SD_BUS_NO_RESULT,
				method_disable_rule, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ListDetections", SD_BUS_ARGS("a{sv}", filters),
				SD_BUS_RESULT("a(" DETECTION_SIG ")", detections),
				method_list_detections, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("GetStatus", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", status),
				method_get_status, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("TestOutputs", SD_BUS_NO_ARGS, SD_BUS_RESULT("u", queued),
				method_test_outputs, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_ARGS("Detection",
				SD_BUS_ARGS("t", id, "t", time, "s", rule_id, "s", rule_name, "s",
					    severity, "s", mitre_technique, "s", mitre_tactic, "s",
					    output, "u", pid, "u", ppid, "u", uid, "s", comm, "s", exe,
					    "s", cmdline, "s", container_id, "t", suppressed, "s",
					    event),
				0),
	SD_BUS_PROPERTY("Version", "s", prop_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("StartedAt", "t", prop_number, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("EventsSeen", "t", prop_number, 0, 0),
	SD_BUS_PROPERTY("EventsLost", "t", prop_number, 0, 0),
	SD_BUS_PROPERTY("DetectionsTotal", "t", prop_number, 0, 0),
	SD_BUS_PROPERTY("RulesLoaded", "u", prop_number, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("RulesEnabled", "u", prop_number, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("UnavailableEvents", "as", prop_unavailable, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Outputs", "a(sssttttt)", prop_outputs, 0, 0),
	SD_BUS_VTABLE_END,
};

void te_bus_rules_changed(struct te_bus *b)
{
	if (!b || !b->bus || !sd_bus_is_open(b->bus))
		return;
	sd_bus_emit_properties_changed(b->bus, BUS_PATH, BUS_IFACE, "RulesLoaded", "RulesEnabled",
				       "UnavailableEvents", NULL);
}

/* --- connection ---------------------------------------------------------- */

static int on_name(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	(void)userdata, (void)ret_error;
	if (sd_bus_message_is_method_error(reply, NULL)) {
		const sd_bus_error *e = sd_bus_message_get_error(reply);

		log_error("could not own the bus name %s: %s", BUS_NAME,
			  e->message ? e->message : e->name);
	} else {
		log_info("serving %s on the system bus", BUS_NAME);
	}
	return 0;
}

static int on_reconnect(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct te_bus *b = userdata;

	(void)usec;
	sd_event_source_unref(s);
	b->reconnect = NULL;
	if (bus_connect(b) < 0) {
		sd_event_add_time_relative(b->d->event, &b->reconnect, CLOCK_MONOTONIC,
					   RECONNECT_USEC, 0, on_reconnect, b);
	}
	return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct te_bus *b = userdata;

	(void)m, (void)ret_error;
	log_warning("lost the system bus; reconnecting");
	sd_bus_flush_close_unref(b->bus);
	b->bus = NULL;
	if (!b->reconnect)
		sd_event_add_time_relative(b->d->event, &b->reconnect, CLOCK_MONOTONIC,
					   RECONNECT_USEC, 0, on_reconnect, b);
	return 0;
}

static int bus_connect(struct te_bus *b)
{
	const char *address = getenv("DBUS_SYSTEM_BUS_ADDRESS");
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address && *address ? address : DEFAULT_SYSTEM_BUS);
	if (r >= 0)
		r = sd_bus_set_bus_client(bus, 1);
	/* wait for the socket to appear (traceed starts before dbus) */
	if (r >= 0)
		r = sd_bus_set_watch_bind(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r >= 0)
		r = sd_bus_attach_event(bus, b->d->event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, BUS_PATH, BUS_IFACE, manager_vtable, b->d);
	if (r >= 0)
		r = sd_bus_match_signal_async(bus, NULL, "org.freedesktop.DBus.Local", NULL,
					      "org.freedesktop.DBus.Local", "Disconnected",
					      on_disconnected, NULL, b);
	if (r >= 0)
		r = sd_bus_request_name_async(bus, NULL, BUS_NAME, 0, on_name, b);
	if (r < 0)
		return log_warning_errno(r, "cannot connect to the system bus: %m");
	b->bus = TAKE_PTR(bus);
	return 0;
}

struct te_bus *te_bus_open(struct te_daemon *d)
{
	struct te_bus *b = calloc(1, sizeof(*b));

	if (!b) {
		log_error("out of memory for the bus connection");
		return NULL;
	}
	b->d = d;
	if (bus_connect(b) < 0)
		sd_event_add_time_relative(d->event, &b->reconnect, CLOCK_MONOTONIC, RECONNECT_USEC,
					   0, on_reconnect, b);
	return b;
}

void te_bus_close(struct te_bus *b)
{
	if (!b)
		return;
	sd_event_source_unref(b->reconnect);
	sd_bus_flush_close_unref(b->bus);
	free(b);
}
