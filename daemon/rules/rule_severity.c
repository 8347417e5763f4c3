/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rule_severity.h"

#include <errno.h>
#include <stddef.h>
#include <strings.h>

static const char *const sev_names[] = { "info", "low", "medium", "high", "critical" };

const char *te_severity_name(enum te_severity s)
{
	return (unsigned)s <= TE_SEV_CRITICAL ? sev_names[s] : "unknown";
}

/*
 * Our five names, and Falco's eight priorities mapped onto them so Falco
 * rules load unchanged: emergency/alert/critical -> critical, error -> high,
 * warning -> medium, notice -> low, informational/info/debug -> info.  Case
 * does not matter (Falco writes "WARNING" and "Warning").
 */
int te_severity_parse(const char *name, enum te_severity *out)
{
	static const struct {
		const char *name;
		enum te_severity sev;
	} map[] = {
		{ "info", TE_SEV_INFO },	  { "low", TE_SEV_LOW },
		{ "medium", TE_SEV_MEDIUM },	  { "high", TE_SEV_HIGH },
		{ "critical", TE_SEV_CRITICAL },  { "emergency", TE_SEV_CRITICAL },
		{ "alert", TE_SEV_CRITICAL },	  { "error", TE_SEV_HIGH },
		{ "warning", TE_SEV_MEDIUM },	  { "notice", TE_SEV_LOW },
		{ "informational", TE_SEV_INFO }, { "debug", TE_SEV_INFO },
	};

	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcasecmp(name, map[i].name)) {
			*out = map[i].sev;
			return 0;
		}
	return -EINVAL;
}

const char *te_severity_priority(enum te_severity s)
{
	static const char *const prio[] = { "Informational", "Notice", "Warning", "Error",
					    "Critical" };

	return (unsigned)s <= TE_SEV_CRITICAL ? prio[s] : "Informational";
}

int te_severity_syslog(enum te_severity s)
{
	/* LOG_CRIT 2, LOG_ERR 3, LOG_WARNING 4, LOG_NOTICE 5, LOG_INFO 6 */
	return (unsigned)s <= TE_SEV_CRITICAL ? 6 - (int)s : 6;
}
