// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Fields of the rule language.  This comment is the reference that
 * traceed.rules(5) is written from.
 *
 *  field              type    value
 *  -----------------  ------  ---------------------------------------------
 *  evt.name           string  event name: "openat", "sched_process_exec"
 *  evt.type           string  alias of evt.name (Falco's name)
 *  evt.id             number  event id (enum te_event_id)
 *  evt.time           number  wall-clock time, ns since the epoch
 *  evt.retval         number  syscall return value (0 for sched_* events
 *                             and for exec "enter" events)
 *  evt.truncated      number  1 when the kernel cut an argument, else 0
 *  evt.targets_traceed number 1 when the event (a signal, ptrace,
 *                             process_vm_readv/writev) is aimed at traceed
 *                             itself, else 0
 *  evt.arg.NAME       (*)     argument NAME of the event.  Its type is the
 *                             schema's: number for INT, UINT, HEX, MODE and
 *                             BOOL (true = 1), list for argv/env/envp, string
 *                             for the rest (flag and enum names as --output
 *                             json prints them: "O_WRONLY|O_CREAT",
 *                             "PTRACE_TRACEME"; sockaddrs as
 *                             "AF_INET 127.0.0.1:4444").  A NAME no event
 *                             has is a compile error; where events disagree
 *                             on the type (evt.arg.flags is a number on
 *                             process_vm_readv and "O_RDONLY|..." on open),
 *                             a condition must fit one of them, and on an
 *                             event where the value has the other type the
 *                             comparison is false.
 *  proc.name          string  comm (at most 15 bytes)
 *  proc.exe           string  executable path; absent when unknown
 *  proc.cmdline       string  argv joined by spaces; absent when unknown
 *  proc.args          string  proc.cmdline without argv[0] ("" when none)
 *  proc.pid           number  host tgid
 *  proc.tid           number  host tid
 *  proc.vpid          number  tgid in the process's own pid namespace
 *  proc.ppid          number  host tgid of the parent (from the event)
 *  proc.pname         string  parent's comm (process tree); absent when the
 *                             parent is unknown
 *  proc.pexe          string  parent's executable
 *  proc.pcmdline      string  parent's command line
 *  proc.aname[N]      string  comm of the Nth ancestor: 1 parent, 2
 *                             grandparent...; 0 is the process itself (as in
 *                             Falco); N <= 64
 *  proc.aexe[N]       string  executable of the Nth ancestor
 *  proc.aname         list    comm of every ancestor, nearest first, up to
 *                             and including pid 1 (any-item semantics)
 *  proc.aexe          list    executable of every ancestor that has a known
 *                             one
 *  proc.exe_verified  string  proc.exe, present only when the kernel vouches
 *                             for it: the file exec loaded (device and
 *                             inode) is the file at that path as the host
 *                             sees it (te_proc_exe_verified).  What an
 *                             exception may trust: comm, argv and even the
 *                             path string are the process's own choice
 *  proc.pexe_verified string  the parent's, likewise
 *  proc.aexe_verified list    every ancestor's verified executable;
 *                             [N] the Nth ancestor's (0: the process)
 *  proc.is_memfd      number  1 when the executable is a memfd
 *                             (proc.exe starts with "/memfd:", or the
 *                             event's is_memfd argument is true), else 0
 *  user.uid           number  real uid
 *  user.name          string  name of user.uid from /etc/passwd, read once;
 *                             the uid in decimal when it has no entry
 *  group.gid          number  real gid
 *  container.id       string  64-hex container id; "host" outside any
 *                             container (Falco's convention, so that
 *                             `container.id != host` works)
 *  host.name          string  host name; absent when unknown
 *  fd.name            string  the event's primary path or address:
 *                             rename*: newpath; events with a pathname:
 *                             pathname; connect, bind, accept(4): addr;
 *                             dup*: remote; mount, umount2: target;
 *                             memfd_create: name; absent on other events
 *  fd.directory       string  directory part of fd.name when it is a path
 *                             ("/etc/cron.d/x" -> "/etc/cron.d", "/x" -> "/")
 *  fd.filename        string  last component of fd.name when it is a path
 *
 * An absent value (an argument the event lacks or the kernel did not send,
 * an unknown parent) makes every comparison false, != included; only
 * `exists` tells absent from present.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "grow.h"
#include "rule_fields.h"

enum te_rv_type te_rv_type_of_fmt(uint8_t fmt)
{
	switch (fmt) {
	case TE_FMT_INT:
	case TE_FMT_UINT:
	case TE_FMT_HEX:
	case TE_FMT_MODE:
	case TE_FMT_BOOL:
		return TE_RV_NUM;
	case TE_FMT_STRARR:
		return TE_RV_LIST;
	default:
		return TE_RV_STR;
	}
}

struct field_def {
	const char *name;
	enum rl_field_id id;
	unsigned types;
	bool indexable;  /* takes [N]; then it is a string, else a list */
};

static const struct field_def fields[] = {
	{ "evt.name", RL_F_EVT_NAME, RL_TY_STR, false },
	{ "evt.type", RL_F_EVT_NAME, RL_TY_STR, false },
	{ "evt.id", RL_F_EVT_ID, RL_TY_NUM, false },
	{ "evt.time", RL_F_EVT_TIME, RL_TY_NUM, false },
	{ "evt.retval", RL_F_EVT_RETVAL, RL_TY_NUM, false },
	{ "evt.truncated", RL_F_EVT_TRUNCATED, RL_TY_NUM, false },
	{ "evt.targets_traceed", RL_F_EVT_TARGETS_TRACEED, RL_TY_NUM, false },
	{ "proc.name", RL_F_PROC_NAME, RL_TY_STR, false },
	{ "proc.exe", RL_F_PROC_EXE, RL_TY_STR, false },
	{ "proc.cmdline", RL_F_PROC_CMDLINE, RL_TY_STR, false },
	{ "proc.args", RL_F_PROC_ARGS, RL_TY_STR, false },
	{ "proc.pid", RL_F_PROC_PID, RL_TY_NUM, false },
	{ "proc.tid", RL_F_PROC_TID, RL_TY_NUM, false },
	{ "proc.vpid", RL_F_PROC_VPID, RL_TY_NUM, false },
	{ "proc.ppid", RL_F_PROC_PPID, RL_TY_NUM, false },
	{ "proc.pname", RL_F_PROC_PNAME, RL_TY_STR, false },
	{ "proc.pexe", RL_F_PROC_PEXE, RL_TY_STR, false },
	{ "proc.pcmdline", RL_F_PROC_PCMDLINE, RL_TY_STR, false },
	{ "proc.aname", RL_F_PROC_ANAME, RL_TY_LIST, true },
	{ "proc.aexe", RL_F_PROC_AEXE, RL_TY_LIST, true },
	{ "proc.is_memfd", RL_F_PROC_IS_MEMFD, RL_TY_NUM, false },
	{ "proc.exe_verified", RL_F_PROC_EXE_VERIFIED, RL_TY_STR, false },
	{ "proc.pexe_verified", RL_F_PROC_PEXE_VERIFIED, RL_TY_STR, false },
	{ "proc.aexe_verified", RL_F_PROC_AEXE_VERIFIED, RL_TY_LIST, true },
	{ "user.uid", RL_F_USER_UID, RL_TY_NUM, false },
	{ "user.name", RL_F_USER_NAME, RL_TY_STR, false },
	{ "group.gid", RL_F_GROUP_GID, RL_TY_NUM, false },
	{ "container.id", RL_F_CONTAINER_ID, RL_TY_STR, false },
	{ "host.name", RL_F_HOST_NAME, RL_TY_STR, false },
	{ "fd.name", RL_F_FD_NAME, RL_TY_STR, false },
	{ "fd.directory", RL_F_FD_DIRECTORY, RL_TY_STR, false },
	{ "fd.filename", RL_F_FD_FILENAME, RL_TY_STR, false },
};

#define EVT_ARG_PREFIX "evt.arg."

static int arg_index(const struct te_event_desc *d, const char *name)
{
	for (unsigned i = 0; i < d->nargs; i++)
		if (strcmp(d->args[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The argument fd.name reads on event @d (see the table above). */
static int fd_arg_index(const struct te_event_desc *d)
{
	static const struct {
		uint32_t id;
		const char *arg;
	} special[] = {
		{ TE_EV_RENAME, "newpath" },    { TE_EV_RENAMEAT, "newpath" },
		{ TE_EV_RENAMEAT2, "newpath" }, { TE_EV_CONNECT, "addr" },
		{ TE_EV_BIND, "addr" },         { TE_EV_ACCEPT, "addr" },
		{ TE_EV_ACCEPT4, "addr" },      { TE_EV_DUP, "remote" },
		{ TE_EV_DUP2, "remote" },       { TE_EV_DUP3, "remote" },
		{ TE_EV_MOUNT, "target" },      { TE_EV_UMOUNT2, "target" },
		{ TE_EV_MEMFD_CREATE, "name" },
	};

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (special[i].id == d->id)
			return arg_index(d, special[i].arg);
	return arg_index(d, "pathname");
}

/* Fill f->argidx from the schema; returns the union of the argument's
 * types, 0 when no event has it. */
static unsigned fill_argidx(struct rl_field *f, const char *argname)
{
	const struct te_event_desc *tab;
	size_t n;
	unsigned types = 0;

	f->uses_arg = true;
	memset(f->argidx, -1, sizeof(f->argidx));
	tab = te_event_table(&n);
	for (size_t i = 0; i < n; i++) {
		int a = argname ? arg_index(&tab[i], argname) : fd_arg_index(&tab[i]);

		if (a < 0 || tab[i].id >= TE_EV_MAX)
			continue;
		f->argidx[tab[i].id] = (int8_t)a;
		types |= 1u << te_rv_type_of_fmt(tab[i].args[a].fmt);
	}
	return types;
}

int rl_field_parse(const char *name, size_t len, struct rl_field *f, char *why, size_t whylen)
{
	const struct field_def *def = NULL;
	size_t base = len;
	char buf[sizeof(f->name)];

	if (why && whylen)
		why[0] = '\0';
	if (len == 0 || len >= sizeof(buf) || memchr(name, '\0', len))
		return -ENOENT;
	memcpy(buf, name, len);
	buf[len] = '\0';
	memset(f, 0, sizeof(*f));
	memcpy(f->name, buf, len + 1);

	if (strncmp(buf, EVT_ARG_PREFIX, strlen(EVT_ARG_PREFIX)) == 0) {
		const char *arg = buf + strlen(EVT_ARG_PREFIX);

		if (!*arg || strpbrk(arg, "[]."))
			return -ENOENT;
		f->id = RL_F_EVT_ARG;
		f->types = fill_argidx(f, arg);
		if (!f->types) {
			snprintf(why, whylen, "no event has an argument '%s' (%s)", arg, buf);
			return -EINVAL;
		}
		return 0;
	}

	/* NAME[N] */
	char *br = strchr(buf, '[');
	if (br) {
		char *end;
		unsigned long idx;

		base = (size_t)(br - buf);
		if (buf[len - 1] != ']' || br[1] < '0' || br[1] > '9')
			goto bad_index;
		errno = 0;
		idx = strtoul(br + 1, &end, 10);
		if (errno || end != buf + len - 1)
			goto bad_index;
		if (idx > RL_ANC_MAX) {
			snprintf(why, whylen, "index %lu of '%s' is above the maximum of %d", idx,
				 buf, RL_ANC_MAX);
			return -EINVAL;
		}
		f->indexed = true;
		f->index = (unsigned)idx;
		*br = '\0';
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strlen(fields[i].name) == base && memcmp(fields[i].name, buf, base) == 0) {
			def = &fields[i];
			break;
		}
	}
	if (!def)
		return -ENOENT;
	if (f->indexed && !def->indexable) {
		snprintf(why, whylen, "field '%s' takes no [index]", def->name);
		return -EINVAL;
	}
	f->id = def->id;
	f->types = f->indexed ? RL_TY_STR : def->types;
	switch (f->id) {
	case RL_F_FD_NAME:
	case RL_F_FD_DIRECTORY:
	case RL_F_FD_FILENAME:
		fill_argidx(f, NULL);
		break;
	case RL_F_PROC_IS_MEMFD:
		fill_argidx(f, "is_memfd");
		break;
	default:
		break;
	}
	return 0;

bad_index:
	snprintf(why, whylen, "bad index in '%s': expected [N] with N a decimal number", buf);
	return -EINVAL;
}

bool te_rl_field_known(const char *name)
{
	struct rl_field f;

	return name && rl_field_parse(name, strlen(name), &f, NULL, 0) == 0;
}

bool rl_field_on_event(const struct rl_field *f, const struct te_event_desc *d,
		       enum te_rv_type *type)
{
	*type = TE_RV_NONE;
	if (f->id == RL_F_PROC_IS_MEMFD)
		return true; /* falls back on proc.exe */
	if (!f->uses_arg)
		return true;
	if (!d || d->id >= TE_EV_MAX || f->argidx[d->id] < 0)
		return false;
	if (f->id == RL_F_EVT_ARG)
		*type = te_rv_type_of_fmt(d->args[f->argidx[d->id]].fmt);
	return true;
}

/* ---- users ------------------------------------------------------------- */

static int user_cmp(const void *a, const void *b)
{
	const struct rl_user *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	/* The same uid twice (root and toor): the first line wins, as with
	 * getpwuid.  Names are stored in line order in one block, so pointer
	 * order is line order. */
	return x->name < y->name ? -1 : x->name > y->name;
}

/* Append @n bytes and a NUL to the growing block; offset or -1. */
static ssize_t names_add(char **names, size_t *len, size_t *cap, const char *s, size_t n)
{
	size_t off = *len;

	if (*len + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 1024;
		char *nn;

		while (nc < *len + n + 1)
			nc *= 2;
		nn = realloc(*names, nc);
		if (!nn)
			return -1;
		*names = nn;
		*cap = nc;
	}
	memcpy(*names + off, s, n);
	(*names)[off + n] = '\0';
	*len += n + 1;
	return (ssize_t)off;
}

int rl_users_load(struct rl_users *u, const char *path)
{
	FILE *f;
	char *line = NULL, *names = NULL;
	size_t cap = 0, n = 0, ocap = 0, vcap = 0, nlen = 0, ncap = 0, w = 0;
	struct rl_user *v = NULL;
	size_t *offs = NULL; /* name offsets until the block stops moving */
	int r = 0;

	memset(u, 0, sizeof(*u));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *c1 = strchr(line, ':'), *c2, *end;
		unsigned long uid;
		ssize_t off;

		/* NIS compat lines (+/-) and comments name nobody. */
		if (!c1 || line[0] == '#' || line[0] == '+' || line[0] == '-')
			continue;
		c2 = strchr(c1 + 1, ':');
		if (!c2 || c2[1] < '0' || c2[1] > '9')
			continue;
		errno = 0;
		uid = strtoul(c2 + 1, &end, 10);
		if (errno || *end != ':' || uid > UINT32_MAX)
			continue;
		if (te_grow((void **)&offs, &ocap, n, sizeof(*offs), 64) < 0 ||
		    te_grow((void **)&v, &vcap, n, sizeof(*v), 64) < 0)
			goto oom;
		off = names_add(&names, &nlen, &ncap, line, (size_t)(c1 - line));
		if (off < 0)
			goto oom;
		offs[n] = (size_t)off;
		v[n++].uid = (uint32_t)uid;
	}
	for (size_t i = 0; i < n; i++)
		v[i].name = names + offs[i];
	if (n)
		qsort(v, n, sizeof(*v), user_cmp);
	for (size_t i = 0; i < n; i++)
		if (w == 0 || v[w - 1].uid != v[i].uid)
			v[w++] = v[i];
	u->v = v;
	u->n = w;
	u->names = names;
	v = NULL;
	names = NULL;
	goto out;
oom:
	r = -ENOMEM;
out:
	free(offs);
	free(v);
	free(names);
	free(line);
	fclose(f);
	return r;
}

void rl_users_free(struct rl_users *u)
{
	free(u->names);
	free(u->v);
	memset(u, 0, sizeof(*u));
}

const char *rl_users_lookup(const struct rl_users *u, uint32_t uid)
{
	size_t lo = 0, hi = u->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->v[mid].uid == uid)
			return u->v[mid].name;
		if (u->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * The system's table, read on first use and then immutable.  Reading
 * /etc/passwd ourselves instead of getpwuid keeps NSS (and whatever
 * network lookups it is configured for) off the event path; users added
 * later show as numbers until traceed restarts.
 */
static struct rl_users sys_users;
static pthread_once_t sys_users_once = PTHREAD_ONCE_INIT;

static void sys_users_load(void)
{
	(void)rl_users_load(&sys_users, "/etc/passwd");
}

/* ---- extraction -------------------------------------------------------- */

static void set_str(struct rl_val *v, const char *s, size_t n)
{
	v->type = TE_RV_STR;
	v->str = s;
	v->len = n;
}

static void set_cstr(struct rl_val *v, const char *s)
{
	if (s && *s)
		set_str(v, s, strlen(s));
}

static void set_num(struct rl_val *v, int64_t n)
{
	v->type = TE_RV_NUM;
	v->num = n;
}

static const struct te_rv *event_arg(const struct rl_field *f, const struct te_rule_event *ev,
				     uint8_t *fmt)
{
	int a;

	if (!ev->desc || ev->desc->id >= TE_EV_MAX)
		return NULL;
	a = f->argidx[ev->desc->id];
	if (a < 0 || a >= ev->desc->nargs)
		return NULL;
	if (fmt)
		*fmt = ev->desc->args[a].fmt;
	return &ev->args[a];
}

static void walk_ancestors(const struct te_rule_event *ev, struct rl_scratch *s)
{
	if (s->anc_done)
		return;
	s->anc_done = true;
	s->nanc = (ev->pt && ev->proc) ? te_proctree_ancestors(ev->pt, ev->proc, s->anc, RL_ANC_MAX)
				       : 0;
}

/* fd.name when it is a path; false otherwise. */
static bool fd_path(const struct rl_field *f, const struct te_rule_event *ev, const char **p,
		    size_t *n)
{
	const struct te_rv *rv = event_arg(f, ev, NULL);

	if (!rv || rv->type != TE_RV_STR || rv->len == 0 || rv->str[0] != '/')
		return false;
	*p = rv->str;
	*n = rv->len;
	return true;
}

static const char *last_slash(const char *p, size_t n)
{
	return memrchr(p, '/', n);
}

void rl_field_get(const struct rl_field *f, const struct te_rule_event *ev, struct rl_scratch *s,
		  struct rl_val *v)
{
	const struct te_rv *rv;
	struct te_proc *par;
	const char *p;
	size_t n;
	uint8_t fmt;

	memset(v, 0, sizeof(*v));
	switch (f->id) {
	case RL_F_EVT_NAME:
		if (ev->desc)
			set_cstr(v, ev->desc->name);
		break;
	case RL_F_EVT_ID:
		if (ev->desc)
			set_num(v, ev->desc->id);
		break;
	case RL_F_EVT_TIME:
		set_num(v, (int64_t)ev->time_ns);
		break;
	case RL_F_EVT_RETVAL:
		set_num(v, ev->retval);
		break;
	case RL_F_EVT_TRUNCATED:
		set_num(v, ev->truncated);
		break;
	case RL_F_EVT_TARGETS_TRACEED:
		set_num(v, ev->targets_traceed);
		break;
	case RL_F_EVT_ARG:
		rv = event_arg(f, ev, &fmt);
		if (!rv || rv->type == TE_RV_NONE)
			break;
		v->type = rv->type;
		v->num = rv->num;
		v->str = rv->str;
		v->len = rv->len;
		v->fmt = fmt;
		v->has_fmt = true;
		break;
	case RL_F_PROC_NAME:
		set_str(v, ev->comm, strlen(ev->comm));
		break;
	case RL_F_PROC_EXE:
		set_cstr(v, ev->exe);
		break;
	case RL_F_PROC_EXE_VERIFIED:
		/* ev->exe: the entry's exe live, the recorded one on replay */
		if (te_proc_exe_verified(ev->proc))
			set_cstr(v, ev->exe);
		break;
	case RL_F_PROC_PEXE_VERIFIED:
		par = (ev->pt && ev->proc) ? te_proctree_parent(ev->pt, ev->proc) : NULL;
		if (te_proc_exe_verified(par))
			set_cstr(v, par->exe);
		break;
	case RL_F_PROC_CMDLINE:
		set_cstr(v, ev->cmdline);
		break;
	case RL_F_PROC_ARGS:
		if (ev->cmdline && *ev->cmdline) {
			p = strchr(ev->cmdline, ' ');
			p = p ? p + 1 : ev->cmdline + strlen(ev->cmdline);
			set_str(v, p, strlen(p));
		}
		break;
	case RL_F_PROC_PID:
		set_num(v, ev->pid);
		break;
	case RL_F_PROC_TID:
		set_num(v, ev->tid);
		break;
	case RL_F_PROC_VPID:
		set_num(v, ev->ns_pid);
		break;
	case RL_F_PROC_PPID:
		set_num(v, ev->ppid);
		break;
	case RL_F_PROC_PNAME:
	case RL_F_PROC_PEXE:
	case RL_F_PROC_PCMDLINE:
		par = (ev->pt && ev->proc) ? te_proctree_parent(ev->pt, ev->proc) : NULL;
		if (!par)
			break;
		if (f->id == RL_F_PROC_PNAME)
			set_cstr(v, par->comm);
		else
			set_cstr(v, f->id == RL_F_PROC_PEXE ? par->exe : par->cmdline);
		break;
	case RL_F_PROC_ANAME:
	case RL_F_PROC_AEXE:
	case RL_F_PROC_AEXE_VERIFIED:
		if (f->indexed && f->index == 0) {
			if (f->id == RL_F_PROC_AEXE_VERIFIED) {
				if (te_proc_exe_verified(ev->proc))
					set_cstr(v, ev->exe);
			} else {
				set_cstr(v, f->id == RL_F_PROC_ANAME ? ev->comm : ev->exe);
			}
			break;
		}
		if (!ev->pt || !ev->proc)
			break;
		walk_ancestors(ev, s);
		if (f->indexed) {
			if (f->index <= s->nanc) {
				par = s->anc[f->index - 1];
				if (f->id == RL_F_PROC_AEXE_VERIFIED)
					set_cstr(v, te_proc_exe_verified(par) ? par->exe : NULL);
				else
					set_cstr(v, f->id == RL_F_PROC_ANAME ? par->comm : par->exe);
			}
			break;
		}
		v->type = TE_RV_LIST;
		v->anc = s->anc;
		v->nanc = s->nanc;
		v->anc_item = f->id == RL_F_PROC_ANAME ? RL_ANC_NAME
			      : f->id == RL_F_PROC_AEXE ? RL_ANC_EXE
							: RL_ANC_EXE_VERIFIED;
		break;
	case RL_F_PROC_IS_MEMFD:
		rv = event_arg(f, ev, NULL);
		set_num(v, (ev->exe && strncmp(ev->exe, "/memfd:", 7) == 0) ||
				   (rv && rv->type == TE_RV_NUM && rv->num != 0));
		break;
	case RL_F_USER_UID:
		set_num(v, ev->uid);
		break;
	case RL_F_USER_NAME:
		pthread_once(&sys_users_once, sys_users_load);
		p = rl_users_lookup(&sys_users, ev->uid);
		if (!p) {
			snprintf(s->num, sizeof(s->num), "%" PRIu32, ev->uid);
			p = s->num;
		}
		set_cstr(v, p);
		break;
	case RL_F_GROUP_GID:
		set_num(v, ev->gid);
		break;
	case RL_F_CONTAINER_ID:
		set_cstr(v, ev->container_id && *ev->container_id ? ev->container_id : "host");
		break;
	case RL_F_HOST_NAME:
		set_cstr(v, ev->hostname);
		break;
	case RL_F_FD_NAME:
		rv = event_arg(f, ev, NULL);
		if (rv && rv->type == TE_RV_STR)
			set_str(v, rv->str, rv->len);
		break;
	case RL_F_FD_DIRECTORY:
		if (fd_path(f, ev, &p, &n)) {
			const char *sl = last_slash(p, n);

			/* "/x" -> "/": the root keeps its slash. */
			set_str(v, p, sl == p ? 1 : (size_t)(sl - p));
		}
		break;
	case RL_F_FD_FILENAME:
		if (fd_path(f, ev, &p, &n)) {
			const char *sl = last_slash(p, n);

			set_str(v, sl + 1, n - (size_t)(sl + 1 - p));
		}
		break;
	}
}

bool rl_item_next(struct rl_item_it *it, const char **p, size_t *n)
{
	const struct rl_val *v = it->v;

	if (v->type != TE_RV_LIST)
		return false;
	if (v->anc) {
		while (it->pos < v->nanc) {
			struct te_proc *a = v->anc[it->pos++];
			const char *s = v->anc_item == RL_ANC_NAME ? a->comm
					: v->anc_item == RL_ANC_EXE || te_proc_exe_verified(a) ? a->exe
												  : NULL;

			if (s && *s) {
				*p = s;
				*n = strlen(s);
				return true;
			}
		}
		return false;
	}
	if (it->pos >= v->len)
		return false;
	*p = v->str + it->pos;
	*n = strnlen(*p, v->len - it->pos);
	it->pos += *n + 1;
	return true;
}

void rl_val_render(const struct rl_val *v, struct strbuf *sb)
{
	struct rl_item_it it;
	const char *p;
	size_t n;
	bool first = true;

	switch (v->type) {
	case TE_RV_NONE:
		sb_puts(sb, "<NA>");
		break;
	case TE_RV_NUM:
		if (!v->has_fmt) {
			sb_printf(sb, "%" PRId64, v->num);
			break;
		}
		switch (v->fmt) {
		case TE_FMT_HEX:
			sb_printf(sb, "0x%" PRIx64, (uint64_t)v->num);
			break;
		case TE_FMT_MODE:
			sb_printf(sb, "0%03" PRIo64, (uint64_t)v->num);
			break;
		case TE_FMT_BOOL:
			sb_puts(sb, v->num ? "true" : "false");
			break;
		case TE_FMT_UINT:
			sb_printf(sb, "%" PRIu64, (uint64_t)v->num);
			break;
		default:
			sb_printf(sb, "%" PRId64, v->num);
			break;
		}
		break;
	case TE_RV_STR:
		sb_put(sb, v->str, v->len);
		break;
	case TE_RV_LIST:
		rl_items(&it, v);
		while (rl_item_next(&it, &p, &n)) {
			if (!first)
				sb_putc(sb, ' ');
			sb_put(sb, p, n);
			first = false;
		}
		break;
	}
}
