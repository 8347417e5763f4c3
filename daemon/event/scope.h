/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scope: which processes' events are reported (--scope), as in Tracee:
 *   uid=0,1000  uid!=0  uid>999  uid<1000  pid=42  pid!=42  pid>1
 *   comm=bash,sh  comm!=sshd  container  not-container (also !container)
 * Several --scope options must all hold; the values of one are alternatives.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define TE_SCOPE_MAX_RULES 16
#define TE_SCOPE_MAX_VALUES 16

enum te_scope_field { TE_SCOPE_UID, TE_SCOPE_PID, TE_SCOPE_COMM };
enum te_scope_op { TE_SCOPE_EQ, TE_SCOPE_NE, TE_SCOPE_LT, TE_SCOPE_GT };

struct te_scope_rule {
	enum te_scope_field field;
	enum te_scope_op op;
	unsigned nvalues;
	union {
		uint64_t num[TE_SCOPE_MAX_VALUES];
		char comm[TE_SCOPE_MAX_VALUES][16];
	};
};

struct te_scope {
	unsigned nrules;
	struct te_scope_rule rules[TE_SCOPE_MAX_RULES];
	int container; /* -1: any, 1: only containers, 0: only the host */
};

void te_scope_init(struct te_scope *s);
/* Parse one --scope expression; on error returns -EINVAL with a message. */
int te_scope_add(struct te_scope *s, const char *expr, char *err, size_t errlen);
bool te_scope_match(const struct te_scope *s, const struct te_record_hdr *hdr,
		    const char *container_id);
bool te_scope_is_empty(const struct te_scope *s);
