/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "event_format.h"
#include "path.h"
#include "log.h"
#include "proctree.h"

#define REPLAY_PROCTREE_CAPACITY 65536

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int64_t get_int(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	return json_object_get_int64(v);
}

static const char *get_str(struct json_object *obj, const char *key, struct te_rule_arena *a)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	s = te_arena_put(a, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	return s ? s : "";
}

/* Numbers as --output json writes them: integers, booleans, "0x1f" (hex),
 * "0755" (modes), or names (dirfd "AT_FDCWD" is text, not a number). */
static int num_value(struct json_object *v, int64_t *out)
{
	const char *s;
	char *end;

	switch (json_object_get_type(v)) {
	case json_type_int:
		*out = json_object_get_int64(v);
		return 0;
	case json_type_boolean:
		*out = json_object_get_boolean(v) ? 1 : 0;
		return 0;
	case json_type_string:
		s = json_object_get_string(v);
		errno = 0;
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			*out = (int64_t)strtoull(s + 2, &end, 16);
		else if (s[0] == '0' && s[1])
			*out = (int64_t)strtoull(s + 1, &end, 8);
		else
			*out = strtoll(s, &end, 10);
		return (errno || !*s || *end) ? -1 : 0;
	default:
		return -1;
	}
}

static const char *obj_str(struct json_object *v, const char *key)
{
	struct json_object *f;

	return json_object_object_get_ex(v, key, &f) ? json_object_get_string(f) : "";
}

/*
 * A sockaddr object ({"sa_family":"AF_INET","sin_port":"4444",...}) back
 * into the bytes the kernel sent, then into text by te_arg_text: replayed
 * events read exactly as live ones, with one formatter for both.
 */
static const char *sockaddr_text(struct json_object *v, const struct te_arg_desc *d,
				 struct te_rule_arena *a)
{
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_un un;
	} u;
	struct te_arg_value raw = { .present = true };
	const char *fam = obj_str(v, "sa_family");
	size_t len = 0;

	memset(&u, 0, sizeof(u));
	if (strcmp(fam, "AF_INET") == 0) {
		u.in.sin_family = AF_INET;
		u.in.sin_port = htons((uint16_t)atoi(obj_str(v, "sin_port")));
		inet_pton(AF_INET, obj_str(v, "sin_addr"), &u.in.sin_addr);
		len = sizeof(u.in);
	} else if (strcmp(fam, "AF_INET6") == 0) {
		u.in6.sin6_family = AF_INET6;
		u.in6.sin6_port = htons((uint16_t)atoi(obj_str(v, "sin6_port")));
		u.in6.sin6_flowinfo = htonl((uint32_t)strtoul(obj_str(v, "sin6_flowinfo"), NULL, 10));
		u.in6.sin6_scope_id = (uint32_t)strtoul(obj_str(v, "sin6_scope_id"), NULL, 10);
		inet_pton(AF_INET6, obj_str(v, "sin6_addr"), &u.in6.sin6_addr);
		len = sizeof(u.in6);
	} else if (strcmp(fam, "AF_UNIX") == 0) {
		const char *path = obj_str(v, "sun_path");
		size_t n = strnlen(path, sizeof(u.un.sun_path) - 1);

		u.un.sun_family = AF_UNIX;
		memcpy(u.un.sun_path, path, n);
		/* "@name" is an abstract socket: a leading NUL on the wire */
		if (path[0] == '@')
			u.un.sun_path[0] = '\0';
		len = offsetof(struct sockaddr_un, sun_path) + n;
	} else {
		/* other families print as their name alone, live or replayed */
		return te_arena_put(a, fam, strlen(fam));
	}
	raw.buf.p = (const char *)&u;
	raw.buf.len = len;
	sb_reset(&a->text);
	te_arg_text(&a->text, d, &raw);
	return te_arena_put(a, a->text.p ? a->text.p : "", a->text.len);
}

static int arg_value(struct te_rv *rv, const struct te_arg_desc *d, struct json_object *v,
		     struct te_rule_arena *a, const char *ev_name, char *err, size_t errlen)
{
	enum te_rv_type t = te_rv_type_of_fmt(d->fmt);

	if (json_object_is_type(v, json_type_null))
		return 0; /* absent */
	switch (t) {
	case TE_RV_NUM:
		if (num_value(v, &rv->num) < 0)
			return fail(err, errlen, "%s: argument %s: '%s' is not a number", ev_name,
				    d->name, json_object_get_string(v));
		rv->type = TE_RV_NUM;
		return 0;
	case TE_RV_LIST: {
		size_t n, start = a->used;

		if (!json_object_is_type(v, json_type_array))
			return fail(err, errlen, "%s: argument %s: expected an array of strings",
				    ev_name, d->name);
		n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			struct json_object *item = json_object_array_get_idx(v, i);

			if (!json_object_is_type(item, json_type_string))
				return fail(err, errlen, "%s: argument %s: item %zu is not a string",
					    ev_name, d->name, i);
			if (!te_arena_put(a, json_object_get_string(item),
					  (size_t)json_object_get_string_len(item)))
				return fail(err, errlen, "%s: argument %s: too large", ev_name, d->name);
		}
		rv->type = TE_RV_LIST;
		rv->str = a->buf + start;
		rv->len = a->used - start;
		return 0;
	}
	default:
		if (json_object_is_type(v, json_type_object))
			rv->str = sockaddr_text(v, d, a);
		else if (json_object_is_type(v, json_type_string))
			rv->str = te_arena_put(a, json_object_get_string(v),
					       (size_t)json_object_get_string_len(v));
		else if (json_object_is_type(v, json_type_int))
			rv->str = te_arena_put(a, json_object_get_string(v),
					       strlen(json_object_get_string(v)));
		else
			return fail(err, errlen, "%s: argument %s: expected a string", ev_name,
				    d->name);
		if (!rv->str)
			return fail(err, errlen, "%s: argument %s: too large", ev_name, d->name);
		rv->type = TE_RV_STR;
		rv->len = strlen(rv->str);
		if (d->path) /* as live: rules see paths normalised */
			rv->len = te_path_normalize((char *)rv->str, rv->len);
		return 0;
	}
}

/* "executable": {"verified": true|false} as the live run judged it; a
 * line without it leaves the process unverified (the replaying machine's
 * files say nothing about the recorded one's). */
static void replay_exe_verified(struct json_object *obj, struct te_proc *proc)
{
	struct json_object *exe, *v;
	bool verified = false;

	if (json_object_object_get_ex(obj, "executable", &exe) &&
	    json_object_object_get_ex(exe, "verified", &v) &&
	    json_object_is_type(v, json_type_boolean))
		verified = json_object_get_boolean(v);
	te_proc_set_exe_verified(proc, verified);
}

int te_replay_parse(struct json_object *obj, struct te_rule_event *re,
		    struct te_rule_arena *arena, char *err, size_t errlen)
{
	struct json_object *v, *args, *exe;
	const char *name;

	memset(re, 0, sizeof(*re));
	arena->used = 0;
	if (!json_object_is_type(obj, json_type_object))
		return fail(err, errlen, "not a JSON object");
	if (!json_object_object_get_ex(obj, "eventName", &v) ||
	    !json_object_is_type(v, json_type_string))
		return fail(err, errlen, "no \"eventName\" string");
	name = json_object_get_string(v);
	re->desc = te_event_by_name(name);
	if (!re->desc)
		return fail(err, errlen, "unknown eventName '%s'", name);

	re->time_ns = (uint64_t)get_int(obj, "timestamp");
	re->retval = get_int(obj, "returnValue");
	re->pid = (uint32_t)get_int(obj, "hostProcessId");
	re->tid = (uint32_t)get_int(obj, "hostThreadId");
	re->ppid = (uint32_t)get_int(obj, "hostParentProcessId");
	re->ns_pid = (uint32_t)get_int(obj, "processId");
	re->ns_tid = (uint32_t)get_int(obj, "threadId");
	re->ns_ppid = (uint32_t)get_int(obj, "parentProcessId");
	re->uid = (uint32_t)get_int(obj, "userId");
	re->mntns = (uint32_t)get_int(obj, "mountNamespace");
	re->pidns = (uint32_t)get_int(obj, "pidNamespace");
	re->cgroup_id = (uint64_t)get_int(obj, "cgroupId");
	re->truncated = json_object_object_get_ex(obj, "truncated", &v) &&
			json_object_get_boolean(v);
	re->targets_traceed = json_object_object_get_ex(obj, "targetsTraceed", &v) &&
			      json_object_get_boolean(v);
	re->comm = get_str(obj, "processName", arena);
	re->container_id = get_str(obj, "containerId", arena);
	re->hostname = get_str(obj, "hostName", arena);
	re->exe = "";
	if (json_object_object_get_ex(obj, "executable", &exe))
		re->exe = get_str(exe, "path", arena);
	re->cmdline = "";

	if (!json_object_object_get_ex(obj, "args", &args))
		return 0;
	if (!json_object_is_type(args, json_type_array))
		return fail(err, errlen, "%s: \"args\" is not an array", name);
	for (size_t i = 0; i < json_object_array_length(args); i++) {
		struct json_object *a = json_object_array_get_idx(args, i), *an, *av;
		const char *aname;
		unsigned idx;
		int r;

		if (!json_object_object_get_ex(a, "name", &an) ||
		    !json_object_is_type(an, json_type_string))
			return fail(err, errlen, "%s: args[%zu] has no \"name\"", name, i);
		aname = json_object_get_string(an);
		for (idx = 0; idx < re->desc->nargs; idx++)
			if (strcmp(re->desc->args[idx].name, aname) == 0)
				break;
		if (idx == re->desc->nargs)
			return fail(err, errlen, "%s has no argument '%s'", name, aname);
		if (!json_object_object_get_ex(a, "value", &av))
			continue;
		r = arg_value(&re->args[idx], &re->desc->args[idx], av, arena, name, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

struct replay_line {
	struct json_object *obj;
};

static void event_json(void *ctx, struct strbuf *sb)
{
	struct replay_line *l = ctx;

	sb_puts(sb, json_object_to_json_string_ext(l->obj, JSON_C_TO_STRING_PLAIN));
}

DEFINE_POINTER_CLEANUP(struct te_proctree *, te_proctree_free)
DEFINE_POINTER_CLEANUP(struct json_tokener *, json_tokener_free)

static void arena_freep(struct te_rule_arena **a)
{
	if (*a) {
		te_rule_arena_free(*a);
		free(*a);
	}
}

int te_replay_file(const char *path, struct te_engine *engine, const char *hostname)
{
	_cleanup_fclose_ FILE *opened = NULL;
	_cleanup_(te_proctree_freep) struct te_proctree *pt = NULL;
	_cleanup_(arena_freep) struct te_rule_arena *arena = NULL;
	_cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
	_cleanup_free_ char *line = NULL;
	FILE *in = stdin;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0, bad = 0;
	char err[256];

	if (strcmp(path, "-") != 0) {
		in = opened = fopen(path, "r");
		if (!in) {
			log_error_errno(errno, "--replay: cannot open %s: %m", path);
			return 1;
		}
	}
	pt = te_proctree_new(REPLAY_PROCTREE_CAPACITY);
	arena = calloc(1, sizeof(*arena));
	tok = json_tokener_new();
	if (!pt || !arena || !tok) {
		log_error("out of memory");
		return 1;
	}
	while ((n = getline(&line, &cap, in)) > 0) {
		struct replay_line l;
		struct te_rule_event re;
		enum json_tokener_error jerr;
		struct te_proc *proc;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		json_tokener_reset(tok);
		l.obj = json_tokener_parse_ex(tok, line, (int)n);
		jerr = json_tokener_get_error(tok);
		if (!l.obj || jerr != json_tokener_success ||
		    json_tokener_get_parse_end(tok) != (size_t)n) {
			log_error("%s:%lu: not a JSON object: %s", path, lineno,
				  l.obj ? "trailing data" : json_tokener_error_desc(jerr));
			json_object_put(l.obj);
			bad++;
			continue;
		}
		if (te_replay_parse(l.obj, &re, arena, err, sizeof(err)) < 0) {
			log_error("%s:%lu: %s", path, lineno, err);
			json_object_put(l.obj);
			bad++;
			continue;
		}
		if (!re.hostname[0])
			re.hostname = hostname;
		proc = te_rule_event_track(pt, &re);
		re.pt = pt;
		re.proc = proc;
		replay_exe_verified(l.obj, proc);
		if (proc) {
			if (!re.exe[0] && proc->exe)
				re.exe = proc->exe;
			if (proc->cmdline)
				re.cmdline = proc->cmdline;
		}
		te_engine_process(engine, &re, event_json, &l);
		json_object_put(l.obj);
	}
	fflush(stdout);
	return bad ? 1 : 0;
}
