// SPDX-License-Identifier: LGPL-2.1-or-later
/* Argument formatting (text and JSON values), flag tables, strbuf. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>

#include "event.h"
#include "event_format.h"
#include "strbuf.h"

static struct strbuf sb;

static int setup(void **state)
{
	(void)state;
	sb_init(&sb);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sb_free(&sb);
	return 0;
}

static const char *num_text(uint8_t fmt, uint8_t wire, uint64_t u)
{
	struct te_arg_desc d = { "x", "int", wire, fmt, false };
	struct te_arg_value v = { .present = true, .u = u };

	sb_reset(&sb);
	te_arg_text(&sb, &d, &v);
	return sb_str(&sb);
}

static const char *num_json(uint8_t fmt, uint8_t wire, uint64_t u)
{
	struct te_arg_desc d = { "x", "int", wire, fmt, false };
	struct te_arg_value v = { .present = true, .u = u };

	sb_reset(&sb);
	te_arg_json(&sb, &d, &v);
	return sb_str(&sb);
}

#define T(fmt, u) num_text(TE_FMT_##fmt, TE_W_U64, (uint64_t)(u))
#define TS(fmt, s) num_text(TE_FMT_##fmt, TE_W_S64, (uint64_t)(int64_t)(s))
#define J(fmt, u) num_json(TE_FMT_##fmt, TE_W_U64, (uint64_t)(u))
#define JS(fmt, s) num_json(TE_FMT_##fmt, TE_W_S64, (uint64_t)(int64_t)(s))

static const char *buf_text(uint8_t fmt, uint8_t wire, const void *p, size_t n)
{
	struct te_arg_desc d = { "x", "t", wire, fmt, false };
	struct te_arg_value v = { .present = true };

	v.buf.p = p;
	v.buf.len = n;
	sb_reset(&sb);
	te_arg_text(&sb, &d, &v);
	return sb_str(&sb);
}

static const char *buf_json(uint8_t fmt, uint8_t wire, const void *p, size_t n)
{
	struct te_arg_desc d = { "x", "t", wire, fmt, false };
	struct te_arg_value v = { .present = true };

	v.buf.p = p;
	v.buf.len = n;
	sb_reset(&sb);
	te_arg_json(&sb, &d, &v);
	return sb_str(&sb);
}

static void test_numbers(void **state)
{
	(void)state;
	assert_string_equal(TS(INT, -5), "-5");
	assert_string_equal(JS(INT, -5), "-5");
	assert_string_equal(T(UINT, UINT64_MAX), "18446744073709551615");
	assert_string_equal(J(UINT, UINT64_MAX), "18446744073709551615");
	assert_string_equal(T(HEX, 0x7f00dead0000ull), "0x7f00dead0000");
	assert_string_equal(J(HEX, 0), "\"0x0\"");
	assert_string_equal(T(BOOL, 1), "true");
	assert_string_equal(J(BOOL, 0), "false");
	assert_string_equal(J(BOOL, 7), "true");
	/* absent */
	{
		struct te_arg_desc d = { "x", "int", TE_W_S64, TE_FMT_INT, false };
		struct te_arg_value v = { .present = false, .s = 5 };

		sb_reset(&sb);
		te_arg_text(&sb, &d, &v);
		assert_string_equal(sb_str(&sb), "");
		te_arg_json(&sb, &d, &v);
		assert_string_equal(sb_str(&sb), "null");
	}
}

static void test_dirfd_mode(void **state)
{
	(void)state;
	assert_string_equal(TS(DIRFD, -100), "AT_FDCWD");
	assert_string_equal(JS(DIRFD, -100), "\"AT_FDCWD\"");
	assert_string_equal(T(DIRFD, 0xffffff9cu), "AT_FDCWD"); /* zero-extended int */
	assert_string_equal(TS(DIRFD, 3), "3");
	assert_string_equal(JS(DIRFD, 3), "3");
	assert_string_equal(TS(DIRFD, -1), "-1");
	assert_string_equal(T(DIRFD, 0x1ffffff9cull), "8589934492"); /* not an int */
	assert_string_equal(T(MODE, 0755), "0755");
	assert_string_equal(T(MODE, 04755), "04755");
	assert_string_equal(T(MODE, 0), "0000");
	assert_string_equal(T(MODE, 0600), "0600");
	assert_string_equal(J(MODE, 0644), "\"0644\"");
}

static void test_open_flags(void **state)
{
	(void)state;
	assert_string_equal(T(OPEN_FLAGS, O_WRONLY | O_CREAT | O_CLOEXEC), "O_WRONLY|O_CREAT|O_CLOEXEC");
	assert_string_equal(J(OPEN_FLAGS, O_WRONLY | O_CREAT | O_CLOEXEC),
			    "\"O_WRONLY|O_CREAT|O_CLOEXEC\"");
	assert_string_equal(T(OPEN_FLAGS, 0), "O_RDONLY");
	assert_string_equal(T(OPEN_FLAGS, O_RDWR | O_TRUNC | O_APPEND), "O_RDWR|O_TRUNC|O_APPEND");
	assert_string_equal(T(OPEN_FLAGS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW),
			    "O_RDONLY|O_DIRECTORY|O_NOFOLLOW");
	/* composites are not split into their bits */
	assert_string_equal(T(OPEN_FLAGS, O_RDWR | O_TMPFILE), "O_RDWR|O_TMPFILE");
	assert_string_equal(T(OPEN_FLAGS, O_WRONLY | O_SYNC), "O_WRONLY|O_SYNC");
	assert_string_equal(T(OPEN_FLAGS, O_WRONLY | O_DSYNC), "O_WRONLY|O_DSYNC");
	assert_string_equal(T(OPEN_FLAGS, O_PATH | O_CLOEXEC), "O_RDONLY|O_CLOEXEC|O_PATH");
	assert_string_equal(T(OPEN_FLAGS, O_RDONLY | O_EXCL | O_NOCTTY | O_NONBLOCK | O_DIRECT | O_NOATIME),
			    "O_RDONLY|O_EXCL|O_NOCTTY|O_NONBLOCK|O_DIRECT|O_NOATIME");
#if defined(__x86_64__)
	assert_string_equal(T(OPEN_FLAGS, 0100000), "O_RDONLY|O_LARGEFILE");
#endif
	/* unknown bits as hex; 3 is not an access mode */
	assert_string_equal(T(OPEN_FLAGS, O_WRONLY | 0x40000000), "O_WRONLY|0x40000000");
	assert_string_equal(T(OPEN_FLAGS, 3 | O_CREAT), "O_CREAT|0x3");
}

static void test_mem_flags(void **state)
{
	(void)state;
	assert_string_equal(T(PROT, 6), "PROT_WRITE|PROT_EXEC");
	assert_string_equal(J(PROT, 6), "\"PROT_WRITE|PROT_EXEC\"");
	assert_string_equal(T(PROT, 0), "PROT_NONE");
	assert_string_equal(T(PROT, 7), "PROT_READ|PROT_WRITE|PROT_EXEC");
	assert_string_equal(T(PROT, 1 | 0x01000000), "PROT_READ|PROT_GROWSDOWN");
	assert_string_equal(T(PROT, 0x10), "0x10");
	assert_string_equal(T(MMAP_FLAGS, 0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
	assert_string_equal(T(MMAP_FLAGS, 0x11), "MAP_SHARED|MAP_FIXED");
	assert_string_equal(T(MMAP_FLAGS, 0x03), "MAP_SHARED_VALIDATE");
	assert_string_equal(T(MMAP_FLAGS, 0x22 | 0x40000 | (21u << 26)),
			    "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB");
	assert_string_equal(T(MMAP_FLAGS, 0x22 | 0x40000 | (30u << 26)),
			    "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_1GB");
	/* bit 26 without MAP_HUGETLB is MAP_UNINITIALIZED */
	assert_string_equal(T(MMAP_FLAGS, 0x22 | 0x4000000), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_UNINITIALIZED");
	assert_string_equal(T(MMAP_FLAGS, 0x2 | 0x100000 | 0x20000), "MAP_PRIVATE|MAP_STACK|MAP_FIXED_NOREPLACE");
	assert_string_equal(T(MMAP_FLAGS, 0x22 | 0x40000 | (16u << 26)),
			    "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_64KB");
	assert_string_equal(T(MMAP_FLAGS, 0), "0");
	assert_string_equal(T(MEMFD_FLAGS, 3), "MFD_CLOEXEC|MFD_ALLOW_SEALING");
	assert_string_equal(T(MEMFD_FLAGS, 0x18), "MFD_NOEXEC_SEAL|MFD_EXEC");
	assert_string_equal(T(MEMFD_FLAGS, 0), "0");
}

static void test_ptrace_signal(void **state)
{
	(void)state;
	assert_string_equal(TS(PTRACE_REQ, 0), "PTRACE_TRACEME");
	assert_string_equal(JS(PTRACE_REQ, 0), "\"PTRACE_TRACEME\"");
	assert_string_equal(TS(PTRACE_REQ, 1), "PTRACE_PEEKTEXT");
	assert_string_equal(TS(PTRACE_REQ, 4), "PTRACE_POKETEXT");
	assert_string_equal(TS(PTRACE_REQ, 5), "PTRACE_POKEDATA");
	assert_string_equal(TS(PTRACE_REQ, 16), "PTRACE_ATTACH");
	assert_string_equal(TS(PTRACE_REQ, 0x4206), "PTRACE_SEIZE");
	assert_string_equal(TS(PTRACE_REQ, 0x4207), "PTRACE_INTERRUPT");
	assert_string_equal(TS(PTRACE_REQ, 0x420e), "PTRACE_GET_SYSCALL_INFO");
	assert_string_equal(TS(PTRACE_REQ, 0x4211), "PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG");
#if defined(__x86_64__)
	assert_string_equal(TS(PTRACE_REQ, 12), "PTRACE_GETREGS");
	assert_string_equal(TS(PTRACE_REQ, 13), "PTRACE_SETREGS");
	assert_string_equal(TS(PTRACE_REQ, 30), "PTRACE_ARCH_PRCTL");
#endif
	assert_string_equal(TS(PTRACE_REQ, 9999), "9999");
	assert_string_equal(JS(PTRACE_REQ, 9999), "\"9999\"");
	assert_string_equal(TS(PTRACE_REQ, -1), "-1");

	assert_string_equal(TS(SIGNAL, 9), "SIGKILL");
	assert_string_equal(JS(SIGNAL, 9), "\"SIGKILL\"");
	assert_string_equal(TS(SIGNAL, 15), "SIGTERM");
	assert_string_equal(TS(SIGNAL, 19), "SIGSTOP");
	assert_string_equal(TS(SIGNAL, 31), "SIGSYS");
	assert_string_equal(TS(SIGNAL, 0), "0");
	assert_string_equal(TS(SIGNAL, 32), "SIGRTMIN");
	assert_string_equal(TS(SIGNAL, 34), "SIGRTMIN+2");
	assert_string_equal(TS(SIGNAL, 63), "SIGRTMIN+31");
	assert_string_equal(TS(SIGNAL, 64), "SIGRTMAX");
	assert_string_equal(TS(SIGNAL, 65), "65");
	assert_string_equal(TS(SIGNAL, -9), "-9");
}

static void test_ns_bpf_sock(void **state)
{
	(void)state;
	assert_string_equal(T(CLONE_FLAGS, 0x20000 | 0x10000000), "CLONE_NEWNS|CLONE_NEWUSER");
	assert_string_equal(J(CLONE_FLAGS, 0x20000 | 0x10000000), "\"CLONE_NEWNS|CLONE_NEWUSER\"");
	assert_string_equal(T(CLONE_FLAGS, 0x40000000), "CLONE_NEWNET");
	assert_string_equal(T(CLONE_FLAGS, 0x20000000 | 0x80 | 0x02000000),
			    "CLONE_NEWTIME|CLONE_NEWCGROUP|CLONE_NEWPID");
	assert_string_equal(T(CLONE_FLAGS, 0x04000000 | 0x08000000), "CLONE_NEWUTS|CLONE_NEWIPC");
	assert_string_equal(T(CLONE_FLAGS, 0), "0");
	assert_string_equal(T(CLONE_FLAGS, 0x400 | 0x1), "CLONE_FILES|0x1");

	assert_string_equal(TS(BPF_CMD, 0), "BPF_MAP_CREATE");
	assert_string_equal(TS(BPF_CMD, 5), "BPF_PROG_LOAD");
	assert_string_equal(JS(BPF_CMD, 5), "\"BPF_PROG_LOAD\"");
	assert_string_equal(TS(BPF_CMD, 28), "BPF_LINK_CREATE");
	assert_string_equal(TS(BPF_CMD, 35), "BPF_PROG_BIND_MAP");
	assert_string_equal(TS(BPF_CMD, 36), "BPF_TOKEN_CREATE");
	assert_string_equal(TS(BPF_CMD, 37), "37");
	assert_string_equal(TS(BPF_CMD, -1), "-1");

	assert_string_equal(TS(SOCK_DOMAIN, 2), "AF_INET");
	assert_string_equal(TS(SOCK_DOMAIN, 10), "AF_INET6");
	assert_string_equal(TS(SOCK_DOMAIN, 1), "AF_UNIX");
	assert_string_equal(TS(SOCK_DOMAIN, 16), "AF_NETLINK");
	assert_string_equal(TS(SOCK_DOMAIN, 17), "AF_PACKET");
	assert_string_equal(JS(SOCK_DOMAIN, 200), "\"200\"");
	assert_string_equal(T(SOCK_TYPE, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC),
			    "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC");
	assert_string_equal(T(SOCK_TYPE, SOCK_RAW), "SOCK_RAW");
	assert_string_equal(T(SOCK_TYPE, SOCK_CLOEXEC), "SOCK_CLOEXEC"); /* accept4 flags */
	assert_string_equal(T(SOCK_TYPE, 0), "0");
	assert_string_equal(T(SOCK_TYPE, 9), "9");

	assert_string_equal(T(FD_TYPE, 0), "unknown");
	assert_string_equal(T(FD_TYPE, 1), "file");
	assert_string_equal(T(FD_TYPE, 2), "pipe");
	assert_string_equal(J(FD_TYPE, 3), "\"socket\"");
	assert_string_equal(T(FD_TYPE, 4), "tty");
	assert_string_equal(T(FD_TYPE, 5), "other");
	assert_string_equal(T(FD_TYPE, 6), "6");
}

static void test_fs_flags_caps(void **state)
{
	(void)state;
	assert_string_equal(T(MOUNT_FLAGS, 0x1000 | 0x4000), "MS_BIND|MS_REC");
	assert_string_equal(T(MOUNT_FLAGS, 32 | 1 | 2), "MS_RDONLY|MS_NOSUID|MS_REMOUNT");
	assert_string_equal(T(MOUNT_FLAGS, 0xC0ED0001u), "MS_MGC_VAL|MS_RDONLY");
	assert_string_equal(T(MOUNT_FLAGS, (1 << 18) | (1 << 14)), "MS_REC|MS_PRIVATE");
	assert_string_equal(T(MOUNT_FLAGS, 0), "0");
	assert_string_equal(T(UMOUNT_FLAGS, 2), "MNT_DETACH");
	assert_string_equal(T(UMOUNT_FLAGS, 1 | 8), "MNT_FORCE|UMOUNT_NOFOLLOW");
	assert_string_equal(T(UMOUNT_FLAGS, 4), "MNT_EXPIRE");
	assert_string_equal(T(UMOUNT_FLAGS, 0), "0");
	assert_string_equal(T(AT_FLAGS, 0x200), "AT_REMOVEDIR");
	assert_string_equal(T(AT_FLAGS, 0x1000 | 0x100), "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
	assert_string_equal(T(AT_FLAGS, 0), "0");
	assert_string_equal(T(RENAME_FLAGS, 2), "RENAME_EXCHANGE");
	assert_string_equal(T(RENAME_FLAGS, 5), "RENAME_NOREPLACE|RENAME_WHITEOUT");
	assert_string_equal(T(RENAME_FLAGS, 8), "0x8");

	assert_string_equal(T(CAPS, (1ull << 0) | (1ull << 21)), "CAP_CHOWN|CAP_SYS_ADMIN");
	assert_string_equal(J(CAPS, 1ull << 21), "\"CAP_SYS_ADMIN\"");
	assert_string_equal(T(CAPS, 1ull << 39), "CAP_BPF");
	assert_string_equal(T(CAPS, 1ull << 41), "0x20000000000");
	assert_string_equal(T(CAPS, 0), "0");
	{
		const char *all = T(CAPS, (1ull << 41) - 1);
		unsigned int bars = 0;

		for (const char *p = all; *p; p++)
			bars += *p == '|';
		assert_int_equal(bars, 40);
		assert_true(strncmp(all, "CAP_CHOWN|CAP_DAC_OVERRIDE|", 27) == 0);
		assert_non_null(strstr(all, "|CAP_SYS_PTRACE|"));
		assert_non_null(strstr(all, "|CAP_PERFMON|CAP_BPF|CAP_CHECKPOINT_RESTORE"));
		assert_null(strstr(all, "0x"));
	}
}

static void test_strings(void **state)
{
	static const char arr[] = "one\0two\0\0four";

	(void)state;
	assert_string_equal(buf_text(TE_FMT_STR, TE_W_STR, "/tmp/a \"b\"", 10), "/tmp/a \"b\"");
	assert_string_equal(buf_json(TE_FMT_STR, TE_W_STR, "/tmp/a \"b\"", 10), "\"/tmp/a \\\"b\\\"\"");
	assert_string_equal(buf_json(TE_FMT_STR, TE_W_STR, "", 0), "\"\"");
	assert_string_equal(buf_text(TE_FMT_STRARR, TE_W_STRARR, arr, sizeof(arr)), "one two  four");
	assert_string_equal(buf_json(TE_FMT_STRARR, TE_W_STRARR, arr, sizeof(arr)),
			    "[\"one\",\"two\",\"\",\"four\"]");
	/* missing final NUL (kernel cut argv): the tail is the last string */
	assert_string_equal(buf_json(TE_FMT_STRARR, TE_W_STRARR, "sh\0-c\0ech", 9),
			    "[\"sh\",\"-c\",\"ech\"]");
	assert_string_equal(buf_text(TE_FMT_STRARR, TE_W_STRARR, "sh\0-c\0ech", 9), "sh -c ech");
	assert_string_equal(buf_json(TE_FMT_STRARR, TE_W_STRARR, "", 0), "[]");
	assert_string_equal(buf_json(TE_FMT_STRARR, TE_W_STRARR, "\0", 1), "[\"\"]");
	assert_string_equal(buf_text(TE_FMT_STRARR, TE_W_STRARR, "", 0), "");
}

/* ---- sockaddr ----------------------------------------------------------- */

static void test_sockaddr_inet(void **state)
{
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(4444) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(80) };

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &in, sizeof(in)),
			    "AF_INET 127.0.0.1:4444");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, &in, sizeof(in)),
			    "{\"sa_family\":\"AF_INET\",\"sin_port\":\"4444\",\"sin_addr\":\"127.0.0.1\"}");
	/* 8 bytes are enough for the address; fewer are not */
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &in, 8), "AF_INET 127.0.0.1:4444");
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &in, 7), "AF_INET");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, &in, 7), "{\"sa_family\":\"AF_INET\"}");

	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &in6, sizeof(in6)),
			    "AF_INET6 [::1]:80");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, &in6, sizeof(in6)),
			    "{\"sa_family\":\"AF_INET6\",\"sin6_port\":\"80\",\"sin6_addr\":\"::1\","
			    "\"sin6_flowinfo\":\"0\",\"sin6_scope_id\":\"0\"}");
	inet_pton(AF_INET6, "fe80::1", &in6.sin6_addr);
	in6.sin6_scope_id = 2;
	in6.sin6_flowinfo = htonl(0x12345);
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &in6, sizeof(in6)),
			    "AF_INET6 [fe80::1%2]:80");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, &in6, sizeof(in6)),
			    "{\"sa_family\":\"AF_INET6\",\"sin6_port\":\"80\",\"sin6_addr\":\"fe80::1\","
			    "\"sin6_flowinfo\":\"74565\",\"sin6_scope_id\":\"2\"}");
	/* RFC 2133 length (no scope id): address read, scope 0 */
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &in6, 24), "AF_INET6 [fe80::1]:80");
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &in6, 23), "AF_INET6");
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &in6.sin6_addr);
	in6.sin6_scope_id = 0;
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &in6, sizeof(in6)),
			    "AF_INET6 [::ffff:10.0.0.1]:80");
}

static void test_sockaddr_unix_other(void **state)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	unsigned char big[TE_MAX_SOCKADDR];
	sa_family_t fam;
	const char *s;

	(void)state;
	strcpy(un.sun_path, "/run/x");
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &un, sizeof(un)), "AF_UNIX /run/x");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, &un, sizeof(un)),
			    "{\"sa_family\":\"AF_UNIX\",\"sun_path\":\"/run/x\"}");
	/* addrlen without the NUL */
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &un, 2 + 6), "AF_UNIX /run/x");
	/* abstract: leading NUL shown as @, the length is exact */
	memset(un.sun_path, 0, sizeof(un.sun_path));
	memcpy(un.sun_path, "\0foo", 4);
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &un, 2 + 4), "AF_UNIX @foo");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, &un, 2 + 4),
			    "{\"sa_family\":\"AF_UNIX\",\"sun_path\":\"@foo\"}");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, &un, 2 + 5),
			    "{\"sa_family\":\"AF_UNIX\",\"sun_path\":\"@foo\\u0000\"}");
	/* unnamed */
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, &un, 2), "AF_UNIX");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, &un, 2),
			    "{\"sa_family\":\"AF_UNIX\",\"sun_path\":\"\"}");
	/* longer than sun_path (the kernel copies up to 128 bytes): clamped */
	memset(big, 'a', sizeof(big));
	fam = AF_UNIX;
	memcpy(big, &fam, sizeof(fam));
	s = buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, big, sizeof(big));
	assert_int_equal(strlen(s), strlen("AF_UNIX ") + sizeof(un.sun_path));

	/* too short for a family */
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, "\x02", 1), "");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, "\x02", 1), "{}");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, "", 0), "{}");
	/* other families: the family alone */
	fam = AF_NETLINK;
	memcpy(big, &fam, sizeof(fam));
	assert_string_equal(buf_text(TE_FMT_SOCKADDR, TE_W_BYTES, big, 12), "AF_NETLINK");
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, big, 12), "{\"sa_family\":\"AF_NETLINK\"}");
	fam = 999;
	memcpy(big, &fam, sizeof(fam));
	assert_string_equal(buf_json(TE_FMT_SOCKADDR, TE_W_BYTES, big, 16), "{\"sa_family\":\"999\"}");
}

/* ---- strbuf -------------------------------------------------------------- */

static const char *js(const char *s, size_t n)
{
	sb_reset(&sb);
	sb_json_str(&sb, s, n);
	return sb_str(&sb);
}

static void test_json_str(void **state)
{
	(void)state;
	assert_string_equal(js("abc", 3), "\"abc\"");
	assert_string_equal(js("a\"b\\c/", 6), "\"a\\\"b\\\\c/\"");
	assert_string_equal(js("\n\t\r\b\f", 5), "\"\\n\\t\\r\\b\\f\"");
	assert_string_equal(js("\x01\x1f\x7f", 3), "\"\\u0001\\u001f\\u007f\"");
	assert_string_equal(js("a\0b", 3), "\"a\\u0000b\"");
	/* valid UTF-8 passes through: é, €, U+1F600, U+10FFFF */
	assert_string_equal(js("\xc3\xa9", 2), "\"\xc3\xa9\"");
	assert_string_equal(js("\xe2\x82\xac", 3), "\"\xe2\x82\xac\"");
	assert_string_equal(js("\xf0\x9f\x98\x80", 4), "\"\xf0\x9f\x98\x80\"");
	assert_string_equal(js("\xf4\x8f\xbf\xbf", 4), "\"\xf4\x8f\xbf\xbf\"");
	/* invalid: each offending byte as \u00XX */
	assert_string_equal(js("\xff", 1), "\"\\u00ff\"");
	assert_string_equal(js("a\xe9z", 3), "\"a\\u00e9z\"");             /* Latin-1 é */
	assert_string_equal(js("\xc0\x80", 2), "\"\\u00c0\\u0080\"");        /* overlong NUL */
	assert_string_equal(js("\xe0\x80\xaf", 3), "\"\\u00e0\\u0080\\u00af\""); /* overlong */
	assert_string_equal(js("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\""); /* surrogate */
	assert_string_equal(js("\xf4\x90\x80\x80", 4), "\"\\u00f4\\u0090\\u0080\\u0080\""); /* > U+10FFFF */
	assert_string_equal(js("\xe2\x82", 2), "\"\\u00e2\\u0082\"");        /* cut at the end */
	assert_string_equal(js("\xe2\x82x", 3), "\"\\u00e2\\u0082x\"");
	assert_string_equal(js("\x80", 1), "\"\\u0080\"");                  /* lone continuation */
	assert_string_equal(js("", 0), "\"\"");
}

static void test_strbuf(void **state)
{
	struct strbuf b;
	char big[3000];
	char *p;

	(void)state;
	sb_init(&b);
	assert_string_equal(sb_str(&b), "");
	sb_putc(&b, 'x');
	sb_puts(&b, "yz");
	sb_put(&b, "0123", 2);
	sb_printf(&b, "-%d-%s", 42, "ok");
	assert_string_equal(sb_str(&b), "xyz01-42-ok");
	assert_int_equal(b.len, 11);

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sb_printf(&b, "%s|%s", big, big);
	assert_int_equal(b.len, 11 + 2 * (sizeof(big) - 1) + 1);
	assert_int_equal(sb_str(&b)[b.len], '\0');
	assert_int_equal(sb_str(&b)[11 + sizeof(big) - 1], '|');

	/* reset keeps the memory: no allocation for the next, smaller event */
	p = b.p;
	sb_reset(&b);
	assert_string_equal(sb_str(&b), "");
	sb_puts(&b, big);
	assert_ptr_equal(b.p, p);
	assert_false(b.oom);
	sb_free(&b);
	assert_null(b.p);
	assert_string_equal(sb_str(&b), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_dirfd_mode),
		cmocka_unit_test(test_open_flags),
		cmocka_unit_test(test_mem_flags),
		cmocka_unit_test(test_ptrace_signal),
		cmocka_unit_test(test_ns_bpf_sock),
		cmocka_unit_test(test_fs_flags_caps),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_sockaddr_inet),
		cmocka_unit_test(test_sockaddr_unix_other),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_strbuf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
