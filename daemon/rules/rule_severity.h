/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A rule's severity (rule files' "severity:", Falco's "priority:"), and its
 * names for the outputs.  Its own module so that the rule loader, which
 * parses it, and everything that shows it need not depend on the rule set.
 */
#pragma once

enum te_severity {
	TE_SEV_INFO = 0,
	TE_SEV_LOW,
	TE_SEV_MEDIUM,
	TE_SEV_HIGH,
	TE_SEV_CRITICAL,
};
const char *te_severity_name(enum te_severity s);            /* "high" */
int te_severity_parse(const char *name, enum te_severity *out); /* 0 or -EINVAL */
/* falcosidekick/Falco priority: critical->Critical, high->Error,
 * medium->Warning, low->Notice, info->Informational */
const char *te_severity_priority(enum te_severity s);
/* syslog/journal priority: critical 2, high 3, medium 4, low 5, info 6 */
int te_severity_syslog(enum te_severity s);
