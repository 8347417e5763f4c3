/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: re-execute this executable (by its absolute path, so
 * the comm stays "trg_preload") with argv ["trg_preload", "--stage2"] and a
 * fixed environment holding LD_PRELOAD and LD_LIBRARY_PATH among ordinary
 * variables.  ld.so complains that /tmp/nonexistent.so cannot be preloaded
 * and carries on.  Expected: execve envp and sched_process_exec env list
 * only the LD_PRELOAD and LD_LIBRARY_PATH entries, in this order.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char self[PATH_MAX];
	char *nargv[] = { "trg_preload", "--stage2", NULL };
	char *nenv[] = {
		"HOME=/nonexistent/trg-home",
		"TRG_SECRET=must-not-appear",
		"LD_PRELOAD=/tmp/nonexistent.so",
		"PATH=/usr/bin:/bin",
		"LD_LIBRARY_PATH=/tmp/trg-nonexistent-libdir",
		NULL,
	};
	ssize_t n;

	if (argc > 1 && strcmp(argv[1], "--stage2") == 0) {
		printf("stage2_pid=%d\n", (int)getpid());
		return 0;
	}

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "trg_preload: readlink(/proc/self/exe): %s\n", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	printf("pid=%d\nself=%s\n", (int)getpid(), self);
	fflush(stdout);
	execve(self, nargv, nenv);
	fprintf(stderr, "trg_preload: execve(%s): %s\n", self, strerror(errno));
	return 1;
}
