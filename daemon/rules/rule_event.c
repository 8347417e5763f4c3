/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building the rule engine's view of an event from a live decoded record. */
#include "rule_event.h"

#include <string.h>

#include "argfmt.h"
#include "path.h"
#include "strbuf.h"

void te_rule_arena_free(struct te_rule_arena *a)
{
	sb_free(&a->text);
}

const char *te_arena_put(struct te_rule_arena *a, const char *s, size_t n)
{
	char *p;

	if (n + 1 > sizeof(a->buf) - a->used)
		return NULL;
	p = a->buf + a->used;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	a->used += n + 1;
	return p;
}

/* A list argument: items NUL-terminated back to back (the final NUL added
 * when the kernel cut the last item). */
static void list_arg(struct te_rv *rv, struct te_rule_arena *a, const struct te_arg_value *v)
{
	size_t n = v->buf.len;
	bool terminated = n > 0 && v->buf.p[n - 1] == '\0';
	const char *p = te_arena_put(a, v->buf.p, terminated ? n - 1 : n);

	if (!p)
		return;
	rv->type = TE_RV_LIST;
	rv->str = p;
	rv->len = n == 0 ? 0 : (terminated ? n : n + 1);
}

void te_rule_event_from_event(struct te_rule_event *re, struct te_rule_arena *arena,
			      const struct te_event *ev, struct te_proctree *pt,
			      struct te_proc *proc, const char *container_id,
			      const char *hostname, bool decode_names)
{
	const struct te_record_hdr *h = &ev->hdr;
	memset(re, 0, sizeof(*re));
	arena->used = 0;
	re->desc = ev->desc;
	re->time_ns = ev->wall_ns;
	re->retval = h->retval;
	re->pid = h->pid;
	re->tid = h->tid;
	re->ppid = h->ppid;
	re->ns_pid = h->ns_pid;
	re->ns_tid = h->ns_tid;
	re->ns_ppid = h->ns_ppid;
	re->uid = h->uid;
	re->gid = h->gid;
	re->mntns = h->mntns;
	re->pidns = h->pidns;
	re->cgroup_id = h->cgroup_id;
	re->truncated = ev->truncated;
	re->comm = te_arena_put(arena, h->comm, strnlen(h->comm, TE_COMM_LEN));
	re->exe = proc && proc->exe ? proc->exe : "";
	re->cmdline = proc && proc->cmdline ? proc->cmdline : "";
	re->container_id = container_id ? container_id : "";
	re->hostname = hostname ? hostname : "";
	re->pt = pt;
	re->proc = proc;
	if (!re->comm)
		re->comm = "";

	for (unsigned i = 0; i < ev->desc->nargs; i++) {
		const struct te_arg_desc *d = &ev->desc->args[i];
		const struct te_arg_value *v = &ev->args[i];
		struct te_rv *rv = &re->args[i];

		if (!v->present)
			continue;
		switch (te_rv_type_of_fmt(d->fmt)) {
		case TE_RV_NUM:
			rv->type = TE_RV_NUM;
			rv->num = v->s;
			break;
		case TE_RV_LIST:
			list_arg(rv, arena, v);
			break;
		default:
			if (d->wire != TE_W_STR && !decode_names)
				break;
			if (d->wire == TE_W_STR) {
				rv->str = te_arena_put(arena, v->buf.p, v->buf.len);
				rv->len = v->buf.len;
				if (rv->str && d->path)
					/* the arena's copy is ours to rewrite */
					rv->len = te_path_normalize((char *)rv->str, rv->len);
			} else {
				/* decoded names (flags, enums, sockaddrs) */
				sb_reset(&arena->text);
				te_arg_text(&arena->text, d, v);
				rv->str = te_arena_put(arena, arena->text.p ? arena->text.p : "",
						       arena->text.len);
				rv->len = arena->text.len;
			}
			if (rv->str)
				rv->type = TE_RV_STR;
			else
				re->truncated = true;
			break;
		}
	}
}

static const struct te_rv *arg_by_name(const struct te_rule_event *re, const char *name)
{
	for (unsigned i = 0; i < re->desc->nargs; i++)
		if (strcmp(re->desc->args[i].name, name) == 0)
			return re->args[i].type != TE_RV_NONE ? &re->args[i] : NULL;
	return NULL;
}

struct te_proc *te_rule_event_track(struct te_proctree *pt, const struct te_rule_event *re)
{
	const struct te_rv *a, *b;
	struct te_proc *p = te_proctree_touch(pt, re->pid, re->ppid, re->comm, re->uid);

	switch (re->desc->id) {
	case TE_EV_SCHED_PROCESS_FORK:
		a = arg_by_name(re, "child_pid");
		b = arg_by_name(re, "child_tid");
		/* a new thread is not a new process */
		if (a && b && a->type == TE_RV_NUM && a->num == b->num) {
			const struct te_rv *st = arg_by_name(re, "start_time");

			te_proctree_fork(pt, re->pid, (uint32_t)a->num,
					 st && st->type == TE_RV_NUM ? (uint64_t)st->num : 0, re->comm,
					 re->uid);
		}
		break;
	case TE_EV_SCHED_PROCESS_EXEC:
		a = arg_by_name(re, "pathname");
		b = arg_by_name(re, "argv");
		te_proctree_exec(pt, re->pid, re->ppid, a ? a->str : NULL, a ? a->len : 0,
				 b ? b->str : NULL, b ? b->len : 0, re->comm, re->uid);
		{
			/* the identity of the file exec loaded, for exceptions that
			 * must not take the path's word for it */
			const struct te_rv *dev = arg_by_name(re, "dev");
			const struct te_rv *ino = arg_by_name(re, "inode");

			if (dev && ino && dev->type == TE_RV_NUM && ino->type == TE_RV_NUM)
				te_proctree_exec_identity(pt, re->pid, (uint64_t)dev->num,
							  (uint64_t)ino->num);
		}
		break;
	case TE_EV_SCHED_PROCESS_EXIT:
		a = arg_by_name(re, "process_group_exit");
		if (a && a->type == TE_RV_NUM && a->num)
			te_proctree_exit(pt, re->pid);
		break;
	default:
		/* every other event: the entry touch returned is the answer */
		return p;
	}
	/* fork, exec and exit may have moved or evicted entries */
	return te_proctree_get(pt, re->pid);
}
