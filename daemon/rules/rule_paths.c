/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rule_paths.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "defaults.h"
#include "log.h"
#include "rule_state.h"

struct te_ruleset *te_rules_load(const char *const *paths, size_t n)
{
	char err[8];

	return te_rules_load_err(paths, n, err, sizeof(err));
}

struct te_ruleset *te_rules_load_err(const char *const *paths, size_t n, char *errbuf,
				     size_t errlen)
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
			snprintf(errbuf, errlen, "no rules: neither %s nor %s exists",
				 TRACEED_RULES_DIR, TRACEED_RULES_D);
			/* not from @errbuf, which te_rules_load() keeps short */
			log_error("no rules: neither %s nor %s exists; use --rules PATH",
				  TRACEED_RULES_DIR, TRACEED_RULES_D);
			return NULL;
		}
		paths = found;
	}
	memset(&err, 0, sizeof(err));
	/* the loader writes its diagnostics ("file:line:col: message") to
	 * the stream it is given */
	rs = te_ruleset_load(paths, n, stderr, &err);
	if (!rs) {
		te_rl_error_format(&err, errbuf, errlen);
		log_error("the rules were not loaded (errors above)");
	}
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
