// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * traceed kernel side: tracepoint programs that turn syscalls and sched
 * events into te_record_hdr + TLV records (bpf/traceed.h) in the "events"
 * ring buffer, or "events_rare" for the rare and lifecycle events
 * (maps.bpf.h: ring_of).
 *
 * This file is the only compilation unit of the BPF object (one object, one
 * skeleton).  The pieces the programs share are headers it includes, each
 * building on the ones before it:
 *   maps.bpf.h    maps, load-time constants, event selection, exclusion of
 *                 the daemon itself, counters
 *   record.bpf.h  record building: header, arguments, submission (global
 *                 functions; see there why they take only scalars)
 *   path.bpf.h    path building (dentry/mount walk) and path arguments
 * What follows here are the programs, grouped by event family.
 *
 * Only tracepoints are used (syscalls:sys_enter_X/sys_exit_X, tp_btf sched
 * events): kprobes, fentry and BPF-LSM are not available on the target
 * machines.  A syscall event is one sys_exit program: it takes the
 * arguments from the user registers saved at syscall entry and emits the
 * record with the return value.  Only events that need state from before
 * the call (mprotect, the exec events, and the path strings of rename*,
 * unlink*, chmod and fchmodat*, which another thread could rewrite during
 * the call) also run at sys_enter and carry it to the exit in task-local
 * storage.  User-space pointers are read at exit, when the kernel has
 * already faulted their pages in.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "traceed.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#include "maps.bpf.h"
#include "record.bpf.h"
#include "path.bpf.h"

/* uapi constants vmlinux.h does not carry */
#define MAP_ANONYMOUS 0x20
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define TMPFS_MAGIC 0x01021994
#define LINUX_CAPABILITY_VERSION_1 0x19980330

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
/* programs                                                            */
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
 *
 * A failed call (ret < 0) is dropped first thing, before any argument is
 * read, unless user space asked for the event's failures (TE_WANT_FAILED:
 * some enabled rule can match them, or they are printed).  mprotect's
 * stash is then left in place: its next sys_enter overwrites it.
 */
#define TE_EXIT_FROM(sc, ev, get_args)                                         \
	static __always_inline void te_args_##sc(const struct te_stash *a, long ret); \
	SEC("tracepoint/syscalls/sys_exit_" #sc)                               \
	int te_exit_##sc(struct trace_event_raw_sys_exit *ctx)                 \
	{                                                                      \
		struct te_stash a;                                             \
		__u32 w = want(ev);                                            \
		if (!w)                                                        \
			return 0;                                              \
		if (ctx->ret < 0 && !(w & TE_WANT_FAILED)) {                   \
			stat_inc(TE_STAT_FAILED_SKIPPED);                      \
			return 0;                                              \
		}                                                              \
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

/*
 * Paths reported from the user's string: read at entry too
 * (path.bpf.h: path_stash_enter, rec_at_path_entry), so that a buffer
 * rewritten by another thread during the call is reported as it was when
 * the kernel copied it, with path_changed set.  The enter programs read
 * only the syscall's own arguments: a ctx access past them fails attach.
 */
#define TE_PATH_ENTER(sc, ev, p0, p1)                                          \
	SEC("tracepoint/syscalls/sys_enter_" #sc)                              \
	int te_enter_##sc(struct trace_event_raw_sys_enter *ctx)               \
	{                                                                      \
		return path_stash_enter(ev, p0, p1);                           \
	}

TE_PATH_ENTER(rename, TE_EV_RENAME, ctx->args[0], ctx->args[1])
TE_SYSCALL(rename, 2, TE_EV_RENAME)
{
	int ch = rec_at_path_entry(0, AT_FDCWD, a->args[0], 0, TE_EV_RENAME);

	ch |= rec_at_path_entry(1, AT_FDCWD, a->args[1], 1, TE_EV_RENAME);
	path_stash_done(2, ch);
}

TE_PATH_ENTER(renameat, TE_EV_RENAMEAT, ctx->args[1], ctx->args[3])
TE_SYSCALL(renameat, 4, TE_EV_RENAMEAT)
{
	int ch;

	SINT(0, a->args[0]);
	ch = rec_at_path_entry(1, (int)a->args[0], a->args[1], 0, TE_EV_RENAMEAT);
	SINT(2, a->args[2]);
	ch |= rec_at_path_entry(3, (int)a->args[2], a->args[3], 1, TE_EV_RENAMEAT);
	path_stash_done(4, ch);
}

TE_PATH_ENTER(renameat2, TE_EV_RENAMEAT2, ctx->args[1], ctx->args[3])
TE_SYSCALL(renameat2, 5, TE_EV_RENAMEAT2)
{
	int ch;

	SINT(0, a->args[0]);
	ch = rec_at_path_entry(1, (int)a->args[0], a->args[1], 0, TE_EV_RENAMEAT2);
	SINT(2, a->args[2]);
	ch |= rec_at_path_entry(3, (int)a->args[2], a->args[3], 1, TE_EV_RENAMEAT2);
	U64(4, (unsigned int)a->args[4]);
	path_stash_done(5, ch);
}

TE_PATH_ENTER(unlink, TE_EV_UNLINK, ctx->args[0], 0)
TE_SYSCALL(unlink, 1, TE_EV_UNLINK)
{
	path_stash_done(1, rec_at_path_entry(0, AT_FDCWD, a->args[0], 0, TE_EV_UNLINK));
}

TE_PATH_ENTER(unlinkat, TE_EV_UNLINKAT, ctx->args[1], 0)
TE_SYSCALL(unlinkat, 3, TE_EV_UNLINKAT)
{
	int ch;

	SINT(0, a->args[0]);
	ch = rec_at_path_entry(1, (int)a->args[0], a->args[1], 0, TE_EV_UNLINKAT);
	U64(2, (int)a->args[2]);
	path_stash_done(3, ch);
}

TE_PATH_ENTER(chmod, TE_EV_CHMOD, ctx->args[0], 0)
TE_SYSCALL(chmod, 2, TE_EV_CHMOD)
{
	int ch = rec_at_path_entry(0, AT_FDCWD, a->args[0], 0, TE_EV_CHMOD);

	U64(1, (__u16)a->args[1]);
	path_stash_done(2, ch);
}

TE_SYSCALL(fchmod, 2, TE_EV_FCHMOD)
{
	SINT(0, a->args[0]);
	rec_fd_path(1, (int)a->args[0]);
	U64(2, (__u16)a->args[1]);
}

/* fchmodat has no flags argument: reported as 0 */
TE_PATH_ENTER(fchmodat, TE_EV_FCHMODAT, ctx->args[1], 0)
TE_SYSCALL(fchmodat, 3, TE_EV_FCHMODAT)
{
	int ch;

	SINT(0, a->args[0]);
	ch = rec_at_path_entry(1, (int)a->args[0], a->args[1], 0, TE_EV_FCHMODAT);
	U64(2, (__u16)a->args[2]);
	U64(3, 0);
	path_stash_done(4, ch);
}

/* fchmodat2 feeds TE_EV_FCHMODAT (user space aliases the name) */
TE_PATH_ENTER(fchmodat2, TE_EV_FCHMODAT, ctx->args[1], 0)
TE_SYSCALL(fchmodat2, 4, TE_EV_FCHMODAT)
{
	int ch;

	SINT(0, a->args[0]);
	ch = rec_at_path_entry(1, (int)a->args[0], a->args[1], 0, TE_EV_FCHMODAT);
	U64(2, (__u16)a->args[2]);
	U64(3, (unsigned int)a->args[3]);
	path_stash_done(4, ch);
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
