/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rule_paths.h"

#include <stdio.h>
#include <sys/stat.h>

#include "defaults.h"
#include "rule_state.h"

struct te_ruleset *te_rules_load(const char *const *paths, size_t n)
{
	const char *defaults[] = { TRACEED_RULES_DIR, TRACEED_RULES_D };
	const char *found[2];
	struct te_rl_error err;
	struct te_ruleset *rs;
	struct stat st;

	if (n == 0) {
		for (size_t i = 0; i < 2; i++)
			if (stat(defaults[i], &st) == 0)
				found[n++] = defaults[i];
		if (n == 0) {
			fprintf(stderr, "traceed: no rules: neither %s nor %s exists; use --rules PATH\n",
				TRACEED_RULES_DIR, TRACEED_RULES_D);
			return NULL;
		}
		paths = found;
	}
	rs = te_ruleset_load(paths, n, stderr, &err);
	if (!rs)
		fprintf(stderr, "traceed: the rules were not loaded (errors above)\n");
	return rs;
}

void te_rules_apply_state(struct te_ruleset *rs, const char *state_dir)
{
	struct te_rule_state st;

	if (!rs || !state_dir)
		return;
	te_rule_state_init(&st);
	/* a damaged file costs its bad lines, not the daemon */
	if (te_rule_state_load(&st, state_dir, stderr) == 0)
		te_rule_state_apply(&st, rs, stderr);
	te_rule_state_free(&st);
}
