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

/* libbpf's warnings go to stderr; its debug chatter only with TRACEED_DEBUG_BPF. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("TRACEED_DEBUG_BPF"))
		return 0;
	return vfprintf(stderr, fmt, ap);
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
		err = -errno;
		fprintf(stderr, "traceed: opening the BPF object failed: %s\n", strerror(-err));
		return err;
	}
	te_probe(l->skel->obj, opts->btf_path, &l->features);
	if (!l->features.btf) {
		fprintf(stderr, "traceed: no kernel BTF at %s; use --btf FILE\n",
			l->features.btf_source);
		return -ENOENT;
	}

	/* Knobs fixed before load: our own tgid is never traced; wake the
	 * reader once an eighth of the ring is filled (it also polls). */
	l->skel->rodata->traceed_tgid = (__u32)getpid();
	l->skel->rodata->wakeup_bytes = (__u32)(ring_bytes / 8);
	bpf_map__set_max_entries(l->skel->maps.events, ring_bytes);

	for (int id = 0; id < TE_EV_MAX; id++)
		l->kernel_wanted[id] = opts->wanted[id] && l->features.ev[id].available;

	bpf_object__for_each_program(prog, l->skel->obj) {
		int id = te_prog_event(prog);
		bool load = id >= 0 && l->kernel_wanted[id];

		bpf_program__set_autoload(prog, load);
		nprogs += load;
	}
	if (nprogs == 0) {
		fprintf(stderr, "traceed: none of the selected events is available on this kernel "
				"(see traceed --probe)\n");
		return -ENOENT;
	}

	err = traceed_bpf__load(l->skel);
	if (err) {
		fprintf(stderr, "traceed: loading the BPF programs failed: %s%s\n", strerror(-err),
			err == -EPERM ? " (missing CAP_BPF/CAP_PERFMON, or locked down kernel)" : "");
		return err;
	}

	/* Attach one by one: a hook that fails disables its event, not traceed. */
	l->links = calloc(nprogs, sizeof(*l->links));
	if (!l->links)
		return -ENOMEM;
	bpf_object__for_each_program(prog, l->skel->obj) {
		int id = te_prog_event(prog);
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			err = -errno;
			fprintf(stderr, "traceed: attaching %s failed: %s; event %s disabled\n",
				bpf_program__section_name(prog), strerror(-err),
				te_event_by_id((uint32_t)id)->name);
			l->kernel_wanted[id] = false;
			l->features.ev[id].available = false;
			snprintf(l->features.ev[id].reason, sizeof(l->features.ev[id].reason),
				 "attaching %s failed: %s", bpf_program__section_name(prog),
				 strerror(-err));
			continue;
		}
		l->links[l->nlinks++] = link;
	}

	/* Only now tell the programs what to send: no half-attached event
	 * (an enter without its exit) ever produces records. */
	for (int id = 0; id < TE_EV_MAX; id++) {
		__u32 key = (__u32)id, on = 1;

		if (!l->kernel_wanted[id])
			continue;
		err = bpf_map__update_elem(l->skel->maps.wanted, &key, sizeof(key), &on, sizeof(on), 0);
		if (err) {
			fprintf(stderr, "traceed: selecting event %d failed: %s\n", id, strerror(-err));
			return err;
		}
		l->nattached_events++;
	}

	l->rb = ring_buffer__new(bpf_map__fd(l->skel->maps.events), opts->on_record, opts->ctx, NULL);
	if (!l->rb) {
		err = -errno;
		fprintf(stderr, "traceed: ring buffer setup failed: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

int te_loader_poll(struct te_loader *l, int timeout_ms)
{
	int n = ring_buffer__poll(l->rb, timeout_ms);

	if (n < 0)
		return n;
	/* Records submitted without a wakeup are not signalled: collect them. */
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
	for (unsigned i = 0; i < l->nlinks; i++)
		bpf_link__destroy(l->links[i]);
	free(l->links);
	traceed_bpf__destroy(l->skel);
	memset(l, 0, sizeof(*l));
}
