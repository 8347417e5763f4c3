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

struct seg {
	uint64_t seq;
	uint64_t bytes;
	uint64_t nrec;
	uint64_t first_id, last_id; /* when nrec > 0 */
};

struct te_spool {
	char *dir;
	int dirfd, lockfd, ackfd;
	uint64_t max_bytes, seg_max;
	struct seg *segs; /* oldest first */
	size_t nsegs, cap;
	uint64_t total;
	uint64_t next_seq;
	uint64_t acked;

	int wfd;          /* O_APPEND on the newest segment, or -1 */
	uint64_t wseq;

	int rfd;          /* reader: positioned on the record found last */
	uint64_t rseq, roff, rid;
	uint32_t rlen;
	bool rvalid;
	char *rbuf;
	size_t rcap;

	bool dirty;
	uint64_t unsynced_from;
};

static void seg_name(char buf[32], uint64_t seq)
{
	snprintf(buf, 32, "%016" PRIx64 ".seg", seq);
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
	s->dirfd = s->lockfd = s->ackfd = s->wfd = s->rfd = -1;
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

static void reader_reset(struct te_spool *s)
{
	if (s->rfd >= 0)
		close(s->rfd);
	s->rfd = -1;
	s->rvalid = false;
}

/* Remove segment @i (its file and its entry). */
static void seg_remove(struct te_spool *s, size_t i)
{
	char name[32];

	if (s->wfd >= 0 && s->wseq == s->segs[i].seq) {
		close(s->wfd);
		s->wfd = -1;
	}
	if (s->rfd >= 0 && s->rseq == s->segs[i].seq)
		reader_reset(s);
	seg_name(name, s->segs[i].seq);
	(void)unlinkat(s->dirfd, name, 0);
	s->total -= s->segs[i].bytes;
	memmove(&s->segs[i], &s->segs[i + 1], (s->nsegs - i - 1) * sizeof(*s->segs));
	s->nsegs--;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void note_add(char *note, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note_add(char *note, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(note, len);
	va_list ap;

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

int te_spool_load(struct te_spool *s, uint64_t *head, uint64_t *next, uint64_t *pending,
		  char *note, size_t notelen)
{
	uint64_t *seqs = NULL, prev_id = 0, first_pending = UINT64_MAX, npending = 0;
	size_t nseqs = 0, cap = 0;
	bool have_prev = false;
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
		char *end;
		uint64_t seq;

		if (strlen(de->d_name) != 20 || strcmp(de->d_name + 16, ".seg"))
			continue;
		seq = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		if (te_grow((void **)&seqs, &cap, nseqs, sizeof(*seqs), 16) < 0) {
			r = -ENOMEM;
			break;
		}
		seqs[nseqs++] = seq;
	}
	closedir(d);
	if (r < 0)
		goto out;
	if (nseqs)
		qsort(seqs, nseqs, sizeof(*seqs), cmp_u64);

	for (size_t i = 0; i < nseqs; i++) {
		struct seg sg = { .seq = seqs[i] };
		char name[32];
		size_t size = 0, off = 0;

		seg_name(name, sg.seq);
		if (sg.seq >= s->next_seq)
			s->next_seq = sg.seq + 1;
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
			if (h.id >= s->acked) {
				npending++;
				if (first_pending == UINT64_MAX)
					first_pending = h.id;
			}
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
		if (te_grow((void **)&s->segs, &s->cap, s->nsegs, sizeof(*s->segs), 16) < 0) {
			r = -ENOMEM;
			goto out;
		}
		s->segs[s->nsegs++] = sg;
		s->total += sg.bytes;
	}
	/* spool_max_mib lowered since these were written */
	if (s->total > s->max_bytes) {
		uint64_t lost = 0;

		while (s->nsegs && s->total > s->max_bytes) {
			struct seg *g = &s->segs[0];

			lost += g->nrec;
			seg_remove(s, 0);
		}
		npending = lost > npending ? 0 : npending - lost;
		first_pending = s->nsegs ? s->segs[0].first_id : UINT64_MAX;
		if (first_pending != UINT64_MAX && first_pending < s->acked)
			first_pending = s->acked;
		note_add(note, notelen,
			 "the spool was larger than spool_max_mib: %" PRIu64
			 " oldest detections removed",
			 lost);
	}
	*next = have_prev && prev_id + 1 > s->acked ? prev_id + 1 : s->acked;
	*head = first_pending != UINT64_MAX ? first_pending : *next;
	*pending = npending;
out:
	free(seqs);
	return r;
}

static int seg_open_new(struct te_spool *s)
{
	struct seg sg = { .seq = s->next_seq };
	char name[32];
	int fd;

	if (te_grow((void **)&s->segs, &s->cap, s->nsegs, sizeof(*s->segs), 16) < 0)
		return -ENOMEM;
	seg_name(name, sg.seq);
	fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0)
		return -errno;
	if (s->wfd >= 0)
		close(s->wfd);
	s->wfd = fd;
	s->wseq = sg.seq;
	s->next_seq++;
	s->segs[s->nsegs++] = sg;
	return 0;
}

int te_spool_append(struct te_spool *s, uint64_t id, const void *p, size_t len)
{
	struct rec_hdr h = { .magic = REC_MAGIC, .id = id };
	uint64_t rec = sizeof(h) + len;
	struct iovec iov[2];
	struct seg *tail;
	ssize_t n;
	int r;

	if (len > REC_MAX_LEN || rec > s->max_bytes)
		return -EFBIG;
	while (s->nsegs && s->total + rec > s->max_bytes)
		seg_remove(s, 0);
	tail = s->nsegs ? &s->segs[s->nsegs - 1] : NULL;
	if (s->wfd < 0 || !tail || tail->seq != s->wseq ||
	    (tail->bytes && tail->bytes + rec > s->seg_max)) {
		r = seg_open_new(s);
		if (r < 0)
			return r;
		tail = &s->segs[s->nsegs - 1];
	}
	h.len = (uint32_t)len;
	h.crc = (uint32_t)crc32(0, (const Bytef *)p, (uInt)len);
	iov[0] = (struct iovec){ .iov_base = &h, .iov_len = sizeof(h) };
	iov[1] = (struct iovec){ .iov_base = (void *)p, .iov_len = len };
	do
		n = writev(s->wfd, iov, 2);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)rec) {
		r = n < 0 ? -errno : -ENOSPC;
		/* nothing of a partial record may stay: the next one would
		 * follow garbage */
		if (ftruncate(s->wfd, (off_t)tail->bytes) < 0) {
			close(s->wfd);
			s->wfd = -1;
		}
		return r;
	}
	if (!tail->nrec)
		tail->first_id = id;
	tail->last_id = id;
	tail->nrec++;
	tail->bytes += rec;
	s->total += rec;
	if (!s->dirty) {
		s->dirty = true;
		s->unsynced_from = tail->seq;
	}
	return 0;
}

bool te_spool_find(struct te_spool *s, uint64_t min, uint64_t *id)
{
	const struct seg *g = NULL;
	struct rec_hdr h;

	for (size_t i = 0; i < s->nsegs; i++)
		if (s->segs[i].nrec && s->segs[i].last_id >= min) {
			g = &s->segs[i];
			break;
		}
	if (!g)
		return false;
	if (s->rvalid && s->rseq == g->seq && s->rid == min) {
		*id = s->rid;
		return true;
	}
	if (s->rfd < 0 || s->rseq != g->seq || !s->rvalid || s->rid > min) {
		char name[32];

		reader_reset(s);
		seg_name(name, g->seq);
		s->rfd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (s->rfd < 0)
			return false;
		s->rseq = g->seq;
		s->roff = 0;
	}
	s->rvalid = false;
	while (s->roff + sizeof(h) <= g->bytes) {
		if (pread(s->rfd, &h, sizeof(h), (off_t)s->roff) != (ssize_t)sizeof(h) ||
		    h.magic != REC_MAGIC)
			return false;
		if (h.id >= min) {
			s->rid = h.id;
			s->rlen = h.len;
			s->rvalid = true;
			*id = h.id;
			return true;
		}
		s->roff += sizeof(h) + h.len;
	}
	return false;
}

int te_spool_read(struct te_spool *s, struct strbuf *out)
{
	struct rec_hdr h;
	ssize_t n;

	if (!s->rvalid || s->rfd < 0)
		return -ENOENT;
	if (s->rlen > s->rcap) {
		char *p = realloc(s->rbuf, s->rlen);

		if (!p)
			return -ENOMEM;
		s->rbuf = p;
		s->rcap = s->rlen;
	}
	if (pread(s->rfd, &h, sizeof(h), (off_t)s->roff) != (ssize_t)sizeof(h))
		return -EIO;
	n = pread(s->rfd, s->rbuf, h.len, (off_t)(s->roff + sizeof(h)));
	if (n != (ssize_t)h.len)
		return n < 0 ? -errno : -EIO;
	if ((uint32_t)crc32(0, (const Bytef *)s->rbuf, h.len) != h.crc)
		return -EBADMSG;
	sb_reset(out);
	sb_put(out, s->rbuf, h.len);
	return out->oom ? -ENOMEM : 0;
}

/*
 * Remove the oldest segments while every record in them is done.  The one
 * being appended to stays unless @all: deleting and re-creating a file per
 * detection when the endpoint keeps up would cost the event loop a create
 * per submit; it goes when it is rotated, or at te_spool_free().
 */
static void remove_done(struct te_spool *s, bool all)
{
	while (s->nsegs) {
		const struct seg *g = &s->segs[0];

		if (!all && s->wfd >= 0 && g->seq == s->wseq)
			break;
		if (g->nrec && g->last_id >= s->acked)
			break;
		seg_remove(s, 0);
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

bool te_spool_sync_take(struct te_spool *s, uint64_t *from_seq, uint64_t *to_seq)
{
	if (!s->dirty)
		return false;
	*from_seq = s->unsynced_from;
	*to_seq = s->next_seq ? s->next_seq - 1 : 0;
	s->dirty = false;
	return true;
}

int te_spool_sync_run(struct te_spool *s, uint64_t from_seq, uint64_t to_seq)
{
	int r = 0;

	for (uint64_t q = from_seq; q <= to_seq; q++) {
		char name[32];
		int fd;

		seg_name(name, q);
		fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue; /* delivered or dropped meanwhile */
		if (fdatasync(fd) < 0 && !r)
			r = -errno;
		close(fd);
	}
	if (fsync(s->dirfd) < 0 && !r)
		r = -errno;
	return r;
}

void te_spool_free(struct te_spool *s)
{
	uint64_t from, to;

	if (!s)
		return;
	if (te_spool_sync_take(s, &from, &to))
		(void)te_spool_sync_run(s, from, to);
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
	if (s->wfd >= 0)
		close(s->wfd);
	reader_reset(s);
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the flock */
	free(s->segs);
	free(s->rbuf);
	free(s->dir);
	free(s);
}
