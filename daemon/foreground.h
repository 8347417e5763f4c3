/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* traceed --foreground: trace and print events until SIGINT/SIGTERM. */
#pragma once

#include "cli.h"
#include "rule_set.h"

/*
 * Returns the process exit status.  @rs (may be NULL in event mode) is the
 * loaded rule set: its enabled rules' events are traced and detections
 * printed.
 */
int te_foreground_run(const struct te_cli *cli, struct te_ruleset *rs);
