/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* traceed: entry point.  Parses the command line and runs the mode asked. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "engine.h"
#include "event.h"
#include "daemon.h"
#include "loader.h"
#include "log.h"
#include "probe.h"
#include "replay.h"
#include "rule_paths.h"
#include "rule_set.h"

DEFINE_POINTER_CLEANUP(struct te_ruleset *, te_ruleset_free)
DEFINE_POINTER_CLEANUP(struct te_engine *, te_engine_free)

static int run_replay(const struct te_cli *cli)
{
	_cleanup_(te_ruleset_freep) struct te_ruleset *rs =
		te_rules_load(cli->rule_paths, cli->nrule_paths);
	_cleanup_(te_engine_freep) struct te_engine *e = NULL;
	struct te_engine_opts eo = {
		.json = cli->output == TE_OUT_JSON,
		.dedup_window_ns = (uint64_t)cli->dedup_window_ms * 1000000u,
		.out = stdout,
	};
	char hostname[256] = "";
	int ret;

	if (!rs)
		return 1;
	e = te_engine_new(rs, &eo);
	if (!e)
		return 1;
	gethostname(hostname, sizeof(hostname) - 1);
	ret = te_replay_file(cli->replay_path, e, hostname);
	te_engine_flush(e, 0, true);  /* the repeats still held */
	log_info("replay: %llu detections, %llu repeats suppressed",
		 (unsigned long long)te_engine_emitted(e), (unsigned long long)te_engine_suppressed(e));
	return ret;
}

static int run_validate(const struct te_cli *cli)
{
	_cleanup_(te_ruleset_freep) struct te_ruleset *rs =
		te_rules_load(cli->rule_paths, cli->nrule_paths);

	if (!rs)
		return 1;
	/* warnings only: such a rule works, but can be talked past */
	te_ruleset_warn_weak_exceptions(rs, stderr);
	printf("traceed: %zu rules valid (%zu enabled)\n", te_ruleset_count(rs),
	       te_ruleset_enabled_count(rs));
	return 0;
}

static void list_events(FILE *out)
{
	size_t n;
	const struct te_event_desc *table = te_event_table(&n);

	fprintf(out, "%-20s %-4s %-22s %s\n", "EVENT", "ID", "SETS", "ARGUMENTS");
	for (size_t i = 0; i < n; i++) {
		const struct te_event_desc *d = &table[i];

		fprintf(out, "%-20s %-4u %-22s ", d->name, d->id, d->sets);
		for (unsigned a = 0; a < d->nargs; a++)
			fprintf(out, "%s%s %s", a ? ", " : "", d->args[a].type, d->args[a].name);
		fputc('\n', out);
	}
}

int main(int argc, char **argv)
{
	struct te_cli cli;
	struct te_features f;
	int ret;

	/* before anything can log: the journal's "<N>" form, TRACEED_LOG_LEVEL */
	log_open();
	/* usage errors are for the person typing: plain "traceed: " lines */
	ret = te_cli_parse(&cli, argc, argv, stderr);
	if (ret)
		return ret;
	switch (cli.mode) {
	case TE_MODE_HELP:
		te_cli_usage(stdout);
		return 0;
	case TE_MODE_VERSION:
		printf("traceed %s\n", TRACEED_VERSION);
		return 0;
	case TE_MODE_LIST_EVENTS:
		list_events(stdout);
		return 0;
	case TE_MODE_PROBE:
		if (te_loader_probe(cli.btf_path, &f) < 0) {
			log_error("cannot open the BPF object");
			return 1;
		}
		te_probe_print(stdout, &f);
		return 0;
	case TE_MODE_REPLAY:
		return run_replay(&cli);
	case TE_MODE_VALIDATE:
		return run_validate(&cli);
	case TE_MODE_FOREGROUND:
	case TE_MODE_SERVICE: {
		char why[160];

		/* Say what is missing before anything else can fail. */
		if (!te_have_bpf_privileges(why, sizeof(why))) {
			log_error("%s", why);
			return 1;
		}
		return te_daemon_run(&cli);
	}
	default:
		return 2;
	}
}
