/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benign triggers for the live rule tests (tests/live/rules_test.py): each
 * mode does one suspicious-looking thing to itself or to a child it
 * forked, then exits 0.  Nothing outside this process tree is touched.
 *
 *   rt_trigger traceme        ptrace(PTRACE_TRACEME)                  TRC-102
 *   rt_trigger poke           attach to a child, PTRACE_POKEDATA      TRC-103, TRD-2002
 *   rt_trigger mprotect-wx    anonymous RW page made RWX              TRC-104
 *   rt_trigger mprotect-rx    anonymous R page made RX (near miss)
 *   rt_trigger memfd-exec     copy of /bin/true run from a memfd      TRC-105
 *   rt_trigger vmwrite        process_vm_writev into a child          TRC-1025
 *   rt_trigger dupsock FD     loopback socket dup2'd onto FD          TRC-101 (FD 0-2)
 *   rt_trigger procmem-read   open /proc/<child>/mem O_RDONLY         TRC-1023
 *   rt_trigger procmem-write  open /proc/<child>/mem O_WRONLY         TRC-1024
 *   rt_trigger bpf-load       BPF_PROG_LOAD of "r0 = 0; exit"          TRD-2004
 *   rt_trigger finit-module   finit_module(-1, "", 0): EBADF          TRC-1017
 *   rt_trigger spawn PROG ARG...  fork, execv(PROG), wait             (run as "nginx": TRC-1016)
 *   rt_trigger toctou-unlink N [noflip]                                TRD-2010
 *                             in the current directory, a second thread
 *                             flips a path buffer between "secret" and
 *                             "benign" while the main thread recreates both
 *                             files and unlinks the buffer, until N unlinks
 *                             removed "secret"; prints the order of what was
 *                             removed (seq=, s/b).  noflip: no second thread.
 *
 * Prints "pid=N" first, then KEY=VALUE lines the harness checks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

static volatile long target_word = 0x1122334455667788L;

static int die(const char *what)
{
	fprintf(stderr, "rt_trigger: %s: %s\n", what, strerror(errno));
	return 1;
}

/* A child that waits until killed. */
static pid_t idle_child(void)
{
	pid_t c = fork();

	if (c == 0) {
		for (;;)
			pause();
	}
	return c;
}

static void reap(pid_t c)
{
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
}

static int do_traceme(void)
{
	long rv = ptrace(PTRACE_TRACEME, 0, NULL, NULL);

	if (rv < 0)
		return die("ptrace(PTRACE_TRACEME)");
	printf("rv=%ld\n", rv);
	return 0;
}

static int do_poke(void)
{
	pid_t c = idle_child();
	int st;

	if (c < 0)
		return die("fork");
	printf("child=%d\naddr=%p\n", (int)c, (void *)&target_word);
	if (ptrace(PTRACE_ATTACH, c, NULL, NULL) < 0) {
		reap(c);
		return die("ptrace(PTRACE_ATTACH)");
	}
	waitpid(c, &st, 0);
	if (ptrace(PTRACE_POKEDATA, c, (void *)&target_word, (void *)0x42L) < 0) {
		reap(c);
		return die("ptrace(PTRACE_POKEDATA)");
	}
	ptrace(PTRACE_DETACH, c, NULL, NULL);
	reap(c);
	return 0;
}

static int do_mprotect(int wx)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, wx ? PROT_READ | PROT_WRITE : PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return die("mmap");
	printf("addr=%p\nlen=%ld\n", p, pg);
	if (mprotect(p, pg, wx ? PROT_READ | PROT_WRITE | PROT_EXEC : PROT_READ | PROT_EXEC) < 0)
		return die("mprotect");
	munmap(p, pg);
	return 0;
}

static int do_memfd_exec(void)
{
	char buf[65536];
	int in, fd;
	ssize_t n;
	pid_t c;
	int st;

	fd = memfd_create("rt_payload", MFD_CLOEXEC);
	if (fd < 0)
		return die("memfd_create");
	in = open("/bin/true", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return die("open(/bin/true)");
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n)
			return die("write(memfd)");
	close(in);
	c = fork();
	if (c == 0) {
		char *argv[] = { "rt_payload", NULL }, *envp[] = { NULL };

		syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
		_exit(127);
	}
	printf("payload_pid=%d\n", (int)c);
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "rt_trigger: memfd payload status %#x\n", st);
		return 1;
	}
	return 0;
}

static int do_vmwrite(void)
{
	long val = 0x42;
	struct iovec local = { &val, sizeof(val) }, remote = { (void *)&target_word, sizeof(val) };
	pid_t c = idle_child();
	ssize_t n;

	if (c < 0)
		return die("fork");
	printf("child=%d\n", (int)c);
	n = process_vm_writev(c, &local, 1, &remote, 1, 0);
	reap(c);
	if (n < 0)
		return die("process_vm_writev");
	printf("rv=%zd\n", n);
	return 0;
}

static int do_dupsock(int newfd)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int l, s;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &al) < 0)
		return die("listen on 127.0.0.1");
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return die("connect to 127.0.0.1");
	printf("port=%d\nfd=%d\n", ntohs(a.sin_port), s);
	fflush(stdout);
	if (dup2(s, newfd) < 0)
		return die("dup2");
	return 0;
}

static int do_procmem(int write)
{
	char path[64];
	pid_t c = idle_child();
	int fd;

	if (c < 0)
		return die("fork");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)c);
	printf("child=%d\npath=%s\n", (int)c, path);
	fd = open(path, write ? O_WRONLY : O_RDONLY);
	if (fd < 0) {
		reap(c);
		return die(path);
	}
	close(fd);
	reap(c);
	return 0;
}

static int do_bpf_load(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = 2;
	attr.license = (uintptr_t)"GPL";
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		return die("bpf(BPF_PROG_LOAD)");
	printf("fd=%d\n", fd);
	close(fd);
	return 0;
}

static int do_finit_module(void)
{
	long rv = syscall(SYS_finit_module, -1, "", 0);

	/* EBADF (root) or EPERM: nothing is loaded either way. */
	printf("rv=%ld\nerrno=%d\n", rv, rv < 0 ? errno : 0);
	return rv < 0 ? 0 : 1;
}

static int do_spawn(char **argv)
{
	pid_t c = fork();
	int st;

	if (c < 0)
		return die("fork");
	if (c == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	printf("child=%d\n", (int)c);
	waitpid(c, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/*
 * toctou-unlink: the name lives in one aligned 8-byte word, flipped with
 * single stores, so the kernel always sees one whole name (never a torn
 * mix): every unlink removes one of the two files.
 */
static _Alignas(8) union {
	_Atomic uint64_t word;
	char name[8];
} toctou_buf;
static atomic_int toctou_stop;

static uint64_t name_word(const char *n)
{
	union { uint64_t w; char c[8]; } u = { 0 };

	memcpy(u.c, n, strlen(n));
	return u.w;
}

static void *toctou_flipper(void *arg)
{
	uint64_t a = name_word("secret"), b = name_word("benign");

	(void)arg;
	while (!atomic_load_explicit(&toctou_stop, memory_order_relaxed)) {
		atomic_store_explicit(&toctou_buf.word, a, memory_order_relaxed);
		atomic_store_explicit(&toctou_buf.word, b, memory_order_relaxed);
	}
	return NULL;
}

static int make_file(const char *n)
{
	int fd = open(n, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int do_toctou_unlink(long want, int flip)
{
	long secret = 0, benign = 0, calls = 0, limit = want * 20 + 1000;
	char *seq = malloc(limit + 1);
	pthread_t th;
	size_t n = 0;
	int rc = 0;

	if (!seq)
		return die("malloc");
	atomic_store(&toctou_buf.word, name_word(flip ? "benign" : "secret"));
	if (flip && pthread_create(&th, NULL, toctou_flipper, NULL) != 0)
		return die("pthread_create");
	while (secret < want && calls < limit) {
		if (make_file("secret") || make_file("benign")) {
			rc = die("create");
			break;
		}
		calls++;
		if (syscall(SYS_unlinkat, AT_FDCWD, toctou_buf.name, 0) != 0)
			continue; /* cannot happen: both names exist */
		if (access("secret", F_OK) != 0) {
			secret++;
			seq[n++] = 's';
		} else {
			benign++;
			seq[n++] = 'b';
		}
	}
	if (flip) {
		atomic_store(&toctou_stop, 1);
		pthread_join(th, NULL);
	}
	unlink("secret");
	unlink("benign");
	seq[n] = 0;
	printf("tid=%d\ncalls=%ld\nsecret=%ld\nbenign=%ld\nseq=%s\n", (int)syscall(SYS_gettid),
	       calls, secret, benign, seq);
	free(seq);
	return rc ? rc : secret < want;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	int rc;

	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
	if (!strcmp(m, "traceme"))
		rc = do_traceme();
	else if (!strcmp(m, "poke"))
		rc = do_poke();
	else if (!strcmp(m, "mprotect-wx"))
		rc = do_mprotect(1);
	else if (!strcmp(m, "mprotect-rx"))
		rc = do_mprotect(0);
	else if (!strcmp(m, "memfd-exec"))
		rc = do_memfd_exec();
	else if (!strcmp(m, "vmwrite"))
		rc = do_vmwrite();
	else if (!strcmp(m, "dupsock") && argc > 2)
		rc = do_dupsock(atoi(argv[2]));
	else if (!strcmp(m, "procmem-read"))
		rc = do_procmem(0);
	else if (!strcmp(m, "procmem-write"))
		rc = do_procmem(1);
	else if (!strcmp(m, "bpf-load"))
		rc = do_bpf_load();
	else if (!strcmp(m, "finit-module"))
		rc = do_finit_module();
	else if (!strcmp(m, "toctou-unlink") && argc > 2)
		rc = do_toctou_unlink(atol(argv[2]), !(argc > 3 && !strcmp(argv[3], "noflip")));
	else if (!strcmp(m, "spawn") && argc > 2)
		rc = do_spawn(argv + 2);
	else {
		fprintf(stderr, "usage: rt_trigger MODE [ARGS] (see the source)\n");
		return 2;
	}
	fflush(stdout);
	return rc;
}
