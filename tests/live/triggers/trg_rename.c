/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: in a fresh directory under /tmp, chdir there, create
 * trg_old.txt and rename("trg_old.txt", "trg_new.txt") by relative names,
 * clean up.  Expected event: rename (renameat/renameat2 on architectures
 * without rename) with oldpath/newpath absolute: "<dir>/trg_old.txt",
 * "<dir>/trg_new.txt", returnValue 0.
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
	char dir[] = "/tmp/trg_rename.XXXXXX";
	char cwd[PATH_MAX];
	int fd, rv;

	printf("pid=%d\n", (int)getpid());
	if (!mkdtemp(dir) || chdir(dir) < 0 || !getcwd(cwd, sizeof(cwd))) {
		fprintf(stderr, "trg_rename: temp dir: %s\n", strerror(errno));
		return 1;
	}
	printf("dir=%s\n", cwd);
	fd = open("trg_old.txt", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "trg_rename: create: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	rv = rename("trg_old.txt", "trg_new.txt");
	if (rv < 0)
		fprintf(stderr, "trg_rename: rename: %s\n", strerror(errno));
	printf("rv=%d\n", rv);
	unlink(rv == 0 ? "trg_new.txt" : "trg_old.txt");
	if (chdir("/") < 0)
		return 1;
	rmdir(dir);
	return rv == 0 ? 0 : 1;
}
