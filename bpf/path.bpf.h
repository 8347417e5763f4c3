/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Paths: path_walk(), the dentry/mount walk that builds the absolute path of
 * a struct path as the current task sees it (in the per-CPU path_buf
 * scratch); the lookups that lead to a struct path (the file open as a
 * descriptor, the cwd); and the record arguments made from a walk: rec_path,
 * rec_fd_path, and rec_at_path/rec_at_kpath, which make the dirfd-relative
 * names of the *at() syscalls absolute.
 *
 * Separate from traceed.bpf.c because the walk is self-contained and the
 * most delicate code of the object, for the verifier (a bounded loop whose
 * cursor lives in the map) and for cost (probe reads on the path of every
 * traced open).  Builds on maps.bpf.h and record.bpf.h; defines global
 * functions, so it is included once, by traceed.bpf.c.
 */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "traceed.h"
#include "maps.bpf.h"
#include "record.bpf.h"

/* uapi constant vmlinux.h does not carry */
#define AT_FDCWD -100

#define PATH_MASK (TE_MAX_STR - 1)
#define NAME_MAX_LEN 255     /* longest dentry name copied */
#define PATH_COMPONENTS 48   /* dentries + mount crossings walked per path */

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
	ps->complete = 0;
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
			if (mnt == mnt_parent) {
				ps->complete = 1;
				break; /* root of the mount namespace */
			}
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
			if (len == 1 && c == '/') {
				ps->complete = 1;
				break;
			}
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
		if (d == parent) {
			ps->complete = 1;
			break; /* pseudo filesystem dentry */
		}
		d = parent;
	}
	if (ps->pos >= TE_MAX_STR) {
		ps->pos = TE_MAX_STR - 1;
		ps->buf[TE_MAX_STR - 1] = '/';
	}
	/*
	 * Stopped short (PATH_COMPONENTS steps, a full buffer, a failed read,
	 * a cut name): say so in the path itself (TE_PATH_CUT), overwriting
	 * its first bytes when there is no room before it, so a tail such as
	 * "/usr/bin/gdb" under 50 directories or 45 stacked mounts never
	 * reads as the real one.
	 */
	if (!ps->complete || ps->truncated) {
		__u32 pos = ps->pos;

		ps->truncated = 1;
		if (pos > TE_MAX_STR || pos < TE_PATH_CUT_LEN)
			pos = TE_PATH_CUT_LEN;
		pos -= TE_PATH_CUT_LEN;
		ps->pos = pos;
		__builtin_memcpy(&ps->buf[pos & PATH_MASK], TE_PATH_CUT, TE_PATH_CUT_LEN);
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
 * Time-of-check/time-of-use of path arguments.  The kernel copies a path
 * argument from user memory right after syscall entry (getname), but the
 * exit program reads it again, after the call: another thread of the
 * caller may have rewritten the buffer in between ("secret" unlinked,
 * "benign" reported).  So the syscalls whose paths are reported from the
 * user's string (unlink*, rename*, chmod, fchmodat*) also run a sys_enter
 * program that copies the strings into path_stash (maps.bpf.h), and the
 * exit compares.  Opens need none of this: a successful open reports the
 * path of the file it opened, not the user's string.
 */

/* sys_enter: stash the user strings at @p0 and @p1 (0: none) of @ev. */
static __always_inline int path_stash_enter(__u32 ev, __u64 p0, __u64 p1)
{
	struct te_path_stash *s;
	long n;

	if (!want(ev))
		return 0;
	s = bpf_task_storage_get(&path_stash, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s)
		return 0;
	s->uptr[0] = p0;
	n = p0 ? bpf_probe_read_user_str(s->s[0], TE_MAX_STR, (void *)p0) : 0;
	s->len[0] = n > 0 ? n : 0;
	s->uptr[1] = p1;
	n = p1 ? bpf_probe_read_user_str(s->s[1], TE_MAX_STR, (void *)p1) : 0;
	s->len[1] = n > 0 ? n : 0;
	s->event_id = ev;
	return 0;
}

struct path_cmp {
	__u32 len;  /* bytes to compare: the stashed string with its NUL */
	__u32 slot;
	__u32 diff;
};

/*
 * One 8-byte word of the comparison, as a bpf_loop() callback: verified
 * once whatever the length, where a plain loop is verified once per
 * length the verifier can tell apart (and exceeds its limit).
 */
static long path_cmp_cb(__u64 i, void *data)
{
	struct path_cmp *c = data;
	struct te_path_stash *s;
	struct path_scratch *ps;
	__u32 zero = 0, off = i * 8, left;
	__u64 x;

	s = bpf_task_storage_get(&path_stash, bpf_get_current_task_btf(), 0, 0);
	ps = bpf_map_lookup_elem(&path_buf, &zero);
	if (!s || !ps) {
		c->diff = 1;
		return 1;
	}
	if (off >= c->len || off >= TE_MAX_STR)
		return 1;
	off &= PATH_MASK & ~7u;
	x = *(const __u64 *)&s->s[c->slot & (PATH_SLOTS - 1)][off] ^ *(const __u64 *)&ps->buf[off];
	left = c->len - off;
	/* both strings end with a NUL at len - 1; bytes after it are stale */
	if (left < 8)
		x &= (1ULL << (left * 8)) - 1;
	if (x) {
		c->diff = 1;
		return 1;
	}
	return 0;
}

/*
 * Does the user buffer at @upath still hold the string stashed in @slot
 * (@len bytes with its NUL)?  1 when it differs or cannot be read, 0 when
 * it is the same, -1 when there is nothing to compare.
 */
__noinline int path_stash_differs(__u32 slot, __u64 upath, __u32 len)
{
	struct path_cmp c = { .len = len, .slot = slot & (PATH_SLOTS - 1) };
	struct path_scratch *ps;
	__u32 zero = 0;
	long n;

	ps = bpf_map_lookup_elem(&path_buf, &zero);
	if (!ps || len == 0 || len > TE_MAX_STR)
		return -1;
	/* the exit copy goes where a path walk builds its path later */
	n = bpf_probe_read_user_str(ps->buf, TE_MAX_STR, (void *)upath);
	if (n != len)
		return 1;
	bpf_loop((len + 7) / 8, path_cmp_cb, &c, 0);
	return c.diff;
}

/*
 * STR: the path argument @upath of @ev relative to @dirfd, like
 * rec_at_path, but from the string stashed at entry in @slot when there is
 * one.  Returns 1 when the user buffer no longer holds that string at exit
 * (or can no longer be read), or when the thread was caught doing that on
 * an earlier call (te_path_stash.tainted), else 0.  Without a stash (entry
 * read failed, enter program not attached yet) the string is read now, as
 * before.
 */
__noinline int rec_at_path_entry(__u32 idx, __s64 dirfd, __u64 upath, __u32 slot, __u32 ev)
{
	struct te_path_stash *s;
	int changed;

	slot &= PATH_SLOTS - 1;
	s = bpf_task_storage_get(&path_stash, bpf_get_current_task_btf(), 0, 0);
	if (!s) {
		rec_at_path(idx, dirfd, upath);
		return 0;
	}
	if (s->event_id != ev || s->uptr[slot] != upath || !upath) {
		rec_at_path(idx, dirfd, upath);
		return s->tainted;
	}
	changed = path_stash_differs(slot, upath, s->len[slot]);
	if (changed < 0) {
		rec_at_path(idx, dirfd, upath);
		return s->tainted;
	}
	if (changed)
		s->tainted = 1;
	at_path(idx, dirfd, (__u64)s->s[slot], false);
	return changed || s->tainted;
}

/* After the path arguments: forget the stash; path_changed:U64 at @idx when set. */
static __always_inline void path_stash_done(__u32 idx, int changed)
{
	struct te_path_stash *s;

	s = bpf_task_storage_get(&path_stash, bpf_get_current_task_btf(), 0, 0);
	if (s)
		s->event_id = 0;
	if (changed > 0)
		U64(idx, 1);
}
