/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * falcosidekick's payload (what Falco's http_output POSTs to "/"), built
 * from a detection:
 *
 *   {"uuid":"6b9c...","output":"<rendered rule output>","priority":"Error",
 *    "rule":"Anti-Debugging detected","time":"2026-11-28T03:16:45.850406123Z",
 *    "output_fields":{"rule.id":"TRC-102",...},"source":"syscall",
 *    "tags":["anti-debugging","T1622","defense-evasion"],"hostname":"vm"}
 *
 * falcosidekick refuses a payload whose priority, rule or time is empty or
 * whose output_fields is empty (older versions: whose output is empty);
 * rule.id and the process fields are always there, so output_fields never
 * is, and an empty rendered output is replaced by the rule's name.  Field names are Falco's where Falco has
 * one (proc.name, proc.cmdline, user.uid, container.id, evt.name,
 * evt.arg.NAME), so falcosidekick templates and Falco-minded queries work.
 * Numbers stay numbers; evt.time is left out on purpose (a nanosecond
 * count does not survive falcosidekick's float64 decoding; "time" has it).
 */
#include "clock.h"
#include "webhook_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "detection.h"
#include "rule_lang.h"

#define MAX_KEYS (24 + TE_MAX_ARGS)

struct fields {
	struct strbuf *sb;
	const char *keys[MAX_KEYS]; /* emitted so far, for the template's */
	size_t nkeys;
	char argkeys[TE_MAX_ARGS][80];
};

static void key(struct fields *f, const char *k)
{
	if (f->nkeys)
		sb_putc(f->sb, ',');
	if (f->nkeys < MAX_KEYS)
		f->keys[f->nkeys] = k;
	f->nkeys++;
	sb_json_str(f->sb, k, strlen(k));
	sb_putc(f->sb, ':');
}

static void field_str(struct fields *f, const char *k, const char *v)
{
	key(f, k);
	sb_json_str(f->sb, v, strlen(v));
}

static void field_num(struct fields *f, const char *k, int64_t v)
{
	key(f, k);
	sb_printf(f->sb, "%" PRId64, v);
}

static bool have(const struct fields *f, const char *k)
{
	for (size_t i = 0; i < f->nkeys && i < MAX_KEYS; i++)
		if (!strcmp(f->keys[i], k))
			return true;
	return false;
}

/* The template's own fields, rendered as text; ours win on a clash. */
static void tpl_field(void *ctx, const char *k, const char *v)
{
	struct fields *f = ctx;

	if (!have(f, k))
		field_str(f, k, v);
}

static void event_args(struct fields *f, const struct te_rule_event *re)
{
	const struct te_event_desc *d = re->desc;

	for (unsigned i = 0; i < d->nargs && i < TE_MAX_ARGS; i++) {
		const struct te_rv *v = &re->args[i];
		char *k = f->argkeys[i];

		if (v->type == TE_RV_NONE || !d->args[i].name)
			continue;
		snprintf(k, sizeof(f->argkeys[i]), "evt.arg.%s", d->args[i].name);
		if (v->type == TE_RV_NUM) {
			field_num(f, k, v->num);
		} else if (v->type == TE_RV_STR) {
			key(f, k);
			sb_json_str(f->sb, v->str ? v->str : "", v->str ? v->len : 0);
		} else {
			/* argv, envp: items joined by spaces, like proc.cmdline */
			struct strbuf j;
			size_t n = v->str ? v->len : 0;

			while (n && v->str[n - 1] == '\0')
				n--;
			sb_init(&j);
			sb_put(&j, v->str ? v->str : "", n);
			for (size_t c = 0; c < j.len; c++)
				if (j.p[c] == '\0')
					j.p[c] = ' ';
			key(f, k);
			sb_json_str(f->sb, j.p ? j.p : "", j.len);
			sb_free(&j);
		}
	}
}

void te_webhook_falcosidekick_json(struct strbuf *sb, const struct te_rule *rule,
				   const struct te_rule_event *re, uint64_t suppressed,
				   const char *output, const char *hostname, const char *uuid)
{
	struct fields f = { .sb = sb };
	struct strbuf out;

	sb_putc(sb, '{');
	if (uuid) {
		sb_puts(sb, "\"uuid\":");
		sb_json_str(sb, uuid, strlen(uuid));
		sb_putc(sb, ',');
	}
	sb_puts(sb, "\"output\":");
	sb_init(&out);
	if (output)
		sb_puts(&out, output);
	else if (rule->tpl)
		te_tpl_render(rule->tpl, re, &out);
	/* older falcosidekick versions refuse an empty output */
	if (!out.len)
		sb_puts(&out, rule->name && rule->name[0] ? rule->name : rule->id ? rule->id : "traceed");
	sb_json_str(sb, out.p ? out.p : "", out.len);
	sb_free(&out);
	sb_printf(sb, ",\"priority\":\"%s\",\"rule\":", te_severity_priority(rule->severity));
	/* never empty: falcosidekick refuses that */
	if (rule->name && rule->name[0])
		sb_json_str(sb, rule->name, strlen(rule->name));
	else
		sb_json_str(sb, rule->id ? rule->id : "traceed", strlen(rule->id ? rule->id : "traceed"));
	sb_puts(sb, ",\"time\":\"");
	te_format_rfc3339(sb, re->time_ns);
	sb_puts(sb, "\",\"output_fields\":{");

	field_str(&f, "rule.id", rule->id ? rule->id : "");
	field_str(&f, "rule.severity", te_severity_name(rule->severity));
	if (rule->mitre_technique)
		field_str(&f, "mitre.technique", rule->mitre_technique);
	if (rule->mitre_tactic)
		field_str(&f, "mitre.tactic", rule->mitre_tactic);
	if (re->desc) {
		field_str(&f, "evt.name", re->desc->name);
		field_num(&f, "evt.retval", re->retval);
	}
	field_num(&f, "proc.pid", re->pid);
	field_num(&f, "proc.tid", re->tid);
	field_num(&f, "proc.ppid", re->ppid);
	field_str(&f, "proc.name", re->comm ? re->comm : "");
	field_str(&f, "proc.exe", re->exe ? re->exe : "");
	field_str(&f, "proc.cmdline", re->cmdline ? re->cmdline : "");
	field_num(&f, "user.uid", re->uid);
	field_num(&f, "user.gid", re->gid);
	field_str(&f, "container.id",
		  re->container_id && re->container_id[0] ? re->container_id : "host");
	if (suppressed)
		field_num(&f, "traceed.suppressed", (int64_t)suppressed);
	if (re->desc)
		event_args(&f, re);
	if (rule->tpl)
		te_tpl_fields(rule->tpl, re, tpl_field, &f);

	sb_puts(sb, "},\"source\":\"syscall\",\"tags\":[");
	for (size_t i = 0; i < rule->ntags; i++) {
		if (i)
			sb_putc(sb, ',');
		sb_json_str(sb, rule->tags[i], strlen(rule->tags[i]));
	}
	if (rule->mitre_technique) {
		sb_puts(sb, rule->ntags ? "," : "");
		sb_json_str(sb, rule->mitre_technique, strlen(rule->mitre_technique));
	}
	if (rule->mitre_tactic) {
		sb_puts(sb, rule->ntags || rule->mitre_technique ? "," : "");
		sb_json_str(sb, rule->mitre_tactic, strlen(rule->mitre_tactic));
	}
	sb_puts(sb, "],\"hostname\":");
	hostname = hostname && hostname[0] ? hostname : re->hostname ? re->hostname : "";
	sb_json_str(sb, hostname, strlen(hostname));
	sb_putc(sb, '}');
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

void te_webhook_uuid(char out[37], const uint64_t seed[2], uint64_t counter)
{
	uint64_t a = splitmix64(seed[0] ^ counter);
	uint64_t b = splitmix64(seed[1] + counter * 0xD1B54A32D192ED03ull);
	unsigned char u[16];

	for (int i = 0; i < 8; i++) {
		u[i] = (unsigned char)(a >> (8 * i));
		u[8 + i] = (unsigned char)(b >> (8 * i));
	}
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
		 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
		 u[14], u[15]);
}

int te_webhook_test_detection_init(struct te_webhook_test_detection *t, const char *hostname)
{
	static const struct te_src_loc loc = { .file = "<test detection>", .line = 1, .col = 1 };
	struct te_rl_error err;

	memset(t, 0, sizeof(*t));
	t->rule.tpl = te_tpl_compile("This is a test from traceed", &loc, &err);
	if (!t->rule.tpl)
		return -ENOMEM;
	t->rule.id = (char *)"TRD-TEST";
	t->rule.name = (char *)"Test rule";
	t->rule.description = (char *)"A test detection sent on request (tracectl, D-Bus TestOutputs)";
	t->rule.output = (char *)"This is a test from traceed";
	t->rule.severity = TE_SEV_INFO;
	t->tags[0] = (char *)"test";
	t->rule.tags = t->tags;
	t->rule.ntags = 1;
	t->rule.enabled = true;

	snprintf(t->comm, sizeof(t->comm), "traceed");
	t->re.time_ns = te_now_ns(CLOCK_REALTIME);
	t->re.pid = t->re.tid = (uint32_t)getpid();
	t->re.ppid = (uint32_t)getppid();
	t->re.uid = (uint32_t)getuid();
	t->re.gid = (uint32_t)getgid();
	t->re.comm = t->comm;
	t->re.exe = "";
	t->re.cmdline = "";
	t->re.container_id = "";
	t->re.hostname = hostname ? hostname : "";
	return 0;
}

void te_webhook_test_detection_fini(struct te_webhook_test_detection *t)
{
	te_tpl_free(t->rule.tpl);
	t->rule.tpl = NULL;
}
