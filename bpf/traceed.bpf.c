// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * traceed kernel side: tracepoint programs that turn syscalls and sched
 * events into te_record_hdr + TLV records (bpf/traceed.h) in the "events"
 * ring buffer.
 *
 * Layout of this file:
 *   1. maps and load-time constants
 *   2. record building (global functions: each one is verified once per
 *      program instead of once per call site, which keeps the big exit
 *      programs far below the verifier's complexity limit)
 *   3. path building (dentry/mount walk)
 *   4. programs, grouped by event family
 *
 * Only tracepoints are used (syscalls:sys_enter_X/sys_exit_X, tp_btf sched
 * events): kprobes, fentry and BPF-LSM are not available on the target
 * machines.  A syscall event is one sys_exit program: it takes the
 * arguments from the user registers saved at syscall entry and emits the
 * record with the return value.  Only events that need state from before
 * the call (mprotect, the exec events) also run at sys_enter and carry it to
 * the exit in task-local storage.  User-space pointers are read at exit,
 * when the kernel has already faulted their pages in.
 *
 * Global (non-static __noinline) helpers only take scalars: the verifier
 * refuses kernel pointers as arguments of global functions, so kernel
 * addresses travel as __u64 and are read with BPF_CORE_READ/probe reads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "traceed.h"


char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* uapi constants vmlinux.h does not carry */
#define AT_FDCWD -100
#define MAP_ANONYMOUS 0x20
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define AF_INET 2
#define AF_INET6 10
#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define TMPFS_MAGIC 0x01021994
#define LINUX_CAPABILITY_VERSION_1 0x19980330

#define REC_MASK (TE_MAX_RECORD - 1)
#define PATH_MASK (TE_MAX_STR - 1)
#define ARG_HDR ((__u32)sizeof(struct te_arg_hdr))
#define REC_HDR ((__u32)sizeof(struct te_record_hdr))
#define NAME_MAX_LEN 255     /* longest dentry name copied */
#define PATH_COMPONENTS 48   /* dentries + mount crossings walked per path */
#define ENV_PREFIX 17        /* bytes of an env string read to classify it */
/*
 * Bounds of the LD_* environment scans of the exec events (bpf_loop, so
 * they cost run time, not verifier work).  ENV_SCAN_ENTRIES: strings looked
 * at, in an execve envp array and in the new image's env block alike.
 * ENV_SCAN_BYTES: bytes of the env block walked, 2 MiB being the kernel's
 * cap on argv + env under the default 8 MiB stack rlimit (rlimit / 4; up to
 * 6 MiB with a larger rlimit).  A string is read TE_MAX_STR bytes at a time,
 * so ENV_SCAN_STEPS, the loop bound, covers ENV_SCAN_ENTRIES strings plus
 * the extra reads of long ones within ENV_SCAN_BYTES.  Worst case per exec:
 * ~4.6k string reads, ~2 MiB copied; a typical environment takes a few
 * dozen short reads.
 */
#define ENV_SCAN_ENTRIES 4096
#define ENV_SCAN_BYTES (2u << 20)
#define ENV_SCAN_STEPS (ENV_SCAN_ENTRIES + ENV_SCAN_BYTES / (TE_MAX_STR - 1) + 2)

/* ------------------------------------------------------------------ */
/* 1. maps and load-time constants                                     */
/* ------------------------------------------------------------------ */

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
	__u32 pad;
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

/* ------------------------------------------------------------------ */
/* 2. record building                                                  */
/* ------------------------------------------------------------------ */

static __always_inline struct rec_scratch *rec_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&rec_buf, &zero);
}

static __always_inline struct te_record_hdr *rec_hdr(struct rec_scratch *r)
{
	return (struct te_record_hdr *)r->data;
}

static __always_inline void rec_truncated(struct rec_scratch *r)
{
	rec_hdr(r)->flags |= TE_RF_TRUNCATED;
}

/* Close an argument whose data (len bytes) is already at off + ARG_HDR. */
static __always_inline void arg_emit(struct rec_scratch *r, __u32 off, __u32 idx, __u32 type,
				     __u32 len)
{
	struct te_arg_hdr *a = (void *)&r->data[off & REC_MASK];

	a->idx = idx;
	a->type = type;
	a->len = len;
	r->off = off + ARG_HDR + len;
	rec_hdr(r)->nargs++;
}

/*
 * Offset of the next argument header, or -1 when fewer than need data bytes
 * fit (the record is then flagged truncated).
 */
static __always_inline long arg_begin(struct rec_scratch *r, __u32 need)
{
	__u32 off = r->off;

	if (off > TE_MAX_RECORD - ARG_HDR - need) {
		rec_truncated(r);
		return -1;
	}
	return off & REC_MASK;
}

static __always_inline __u32 upid_nr(struct pid *pid, __u32 level)
{
	return BPF_CORE_READ(pid, numbers[level].nr);
}

/* tgid of a task as seen in the pid namespace at @level (0 when not visible) */
static __always_inline __u32 task_tgid_at(struct task_struct *t, __u32 level)
{
	struct pid *pid = BPF_CORE_READ(t, group_leader, thread_pid);

	if (BPF_CORE_READ(pid, level) < level)
		return 0;
	return upid_nr(pid, level);
}

/*
 * Start a record of @ev for the current task.
 *
 * The header is read through bpf_get_current_task_btf(): a BTF pointer whose
 * fields are plain loads (the JIT turns them into exception-handled moves),
 * where BPF_CORE_READ would call bpf_probe_read_kernel once per hop.  This is
 * the hottest code in traceed: every record starts here.  Only the pid
 * namespace lookups, which index numbers[] by the namespace level, still use
 * probe reads, and only for tasks outside the initial pid namespace.
 */
__noinline int rec_init(__u32 ev, __s64 retval)
{
	struct rec_scratch *r = rec_get();
	struct te_record_hdr *h;
	struct task_struct *t, *parent;
	const __u64 *comm;
	struct pid *pid;
	__u32 level;

	if (!r)
		return -1;
	h = rec_hdr(r);
	t = bpf_get_current_task_btf();
	parent = t->real_parent;

	h->ts = bpf_ktime_get_boot_ns();
	h->event_id = ev;
	h->size = 0;
	h->nargs = 0;
	h->flags = 0;
	h->pid = t->tgid;
	h->tid = t->pid;
	h->ppid = parent->tgid;

	pid = t->thread_pid;
	level = pid->level;
	if (level == 0) {
		/* the initial pid namespace: namespace ids are the host ids */
		h->ns_tid = h->tid;
		h->ns_pid = h->pid;
		h->ns_ppid = h->ppid;
		h->pidns = pid->numbers[0].ns->ns.inum;
	} else {
		h->ns_tid = upid_nr(pid, level);
		h->ns_pid = task_tgid_at(t, level);
		h->ns_ppid = task_tgid_at(parent, level);
		h->pidns = BPF_CORE_READ(pid, numbers[level].ns, ns.inum);
	}
	h->mntns = t->nsproxy->mnt_ns->ns.inum;

	h->uid = t->real_cred->uid.val;
	h->gid = t->real_cred->gid.val;
	/* bpf_get_current_cgroup_id() and bpf_get_current_comm(), as loads */
	h->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	h->retval = retval;
	comm = (const __u64 *)t->comm;
	((__u64 *)h->comm)[0] = comm[0];
	((__u64 *)h->comm)[1] = comm[1];
	h->comm[TE_COMM_LEN - 1] = 0;
	r->off = REC_HDR;
	r->fault = 0;
	return 0;
}

/* Send the record; wake the reader only once wakeup_bytes are waiting. */
__noinline int rec_submit(void)
{
	struct rec_scratch *r = rec_get();
	__u64 flags = BPF_RB_FORCE_WAKEUP;
	__u32 size;

	if (!r)
		return -1;
	size = r->off;
	if (size > TE_MAX_RECORD)
		size = TE_MAX_RECORD;
	if (size < REC_HDR)
		return -1;
	rec_hdr(r)->size = size;
	if (wakeup_bytes &&
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + size < wakeup_bytes)
		flags = BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, r->data, size, flags)) {
		stat_inc(TE_STAT_DROPPED);
		return -1;
	}
	stat_inc(TE_STAT_SENT);
	return 0;
}

/* TE_W_S64 / TE_W_U64 argument */
__noinline int rec_num(__u32 idx, __u32 type, __u64 v)
{
	struct rec_scratch *r = rec_get();
	long off;

	if (!r)
		return -1;
	off = arg_begin(r, sizeof(v));
	if (off < 0)
		return -1;
	*(__u64 *)&r->data[off + ARG_HDR] = v;
	arg_emit(r, off, idx, type, sizeof(v));
	return 0;
}

#define S64(idx, v) rec_num((idx), TE_W_S64, (__u64)(__s64)(v))
#define U64(idx, v) rec_num((idx), TE_W_U64, (__u64)(v))
/* int-typed syscall arguments: the upper half of the register is junk */
#define SINT(idx, v) S64((idx), (int)(v))

/*
 * Read a NUL-terminated string (user or kernel) to data[pos], at most @max
 * bytes.  Returns bytes read including the NUL, <= 0 on failure.
 */
static __always_inline long read_str(struct rec_scratch *r, __u32 pos, __u32 max, __u64 src,
				     bool user)
{
	if (max > TE_MAX_STR)
		max = TE_MAX_STR;
	long n;

	if (max == 0)
		return 0;
	if (!user)
		return bpf_probe_read_kernel_str(&r->data[pos & REC_MASK], max, (void *)src);
	n = bpf_probe_read_user_str(&r->data[pos & REC_MASK], max, (void *)src);
	if (n < 0)
		r->fault = 1;
	return n;
}

static __always_inline int put_str(__u32 idx, __u64 src, bool user)
{
	struct rec_scratch *r = rec_get();
	long off, n;
	__u32 room;

	if (!r || !src)
		return -1;
	off = arg_begin(r, 1);
	if (off < 0)
		return -1;
	room = TE_MAX_RECORD - ARG_HDR - off;
	n = read_str(r, off + ARG_HDR, room, src, user);
	if (n <= 0)
		return -1;
	if (n >= room || n >= TE_MAX_STR)
		rec_truncated(r);
	arg_emit(r, off, idx, TE_W_STR, n - 1); /* the NUL is not sent */
	return 0;
}

__noinline int rec_ustr(__u32 idx, __u64 uptr)
{
	return put_str(idx, uptr, true);
}

__noinline int rec_kstr(__u32 idx, __u64 kptr)
{
	return put_str(idx, kptr, false);
}

/* TE_W_BYTES from user memory (a sockaddr), at most TE_MAX_SOCKADDR */
__noinline int rec_ubytes(__u32 idx, __u64 uptr, __u64 len)
{
	struct rec_scratch *r = rec_get();
	long off;

	if (!r || !uptr || (__s64)len <= 0)
		return -1;
	if (len > TE_MAX_SOCKADDR)
		len = TE_MAX_SOCKADDR;
	off = arg_begin(r, TE_MAX_SOCKADDR);
	if (off < 0)
		return -1;
	if (bpf_probe_read_user(&r->data[off + ARG_HDR], len, (void *)uptr))
		return -1;
	arg_emit(r, off, idx, TE_W_BYTES, len);
	return 0;
}

/* The peer address of an inet socket as a struct sockaddr_in/in6. */
__noinline int rec_sock_peer(__u32 idx, __u64 skp)
{
	struct rec_scratch *r = rec_get();
	struct sock *sk = (struct sock *)skp;
	struct sockaddr_in6 sa = {};
	__u16 family;
	__u32 len;
	long off;

	if (!r || !sk)
		return -1;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	sa.sin6_family = family;
	sa.sin6_port = BPF_CORE_READ(sk, __sk_common.skc_dport);
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;

		in->sin_addr.s_addr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		len = sizeof(struct sockaddr_in);
	} else if (family == AF_INET6) {
		BPF_CORE_READ_INTO(&sa.sin6_addr, sk, __sk_common.skc_v6_daddr);
		len = sizeof(struct sockaddr_in6);
	} else {
		return -1;
	}
	off = arg_begin(r, sizeof(sa));
	if (off < 0)
		return -1;
	__builtin_memcpy(&r->data[off + ARG_HDR], &sa, sizeof(sa));
	arg_emit(r, off, idx, TE_W_BYTES, len);
	return 0;
}

/*
 * Append the user string at @p (with its NUL) at r->cur, not beyond @limit.
 * The cursor is kept in the map rather than in a register: a register would
 * carry exact bounds across loop iterations and multiply verifier states.
 * Returns bytes added, <= 0 when the caller should stop.
 */
static __always_inline long strarr_add(struct rec_scratch *r, __u32 limit, __u64 p)
{
	__u32 cur = r->cur;
	long n;

	if (cur >= limit || limit > TE_MAX_RECORD) {
		rec_truncated(r);
		return -1;
	}
	n = read_str(r, cur, limit - cur, p, true);
	if (n <= 0)
		return n;
	r->cur = cur + n;
	if (cur + n >= limit) {
		rec_truncated(r);
		return -1;
	}
	return n;
}

/*
 * STRARR from a user array of string pointers (execve argv): at most
 * TE_MAX_ARGV strings and TE_MAX_ARGV_BYTES bytes.
 */
__noinline int rec_uargv(__u32 idx, __u64 argv)
{
	struct rec_scratch *r = rec_get();
	__u32 start, limit;
	long off;
	int i;

	if (!r || !argv)
		return -1;
	off = arg_begin(r, 1);
	if (off < 0)
		return -1;
	start = off + ARG_HDR;
	r->cur = start;
	limit = start + TE_MAX_ARGV_BYTES;
	if (limit > TE_MAX_RECORD)
		limit = TE_MAX_RECORD;
	for (i = 0; i < TE_MAX_ARGV; i++) {
		__u64 p = 0;

		if (bpf_probe_read_user(&p, sizeof(p), (void *)(argv + i * sizeof(p)))) {
			r->fault = 1;
			break;
		}
		if (!p || strarr_add(r, limit, p) <= 0)
			break;
	}
	if (i == TE_MAX_ARGV) {
		__u64 p = 0;

		bpf_probe_read_user(&p, sizeof(p), (void *)(argv + i * sizeof(p)));
		if (p)
			rec_truncated(r);
	}
	arg_emit(r, off, idx, TE_W_STRARR, r->cur - start);
	return 0;
}

/* STRARR of the new image's argv, copied as one block from the new mm. */
__noinline int rec_mm_argv(__u32 idx, __u64 start, __u64 end)
{
	struct rec_scratch *r = rec_get();
	__u64 len = end - start;
	long off;

	if (!r || !start || end <= start)
		return -1;
	off = arg_begin(r, 1);
	if (off < 0)
		return -1;
	if (len > TE_MAX_ARGV_BYTES) {
		len = TE_MAX_ARGV_BYTES;
		rec_truncated(r);
	}
	if (len > TE_MAX_RECORD - ARG_HDR - off) {
		len = TE_MAX_RECORD - ARG_HDR - off;
		rec_truncated(r);
	}
	if (len == 0 || bpf_probe_read_user(&r->data[off + ARG_HDR], len, (void *)start))
		return -1;
	/* a cut block must still end with a NUL for the STRARR reader */
	r->data[(off + ARG_HDR + len - 1) & (2 * TE_MAX_RECORD - 1)] = 0;
	arg_emit(r, off, idx, TE_W_STRARR, len);
	return 0;
}

static __always_inline bool prefix_is(const char *s, const char *p, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] != p[i])
			return false;
	return true;
}

/* The environment variables the exec events report (dynamic loader hijacks). */
static __always_inline bool ld_var(const char *s)
{
	if (s[0] != 'L' || s[1] != 'D' || s[2] != '_')
		return false;
	return prefix_is(s + 3, "PRELOAD=", 8) || prefix_is(s + 3, "LIBRARY_PATH=", 13) ||
	       prefix_is(s + 3, "AUDIT=", 6);
}

/*
 * The LD_* filters below scan the environment with bpf_loop(): the callback
 * is verified on its own rather than once per unrolled iteration, so the
 * bounds can be large without multiplying verifier states.  Every bound that
 * stops a scan before the end of the environment sets TE_RF_TRUNCATED, as
 * does a read fault: "no LD_PRELOAD" is only meaningful without that flag.
 */

struct uenv_scan {
	__u64 envp;  /* user array of string pointers */
	__u32 limit; /* end of the STRARR in rec_scratch.data */
	__u32 done;  /* the terminating NULL was reached */
};

static long uenv_scan_cb(__u64 i, void *data)
{
	struct uenv_scan *c = data;
	struct rec_scratch *r = rec_get();
	char pre[ENV_PREFIX] = {};
	__u64 p = 0;
	long n;

	if (!r)
		return 1;
	if (bpf_probe_read_user(&p, sizeof(p), (void *)(c->envp + i * sizeof(p)))) {
		r->fault = 1;
		return 1;
	}
	if (!p) {
		c->done = 1;
		return 1;
	}
	if (i >= ENV_SCAN_ENTRIES)
		return 1; /* one more entry than the bound: truncated */
	n = bpf_probe_read_user_str(pre, sizeof(pre), (void *)p);
	if (n <= 0) {
		r->fault = 1;
		return 1;
	}
	if (ld_var(pre) && strarr_add(r, c->limit, p) <= 0)
		return 1;
	return 0;
}

/*
 * STRARR of the LD_* entries of a user envp array (execve): the first
 * ENV_SCAN_ENTRIES pointers are looked at.
 */
__noinline int rec_uenv_ld(__u32 idx, __u64 envp)
{
	struct rec_scratch *r = rec_get();
	struct uenv_scan c = {};
	__u32 start;
	long off;

	if (!r || !envp)
		return -1;
	off = arg_begin(r, 1);
	if (off < 0)
		return -1;
	start = off + ARG_HDR;
	r->cur = start;
	c.envp = envp;
	c.limit = start + TE_MAX_ARGV_BYTES;
	if (c.limit > TE_MAX_RECORD)
		c.limit = TE_MAX_RECORD;
	bpf_loop(ENV_SCAN_ENTRIES + 1, uenv_scan_cb, &c, 0);
	if (!c.done)
		rec_truncated(r);
	arg_emit(r, off, idx, TE_W_STRARR, r->cur - start);
	return 0;
}

struct mm_env_scan {
	__u64 p;       /* next byte to look at */
	__u64 end;     /* mm->env_end */
	__u64 stop;    /* min(end, env_start + ENV_SCAN_BYTES) */
	__u32 limit;   /* end of the STRARR in rec_scratch.data */
	__u32 entries; /* strings started */
	__u32 mid;     /* p is inside a string longer than one read */
	__u32 pad;
};

/*
 * One read of at most TE_MAX_STR bytes per step.  A string that fits is
 * stepped over by its exact length (the helper returns it, NUL included); a
 * longer one fills the buffer (return value TE_MAX_STR, the last byte being
 * the helper's NUL, not the string's), so the scan goes on at the first byte
 * not yet seen, p + TE_MAX_STR - 1, in "mid" mode: that piece is not a new
 * entry and is not classified.  So whatever their lengths, every entry is
 * classified exactly once, from its first byte.
 */
static long mm_env_scan_cb(__u64 i, void *data)
{
	struct mm_env_scan *c = data;
	struct rec_scratch *r = rec_get();
	struct path_scratch *ps;
	__u32 zero = 0;
	long n;

	ps = bpf_map_lookup_elem(&path_buf, &zero);
	if (!r || !ps)
		return 1;
	if (c->p >= c->end || c->p >= c->stop)
		return 1;
	if (!c->mid && c->entries >= ENV_SCAN_ENTRIES)
		return 1;
	n = bpf_probe_read_user_str(ps->buf, TE_MAX_STR, (void *)c->p);
	if (n <= 0)
		return 1;
	if (!c->mid) {
		c->entries++;
		if (ld_var(ps->buf) && strarr_add(r, c->limit, c->p) <= 0)
			return 1;
	}
	if (n >= TE_MAX_STR) {
		c->p += TE_MAX_STR - 1;
		c->mid = 1;
	} else {
		c->p += n;
		c->mid = 0;
	}
	return 0;
}

/*
 * STRARR of the LD_* entries of the new image's environment block: at most
 * ENV_SCAN_ENTRIES strings within the first ENV_SCAN_BYTES of the block.
 */
__noinline int rec_mm_env_ld(__u32 idx, __u64 p, __u64 end)
{
	struct rec_scratch *r = rec_get();
	struct mm_env_scan c = {};
	__u32 start;
	long off;

	if (!r || !p)
		return -1;
	off = arg_begin(r, 1);
	if (off < 0)
		return -1;
	start = off + ARG_HDR;
	r->cur = start;
	c.p = p;
	c.end = end;
	c.stop = end - p > ENV_SCAN_BYTES ? p + ENV_SCAN_BYTES : end;
	c.limit = start + TE_MAX_ARGV_BYTES;
	if (c.limit > TE_MAX_RECORD)
		c.limit = TE_MAX_RECORD;
	bpf_loop(ENV_SCAN_STEPS, mm_env_scan_cb, &c, 0);
	if (c.p < c.end)
		rec_truncated(r); /* a bound, a fault, or a full record */
	arg_emit(r, off, idx, TE_W_STRARR, r->cur - start);
	return 0;
}

/* ------------------------------------------------------------------ */
/* 3. paths                                                            */
/* ------------------------------------------------------------------ */

/*
 * Build the absolute path of the struct path at @path_ptr at the end of
 * path_buf: the result is buf[start, TE_MAX_STR), no NUL.  Returns start or
 * -1.  Walks d_parent up to the mount root and crosses mounts through
 * struct mount (mnt_mountpoint, mnt_parent) until the root of the task's
 * mount namespace, so paths are those the task itself sees.  A dentry that is
 * its own parent without being a mount root belongs to a pseudo filesystem
 * (memfd, pipe, socket, anon inode): its name is used alone, "/memfd:x".
 * ".." and symlinks cannot appear: this is the dcache's view.
 */
__noinline int path_walk(__u64 path_ptr)
{
	struct vfsmount *vfsmnt;
	struct mount *mnt, *mnt_parent;
	struct path_scratch *ps;
	struct dentry *d, *root;
	struct path *p;
	__u32 zero = 0;

	ps = bpf_map_lookup_elem(&path_buf, &zero);
	if (!ps || !path_ptr)
		return -1;
	/*
	 * Probe reads, not bpf_rdonly_cast() direct loads: that kfunc needs
	 * Linux 6.2 and Debian 12 ships 6.1; it saved about 20 ns per path.
	 */
	p = (struct path *)path_ptr;
	d = BPF_CORE_READ(p, dentry);
	vfsmnt = BPF_CORE_READ(p, mnt);
	if (!d || !vfsmnt)
		return -1;
	ps->truncated = 0;
	ps->pseudo = 0;
	/*
	 * The write position lives in the map, not in a register: a register
	 * would carry exact bounds from one iteration to the next and every
	 * iteration would be a new state for the verifier.
	 */
	ps->pos = TE_MAX_STR;
	mnt = (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
	mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
	/*
	 * Every probe read costs (about 20 ns here, and a path walk is on the
	 * path of every traced open): the mount's root is read once per
	 * mount, not per component, and a component's name and length come in
	 * one read of its qstr.
	 */
	root = BPF_CORE_READ(vfsmnt, mnt_root);

	for (int i = 0; i < PATH_COMPONENTS; i++) {
		struct dentry *parent;
		const unsigned char *name;
		struct qstr qs;
		__u32 len, pos;

		if (d == root) {
			if (mnt == mnt_parent)
				break; /* root of the mount namespace */
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = mnt_parent;
			mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
			vfsmnt = (struct vfsmount *)((void *)mnt + bpf_core_field_offset(struct mount, mnt));
			root = BPF_CORE_READ(vfsmnt, mnt_root);
			continue;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (BPF_CORE_READ_INTO(&qs, d, d_name))
			break;
		name = qs.name;
		len = qs.len;
		if (!name)
			break;
		if (d == parent) {
			char c = 0;

			ps->pseudo = 1;
			/* d_alloc_anon() names (nsfs, pidfs) are a bare "/" */
			bpf_probe_read_kernel(&c, 1, name);
			if (len == 1 && c == '/')
				break;
		}
		if (len > NAME_MAX_LEN) {
			len = NAME_MAX_LEN;
			ps->truncated = 1;
		}
		pos = ps->pos;
		if (pos > TE_MAX_STR || pos < len + 1) {
			ps->truncated = 1;
			break;
		}
		pos -= len + 1;
		ps->pos = pos;
		bpf_probe_read_kernel(&ps->buf[(pos + 1) & PATH_MASK], len & NAME_MAX_LEN, name);
		ps->buf[pos & PATH_MASK] = '/';
		if (d == parent)
			break; /* pseudo filesystem dentry */
		d = parent;
	}
	if (ps->pos >= TE_MAX_STR) {
		ps->pos = TE_MAX_STR - 1;
		ps->buf[TE_MAX_STR - 1] = '/';
	}
	return ps->pos & PATH_MASK;
}

static __always_inline struct task_struct *cur_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* struct file * of the current task's descriptor @fd, or 0 */
static __always_inline __u64 fd_file(long fd)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	struct file *f = NULL;

	if (fd < 0 || fd >= fdt->max_fds)
		return 0;
	/* fdt->fd is a struct file ** and loads as a plain number */
	bpf_probe_read_kernel(&f, sizeof(f), (void *)((__u64)fdt->fd + fd * sizeof(f)));
	return (__u64)f;
}

static __always_inline __u64 file_path_ptr(__u64 file)
{
	return file ? (__u64)&((struct file *)file)->f_path : 0;
}

/*
 * Copy the walked path to the record at data[pos], at most @room bytes.
 * Returns bytes copied or -1.
 */
static __always_inline long copy_walked(struct rec_scratch *r, __u32 pos, __u32 room, int start)
{
	__u32 zero = 0, len;
	struct path_scratch *ps = bpf_map_lookup_elem(&path_buf, &zero);

	if (!ps || start < 0)
		return -1;
	start &= PATH_MASK;
	len = TE_MAX_STR - start;
	if (ps->truncated)
		rec_truncated(r);
	if (len > room) {
		len = room;
		rec_truncated(r);
	}
	if (len > TE_MAX_STR || len == 0)
		return -1;
	if (bpf_probe_read_kernel(&r->data[pos & REC_MASK], len, &ps->buf[start]))
		return -1;
	return len;
}

/* STR argument from the result of path_walk() */
static __always_inline int emit_walked(__u32 idx, int start)
{
	struct rec_scratch *r;
	long off, n;

	r = rec_get();
	if (!r || start < 0)
		return -1;
	off = arg_begin(r, 1);
	if (off < 0)
		return -1;
	n = copy_walked(r, off + ARG_HDR, TE_MAX_RECORD - ARG_HDR - off, start);
	if (n <= 0)
		return -1;
	arg_emit(r, off, idx, TE_W_STR, n);
	return 0;
}

/* STR: absolute path of a struct path */
__noinline int rec_path(__u32 idx, __u64 path_ptr)
{
	if (!path_ptr)
		return -1;
	return emit_walked(idx, path_walk(path_ptr));
}

/* STR: path of the file open as descriptor @fd of the current task */
__noinline int rec_fd_path(__u32 idx, __s64 fd)
{
	return rec_path(idx, file_path_ptr(fd_file(fd)));
}

/*
 * STR: absolute form of the path @upath relative to @dirfd (AT_FDCWD:
 * the cwd), as the *at() syscalls resolve it.  The base directory comes from
 * the dcache, the rest is the user string with leading "./" removed; ".."
 * and symlinks in the user part are left as given.  An empty or "." user
 * path (AT_EMPTY_PATH) yields the base itself.
 */
static __always_inline int at_path(__u32 idx, __s64 dirfd, __u64 upath, bool user)
{
	struct rec_scratch *r;
	char c[3] = {};
	long off, n;
	__u32 cur, base_len;
	__u64 base;
	int start;

	if (!upath)
		return -1;
	n = user ? bpf_probe_read_user_str(c, sizeof(c), (void *)upath)
		 : bpf_probe_read_kernel_str(c, sizeof(c), (void *)upath);
	if (n <= 0) {
		r = rec_get();
		if (r && user)
			r->fault = 1;
		return -1;
	}
	if (c[0] == '/')
		return put_str(idx, upath, user);
	for (int i = 0; i < 8 && c[0] == '.' && c[1] == '/'; i++) {
		upath += 2;
		n = user ? bpf_probe_read_user_str(c, sizeof(c), (void *)upath)
			 : bpf_probe_read_kernel_str(c, sizeof(c), (void *)upath);
		if (n <= 0)
			return -1;
	}
	if (c[0] == '.' && c[1] == 0)
		c[0] = 0;

	if ((int)dirfd == AT_FDCWD)
		base = (__u64)&BPF_CORE_READ(cur_task(), fs)->pwd;
	else
		base = file_path_ptr(fd_file((int)dirfd));
	start = base ? path_walk(base) : -1;
	if (start < 0)
		return put_str(idx, upath, user); /* unresolvable: report as given */

	r = rec_get();
	if (!r)
		return -1;
	off = arg_begin(r, 1);
	if (off < 0)
		return -1;
	n = copy_walked(r, off + ARG_HDR, TE_MAX_RECORD - ARG_HDR - off, start);
	if (n <= 0)
		return -1;
	base_len = n;
	cur = off + ARG_HDR + base_len;
	if (c[0]) {
		/* "/" + "x" must give "/x", not "//x" */
		if (base_len != 1) {
			if (cur >= TE_MAX_RECORD) {
				rec_truncated(r);
				goto out;
			}
			r->data[cur & REC_MASK] = '/';
			cur++;
		}
		if (cur >= TE_MAX_RECORD) {
			rec_truncated(r);
			goto out;
		}
		n = read_str(r, cur, TE_MAX_RECORD - cur, upath, user);
		if (n > 0) {
			if (cur + n >= TE_MAX_RECORD)
				rec_truncated(r);
			cur += n - 1;
		}
	}
out:
	arg_emit(r, off, idx, TE_W_STR, cur - off - ARG_HDR);
	return 0;
}

__noinline int rec_at_path(__u32 idx, __s64 dirfd, __u64 upath)
{
	return at_path(idx, dirfd, upath, true);
}

/* the same for a kernel string (bprm->filename) */
__noinline int rec_at_kpath(__u32 idx, __s64 dirfd, __u64 kpath)
{
	return at_path(idx, dirfd, kpath, false);
}

/*
 * oldfd_type (U64) at @idx and, for inet sockets, the peer address (BYTES)
 * at idx + 1.
 */
__noinline int rec_fd_kind(__u32 idx, __s64 fd)
{
	struct file *f = (struct file *)fd_file(fd);
	__u32 mode, kind;

	if (!f)
		return U64(idx, TE_FD_UNKNOWN);
	mode = BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT;
	switch (mode) {
	case S_IFSOCK:
		kind = TE_FD_SOCKET;
		break;
	case S_IFIFO:
		kind = TE_FD_PIPE;
		break;
	case S_IFCHR:
		kind = TE_FD_TTY;
		break;
	case S_IFREG:
	case S_IFDIR:
		kind = TE_FD_FILE;
		break;
	default:
		kind = TE_FD_OTHER;
	}
	U64(idx, kind);
	if (kind == TE_FD_SOCKET) {
		struct socket *sock = BPF_CORE_READ(f, private_data);

		rec_sock_peer(idx + 1, (__u64)BPF_CORE_READ(sock, sk));
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* 4. programs                                                         */
/* ------------------------------------------------------------------ */

/*
 * Remember the first @n syscall arguments until sys_exit.  Reading past the
 * syscall's own arguments would make the program's ctx access larger than
 * the tracepoint record, and attaching then fails with EACCES.
 */
static __always_inline int stash(struct trace_event_raw_sys_enter *ctx, int n, __u32 ev,
				 __u32 extra)
{
	struct te_stash *s;

	s = bpf_task_storage_get(&args_stash, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s)
		return 0;
	/* spelled out: a loop becomes a moving ctx pointer, which is refused */
	s->args[0] = n > 0 ? ctx->args[0] : 0;
	s->args[1] = n > 1 ? ctx->args[1] : 0;
	s->args[2] = n > 2 ? ctx->args[2] : 0;
	s->args[3] = n > 3 ? ctx->args[3] : 0;
	s->args[4] = n > 4 ? ctx->args[4] : 0;
	s->args[5] = n > 5 ? ctx->args[5] : 0;
	s->event_id = ev;
	s->extra = extra;
	return 0;
}

/*
 * Fetch and forget what the matching sys_enter stashed.  @expected: the
 * enter always stashes, so a missing or foreign entry means lost arguments
 * (a foreign one is dropped).  Otherwise (deferred exec records) both are
 * normal and a foreign entry, e.g. execveat's seen by te_execve on the
 * shared sched_process_exec hook, is left for its owner.
 */
static __always_inline int unstash_as(__u32 ev, struct te_stash *out, bool expected)
{
	struct te_stash *s;

	s = bpf_task_storage_get(&args_stash, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->event_id || (!expected && s->event_id != ev)) {
		if (expected)
			stat_inc(TE_STAT_ARGS_LOST);
		return -1;
	}
	*out = *s;
	s->event_id = 0;
	if (out->event_id != ev) {
		stat_inc(TE_STAT_ARGS_LOST);
		return -1;
	}
	return 0;
}

static __always_inline int unstash(__u32 ev, struct te_stash *out)
{
	return unstash_as(ev, out, true);
}

/*
 * The arguments of the current syscall, at sys_exit: the user registers the
 * kernel saved at syscall entry (task_pt_regs), which no syscall traced this
 * way modifies.  No sys_enter program and no stash are needed, so an event
 * costs one program run per syscall (and an untraced sys_enter tracepoint).
 * Syscall tracepoints do not fire for 32-bit compat syscalls, so these are
 * always the native calling convention.
 */
/* libbpf before 1.2 stops at the fifth */
#ifndef PT_REGS_PARM6_SYSCALL
#if defined(__TARGET_ARCH_x86)
#define PT_REGS_PARM6_SYSCALL(x) ((x)->r9)
#elif defined(__TARGET_ARCH_arm64)
#define PT_REGS_PARM6_SYSCALL(x) ((x)->regs[5])
#else
#error "PT_REGS_PARM6_SYSCALL: unknown architecture"
#endif
#endif

static __always_inline void regs_args(struct te_stash *a, int n, __u32 ev)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	a->args[0] = n > 0 ? PT_REGS_PARM1_SYSCALL(regs) : 0;
	a->args[1] = n > 1 ? PT_REGS_PARM2_SYSCALL(regs) : 0;
	a->args[2] = n > 2 ? PT_REGS_PARM3_SYSCALL(regs) : 0;
	a->args[3] = n > 3 ? PT_REGS_PARM4_SYSCALL(regs) : 0;
	a->args[4] = n > 4 ? PT_REGS_PARM5_SYSCALL(regs) : 0;
	a->args[5] = n > 5 ? PT_REGS_PARM6_SYSCALL(regs) : 0;
	a->event_id = ev;
	a->extra = 0;
}

/*
 * sys_exit program; the block that follows the macro adds the arguments
 * `a` (a->args[]) and the return value `ret`.  TE_EXIT takes the arguments
 * from the stash of a sys_enter program of its own (mprotect, which needs
 * the state before the call); TE_SYSCALL (@n: how many arguments the
 * syscall has) reads them from the saved registers (regs_args).
 */
#define TE_EXIT_FROM(sc, ev, get_args)                                         \
	static __always_inline void te_args_##sc(const struct te_stash *a, long ret); \
	SEC("tracepoint/syscalls/sys_exit_" #sc)                               \
	int te_exit_##sc(struct trace_event_raw_sys_exit *ctx)                 \
	{                                                                      \
		struct te_stash a;                                             \
		if (!want(ev))                                                 \
			return 0;                                              \
		get_args;                                                      \
		if (rec_init(ev, ctx->ret))                                    \
			return 0;                                              \
		te_args_##sc(&a, ctx->ret);                                    \
		rec_submit();                                                  \
		return 0;                                                      \
	}                                                                      \
	static __always_inline void te_args_##sc(const struct te_stash *a, long ret)

#define TE_EXIT(sc, ev) TE_EXIT_FROM(sc, ev, if (unstash(ev, &a)) return 0)
#define TE_SYSCALL(sc, n, ev) TE_EXIT_FROM(sc, ev, regs_args(&a, n, ev))

/* --- process lifecycle ------------------------------------------- */

/* The header describes the parent (current); the child is in the args. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(te_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct pid *cpid;

	if (!want(TE_EV_SCHED_PROCESS_FORK) || rec_init(TE_EV_SCHED_PROCESS_FORK, 0))
		return 0;
	S64(0, BPF_CORE_READ(parent, tgid));
	S64(1, BPF_CORE_READ(parent, pid));
	S64(2, BPF_CORE_READ(child, tgid));
	S64(3, BPF_CORE_READ(child, pid));
	cpid = BPF_CORE_READ(child, thread_pid);
	S64(4, task_tgid_at(child, BPF_CORE_READ(cpid, level)));
	U64(5, BPF_CORE_READ(child, start_boottime)); /* same clock as hdr.ts */
	rec_submit();
	return 0;
}

/* memfd files, and unlinked tmpfs files: executables with no name on disk */
static __always_inline __u64 fileless(struct file *f)
{
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	char name[6] = {};

	bpf_probe_read_kernel(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
	if (prefix_is(name, "memfd:", 6))
		return 1;
	if (BPF_CORE_READ(ino, i_nlink) == 0 &&
	    BPF_CORE_READ(ino, i_sb, s_magic) == TMPFS_MAGIC)
		return 1;
	return 0;
}

/*
 * After the new image is set up: bprm->file is the binary actually loaded
 * (the interpreter, for a script), bprm->filename what execve was given,
 * bprm->interp the shebang interpreter (== filename unless rewritten).
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(te_sched_process_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	const char *filename, *interp;
	struct mm_struct *mm;
	struct inode *ino;
	struct file *f;

	if (!want(TE_EV_SCHED_PROCESS_EXEC) || rec_init(TE_EV_SCHED_PROCESS_EXEC, 0))
		return 0;
	filename = BPF_CORE_READ(bprm, filename);
	interp = BPF_CORE_READ(bprm, interp);
	f = BPF_CORE_READ(bprm, file);
	ino = BPF_CORE_READ(f, f_inode);

	rec_kstr(0, (__u64)filename);
	rec_path(1, file_path_ptr((__u64)f));
	if (interp && interp != filename)
		rec_kstr(2, (__u64)interp);
	U64(3, BPF_CORE_READ(ino, i_sb, s_dev)); /* kernel dev_t: major << 20 | minor */
	U64(4, BPF_CORE_READ(ino, i_ino));
	U64(5, fileless(f));
	mm = BPF_CORE_READ(p, mm);
	rec_mm_argv(6, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end));
	rec_mm_env_ld(7, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end));
	rec_submit();
	return 0;
}

/*
 * exit_code is the raw task->exit_code (status << 8 | signal); signal->live
 * is already decremented here, so 0 means the whole thread group is gone.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(te_sched_process_exit, struct task_struct *p)
{
	if (!want(TE_EV_SCHED_PROCESS_EXIT) || rec_init(TE_EV_SCHED_PROCESS_EXIT, 0))
		return 0;
	S64(0, BPF_CORE_READ(p, exit_code));
	U64(1, BPF_CORE_READ(p, signal, live.counter) == 0);
	rec_submit();
	return 0;
}

/*
 * --- exec syscalls: "enter" events ------------------------------------
 * The caller's memory is gone once an exec succeeds, so these records are
 * built at sys_enter.  But a child fresh from fork() has not yet faulted in
 * the file-backed pages its strings often live in (.rodata literals), and a
 * tracepoint program cannot fault.  When a user read fails at entry the
 * record is not sent there; the arguments are stashed and it is sent
 *  - for a failed exec at sys_exit, where the kernel's own copy of the
 *    strings has faulted the pages in;
 *  - for a successful one from sched_process_exec (te_execve/te_execveat,
 *    attached with the event), out of bprm and the new image's stack: the
 *    old memory is gone at sys_exit, and this kernel does not even report
 *    sys_exit_execveat for a successful execveat.
 * hdr.retval stays 0 either way.  An exec from a non-leader thread changes
 * the tid, so its deferred record is lost.
 */

static __always_inline bool rec_faulted(void)
{
	struct rec_scratch *r = rec_get();

	return r && r->fault;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int te_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	if (!want(TE_EV_EXECVE) || rec_init(TE_EV_EXECVE, 0))
		return 0;
	rec_at_path(0, AT_FDCWD, ctx->args[0]);
	rec_uargv(1, ctx->args[1]);
	rec_uenv_ld(2, ctx->args[2]);
	if (rec_faulted())
		return stash(ctx, 3, TE_EV_EXECVE, 0);
	rec_submit();
	return 0;
}

/* Deferred records of failed execs; nothing stashed is the normal case. */
SEC("tracepoint/syscalls/sys_exit_execve")
int te_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	struct te_stash a;

	if (ctx->ret >= 0 || !want(TE_EV_EXECVE) || unstash_as(TE_EV_EXECVE, &a, false) ||
	    rec_init(TE_EV_EXECVE, 0))
		return 0;
	rec_at_path(0, AT_FDCWD, a.args[0]);
	rec_uargv(1, a.args[1]);
	rec_uenv_ld(2, a.args[2]);
	rec_submit();
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int te_enter_execveat(struct trace_event_raw_sys_enter *ctx)
{
	if (!want(TE_EV_EXECVEAT) || rec_init(TE_EV_EXECVEAT, 0))
		return 0;
	SINT(0, ctx->args[0]);
	rec_at_path(1, (int)ctx->args[0], ctx->args[1]);
	rec_uargv(2, ctx->args[2]);
	rec_uenv_ld(3, ctx->args[3]);
	U64(4, (int)ctx->args[4]);
	if (rec_faulted())
		return stash(ctx, 5, TE_EV_EXECVEAT, 0);
	rec_submit();
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int te_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	struct te_stash a;

	if (ctx->ret >= 0 || !want(TE_EV_EXECVEAT) ||
	    unstash_as(TE_EV_EXECVEAT, &a, false) || rec_init(TE_EV_EXECVEAT, 0))
		return 0;
	SINT(0, a.args[0]);
	rec_at_path(1, (int)a.args[0], a.args[1]);
	rec_uargv(2, a.args[2]);
	rec_uenv_ld(3, a.args[3]);
	U64(4, (int)a.args[4]);
	rec_submit();
	return 0;
}

#define AT_EMPTY_PATH 0x1000

/* Deferred record of a successful exec, at sched_process_exec. */
static __always_inline int exec_deferred(struct linux_binprm *bprm, __u32 ev)
{
	const char *filename, *interp;
	struct mm_struct *mm;
	struct te_stash a;
	__u32 idx = 0;

	if (!want(ev) || unstash_as(ev, &a, false) || rec_init(ev, 0))
		return 0;
	filename = BPF_CORE_READ(bprm, filename);
	interp = BPF_CORE_READ(bprm, interp);
	if (ev == TE_EV_EXECVEAT) {
		SINT(0, a.args[0]);
		idx = 1;
	}
	/*
	 * bprm->filename is what was asked for, except that execveat turns
	 * dirfd-relative names into "/dev/fd/N[/name]": for AT_EMPTY_PATH
	 * the file itself says more (unless a script replaced it).
	 */
	if (ev == TE_EV_EXECVEAT && (a.args[4] & AT_EMPTY_PATH) && interp == filename)
		rec_path(idx, file_path_ptr((__u64)BPF_CORE_READ(bprm, file)));
	else
		rec_at_kpath(idx, AT_FDCWD, (__u64)filename);
	mm = BPF_CORE_READ(cur_task(), mm);
	rec_mm_argv(idx + 1, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end));
	rec_mm_env_ld(idx + 2, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end));
	if (ev == TE_EV_EXECVEAT)
		U64(4, (int)a.args[4]);
	rec_submit();
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(te_execve, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return exec_deferred(bprm, TE_EV_EXECVE);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(te_execveat, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return exec_deferred(bprm, TE_EV_EXECVEAT);
}

/* --- process access ---------------------------------------------- */

TE_SYSCALL(ptrace, 4, TE_EV_PTRACE)
{
	S64(0, (long)a->args[0]);
	SINT(1, a->args[1]);
	U64(2, a->args[2]);
	U64(3, a->args[3]);
}

TE_SYSCALL(process_vm_readv, 6, TE_EV_PROCESS_VM_READV)
{
	SINT(0, a->args[0]);
	U64(1, a->args[2]);
	U64(2, a->args[4]);
	U64(3, a->args[5]);
}

TE_SYSCALL(process_vm_writev, 6, TE_EV_PROCESS_VM_WRITEV)
{
	SINT(0, a->args[0]);
	U64(1, a->args[2]);
	U64(2, a->args[4]);
	U64(3, a->args[5]);
}

TE_SYSCALL(kill, 2, TE_EV_KILL)
{
	SINT(0, a->args[0]);
	SINT(1, a->args[1]);
}

TE_SYSCALL(tkill, 2, TE_EV_TKILL)
{
	SINT(0, a->args[0]);
	SINT(1, a->args[1]);
}

TE_SYSCALL(tgkill, 3, TE_EV_TGKILL)
{
	SINT(0, a->args[0]);
	SINT(1, a->args[1]);
	SINT(2, a->args[2]);
}

/* --- files --------------------------------------------------------- */

/*
 * Open paths: a successful open reports the path of the file it opened
 * (symlinks and ".." resolved by the kernel, so a symlink to /etc/shadow
 * shows as /etc/shadow); a failed one, or one that opened a file of a
 * pseudo filesystem (/proc/self/ns/uts would come out as "/"), reports the
 * user string made absolute against dirfd/cwd.
 */
__noinline int rec_open_path(__u32 idx, __s64 ret, __s64 dirfd, __u64 upath)
{
	__u64 path = ret >= 0 ? file_path_ptr(fd_file(ret)) : 0;
	struct path_scratch *ps;
	__u32 zero = 0;
	int start;

	if (path) {
		start = path_walk(path);
		ps = bpf_map_lookup_elem(&path_buf, &zero);
		if (ps && !ps->pseudo && emit_walked(idx, start) == 0)
			return 0;
	}
	return rec_at_path(idx, dirfd, upath);
}

TE_SYSCALL(open, 3, TE_EV_OPEN)
{
	rec_open_path(0, ret, AT_FDCWD, a->args[0]);
	U64(1, (int)a->args[1]);
	U64(2, a->args[2]);
}

TE_SYSCALL(openat, 4, TE_EV_OPENAT)
{
	SINT(0, a->args[0]);
	rec_open_path(1, ret, (int)a->args[0], a->args[1]);
	U64(2, (int)a->args[2]);
	U64(3, a->args[3]);
}

TE_SYSCALL(openat2, 4, TE_EV_OPENAT2)
{
	struct open_how how = {};

	SINT(0, a->args[0]);
	rec_open_path(1, ret, (int)a->args[0], a->args[1]);
	if (bpf_probe_read_user(&how, sizeof(how), (void *)a->args[2]) == 0) {
		U64(2, how.flags);
		U64(3, how.mode);
		U64(4, how.resolve);
	}
}

TE_SYSCALL(write, 3, TE_EV_WRITE)
{
	SINT(0, a->args[0]);
	rec_fd_path(1, (int)a->args[0]);
	U64(2, a->args[2]);
}

TE_SYSCALL(rename, 2, TE_EV_RENAME)
{
	rec_at_path(0, AT_FDCWD, a->args[0]);
	rec_at_path(1, AT_FDCWD, a->args[1]);
}

TE_SYSCALL(renameat, 4, TE_EV_RENAMEAT)
{
	SINT(0, a->args[0]);
	rec_at_path(1, (int)a->args[0], a->args[1]);
	SINT(2, a->args[2]);
	rec_at_path(3, (int)a->args[2], a->args[3]);
}

TE_SYSCALL(renameat2, 5, TE_EV_RENAMEAT2)
{
	SINT(0, a->args[0]);
	rec_at_path(1, (int)a->args[0], a->args[1]);
	SINT(2, a->args[2]);
	rec_at_path(3, (int)a->args[2], a->args[3]);
	U64(4, (unsigned int)a->args[4]);
}

TE_SYSCALL(unlink, 1, TE_EV_UNLINK)
{
	rec_at_path(0, AT_FDCWD, a->args[0]);
}

TE_SYSCALL(unlinkat, 3, TE_EV_UNLINKAT)
{
	SINT(0, a->args[0]);
	rec_at_path(1, (int)a->args[0], a->args[1]);
	U64(2, (int)a->args[2]);
}

TE_SYSCALL(chmod, 2, TE_EV_CHMOD)
{
	rec_at_path(0, AT_FDCWD, a->args[0]);
	U64(1, (__u16)a->args[1]);
}

TE_SYSCALL(fchmod, 2, TE_EV_FCHMOD)
{
	SINT(0, a->args[0]);
	rec_fd_path(1, (int)a->args[0]);
	U64(2, (__u16)a->args[1]);
}

/* fchmodat has no flags argument: reported as 0 */
TE_SYSCALL(fchmodat, 3, TE_EV_FCHMODAT)
{
	SINT(0, a->args[0]);
	rec_at_path(1, (int)a->args[0], a->args[1]);
	U64(2, (__u16)a->args[2]);
	U64(3, 0);
}

/* fchmodat2 feeds TE_EV_FCHMODAT (user space aliases the name) */
TE_SYSCALL(fchmodat2, 4, TE_EV_FCHMODAT)
{
	SINT(0, a->args[0]);
	rec_at_path(1, (int)a->args[0], a->args[1]);
	U64(2, (__u16)a->args[2]);
	U64(3, (unsigned int)a->args[3]);
}

/* --- memory -------------------------------------------------------- */

TE_SYSCALL(mmap, 6, TE_EV_MMAP)
{
	long fd = (int)a->args[4];

	U64(0, a->args[0]);
	U64(1, a->args[1]);
	U64(2, a->args[2]);
	U64(3, a->args[3]);
	S64(4, fd);
	U64(5, a->args[5]);
	if (fd >= 0 && !(a->args[3] & MAP_ANONYMOUS))
		rec_fd_path(6, fd);
}

struct vma_prot_ctx {
	__u32 prot;
};

static long vma_prot_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_prot_ctx *c = data;

	/* VM_READ/WRITE/EXEC have the values of PROT_READ/WRITE/EXEC */
	c->prot = (vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) | PREV_PROT_VALID;
	return 0;
}

/* prev_prot must be read before the change: look the VMA up at entry. */
SEC("tracepoint/syscalls/sys_enter_mprotect")
int te_enter_mprotect(struct trace_event_raw_sys_enter *ctx)
{
	struct vma_prot_ctx c = {};

	if (!want(TE_EV_MPROTECT))
		return 0;
	bpf_find_vma(bpf_get_current_task_btf(), ctx->args[0], vma_prot_cb, &c, 0);
	return stash(ctx, 3, TE_EV_MPROTECT, c.prot);
}

TE_EXIT(mprotect, TE_EV_MPROTECT)
{
	U64(0, a->args[0]);
	U64(1, a->args[1]);
	U64(2, a->args[2]);
	if (a->extra & PREV_PROT_VALID)
		U64(3, a->extra & ~PREV_PROT_VALID);
}

TE_SYSCALL(memfd_create, 2, TE_EV_MEMFD_CREATE)
{
	rec_ustr(0, a->args[0]);
	U64(1, (unsigned int)a->args[1]);
}

/* --- kernel modules (absent when CONFIG_MODULES is off) -------------- */

TE_SYSCALL(init_module, 3, TE_EV_INIT_MODULE)
{
	U64(0, a->args[1]);
	rec_ustr(1, a->args[2]);
}

TE_SYSCALL(finit_module, 3, TE_EV_FINIT_MODULE)
{
	SINT(0, a->args[0]);
	rec_fd_path(1, (int)a->args[0]);
	rec_ustr(2, a->args[1]);
	U64(3, (int)a->args[2]);
}

TE_SYSCALL(delete_module, 2, TE_EV_DELETE_MODULE)
{
	rec_ustr(0, a->args[0]);
	U64(1, (unsigned int)a->args[1]);
}

/* --- network --------------------------------------------------------- */

TE_SYSCALL(socket, 3, TE_EV_SOCKET)
{
	SINT(0, a->args[0]);
	U64(1, (unsigned int)a->args[1]);
	SINT(2, a->args[2]);
}

TE_SYSCALL(connect, 3, TE_EV_CONNECT)
{
	SINT(0, a->args[0]);
	rec_ubytes(1, a->args[1], (int)a->args[2]);
}

TE_SYSCALL(bind, 3, TE_EV_BIND)
{
	SINT(0, a->args[0]);
	rec_ubytes(1, a->args[1], (int)a->args[2]);
}

TE_SYSCALL(listen, 2, TE_EV_LISTEN)
{
	SINT(0, a->args[0]);
	SINT(1, a->args[1]);
}

/*
 * The peer of an accepted connection: what the kernel wrote to the caller's
 * buffer, or, without one, the new socket's own idea of its peer.
 */
static __always_inline void accept_peer(__u32 idx, long ret, __u64 uaddr, __u64 ulen)
{
	struct socket *sock;
	struct file *f;
	int len = 0;

	if (ret < 0)
		return;
	if (uaddr && ulen && bpf_probe_read_user(&len, sizeof(len), (void *)ulen) == 0 &&
	    len > 0) {
		rec_ubytes(idx, uaddr, len);
		return;
	}
	f = (struct file *)fd_file(ret);
	if (!f)
		return;
	sock = BPF_CORE_READ(f, private_data);
	rec_sock_peer(idx, (__u64)BPF_CORE_READ(sock, sk));
}

TE_SYSCALL(accept, 3, TE_EV_ACCEPT)
{
	SINT(0, a->args[0]);
	accept_peer(1, ret, a->args[1], a->args[2]);
}

TE_SYSCALL(accept4, 4, TE_EV_ACCEPT4)
{
	SINT(0, a->args[0]);
	accept_peer(1, ret, a->args[1], a->args[2]);
	U64(2, (int)a->args[3]);
}

/* --- descriptors ----------------------------------------------------- */

TE_SYSCALL(dup, 1, TE_EV_DUP)
{
	SINT(0, a->args[0]);
	rec_fd_kind(1, (int)a->args[0]);
}

TE_SYSCALL(dup2, 2, TE_EV_DUP2)
{
	SINT(0, a->args[0]);
	SINT(1, a->args[1]);
	rec_fd_kind(2, (int)a->args[0]);
}

TE_SYSCALL(dup3, 3, TE_EV_DUP3)
{
	SINT(0, a->args[0]);
	SINT(1, a->args[1]);
	U64(2, (int)a->args[2]);
	rec_fd_kind(3, (int)a->args[0]);
}

/* --- credentials: ids are int so that -1 ("unchanged") stays -1 ------ */

TE_SYSCALL(setuid, 1, TE_EV_SETUID) { SINT(0, a->args[0]); }
TE_SYSCALL(setgid, 1, TE_EV_SETGID) { SINT(0, a->args[0]); }
TE_SYSCALL(setfsuid, 1, TE_EV_SETFSUID) { SINT(0, a->args[0]); }
TE_SYSCALL(setfsgid, 1, TE_EV_SETFSGID) { SINT(0, a->args[0]); }

TE_SYSCALL(setreuid, 2, TE_EV_SETREUID)
{
	SINT(0, a->args[0]);
	SINT(1, a->args[1]);
}

TE_SYSCALL(setregid, 2, TE_EV_SETREGID)
{
	SINT(0, a->args[0]);
	SINT(1, a->args[1]);
}

TE_SYSCALL(setresuid, 3, TE_EV_SETRESUID)
{
	SINT(0, a->args[0]);
	SINT(1, a->args[1]);
	SINT(2, a->args[2]);
}

TE_SYSCALL(setresgid, 3, TE_EV_SETRESGID)
{
	SINT(0, a->args[0]);
	SINT(1, a->args[1]);
	SINT(2, a->args[2]);
}

struct te_cap_header {
	__u32 version;
	int pid;
};

struct te_cap_data {
	__u32 effective, permitted, inheritable;
};

/* Version 1 passes one 32-bit set, later versions two (low, high). */
TE_SYSCALL(capset, 2, TE_EV_CAPSET)
{
	struct te_cap_header h = {};
	struct te_cap_data d[2] = {};

	if (bpf_probe_read_user(&h, sizeof(h), (void *)a->args[0]))
		return;
	S64(0, h.pid);
	if (bpf_probe_read_user(d, h.version == LINUX_CAPABILITY_VERSION_1 ? sizeof(d[0]) : sizeof(d),
				(void *)a->args[1]))
		return;
	U64(1, (__u64)d[1].effective << 32 | d[0].effective);
	U64(2, (__u64)d[1].permitted << 32 | d[0].permitted);
	U64(3, (__u64)d[1].inheritable << 32 | d[0].inheritable);
}

/* --- namespaces, mounts, bpf ----------------------------------------- */

/* The mount target is a path and is made absolute; source may be anything. */
TE_SYSCALL(mount, 5, TE_EV_MOUNT)
{
	rec_ustr(0, a->args[0]);
	rec_at_path(1, AT_FDCWD, a->args[1]);
	rec_ustr(2, a->args[2]);
	U64(3, a->args[3]);
}

/* umount2's tracepoint is named after the kernel's SYSCALL_DEFINE2(umount) */
TE_SYSCALL(umount, 2, TE_EV_UMOUNT2)
{
	rec_at_path(0, AT_FDCWD, a->args[0]);
	U64(1, (int)a->args[1]);
}

TE_SYSCALL(unshare, 1, TE_EV_UNSHARE) { U64(0, a->args[0]); }

TE_SYSCALL(setns, 2, TE_EV_SETNS)
{
	SINT(0, a->args[0]);
	U64(1, (int)a->args[1]);
}

TE_SYSCALL(bpf, 3, TE_EV_BPF)
{
	SINT(0, a->args[0]);
	U64(1, (unsigned int)a->args[2]);
}
