/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: ptrace(PTRACE_TRACEME) once, then exit.
 * Expected event: ptrace {request: PTRACE_TRACEME, pid: 0}, returnValue = rv.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(void)
{
	long rv;

	printf("pid=%d\n", (int)getpid());
	rv = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	if (rv < 0) {
		fprintf(stderr, "trg_traceme: ptrace(PTRACE_TRACEME): %s\n", strerror(errno));
		return 1;
	}
	printf("rv=%ld\n", rv);
	/* Traced from now on: exit without raising any signal. */
	return 0;
}
