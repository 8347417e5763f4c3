/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process tree (see proctree.h).
 *
 * Layout.  Entries live in one array of `capacity` nodes allocated up front,
 * so a struct te_proc pointer handed out stays valid until that very entry is
 * reclaimed (never because another entry was added or removed: nodes do not
 * move).  A pid → node index comes from a chained hash table whose chains are
 * threaded through the nodes by index, so inserting needs no allocation.
 *
 * Every node is on exactly one of three lists, also threaded by index:
 *   free    – unused nodes;
 *   live    – running processes, least recently touched first (an LRU: fork,
 *             exec and touch move the process to the tail);
 *   exited  – processes that exited, in exit order (exit_seq), oldest first.
 *
 * Reclaim policy, applied only when a new pid must be inserted and no node is
 * free: take the head of `exited` (the process that exited longest ago); if
 * nothing has exited, take the head of `live` (the process not heard of for
 * the longest time).  Exited processes are kept until then because late
 * events of the process, and its children's ancestry, still refer to them;
 * evicting a live process only costs enrichment (it is re-created from the
 * next event's header by te_proctree_touch).  Both choices are O(1).
 *
 * Allocation: exe and cmdline are heap strings, replaced (realloc) on exec
 * and copied (strdup) at fork; fork is not the hot path, and owning copies
 * keeps the lifetime rules trivial.  Nothing else allocates after
 * te_proctree_new, except te_proctree_seed remembering its proc root.
 */
#include "proctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define NIL UINT32_MAX
/* Limits the index type (uint32_t, NIL reserved) and keeps the up-front
 * allocation sane even if the caller's configuration is not. */
#define MAX_CAPACITY (1u << 24)
/* Container-id cache: direct-mapped, a collision simply replaces the older
 * entry.  Containers on one host are few, so 256 slots hit almost always. */
#define CG_CACHE_SLOTS 256
/* How much of /proc/PID/{cmdline,cgroup,status} seeding reads.  Longer
 * command lines are truncated, as the exec event's argv capture is. */
#define SEED_BUF 8192

enum { L_FREE, L_LIVE, L_EXITED };

struct node {
	struct te_proc p;   /* first, so that a te_proc pointer is a node pointer */
	uint32_t hnext;     /* next node in the same hash chain */
	uint32_t prev, next; /* list links (free list uses next only) */
	uint32_t visit;     /* ancestor walk mark, see te_proctree_ancestors */
	uint8_t list;
};

struct dlist {
	uint32_t head, tail;
};

struct cg_slot {
	uint64_t cgroup_id; /* 0: empty slot (no cgroup has id 0) */
	char id[TE_CONTAINER_ID_LEN + 1];
};

struct te_proctree {
	struct node *nodes;
	uint32_t capacity;
	uint32_t count;
	uint32_t *buckets;
	unsigned bucket_bits;
	uint32_t free_head;
	struct dlist live, exited;
	uint64_t exit_seq;
	uint32_t visit_gen;
	char *proc_root;    /* NULL: "/proc" */
	struct cg_slot cg[CG_CACHE_SLOTS];
};

/* ---- hashing and lists ------------------------------------------------- */

static uint32_t pid_bucket(const struct te_proctree *pt, uint32_t pid)
{
	/* Fibonacci hashing: pids are dense and sequential, the multiply spreads
	 * them over the high bits, which we keep. */
	return (uint32_t)(pid * 2654435769u) >> (32 - pt->bucket_bits);
}

static struct dlist *list_of(struct te_proctree *pt, uint8_t which)
{
	return which == L_EXITED ? &pt->exited : &pt->live;
}

static void list_unlink(struct te_proctree *pt, uint32_t i)
{
	struct node *n = &pt->nodes[i];
	struct dlist *l = list_of(pt, n->list);

	if (n->prev != NIL)
		pt->nodes[n->prev].next = n->next;
	else
		l->head = n->next;
	if (n->next != NIL)
		pt->nodes[n->next].prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = NIL;
}

static void list_append(struct te_proctree *pt, uint32_t i, uint8_t which)
{
	struct node *n = &pt->nodes[i];
	struct dlist *l = list_of(pt, which);

	n->list = which;
	n->next = NIL;
	n->prev = l->tail;
	if (l->tail != NIL)
		pt->nodes[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
}

static uint32_t find(const struct te_proctree *pt, uint32_t pid)
{
	for (uint32_t i = pt->buckets[pid_bucket(pt, pid)]; i != NIL; i = pt->nodes[i].hnext)
		if (pt->nodes[i].p.pid == pid)
			return i;
	return NIL;
}

static void proc_clear(struct te_proc *p)
{
	free(p->exe);
	free(p->cmdline);
	memset(p, 0, sizeof(*p));
}

static void release(struct te_proctree *pt, uint32_t i)
{
	struct node *n = &pt->nodes[i];
	uint32_t *link = &pt->buckets[pid_bucket(pt, n->p.pid)];

	while (*link != i)
		link = &pt->nodes[*link].hnext;
	*link = n->hnext;
	list_unlink(pt, i);
	proc_clear(&n->p);
	n->list = L_FREE;
	n->hnext = NIL;
	n->next = pt->free_head;
	pt->free_head = i;
	pt->count--;
}

/* A fresh, zeroed live entry for @pid (which must not be in the table). */
static uint32_t insert(struct te_proctree *pt, uint32_t pid)
{
	uint32_t i;
	struct node *n;

	if (pt->free_head == NIL)
		release(pt, pt->exited.head != NIL ? pt->exited.head : pt->live.head);
	i = pt->free_head;
	n = &pt->nodes[i];
	pt->free_head = n->next;

	memset(&n->p, 0, sizeof(n->p));
	n->p.pid = pid;
	n->visit = 0;
	uint32_t b = pid_bucket(pt, pid);
	n->hnext = pt->buckets[b];
	pt->buckets[b] = i;
	list_append(pt, i, L_LIVE);
	pt->count++;
	return i;
}

/* Something happened in a live process: it is now the most recent. */
static void refresh(struct te_proctree *pt, uint32_t i)
{
	if (pt->nodes[i].list != L_LIVE || pt->live.tail == i)
		return;
	list_unlink(pt, i);
	list_append(pt, i, L_LIVE);
}

/* An exited entry is running again (pid reuse): back on the live list. */
static void revive(struct te_proctree *pt, uint32_t i)
{
	struct node *n = &pt->nodes[i];

	if (n->list == L_EXITED) {
		list_unlink(pt, i);
		list_append(pt, i, L_LIVE);
	}
	n->p.exited = false;
	n->p.exit_seq = 0;
	refresh(pt, i);
}

static uint32_t get_or_insert(struct te_proctree *pt, uint32_t pid)
{
	uint32_t i = find(pt, pid);

	return i != NIL ? i : insert(pt, pid);
}

/* ---- string helpers ---------------------------------------------------- */

/* comm comes from the kernel's task->comm (16 bytes, maybe unterminated). */
static void set_comm(char dst[16], const char *src)
{
	size_t n = strnlen(src, 15);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Replace *dst with the first @len bytes of @src.  realloc lets an exec that
 * fits in the old buffer reuse it.  On failure the old value is dropped, not
 * kept: a stale exe would be wrong, not merely missing. */
static void set_str(char **dst, const char *src, size_t len)
{
	char *s;

	if (!src || len == 0) {
		free(*dst);
		*dst = NULL;
		return;
	}
	s = realloc(*dst, len + 1);
	if (!s) {
		free(*dst);
		*dst = NULL;
		return;
	}
	memcpy(s, src, len);
	s[len] = '\0';
	*dst = s;
}

/* argv as in /proc/PID/cmdline (NUL-separated) → one string with single
 * spaces.  Trailing NULs are the terminator of the last argument (and the
 * padding some processes leave after rewriting their argv), not arguments. */
static void set_cmdline(char **dst, const char *argv, size_t len)
{
	while (len > 0 && argv[len - 1] == '\0')
		len--;
	set_str(dst, argv, len);
	if (*dst)
		for (size_t k = 0; k < len; k++)
			if ((*dst)[k] == '\0')
				(*dst)[k] = ' ';
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- life cycle -------------------------------------------------------- */

struct te_proctree *te_proctree_new(size_t capacity)
{
	struct te_proctree *pt;
	unsigned bits = 4;

	if (capacity == 0 || capacity > MAX_CAPACITY) {
		errno = EINVAL;
		return NULL;
	}
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return NULL;
	/* One bucket per entry or more: chains stay about one node long. */
	while (((size_t)1 << bits) < capacity)
		bits++;
	pt->bucket_bits = bits;
	pt->capacity = (uint32_t)capacity;
	pt->nodes = calloc(capacity, sizeof(*pt->nodes));
	pt->buckets = malloc(((size_t)1 << bits) * sizeof(*pt->buckets));
	if (!pt->nodes || !pt->buckets) {
		free(pt->nodes);
		free(pt->buckets);
		free(pt);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t b = 0; b < ((size_t)1 << bits); b++)
		pt->buckets[b] = NIL;
	for (uint32_t i = 0; i < pt->capacity; i++) {
		pt->nodes[i].hnext = NIL;
		pt->nodes[i].prev = NIL;
		pt->nodes[i].next = i + 1 < pt->capacity ? i + 1 : NIL;
		pt->nodes[i].list = L_FREE;
	}
	pt->free_head = 0;
	pt->live.head = pt->live.tail = NIL;
	pt->exited.head = pt->exited.tail = NIL;
	return pt;
}

void te_proctree_free(struct te_proctree *pt)
{
	if (!pt)
		return;
	for (uint32_t i = 0; i < pt->capacity; i++)
		if (pt->nodes[i].list != L_FREE)
			proc_clear(&pt->nodes[i].p);
	free(pt->nodes);
	free(pt->buckets);
	free(pt->proc_root);
	free(pt);
}

size_t te_proctree_count(const struct te_proctree *pt)
{
	return pt ? pt->count : 0;
}

struct te_proc *te_proctree_get(struct te_proctree *pt, uint32_t pid)
{
	uint32_t i;

	if (!pt)
		return NULL;
	i = find(pt, pid);
	/* A lookup is not activity of the process: no LRU refresh here. */
	return i != NIL ? &pt->nodes[i].p : NULL;
}

/* ---- events ------------------------------------------------------------ */

void te_proctree_fork(struct te_proctree *pt, uint32_t parent_pid, uint32_t child_pid,
		      uint64_t start_ns, const char *comm, uint32_t uid)
{
	char *exe = NULL, *cmdline = NULL;
	char cid[TE_CONTAINER_ID_LEN + 1] = "";
	char pcomm[16] = "";
	uint64_t exe_dev = 0, exe_ino = 0;
	uint8_t exe_check = 0;
	uint32_t pi, ci;
	struct te_proc *c;

	if (!pt)
		return;
	/* Copy what the child inherits before making room for it: making room
	 * may reclaim the parent itself when the table is tiny. */
	pi = find(pt, parent_pid);
	if (pi != NIL) {
		const struct te_proc *par = &pt->nodes[pi].p;

		exe = dup_or_null(par->exe);
		cmdline = dup_or_null(par->cmdline);
		memcpy(cid, par->container_id, sizeof(cid));
		memcpy(pcomm, par->comm, sizeof(pcomm));
		exe_dev = par->exe_dev;
		exe_ino = par->exe_ino;
		exe_check = par->exe_check;
		refresh(pt, pi);
	}

	ci = find(pt, child_pid);
	if (ci != NIL) {
		/* pid reuse: the old entry describes another process.  Keep the
		 * node (pointers to it stay valid) but forget everything. */
		proc_clear(&pt->nodes[ci].p);
		pt->nodes[ci].p.pid = child_pid;
		revive(pt, ci);
	} else {
		ci = insert(pt, child_pid);
	}
	c = &pt->nodes[ci].p;
	c->ppid = parent_pid;
	c->uid = uid;
	c->start_ns = start_ns;
	if (comm)
		set_comm(c->comm, comm);
	else
		memcpy(c->comm, pcomm, sizeof(c->comm));
	c->exe = exe;
	c->exe_dev = exe_dev;
	c->exe_ino = exe_ino;
	c->exe_check = exe_check;
	c->cmdline = cmdline;
	memcpy(c->container_id, cid, sizeof(cid));
}

void te_proctree_exec(struct te_proctree *pt, uint32_t pid, uint32_t ppid,
		      const char *exe, size_t exe_len, const char *argv, size_t argv_len,
		      const char *comm, uint32_t uid)
{
	uint32_t i;
	struct te_proc *p;

	if (!pt)
		return;
	/* An unknown pid (fork missed, or before seeding) is created: exec
	 * tells us nearly everything about a process anyway. */
	i = get_or_insert(pt, pid);
	revive(pt, i);
	p = &pt->nodes[i].p;

	/* The length is an upper bound; the path may carry its NUL inside. */
	set_str(&p->exe, exe, exe ? strnlen(exe, exe_len) : 0);
	/* a new image: its identity comes with te_proctree_exec_identity */
	p->exe_dev = p->exe_ino = 0;
	p->exe_check = 0;
	if (argv)
		set_cmdline(&p->cmdline, argv, argv_len);
	else
		set_str(&p->cmdline, NULL, 0);
	if (comm) {
		set_comm(p->comm, comm);
	} else if (p->exe) {
		/* What the kernel does on exec: comm = basename of the file. */
		const char *slash = strrchr(p->exe, '/');

		set_comm(p->comm, slash ? slash + 1 : p->exe);
	}
	p->uid = uid;
	if (ppid)
		p->ppid = ppid;
}

void te_proctree_exit(struct te_proctree *pt, uint32_t pid)
{
	uint32_t i;
	struct node *n;

	if (!pt)
		return;
	i = find(pt, pid);
	/* Unknown: nothing worth remembering about a process we never saw. */
	if (i == NIL)
		return;
	n = &pt->nodes[i];
	if (n->list == L_EXITED)
		return;  /* duplicate exit: keep the original order */
	list_unlink(pt, i);
	list_append(pt, i, L_EXITED);
	n->p.exited = true;
	n->p.exit_seq = ++pt->exit_seq;
}

struct te_proc *te_proctree_touch(struct te_proctree *pt, uint32_t pid, uint32_t ppid,
				  const char *comm, uint32_t uid)
{
	uint32_t i;
	struct te_proc *p;

	if (!pt)
		return NULL;
	i = get_or_insert(pt, pid);
	p = &pt->nodes[i].p;
	/* An exited entry stays exited: a late event of a dead process is more
	 * likely than a reused pid whose fork we missed (which the next fork or
	 * exec corrects). */
	refresh(pt, i);
	if (ppid && ppid != p->ppid)
		p->ppid = ppid;   /* reparented (parent exited, subreaper) */
	if (comm && strncmp(p->comm, comm, 15) != 0)
		set_comm(p->comm, comm);
	p->uid = uid;
	return p;
}

/* ---- ancestry ---------------------------------------------------------- */

struct te_proc *te_proctree_parent(struct te_proctree *pt, const struct te_proc *p)
{
	if (!pt || !p || p->ppid == 0 || p->ppid == p->pid)
		return NULL;
	return te_proctree_get(pt, p->ppid);
}

size_t te_proctree_ancestors(struct te_proctree *pt, const struct te_proc *p,
			     struct te_proc **out, size_t max)
{
	const struct te_proc *cur = p;
	const struct node *pn = (const struct node *)p;
	size_t n = 0;
	uint32_t gen;

	if (!pt || !p || !out)
		return 0;
	/* ppids come from events and can be inconsistent (pid reuse, lost
	 * events) and form a cycle.  Mark each visited node with this walk's
	 * generation so a cycle ends the walk in O(length), whatever @max. */
	gen = ++pt->visit_gen;
	if (gen == 0) {
		for (uint32_t i = 0; i < pt->capacity; i++)
			pt->nodes[i].visit = 0;
		gen = pt->visit_gen = 1;
	}
	if (pn >= pt->nodes && pn < pt->nodes + pt->capacity)
		pt->nodes[pn - pt->nodes].visit = gen;

	while (n < max && cur->pid != 1) {
		struct te_proc *par = te_proctree_parent(pt, cur);
		struct node *nd = (struct node *)par;

		if (!par || nd->visit == gen || par->pid == p->pid)
			break;
		nd->visit = gen;
		out[n++] = par;
		cur = par;
	}
	return n;
}

/* ---- containers -------------------------------------------------------- */

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Does this one path component name a container?  Forms, per runtime:
 *   <64hex>                      docker cgroupfs (/docker/ID), kubepods
 *                                cgroupfs (.../pod<uid>/ID), ECS, CI runners
 *   docker-<64hex>.scope         docker, systemd driver
 *   libpod-<64hex>[.scope]       podman (systemd, or cgroupfs /libpod_parent)
 *   cri-containerd-<64hex>.scope containerd CRI, systemd driver
 *   crio-<64hex>[.scope]         CRI-O
 * Exactly 64 hex digits: a 63- or 65-digit run is something else.  Anything
 * not listed (libpod-conmon-, crio-conmon-: the runtime's monitor on the
 * host side; LXC, whose cgroups carry names, not ids) is not a container. */
static bool component_id(const char *c, size_t len, char out[TE_CONTAINER_ID_LEN + 1])
{
	static const char *const prefixes[] = { "docker-", "libpod-", "cri-containerd-", "crio-" };
	const char *hex = NULL;
	size_t rest = 0;

	if (len == TE_CONTAINER_ID_LEN) {
		hex = c;
		rest = 0;
	} else {
		for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
			size_t pl = strlen(prefixes[k]);

			if (len >= pl + TE_CONTAINER_ID_LEN && memcmp(c, prefixes[k], pl) == 0) {
				hex = c + pl;
				rest = len - pl - TE_CONTAINER_ID_LEN;
				break;
			}
		}
		if (!hex)
			return false;
		if (rest != 0 && !(rest == 6 && memcmp(hex + TE_CONTAINER_ID_LEN, ".scope", 6) == 0))
			return false;
	}
	for (size_t k = 0; k < TE_CONTAINER_ID_LEN; k++)
		if (!is_lower_hex(hex[k]))
			return false;
	memcpy(out, hex, TE_CONTAINER_ID_LEN);
	out[TE_CONTAINER_ID_LEN] = '\0';
	return true;
}

bool te_container_id_from_cgroup(const char *cgroup_path, char out[TE_CONTAINER_ID_LEN + 1])
{
	char found[TE_CONTAINER_ID_LEN + 1] = "";
	bool any = false;
	const char *s = cgroup_path;

	/* The deepest match wins: docker-in-docker nests the inner container
	 * below the outer, and the process belongs to the inner one; a
	 * non-matching component below (a systemd "init.scope" inside the
	 * container) does not undo a match above.  A newline ends the path so
	 * that a raw line of /proc/PID/cgroup can be passed. */
	while (s && *s && *s != '\n') {
		const char *e = s;
		char id[TE_CONTAINER_ID_LEN + 1];

		while (*e && *e != '/' && *e != '\n')
			e++;
		if (e > s && component_id(s, (size_t)(e - s), id)) {
			memcpy(found, id, sizeof(found));
			any = true;
		}
		s = *e == '/' ? e + 1 : e;
	}
	memcpy(out, found, sizeof(found));
	return any;
}

/* /proc/PID/cgroup content: "hierarchy:controllers:path" lines (cgroup v2 is
 * the single line "0::/path").  Under v1 the controllers may disagree; the
 * first line naming a container decides. */
static void container_from_cgroup_file(const char *buf, char out[TE_CONTAINER_ID_LEN + 1])
{
	const char *line = buf;

	out[0] = '\0';
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *c1 = memchr(line, ':', nl ? (size_t)(nl - line) : strlen(line));
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (c2 && (!nl || c2 < nl) && te_container_id_from_cgroup(c2 + 1, out))
			return;
		line = nl ? nl + 1 : NULL;
	}
	out[0] = '\0';
}

/* Read a (small, virtual) file whole, up to @size - 1 bytes, NUL-terminated.
 * Returns the length or a negative errno. */
static ssize_t read_at(int dfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;
	int err = 0;

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t r = read(fd, buf + len, size - 1 - len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;  /* ESRCH: the process died under us */
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (ssize_t)len;
}

static const char *proc_root(const struct te_proctree *pt)
{
	return pt->proc_root ? pt->proc_root : "/proc";
}

/*
 * cgroup v2 ids are the inode numbers of the cgroup directories, so the
 * cgroup of an event can be found by looking for that inode under the
 * cgroup2 mount.  Unlike /proc/PID/cgroup this does not race with the
 * process's exit: a short-lived process in a container (a `mount` run by
 * an escape script) is attributed even when it is gone before we look.
 */
static bool cgroup2_mount(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPER" */
		char mnt[512], *dash = strstr(line, " - ");

		if (!dash || strncmp(dash + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1 && strlen(mnt) < len) {
			strcpy(out, mnt);
			found = true;
		}
	}
	fclose(f);
	return found;
}

#define CGROUP_WALK_DEPTH 32
#define CGROUP_WALK_ENTRIES 50000

/* Depth-first search below @dfd (whose path relative to the mount is
 * @rel, of @rel_len bytes) for the directory with inode @id. */
static bool cgroup_find(int dfd, uint64_t id, char *rel, size_t rel_len, size_t cap,
			unsigned depth, unsigned *budget)
{
	DIR *d;
	struct dirent *de;
	bool found = false;

	if (depth > CGROUP_WALK_DEPTH)
		return false;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return false;
	}
	while (!found && (de = readdir(d))) {
		size_t n;
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || (*budget)-- == 0)
			continue;
		n = strlen(de->d_name);
		if (rel_len + 1 + n + 1 > cap)
			continue;
		rel[rel_len] = '/';
		memcpy(rel + rel_len + 1, de->d_name, n + 1);
		if (de->d_ino == id)
			return closedir(d), true;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0)
			found = cgroup_find(sub, id, rel, rel_len + 1 + n, cap, depth + 1, budget);
	}
	if (!found)
		rel[rel_len] = '\0';
	closedir(d);
	return found;
}

static bool cgroup_path_by_id(uint64_t id, char *rel, size_t cap)
{
	char mnt[512];
	unsigned budget = CGROUP_WALK_ENTRIES;
	int dfd;

	if (!cgroup2_mount(mnt, sizeof(mnt)))
		return false;
	dfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return false;
	rel[0] = '\0';
	return cgroup_find(dfd, id, rel, 0, cap, 0, &budget);
}

const char *te_proctree_container(struct te_proctree *pt, struct te_proc *p, uint64_t cgroup_id)
{
	struct cg_slot *slot = NULL;
	char path[PATH_MAX], buf[SEED_BUF], id[TE_CONTAINER_ID_LEN + 1];
	int dfd;
	ssize_t r;

	if (!pt)
		return "";
	/* cgroup id 0 means "unknown" (the BPF side could not read it): never
	 * cached, always asked of /proc. */
	if (cgroup_id) {
		slot = &pt->cg[(uint32_t)((cgroup_id * 0x9E3779B97F4A7C15ull) >> 56) % CG_CACHE_SLOTS];
		if (slot->cgroup_id == cgroup_id) {
			if (!p)
				return slot->id;
			memcpy(p->container_id, slot->id, sizeof(p->container_id));
			return p->container_id;
		}
	}
	if (!p)
		return "";

	/* The real host only: a fake proc root in tests has no cgroupfs. */
	if (cgroup_id > 1 && strcmp(proc_root(pt), "/proc") == 0 &&
	    cgroup_path_by_id(cgroup_id, path, sizeof(path))) {
		te_container_id_from_cgroup(path, id);
		memcpy(p->container_id, id, sizeof(id));
		memcpy(slot->id, id, sizeof(id));
		slot->cgroup_id = cgroup_id;
		return p->container_id;
	}

	snprintf(path, sizeof(path), "%s/%u", proc_root(pt), p->pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return p->container_id;
	r = read_at(dfd, "cgroup", buf, sizeof(buf));
	close(dfd);
	/* Gone already: keep what we had (inherited at fork, or seeded) and
	 * cache nothing, as we learnt nothing about this cgroup. */
	if (r < 0)
		return p->container_id;
	container_from_cgroup_file(buf, id);
	memcpy(p->container_id, id, sizeof(id));
	if (slot) {
		slot->cgroup_id = cgroup_id;
		memcpy(slot->id, id, sizeof(id));
	}
	return p->container_id;
}

/* ---- seeding from /proc ------------------------------------------------ */

/* /proc/PID/stat: "pid (comm) state ppid ... starttime(22) ...".  comm can
 * hold anything, spaces and ')' included, but not more than 15 bytes, and
 * the kernel prints it raw: only the LAST ')' reliably ends it. */
static int parse_stat(const char *buf, char comm[16], uint32_t *ppid, uint64_t *starttime)
{
	const char *open = strchr(buf, '(');
	const char *close = strrchr(buf, ')');
	const char *s;
	int field = 3;

	if (!open || !close || close < open)
		return -EINVAL;
	size_t n = (size_t)(close - open - 1);
	if (n > 15)
		n = 15;
	memcpy(comm, open + 1, n);
	comm[n] = '\0';

	s = close + 1;
	for (;;) {
		char *end;

		while (*s == ' ')
			s++;
		if (!*s || *s == '\n')
			return -EINVAL;
		if (field == 4 || field == 22) {
			unsigned long long v;

			errno = 0;
			v = strtoull(s, &end, 10);
			if (end == s || errno)
				return -EINVAL;
			if (field == 4) {
				*ppid = (uint32_t)v;
			} else {
				*starttime = v;
				return 0;
			}
			s = end;
		} else {
			while (*s && *s != ' ' && *s != '\n')
				s++;
		}
		field++;
	}
}

static int parse_status_uid(const char *buf, uint32_t *uid)
{
	const char *l = buf;

	while (l) {
		if (strncmp(l, "Uid:", 4) == 0) {
			char *end;
			unsigned long v = strtoul(l + 4, &end, 10);  /* first: real */

			if (end == l + 4)
				return -EINVAL;
			*uid = (uint32_t)v;
			return 0;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return -EINVAL;
}

static uint64_t ticks_to_ns(uint64_t ticks, long hz)
{
	/* Split so that ticks * 1e9 cannot overflow for any uptime. */
	return ticks / (uint64_t)hz * 1000000000ull +
	       ticks % (uint64_t)hz * 1000000000ull / (uint64_t)hz;
}

void te_proctree_exec_identity(struct te_proctree *pt, uint32_t pid, uint64_t dev,
			       uint64_t ino)
{
	struct te_proc *p = te_proctree_get(pt, pid);

	if (!p)
		return;
	p->exe_dev = dev;
	p->exe_ino = ino;
	p->exe_check = 0;
}

enum { EXE_UNCHECKED = 0, EXE_VERIFIED, EXE_UNVERIFIED };

void te_proc_set_exe_verified(struct te_proc *p, bool verified)
{
	if (p)
		p->exe_check = verified ? EXE_VERIFIED : EXE_UNVERIFIED;
}

bool te_proc_exe_verified(struct te_proc *p)
{
	struct stat st;

	if (!p)
		return false;
	if (p->exe_check == EXE_UNCHECKED) {
		bool ok = p->exe && p->exe[0] == '/' && p->exe_ino &&
			  stat(p->exe, &st) == 0 && S_ISREG(st.st_mode) &&
			  st.st_ino == p->exe_ino && major(st.st_dev) == (p->exe_dev >> 20) &&
			  minor(st.st_dev) == (p->exe_dev & 0xfffff);

		p->exe_check = ok ? EXE_VERIFIED : EXE_UNVERIFIED;
	}
	return p->exe_check == EXE_VERIFIED;
}

/* Read one process.  Returns 0, or a negative errno when it is not (or no
 * longer) there; stat and status are required, the rest is optional. */
static int seed_one(struct te_proctree *pt, int dfd, uint32_t pid, long hz)
{
	char buf[SEED_BUF], exe[PATH_MAX], comm[16], cid[TE_CONTAINER_ID_LEN + 1] = "";
	uint32_t ppid = 0, uid = 0;
	uint64_t starttime = 0;
	ssize_t r, exe_len, cmd_len;
	char *cmd = NULL;
	struct stat st;
	struct te_proc *p;
	uint32_t i;

	r = read_at(dfd, "stat", buf, sizeof(buf));
	if (r < 0)
		return (int)r;
	if (parse_stat(buf, comm, &ppid, &starttime) < 0)
		return -EINVAL;
	r = read_at(dfd, "status", buf, sizeof(buf));
	if (r < 0)
		return (int)r;
	if (parse_status_uid(buf, &uid) < 0)
		return -EINVAL;

	/* Kernel threads have no exe (ENOENT), other users' processes may deny
	 * it (EACCES) without root: both leave exe NULL. */
	exe_len = readlinkat(dfd, "exe", exe, sizeof(exe) - 1);
	if (exe_len < 0 || exe_len >= (ssize_t)sizeof(exe) - 1)
		exe_len = 0;
	/* the file itself, as the link's target: its device and inode */
	if (exe_len == 0 || fstatat(dfd, "exe", &st, 0) < 0)
		st.st_ino = 0;

	cmd_len = read_at(dfd, "cmdline", buf, sizeof(buf));
	if (cmd_len > 0) {
		set_cmdline(&cmd, buf, (size_t)cmd_len);
	}

	if (read_at(dfd, "cgroup", buf, sizeof(buf)) >= 0)
		container_from_cgroup_file(buf, cid);

	/* Exited while we read?  Then some reads above may have failed for
	 * that reason alone; skip it rather than keep a half-read dead
	 * process as live (its exit event may already be behind us). */
	if (faccessat(dfd, "stat", F_OK, 0) < 0) {
		free(cmd);
		return -ESRCH;
	}

	i = get_or_insert(pt, pid);
	revive(pt, i);
	p = &pt->nodes[i].p;
	p->ppid = ppid;
	p->uid = uid;
	p->start_ns = ticks_to_ns(starttime, hz);
	memcpy(p->comm, comm, sizeof(p->comm));
	set_str(&p->exe, exe, (size_t)exe_len);
	p->exe_ino = st.st_ino;
	p->exe_dev = st.st_ino ? (uint64_t)major(st.st_dev) << 20 | minor(st.st_dev) : 0;
	p->exe_check = 0;
	free(p->cmdline);
	p->cmdline = cmd;
	memcpy(p->container_id, cid, sizeof(p->container_id));
	return 0;
}

static bool parse_pid(const char *name, uint32_t *pid)
{
	unsigned long v = 0;

	if (!*name)
		return false;
	for (const char *c = name; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (unsigned long)(*c - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*pid = (uint32_t)v;
	return v != 0;
}

int te_proctree_seed(struct te_proctree *pt, const char *proc_root_path)
{
	DIR *d;
	struct dirent *de;
	long hz = sysconf(_SC_CLK_TCK);
	int added = 0;
	char *root;

	if (!pt || !proc_root_path)
		return -EINVAL;
	if (hz <= 0)
		hz = 100;  /* USER_HZ on every Linux architecture */
	/* Remembered for te_proctree_container's later reads. */
	root = strdup(proc_root_path);
	if (!root)
		return -ENOMEM;
	free(pt->proc_root);
	pt->proc_root = root;

	d = opendir(proc_root_path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		uint32_t pid;
		int dfd;

		if (!parse_pid(de->d_name, &pid))
			continue;
		/* Everything of one process is read through one directory fd,
		 * so a pid reused mid-read cannot mix two processes. */
		dfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			continue;
		if (seed_one(pt, dfd, pid, hz) == 0)
			added++;
		close(dfd);
	}
	closedir(d);
	return added;
}
