/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Decoded events: what the decoder makes of one ring-buffer record, and the
 * schema table that says, for each event id, its name and arguments.
 *
 * A decoded event points into the record it came from (strings are not
 * copied), so it is valid only while that record is: the ring-buffer
 * callback, or the replay line buffer.  Nothing here allocates.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "traceed.h"

/* How an argument's value is shown (names as in Tracee's output). */
enum te_fmt {
	TE_FMT_INT,          /* signed decimal */
	TE_FMT_UINT,         /* unsigned decimal */
	TE_FMT_HEX,          /* 0x... (addresses) */
	TE_FMT_STR,          /* text */
	TE_FMT_STRARR,       /* array of text */
	TE_FMT_SOCKADDR,     /* struct sockaddr: family, address, port / path */
	TE_FMT_DIRFD,        /* AT_FDCWD or a number */
	TE_FMT_OPEN_FLAGS,   /* O_WRONLY|O_CREAT|... */
	TE_FMT_MODE,         /* octal permission bits, 0755 */
	TE_FMT_PROT,         /* PROT_READ|PROT_WRITE|PROT_EXEC or PROT_NONE */
	TE_FMT_MMAP_FLAGS,   /* MAP_PRIVATE|MAP_ANONYMOUS|... */
	TE_FMT_PTRACE_REQ,   /* PTRACE_TRACEME ... */
	TE_FMT_SIGNAL,       /* SIGKILL ... */
	TE_FMT_CLONE_FLAGS,  /* CLONE_NEWNS|... (unshare, setns) */
	TE_FMT_BPF_CMD,      /* BPF_PROG_LOAD ... */
	TE_FMT_SOCK_DOMAIN,  /* AF_INET ... */
	TE_FMT_SOCK_TYPE,    /* SOCK_STREAM|SOCK_CLOEXEC ... */
	TE_FMT_FD_TYPE,      /* enum te_fd_type: file, pipe, socket, tty, other */
	TE_FMT_MEMFD_FLAGS,  /* MFD_CLOEXEC|MFD_ALLOW_SEALING ... */
	TE_FMT_MOUNT_FLAGS,  /* MS_RDONLY|MS_BIND ... */
	TE_FMT_UMOUNT_FLAGS, /* MNT_FORCE|MNT_DETACH ... */
	TE_FMT_AT_FLAGS,     /* AT_REMOVEDIR|AT_SYMLINK_NOFOLLOW ... */
	TE_FMT_RENAME_FLAGS, /* RENAME_NOREPLACE|RENAME_EXCHANGE|RENAME_WHITEOUT */
	TE_FMT_CAPS,         /* CAP_SYS_ADMIN|... from a 64-bit capability set */
	TE_FMT_BOOL,         /* true/false */
};

struct te_arg_desc {
	const char *name;  /* Tracee's argument name: "pathname", "request" */
	const char *type;  /* Tracee's type string: "const char*", "long" */
	uint8_t wire;      /* enum te_wire_type the kernel sends */
	uint8_t fmt;       /* enum te_fmt */
	bool path;         /* a file path (PATH() in event_table.c): rules see it
			    * normalised (base/path.h) */
};

struct te_event_desc {
	uint32_t id;             /* enum te_event_id */
	const char *name;        /* "openat", "sched_process_exec" */
	const char *sets;        /* comma-separated groups: "syscalls,fs" */
	const char *hook;        /* main hook, for --probe: "syscalls/sys_exit_openat" */
	uint8_t nargs;
	struct te_arg_desc args[TE_MAX_ARGS];
};

/* The schema table (daemon/event_table.c). */
const struct te_event_desc *te_event_by_id(uint32_t id);
const struct te_event_desc *te_event_by_name(const char *name);
/* All events, in id order; *n gets the count. */
const struct te_event_desc *te_event_table(size_t *n);

struct te_arg_value {
	bool present;            /* false: the kernel did not send it */
	union {
		int64_t s;       /* TE_W_S64 */
		uint64_t u;      /* TE_W_U64 */
		struct {         /* TE_W_STR, TE_W_STRARR, TE_W_BYTES */
			const char *p;
			size_t len;
		} buf;
	};
};

struct te_event {
	struct te_record_hdr hdr;        /* copied (aligned) from the record */
	uint64_t wall_ns;                /* hdr.ts turned into CLOCK_REALTIME ns */
	const struct te_event_desc *desc;
	struct te_arg_value args[TE_MAX_ARGS]; /* indexed like desc->args */
	bool truncated;                  /* hdr.flags & TE_RF_TRUNCATED */
};

/*
 * Decode one record of @size bytes.  Returns 0, or -EBADMSG with a reason in
 * @err (never crashes on garbage: sizes, indexes and types are all checked
 * against the record and the schema).  @boot_to_wall_ns is added to hdr.ts.
 */
int te_decode(const void *data, size_t size, int64_t boot_to_wall_ns,
	      struct te_event *ev, char *err, size_t errlen);

/* Argument lookup by name; NULL when the event has no such argument. */
/*
 * Is @ev aimed at process @pid: a signal (kill to it or to every process,
 * tkill/tgkill to its main thread), ptrace or process_vm_readv/writev on
 * it?  traceed asks it about itself: such an event is a tamper attempt.
 */
bool te_event_targets_pid(const struct te_event *ev, uint32_t pid);
const struct te_arg_value *te_event_arg(const struct te_event *ev, const char *name,
					const struct te_arg_desc **desc);
