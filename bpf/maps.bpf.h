/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * traceed's maps and load-time constants, and the checks every program
 * makes against them: is the event selected, and its failed calls too
 * (the "wanted" map), is the current task the daemon itself (traceed_tgid,
 * never reported), which of the two ring buffers the event goes to
 * (ring_of), and the per-CPU counters (records sent, dropped on a full ring
 * buffer in all and per event, failed calls not sent, syscall arguments
 * lost).  The scratch maps of record.bpf.h and path.bpf.h are here too, so
 * that every map of the object is declared in one place.
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
/* wake the reader once this much is waiting in "events" / "events_rare";
 * 0: on every record */
const volatile __u32 wakeup_bytes = 0;
const volatile __u32 wakeup_bytes_rare = 0;

/* Every record goes to one of two ring buffers (ring_of[] below). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* user space resizes before load */
} events SEC(".maps");

/*
 * The rare, high-value events and the process lifecycle, on a ring of their
 * own so that a flood of common events (opens, writes, connects, which any
 * user can make by the million) cannot push them out.  User space sizes it
 * (a quarter of "events", at least 256 KiB) and merges the two rings back
 * into one causal order (daemon/capture/loader.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 << 20); /* user space resizes before load */
} events_rare SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TE_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Records lost to a full ring buffer, per event id (TE_STAT_DROPPED is
 * their sum): says which events a flood pushed out. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TE_EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

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
 * Path arguments read at syscall entry (unlink*, rename*, chmod,
 * fchmodat*): the user's string as it was when the kernel was about to copy
 * it, kept until sys_exit, where it is compared with what the user buffer
 * holds then (path.bpf.h: path_stash_enter, rec_at_path_entry).  Another
 * thread can rewrite the buffer while the call runs; the record then
 * reports the entry string and says the buffer changed (path_changed).
 * Task-local like args_stash: allocated for a task on its first such
 * call, freed with the task.  event_id 0 marks an empty slot; uptr is the
 * user pointer each string was read from, so an exit never takes the
 * strings of another call.  len: bytes read including the NUL, 0 when the
 * entry read failed (page not present: the exit string is reported then).
 * tainted: once a thread has been caught rewriting a path buffer during a
 * call, every later such call of it is flagged too: two reads can miss a
 * flip (entry and exit agree, the kernel's copy in between did not), and a
 * thread that did it once is not to be trusted on the next call.
 */
#define PATH_SLOTS 2
struct te_path_stash {
	__u64 uptr[PATH_SLOTS];
	__u32 len[PATH_SLOTS];
	__u32 event_id;
	__u32 tainted; /* a buffer of this thread changed during one of its calls */
	char s[PATH_SLOTS][TE_MAX_STR];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct te_path_stash);
} path_stash SEC(".maps");

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

/*
 * The ring of each event: 1 for "events_rare", 0 for "events".  Rare and
 * high-value: exec, ptrace and process_vm_*, credential changes, bpf,
 * mounts, memfd_create, namespaces, modules.  The lifecycle events travel
 * with them because the process tree is built from them: a fork, exec or
 * exit lost to a flood would misattribute every later event of the
 * process.  Constant (.rodata, frozen at load), so not changeable at run
 * time.
 */
static const __u8 ring_of[TE_EV_MAX] = {
	[TE_EV_SCHED_PROCESS_FORK] = 1,
	[TE_EV_SCHED_PROCESS_EXEC] = 1,
	[TE_EV_SCHED_PROCESS_EXIT] = 1,
	[TE_EV_EXECVE] = 1,
	[TE_EV_EXECVEAT] = 1,
	[TE_EV_PTRACE] = 1,
	[TE_EV_PROCESS_VM_READV] = 1,
	[TE_EV_PROCESS_VM_WRITEV] = 1,
	[TE_EV_MEMFD_CREATE] = 1,
	[TE_EV_INIT_MODULE] = 1,
	[TE_EV_FINIT_MODULE] = 1,
	[TE_EV_DELETE_MODULE] = 1,
	[TE_EV_SETUID] = 1,
	[TE_EV_SETGID] = 1,
	[TE_EV_SETREUID] = 1,
	[TE_EV_SETREGID] = 1,
	[TE_EV_SETRESUID] = 1,
	[TE_EV_SETRESGID] = 1,
	[TE_EV_SETFSUID] = 1,
	[TE_EV_SETFSGID] = 1,
	[TE_EV_CAPSET] = 1,
	[TE_EV_MOUNT] = 1,
	[TE_EV_UMOUNT2] = 1,
	[TE_EV_UNSHARE] = 1,
	[TE_EV_SETNS] = 1,
	[TE_EV_BPF] = 1,
};

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1; /* per-CPU value, no other writer on this CPU */
}

static __always_inline void dropped_inc(__u32 ev)
{
	__u64 *v = bpf_map_lookup_elem(&dropped, &ev);

	if (v)
		*v += 1;
}

/*
 * The first thing every program does: is this event selected at all?
 * 0 when not (or when the current task is traceed), else the event's
 * TE_WANT_* bits.
 */
static __always_inline __u32 want(__u32 ev)
{
	__u32 *w = bpf_map_lookup_elem(&wanted, &ev);
	__u32 bits = w ? *w : 0; /* one read: user space may change it meanwhile */

	if (!(bits & TE_WANT_SEND))
		return 0;
	if (traceed_tgid && (bpf_get_current_pid_tgid() >> 32) == traceed_tgid)
		return 0;
	return bits;
}
