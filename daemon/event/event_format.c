// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Event printing for --foreground (and the event socket): Tracee-style JSON
 * objects and a tracee-ebpf-style table.  Hand-written JSON emission: this
 * runs for every event, and writing into a reused strbuf allocates nothing,
 * where building a json-c object tree would allocate per key.
 *
 * JSON, one object per event, keys in this order (Tracee's trace.Event):
 *   timestamp         wall-clock ns (integer)
 *   threadStartTime   wall-clock ns of the thread's start when known (the
 *                     main thread of a process whose start the process
 *                     tree knows), else 0
 *   processorId       0: not collected
 *   processId threadId parentProcessId               in the task's pid ns
 *   hostProcessId hostThreadId hostParentProcessId   in the init pid ns
 *   cgroupId userId mountNamespace pidNamespace processName
 *   executable        {"path": exe from the process tree, or "",
 *                      "verified": te_proc_exe_verified} (traceed's own
 *                     member: the kernel vouches for the path)
 *   hostName containerId
 *   eventId           a string ("31"): Tracee marshals it with
 *                     `json:"eventId,string"`, so consumers of Tracee's
 *                     output expect a string
 *   eventName argsNum returnValue
 *   syscall           the event name for syscall events, "" for the others
 *   args              [{"name","type","value"}]: only the arguments the
 *                     kernel sent; an absent one is left out rather than
 *                     shown as null, and argsNum counts what is listed
 *   truncated         true, only when an argument was cut by the kernel
 *   targetsTraceed    true, only when the event is a signal, ptrace or
 *                     process_vm_* call aimed at traceed itself (traceed's
 *                     own member: the evidence says so, and replay sees it)
 * matchedPolicies is omitted: traceed has rules, not Tracee policies.
 * "type" is the schema's Tracee type; "value" is decoded (argfmt.c).
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "event_format.h"
#include "utf8.h"

static bool is_syscall_event(const struct te_event_desc *d)
{
	return strncmp(d->hook, "syscalls/", 9) == 0;
}

static size_t comm_len(const char *comm)
{
	const char *nul = memchr(comm, '\0', TE_COMM_LEN);
	return nul ? (size_t)(nul - comm) : TE_COMM_LEN;
}

void te_output_json(struct strbuf *sb, const struct te_output_ctx *ctx,
		    const struct te_event *ev, const struct te_proc *proc)
{
	const struct te_record_hdr *h = &ev->hdr;
	const struct te_event_desc *d = ev->desc;
	const char *exe = proc && proc->exe ? proc->exe : "";
	const char *host = ctx && ctx->hostname ? ctx->hostname : "";
	const char *cid = proc ? proc->container_id : "";
	uint64_t thread_start = 0;
	unsigned int nargs = 0;

	/* start_ns is boot time; wall_ns - ts is this event's boot->wall offset */
	if (proc && proc->start_ns && h->tid == h->pid)
		thread_start = proc->start_ns + (ev->wall_ns - h->ts);

	for (unsigned int i = 0; d && i < d->nargs; i++)
		nargs += ev->args[i].present;

	sb_printf(sb,
		  "{\"timestamp\":%" PRIu64 ",\"threadStartTime\":%" PRIu64
		  ",\"processorId\":0,\"processId\":%u,\"cgroupId\":%" PRIu64
		  ",\"threadId\":%u,\"parentProcessId\":%u,\"hostProcessId\":%u"
		  ",\"hostThreadId\":%u,\"hostParentProcessId\":%u,\"userId\":%u"
		  ",\"mountNamespace\":%u,\"pidNamespace\":%u,\"processName\":",
		  ev->wall_ns, thread_start, h->ns_pid, (uint64_t)h->cgroup_id, h->ns_tid,
		  h->ns_ppid, h->pid, h->tid, h->ppid, h->uid, h->mntns, h->pidns);
	sb_json_str(sb, h->comm, comm_len(h->comm));
	sb_puts(sb, ",\"executable\":{\"path\":");
	sb_json_str(sb, exe, strlen(exe));
	/* whether the kernel vouches for the path (proctree.h), so that a
	 * replay judges exceptions as the live run did; the check only fills
	 * the entry's cache, hence the cast */
	sb_printf(sb, ",\"verified\":%s},\"hostName\":",
		  te_proc_exe_verified((struct te_proc *)proc) ? "true" : "false");
	sb_json_str(sb, host, strlen(host));
	sb_puts(sb, ",\"containerId\":");
	sb_json_str(sb, cid, strnlen(cid, TE_CONTAINER_ID_LEN));
	sb_printf(sb, ",\"eventId\":\"%u\",\"eventName\":", (unsigned int)h->event_id);
	if (d)
		sb_json_str(sb, d->name, strlen(d->name));
	else
		sb_puts(sb, "\"\"");
	sb_printf(sb, ",\"argsNum\":%u,\"returnValue\":%" PRId64 ",\"syscall\":", nargs,
		  (int64_t)h->retval);
	if (d && is_syscall_event(d))
		sb_json_str(sb, d->name, strlen(d->name));
	else
		sb_puts(sb, "\"\"");
	sb_puts(sb, ",\"args\":[");
	for (unsigned int i = 0, n = 0; d && i < d->nargs; i++) {
		const struct te_arg_desc *ad = &d->args[i];

		if (!ev->args[i].present)
			continue;
		if (n++)
			sb_putc(sb, ',');
		sb_puts(sb, "{\"name\":");
		sb_json_str(sb, ad->name, strlen(ad->name));
		sb_puts(sb, ",\"type\":");
		sb_json_str(sb, ad->type, strlen(ad->type));
		sb_puts(sb, ",\"value\":");
		te_arg_json(sb, ad, &ev->args[i]);
		sb_putc(sb, '}');
	}
	sb_putc(sb, ']');
	if (ev->truncated)
		sb_puts(sb, ",\"truncated\":true");
	if (ctx && te_event_targets_pid(ev, ctx->self_pid))
		sb_puts(sb, ",\"targetsTraceed\":true");
	sb_putc(sb, '}');
}

/*
 * Table, tracee-ebpf's layout: TIME is HH:MM:SS.microseconds in UTC (the
 * same instant as the JSON timestamp, independent of the daemon's TZ and
 * of a localtime lookup per event), PID/TID are host ids.
 */
#define TABLE_FMT "%-16s %-6s %-16s %-7s %-7s %-16s %-25s %s\n"

void te_output_table_header(struct strbuf *sb)
{
	sb_printf(sb, TABLE_FMT, "TIME", "UID", "COMM", "PID", "TID", "RET", "EVENT", "ARGS");
}

/* Make what was written since @from safe for a terminal: argument text is
 * raw (paths, argv) and must not drive the terminal it is printed on. */
static void sanitize_from(struct strbuf *sb, size_t from)
{
	te_utf8_sanitize_terminal(sb->p + from, sb->len - from);
}

void te_output_table(struct strbuf *sb, const struct te_output_ctx *ctx,
		     const struct te_event *ev, const struct te_proc *proc)
{
	const struct te_record_hdr *h = &ev->hdr;
	const struct te_event_desc *d = ev->desc;
	time_t secs = (time_t)(ev->wall_ns / 1000000000u);
	struct tm tm;
	size_t start;

	(void)ctx;
	(void)proc;
	if (!gmtime_r(&secs, &tm))
		memset(&tm, 0, sizeof(tm));

	sb_printf(sb, "%02d:%02d:%02d.%06u  %-6u ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		  (unsigned int)(ev->wall_ns % 1000000000u / 1000u), h->uid);
	start = sb->len;
	sb_printf(sb, "%-16.*s", (int)comm_len(h->comm), h->comm);
	sanitize_from(sb, start);
	sb_printf(sb, " %-7u %-7u %-16" PRId64 " %-25s ", h->pid, h->tid, (int64_t)h->retval,
		  d ? d->name : "?");

	start = sb->len;
	for (unsigned int i = 0, n = 0; d && i < d->nargs; i++) {
		if (!ev->args[i].present)
			continue;
		if (n++)
			sb_puts(sb, ", ");
		sb_puts(sb, d->args[i].name);
		sb_puts(sb, ": ");
		te_arg_text(sb, &d->args[i], &ev->args[i]);
	}
	sanitize_from(sb, start);
	if (ev->truncated)
		sb_puts(sb, " (truncated)");
	sb_putc(sb, '\n');
}
