/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: mmap one anonymous read-write page, then mprotect it to
 * read-write-execute.  Expected event: mprotect {addr: the page, len: 4096,
 * prot: PROT_READ|PROT_WRITE|PROT_EXEC, prev_prot: PROT_READ|PROT_WRITE},
 * returnValue 0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	const size_t len = 4096;
	void *p;
	int rv;

	printf("pid=%d\n", (int)getpid());
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "trg_mprotect: mmap: %s\n", strerror(errno));
		return 1;
	}
	printf("addr=%#lx\nlen=%zu\n", (unsigned long)p, len);
	rv = mprotect(p, len, PROT_READ | PROT_WRITE | PROT_EXEC);
	if (rv < 0)
		fprintf(stderr, "trg_mprotect: mprotect: %s\n", strerror(errno));
	printf("rv=%d\n", rv);
	return rv == 0 ? 0 : 1;
}
