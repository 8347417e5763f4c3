/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "foreground.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "engine.h"
#include "event.h"
#include "journal_out.h"
#include "loader.h"
#include "output.h"
#include "proctree.h"
#include "rule_event.h"
#include "rule_paths.h"
#include "strbuf.h"

#define PROCTREE_CAPACITY 65536
#define POLL_MS 100
#define LOST_REPORT_NS (10 * 1000000000ull) /* report lost events at most this often */
#define STATUS_NS 1000000000ull             /* sd_notify STATUS= update interval */

struct fg_ctx {
	const struct te_cli *cli;
	struct te_engine *engine;    /* NULL in event mode without rules */
	struct te_rule_arena *arena;
	struct te_proctree *pt;
	struct te_output_ctx out;
	struct strbuf sb;
	int64_t boot_to_wall_ns;
	uint64_t seen;       /* records received */
	uint64_t printed;
	uint64_t malformed;  /* records the decoder rejected */
};

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

/* CLOCK_REALTIME - CLOCK_BOOTTIME: turns the kernel's boot timestamps into
 * wall time.  Recomputed on every poll so clock steps are followed. */
static int64_t boot_to_wall(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (rt.tv_sec - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Periodic duties of the main loop: tell systemd how we are doing (STATUS=,
 * WATCHDOG=1 while the loop turns) and report events the kernel could not
 * queue, at most once per LOST_REPORT_NS, with the count.
 */
struct duties {
	bool service;
	uint64_t watchdog_ns;  /* ping interval; 0: no watchdog */
	uint64_t next_ping, next_status, next_lost;
	uint64_t journal_failures;
	uint64_t lost_reported, seen_at_status;
};

static void do_duties(struct duties *d, struct fg_ctx *c, struct te_loader *loader,
		      struct te_ruleset *rs)
{
	uint64_t now = now_ns();

	if (now >= d->next_lost) {
		uint64_t lost = te_loader_stat(loader, TE_STAT_DROPPED);

		if (lost > d->lost_reported) {
			fprintf(stderr, "traceed: %llu events lost in the last %llu s (ring buffer full; "
					"%llu in all): raise --buffer-size\n",
				(unsigned long long)(lost - d->lost_reported),
				(unsigned long long)(LOST_REPORT_NS / 1000000000ull),
				(unsigned long long)lost);
			if (d->service)
				te_journal_events_lost(lost - d->lost_reported, lost);
			d->lost_reported = lost;
		}
		d->next_lost = now + LOST_REPORT_NS;
	}
	if (!d->service)
		return;
	te_journal_tick(now);
	if (d->watchdog_ns && now >= d->next_ping) {
		sd_notify(0, "WATCHDOG=1");
		d->next_ping = now + d->watchdog_ns / 2;
	}
	if (now >= d->next_status) {
		sd_notifyf(0, "STATUS=%zu rules enabled, %llu events/s, %llu lost, %llu detections",
			   rs ? te_ruleset_enabled_count(rs) : 0,
			   (unsigned long long)(c->seen - d->seen_at_status),
			   (unsigned long long)d->lost_reported,
			   (unsigned long long)(c->engine ? te_engine_emitted(c->engine) : 0));
		d->seen_at_status = c->seen;
		d->next_status = now + STATUS_NS;
	}
}

/* --service: detections become structured journal entries. */
static void journal_sink(void *ctx, const struct te_rule *rule, const struct te_rule_event *re,
			 uint64_t suppressed, const char *event_json, size_t event_len)
{
	uint64_t *failures = ctx;

	/* journald away (early boot, restart): count, never stop tracing */
	if (te_journal_detection(rule, re, suppressed, event_json, event_len) < 0)
		(*failures)++;
}

/* The matched event as JSON, for a detection: formatted only on a match. */
struct live_event {
	struct fg_ctx *c;
	const struct te_event *ev;
	const struct te_proc *proc;
};

static void live_event_json(void *ctx, struct strbuf *sb)
{
	struct live_event *le = ctx;

	te_output_json(sb, &le->c->out, le->ev, le->proc);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct fg_ctx *c = ctx;
	struct te_event ev;
	struct te_rule_event re;
	struct te_proc *proc;
	const char *container = "";
	char err[160];

	c->seen++;
	if (te_decode(data, size, c->boot_to_wall_ns, &ev, err, sizeof(err)) < 0) {
		/* Report the first few: a flood would hide everything else. */
		if (c->malformed++ < 10)
			fprintf(stderr, "traceed: dropped a malformed record: %s\n", err);
		return 0;
	}
	/* The rule view first: the process tree is kept from it, then it gets
	 * the (possibly just exec'd) process's identity. */
	te_rule_event_from_event(&re, c->arena, &ev, c->pt, NULL, "", c->out.hostname,
				 c->engine != NULL);
	proc = te_rule_event_track(c->pt, &re);
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
			container = te_proctree_container(c->pt, proc, cgid);
		else
			container = proc->container_id;
		re.proc = proc;
		re.exe = proc->exe ? proc->exe : "";
		re.cmdline = proc->cmdline ? proc->cmdline : "";
		re.container_id = container;
	}
	if (!te_scope_match(&c->cli->scope, &ev.hdr, container))
		return 0;

	if (c->cli->events_given && c->cli->selected[ev.hdr.event_id]) {
		sb_reset(&c->sb);
		if (c->cli->output == TE_OUT_JSON) {
			te_output_json(&c->sb, &c->out, &ev, proc);
			sb_putc(&c->sb, '\n');
		} else {
			te_output_table(&c->sb, &c->out, &ev, proc);
		}
		fwrite(c->sb.p, 1, c->sb.len, stdout);
		c->printed++;
	}
	if (c->engine) {
		struct live_event le = { .c = c, .ev = &ev, .proc = proc };

		te_engine_process(c->engine, &re, live_event_json, &le);
	}
	return 0;
}

static void install_signals(void)
{
	/* SA_RESTART: a signal must not cut a write to stdout in the middle of
	 * a line (epoll_wait still returns EINTR, which ends the loop). */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* What the kernel must send: the printed events and what the enabled rules
 * need (@reported), plus lifecycle events for the process tree (@wanted). */
static void compute_wanted(const struct te_cli *cli, struct te_ruleset *rs,
			   bool wanted[TE_EV_MAX], bool reported[TE_EV_MAX])
{
	memset(wanted, 0, sizeof(bool) * TE_EV_MAX);
	if (cli->events_given)
		memcpy(wanted, cli->selected, sizeof(bool) * TE_EV_MAX);
	if (rs) {
		bool rule_events[TE_EV_MAX];

		te_ruleset_events(rs, rule_events);
		for (int id = 0; id < TE_EV_MAX; id++)
			wanted[id] = wanted[id] || rule_events[id];
	}
	memcpy(reported, wanted, sizeof(bool) * TE_EV_MAX);
	wanted[TE_EV_SCHED_PROCESS_FORK] = wanted[TE_EV_SCHED_PROCESS_EXEC] =
		wanted[TE_EV_SCHED_PROCESS_EXIT] = true;
}

/*
 * SIGHUP: load the rule files again and swap the whole set in, with the
 * kernel's selection following; on any error keep the running set.
 */
static struct te_ruleset *reload_rules(const struct te_cli *cli, struct te_loader *loader,
				       struct te_engine *engine, struct te_ruleset *old)
{
	bool wanted[TE_EV_MAX], reported[TE_EV_MAX];
	struct te_ruleset *rs = te_rules_load(cli->rule_paths, cli->nrule_paths);

	te_rules_apply_state(rs, cli->state_dir);
	if (!rs || te_engine_set_ruleset(engine, rs) < 0) {
		te_ruleset_free(rs);
		fprintf(stderr, "traceed: reload failed; still running the previous %zu rules\n",
			te_ruleset_count(old));
		if (cli->mode == TE_MODE_SERVICE)
			te_journal_reload(false, te_ruleset_count(old),
					  "the rule files have errors (see the entries before)");
		return old;
	}
	compute_wanted(cli, rs, wanted, reported);
	te_loader_select(loader, wanted);
	te_ruleset_free(old);
	fprintf(stderr, "traceed: reloaded: %zu of %zu rules enabled\n",
		te_ruleset_enabled_count(rs), te_ruleset_count(rs));
	if (cli->mode == TE_MODE_SERVICE) {
		te_journal_flush();
		te_journal_reload(true, te_ruleset_count(rs), NULL);
	}
	return rs;
}

/* What traceed is about to trace, and systemd's READY=1 once it is so. */
static void announce(const struct te_cli *cli, struct fg_ctx *c, struct te_loader *loader,
		     const bool reported[TE_EV_MAX], struct te_ruleset *rs, struct duties *duties)
{
	unsigned nselected = 0, nmissing = 0;
	uint64_t wd_usec = 0;

	for (int id = 0; id < TE_EV_MAX; id++) {
		if (!reported[id])
			continue;
		nselected++;
		if (!loader->kernel_wanted[id]) {
			nmissing++;
			fprintf(stderr, "traceed: event %s unavailable: %s\n", te_event_by_id(id)->name,
				loader->features.ev[id].reason);
		}
	}
	if (rs)
		fprintf(stderr, "traceed: %zu of %zu rules enabled\n", te_ruleset_enabled_count(rs),
			te_ruleset_count(rs));
	fprintf(stderr, "traceed: ready: tracing %u of %u selected events (%u programs attached)\n",
		nselected - nmissing, nselected, loader->nlinks);
	if (duties->service) {
		/* Only now: BPF is attached and the rules are loaded. */
		if (sd_watchdog_enabled(0, &wd_usec) > 0)
			duties->watchdog_ns = wd_usec * 1000u;
		sd_notifyf(0, "READY=1\nSTATUS=tracing %u events, %zu rules enabled",
			   nselected - nmissing, rs ? te_ruleset_enabled_count(rs) : 0);
	}
	if (cli->events_given && cli->output == TE_OUT_TABLE) {
		sb_reset(&c->sb);
		te_output_table_header(&c->sb);
		fwrite(c->sb.p, 1, c->sb.len, stdout);
	}
	fflush(stdout);
}

/* The closing line: what was seen, lost, printed and detected. */
static void summarize(const struct fg_ctx *c, uint64_t lost)
{
	fprintf(stderr, "traceed: %llu events seen, %llu lost", (unsigned long long)c->seen,
		(unsigned long long)lost);
	if (c->malformed)
		fprintf(stderr, ", %llu malformed", (unsigned long long)c->malformed);
	fprintf(stderr, " (%llu printed", (unsigned long long)c->printed);
	if (c->engine)
		fprintf(stderr, ", %llu detections, %llu repeats suppressed",
			(unsigned long long)te_engine_emitted(c->engine),
			(unsigned long long)te_engine_suppressed(c->engine));
	fprintf(stderr, ")\n");
}

int te_foreground_run(const struct te_cli *cli, struct te_ruleset *rs)
{
	struct te_loader loader = { 0 };
	struct te_loader_opts lo = { 0 };
	struct fg_ctx c = { .cli = cli };
	bool wanted[TE_EV_MAX], reported[TE_EV_MAX];
	struct duties duties = { .service = cli->mode == TE_MODE_SERVICE };
	char hostname[256] = "", why[160];
	int err, ret = 1;

	sb_init(&c.sb);
	if (!te_have_bpf_privileges(why, sizeof(why))) {
		fprintf(stderr, "traceed: %s\n", why);
		goto out;
	}
	gethostname(hostname, sizeof(hostname) - 1);
	c.out.hostname = hostname;
	c.pt = te_proctree_new(PROCTREE_CAPACITY);
	c.arena = calloc(1, sizeof(*c.arena));
	if (rs) {
		struct te_engine_opts eo = {
			.json = cli->output == TE_OUT_JSON,
			.dedup_window_ns = (uint64_t)cli->dedup_window_ms * 1000000u,
			/* a service's stdout is the journal already: entries only */
			.out = duties.service ? NULL : stdout,
			.sink = duties.service ? journal_sink : NULL,
			.sink_ctx = &duties.journal_failures,
		};

		c.engine = te_engine_new(rs, &eo);
	}
	if (!c.pt || !c.arena || (rs && !c.engine)) {
		fprintf(stderr, "traceed: out of memory\n");
		goto out;
	}
	install_signals();

	compute_wanted(cli, rs, wanted, reported);
	lo.wanted = wanted;
	lo.load_all = rs != NULL; /* a reload may need other events */
	lo.buffer_mib = cli->buffer_mib;
	lo.btf_path = cli->btf_path;
	lo.on_record = on_record;
	lo.ctx = &c;
	if (te_loader_start(&loader, &lo))
		goto out;
	/* Seed after attaching: a process born in between is seen either way. */
	te_proctree_seed(c.pt, "/proc");
	announce(cli, &c, &loader, reported, rs, &duties);

	ret = 0;
	while (!stop_requested) {
		if (reload_requested && rs) {
			reload_requested = 0;
			if (duties.service)
				sd_notify(0, "RELOADING=1");
			rs = reload_rules(cli, &loader, c.engine, rs);
			if (duties.service)
				sd_notify(0, "READY=1");
		}
		do_duties(&duties, &c, &loader, rs);
		c.boot_to_wall_ns = boot_to_wall();
		err = te_loader_poll(&loader, POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "traceed: reading the ring buffer failed: %s\n", strerror(-err));
			ret = 1;
			break;
		}
		if (fflush(stdout) == EOF && errno == EPIPE)
			break;
	}
	if (duties.service)
		sd_notify(0, "STOPPING=1");
	/* Drain what the kernel already queued before reporting. */
	te_loader_poll(&loader, 0);
	fflush(stdout);
	if (duties.service) {
		te_journal_flush();
		if (duties.journal_failures)
			fprintf(stderr, "traceed: %llu detections could not be written to the journal\n",
				(unsigned long long)duties.journal_failures);
		te_journal_close();
	}
	summarize(&c, te_loader_stat(&loader, TE_STAT_DROPPED));
out:
	te_loader_stop(&loader);
	te_engine_free(c.engine);
	te_ruleset_free(rs);
	if (c.arena)
		te_rule_arena_free(c.arena);
	free(c.arena);
	te_proctree_free(c.pt);
	sb_free(&c.sb);
	return ret;
}
