/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

/*
 * The entries live in one array of max slots (the slab); one ring of slot
 * numbers per severity keeps each severity's entries in push order, which
 * is id order.  A push at saturation pops the front of the lowest non-empty
 * ring and reuses its slot: five comparisons, no scan, no memmove.  Until
 * the history is full, the slots in use are exactly [0, size), so the next
 * free one is size (entries only leave a full history, or at a resize,
 * which renumbers).  A query binary-searches after_id/before_id in each
 * ring and merges the rings by id; with a limit it first walks them
 * backwards, newest first, to find where the last @limit matches begin.
 */
#define NSEV (TE_SEV_CRITICAL + 1)

struct sev_ring {
	uint32_t *slot; /* capacity max */
	uint32_t head;  /* index of the oldest */
	uint32_t n;
};

struct te_history {
	struct te_history_entry *slab; /* max entries */
	uint32_t *slots;               /* NSEV * max, the rings' storage */
	struct sev_ring ring[NSEV];
	uint32_t max;
	uint32_t size;
	uint64_t evicted;
};

void te_history_entry_clear(struct te_history_entry *e)
{
	free((char *)e->rule_id);
	free((char *)e->rule_name);
	free((char *)e->mitre_technique);
	free((char *)e->mitre_tactic);
	free((char *)e->output);
	free((char *)e->comm);
	free((char *)e->exe);
	free((char *)e->cmdline);
	free((char *)e->container_id);
	free((char *)e->event);
	memset(e, 0, sizeof(*e));
}

int te_history_entry_copy(struct te_history_entry *dst, const struct te_history_entry *src)
{
	*dst = *src;
	/* valid UTF-8 whatever the kernel gave (D-Bus refuses anything else);
	 * all or nothing: a half-copied entry is freed below */
	dst->rule_id = te_utf8_dup_escaped(src->rule_id);
	dst->rule_name = te_utf8_dup_escaped(src->rule_name);
	dst->mitre_technique = te_utf8_dup_escaped(src->mitre_technique);
	dst->mitre_tactic = te_utf8_dup_escaped(src->mitre_tactic);
	dst->output = te_utf8_dup_escaped(src->output);
	dst->comm = te_utf8_dup_escaped(src->comm);
	dst->exe = te_utf8_dup_escaped(src->exe);
	dst->cmdline = te_utf8_dup_escaped(src->cmdline);
	dst->container_id = te_utf8_dup_escaped(src->container_id);
	dst->event = te_utf8_dup_escaped(src->event);
	if (!dst->rule_id || !dst->rule_name || !dst->mitre_technique || !dst->mitre_tactic ||
	    !dst->output || !dst->comm || !dst->exe || !dst->cmdline || !dst->container_id ||
	    !dst->event) {
		te_history_entry_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

static unsigned sev_index(enum te_severity s)
{
	/* whatever a caller put there, one of the rings */
	return (int)s <= 0 ? 0 : (unsigned)s >= NSEV ? NSEV - 1 : (unsigned)s;
}

/* The slot of the @i-th oldest entry of @r (i < r->n). */
static uint32_t ring_at(const struct te_history *h, const struct sev_ring *r, uint32_t i)
{
	uint64_t k = (uint64_t)r->head + i; /* no wrap, whatever max is */

	return r->slot[k >= h->max ? k - h->max : k];
}

static const struct te_history_entry *ring_entry(const struct te_history *h,
						 const struct sev_ring *r, uint32_t i)
{
	return &h->slab[ring_at(h, r, i)];
}

static void ring_push(const struct te_history *h, struct sev_ring *r, uint32_t slot)
{
	uint64_t k = (uint64_t)r->head + r->n;

	r->slot[k >= h->max ? k - h->max : k] = slot;
	r->n++;
}

static uint32_t ring_pop(const struct te_history *h, struct sev_ring *r)
{
	uint32_t slot = r->slot[r->head];

	r->head = r->head + 1 == h->max ? 0 : r->head + 1;
	r->n--;
	return slot;
}

/* Allocate the slab and the rings for @max entries (nothing for 0). */
static int alloc_storage(uint32_t max, struct te_history_entry **slab, uint32_t **slots)
{
	*slab = NULL;
	*slots = NULL;
	if (!max)
		return 0;
	*slab = calloc(max, sizeof(**slab));
	*slots = calloc((size_t)max * NSEV, sizeof(**slots));
	if (!*slab || !*slots) {
		free(*slab);
		free(*slots);
		return -ENOMEM;
	}
	return 0;
}

static void set_storage(struct te_history *h, uint32_t max, struct te_history_entry *slab,
			uint32_t *slots)
{
	h->slab = slab;
	h->slots = slots;
	h->max = max;
	for (unsigned s = 0; s < NSEV; s++)
		h->ring[s] = (struct sev_ring){ .slot = slots ? slots + (size_t)s * max : NULL };
}

struct te_history *te_history_new(uint32_t max)
{
	struct te_history *h = calloc(1, sizeof(*h));
	struct te_history_entry *slab;
	uint32_t *slots;

	if (!h)
		return NULL;
	if (alloc_storage(max, &slab, &slots) < 0) {
		free(h);
		return NULL;
	}
	set_storage(h, max, slab, slots);
	return h;
}

void te_history_free(struct te_history *h)
{
	if (!h)
		return;
	for (unsigned s = 0; s < NSEV; s++)
		for (uint32_t i = 0; i < h->ring[s].n; i++)
			te_history_entry_clear(&h->slab[ring_at(h, &h->ring[s], i)]);
	free(h->slab);
	free(h->slots);
	free(h);
}

int te_history_resize(struct te_history *h, uint32_t max)
{
	struct te_history_entry *slab;
	uint32_t *slots, drop, next = 0;
	struct sev_ring old[NSEV];
	struct te_history_entry *old_slab = h->slab;
	uint32_t *old_slots = h->slots, old_max = h->max;

	if (max == h->max)
		return 0;
	if (alloc_storage(max, &slab, &slots) < 0)
		return -ENOMEM;
	/* what does not fit goes as a push would evict it: low first */
	drop = h->size > max ? h->size - max : 0;
	h->evicted += drop;
	for (unsigned s = 0; s < NSEV && drop; s++)
		while (drop && h->ring[s].n) {
			te_history_entry_clear(&h->slab[ring_pop(h, &h->ring[s])]);
			drop--;
		}
	memcpy(old, h->ring, sizeof(old));
	set_storage(h, max, slab, slots);
	/* the rest moves (strings and all) to slots 0..size-1 */
	for (unsigned s = 0; s < NSEV; s++)
		for (uint32_t i = 0; i < old[s].n; i++) {
			uint64_t k = (uint64_t)old[s].head + i;

			k = old_slots[(size_t)s * old_max + (k >= old_max ? k - old_max : k)];
			h->slab[next] = old_slab[k];
			ring_push(h, &h->ring[s], next++);
		}
	h->size = next;
	free(old_slab);
	free(old_slots);
	return 0;
}

int te_history_push(struct te_history *h, const struct te_history_entry *e)
{
	struct te_history_entry copy;

	if (h->max == 0)
		return 0;
	if (te_history_entry_copy(&copy, e) < 0)
		return -ENOMEM;
	te_history_push_owned(h, &copy);
	return 0;
}

void te_history_push_owned(struct te_history *h, struct te_history_entry *e)
{
	unsigned sev = sev_index(e->severity), low = 0;
	uint32_t slot;

	if (h->max == 0) {
		te_history_entry_clear(e);
		return;
	}
	if (h->size < h->max) {
		slot = h->size++;
	} else {
		while (!h->ring[low].n) /* full, so some ring is not empty */
			low++;
		h->evicted++;
		if (sev < low) {
			/* lower than everything kept: this one goes */
			te_history_entry_clear(e);
			return;
		}
		slot = ring_pop(h, &h->ring[low]);
		te_history_entry_clear(&h->slab[slot]);
	}
	h->slab[slot] = *e;
	ring_push(h, &h->ring[sev], slot);
	memset(e, 0, sizeof(*e));
}

uint32_t te_history_size(const struct te_history *h)
{
	return h->size;
}

uint32_t te_history_max(const struct te_history *h)
{
	return h->max;
}

uint64_t te_history_evicted(const struct te_history *h)
{
	return h->evicted;
}

/* The filters the rings' order cannot answer (the id range and the
 * severity are applied by choosing where and which rings to walk). */
static bool matches(const struct te_history_entry *e, const struct te_history_filter *f)
{
	if (e->time_usec < f->since_usec)
		return false;
	return !f->rule_id || strcmp(e->rule_id, f->rule_id) == 0;
}

/* The first index of @r whose entry's id is >= @id. */
static uint32_t ring_lower_bound(const struct te_history *h, const struct sev_ring *r, uint64_t id)
{
	uint32_t lo = 0, hi = r->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ring_entry(h, r, mid)->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Per ring, the index range [pos, end) a query walks. */
struct span {
	uint32_t pos[NSEV], end[NSEV];
};

static void span_init(const struct te_history *h, const struct te_history_filter *f,
		      struct span *sp)
{
	for (unsigned s = 0; s < NSEV; s++) {
		const struct sev_ring *r = &h->ring[s];

		sp->pos[s] = sp->end[s] = 0;
		if (f->min_severity >= 0 && (int)s < f->min_severity)
			continue;
		sp->pos[s] = f->after_id ? ring_lower_bound(h, r, f->after_id + 1) : 0;
		sp->end[s] = f->before_id ? ring_lower_bound(h, r, f->before_id) : r->n;
		if (f->after_id == UINT64_MAX || sp->end[s] < sp->pos[s])
			sp->end[s] = sp->pos[s];
	}
}

/* The ring holding the oldest entry left in @sp, or -1. */
static int span_oldest(const struct te_history *h, const struct span *sp)
{
	uint64_t best = 0;
	int which = -1;

	for (unsigned s = 0; s < NSEV; s++) {
		uint64_t id;

		if (sp->pos[s] == sp->end[s])
			continue;
		id = ring_entry(h, &h->ring[s], sp->pos[s])->id;
		if (which < 0 || id < best) {
			best = id;
			which = (int)s;
		}
	}
	return which;
}

/* The ring holding the newest entry left in @sp (below end), or -1. */
static int span_newest(const struct te_history *h, const struct span *sp)
{
	uint64_t best = 0;
	int which = -1;

	for (unsigned s = 0; s < NSEV; s++) {
		uint64_t id;

		if (sp->pos[s] == sp->end[s])
			continue;
		id = ring_entry(h, &h->ring[s], sp->end[s] - 1)->id;
		if (which < 0 || id > best) {
			best = id;
			which = (int)s;
		}
	}
	return which;
}

size_t te_history_query(const struct te_history *h, const struct te_history_filter *f,
			te_history_fn fn, void *ctx)
{
	struct span sp;
	size_t n = 0;
	int s;

	span_init(h, f, &sp);
	if (f->limit) {
		/* newest first until @limit matches: where they begin */
		struct span back = sp;
		uint32_t found = 0;

		while (found < f->limit && (s = span_newest(h, &back)) >= 0) {
			back.end[s]--;
			found += matches(ring_entry(h, &h->ring[s], back.end[s]), f);
		}
		if (found == f->limit)
			memcpy(sp.pos, back.end, sizeof(sp.pos));
	}
	while ((s = span_oldest(h, &sp)) >= 0) {
		const struct te_history_entry *e = ring_entry(h, &h->ring[s], sp.pos[s]++);

		if (matches(e, f)) {
			fn(ctx, e);
			n++;
		}
	}
	return n;
}

size_t te_history_entry_wire_size(const struct te_history_entry *e)
{
	/* 11 strings, each a 4-byte length, its bytes and a NUL, padded to 8;
	 * 5 numbers of 8 bytes and 3 of 4; and the struct's own alignment */
	const char *strs[] = { e->rule_id, e->rule_name, "critical", e->mitre_technique,
			       e->mitre_tactic, e->output, e->comm, e->exe,
			       e->cmdline, e->container_id, e->event };
	size_t n = 8 + 5 * 8 + 3 * 4;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		n += 4 + strlen(strs[i] ? strs[i] : "") + 1 + 7;
	return n;
}

uint32_t te_history_fitting_limit(const struct te_history *h, const struct te_history_filter *f,
				  size_t max_bytes)
{
	struct span sp;
	size_t total = 0;
	uint32_t keep = 0;
	int s;

	/* the matches newest first (the last @limit of them), until the
	 * budget is spent */
	span_init(h, f, &sp);
	while ((!f->limit || keep < f->limit) && (s = span_newest(h, &sp)) >= 0) {
		const struct te_history_entry *e = ring_entry(h, &h->ring[s], --sp.end[s]);
		size_t sz;

		if (!matches(e, f))
			continue;
		sz = te_history_entry_wire_size(e);
		if (total + sz > max_bytes)
			/* at least the newest: one entry is bounded by a
			 * record's size */
			return keep ? keep : 1;
		total += sz;
		keep++;
	}
	return 0; /* all of them fit */
}
