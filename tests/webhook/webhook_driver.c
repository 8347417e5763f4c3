/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drives daemon/webhook*.c without BPF, for webhook_test.py and
 * bench/webhook-bench.sh:
 *
 *   webhook_driver CONFIG.yaml SPOOL_DIR RULES.yaml
 *
 * Loads CONFIG with TE_CONFIG_ALLOW_WEBHOOKS, starts the outputs
 * (te_webhooks_new; $TRACEED_WEBHOOK_URL counts), then reads commands on
 * stdin, one per line, and answers on stdout (one line each, flushed):
 *
 *   submit RULE-ID COUNT START [INTERVAL_US]
 *       COUNT detections of RULE-ID, the n-th with proc.cmdline "seq=START+n";
 *       each te_webhooks_submit() call is timed:
 *       -> "submitted COUNT max_us=X p50_us=X p99_us=X total_us=X"
 *   test              -> "test N"  (te_webhooks_test)
 *   stats             -> "stats NAME KIND URL queued delivered retried rejected dropped"
 *                        for each output, then "end"
 *   wait N TIMEOUT_MS -> waits until every output settled N detections
 *                        (delivered + rejected + dropped >= N):
 *                        "settled MS" or "timeout"
 *   quit              -> te_webhooks_free, "freed MS", exit 0
 *
 * Start-up: "ready N" (N outputs), or "error: MESSAGE" and exit 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "detection.h"
#include "replay.h"
#include "rule_set.h"
#include "webhook.h"

/* A recorded ptrace event (tests/replay/cases/TRC-102). */
static const char EVENT_JSON[] =
	"{\"timestamp\":1795837472653498351,\"threadStartTime\":1795837472650618330,"
	"\"processorId\":0,\"processId\":3646,\"cgroupId\":1,\"threadId\":3646,"
	"\"parentProcessId\":3645,\"hostProcessId\":3646,\"hostThreadId\":3646,"
	"\"hostParentProcessId\":3645,\"userId\":1000,\"mountNamespace\":4026531832,"
	"\"pidNamespace\":4026531836,\"processName\":\"rt_trigger\","
	"\"executable\":{\"path\":\"/tmp/rt_trigger\"},\"hostName\":\"vm\","
	"\"containerId\":\"\",\"eventId\":\"20\",\"eventName\":\"ptrace\","
	"\"argsNum\":4,\"returnValue\":0,\"syscall\":\"ptrace\",\"args\":["
	"{\"name\":\"request\",\"type\":\"long\",\"value\":\"PTRACE_TRACEME\"},"
	"{\"name\":\"pid\",\"type\":\"pid_t\",\"value\":0},"
	"{\"name\":\"addr\",\"type\":\"void*\",\"value\":\"0x0\"},"
	"{\"name\":\"data\",\"type\":\"void*\",\"value\":\"0x0\"}]}";

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void print_stats(struct te_webhooks *w)
{
	for (size_t i = 0; i < te_webhooks_count(w); i++) {
		struct te_webhook_stats st;

		te_webhooks_stats(w, i, &st);
		printf("stats %s %s %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		       st.name, st.kind, st.url, st.queued, st.delivered, st.retried, st.rejected,
		       st.dropped);
	}
	printf("end\n");
}

static bool settled(struct te_webhooks *w, uint64_t n)
{
	for (size_t i = 0; i < te_webhooks_count(w); i++) {
		struct te_webhook_stats st;

		te_webhooks_stats(w, i, &st);
		if (st.delivered + st.rejected + st.dropped < n)
			return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct te_config cfg;
	struct te_webhooks *w = NULL;
	struct te_ruleset *rs;
	struct te_rl_error rerr = { 0 };
	struct te_rule_event re;
	struct te_rule_arena *arena;
	struct json_object *obj;
	struct strbuf det;
	char err[1024], line[256];
	int r;

	if (argc != 4) {
		fprintf(stderr, "usage: %s CONFIG.yaml SPOOL_DIR RULES.yaml\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = te_config_load_flags(argv[1], TE_CONFIG_ALLOW_WEBHOOKS, &cfg, err, sizeof(err));
	if (r < 0) {
		printf("error: %s\n", err);
		return 2;
	}
	r = te_webhooks_new(cfg.path, cfg.outputs.webhooks, cfg.outputs.nwebhooks, argv[2], "driverhost", &w, err, sizeof(err));
	if (r < 0) {
		printf("error: %s\n", err);
		te_config_free(&cfg);
		return 2;
	}
	rs = te_ruleset_load((const char *const *)&argv[3], 1, stderr, &rerr);
	arena = calloc(1, sizeof(*arena));
	obj = json_tokener_parse(EVENT_JSON);
	if (!rs || !arena || !obj || te_replay_parse(obj, &re, arena, err, sizeof(err)) < 0) {
		printf("error: cannot set up the detection: %s\n", rs ? err : rerr.msg);
		return 2;
	}
	sb_init(&det);
	printf("ready %zu\n", te_webhooks_count(w));

	while (fgets(line, sizeof(line), stdin)) {
		char id[64];
		unsigned long long count, start, interval = 0, n, timeout;

		if (sscanf(line, "submit %63s %llu %llu %llu", id, &count, &start, &interval) >= 3) {
			struct te_rule *rule = te_ruleset_find(rs, id);
			uint64_t *lat = calloc(count ? count : 1, sizeof(*lat)), total = 0, t0;
			char cmd[64];

			if (!rule || !lat) {
				printf("error: no rule %s\n", id);
				free(lat);
				continue;
			}
			for (uint64_t i = 0; i < count; i++) {
				snprintf(cmd, sizeof(cmd), "seq=%llu", start + i);
				re.cmdline = cmd;
				re.time_ns = wall_ns();
				/* what the daemon does for a detection: its JSON, then
				 * every output; only the webhook part is timed */
				sb_reset(&det);
				te_detection_json(&det, rule, &re, 0, NULL, EVENT_JSON, strlen(EVENT_JSON));
				t0 = mono_ns();
				te_webhooks_submit(w, rule, &re, 0, NULL, det.p, det.len);
				lat[i] = mono_ns() - t0;
				total += lat[i];
				if (interval)
					usleep((useconds_t)interval);
			}
			qsort(lat, count, sizeof(*lat), cmp_u64);
			printf("submitted %llu max_us=%.1f p50_us=%.1f p99_us=%.1f total_us=%.1f\n",
			       count, count ? lat[count - 1] / 1e3 : 0.0,
			       count ? lat[count / 2] / 1e3 : 0.0,
			       count ? lat[count * 99 / 100] / 1e3 : 0.0, total / 1e3);
			free(lat);
		} else if (!strncmp(line, "test", 4)) {
			printf("test %u\n", te_webhooks_test(w));
		} else if (!strncmp(line, "stats", 5)) {
			print_stats(w);
		} else if (sscanf(line, "wait %llu %llu", &n, &timeout) == 2) {
			uint64_t t0 = mono_ns();

			while (!settled(w, n) && mono_ns() - t0 < timeout * 1000000ull)
				usleep(2000);
			if (settled(w, n))
				printf("settled %.1f\n", (mono_ns() - t0) / 1e6);
			else
				printf("timeout\n");
		} else if (!strncmp(line, "quit", 4)) {
			break;
		} else {
			printf("error: unknown command %s", line);
		}
	}
	{
		uint64_t t0 = mono_ns();

		te_webhooks_free(w);
		printf("freed %.1f\n", (mono_ns() - t0) / 1e6);
	}
	sb_free(&det);
	te_ruleset_free(rs);
	json_object_put(obj);
	te_rule_arena_free(arena);
	free(arena);
	te_config_free(&cfg);
	return 0;
}
