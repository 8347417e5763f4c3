/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loader: opens the embedded BPF object, loads only the programs the wanted
 * events need (and that this kernel has hooks for), attaches them, and sets
 * up the two ring buffers ("events", and "events_rare" for the rare and
 * lifecycle events) as one reader.  Owns every BPF resource of the daemon.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "probe.h"

struct ring_buffer;
struct bpf_link;

typedef int (*te_record_fn)(void *ctx, void *data, size_t size);

struct bpf_program;

/* What the kernel is asked to send. */
struct te_selection {
	bool send[TE_EV_MAX];    /* events to send */
	bool failed[TE_EV_MAX];  /* ... including their failed calls (retval < 0);
				    without it those are dropped in the kernel */
};

/* A record of "events_rare" waiting for its turn (see te_loader_consume). */
struct te_held {
	uint64_t ts;
	size_t off;              /* in held_buf */
	uint32_t len;
};

struct te_loader {
	struct traceed_bpf *skel;
	struct ring_buffer *rb;      /* both rings: the epoll fd, the consume loop */
	struct ring_buffer *rb_rare; /* "events_rare" alone, drained by the merge */
	void *pos_main, *pos_rare;   /* each ring's consumer and producer pages */
	size_t page_size;
	struct bpf_program **progs;  /* the loaded programs */
	struct bpf_link **links;     /* [i]: link of progs[i], NULL when detached */
	int *prog_event;             /* [i]: event of progs[i] */
	unsigned nprogs;
	unsigned nlinks;             /* programs attached */
	unsigned nattached_events;
	struct te_features features;
	bool kernel_wanted[TE_EV_MAX]; /* what the kernel is asked to send (TE_WANT_SEND) */
	bool kernel_failed[TE_EV_MAX]; /* ... with its failed calls (TE_WANT_FAILED) */
	size_t rare_bytes;             /* size of "events_rare" */

	te_record_fn on_record;
	void *ctx;
	/* the merge: rare records held until every older record of "events"
	 * has been handed over, oldest (hdr.ts) first */
	struct te_held *held;
	size_t held_first, nheld, held_cap;
	unsigned char *held_buf;
	size_t held_len, held_buf_cap;
	size_t held_live;              /* bytes of the records still held */
	uint64_t take_before;          /* on_rare stops at a record this new */
	uint64_t merge_unordered;      /* records handed over out of order (see loader.c) */
	uint64_t merge_unordered_warn; /* warn again when it reaches this */

	uint64_t lost_seen[TE_EV_MAX]; /* te_loader_lost_since's last answer */
};

struct te_loader_opts {
	const struct te_selection *selection; /* events user space needs */
	bool load_all;             /* load every available program, so that
				      te_loader_select can add events later */
	unsigned buffer_mib;       /* "events"; "events_rare" gets a quarter */
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
 * events (loaded at start), detach those no longer wanted, and set which
 * events' failed calls are sent.  An event whose hook fails to attach is
 * disabled and reported, the rest go on.
 */
int te_loader_select(struct te_loader *l, const struct te_selection *sel);
/*
 * For an event loop: an fd that is readable when the kernel woke the
 * reader (either ring), and te_loader_consume() to hand over every queued
 * record to on_record, the two rings merged into the order in which things
 * happened.  The BPF side batches wakeups under load, so the loop must also
 * consume on a short timer.  Returns records consumed or a negative errno.
 */
int te_loader_fd(struct te_loader *l);
int te_loader_consume(struct te_loader *l);
/* Kernel counters summed over CPUs (enum te_stat). */
uint64_t te_loader_stat(struct te_loader *l, enum te_stat which);
/*
 * Records lost to a full ring buffer, per event id: since start, or since
 * the previous te_loader_lost_since() (the first call: since start).
 * 0 or a negative errno.
 */
int te_loader_lost_by_event(struct te_loader *l, uint64_t lost[TE_EV_MAX]);
int te_loader_lost_since(struct te_loader *l, uint64_t lost[TE_EV_MAX]);
/*
 * The @top events with the most lost records, "openat 1590, execve 2"
 * (", and N more events" when there are more), into @buf.  Returns how
 * many events lost records.
 */
unsigned te_loader_lost_names(const uint64_t lost[TE_EV_MAX], unsigned top, char *buf,
			      size_t len);
void te_loader_stop(struct te_loader *l);
