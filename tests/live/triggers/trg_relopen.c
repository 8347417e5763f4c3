/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: in a fresh directory under /tmp, chdir there and
 * open("trg_rel.txt", O_WRONLY|O_CREAT, 0600) by its relative name, write
 * six bytes, clean up.  Expected events: openat {dirfd: AT_FDCWD, pathname:
 * "<dir>/trg_rel.txt" (absolute), flags: O_WRONLY|O_CREAT, mode 0600},
 * returnValue = fd; write {fd, pathname: the same absolute path, count 6},
 * returnValue 6.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char dir[] = "/tmp/trg_relopen.XXXXXX";
	char cwd[PATH_MAX];
	ssize_t w;
	int fd;

	printf("pid=%d\n", (int)getpid());
	if (!mkdtemp(dir) || chdir(dir) < 0 || !getcwd(cwd, sizeof(cwd))) {
		fprintf(stderr, "trg_relopen: temp dir: %s\n", strerror(errno));
		return 1;
	}
	printf("dir=%s\n", cwd);
	fd = open("trg_rel.txt", O_WRONLY | O_CREAT, 0600);
	if (fd < 0) {
		fprintf(stderr, "trg_relopen: open: %s\n", strerror(errno));
		return 1;
	}
	printf("fd=%d\n", fd);
	w = write(fd, "hello\n", 6);
	printf("written=%zd\n", w);
	close(fd);
	unlink("trg_rel.txt");
	if (chdir("/") < 0)
		return 1;
	rmdir(dir);
	return w == 6 ? 0 : 1;
}
