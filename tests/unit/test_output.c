// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tracee-style JSON and table output.  The JSON is checked by parsing it
 * with json-c (an independent parser), not by comparing strings.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "event.h"
#include "event_format.h"
#include "proctree.h"
#include "strbuf.h"

/* ---- record builder (as in test_decode.c) -------------------------------- */

struct rec {
	unsigned char buf[TE_MAX_RECORD];
	size_t len;
	unsigned int nargs;
	struct te_record_hdr h;
};

static void rec_begin(struct rec *r, uint32_t id)
{
	memset(r, 0, sizeof(*r));
	r->h.ts = 5000000000ull; /* 5 s after boot */
	r->h.event_id = id;
	r->h.pid = 4242;
	r->h.tid = 4242;
	r->h.ppid = 4000;
	r->h.ns_pid = 42;
	r->h.ns_tid = 42;
	r->h.ns_ppid = 40;
	r->h.uid = 1000;
	r->h.gid = 1000;
	r->h.mntns = 4026531841u;
	r->h.pidns = 4026531836u;
	r->h.cgroup_id = 123456789012ull;
	r->h.retval = 3;
	memcpy(r->h.comm, "evil", 5);
	r->len = sizeof(r->h);
}

static void rec_arg(struct rec *r, unsigned int idx, unsigned int type, const void *p, size_t len)
{
	struct te_arg_hdr a = { .idx = (__u8)idx, .type = (__u8)type, .len = (__u16)len };

	assert_true(r->len + sizeof(a) + len <= sizeof(r->buf));
	memcpy(r->buf + r->len, &a, sizeof(a));
	r->len += sizeof(a);
	memcpy(r->buf + r->len, p, len);
	r->len += len;
	r->nargs++;
}

static void rec_s64(struct rec *r, unsigned int idx, int64_t v) { rec_arg(r, idx, TE_W_S64, &v, 8); }
static void rec_u64(struct rec *r, unsigned int idx, uint64_t v) { rec_arg(r, idx, TE_W_U64, &v, 8); }
static void rec_str(struct rec *r, unsigned int idx, const char *s) { rec_arg(r, idx, TE_W_STR, s, strlen(s)); }

/* Finish and decode; wall clock = boot + 1 day 01:02:03 - 5 s, so that the
 * event lands at 01:02:03.5 UTC on 1970-01-02. */
#define BOOT_TO_WALL (((86400ll + 3723ll) * 1000000000ll) - 5000000000ll + 500000000ll)

static void rec_decode(struct rec *r, struct te_event *ev)
{
	char err[256];

	r->h.size = (__u16)r->len;
	r->h.nargs = (__u8)r->nargs;
	memcpy(r->buf, &r->h, sizeof(r->h));
	if (te_decode(r->buf, r->len, BOOT_TO_WALL, ev, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
}

/* ---- JSON helpers -------------------------------------------------------- */

/*
 * RFC 8259 requires UTF-8, but json-c accepts invalid UTF-8 inside strings,
 * so validity is checked separately: decode every sequence and reject
 * overlong forms, surrogates and code points above U+10FFFF.
 */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len;

		if (s[i] < 0x80) {
			i++;
			continue;
		} else if ((s[i] & 0xe0) == 0xc0) {
			len = 2, cp = s[i] & 0x1f;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3, cp = s[i] & 0x0f;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4, cp = s[i] & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += len;
	}
	return true;
}

/* Parse all of @s (trailing garbage is an error too); it must be UTF-8. */
static json_object *parse_all(const char *s, size_t n)
{
	json_tokener *tok;
	json_object *o;
	enum json_tokener_error e;

	if (!valid_utf8((const unsigned char *)s, n))
		fail_msg("output is not valid UTF-8: %s", s);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			fail_msg("raw control byte 0x%02x in JSON at %zu", (unsigned char)s[i], i);
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, s, (int)n);
	e = json_tokener_get_error(tok);
	if (!o || e != json_tokener_success || json_tokener_get_parse_end(tok) != n)
		fail_msg("invalid JSON (%s) at %zu: %s", json_tokener_error_desc(e),
			 json_tokener_get_parse_end(tok), s);
	json_tokener_free(tok);
	return o;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no key %s", key);
	return v;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static int64_t get_int(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	assert_true(json_object_is_type(v, json_type_int));
	return json_object_get_int64(v);
}

/* The arg object named @name in "args", or NULL. */
static json_object *arg(json_object *o, const char *name)
{
	json_object *args = get(o, "args");

	for (size_t i = 0; i < json_object_array_length(args); i++) {
		json_object *a = json_object_array_get_idx(args, i);

		if (!strcmp(get_str(a, "name"), name))
			return a;
	}
	return NULL;
}

static const char *const keys[] = {
	"timestamp", "threadStartTime", "processorId", "processId", "cgroupId", "threadId",
	"parentProcessId", "hostProcessId", "hostThreadId", "hostParentProcessId", "userId",
	"mountNamespace", "pidNamespace", "processName", "executable", "hostName",
	"containerId", "eventId", "eventName", "argsNum", "returnValue", "syscall", "args",
};

static void check_keys(json_object *o, bool truncated)
{
	size_t i = 0, n = sizeof(keys) / sizeof(keys[0]);

	json_object_object_foreach(o, k, v) {
		(void)v;
		if (i < n)
			assert_string_equal(k, keys[i]);
		else if (i == n && truncated)
			assert_string_equal(k, "truncated");
		else
			fail_msg("unexpected key %s", k);
		i++;
	}
	assert_int_equal(i, n + truncated);
}

/* ---- tests ---------------------------------------------------------------- */

static struct strbuf sb;
static const struct te_output_ctx ctx = { .hostname = "node-1" };

static int setup(void **state)
{
	(void)state;
	sb_init(&sb);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sb_free(&sb);
	return 0;
}

static void test_json_openat(void **state)
{
	static struct rec r;
	struct te_event ev;
	struct te_proc proc;
	json_object *o, *a, *exe;
	char exe_path[] = "/usr/bin/evil";

	(void)state;
	memset(&proc, 0, sizeof(proc));
	proc.pid = 4242;
	proc.start_ns = 1000000000ull; /* 1 s after boot */
	proc.exe = exe_path;
	strcpy(proc.container_id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

	rec_begin(&r, TE_EV_OPENAT);
	rec_s64(&r, 0, -100);
	rec_str(&r, 1, "/etc/shadow");
	rec_u64(&r, 2, 01 | 0100 | 02000000); /* O_WRONLY|O_CREAT|O_CLOEXEC */
	rec_u64(&r, 3, 0644);
	rec_decode(&r, &ev);

	sb_reset(&sb);
	te_output_json(&sb, &ctx, &ev, &proc);
	assert_null(strchr(sb_str(&sb), '\n'));
	o = parse_all(sb_str(&sb), sb.len);
	check_keys(o, false);

	assert_int_equal(get_int(o, "timestamp"), 5000000000ll + BOOT_TO_WALL);
	/* main thread, start known: boot time moved to wall clock */
	assert_int_equal(get_int(o, "threadStartTime"), 1000000000ll + BOOT_TO_WALL);
	assert_int_equal(get_int(o, "processorId"), 0);
	assert_int_equal(get_int(o, "processId"), 42);
	assert_int_equal(get_int(o, "threadId"), 42);
	assert_int_equal(get_int(o, "parentProcessId"), 40);
	assert_int_equal(get_int(o, "hostProcessId"), 4242);
	assert_int_equal(get_int(o, "hostThreadId"), 4242);
	assert_int_equal(get_int(o, "hostParentProcessId"), 4000);
	assert_int_equal(get_int(o, "cgroupId"), 123456789012ll);
	assert_int_equal(get_int(o, "userId"), 1000);
	assert_int_equal(get_int(o, "mountNamespace"), 4026531841ll);
	assert_int_equal(get_int(o, "pidNamespace"), 4026531836ll);
	assert_string_equal(get_str(o, "processName"), "evil");
	exe = get(o, "executable");
	assert_string_equal(get_str(exe, "path"), "/usr/bin/evil");
	assert_string_equal(get_str(o, "hostName"), "node-1");
	assert_string_equal(get_str(o, "containerId"), proc.container_id);
	assert_string_equal(get_str(o, "eventId"), "31");
	assert_string_equal(get_str(o, "eventName"), "openat");
	assert_int_equal(get_int(o, "argsNum"), 4);
	assert_int_equal(get_int(o, "returnValue"), 3);
	assert_string_equal(get_str(o, "syscall"), "openat");

	a = arg(o, "dirfd");
	assert_non_null(a);
	assert_string_equal(get_str(a, "type"), "int");
	assert_string_equal(get_str(a, "value"), "AT_FDCWD");
	a = arg(o, "pathname");
	assert_string_equal(get_str(a, "type"), "const char*");
	assert_string_equal(get_str(a, "value"), "/etc/shadow");
	assert_string_equal(get_str(arg(o, "flags"), "value"), "O_WRONLY|O_CREAT|O_CLOEXEC");
	assert_string_equal(get_str(arg(o, "mode"), "value"), "0644");
	assert_string_equal(get_str(arg(o, "mode"), "type"), "mode_t");
	/* args in schema order */
	assert_string_equal(get_str(json_object_array_get_idx(get(o, "args"), 0), "name"), "dirfd");
	assert_string_equal(get_str(json_object_array_get_idx(get(o, "args"), 3), "name"), "mode");
	json_object_put(o);

	/* no process entry, no hostname: empty strings, not missing keys */
	sb_reset(&sb);
	te_output_json(&sb, NULL, &ev, NULL);
	o = parse_all(sb_str(&sb), sb.len);
	check_keys(o, false);
	assert_string_equal(get_str(get(o, "executable"), "path"), "");
	assert_string_equal(get_str(o, "containerId"), "");
	assert_string_equal(get_str(o, "hostName"), "");
	assert_int_equal(get_int(o, "threadStartTime"), 0);
	json_object_put(o);
}

static void test_json_exec_absent_truncated(void **state)
{
	static struct rec r;
	struct te_event ev;
	json_object *o, *argv;
	static const char av[] = "/bin/sh\0-c\0id";

	(void)state;
	rec_begin(&r, TE_EV_SCHED_PROCESS_EXEC);
	r.h.retval = 0;
	r.h.tid = 4243; /* not the main thread: threadStartTime unknown */
	r.h.flags = TE_RF_TRUNCATED;
	rec_str(&r, 0, "/bin/sh");
	rec_str(&r, 1, "/usr/bin/dash");
	rec_u64(&r, 5, 1);
	rec_arg(&r, 6, TE_W_STRARR, av, sizeof(av) - 1); /* cut: no final NUL */
	rec_decode(&r, &ev);

	sb_reset(&sb);
	{
		struct te_proc proc = { .pid = 4242, .start_ns = 1 };
		te_output_json(&sb, &ctx, &ev, &proc);
	}
	o = parse_all(sb_str(&sb), sb.len);
	check_keys(o, true);
	assert_true(json_object_get_boolean(get(o, "truncated")));
	assert_int_equal(get_int(o, "threadStartTime"), 0);
	assert_string_equal(get_str(o, "eventId"), "2");
	assert_string_equal(get_str(o, "syscall"), ""); /* not a syscall event */
	assert_int_equal(get_int(o, "argsNum"), 4);
	assert_int_equal(json_object_array_length(get(o, "args")), 4);
	assert_null(arg(o, "interpreter_pathname")); /* absent: left out */
	assert_null(arg(o, "env"));
	assert_true(json_object_is_type(get(arg(o, "is_memfd"), "value"), json_type_boolean));
	assert_true(json_object_get_boolean(get(arg(o, "is_memfd"), "value")));
	argv = get(arg(o, "argv"), "value");
	assert_true(json_object_is_type(argv, json_type_array));
	assert_int_equal(json_object_array_length(argv), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(argv, 0)), "/bin/sh");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(argv, 2)), "id");
	assert_string_equal(get_str(arg(o, "argv"), "type"), "const char**");
	json_object_put(o);
}

static void test_json_values(void **state)
{
	static struct rec r;
	struct te_event ev;
	json_object *o, *sa;
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };

	(void)state;
	/* ptrace: enum names and hex pointers as strings, pid a number */
	rec_begin(&r, TE_EV_PTRACE);
	rec_s64(&r, 0, 0);
	rec_s64(&r, 1, 1234);
	rec_u64(&r, 2, 0x7ffd00001000ull);
	rec_u64(&r, 3, 0);
	rec_decode(&r, &ev);
	sb_reset(&sb);
	te_output_json(&sb, &ctx, &ev, NULL);
	o = parse_all(sb_str(&sb), sb.len);
	assert_string_equal(get_str(arg(o, "request"), "value"), "PTRACE_TRACEME");
	assert_int_equal(get_int(arg(o, "pid"), "value"), 1234);
	assert_string_equal(get_str(arg(o, "addr"), "value"), "0x7ffd00001000");
	assert_string_equal(get_str(arg(o, "addr"), "type"), "void*");
	json_object_put(o);

	/* connect: sockaddr object, Tracee style */
	inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
	rec_begin(&r, TE_EV_CONNECT);
	r.h.retval = -115;
	rec_s64(&r, 0, 5);
	rec_arg(&r, 1, TE_W_BYTES, &in6, sizeof(in6));
	rec_decode(&r, &ev);
	sb_reset(&sb);
	te_output_json(&sb, &ctx, &ev, NULL);
	o = parse_all(sb_str(&sb), sb.len);
	assert_int_equal(get_int(o, "returnValue"), -115);
	sa = get(arg(o, "addr"), "value");
	assert_true(json_object_is_type(sa, json_type_object));
	assert_string_equal(get_str(sa, "sa_family"), "AF_INET6");
	assert_string_equal(get_str(sa, "sin6_port"), "443");
	assert_string_equal(get_str(sa, "sin6_addr"), "2001:db8::1");
	assert_string_equal(get_str(arg(o, "addr"), "type"), "struct sockaddr*");
	json_object_put(o);

	/* kill: signal name; dup2 fd type */
	rec_begin(&r, TE_EV_KILL);
	rec_s64(&r, 0, -1);
	rec_s64(&r, 1, 9);
	rec_decode(&r, &ev);
	sb_reset(&sb);
	te_output_json(&sb, &ctx, &ev, NULL);
	o = parse_all(sb_str(&sb), sb.len);
	assert_int_equal(get_int(arg(o, "pid"), "value"), -1);
	assert_string_equal(get_str(arg(o, "sig"), "value"), "SIGKILL");
	json_object_put(o);
}

/* Hostile bytes everywhere a string goes: the JSON must still parse, and
 * valid UTF-8 must come back unchanged. */
static void test_json_every_event_hostile(void **state)
{
	static struct rec r;
	size_t n;
	const struct te_event_desc *t = te_event_table(&n);
	static const char nasty[] = "a\"b\\c\n\x01\x1b[31m\xff\xc0\x80\xed\xa0\x80\xe2\x82 \xc3\xa9\xf0\x9f\x98\x80\x7f";
	static const unsigned char sun[] = { 1, 0, 0, 'a', '"', 0xff, 0 };

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const struct te_event_desc *d = &t[i];
		struct te_event ev;
		json_object *o;

		rec_begin(&r, d->id);
		memcpy(r.h.comm, "\xff\"\n\x01xx\xe2\x82", 8);
		for (unsigned int a = 0; a < d->nargs; a++) {
			switch (d->args[a].wire) {
			case TE_W_S64: rec_s64(&r, a, INT64_MIN); break;
			case TE_W_U64: rec_u64(&r, a, UINT64_MAX); break;
			case TE_W_STR: rec_arg(&r, a, TE_W_STR, nasty, sizeof(nasty) - 1); break;
			case TE_W_STRARR: rec_arg(&r, a, TE_W_STRARR, nasty, sizeof(nasty)); break;
			case TE_W_BYTES: rec_arg(&r, a, TE_W_BYTES, sun, sizeof(sun)); break;
			}
		}
		rec_decode(&r, &ev);
		sb_reset(&sb);
		te_output_json(&sb, &ctx, &ev, NULL);
		o = parse_all(sb_str(&sb), sb.len);
		check_keys(o, false);
		assert_string_equal(get_str(o, "eventName"), d->name);
		assert_int_equal(get_int(o, "argsNum"), d->nargs);
		for (unsigned int a = 0; a < d->nargs; a++) {
			json_object *ao = json_object_array_get_idx(get(o, "args"), a);

			assert_string_equal(get_str(ao, "name"), d->args[a].name);
			assert_string_equal(get_str(ao, "type"), d->args[a].type);
			get(ao, "value");
			if (d->args[a].wire == TE_W_STR) {
				const char *s = get_str(ao, "value");
				/* the valid tail (é, U+1F600) survives */
				assert_non_null(strstr(s, " \xc3\xa9\xf0\x9f\x98\x80"));
				assert_non_null(strstr(s, "a\"b\\c\n\x01\x1b[31m"));
			}
		}
		json_object_put(o);
	}
}

/* sb_json_str on random bytes: always a valid JSON string that decodes to
 * the input when the input was valid UTF-8 without escapes needed. */
static void test_json_str_random(void **state)
{
	unsigned int seed = 4321;
	unsigned char buf[64];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)rand_r(&seed) % sizeof(buf);
		json_object *o;

		for (size_t j = 0; j < n; j++) {
			/* bias towards UTF-8 lead/continuation bytes */
			unsigned int r = (unsigned int)rand_r(&seed);
			buf[j] = (r & 1) ? (unsigned char)(0x80 | (r >> 8 & 0x7f)) : (unsigned char)(r >> 8);
		}
		sb_reset(&sb);
		sb_json_str(&sb, (const char *)buf, n);
		o = parse_all(sb_str(&sb), sb.len);
		assert_true(json_object_is_type(o, json_type_string));
		json_object_put(o);
	}
	/* round trip of valid text with escapes */
	{
		static const char s[] = "tab\there \"q\" \\ \xe2\x82\xac \xf0\x9f\x98\x80 end";
		json_object *o;

		sb_reset(&sb);
		sb_json_str(&sb, s, sizeof(s) - 1);
		o = parse_all(sb_str(&sb), sb.len);
		assert_string_equal(json_object_get_string(o), s);
		json_object_put(o);
	}
}

static void test_table(void **state)
{
	static struct rec r;
	struct te_event ev;
	const char *line, *hdr;
	char hdrcopy[256];
	size_t ev_col, args_col;

	(void)state;
	sb_reset(&sb);
	te_output_table_header(&sb);
	snprintf(hdrcopy, sizeof(hdrcopy), "%s", sb_str(&sb));
	hdr = hdrcopy;
	assert_true(strncmp(hdr, "TIME", 4) == 0);
	assert_non_null(strstr(hdr, " UID "));
	assert_non_null(strstr(hdr, " COMM "));
	assert_non_null(strstr(hdr, " PID "));
	assert_non_null(strstr(hdr, " TID "));
	assert_non_null(strstr(hdr, " RET "));
	assert_non_null(strstr(hdr, " EVENT "));
	assert_non_null(strstr(hdr, " ARGS\n"));
	ev_col = (size_t)(strstr(hdr, "EVENT") - hdr);
	args_col = (size_t)(strstr(hdr, "ARGS") - hdr);

	rec_begin(&r, TE_EV_OPENAT);
	rec_s64(&r, 0, -100);
	rec_str(&r, 1, "/tmp/\x1b[2Jx");
	rec_u64(&r, 2, 0);
	rec_decode(&r, &ev);
	sb_reset(&sb);
	te_output_table(&sb, &ctx, &ev, NULL);
	line = sb_str(&sb);
	/* UTC time of day, microseconds */
	assert_true(strncmp(line, "01:02:03.500000 ", 16) == 0);
	assert_true(strncmp(line + ev_col, "openat ", 7) == 0);
	assert_string_equal(line + args_col, "dirfd: AT_FDCWD, pathname: /tmp/?[2Jx, flags: O_RDONLY\n");
	assert_non_null(strstr(line, " 1000 "));
	assert_non_null(strstr(line, " evil "));
	assert_non_null(strstr(line, " 4242 "));
	assert_non_null(strstr(line, " 3 "));
	assert_null(strchr(line, '\x1b'));
	assert_int_equal(strchr(line, '\n') - line, (ptrdiff_t)strlen(line) - 1);

	/* truncated, a control byte in comm, an absent arg */
	rec_begin(&r, TE_EV_KILL);
	r.h.flags = TE_RF_TRUNCATED;
	memcpy(r.h.comm, "a\tb", 4);
	rec_s64(&r, 1, 15);
	rec_decode(&r, &ev);
	sb_reset(&sb);
	te_output_table(&sb, &ctx, &ev, NULL);
	line = sb_str(&sb);
	assert_true(strncmp(line + ev_col, "kill ", 5) == 0);
	assert_string_equal(line + args_col, "sig: SIGTERM (truncated)\n");
	assert_non_null(strstr(line, " a?b "));

	/* C1 controls as UTF-8 (U+009B is CSI on some terminals) and bytes that
	 * are no UTF-8 at all are replaced too; real text is kept */
	rec_begin(&r, TE_EV_OPENAT);
	memcpy(r.h.comm, "x\xc2\x9b" "2J\xff", 7);
	rec_s64(&r, 0, -100);
	rec_str(&r, 1, "/tmp/\xc2\x9b" "31m\xc3\xa9");
	rec_u64(&r, 2, 0);
	rec_decode(&r, &ev);
	sb_reset(&sb);
	te_output_table(&sb, &ctx, &ev, NULL);
	line = sb_str(&sb);
	assert_non_null(strstr(line, " x??2J? "));
	assert_string_equal(line + args_col,
			    "dirfd: AT_FDCWD, pathname: /tmp/??31m\xc3\xa9, flags: O_RDONLY\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_openat),
		cmocka_unit_test(test_json_exec_absent_truncated),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_json_every_event_hostile),
		cmocka_unit_test(test_json_str_random),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
