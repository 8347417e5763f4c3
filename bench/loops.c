// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loops — syscall load generators for bench/overhead.sh and
 * bench/event-rate.sh.  Nothing here knows about traceed; the scripts run
 * the same loop with and without the daemon and compare.
 *
 *   loops getppid N          N x getppid()            (no rule needs it)
 *   loops openclose N [PATH] N x openat(PATH)+close() (default /etc/hostname)
 *   loops forkexec N [PROG]  N x fork, execve(PROG), waitpid (default /bin/true)
 *   loops openrate RATE SECS [WORKERS] [PATH]
 *                            openat+close at RATE per second in total, paced
 *                            in 1 ms slots, split over WORKERS processes
 *                            (RATE 0 = as fast as possible; a PATH that
 *                            does not exist gives failing openat calls,
 *                            cheaper to generate, still one event each)
 *
 * The fixed-count loops print one line:
 *   <name> ops=<N> ns=<elapsed> ns_per_op=<x> ops_per_s=<y> cpu_ns_per_op=<z>
 * (cpu: user + system time of the loop and its children, per iteration)
 * openrate prints the sum over workers:
 *   openrate target=<RATE> ops=<done> ns=<elapsed> ops_per_s=<y> behind_slots=<k>
 * where behind_slots counts 1 ms slots a worker could not finish in time
 * (the generator, not the tracer, was the limit).
 *
 * Build: cc -O2 -o loops loops.c  (the scripts do this into a temp dir).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CPU time (user + system) of this process and its waited-for children:
 * less sensitive than wall time to other load on a shared machine, and it
 * still includes everything BPF programs do in our syscalls. */
static uint64_t cpu_ns(void)
{
	struct rusage self, kids;
	uint64_t ns = 0;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	ns += (uint64_t)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
			 kids.ru_stime.tv_sec) * 1000000000ull;
	ns += (uint64_t)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
			 kids.ru_stime.tv_usec) * 1000ull;
	return ns;
}

static unsigned long parse_count(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "loops: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static uint64_t t0_cpu;

static uint64_t start_clock(void)
{
	t0_cpu = cpu_ns();
	return now_ns();
}

static void report(const char *name, unsigned long n, uint64_t ns)
{
	uint64_t cns = cpu_ns() - t0_cpu;

	printf("%s ops=%lu ns=%llu ns_per_op=%.1f ops_per_s=%.0f cpu_ns_per_op=%.1f\n", name, n,
	       (unsigned long long)ns, n ? (double)ns / (double)n : 0.0,
	       ns ? (double)n * 1e9 / (double)ns : 0.0, n ? (double)cns / (double)n : 0.0);
}

static int do_getppid(unsigned long n)
{
	uint64_t t0 = start_clock();

	for (unsigned long i = 0; i < n; i++)
		/* raw syscall: no libc caching can hide the kernel entry */
		(void)syscall(SYS_getppid);
	report("getppid", n, now_ns() - t0);
	return 0;
}

static int open_close(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC); /* glibc: openat(AT_FDCWD, ...) */

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int do_openclose(unsigned long n, const char *path)
{
	uint64_t t0;
	int r;

	r = open_close(path);
	if (r < 0) {
		fprintf(stderr, "loops: open %s: %s\n", path, strerror(-r));
		return 1;
	}
	t0 = start_clock();
	for (unsigned long i = 0; i < n; i++)
		open_close(path);
	report("openclose", n, now_ns() - t0);
	return 0;
}

static int do_forkexec(unsigned long n, const char *prog)
{
	char *const argv[] = { (char *)prog, NULL };
	char *const envp[] = { NULL };
	uint64_t t0 = start_clock();

	for (unsigned long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("loops: fork");
			return 1;
		}
		if (pid == 0) {
			execve(prog, argv, envp);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0) {
			perror("loops: waitpid");
			return 1;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "loops: %s failed (status 0x%x)\n", prog, status);
			return 1;
		}
	}
	report("forkexec", n, now_ns() - t0);
	return 0;
}

struct rate_result {
	unsigned long ops;
	unsigned long behind;
};

/* One worker: `per_ms` open+close per 1 ms slot (0 = unpaced) until the
 * deadline. */
static void rate_worker(double per_ms, uint64_t start, uint64_t end,
			const char *path, struct rate_result *out)
{
	unsigned long ops = 0, behind = 0;
	double owed = 0.0;
	uint64_t slot = start;

	if (per_ms <= 0.0) {
		while (now_ns() < end) {
			for (int i = 0; i < 256; i++)
				open_close(path);
			ops += 256;
		}
		out->ops = ops;
		out->behind = 0;
		return;
	}
	while (slot < end) {
		unsigned long k;
		struct timespec ts;

		owed += per_ms;
		k = (unsigned long)owed;
		owed -= (double)k;
		for (unsigned long i = 0; i < k; i++)
			open_close(path);
		ops += k;
		slot += 1000000ull;
		if (now_ns() > slot) {
			behind++;
			continue;
		}
		ts.tv_sec = (time_t)(slot / 1000000000ull);
		ts.tv_nsec = (long)(slot % 1000000000ull);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	out->ops = ops;
	out->behind = behind;
}

static int do_openrate(unsigned long rate, unsigned long secs, unsigned long workers,
		       const char *path)
{
	struct rate_result *res;
	uint64_t start, end, t1;
	unsigned long ops = 0, behind = 0;
	double per_ms;
	int r;

	if (workers < 1)
		workers = 1;
	/* a missing PATH is allowed here: a failing openat is still an event,
	 * and a cheaper one to generate */
	r = open_close(path);
	if (r < 0 && r != -ENOENT) {
		fprintf(stderr, "loops: open %s: %s\n", path, strerror(-r));
		return 1;
	}
	res = mmap(NULL, workers * sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		perror("loops: mmap");
		return 1;
	}
	per_ms = (double)rate / 1000.0 / (double)workers;
	/* start all workers on the same slot boundary a little in the future */
	start = now_ns() + 20000000ull;
	end = start + (uint64_t)secs * 1000000000ull;
	for (unsigned long w = 0; w < workers; w++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("loops: fork");
			return 1;
		}
		if (pid == 0) {
			struct timespec ts = { (time_t)(start / 1000000000ull),
					       (long)(start % 1000000000ull) };

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
			rate_worker(per_ms, start, end, path, &res[w]);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	t1 = now_ns();
	for (unsigned long w = 0; w < workers; w++) {
		ops += res[w].ops;
		behind += res[w].behind;
	}
	printf("openrate target=%lu ops=%lu ns=%llu ops_per_s=%.0f behind_slots=%lu\n", rate,
	       ops, (unsigned long long)(t1 - start),
	       (double)ops * 1e9 / (double)(t1 - start), behind);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: loops getppid N\n"
		"       loops openclose N [PATH]\n"
		"       loops forkexec N [PROG]\n"
		"       loops openrate RATE SECS [WORKERS] [PATH]\n");
	return 2;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "getppid"))
		return do_getppid(parse_count(argv[2]));
	if (!strcmp(argv[1], "openclose"))
		return do_openclose(parse_count(argv[2]), argc > 3 ? argv[3] : "/etc/hostname");
	if (!strcmp(argv[1], "forkexec"))
		return do_forkexec(parse_count(argv[2]), argc > 3 ? argv[3] : "/bin/true");
	if (!strcmp(argv[1], "openrate") && argc >= 4)
		return do_openrate(parse_count(argv[2]), parse_count(argv[3]),
				   argc > 4 ? parse_count(argv[4]) : 1,
				   argc > 5 ? argv[5] : "/etc/hostname");
	return usage();
}
