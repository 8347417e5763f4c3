/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "foreground.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "loader.h"
#include "output.h"
#include "proctree.h"
#include "strbuf.h"

#define PROCTREE_CAPACITY 65536
#define POLL_MS 100

struct fg_ctx {
	const struct te_cli *cli;
	struct te_proctree *pt;
	struct te_output_ctx out;
	struct strbuf sb;
	int64_t boot_to_wall_ns;
	uint64_t seen;       /* records received */
	uint64_t printed;
	uint64_t malformed;  /* records the decoder rejected */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* CLOCK_REALTIME - CLOCK_BOOTTIME: turns the kernel's boot timestamps into
 * wall time.  Recomputed on every poll so clock steps are followed. */
static int64_t boot_to_wall(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return (rt.tv_sec - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec);
}

static size_t str_arg(const struct te_event *ev, unsigned idx, const char **p)
{
	if (idx >= ev->desc->nargs || !ev->args[idx].present)
		return 0;
	*p = ev->args[idx].buf.p;
	return ev->args[idx].buf.len;
}

/* Keep the process tree current from lifecycle events. */
static void track_process(struct fg_ctx *c, const struct te_event *ev)
{
	const struct te_record_hdr *h = &ev->hdr;

	switch (h->event_id) {
	case TE_EV_SCHED_PROCESS_FORK: {
		/* args: parent_pid parent_tid child_pid child_tid child_ns_pid start_time */
		if (!ev->args[2].present || !ev->args[3].present)
			return;
		/* A new thread is not a new process. */
		if (ev->args[2].s != ev->args[3].s)
			return;
		te_proctree_fork(c->pt, h->pid, (uint32_t)ev->args[2].s,
				 ev->args[5].present ? ev->args[5].u : 0, h->comm, h->uid);
		break;
	}
	case TE_EV_SCHED_PROCESS_EXEC: {
		const char *exe = NULL, *argv = NULL;
		size_t exe_len = str_arg(ev, 1, &exe), argv_len = str_arg(ev, 6, &argv);

		te_proctree_exec(c->pt, h->pid, h->ppid, exe, exe_len, argv, argv_len, h->comm,
				 h->uid);
		break;
	}
	case TE_EV_SCHED_PROCESS_EXIT:
		/* args: exit_code process_group_exit */
		if (ev->args[1].present && ev->args[1].u)
			te_proctree_exit(c->pt, h->pid);
		break;
	default:
		break;
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct fg_ctx *c = ctx;
	struct te_event ev;
	struct te_proc *proc;
	const char *container;
	char err[160];

	c->seen++;
	if (te_decode(data, size, c->boot_to_wall_ns, &ev, err, sizeof(err)) < 0) {
		/* Report the first few: a flood would hide everything else. */
		if (c->malformed++ < 10)
			fprintf(stderr, "traceed: dropped a malformed record: %s\n", err);
		return 0;
	}
	proc = te_proctree_touch(c->pt, ev.hdr.pid, ev.hdr.ppid, ev.hdr.comm, ev.hdr.uid);
	track_process(c, &ev);
	if (!c->cli->selected[ev.hdr.event_id])
		return 0;
	/* track_process may have replaced the entry (fork of a reused pid). */
	proc = te_proctree_get(c->pt, ev.hdr.pid);
	container = proc ? te_proctree_container(c->pt, proc, ev.hdr.cgroup_id) : "";
	if (!te_scope_match(&c->cli->scope, &ev.hdr, container))
		return 0;

	sb_reset(&c->sb);
	if (c->cli->output == TE_OUT_JSON) {
		te_output_json(&c->sb, &c->out, &ev, proc);
		sb_putc(&c->sb, '\n');
	} else {
		te_output_table(&c->sb, &c->out, &ev, proc);
	}
	fwrite(c->sb.p, 1, c->sb.len, stdout);
	c->printed++;
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int te_foreground_run(const struct te_cli *cli)
{
	struct te_loader loader;
	struct te_loader_opts lo = { 0 };
	struct fg_ctx c = { .cli = cli };
	bool wanted[TE_EV_MAX];
	char hostname[256] = "", why[160];
	int err, ret = 0;
	unsigned nselected = 0, nmissing = 0;
	uint64_t lost;

	if (!te_have_bpf_privileges(why, sizeof(why))) {
		fprintf(stderr, "traceed: %s\n", why);
		return 1;
	}
	gethostname(hostname, sizeof(hostname) - 1);
	c.out.hostname = hostname;
	sb_init(&c.sb);
	c.pt = te_proctree_new(PROCTREE_CAPACITY);
	if (!c.pt) {
		fprintf(stderr, "traceed: out of memory\n");
		return 1;
	}
	install_signals();

	/* The process tree needs lifecycle events even when they are not printed. */
	memcpy(wanted, cli->selected, sizeof(wanted));
	wanted[TE_EV_SCHED_PROCESS_FORK] = wanted[TE_EV_SCHED_PROCESS_EXEC] =
		wanted[TE_EV_SCHED_PROCESS_EXIT] = true;
	lo.wanted = wanted;
	lo.buffer_mib = cli->buffer_mib;
	lo.btf_path = cli->btf_path;
	lo.on_record = on_record;
	lo.ctx = &c;

	err = te_loader_start(&loader, &lo);
	if (err) {
		te_loader_stop(&loader);
		te_proctree_free(c.pt);
		sb_free(&c.sb);
		return 1;
	}
	/* Seed after attaching: a process born in between is seen either way. */
	te_proctree_seed(c.pt, "/proc");

	for (int id = 0; id < TE_EV_MAX; id++) {
		if (!cli->selected[id])
			continue;
		nselected++;
		if (!loader.kernel_wanted[id]) {
			nmissing++;
			fprintf(stderr, "traceed: event %s unavailable: %s\n", te_event_by_id(id)->name,
				loader.features.ev[id].reason);
		}
	}
	fprintf(stderr, "traceed: ready: tracing %u of %u selected events (%u programs attached)\n",
		nselected - nmissing, nselected, loader.nlinks);
	if (cli->output == TE_OUT_TABLE) {
		sb_reset(&c.sb);
		te_output_table_header(&c.sb);
		fwrite(c.sb.p, 1, c.sb.len, stdout);
	}
	fflush(stdout);

	while (!stop_requested) {
		c.boot_to_wall_ns = boot_to_wall();
		err = te_loader_poll(&loader, POLL_MS);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "traceed: reading the ring buffer failed: %s\n", strerror(-err));
			ret = 1;
			break;
		}
		if (fflush(stdout) == EOF && errno == EPIPE)
			break;
	}
	/* Drain what the kernel already queued before reporting. */
	te_loader_poll(&loader, 0);
	fflush(stdout);
	lost = te_loader_stat(&loader, TE_STAT_DROPPED);
	fprintf(stderr, "traceed: %llu events seen, %llu lost", (unsigned long long)c.seen,
		(unsigned long long)lost);
	if (c.malformed)
		fprintf(stderr, ", %llu malformed", (unsigned long long)c.malformed);
	fprintf(stderr, " (%llu printed)\n", (unsigned long long)c.printed);

	te_loader_stop(&loader);
	te_proctree_free(c.pt);
	sb_free(&c.sb);
	return ret;
}
