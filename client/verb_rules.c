// SPDX-License-Identifier: LGPL-2.1-or-later
/* tracectl rules list|show|enable|disable, and tracectl reload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json_out.h"
#include "strbuf.h"
#include "table.h"
#include "tracectl.h"

static const struct action list_rules = { "list rules", NULL };
static const struct action get_rule = { "show the rule", NULL };
static const struct action enable_rule = { "enable rules", "org.traceed1.manage-rules" };
static const struct action disable_rule = { "disable rules", "org.traceed1.manage-rules" };
static const struct action reload = { "reload the configuration and rules", "org.traceed1.reload" };

#define RULE_FIELDS "sssssbts"

/* The ListRules fields of one rule as JSON members; GetRule names the id
 * "rule_id" (the argument names of the XML). */
static void summary_json(struct jw *j, const char *id_key, const char *id, const char *name,
			 const char *sev, const char *tech, const char *tactic, int en,
			 uint64_t hits, const char *file)
{
	jw_kv_string(j, id_key, id);
	jw_kv_string(j, "name", name);
	jw_kv_string(j, "severity", sev);
	jw_kv_string(j, "mitre_technique", tech);
	jw_kv_string(j, "mitre_tactic", tactic);
	jw_kv_bool(j, "enabled", en);
	jw_kv_u64(j, "hits", hits);
	jw_kv_string(j, "source_file", file);
}

static int rules_list(struct ctl *c, int argc, char **argv)
{
	static const char *const h[] = { "ID", "SEVERITY", "ENABLED", "HITS", "MITRE", "NAME" };
	sd_bus_message *reply = NULL;
	struct table *t = NULL;
	struct jw j;
	size_t n = 0, enabled = 0;
	int r, code;

	(void)argv;
	if (argc > 1)
		return ctl_error(EXIT_USAGE, "rules list takes no arguments");
	jw_init(&j);
	code = ctl_call(c, "ListRules", &list_rules, NULL, &reply, NULL);
	if (code)
		goto out;
	if (c->json)
		jw_array_begin(&j);
	else if (!(t = table_new(h, 6))) {
		code = ctl_error(EXIT_FAILURE, "out of memory");
		goto out;
	} else {
		table_set_right(t, 3);
		table_set_shrink(t, 5);
	}
	r = sd_bus_message_enter_container(reply, 'a', "(" RULE_FIELDS ")");
	for (;;) {
		const char *id, *name, *sev, *tech, *tactic, *file;
		int en;
		uint64_t hits;

		if (r < 0)
			break;
		r = sd_bus_message_read(reply, "(" RULE_FIELDS ")", &id, &name, &sev, &tech, &tactic,
					&en, &hits, &file);
		if (r <= 0)
			break;
		n++;
		enabled += !!en;
		if (c->json) {
			jw_object_begin(&j);
			summary_json(&j, "id", id, name, sev, tech, tactic, en, hits, file);
			jw_object_end(&j);
		} else if ((table_add(t, id) | table_add(t, sev) | table_add(t, en ? "yes" : "no") |
			    table_addf(t, "%llu", (unsigned long long)hits) |
			    table_add(t, *tech ? tech : "-") | table_add(t, name)) < 0) {
			code = ctl_error(EXIT_FAILURE, "out of memory");
			goto out;
		}
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (r < 0) {
		code = ctl_bad_reply(&list_rules, r);
		goto out;
	}
	code = ctl_print_list(c, &j, t, n);
	if (code || c->json)
		goto out;
	if (c->legend)
		printf("%s%zu rule%s listed, %zu enabled.\n", n ? "\n" : "", n, n == 1 ? "" : "s",
		       enabled);
out:
	table_free(t);
	jw_free(&j);
	sd_bus_message_unref(reply);
	return code;
}

/* "Key: value" where value may span lines (a condition, a description):
 * continuation lines are indented under the first. */
static void field_text(const char *key, const char *value)
{
	struct strbuf sb;
	const char *p;

	sb_init(&sb);
	esc_append(&sb, value, ESC_KEEP_NEWLINE);
	p = sb_str(&sb);
	/* a trailing newline (YAML block scalars end with one) says nothing */
	if (sb.len && sb.p[sb.len - 1] == '\n')
		sb.p[--sb.len] = '\0';
	printf("%18s: ", key);
	for (const char *nl; (nl = strchr(p, '\n')); p = nl + 1)
		printf("%.*s\n%20s", (int)(nl - p), p, "");
	printf("%s\n", p);
	sb_free(&sb);
}

static int rules_show(struct ctl *c, int argc, char **argv)
{
	sd_bus_message *reply = NULL;
	const char *id, *name, *sev, *tech, *tactic, *file, *desc, *cond, *output;
	int en, r, code;
	uint64_t hits;
	uint32_t line;
	struct jw j;
	struct strbuf tags;

	if (argc != 2)
		return ctl_error(EXIT_USAGE, "rules show takes exactly one rule id");
	jw_init(&j);
	sb_init(&tags);
	code = ctl_call(c, "GetRule", &get_rule, argv[1], &reply, "s", argv[1]);
	if (code)
		goto out;
	r = sd_bus_message_read(reply, RULE_FIELDS "s", &id, &name, &sev, &tech, &tactic, &en, &hits,
				&file, &desc);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "s");
	if (r < 0)
		goto bad;
	if (c->json) {
		jw_object_begin(&j);
		summary_json(&j, "rule_id", id, name, sev, tech, tactic, en, hits, file);
		jw_kv_string(&j, "description", desc);
		jw_key(&j, "tags");
		jw_array_begin(&j);
	}
	for (const char *tag; (r = sd_bus_message_read(reply, "s", &tag)) > 0;) {
		if (c->json)
			jw_string(&j, tag);
		else {
			if (tags.len)
				sb_puts(&tags, ", ");
			esc_append(&tags, tag, 0);
		}
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "uss", &line, &cond, &output);
	if (r < 0)
		goto bad;
	if (c->json) {
		jw_array_end(&j);
		jw_kv_u64(&j, "source_line", line);
		jw_kv_string(&j, "condition", cond);
		jw_kv_string(&j, "output", output);
		jw_object_end(&j);
		if (jw_flush(&j, stdout) < 0)
			code = ctl_error(EXIT_FAILURE, "cannot write the output");
		goto out;
	}
	{
		char *eid = ctl_escape(id), *ename = ctl_escape(name);
		char *etech = ctl_escape(tech), *etactic = ctl_escape(tactic), *efile = ctl_escape(file);

		if (eid && ename && etech && etactic && efile && !tags.oom) {
			printf("%s - %s\n", eid, ename);
			ctl_field("Severity", sev);
			if (*tech || *tactic)
				printf("%18s: %s%s%s%s\n", "MITRE", etech, *tech && *tactic ? " (" : "",
				       etactic, *tech && *tactic ? ")" : "");
			printf("%18s: %s\n", "Enabled", en ? "yes" : "no");
			printf("%18s: %llu\n", "Hits", (unsigned long long)hits);
			printf("%18s: %s:%u\n", "Source", efile, line);
			if (tags.len)
				printf("%18s: %s\n", "Tags", sb_str(&tags));
			if (*desc)
				field_text("Description", desc);
			field_text("Condition", cond);
			field_text("Output", output);
		} else
			code = ctl_error(EXIT_FAILURE, "out of memory");
		free(eid);
		free(ename);
		free(etech);
		free(etactic);
		free(efile);
	}
	goto out;
bad:
	code = ctl_bad_reply(&get_rule, r);
out:
	sb_free(&tags);
	jw_free(&j);
	sd_bus_message_unref(reply);
	return code;
}

/* One call per id, so one unknown id does not stop the others; the exit
 * code is the first failure's. */
static int rules_set(struct ctl *c, int argc, char **argv, bool enable)
{
	const struct action *a = enable ? &enable_rule : &disable_rule;
	struct jw j;
	int code = 0;

	if (argc < 2)
		return ctl_error(EXIT_USAGE, "rules %s needs at least one rule id",
				 enable ? "enable" : "disable");
	jw_init(&j);
	if (c->json)
		jw_array_begin(&j);
	for (int i = 1; i < argc; i++) {
		int r = ctl_call(c, enable ? "EnableRule" : "DisableRule", a, argv[i], NULL, "s",
				 argv[i]);

		if (r && !code)
			code = r;
		if (c->json) {
			jw_object_begin(&j);
			jw_kv_string(&j, "id", argv[i]);
			jw_kv_bool(&j, "ok", r == 0);
			jw_kv_u64(&j, "exit_code", (uint64_t)r);
			jw_object_end(&j);
		}
	}
	if (c->json) {
		jw_array_end(&j);
		if (jw_flush(&j, stdout) < 0 && !code)
			code = ctl_error(EXIT_FAILURE, "cannot write the output");
	}
	jw_free(&j);
	return code;
}

int verb_rules(struct ctl *c, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return ctl_error(EXIT_USAGE, "rules needs a verb: list, show, enable or disable "
				 "(see tracectl rules --help)");
	if (!strcmp(sub, "list"))
		return rules_list(c, argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return rules_show(c, argc - 1, argv + 1);
	if (!strcmp(sub, "enable"))
		return rules_set(c, argc - 1, argv + 1, true);
	if (!strcmp(sub, "disable"))
		return rules_set(c, argc - 1, argv + 1, false);
	{
		char *e = ctl_escape(sub);
		int code = ctl_error(EXIT_USAGE, "unknown rules verb '%s' (see tracectl rules --help)",
				     e ? e : "?");

		free(e);
		return code;
	}
}

int verb_reload(struct ctl *c, int argc, char **argv)
{
	struct jw j;
	int code;

	(void)argv;
	if (argc > 1)
		return ctl_error(EXIT_USAGE, "reload takes no arguments");
	code = ctl_call(c, "Reload", &reload, NULL, NULL, NULL);
	if (code || !c->json)
		return code;
	jw_init(&j);
	jw_object_begin(&j);
	jw_kv_bool(&j, "reloaded", true);
	jw_object_end(&j);
	if (jw_flush(&j, stdout) < 0)
		code = ctl_error(EXIT_FAILURE, "cannot write the output");
	jw_free(&j);
	return code;
}
