/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: a flood of failing opens.  NPROC processes open(2) a
 * ~4 KB path that does not exist, as fast as they can, for SECS seconds;
 * every call fails with ENOENT at the path's first component.
 *
 *   trg_flood NPROC SECS
 *
 * Prints pid=<pid> first and opens=<total over the processes> at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COMPONENTS 15
#define COMPONENT_LEN 250

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char path[4096];
	unsigned long *counts, total = 0;
	int nproc, secs;
	size_t len;
	double end;

	if (argc != 3 || (nproc = atoi(argv[1])) < 1 || nproc > 64 || (secs = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: trg_flood NPROC SECS\n");
		return 2;
	}
	len = (size_t)snprintf(path, sizeof(path), "/nonexistent-traceed-flood");
	for (int c = 0; c < COMPONENTS; c++) {
		path[len++] = '/';
		memset(path + len, 'x', COMPONENT_LEN);
		len += COMPONENT_LEN;
	}
	path[len] = '\0';
	counts = mmap(NULL, sizeof(*counts) * (size_t)nproc, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED) {
		perror("trg_flood: mmap");
		return 1;
	}
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
	end = now() + secs;
	for (int p = 0; p < nproc; p++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("trg_flood: fork");
			return 1;
		}
		if (pid == 0) {
			unsigned long n = 0;

			while (now() < end) {
				for (int i = 0; i < 256; i++) {
					int fd = open(path, O_RDONLY);

					if (fd >= 0) {
						fprintf(stderr, "trg_flood: %s exists\n", path);
						_exit(1);
					}
				}
				n += 256;
			}
			counts[p] = n;
			_exit(0);
		}
	}
	while (wait(NULL) > 0 || errno == EINTR)
		;
	for (int p = 0; p < nproc; p++)
		total += counts[p];
	printf("opens=%lu\n", total);
	return 0;
}
