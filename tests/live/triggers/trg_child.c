/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Live-test trigger: the program trg_exec executes.  Prints its pid and
 * argument count and exits; does nothing else.
 */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	(void)argv;
	printf("child_pid=%d\nchild_argc=%d\n", (int)getpid(), argc);
	return 0;
}
