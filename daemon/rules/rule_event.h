/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the rule engine sees of one event: header fields, the process's
 * identity, and every argument as a typed value (number, text, or list of
 * texts).  Built from a live decoded event (rule_event.c) or from a JSON
 * event line (replay.c), so rules behave the same live and on replay.
 *
 * Argument types in the rule language, by the schema's te_fmt:
 *   number: INT UINT HEX MODE BOOL (true = 1)
 *   list:   STRARR (argv, env)
 *   text:   everything else — STR, and the decoded names of flags and enums
 *           exactly as `--output json` prints them ("O_WRONLY|O_CREAT",
 *           "PTRACE_TRACEME", "AT_FDCWD" or "5"), sockaddrs as
 *           "AF_INET 127.0.0.1:4444", "AF_INET6 [::1]:80", "AF_UNIX /path".
 * All strings are pointers into storage owned by whoever built the event,
 * valid for the duration of the match.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "proctree.h"
#include "strbuf.h"

enum te_rv_type { TE_RV_NONE = 0, TE_RV_NUM, TE_RV_STR, TE_RV_LIST };

struct te_rv {
	enum te_rv_type type;  /* TE_RV_NONE: the argument is absent */
	int64_t num;           /* TE_RV_NUM */
	const char *str;       /* TE_RV_STR: text; TE_RV_LIST: NUL-terminated items back to back */
	size_t len;            /* bytes of str (for a list: all items with their NULs) */
};

/* The rule-language type of an argument of schema format @fmt. */
enum te_rv_type te_rv_type_of_fmt(uint8_t fmt);

struct te_rule_event {
	const struct te_event_desc *desc;
	uint64_t time_ns;          /* wall clock, ns since the epoch */
	int64_t retval;
	uint32_t pid, tid, ppid;   /* host ids */
	uint32_t ns_pid, ns_tid, ns_ppid;
	uint32_t uid, gid;
	uint32_t mntns, pidns;
	uint64_t cgroup_id;
	const char *comm;          /* never NULL */
	const char *exe;           /* never NULL; "" when unknown */
	const char *cmdline;       /* never NULL; argv joined by spaces */
	const char *container_id;  /* never NULL; "" on the host */
	const char *hostname;      /* never NULL */
	bool truncated;
	bool targets_traceed;      /* aimed at traceed itself (te_event_targets_pid) */
	struct te_rv args[TE_MAX_ARGS]; /* indexed like desc->args */
	/* For ancestor fields (proc.pname, proc.aname...); may be NULL. */
	struct te_proctree *pt;
	struct te_proc *proc;
};

/*
 * Text storage for one event's decoded arguments.  Fixed size: a record is
 * at most TE_MAX_RECORD bytes and its decoded text is bounded by a small
 * multiple of that; what does not fit is cut and the event flagged
 * truncated.  Reused for every event, so building costs no allocation.
 */
#define TE_RULE_ARENA (4 * TE_MAX_RECORD)
struct te_rule_arena {
	size_t used;
	struct strbuf text;  /* formatting scratch, reused (zeroed = ready) */
	char buf[TE_RULE_ARENA];
};
void te_rule_arena_free(struct te_rule_arena *a);

/* Copy @n bytes plus a NUL into the arena; NULL when full. */
const char *te_arena_put(struct te_rule_arena *a, const char *s, size_t n);

/*
 * Fill @re from a decoded live event.  Process fields (exe, cmdline,
 * container, ancestors) come from @proc/@pt, which the caller has already
 * updated with te_rule_event_track().  @decode_names: format flag and enum
 * arguments as text; only rules read them, so without rules the per-event
 * formatting is skipped (those arguments are then absent).
 */
void te_rule_event_from_event(struct te_rule_event *re, struct te_rule_arena *arena,
			      const struct te_event *ev, struct te_proctree *pt,
			      struct te_proc *proc, const char *container_id,
			      const char *hostname, bool decode_names);

/*
 * Keep the process tree current from one event (fork/exec/exit and the
 * header's pid, ppid, comm, uid): used live and on replay.  Returns the
 * event's process entry.
 */
struct te_proc *te_rule_event_track(struct te_proctree *pt, const struct te_rule_event *re);
