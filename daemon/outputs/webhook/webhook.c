/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Webhook delivery: per output a mutex-protected queue (memory + spool) fed
 * by te_webhooks_submit() on the event loop, and a worker thread that sends
 * the oldest undelivered detection (te_http_send(), webhook_http.c) until it
 * is acknowledged.
 * The contract is in webhook.h; the user-facing story in docs/webhooks.md.
 *
 * Ids.  Every payload queued to an output gets the next id (next_id); all
 * ids below head are settled (delivered, rejected or dropped).  A payload
 * is available while it is in the memory queue (the newest ids,
 * [mem_first, next_id)) or in the spool (te_spool_find).
 *
 * Dropped.  A payload is counted as dropped the moment it stops being
 * available, not when delivery reaches it: the spool, full, removed it to
 * make room (lowest severity first, so the lost ids are anywhere above
 * head, and an outage may last long) or refused it (te_spool_append()
 * reports both), or the memory queue evicted its only copy (spool not
 * writable).  dropped_ahead counts those ids at or above head; resolve()
 * moves head over them without counting them again, and queued = next_id -
 * head - dropped_ahead.  The payload in flight is the exception: lost
 * during its transfer, it is settled by the outcome (delivered, rejected,
 * or dropped when it is to be retried and is gone).  So every submitted
 * payload ends up in exactly one of delivered, rejected or dropped (or
 * stays queued), and a drop is logged while the outage lasts.
 *
 * The mutex is held for bookkeeping and for the spool's write(2)/pread(2)
 * (page cache), never across a transfer, an fsync or a log line, so the
 * event loop never waits for the network or the disk's flush.
 */
#include "webhook.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "detection.h"
#include "log.h"
#include "webhook_internal.h"

/* fdatasync new spool data at most this long after it was appended. */
#define TE_WEBHOOK_SYNC_MS 1000
/* The memory queue of one output: newest payloads, bounded both ways. */
#define MEM_MAX_ENTRIES 4096u
#define MEM_MAX_BYTES (4u * 1024 * 1024)
/* First retry after about this long, doubling up to max_backoff. */
#define BACKOFF_BASE_MS 500u
/* Log intervals: a failing endpoint, rejections, drops and spool errors. */
#define LOG_FAIL_NS (30 * NSEC_PER_SEC)
#define LOG_OTHER_NS (10 * NSEC_PER_SEC)

#define NO_ID UINT64_MAX

struct mem_ent {
	uint64_t id;
	char *body;
	size_t len;
	enum te_severity sev;
	bool on_disk; /* the spool decides: it has the payload, or dropped it */
};

struct output {
	struct te_webhooks *w;
	const struct te_webhook_opts *o;
	char *spool_path;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stopping; /* also read by te_http_send() to abort a transfer */

	/* ---- under mu ---- */
	struct te_spool *spool;
	bool loaded;            /* the spool is ours and read */
	bool spool_ok;          /* ... and writable: appends go there */
	bool waiting_lock;      /* another instance still holds the spool */
	uint64_t next_id, head, inflight;
	struct mem_ent *mem;    /* ring of MEM_MAX_ENTRIES */
	size_t mem_start, mem_n, mem_bytes;
	bool unsynced;
	uint64_t delivered, retried, rejected, dropped;
	uint64_t dropped_ahead; /* ids >= head counted as dropped already */
	/* waiting to be logged by the worker */
	uint64_t rep_dropped, rep_spool_err;
	int rep_spool_errno;
	char rep_note[1024];
	int rep_note_level;     /* LOG_WARNING, LOG_INFO */

	/* ---- worker only ---- */
	struct te_http *http;
	struct strbuf body;
	uint64_t rng;
	unsigned attempts;
	uint64_t retry_at, last_sync, fail_since, fail_log_at, fail_held;
	uint64_t reject_log_at, reject_held, drop_log_at;
};

struct te_webhooks {
	struct te_webhook_opts *opts;
	size_t nopts;
	struct output *out;
	size_t n;
	char *hostname;
	uint64_t seed[2];
	uint64_t uuid_counter;
	struct strbuf fsk, own;   /* payload scratch, event loop only */
	struct te_webhook_test_detection test;
	bool test_ok;
};

static uint64_t now_ns(void)
{
	return te_now_ns(CLOCK_MONOTONIC);
}

/* "webhook NAME: ..." at @level; one write per line (log.h): the workers
 * and the event loop log concurrently. */
__attribute__((format(printf, 3, 4)))
static void logf_(const struct output *o, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_full(level, "webhook %s: %s", o->o->name, msg);
}

/* ---- the memory queue (under mu) ---------------------------------------- */

/* @n payloads at or above head stopped being available: count them now. */
static void count_dropped(struct output *o, uint64_t n)
{
	o->dropped += n;
	o->rep_dropped += n;
	o->dropped_ahead += n;
}

static uint64_t queued(const struct output *o)
{
	uint64_t q = o->next_id - o->head;

	return o->dropped_ahead < q ? q - o->dropped_ahead : 0;
}

static uint64_t mem_first(const struct output *o)
{
	return o->next_id - o->mem_n; /* the ring holds the newest ids */
}

static struct mem_ent *mem_at(struct output *o, uint64_t id)
{
	return &o->mem[(o->mem_start + (id - mem_first(o))) % MEM_MAX_ENTRIES];
}

static void mem_pop(struct output *o)
{
	struct mem_ent *e = &o->mem[o->mem_start];

	/* the only copy of an unsettled payload (one in flight is settled by
	 * its transfer) */
	if (!e->on_disk && e->id >= o->head && e->id != o->inflight)
		count_dropped(o, 1);
	o->mem_bytes -= e->len;
	free(e->body);
	e->body = NULL;
	o->mem_start = (o->mem_start + 1) % MEM_MAX_ENTRIES;
	o->mem_n--;
}

/* Queue a payload: id next_id.  The caller has tried the spool. */
static void mem_push(struct output *o, const char *p, size_t len, enum te_severity sev,
		     bool on_disk)
{
	char *copy;

	while (o->mem_n && (o->mem_n >= MEM_MAX_ENTRIES || o->mem_bytes + len > MEM_MAX_BYTES))
		mem_pop(o);
	copy = len <= MEM_MAX_BYTES ? malloc(len ? len : 1) : NULL;
	if (!copy) {
		/* not in memory: only the spool has it (or nobody: a gap) */
		while (o->mem_n)
			mem_pop(o);
		if (!on_disk)
			count_dropped(o, 1);
		o->next_id++;
		return;
	}
	memcpy(copy, p, len);
	o->mem[(o->mem_start + o->mem_n) % MEM_MAX_ENTRIES] = (struct mem_ent){
		.id = o->next_id, .body = copy, .len = len, .sev = sev, .on_disk = on_disk
	};
	o->mem_n++;
	o->mem_bytes += len;
	o->next_id++;
}

/* Memory entries below head are settled. */
static void mem_trim(struct output *o)
{
	while (o->mem_n && mem_first(o) < o->head)
		mem_pop(o);
}

/*
 * Append to the spool, counting what it removed to make room.  The payload
 * in flight (head), if removed, is left to its transfer's outcome.
 */
static int spool_put(struct output *o, uint64_t id, enum te_severity sev, const char *p,
		     size_t len)
{
	struct te_spool_evicted ev;
	int r = te_spool_append(o->spool, id, sev, p, len, &ev);

	if (ev.head && ev.pending && o->inflight == o->head)
		ev.pending--;
	count_dropped(o, ev.pending);
	return r;
}

static void enqueue_locked(struct output *o, const char *p, size_t len, enum te_severity sev)
{
	bool on_disk = false;

	if (o->loaded && o->spool_ok) {
		int r = spool_put(o, o->next_id, sev, p, len);

		if (r == 0) {
			on_disk = true;
			o->unsynced = true;
		} else if (r == TE_SPOOL_REFUSED) {
			/* full of more severe ones: dropped, as if evicted at
			 * once; an empty entry keeps the ids contiguous */
			count_dropped(o, 1);
			mem_push(o, "", 0, sev, true);
			return;
		} else {
			o->rep_spool_err++;
			o->rep_spool_errno = -r;
		}
	}
	mem_push(o, p, len, sev, on_disk);
}

static bool in_mem(struct output *o, uint64_t id)
{
	return o->mem_n && id >= mem_first(o) && id < o->next_id;
}

/*
 * Is @id still to be sent?  The spool is authoritative for what was written
 * to it: a payload whose segment was removed to respect spool_max_mib (or
 * that it refused) is dropped even if the memory queue still has a copy,
 * so the limit means the same whether or not the daemon restarts.  A
 * payload the spool could not take (write error) lives as long as its
 * memory copy.
 */
static bool available(struct output *o, uint64_t id)
{
	uint64_t got;

	if (in_mem(o, id) && !mem_at(o, id)->on_disk)
		return true;
	return o->spool_ok && te_spool_find(o->spool, id, &got) && got == id;
}

/* The first available id after @id (which is not), or next_id. */
static uint64_t next_available(struct output *o, uint64_t id)
{
	uint64_t nxt = o->next_id, got;

	if (o->spool_ok && te_spool_find(o->spool, id, &got) && got < nxt)
		nxt = got;
	for (uint64_t i = o->mem_n && id < mem_first(o) ? mem_first(o) : id; i < nxt && in_mem(o, i);
	     i++)
		if (!mem_at(o, i)->on_disk)
			return i;
	return nxt;
}

/* Move head over what is no longer available, counted as dropped when it
 * was lost (see the top of the file). */
static void resolve(struct output *o)
{
	uint64_t nxt, gap, before = o->head;

	if (!o->loaded)
		return;
	while (o->head < o->next_id && o->head != o->inflight && !available(o, o->head)) {
		nxt = next_available(o, o->head);
		gap = nxt - o->head;
		if (gap <= o->dropped_ahead) {
			o->dropped_ahead -= gap;
		} else {
			/* gone without anyone noticing (a segment file
			 * removed underneath us): counted now */
			o->dropped += gap - o->dropped_ahead;
			o->rep_dropped += gap - o->dropped_ahead;
			o->dropped_ahead = 0;
		}
		o->head = nxt;
	}
	if (o->head != before) {
		mem_trim(o);
		if (o->spool_ok)
			(void)te_spool_ack(o->spool, o->head);
	}
	/* leave the spool's reader on head for the worker's te_spool_read() */
	if (o->head < o->next_id && !in_mem(o, o->head) && o->spool_ok) {
		uint64_t got;

		(void)te_spool_find(o->spool, o->head, &got);
	}
}

/* ---- taking the spool over ---------------------------------------------- */

/*
 * Read the spool (lock already taken) and put what was submitted meanwhile
 * (memory only, ids from 0) after what it holds.  Called without mu by the
 * worker, or from te_webhooks_new()/free() when no worker runs.
 */
static void load_spool(struct output *o)
{
	uint64_t dhead = 0, dnext = 0, dpending = 0;
	char note[512];
	int r;

	r = te_spool_load(o->spool, &dhead, &dnext, &dpending, note, sizeof(note));
	pthread_mutex_lock(&o->mu);
	if (r < 0) {
		snprintf(o->rep_note, sizeof(o->rep_note),
			 "cannot read the spool %s: %s; detections are kept in memory only",
			 o->spool_path, strerror(-r));
		o->rep_note_level = LOG_ERR;
		o->spool_ok = false;
		o->loaded = true;
		pthread_mutex_unlock(&o->mu);
		return;
	}
	if (note[0]) {
		snprintf(o->rep_note, sizeof(o->rep_note), "spool %s: %s", o->spool_path, note);
		o->rep_note_level = LOG_WARNING;
	} else if (dpending) {
		snprintf(o->rep_note, sizeof(o->rep_note),
			 "%" PRIu64 " undelivered detections in the spool, sending them first",
			 dpending);
		o->rep_note_level = LOG_INFO;
	}
	/* renumber the memory entries after the spool's */
	for (size_t i = 0; i < o->mem_n; i++)
		o->mem[(o->mem_start + i) % MEM_MAX_ENTRIES].id += dnext;
	o->next_id += dnext;
	o->head = dhead;
	/* ids in [dhead, dnext) the spool does not hold were dropped, and
	 * counted, by the instance that wrote it */
	if (dnext - dhead > dpending)
		o->dropped_ahead += dnext - dhead - dpending;
	o->loaded = true;
	o->spool_ok = true;
	o->waiting_lock = false;
	for (size_t i = 0; i < o->mem_n; i++) {
		struct mem_ent *e = &o->mem[(o->mem_start + i) % MEM_MAX_ENTRIES];

		r = spool_put(o, e->id, e->sev, e->body, e->len);
		if (r == 0 || r == TE_SPOOL_REFUSED) {
			e->on_disk = true;
			o->unsynced |= r == 0;
			if (r == TE_SPOOL_REFUSED)
				count_dropped(o, 1);
		}
	}
	pthread_mutex_unlock(&o->mu);
}

/* ---- backoff (worker) ------------------------------------------------- */

static uint64_t rng_next(struct output *o)
{
	/* xorshift64*: jitter only */
	o->rng ^= o->rng >> 12;
	o->rng ^= o->rng << 25;
	o->rng ^= o->rng >> 27;
	return o->rng * 0x2545F4914F6CDD1Dull;
}

/* Exponential backoff with "equal jitter": half the step fixed, half random,
 * so a fleet of daemons does not retry in lockstep after an outage. */
static uint64_t backoff_ns(struct output *o, uint64_t retry_after_s)
{
	uint64_t max = (uint64_t)o->o->max_backoff_s * NSEC_PER_SEC;
	uint64_t step = (uint64_t)BACKOFF_BASE_MS * 1000000ull;
	uint64_t d;

	for (unsigned i = 1; i < o->attempts && step < max; i++)
		step *= 2;
	if (step > max)
		step = max;
	d = step / 2 + rng_next(o) % (step / 2 + 1);
	if (retry_after_s) {
		uint64_t ra = retry_after_s * NSEC_PER_SEC;

		if (ra > max)
			ra = max;
		if (ra > d)
			d = ra;
	}
	return d;
}

/* ---- the worker ---------------------------------------------------------- */

/* Log what the submit side and resolve() left for us (no lock held). */
static void report(struct output *o, uint64_t now, bool force)
{
	uint64_t dropped = 0, total = 0, spool_err = 0;
	char note[sizeof(o->rep_note)];
	int err = 0, note_level;

	pthread_mutex_lock(&o->mu);
	memcpy(note, o->rep_note, sizeof(note));
	note_level = o->rep_note_level;
	o->rep_note[0] = '\0';
	if (o->rep_dropped && (force || now >= o->drop_log_at)) {
		dropped = o->rep_dropped;
		total = o->dropped;
		o->rep_dropped = 0;
		o->drop_log_at = now + LOG_OTHER_NS;
	}
	if (o->rep_spool_err && (force || now >= o->drop_log_at)) {
		spool_err = o->rep_spool_err;
		err = o->rep_spool_errno;
		o->rep_spool_err = 0;
		o->drop_log_at = now + LOG_OTHER_NS;
	}
	pthread_mutex_unlock(&o->mu);
	if (note[0])
		logf_(o, note_level, "%s", note);
	if (dropped)
		logf_(o, LOG_ERR,
		      "spool full (spool_max_mib %u): dropped %" PRIu64
		      " undelivered detections, the lowest severity first (%" PRIu64 " in total)",
		      o->o->spool_max_mib, dropped, total);
	if (spool_err)
		logf_(o, LOG_ERR,
		      "cannot write the spool %s (%s): %" PRIu64
		      " detections kept in memory only, lost if traceed stops before they are "
		      "delivered",
		      o->spool_path, strerror(err), spool_err);
}

static void sync_spool(struct output *o, uint64_t now)
{
	struct te_spool_sync sy;
	bool take = false;
	int r;

	if (now < o->last_sync + (uint64_t)TE_WEBHOOK_SYNC_MS * 1000000ull)
		return;
	pthread_mutex_lock(&o->mu);
	if (o->unsynced && o->spool_ok) {
		take = te_spool_sync_take(o->spool, &sy);
		o->unsynced = false;
	}
	pthread_mutex_unlock(&o->mu);
	if (!take)
		return;
	o->last_sync = now;
	r = te_spool_sync_run(o->spool, &sy);
	if (r < 0)
		logf_(o, LOG_WARNING, "cannot sync the spool %s: %s", o->spool_path, strerror(-r));
}

/* The next time the worker must wake up without being signalled. */
static uint64_t next_wakeup(struct output *o, uint64_t now)
{
	uint64_t t = UINT64_MAX;

	if (!o->loaded)
		t = now + 100000000ull; /* polling the lock */
	if (o->unsynced) {
		uint64_t s = o->last_sync + (uint64_t)TE_WEBHOOK_SYNC_MS * 1000000ull;

		t = s < t ? s : t;
	}
	if (o->rep_dropped || o->rep_spool_err)
		t = o->drop_log_at < t ? o->drop_log_at : t;
	if (o->head < o->next_id && o->retry_at > now && o->retry_at < t)
		t = o->retry_at;
	return t;
}

static void wait_until(struct output *o, uint64_t t)
{
	struct timespec ts;

	if (t == UINT64_MAX) {
		pthread_cond_wait(&o->cond, &o->mu);
		return;
	}
	ts.tv_sec = (time_t)(t / NSEC_PER_SEC);
	ts.tv_nsec = (long)(t % NSEC_PER_SEC);
	pthread_cond_timedwait(&o->cond, &o->mu, &ts);
}

static void handle_result(struct output *o, uint64_t id, const struct te_http_result *res,
			  uint64_t now)
{
	uint64_t nq;
	bool was_failing = o->fail_since != 0;

	pthread_mutex_lock(&o->mu);
	o->inflight = NO_ID;
	if (res->what == TE_HTTP_SENT || res->what == TE_HTTP_REJECTED) {
		if (res->what == TE_HTTP_SENT)
			o->delivered++;
		else
			o->rejected++;
		if (id == o->head) {
			o->head++;
			mem_trim(o);
			if (o->spool_ok)
				(void)te_spool_ack(o->spool, o->head);
		}
	} else {
		if (res->what == TE_HTTP_RETRY)
			o->retried++;
		/* lost while in flight (see spool_put, mem_pop): now it
		 * counts */
		if (id == o->head && !available(o, id))
			count_dropped(o, 1);
	}
	nq = queued(o);
	pthread_mutex_unlock(&o->mu);

	if (res->what == TE_HTTP_RETRY) {
		o->attempts++;
		o->retry_at = now + backoff_ns(o, res->retry_after_s);
		if (!was_failing) {
			o->fail_since = now;
			o->fail_held = 0;
			o->fail_log_at = now + LOG_FAIL_NS;
			logf_(o, LOG_WARNING,
			      "delivery to %s failed: %s; retrying with backoff (%" PRIu64 " queued)",
			      o->o->url_public, res->why, nq);
		} else if (now >= o->fail_log_at) {
			logf_(o, LOG_WARNING,
			      "delivery to %s still failing: %s; %" PRIu64
			      " more failed attempts, %" PRIu64 " queued",
			      o->o->url_public, res->why, o->fail_held + 1, nq);
			o->fail_held = 0;
			o->fail_log_at = now + LOG_FAIL_NS;
		} else {
			o->fail_held++;
		}
		return;
	}
	if (res->what == TE_HTTP_ABORTED)
		return;
	if (was_failing) {
		logf_(o, LOG_NOTICE,
		      "delivering to %s again after %u failed attempts over %" PRIu64 " s",
		      o->o->url_public, o->attempts, (uint64_t)((now - o->fail_since) / NSEC_PER_SEC));
		o->fail_since = 0;
	}
	o->attempts = 0;
	o->retry_at = 0;
	if (res->what == TE_HTTP_REJECTED) {
		if (now >= o->reject_log_at) {
			if (o->reject_held)
				logf_(o, LOG_ERR,
				      "%s rejected a detection, not retried: %s (and %" PRIu64
				      " more not logged)",
				      o->o->url_public, res->why, o->reject_held);
			else
				logf_(o, LOG_ERR, "%s rejected a detection, not retried: %s",
				      o->o->url_public, res->why);
			o->reject_held = 0;
			o->reject_log_at = now + LOG_OTHER_NS;
		} else {
			o->reject_held++;
		}
	}
}

static void *worker(void *arg)
{
	struct output *o = arg;
	int r;

	r = te_http_new(o->o, &o->http);
	if (r < 0)
		logf_(o, LOG_ERR, "cannot set up libcurl: %s; nothing will be sent", strerror(-r));

	for (;;) {
		struct te_http_result res;
		uint64_t now = now_ns(), id;
		bool have = false;

		report(o, now, false);
		sync_spool(o, now);

		pthread_mutex_lock(&o->mu);
		if (o->stopping) {
			pthread_mutex_unlock(&o->mu);
			break;
		}
		if (!o->loaded) {
			r = te_spool_trylock(o->spool);
			if (r == 0) {
				pthread_mutex_unlock(&o->mu);
				load_spool(o);
				continue;
			}
			if (r != -EAGAIN) {
				snprintf(o->rep_note, sizeof(o->rep_note),
					 "cannot lock the spool %s: %s; detections are kept in memory "
					 "only",
					 o->spool_path, strerror(-r));
				o->rep_note_level = LOG_ERR;
				o->loaded = true;
				o->spool_ok = false;
				pthread_mutex_unlock(&o->mu);
				continue;
			}
			/* normal during a reload: the old instance is stopping */
			o->waiting_lock = true;
		}
		resolve(o);
		now = now_ns();
		if (o->loaded && o->http && o->head < o->next_id && now >= o->retry_at) {
			id = o->head;
			if (in_mem(o, id)) {
				struct mem_ent *e = mem_at(o, id);

				sb_reset(&o->body);
				sb_put(&o->body, e->body, e->len);
				have = !o->body.oom;
			} else {
				r = te_spool_read(o->spool, &o->body);
				if (r == 0) {
					have = true;
				} else {
					/* unreadable: the gap is counted by resolve() */
					snprintf(o->rep_note, sizeof(o->rep_note),
						 "cannot read detection %" PRIu64 " from the spool %s: %s",
						 id, o->spool_path, strerror(-r));
					o->rep_note_level = LOG_ERR;
					o->dropped++;
					o->rep_dropped++;
					o->head++;
					if (o->spool_ok)
						(void)te_spool_ack(o->spool, o->head);
					pthread_mutex_unlock(&o->mu);
					continue;
				}
			}
		}
		if (!have) {
			wait_until(o, next_wakeup(o, now));
			pthread_mutex_unlock(&o->mu);
			continue;
		}
		o->inflight = id;
		pthread_mutex_unlock(&o->mu);

		te_http_send(o->http, o->body.p, o->body.len, &o->stopping, &res);
		handle_result(o, id, &res, now_ns());
	}
	report(o, now_ns(), true);
	te_http_free(o->http);
	o->http = NULL;
	return NULL;
}

/* ---- public API ---------------------------------------------------------- */

static void output_fini(struct output *o)
{
	while (o->mem_n)
		mem_pop(o);
	free(o->mem);
	te_spool_free(o->spool);
	free(o->spool_path);
	sb_free(&o->body);
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cond);
}

/* After the worker stopped: keep everything undelivered in the spool. */
static void output_close(struct output *o)
{
	uint64_t lost = 0;

	if (!o->loaded && o->spool && te_spool_trylock(o->spool) == 0)
		load_spool(o);
	if (o->loaded && o->spool_ok) {
		/* memory-only entries (spool errors): one more try */
		for (size_t i = 0; i < o->mem_n; i++) {
			struct mem_ent *e = &o->mem[(o->mem_start + i) % MEM_MAX_ENTRIES];

			if (!e->on_disk && e->id >= o->head) {
				int r = spool_put(o, e->id, e->sev, e->body, e->len);

				if (r == TE_SPOOL_REFUSED)
					count_dropped(o, 1); /* the spool is full of more severe ones */
				else if (r < 0)
					lost++;
				e->on_disk = r >= 0;
			}
		}
	} else {
		lost = queued(o);
	}
	report(o, now_ns(), true);
	if (lost)
		logf_(o, LOG_ERR,
		      "%" PRIu64 " undelivered detections could not be written to the spool %s "
			 "and are lost",
		      lost, o->spool_path);
}

void te_webhooks_free(struct te_webhooks *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++) {
		struct output *o = &w->out[i];

		pthread_mutex_lock(&o->mu);
		__atomic_store_n(&o->stopping, true, __ATOMIC_RELAXED);
		pthread_cond_broadcast(&o->cond);
		pthread_mutex_unlock(&o->mu);
	}
	for (size_t i = 0; i < w->n; i++) {
		struct output *o = &w->out[i];

		if (o->started)
			pthread_join(o->thread, NULL);
		output_close(o);
		output_fini(o);
	}
	free(w->out);
	te_webhook_opts_free(w->opts, w->nopts);
	if (w->test_ok)
		te_webhook_test_detection_fini(&w->test);
	sb_free(&w->fsk);
	sb_free(&w->own);
	free(w->hostname);
	free(w);
	te_http_global_cleanup();
}

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int output_init(struct te_webhooks *w, struct output *o, const struct te_webhook_opts *op,
		       const char *spool_dir, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	int r;

	o->w = w;
	o->o = op;
	o->inflight = NO_ID;
	pthread_mutex_init(&o->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->cond, &ca);
	pthread_condattr_destroy(&ca);
	sb_init(&o->body);
	o->rng = w->seed[0] ^ (uintptr_t)o ^ now_ns();
	if (!o->rng)
		o->rng = 1;
	o->mem = calloc(MEM_MAX_ENTRIES, sizeof(*o->mem));
	if (!o->mem || asprintf(&o->spool_path, "%s/%s", spool_dir, op->name) < 0) {
		o->spool_path = NULL;
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	r = te_spool_mkdir(o->spool_path);
	if (r < 0)
		return fail(err, errlen, r, "webhook %s: cannot create the spool directory %s: %s",
			    op->name, o->spool_path, strerror(-r));
	o->spool = te_spool_new(o->spool_path, (uint64_t)op->spool_max_mib << 20);
	if (!o->spool)
		return fail(err, errlen, -errno, "webhook %s: cannot open the spool directory %s: %s",
			    op->name, o->spool_path, strerror(errno));
	/* Usually free: read it now, so that everything submitted from the
	 * start is on disk.  Held (a reload with the old instance still
	 * running): the worker takes it over later. */
	r = te_spool_trylock(o->spool);
	if (r == 0)
		load_spool(o);
	else if (r != -EAGAIN)
		return fail(err, errlen, r, "webhook %s: cannot lock the spool %s: %s", op->name,
			    o->spool_path, strerror(-r));
	return 0;
}

int te_webhooks_new(const char *file, const struct te_config_webhook *entries, size_t nentries,
		    const char *spool_dir, const char *hostname,
		    struct te_webhooks **out, char *err, size_t errlen)
{
	struct te_webhook_opts *opts;
	struct te_webhooks *w;
	sigset_t all, old;
	size_t n;
	int r;

	*out = NULL;
	r = te_webhook_opts_parse(file, entries, nentries, getenv(TE_WEBHOOK_ENV_URL), &opts, &n, err, errlen);
	if (r < 0 || n == 0)
		return r;
	if (te_http_global_init() < 0) {
		te_webhook_opts_free(opts, n);
		return fail(err, errlen, -ENOMEM, "cannot initialise libcurl");
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		te_webhook_opts_free(opts, n);
		te_http_global_cleanup();
		return fail(err, errlen, -ENOMEM, "out of memory");
	}
	w->opts = opts;
	w->nopts = n;
	w->n = n;
	sb_init(&w->fsk);
	sb_init(&w->own);
	w->hostname = strdup(hostname ? hostname : "");
	w->out = calloc(n, sizeof(*w->out));
	if (!w->hostname || !w->out) {
		w->n = 0; /* no outputs to tear down */
		r = fail(err, errlen, -ENOMEM, "out of memory");
		goto fail;
	}
	if (getrandom(w->seed, sizeof(w->seed), GRND_NONBLOCK) != (ssize_t)sizeof(w->seed)) {
		w->seed[0] = now_ns() ^ ((uint64_t)getpid() << 32);
		w->seed[1] = (uint64_t)(uintptr_t)w * 0x9E3779B97F4A7C15ull;
	}
	r = te_webhook_test_detection_init(&w->test, w->hostname);
	if (r < 0) {
		fail(err, errlen, r, "out of memory");
		goto fail_outputs;
	}
	w->test_ok = true;
	r = te_spool_mkdir(spool_dir);
	if (r < 0) {
		fail(err, errlen, r, "cannot create the webhook spool directory %s: %s", spool_dir,
		     strerror(-r));
		goto fail_outputs;
	}
	for (size_t i = 0; i < n; i++) {
		r = output_init(w, &w->out[i], &opts[i], spool_dir, err, errlen);
		if (r < 0)
			goto fail_outputs;
	}
	/* The workers take no signals: the event loop handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (size_t i = 0; i < n && r == 0; i++) {
		r = -pthread_create(&w->out[i].thread, NULL, worker, &w->out[i]);
		if (r == 0)
			w->out[i].started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		fail(err, errlen, r, "cannot start the webhook worker: %s", strerror(-r));
		goto fail_outputs;
	}
	*out = w;
	return 0;
fail_outputs:
	/* outputs never initialised are zeroed: give them a mutex to destroy */
	for (size_t i = 0; i < n; i++)
		if (!w->out[i].o) {
			pthread_mutex_init(&w->out[i].mu, NULL);
			pthread_cond_init(&w->out[i].cond, NULL);
			w->out[i].o = &opts[i];
		}
fail:
	/* stop what started; a failed new() must leave the spools as found,
	 * but what is in them stays there */
	te_webhooks_free(w);
	return r;
}

size_t te_webhooks_count(const struct te_webhooks *w)
{
	return w ? w->n : 0;
}

void te_webhooks_stats(struct te_webhooks *w, size_t i, struct te_webhook_stats *st)
{
	struct output *o;

	memset(st, 0, sizeof(*st));
	if (!w || i >= w->n)
		return;
	o = &w->out[i];
	st->name = o->o->name;
	st->kind = te_webhook_kind_name(o->o->kind);
	st->url = o->o->url_public;
	pthread_mutex_lock(&o->mu);
	resolve(o);
	st->queued = queued(o);
	st->delivered = o->delivered;
	st->retried = o->retried;
	st->rejected = o->rejected;
	st->dropped = o->dropped;
	pthread_mutex_unlock(&o->mu);
}

static void submit(struct te_webhooks *w, const struct te_rule *rule,
		   const struct te_rule_event *re, uint64_t suppressed, const char *output,
		   const char *detection_json, size_t len, bool all)
{
	bool have_fsk = false, have_own = false;
	char uuid[37];

	for (size_t i = 0; i < w->n; i++) {
		struct output *o = &w->out[i];
		const char *payload;
		size_t plen;

		if (!all && rule->severity < o->o->min_severity)
			continue;
		if (o->o->kind == TE_WEBHOOK_FALCOSIDEKICK) {
			if (!have_fsk) {
				te_webhook_uuid(uuid, w->seed, w->uuid_counter++);
				sb_reset(&w->fsk);
				te_webhook_falcosidekick_json(&w->fsk, rule, re, suppressed, output,
							      w->hostname, uuid);
				have_fsk = true;
			}
			/* a truncated payload would be refused anyway */
			if (w->fsk.oom)
				continue;
			payload = w->fsk.p ? w->fsk.p : "";
			plen = w->fsk.len;
		} else if (detection_json && len) {
			/* the caller's detection JSON, enqueued as it is */
			payload = detection_json;
			plen = len;
		} else {
			if (!have_own) {
				sb_reset(&w->own);
				te_detection_json(&w->own, rule, re, suppressed, output, NULL, 0);
				have_own = true;
			}
			if (w->own.oom)
				continue;
			payload = w->own.p ? w->own.p : "";
			plen = w->own.len;
		}
		pthread_mutex_lock(&o->mu);
		enqueue_locked(o, payload, plen, rule->severity);
		pthread_cond_signal(&o->cond);
		pthread_mutex_unlock(&o->mu);
	}
}

void te_webhooks_submit(struct te_webhooks *w, const struct te_rule *rule,
			const struct te_rule_event *re, uint64_t suppressed, const char *output,
			const char *detection_json, size_t len)
{
	if (!w || !rule || !re)
		return;
	submit(w, rule, re, suppressed, output, detection_json, len, false);
}

unsigned te_webhooks_test(struct te_webhooks *w)
{
	if (!w || !w->test_ok)
		return 0;
	w->test.re.time_ns = te_now_ns(CLOCK_REALTIME);
	submit(w, &w->test.rule, &w->test.re, 0, NULL, NULL, 0, true);
	return (unsigned)w->n;
}
