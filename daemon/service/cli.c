/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "event.h"

enum { OPT_SERVICE = 0x0ff, OPT_LIST_EVENTS = 0x100, OPT_PROBE, OPT_BUFFER, OPT_BTF, OPT_REPLAY,
       OPT_VALIDATE, OPT_DEDUP, OPT_CONFIG };

static const struct option long_options[] = {
	{ "foreground", no_argument, NULL, 'f' },
	{ "service", no_argument, NULL, OPT_SERVICE },
	{ "output", required_argument, NULL, 'o' },
	{ "events", required_argument, NULL, 'e' },
	{ "scope", required_argument, NULL, 's' },
	{ "list-events", no_argument, NULL, OPT_LIST_EVENTS },
	{ "probe", no_argument, NULL, OPT_PROBE },
	{ "buffer-size", required_argument, NULL, OPT_BUFFER },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "rules", required_argument, NULL, 'r' },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "validate", required_argument, NULL, OPT_VALIDATE },
	{ "dedup-window", required_argument, NULL, OPT_DEDUP },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 }
};

void te_cli_usage(FILE *out)
{
	fputs("Usage: traceed --foreground [OPTIONS]\n"
	      "       traceed --replay FILE [--rules PATH]... [--output json]\n"
	      "       traceed --validate PATH...\n"
	      "       traceed --list-events | --probe | --help | --version\n"
	      "\n"
	      "Trace what processes do with eBPF, match the events against detection\n"
	      "rules and report detections (or, with --events, print the events).\n"
	      "\n"
	      "  -f, --foreground       trace until SIGINT/SIGTERM, printing to stdout\n"
	      "      --service          as --foreground, for systemd: READY=1 once attached,\n"
	      "                         STATUS= updates, watchdog pings (traceed.service)\n"
	      "      --config FILE      configuration for --service (default\n"
	      "                         " TRACEED_CONFIG_FILE ")\n"
	      "  -o, --output FORMAT    table (default) or json (one object per line)\n"
	      "  -r, --rules PATH       rule file or directory; repeatable (default:\n"
	      "                         " TRACEED_RULES_DIR " and " TRACEED_RULES_D ")\n"
	      "      --replay FILE      run recorded events (--output json lines; - for\n"
	      "                         stdin) through the rules, without BPF\n"
	      "      --validate PATH... check rule files and exit 0 (valid) or 1\n"
	      "      --dedup-window MS  report a rule's repeats by one process once per\n"
	      "                         MS milliseconds, counting the rest (default 1000; 0: off)\n"
	      "  -e, --events LIST      print these events (event mode; no rules unless\n"
	      "                         --rules is given): event or set names; -NAME excludes\n"
	      "                         (sets: syscalls proc fs mem net creds ns\n"
	      "                         module signals system)\n"
	      "  -s, --scope EXPR       report only matching processes; repeatable, all must hold:\n"
	      "                         uid=N[,N] uid!=N uid<N uid>N pid=N[,N] pid!=N\n"
	      "                         comm=NAME[,NAME] comm!=NAME container not-container\n"
	      "      --buffer-size MIB  ring buffer size in MiB, a power of two (default 8)\n"
	      "      --btf FILE         kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
	      "      --list-events      list the events and their arguments, then exit\n"
	      "      --probe            show which events this kernel supports and why not\n"
	      "  -h, --help             show this help\n"
	      "  -V, --version          show the version\n",
	      out);
}

static bool in_set_list(const char *sets, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = sets; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Apply one name (event or set) to @selected; returns false if unknown. */
static bool apply_name(bool selected[TE_EV_MAX], const char *name, bool value)
{
	size_t n;
	const struct te_event_desc *table = te_event_table(&n);
	const struct te_event_desc *d = te_event_by_name(name);
	bool found = false;

	if (d) {
		selected[d->id] = value;
		return true;
	}
	for (size_t i = 0; i < n; i++) {
		if (in_set_list(table[i].sets, name)) {
			selected[table[i].id] = value;
			found = true;
		}
	}
	return found;
}

int te_cli_parse_events(bool selected[TE_EV_MAX], const char *list, char *errbuf, size_t errlen)
{
	_cleanup_free_ char *first = NULL, *second = NULL;
	char *save = NULL, *tok;
	bool any_include = false;
	size_t n;
	const struct te_event_desc *table = te_event_table(&n);

	if (!list || !*list) {
		snprintf(errbuf, errlen, "--events: empty list");
		return -EINVAL;
	}
	/* strtok_r cuts its string: one copy per pass */
	first = strdup(list);
	second = strdup(list);
	if (!first || !second)
		return -ENOMEM;
	/* First pass: are there inclusions?  Only exclusions start from all. */
	for (tok = strtok_r(first, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (tok[0] != '-')
			any_include = true;

	memset(selected, 0, sizeof(bool) * TE_EV_MAX);
	if (!any_include)
		for (size_t i = 0; i < n; i++)
			selected[table[i].id] = true;

	save = NULL;
	for (tok = strtok_r(second, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool exclude = tok[0] == '-';
		const char *name = exclude ? tok + 1 : tok;

		if (!*name || !apply_name(selected, name, !exclude)) {
			snprintf(errbuf, errlen, "--events: unknown event or set '%s' (see --list-events)",
				 name);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (selected[table[i].id])
			return 0;
	snprintf(errbuf, errlen, "--events: '%s' selects no event", list);
	return -EINVAL;
}

static int usage_error(FILE *err, const char *fmt, const char *arg)
{
	fputs("traceed: ", err);
	fprintf(err, fmt, arg);
	fputs("\nTry 'traceed --help' for more information.\n", err);
	return 2;
}

static void set_mode(struct te_cli *cli, enum te_cli_mode mode, bool *conflict)
{
	if (cli->mode != TE_MODE_NONE && cli->mode != mode)
		*conflict = true;
	cli->mode = mode;
}

int te_cli_parse(struct te_cli *cli, int argc, char **argv, FILE *err)
{
	char errbuf[256];
	bool events_given = false, conflict = false;
	int c;
	size_t n;
	const struct te_event_desc *table = te_event_table(&n);

	memset(cli, 0, sizeof(*cli));
	cli->output = TE_OUT_TABLE;
	cli->buffer_mib = TE_DEFAULT_BUFFER_MIB;
	cli->dedup_window_ms = TE_DEFAULT_DEDUP_MS;
	te_scope_init(&cli->scope);

	optind = 0; /* reset getopt so tests can call us repeatedly */
	opterr = 0; /* we word the errors ourselves */
	while ((c = getopt_long(argc, argv, ":fo:e:s:r:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'f':
			set_mode(cli, TE_MODE_FOREGROUND, &conflict);
			break;
		case 'o':
			if (strcmp(optarg, "json") == 0)
				cli->output = TE_OUT_JSON;
			else if (strcmp(optarg, "table") == 0)
				cli->output = TE_OUT_TABLE;
			else
				return usage_error(err, "--output: unknown format '%s' (json or table)", optarg);
			break;
		case 'e':
			if (te_cli_parse_events(cli->selected, optarg, errbuf, sizeof(errbuf)) < 0)
				return usage_error(err, "%s", errbuf);
			events_given = true;
			break;
		case 'r':
		case OPT_VALIDATE:
			if (cli->nrule_paths == TE_CLI_MAX_PATHS)
				return usage_error(err, "more than %s rule paths", "64");
			cli->rule_paths[cli->nrule_paths++] = optarg;
			if (c == OPT_VALIDATE)
				set_mode(cli, TE_MODE_VALIDATE, &conflict);
			break;
		case OPT_CONFIG:
			cli->config_path = optarg;
			break;
		case OPT_REPLAY:
			cli->replay_path = optarg;
			set_mode(cli, TE_MODE_REPLAY, &conflict);
			break;
		case OPT_DEDUP: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-' || v > TE_MAX_DEDUP_MS)
				return usage_error(err,
					"--dedup-window: '%s' is not a number of milliseconds (0 to 3600000)",
					optarg);
			cli->dedup_window_ms = (unsigned)v;
			cli->dedup_given = true;
			break;
		}
		case 's':
			if (te_scope_add(&cli->scope, optarg, errbuf, sizeof(errbuf)) < 0)
				return usage_error(err, "%s", errbuf);
			break;
		case OPT_SERVICE:
			set_mode(cli, TE_MODE_SERVICE, &conflict);
			break;
		case OPT_LIST_EVENTS:
			set_mode(cli, TE_MODE_LIST_EVENTS, &conflict);
			break;
		case OPT_PROBE:
			set_mode(cli, TE_MODE_PROBE, &conflict);
			break;
		case OPT_BUFFER: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || v == 0 || v > TE_MAX_BUFFER_MIB || (v & (v - 1)))
				return usage_error(err,
					"--buffer-size: '%s' is not a power of two between 1 and 1024 (MiB)",
					optarg);
			cli->buffer_mib = (unsigned)v;
			cli->buffer_given = true;
			break;
		}
		case OPT_BTF:
			cli->btf_path = optarg;
			break;
		case 'h':
			set_mode(cli, TE_MODE_HELP, &conflict);
			break;
		case 'V':
			set_mode(cli, TE_MODE_VERSION, &conflict);
			break;
		case ':':
			return usage_error(err, "option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_error(err, "unknown option '%s'", argv[optind - 1]);
		}
	}
	/* --validate takes any number of paths */
	while (cli->mode == TE_MODE_VALIDATE && optind < argc) {
		if (cli->nrule_paths == TE_CLI_MAX_PATHS)
			return usage_error(err, "more than %s rule paths", "64");
		cli->rule_paths[cli->nrule_paths++] = argv[optind++];
	}
	if (optind < argc)
		return usage_error(err, "unexpected argument '%s'", argv[optind]);
	/* --help and --version win over everything, like GNU tools. */
	if (conflict && cli->mode != TE_MODE_HELP && cli->mode != TE_MODE_VERSION)
		return usage_error(err, "%s",
			"--foreground, --service, --replay, --validate, --list-events and --probe exclude each other");
	if (cli->mode == TE_MODE_NONE)
		return usage_error(err, "%s",
			"nothing to do: use --foreground, --replay or --validate (the system service is not yet available)");
	cli->events_given = events_given;
	if (!events_given)
		for (size_t i = 0; i < n; i++)
			cli->selected[table[i].id] = true;
	return 0;
}
