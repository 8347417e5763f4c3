/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The detection event socket (daemon/event_socket.c) with a real sd-event
 * loop and real unix sockets in a mkdtemp directory; no root needed.
 * Clients and the module run in this one process: the test drives the loop
 * with sd_event_run(e, timeout) between its own reads.
 *
 * SIGPIPE is left at its default on purpose: a write to a vanished client
 * without MSG_NOSIGNAL kills the test.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <systemd/sd-event.h>

#include "event_socket.h"

/* --- fixture -------------------------------------------------------------- */

struct fx {
	sd_event *e;
	char dir[64];
	char path[PATH_MAX];       /* dir/events.sock */
	struct te_event_socket *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	/* Hold fds 3 and 4 (the LISTEN_FDS tests put sockets there) so the
	 * loop's epoll fd is not given one of them. */
	for (int fd = 3; fd <= 4; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			assert_int_equal(open("/dev/null", O_RDONLY | O_CLOEXEC), fd);
	assert_int_equal(sd_event_new(&f->e), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_event_socket.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/events.sock", f->dir);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	te_event_socket_free(f->s);
	sd_event_unref(f->e);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Dispatch everything ready now. */
static void pump(struct fx *f)
{
	for (int i = 0; i < 1000; i++) {
		int r = sd_event_run(f->e, 0);

		assert_true(r >= 0);
		if (r == 0)
			return;
	}
}

/* Run the loop (10 ms steps) until the module has @n clients; 5 s at most. */
static void wait_clients(struct fx *f, unsigned n)
{
	uint64_t end = mono_ms() + 5000;

	while (te_event_socket_clients(f->s) != n && mono_ms() < end)
		assert_true(sd_event_run(f->e, 10000) >= 0);
	assert_int_equal(te_event_socket_clients(f->s), n);
}

static int sock_at(const char *path, struct sockaddr_un *sa, socklen_t *len)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sa->sun_path));
	strcpy(sa->sun_path, path);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
	return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd = sock_at(path, &sa, &len);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, len), 0);
	return fd;
}

/* A listening socket made by the test, as systemd would. */
static int listen_at(const char *path)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd = sock_at(path, &sa, &len);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

static void open_at_path(struct fx *f)
{
	char err[256] = "";
	int r = te_event_socket_open(f->e, f->path, &f->s, err, sizeof(err));

	if (r < 0)
		fail_msg("te_event_socket_open: %d: %s", r, err);
	assert_non_null(f->s);
}

/* --- lines ------------------------------------------------------------------ */

/* Line @seq: {"seq":NNNNNNNN,"pad":"ccc..."} of @len bytes exactly, so any
 * cut, merge or reorder is detected. */
static size_t make_line(char *buf, unsigned seq, size_t len)
{
	int n = snprintf(buf, len + 1, "{\"seq\":%08u,\"pad\":\"", seq);

	assert_true(n > 0 && (size_t)n + 2 <= len);
	memset(buf + n, 'a' + (int)(seq % 26), len - 2 - (size_t)n);
	memcpy(buf + len - 2, "\"}", 2);
	buf[len] = '\0';
	return len;
}

static char linebuf[1u << 20];

static void send_line(struct fx *f, unsigned seq, size_t len)
{
	te_event_socket_send(f->s, linebuf, make_line(linebuf, seq, len));
}

/* What a client has received, split into lines. */
struct reader {
	int fd;
	char *buf;
	size_t off, len, cap;  /* unread bytes are buf[off, len) */
	bool eof;
};

static void reader_fill(struct reader *r)
{
	for (;;) {
		ssize_t n;

		if (r->off > r->cap / 2) {
			memmove(r->buf, r->buf + r->off, r->len - r->off);
			r->len -= r->off;
			r->off = 0;
		}
		if (r->cap - r->len < 65536) {
			r->cap = r->cap ? r->cap * 2 : 1u << 20;
			r->buf = realloc(r->buf, r->cap);
			assert_non_null(r->buf);
		}
		n = recv(r->fd, r->buf + r->len, r->cap - r->len, MSG_DONTWAIT);
		if (n > 0) {
			r->len += (size_t)n;
			continue;
		}
		if (n == 0)
			r->eof = true;
		else
			assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		return;
	}
}

/* The next complete line (NUL-terminated in place, no newline), or NULL. */
static char *reader_line(struct reader *r, size_t *len)
{
	char *p, *nl;

	if (!r->buf)
		return NULL;
	p = r->buf + r->off;
	nl = memchr(p, '\n', r->len - r->off);
	if (!nl)
		return NULL;
	*nl = '\0';
	*len = (size_t)(nl - p);
	r->off += *len + 1;
	return p;
}

/* Next line of @r, running the loop while none is there; NULL after 5 s. */
static char *next_line(struct fx *f, struct reader *r, size_t *len)
{
	uint64_t end = mono_ms() + 5000;
	char *l;

	for (;;) {
		l = reader_line(r, len);
		if (l || mono_ms() > end)
			return l;
		assert_true(sd_event_run(f->e, 1000) >= 0);
		reader_fill(r);
	}
}

static void expect_line(struct fx *f, struct reader *r, unsigned seq, size_t len)
{
	static char want[1u << 20];
	size_t got_len;
	char *got = next_line(f, r, &got_len);

	if (!got)
		fail_msg("client fd %d: line %u never arrived", r->fd, seq);
	make_line(want, seq, len);
	if (got_len != len || memcmp(got, want, len) != 0)
		fail_msg("client fd %d: line %u: expected %zu bytes \"%.40s...\", got %zu bytes "
			 "\"%.40s...\"", r->fd, seq, len, want, got_len, got);
}

static void reader_close(struct reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	r->fd = -1;
	r->buf = NULL;
}

static size_t len_of(unsigned seq)
{
	return 40 + (seq % 7) * 1000;
}

/* --- tests -------------------------------------------------------------------- */

/* Two clients get every line, whole and in order; one line is much larger
 * than a socket buffer, so it goes out through the queue in pieces. */
static void test_two_clients_in_order(void **state)
{
	struct fx *f = *state;
	struct reader a = { .fd = -1 }, b = { .fd = -1 };
	struct stat st;

	open_at_path(f);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);

	a.fd = connect_to(f->path);
	b.fd = connect_to(f->path);
	wait_clients(f, 2);
	for (unsigned i = 0; i < 50; i++)
		send_line(f, i, i == 20 ? 600000 : len_of(i));
	for (unsigned i = 0; i < 50; i++) {
		expect_line(f, &a, i, i == 20 ? 600000 : len_of(i));
		expect_line(f, &b, i, i == 20 ? 600000 : len_of(i));
	}
	assert_int_equal(te_event_socket_lost(f->s), 0);
	reader_close(&a);
	reader_close(&b);
}

/*
 * Client B stops reading while A keeps up: B's lines beyond the 4 MiB queue
 * (plus what the kernel holds) are lost and counted, A gets all of them;
 * once B drains it reads its lines in order up to the gap, then
 * {"traceed_lost_lines":N}, then new lines.
 */
static void test_slow_client_overflow(void **state)
{
	struct fx *f = *state;
	struct reader a = { .fd = -1 }, b = { .fd = -1 };
	const unsigned total = 8000;  /* 8 MB of 1000-byte lines */
	unsigned a_next = 0, b_next = 0;
	uint64_t lost;
	char marker[64];
	size_t len;
	char *l;

	open_at_path(f);
	a.fd = connect_to(f->path);
	b.fd = connect_to(f->path);
	wait_clients(f, 2);

	for (unsigned i = 0; i < total; i++) {
		send_line(f, i, 1000);
		if (i % 16 == 15 || i == total - 1) {
			pump(f);
			reader_fill(&a);
			while ((l = reader_line(&a, &len)) != NULL) {
				make_line(linebuf, a_next, 1000);
				if (len != 1000 || memcmp(l, linebuf, len))
					fail_msg("fast client: line %u wrong or cut: \"%.40s\"", a_next, l);
				a_next++;
			}
		}
	}
	while (a_next < total) {
		expect_line(f, &a, a_next, 1000);
		a_next++;
	}
	lost = te_event_socket_lost(f->s);
	if (lost == 0 || lost >= total)
		fail_msg("expected some of %u lines lost for the slow client, counted %" PRIu64,
			 total, lost);
	assert_int_equal(te_event_socket_clients(f->s), 2);

	/*
	 * B reads a little, not enough to catch up (its queue stays above
	 * TE_EVENT_SOCKET_RESUME_BUF): lines sent now still fall into the
	 * same gap, so its stream never skips ahead of the marker.
	 */
	{
		char chunk[256 * 1024];
		size_t got = 0;

		while (got < sizeof(chunk)) {
			ssize_t n = recv(b.fd, chunk, sizeof(chunk) - got, MSG_DONTWAIT);

			if (n < 0 && errno == EAGAIN) {
				/* the module refills the socket from its queue */
				assert_true(sd_event_run(f->e, 100000) >= 0);
				continue;
			}
			assert_true(n > 0);
			/* keep what was read for the checks below */
			if (b.cap - b.len < (size_t)n) {
				b.cap = b.cap ? b.cap * 2 : 1u << 20;
				b.buf = realloc(b.buf, b.cap);
				assert_non_null(b.buf);
			}
			memcpy(b.buf + b.len, chunk, (size_t)n);
			b.len += (size_t)n;
			got += (size_t)n;
		}
	}
	pump(f);
	for (unsigned i = total; i < total + 10; i++) {
		send_line(f, i, 1000);
		pump(f);
		expect_line(f, &a, i, 1000);
	}
	lost = te_event_socket_lost(f->s);

	/* B reads now: the lines it kept, in order and whole, then the marker. */
	for (;;) {
		l = next_line(f, &b, &len);
		if (!l)
			fail_msg("slow client: stream ended after line %u without the marker",
				 b_next);
		if (l[0] == '{' && strstr(l, "traceed_lost_lines"))
			break;
		make_line(linebuf, b_next, 1000);
		if (len != 1000 || memcmp(l, linebuf, len))
			fail_msg("slow client: expected line %u, got \"%.40s\" (%zu bytes)", b_next, l,
				 len);
		b_next++;
	}
	snprintf(marker, sizeof(marker), "{\"traceed_lost_lines\":%" PRIu64 "}", lost);
	assert_string_equal(l, marker);
	/* Nothing between the kept lines and the gap: they add up. */
	assert_int_equal(b_next + lost, total + 10);
	assert_int_equal(te_event_socket_lost(f->s), lost);

	/* Both continue with the next line. */
	send_line(f, total + 10, 1000);
	expect_line(f, &a, total + 10, 1000);
	expect_line(f, &b, total + 10, 1000);
	assert_int_equal(te_event_socket_lost(f->s), lost);
	reader_close(&a);
	reader_close(&b);
}

/* A client that sends something is kept (its bytes discarded); one that
 * closes, shuts down its side, or has gone when a line is written is
 * removed — the last without a SIGPIPE. */
static void test_disconnects(void **state)
{
	struct fx *f = *state;
	struct reader a = { .fd = -1 };
	int b, c, d;

	open_at_path(f);
	a.fd = connect_to(f->path);
	b = connect_to(f->path);
	wait_clients(f, 2);

	assert_int_equal(write(a.fd, "hello\n", 6), 6);
	pump(f);
	assert_int_equal(te_event_socket_clients(f->s), 2);
	send_line(f, 0, 100);
	expect_line(f, &a, 0, 100);

	close(b);
	wait_clients(f, 1);

	d = connect_to(f->path);
	wait_clients(f, 2);
	assert_int_equal(shutdown(d, SHUT_WR), 0);
	wait_clients(f, 1);
	close(d);

	/* Gone before the loop noticed: the write fails with EPIPE. */
	c = connect_to(f->path);
	wait_clients(f, 2);
	close(c);
	send_line(f, 1, 100);
	assert_int_equal(te_event_socket_clients(f->s), 1);
	expect_line(f, &a, 1, 100);

	reader_close(&a);
	wait_clients(f, 0);
}

/* Client TE_EVENT_SOCKET_MAX_CLIENTS + 1 is accepted and closed at once. */
static void test_client_limit(void **state)
{
	struct fx *f = *state;
	int fds[TE_EVENT_SOCKET_MAX_CLIENTS];
	struct reader extra = { .fd = -1 };
	uint64_t end;

	open_at_path(f);
	for (unsigned i = 0; i < TE_EVENT_SOCKET_MAX_CLIENTS; i++)
		fds[i] = connect_to(f->path);
	wait_clients(f, TE_EVENT_SOCKET_MAX_CLIENTS);
	extra.fd = connect_to(f->path);
	end = mono_ms() + 5000;
	while (!extra.eof && mono_ms() < end) {
		assert_true(sd_event_run(f->e, 10000) >= 0);
		reader_fill(&extra);
	}
	assert_true(extra.eof);
	assert_int_equal(te_event_socket_clients(f->s), TE_EVENT_SOCKET_MAX_CLIENTS);
	for (unsigned i = 0; i < TE_EVENT_SOCKET_MAX_CLIENTS; i++)
		close(fds[i]);
	reader_close(&extra);
	wait_clients(f, 0);
}

static void set_listen_env(const char *nfds, const char *names)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", nfds, 1);
	if (names)
		setenv("LISTEN_FDNAMES", names, 1);
	else
		unsetenv("LISTEN_FDNAMES");
}

static void move_fd(int from, int to)
{
	if (from == to)
		return;
	assert_int_equal(dup2(from, to), to);
	close(from);
}

/* A socket passed as systemd does (fd 3, LISTEN_PID/LISTEN_FDS) is used
 * instead of creating @path, the environment is consumed, and free() leaves
 * the passed socket's file alone. */
static void test_listen_fds(void **state)
{
	struct fx *f = *state;
	struct reader a = { .fd = -1 };
	char passed[PATH_MAX], err[256] = "";
	struct stat st;

	snprintf(passed, sizeof(passed), "%s/passed.sock", f->dir);
	move_fd(listen_at(passed), 3);
	set_listen_env("1", "events");
	assert_int_equal(te_event_socket_open(f->e, f->path, &f->s, err, sizeof(err)), 0);
	assert_non_null(f->s);
	assert_int_equal(lstat(f->path, &st), -1);  /* not created */
	assert_null(getenv("LISTEN_FDS"));

	a.fd = connect_to(passed);
	wait_clients(f, 1);
	send_line(f, 7, 300);
	expect_line(f, &a, 7, 300);
	reader_close(&a);

	te_event_socket_free(f->s);
	f->s = NULL;
	assert_int_equal(lstat(passed, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(fcntl(3, F_GETFD), -1);    /* but its fd is closed */
}

/* Without a name, the only fd passed is taken. */
static void test_listen_fds_unnamed(void **state)
{
	struct fx *f = *state;
	char passed[PATH_MAX], err[256] = "";
	int a;

	snprintf(passed, sizeof(passed), "%s/passed.sock", f->dir);
	move_fd(listen_at(passed), 3);
	set_listen_env("1", NULL);
	assert_int_equal(te_event_socket_open(f->e, NULL, &f->s, err, sizeof(err)), 0);
	assert_non_null(f->s);
	a = connect_to(passed);
	wait_clients(f, 1);
	close(a);
}

/* Of two fds, the one named "events" (fd 4) is taken. */
static void test_listen_fds_by_name(void **state)
{
	struct fx *f = *state;
	char other[PATH_MAX], events[PATH_MAX], err[256] = "";
	int a, b;

	snprintf(other, sizeof(other), "%s/other.sock", f->dir);
	snprintf(events, sizeof(events), "%s/ev.sock", f->dir);
	move_fd(listen_at(other), 3);
	move_fd(listen_at(events), 4);
	set_listen_env("2", "other:events");
	assert_int_equal(te_event_socket_open(f->e, f->path, &f->s, err, sizeof(err)), 0);
	assert_non_null(f->s);
	a = connect_to(other);   /* queued on fd 3, which nobody accepts */
	b = connect_to(events);
	wait_clients(f, 1);
	for (int i = 0; i < 20; i++)
		assert_true(sd_event_run(f->e, 5000) >= 0);
	assert_int_equal(te_event_socket_clients(f->s), 1);
	close(a);
	close(b);
	close(3);
}

/* Passed fds that are unusable are refused with a message naming the fd. */
static void test_listen_fds_bad(void **state)
{
	struct fx *f = *state;
	char file[PATH_MAX], second[PATH_MAX], err[256] = "";
	int fd, r;

	snprintf(file, sizeof(file), "%s/plain", f->dir);
	snprintf(second, sizeof(second), "%s/second.sock", f->dir);
	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	move_fd(fd, 3);
	set_listen_env("1", "events");
	r = te_event_socket_open(f->e, f->path, &f->s, err, sizeof(err));
	assert_true(r < 0);
	assert_null(f->s);
	if (!strstr(err, "fd 3"))
		fail_msg("message does not name the fd: \"%s\"", err);
	close(3);

	/* two fds, neither named "events" */
	move_fd(listen_at(f->path), 3);
	move_fd(listen_at(second), 4);
	set_listen_env("2", "a:b");
	err[0] = '\0';
	r = te_event_socket_open(f->e, NULL, &f->s, err, sizeof(err));
	assert_true(r < 0);
	assert_null(f->s);
	if (!strstr(err, "none named \"events\""))
		fail_msg("unexpected message: \"%s\"", err);
	close(3);
	close(4);

	/* LISTEN_PID of another process: not ours, @path is created instead */
	unlink(f->path);
	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "1", 1);
	open_at_path(f);
	assert_int_equal(access(f->path, F_OK), 0);
}

/* Anything but a socket at @path is refused, a symlink never followed. */
static void test_refuses_non_socket(void **state)
{
	struct fx *f = *state;
	char err[256], target[PATH_MAX], buf[16];
	struct stat st;
	int fd;

	/* a regular file */
	fd = open(f->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	err[0] = '\0';
	assert_int_equal(te_event_socket_open(f->e, f->path, &f->s, err, sizeof(err)), -EEXIST);
	assert_null(f->s);
	if (!strstr(err, f->path) || !strstr(err, "regular file"))
		fail_msg("message does not name the path and what is there: \"%s\"", err);
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	assert_memory_equal(buf, "keep", 4);
	unlink(f->path);

	/* a dangling symlink: its target must not be created */
	snprintf(target, sizeof(target), "%s/target.sock", f->dir);
	assert_int_equal(symlink(target, f->path), 0);
	err[0] = '\0';
	assert_int_equal(te_event_socket_open(f->e, f->path, &f->s, err, sizeof(err)), -EEXIST);
	assert_null(f->s);
	if (!strstr(err, f->path) || !strstr(err, "symlink"))
		fail_msg("message does not name the path and the symlink: \"%s\"", err);
	assert_int_equal(lstat(target, &st), -1);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	unlink(f->path);

	/* a symlink to a stale socket: still refused, the socket left alone */
	close(listen_at(target));
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(te_event_socket_open(f->e, f->path, &f->s, err, sizeof(err)), -EEXIST);
	assert_int_equal(lstat(target, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	unlink(f->path);

	/* no such directory */
	snprintf(target, sizeof(target), "%s/missing/events.sock", f->dir);
	err[0] = '\0';
	assert_int_equal(te_event_socket_open(f->e, target, &f->s, err, sizeof(err)), -ENOENT);
	if (!strstr(err, target))
		fail_msg("message does not name the path: \"%s\"", err);
}

/* A stale socket (nobody listening) is replaced; a live one is not. */
static void test_stale_and_live_socket(void **state)
{
	struct fx *f = *state;
	char err[256] = "";
	int live, a;

	close(listen_at(f->path));
	open_at_path(f);
	a = connect_to(f->path);
	wait_clients(f, 1);
	close(a);
	te_event_socket_free(f->s);
	f->s = NULL;

	live = listen_at(f->path);
	assert_int_equal(te_event_socket_open(f->e, f->path, &f->s, err, sizeof(err)), -EADDRINUSE);
	assert_null(f->s);
	if (!strstr(err, f->path))
		fail_msg("message does not name the path: \"%s\"", err);
	/* still the other process's socket */
	a = connect_to(f->path);
	close(a);
	close(live);
}

/* Mode 0660 whatever the umask; free() unlinks the socket it created. */
static void test_created_mode_and_unlink(void **state)
{
	struct fx *f = *state;
	mode_t old = umask(0);
	struct stat st;

	open_at_path(f);
	umask(old);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	te_event_socket_free(f->s);
	f->s = NULL;
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* Neither activated nor a path: disabled, and NULL is accepted throughout. */
static void test_disabled(void **state)
{
	struct fx *f = *state;
	char err[64] = "x";

	f->s = (struct te_event_socket *)1;
	assert_int_equal(te_event_socket_open(f->e, NULL, &f->s, err, sizeof(err)), 0);
	assert_null(f->s);
	te_event_socket_send(NULL, "x", 1);
	assert_int_equal(te_event_socket_clients(NULL), 0);
	assert_int_equal(te_event_socket_lost(NULL), 0);
	te_event_socket_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_two_clients_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_client_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_fds_unnamed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_fds_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_fds_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuses_non_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_live_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_created_mode_and_unlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disabled, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
