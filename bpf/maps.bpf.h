/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * traceed's maps and load-time constants, and the checks every program
 * makes against them: is the event selected (the "wanted" map), is the
 * current task the daemon itself (traceed_tgid, never reported), and the
 * per-CPU counters (records sent, dropped on a full ring buffer, syscall
 * arguments lost).  The scratch maps of record.bpf.h and path.bpf.h are
 * here too, so that every map of the object is declared in one place.
 *
 * Separate from traceed.bpf.c for the same reason libbpf-tools has a
 * maps.bpf.h: the helpers in record.bpf.h and path.bpf.h and the programs
 * all use these, and they read better apart from the event code.  This
 * header defines (maps, globals), so it is included by one compilation unit
 * only, traceed.bpf.c: one object, one skeleton, whose maps and .rodata
 * variables come in the order they are defined here.
 */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "traceed.h"

/* Set by user space before load. */
const volatile __u32 traceed_tgid = 0; /* never report the daemon itself */
const volatile __u32 wakeup_bytes = 0; /* 0: wake the reader on every record */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* user space resizes before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TE_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TE_EV_MAX);
	__type(key, __u32);
	__type(value, __u32);
} wanted SEC(".maps");

struct te_stash {
	__u64 args[6];
	__u32 event_id;
	__u32 extra; /* mprotect: previous protection | PREV_PROT_VALID */
};

#define PREV_PROT_VALID 0x80000000u

/*
 * Task-local storage: the slot lives and dies with the task, so an enter
 * whose exit is never seen (event deselected in between, program detached)
 * leaks nothing, and a lookup is a few loads instead of a hash-map update.
 * event_id 0 marks an empty (consumed) slot.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct te_stash);
} args_stash SEC(".maps");

/*
 * The record under construction.  Twice TE_MAX_RECORD so that an offset
 * masked to TE_MAX_RECORD - 1 plus any single write (<= TE_MAX_STR + hdr)
 * stays inside the value, which is what the verifier checks.
 */
struct rec_scratch {
	__u32 off; /* bytes used in data[] */
	__u32 cur; /* write position inside a STRARR being built (see strarr_add) */
	__u32 fault; /* a user-memory read failed (page not present) */
	__u32 pad;
	__u8 data[2 * TE_MAX_RECORD];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_scratch);
} rec_buf SEC(".maps");

/* Paths are built backwards, ending at buf[TE_MAX_STR]. */
struct path_scratch {
	__u32 truncated;
	__u32 pos;    /* start of the path in buf */
	__u32 pseudo; /* the walk ended at a pseudo filesystem dentry */
	__u32 complete; /* the walk reached the root (or a pseudo dentry) */
	char buf[2 * TE_MAX_STR];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_scratch);
} path_buf SEC(".maps");

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1; /* per-CPU value, no other writer on this CPU */
}

/* The first thing every program does: is this event selected at all? */
static __always_inline bool want(__u32 ev)
{
	__u32 *w = bpf_map_lookup_elem(&wanted, &ev);

	if (!w || !*w)
		return false;
	if (traceed_tgid && (bpf_get_current_pid_tgid() >> 32) == traceed_tgid)
		return false;
	return true;
}
