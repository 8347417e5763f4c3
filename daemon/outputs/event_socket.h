/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The local detection stream: /run/traceed/events.sock, a unix stream socket
 * on which every connected client receives each detection as one JSON line
 * (te_detection_json() + '\n'), for log shippers such as Fluent Bit or
 * Vector, or `socat -u UNIX-CONNECT:/run/traceed/events.sock -`.
 *
 * Where the listening socket comes from: the one systemd passes
 * (traceed.socket, FileDescriptorName "events", sd_listen_fds), else one
 * this module creates at the path the daemon names, else none (disabled).
 * Group access is given by traceed.socket (SocketGroup=systemd-journal,
 * SocketMode=0660); a socket created here is 0660 with the daemon's group.
 *
 * Clients only read.  Bytes a client sends are read and thrown away (at most
 * TE_EVENT_SOCKET_READ_MAX per wake-up, so a chatty client cannot hold the
 * loop); end of file, hang-up or an error disconnects it — so a client must
 * not shut down its own sending side (`socat -u`, not plain `socat` with
 * stdin at EOF).  At most TE_EVENT_SOCKET_MAX_CLIENTS are served; one more
 * is accepted and closed at once, with a message on stderr.
 *
 * Never blocking the daemon.  Writes are non-blocking; what the kernel does
 * not take is queued per client, up to TE_EVENT_SOCKET_CLIENT_BUF bytes.  A
 * client that cannot keep up loses whole lines (never part of a line):
 *
 *   - a line that does not fit in the client's queue is dropped for that
 *     client only and counted (per client and in te_event_socket_lost());
 *   - from then on its lines are dropped until its queue has drained to
 *     TE_EVENT_SOCKET_RESUME_BUF bytes or less (hysteresis: each episode of
 *     loss is one gap, not lines kept and lost in alternation);
 *   - then, before any further line, it receives one line
 *         {"traceed_lost_lines":N}
 *     with N the lines it missed in that gap, so the loss is visible in its
 *     own stream (a shipper can alert on the key traceed_lost_lines).
 *
 * Messages (connect, disconnect, overflow, refused clients) go to stderr,
 * which is the journal for the service; overflow and refusal messages are
 * rate-limited (one per TE_EVENT_SOCKET_LOG_INTERVAL_USEC, with a count of
 * those held back).
 *
 * Memory: at most TE_EVENT_SOCKET_CLIENT_BUF per client that is behind
 * (64 x 4 MiB worst case); a queue that drains after a burst is released.
 *
 * Not thread-safe: call everything from the thread that runs @event.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

/* The path traceed.socket listens on; the daemon's fallback when it was not
 * socket-activated. */
#define TE_EVENT_SOCKET_PATH "/run/traceed/events.sock"
/* The FileDescriptorName= preferred among several passed fds (systemd's
 * default name is the unit's, "traceed.socket"; a single passed fd is taken
 * whatever its name).  `systemd-socket-activate --fdname=events` sets it. */
#define TE_EVENT_SOCKET_FDNAME "events"

/* Limits, defaults.h style. */
#define TE_EVENT_SOCKET_MAX_CLIENTS 64u
#define TE_EVENT_SOCKET_CLIENT_BUF (4u * 1024 * 1024)
#define TE_EVENT_SOCKET_RESUME_BUF (TE_EVENT_SOCKET_CLIENT_BUF / 2)
#define TE_EVENT_SOCKET_READ_MAX (64u * 1024)
#define TE_EVENT_SOCKET_LOG_INTERVAL_USEC (10ull * 1000000)

struct te_event_socket;

/*
 * Open the listening socket and attach accept and client I/O to @event:
 *
 *   1. the fd systemd passed (sd_listen_fds_with_names, environment unset
 *      afterwards): the one named "events", else the only one passed; it
 *      must be a listening unix stream socket;
 *   2. else, when @path is not NULL, a socket created at @path: mode 0660,
 *      its directory must exist, a stale socket there (nobody listening) is
 *      replaced, anything else there (a live socket, a file, a symlink —
 *      never followed) is refused;
 *   3. else nothing: *out = NULL, return 0 (all other functions accept NULL).
 *
 * Returns 0, or a negative errno with a message naming the path or the fd
 * in @err (*out is then NULL).
 */
int te_event_socket_open(sd_event *event, const char *path, struct te_event_socket **out,
			 char *err, size_t errlen);

/*
 * Queue @line (@len bytes, no newline in it; '\n' is appended here) to every
 * connected client.  Never blocks; see above for clients that fall behind.
 * A no-op on NULL.
 */
void te_event_socket_send(struct te_event_socket *s, const char *line, size_t len);

/* Clients connected now. */
unsigned te_event_socket_clients(const struct te_event_socket *s);
/* Lines lost over all clients since open (a line lost by two clients
 * counts twice), including clients since disconnected. */
uint64_t te_event_socket_lost(const struct te_event_socket *s);

/* Disconnect the clients and close the socket.  A socket passed by systemd
 * is left in place (traceed.socket keeps listening while the service is
 * stopped); one created by te_event_socket_open() is unlinked, if the path
 * still names it. */
void te_event_socket_free(struct te_event_socket *s);
