/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Webhook sender, the parts that need no network: the configuration of
 * outputs (every error with its FILE:LINE:COL), the falcosidekick payload
 * (parsed back with json-c, an independent parser, and checked the way
 * falcosidekick checks it) and the spool.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "config.h"
#include "detection.h"
#include "replay.h"
#include "rule_set.h"
#include "webhook.h"
#include "webhook_internal.h"

/* ---- helpers ------------------------------------------------------------- */

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test_webhook.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static char *tmp_dir(void)
{
	char *d = strdup("/tmp/test_webhook_dir.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * Parse @yaml as a configuration file and its webhooks: returns the result
 * of te_webhook_opts_parse, with the error in @err where the file's name
 * is replaced by "F".
 */
static int parse(const char *yaml, const char *env, struct te_webhook_opts **o, size_t *n,
		 char *err, size_t errlen)
{
	struct te_config c;
	char *path = write_tmp(yaml), e[1024];
	int r;

	r = te_config_load_flags(path, TE_CONFIG_ALLOW_WEBHOOKS, &c, e, sizeof(e));
	if (r < 0)
		print_error("config: %s\n", e);
	assert_int_equal(r, 0);
	r = te_webhook_opts_parse(c.path, c.outputs.webhooks, c.outputs.nwebhooks, env, o, n, e, sizeof(e));
	if (r < 0) {
		size_t pl = strlen(path);

		if (!strncmp(e, path, pl))
			snprintf(err, errlen, "F%s", e + pl);
		else
			snprintf(err, errlen, "%s", e);
	}
	te_config_free(&c);
	unlink(path);
	free(path);
	return r;
}

#define HEAD "outputs:\n  webhooks:\n"

static void bad(const char *yaml, const char *want)
{
	struct te_webhook_opts *o = NULL;
	size_t n = 0;
	char err[1024] = "";

	if (parse(yaml, NULL, &o, &n, err, sizeof(err)) != -EINVAL) {
		print_error("accepted:\n%s\n", yaml);
		fail();
	}
	if (strcmp(err, want)) {
		print_error("for:\n%s\ngot:  %s\nwant: %s\n", yaml, err, want);
		fail();
	}
	assert_null(o);
}

/* ---- configuration ------------------------------------------------------- */

static void test_config_errors(void **state)
{
	(void)state;
	bad(HEAD "    - url: http://127.0.0.1:2801/\n      bogus: 1\n",
	    "F:4:14: outputs.webhooks[0]: unknown key 'bogus'");
	bad(HEAD "    - name: x\n", "F:3:7: outputs.webhooks[0]: url is missing");
	bad(HEAD "    - url: ftp://127.0.0.1/\n",
	    "F:3:12: outputs.webhooks[0].url: 'ftp://127.0.0.1/': only http:// and https:// URLs "
	    "are supported");
	bad(HEAD "    - url: \"http://127.0.0.1/\\r\\nX-Injected: 1\"\n",
	    "F:3:12: outputs.webhooks[0].url: 'http://127.0.0.1/??X-Injected: 1': contains a space "
	    "or control character");
	bad(HEAD "    - url: \"http://\"\n",
	    "F:3:12: outputs.webhooks[0].url: 'http://': not a valid URL (No host part in "
	    "the URL)");
	/* a password is never echoed back */
	bad(HEAD "    - url: ftp://user:secret@127.0.0.1/\n",
	    "F:3:12: outputs.webhooks[0].url: only http:// and https:// URLs are supported");
	bad(HEAD "    - url: http://127.0.0.1/\n      headers:\n        X-Token: \"a\\r\\nHost: evil\"\n",
	    "F:5:18: outputs.webhooks[0].headers.X-Token: the value contains a control character "
	    "(CR, LF, ...)");
	bad(HEAD "    - url: http://127.0.0.1/\n      headers:\n        \"Bad Name\": x\n",
	    "F:5:21: outputs.webhooks[0].headers: 'Bad Name' is not a valid header name");
	bad(HEAD "    - url: http://127.0.0.1/\n      headers:\n        Content-Length: \"5\"\n",
	    "F:5:25: outputs.webhooks[0].headers.Content-Length: this header cannot be set");
	bad(HEAD "    - url: http://127.0.0.1/\n      headers: x\n",
	    "F:4:16: outputs.webhooks[0].headers: expected a mapping of header names to values, "
	    "found 'x'");
	bad(HEAD "    - url: http://127.0.0.1/\n      timeout: 5s\n",
	    "F:4:16: outputs.webhooks[0].timeout: '5s' is not a number of seconds");
	bad(HEAD "    - url: http://127.0.0.1/\n      timeout: 0\n",
	    "F:4:16: outputs.webhooks[0].timeout: 0 is out of range (1 to 3600 seconds)");
	bad(HEAD "    - url: http://127.0.0.1/\n      kind: slack\n",
	    "F:4:13: outputs.webhooks[0].kind: 'slack' is not a kind (falcosidekick, webhook)");
	bad(HEAD "    - url: http://127.0.0.1/\n      method: PUT\n",
	    "F:4:15: outputs.webhooks[0].method: kind falcosidekick accepts POST only");
	bad(HEAD "    - url: http://127.0.0.1/\n      kind: webhook\n      method: GET\n",
	    "F:5:15: outputs.webhooks[0].method: 'GET' is not a method (POST, PUT)");
	bad(HEAD "    - url: http://127.0.0.1/\n      min_severity: urgent\n",
	    "F:4:21: outputs.webhooks[0].min_severity: 'urgent' is not a severity (info, low, "
	    "medium, high, critical)");
	bad(HEAD "    - url: http://127.0.0.1/\n      checkcert: yes\n",
	    "F:4:18: outputs.webhooks[0].checkcert: expected true or false, found 'yes'");
	bad(HEAD "    - url: http://127.0.0.1/\n      ca_file: ca.pem\n",
	    "F:4:16: outputs.webhooks[0].ca_file: 'ca.pem' is not an absolute path");
	bad(HEAD "    - url: http://127.0.0.1/\n      ca_file: /nonexistent/ca.pem\n",
	    "F:4:16: outputs.webhooks[0].ca_file: /nonexistent/ca.pem: No such file or directory");
	bad(HEAD "    - url: http://127.0.0.1/\n      client_key: /etc/hostname\n",
	    "F:4:19: outputs.webhooks[0].client_key: client_key needs client_cert");
	bad(HEAD "    - url: http://127.0.0.1/\n      name: ../etc\n",
	    "F:4:13: outputs.webhooks[0].name: '../etc' is not a valid name (1 to 64 of A-Z a-z "
	    "0-9 - _ ., not starting with '.')");
	bad(HEAD "    - url: http://127.0.0.1/\n      spool_max_mib: 0\n",
	    "F:4:22: outputs.webhooks[0].spool_max_mib: 0 is out of range (1 to 65536 MiB)");
	bad(HEAD "    - url: http://127.0.0.1/\n      url2: x\n",
	    "F:4:13: outputs.webhooks[0]: unknown key 'url2'");
	bad(HEAD "    - url: http://127.0.0.1/\n      name: a\n"
		 "    - url: http://127.0.0.1/\n      name: a\n",
	    "F:6:13: outputs.webhooks[1].name: 'a' is already the name of outputs.webhooks[0] "
	    "(line 3); each output needs its own (it names its spool)");
	/* the second entry's default name is webhook-2 */
	bad(HEAD "    - url: http://127.0.0.1/\n    - url: http://127.0.0.1/\n      name: webhook-1\n",
	    "F:5:13: outputs.webhooks[1].name: 'webhook-1' is already the name of "
	    "outputs.webhooks[0] (line 3); each output needs its own (it names its spool)");
}

static void test_config_env(void **state)
{
	struct te_webhook_opts *o = NULL;
	size_t n = 0;
	char err[1024] = "";

	(void)state;
	assert_int_equal(parse("outputs:\n  journal: true\n", "ftp://x/", &o, &n, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "TRACEED_WEBHOOK_URL: only http:// and https:// URLs are supported");
	assert_int_equal(parse(HEAD "    - url: http://127.0.0.1/\n      name: env\n",
			       "http://127.0.0.1:2801/", &o, &n, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "TRACEED_WEBHOOK_URL: adds an output named \"env\""));
	/* alone: one falcosidekick output with the defaults */
	assert_int_equal(parse("", "http://127.0.0.1:2801/", &o, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(o[0].name, "env");
	assert_int_equal(o[0].kind, TE_WEBHOOK_FALCOSIDEKICK);
	assert_string_equal(o[0].url, "http://127.0.0.1:2801/");
	te_webhook_opts_free(o, n);
	/* empty: none */
	assert_int_equal(parse("", "", &o, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_null(o);
}

static void test_config_full(void **state)
{
	struct te_webhook_opts *o = NULL;
	size_t n = 0;
	char err[1024] = "";

	(void)state;
	assert_int_equal(
		parse(HEAD "    - url: http://127.0.0.1:2801/\n"
			   "    - name: siem\n"
			   "      kind: webhook\n"
			   "      url: https://user:pw@siem.example:8443/in/traceed?token=abc#x\n"
			   "      method: PUT\n"
			   "      headers:\n"
			   "        Authorization: Bearer abc\n"
			   "        X-Env: \"prod\\tA\"\n"
			   "      min_severity: high\n"
			   "      timeout: 3\n"
			   "      checkcert: false\n"
			   "      ca_file: /etc/hostname\n"
			   "      client_cert: /etc/hostname\n"
			   "      client_key: /etc/hostname\n"
			   "      spool_max_mib: 8\n"
			   "      max_backoff: 5\n",
		      NULL, &o, &n, err, sizeof(err)),
		0);
	assert_int_equal(n, 2);
	/* defaults */
	assert_string_equal(o[0].name, "webhook-1");
	assert_int_equal(o[0].kind, TE_WEBHOOK_FALCOSIDEKICK);
	assert_string_equal(o[0].url_public, "http://127.0.0.1:2801/");
	assert_int_equal(o[0].nheaders, 0);
	assert_int_equal(o[0].min_severity, TE_SEV_INFO);
	assert_int_equal(o[0].timeout_s, TE_WEBHOOK_DEFAULT_TIMEOUT_S);
	assert_false(o[0].put);
	assert_true(o[0].checkcert);
	assert_null(o[0].ca_file);
	assert_int_equal(o[0].spool_max_mib, TE_WEBHOOK_DEFAULT_SPOOL_MIB);
	assert_int_equal(o[0].max_backoff_s, TE_WEBHOOK_DEFAULT_MAX_BACKOFF_S);
	/* every key */
	assert_string_equal(o[1].name, "siem");
	assert_int_equal(o[1].kind, TE_WEBHOOK_PLAIN);
	assert_string_equal(o[1].url, "https://user:pw@siem.example:8443/in/traceed?token=abc#x");
	assert_string_equal(o[1].url_public, "https://siem.example:8443/in/traceed");
	assert_true(o[1].put);
	assert_int_equal(o[1].nheaders, 2);
	assert_string_equal(o[1].headers[0], "Authorization: Bearer abc");
	assert_string_equal(o[1].headers[1], "X-Env: prod\tA");
	assert_int_equal(o[1].min_severity, TE_SEV_HIGH);
	assert_int_equal(o[1].timeout_s, 3);
	assert_false(o[1].checkcert);
	assert_string_equal(o[1].ca_file, "/etc/hostname");
	assert_string_equal(o[1].client_cert, "/etc/hostname");
	assert_string_equal(o[1].client_key, "/etc/hostname");
	assert_int_equal(o[1].spool_max_mib, 8);
	assert_int_equal(o[1].max_backoff_s, 5);
	te_webhook_opts_free(o, n);
}

/* te_webhooks_new: nothing configured is no error and no object; an
 * unusable spool directory is an error before anything starts. */
static void test_new(void **state)
{
	struct te_config c;
	struct te_webhooks *w = (void *)1;
	char err[512], *path;

	(void)state;
	unsetenv(TE_WEBHOOK_ENV_URL);
	assert_int_equal(te_config_defaults(&c), 0);
	assert_int_equal(te_webhooks_new(c.path, c.outputs.webhooks, c.outputs.nwebhooks, "/nonexistent/spool", "h", &w, err, sizeof(err)), 0);
	assert_null(w);
	te_config_free(&c);

	path = write_tmp(HEAD "    - url: http://127.0.0.1:9/\n");
	assert_int_equal(te_config_load_flags(path, TE_CONFIG_ALLOW_WEBHOOKS, &c, err, sizeof(err)),
			 0);
	assert_true(te_webhooks_new(c.path, c.outputs.webhooks, c.outputs.nwebhooks, "/proc/traceed-spool", "h", &w, err, sizeof(err)) < 0);
	assert_null(w);
	assert_non_null(strstr(err, "/proc/traceed-spool"));
	te_config_free(&c);
	unlink(path);
	free(path);
}

/* ---- payload ------------------------------------------------------------- */

static const char EVENT_JSON[] =
	"{\"timestamp\":1795837472653498351,\"processId\":3646,\"threadId\":3646,"
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

struct fixture {
	struct te_ruleset *rs;
	struct te_rule_event re;
	struct te_rule_arena arena;
	struct json_object *ev;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct te_rl_error rerr = { 0 };
	char path[PATH_MAX], msg[256];
	const char *p = path, *dir = getenv("TEST_DATA_DIR");

	snprintf(path, sizeof(path), "%s/rules.yaml", dir ? dir : "tests/webhook");
	f->rs = te_ruleset_load(&p, 1, stderr, &rerr);
	if (!f->rs) {
		print_error("%s: %s\n", path, rerr.msg);
		return -1;
	}
	f->ev = json_tokener_parse(EVENT_JSON);
	if (!f->ev || te_replay_parse(f->ev, &f->re, &f->arena, msg, sizeof(msg)) < 0) {
		print_error("event: %s\n", msg);
		return -1;
	}
	/* quotes, backslash, a newline and a non-UTF-8 byte (sb_json_str
	 * keeps it as U+00FF: valid JSON either way) */
	f->re.cmdline = "rt_trigger \"a\\b\"\n\xff";
	f->re.time_ns = 1795837472653498351ull;
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	te_ruleset_free(f->rs);
	json_object_put(f->ev);
	te_rule_arena_free(&f->arena);
	free(f);
	return 0;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
		print_error("no string %s in %s\n", key, json_object_to_json_string(o));
		fail();
	}
	return json_object_get_string(v);
}

static void assert_rfc3339_ns(const char *t)
{
	regex_t re;

	assert_int_equal(regcomp(&re,
				 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	if (regexec(&re, t, 0, NULL, 0)) {
		print_error("time '%s' is not RFC 3339 UTC with nanoseconds\n", t);
		fail();
	}
	regfree(&re);
}

/* What falcosidekick's FalcoPayload.Check() requires, plus the schema. */
static struct json_object *check_falcosidekick(const char *json, size_t len)
{
	static const char *const prios[] = { "Emergency", "Alert",  "Critical",	     "Error",
					     "Warning",	  "Notice", "Informational", "Debug" };
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o, *fields, *tags;
	const char *prio;
	bool ok = false;

	o = json_tokener_parse_ex(tok, json, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success) {
		print_error("not JSON: %.*s\n", (int)len, json);
		fail();
	}
	json_tokener_free(tok);
	prio = get_str(o, "priority");
	for (size_t i = 0; i < 8; i++)
		ok |= !strcmp(prio, prios[i]);
	assert_true(ok);
	assert_true(get_str(o, "rule")[0]);
	assert_rfc3339_ns(get_str(o, "time"));
	get_str(o, "output");
	assert_string_equal(get_str(o, "source"), "syscall");
	assert_true(json_object_object_get_ex(o, "output_fields", &fields));
	assert_true(json_object_is_type(fields, json_type_object));
	assert_true(json_object_object_length(fields) > 0);
	assert_true(json_object_object_get_ex(o, "tags", &tags));
	assert_true(json_object_is_type(tags, json_type_array));
	/* nothing else: exactly falcosidekick's FalcoPayload */
	json_object_object_foreach(o, k, v) {
		static const char *const known[] = { "uuid",	      "output", "priority",
						     "rule",	      "time",	"output_fields",
						     "source",	      "tags",	"hostname" };
		bool found = false;

		(void)v;
		for (size_t i = 0; i < 9; i++)
			found |= !strcmp(k, known[i]);
		if (!found) {
			print_error("unexpected key %s\n", k);
			fail();
		}
	}
	return o;
}

static void test_payload(void **state)
{
	struct fixture *f = *state;
	struct te_rule *rule = te_ruleset_find(f->rs, "TEST-WH-1");
	struct json_object *o, *fields, *v, *tags;
	struct strbuf sb, want;
	uint64_t seed[2] = { 1, 2 };
	char uuid[37];
	regex_t re;

	assert_non_null(rule);
	sb_init(&sb);
	te_webhook_uuid(uuid, seed, 7);
	te_webhook_falcosidekick_json(&sb, rule, &f->re, 3, NULL, "myhost", uuid);
	o = check_falcosidekick(sb.p, sb.len);

	assert_string_equal(get_str(o, "uuid"), uuid);
	assert_int_equal(regcomp(&re, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
				      "[0-9a-f]{12}$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	assert_int_equal(regexec(&re, uuid, 0, NULL, 0), 0);
	regfree(&re);
	assert_string_equal(get_str(o, "priority"), "Error");
	assert_string_equal(get_str(o, "rule"), "Webhook test anti-debugging");
	sb_init(&want);
	te_format_rfc3339(&want, f->re.time_ns);
	assert_string_equal(get_str(o, "time"), sb_str(&want));
	sb_free(&want);
	assert_string_equal(get_str(o, "hostname"), "myhost");
	assert_string_equal(get_str(o, "output"),
			    "ptrace by rt_trigger (rt_trigger \"a\\b\"\n\xc3\xbf) "
			    "request=PTRACE_TRACEME");

	assert_true(json_object_object_get_ex(o, "output_fields", &fields));
	assert_string_equal(get_str(fields, "rule.id"), "TEST-WH-1");
	assert_string_equal(get_str(fields, "rule.severity"), "high");
	assert_string_equal(get_str(fields, "mitre.technique"), "T1622");
	assert_string_equal(get_str(fields, "mitre.tactic"), "defense-evasion");
	assert_string_equal(get_str(fields, "evt.name"), "ptrace");
	assert_string_equal(get_str(fields, "proc.name"), "rt_trigger");
	assert_string_equal(get_str(fields, "proc.exe"), "/tmp/rt_trigger");
	assert_string_equal(get_str(fields, "container.id"), "0123456789ab");
	assert_string_equal(get_str(fields, "evt.arg.request"), "PTRACE_TRACEME");
	assert_true(json_object_object_get_ex(fields, "proc.pid", &v));
	assert_int_equal(json_object_get_int64(v), 3646);
	assert_true(json_object_object_get_ex(fields, "evt.arg.pid", &v));
	assert_true(json_object_is_type(v, json_type_int));
	assert_true(json_object_object_get_ex(fields, "traceed.suppressed", &v));
	assert_int_equal(json_object_get_int64(v), 3);
	/* the template's fields that are not ours already */
	assert_true(json_object_object_get_ex(fields, "proc.cmdline", &v));

	assert_true(json_object_object_get_ex(o, "tags", &tags));
	assert_int_equal(json_object_array_length(tags), 4);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(tags, 0)), "test");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(tags, 1)),
			    "anti-debugging");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(tags, 2)), "T1622");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(tags, 3)),
			    "defense-evasion");
	json_object_put(o);
	sb_free(&sb);
}

/* Severity -> falcosidekick priority, as documented in docs/webhooks.md. */
static void test_priorities(void **state)
{
	static const char *const want[] = { "Informational", "Notice", "Warning", "Error",
					    "Critical" };
	struct fixture *f = *state;
	struct te_rule rule = *te_ruleset_find(f->rs, "TEST-WH-2");

	for (int s = TE_SEV_INFO; s <= TE_SEV_CRITICAL; s++) {
		struct json_object *o, *tags;
		struct strbuf sb;

		rule.severity = (enum te_severity)s;
		sb_init(&sb);
		te_webhook_falcosidekick_json(&sb, &rule, &f->re, 0, NULL, "h", NULL);
		o = check_falcosidekick(sb.p, sb.len);
		assert_string_equal(get_str(o, "priority"), want[s]);
		assert_false(json_object_object_get_ex(o, "uuid", NULL));
		/* no MITRE, no tags: an empty list, not a missing one */
		assert_true(json_object_object_get_ex(o, "tags", &tags));
		assert_int_equal(json_object_array_length(tags), 0);
		json_object_put(o);
		sb_free(&sb);
	}
}

static void test_test_detection(void **state)
{
	struct te_webhook_test_detection t;
	struct json_object *o, *fields;
	struct strbuf sb;

	(void)state;
	assert_int_equal(te_webhook_test_detection_init(&t, "h"), 0);
	sb_init(&sb);
	te_webhook_falcosidekick_json(&sb, &t.rule, &t.re, 0, NULL, "h", NULL);
	o = check_falcosidekick(sb.p, sb.len);
	assert_string_equal(get_str(o, "output"), "This is a test from traceed");
	assert_string_equal(get_str(o, "rule"), "Test rule");
	assert_string_equal(get_str(o, "priority"), "Informational");
	assert_true(json_object_object_get_ex(o, "output_fields", &fields));
	assert_string_equal(get_str(fields, "rule.id"), "TRD-TEST");
	assert_string_equal(get_str(fields, "proc.name"), "traceed");
	json_object_put(o);

	/* and traceed's own JSON, for kind webhook */
	sb_reset(&sb);
	te_detection_json(&sb, &t.rule, &t.re, 0, NULL, NULL, 0);
	o = json_tokener_parse(sb_str(&sb));
	assert_non_null(o);
	assert_string_equal(get_str(o, "rule_id"), "TRD-TEST");
	assert_string_equal(get_str(o, "severity"), "info");
	assert_string_equal(get_str(o, "output"), "This is a test from traceed");
	json_object_put(o);
	sb_free(&sb);
	te_webhook_test_detection_fini(&t);
}

/* ---- spool --------------------------------------------------------------- */

static struct te_spool *spool_open(const char *dir, uint64_t max, uint64_t *head, uint64_t *next,
				   uint64_t *pending, char *note, size_t notelen)
{
	struct te_spool *s = te_spool_new(dir, max);

	assert_non_null(s);
	assert_int_equal(te_spool_trylock(s), 0);
	assert_int_equal(te_spool_load(s, head, next, pending, note, notelen), 0);
	return s;
}

static void expect_rec(struct te_spool *s, uint64_t min, uint64_t want_id, const char *body)
{
	struct strbuf sb;
	uint64_t id;

	assert_true(te_spool_find(s, min, &id));
	assert_int_equal(id, want_id);
	sb_init(&sb);
	assert_int_equal(te_spool_read(s, &sb), 0);
	if (body) /* NULL: readable is enough */
		assert_string_equal(sb_str(&sb), body);
	sb_free(&sb);
}

static size_t count_segments(const char *dir)
{
	char cmd[PATH_MAX + 64], buf[32] = "";
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '\\.seg$'", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(buf, sizeof(buf), p));
	pclose(p);
	return (size_t)strtoul(buf, NULL, 10);
}

static void test_spool(void **state)
{
	char *dir = tmp_dir(), note[512], body[64], path[PATH_MAX];
	uint64_t head, next, pending, id;
	struct te_spool *s, *s2;
	int fd;

	(void)state;
	s = spool_open(dir, 1 << 20, &head, &next, &pending, note, sizeof(note));
	assert_int_equal(head, 0);
	assert_int_equal(next, 0);
	assert_int_equal(pending, 0);
	assert_false(te_spool_find(s, 0, &id));
	for (unsigned i = 0; i < 10; i++) {
		snprintf(body, sizeof(body), "{\"n\":%u}", i);
		assert_int_equal(te_spool_append(s, i, TE_SEV_HIGH, body, strlen(body), NULL), 0);
	}
	expect_rec(s, 0, 0, "{\"n\":0}");
	expect_rec(s, 5, 5, "{\"n\":5}");
	expect_rec(s, 3, 3, "{\"n\":3}"); /* backwards works too */
	assert_int_equal(te_spool_ack(s, 4), 0);

	/* one owner at a time */
	s2 = te_spool_new(dir, 1 << 20);
	assert_non_null(s2);
	assert_int_equal(te_spool_trylock(s2), -EAGAIN);
	te_spool_free(s2);

	/* a restart: the acknowledged ones are not sent again */
	te_spool_free(s);
	s = spool_open(dir, 1 << 20, &head, &next, &pending, note, sizeof(note));
	assert_int_equal(head, 4);
	assert_int_equal(next, 10);
	assert_int_equal(pending, 6);
	assert_string_equal(note, "");
	expect_rec(s, head, 4, "{\"n\":4}");
	te_spool_free(s);

	/* a torn record at the end (crash during write-back) is cut off */
	snprintf(path, sizeof(path), "%s/%016x-%d.seg", dir, 0, TE_SEV_HIGH);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "TEWR\x40\0\0\0garbage", 15), 15);
	close(fd);
	s = spool_open(dir, 1 << 20, &head, &next, &pending, note, sizeof(note));
	assert_int_equal(pending, 6);
	assert_int_equal(next, 10);
	assert_non_null(strstr(note, "cut 15 bytes of a torn or corrupt record"));
	/* appends continue after it, in a new segment */
	assert_int_equal(te_spool_append(s, 10, TE_SEV_HIGH, "{\"n\":10}", 8, NULL), 0);
	expect_rec(s, 10, 10, "{\"n\":10}");
	/* everything delivered: the older segment goes at once, the one
	 * appended to when it is closed */
	assert_int_equal(te_spool_ack(s, 11), 0);
	assert_int_equal(te_spool_bytes(s), sizeof(uint32_t) * 6 + 8);
	te_spool_free(s);
	assert_int_equal(count_segments(dir), 0);
	s = spool_open(dir, 1 << 20, &head, &next, &pending, note, sizeof(note));
	assert_int_equal(pending, 0);
	assert_int_equal(head, 11);
	assert_int_equal(next, 11);
	te_spool_free(s);
	rm_rf(dir);
	free(dir);
}

/* Over the limit with one severity, whole oldest segments go; what is left
 * is the newest. */
static void test_spool_limit(void **state)
{
	char *dir = tmp_dir(), note[256], body[1000];
	uint64_t head, next, pending, id, max = 1 << 20, evicted = 0;
	struct te_spool *s;

	(void)state;
	memset(body, 'x', sizeof(body));
	s = spool_open(dir, max, &head, &next, &pending, note, sizeof(note));
	for (uint64_t i = 0; i < 3000; i++) {
		struct te_spool_evicted ev;

		assert_int_equal(te_spool_append(s, i, TE_SEV_MEDIUM, body, sizeof(body), &ev), 0);
		assert_true(te_spool_bytes(s) <= max);
		evicted += ev.pending;
	}
	assert_true(te_spool_bytes(s) > max - 70 * 1024);
	assert_true(te_spool_find(s, 0, &id));
	assert_true(id > 1900 && id < 2100);
	assert_int_equal(evicted, id); /* every removed record reported */
	/* contiguous up to the newest */
	for (uint64_t i = id; i < 3000; i++) {
		uint64_t got;

		assert_true(te_spool_find(s, i, &got));
		assert_int_equal(got, i);
	}
	/* a record larger than the spool is refused, nothing removed */
	{
		char *big = calloc(1, max);

		assert_int_equal(te_spool_append(s, 3000, TE_SEV_CRITICAL, big, max, NULL), -EFBIG);
		free(big);
	}
	assert_true(te_spool_find(s, 0, &id));
	te_spool_free(s);
	rm_rf(dir);
	free(dir);
}

static void put(struct te_spool *s, uint64_t id, enum te_severity sev, const char *tag,
		size_t size, int want, struct te_spool_evicted *ev)
{
	char *body = malloc(size + 1);

	assert_non_null(body);
	memset(body, 'x', size);
	body[size] = '\0';
	memcpy(body, tag, strlen(tag) < size ? strlen(tag) : size);
	assert_int_equal(te_spool_append(s, id, sev, body, size, ev), want);
	free(body);
}

/*
 * The attack: one high detection, then a flood of low ones, the endpoint
 * down.  The spool at its limit drops the oldest low ones, never the high
 * one, says how many it dropped, and refuses what is lower than everything
 * it holds.  Across a restart nothing of that changes.
 */
static void test_spool_severity(void **state)
{
	char *dir = tmp_dir(), note[512];
	uint64_t head, next, pending, id, first_low, max = 1 << 20, evicted = 0;
	struct te_spool_evicted ev;
	struct te_spool *s;
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	s = spool_open(dir, max, &head, &next, &pending, note, sizeof(note));
	put(s, 0, TE_SEV_HIGH, "HIGH", 1000, 0, &ev);
	for (uint64_t i = 1; i < 3000; i++) {
		put(s, i, TE_SEV_LOW, "low", 1000, 0, &ev);
		assert_true(te_spool_bytes(s) <= max);
		assert_false(ev.head); /* head (0) is the high one: kept */
		evicted += ev.pending;
	}
	/* the high one is still first, and readable */
	assert_true(te_spool_find(s, 0, &id));
	assert_int_equal(id, 0);
	assert_int_equal(te_spool_read(s, &sb), 0);
	assert_int_equal(sb.len, 1000);
	assert_memory_equal(sb.p, "HIGH", 4);
	assert_int_equal(te_spool_bytes_sev(s, TE_SEV_HIGH), 1024);
	/* then the newest low ones, contiguous, and every one removed was
	 * reported */
	assert_true(te_spool_find(s, 1, &first_low));
	assert_true(first_low > 1800 && first_low < 2100);
	assert_int_equal(evicted, first_low - 1);
	for (uint64_t i = first_low; i < 3000; i++) {
		assert_true(te_spool_find(s, i, &id));
		assert_int_equal(id, i);
	}
	assert_int_equal(te_spool_read(s, &sb), 0);
	assert_memory_equal(sb.p, "low", 3);

	/* lower than everything kept, no room: refused, nothing removed */
	{
		uint64_t before = te_spool_bytes(s);

		put(s, 3000, TE_SEV_INFO, "info", 100000, TE_SPOOL_REFUSED, &ev);
		assert_int_equal(ev.pending, 0);
		assert_int_equal(te_spool_bytes(s), before);
		assert_false(te_spool_find(s, 3000, &id));
	}
	/* a critical one takes its room from the low ones, oldest first */
	put(s, 3001, TE_SEV_CRITICAL, "CRIT", 200000, 0, &ev);
	assert_true(ev.pending >= 190);
	assert_false(ev.head);
	assert_true(te_spool_find(s, 1, &id));
	assert_int_equal(id, first_low + ev.pending);
	assert_true(te_spool_find(s, 0, &id));
	assert_int_equal(id, 0);

	/* a restart: the same order, high first */
	te_spool_free(s);
	s = spool_open(dir, max, &head, &next, &pending, note, sizeof(note));
	assert_string_equal(note, "");
	assert_int_equal(head, 0);
	assert_int_equal(next, 3002);
	assert_true(te_spool_find(s, 1, &first_low));
	assert_int_equal(pending, 1 + (3000 - first_low) + 1);
	expect_rec(s, 0, 0, NULL);
	assert_true(te_spool_find(s, 2999, &id));
	assert_int_equal(id, 2999);
	assert_true(te_spool_find(s, 3000, &id));
	assert_int_equal(id, 3001);
	assert_int_equal(te_spool_read(s, &sb), 0);
	assert_memory_equal(sb.p, "CRIT", 4);

	/* delivery got into the low ones: what is evicted then only counts
	 * the undelivered ones, and the head when it is among them */
	assert_int_equal(te_spool_ack(s, first_low + 10), 0);
	assert_false(te_spool_find(s, 0, &id) && id == 0);
	put(s, 3002, TE_SEV_LOW, "low", 70000, 0, &ev);
	assert_true(ev.head);
	/* one segment of 64 records of 1 KiB went, 10 of them delivered */
	assert_int_equal(ev.pending, 54);
	assert_true(te_spool_find(s, first_low + 10, &id));
	assert_int_equal(id, first_low + 64);

	/* the limit lowered: the low ones go first at load */
	te_spool_free(s);
	s = spool_open(dir, 256 * 1024, &head, &next, &pending, note, sizeof(note));
	assert_non_null(strstr(note, "undelivered detections removed, the lowest severity first"));
	assert_true(te_spool_bytes(s) <= 256 * 1024);
	assert_true(te_spool_find(s, 0, &id));
	assert_true(te_spool_find(s, 3001, &id));
	assert_int_equal(id, 3001);
	assert_int_equal(te_spool_bytes_sev(s, TE_SEV_CRITICAL), 200024);
	te_spool_free(s);
	sb_free(&sb);
	rm_rf(dir);
	free(dir);
}

/* Segments from before severities were kept apart (no severity in the
 * name): read in order, and they go only after every lower severity. */
static void test_spool_legacy(void **state)
{
	char *dir = tmp_dir(), note[512], from[PATH_MAX], to[PATH_MAX];
	uint64_t head, next, pending, id, max = 1 << 20;
	struct te_spool_evicted ev;
	struct te_spool *s;

	(void)state;
	s = spool_open(dir, max, &head, &next, &pending, note, sizeof(note));
	for (uint64_t i = 0; i < 10; i++)
		put(s, i, TE_SEV_INFO, "old", 1000, 0, NULL);
	te_spool_free(s);
	snprintf(from, sizeof(from), "%s/%016x-%d.seg", dir, 0, TE_SEV_INFO);
	snprintf(to, sizeof(to), "%s/%016x.seg", dir, 0);
	assert_int_equal(rename(from, to), 0);

	s = spool_open(dir, max, &head, &next, &pending, note, sizeof(note));
	assert_int_equal(head, 0);
	assert_int_equal(next, 10);
	assert_int_equal(pending, 10);
	/* new ones after them, of a lower severity, then a flood */
	for (uint64_t i = 10; i < 2000; i++) {
		put(s, i, TE_SEV_LOW, "new", 1000, 0, &ev);
		assert_false(ev.head);
	}
	for (uint64_t i = 0; i < 10; i++)
		expect_rec(s, i, i, NULL);
	assert_true(te_spool_find(s, 10, &id));
	assert_true(id > 900);
	/* a high one is refused rather than make room from them */
	te_spool_free(s);
	s = spool_open(dir, 64 * 1024, &head, &next, &pending, note, sizeof(note));
	assert_true(te_spool_find(s, 0, &id));
	assert_int_equal(id, 0);
	put(s, 2000, TE_SEV_HIGH, "high", 60000, TE_SPOOL_REFUSED, NULL);
	put(s, 2001, TE_SEV_CRITICAL, "crit", 60000, 0, &ev);
	assert_true(ev.head); /* the legacy ones went too, head among them */
	assert_true(ev.pending > 10);
	assert_true(te_spool_find(s, 0, &id));
	assert_int_equal(id, 2001);
	te_spool_free(s);
	rm_rf(dir);
	free(dir);
}

/* The Outputs property (readable by any local user) shows no path or
 * query: that is where webhook services keep their secret. */
static void test_url_public(void **state)
{
	static const char *const cases[][2] = {
		{ "https://hooks.slack.com/services/T000/B000/XXXXSECRET", "https://hooks.slack.com/..." },
		{ "http://127.0.0.1:2801/", "http://127.0.0.1:2801/" },
		{ "http://127.0.0.1:2801", "http://127.0.0.1:2801" },
		{ "https://h.example/api?token=abc", "https://h.example/..." },
		{ "https://h.example:8443?token=abc", "https://h.example:8443/..." },
		{ "not a url", "(hidden)" },
	};
	char out[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		te_webhook_url_public(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_public),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_env),
		cmocka_unit_test(test_config_full),
		cmocka_unit_test(test_new),
		cmocka_unit_test_setup_teardown(test_payload, fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_priorities, fixture_setup, fixture_teardown),
		cmocka_unit_test(test_test_detection),
		cmocka_unit_test(test_spool),
		cmocka_unit_test(test_spool_limit),
		cmocka_unit_test(test_spool_severity),
		cmocka_unit_test(test_spool_legacy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
