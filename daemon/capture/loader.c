/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "loader.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "traceed.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool cap_effective(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

bool te_have_bpf_privileges(char *why, size_t whylen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	bool bpf, perfmon, admin;

	if (syscall(SYS_capget, &hdr, data) < 0) {
		snprintf(why, whylen, "cannot read capabilities: %s", strerror(errno));
		return false;
	}
	admin = cap_effective(data, CAP_SYS_ADMIN);
	bpf = cap_effective(data, CAP_BPF) || admin;
	perfmon = cap_effective(data, CAP_PERFMON) || admin;
	if (bpf && perfmon)
		return true;
	snprintf(why, whylen, "missing capability %s%s%s: run as root or grant them",
		 bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return false;
}

/* libbpf's lines ("libbpf: ...") through the log, at their level: its
 * warnings and notes as the maximum level allows, its debug chatter (the
 * verifier's log) only with TRACEED_DEBUG_BPF. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int prio = level == LIBBPF_WARN ? LOG_WARNING : level == LIBBPF_INFO ? LOG_INFO : LOG_DEBUG;

	if (level == LIBBPF_DEBUG ? !getenv("TRACEED_DEBUG_BPF") : prio > log_get_max_level())
		return 0;
	log_raw_v(prio, fmt, ap);
	return 0;
}

int te_loader_probe(const char *btf_path, struct te_features *f)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_path);
	struct traceed_bpf *skel;

	libbpf_set_print(libbpf_print);
	skel = traceed_bpf__open_opts(&oo);
	if (!skel)
		return -errno;
	memset(f, 0, sizeof(*f));
	te_probe(skel->obj, btf_path, f);
	traceed_bpf__destroy(skel);
	return 0;
}

int te_loader_start(struct te_loader *l, const struct te_loader_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = opts->btf_path);
	struct bpf_program *prog;
	size_t ring_bytes = (size_t)opts->buffer_mib << 20;
	unsigned nprogs = 0;
	int err;

	memset(l, 0, sizeof(*l));
	libbpf_set_print(libbpf_print);
	l->skel = traceed_bpf__open_opts(&oo);
	if (!l->skel) {
		return log_error_errno(errno, "opening the BPF object failed: %m");
	}
	te_probe(l->skel->obj, opts->btf_path, &l->features);
	if (!l->features.btf) {
		log_error("no kernel BTF at %s; use --btf FILE", l->features.btf_source);
		return -ENOENT;
	}

	/* Knobs fixed before load: our own tgid is never traced; wake the
	 * reader once an eighth of the ring is filled (it also polls). */
	l->skel->rodata->traceed_tgid = (__u32)getpid();
	l->skel->rodata->wakeup_bytes = (__u32)(ring_bytes / 8);
	bpf_map__set_max_entries(l->skel->maps.events, ring_bytes);

	/*
	 * Load what may be attached: the wanted events' programs, or with
	 * load_all every available one, so that a reload can attach programs
	 * for events the new rules need without reloading the object.
	 */
	bpf_object__for_each_program(prog, l->skel->obj) {
		int id = te_prog_event(prog);
		bool load = id >= 0 && l->features.ev[id].available &&
			    (opts->load_all || opts->wanted[id]);

		bpf_program__set_autoload(prog, load);
		nprogs += load;
	}
	if (nprogs == 0) {
		log_error("none of the selected events is available on this kernel "
			  "(see traceed --probe)");
		return -ENOENT;
	}

	err = traceed_bpf__load(l->skel);
	if (err)
		return log_error_errno(err, "loading the BPF programs failed: %m%s",
				       err == -EPERM ? " (missing CAP_BPF/CAP_PERFMON, or locked down "
						       "kernel)" : "");

	l->progs = calloc(nprogs, sizeof(*l->progs));
	l->links = calloc(nprogs, sizeof(*l->links));
	l->prog_event = calloc(nprogs, sizeof(*l->prog_event));
	if (!l->progs || !l->links || !l->prog_event)
		return -ENOMEM;
	bpf_object__for_each_program(prog, l->skel->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		l->progs[l->nprogs] = prog;
		l->prog_event[l->nprogs] = te_prog_event(prog);
		l->nprogs++;
	}

	err = te_loader_select(l, opts->wanted);
	if (err)
		return err;

	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.events), opts->on_record, opts->ctx, NULL);
	if (!l->rb)
		return log_error_errno(errno, "ring buffer setup failed: %m");
	return 0;
}

/* Detach the programs of event @id. */
static void detach_event(struct te_loader *l, int id)
{
	for (unsigned i = 0; i < l->nprogs; i++) {
		if (l->prog_event[i] != id || !l->links[i])
			continue;
		bpf_link__destroy(l->links[i]);
		l->links[i] = NULL;
		l->nlinks--;
	}
}

/* Attach every program of event @id; all or none. */
static int attach_event(struct te_loader *l, int id)
{
	for (unsigned i = 0; i < l->nprogs; i++) {
		struct bpf_link *link;
		int err;

		if (l->prog_event[i] != id || l->links[i])
			continue;
		link = bpf_program__attach(l->progs[i]);
		if (!link) {
			err = log_warning_errno(errno, "attaching %s failed: %m; event %s disabled",
						bpf_program__section_name(l->progs[i]),
						te_event_by_id((uint32_t)id)->name);
			l->features.ev[id].available = false;
			snprintf(l->features.ev[id].reason, sizeof(l->features.ev[id].reason),
				 "attaching %s failed: %s", bpf_program__section_name(l->progs[i]),
				 strerror(-err));
			detach_event(l, id);
			return err;
		}
		l->links[i] = link;
		l->nlinks++;
	}
	return 0;
}

static bool event_loaded(const struct te_loader *l, int id)
{
	for (unsigned i = 0; i < l->nprogs; i++)
		if (l->prog_event[i] == id)
			return true;
	return false;
}

int te_loader_select(struct te_loader *l, const bool wanted[TE_EV_MAX])
{
	int err;

	for (int id = 0; id < TE_EV_MAX; id++) {
		__u32 key = (__u32)id, on = 1, off = 0;
		bool want = wanted[id] && l->features.ev[id].available;

		if (want == l->kernel_wanted[id])
			continue;
		if (!want) {
			/* Stop sending before detaching: no record of an event
			 * whose exit side is already gone. */
			bpf_map__update_elem(l->skel->maps.wanted, &key, sizeof(key), &off,
					     sizeof(off), 0);
			detach_event(l, id);
			l->kernel_wanted[id] = false;
			l->nattached_events--;
			continue;
		}
		if (!event_loaded(l, id)) {
			log_warning("event %s was not loaded at start; restart traceed to trace it",
				    te_event_by_id((uint32_t)id)->name);
			continue;
		}
		/* A hook that fails disables its event, not traceed. */
		if (attach_event(l, id) < 0)
			continue;
		/* Only now tell the programs to send: every hook is in place. */
		err = bpf_map__update_elem(l->skel->maps.wanted, &key, sizeof(key), &on, sizeof(on), 0);
		if (err) {
			log_error_errno(err, "selecting event %d failed: %m", id);
			detach_event(l, id);
			return err;
		}
		l->kernel_wanted[id] = true;
		l->nattached_events++;
	}
	return 0;
}

int te_loader_fd(struct te_loader *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

int te_loader_consume(struct te_loader *l)
{
	/* A zero-timeout poll also empties the ring buffer's own epoll set,
	 * whose readiness the loop's epoll follows; then what was written
	 * without a wakeup. */
	int n = ring_buffer__poll(l->rb, 0);

	if (n < 0)
		return n;
	return ring_buffer__consume(l->rb);
}

uint64_t te_loader_stat(struct te_loader *l, enum te_stat which)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 key = which;
	uint64_t sum = 0;
	__u64 *vals;

	if (ncpu <= 0 || !l->skel)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (bpf_map__lookup_elem(l->skel->maps.stats, &key, sizeof(key), vals,
				 sizeof(*vals) * (size_t)ncpu, 0) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

void te_loader_stop(struct te_loader *l)
{
	ring_buffer__free(l->rb);
	for (unsigned i = 0; i < l->nprogs; i++)
		bpf_link__destroy(l->links[i]);
	free(l->links);
	free(l->progs);
	free(l->prog_event);
	traceed_bpf__destroy(l->skel);
	memset(l, 0, sizeof(*l));
}
