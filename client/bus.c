// SPDX-License-Identifier: LGPL-2.1-or-later
/* The bus side shared by all verbs: connecting, calling traceed, and
 * turning D-Bus errors into the exit codes and messages of tracectl(1). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "strbuf.h"
#include "tracectl.h"

int ctl_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("tracectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

char *ctl_escape(const char *s)
{
	struct strbuf sb;
	char *r;

	sb_init(&sb);
	esc_append(&sb, s ? s : "", 0);
	r = sb.oom ? NULL : strdup(sb_str(&sb));
	sb_free(&sb);
	return r;
}

void ctl_field(const char *key, const char *value)
{
	char *v = ctl_escape(value);

	printf("%18s: %s\n", key, v ? v : "(out of memory)");
	free(v);
}

static const char not_running[] = "traceed is not running (start it with: systemctl start traceed)";

int ctl_connect(struct ctl *c)
{
	int r = sd_bus_open_system(&c->bus);

	if (r == -ENOMEM)
		return ctl_error(EXIT_FAILURE, "out of memory");
	if (r < 0) {
		/* No bus socket (or a bad DBUS_SYSTEM_BUS_ADDRESS): nothing
		 * can reach traceed, which is what exit code 3 means. */
		ctl_error(EXIT_NOT_RUNNING, "cannot connect to the system bus: %s", strerror(-r));
		return ctl_error(EXIT_NOT_RUNNING, "%s", not_running);
	}
	return 0;
}

int ctl_new_call(struct ctl *c, const char *member, sd_bus_message **m)
{
	return sd_bus_message_new_method_call(c->bus, m, TRACEED_BUS_NAME, TRACEED_OBJECT,
					      TRACEED_IFACE, member);
}

static bool is(const sd_bus_error *e, const char *name)
{
	return sd_bus_error_has_name(e, name);
}

int ctl_bus_error(const struct action *a, const char *rule_id, const sd_bus_error *e, int r)
{
	const char *name = e && sd_bus_error_is_set(e) ? e->name : NULL;
	char *msg = ctl_escape(name && e->message ? e->message : strerror(r < 0 ? -r : EIO));
	char *id = ctl_escape(rule_id);
	int code;

	if (!msg || !id) {
		code = ctl_error(EXIT_FAILURE, "out of memory");
		goto out;
	}
	if (name && (is(e, SD_BUS_ERROR_SERVICE_UNKNOWN) || is(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))) {
		code = ctl_error(EXIT_NOT_RUNNING, "%s", not_running);
	} else if (name && !strncmp(name, "org.freedesktop.DBus.Error.Spawn.", 33)) {
		/* bus activation was tried and failed */
		code = ctl_error(EXIT_NOT_RUNNING, "traceed could not be started: %s", msg);
	} else if (!name && (r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE)) {
		code = ctl_error(EXIT_NOT_RUNNING, "lost the connection to the system bus: %s", msg);
	} else if (name && is(e, "org.traceed1.Error.NoSuchRule")) {
		code = ctl_error(EXIT_NO_SUCH_RULE, "no such rule: %s", id);
	} else if (name && is(e, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED)) {
		code = ctl_error(EXIT_NOT_AUTHORIZED,
				 "not authorized to %s: authentication is required for the polkit action %s "
				 "(run as root, or on a terminal without --no-ask-password)",
				 a->what, a->polkit ? a->polkit : "(none)");
	} else if (name && is(e, SD_BUS_ERROR_ACCESS_DENIED)) {
		if (a->polkit)
			code = ctl_error(EXIT_NOT_AUTHORIZED,
					 "not authorized to %s: this needs root or polkit authorization "
					 "for %s (%s)", a->what, a->polkit, msg);
		else
			code = ctl_error(EXIT_NOT_AUTHORIZED,
					 "not allowed to %s: the D-Bus policy for %s refused it (%s)",
					 a->what, TRACEED_BUS_NAME, msg);
	} else if (name && is(e, "org.traceed1.Error.ReloadFailed")) {
		code = ctl_error(EXIT_FAILURE, "reload failed, the running rules are unchanged: %s", msg);
	} else if (name && is(e, SD_BUS_ERROR_NO_REPLY)) {
		code = ctl_error(EXIT_FAILURE, "traceed did not answer (%s): %s", a->what, msg);
	} else if (name) {
		char *n = ctl_escape(name);

		code = ctl_error(EXIT_FAILURE, "failed to %s: %s (%s)", a->what, msg, n ? n : "?");
		free(n);
	} else {
		code = ctl_error(EXIT_FAILURE, "failed to %s: %s", a->what, msg);
	}
out:
	free(msg);
	free(id);
	return code;
}

int ctl_bad_reply(const struct action *a, int r)
{
	return ctl_error(EXIT_FAILURE, "unexpected reply from traceed to %s: %s", a->what,
			 strerror(r < 0 ? -r : EIO));
}

int ctl_send(struct ctl *c, sd_bus_message *m, const struct action *a, const char *rule_id,
	     sd_bus_message **reply)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	bool interactive = a->polkit && c->ask_password && isatty(STDIN_FILENO);
	int agent = 0, r, code = 0;

	if (interactive) {
		r = sd_bus_message_set_allow_interactive_authorization(m, true);
		if (r < 0)
			return ctl_error(EXIT_FAILURE, "out of memory");
		agent = polkit_agent_open();
	}
	/* Authentication can take a human a while; a read does not. */
	r = sd_bus_call(c->bus, m, interactive ? UINT64_C(300000000) : 0, &e, reply);
	polkit_agent_close(agent);
	if (r < 0)
		code = ctl_bus_error(a, rule_id, &e, r);
	sd_bus_error_free(&e);
	return code;
}

int ctl_call(struct ctl *c, const char *member, const struct action *a, const char *rule_id,
	     sd_bus_message **reply, const char *types, ...)
{
	sd_bus_message *m = NULL;
	va_list ap;
	int r;

	r = ctl_new_call(c, member, &m);
	if (r >= 0 && types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r < 0) {
		sd_bus_message_unref(m);
		return ctl_error(EXIT_FAILURE, "cannot build the call to %s: %s", member, strerror(-r));
	}
	r = ctl_send(c, m, a, rule_id, reply);
	sd_bus_message_unref(m);
	return r;
}
