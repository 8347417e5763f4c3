/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "loader.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "traceed.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool cap_effective(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

bool te_have_bpf_privileges(char *why, size_t whylen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	bool bpf, perfmon, admin;

	if (syscall(SYS_capget, &hdr, data) < 0) {
		snprintf(why, whylen, "cannot read capabilities: %s", strerror(errno));
		return false;
	}
	admin = cap_effective(data, CAP_SYS_ADMIN);
	bpf = cap_effective(data, CAP_BPF) || admin;
	perfmon = cap_effective(data, CAP_PERFMON) || admin;
	if (bpf && perfmon)
		return true;
	snprintf(why, whylen, "missing capability %s%s%s: run as root or grant them",
		 bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return false;
}

/* libbpf's lines ("libbpf: ...") through the log, at their level: its
 * warnings and notes as the maximum level allows, its debug chatter (the
 * verifier's log) only with TRACEED_DEBUG_BPF. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int prio = level == LIBBPF_WARN ? LOG_WARNING : level == LIBBPF_INFO ? LOG_INFO : LOG_DEBUG;

	if (level == LIBBPF_DEBUG ? !getenv("TRACEED_DEBUG_BPF") : prio > log_get_max_level())
		return 0;
	log_raw_v(prio, fmt, ap);
	return 0;
}

int te_loader_probe(const char *btf_path, struct te_features *f)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_path);
	struct traceed_bpf *skel;

	libbpf_set_print(libbpf_print);
	skel = traceed_bpf__open_opts(&oo);
	if (!skel)
		return -errno;
	memset(f, 0, sizeof(*f));
	te_probe(skel->obj, btf_path, f);
	traceed_bpf__destroy(skel);
	return 0;
}

/*
 * The rare ring's size: a quarter of the main one, at least 256 KiB.  What
 * goes there (exec, fork, exit, ptrace, setuid, mount, module loads...)
 * comes at a small fraction of the rate of opens and writes, but its
 * records are the big ones (an exec carries argv and paths, up to
 * TE_MAX_RECORD): 2 MiB next to the default 8 MiB holds some 250 exec
 * records at their largest and thousands of typical fork/exec/exit
 * triples, many times what a busy build spawns between two reads (100 ms).
 * 256 KiB still holds 32 records of the largest size when --buffer-size is
 * 1.  Both sizes are powers of two, as the kernel requires.
 */
#define RARE_MIN_BYTES (256u << 10)

static size_t rare_ring_bytes(size_t main_bytes)
{
	return main_bytes / 4 > RARE_MIN_BYTES ? main_bytes / 4 : RARE_MIN_BYTES;
}

/* --- the merge of the two rings --------------------------------------------
 *
 * The kernel writes each record to one of two rings; user space must see
 * them in the order things happened, because the process tree is kept from
 * the lifecycle events ("events_rare") and every other event is judged with
 * it: an open by a freshly exec'd image must not be taken for the old
 * image's (exe-based exceptions), nor an open just before an exec for the
 * new one's.
 *
 * Order within one ring is the order of reservation.  Across rings the
 * records carry hdr.ts, taken when the record was started (before it is
 * reserved), and for one task those grow: a task finishes (commits) a
 * record before it starts the next, and a forked child runs only after the
 * fork record is committed.  So:
 *   - "events_rare" records are never handed over straight from the ring:
 *     they are copied to a queue ("held"), sorted by ts;
 *   - before a record R of "events" is handed over, the rare ring is
 *     drained into the queue up to the first record newer than R: every
 *     rare record of R's task that came before R was committed before R
 *     was even started, so it was reserved before any record started after
 *     R, i.e. it comes earlier in the ring.  Then the queued records older
 *     than R go first;
 *   - when "events" has been read to its end (nothing reserved is left
 *     unread), every record queued before that check goes: whatever came
 *     before it on "events" in the same task was committed before it,
 *     hence read.
 * Records that stay queued across reads are newer than everything handed
 * over.  The queue holds at most a ring's worth (HELD_MAX_BYTES); past
 * that a drain stops and the rest waits in the kernel's ring, where a
 * flood of rare events is dropped and counted like any other.  The
 * positions are read from the rings' consumer and producer pages (mapped
 * read-only here; libbpf before 1.3 has no accessor), which is how a drain
 * that stopped at a record still being written is told from one that
 * reached the end.
 */

#define HELD_MAX_BYTES(l) ((l)->rare_bytes)
#define HELD_ALIGN(n) (((n) + 7) & ~(size_t)7)
#define DRAIN_SPINS 10000
/* on_rare's "stop draining here" (never leaves this file) */
#define TAKE_STOP (-ENOSPC)

static void *ring_pos_map(const struct te_loader *l, int map_fd)
{
	void *m = mmap(NULL, 2 * l->page_size, PROT_READ, MAP_SHARED, map_fd, 0);

	return m == MAP_FAILED ? NULL : m;
}

static unsigned long ring_cons(const void *pos)
{
	return __atomic_load_n((const unsigned long *)pos, __ATOMIC_ACQUIRE);
}

static unsigned long ring_prod(const struct te_loader *l, const void *pos)
{
	return __atomic_load_n((const unsigned long *)((const char *)pos + l->page_size),
			       __ATOMIC_ACQUIRE);
}

/* Has everything reserved in the ring so far been read? */
static bool ring_read_out(const struct te_loader *l, const void *pos)
{
	return ring_cons(pos) >= ring_prod(l, pos);
}

static uint64_t record_ts(const void *data, size_t size)
{
	uint64_t ts;

	if (size < sizeof(struct te_record_hdr))
		return 0;
	memcpy(&ts, (const char *)data + offsetof(struct te_record_hdr, ts), sizeof(ts));
	return ts;
}

/* Hand over the held records older than @before (all: UINT64_MAX). */
static void release_held(struct te_loader *l, uint64_t before)
{
	while (l->held_first < l->nheld && l->held[l->held_first].ts < before) {
		const struct te_held *h = &l->held[l->held_first++];

		l->held_live -= HELD_ALIGN(h->len);
		l->on_record(l->ctx, l->held_buf + h->off, h->len);
	}
	if (l->held_first == l->nheld)
		l->held_first = l->nheld = l->held_len = l->held_live = 0;
}

/* Room for one more entry and @size more bytes (the live records moved to
 * the front of a new buffer when the old one is used up). */
static int held_room(struct te_loader *l, size_t size)
{
	size_t cap, off = 0;
	unsigned char *buf;

	if (l->nheld == l->held_cap) {
		if (l->held_first > 0) {
			memmove(l->held, l->held + l->held_first,
				(l->nheld - l->held_first) * sizeof(*l->held));
			l->nheld -= l->held_first;
			l->held_first = 0;
		} else {
			size_t n = l->held_cap ? 2 * l->held_cap : 256;
			struct te_held *q = realloc(l->held, n * sizeof(*q));

			if (!q)
				return -ENOMEM;
			l->held = q;
			l->held_cap = n;
		}
	}
	size = HELD_ALIGN(size);
	if (l->held_len + size <= l->held_buf_cap)
		return 0;
	cap = l->held_buf_cap ? l->held_buf_cap : 64u << 10;
	while (cap < 2 * (l->held_live + size))
		cap *= 2;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (size_t i = l->held_first; i < l->nheld; i++) {
		memcpy(buf + off, l->held_buf + l->held[i].off, l->held[i].len);
		l->held[i].off = off;
		off += HELD_ALIGN(l->held[i].len);
	}
	free(l->held_buf);
	l->held_buf = buf;
	l->held_buf_cap = cap;
	l->held_len = off;
	return 0;
}

/*
 * libbpf callback of "events_rare": queue the record, in ts order, and
 * stop the drain (TAKE_STOP; the record is queued) at the first record
 * newer than take_before, or once the queue is full.  Outside take_rare()
 * take_before is 0, so the combined reader (l->rb) takes one record and
 * leaves the rest of the ring to take_rare().
 */
static int on_rare(void *ctx, void *data, size_t size)
{
	struct te_loader *l = ctx;
	uint64_t ts = record_ts(data, size);
	size_t i;

	if (held_room(l, size) < 0) {
		/* out of memory: give up the order, not the record */
		l->merge_unordered++;
		return l->on_record(l->ctx, data, size);
	}
	/* at an 8-byte aligned offset, like the ring's own samples */
	memcpy(l->held_buf + l->held_len, data, size);
	/* Per task the ring order is the ts order: an insertion from the
	 * end is mostly one comparison. */
	for (i = l->nheld; i > l->held_first && l->held[i - 1].ts > ts; i--)
		l->held[i] = l->held[i - 1];
	l->held[i] = (struct te_held){ .ts = ts, .off = l->held_len, .len = (uint32_t)size };
	l->nheld++;
	l->held_len += HELD_ALIGN(size);
	l->held_live += HELD_ALIGN(size);
	if (ts >= l->take_before || l->held_live >= HELD_MAX_BYTES(l))
		return TAKE_STOP;
	return 0;
}

/*
 * Queue the rare records that come before @before (a record of "events"
 * about to be handed over; UINT64_MAX: every record committed so far).
 * A drain stops at a record still being written (reserved, not
 * committed); what follows it may be committed already, so it is retried
 * until it gets past the position the producer had when we started.
 * Returns false when that did not happen: the queue is full (only with
 * UINT64_MAX: otherwise the records older than @before are handed over to
 * make room), or the spins ran out.
 */
static bool take_rare(struct te_loader *l, uint64_t before)
{
	unsigned long prod = ring_prod(l, l->pos_rare);
	bool done = true;

	l->take_before = before;
	for (unsigned spin = 0; ring_cons(l->pos_rare) < prod;) {
		int r = ring_buffer__consume(l->rb_rare);

		if (r == TAKE_STOP) {
			if (l->held_live < HELD_MAX_BYTES(l))
				break; /* at a record newer than @before: past what it needs */
			if (before == UINT64_MAX) {
				done = false;
				break;
			}
			release_held(l, before);
			if (l->held_live >= HELD_MAX_BYTES(l))
				break; /* all newer than @before: past what it needs */
			continue;
		}
		if (r < 0 || ++spin == DRAIN_SPINS) {
			l->merge_unordered += r >= 0;
			done = false;
			break;
		}
	}
	l->take_before = 0;
	return done;
}

/* libbpf callback of "events": the rare records that came first, then it. */
static int on_main(void *ctx, void *data, size_t size)
{
	struct te_loader *l = ctx;
	uint64_t ts = record_ts(data, size);

	take_rare(l, ts);
	release_held(l, ts);
	return l->on_record(l->ctx, data, size);
}

/* The two rings as one reader; libbpf's callbacks do the merge. */
static int rings_open(struct te_loader *l)
{
	int main_fd = bpf_map__fd(l->skel->maps.events);
	int rare_fd = bpf_map__fd(l->skel->maps.events_rare);

	l->rb = ring_buffer__new(main_fd, on_main, l, NULL);
	if (!l->rb)
		return -errno;
	if (ring_buffer__add(l->rb, rare_fd, on_rare, l) < 0)
		return -errno;
	/* libbpf 1.3 has ring__consume() for one ring of l->rb; before, a
	 * second reader of the same ring (the consumer position lives in the
	 * ring's shared page, so the two readers never disagree) */
	l->rb_rare = ring_buffer__new(rare_fd, on_rare, l, NULL);
	if (!l->rb_rare)
		return -errno;
	l->page_size = (size_t)sysconf(_SC_PAGESIZE);
	l->pos_main = ring_pos_map(l, main_fd);
	l->pos_rare = ring_pos_map(l, rare_fd);
	if (!l->pos_main || !l->pos_rare)
		return -errno;
	return 0;
}

int te_loader_start(struct te_loader *l, const struct te_loader_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = opts->btf_path);
	const struct te_selection *sel = opts->selection;
	struct bpf_program *prog;
	size_t ring_bytes = (size_t)opts->buffer_mib << 20;
	unsigned nprogs = 0;
	int err;

	memset(l, 0, sizeof(*l));
	l->merge_unordered_warn = 1;
	l->on_record = opts->on_record;
	l->ctx = opts->ctx;
	l->rare_bytes = rare_ring_bytes(ring_bytes);
	libbpf_set_print(libbpf_print);
	l->skel = traceed_bpf__open_opts(&oo);
	if (!l->skel) {
		return log_error_errno(errno, "opening the BPF object failed: %m");
	}
	te_probe(l->skel->obj, opts->btf_path, &l->features);
	if (!l->features.btf) {
		log_error("no kernel BTF at %s; use --btf FILE", l->features.btf_source);
		return -ENOENT;
	}

	/* Knobs fixed before load: our own tgid is never traced; wake the
	 * reader once an eighth of a ring is filled (it also polls). */
	l->skel->rodata->traceed_tgid = (__u32)getpid();
	l->skel->rodata->wakeup_bytes = (__u32)(ring_bytes / 8);
	l->skel->rodata->wakeup_bytes_rare = (__u32)(l->rare_bytes / 8);
	bpf_map__set_max_entries(l->skel->maps.events, ring_bytes);
	bpf_map__set_max_entries(l->skel->maps.events_rare, l->rare_bytes);

	/*
	 * Load what may be attached: the wanted events' programs, or with
	 * load_all every available one, so that a reload can attach programs
	 * for events the new rules need without reloading the object.
	 */
	bpf_object__for_each_program(prog, l->skel->obj) {
		int id = te_prog_event(prog);
		bool load = id >= 0 && l->features.ev[id].available &&
			    (opts->load_all || sel->send[id]);

		bpf_program__set_autoload(prog, load);
		nprogs += load;
	}
	if (nprogs == 0) {
		log_error("none of the selected events is available on this kernel "
			  "(see traceed --probe)");
		return -ENOENT;
	}

	err = traceed_bpf__load(l->skel);
	if (err)
		return log_error_errno(err, "loading the BPF programs failed: %m%s",
				       err == -EPERM ? " (missing CAP_BPF/CAP_PERFMON, or locked down "
						       "kernel)" : "");

	l->progs = calloc(nprogs, sizeof(*l->progs));
	l->links = calloc(nprogs, sizeof(*l->links));
	l->prog_event = calloc(nprogs, sizeof(*l->prog_event));
	if (!l->progs || !l->links || !l->prog_event)
		return -ENOMEM;
	bpf_object__for_each_program(prog, l->skel->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		l->progs[l->nprogs] = prog;
		l->prog_event[l->nprogs] = te_prog_event(prog);
		l->nprogs++;
	}

	err = te_loader_select(l, sel);
	if (err)
		return err;

	err = rings_open(l);
	if (err < 0)
		return log_error_errno(err, "ring buffer setup failed: %m");
	return 0;
}

/* Detach the programs of event @id. */
static void detach_event(struct te_loader *l, int id)
{
	for (unsigned i = 0; i < l->nprogs; i++) {
		if (l->prog_event[i] != id || !l->links[i])
			continue;
		bpf_link__destroy(l->links[i]);
		l->links[i] = NULL;
		l->nlinks--;
	}
}

/* Attach every program of event @id; all or none. */
static int attach_event(struct te_loader *l, int id)
{
	for (unsigned i = 0; i < l->nprogs; i++) {
		struct bpf_link *link;
		int err;

		if (l->prog_event[i] != id || l->links[i])
			continue;
		link = bpf_program__attach(l->progs[i]);
		if (!link) {
			err = log_warning_errno(errno, "attaching %s failed: %m; event %s disabled",
						bpf_program__section_name(l->progs[i]),
						te_event_by_id((uint32_t)id)->name);
			l->features.ev[id].available = false;
			snprintf(l->features.ev[id].reason, sizeof(l->features.ev[id].reason),
				 "attaching %s failed: %s", bpf_program__section_name(l->progs[i]),
				 strerror(-err));
			detach_event(l, id);
			return err;
		}
		l->links[i] = link;
		l->nlinks++;
	}
	return 0;
}

static bool event_loaded(const struct te_loader *l, int id)
{
	for (unsigned i = 0; i < l->nprogs; i++)
		if (l->prog_event[i] == id)
			return true;
	return false;
}

/* The wanted map's value for event @id. */
static int set_wanted(struct te_loader *l, int id, __u32 bits)
{
	__u32 key = (__u32)id;

	return bpf_map__update_elem(l->skel->maps.wanted, &key, sizeof(key), &bits, sizeof(bits), 0);
}

int te_loader_select(struct te_loader *l, const struct te_selection *sel)
{
	int err;

	for (int id = 0; id < TE_EV_MAX; id++) {
		bool want = sel->send[id] && l->features.ev[id].available;
		bool failed = want && sel->failed[id];
		__u32 bits = TE_WANT_SEND | (failed ? TE_WANT_FAILED : 0);

		if (want == l->kernel_wanted[id]) {
			/* attached or not as it should be; maybe other failures */
			if (want && failed != l->kernel_failed[id]) {
				err = set_wanted(l, id, bits);
				if (err)
					return log_error_errno(err, "selecting event %d failed: %m", id);
				l->kernel_failed[id] = failed;
			}
			continue;
		}
		if (!want) {
			/* Stop sending before detaching: no record of an event
			 * whose exit side is already gone. */
			set_wanted(l, id, 0);
			detach_event(l, id);
			l->kernel_wanted[id] = l->kernel_failed[id] = false;
			l->nattached_events--;
			continue;
		}
		if (!event_loaded(l, id)) {
			log_warning("event %s was not loaded at start; restart traceed to trace it",
				    te_event_by_id((uint32_t)id)->name);
			continue;
		}
		/* A hook that fails disables its event, not traceed. */
		if (attach_event(l, id) < 0)
			continue;
		/* Only now tell the programs to send: every hook is in place. */
		err = set_wanted(l, id, bits);
		if (err) {
			log_error_errno(err, "selecting event %d failed: %m", id);
			detach_event(l, id);
			return err;
		}
		l->kernel_wanted[id] = true;
		l->kernel_failed[id] = failed;
		l->nattached_events++;
	}
	return 0;
}

int te_loader_fd(struct te_loader *l)
{
	return ring_buffer__epoll_fd(l->rb);
}

/* Read passes of one te_loader_consume(): each reads "events" to its end
 * and takes a queue's worth of "events_rare". */
#define CONSUME_ROUNDS 8

int te_loader_consume(struct te_loader *l)
{
	/* A zero-timeout poll also empties the ring buffer's own epoll set,
	 * whose readiness the loop's epoll follows; then what was written
	 * without a wakeup. */
	int n = ring_buffer__poll(l->rb, 0), m;

	if (n < 0 && n != TAKE_STOP)
		return n;
	n = n < 0 ? 0 : n;
	for (unsigned round = 0; round < CONSUME_ROUNDS; round++) {
		bool rare_done;

		m = ring_buffer__consume(l->rb);
		if (m < 0 && m != TAKE_STOP)
			return m;
		n += m < 0 ? 0 : m;
		rare_done = take_rare(l, UINT64_MAX);
		/* "events" read to its end after every queued record was
		 * taken: they may all follow.  Otherwise read on first. */
		if (!ring_read_out(l, l->pos_main))
			continue;
		release_held(l, UINT64_MAX);
		if (rare_done)
			break;
	}
	if (l->merge_unordered >= l->merge_unordered_warn) {
		log_warning("%llu records of the two ring buffers were handed over out of order "
			    "(a record of events_rare kept being written, or no memory to queue it)",
			    (unsigned long long)l->merge_unordered);
		l->merge_unordered_warn = 2 * l->merge_unordered;
	}
	return n;
}

/* The per-CPU values of one key of a per-CPU array, summed. */
static int percpu_sum(const struct bpf_map *map, __u32 key, __u64 *vals, int ncpu, uint64_t *sum)
{
	int err = bpf_map__lookup_elem(map, &key, sizeof(key), vals, sizeof(*vals) * (size_t)ncpu, 0);

	*sum = 0;
	if (err)
		return err;
	for (int i = 0; i < ncpu; i++)
		*sum += vals[i];
	return 0;
}

uint64_t te_loader_stat(struct te_loader *l, enum te_stat which)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	__u64 *vals;

	if (ncpu <= 0 || !l->skel)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	percpu_sum(l->skel->maps.stats, which, vals, ncpu, &sum);
	free(vals);
	return sum;
}

int te_loader_lost_by_event(struct te_loader *l, uint64_t lost[TE_EV_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	int err = 0;

	memset(lost, 0, sizeof(*lost) * TE_EV_MAX);
	if (ncpu <= 0 || !l->skel)
		return ncpu <= 0 ? ncpu : 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 id = 0; id < TE_EV_MAX && err == 0; id++)
		err = percpu_sum(l->skel->maps.dropped, id, vals, ncpu, &lost[id]);
	free(vals);
	return err;
}

int te_loader_lost_since(struct te_loader *l, uint64_t lost[TE_EV_MAX])
{
	int err = te_loader_lost_by_event(l, lost);

	if (err)
		return err;
	for (int id = 0; id < TE_EV_MAX; id++) {
		uint64_t total = lost[id];

		/* a counter that went back was reset behind our back */
		lost[id] = total >= l->lost_seen[id] ? total - l->lost_seen[id] : total;
		l->lost_seen[id] = total;
	}
	return 0;
}

unsigned te_loader_lost_names(const uint64_t lost[TE_EV_MAX], unsigned top, char *buf,
			      size_t len)
{
	bool shown[TE_EV_MAX] = { false };
	unsigned nlost = 0, nshown = 0;
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (int id = 0; id < TE_EV_MAX; id++)
		nlost += lost[id] > 0;
	/* the biggest first; a handful of passes over 128 counters */
	while (nshown < top && nshown < nlost) {
		const struct te_event_desc *d;
		int best = -1;
		int w;

		for (int id = 0; id < TE_EV_MAX; id++)
			if (lost[id] && !shown[id] && (best < 0 || lost[id] > lost[best]))
				best = id;
		shown[best] = true;
		d = te_event_by_id((uint32_t)best);
		w = snprintf(buf + used, len - used, "%s%s %llu", nshown ? ", " : "",
			     d ? d->name : "?", (unsigned long long)lost[best]);
		if (w < 0 || (size_t)w >= len - used)
			return nlost;
		used += (size_t)w;
		nshown++;
	}
	if (nlost > nshown)
		snprintf(buf + used, len - used, ", and %u more event%s", nlost - nshown,
			 nlost - nshown == 1 ? "" : "s");
	return nlost;
}

void te_loader_stop(struct te_loader *l)
{
	ring_buffer__free(l->rb);
	ring_buffer__free(l->rb_rare);
	if (l->pos_main)
		munmap(l->pos_main, 2 * l->page_size);
	if (l->pos_rare)
		munmap(l->pos_rare, 2 * l->page_size);
	free(l->held);
	free(l->held_buf);
	for (unsigned i = 0; i < l->nprogs; i++)
		bpf_link__destroy(l->links[i]);
	free(l->links);
	free(l->progs);
	free(l->prog_event);
	traceed_bpf__destroy(l->skel);
	memset(l, 0, sizeof(*l));
}
