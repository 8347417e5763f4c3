/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The running daemon: one sd-event loop that owns the BPF ring buffer, the
 * rules and every output.  `traceed --foreground` prints to stdout;
 * `traceed --service` reads the configuration file, talks to systemd
 * (sd_notify, watchdog), serves org.traceed1 on the system bus (bus.c) and
 * sends detections to the journal, the D-Bus signal and history, the event
 * socket and the webhooks.
 *
 * Single-threaded: everything here runs on the loop (the webhook sender has
 * its own thread behind a queue), so the bus handlers may use the daemon's
 * state directly.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cli.h"
#include "config.h"
#include "engine.h"
#include "history.h"
#include "loader.h"
#include "event_format.h"
#include "proctree.h"
#include "rule_event.h"
#include "rule_set.h"
#include "selfcheck.h"
#include "strbuf.h"

struct te_bus;
struct te_event_socket;
struct te_journal;
struct te_webhooks;

/* What a reload may change, from the command line and the configuration
 * file (the command line wins). */
struct te_settings {
	const char *rule_paths[TE_MAX_RULE_PATHS];
	size_t nrule_paths;
	unsigned dedup_window_ms;
	struct te_scope scope;
	const char *state_dir;       /* NULL: no stored rule state */
	unsigned history_size;
	unsigned journal_rate_limit;
};

struct te_daemon {
	const struct te_cli *cli;
	bool service;
	struct te_config cfg;        /* --service: the file in force */
	struct te_settings set;      /* points into cli and cfg */

	sd_event *event;
	struct te_bus *bus;          /* --service only */
	struct te_loader loader;
	struct te_ruleset *rs;       /* NULL in event mode without rules */
	struct te_engine *engine;
	bool reported[TE_EV_MAX];    /* events printed or needed by rules */

	struct te_rule_arena *arena;
	struct te_proctree *pt;
	struct te_output_ctx out;
	struct strbuf sb;            /* printed events */
	struct strbuf det;           /* detection scratch */
	char hostname[256];
	int64_t boot_to_wall_ns;

	/* --service: the outputs (fanout.c makes and frees them) */
	struct te_journal *journal;
	struct te_history *history;
	struct te_event_socket *evsock;
	struct te_webhooks *webhooks;

	struct te_selfcheck selfcheck;

	/* counters */
	uint64_t seen, printed, malformed;
	uint64_t detections;         /* also the last detection id */
	uint64_t journal_failures;
	uint64_t lost_reported, seen_at_status;
	uint64_t started_at_usec, last_reload_usec;
	char last_reload_error[512];
	int exit_status;
};

/*
 * Run until SIGINT/SIGTERM: --foreground or --service.  Loads the
 * configuration (--service) and rules itself.  Returns the exit status.
 */
int te_daemon_run(const struct te_cli *cli);

/*
 * Re-read the configuration (--service) and the rules and swap them in; on
 * any error nothing changes and @err says why ("file:line:col: message").
 * 0 or a negative errno.
 */
int te_daemon_reload(struct te_daemon *d, char *err, size_t errlen);

/*
 * Enable or disable rule @id (exact id): stored under the state directory
 * first (so a choice that cannot be kept is refused), then applied, with
 * the kernel's event selection following.  -ENOENT: no such rule; other
 * negative errno: the state could not be written, @err says why.
 */
int te_daemon_set_rule_enabled(struct te_daemon *d, const char *id, bool enabled, char *err,
			       size_t errlen);

/* The rule with exactly this id, or NULL. */
struct te_rule *te_daemon_rule(struct te_daemon *d, const char *id);

/* Events selected for the rules/printing that this kernel cannot deliver. */
bool te_daemon_event_unavailable(const struct te_daemon *d, int id, const char **why);

uint64_t te_daemon_events_lost(struct te_daemon *d);
