/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: fork a child, write one word into the child's memory
 * with process_vm_writev(), let the child check that it arrived, exit.
 * Expected event (from the parent): process_vm_writev {pid: child,
 * liovcnt: 1, riovcnt: 1, flags: 0}, returnValue = sizeof(word) = 8.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAGIC UINT64_C(0x7472675f766d7772) /* "trg_vmwr" */

static volatile uint64_t target; /* same address in parent and child */

int main(void)
{
	int go[2], status;
	uint64_t word = MAGIC;
	struct iovec local = { .iov_base = &word, .iov_len = sizeof(word) };
	struct iovec remote = { .iov_base = (void *)&target, .iov_len = sizeof(target) };
	ssize_t rv;
	pid_t child;
	char c;

	if (pipe(go) < 0)
		return 1;
	fflush(stdout);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "trg_vmwrite: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(target == MAGIC ? 0 : 3);
	}
	close(go[0]);

	printf("pid=%d\nchild=%d\n", (int)getpid(), (int)child);
	rv = process_vm_writev(child, &local, 1, &remote, 1, 0);
	if (rv < 0)
		fprintf(stderr, "trg_vmwrite: process_vm_writev: %s\n", strerror(errno));
	printf("rv=%zd\n", rv);
	c = 'g';
	if (write(go[1], &c, 1) != 1)
		return 1;
	if (waitpid(child, &status, 0) != child)
		return 1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "trg_vmwrite: the word did not arrive in the child (status %#x)\n", status);
		return 1;
	}
	return rv == (ssize_t)sizeof(word) ? 0 : 1;
}
