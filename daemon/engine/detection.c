/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "detection.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * De-duplication table: open addressing over (rule, pid, fingerprint),
 * fixed size.  A slot whose window has passed is free to reuse (its held
 * repeat released first), and when the probe sequence is full the oldest
 * slot in it is taken over the same way: the table never grows, and losing
 * a slot only means a repeat is reported sooner — never that one is lost.
 */
#define DEDUP_SLOTS 4096
#define DEDUP_PROBE 8

struct dedup_slot {
	const struct te_rule *rule;
	uint32_t pid;
	uint64_t fp;
	uint64_t first_ns;    /* emission that opened the window */
	uint64_t repeats;     /* held back since */
	void *held;           /* the last of them (the engine's copy), or NULL */
};

struct te_detector {
	uint64_t window_ns;
	uint64_t suppressed_total;
	te_held_release_fn release;
	void *ctx;
	struct dedup_slot slots[DEDUP_SLOTS];
};

struct te_detector *te_detector_new(uint64_t window_ns, te_held_release_fn release, void *ctx)
{
	struct te_detector *d = calloc(1, sizeof(*d));

	if (d) {
		d->window_ns = window_ns;
		d->release = release;
		d->ctx = ctx;
	}
	return d;
}

/* Report the slot's held repeat (if any) and close its window. */
static void slot_release(struct te_detector *d, struct dedup_slot *s)
{
	void *held = s->held;
	uint64_t folded = s->repeats ? s->repeats - 1 : 0;

	s->held = NULL;
	s->repeats = 0;
	if (held)
		d->release(d->ctx, held, folded);
}

void te_detector_free(struct te_detector *d)
{
	if (!d)
		return;
	te_detector_flush(d, 0, true);
	free(d);
}

uint64_t te_detector_window_ns(const struct te_detector *d)
{
	return d->window_ns;
}

uint64_t te_detector_suppressed_total(const struct te_detector *d)
{
	return d->suppressed_total;
}

static bool window_open(const struct te_detector *d, const struct dedup_slot *s, uint64_t now_ns)
{
	return now_ns >= s->first_ns && now_ns - s->first_ns < d->window_ns;
}

void te_detector_flush(struct te_detector *d, uint64_t now_ns, bool all)
{
	for (size_t i = 0; i < DEDUP_SLOTS; i++) {
		struct dedup_slot *s = &d->slots[i];

		if (s->held && (all || !window_open(d, s, now_ns)))
			slot_release(d, s);
	}
}

static size_t slot_hash(const struct te_rule *rule, uint32_t pid, uint64_t fp)
{
	uint64_t h = (uint64_t)(uintptr_t)rule * 0x9E3779B97F4A7C15ull ^ pid * 0xC2B2AE3D27D4EB4Full ^
		     fp;

	h ^= h >> 29;
	return (size_t)(h * 0xBF58476D1CE4E5B9ull >> 32) % DEDUP_SLOTS;
}

bool te_detector_admit(struct te_detector *d, const struct te_rule *rule, uint32_t pid,
		       uint64_t fp, uint64_t now_ns, void ***held)
{
	size_t h = slot_hash(rule, pid, fp);
	struct dedup_slot *victim = NULL;

	*held = NULL;
	if (d->window_ns == 0)
		return true;
	for (size_t i = 0; i < DEDUP_PROBE; i++) {
		struct dedup_slot *s = &d->slots[(h + i) % DEDUP_SLOTS];

		if (s->rule == rule && s->pid == pid && s->fp == fp) {
			if (window_open(d, s, now_ns)) {
				s->repeats++;
				d->suppressed_total++;
				*held = &s->held;
				return false;
			}
			/* window over: what it held is reported first, then this */
			slot_release(d, s);
			s->first_ns = now_ns;
			return true;
		}
		if (!victim || !s->rule || s->first_ns < victim->first_ns)
			victim = s;
	}
	slot_release(d, victim);
	victim->rule = rule;
	victim->pid = pid;
	victim->fp = fp;
	victim->first_ns = now_ns;
	return true;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t te_detection_fingerprint(const struct te_rule_event *re)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv(h, re->exe, strlen(re->exe) + 1);
	if (!re->desc)
		return h;
	for (size_t i = 0; i < re->desc->nargs && i < TE_MAX_ARGS; i++) {
		const struct te_rv *v = &re->args[i];
		uint8_t fmt = re->desc->args[i].fmt;

		if (fmt == TE_FMT_UINT || fmt == TE_FMT_HEX)
			continue;
		h = fnv(h, &i, sizeof(i));
		switch (v->type) {
		case TE_RV_NUM:
			h = fnv(h, &v->num, sizeof(v->num));
			break;
		case TE_RV_STR:
		case TE_RV_LIST:
			h = fnv(h, v->str, v->len);
			break;
		case TE_RV_NONE:
			break;
		}
	}
	return h;
}

void te_format_rfc3339(struct strbuf *sb, uint64_t wall_ns)
{
	time_t secs = (time_t)(wall_ns / 1000000000ull);
	struct tm tm;
	char buf[32];

	gmtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	sb_printf(sb, "%s.%09" PRIu64 "Z", buf, (uint64_t)(wall_ns % 1000000000u));
}

static void json_str_or_null(struct strbuf *sb, const char *s)
{
	if (s)
		sb_json_str(sb, s, strlen(s));
	else
		sb_puts(sb, "null");
}

struct fields_ctx {
	struct strbuf *sb;
	bool first;
};

static void put_field(void *ctx, const char *field, const char *value)
{
	struct fields_ctx *c = ctx;

	if (!c->first)
		sb_putc(c->sb, ',');
	c->first = false;
	sb_json_str(c->sb, field, strlen(field));
	sb_putc(c->sb, ':');
	sb_json_str(c->sb, value, strlen(value));
}

/* @output, or the rule's output rendered into @tmp when it is NULL */
static const char *rendered(const struct te_rule *rule, const struct te_rule_event *re,
			    const char *output, struct strbuf *tmp)
{
	if (output)
		return output;
	te_tpl_render(rule->tpl, re, tmp);
	return sb_str(tmp);
}

void te_detection_json(struct strbuf *sb, const struct te_rule *rule,
		       const struct te_rule_event *re, uint64_t suppressed, const char *output,
		       const char *event_json, size_t event_len)
{
	struct strbuf out;
	struct fields_ctx fc = { .sb = sb, .first = true };

	sb_puts(sb, "{\"time\":\"");
	te_format_rfc3339(sb, re->time_ns);
	sb_puts(sb, "\",\"rule_id\":");
	json_str_or_null(sb, rule->id);
	sb_puts(sb, ",\"rule_name\":");
	json_str_or_null(sb, rule->name);
	sb_printf(sb, ",\"severity\":\"%s\",\"priority\":\"%s\",\"mitre\":{\"technique\":",
		  te_severity_name(rule->severity), te_severity_priority(rule->severity));
	json_str_or_null(sb, rule->mitre_technique);
	sb_puts(sb, ",\"tactic\":");
	json_str_or_null(sb, rule->mitre_tactic);
	sb_puts(sb, "},\"tags\":[");
	for (size_t i = 0; i < rule->ntags; i++) {
		if (i)
			sb_putc(sb, ',');
		json_str_or_null(sb, rule->tags[i]);
	}
	sb_puts(sb, "],\"output\":");
	sb_init(&out);
	output = rendered(rule, re, output, &out);
	sb_json_str(sb, output, strlen(output));
	sb_free(&out);
	sb_puts(sb, ",\"output_fields\":{");
	te_tpl_fields(rule->tpl, re, put_field, &fc);
	sb_printf(sb, "},\"suppressed\":%" PRIu64 ",\"hostname\":", suppressed);
	json_str_or_null(sb, re->hostname);
	sb_puts(sb, ",\"event\":");
	if (event_json && event_len)
		sb_put(sb, event_json, event_len);
	else
		sb_puts(sb, "null");
	sb_putc(sb, '}');
}

void te_detection_text(struct strbuf *sb, const struct te_rule *rule,
		       const struct te_rule_event *re, uint64_t suppressed, const char *output)
{
	struct strbuf out;
	size_t start;

	te_format_rfc3339(sb, re->time_ns);

	sb_printf(sb, " %-8s %-9s %s: ", te_severity_name(rule->severity), rule->id, rule->name);
	sb_init(&out);
	start = sb->len;
	sb_puts(sb, rendered(rule, re, output, &out));
	/* the output holds the process's own words (comm, argv, paths) */
	te_utf8_sanitize_terminal(sb->p + start, sb->len - start);
	sb_free(&out);
	if (suppressed)
		sb_printf(sb, " (+%" PRIu64 " repeats suppressed)", suppressed);
	sb_putc(sb, '\n');
}
