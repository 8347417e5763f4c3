/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The detection stream on /run/traceed/events.sock; see event_socket.h. */
#include "event_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "clock.h"
#include "log.h"

/* A client's queue starts at this size and doubles up to
 * TE_EVENT_SOCKET_CLIENT_BUF; an empty queue above RELEASE is freed so a
 * burst does not pin megabytes per client for the daemon's lifetime. */
#define QUEUE_MIN (64u * 1024)
#define QUEUE_RELEASE (512u * 1024)
/* Connections accepted per wake-up: a connect flood cannot hold the loop. */
#define ACCEPT_BATCH 16
/* After accept() fails for lack of fds or memory: try again this much later
 * instead of spinning on a listening socket that stays readable. */
#define ACCEPT_RETRY_USEC (1000ull * 1000)

struct client {
	struct te_event_socket *s;
	struct client *prev, *next;
	sd_event_source *src;
	int fd;
	unsigned id;              /* for messages: "client 3" */
	pid_t pid;                /* SO_PEERCRED at connect; 0 when unknown */
	uid_t uid;
	bool out_watched;         /* EPOLLOUT in the mask: only while len > 0 */

	/* Ring buffer of bytes the kernel did not take yet; always whole lines
	 * once the unsent tail of a line is counted. */
	char *buf;
	size_t cap, head, len;

	uint64_t gap;             /* lines dropped since the last marker line */
	uint64_t lost;            /* lines dropped in all */
};

struct te_event_socket {
	sd_event *event;
	sd_event_source *listen_src;
	sd_event_source *retry_src;  /* re-enables accepting after EMFILE etc. */
	int fd;
	char name[160];              /* "PATH" or "fd 3 (PATH)", for messages */

	/* Set when this module created the socket: unlinked on free, but only
	 * if the path still names that inode (a newer daemon may own it). */
	char *created_path;
	dev_t dev;
	ino_t ino;

	struct client *clients;
	unsigned nclients;
	unsigned next_id;
	uint64_t lost;

	/* One rate limit for the messages a misbehaving client can cause over
	 * and over (overflow, catch-up, refusals). */
	uint64_t log_next_usec;
	unsigned log_held;
};

/* One line of the log, "event socket: ..." (with how many were held back
 * by the rate limit). */
__attribute__((format(printf, 2, 0)))
static void vlog_line(int level, const char *fmt, va_list ap, unsigned held)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (held)
		log_full(level, "event socket: %s (%u similar messages held back)", msg, held);
	else
		log_full(level, "event socket: %s", msg);
}

__attribute__((format(printf, 2, 3)))
static void log_line(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(level, fmt, ap, 0);
	va_end(ap);
}

/* At most one message per TE_EVENT_SOCKET_LOG_INTERVAL_USEC: a client that
 * keeps falling behind, or a connect loop beyond the client limit, must not
 * flood the journal it is supposed to relieve. */
__attribute__((format(printf, 3, 4)))
static void log_limited(struct te_event_socket *s, int level, const char *fmt, ...)
{
	uint64_t now = te_now_usec(CLOCK_MONOTONIC);
	va_list ap;

	if (now < s->log_next_usec) {
		s->log_held++;
		return;
	}
	va_start(ap, fmt);
	vlog_line(level, fmt, ap, s->log_held);
	va_end(ap);
	s->log_held = 0;
	s->log_next_usec = now + TE_EVENT_SOCKET_LOG_INTERVAL_USEC;
}

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

static bool transient(int e)
{
	/* ENOBUFS/ENOMEM: the kernel is short of memory for socket buffers;
	 * the data stays queued and is retried on the next EPOLLOUT or line. */
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ENOBUFS || e == ENOMEM;
}

/* --- clients ----------------------------------------------------------- */

static void client_close(struct client *c, bool quiet, const char *why)
{
	struct te_event_socket *s = c->s;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nclients--;
	/* Safe from the client's own callback: sd-event defers freeing a
	 * source that is being dispatched.  Disabled before close(), so the
	 * fd is out of the epoll set before its number can be reused. */
	sd_event_source_disable_unref(c->src);
	close(c->fd);
	if (!quiet) {
		if (c->lost)
			log_line(LOG_INFO,
				 "client %u (pid %d, uid %u) disconnected: %s; it lost %" PRIu64
				 " lines; %u clients",
				 c->id, (int)c->pid, (unsigned)c->uid, why, c->lost, s->nclients);
		else
			log_line(LOG_INFO, "client %u (pid %d, uid %u) disconnected: %s; %u clients",
				 c->id, (int)c->pid, (unsigned)c->uid, why, s->nclients);
	}
	free(c->buf);
	free(c);
}

static void client_close_errno(struct client *c, int r)
{
	client_close(c, false, strerror(-r));
}

/* EPOLLOUT only while something is queued: a socket with room is always
 * writable, and watching it then would wake the loop for nothing. */
static int client_watch_out(struct client *c, bool on)
{
	int r;

	if (c->out_watched == on)
		return 0;
	r = sd_event_source_set_io_events(c->src, on ? EPOLLIN | EPOLLOUT : EPOLLIN);
	if (r < 0)
		return r;
	c->out_watched = on;
	return 0;
}

/* Room for @n more bytes.  The caller has checked len + n <= CLIENT_BUF. */
static int queue_reserve(struct client *c, size_t n)
{
	size_t want = c->len + n, ncap, first;
	char *nb;

	if (want <= c->cap)
		return 0;
	ncap = c->cap ? c->cap : QUEUE_MIN;
	while (ncap < want)
		ncap *= 2;
	if (ncap > TE_EVENT_SOCKET_CLIENT_BUF)
		ncap = TE_EVENT_SOCKET_CLIENT_BUF;
	nb = malloc(ncap);
	if (!nb)
		return -ENOMEM;
	/* Unwrap the ring into the new buffer. */
	first = c->len < c->cap - c->head ? c->len : c->cap - c->head;
	if (c->len) {
		memcpy(nb, c->buf + c->head, first);
		memcpy(nb + first, c->buf, c->len - first);
	}
	free(c->buf);
	c->buf = nb;
	c->cap = ncap;
	c->head = 0;
	return 0;
}

static void queue_put(struct client *c, const char *p, size_t n)
{
	size_t tail = (c->head + c->len) % c->cap;
	size_t first = n < c->cap - tail ? n : c->cap - tail;

	memcpy(c->buf + tail, p, first);
	memcpy(c->buf, p + first, n - first);
	c->len += n;
}

/* Hand queued bytes to the kernel until it takes no more.  0, or a
 * negative errno when the client is gone (EPIPE, ECONNRESET, ...). */
static int client_flush(struct client *c)
{
	while (c->len) {
		size_t first = c->len < c->cap - c->head ? c->len : c->cap - c->head;
		struct iovec iov[2] = {
			{ .iov_base = c->buf + c->head, .iov_len = first },
			{ .iov_base = c->buf, .iov_len = c->len - first },
		};
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = first < c->len ? 2 : 1 };
		/* MSG_NOSIGNAL: a client that went away must be an EPIPE here,
		 * not a SIGPIPE that kills the daemon. */
		ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (transient(errno))
				break;
			return -errno;
		}
		c->head = (c->head + (size_t)w) % c->cap;
		c->len -= (size_t)w;
	}
	if (!c->len) {
		c->head = 0;
		if (c->cap > QUEUE_RELEASE) {
			free(c->buf);
			c->buf = NULL;
			c->cap = 0;
		}
	}
	return 0;
}

/*
 * Write @a then @b (together whole lines) to @c: straight to the kernel
 * when nothing is queued (no copy in the common case of a client that keeps
 * up), the rest queued behind what is.  The caller has checked that
 * alen + blen fit in the queue's bound.  0, or a negative errno after which
 * the client must be closed (gone, or out of memory with a line cut short).
 */
static int client_write(struct client *c, const char *a, size_t alen, const char *b, size_t blen)
{
	size_t done = 0;
	int r;

	if (!c->len) {
		struct iovec iov[2] = {
			{ .iov_base = (void *)a, .iov_len = alen },
			{ .iov_base = (void *)b, .iov_len = blen },
		};
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = blen ? 2 : 1 };
		ssize_t w;

		do
			w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		if (w < 0 && !transient(errno))
			return -errno;
		done = w < 0 ? 0 : (size_t)w;
		if (done == alen + blen)
			return 0;
	}
	r = queue_reserve(c, alen + blen - done);
	if (r < 0)
		/* Part of the line may already be out: the stream cannot be
		 * continued without cutting it, so the client goes. */
		return r;
	if (done < alen) {
		queue_put(c, a + done, alen - done);
		done = alen;
	}
	if (blen)
		queue_put(c, b + (done - alen), blen - (done - alen));
	return client_watch_out(c, true);
}

/*
 * The end of a gap: once a client that lost lines has caught up (its queue
 * at or below TE_EVENT_SOCKET_RESUME_BUF), the next thing it reads is
 * {"traceed_lost_lines":N}, then lines resume.  0 or a negative errno
 * (close the client).
 */
static int client_resume(struct client *c)
{
	char marker[64];
	int n, r;

	if (!c->gap || c->len > TE_EVENT_SOCKET_RESUME_BUF)
		return 0;
	n = snprintf(marker, sizeof(marker), "{\"traceed_lost_lines\":%" PRIu64 "}\n", c->gap);
	r = client_write(c, marker, (size_t)n, NULL, 0);
	if (r < 0)
		return r;
	log_limited(c->s, LOG_INFO,
		    "client %u (pid %d) caught up after losing %" PRIu64 " lines (%" PRIu64 " in all)",
		    c->id, (int)c->pid, c->gap, c->lost);
	c->gap = 0;
	return 0;
}

static void client_drop(struct client *c, size_t len)
{
	if (!c->gap++) {
		if (len + 1 > TE_EVENT_SOCKET_CLIENT_BUF)
			log_limited(c->s, LOG_WARNING,
				    "a line of %zu bytes exceeds the %u-byte client queue; not sent", len,
				    TE_EVENT_SOCKET_CLIENT_BUF);
		else
			log_limited(c->s, LOG_WARNING,
				    "client %u (pid %d) is not reading fast enough (%zu bytes queued): "
				    "dropping lines until it catches up",
				    c->id, (int)c->pid, c->len);
	}
	c->lost++;
	c->s->lost++;
}

static int client_line(struct client *c, const char *line, size_t len)
{
	int r;

	r = client_resume(c);
	if (r < 0)
		return r;
	/* Whole lines or nothing: a line is never cut to fit. */
	if (c->gap || len + 1 > TE_EVENT_SOCKET_CLIENT_BUF - c->len) {
		client_drop(c, len);
		/* A line too big for any queue is lost with nothing queued, and
		 * no EPOLLOUT would come to end the gap: end it now. */
		return client_resume(c);
	}
	return client_write(c, line, len, "\n", 1);
}

static int on_client(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct client *c = userdata;
	int r;

	(void)src;
	if (revents & EPOLLIN) {
		/* Clients have nothing to say; read and forget, a bounded amount
		 * per wake-up (level-triggered: the rest comes next time). */
		char junk[4096];
		size_t total = 0;

		while (total < TE_EVENT_SOCKET_READ_MAX) {
			ssize_t n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);

			if (n > 0) {
				total += (size_t)n;
				continue;
			}
			if (n == 0) {
				client_close(c, false, "end of file");
				return 0;
			}
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_close_errno(c, -errno);
			return 0;
		}
	}
	if (revents & (EPOLLHUP | EPOLLERR)) {
		client_close(c, false, revents & EPOLLERR ? "socket error" : "hang-up");
		return 0;
	}
	if (revents & EPOLLOUT) {
		r = client_flush(c);
		if (r >= 0)
			r = client_resume(c);
		if (r >= 0 && !c->len)
			r = client_watch_out(c, false);
		if (r < 0) {
			client_close_errno(c, r);
			return 0;
		}
	}
	/* Never < 0: sd-event would disable the source for good. */
	return 0;
}

static void client_new(struct te_event_socket *s, int fd)
{
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);
	struct client *c;
	int r;

	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
	if (s->nclients >= TE_EVENT_SOCKET_MAX_CLIENTS) {
		log_limited(s, LOG_WARNING,
			    "refused a client (pid %d, uid %u): %u clients connected already, the limit",
			    (int)cred.pid, (unsigned)cred.uid, s->nclients);
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_limited(s, LOG_WARNING, "refused a client (pid %d): out of memory", (int)cred.pid);
		close(fd);
		return;
	}
	c->s = s;
	c->fd = fd;
	c->pid = cred.pid;
	c->uid = cred.uid;
	r = sd_event_add_io(s->event, &c->src, fd, EPOLLIN, on_client, c);
	if (r < 0) {
		log_limited(s, LOG_WARNING, "refused a client (pid %d): %s", (int)cred.pid,
			    strerror(-r));
		close(fd);
		free(c);
		return;
	}
	sd_event_source_set_description(c->src, "event-socket-client");
	c->id = ++s->next_id;
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	s->nclients++;
	log_line(LOG_INFO, "client %u connected (pid %d, uid %u); %u clients", c->id, (int)c->pid,
		 (unsigned)c->uid, s->nclients);
}

/* --- listening ---------------------------------------------------------- */

static int on_retry(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct te_event_socket *s = userdata;

	(void)usec;
	s->retry_src = sd_event_source_unref(src);
	sd_event_source_set_enabled(s->listen_src, SD_EVENT_ON);
	return 0;
}

static void pause_accepting(struct te_event_socket *s, int e)
{
	log_limited(s, LOG_WARNING, "accepting a client failed: %s; retrying in 1 s", strerror(e));
	if (s->retry_src)
		return;
	if (sd_event_add_time_relative(s->event, &s->retry_src, CLOCK_MONOTONIC, ACCEPT_RETRY_USEC,
				       0, on_retry, s) >= 0)
		sd_event_source_set_enabled(s->listen_src, SD_EVENT_OFF);
	/* else: keep accepting, the loop spins until fds are freed; better
	 * than never accepting again. */
}

static int on_listen(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct te_event_socket *s = userdata;

	(void)src;
	(void)revents;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			client_new(s, cfd);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return 0;
		case EINTR:
		case ECONNABORTED: /* the client gave up while queued */
		case EPROTO:
			continue;
		default:           /* EMFILE, ENFILE, ENOBUFS, ENOMEM, ... */
			pause_accepting(s, errno);
			return 0;
		}
	}
	return 0;
}

/* The socket systemd passed, if any: *fd = -1 when none was. */
static int take_passed_fd(struct te_event_socket *s, int *fd, char *err, size_t errlen)
{
	struct sockaddr_un sa = { 0 };
	socklen_t salen = sizeof(sa);
	char **names = NULL;
	int n, r, pick = -1;

	*fd = -1;
	/* unset_environment=1: the fds are taken now; a child (triggers, a
	 * helper) must not believe they are its own. */
	n = sd_listen_fds_with_names(1, &names);
	if (n < 0)
		return fail(err, errlen, n, "the sockets passed by systemd (LISTEN_FDS): %s",
			    strerror(-n));
	for (int i = 0; i < n && pick < 0; i++)
		if (names && names[i] && strcmp(names[i], TE_EVENT_SOCKET_FDNAME) == 0)
			pick = SD_LISTEN_FDS_START + i;
	if (pick < 0 && n == 1)
		pick = SD_LISTEN_FDS_START;
	for (int i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
	if (n == 0)
		return 0;
	if (pick < 0)
		return fail(err, errlen, -EINVAL,
			    "%d sockets passed by systemd (LISTEN_FDS), none named \"%s\"", n,
			    TE_EVENT_SOCKET_FDNAME);

	r = sd_is_socket_unix(pick, SOCK_STREAM, 1, NULL, 0);
	if (r < 0)
		return fail(err, errlen, r, "fd %d passed by systemd: %s", pick, strerror(-r));
	if (r == 0)
		return fail(err, errlen, -ENOTSOCK,
			    "fd %d passed by systemd is not a listening unix stream socket", pick);
	/* systemd's socket may be blocking; accept() after a wake-up for a
	 * client that has gone again must not block the loop. */
	r = fcntl(pick, F_GETFL);
	if (r < 0 || fcntl(pick, F_SETFL, r | O_NONBLOCK) < 0)
		return fail(err, errlen, -errno, "fd %d passed by systemd: O_NONBLOCK: %s", pick,
			    strerror(errno));
	if (getsockname(pick, (struct sockaddr *)&sa, &salen) == 0 &&
	    salen > offsetof(struct sockaddr_un, sun_path) && sa.sun_path[0])
		snprintf(s->name, sizeof(s->name), "fd %d (%.*s)", pick,
			 (int)(salen - offsetof(struct sockaddr_un, sun_path)), sa.sun_path);
	else
		snprintf(s->name, sizeof(s->name), "fd %d", pick);
	*fd = pick;
	return 0;
}

static const char *file_kind(mode_t m)
{
	return S_ISLNK(m) ? "a symlink" : S_ISREG(m) ? "a regular file" : S_ISDIR(m) ? "a directory" :
	       "not a socket";
}

/*
 * What is at @path before binding: nothing (0), a stale socket of an
 * earlier run (unlinked, 0), or something that must be left alone (error).
 * lstat: a symlink is refused, never followed.
 */
static int clear_path(const char *path, const struct sockaddr_un *sa, socklen_t salen, char *err,
		      size_t errlen)
{
	struct stat st;
	int probe, r;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return fail(err, errlen, -EEXIST, "%s exists and is %s, not a socket; not replacing it",
			    path, file_kind(st.st_mode));
	/* A socket: stale only when nobody accepts on it.  Unlinking a live
	 * one would silently steal the stream from another traceed. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return fail(err, errlen, -errno, "%s: socket: %s", path, strerror(errno));
	r = connect(probe, (const struct sockaddr *)sa, salen) < 0 ? errno : 0;
	close(probe);
	if (r == 0 || r == EAGAIN)
		return fail(err, errlen, -EADDRINUSE, "%s: another process is listening on it", path);
	if (r != ECONNREFUSED)
		return fail(err, errlen, -r, "%s: cannot tell whether it is in use: %s", path,
			    strerror(r));
	if (unlink(path) < 0 && errno != ENOENT)
		return fail(err, errlen, -errno, "%s: removing the stale socket: %s", path,
			    strerror(errno));
	return 0;
}

static int create_socket(struct te_event_socket *s, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t plen = strlen(path);
	socklen_t salen;
	struct stat st;
	int r;

	if (plen == 0 || plen >= sizeof(sa.sun_path))
		return fail(err, errlen, -ENAMETOOLONG, "%s: not a usable socket path (1 to %zu bytes)",
			    path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, plen);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + 1);
	r = clear_path(path, &sa, salen, err, errlen);
	if (r < 0)
		return r;

	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return fail(err, errlen, -errno, "%s: socket: %s", path, strerror(errno));
	/* bind() creates the inode itself and fails with EADDRINUSE if
	 * anything (a symlink included) appeared there since clear_path(). */
	if (bind(s->fd, (struct sockaddr *)&sa, salen) < 0) {
		r = -errno;
		if (r == -ENOENT)
			return fail(err, errlen, r, "%s: its directory does not exist", path);
		return fail(err, errlen, r, "%s: bind: %s", path, strerror(-r));
	}
	/* The inode now exists with 0777 & ~umask.  Set 0660 before listen():
	 * until then connect() is refused whatever the mode, so no client can
	 * get in through a wider mode.  chmod without following a symlink
	 * (glibc does it through O_PATH), and no umask() games, which would
	 * change the mode of files other threads create meanwhile. */
	if (fchmodat(AT_FDCWD, path, 0660, AT_SYMLINK_NOFOLLOW) < 0 || lstat(path, &st) < 0) {
		r = -errno;
		unlink(path);
		return fail(err, errlen, r, "%s: setting mode 0660: %s", path, strerror(-r));
	}
	if (!S_ISSOCK(st.st_mode))
		/* replaced between bind and here: not ours, leave it */
		return fail(err, errlen, -EEXIST, "%s: replaced while being created", path);
	s->created_path = strdup(path);
	if (!s->created_path) {
		unlink(path);
		return fail(err, errlen, -ENOMEM, "%s: out of memory", path);
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (listen(s->fd, SOMAXCONN) < 0)
		return fail(err, errlen, -errno, "%s: listen: %s", path, strerror(errno));
	snprintf(s->name, sizeof(s->name), "%s", path);
	return 0;
}

/* --- API ------------------------------------------------------------------ */

int te_event_socket_open(sd_event *event, const char *path, struct te_event_socket **out,
			 char *err, size_t errlen)
{
	struct te_event_socket *s;
	int fd, r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	s = calloc(1, sizeof(*s));
	if (!s)
		return fail(err, errlen, -ENOMEM, "event socket: out of memory");
	s->fd = -1;
	s->event = sd_event_ref(event);

	r = take_passed_fd(s, &fd, err, errlen);
	if (r < 0)
		goto fail;
	if (fd >= 0) {
		s->fd = fd;
	} else if (path) {
		r = create_socket(s, path, err, errlen);
		if (r < 0)
			goto fail;
	} else {
		/* neither activated nor asked to create one: disabled */
		te_event_socket_free(s);
		return 0;
	}

	r = sd_event_add_io(event, &s->listen_src, s->fd, EPOLLIN, on_listen, s);
	if (r < 0) {
		fail(err, errlen, r, "%s: watching for clients: %s", s->name, strerror(-r));
		goto fail;
	}
	sd_event_source_set_description(s->listen_src, "event-socket-listen");
	log_line(LOG_INFO, "listening on %s%s", s->name, s->created_path ? "" : " from systemd");
	*out = s;
	return 0;
fail:
	te_event_socket_free(s);
	return r;
}

void te_event_socket_send(struct te_event_socket *s, const char *line, size_t len)
{
	struct client *c, *next;
	int r;

	if (!s)
		return;
	for (c = s->clients; c; c = next) {
		next = c->next;   /* c may be closed below */
		r = client_line(c, line, len);
		if (r < 0)
			client_close_errno(c, r);
	}
}

unsigned te_event_socket_clients(const struct te_event_socket *s)
{
	return s ? s->nclients : 0;
}

uint64_t te_event_socket_lost(const struct te_event_socket *s)
{
	return s ? s->lost : 0;
}

void te_event_socket_free(struct te_event_socket *s)
{
	struct stat st;

	if (!s)
		return;
	while (s->clients)
		client_close(s->clients, true, "");
	sd_event_source_disable_unref(s->retry_src);
	sd_event_source_disable_unref(s->listen_src);
	/* Unlink before close: no client may connect to a name whose socket
	 * is about to go away.  Only our own inode: after a restart the path
	 * may already be a newer instance's socket. */
	if (s->created_path && lstat(s->created_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->created_path);
	if (s->fd >= 0)
		close(s->fd);
	free(s->created_path);
	sd_event_unref(s->event);
	free(s);
}
