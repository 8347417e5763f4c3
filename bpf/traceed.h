/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The kernel <-> user-space wire format of traceed.
 *
 * This header is included by the BPF programs (bpf/traceed.bpf.c, after
 * vmlinux.h) and by user space (daemon/), so it uses only __u8.. __s64 and
 * no libc.  Everything the kernel sends is one record in the ring buffer:
 *
 *   struct te_record_hdr            fixed, always present
 *   struct te_arg_hdr + len bytes   repeated hdr.nargs times, packed (no
 *                                   padding: user space reads with memcpy)
 *
 * Arguments are TLV encoded.  arg.idx is the position of the argument in the
 * event's schema (the table in daemon/event_table.c, which lists, for every
 * event below, its arguments in this order); an argument the kernel could not
 * read is simply absent.  User space validates every length against the
 * record size; nothing the kernel sends is trusted blindly.
 */
#ifndef TRACEED_WIRE_H
#define TRACEED_WIRE_H

#define TE_COMM_LEN 16
#define TE_MAX_RECORD 8192   /* largest record the kernel sends (power of 2) */
#define TE_MAX_STR 4096      /* longest string/path argument, incl. NUL */
/*
 * A path the kernel-side walk could not resolve in full (deeper than the
 * walk goes, longer than TE_MAX_STR, a name cut, a read that failed) starts
 * with this instead of '/', and its record is flagged TE_RF_TRUNCATED: what
 * follows is the end of the real path, which must never pass for a whole
 * one ("/usr/lib/systemd/systemd" as the tail of a deeper path).
 */
#define TE_PATH_CUT "<truncated>"
#define TE_PATH_CUT_LEN 11
#define TE_MAX_ARGV 32       /* argv entries copied for exec events */
#define TE_MAX_ARGV_BYTES 2048 /* total argv bytes copied for exec events */
#define TE_MAX_SOCKADDR 128  /* bytes of a sockaddr copied */
#define TE_MAX_ARGS 8        /* most arguments an event has */

/* Wire types of an argument (te_arg_hdr.type). */
enum te_wire_type {
	TE_W_S64 = 1,    /* 8 bytes, signed, host byte order */
	TE_W_U64 = 2,    /* 8 bytes, unsigned, host byte order */
	TE_W_STR = 3,    /* len bytes of text, no NUL included */
	TE_W_STRARR = 4, /* len bytes: NUL-terminated strings one after another */
	TE_W_BYTES = 5,  /* len raw bytes (a struct sockaddr as the kernel saw it) */
};

/*
 * Event ids.  Never renumber: ids appear in recorded JSON (eventId).  The
 * comment after each id lists its arguments, in idx order, as name:wiretype.
 * Syscall events carry the syscall's return value in hdr.retval unless the
 * comment says "enter" (emitted at syscall entry, retval 0).
 */
enum te_event_id {
	TE_EV_UNSPEC = 0,
	/* process lifecycle (sched tracepoints) */
	TE_EV_SCHED_PROCESS_FORK = 1,  /* parent_pid:S64 parent_tid:S64 child_pid:S64 child_tid:S64 child_ns_pid:S64 start_time:U64 */
	TE_EV_SCHED_PROCESS_EXEC = 2,  /* cmdpath:STR pathname:STR interpreter_pathname:STR dev:U64 inode:U64 is_memfd:U64 argv:STRARR env:STRARR */
	TE_EV_SCHED_PROCESS_EXIT = 3,  /* exit_code:S64 process_group_exit:U64 */
	/* exec syscalls: "enter" events (the old image is gone at exit) */
	TE_EV_EXECVE = 10,             /* pathname:STR argv:STRARR envp:STRARR (only LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT) */
	TE_EV_EXECVEAT = 11,           /* dirfd:S64 pathname:STR argv:STRARR envp:STRARR flags:U64 */
	/* process access */
	TE_EV_PTRACE = 20,             /* request:S64 pid:S64 addr:U64 data:U64 */
	TE_EV_PROCESS_VM_READV = 21,   /* pid:S64 liovcnt:U64 riovcnt:U64 flags:U64 */
	TE_EV_PROCESS_VM_WRITEV = 22,  /* pid:S64 liovcnt:U64 riovcnt:U64 flags:U64 */
	TE_EV_KILL = 23,               /* pid:S64 sig:S64 */
	TE_EV_TKILL = 24,              /* tid:S64 sig:S64 */
	TE_EV_TGKILL = 25,             /* tgid:S64 tid:S64 sig:S64 */
	/* files; every path is absolute (resolved in the kernel against dirfd or cwd).
	 * path_changed (1, or absent): the user's path buffer was rewritten
	 * during the call (or during an earlier call of the same thread); the
	 * path reported is the string read at entry */
	TE_EV_OPEN = 30,               /* pathname:STR flags:U64 mode:U64 */
	TE_EV_OPENAT = 31,             /* dirfd:S64 pathname:STR flags:U64 mode:U64 */
	TE_EV_OPENAT2 = 32,            /* dirfd:S64 pathname:STR flags:U64 mode:U64 resolve:U64 */
	TE_EV_WRITE = 33,              /* fd:S64 pathname:STR count:U64 (path of the fd's file) */
	TE_EV_RENAME = 34,             /* oldpath:STR newpath:STR path_changed:U64 */
	TE_EV_RENAMEAT = 35,           /* olddirfd:S64 oldpath:STR newdirfd:S64 newpath:STR path_changed:U64 */
	TE_EV_RENAMEAT2 = 36,          /* olddirfd:S64 oldpath:STR newdirfd:S64 newpath:STR flags:U64 path_changed:U64 */
	TE_EV_UNLINK = 37,             /* pathname:STR path_changed:U64 */
	TE_EV_UNLINKAT = 38,           /* dirfd:S64 pathname:STR flags:U64 path_changed:U64 */
	TE_EV_CHMOD = 39,              /* pathname:STR mode:U64 path_changed:U64 */
	TE_EV_FCHMOD = 40,             /* fd:S64 pathname:STR mode:U64 */
	TE_EV_FCHMODAT = 41,           /* dirfd:S64 pathname:STR mode:U64 flags:U64 path_changed:U64 (also fchmodat2) */
	/* memory */
	TE_EV_MMAP = 50,               /* addr:U64 len:U64 prot:U64 flags:U64 fd:S64 off:U64 pathname:STR */
	TE_EV_MPROTECT = 51,           /* addr:U64 len:U64 prot:U64 prev_prot:U64 */
	TE_EV_MEMFD_CREATE = 52,       /* name:STR flags:U64 */
	/* kernel modules */
	TE_EV_INIT_MODULE = 60,        /* len:U64 param_values:STR */
	TE_EV_FINIT_MODULE = 61,       /* fd:S64 pathname:STR param_values:STR flags:U64 */
	TE_EV_DELETE_MODULE = 62,      /* name:STR flags:U64 */
	/* network */
	TE_EV_SOCKET = 70,             /* domain:S64 type:U64 protocol:S64 */
	TE_EV_CONNECT = 71,            /* sockfd:S64 addr:BYTES */
	TE_EV_BIND = 72,               /* sockfd:S64 addr:BYTES */
	TE_EV_LISTEN = 73,             /* sockfd:S64 backlog:S64 */
	TE_EV_ACCEPT = 74,             /* sockfd:S64 addr:BYTES (peer, at exit) */
	TE_EV_ACCEPT4 = 75,            /* sockfd:S64 addr:BYTES flags:U64 */
	/* descriptors: oldfd_type is TE_FD_* of oldfd's file; remote is the peer
	 * address of oldfd when it is an inet socket */
	TE_EV_DUP = 80,                /* oldfd:S64 oldfd_type:U64 remote:BYTES */
	TE_EV_DUP2 = 81,               /* oldfd:S64 newfd:S64 oldfd_type:U64 remote:BYTES */
	TE_EV_DUP3 = 82,               /* oldfd:S64 newfd:S64 flags:U64 oldfd_type:U64 remote:BYTES */
	/* credentials */
	TE_EV_SETUID = 90,             /* uid:S64 */
	TE_EV_SETGID = 91,             /* gid:S64 */
	TE_EV_SETREUID = 92,           /* ruid:S64 euid:S64 */
	TE_EV_SETREGID = 93,           /* rgid:S64 egid:S64 */
	TE_EV_SETRESUID = 94,          /* ruid:S64 euid:S64 suid:S64 */
	TE_EV_SETRESGID = 95,          /* rgid:S64 egid:S64 sgid:S64 */
	TE_EV_SETFSUID = 96,           /* fsuid:S64 */
	TE_EV_SETFSGID = 97,           /* fsgid:S64 */
	TE_EV_CAPSET = 98,             /* pid:S64 effective:U64 permitted:U64 inheritable:U64 */
	/* namespaces, mounts, bpf */
	TE_EV_MOUNT = 100,             /* source:STR target:STR filesystemtype:STR mountflags:U64 */
	TE_EV_UMOUNT2 = 101,           /* target:STR flags:U64 */
	TE_EV_UNSHARE = 102,           /* flags:U64 */
	TE_EV_SETNS = 103,             /* fd:S64 nstype:U64 */
	TE_EV_BPF = 104,               /* cmd:S64 size:U64 */
	TE_EV_MAX = 128,               /* size of per-event maps; keep ids below */
};

/* te_record_hdr.flags */
#define TE_RF_TRUNCATED 0x1 /* some argument did not fit and was cut */

/* oldfd_type values of the dup events */
enum te_fd_type {
	TE_FD_UNKNOWN = 0,
	TE_FD_FILE = 1,
	TE_FD_PIPE = 2,
	TE_FD_SOCKET = 3,
	TE_FD_TTY = 4, /* a character device */
	TE_FD_OTHER = 5,
};

struct te_record_hdr {
	__u64 ts;         /* bpf_ktime_get_boot_ns() */
	__u32 event_id;   /* enum te_event_id */
	__u16 size;       /* whole record, header included */
	__u8 nargs;       /* arguments that follow */
	__u8 flags;       /* TE_RF_* */
	__u32 pid;        /* host tgid */
	__u32 tid;        /* host tid */
	__u32 ppid;       /* host tgid of real_parent */
	__u32 ns_pid;     /* tgid in the task's own pid namespace */
	__u32 ns_tid;
	__u32 ns_ppid;
	__u32 uid;        /* real uid (init user namespace) */
	__u32 gid;
	__u32 mntns;      /* mount namespace inode number */
	__u32 pidns;      /* pid namespace inode number */
	__u64 cgroup_id;  /* cgroup v2 id of the task */
	__s64 retval;     /* syscall return value, 0 for non-syscall events */
	char comm[TE_COMM_LEN];
};

struct te_arg_hdr {
	__u8 idx;   /* position in the event's schema */
	__u8 type;  /* enum te_wire_type */
	__u16 len;  /* bytes of data that follow */
};

/*
 * Value of the "wanted" array map (key: event id), set by user space: which
 * events the programs send.  TE_WANT_SEND is the selection itself; with
 * TE_WANT_FAILED clear, a syscall event whose call failed (retval < 0) is
 * dropped in the kernel before any record is built, because no enabled
 * rule can match it (a flood of failing calls, which anyone can make,
 * then costs no ring space).  Events without a return value (the sched_*
 * lifecycle events, and execve/execveat, which are sent at entry) ignore
 * TE_WANT_FAILED.
 */
#define TE_WANT_SEND 0x1
#define TE_WANT_FAILED 0x2

/* Index of the counters in the per-CPU "stats" array map. */
enum te_stat {
	TE_STAT_SENT = 0,     /* records written to a ring buffer */
	TE_STAT_DROPPED = 1,  /* records lost: ring buffer full (per event: "dropped" map) */
	TE_STAT_ARGS_LOST = 2,/* enter/exit pairs whose enter args were missing */
	TE_STAT_FAILED_SKIPPED = 3, /* failed calls not sent: TE_WANT_FAILED clear */
	TE_STAT_MAX = 8,
};

#endif /* TRACEED_WIRE_H */
