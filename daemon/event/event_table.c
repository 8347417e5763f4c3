// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The event schema: for every id of enum te_event_id (bpf/traceed.h), its
 * Tracee name, the groups it belongs to, the tracepoint that emits it, and
 * its arguments in wire index order.  The argument list of each entry must
 * equal the comment after the id in bpf/traceed.h (name and wire type, in
 * order); tests/unit/test_decode.c parses that header and checks it.
 *
 * Groups ("sets"), as in Tracee's event sets, so that a rule or --events
 * filter can select a family at once:
 *   syscalls  every event emitted from a syscall tracepoint
 *   proc      process lifecycle and process access: sched_process_*,
 *             execve(at), ptrace, process_vm_readv/writev
 *   signals   kill, tkill, tgkill
 *   fs        files and descriptors: open*, write, rename*, unlink*, chmod*,
 *             dup*
 *   mem       mmap, mprotect, memfd_create
 *   module    init_module, finit_module, delete_module
 *   net       socket, connect, bind, listen, accept(4)
 *   creds     set*id, capset
 *   ns        mount, umount2, unshare, setns
 *   system    bpf
 *
 * Argument types are Tracee's type strings (what its JSON "type" says).
 * Names are those of the wire comments, which follow Tracee where Tracee has
 * the argument.
 */
#include <string.h>

#include "event.h"

/*
 * Every event once, in id order.  The X-macro gives each entry a position
 * (for the table) and an id -> position index, both as compile-time
 * constants: lookups by id are O(1) with no initialisation step and no
 * mutable global state.
 */
#define TE_EVENTS(X)                                                           \
	X(SCHED_PROCESS_FORK) X(SCHED_PROCESS_EXEC) X(SCHED_PROCESS_EXIT)      \
	X(EXECVE) X(EXECVEAT)                                                  \
	X(PTRACE) X(PROCESS_VM_READV) X(PROCESS_VM_WRITEV) X(KILL) X(TKILL)    \
	X(TGKILL)                                                              \
	X(OPEN) X(OPENAT) X(OPENAT2) X(WRITE) X(RENAME) X(RENAMEAT)            \
	X(RENAMEAT2) X(UNLINK) X(UNLINKAT) X(CHMOD) X(FCHMOD) X(FCHMODAT)      \
	X(MMAP) X(MPROTECT) X(MEMFD_CREATE)                                    \
	X(INIT_MODULE) X(FINIT_MODULE) X(DELETE_MODULE)                        \
	X(SOCKET) X(CONNECT) X(BIND) X(LISTEN) X(ACCEPT) X(ACCEPT4)            \
	X(DUP) X(DUP2) X(DUP3)                                                 \
	X(SETUID) X(SETGID) X(SETREUID) X(SETREGID) X(SETRESUID) X(SETRESGID)  \
	X(SETFSUID) X(SETFSGID) X(CAPSET)                                      \
	X(MOUNT) X(UMOUNT2) X(UNSHARE) X(SETNS) X(BPF)

enum te_event_pos {
#define POS(n) POS_##n,
	TE_EVENTS(POS)
#undef POS
	POS_COUNT
};

/* 0: no such event; otherwise position + 1. */
static const unsigned char pos_by_id[TE_EV_MAX] = {
#define IDX(n) [TE_EV_##n] = POS_##n + 1,
	TE_EVENTS(IDX)
#undef IDX
};

_Static_assert(POS_COUNT < 255, "pos_by_id holds positions in a byte");

/* Shorthands for argument descriptors: A(name, tracee type, wire, fmt). */
#define A(n, t, w, f) { .name = n, .type = t, .wire = TE_W_##w, .fmt = TE_FMT_##f }
#define PATH(n) { .name = n, .type = "const char*", .wire = TE_W_STR, .fmt = TE_FMT_STR, .path = true }
#define FD(n) A(n, "int", S64, INT)
#define DIRFD(n) A(n, "int", S64, DIRFD)
#define ARGV(n, t) A(n, t, STRARR, STRARR)
#define SOCKADDR(n) A(n, "struct sockaddr*", BYTES, SOCKADDR)
#define ID(n, t) A(n, t, S64, INT)
/* The user's path buffer was rewritten during the call, or during an
 * earlier call of the same thread (sent only when true; the path arguments
 * are the strings read at syscall entry). */
#define CHANGED A("path_changed", "bool", U64, BOOL)

#define NARGS(...) (sizeof((struct te_arg_desc[]){ __VA_ARGS__ }) / sizeof(struct te_arg_desc))
#define EV(idn, nm, st, hk, ...)                                               \
	[POS_##idn] = { .id = TE_EV_##idn, .name = nm, .sets = st, .hook = hk, \
			.nargs = NARGS(__VA_ARGS__), .args = { __VA_ARGS__ } }
/* An event with no arguments would need an empty initializer; none has. */

/* Most syscall events are emitted at exit, when the return value is known. */
#define SYS_EXIT(nm) "syscalls/sys_exit_" nm

static const struct te_event_desc table[POS_COUNT] = {
	/* process lifecycle: sched tracepoints, not syscalls (no retval) */
	EV(SCHED_PROCESS_FORK, "sched_process_fork", "proc", "sched/sched_process_fork",
	   ID("parent_pid", "int"), ID("parent_tid", "int"), ID("child_pid", "int"),
	   ID("child_tid", "int"), ID("child_ns_pid", "int"),
	   A("start_time", "unsigned long", U64, UINT)),
	EV(SCHED_PROCESS_EXEC, "sched_process_exec", "proc", "sched/sched_process_exec",
	   PATH("cmdpath"), PATH("pathname"), PATH("interpreter_pathname"),
	   A("dev", "dev_t", U64, UINT), A("inode", "unsigned long", U64, UINT),
	   A("is_memfd", "bool", U64, BOOL), ARGV("argv", "const char**"),
	   ARGV("env", "const char**")),
	EV(SCHED_PROCESS_EXIT, "sched_process_exit", "proc", "sched/sched_process_exit",
	   A("exit_code", "long", S64, INT), A("process_group_exit", "bool", U64, BOOL)),

	/* exec: emitted at entry, because at exit the calling image is gone */
	EV(EXECVE, "execve", "syscalls,proc", "syscalls/sys_enter_execve",
	   PATH("pathname"), ARGV("argv", "const char*const*"),
	   ARGV("envp", "const char*const*")),
	EV(EXECVEAT, "execveat", "syscalls,proc", "syscalls/sys_enter_execveat",
	   DIRFD("dirfd"), PATH("pathname"), ARGV("argv", "const char*const*"),
	   ARGV("envp", "const char*const*"), A("flags", "int", U64, AT_FLAGS)),

	/* process access */
	EV(PTRACE, "ptrace", "syscalls,proc", SYS_EXIT("ptrace"),
	   A("request", "long", S64, PTRACE_REQ), ID("pid", "pid_t"),
	   A("addr", "void*", U64, HEX), A("data", "void*", U64, HEX)),
	EV(PROCESS_VM_READV, "process_vm_readv", "syscalls,proc", SYS_EXIT("process_vm_readv"),
	   ID("pid", "pid_t"), A("liovcnt", "unsigned long", U64, UINT),
	   A("riovcnt", "unsigned long", U64, UINT), A("flags", "unsigned long", U64, UINT)),
	EV(PROCESS_VM_WRITEV, "process_vm_writev", "syscalls,proc", SYS_EXIT("process_vm_writev"),
	   ID("pid", "pid_t"), A("liovcnt", "unsigned long", U64, UINT),
	   A("riovcnt", "unsigned long", U64, UINT), A("flags", "unsigned long", U64, UINT)),
	EV(KILL, "kill", "syscalls,signals", SYS_EXIT("kill"),
	   ID("pid", "pid_t"), A("sig", "int", S64, SIGNAL)),
	EV(TKILL, "tkill", "syscalls,signals", SYS_EXIT("tkill"),
	   ID("tid", "int"), A("sig", "int", S64, SIGNAL)),
	EV(TGKILL, "tgkill", "syscalls,signals", SYS_EXIT("tgkill"),
	   ID("tgid", "int"), ID("tid", "int"), A("sig", "int", S64, SIGNAL)),

	/* files */
	EV(OPEN, "open", "syscalls,fs", SYS_EXIT("open"),
	   PATH("pathname"), A("flags", "int", U64, OPEN_FLAGS), A("mode", "mode_t", U64, MODE)),
	EV(OPENAT, "openat", "syscalls,fs", SYS_EXIT("openat"),
	   DIRFD("dirfd"), PATH("pathname"), A("flags", "int", U64, OPEN_FLAGS),
	   A("mode", "mode_t", U64, MODE)),
	/* open_how's fields are u64; RESOLVE_* has no name table, hex shows the bits */
	EV(OPENAT2, "openat2", "syscalls,fs", SYS_EXIT("openat2"),
	   DIRFD("dirfd"), PATH("pathname"), A("flags", "int", U64, OPEN_FLAGS),
	   A("mode", "mode_t", U64, MODE), A("resolve", "unsigned long long", U64, HEX)),
	EV(WRITE, "write", "syscalls,fs", SYS_EXIT("write"),
	   FD("fd"), PATH("pathname"), A("count", "size_t", U64, UINT)),
	EV(RENAME, "rename", "syscalls,fs", SYS_EXIT("rename"),
	   PATH("oldpath"), PATH("newpath"), CHANGED),
	EV(RENAMEAT, "renameat", "syscalls,fs", SYS_EXIT("renameat"),
	   DIRFD("olddirfd"), PATH("oldpath"), DIRFD("newdirfd"), PATH("newpath"), CHANGED),
	EV(RENAMEAT2, "renameat2", "syscalls,fs", SYS_EXIT("renameat2"),
	   DIRFD("olddirfd"), PATH("oldpath"), DIRFD("newdirfd"), PATH("newpath"),
	   A("flags", "unsigned int", U64, RENAME_FLAGS), CHANGED),
	EV(UNLINK, "unlink", "syscalls,fs", SYS_EXIT("unlink"), PATH("pathname"), CHANGED),
	EV(UNLINKAT, "unlinkat", "syscalls,fs", SYS_EXIT("unlinkat"),
	   DIRFD("dirfd"), PATH("pathname"), A("flags", "int", U64, AT_FLAGS), CHANGED),
	EV(CHMOD, "chmod", "syscalls,fs", SYS_EXIT("chmod"),
	   PATH("pathname"), A("mode", "mode_t", U64, MODE), CHANGED),
	EV(FCHMOD, "fchmod", "syscalls,fs", SYS_EXIT("fchmod"),
	   FD("fd"), PATH("pathname"), A("mode", "mode_t", U64, MODE)),
	/* fchmodat2 (6.6+, the one with a flags argument) is reported as
	 * fchmodat too: same meaning, and rules need not know which libc used */
	EV(FCHMODAT, "fchmodat", "syscalls,fs", SYS_EXIT("fchmodat"),
	   DIRFD("dirfd"), PATH("pathname"), A("mode", "mode_t", U64, MODE),
	   A("flags", "int", U64, AT_FLAGS), CHANGED),

	/* memory */
	EV(MMAP, "mmap", "syscalls,mem", SYS_EXIT("mmap"),
	   A("addr", "void*", U64, HEX), A("len", "size_t", U64, UINT),
	   A("prot", "int", U64, PROT), A("flags", "int", U64, MMAP_FLAGS), FD("fd"),
	   A("off", "off_t", U64, UINT), PATH("pathname")),
	EV(MPROTECT, "mprotect", "syscalls,mem", SYS_EXIT("mprotect"),
	   A("addr", "void*", U64, HEX), A("len", "size_t", U64, UINT),
	   A("prot", "int", U64, PROT), A("prev_prot", "int", U64, PROT)),
	EV(MEMFD_CREATE, "memfd_create", "syscalls,mem", SYS_EXIT("memfd_create"),
	   PATH("name"), A("flags", "unsigned int", U64, MEMFD_FLAGS)),

	/* kernel modules; MODULE_INIT_* and delete_module's O_* flags are rare
	 * enough that hex serves */
	EV(INIT_MODULE, "init_module", "syscalls,module", SYS_EXIT("init_module"),
	   A("len", "unsigned long", U64, UINT), PATH("param_values")),
	EV(FINIT_MODULE, "finit_module", "syscalls,module", SYS_EXIT("finit_module"),
	   FD("fd"), PATH("pathname"), PATH("param_values"), A("flags", "int", U64, HEX)),
	EV(DELETE_MODULE, "delete_module", "syscalls,module", SYS_EXIT("delete_module"),
	   PATH("name"), A("flags", "unsigned int", U64, HEX)),

	/* network */
	EV(SOCKET, "socket", "syscalls,net", SYS_EXIT("socket"),
	   A("domain", "int", S64, SOCK_DOMAIN), A("type", "int", U64, SOCK_TYPE),
	   A("protocol", "int", S64, INT)),
	EV(CONNECT, "connect", "syscalls,net", SYS_EXIT("connect"), FD("sockfd"), SOCKADDR("addr")),
	EV(BIND, "bind", "syscalls,net", SYS_EXIT("bind"), FD("sockfd"), SOCKADDR("addr")),
	EV(LISTEN, "listen", "syscalls,net", SYS_EXIT("listen"), FD("sockfd"), A("backlog", "int", S64, INT)),
	EV(ACCEPT, "accept", "syscalls,net", SYS_EXIT("accept"), FD("sockfd"), SOCKADDR("addr")),
	/* accept4's flags are SOCK_NONBLOCK|SOCK_CLOEXEC: the socket-type table names them */
	EV(ACCEPT4, "accept4", "syscalls,net", SYS_EXIT("accept4"),
	   FD("sockfd"), SOCKADDR("addr"), A("flags", "int", U64, SOCK_TYPE)),

	/* descriptors (dup3's only flag is O_CLOEXEC; open-flags naming would
	 * add a misleading O_RDONLY, so hex) */
	EV(DUP, "dup", "syscalls,fs", SYS_EXIT("dup"),
	   FD("oldfd"), A("oldfd_type", "int", U64, FD_TYPE), SOCKADDR("remote")),
	EV(DUP2, "dup2", "syscalls,fs", SYS_EXIT("dup2"),
	   FD("oldfd"), FD("newfd"), A("oldfd_type", "int", U64, FD_TYPE), SOCKADDR("remote")),
	EV(DUP3, "dup3", "syscalls,fs", SYS_EXIT("dup3"),
	   FD("oldfd"), FD("newfd"), A("flags", "int", U64, HEX),
	   A("oldfd_type", "int", U64, FD_TYPE), SOCKADDR("remote")),

	/* credentials: ids are signed on the wire so that -1 ("unchanged")
	 * reads as -1 */
	EV(SETUID, "setuid", "syscalls,creds", SYS_EXIT("setuid"), ID("uid", "uid_t")),
	EV(SETGID, "setgid", "syscalls,creds", SYS_EXIT("setgid"), ID("gid", "gid_t")),
	EV(SETREUID, "setreuid", "syscalls,creds", SYS_EXIT("setreuid"),
	   ID("ruid", "uid_t"), ID("euid", "uid_t")),
	EV(SETREGID, "setregid", "syscalls,creds", SYS_EXIT("setregid"),
	   ID("rgid", "gid_t"), ID("egid", "gid_t")),
	EV(SETRESUID, "setresuid", "syscalls,creds", SYS_EXIT("setresuid"),
	   ID("ruid", "uid_t"), ID("euid", "uid_t"), ID("suid", "uid_t")),
	EV(SETRESGID, "setresgid", "syscalls,creds", SYS_EXIT("setresgid"),
	   ID("rgid", "gid_t"), ID("egid", "gid_t"), ID("sgid", "gid_t")),
	EV(SETFSUID, "setfsuid", "syscalls,creds", SYS_EXIT("setfsuid"), ID("fsuid", "uid_t")),
	EV(SETFSGID, "setfsgid", "syscalls,creds", SYS_EXIT("setfsgid"), ID("fsgid", "gid_t")),
	EV(CAPSET, "capset", "syscalls,creds", SYS_EXIT("capset"),
	   ID("pid", "pid_t"), A("effective", "unsigned long", U64, CAPS),
	   A("permitted", "unsigned long", U64, CAPS),
	   A("inheritable", "unsigned long", U64, CAPS)),

	/* namespaces, mounts */
	EV(MOUNT, "mount", "syscalls,ns", SYS_EXIT("mount"),
	   PATH("source"), PATH("target"), PATH("filesystemtype"),
	   A("mountflags", "unsigned long", U64, MOUNT_FLAGS)),
	/* the kernel defines umount2 as SYSCALL_DEFINE2(umount, ...), so its
	 * tracepoints are sys_{enter,exit}_umount */
	EV(UMOUNT2, "umount2", "syscalls,ns", SYS_EXIT("umount"),
	   PATH("target"), A("flags", "int", U64, UMOUNT_FLAGS)),
	EV(UNSHARE, "unshare", "syscalls,ns", SYS_EXIT("unshare"),
	   A("flags", "int", U64, CLONE_FLAGS)),
	EV(SETNS, "setns", "syscalls,ns", SYS_EXIT("setns"),
	   FD("fd"), A("nstype", "int", U64, CLONE_FLAGS)),

	EV(BPF, "bpf", "syscalls,system", SYS_EXIT("bpf"),
	   A("cmd", "int", S64, BPF_CMD), A("size", "unsigned int", U64, UINT)),
};

const struct te_event_desc *te_event_by_id(uint32_t id)
{
	if (id >= TE_EV_MAX || pos_by_id[id] == 0)
		return NULL;
	return &table[pos_by_id[id] - 1];
}

/* A linear scan: names are looked up when rules and filters are compiled,
 * never per event, and 52 strcmp calls do not need a hash. */
const struct te_event_desc *te_event_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < POS_COUNT; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

const struct te_event_desc *te_event_table(size_t *n)
{
	if (n)
		*n = POS_COUNT;
	return table;
}
