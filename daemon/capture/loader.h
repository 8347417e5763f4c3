/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loader: opens the embedded BPF object, loads only the programs the wanted
 * events need (and that this kernel has hooks for), attaches them, and sets
 * up the ring buffer.  Owns every BPF resource of the daemon.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "probe.h"

struct ring_buffer;
struct bpf_link;

typedef int (*te_record_fn)(void *ctx, void *data, size_t size);

struct bpf_program;

struct te_loader {
	struct traceed_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_program **progs;  /* the loaded programs */
	struct bpf_link **links;     /* [i]: link of progs[i], NULL when detached */
	int *prog_event;             /* [i]: event of progs[i] */
	unsigned nprogs;
	unsigned nlinks;             /* programs attached */
	unsigned nattached_events;
	struct te_features features;
	bool kernel_wanted[TE_EV_MAX]; /* what the kernel is asked to send */
};

struct te_loader_opts {
	const bool *wanted;        /* [TE_EV_MAX] events user space needs */
	bool load_all;             /* load every available program, so that
				      te_loader_select can add events later */
	unsigned buffer_mib;
	const char *btf_path;
	te_record_fn on_record;
	void *ctx;
};

/*
 * Check that we may use BPF; on failure writes which capability is missing
 * to @why and returns false.
 */
bool te_have_bpf_privileges(char *why, size_t whylen);

/* Open and probe only (no privileges needed beyond reading BTF): --probe. */
int te_loader_probe(const char *btf_path, struct te_features *f);

int te_loader_start(struct te_loader *l, const struct te_loader_opts *opts);
/*
 * Change the events the kernel sends: attach the programs of newly wanted
 * events (loaded at start), detach those no longer wanted.  An event whose
 * hook fails to attach is disabled and reported, the rest go on.
 */
int te_loader_select(struct te_loader *l, const bool wanted[TE_EV_MAX]);
/*
 * For an event loop: an fd that is readable when the kernel woke the
 * reader, and te_loader_consume() to hand over every queued record.  The
 * BPF side batches wakeups under load, so the loop must also consume on a
 * short timer.  Returns records consumed or a negative errno.
 */
int te_loader_fd(struct te_loader *l);
int te_loader_consume(struct te_loader *l);
/* Kernel counters summed over CPUs (enum te_stat). */
uint64_t te_loader_stat(struct te_loader *l, enum te_stat which);
void te_loader_stop(struct te_loader *l);
