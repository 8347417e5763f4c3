// SPDX-License-Identifier: LGPL-2.1-or-later
/* tracectl detections: ListDetections with the filters from the command
 * line, as a table or a JSON array. */
#include <stdio.h>
#include <stdlib.h>

#include "detection.h"
#include "tracectl.h"

static const struct action list_detections = { "list detections", NULL };

static int append_filters(const struct ctl *c, sd_bus_message *m)
{
	int r = sd_bus_message_open_container(m, 'a', "{sv}");

	if (r >= 0 && c->have_since)
		r = sd_bus_message_append(m, "{sv}", "since", "t", c->since);
	if (r >= 0 && c->rule)
		r = sd_bus_message_append(m, "{sv}", "rule", "s", c->rule);
	if (r >= 0 && c->severity)
		r = sd_bus_message_append(m, "{sv}", "min_severity", "s", c->severity);
	if (r >= 0 && c->have_limit)
		r = sd_bus_message_append(m, "{sv}", "limit", "u", c->limit);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

int verb_detections(struct ctl *c, int argc, char **argv)
{
	sd_bus_message *m = NULL, *reply = NULL;
	struct table *t = NULL;
	struct jw j;
	struct detection d;
	size_t n = 0;
	int r, code;

	(void)argv;
	if (argc > 1)
		return ctl_error(EXIT_USAGE, "detections takes no arguments (see tracectl detections --help)");
	jw_init(&j);
	r = ctl_new_call(c, "ListDetections", &m);
	if (r >= 0)
		r = append_filters(c, m);
	if (r < 0) {
		code = ctl_error(EXIT_FAILURE, "cannot build the call: out of memory");
		goto out;
	}
	code = ctl_send(c, m, &list_detections, NULL, &reply);
	if (code)
		goto out;
	if (c->json)
		jw_array_begin(&j);
	else if (!(t = detection_table_new())) {
		code = ctl_error(EXIT_FAILURE, "out of memory");
		goto out;
	}
	r = sd_bus_message_enter_container(reply, 'a', "(" DETECTION_SIGNATURE ")");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', DETECTION_SIGNATURE)) > 0) {
		r = detection_read(reply, &d);
		if (r < 0)
			break;
		r = sd_bus_message_exit_container(reply);
		if (r < 0)
			break;
		n++;
		if (c->json)
			detection_json(&j, &d);
		else if (detection_table_add(t, &d) < 0) {
			code = ctl_error(EXIT_FAILURE, "out of memory");
			goto out;
		}
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (r < 0) {
		code = ctl_bad_reply(&list_detections, r);
		goto out;
	}
	code = ctl_print_list(c, &j, t, n);
	if (code || c->json)
		goto out;
	if (c->legend)
		printf("%s%zu detection%s listed.\n", n ? "\n" : "", n, n == 1 ? "" : "s");
out:
	table_free(t);
	jw_free(&j);
	sd_bus_message_unref(m);
	sd_bus_message_unref(reply);
	return code;
}
