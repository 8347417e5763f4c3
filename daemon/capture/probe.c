/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "probe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

/*
 * Program names are te_enter_<syscall>, te_exit_<syscall> and
 * te_<sched tracepoint>; a few syscalls feed an event of another name.
 */
static const struct { const char *syscall; const char *event; } aliases[] = {
	{ "fchmodat2", "fchmodat" }, /* same arguments, newer syscall */
	{ "umount", "umount2" },     /* x86_64 names umount2's tracepoint "umount" */
};

int te_prog_event(const struct bpf_program *prog)
{
	const char *name = bpf_program__name(prog);
	const struct te_event_desc *d;

	if (strncmp(name, "te_enter_", 9) == 0)
		name += 9;
	else if (strncmp(name, "te_exit_", 8) == 0)
		name += 8;
	else if (strncmp(name, "te_", 3) == 0)
		name += 3;
	else
		return -1;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(name, aliases[i].syscall) == 0)
			name = aliases[i].event;
	d = te_event_by_name(name);
	return d ? (int)d->id : -1;
}

static bool dir_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void te_tracefs_ensure(struct te_features *f)
{
	static const char *const candidates[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

	for (size_t i = 0; i < 2; i++) {
		char events[96];

		snprintf(events, sizeof(events), "%s/events", candidates[i]);
		if (dir_exists(events)) {
			f->tracefs = true;
			snprintf(f->tracefs_path, sizeof(f->tracefs_path), "%s", candidates[i]);
			return;
		}
	}
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == 0 && dir_exists("/sys/kernel/tracing/events")) {
		f->tracefs = true;
		snprintf(f->tracefs_path, sizeof(f->tracefs_path), "/sys/kernel/tracing");
		snprintf(f->tracefs_note, sizeof(f->tracefs_note),
			 "was not mounted; traceed mounted it");
		return;
	}
	snprintf(f->tracefs_note, sizeof(f->tracefs_note),
		 "tracefs is not mounted and mounting it on /sys/kernel/tracing failed: %s",
		 strerror(errno));
}

/* The kernel BTF (CO-RE needs it; tp_btf hooks are looked up in it), or NULL. */
static struct btf *find_btf(const char *btf_path, struct te_features *f)
{
	const char *path = btf_path ? btf_path : "/sys/kernel/btf/vmlinux";

	snprintf(f->btf_source, sizeof(f->btf_source), "%s", path);
	return btf__parse(path, NULL);
}

/* Is the hook of @prog present?  Fills @why when not. */
static bool hook_present(const struct bpf_program *prog, const struct te_features *f,
			 struct btf *vmlinux, char *why, size_t whylen)
{
	const char *sec = bpf_program__section_name(prog);
	const char *tp = NULL;

	if (strncmp(sec, "tracepoint/", 11) == 0)
		tp = sec + 11;
	else if (strncmp(sec, "tp/", 3) == 0)
		tp = sec + 3;
	if (tp) {
		char path[256];

		if (!f->tracefs) {
			snprintf(why, whylen, "tracefs unavailable");
			return false;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/events/%s", f->tracefs_path, tp) >=
		    sizeof(path)) {
			snprintf(why, whylen, "tracepoint name too long");
			return false;
		}
		if (!dir_exists(path)) {
			snprintf(why, whylen, "no tracepoint %s on this kernel", tp);
			return false;
		}
		return true;
	}
	if (strncmp(sec, "tp_btf/", 7) == 0 || strncmp(sec, "raw_tp/", 7) == 0) {
		char type[128];

		snprintf(type, sizeof(type), "btf_trace_%s", sec + 7);
		if (!vmlinux || btf__find_by_name_kind(vmlinux, type, BTF_KIND_TYPEDEF) < 0) {
			snprintf(why, whylen, "no raw tracepoint %s on this kernel", sec + 7);
			return false;
		}
		return true;
	}
	snprintf(why, whylen, "hook %s is not supported by this build", sec);
	return false;
}

void te_probe(struct bpf_object *obj, const char *btf_path, struct te_features *f)
{
	struct bpf_program *prog;
	struct btf *vmlinux;
	size_t n;
	const struct te_event_desc *table = te_event_table(&n);

	vmlinux = find_btf(btf_path, f);
	f->btf = vmlinux != NULL;
	te_tracefs_ensure(f);

	for (size_t i = 0; i < n; i++) {
		f->ev[table[i].id].available = true;
		f->ev[table[i].id].nprogs = 0;
	}
	bpf_object__for_each_program(prog, obj) {
		int id = te_prog_event(prog);
		struct te_event_avail *a;
		char why[160];

		if (id < 0 || id >= TE_EV_MAX)
			continue;
		a = &f->ev[id];
		a->nprogs++;
		if (a->available && !hook_present(prog, f, vmlinux, why, sizeof(why))) {
			a->available = false;
			snprintf(a->reason, sizeof(a->reason), "%s", why);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct te_event_avail *a = &f->ev[table[i].id];

		if (a->nprogs == 0) {
			a->available = false;
			snprintf(a->reason, sizeof(a->reason), "no BPF program in this build");
		} else if (!f->btf && a->available) {
			a->available = false;
			snprintf(a->reason, sizeof(a->reason), "no kernel BTF (use --btf FILE)");
		}
	}
	btf__free(vmlinux);
}

void te_probe_print(FILE *out, const struct te_features *f)
{
	size_t n;
	const struct te_event_desc *table = te_event_table(&n);
	unsigned avail = 0;

	fprintf(out, "kernel BTF      %s (%s)\n", f->btf ? "yes" : "NO", f->btf_source);
	fprintf(out, "tracefs         %s%s%s%s\n", f->tracefs ? f->tracefs_path : "NO",
		f->tracefs_note[0] ? " (" : "", f->tracefs_note, f->tracefs_note[0] ? ")" : "");
	fprintf(out, "\n%-20s %-10s %-36s %s\n", "EVENT", "AVAILABLE", "HOOK", "REASON");
	for (size_t i = 0; i < n; i++) {
		const struct te_event_avail *a = &f->ev[table[i].id];

		avail += a->available;
		fprintf(out, "%-20s %-10s %-36s %s\n", table[i].name, a->available ? "yes" : "no",
			table[i].hook, a->available ? "" : a->reason);
	}
	fprintf(out, "\n%u of %zu events available\n", avail, n);
}
