/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule engine throughput: events per second through te_ruleset_match and
 * through the whole te_engine_process (detections as JSON lines to
 * /dev/null), on one core, for several rule sets in one invocation:
 *
 *   empty      a rule set with no rules (the cost of the call and index)
 *   default    the rules directory given with -R (default: rules/)
 *   gen        N generated rules (-g, default 1000) from a generated YAML file
 *   default+gen  both
 *
 * Events: a pool of synthetic events with a realistic mix (mostly openat;
 * execve, sched_process_exec with argv, mprotect, connect, dup2, ptrace,
 * memfd_create, fork/exit, kill, setuid, unlinkat), written as the JSON
 * lines `--output json` prints and parsed with te_replay_parse, exactly as
 * --replay does; or a recorded event file (-e FILE.jsonl).  The process
 * tree is built from the pool once (te_rule_event_track), so ancestor
 * fields work.  Each measurement loops over the pool for -n events; best of
 * -r runs (wall clock, CLOCK_MONOTONIC; thread CPU time is printed too).
 *
 * Run pinned: taskset -c 1 build/bench/engine-bench   (bench/engine-bench.sh)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "engine.h"
#include "proctree.h"
#include "replay.h"
#include "rule_event.h"
#include "rule_set.h"

struct pool_ev {
	struct te_rule_event re;
	const char *json; /* the event as a JSON line, for detections */
};

static struct pool_ev *pool;
static size_t npool;
static struct te_proctree *ptree;

/* ---- small deterministic PRNG ------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}
#define PICK(a) (a[rnd(sizeof(a) / sizeof(a[0]))])

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "engine-bench: out of memory\n");
		exit(1);
	}
	return p;
}

static const char *xstrdup_n(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- the event pool ----------------------------------------------------- */

/* Move the strings of an event parsed into the (reused) arena to the heap. */
static void pool_add(const struct te_rule_event *re, const char *json)
{
	struct pool_ev *pe;

	pe = &pool[npool++];
	pe->re = *re;
	pe->re.comm = xstrdup_n(re->comm, strlen(re->comm));
	pe->re.exe = xstrdup_n(re->exe, strlen(re->exe));
	pe->re.cmdline = xstrdup_n(re->cmdline, strlen(re->cmdline));
	pe->re.container_id = xstrdup_n(re->container_id, strlen(re->container_id));
	pe->re.hostname = xstrdup_n(re->hostname, strlen(re->hostname));
	for (unsigned i = 0; i < TE_MAX_ARGS; i++)
		if (re->args[i].type == TE_RV_STR || re->args[i].type == TE_RV_LIST)
			pe->re.args[i].str = xstrdup_n(re->args[i].str, re->args[i].len);
	pe->json = xstrdup_n(json, strlen(json));
}

static int parse_line(const char *line, struct te_rule_arena *arena)
{
	struct json_object *obj = json_tokener_parse(line);
	struct te_rule_event re;
	char err[256];

	if (!obj)
		return -1;
	if (te_replay_parse(obj, &re, arena, err, sizeof(err)) < 0) {
		fprintf(stderr, "engine-bench: %s\n  in %s\n", err, line);
		json_object_put(obj);
		return -1;
	}
	if (!re.hostname[0])
		re.hostname = "bench";
	pool_add(&re, json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
	return 0;
}

static const char *comms[] = {
	"bash", "sh", "python3", "nginx", "sshd", "cat", "systemd", "node", "java", "postgres",
	"containerd", "dockerd", "cron", "ls", "grep", "git", "make", "cc1", "ld", "redis-server",
	"sed", "awk", "curl", "apt-get", "dpkg", "journald", "chrome", "php-fpm", "rsyslogd",
	"kubelet",
};
static const char *open_paths[] = {
	"/etc/ld.so.cache", "/usr/lib/x86_64-linux-gnu/libc.so.6",
	"/usr/lib/x86_64-linux-gnu/libpthread.so.0", "/proc/self/stat", "/proc/meminfo",
	"/sys/fs/cgroup/cpu.max", "/home/user/project/src/main.c", "/home/user/.bashrc",
	"/tmp/tmp.X1b2c3", "/var/log/syslog", "/var/lib/postgresql/15/main/base/16384/2619",
	"/usr/share/zoneinfo/UTC", "/etc/nsswitch.conf", "/etc/passwd", "/etc/hosts",
	"/dev/null", "/dev/urandom", "/run/systemd/journal/socket", "/usr/bin/python3",
	"/etc/localtime", "/srv/www/index.html", "/var/cache/apt/pkgcache.bin",
};
/* what some default rules look for: 1 openat in 200 */
static const char *rare_paths[] = {
	"/etc/shadow", "/root/.ssh/authorized_keys", "/etc/sudoers", "/proc/1/maps",
};
static const char *open_flags[] = {
	"O_RDONLY|O_CLOEXEC", "O_RDONLY|O_CLOEXEC", "O_RDONLY|O_CLOEXEC", "O_RDONLY",
	"O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY", "O_WRONLY|O_CREAT|O_TRUNC",
	"O_RDWR|O_CREAT|O_CLOEXEC", "O_WRONLY|O_APPEND|O_CREAT",
};
static const char *exec_paths[] = {
	"/usr/bin/ls", "/usr/bin/grep", "/usr/bin/git", "/usr/bin/cat", "/usr/bin/python3",
	"/usr/bin/sed", "/usr/bin/curl", "/usr/bin/bash", "/usr/sbin/nginx", "/usr/bin/make",
	"/tmp/.x/payload", "/usr/bin/gdb",
};
static const char *addrs[] = {
	"{\"sa_family\":\"AF_INET\",\"sin_addr\":\"10.0.0.5\",\"sin_port\":\"5432\"}",
	"{\"sa_family\":\"AF_INET\",\"sin_addr\":\"93.184.216.34\",\"sin_port\":\"443\"}",
	"{\"sa_family\":\"AF_INET6\",\"sin6_addr\":\"::1\",\"sin6_port\":\"6379\",\"sin6_scope_id\":\"0\"}",
	"{\"sa_family\":\"AF_UNIX\",\"sun_path\":\"/run/systemd/private\"}",
	"{\"sa_family\":\"AF_UNIX\",\"sun_path\":\"/var/run/nscd/socket\"}",
	"{\"sa_family\":\"AF_INET\",\"sin_addr\":\"10.1.2.3\",\"sin_port\":\"4444\"}",
};

static int synth_pool(size_t n)
{
	struct te_rule_arena *arena = calloc(1, sizeof(*arena));
	char line[4096], args[3072];
	uint64_t t = 1795840000000000000ULL;

	if (!arena)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t pid = 1000 + rnd(400), ppid = pid < 1100 ? 1 : 1000 + rnd(100);
		const char *comm = PICK(comms), *name;
		int64_t ret = 0;
		uint32_t uid = rnd(4) ? 1000 : 0, k = rnd(1000);

		if (k < 600) {
			name = "openat";
			ret = rnd(10) ? (int64_t)(3 + rnd(20)) : -2;
			snprintf(args, sizeof(args),
				 "{\"name\":\"dirfd\",\"type\":\"int\",\"value\":\"AT_FDCWD\"},"
				 "{\"name\":\"pathname\",\"type\":\"const char*\",\"value\":\"%s\"},"
				 "{\"name\":\"flags\",\"type\":\"int\",\"value\":\"%s\"},"
				 "{\"name\":\"mode\",\"type\":\"mode_t\",\"value\":\"0644\"}",
				 rnd(200) ? PICK(open_paths) : PICK(rare_paths), PICK(open_flags));
		} else if (k < 650) {
			const char *p = PICK(exec_paths), *b = strrchr(p, '/') + 1;

			name = "execve";
			snprintf(args, sizeof(args),
				 "{\"name\":\"pathname\",\"type\":\"const char*\",\"value\":\"%s\"},"
				 "{\"name\":\"argv\",\"type\":\"const char*const*\",\"value\":[\"%s\",\"-l\",\"--color=auto\",\"/home/user/file%u\"]},"
				 "{\"name\":\"envp\",\"type\":\"const char*const*\",\"value\":[\"PATH=/usr/bin:/bin\",\"HOME=/home/user\",\"LANG=C.UTF-8\"]}",
				 p, b, rnd(100));
		} else if (k < 700) {
			const char *p = PICK(exec_paths), *b = strrchr(p, '/') + 1;

			name = "sched_process_exec";
			comm = b;
			snprintf(args, sizeof(args),
				 "{\"name\":\"cmdpath\",\"type\":\"const char*\",\"value\":\"%s\"},"
				 "{\"name\":\"pathname\",\"type\":\"const char*\",\"value\":\"%s\"},"
				 "{\"name\":\"dev\",\"type\":\"dev_t\",\"value\":2049},"
				 "{\"name\":\"inode\",\"type\":\"unsigned long\",\"value\":%u},"
				 "{\"name\":\"is_memfd\",\"type\":\"bool\",\"value\":false},"
				 "{\"name\":\"argv\",\"type\":\"const char**\",\"value\":[\"%s\",\"-c\",\"echo hello; sleep 1\",\"--verbose\"]}",
				 p, p, 100000 + rnd(1000), b);
		} else if (k < 790) {
			name = "mprotect";
			snprintf(args, sizeof(args),
				 "{\"name\":\"addr\",\"type\":\"void*\",\"value\":\"0x7f%08x000\"},"
				 "{\"name\":\"len\",\"type\":\"size_t\",\"value\":4096},"
				 "{\"name\":\"prot\",\"type\":\"int\",\"value\":\"%s\"},"
				 "{\"name\":\"prev_prot\",\"type\":\"int\",\"value\":\"PROT_READ|PROT_WRITE\"}",
				 rnd(1u << 28), rnd(20) ? "PROT_READ" : "PROT_READ|PROT_EXEC");
		} else if (k < 870) {
			name = "connect";
			ret = rnd(3) ? 0 : -115;
			snprintf(args, sizeof(args),
				 "{\"name\":\"sockfd\",\"type\":\"int\",\"value\":%u},"
				 "{\"name\":\"addr\",\"type\":\"struct sockaddr*\",\"value\":%s}",
				 3 + rnd(10), PICK(addrs));
		} else if (k < 910) {
			name = "dup2";
			snprintf(args, sizeof(args),
				 "{\"name\":\"oldfd\",\"type\":\"int\",\"value\":%u},"
				 "{\"name\":\"newfd\",\"type\":\"int\",\"value\":%u},"
				 "{\"name\":\"oldfd_type\",\"type\":\"int\",\"value\":\"%s\"}",
				 3 + rnd(10), rnd(4), rnd(10) ? "pipe" : "file");
		} else if (k < 920) {
			name = "ptrace";
			snprintf(args, sizeof(args),
				 "{\"name\":\"request\",\"type\":\"long\",\"value\":\"%s\"},"
				 "{\"name\":\"pid\",\"type\":\"pid_t\",\"value\":%u},"
				 "{\"name\":\"addr\",\"type\":\"void*\",\"value\":\"0x0\"},"
				 "{\"name\":\"data\",\"type\":\"void*\",\"value\":\"0x0\"}",
				 rnd(5) ? "PTRACE_PEEKDATA" : "PTRACE_ATTACH", 1000 + rnd(400));
		} else if (k < 930) {
			name = "memfd_create";
			snprintf(args, sizeof(args),
				 "{\"name\":\"name\",\"type\":\"const char*\",\"value\":\"%s\"},"
				 "{\"name\":\"flags\",\"type\":\"unsigned int\",\"value\":\"MFD_CLOEXEC\"}",
				 rnd(2) ? "wayland-shm" : "jit-code");
		} else if (k < 960) {
			name = "sched_process_fork";
			snprintf(args, sizeof(args),
				 "{\"name\":\"parent_pid\",\"type\":\"int\",\"value\":%u},"
				 "{\"name\":\"parent_tid\",\"type\":\"int\",\"value\":%u},"
				 "{\"name\":\"child_pid\",\"type\":\"int\",\"value\":%u},"
				 "{\"name\":\"child_tid\",\"type\":\"int\",\"value\":%u},"
				 "{\"name\":\"child_ns_pid\",\"type\":\"int\",\"value\":0},"
				 "{\"name\":\"start_time\",\"type\":\"unsigned long\",\"value\":1}",
				 pid, pid, 1000 + rnd(400), 1000 + rnd(400));
		} else if (k < 980) {
			name = "sched_process_exit";
			snprintf(args, sizeof(args),
				 "{\"name\":\"exit_code\",\"type\":\"long\",\"value\":0},"
				 "{\"name\":\"process_group_exit\",\"type\":\"bool\",\"value\":false}");
		} else if (k < 988) {
			name = "unlinkat";
			snprintf(args, sizeof(args),
				 "{\"name\":\"dirfd\",\"type\":\"int\",\"value\":\"AT_FDCWD\"},"
				 "{\"name\":\"pathname\",\"type\":\"const char*\",\"value\":\"/tmp/tmp.%u\"},"
				 "{\"name\":\"flags\",\"type\":\"int\",\"value\":\"0\"}",
				 rnd(10000));
		} else if (k < 995) {
			name = "kill";
			snprintf(args, sizeof(args),
				 "{\"name\":\"pid\",\"type\":\"pid_t\",\"value\":%u},"
				 "{\"name\":\"sig\",\"type\":\"int\",\"value\":\"%s\"}",
				 1000 + rnd(400), rnd(2) ? "SIGTERM" : "SIGCHLD");
		} else {
			name = "setuid";
			snprintf(args, sizeof(args),
				 "{\"name\":\"uid\",\"type\":\"uid_t\",\"value\":%u}", rnd(2) ? 0 : 1000);
		}
		t += 1000 + rnd(2000);
		snprintf(line, sizeof(line),
			 "{\"timestamp\":%" PRIu64 ",\"processId\":%u,\"threadId\":%u,"
			 "\"parentProcessId\":%u,\"hostProcessId\":%u,\"hostThreadId\":%u,"
			 "\"hostParentProcessId\":%u,\"userId\":%u,\"mountNamespace\":4026531840,"
			 "\"pidNamespace\":4026531836,\"processName\":\"%s\","
			 "\"executable\":{\"path\":\"\"},\"hostName\":\"bench\",\"containerId\":\"%s\","
			 "\"eventId\":\"0\",\"eventName\":\"%s\",\"returnValue\":%" PRId64 ","
			 "\"args\":[%s]}",
			 t, pid, pid, ppid, pid, pid, ppid, uid, comm,
			 rnd(10) ? "" : "4f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a",
			 name, ret, args);
		if (parse_line(line, arena) < 0) {
			te_rule_arena_free(arena);
			free(arena);
			return -1;
		}
	}
	te_rule_arena_free(arena);
	free(arena);
	return 0;
}

static int file_pool(const char *path, size_t max)
{
	struct te_rule_arena *arena = calloc(1, sizeof(*arena));
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f || !arena) {
		fprintf(stderr, "engine-bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (npool < max && (n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n)
			parse_line(line, arena); /* bad lines are skipped */
	}
	free(line);
	fclose(f);
	te_rule_arena_free(arena);
	free(arena);
	return npool ? 0 : -1;
}

/* The process tree, as --replay builds it, then pointers fixed. */
static void pool_track(void)
{
	ptree = te_proctree_new(65536);
	for (size_t i = 0; i < npool; i++)
		te_rule_event_track(ptree, &pool[i].re);
	for (size_t i = 0; i < npool; i++) {
		struct te_rule_event *re = &pool[i].re;
		struct te_proc *p = te_proctree_get(ptree, re->pid);

		re->pt = ptree;
		re->proc = p;
		if (p) {
			if (!re->exe[0] && p->exe)
				re->exe = p->exe;
			if (p->cmdline)
				re->cmdline = p->cmdline;
		}
	}
}

/* ---- generated rules ---------------------------------------------------- */

static int gen_rules(const char *path, unsigned n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "# generated by engine-bench: %u rules\n- required_engine_version: 1\n", n);
	for (unsigned l = 0; l < 20; l++) {
		fprintf(f, "- list: gen_allow_%u\n  items: [", l);
		for (unsigned j = 0; j < 12; j++)
			fprintf(f, "%sapp%u_%u", j ? ", " : "", l, j);
		fprintf(f, ", bash, python3]\n");
	}
	fprintf(f, "- macro: gen_shell\n  condition: proc.pname in (bash, sh, dash, zsh)\n");
	for (unsigned i = 0; i < n; i++) {
		char cond[512];

		switch (i % 15) {
		case 0: case 1:
			snprintf(cond, sizeof(cond),
				 "evt.name = openat and fd.name startswith /srv/app%u/ and not proc.name in (gen_allow_%u)",
				 i, i % 20);
			break;
		case 2:
			snprintf(cond, sizeof(cond),
				 "evt.name in (open, openat, openat2) and fd.name = /etc/app%u.conf and evt.arg.flags contains O_WRONLY",
				 i);
			break;
		case 3:
			snprintf(cond, sizeof(cond),
				 "evt.name = execve and proc.name in (gen_allow_%u) and evt.arg.pathname endswith /bin/tool%u",
				 i % 20, i);
			break;
		case 4:
			snprintf(cond, sizeof(cond),
				 "evt.name = sched_process_exec and proc.args contains \"--flag%u\" and gen_shell",
				 i);
			break;
		case 5:
			snprintf(cond, sizeof(cond),
				 "evt.name = connect and evt.arg.addr endswith \":%u\" and not proc.exe startswith /usr/lib/",
				 20000 + i);
			break;
		case 6:
			snprintf(cond, sizeof(cond),
				 "evt.name = mprotect and evt.arg.prot contains PROT_EXEC and proc.name = worker%u",
				 i);
			break;
		case 7:
			snprintf(cond, sizeof(cond),
				 "evt.name = dup2 and evt.arg.oldfd_type = socket and evt.arg.newfd <= 2 and proc.name = d%u",
				 i);
			break;
		case 8:
			snprintf(cond, sizeof(cond),
				 "evt.name = ptrace and evt.arg.request in (PTRACE_POKETEXT, PTRACE_POKEDATA) and proc.aname[2] = svc%u",
				 i);
			break;
		case 9:
			snprintf(cond, sizeof(cond),
				 "evt.name = memfd_create and evt.arg.name startswith gen%u", i);
			break;
		case 10:
			snprintf(cond, sizeof(cond),
				 "evt.name = unlinkat and evt.arg.pathname startswith /var/lib/app%u/ and user.uid != 0",
				 i);
			break;
		case 11:
			snprintf(cond, sizeof(cond),
				 "evt.name = kill and evt.arg.sig = SIGKILL and proc.name = k%u", i);
			break;
		case 12:
			snprintf(cond, sizeof(cond),
				 "evt.name = setuid and evt.arg.uid = 0 and not proc.name in (gen_allow_%u) and proc.pid = %u",
				 i % 20, 100000 + i);
			break;
		case 13:
			snprintf(cond, sizeof(cond),
				 "evt.name in (rename, renameat, renameat2) and evt.arg.newpath startswith /etc/gen%u",
				 i);
			break;
		case 14:
			snprintf(cond, sizeof(cond),
				 "evt.name = fchmodat and evt.arg.pathname glob '/srv/app%u/*.sh'", i);
			break;
		}
		fprintf(f,
			"- rule: Generated rule %u\n  id: GEN-%u\n  description: generated\n"
			"  condition: >-\n    %s\n"
			"  output: \"gen %u %%proc.name (%%proc.pid) %%evt.name %%fd.name\"\n"
			"  severity: low\n",
			i, i, cond, i);
	}
	return fclose(f);
}

/* ---- measuring ---------------------------------------------------------- */

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void event_json(void *ctx, struct strbuf *sb)
{
	sb_puts(sb, ctx);
}

struct result {
	double best_wall, best_cpu;
	uint64_t matches, emitted;
};

enum mode { M_ITER, M_MATCH, M_ENGINE };

static volatile uint64_t sink;

static struct result measure(struct te_ruleset *rs, enum mode mode, size_t nevents, int runs,
			     FILE *devnull)
{
	struct result r = { 1e30, 1e30, 0, 0 };

	for (int run = 0; run < runs + 1; run++) { /* run 0 warms up */
		struct te_engine_opts o = { .json = true, .dedup_window_ns = 1000000000ULL,
					    .out = devnull };
		struct te_engine *e = mode == M_ENGINE ? te_engine_new(rs, &o) : NULL;
		uint64_t m = 0, t = 1795840000000000000ULL;
		double w0, c0, w, c;
		size_t j = 0;

		w0 = now(CLOCK_MONOTONIC);
		c0 = now(CLOCK_THREAD_CPUTIME_ID);
		for (size_t i = 0; i < nevents; i++) {
			struct pool_ev *pe = &pool[j];

			if (++j == npool)
				j = 0;
			switch (mode) {
			case M_ITER:
				m += pe->re.pid;
				__asm__ volatile("" ::: "memory");
				break;
			case M_MATCH:
				m += te_ruleset_match(rs, &pe->re, NULL, NULL);
				break;
			case M_ENGINE:
				/* 1 µs apart: time moves on when the pool wraps */
				t += 1000;
				pe->re.time_ns = t;
				te_engine_process(e, &pe->re, event_json, (void *)pe->json);
				break;
			}
		}
		w = now(CLOCK_MONOTONIC) - w0;
		c = now(CLOCK_THREAD_CPUTIME_ID) - c0;
		if (run > 0) {
			if (w < r.best_wall)
				r.best_wall = w;
			if (c < r.best_cpu)
				r.best_cpu = c;
		}
		if (e) {
			r.matches = te_engine_matches(e);
			r.emitted = te_engine_emitted(e);
			te_engine_free(e);
		} else if (mode == M_MATCH) {
			r.matches = m;
		}
		sink += m;
	}
	return r;
}

static struct te_ruleset *load(const char *const *paths, size_t n)
{
	struct te_rl_error err;
	struct te_ruleset *rs = te_ruleset_load(paths, n, stderr, &err);

	if (!rs) {
		char buf[1024];

		te_rl_error_format(&err, buf, sizeof(buf));
		fprintf(stderr, "engine-bench: cannot load rules: %s\n", buf);
		exit(1);
	}
	return rs;
}

static size_t index_len(struct te_ruleset *rs, size_t *per_openat)
{
	size_t n = 0;

	*per_openat = 0;
	for (size_t i = 0; i < te_ruleset_count(rs); i++) {
		struct te_rule *r = te_ruleset_rule(rs, i);

		if (r->enabled && r->events[TE_EV_OPENAT])
			(*per_openat)++;
		n += r->enabled;
	}
	return n;
}

/* -P: which rules of @rs cost the most, evaluated alone over the pool. */
static void profile_rules(struct te_ruleset *rs, const char *name, int runs)
{
	size_t n = te_ruleset_count(rs);
	struct cost {
		double ns;
		struct te_rule *r;
	} *c = xmalloc((n ? n : 1) * sizeof(*c)), tmp;
	double total = 0;
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++) {
		struct te_rule *r = te_ruleset_rule(rs, i);
		double best = 1e30;

		c[i].r = r;
		for (int run = 0; run < runs + 1; run++) {
			double t0 = now(CLOCK_MONOTONIC), t;

			for (int rep = 0; rep < 20; rep++)
				for (size_t j = 0; j < npool; j++)
					if (r->enabled && r->events[pool[j].re.desc->id])
						m += te_expr_eval(r->cond, &pool[j].re);
			t = now(CLOCK_MONOTONIC) - t0;
			if (run && t < best)
				best = t;
		}
		c[i].ns = 1e9 * best / (20.0 * (double)npool);
		total += c[i].ns;
	}
	for (size_t i = 0; i < n; i++) /* few rules: insertion sort */
		for (size_t j = i; j > 0 && c[j].ns > c[j - 1].ns; j--) {
			tmp = c[j];
			c[j] = c[j - 1];
			c[j - 1] = tmp;
		}
	printf("rule cost, %s set (ns per event of the mix, each rule alone; total %.1f):\n", name,
	       total);
	for (size_t i = 0; i < n && i < 12; i++)
		printf("  %7.1f ns  %5.1f%%  %-10s %s\n", c[i].ns, 100 * c[i].ns / total, c[i].r->id,
		       c[i].r->name);
	sink += m;
	free(c);
}

static void usage(void)
{
	fputs("usage: engine-bench [-n EVENTS] [-r RUNS] [-p POOL] [-g NRULES] [-R RULES]\n"
	      "                    [-e EVENTS.jsonl] [-k GENERATED.yaml]\n"
	      "  -n  events per measurement (default 2000000)\n"
	      "  -r  runs per measurement, best counts (default 5; plus one warm-up)\n"
	      "  -p  distinct synthetic events in the pool (default 4096)\n"
	      "  -g  generated rules (default 1000)\n"
	      "  -R  default rules file or directory (default rules)\n"
	      "  -e  use recorded events (--output json lines) instead of synthetic ones\n"
	      "  -k  keep the generated rules in this file (default: a temporary file)\n"
	      "  -P  also print the costliest rules of the default set\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	size_t nevents = 2000000, poolsize = 4096;
	unsigned ngen = 1000;
	int runs = 5, opt, prof = 0;
	const char *rules = "rules", *events = NULL, *keep = NULL;
	char genpath[] = "/tmp/engine-bench-XXXXXX.yaml", emptypath[] = "/tmp/engine-bench-empty-XXXXXX.yaml";
	FILE *devnull = fopen("/dev/null", "w");
	int fd;

	while ((opt = getopt(argc, argv, "n:r:p:g:R:e:k:Ph")) != -1) {
		switch (opt) {
		case 'n': nevents = strtoull(optarg, NULL, 10); break;
		case 'r': runs = atoi(optarg); break;
		case 'p': poolsize = strtoull(optarg, NULL, 10); break;
		case 'g': ngen = (unsigned)atoi(optarg); break;
		case 'R': rules = optarg; break;
		case 'e': events = optarg; break;
		case 'k': keep = optarg; break;
		case 'P': prof = 1; break;
		default: usage();
		}
	}
	if (!devnull || !nevents || runs < 1 || !poolsize)
		usage();

	pool = xmalloc(poolsize * sizeof(*pool));
	if (events ? file_pool(events, poolsize) : synth_pool(poolsize)) {
		fprintf(stderr, "engine-bench: no events\n");
		return 1;
	}
	pool_track();

	/* the mix actually in the pool */
	{
		size_t cnt[TE_EV_MAX] = { 0 };

		for (size_t i = 0; i < npool; i++)
			cnt[pool[i].re.desc->id]++;
		printf("events: %zu distinct (%s); mix:", npool, events ? events : "synthetic");
		for (unsigned e = 0; e < TE_EV_MAX; e++)
			if (cnt[e])
				printf(" %s %.1f%%", te_event_by_id(e)->name, 100.0 * cnt[e] / npool);
		printf("\n");
	}

	fd = mkstemps(emptypath, 5);
	if (fd < 0)
		return 1;
	close(fd);
	if (keep) {
		if (gen_rules(keep, ngen) < 0)
			return 1;
	} else {
		fd = mkstemps(genpath, 5);
		if (fd < 0)
			return 1;
		close(fd);
		if (gen_rules(genpath, ngen) < 0)
			return 1;
	}
	const char *gen = keep ? keep : genpath;
	const char *p_empty[] = { emptypath }, *p_def[] = { rules }, *p_gen[] = { gen },
		   *p_both[] = { rules, gen };
	struct {
		const char *name;
		struct te_ruleset *rs;
	} sets[] = {
		{ "empty", load(p_empty, 1) },
		{ "default", load(p_def, 1) },
		{ "gen", load(p_gen, 1) },
		{ "default+gen", load(p_both, 2) },
	};
	unlink(emptypath);
	if (!keep)
		unlink(genpath);

	printf("%zu events per measurement, best of %d runs (+1 warm-up), wall clock\n", nevents,
	       runs);
	struct result base = measure(sets[0].rs, M_ITER, nevents, runs, devnull);
	printf("%-12s %-7s %6s %7s %12s %9s %8s %10s %10s\n", "rules", "path", "rules", "openat",
	       "events/s", "ns/event", "x empty", "matches", "emitted");
	printf("%-12s %-7s %6s %7s %12.0f %9.1f %8s %10s %10s\n", "(none)", "iterate", "-", "-",
	       nevents / base.best_wall, 1e9 * base.best_wall / nevents, "-", "-", "-");
	double empty_match = 0, empty_engine = 0, nsv[4][2] = { { 0 } };

	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		size_t per_openat, nrules = index_len(sets[s].rs, &per_openat);

		for (enum mode m = M_MATCH; m <= M_ENGINE; m++) {
			struct result r = measure(sets[s].rs, m, nevents, runs, devnull);
			double ns = 1e9 * r.best_wall / nevents;

			if (s == 0)
				*(m == M_MATCH ? &empty_match : &empty_engine) = ns;
			nsv[s][m - M_MATCH] = ns;
			printf("%-12s %-7s %6zu %7zu %12.0f %9.1f %8.2f %10" PRIu64 " %10" PRIu64
			       "   (cpu %.0f/s)\n",
			       sets[s].name, m == M_MATCH ? "match" : "engine", nrules, per_openat,
			       nevents / r.best_wall, ns,
			       ns / (m == M_MATCH ? empty_match : empty_engine), r.matches,
			       r.emitted, nevents / r.best_cpu);
		}
		fflush(stdout);
	}
	if (prof)
		profile_rules(sets[1].rs, "default", runs);
	printf("slowdown against the default set: gen %.2fx (match) %.2fx (engine); "
	       "default+gen %.2fx (match) %.2fx (engine)\n",
	       nsv[2][0] / nsv[1][0], nsv[2][1] / nsv[1][1], nsv[3][0] / nsv[1][0],
	       nsv[3][1] / nsv[1][1]);
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++)
		te_ruleset_free(sets[s].rs);
	return (int)(sink & 0);
}
