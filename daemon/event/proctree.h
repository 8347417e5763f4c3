/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process tree: what traceed knows about each live process, seeded from
 * /proc at start and kept current from fork, exec and exit events.  Used to
 * enrich events (executable, command line, container, ancestors) after the
 * process may already be gone.
 *
 * Memory is bounded: the table holds at most `capacity` processes; exited
 * processes are kept for a while (a late event or a child may still refer to
 * them) and are the first to be reclaimed.  No allocation per event except
 * when a process execs (exe and cmdline strings are replaced).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TE_CONTAINER_ID_LEN 64

struct te_proc {
	uint32_t pid;            /* host tgid */
	uint32_t ppid;           /* host tgid of the parent */
	uint32_t uid;
	uint64_t start_ns;       /* start time, CLOCK_BOOTTIME ns (0: unknown) */
	char comm[16];
	char *exe;               /* absolute path of the executable, or NULL */
	/*
	 * The executable's identity as the kernel gave it: device (the
	 * kernel's encoding, major << 20 | minor) and inode of the file exec
	 * loaded (the exec event), or of /proc/PID/exe when seeded; 0 when
	 * unknown.  te_proc_exe_verified() holds @exe against it.
	 */
	uint64_t exe_dev, exe_ino;
	uint8_t exe_check;       /* te_proc_exe_verified's answer, cached */
	char *cmdline;           /* argv joined by single spaces, or NULL */
	char container_id[TE_CONTAINER_ID_LEN + 1]; /* "" on the host */
	bool exited;
	/* private to proctree.c */
	uint64_t exit_seq;
};

struct te_proctree;

struct te_proctree *te_proctree_new(size_t capacity);
void te_proctree_free(struct te_proctree *pt);

/*
 * Read every process under @proc_root ("/proc", or a fake tree in tests):
 * stat (ppid, comm, start time), status (uid), exe link, cmdline, cgroup.
 * Returns the number of processes added or a negative errno.
 */
int te_proctree_seed(struct te_proctree *pt, const char *proc_root);

/* Events.  Strings need not be NUL-terminated: lengths are given. */
void te_proctree_fork(struct te_proctree *pt, uint32_t parent_pid, uint32_t child_pid,
		      uint64_t start_ns, const char *comm, uint32_t uid);
/* argv is NUL-separated strings (as in /proc/PID/cmdline), argv_len bytes. */
void te_proctree_exec(struct te_proctree *pt, uint32_t pid, uint32_t ppid,
		      const char *exe, size_t exe_len, const char *argv, size_t argv_len,
		      const char *comm, uint32_t uid);
void te_proctree_exit(struct te_proctree *pt, uint32_t pid);
/* After te_proctree_exec: the identity of the file exec loaded.  (A path
 * the kernel's walk cut short starts with "<truncated>", not '/', and is
 * never verified.) */
void te_proctree_exec_identity(struct te_proctree *pt, uint32_t pid, uint64_t dev,
			       uint64_t ino);

/*
 * Is @p's executable the file at its path as the host sees it?  True when
 * the path is complete and absolute, and stat(2) of it in traceed's mount
 * namespace finds the very device and inode the kernel executed.  A copy,
 * a look-alike under another mount namespace (unshare -m, a bind or tmpfs
 * mount over /usr/bin), a memfd, a deleted or replaced file, an unknown
 * identity: all false.  This is what an exception may trust about who a
 * process is; its comm, argv and path string are the process's own words.
 * The answer is cached until the next exec.
 */
bool te_proc_exe_verified(struct te_proc *p);
/* Replay: the answer a live run recorded ("executable": {"verified": ...}),
 * which no stat(2) on the replaying machine could give. */
void te_proc_set_exe_verified(struct te_proc *p, bool verified);

/*
 * Called for every event: creates an entry for a pid never seen (from what
 * the event header says), and updates ppid when the process was reparented
 * and comm when it changed (prctl PR_SET_NAME).  Returns the entry.
 */
struct te_proc *te_proctree_touch(struct te_proctree *pt, uint32_t pid, uint32_t ppid,
				  const char *comm, uint32_t uid);

struct te_proc *te_proctree_get(struct te_proctree *pt, uint32_t pid);
/* The parent entry, or NULL when unknown. */
struct te_proc *te_proctree_parent(struct te_proctree *pt, const struct te_proc *p);
/*
 * Ancestors, nearest first (parent, grandparent, ...), at most @max; stops at
 * pid 1 or an unknown parent; never loops.  Returns how many were stored.
 */
size_t te_proctree_ancestors(struct te_proctree *pt, const struct te_proc *p,
			     struct te_proc **out, size_t max);
size_t te_proctree_count(const struct te_proctree *pt);

/*
 * Container id from one cgroup path ("/system.slice/docker-<64hex>.scope",
 * "/kubepods/.../<64hex>", "/docker/<64hex>", libpod-, crio-, containerd
 * cri-containerd-): writes the 64-hex id to @out, or "" when the path is not
 * a container's.  Returns true when an id was found.
 */
bool te_container_id_from_cgroup(const char *cgroup_path, char out[TE_CONTAINER_ID_LEN + 1]);

/*
 * Container id of a cgroup v2 id, cached: on a miss reads /proc/@pid/cgroup
 * under the tree's proc root.  Sets the process's container_id too.
 */
const char *te_proctree_container(struct te_proctree *pt, struct te_proc *p, uint64_t cgroup_id);
