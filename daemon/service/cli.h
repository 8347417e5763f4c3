/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command-line parsing of traceed.  Pure: no BPF, no I/O beyond the
 * error stream, so tests can drive it. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "defaults.h"
#include "scope.h"

enum te_output_fmt { TE_OUT_TABLE, TE_OUT_JSON };

enum te_cli_mode {
	TE_MODE_NONE,        /* nothing asked: usage error */
	TE_MODE_FOREGROUND,
	TE_MODE_SERVICE,     /* --service: under systemd (sd_notify, watchdog) */
	TE_MODE_LIST_EVENTS,
	TE_MODE_PROBE,
	TE_MODE_HELP,
	TE_MODE_VERSION,
	TE_MODE_REPLAY,      /* --replay FILE: recorded events through the rules */
	TE_MODE_VALIDATE,    /* --validate PATH...: check rule files */
};

#define TE_CLI_MAX_PATHS TE_MAX_RULE_PATHS

struct te_cli {
	enum te_cli_mode mode;
	enum te_output_fmt output;
	bool selected[TE_EV_MAX];  /* events to print */
	struct te_scope scope;
	unsigned buffer_mib;       /* ring buffer size, power of two */
	bool buffer_given;         /* --buffer-size (over the configuration) */
	const char *btf_path;      /* --btf FILE, or NULL */
	bool events_given;         /* --events: print events (event mode) */
	const char *rule_paths[TE_CLI_MAX_PATHS]; /* --rules, or --validate's paths */
	unsigned nrule_paths;
	const char *replay_path;   /* --replay FILE ("-": stdin) */
	unsigned dedup_window_ms;  /* --dedup-window MS */
	bool dedup_given;
	const char *config_path;   /* --config FILE (--service reads the default) */
};

/*
 * Parse argv.  Returns 0 on success, 2 on a usage error (the message, which
 * names the bad argument, is written to @err).
 */
int te_cli_parse(struct te_cli *cli, int argc, char **argv, FILE *err);
/*
 * Select events from a --events list into @selected: names or set names
 * * (syscalls, proc, fs, mem, net, creds, ns, module, signals, system), "-name" excludes.
 * A list of only exclusions starts from all events.
 */
int te_cli_parse_events(bool selected[TE_EV_MAX], const char *list, char *errbuf, size_t errlen);
void te_cli_usage(FILE *out);
