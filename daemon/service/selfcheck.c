// SPDX-License-Identifier: LGPL-2.1-or-later
#include "selfcheck.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "daemon.h"
#include "integrity.h"
#include "log.h"

/* The alarm is a detection of a rule that lives here, not in a file. */
static char *const selfcheck_tags[] = { "traceed", "tamper", "mitre_defense_evasion" };
static const struct te_rule selfcheck_rule = {
	.id = (char *)TE_SELFCHECK_RULE_ID,
	.name = (char *)"traceed self-check failed",
	.description = (char *)"traceed's own check of its kernel side failed: its event "
			       "selection was changed, or the heartbeat event it causes "
			       "itself did not arrive.  Someone may be blinding it.",
	.output = (char *)"",
	.severity = TE_SEV_CRITICAL,
	.mitre_technique = (char *)"T1562.001",
	.mitre_tactic = (char *)"defense-evasion",
	.tags = (char **)selfcheck_tags,
	.ntags = sizeof(selfcheck_tags) / sizeof(selfcheck_tags[0]),
	.enabled = true,
};

static void alarm_raise(struct te_daemon *d, const char *why)
{
	struct te_selfcheck *c = &d->selfcheck;
	struct te_rule_event re = {
		.desc = NULL, .comm = "traceed", .exe = "", .cmdline = "", .container_id = "",
		.hostname = d->hostname,
	};
	char output[600];

	if (c->failing)
		return; /* once per failure */
	c->failing = true;
	c->alarms++;
	log_error("self-check failed: %s", why);
	if (!d->engine)
		return;
	snprintf(output, sizeof(output), "traceed self-check failed: %s", why);
	re.time_ns = te_now_ns(CLOCK_REALTIME);
	re.pid = re.tid = (uint32_t)getpid();
	re.ppid = (uint32_t)getppid();
	te_engine_report(d->engine, &selfcheck_rule, &re, output);
}

static void reap(struct te_selfcheck *c)
{
	if (c->child > 0 && waitpid(c->child, NULL, WNOHANG) == c->child)
		c->child = -c->child; /* reaped; its exit event may still be queued */
}

static void spawn(struct te_selfcheck *c)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0); /* async-signal-safe: the child does nothing else */
	if (pid < 0) {
		log_warning_errno(errno, "self-check: cannot fork the heartbeat: %m");
		return;
	}
	c->child = pid;
	c->child_seen = false;
	c->spawned_usec = te_now_usec(CLOCK_MONOTONIC);
}

void te_selfcheck_saw(struct te_selfcheck *c, const struct te_event *ev)
{
	pid_t child = c->child < 0 ? -c->child : c->child;

	if (child > 0 && ev->hdr.event_id == TE_EV_SCHED_PROCESS_EXIT &&
	    ev->hdr.pid == (uint32_t)child)
		c->child_seen = true;
}

static int on_selfcheck(sd_event_source *s, uint64_t usec, void *ctx)
{
	struct te_daemon *d = ctx;
	struct te_selfcheck *c = &d->selfcheck;
	char why[300];
	bool ok = true, heartbeat = c->child_seen;
	int r;

	reap(c);
	r = te_loader_verify_selection(&d->loader, why, sizeof(why));
	if (r < 0) {
		alarm_raise(d, why);
		ok = false;
		/* and see again: the alarm is out, detection goes on */
		if (r == -EBADMSG && te_loader_restore_selection(&d->loader) == 0)
			log_notice("self-check: the event selection was restored");
	}
	if (c->child != 0 && !c->child_seen) {
		if (te_now_usec(CLOCK_MONOTONIC) - c->spawned_usec >= TE_SELFCHECK_DEADLINE_USEC) {
			snprintf(why, sizeof(why),
				 "the heartbeat (the exit of traceed's probe process %d) was not "
				 "reported by the kernel side within %llu s",
				 c->child < 0 ? -c->child : c->child,
				 (unsigned long long)(TE_SELFCHECK_DEADLINE_USEC / USEC_PER_SEC));
			alarm_raise(d, why);
			ok = false;
			reap(c);
			if (c->child < 0)
				spawn(c); /* keep probing: it may come back */
		}
	} else {
		if (c->child < 0 || c->child == 0)
			spawn(c);
	}
	if (ok && heartbeat && c->failing) {
		log_notice("self-check passes again");
		c->failing = false;
	}
	sd_event_source_set_time(s, usec + TE_SELFCHECK_INTERVAL_USEC);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

int te_selfcheck_start(struct te_daemon *d)
{
	uint64_t now;
	int r;

	r = sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	r = sd_event_add_time(d->event, NULL, CLOCK_MONOTONIC, now + TE_SELFCHECK_INTERVAL_USEC,
			      0, on_selfcheck, d);
	return r < 0 ? r : 0;
}

void te_selfcheck_stop(struct te_selfcheck *c)
{
	if (c->child > 0)
		waitpid(c->child, NULL, 0);
	c->child = 0;
}
