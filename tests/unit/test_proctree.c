/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Process tree tests.  A fake /proc is built under a mkdtemp directory at run
 * time (rather than checked-in data) so that each case can add, change or
 * delete files, e.g. to prove that a cached answer is not re-read.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "proctree.h"

#define HEX_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define HEX_C "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_63 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"

/* ---- fake /proc -------------------------------------------------------- */

static void put_file(const char *root, uint32_t pid, const char *name, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%u/%s", root, pid, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void put_str(const char *root, uint32_t pid, const char *name, const char *s)
{
	put_file(root, pid, name, s, strlen(s));
}

static void make_dir(const char *root, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* A process with stat (fields laid out as the kernel does, 24 of them),
 * status, optional exe link, cmdline (len bytes, NULs included) and cgroup. */
static void make_proc(const char *root, uint32_t pid, const char *comm, uint32_t ppid,
		      unsigned long long starttime, uint32_t uid, const char *exe,
		      const char *cmdline, size_t cmdline_len, const char *cgroup)
{
	char name[32], buf[1024];

	snprintf(name, sizeof(name), "%u", pid);
	make_dir(root, name);
	snprintf(buf, sizeof(buf),
		 "%u (%s) S %u %u %u 0 -1 4194304 10 0 0 0 5 6 0 0 20 0 1 0 %llu 1000000 200\n",
		 pid, comm, ppid, pid, pid, starttime);
	put_str(root, pid, "stat", buf);
	snprintf(buf, sizeof(buf),
		 "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%u\nPid:\t%u\nPPid:\t%u\n"
		 "TracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\n",
		 comm, pid, pid, ppid, uid, uid + 1, uid + 2, uid + 3);
	put_str(root, pid, "status", buf);
	if (exe) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%u/exe", root, pid);
		assert_int_equal(symlink(exe, path), 0);
	}
	put_file(root, pid, "cmdline", cmdline, cmdline_len);
	put_str(root, pid, "cgroup", cgroup);
}

static int rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

struct fixture {
	char root[64];
	struct te_proctree *pt;
};

static uint64_t ticks_ns(unsigned long long ticks)
{
	long hz = sysconf(_SC_CLK_TCK);

	return (uint64_t)ticks * (1000000000ull / (uint64_t)hz);
}

#define CMD1 "/sbin/init\0splash\0"
#define CMD100 "weird\0--flag\0two words\0\0\0"
#define CMD200 "nginx\0-g\0daemon off;\0"
#define CMD300 "pause\0"

static int setup_proc(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->root, "/tmp/test_proctree.XXXXXX");
	assert_non_null(mkdtemp(f->root));

	make_proc(f->root, 1, "systemd", 0, 2, 0, "/usr/lib/systemd/systemd",
		  CMD1, sizeof(CMD1) - 1, "0::/init.scope\n");
	/* Kernel thread: no exe link, empty cmdline, root cgroup. */
	make_proc(f->root, 2, "kthreadd", 0, 3, 0, NULL, "", 0, "0::/\n");
	/* comm with spaces, parentheses and a fake field list: only the last
	 * ')' ends it, or ppid/starttime would be read from inside comm. */
	make_proc(f->root, 100, "ev) S 9 (x)", 1, 12345, 1000, "/usr/bin/weird",
		  CMD100, sizeof(CMD100) - 1,
		  "0::/user.slice/user-1000.slice/session-2.scope\n");
	make_proc(f->root, 200, "nginx", 1, 50000, 101, "/usr/sbin/nginx",
		  CMD200, sizeof(CMD200) - 1,
		  "0::/system.slice/docker-" HEX_A ".scope\n");
	/* cgroup v1: the first lines are host paths, a later one names the pod
	 * container: the first line that yields an id wins. */
	make_proc(f->root, 300, "pause", 200, 60000, 65535, "/pause",
		  CMD300, sizeof(CMD300) - 1,
		  "13:name=systemd:/\n"
		  "12:cpuset:/\n"
		  "11:memory:/kubepods/besteffort/pod6f1b5e4c-1d2a-4c1e-9a53-3f8f0c4a2b11/" HEX_B "\n"
		  "10:pids:/kubepods/besteffort/pod6f1b5e4c-1d2a-4c1e-9a53-3f8f0c4a2b11/" HEX_C "\n");
	/* Vanished: the directory is there, its files are gone. */
	make_dir(f->root, "400");
	/* Vanished between stat and status. */
	make_dir(f->root, "500");
	put_str(f->root, 500, "stat", "500 (gone) Z 1 500 500 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0 0\n");
	/* Not processes. */
	make_dir(f->root, "sys");
	make_dir(f->root, "12abc");
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/self", f->root);
		assert_int_equal(symlink("100", path), 0);
	}

	f->pt = te_proctree_new(64);
	assert_non_null(f->pt);
	*state = f;
	return 0;
}

static int teardown_proc(void **state)
{
	struct fixture *f = *state;

	te_proctree_free(f->pt);
	nftw(f->root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ---- seeding ----------------------------------------------------------- */

static void test_seed(void **state)
{
	struct fixture *f = *state;
	struct te_proctree *pt = f->pt;
	struct te_proc *p;

	assert_int_equal(te_proctree_seed(pt, f->root), 5);
	assert_int_equal(te_proctree_count(pt), 5);

	p = te_proctree_get(pt, 1);
	assert_non_null(p);
	assert_string_equal(p->comm, "systemd");
	assert_int_equal(p->ppid, 0);
	assert_int_equal(p->uid, 0);
	assert_string_equal(p->exe, "/usr/lib/systemd/systemd");
	assert_string_equal(p->cmdline, "/sbin/init splash");
	assert_string_equal(p->container_id, "");
	assert_false(p->exited);
	assert_int_equal(p->start_ns, ticks_ns(2));

	p = te_proctree_get(pt, 2);
	assert_non_null(p);
	assert_string_equal(p->comm, "kthreadd");
	assert_null(p->exe);
	assert_null(p->cmdline);
	assert_string_equal(p->container_id, "");

	p = te_proctree_get(pt, 100);
	assert_non_null(p);
	assert_string_equal(p->comm, "ev) S 9 (x)");
	assert_int_equal(p->ppid, 1);
	assert_int_equal(p->uid, 1000);  /* the real uid, not effective */
	assert_int_equal(p->start_ns, ticks_ns(12345));
	assert_string_equal(p->exe, "/usr/bin/weird");
	assert_string_equal(p->cmdline, "weird --flag two words");
	assert_string_equal(p->container_id, "");

	p = te_proctree_get(pt, 200);
	assert_non_null(p);
	assert_int_equal(p->uid, 101);
	assert_string_equal(p->cmdline, "nginx -g daemon off;");
	assert_string_equal(p->container_id, HEX_A);

	p = te_proctree_get(pt, 300);
	assert_non_null(p);
	assert_int_equal(p->ppid, 200);
	assert_int_equal(p->uid, 65535);
	assert_string_equal(p->container_id, HEX_B);

	assert_null(te_proctree_get(pt, 400));
	assert_null(te_proctree_get(pt, 500));
	assert_null(te_proctree_get(pt, 12));
}

static void test_seed_missing_root(void **state)
{
	struct te_proctree *pt = te_proctree_new(8);

	(void)state;
	assert_int_equal(te_proctree_seed(pt, "/nonexistent/proc-root"), -ENOENT);
	assert_int_equal(te_proctree_count(pt), 0);
	te_proctree_free(pt);
}

/* The real kernel's format: we must at least find ourselves correctly. */
static void test_seed_real_proc(void **state)
{
	struct te_proctree *pt = te_proctree_new(65536);
	char exe[PATH_MAX];
	ssize_t n;
	struct te_proc *me;

	(void)state;
	assert_true(te_proctree_seed(pt, "/proc") > 0);
	me = te_proctree_get(pt, (uint32_t)getpid());
	assert_non_null(me);
	assert_int_equal(me->ppid, (uint32_t)getppid());
	assert_int_equal(me->uid, (uint32_t)getuid());
	assert_true(me->start_ns > 0);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	assert_non_null(me->exe);
	assert_string_equal(me->exe, exe);
	assert_non_null(me->cmdline);
	te_proctree_free(pt);
}

/* ---- fork / exec / exit ------------------------------------------------ */

static void test_fork_exec_exit(void **state)
{
	struct fixture *f = *state;
	struct te_proctree *pt = f->pt;
	struct te_proc *c;
	/* The lengths say where strings end; the bytes after must be ignored. */
	static const char exe[] = "/usr/bin/lsXXXX";
	static const char argv[] = "ls\0-la\0/tmp\0JUNK";
	static const char comm16[16] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
					 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p' };

	assert_int_equal(te_proctree_seed(pt, f->root), 5);

	/* Child of the docker process inherits exe, cmdline, container. */
	te_proctree_fork(pt, 200, 1000, 777, "nginx", 101);
	assert_int_equal(te_proctree_count(pt), 6);
	c = te_proctree_get(pt, 1000);
	assert_non_null(c);
	assert_int_equal(c->ppid, 200);
	assert_int_equal(c->uid, 101);
	assert_int_equal(c->start_ns, 777);
	assert_string_equal(c->comm, "nginx");
	assert_string_equal(c->exe, "/usr/sbin/nginx");
	assert_string_equal(c->cmdline, "nginx -g daemon off;");
	assert_string_equal(c->container_id, HEX_A);
	/* A copy, not the parent's buffer. */
	assert_ptr_not_equal(c->exe, te_proctree_get(pt, 200)->exe);

	te_proctree_exec(pt, 1000, 0, exe, 11, argv, 12, "ls", 1000);
	c = te_proctree_get(pt, 1000);
	assert_string_equal(c->exe, "/usr/bin/ls");
	assert_string_equal(c->cmdline, "ls -la /tmp");
	assert_string_equal(c->comm, "ls");
	assert_int_equal(c->uid, 1000);
	assert_int_equal(c->ppid, 200);          /* ppid 0: unchanged */
	assert_string_equal(c->container_id, HEX_A); /* exec keeps the cgroup */

	/* No comm given: the basename of the executable, as the kernel does. */
	te_proctree_exec(pt, 1000, 300, "/bin/sh", 8, "sh\0-c\0true", 10, NULL, 0);
	c = te_proctree_get(pt, 1000);
	assert_string_equal(c->comm, "sh");
	assert_string_equal(c->cmdline, "sh -c true");
	assert_int_equal(c->ppid, 300);
	assert_int_equal(c->uid, 0);

	/* A 16-byte comm without NUL is cut at 15 like the kernel's. */
	te_proctree_exec(pt, 1000, 0, "/bin/x", 6, NULL, 0, comm16, 0);
	c = te_proctree_get(pt, 1000);
	assert_string_equal(c->comm, "abcdefghijklmno");
	assert_null(c->cmdline);

	te_proctree_exit(pt, 1000);
	c = te_proctree_get(pt, 1000);
	assert_non_null(c);                      /* kept for late events */
	assert_true(c->exited);
	assert_true(c->exit_seq > 0);
	uint64_t seq = c->exit_seq;
	te_proctree_exit(pt, 1000);              /* duplicate: order kept */
	assert_int_equal(c->exit_seq, seq);
	assert_int_equal(te_proctree_count(pt), 6);

	/* pid reuse: a fork for an existing pid replaces the entry. */
	te_proctree_fork(pt, 1, 1000, 888, NULL, 0);
	c = te_proctree_get(pt, 1000);
	assert_false(c->exited);
	assert_int_equal(c->exit_seq, 0);
	assert_int_equal(c->ppid, 1);
	assert_int_equal(c->start_ns, 888);
	assert_string_equal(c->comm, "systemd");   /* no comm: the parent's */
	assert_string_equal(c->exe, "/usr/lib/systemd/systemd");
	assert_string_equal(c->container_id, "");
	assert_int_equal(te_proctree_count(pt), 6);

	/* Fork from an unknown parent: the child exists, knows only its ppid. */
	te_proctree_fork(pt, 4242, 4243, 1, "orphan", 5);
	c = te_proctree_get(pt, 4243);
	assert_non_null(c);
	assert_int_equal(c->ppid, 4242);
	assert_null(c->exe);
	assert_string_equal(c->comm, "orphan");
	assert_null(te_proctree_get(pt, 4242));

	/* Exec of a pid never seen creates it. */
	te_proctree_exec(pt, 5000, 1, "/usr/bin/true", 13, "true", 4, "true", 7);
	c = te_proctree_get(pt, 5000);
	assert_non_null(c);
	assert_string_equal(c->cmdline, "true");
	assert_int_equal(c->ppid, 1);

	/* Exit of a pid never seen is ignored. */
	size_t before = te_proctree_count(pt);
	te_proctree_exit(pt, 6000);
	assert_int_equal(te_proctree_count(pt), before);
	assert_null(te_proctree_get(pt, 6000));
}

static void test_touch_reparent(void **state)
{
	struct te_proctree *pt = te_proctree_new(32);
	struct te_proc *p, *anc[8];

	(void)state;
	p = te_proctree_touch(pt, 1, 0, "init", 0);
	assert_non_null(p);
	assert_int_equal(p->pid, 1);
	te_proctree_fork(pt, 1, 10, 1, "shell", 0);
	te_proctree_fork(pt, 10, 11, 2, "daemon", 0);
	te_proctree_exit(pt, 10);

	/* The parent exited; the child keeps its ppid until told otherwise. */
	p = te_proctree_get(pt, 11);
	assert_int_equal(p->ppid, 10);
	assert_int_equal(te_proctree_ancestors(pt, p, anc, 8), 2);
	assert_int_equal(anc[0]->pid, 10);
	assert_true(anc[0]->exited);
	assert_int_equal(anc[1]->pid, 1);

	/* The next event from the child says its parent is now init. */
	p = te_proctree_touch(pt, 11, 1, "daemon", 0);
	assert_ptr_equal(p, te_proctree_get(pt, 11));
	assert_int_equal(p->ppid, 1);
	assert_int_equal(te_proctree_ancestors(pt, p, anc, 8), 1);
	assert_int_equal(anc[0]->pid, 1);

	/* comm (prctl) and uid (setuid) changes; ppid 0 and comm NULL keep. */
	p = te_proctree_touch(pt, 11, 0, "worker", 33);
	assert_string_equal(p->comm, "worker");
	assert_int_equal(p->uid, 33);
	assert_int_equal(p->ppid, 1);
	p = te_proctree_touch(pt, 11, 0, NULL, 33);
	assert_string_equal(p->comm, "worker");

	/* Unknown pid: created from the header. */
	p = te_proctree_touch(pt, 77, 11, "new", 5);
	assert_non_null(p);
	assert_int_equal(p->ppid, 11);
	assert_string_equal(p->comm, "new");
	assert_int_equal(p->uid, 5);
	assert_null(p->exe);
	assert_ptr_equal(te_proctree_parent(pt, p), te_proctree_get(pt, 11));
	assert_int_equal(te_proctree_count(pt), 4);

	/* Touching an exited process does not bring it back to life. */
	p = te_proctree_touch(pt, 10, 1, "shell", 0);
	assert_true(p->exited);
	te_proctree_free(pt);
}

static void test_ancestors(void **state)
{
	struct te_proctree *pt = te_proctree_new(32);
	struct te_proc *anc[16];

	(void)state;
	te_proctree_touch(pt, 1, 0, "init", 0);
	te_proctree_fork(pt, 1, 10, 0, "sshd", 0);
	te_proctree_fork(pt, 10, 20, 0, "bash", 0);
	te_proctree_fork(pt, 20, 30, 0, "vim", 0);

	struct te_proc *p = te_proctree_get(pt, 30);
	assert_int_equal(te_proctree_ancestors(pt, p, anc, 16), 3);
	assert_int_equal(anc[0]->pid, 20);
	assert_int_equal(anc[1]->pid, 10);
	assert_int_equal(anc[2]->pid, 1);
	/* Bounded by max, nearest first. */
	assert_int_equal(te_proctree_ancestors(pt, p, anc, 2), 2);
	assert_int_equal(anc[0]->pid, 20);
	assert_int_equal(anc[1]->pid, 10);
	assert_int_equal(te_proctree_ancestors(pt, p, anc, 0), 0);
	/* init has none; stops at pid 1 even if pid 1 claims a parent. */
	te_proctree_touch(pt, 1, 30, NULL, 0);
	assert_int_equal(te_proctree_ancestors(pt, te_proctree_get(pt, 1), anc, 16), 0);
	assert_int_equal(te_proctree_ancestors(pt, p, anc, 16), 3);

	/* A ppid cycle not through pid 1: 50 → 51 → 52 → 50. */
	te_proctree_touch(pt, 50, 51, "a", 0);
	te_proctree_touch(pt, 51, 52, "b", 0);
	te_proctree_touch(pt, 52, 50, "c", 0);
	assert_int_equal(te_proctree_ancestors(pt, te_proctree_get(pt, 50), anc, 16), 2);
	assert_int_equal(anc[0]->pid, 51);
	assert_int_equal(anc[1]->pid, 52);
	/* A cycle that does not include the start: 60 → 61 → 62 → 61. */
	te_proctree_touch(pt, 60, 61, "d", 0);
	te_proctree_touch(pt, 61, 62, "e", 0);
	te_proctree_touch(pt, 62, 61, "f", 0);
	assert_int_equal(te_proctree_ancestors(pt, te_proctree_get(pt, 60), anc, 16), 2);
	assert_int_equal(anc[0]->pid, 61);
	assert_int_equal(anc[1]->pid, 62);
	/* Own parent. */
	p = te_proctree_touch(pt, 70, 70, "g", 0);
	assert_null(te_proctree_parent(pt, p));
	assert_int_equal(te_proctree_ancestors(pt, p, anc, 16), 0);
	/* Unknown parent ends the chain. */
	p = te_proctree_touch(pt, 80, 81, "h", 0);
	assert_null(te_proctree_parent(pt, p));
	assert_int_equal(te_proctree_ancestors(pt, p, anc, 16), 0);
	te_proctree_free(pt);
}

/* ---- capacity ---------------------------------------------------------- */

static void test_capacity_exited_first(void **state)
{
	struct te_proctree *pt = te_proctree_new(4);

	(void)state;
	assert_null(te_proctree_new(0));
	for (uint32_t pid = 1; pid <= 4; pid++)
		te_proctree_touch(pt, pid, 1, "p", 0);
	assert_int_equal(te_proctree_count(pt), 4);

	/* 3 exits before 2: 3 is the oldest exit and goes first. */
	te_proctree_exit(pt, 3);
	te_proctree_exit(pt, 2);
	te_proctree_touch(pt, 5, 1, "p", 0);
	assert_int_equal(te_proctree_count(pt), 4);
	assert_null(te_proctree_get(pt, 3));
	assert_non_null(te_proctree_get(pt, 2));
	/* 1 is the least recently touched live entry, but 2 has exited. */
	te_proctree_fork(pt, 5, 6, 0, "q", 0);
	assert_int_equal(te_proctree_count(pt), 4);
	assert_null(te_proctree_get(pt, 2));
	assert_non_null(te_proctree_get(pt, 1));

	/* No exited entry left: least recently touched goes.  Touch 1 so that
	 * 4 is now the oldest (1 was touched first, then 4, then 5, 6). */
	te_proctree_touch(pt, 1, 0, NULL, 0);
	te_proctree_exec(pt, 5, 0, "/x", 2, "x", 1, "x", 0);
	te_proctree_touch(pt, 7, 1, "p", 0);
	assert_int_equal(te_proctree_count(pt), 4);
	assert_null(te_proctree_get(pt, 4));
	assert_non_null(te_proctree_get(pt, 1));
	assert_non_null(te_proctree_get(pt, 5));
	assert_non_null(te_proctree_get(pt, 6));
	assert_non_null(te_proctree_get(pt, 7));
	/* Then 6 (5 was refreshed by its exec after 6's fork). */
	te_proctree_touch(pt, 8, 1, "p", 0);
	assert_null(te_proctree_get(pt, 6));
	assert_non_null(te_proctree_get(pt, 5));
	/* Live order is now 1, 5, 7, 8.  Forking is activity of the parent:
	 * 1 forks, so 5 becomes the oldest and is the one reclaimed. */
	te_proctree_fork(pt, 1, 9, 0, NULL, 0);
	assert_non_null(te_proctree_get(pt, 1));
	assert_non_null(te_proctree_get(pt, 9));
	assert_null(te_proctree_get(pt, 5));
	te_proctree_free(pt);
}

/* A tiny table where the fork's child must evict its own parent. */
static void test_capacity_one(void **state)
{
	struct te_proctree *pt = te_proctree_new(1);
	struct te_proc *c;

	(void)state;
	te_proctree_exec(pt, 10, 1, "/bin/bash", 9, "bash", 4, "bash", 0);
	te_proctree_fork(pt, 10, 11, 5, NULL, 0);
	assert_int_equal(te_proctree_count(pt), 1);
	assert_null(te_proctree_get(pt, 10));
	c = te_proctree_get(pt, 11);
	assert_non_null(c);
	assert_string_equal(c->exe, "/bin/bash");
	assert_string_equal(c->comm, "bash");
	te_proctree_free(pt);
}

/* Many random operations on a small table: the count never exceeds the
 * capacity, every entry found is the pid asked for, and (under ASan) no
 * string leaks or is used after being freed. */
static void test_capacity_churn(void **state)
{
	enum { CAP = 50, PIDS = 200 };
	struct te_proctree *pt = te_proctree_new(CAP);
	struct te_proc *anc[8];
	unsigned seed = 12345;

	(void)state;
	for (int k = 0; k < 200000; k++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t pid = 1 + (seed >> 8) % PIDS;
		uint32_t other = 1 + (seed >> 20) % PIDS;
		struct te_proc *p;

		switch ((seed >> 28) % 4) {
		case 0:
			te_proctree_fork(pt, other, pid, k, "f", 0);
			break;
		case 1:
			te_proctree_exec(pt, pid, other, "/usr/bin/e", 10, "e\0a", 3, NULL, 0);
			break;
		case 2:
			te_proctree_exit(pt, pid);
			break;
		default:
			p = te_proctree_touch(pt, pid, other, "t", 0);
			assert_int_equal(p->pid, pid);
			te_proctree_ancestors(pt, p, anc, 8);
			break;
		}
		assert_true(te_proctree_count(pt) <= CAP);
		p = te_proctree_get(pt, pid);
		if (p)
			assert_int_equal(p->pid, pid);
	}
	assert_int_equal(te_proctree_count(pt), CAP);
	te_proctree_free(pt);
}

/* ---- container ids ----------------------------------------------------- */

static void test_container_id_table(void **state)
{
	static const struct {
		const char *path;
		const char *id;  /* NULL: not a container */
	} cases[] = {
		{ "/docker/" HEX_A, HEX_A },
		{ "/system.slice/docker-" HEX_A ".scope", HEX_A },
		{ "/machine.slice/libpod-" HEX_A ".scope", HEX_A },
		{ "/libpod_parent/libpod-" HEX_A, HEX_A },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" HEX_B ".scope/container", HEX_B },
		{ "/kubepods/besteffort/pod6f1b5e4c-1d2a-4c1e-9a53-3f8f0c4a2b11/" HEX_A, HEX_A },
		{ "/kubepods/pod6f1b5e4c-1d2a-4c1e-9a53-3f8f0c4a2b11/" HEX_B, HEX_B },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod6f1b5e4c_1d2a_4c1e_9a53_3f8f0c4a2b11.slice/cri-containerd-" HEX_A ".scope", HEX_A },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f1b5e4c_1d2a.slice/crio-" HEX_B ".scope", HEX_B },
		{ "/crio-" HEX_C, HEX_C },
		/* Last matching component wins (docker in docker). */
		{ "/docker/" HEX_A "/docker/" HEX_B, HEX_B },
		{ "/system.slice/docker-" HEX_A ".scope/docker/" HEX_C, HEX_C },
		/* A non-matching component below keeps the match above. */
		{ "/system.slice/docker-" HEX_A ".scope/init.scope", HEX_A },
		/* A raw /proc line ends at its newline. */
		{ "/docker/" HEX_A "\n", HEX_A },
		{ "/docker/" HEX_A "//", HEX_A },
		/* Negatives. */
		{ "/", NULL },
		{ "", NULL },
		{ "/init.scope", NULL },
		{ "/user.slice/user-1000.slice/session-2.scope", NULL },
		{ "/system.slice/docker.service", NULL },
		{ "/system.slice/containerd.service", NULL },
		{ "/docker/" HEX_63, NULL },
		{ "/docker/" HEX_A "0", NULL },
		{ "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg", NULL },
		{ "/docker/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", NULL },
		{ "/system.slice/docker-" HEX_63 ".scope", NULL },
		{ "/system.slice/docker-" HEX_A "0.scope", NULL },
		{ "/system.slice/docker-" HEX_A ".service", NULL },
		{ "/system.slice/docker-" HEX_A ".scopex", NULL },
		{ "/machine.slice/libpod-conmon-" HEX_A ".scope", NULL },
		{ "/system.slice/crio-conmon-" HEX_A ".scope", NULL },
		{ "/kubepods/besteffort/pod6f1b5e4c-1d2a-4c1e-9a53-3f8f0c4a2b11", NULL },
		{ "/podman-" HEX_A ".scope", NULL },
		{ "/lxc/mycontainer", NULL },
		{ "\n/docker/" HEX_A, NULL },
	};
	char out[TE_CONTAINER_ID_LEN + 1];

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		memset(out, 'Z', sizeof(out));  /* must be overwritten either way */
		bool found = te_container_id_from_cgroup(cases[k].path, out);

		if (found != (cases[k].id != NULL))
			fail_msg("case %zu (%s): found=%d", k, cases[k].path, found);
		assert_string_equal(out, cases[k].id ? cases[k].id : "");
	}
}

static void test_container_cache(void **state)
{
	struct fixture *f = *state;
	struct te_proctree *pt = f->pt;
	char path[PATH_MAX];
	struct te_proc *p, *q;
	const char *id;

	assert_int_equal(te_proctree_seed(pt, f->root), 5);
	p = te_proctree_get(pt, 200);
	/* Forget what seeding learnt so that only the call can fill it. */
	p->container_id[0] = '\0';
	id = te_proctree_container(pt, p, 4711);
	assert_string_equal(id, HEX_A);
	assert_string_equal(p->container_id, HEX_A);

	/* Same cgroup id again, file gone: answered from the cache. */
	snprintf(path, sizeof(path), "%s/200/cgroup", f->root);
	assert_int_equal(unlink(path), 0);
	p->container_id[0] = '\0';
	id = te_proctree_container(pt, p, 4711);
	assert_string_equal(id, HEX_A);
	assert_string_equal(p->container_id, HEX_A);
	/* Another process in the same cgroup: cache too (its own file says
	 * host, so a read would have given ""). */
	q = te_proctree_get(pt, 100);
	assert_string_equal(te_proctree_container(pt, q, 4711), HEX_A);
	assert_string_equal(q->container_id, HEX_A);

	/* Host cgroups are cached as "" (a negative answer is an answer). */
	q = te_proctree_get(pt, 1);
	strcpy(q->container_id, "stale");
	assert_string_equal(te_proctree_container(pt, q, 1), "");
	snprintf(path, sizeof(path), "%s/1/cgroup", f->root);
	assert_int_equal(unlink(path), 0);
	q = te_proctree_get(pt, 300);
	assert_string_equal(te_proctree_container(pt, q, 1), "");
	assert_string_equal(q->container_id, "");

	/* A miss whose file cannot be read caches nothing and keeps what the
	 * process had (inherited at fork). */
	p = te_proctree_get(pt, 200);
	strcpy(p->container_id, HEX_C);
	assert_string_equal(te_proctree_container(pt, p, 4712), HEX_C);
	put_str(f->root, 200, "cgroup", "0::/docker/" HEX_B "\n");
	assert_string_equal(te_proctree_container(pt, p, 4712), HEX_B);
	assert_string_equal(p->container_id, HEX_B);
	/* ...and 4711 is still cached as before. */
	assert_string_equal(te_proctree_container(pt, p, 4711), HEX_A);

	/* cgroup id 0 (unknown) is never cached: re-read each time. */
	put_str(f->root, 200, "cgroup", "0::/docker/" HEX_C "\n");
	assert_string_equal(te_proctree_container(pt, p, 0), HEX_C);
	put_str(f->root, 200, "cgroup", "0::/init.scope\n");
	assert_string_equal(te_proctree_container(pt, p, 0), "");

	/* Without a process only the cache can answer. */
	assert_string_equal(te_proctree_container(pt, NULL, 4711), HEX_A);
	assert_string_equal(te_proctree_container(pt, NULL, 999999), "");
}

/* Without seeding, the proc root defaults to /proc. */
static void test_container_default_root(void **state)
{
	struct te_proctree *pt = te_proctree_new(8);
	char buf[8192], expect[TE_CONTAINER_ID_LEN + 1] = "";
	struct te_proc *me;
	FILE *fp;

	(void)state;
	fp = fopen("/proc/self/cgroup", "r");
	assert_non_null(fp);
	while (fgets(buf, sizeof(buf), fp)) {
		char *c2 = strchr(buf, ':');

		c2 = c2 ? strchr(c2 + 1, ':') : NULL;
		if (c2 && te_container_id_from_cgroup(c2 + 1, expect))
			break;
	}
	fclose(fp);
	me = te_proctree_touch(pt, (uint32_t)getpid(), (uint32_t)getppid(), "test", 0);
	strcpy(me->container_id, "x");
	assert_string_equal(te_proctree_container(pt, me, 123), expect);
	te_proctree_free(pt);
}

/*
 * te_proc_exe_verified: the path is trusted only when the file the kernel
 * executed (device, inode) is the file at that path here.  A look-alike
 * (same path, another inode: a copy, a file under a private mount), an
 * unknown identity, a relative or cut path, and a fresh exec without an
 * identity are all unverified; a forked child inherits the answer.
 */
static void test_exe_verified(void **state)
{
	char dir[] = "/tmp/traceed-proctree-XXXXXX", real[PATH_MAX], other[PATH_MAX];
	char cut[PATH_MAX + 16];
	struct te_proctree *pt = te_proctree_new(16);
	struct stat st, st2;
	uint64_t kdev;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(real, sizeof(real), "%s/dpkg", dir);
	snprintf(other, sizeof(other), "%s/bash", dir);
	fd = open(real, O_CREAT | O_WRONLY, 0755);
	assert_true(fd >= 0);
	close(fd);
	fd = open(other, O_CREAT | O_WRONLY, 0755);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(stat(other, &st2), 0);
	kdev = (uint64_t)major(st.st_dev) << 20 | minor(st.st_dev);

	/* the real file at its path */
	te_proctree_exec(pt, 10, 1, real, strlen(real), "dpkg", 4, "dpkg", 0);
	te_proctree_exec_identity(pt, 10, kdev, st.st_ino);
	assert_true(te_proc_exe_verified(te_proctree_get(pt, 10)));
	/* a child inherits it */
	te_proctree_fork(pt, 10, 11, 0, "dpkg", 0);
	assert_true(te_proc_exe_verified(te_proctree_get(pt, 11)));

	/* the path says dpkg, the kernel ran another file (bash) */
	te_proctree_exec(pt, 12, 1, real, strlen(real), "dpkg", 4, "dpkg", 0);
	te_proctree_exec_identity(pt, 12, kdev, st2.st_ino);
	assert_false(te_proc_exe_verified(te_proctree_get(pt, 12)));
	/* same inode number on another device */
	te_proctree_exec(pt, 13, 1, real, strlen(real), "dpkg", 4, "dpkg", 0);
	te_proctree_exec_identity(pt, 13, kdev + 1, st.st_ino);
	assert_false(te_proc_exe_verified(te_proctree_get(pt, 13)));
	/* a path cut short by the kernel's walk: it says so itself */
	snprintf(cut, sizeof(cut), "<truncated>%s", real);
	te_proctree_exec(pt, 14, 1, cut, strlen(cut), "dpkg", 4, "dpkg", 0);
	te_proctree_exec_identity(pt, 14, kdev, st.st_ino);
	assert_false(te_proc_exe_verified(te_proctree_get(pt, 14)));
	/* an exec without identity: nothing to hold the path against */
	te_proctree_exec(pt, 10, 1, real, strlen(real), "dpkg", 4, "dpkg", 0);
	assert_false(te_proc_exe_verified(te_proctree_get(pt, 10)));
	/* the file gone: no longer verifiable */
	te_proctree_exec_identity(pt, 10, kdev, st.st_ino);
	unlink(real);
	assert_false(te_proc_exe_verified(te_proctree_get(pt, 10)));
	assert_false(te_proc_exe_verified(NULL));

	unlink(other);
	rmdir(dir);
	te_proctree_free(pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seed, setup_proc, teardown_proc),
		cmocka_unit_test(test_seed_missing_root),
		cmocka_unit_test(test_seed_real_proc),
		cmocka_unit_test_setup_teardown(test_fork_exec_exit, setup_proc, teardown_proc),
		cmocka_unit_test(test_touch_reparent),
		cmocka_unit_test(test_ancestors),
		cmocka_unit_test(test_capacity_exited_first),
		cmocka_unit_test(test_capacity_one),
		cmocka_unit_test(test_capacity_churn),
		cmocka_unit_test(test_container_id_table),
		cmocka_unit_test_setup_teardown(test_container_cache, setup_proc, teardown_proc),
		cmocka_unit_test(test_container_default_root),
		cmocka_unit_test(test_exe_verified),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
