/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: the reverse-shell pattern without the shell.  Listen
 * on 127.0.0.1 (kernel-chosen port), connect to it, then dup2() the
 * connected socket onto stdout.  Everything the harness needs is printed
 * (and flushed) before the dup2; the result goes to stderr.  Expected event:
 * dup2 {oldfd: the socket, newfd: 1, oldfd_type: socket, remote:
 * {AF_INET, 127.0.0.1, port}}, returnValue 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t slen = sizeof(sin);
	int lfd, cfd, rv;

	printf("pid=%d\n", (int)getpid());
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 1) < 0 || getsockname(lfd, (struct sockaddr *)&sin, &slen) < 0) {
		fprintf(stderr, "trg_dupsock: listening socket: %s\n", strerror(errno));
		return 1;
	}
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		fprintf(stderr, "trg_dupsock: connect: %s\n", strerror(errno));
		return 1;
	}
	printf("port=%u\nfd=%d\n", (unsigned)ntohs(sin.sin_port), cfd);
	fflush(stdout);
	rv = dup2(cfd, STDOUT_FILENO);
	fprintf(stderr, "rv=%d\n", rv);
	return rv == STDOUT_FILENO ? 0 : 1;
}
