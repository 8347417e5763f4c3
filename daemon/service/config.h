/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's configuration file, /etc/traceed/traceed.yaml (traceed.conf(5)).
 *
 *   rule_paths: [/usr/share/traceed/rules, /etc/traceed/rules.d]
 *   buffer_mib: 8            # ring buffer, power of two, 1..1024
 *   dedup_window_ms: 1000    # 0..3600000
 *   history_size: 1000       # detections kept for ListDetections, 0..1000000
 *   scope: []                # --scope expressions, all must hold
 *   state_dir: /var/lib/traceed
 *   outputs:
 *     journal: true
 *     journal_rate_limit: 100   # detections/s, 0 = no limit
 *     event_socket: true
 *     stdout: false
 *     webhooks: []
 *
 * Pure: reads one file, no other I/O, no globals, so tests, the fuzzer and a
 * reload can all call it.  A file that is not understood in full is refused
 * as a whole, because a half-applied security configuration is worse than
 * the previous one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config_kv.h"
#include "defaults.h"
#include "scope.h"

/* The command line's limits (defaults.h), so either way agrees. */
#define TE_CONFIG_MAX_RULE_PATHS TE_MAX_RULE_PATHS
#define TE_CONFIG_MAX_BUFFER_MIB TE_MAX_BUFFER_MIB
#define TE_CONFIG_MAX_DEDUP_MS TE_MAX_DEDUP_MS
#define TE_CONFIG_MAX_HISTORY 1000000u
#define TE_CONFIG_MAX_JOURNAL_RATE 1000000u

struct te_config {
	char *path;                   /* the file read (for messages), or NULL */
	bool file_missing;            /* no file: these are the built-in defaults */

	char **rule_paths;
	size_t nrule_paths;
	bool rule_paths_default;      /* not in the file: the daemon may skip
				       * default directories that do not exist */
	unsigned buffer_mib;
	unsigned dedup_window_ms;
	unsigned history_size;
	struct te_scope scope;
	char **scope_exprs;           /* the scope as written, for status output */
	size_t nscope_exprs;
	char *state_dir;

	struct {
		bool journal;
		unsigned journal_rate_limit; /* detections/s; 0: unlimited */
		bool event_socket;
		bool stdout_;
		struct te_config_webhook *webhooks;
		size_t nwebhooks;
	} outputs;
};

/* Flags for te_config_load_flags(). */
enum {
	/*
	 * Keep outputs.webhooks entries instead of refusing them.  Off in
	 * te_config_load() until the webhook sender exists: accepting a
	 * webhook that nothing delivers to would make an administrator
	 * believe alerts leave the machine when they do not.
	 */
	TE_CONFIG_ALLOW_WEBHOOKS = 1 << 0,
};

/* Fill @c with the built-in defaults.  0 or -ENOMEM. */
int te_config_defaults(struct te_config *c);

/*
 * Read @path into @out.  @out is treated as uninitialised and written only
 * on success, so a reload can do
 *     if (te_config_load(path, &new, err, sizeof(err)) == 0) {
 *             te_config_free(&cur); cur = new;
 *     }
 * and keep running with @cur on any error.
 *
 * A missing file is not an error: @out gets the defaults and
 * out->file_missing is set.  Any other problem returns a negative errno
 * with "FILE:LINE:COL: message" (or "FILE: message" when there is no
 * position) in @err, naming the key and the offending value.
 */
int te_config_load(const char *path, struct te_config *out, char *err, size_t errlen);
int te_config_load_flags(const char *path, unsigned flags, struct te_config *out, char *err,
			 size_t errlen);
void te_config_free(struct te_config *c);
