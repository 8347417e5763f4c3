// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tracectl: the command-line client of traceed (org.traceed1 on the system
 * bus).  This file parses the options and dispatches to the verbs; each
 * verb_*.c file talks to one part of the interface, bus.c maps D-Bus errors
 * to the exit codes of tracectl(1).
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "detection.h"
#include "json_out.h"
#include "table.h"
#include "timeparse.h"
#include "tracectl.h"

struct verb {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *help;
	bool filters; /* takes the detection filter options */
};

static const char global_help[] =
	"tracectl [OPTIONS...] COMMAND ...\n"
	"\n"
	"Query and control traceed, the eBPF runtime-security daemon.\n"
	"\n"
	"Commands:\n"
	"  status                  Show the daemon's state, counters and outputs\n"
	"  rules list              List the loaded rules\n"
	"  rules show ID           Show one rule: metadata, condition, output\n"
	"  rules enable ID...      Enable rules (kept across restarts)\n"
	"  rules disable ID...     Disable rules (kept across restarts)\n"
	"  reload                  Re-read the configuration and every rule file\n"
	"  detections [FILTERS]    List detections from the daemon's history\n"
	"  monitor                 Print detections as they happen, until interrupted\n"
	"  outputs test            Send a test detection to every webhook output\n"
	"\n"
	"Options:\n"
	"  -h --help               Show this help; COMMAND --help shows the command's\n"
	"     --version            Show the version\n"
	"     --json               Print JSON (monitor: one object per line)\n"
	"     --no-legend          Do not print column headers and footers\n"
	"     --no-pager           Accepted for systemctl compatibility; tracectl\n"
	"                          never starts a pager\n"
	"     --no-ask-password    Do not let polkit ask for a password\n"
	"\n"
	"Filters of detections: --since TIME, --rule ID, --severity LEVEL, --limit N\n"
	"(see tracectl detections --help).\n"
	"\n"
	"Exit status: 0 success, 1 failure, 2 usage error, 3 traceed not running or\n"
	"not reachable, 4 no such rule, 5 not authorized.  See tracectl(1).\n";

static const char status_help[] =
	"tracectl [OPTIONS...] status\n"
	"\n"
	"Show traceed's version, start time, event and detection counters, rules\n"
	"loaded and enabled, events this kernel cannot deliver and why, the\n"
	"history size, the last reload, event socket clients and the webhook\n"
	"queue, then a table of the webhook outputs and their counters.\n"
	"With --json: one object with GetStatus's keys and \"Outputs\".\n";

static const char rules_help[] =
	"tracectl [OPTIONS...] rules list\n"
	"tracectl [OPTIONS...] rules show ID\n"
	"tracectl [OPTIONS...] rules enable ID...\n"
	"tracectl [OPTIONS...] rules disable ID...\n"
	"\n"
	"list     every loaded rule, enabled or not, in load order\n"
	"show     one rule: metadata, tags, source, condition and output template\n"
	"enable   enable rules; the choice is stored and survives restarts\n"
	"disable  disable rules, likewise\n"
	"\n"
	"enable and disable make one call per ID, report each failure and exit\n"
	"with the first failure's code (4: no such rule, 5: not authorized).\n"
	"They need root or the polkit action org.traceed1.manage-rules.\n";

static const char reload_help[] =
	"tracectl [OPTIONS...] reload\n"
	"\n"
	"Re-read /etc/traceed/traceed.yaml and every rule file and swap them in\n"
	"atomically (the same as SIGHUP).  On an error nothing changes and the\n"
	"first error is printed as file:line:column: message.\n"
	"Needs root or the polkit action org.traceed1.reload.\n";

static const char detections_help[] =
	"tracectl [OPTIONS...] detections [--since TIME] [--rule ID] [--severity LEVEL]\n"
	"                                 [--limit N]\n"
	"\n"
	"List detections from traceed's in-memory history, oldest first.\n"
	"\n"
	"     --since TIME         Only detections at or after TIME:\n"
	"                            \"2026-01-02 03:04[:05]\", \"2026-01-02\" (local time),\n"
	"                            RFC 3339 (\"2026-01-02T03:04:05Z\", \"...+01:00\"),\n"
	"                            \"@EPOCHSECONDS\", \"-5min\", \"-2h\", \"-1d\", \"5min ago\",\n"
	"                            \"now\", \"today\", \"yesterday\"\n"
	"     --rule ID            Only this rule\n"
	"     --severity LEVEL     Only this severity or higher:\n"
	"                            info, low, medium, high, critical\n"
	"     --limit N            At most N, the most recent ones (0: all)\n";

static const char monitor_help[] =
	"tracectl [OPTIONS...] monitor\n"
	"\n"
	"Print one line per detection as traceed reports it (the Detection\n"
	"signal), until SIGINT or SIGTERM.  Each line is flushed at once.\n"
	"With --json: one JSON object per line.\n";

static const char outputs_help[] =
	"tracectl [OPTIONS...] outputs test\n"
	"\n"
	"Send one test detection (rule TRD-TEST, severity info) through the queue\n"
	"of every webhook output and print how many outputs it was queued to;\n"
	"status then shows what became of it.\n"
	"Needs root or the polkit action org.traceed1.test-outputs.\n";

static int verb_help(struct ctl *c, int argc, char **argv)
{
	(void)c;
	(void)argc;
	(void)argv;
	fputs(global_help, stdout);
	return 0;
}

static const struct verb verbs[] = {
	{ "status", verb_status, status_help, false },
	{ "rules", verb_rules, rules_help, false },
	{ "reload", verb_reload, reload_help, false },
	{ "detections", verb_detections, detections_help, true },
	{ "monitor", verb_monitor, monitor_help, false },
	{ "outputs", verb_outputs, outputs_help, false },
	{ "help", verb_help, global_help, false },
};

enum {
	OPT_VERSION = 0x100,
	OPT_JSON,
	OPT_NO_LEGEND,
	OPT_NO_PAGER,
	OPT_NO_ASK_PASSWORD,
	OPT_SINCE,
	OPT_RULE,
	OPT_SEVERITY,
	OPT_LIMIT,
};

/* The width tables may use: only a terminal has one. */
static size_t terminal_columns(void)
{
	const char *e = getenv("COLUMNS");
	struct winsize ws;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (e && *e) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(e, &end, 10);
		if (!errno && !*end && v > 0 && v < 100000 && e[0] != '-')
			return v;
	}
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static int usage_bad_value(const char *opt, const char *value, const char *why)
{
	char *v = ctl_escape(value);
	int r = ctl_error(EXIT_USAGE, "invalid value for %s: '%s'%s%s", opt, v ? v : "?",
			  why ? ": " : "", why ? why : "");

	free(v);
	return r;
}

static int parse_limit(const char *s, uint32_t *ret)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*ret = (uint32_t)v;
	return 0;
}

/* Options are accepted anywhere on the line (getopt permutes), like
 * systemctl; the verb and its arguments are what is left.  Returns -1 to
 * go on, else an exit code. */
static int parse_argv(struct ctl *c, int argc, char **argv, bool *help, bool *filters_given)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "no-legend", no_argument, NULL, OPT_NO_LEGEND },
		{ "no-pager", no_argument, NULL, OPT_NO_PAGER },
		{ "no-ask-password", no_argument, NULL, OPT_NO_ASK_PASSWORD },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "rule", required_argument, NULL, OPT_RULE },
		{ "severity", required_argument, NULL, OPT_SEVERITY },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{}
	};
	int o, r;

	while ((o = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (o) {
		case 'h':
			*help = true;
			break;
		case OPT_VERSION:
			printf("tracectl %s\n", TRACEED_VERSION);
			return 0;
		case OPT_JSON:
			c->json = true;
			break;
		case OPT_NO_LEGEND:
			c->legend = false;
			break;
		case OPT_NO_PAGER:
			break; /* nothing is paged; see tracectl(1) */
		case OPT_NO_ASK_PASSWORD:
			c->ask_password = false;
			break;
		case OPT_SINCE:
			r = parse_time(optarg, now_realtime(), &c->since);
			if (r < 0)
				return usage_bad_value("--since", optarg,
						       r == -ERANGE ? "out of range" : "not a time "
						       "(see tracectl detections --help)");
			c->have_since = true;
			*filters_given = true;
			break;
		case OPT_RULE:
			if (!*optarg)
				return usage_bad_value("--rule", optarg, "empty rule id");
			c->rule = optarg;
			*filters_given = true;
			break;
		case OPT_SEVERITY:
			if (severity_rank(optarg) < 0)
				return usage_bad_value("--severity", optarg,
						       "one of info, low, medium, high, critical");
			c->severity = optarg;
			*filters_given = true;
			break;
		case OPT_LIMIT:
			if (parse_limit(optarg, &c->limit) < 0)
				return usage_bad_value("--limit", optarg, "a number from 0 to 4294967295");
			c->have_limit = true;
			*filters_given = true;
			break;
		case '?':
			return EXIT_USAGE; /* getopt said why */
		default:
			return ctl_error(EXIT_USAGE, "unexpected option");
		}
	}
	return -1;
}

int ctl_print_list(struct ctl *c, struct jw *j, struct table *t, size_t n)
{
	if (c->json) {
		jw_array_end(j);
		return jw_flush(j, stdout) < 0 ? ctl_error(EXIT_FAILURE, "cannot write the output") : 0;
	}
	if (n > 0 && table_print(t, stdout, c->legend, c->columns, c->ellipsis) < 0)
		return ctl_error(EXIT_FAILURE, "out of memory");
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl c = { .legend = true, .ask_password = true };
	const struct verb *v = NULL;
	bool help = false, filters = false;
	int r;

	/* LC_CTYPE only: wcwidth() for column widths and the ellipsis; dates
	 * are printed in a fixed format whatever LC_TIME says */
	setlocale(LC_CTYPE, "");
	c.ellipsis = !strcmp(nl_langinfo(CODESET), "UTF-8") ? "\xe2\x80\xa6" : "...";
	c.columns = terminal_columns();

	r = parse_argv(&c, argc, argv, &help, &filters);
	if (r >= 0)
		return r;
	if (optind < argc) {
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (!strcmp(argv[optind], verbs[i].name))
				v = &verbs[i];
		if (!v) {
			char *e = ctl_escape(argv[optind]);

			r = ctl_error(EXIT_USAGE, "unknown command '%s' (see tracectl --help)", e ? e : "?");
			free(e);
			return r;
		}
	}
	if (help) {
		fputs(v ? v->help : global_help, stdout);
		return 0;
	}
	if (!v)
		return ctl_error(EXIT_USAGE, "missing command (see tracectl --help)");
	if (filters && !v->filters)
		return ctl_error(EXIT_USAGE, "--since, --rule, --severity and --limit are options of "
				 "the detections command");
	if (v->run == verb_help)
		return verb_help(&c, 0, NULL);

	r = ctl_connect(&c);
	if (r)
		return r;
	r = v->run(&c, argc - optind, argv + optind);
	sd_bus_flush_close_unref(c.bus);
	return r;
}
