/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: open("/proc/self/mem", O_RDWR) once, then exit.
 * Expected event: openat {dirfd: AT_FDCWD, pathname: /proc/self/mem,
 * flags: O_RDWR}, returnValue = the fd printed as "fd=".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	int fd;

	printf("pid=%d\n", (int)getpid());
	fd = open("/proc/self/mem", O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "trg_procmem: open(/proc/self/mem): %s\n", strerror(errno));
		return 1;
	}
	printf("fd=%d\n", fd);
	return 0;
}
