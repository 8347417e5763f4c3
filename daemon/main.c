/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* traceed: entry point.  Parses the command line and runs the mode asked. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "event.h"
#include "foreground.h"
#include "loader.h"
#include "probe.h"
#include "replay.h"
#include "config.h"
#include "journal_out.h"
#include "rule_paths.h"
#include "rule_state.h"
#include "rule_set.h"

/*
 * --service: the configuration file, then the command line on top of it
 * (--rules replaces the file's rule paths).  Returns 0, or 1 after printing
 * the error (file:line:column).
 */
static int apply_config(struct te_cli *cli, struct te_config *cfg)
{
	const char *path = cli->config_path ? cli->config_path : TRACEED_CONFIG_FILE;
	char err[512];

	if (te_config_load(path, cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "traceed: %s\n", err);
		return 1;
	}
	if (cli->nrule_paths == 0 && !cfg->rule_paths_default)
		for (size_t i = 0; i < cfg->nrule_paths && i < TE_CLI_MAX_PATHS; i++)
			cli->rule_paths[cli->nrule_paths++] = cfg->rule_paths[i];
	cli->buffer_mib = cfg->buffer_mib;
	cli->dedup_window_ms = cfg->dedup_window_ms;
	if (te_scope_is_empty(&cli->scope))
		cli->scope = cfg->scope;
	cli->state_dir = cfg->state_dir;
	te_journal_set_rate_limit(cfg->outputs.journal_rate_limit);
	return 0;
}

static int run_replay(const struct te_cli *cli)
{
	struct te_ruleset *rs = te_rules_load(cli->rule_paths, cli->nrule_paths);
	struct te_engine_opts eo = {
		.json = cli->output == TE_OUT_JSON,
		.dedup_window_ns = (uint64_t)cli->dedup_window_ms * 1000000u,
		.out = stdout,
	};
	struct te_engine *e;
	char hostname[256] = "";
	int ret;

	if (!rs)
		return 1;
	e = te_engine_new(rs, &eo);
	if (!e) {
		te_ruleset_free(rs);
		return 1;
	}
	gethostname(hostname, sizeof(hostname) - 1);
	ret = te_replay_file(cli->replay_path, e, hostname);
	fprintf(stderr, "traceed: replay: %llu detections, %llu repeats suppressed\n",
		(unsigned long long)te_engine_emitted(e), (unsigned long long)te_engine_suppressed(e));
	te_engine_free(e);
	te_ruleset_free(rs);
	return ret;
}

static int run_validate(const struct te_cli *cli)
{
	struct te_ruleset *rs = te_rules_load(cli->rule_paths, cli->nrule_paths);

	if (!rs)
		return 1;
	printf("traceed: %zu rules valid (%zu enabled)\n", te_ruleset_count(rs),
	       te_ruleset_enabled_count(rs));
	te_ruleset_free(rs);
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
	int ret = te_cli_parse(&cli, argc, argv, stderr);

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
			fprintf(stderr, "traceed: cannot open the BPF object\n");
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
		struct te_ruleset *rs = NULL;
		struct te_config cfg = { 0 };
		char why[160];

		/* Say what is missing before anything else can fail. */
		if (!te_have_bpf_privileges(why, sizeof(why))) {
			fprintf(stderr, "traceed: %s\n", why);
			return 1;
		}
		if (cli.mode == TE_MODE_SERVICE && apply_config(&cli, &cfg))
			return 1;
		/* Event mode (--events) loads rules only when asked to. */
		if (!cli.events_given || cli.nrule_paths) {
			rs = te_rules_load(cli.rule_paths, cli.nrule_paths);
			if (!rs) {
				if (cli.mode == TE_MODE_SERVICE)
					te_config_free(&cfg);
				return 1;
			}
			te_rules_apply_state(rs, cli.state_dir);
		}
		/* the foreground owns the rule set: a reload replaces it */
		ret = te_foreground_run(&cli, rs);
		if (cli.mode == TE_MODE_SERVICE)
			te_config_free(&cfg);
		return ret;
	}
	default:
		return 2;
	}
}
