/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Feature probing: which hooks this kernel offers, hence which events can be
 * traced, and why not.  A missing hook disables its event, never traceed.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "event.h"

struct bpf_object;
struct bpf_program;

struct te_event_avail {
	bool available;
	unsigned nprogs;     /* programs that implement the event */
	char reason[160];    /* why not, when !available */
};

struct te_features {
	bool btf;                 /* kernel BTF found (CO-RE needs it) */
	char btf_source[256];
	bool tracefs;             /* tracepoint ids readable */
	char tracefs_path[64];
	char tracefs_note[160];   /* "mounted by traceed", or why missing */
	struct te_event_avail ev[TE_EV_MAX];
};

/* The event a program implements (from its name), or -1. */
int te_prog_event(const struct bpf_program *prog);

/*
 * Make tracepoints usable: find tracefs, mounting it on /sys/kernel/tracing
 * when it is not mounted and we may (systemd mounts it at boot; a bare
 * container or a minimal host may not).
 */
void te_tracefs_ensure(struct te_features *f);

/* Fill @f for the programs of @obj (opened, not necessarily loaded). */
void te_probe(struct bpf_object *obj, const char *btf_path, struct te_features *f);

/* The --probe report. */
void te_probe_print(FILE *out, const struct te_features *f);
