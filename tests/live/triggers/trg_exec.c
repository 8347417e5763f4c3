/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: execve() the trg_child trigger that sits next to this
 * executable, with argv ["trg_child", "alpha", "beta gamma"] and the
 * environment unchanged.  The pid stays the same across the exec.
 * Expected events: execve (comm trg_exec) and sched_process_exec (comm
 * trg_child), pathname = the absolute path printed as "child=".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(void)
{
	char self[PATH_MAX], child[PATH_MAX + 16];
	char *argv[] = { "trg_child", "alpha", "beta gamma", NULL };
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0) {
		fprintf(stderr, "trg_exec: readlink(/proc/self/exe): %s\n", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return 1;
	*slash = '\0';
	snprintf(child, sizeof(child), "%s/trg_child", self);

	printf("pid=%d\nchild=%s\n", (int)getpid(), child);
	fflush(stdout);
	execve(child, argv, environ);
	fprintf(stderr, "trg_exec: execve(%s): %s\n", child, strerror(errno));
	return 1;
}
