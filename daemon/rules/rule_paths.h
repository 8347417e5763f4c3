/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where rules come from, and loading them with every error reported. */
#pragma once

#include <stddef.h>

#include "rule_set.h"

/*
 * Load the rule files at @paths (files or directories), or, when @n is 0,
 * the shipped rules (TRACEED_RULES_DIR) then the administrator's
 * (TRACEED_RULES_D), whichever exist.  Errors go to stderr as
 * "file:line:col: message"; returns NULL when anything failed.
 */
struct te_ruleset *te_rules_load(const char *const *paths, size_t n);
/* The same, with the first error also in @err ("file:line:col: message"). */
struct te_ruleset *te_rules_load_err(const char *const *paths, size_t n, char *err,
				     size_t errlen);

/*
 * Apply the administrator's enable/disable choices stored under
 * @state_dir (NULL: none) to @rs; problems are reported, never fatal.
 */
void te_rules_apply_state(struct te_ruleset *rs, const char *state_dir);
