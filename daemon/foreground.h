/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* traceed --foreground: trace and print events until SIGINT/SIGTERM. */
#pragma once

#include "cli.h"

/* Returns the process exit status. */
int te_foreground_run(const struct te_cli *cli);
