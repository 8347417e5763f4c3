// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A polkit text agent (pkttyagent) for one interactive call, the way
 * systemctl does it.  "Allow interactive authorization" on a call only
 * helps if some agent can ask the user; on a server without a desktop that
 * is this one, on our terminal.  We wait until the agent says it has
 * registered (--notify-fd) so that polkit finds it when our call arrives.
 * Everything here is best effort: without an agent the call is simply
 * refused and the error says what it needed.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracectl.h"

#define PKTTYAGENT "/usr/bin/pkttyagent"

int polkit_agent_open(void)
{
	int pipefd[2];
	pid_t pid, parent = getpid();

	/* root needs no authentication, and without a terminal for both
	 * directions there is nobody to ask */
	if (geteuid() == 0 || !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return 0;
	if (access(PKTTYAGENT, X_OK) < 0)
		return 0;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return 0;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return 0;
	}
	if (pid == 0) {
		char fdstr[16], pidstr[32];
		int fd = dup(pipefd[1]); /* without O_CLOEXEC: the agent keeps it */

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd < 0 || getppid() != parent)
			_exit(EXIT_FAILURE);
		snprintf(fdstr, sizeof(fdstr), "%d", fd);
		snprintf(pidstr, sizeof(pidstr), "%d", (int)parent);
		/* fixed argv, no shell */
		execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", fdstr, "--fallback",
		      "--process", pidstr, (char *)NULL);
		_exit(EXIT_FAILURE);
	}
	close(pipefd[1]);
	{
		/* the agent closes (or writes to) the fd once registered, or
		 * dies; do not hang if it does neither */
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };

		(void)poll(&p, 1, 10000);
	}
	close(pipefd[0]);
	return (int)pid;
}

void polkit_agent_close(int pid)
{
	if (pid <= 0)
		return;
	kill((pid_t)pid, SIGTERM);
	(void)waitpid((pid_t)pid, NULL, 0);
}
