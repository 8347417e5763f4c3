/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Record building: a te_record_hdr + TLV arguments (the wire format of
 * traceed.h) assembled in the per-CPU rec_buf scratch and sent to the
 * "events" or "events_rare" ring buffer (maps.bpf.h: ring_of).  rec_init()
 * fills the header for the current task, rec_submit() sends the record (or
 * counts it dropped, per event too), and the rec_*() helpers append one
 * argument each: numbers (S64/U64/SINT), user and kernel strings, sockaddr
 * bytes, the peer of a socket, argv arrays and blocks, and the LD_* filters
 * over an exec's environment.
 *
 * The rec_*() helpers are global (non-static __noinline) functions: each is
 * verified once per program instead of once per call site, which keeps the
 * big exit programs far below the verifier's complexity limit.  They only
 * take scalars: the verifier refuses kernel pointers as arguments of global
 * functions, so kernel addresses travel as __u64 and are read with
 * BPF_CORE_READ/probe reads.
 *
 * Separate from traceed.bpf.c so that the encoding lives in one place and
 * the programs read as lists of arguments.  It defines global functions, so
 * like maps.bpf.h it is included once, by traceed.bpf.c (one compilation
 * unit, one skeleton).  Path arguments need the dentry walk: path.bpf.h.
 */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "traceed.h"
#include "maps.bpf.h"

/* uapi constants vmlinux.h does not carry */
#define AF_INET 2
#define AF_INET6 10

#define REC_MASK (TE_MAX_RECORD - 1)
#define ARG_HDR ((__u32)sizeof(struct te_arg_hdr))
#define REC_HDR ((__u32)sizeof(struct te_record_hdr))
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

/*
 * Send the record to its event's ring (ring_of); wake the reader only once
 * the ring's wakeup_bytes are waiting.  A record the ring has no room for
 * is counted, in all and for its event.
 */
__noinline int rec_submit(void)
{
	struct rec_scratch *r = rec_get();
	__u64 flags = BPF_RB_FORCE_WAKEUP;
	__u32 size, ev;
	long err;

	if (!r)
		return -1;
	size = r->off;
	if (size > TE_MAX_RECORD)
		size = TE_MAX_RECORD;
	if (size < REC_HDR)
		return -1;
	rec_hdr(r)->size = size;
	_Static_assert((TE_EV_MAX & (TE_EV_MAX - 1)) == 0, "TE_EV_MAX is a mask");
	ev = rec_hdr(r)->event_id & (TE_EV_MAX - 1);
	/* one call site per ring: each helper call sees one constant map */
	if (ring_of[ev]) {
		if (wakeup_bytes_rare &&
		    bpf_ringbuf_query(&events_rare, BPF_RB_AVAIL_DATA) + size < wakeup_bytes_rare)
			flags = BPF_RB_NO_WAKEUP;
		err = bpf_ringbuf_output(&events_rare, r->data, size, flags);
	} else {
		if (wakeup_bytes &&
		    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + size < wakeup_bytes)
			flags = BPF_RB_NO_WAKEUP;
		err = bpf_ringbuf_output(&events, r->data, size, flags);
	}
	if (err) {
		stat_inc(TE_STAT_DROPPED);
		dropped_inc(ev);
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
