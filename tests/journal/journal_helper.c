/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Journal test helper: writes entries with daemon/outputs/journal.c and reads
 * them back with sd_journal, checking every field.  Run by journal_test.py
 * inside a private mount namespace where a standalone systemd-journald owns
 * /run/systemd/journal, so nothing reaches the host's journal.
 *
 *   journal_helper RULES.yaml detection|flood|lost|reload
 * Exit 0 when every check passed, 1 otherwise (each failure printed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <systemd/sd-journal.h>

#include "journal.h"
#include "replay.h"
#include "rule_set.h"

static int failures;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);  \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
			failures++;                                           \
		}                                                             \
	} while (0)

/* The recorded ptrace event of tests/replay/cases/TRC-102, in a container. */
static const char EVENT_JSON[] =
	"{\"timestamp\":1795837472653498351,\"threadStartTime\":1795837472650618330,"
	"\"processorId\":0,\"processId\":3646,\"cgroupId\":1,\"threadId\":3646,"
	"\"parentProcessId\":3645,\"hostProcessId\":3646,\"hostThreadId\":3646,"
	"\"hostParentProcessId\":3645,\"userId\":1000,\"mountNamespace\":4026531832,"
	"\"pidNamespace\":4026531836,\"processName\":\"rt_trigger\","
	"\"executable\":{\"path\":\"/tmp/rt_trigger\"},\"hostName\":\"vm\","
	"\"containerId\":\"0123456789ab\",\"eventId\":\"20\",\"eventName\":\"ptrace\","
	"\"argsNum\":4,\"returnValue\":0,\"syscall\":\"ptrace\",\"args\":["
	"{\"name\":\"request\",\"type\":\"long\",\"value\":\"PTRACE_TRACEME\"},"
	"{\"name\":\"pid\",\"type\":\"pid_t\",\"value\":0},"
	"{\"name\":\"addr\",\"type\":\"void*\",\"value\":\"0x0\"},"
	"{\"name\":\"data\",\"type\":\"void*\",\"value\":\"0x0\"}]}";

/* A command line that tries to forge a field: with sd_journal_send's
 * "FIELD=value" strings, a newline would end the value. */
static const char CMDLINE[] = "rt_trigger traceme\nTRACEED_RULE_ID=FORGED\nPRIORITY=0";

static struct te_journal *journal;
static struct te_ruleset *rs;
static struct te_rule_event re;
static struct te_rule_arena arena;

static void setup(const char *rules_path)
{
	struct te_rl_error err = { 0 };
	struct json_object *obj;
	char msg[256];

	rs = te_ruleset_load(&rules_path, 1, stderr, &err);
	if (!rs) {
		fprintf(stderr, "cannot load %s: %s\n", rules_path, err.msg);
		exit(1);
	}
	obj = json_tokener_parse(EVENT_JSON);
	if (!obj || te_replay_parse(obj, &re, &arena, msg, sizeof(msg)) < 0) {
		fprintf(stderr, "cannot parse the event: %s\n", obj ? msg : "bad JSON");
		exit(1);
	}
	/* replay takes the command line from the process tree; set it here */
	re.cmdline = CMDLINE;
	if (te_journal_new(TE_JOURNAL_DEFAULT_MAX_PER_SEC, &journal) < 0) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	/* obj is kept: re's strings may point into it */
}

static struct te_rule *rule(const char *id)
{
	struct te_rule *r = te_ruleset_find(rs, id);

	if (!r) {
		fprintf(stderr, "no rule %s\n", id);
		exit(1);
	}
	return r;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- reading back ------------------------------------------------------ */

#define MAX_ENTRIES 2048

/* One entry's fields we look at, copied out of the journal. */
struct got {
	char *fields[64];
	size_t n;
};

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->fields[i]);
	g->n = 0;
}

/* The value of @name in @g (NUL-terminated copy of the data), or NULL. */
static const char *got_field(const struct got *g, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < g->n; i++)
		if (!strncmp(g->fields[i], name, nl) && g->fields[i][nl] == '=')
			return g->fields[i] + nl + 1;
	return NULL;
}

/*
 * Read the entries matching @match ("FIELD=value") and @match2 (another
 * field, or NULL), written by traceed, until there are at least
 * @want of them or 5 s passed (journald writes asynchronously).  Returns the
 * number found; entries in @out (up to @max).
 */
static size_t read_entries2(const char *match, const char *match2, size_t want,
			    struct got *out, size_t max)
{
	uint64_t deadline = mono_ns() + 5000000000ULL;
	size_t n = 0;

	for (;;) {
		sd_journal *j;
		int r;

		for (size_t i = 0; i < max; i++)
			got_free(&out[i]);
		n = 0;
		r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY);
		if (r < 0) {
			fprintf(stderr, "sd_journal_open: %s\n", strerror(-r));
			exit(1);
		}
		/* matches on different fields are ANDed; the journal also holds
		 * the kernel's messages, which journald reads from /dev/kmsg */
		sd_journal_add_match(j, "SYSLOG_IDENTIFIER=traceed", 0);
		sd_journal_add_match(j, match, 0);
		if (match2)
			sd_journal_add_match(j, match2, 0);
		SD_JOURNAL_FOREACH(j) {
			const void *d;
			size_t l;

			if (n < max) {
				struct got *g = &out[n];

				sd_journal_restart_data(j);
				while (g->n < 64 && sd_journal_enumerate_data(j, &d, &l) > 0) {
					/* only ours and the standard ones: journald
					 * adds many trusted fields */
					if (!strncmp(d, "TRACEED_", 8) || !strncmp(d, "MESSAGE", 7) ||
					    !strncmp(d, "PRIORITY=", 9) ||
					    !strncmp(d, "SYSLOG_IDENTIFIER=", 18))
						g->fields[g->n++] = strndup(d, l);
				}
			}
			n++;
		}
		sd_journal_close(j);
		if (n >= want || mono_ns() > deadline)
			return n;
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
}

static size_t read_entries(const char *match, size_t want, struct got *out, size_t max)
{
	return read_entries2(match, NULL, want, out, max);
}

static void expect_field(const struct got *g, const char *name, const char *want)
{
	const char *v = got_field(g, name);

	if (!want) {
		CHECK(!v, "%s should be absent, is \"%s\"", name, v);
		return;
	}
	CHECK(v, "%s missing", name);
	if (v)
		CHECK(!strcmp(v, want), "%s is \"%s\", want \"%s\"", name, v, want);
}

/* ---- cases ------------------------------------------------------------- */

static int case_detection(void)
{
	static struct got g[4];
	struct te_rule *r = rule("TEST-1");
	size_t n;
	int ret;

	ret = te_journal_detection(journal, r, &re, 3, NULL, EVENT_JSON, strlen(EVENT_JSON));
	CHECK(ret == 0, "te_journal_detection: %s", strerror(-ret));

	n = read_entries("TRACEED_RULE_ID=TEST-1", 1, g, 4);
	CHECK(n == 1, "%zu entries for TEST-1, want 1", n);
	if (n < 1)
		return 1;
	expect_field(&g[0], "MESSAGE",
		     "TEST-1 Test anti-debugging: rt_trigger (pid 3646) called "
		     "ptrace(PTRACE_TRACEME) (+3 repeats suppressed)");
	expect_field(&g[0], "MESSAGE_ID", TE_JOURNAL_ID_DETECTION);
	expect_field(&g[0], "PRIORITY", "3");
	expect_field(&g[0], "SYSLOG_IDENTIFIER", "traceed");
	expect_field(&g[0], "TRACEED_RULE_ID", "TEST-1");
	expect_field(&g[0], "TRACEED_RULE_NAME", "Test anti-debugging");
	expect_field(&g[0], "TRACEED_SEVERITY", "high");
	expect_field(&g[0], "TRACEED_MITRE", "T1622");
	expect_field(&g[0], "TRACEED_MITRE_TACTIC", "defense-evasion");
	expect_field(&g[0], "TRACEED_PID", "3646");
	expect_field(&g[0], "TRACEED_PPID", "3645");
	expect_field(&g[0], "TRACEED_UID", "1000");
	expect_field(&g[0], "TRACEED_COMM", "rt_trigger");
	expect_field(&g[0], "TRACEED_EXE", "/tmp/rt_trigger");
	expect_field(&g[0], "TRACEED_CMDLINE", CMDLINE);
	expect_field(&g[0], "TRACEED_CONTAINER_ID", "0123456789ab");
	expect_field(&g[0], "TRACEED_EVENT", EVENT_JSON);
	expect_field(&g[0], "TRACEED_SUPPRESSED", "3");
	expect_field(&g[0], "TRACEED_AGGREGATED", NULL);

	/* the newline in the command line did not start fields of its own */
	n = read_entries("TRACEED_RULE_ID=FORGED", 0, g + 1, 3);
	CHECK(n == 0, "the command line forged %zu entries", n);
	n = read_entries2("PRIORITY=0", "MESSAGE_ID=" TE_JOURNAL_ID_DETECTION, 0, g + 1, 3);
	CHECK(n == 0, "the command line forged PRIORITY=0 (%zu entries)", n);

	/* optional fields are left out when unknown: host process, no MITRE */
	re.container_id = "";
	re.exe = "";
	ret = te_journal_detection(journal, rule("TEST-3"), &re, 0, NULL, NULL, 0);
	CHECK(ret == 0, "te_journal_detection: %s", strerror(-ret));
	n = read_entries("TRACEED_RULE_ID=TEST-3", 1, g + 1, 3);
	CHECK(n == 1, "%zu entries for TEST-3, want 1", n);
	if (n == 1) {
		expect_field(&g[1], "PRIORITY", "5");
		expect_field(&g[1], "TRACEED_CONTAINER_ID", NULL);
		expect_field(&g[1], "TRACEED_EXE", NULL);
		expect_field(&g[1], "TRACEED_MITRE", NULL);
		expect_field(&g[1], "TRACEED_MITRE_TACTIC", NULL);
		expect_field(&g[1], "TRACEED_EVENT", NULL);
		expect_field(&g[1], "TRACEED_SUPPRESSED", "0");
	}
	return failures ? 1 : 0;
}

/*
 * Within one second, with the default cap of 100/s: 1,000 detections of
 * TEST-2 (low), then 50 of TEST-3 (low), 20 of TEST-4 (medium) and one of
 * TEST-1 (high), the real detection after the decoy flood.  Written one by
 * one: the first 100 of TEST-2, the first of TEST-3 (every rule's first in
 * a window is), all of TEST-4 and TEST-1 (medium and up are never folded);
 * when the second ends, one "N more" entry for TEST-2 (900) and TEST-3 (49).
 */
static int case_flood(void)
{
	static struct got g[MAX_ENTRIES];
	struct te_rule *a = rule("TEST-2"), *b = rule("TEST-3"), *c = rule("TEST-4"),
		       *h = rule("TEST-1");
	uint64_t start = mono_ns(), took;
	size_t n, single = 0, more = 0, per[5] = { 0 };
	int ret = 0;

	for (unsigned i = 0; i < 1000; i++) {
		re.pid = 10000 + i;
		ret |= te_journal_detection(journal, a, &re, 1, NULL, EVENT_JSON, strlen(EVENT_JSON));
	}
	for (unsigned i = 0; i < 50; i++) {
		re.pid = 20000 + i;
		ret |= te_journal_detection(journal, b, &re, 0, NULL, NULL, 0);
	}
	for (unsigned i = 0; i < 20; i++) {
		re.pid = 25000 + i;
		ret |= te_journal_detection(journal, c, &re, 0, NULL, NULL, 0);
	}
	re.pid = 29999;
	ret |= te_journal_detection(journal, h, &re, 0, NULL, EVENT_JSON, strlen(EVENT_JSON));
	took = mono_ns() - start;
	CHECK(ret == 0, "a detection failed");
	/* the window is one second from the first detection: the test means
	 * nothing if writing took longer */
	if (took >= 900000000ULL) {
		fprintf(stderr, "FAIL: 1,071 detections took %" PRIu64 " ms\n", took / 1000000);
		return 1;
	}
	/* nothing is summarised before the second is over */
	CHECK(te_journal_tick(journal, mono_ns()) == 0, "tick failed");
	n = read_entries("MESSAGE_ID=" TE_JOURNAL_ID_DETECTION, 122, g, MAX_ENTRIES);
	CHECK(n == 122, "%zu entries during the flood, want 100 + 1 + 20 + 1", n);

	struct timespec ts = { 1, 100000000 };
	nanosleep(&ts, NULL);
	CHECK(te_journal_tick(journal, mono_ns()) == 0, "tick failed");

	n = read_entries("MESSAGE_ID=" TE_JOURNAL_ID_DETECTION, 124, g, MAX_ENTRIES);
	CHECK(n == 124, "%zu entries after the flood, want 122 + 2 summaries", n);
	for (size_t i = 0; i < n && i < MAX_ENTRIES; i++) {
		const char *id = got_field(&g[i], "TRACEED_RULE_ID");
		const char *agg = got_field(&g[i], "TRACEED_AGGREGATED");

		if (!agg) {
			single++;
			CHECK(id && !strncmp(id, "TEST-", 5) && id[5] >= '1' && id[5] <= '4' && !id[6],
			      "single entry of %s", id ? id : "(no rule id)");
			if (id && !strncmp(id, "TEST-", 5) && id[5] >= '1' && id[5] <= '4')
				per[id[5] - '0']++;
			continue;
		}
		more++;
		if (id && !strcmp(id, "TEST-2")) {
			expect_field(&g[i], "MESSAGE", "TEST-2 Test flood A: 900 more detections "
						       "like this in the last second");
			expect_field(&g[i], "TRACEED_AGGREGATED", "900");
			expect_field(&g[i], "TRACEED_SUPPRESSED", "900");
			expect_field(&g[i], "PRIORITY", "5");
			expect_field(&g[i], "TRACEED_SEVERITY", "low");
		} else {
			CHECK(id && !strcmp(id, "TEST-3"), "summary for %s", id);
			expect_field(&g[i], "MESSAGE", "TEST-3 Test flood B: 49 more detections "
						       "like this in the last second");
			expect_field(&g[i], "TRACEED_AGGREGATED", "49");
			expect_field(&g[i], "TRACEED_SUPPRESSED", "0");
			expect_field(&g[i], "PRIORITY", "5");
		}
		expect_field(&g[i], "SYSLOG_IDENTIFIER", "traceed");
		expect_field(&g[i], "TRACEED_PID", NULL);
	}
	CHECK(single == 122, "%zu single entries, want 122", single);
	CHECK(per[1] == 1, "%zu entries of TEST-1 (high, after the flood), want 1", per[1]);
	CHECK(per[2] == 100, "%zu entries of TEST-2, want 100", per[2]);
	CHECK(per[3] == 1, "%zu entries of TEST-3, want its first", per[3]);
	CHECK(per[4] == 20, "%zu entries of TEST-4 (medium), want all 20", per[4]);
	CHECK(more == 2, "%zu summaries, want 2", more);

	/* a new window: written again, and a second tick adds nothing */
	re.pid = 30000;
	CHECK(te_journal_detection(journal, a, &re, 0, NULL, NULL, 0) == 0, "detection after flood");
	CHECK(te_journal_tick(journal, mono_ns() + 2000000000ULL) == 0, "tick failed");
	n = read_entries("MESSAGE_ID=" TE_JOURNAL_ID_DETECTION, 125, g, MAX_ENTRIES);
	CHECK(n == 125, "%zu entries after a new window, want 125", n);
	return failures ? 1 : 0;
}

static int case_lost(void)
{
	static struct got g[4];
	size_t n;
	int ret = te_journal_events_lost(journal, 5, 42);

	CHECK(ret == 0, "te_journal_events_lost: %s", strerror(-ret));
	n = read_entries("MESSAGE_ID=" TE_JOURNAL_ID_EVENTS_LOST, 1, g, 4);
	CHECK(n == 1, "%zu events-lost entries, want 1", n);
	if (n == 1) {
		expect_field(&g[0], "MESSAGE",
			     "Lost 5 kernel events (42 since start): the ring buffer was full");
		expect_field(&g[0], "PRIORITY", "4");
		expect_field(&g[0], "SYSLOG_IDENTIFIER", "traceed");
		expect_field(&g[0], "TRACEED_EVENTS_LOST", "5");
		expect_field(&g[0], "TRACEED_EVENTS_LOST_TOTAL", "42");
	}
	return failures ? 1 : 0;
}

static int case_reload(void)
{
	static struct got g[4];
	static const char error[] = "/etc/traceed/rules.d/x.yaml:3:7: unknown field proc.nam\n"
				    "/etc/traceed/rules.d/x.yaml:9:1: duplicate rule id";
	size_t n;
	int ret;

	ret = te_journal_reload(journal, true, 36, NULL);
	CHECK(ret == 0, "te_journal_reload: %s", strerror(-ret));
	ret = te_journal_reload(journal, false, 36, error);
	CHECK(ret == 0, "te_journal_reload: %s", strerror(-ret));

	n = read_entries("MESSAGE_ID=" TE_JOURNAL_ID_RULES_RELOADED, 1, g, 4);
	CHECK(n == 1, "%zu reloaded entries, want 1", n);
	if (n == 1) {
		expect_field(&g[0], "MESSAGE", "Rules reloaded: 36 rules loaded");
		expect_field(&g[0], "PRIORITY", "6");
		expect_field(&g[0], "TRACEED_RULES", "36");
	}
	n = read_entries("MESSAGE_ID=" TE_JOURNAL_ID_RELOAD_FAILED, 1, g, 4);
	CHECK(n == 1, "%zu reload-failed entries, want 1", n);
	if (n == 1) {
		expect_field(&g[0], "MESSAGE",
			     "Rule reload failed, the previous rules stay active: "
			     "/etc/traceed/rules.d/x.yaml:3:7: unknown field proc.nam\n"
			     "/etc/traceed/rules.d/x.yaml:9:1: duplicate rule id");
		expect_field(&g[0], "PRIORITY", "3");
		expect_field(&g[0], "TRACEED_ERROR", error);
		expect_field(&g[0], "TRACEED_RULES", "36");
	}
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s RULES.yaml detection|flood|lost|reload\n", argv[0]);
		return 2;
	}
	setup(argv[1]);
	if (!strcmp(argv[2], "detection"))
		ret = case_detection();
	else if (!strcmp(argv[2], "flood"))
		ret = case_flood();
	else if (!strcmp(argv[2], "lost"))
		ret = case_lost();
	else if (!strcmp(argv[2], "reload"))
		ret = case_reload();
	else {
		fprintf(stderr, "unknown case %s\n", argv[2]);
		return 2;
	}
	te_journal_free(journal);
	te_ruleset_free(rs);
	te_rule_arena_free(&arena);
	return ret;
}
