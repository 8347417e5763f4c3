/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* traceed: entry point.  Parses the command line and runs the mode asked. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "event.h"
#include "foreground.h"
#include "loader.h"
#include "probe.h"

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
	case TE_MODE_FOREGROUND:
		return te_foreground_run(&cli);
	default:
		return 2;
	}
}
