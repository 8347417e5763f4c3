/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compiled-in locations, defaults and limits, in one place so that the
 * command line (cli.c), the configuration file (config.c) and the rule
 * loader agree.  meson.build passes the locations for the configured
 * prefix; the fallbacks are the packaged (/usr) ones, for builds outside
 * meson such as the fuzzers.
 */
#pragma once

#ifndef TRACEED_RULES_DIR
#define TRACEED_RULES_DIR "/usr/share/traceed/rules"
#endif
#ifndef TRACEED_RULES_D
#define TRACEED_RULES_D "/etc/traceed/rules.d"
#endif
#ifndef TRACEED_CONFIG_FILE
#define TRACEED_CONFIG_FILE "/etc/traceed/traceed.yaml"
#endif
#ifndef TRACEED_STATE_DIR
#define TRACEED_STATE_DIR "/var/lib/traceed"
#endif

#define TE_DEFAULT_BUFFER_MIB 8
#define TE_DEFAULT_DEDUP_MS 1000u
#define TE_MAX_RULE_PATHS 64
#define TE_MAX_BUFFER_MIB 1024
#define TE_MAX_DEDUP_MS 3600000u
