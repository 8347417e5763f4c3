/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: listen on 127.0.0.1 (kernel-chosen port), connect a
 * second socket to it, exit.  Loopback only.  Expected event: connect
 * {sockfd: the client fd, addr: {AF_INET, 127.0.0.1, port}}, returnValue 0.
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
		fprintf(stderr, "trg_connect: listening socket: %s\n", strerror(errno));
		return 1;
	}
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0)
		return 1;
	printf("port=%u\nfd=%d\n", (unsigned)ntohs(sin.sin_port), cfd);
	rv = connect(cfd, (struct sockaddr *)&sin, sizeof(sin));
	if (rv < 0)
		fprintf(stderr, "trg_connect: connect: %s\n", strerror(errno));
	printf("rv=%d\n", rv);
	return rv == 0 ? 0 : 1;
}
