// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tracectl monitor: print each Detection signal as it arrives, until
 * SIGINT or SIGTERM.  Every line is flushed, so `tracectl monitor | grep`
 * and `--json | jq` see a detection when it happens.
 *
 * The match is on the well-known name org.traceed1, so the bus keeps
 * delivering across a daemon restart; the owner changes are reported on
 * stderr so a gap is visible.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "detection.h"
#include "tracectl.h"

static const struct action monitor = { "monitor detections", NULL };

struct monitor_state {
	struct ctl *c;
	struct jw j;
	int code;
};

static int on_detection(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct monitor_state *s = userdata;
	struct detection d;
	int r;

	(void)ret_error;
	r = detection_read(m, &d);
	if (r < 0) {
		/* a signal that does not fit the contract: say so, keep going */
		ctl_error(EXIT_FAILURE, "ignoring a malformed Detection signal: %s", strerror(-r));
		return 0;
	}
	if (s->c->json) {
		detection_json(&s->j, &d);
		r = jw_flush(&s->j, stdout);
	} else {
		detection_line(stdout, &d);
		r = fflush(stdout) == 0 && !ferror(stdout) ? 0 : -EIO;
	}
	if (r < 0) {
		/* the reader went away (EPIPE): stop like on a signal */
		s->code = EXIT_FAILURE;
		sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), EXIT_FAILURE);
	}
	return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	const char *name, *old_owner, *new_owner;

	(void)userdata;
	(void)ret_error;
	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
	    strcmp(name, TRACEED_BUS_NAME))
		return 0;
	if (!*new_owner)
		ctl_error(0, "traceed stopped; waiting for it to come back");
	else if (!*old_owner)
		ctl_error(0, "traceed started");
	return 0;
}

static int on_signal(sd_event_source *es, const struct signalfd_siginfo *si, void *userdata)
{
	(void)si;
	(void)userdata;
	return sd_event_exit(sd_event_source_get_event(es), 0);
}

int verb_monitor(struct ctl *c, int argc, char **argv)
{
	struct monitor_state s = { .c = c, .code = 0 };
	sd_event *ev = NULL;
	sigset_t mask;
	int r, code;

	(void)argv;
	if (argc > 1)
		return ctl_error(EXIT_USAGE, "monitor takes no arguments");
	jw_init(&s.j);

	/* Signals first: a SIGINT right after start must not kill us before
	 * the event loop owns it. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_bus_set_exit_on_disconnect(c->bus, true);
	if (r >= 0)
		r = sd_event_default(&ev);
	if (r >= 0)
		r = sd_event_add_signal(ev, NULL, SIGINT, on_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(ev, NULL, SIGTERM, on_signal, NULL);
	if (r >= 0)
		r = sd_bus_attach_event(c->bus, ev, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0) {
		code = ctl_error(EXIT_FAILURE, "cannot set up the event loop: %s", strerror(-r));
		goto out;
	}
	/* Install the matches synchronously, so that nothing emitted after
	 * the "running" check below is missed. */
	r = sd_bus_match_signal(c->bus, NULL, TRACEED_BUS_NAME, TRACEED_OBJECT, TRACEED_IFACE,
				"Detection", on_detection, &s);
	if (r >= 0)
		r = sd_bus_add_match(c->bus, NULL,
				     "type='signal',sender='org.freedesktop.DBus',"
				     "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
				     "member='NameOwnerChanged',arg0='" TRACEED_BUS_NAME "'",
				     on_owner_changed, NULL);
	if (r < 0) {
		code = ctl_error(EXIT_FAILURE, "cannot subscribe to detections: %s", strerror(-r));
		goto out;
	}
	/* Is anyone there, and may we read detections?  The bus policy gives
	 * the Detection signal and ListDetections to the same callers (root,
	 * groups systemd-journal and adm), so an empty ListDetections answers
	 * both (and starts traceed if it is bus-activatable); without it the
	 * signals would silently never arrive. */
	{
		sd_bus_error e = SD_BUS_ERROR_NULL;

		r = sd_bus_call_method(c->bus, TRACEED_BUS_NAME, TRACEED_OBJECT, TRACEED_IFACE,
				       "ListDetections", &e, NULL, "a{sv}", 1, "after_id", "t",
				       UINT64_MAX);
		if (r < 0) {
			code = ctl_bus_error(&monitor, NULL, &e, r);
			sd_bus_error_free(&e);
			goto out;
		}
	}
	/* The loop's exit code: 0 from on_signal(), EXIT_FAILURE from
	 * on_detection() on a write error (s.code set) or from sd-bus when the
	 * bus went away (exit_on_disconnect).  The bus cannot be asked after
	 * the loop: sd-bus closes it on the way out. */
	r = sd_event_loop(ev);
	if (r < 0)
		code = ctl_error(EXIT_FAILURE, "event loop failed: %s", strerror(-r));
	else if (r > 0 && !s.code)
		code = ctl_error(EXIT_FAILURE, "lost the connection to the system bus");
	else
		code = s.code;
out:
	sd_bus_detach_event(c->bus);
	sd_event_unref(ev);
	jw_free(&s.j);
	return code;
}
