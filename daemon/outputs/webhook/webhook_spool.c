/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The on-disk spool of one webhook output (format in webhook_internal.h).
 *
 * Append-only segments rather than a file per detection: an append is one
 * writev(2) to an O_APPEND descriptor that stays open, which is what makes
 * it cheap enough for the event loop; removing delivered data is an
 * unlink(2) of a whole segment.  Records carry their id and a CRC, so a
 * record torn by a crash (power loss while the page cache was written back)
 * is recognised at load and cut off, along with anything after it in that
 * segment.  The segments and the ack file are in host byte order: a spool
 * is not meant to move between machines.
 *
 * Severity.  When the spool is full, something must go, and it must not be
 * the one high-severity detection an attacker buried under a flood of
 * cheap low ones.  So each severity has its own chain of segments (the
 * severity is in the segment's name, numbered per severity), and room is
 * made by unlinking the oldest segment of the lowest severity present:
 * the lowest and, within it, the oldest detections go first, and never a
 * higher one while a lower one is kept.  A record lower than everything
 * the full spool holds is refused instead (nothing is removed for it).
 * This keeps the crash story exactly as it was: data is only ever
 * appended, or removed by unlinking a whole segment — never rewritten —
 * so there is no compaction, no rename and no fsync on the event loop,
 * and a crash at any point leaves every segment either there or not.  (The
 * alternative, one chain and rewriting a mixed segment without its low
 * records, would need a synced temporary file and a rename per rewrite.)
 * The price: up to two open descriptors per severity in use (the chain's
 * writer and reader), eviction by whole segments (at most 1/16 of the
 * limit of one severity at a time), and a reader that merges the chains by
 * id: te_spool_find() asks each chain for its first record >= min (a
 * cursor per chain, so a worker walking forward reads every header once)
 * and takes the smallest.  Counting what an eviction removed is free
 * except for a segment delivery is in the middle of (read once to tell the
 * delivered records from the others).
 * Segments from before this scheme (no severity in the name) form a chain
 * of their own that is read but never appended to; it counts as critical
 * for eviction (it may hold anything), and goes before critical segments
 * because it is older.
 *
 * Durability is the caller's choice of when to call te_spool_sync_*():
 * after te_spool_append() returned, the record is in the page cache and
 * survives the process being killed; after a sync it survives a power loss.
 * The ack file is never synced before te_spool_free(): losing it re-sends
 * delivered detections, which at-least-once allows.
 */
#include "webhook_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <zlib.h>

#include "grow.h"

#define REC_MAGIC 0x52574554u /* "TEWR" */
#define ACK_MAGIC 0x41574554u /* "TEWA" */
#define SEG_MIN (64u * 1024)
#define SEG_MAX (4u * 1024 * 1024)
#define REC_MAX_LEN (64u * 1024 * 1024)

struct rec_hdr {
	uint32_t magic;
	uint32_t len;
	uint64_t id;
	uint32_t crc;
	uint32_t zero;
};
_Static_assert(sizeof(struct rec_hdr) == 24, "record header layout");

struct ack_rec {
	uint32_t magic;
	uint32_t zero;
	uint64_t head;
};

/* Chains: one per severity, and the one of segments from before (LEGACY). */
#define LEGACY TE_SPOOL_NSEV
#define NCHAIN (TE_SPOOL_NSEV + 1)

/* Eviction order, lowest first: legacy segments may hold anything, so they
 * rank with critical, before it because they are older. */
static const unsigned evict_order[NCHAIN] = {
	TE_SEV_INFO, TE_SEV_LOW, TE_SEV_MEDIUM, TE_SEV_HIGH, LEGACY, TE_SEV_CRITICAL,
};

static unsigned evict_rank(unsigned chain)
{
	for (unsigned i = 0; i < NCHAIN; i++)
		if (evict_order[i] == chain)
			return i;
	return NCHAIN;
}

struct seg {
	uint64_t seq;
	uint64_t bytes;
	uint64_t nrec;
	uint64_t first_id, last_id; /* when nrec > 0 */
};

struct chain {
	struct seg *segs; /* oldest first; only the last may have nrec 0 */
	size_t nsegs, cap;
	uint64_t bytes;
	uint64_t next_seq;

	int wfd;          /* O_APPEND on the newest segment, or -1 */
	uint64_t wseq;

	/* reader: rid is the first record >= rmin of segment rseq, at roff */
	int rfd;
	uint64_t rseq, roff, rid, rmin;
	uint32_t rlen;
	bool rvalid;

	bool dirty;
	uint64_t unsynced_from;
};

struct te_spool {
	char *dir;
	int dirfd, lockfd, ackfd;
	uint64_t max_bytes, seg_max;
	struct chain ch[NCHAIN];
	uint64_t total;
	uint64_t acked;
	int cur;          /* the chain te_spool_find() found in, or -1 */

	char *rbuf;
	size_t rcap;
};

static void seg_name(char buf[32], unsigned chain, uint64_t seq)
{
	if (chain == LEGACY)
		snprintf(buf, 32, "%016" PRIx64 ".seg", seq);
	else
		snprintf(buf, 32, "%016" PRIx64 "-%u.seg", seq, chain);
}

/* A segment's name: its chain and number, or -1 for other files. */
static int seg_parse(const char *name, unsigned *chain, uint64_t *seq)
{
	size_t len = strlen(name);
	char *end;

	if (len < 20 || strcmp(name + len - 4, ".seg"))
		return -1;
	*seq = strtoull(name, &end, 16);
	if (end != name + 16)
		return -1;
	if (len == 20) {
		*chain = LEGACY;
		return 0;
	}
	if (len == 22 && name[16] == '-' && name[17] >= '0' &&
	    name[17] < '0' + TE_SPOOL_NSEV) {
		*chain = (unsigned)(name[17] - '0');
		return 0;
	}
	return -1;
}

static unsigned sev_chain(enum te_severity sev)
{
	return (int)sev <= 0 ? 0 : (unsigned)sev >= TE_SPOOL_NSEV ? TE_SPOOL_NSEV - 1 : (unsigned)sev;
}
int te_spool_mkdir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (stat(dir, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

struct te_spool *te_spool_new(const char *dir, uint64_t max_bytes)
{
	struct te_spool *s = calloc(1, sizeof(*s));
	int e;

	if (!s)
		return NULL;
	s->dirfd = s->lockfd = s->ackfd = -1;
	s->cur = -1;
	for (unsigned c = 0; c < NCHAIN; c++)
		s->ch[c].wfd = s->ch[c].rfd = -1;
	s->max_bytes = max_bytes;
	s->seg_max = max_bytes / 16;
	if (s->seg_max < SEG_MIN)
		s->seg_max = SEG_MIN;
	if (s->seg_max > SEG_MAX)
		s->seg_max = SEG_MAX;
	s->dir = strdup(dir);
	if (!s->dir)
		goto fail;
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		goto fail;
	return s;
fail:
	e = errno;
	free(s->dir);
	free(s);
	errno = e;
	return NULL;
}

int te_spool_trylock(struct te_spool *s)
{
	if (s->lockfd < 0) {
		s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (s->lockfd < 0)
			return -errno;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return 0;
}

static void reader_reset(struct chain *ch)
{
	if (ch->rfd >= 0)
		close(ch->rfd);
	ch->rfd = -1;
	ch->rvalid = false;
}

/* Remove segment @i of chain @c (its file and its entry). */
static void seg_remove(struct te_spool *s, unsigned c, size_t i)
{
	struct chain *ch = &s->ch[c];
	char name[32];

	if (ch->wfd >= 0 && ch->wseq == ch->segs[i].seq) {
		close(ch->wfd);
		ch->wfd = -1;
	}
	if (ch->rfd >= 0 && ch->rseq == ch->segs[i].seq)
		reader_reset(ch);
	seg_name(name, c, ch->segs[i].seq);
	(void)unlinkat(s->dirfd, name, 0);
	ch->bytes -= ch->segs[i].bytes;
	s->total -= ch->segs[i].bytes;
	memmove(&ch->segs[i], &ch->segs[i + 1], (ch->nsegs - i - 1) * sizeof(*ch->segs));
	ch->nsegs--;
}

struct seg_ref {
	unsigned chain;
	uint64_t seq;
};

static int cmp_seg_ref(const void *a, const void *b)
{
	const struct seg_ref *x = a, *y = b;

	if (x->chain != y->chain)
		return x->chain < y->chain ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void note_add(char *note, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note_add(char *note, size_t len, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (!note || !len)
		return;
	used = strnlen(note, len);
	if (used + 3 >= len)
		return;
	if (used) {
		memcpy(note + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(note + used, len - used, fmt, ap);
	va_end(ap);
}

/* Read a whole segment into s->rbuf; its size in *size. */
static int slurp(struct te_spool *s, const char *name, size_t *size)
{
	struct stat st;
	size_t got = 0;
	int fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((size_t)st.st_size > s->rcap) {
		char *p = realloc(s->rbuf, (size_t)st.st_size);

		if (!p) {
			close(fd);
			return -ENOMEM;
		}
		s->rbuf = p;
		s->rcap = (size_t)st.st_size;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, s->rbuf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*size = got;
	return 0;
}

/*
 * Remove the oldest segment of chain @c to make room, adding its
 * undelivered records to @ev.  Only the segment a chain's delivery is in
 * the middle of needs reading to know how many of its records were
 * delivered: at most one per chain per outage.
 */
static void evict_oldest(struct te_spool *s, unsigned c, struct te_spool_evicted *ev)
{
	const struct seg *g = &s->ch[c].segs[0];

	if (g->nrec && g->first_id >= s->acked) {
		ev->pending += g->nrec;
		ev->head |= g->first_id == s->acked;
	} else if (g->nrec && g->last_id >= s->acked) {
		char name[32];
		size_t size = 0, off = 0;
		uint64_t n = 0;

		seg_name(name, c, g->seq);
		if (slurp(s, name, &size) == 0) {
			while (off + sizeof(struct rec_hdr) <= size && off < g->bytes) {
				struct rec_hdr h;

				memcpy(&h, s->rbuf + off, sizeof(h));
				if (h.magic != REC_MAGIC)
					break;
				n += h.id >= s->acked;
				ev->head |= h.id == s->acked;
				off += sizeof(h) + h.len;
			}
		} else {
			/* cannot tell: count them all rather than none */
			n = g->nrec;
			ev->head |= g->first_id <= s->acked;
		}
		ev->pending += n;
	}
	seg_remove(s, c, 0);
}

/* The chain to take room from, or -1 when the spool is empty. */
static int victim(const struct te_spool *s)
{
	for (unsigned i = 0; i < NCHAIN; i++)
		if (s->ch[evict_order[i]].nsegs)
			return (int)evict_order[i];
	return -1;
}

int te_spool_load(struct te_spool *s, uint64_t *head, uint64_t *next, uint64_t *pending,
		  char *note, size_t notelen)
{
	uint64_t max_id = 0, npending = 0, prev_id = 0, found;
	struct seg_ref *refs = NULL;
	size_t nrefs = 0, cap = 0;
	bool have_any = false, have_prev = false;
	struct ack_rec ack;
	struct dirent *de;
	DIR *d;
	int fd, r = 0;

	if (note && notelen)
		note[0] = '\0';
	s->ackfd = openat(s->dirfd, "ack", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->ackfd < 0)
		return -errno;
	if (pread(s->ackfd, &ack, sizeof(ack), 0) == (ssize_t)sizeof(ack) && ack.magic == ACK_MAGIC)
		s->acked = ack.head;

	fd = dup(s->dirfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		struct seg_ref ref;

		if (seg_parse(de->d_name, &ref.chain, &ref.seq) < 0)
			continue;
		if (te_grow((void **)&refs, &cap, nrefs, sizeof(*refs), 16) < 0) {
			r = -ENOMEM;
			break;
		}
		refs[nrefs++] = ref;
	}
	closedir(d);
	if (r < 0)
		goto out;
	if (nrefs)
		qsort(refs, nrefs, sizeof(*refs), cmp_seg_ref);

	for (size_t i = 0; i < nrefs; i++) {
		struct chain *ch = &s->ch[refs[i].chain];
		struct seg sg = { .seq = refs[i].seq };
		char name[32];
		size_t size = 0, off = 0;

		if (i == 0 || refs[i - 1].chain != refs[i].chain)
			have_prev = false; /* ids increase within a chain */
		seg_name(name, refs[i].chain, sg.seq);
		if (sg.seq >= ch->next_seq)
			ch->next_seq = sg.seq + 1;
		r = slurp(s, name, &size);
		if (r == -ENOMEM)
			goto out;
		if (r < 0) {
			note_add(note, notelen, "%s: %s (skipped)", name, strerror(-r));
			r = 0;
			continue;
		}
		while (off + sizeof(struct rec_hdr) <= size) {
			struct rec_hdr h;

			memcpy(&h, s->rbuf + off, sizeof(h));
			if (h.magic != REC_MAGIC || h.zero || h.len > REC_MAX_LEN ||
			    h.len > size - off - sizeof(h) || (have_prev && h.id <= prev_id) ||
			    (uint32_t)crc32(0, (const Bytef *)s->rbuf + off + sizeof(h), h.len) != h.crc)
				break;
			if (!sg.nrec)
				sg.first_id = h.id;
			sg.last_id = h.id;
			sg.nrec++;
			prev_id = h.id;
			have_prev = true;
			if (!have_any || h.id > max_id)
				max_id = h.id;
			have_any = true;
			npending += h.id >= s->acked;
			off += sizeof(h) + h.len;
		}
		if (off < size) {
			int wfd = openat(s->dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

			note_add(note, notelen, "%s: cut %zu bytes of a torn or corrupt record", name,
				 size - off);
			if (wfd < 0 || ftruncate(wfd, (off_t)off) < 0)
				note_add(note, notelen, "%s: cannot truncate: %s", name,
					 strerror(errno));
			if (wfd >= 0)
				close(wfd);
		}
		sg.bytes = off;
		if (!sg.nrec || sg.last_id < s->acked) {
			(void)unlinkat(s->dirfd, name, 0);
			continue;
		}
		if (te_grow((void **)&ch->segs, &ch->cap, ch->nsegs, sizeof(*ch->segs), 16) < 0) {
			r = -ENOMEM;
			goto out;
		}
		ch->segs[ch->nsegs++] = sg;
		ch->bytes += sg.bytes;
		s->total += sg.bytes;
	}
	/* spool_max_mib lowered since these were written: what a full spool
	 * would have removed goes, lowest severity first */
	if (s->total > s->max_bytes) {
		struct te_spool_evicted ev = { 0 };
		int c;

		while (s->total > s->max_bytes && (c = victim(s)) >= 0)
			evict_oldest(s, (unsigned)c, &ev);
		npending = ev.pending > npending ? 0 : npending - ev.pending;
		note_add(note, notelen,
			 "the spool was larger than spool_max_mib: %" PRIu64
			 " undelivered detections removed, the lowest severity first",
			 ev.pending);
	}
	*next = have_any && max_id + 1 > s->acked ? max_id + 1 : s->acked;
	*head = te_spool_find(s, s->acked, &found) ? found : *next;
	*pending = npending;
	/* nothing below head is on disk: head is where the ack is, as far as
	 * te_spool_append()'s report is concerned (the file keeps the old
	 * value until the next delivery, which is the same) */
	s->acked = *head;
out:
	free(refs);
	return r;
}

static int seg_open_new(struct te_spool *s, unsigned c)
{
	struct chain *ch = &s->ch[c];
	struct seg sg = { .seq = ch->next_seq };
	char name[32];
	int fd;

	if (te_grow((void **)&ch->segs, &ch->cap, ch->nsegs, sizeof(*ch->segs), 16) < 0)
		return -ENOMEM;
	seg_name(name, c, sg.seq);
	fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0)
		return -errno;
	if (ch->wfd >= 0)
		close(ch->wfd);
	ch->wfd = fd;
	ch->wseq = sg.seq;
	ch->next_seq++;
	ch->segs[ch->nsegs++] = sg;
	return 0;
}

int te_spool_append(struct te_spool *s, uint64_t id, enum te_severity sev, const void *p,
		    size_t len, struct te_spool_evicted *ev)
{
	struct rec_hdr h = { .magic = REC_MAGIC, .id = id };
	struct te_spool_evicted dummy;
	uint64_t rec = sizeof(h) + len;
	unsigned c = sev_chain(sev), rank = evict_rank(c);
	struct chain *ch = &s->ch[c];
	struct iovec iov[2];
	struct seg *tail;
	ssize_t n;
	int r;

	if (!ev)
		ev = &dummy;
	*ev = (struct te_spool_evicted){ 0 };
	if (len > REC_MAX_LEN || rec > s->max_bytes)
		return -EFBIG;
	/* ids increase within a chain: an older one (a memory-only payload
	 * tried again at stop) would read as corruption at the next load */
	for (size_t i = ch->nsegs; i > 0; i--)
		if (ch->segs[i - 1].nrec) {
			if (id <= ch->segs[i - 1].last_id)
				return -EINVAL;
			break;
		}
	if (s->total + rec > s->max_bytes) {
		uint64_t room = s->max_bytes - s->total, lower = 0;
		int v;

		/* only severities up to this one's may make room */
		for (unsigned i = 0; i <= rank; i++)
			lower += s->ch[evict_order[i]].bytes;
		if (room + lower < rec)
			return TE_SPOOL_REFUSED;
		while (s->total + rec > s->max_bytes && (v = victim(s)) >= 0)
			evict_oldest(s, (unsigned)v, ev);
	}
	tail = ch->nsegs ? &ch->segs[ch->nsegs - 1] : NULL;
	if (ch->wfd < 0 || !tail || tail->seq != ch->wseq ||
	    (tail->bytes && tail->bytes + rec > s->seg_max)) {
		r = seg_open_new(s, c);
		if (r < 0)
			return r;
		tail = &ch->segs[ch->nsegs - 1];
	}
	h.len = (uint32_t)len;
	h.crc = (uint32_t)crc32(0, (const Bytef *)p, (uInt)len);
	iov[0] = (struct iovec){ .iov_base = &h, .iov_len = sizeof(h) };
	iov[1] = (struct iovec){ .iov_base = (void *)p, .iov_len = len };
	do
		n = writev(ch->wfd, iov, 2);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)rec) {
		r = n < 0 ? -errno : -ENOSPC;
		/* nothing of a partial record may stay: the next one would
		 * follow garbage */
		if (ftruncate(ch->wfd, (off_t)tail->bytes) < 0) {
			close(ch->wfd);
			ch->wfd = -1;
		}
		return r;
	}
	if (!tail->nrec)
		tail->first_id = id;
	tail->last_id = id;
	tail->nrec++;
	tail->bytes += rec;
	ch->bytes += rec;
	s->total += rec;
	if (!ch->dirty) {
		ch->dirty = true;
		ch->unsynced_from = tail->seq;
	}
	return 0;
}

/* The first segment of @ch with a record >= @min, or NULL. */
static const struct seg *chain_seg(const struct chain *ch, uint64_t min)
{
	size_t lo = 0, hi = ch->nsegs;

	if (hi && !ch->segs[hi - 1].nrec)
		hi--; /* a new segment the first write to failed */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ch->segs[mid].last_id < min)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ch->nsegs && ch->segs[lo].nrec ? &ch->segs[lo] : NULL;
}

/* Position chain @c's reader on its first record >= @min. */
static bool chain_find(struct te_spool *s, unsigned c, uint64_t min, uint64_t *id)
{
	struct chain *ch = &s->ch[c];
	const struct seg *g = chain_seg(ch, min);
	struct rec_hdr h;

	if (!g)
		return false;
	if (ch->rvalid && ch->rseq == g->seq && ch->rmin <= min && ch->rid >= min) {
		*id = ch->rid; /* nothing in [rmin, rid): still the answer */
		return true;
	}
	if (ch->rfd < 0 || ch->rseq != g->seq || !ch->rvalid || ch->rmin > min) {
		char name[32];

		reader_reset(ch);
		seg_name(name, c, g->seq);
		ch->rfd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (ch->rfd < 0)
			return false;
		ch->rseq = g->seq;
		ch->roff = 0;
	}
	ch->rvalid = false;
	while (ch->roff + sizeof(h) <= g->bytes) {
		if (pread(ch->rfd, &h, sizeof(h), (off_t)ch->roff) != (ssize_t)sizeof(h) ||
		    h.magic != REC_MAGIC)
			return false;
		if (h.id >= min) {
			ch->rid = h.id;
			ch->rmin = min;
			ch->rlen = h.len;
			ch->rvalid = true;
			*id = h.id;
			return true;
		}
		ch->roff += sizeof(h) + h.len;
	}
	return false;
}

bool te_spool_find(struct te_spool *s, uint64_t min, uint64_t *id)
{
	uint64_t best = 0, got;

	s->cur = -1;
	for (unsigned c = 0; c < NCHAIN; c++)
		if (s->ch[c].nsegs && chain_find(s, c, min, &got) && (s->cur < 0 || got < best)) {
			best = got;
			s->cur = (int)c;
		}
	if (s->cur < 0)
		return false;
	*id = best;
	return true;
}

int te_spool_read(struct te_spool *s, struct strbuf *out)
{
	struct chain *ch = s->cur >= 0 ? &s->ch[s->cur] : NULL;
	struct rec_hdr h;
	ssize_t n;

	if (!ch || !ch->rvalid || ch->rfd < 0)
		return -ENOENT;
	if (ch->rlen > s->rcap) {
		char *p = realloc(s->rbuf, ch->rlen);

		if (!p)
			return -ENOMEM;
		s->rbuf = p;
		s->rcap = ch->rlen;
	}
	if (pread(ch->rfd, &h, sizeof(h), (off_t)ch->roff) != (ssize_t)sizeof(h))
		return -EIO;
	n = pread(ch->rfd, s->rbuf, h.len, (off_t)(ch->roff + sizeof(h)));
	if (n != (ssize_t)h.len)
		return n < 0 ? -errno : -EIO;
	if ((uint32_t)crc32(0, (const Bytef *)s->rbuf, h.len) != h.crc)
		return -EBADMSG;
	sb_reset(out);
	sb_put(out, s->rbuf, h.len);
	return out->oom ? -ENOMEM : 0;
}

/*
 * Remove the oldest segments of each chain while every record in them is
 * done.  The one being appended to stays unless @all: deleting and
 * re-creating a file per detection when the endpoint keeps up would cost
 * the event loop a create per submit; it goes when it is rotated, or at
 * te_spool_free().
 */
static void remove_done(struct te_spool *s, bool all)
{
	for (unsigned c = 0; c < NCHAIN; c++) {
		struct chain *ch = &s->ch[c];

		while (ch->nsegs) {
			const struct seg *g = &ch->segs[0];

			if (!all && ch->wfd >= 0 && g->seq == ch->wseq)
				break;
			if (g->nrec && g->last_id >= s->acked)
				break;
			seg_remove(s, c, 0);
		}
	}
}

int te_spool_ack(struct te_spool *s, uint64_t head)
{
	struct ack_rec a = { .magic = ACK_MAGIC, .head = head };
	int r = 0;

	if (head == s->acked)
		return 0;
	s->acked = head;
	if (s->ackfd >= 0 && pwrite(s->ackfd, &a, sizeof(a), 0) != (ssize_t)sizeof(a))
		r = -errno;
	remove_done(s, false);
	return r;
}

uint64_t te_spool_bytes(const struct te_spool *s)
{
	return s->total;
}

uint64_t te_spool_bytes_sev(const struct te_spool *s, enum te_severity sev)
{
	return s->ch[sev_chain(sev)].bytes;
}

bool te_spool_sync_take(struct te_spool *s, struct te_spool_sync *sy)
{
	bool any = false;

	for (unsigned c = 0; c < TE_SPOOL_NSEV; c++) {
		struct chain *ch = &s->ch[c];

		sy->dirty[c] = ch->dirty;
		if (!ch->dirty)
			continue;
		sy->from_seq[c] = ch->unsynced_from;
		sy->to_seq[c] = ch->next_seq ? ch->next_seq - 1 : 0;
		ch->dirty = false;
		any = true;
	}
	return any;
}

int te_spool_sync_run(struct te_spool *s, const struct te_spool_sync *sy)
{
	int r = 0;

	for (unsigned c = 0; c < TE_SPOOL_NSEV; c++) {
		if (!sy->dirty[c])
			continue;
		for (uint64_t q = sy->from_seq[c]; q <= sy->to_seq[c]; q++) {
			char name[32];
			int fd;

			seg_name(name, c, q);
			fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0)
				continue; /* delivered or dropped meanwhile */
			if (fdatasync(fd) < 0 && !r)
				r = -errno;
			close(fd);
		}
	}
	if (fsync(s->dirfd) < 0 && !r)
		r = -errno;
	return r;
}

void te_spool_free(struct te_spool *s)
{
	struct te_spool_sync sy;

	if (!s)
		return;
	if (te_spool_sync_take(s, &sy))
		(void)te_spool_sync_run(s, &sy);
	/* a clean stop leaves only what is undelivered */
	remove_done(s, true);
	if (s->ackfd >= 0) {
		(void)fdatasync(s->ackfd);
		close(s->ackfd);
	}
	if (s->dirfd >= 0) {
		(void)fsync(s->dirfd);
		close(s->dirfd);
	}
	for (unsigned c = 0; c < NCHAIN; c++) {
		if (s->ch[c].wfd >= 0)
			close(s->ch[c].wfd);
		reader_reset(&s->ch[c]);
		free(s->ch[c].segs);
	}
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the flock */
	free(s->rbuf);
	free(s->dir);
	free(s);
}
