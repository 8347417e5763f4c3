/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: fileless execution.  memfd_create("trg_payload",
 * MFD_CLOEXEC), copy this very executable into it, then
 * execveat(fd, "", argv, environ, AT_EMPTY_PATH) with argv
 * ["trg_memfd", "--payload"].  The payload (the same program) prints its pid
 * and its comm (which the kernel derives from the memfd, not "trg_memfd")
 * and exits.  Expected events: memfd_create {name: trg_payload, flags:
 * MFD_CLOEXEC} and sched_process_exec {is_memfd: true, pathname
 * "/memfd:trg_payload..."} from the same pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static int copy_self(int dst)
{
	char buf[65536];
	ssize_t n;
	int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	if (src < 0)
		return -1;
	while ((n = read(src, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(dst, buf + off, (size_t)(n - off));
			if (w < 0) {
				close(src);
				return -1;
			}
			off += w;
		}
	}
	close(src);
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	char *nargv[] = { "trg_memfd", "--payload", NULL };
	char comm[32] = "";
	int fd;

	if (argc > 1 && strcmp(argv[1], "--payload") == 0) {
		FILE *f = fopen("/proc/self/comm", "re");
		if (f) {
			if (fgets(comm, sizeof(comm), f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
		printf("payload_pid=%d\npayload_comm=%s\n", (int)getpid(), comm);
		return 0;
	}

	printf("pid=%d\n", (int)getpid());
	fd = memfd_create("trg_payload", MFD_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "trg_memfd: memfd_create: %s\n", strerror(errno));
		return 1;
	}
	printf("fd=%d\n", fd);
	if (copy_self(fd) < 0) {
		fprintf(stderr, "trg_memfd: copying /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	syscall(SYS_execveat, fd, "", nargv, environ, AT_EMPTY_PATH);
	fprintf(stderr, "trg_memfd: execveat(memfd, AT_EMPTY_PATH): %s\n", strerror(errno));
	return 1;
}
