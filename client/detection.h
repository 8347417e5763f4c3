/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The 17-value detection of org.traceed1.Manager (ListDetections elements
 * and the Detection signal share it), read, printed and turned into JSON. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "json_out.h"
#include "table.h"

#define DETECTION_SIGNATURE "ttssssssuuussssts"

/* Strings point into the message they were read from. */
struct detection {
	uint64_t id, time;
	const char *rule_id, *rule_name, *severity, *mitre_technique, *mitre_tactic, *output;
	uint32_t pid, ppid, uid;
	const char *comm, *exe, *cmdline, *container_id;
	uint64_t suppressed;
	const char *event;
};

/* Read the 17 values at the current position of @m. */
int detection_read(sd_bus_message *m, struct detection *d);

/* One JSON object with the XML's argument names as keys, plus
 * "time_rfc3339". */
void detection_json(struct jw *j, const struct detection *d);

/* The columns of `tracectl detections`. */
struct table *detection_table_new(void);
int detection_table_add(struct table *t, const struct detection *d);

/* One escaped line for `tracectl monitor`. */
void detection_line(FILE *f, const struct detection *d);

/* The severities, least severe first; -1 if @s is none of them. */
int severity_rank(const char *s);
