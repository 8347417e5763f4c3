/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "bus.h"
#include "clock.h"
#include "fanout.h"
#include "event.h"
#include "journal.h"
#include "log.h"
#include "rule_paths.h"
#include "rule_state.h"
#include "selfcheck.h"
#include "utf8.h"

#define PROCTREE_CAPACITY 65536
/* The BPF side batches wakeups under load: records are also collected on
 * this timer, which bounds the latency of a quiet detection. */
#define CONSUME_USEC (100 * 1000ull)
#define DUTY_USEC (1000 * 1000ull)   /* STATUS=, journal flood window */
#define LOST_REPORT_USEC (10 * 1000 * 1000ull) /* lost events at most this often */

/* --- settings ------------------------------------------------------------ */

/* The command line over the configuration file (@cfg may be NULL). */
static void settings_from(struct te_settings *s, const struct te_cli *cli,
			  const struct te_config *cfg)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < cli->nrule_paths; i++)
		s->rule_paths[s->nrule_paths++] = cli->rule_paths[i];
	s->dedup_window_ms = cli->dedup_window_ms;
	s->scope = cli->scope;
	s->history_size = 0;
	if (!cfg)
		return;
	/* --rules replaces the file's rule paths; the default paths are
	 * te_rules_load's own when none are given */
	if (cli->nrule_paths == 0 && !cfg->rule_paths_default)
		for (size_t i = 0; i < cfg->nrule_paths && i < TE_MAX_RULE_PATHS; i++)
			s->rule_paths[s->nrule_paths++] = cfg->rule_paths[i];
	if (!cli->dedup_given)
		s->dedup_window_ms = cfg->dedup_window_ms;
	if (te_scope_is_empty(&cli->scope))
		s->scope = cfg->scope;
	s->state_dir = cfg->state_dir;
	s->history_size = cfg->history_size;
	s->journal_rate_limit = cfg->outputs.journal_rate_limit;
}

static int load_config(const struct te_cli *cli, struct te_config *cfg, char *err, size_t errlen)
{
	const char *path = cli->config_path ? cli->config_path : TRACEED_CONFIG_FILE;

	return te_config_load_flags(path, TE_DETECTION_OUT_CONFIG_FLAGS, cfg, err, errlen);
}

/*
 * What the kernel must send: the printed events and what the enabled rules
 * need (@reported), plus lifecycle events for the process tree.  Failed
 * calls (retval < 0) only where they can matter: a printed event is printed
 * whatever its result, but in detection mode an event's failures are sent
 * only when some enabled rule can match them (te_ruleset_events_failed),
 * so that a flood of failing calls, which any user can make, is dropped in
 * the kernel instead of filling the ring buffer.
 */
static void compute_wanted(const struct te_cli *cli, struct te_ruleset *rs,
			   struct te_selection *sel, bool reported[TE_EV_MAX])
{
	memset(sel, 0, sizeof(*sel));
	if (cli->events_given)
		for (int id = 0; id < TE_EV_MAX; id++)
			sel->send[id] = sel->failed[id] = cli->selected[id];
	if (rs) {
		bool rule_events[TE_EV_MAX], rule_failed[TE_EV_MAX];

		te_ruleset_events(rs, rule_events);
		te_ruleset_events_failed(rs, rule_failed);
		for (int id = 0; id < TE_EV_MAX; id++) {
			sel->send[id] = sel->send[id] || rule_events[id];
			sel->failed[id] = sel->failed[id] || (rule_events[id] && rule_failed[id]);
		}
	}
	memcpy(reported, sel->send, sizeof(bool) * TE_EV_MAX);
	/* no return value: nothing to filter */
	sel->send[TE_EV_SCHED_PROCESS_FORK] = sel->send[TE_EV_SCHED_PROCESS_EXEC] =
		sel->send[TE_EV_SCHED_PROCESS_EXIT] = true;
	sel->failed[TE_EV_SCHED_PROCESS_FORK] = sel->failed[TE_EV_SCHED_PROCESS_EXEC] =
		sel->failed[TE_EV_SCHED_PROCESS_EXIT] = true;
}

static void follow_rules(struct te_daemon *d)
{
	struct te_selection sel;

	compute_wanted(d->cli, d->rs, &sel, d->reported);
	te_loader_select(&d->loader, &sel);
}

/* --- records ------------------------------------------------------------- */

/* The matched event as JSON, for a detection: formatted only on a match. */
struct live_event {
	struct te_daemon *d;
	const struct te_event *ev;
	const struct te_proc *proc;
};

static void live_event_json(void *ctx, struct strbuf *sb)
{
	struct live_event *le = ctx;

	te_output_json(sb, &le->d->out, le->ev, le->proc);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct te_daemon *d = ctx;
	struct te_event ev;
	struct te_rule_event re;
	struct te_proc *proc;
	const char *container = "";
	char err[160];

	d->seen++;
	if (te_decode(data, size, d->boot_to_wall_ns, &ev, err, sizeof(err)) < 0) {
		/* Report the first few: a flood would hide everything else. */
		if (d->malformed++ < 10)
			log_warning("dropped a malformed record: %s", err);
		return 0;
	}
	te_selfcheck_saw(&d->selfcheck, &ev);
	/* The rule view first: the process tree is kept from it, then it gets
	 * the (possibly just exec'd) process's identity. */
	te_rule_event_from_event(&re, d->arena, &ev, d->pt, NULL, "", d->out.hostname,
				 d->engine != NULL);
	re.targets_traceed = te_event_targets_pid(&ev, d->out.self_pid);
	proc = te_rule_event_track(d->pt, &re);
	if (proc) {
		/*
		 * Container id: inherited at fork, re-read at exec (runtimes move
		 * a container's first process into its cgroup before exec), and
		 * looked up by cgroup v2 id when the task has a cgroup of its
		 * own.  Id 1 is the v2 root — every task on a cgroup v1 or
		 * hybrid host — and says nothing, so it is never a cache key.
		 */
		uint64_t cgid = ev.hdr.cgroup_id > 1 ? ev.hdr.cgroup_id : 0;

		if (cgid || ev.hdr.event_id == TE_EV_SCHED_PROCESS_EXEC)
			container = te_proctree_container(d->pt, proc, cgid);
		else
			container = proc->container_id;
		re.proc = proc;
		re.exe = proc->exe ? proc->exe : "";
		re.cmdline = proc->cmdline ? proc->cmdline : "";
		re.container_id = container;
	}
	if (!te_scope_match(&d->set.scope, &ev.hdr, container))
		return 0;

	if (d->cli->events_given && d->cli->selected[ev.hdr.event_id]) {
		sb_reset(&d->sb);
		if (d->cli->output == TE_OUT_JSON) {
			te_output_json(&d->sb, &d->out, &ev, proc);
			sb_putc(&d->sb, '\n');
		} else {
			te_output_table(&d->sb, &d->out, &ev, proc);
		}
		fwrite(d->sb.p, 1, d->sb.len, stdout);
		d->printed++;
	}
	if (d->engine) {
		struct live_event le = { .d = d, .ev = &ev, .proc = proc };

		te_engine_process(d->engine, &re, live_event_json, &le);
	}
	return 0;
}

static void consume(struct te_daemon *d)
{
	int err;

	d->boot_to_wall_ns = te_boot_to_wall_ns();
	err = te_loader_consume(&d->loader);
	if (err < 0 && err != -EINTR) {
		log_error_errno(err, "reading the ring buffer failed: %m");
		d->exit_status = 1;
		sd_event_exit(d->event, 1);
		return;
	}
	if (fflush(stdout) == EOF && errno == EPIPE)
		sd_event_exit(d->event, 0); /* `traceed --foreground | head` */
}

static int on_ring_ready(sd_event_source *s, int fd, uint32_t revents, void *ctx)
{
	(void)s, (void)fd, (void)revents;
	consume(ctx);
	return 0;
}

/* Time sources fire once: each periodic duty re-arms its own. */
static void rearm(sd_event_source *s, uint64_t usec)
{
	sd_event_source_set_time(s, usec);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_consume_timer(sd_event_source *s, uint64_t usec, void *ctx)
{
	consume(ctx);
	rearm(s, usec + CONSUME_USEC);
	return 0;
}

/* --- periodic duties ----------------------------------------------------- */

uint64_t te_daemon_events_lost(struct te_daemon *d)
{
	return te_loader_stat(&d->loader, TE_STAT_DROPPED);
}

/* Events the kernel could not queue, at most once per LOST_REPORT_USEC. */
static int on_lost_timer(sd_event_source *s, uint64_t usec, void *ctx)
{
	struct te_daemon *d = ctx;
	uint64_t lost = te_daemon_events_lost(d);

	if (lost > d->lost_reported) {
		uint64_t by_event[TE_EV_MAX];
		char names[256] = "";

		/* which events the flood pushed out, the biggest losers first */
		if (te_loader_lost_since(&d->loader, by_event) == 0)
			te_loader_lost_names(by_event, 4, names, sizeof(names));
		log_warning("%llu events lost in the last %llu s (ring buffer full%s%s; %llu in all): "
			    "raise --buffer-size",
			    (unsigned long long)(lost - d->lost_reported),
			    (unsigned long long)(LOST_REPORT_USEC / USEC_PER_SEC), names[0] ? ": " : "",
			    names, (unsigned long long)lost);
		if (d->service && d->cfg.outputs.journal)
			te_journal_events_lost(d->journal, lost - d->lost_reported, lost);
		d->lost_reported = lost;
	}
	rearm(s, usec + LOST_REPORT_USEC);
	return 0;
}

/* STATUS= for systemctl status, the journal's flood window, and the
 * repeats de-duplication held whose window is over. */
static int on_duty_timer(sd_event_source *s, uint64_t usec, void *ctx)
{
	struct te_daemon *d = ctx;

	if (d->engine)
		te_engine_flush(d->engine, te_now_ns(CLOCK_REALTIME), false);
	te_journal_tick(d->journal, te_now_ns(CLOCK_MONOTONIC));
	if (d->service)
		sd_notifyf(0, "STATUS=%zu rules enabled, %llu events/s, %llu lost, %llu detections",
			   d->rs ? te_ruleset_enabled_count(d->rs) : 0,
			   (unsigned long long)(d->seen - d->seen_at_status),
			   (unsigned long long)d->lost_reported,
			   (unsigned long long)d->detections);
	d->seen_at_status = d->seen;
	rearm(s, usec + DUTY_USEC);
	return 0;
}

/* --- reload and rule state ----------------------------------------------- */

int te_daemon_reload(struct te_daemon *d, char *err, size_t errlen)
{
	struct te_config cfg = { 0 };
	struct te_detection_out_next next = { 0 };
	struct te_settings set;
	struct te_ruleset *rs;
	struct te_ruleset *old = d->rs;
	int r;

	if (!d->rs) {
		snprintf(err, errlen, "no rules are in use (event mode)");
		return -EINVAL;
	}
	/* Events that happened before the reload are judged by the old rules. */
	consume(d);
	if (d->service) {
		r = load_config(d->cli, &cfg, err, errlen);
		if (r < 0)
			goto failed;
		settings_from(&set, d->cli, &cfg);
	} else {
		settings_from(&set, d->cli, NULL);
	}
	rs = te_rules_load_err(set.rule_paths, set.nrule_paths, err, errlen);
	if (!rs) {
		r = -EINVAL;
		goto failed;
	}
	te_rules_apply_state(rs, set.state_dir);
	if (d->service && (r = te_detection_out_prepare(d, &cfg, &next, err, errlen)) < 0) {
		te_ruleset_free(rs);
		goto failed;
	}
	/* From here on nothing can fail that would leave a half-applied set. */
	te_engine_set_dedup_window(d->engine, (uint64_t)set.dedup_window_ms * 1000000u);
	if (te_engine_set_ruleset(d->engine, rs) < 0) {
		snprintf(err, errlen, "out of memory");
		te_detection_out_discard(&next);
		te_ruleset_free(rs);
		r = -ENOMEM;
		goto failed;
	}
	if (d->service) {
		/* the journal's pending summaries name the old set's rules */
		te_journal_flush(d->journal);
		te_config_free(&d->cfg);
		d->cfg = cfg;
		te_detection_out_commit(d, &next);
		te_journal_set_rate_limit(d->journal, set.journal_rate_limit);
		if (d->history)
			te_history_resize(d->history, set.history_size);
	}
	d->set = set;
	d->rs = rs;
	follow_rules(d);
	te_ruleset_free(old);
	d->last_reload_usec = te_now_usec(CLOCK_REALTIME);
	d->last_reload_error[0] = '\0';
	log_notice("reloaded: %zu of %zu rules enabled", te_ruleset_enabled_count(rs),
		   te_ruleset_count(rs));
	if (d->service) {
		te_journal_reload(d->journal, true, te_ruleset_count(rs), NULL);
		te_bus_rules_changed(d->bus);
	}
	return 0;

failed:
	if (d->service)
		te_config_free(&cfg);
	snprintf(d->last_reload_error, sizeof(d->last_reload_error), "%s", err);
	log_error("reload failed, still running the previous %zu rules: %s", te_ruleset_count(old),
		  err);
	if (d->service)
		te_journal_reload(d->journal, false, te_ruleset_count(old), err);
	return r;
}

struct te_rule *te_daemon_rule(struct te_daemon *d, const char *id)
{
	if (!d->rs)
		return NULL;
	for (size_t i = 0; i < te_ruleset_count(d->rs); i++) {
		struct te_rule *r = te_ruleset_rule(d->rs, i);

		if (strcmp(r->id, id) == 0)
			return r;
	}
	return NULL;
}

int te_daemon_set_rule_enabled(struct te_daemon *d, const char *id, bool enabled, char *err,
			       size_t errlen)
{
	struct te_rule_state st;
	struct te_rule *rule = te_daemon_rule(d, id);
	int r;

	if (!rule) {
		snprintf(err, errlen, "no rule with id \"%s\"", id);
		return -ENOENT;
	}
	if (d->set.state_dir) {
		/* stored first: a choice that would not survive a restart is refused */
		te_rule_state_init(&st);
		r = te_rule_state_load(&st, d->set.state_dir, stderr);
		if (r == 0)
			r = te_rule_state_set(&st, id, enabled);
		if (r == 0)
			r = te_rule_state_save(&st, d->set.state_dir);
		te_rule_state_free(&st);
		if (r < 0) {
			snprintf(err, errlen, "cannot store the choice in %s/%s: %s", d->set.state_dir,
				 TE_RULE_STATE_FILE, strerror(-r));
			return r;
		}
	}
	if (rule->enabled == enabled)
		return 0;
	/* Events queued before the change are judged by the rule as it was:
	 * the kernel's wakeups are batched, and without this a process that
	 * ran before "disable" could still be reported after it. */
	consume(d);
	te_ruleset_set_enabled(d->rs, id, enabled);
	follow_rules(d);
	log_notice("rule %s %s: %zu of %zu rules enabled", id, enabled ? "enabled" : "disabled",
		   te_ruleset_enabled_count(d->rs), te_ruleset_count(d->rs));
	te_bus_rules_changed(d->bus);
	return 0;
}

bool te_daemon_event_unavailable(const struct te_daemon *d, int id, const char **why)
{
	if (!d->reported[id] || d->loader.kernel_wanted[id])
		return false;
	*why = d->loader.features.ev[id].reason;
	return true;
}

/* --- signals ------------------------------------------------------------- */

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *ctx)
{
	struct te_daemon *d = ctx;
	char path[64], comm[32] = "?";
	FILE *f;

	(void)s;
	/* who stops a security monitor is worth a line (the unit restarts
	 * traceed unless it was systemctl stop, i.e. PID 1) */
	snprintf(path, sizeof(path), "/proc/%u/comm", si->ssi_pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	te_utf8_sanitize_terminal(comm, strlen(comm));
	log_notice("stopping: %s from pid %u (%s), uid %u", strsignal((int)si->ssi_signo),
		   si->ssi_pid, comm, si->ssi_uid);
	sd_event_exit(d->event, 0);
	return 0;
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si, void *ctx)
{
	struct te_daemon *d = ctx;
	char err[512];

	(void)s, (void)si;
	if (!d->rs)
		return 0;
	if (d->service)
		sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
			   (unsigned long long)te_now_usec(CLOCK_MONOTONIC));
	te_daemon_reload(d, err, sizeof(err));
	if (d->service)
		sd_notify(0, "READY=1");
	return 0;
}

/* --- start and stop ------------------------------------------------------ */

/* What traceed is about to trace, and systemd's READY=1 once it is so. */
static void announce(struct te_daemon *d)
{
	unsigned nselected = 0, nmissing = 0;
	const char *why;

	for (int id = 0; id < TE_EV_MAX; id++) {
		if (!d->reported[id])
			continue;
		nselected++;
		if (te_daemon_event_unavailable(d, id, &why)) {
			nmissing++;
			log_warning("event %s unavailable: %s", te_event_by_id(id)->name, why);
		}
	}
	if (d->rs)
		log_info("%zu of %zu rules enabled", te_ruleset_enabled_count(d->rs),
			 te_ruleset_count(d->rs));
	log_notice("ready: tracing %u of %u selected events (%u programs attached)",
		   nselected - nmissing, nselected, d->loader.nlinks);
	d->started_at_usec = d->last_reload_usec = te_now_usec(CLOCK_REALTIME);
	if (d->service)
		/* Only now: BPF is attached and the rules are loaded. */
		sd_notifyf(0, "READY=1\nSTATUS=tracing %u events, %zu rules enabled",
			   nselected - nmissing, d->rs ? te_ruleset_enabled_count(d->rs) : 0);
	if (d->cli->events_given && d->cli->output == TE_OUT_TABLE) {
		sb_reset(&d->sb);
		te_output_table_header(&d->sb);
		fwrite(d->sb.p, 1, d->sb.len, stdout);
	}
	fflush(stdout);
}

/* The closing line: what was seen, lost, printed and detected. */
static void summarize(struct te_daemon *d)
{
	char malformed[48] = "", detections[96] = "", by_event[256] = "", names[240],
	     skipped[64] = "";
	uint64_t lost = te_daemon_events_lost(d);
	uint64_t failed = te_loader_stat(&d->loader, TE_STAT_FAILED_SKIPPED);

	if (lost) {
		uint64_t n[TE_EV_MAX];

		if (te_loader_lost_by_event(&d->loader, n) == 0 &&
		    te_loader_lost_names(n, 5, names, sizeof(names)))
			snprintf(by_event, sizeof(by_event), " (%s)", names);
	}
	if (failed)
		snprintf(skipped, sizeof(skipped), ", %llu failed calls no rule needs not sent",
			 (unsigned long long)failed);
	if (d->malformed)
		snprintf(malformed, sizeof(malformed), ", %llu malformed",
			 (unsigned long long)d->malformed);
	if (d->engine)
		snprintf(detections, sizeof(detections), ", %llu detections, %llu repeats suppressed",
			 (unsigned long long)te_engine_emitted(d->engine),
			 (unsigned long long)te_engine_suppressed(d->engine));
	log_info("%llu events seen, %llu lost%s%s%s (%llu printed%s)", (unsigned long long)d->seen,
		 (unsigned long long)lost, by_event, skipped, malformed,
		 (unsigned long long)d->printed, detections);
}

static int add_sources(struct te_daemon *d)
{
	uint64_t now;
	sigset_t ss;
	int r;

	/* sd-event's signal sources need the signals blocked. */
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);

	sd_event_now(d->event, CLOCK_MONOTONIC, &now);
	if ((r = sd_event_add_signal(d->event, NULL, SIGINT, on_stop_signal, d)) < 0 ||
	    (r = sd_event_add_signal(d->event, NULL, SIGTERM, on_stop_signal, d)) < 0 ||
	    (r = sd_event_add_signal(d->event, NULL, SIGHUP, on_hup, d)) < 0 ||
	    (r = sd_event_add_io(d->event, NULL, te_loader_fd(&d->loader), EPOLLIN, on_ring_ready,
				 d)) < 0 ||
	    (r = sd_event_add_time(d->event, NULL, CLOCK_MONOTONIC, now + CONSUME_USEC, 10000,
				   on_consume_timer, d)) < 0 ||
	    (r = sd_event_add_time(d->event, NULL, CLOCK_MONOTONIC, now + LOST_REPORT_USEC, 0,
				   on_lost_timer, d)) < 0 ||
	    /* both modes: held repeats; the rest of it is the service's */
	    (r = sd_event_add_time(d->event, NULL, CLOCK_MONOTONIC, now + DUTY_USEC, 0,
				   on_duty_timer, d)) < 0 ||
	    (r = te_selfcheck_start(d)) < 0)
		return r;
	if (d->service) {
		/* WATCHDOG=1 from the loop itself while it turns */
		r = sd_event_set_watchdog(d->event, true);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The rules and the settings in force at start. */
static int load_initial(struct te_daemon *d)
{
	char err[512];
	int r;

	if (d->service) {
		r = load_config(d->cli, &d->cfg, err, sizeof(err));
		if (r < 0) {
			log_error("%s", err);
			return r;
		}
		settings_from(&d->set, d->cli, &d->cfg);
	} else {
		settings_from(&d->set, d->cli, NULL);
	}
	/* Event mode (--events) loads rules only when asked to. */
	if (d->cli->events_given && d->cli->nrule_paths == 0)
		return 0;
	d->rs = te_rules_load(d->set.rule_paths, d->set.nrule_paths);
	if (!d->rs)
		return -EINVAL;
	te_rules_apply_state(d->rs, d->set.state_dir);
	return 0;
}

static int start(struct te_daemon *d)
{
	struct te_loader_opts lo = { 0 };
	struct te_selection sel;
	int r;

	gethostname(d->hostname, sizeof(d->hostname) - 1);
	d->out.hostname = d->hostname;
	d->out.self_pid = (uint32_t)getpid();
	sb_init(&d->sb);
	sb_init(&d->det);
	d->pt = te_proctree_new(PROCTREE_CAPACITY);
	d->arena = calloc(1, sizeof(*d->arena));
	if (!d->pt || !d->arena)
		return -ENOMEM;
	if (d->rs) {
		struct te_engine_opts eo = {
			.json = d->cli->output == TE_OUT_JSON,
			.dedup_window_ns = (uint64_t)d->set.dedup_window_ms * 1000000u,
			/* a service's stdout is the journal already */
			.out = d->service ? NULL : stdout,
			.sink = d->service ? te_detection_out : NULL,
			.sink_ctx = d,
		};

		d->engine = te_engine_new(d->rs, &eo);
		if (!d->engine)
			return -ENOMEM;
	}
	r = sd_event_new(&d->event);
	if (r < 0)
		return r;
	if (d->service) {
		char err[512];

		r = te_detection_out_open(d, err, sizeof(err));
		if (r < 0)
			return log_error_errno(r, "%s", err);
	}

	compute_wanted(d->cli, d->rs, &sel, d->reported);
	lo.selection = &sel;
	lo.load_all = d->rs != NULL; /* a reload may need other events */
	lo.buffer_mib = d->cli->buffer_mib;
	lo.btf_path = d->cli->btf_path;
	lo.on_record = on_record;
	lo.ctx = d;
	r = te_loader_start(&d->loader, &lo);
	if (r)
		return r < 0 ? r : -EIO;
	/* Seed after attaching: a process born in between is seen either way. */
	te_proctree_seed(d->pt, "/proc");
	r = add_sources(d);
	if (r < 0)
		return log_error_errno(r, "event loop setup failed: %m");
	/* The bus last: its methods may be called as soon as the name is ours. */
	if (d->service)
		d->bus = te_bus_open(d);
	announce(d);
	return 0;
}

static void stop(struct te_daemon *d)
{
	if (d->service && d->event)
		sd_notify(0, "STOPPING=1");
	if (d->loader.rb) {
		/* Drain what the kernel already queued before reporting. */
		d->boot_to_wall_ns = te_boot_to_wall_ns();
		te_loader_consume(&d->loader);
		/* held repeats, while the outputs are still open */
		if (d->engine)
			te_engine_flush(d->engine, 0, true);
		fflush(stdout);
		summarize(d);
	}
	te_selfcheck_stop(&d->selfcheck);
	te_bus_close(d->bus);
	if (d->service)
		te_detection_out_close(d);
	te_loader_stop(&d->loader);
	te_engine_free(d->engine);
	te_ruleset_free(d->rs);
	if (d->arena)
		te_rule_arena_free(d->arena);
	free(d->arena);
	te_proctree_free(d->pt);
	sb_free(&d->sb);
	sb_free(&d->det);
	sd_event_unref(d->event);
	te_config_free(&d->cfg);
}

int te_daemon_run(const struct te_cli *cli)
{
	struct te_daemon d = { .cli = cli, .service = cli->mode == TE_MODE_SERVICE };
	int r;

	if (load_initial(&d) < 0 || start(&d) < 0) {
		stop(&d);
		return 1;
	}
	r = sd_event_loop(d.event);
	if (r < 0 && d.exit_status == 0) {
		log_error_errno(r, "event loop failed: %m");
		d.exit_status = 1;
	}
	stop(&d);
	return d.exit_status;
}
