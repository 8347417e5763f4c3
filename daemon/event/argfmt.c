// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Argument formatting: one decoded argument as text (table output, the rule
 * engine's string comparisons) or as a JSON value (Tracee-style output).
 *
 * Values come from the system headers wherever the constant exists there,
 * so they are right for the build architecture; a few newer constants that
 * the build host's headers may lack are given by number (with the kernel
 * version that added them) under #ifndef.
 *
 * Conventions, for both text and JSON:
 *  - Flag sets print as NAME|NAME in table order; bits with no name are
 *    appended as one hex number ("O_RDONLY|0x40000000"); a value with no
 *    bits at all prints as the table's zero name (O_RDONLY, PROT_NONE) or
 *    "0".
 *  - Enumerations (ptrace request, signal, bpf cmd, socket domain, fd type)
 *    print the name, or the decimal number when it has none.
 *  - JSON types are stable per format: INT/UINT are numbers, BOOL is
 *    true/false, STRARR an array, SOCKADDR an object, everything decoded to
 *    a name (and HEX, whose 64-bit values do not survive JSON parsers that
 *    use doubles) is a string.  The one exception is DIRFD, which follows
 *    Tracee: the string "AT_FDCWD", otherwise the number.
 *  - An absent argument is nothing in text and null in JSON (event_format.c
 *    leaves absent arguments out of the args list altogether).
 *  - Text is raw: strings are not escaped here, because the rule engine
 *    compares them byte for byte.  Whoever prints text to a terminal
 *    sanitizes (event_format.c does).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/bpf.h>
#include <linux/capability.h>

#include "argfmt.h"

struct named {
	uint64_t v;
	const char *name;
};

#define N(c) { (uint64_t)(c), #c }
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- open(2) flags -------------------------------------------------------- */

/*
 * glibc defines O_LARGEFILE as 0 on 64-bit targets (the kernel forces it
 * there), but a 32-bit caller or a raw syscall can still pass the kernel's
 * bit, so we name the kernel's value, which depends on the architecture.
 */
#if defined(__aarch64__) || defined(__arm__)
#define TE_O_LARGEFILE 0400000
#elif defined(__powerpc__) || defined(__powerpc64__)
#define TE_O_LARGEFILE 0200000
#else
#define TE_O_LARGEFILE 0100000 /* asm-generic, x86 */
#endif

static const struct named open_access[] = {
	N(O_RDONLY), N(O_WRONLY), N(O_RDWR),
};

/* Composites first: O_SYNC includes O_DSYNC's bit, O_TMPFILE O_DIRECTORY's. */
static const struct named open_flags[] = {
	N(O_CREAT), N(O_EXCL), N(O_NOCTTY), N(O_TRUNC), N(O_APPEND), N(O_NONBLOCK),
	N(O_SYNC), N(O_DSYNC), N(O_DIRECT), { TE_O_LARGEFILE, "O_LARGEFILE" },
	N(O_TMPFILE), N(O_DIRECTORY), N(O_NOFOLLOW), N(O_NOATIME), N(O_CLOEXEC),
	N(O_PATH),
};

/* ---- memory --------------------------------------------------------------- */

static const struct named prot_flags[] = {
	N(PROT_READ), N(PROT_WRITE), N(PROT_EXEC),
#ifdef PROT_SEM
	N(PROT_SEM),
#endif
	N(PROT_GROWSDOWN), N(PROT_GROWSUP),
};

static const struct named map_types[] = {
	N(MAP_SHARED), N(MAP_PRIVATE), N(MAP_SHARED_VALIDATE),
};

#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
static const struct named map_flags[] = {
	N(MAP_FIXED), N(MAP_ANONYMOUS),
#ifdef MAP_32BIT
	N(MAP_32BIT),
#endif
	N(MAP_GROWSDOWN), N(MAP_DENYWRITE), N(MAP_EXECUTABLE), N(MAP_LOCKED),
	N(MAP_NORESERVE), N(MAP_POPULATE), N(MAP_NONBLOCK), N(MAP_STACK),
	N(MAP_HUGETLB), N(MAP_SYNC), N(MAP_FIXED_NOREPLACE), N(MAP_UNINITIALIZED),
};

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U /* Linux 6.3 */
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3 */
#endif
static const struct named memfd_flags[] = {
	N(MFD_CLOEXEC), N(MFD_ALLOW_SEALING), N(MFD_HUGETLB), N(MFD_NOEXEC_SEAL), N(MFD_EXEC),
};

/* ---- ptrace ------------------------------------------------------------- */

#ifndef PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG
#define PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG 0x4210 /* Linux 6.11 */
#endif
#ifndef PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG
#define PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG 0x4211 /* Linux 6.11 */
#endif

static const struct named ptrace_reqs[] = {
	N(PTRACE_TRACEME), N(PTRACE_PEEKTEXT), N(PTRACE_PEEKDATA), N(PTRACE_PEEKUSER),
	N(PTRACE_POKETEXT), N(PTRACE_POKEDATA), N(PTRACE_POKEUSER), N(PTRACE_CONT),
	N(PTRACE_KILL), N(PTRACE_SINGLESTEP), N(PTRACE_ATTACH), N(PTRACE_DETACH),
	N(PTRACE_SYSCALL),
#if defined(__x86_64__) || defined(__i386__)
	/* x86 requests: glibc has them as enum constants only, hence no #ifdef */
	N(PTRACE_GETREGS), N(PTRACE_SETREGS), N(PTRACE_GETFPREGS), N(PTRACE_SETFPREGS),
	N(PTRACE_GETFPXREGS), N(PTRACE_SETFPXREGS), { 21, "PTRACE_OLDSETOPTIONS" },
	N(PTRACE_GET_THREAD_AREA), N(PTRACE_SET_THREAD_AREA), N(PTRACE_ARCH_PRCTL),
	N(PTRACE_SYSEMU), N(PTRACE_SYSEMU_SINGLESTEP), N(PTRACE_SINGLEBLOCK),
#endif
	N(PTRACE_SETOPTIONS), N(PTRACE_GETEVENTMSG), N(PTRACE_GETSIGINFO),
	N(PTRACE_SETSIGINFO), N(PTRACE_GETREGSET), N(PTRACE_SETREGSET), N(PTRACE_SEIZE),
	N(PTRACE_INTERRUPT), N(PTRACE_LISTEN), N(PTRACE_PEEKSIGINFO), N(PTRACE_GETSIGMASK),
	N(PTRACE_SETSIGMASK), N(PTRACE_SECCOMP_GET_FILTER), N(PTRACE_SECCOMP_GET_METADATA),
	N(PTRACE_GET_SYSCALL_INFO), N(PTRACE_GET_RSEQ_CONFIGURATION),
	N(PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG), N(PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG),
};

/* ---- signals -------------------------------------------------------------- */

/* Realtime signals are numbered from the kernel's SIGRTMIN (32), not libc's
 * (34 with glibc, which reserves two): the kernel's numbers are what the
 * syscall carries. */
#define TE_KSIGRTMIN 32
#define TE_KSIGRTMAX 64

static const struct named signals[] = {
	N(SIGHUP), N(SIGINT), N(SIGQUIT), N(SIGILL), N(SIGTRAP), N(SIGABRT), N(SIGBUS),
	N(SIGFPE), N(SIGKILL), N(SIGUSR1), N(SIGSEGV), N(SIGUSR2), N(SIGPIPE), N(SIGALRM),
	N(SIGTERM),
#ifdef SIGSTKFLT
	N(SIGSTKFLT),
#endif
	N(SIGCHLD), N(SIGCONT), N(SIGSTOP), N(SIGTSTP), N(SIGTTIN), N(SIGTTOU), N(SIGURG),
	N(SIGXCPU), N(SIGXFSZ), N(SIGVTALRM), N(SIGPROF), N(SIGWINCH), N(SIGIO),
#ifdef SIGPWR
	N(SIGPWR),
#endif
	N(SIGSYS),
};

/* ---- namespaces (unshare flags, setns nstype) ----------------------------- */

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080 /* Linux 5.6 */
#endif
static const struct named clone_flags[] = {
	N(CLONE_NEWTIME), N(CLONE_VM), N(CLONE_FS), N(CLONE_FILES), N(CLONE_SIGHAND),
	N(CLONE_THREAD), N(CLONE_NEWNS), N(CLONE_SYSVSEM), N(CLONE_NEWCGROUP),
	N(CLONE_NEWUTS), N(CLONE_NEWIPC), N(CLONE_NEWUSER), N(CLONE_NEWPID), N(CLONE_NEWNET),
};

/* ---- bpf(2) commands -------------------------------------------------------- */

/*
 * Indexed by command, an ABI that only grows.  The build host's
 * <linux/bpf.h> gives the values it knows; BPF_TOKEN_CREATE (Linux 6.9) is
 * newer than some distributions' headers, so it is placed by number.
 */
static const char *const bpf_cmds[] = {
	[BPF_MAP_CREATE] = "BPF_MAP_CREATE",
	[BPF_MAP_LOOKUP_ELEM] = "BPF_MAP_LOOKUP_ELEM",
	[BPF_MAP_UPDATE_ELEM] = "BPF_MAP_UPDATE_ELEM",
	[BPF_MAP_DELETE_ELEM] = "BPF_MAP_DELETE_ELEM",
	[BPF_MAP_GET_NEXT_KEY] = "BPF_MAP_GET_NEXT_KEY",
	[BPF_PROG_LOAD] = "BPF_PROG_LOAD",
	[BPF_OBJ_PIN] = "BPF_OBJ_PIN",
	[BPF_OBJ_GET] = "BPF_OBJ_GET",
	[BPF_PROG_ATTACH] = "BPF_PROG_ATTACH",
	[BPF_PROG_DETACH] = "BPF_PROG_DETACH",
	[BPF_PROG_TEST_RUN] = "BPF_PROG_TEST_RUN",
	[BPF_PROG_GET_NEXT_ID] = "BPF_PROG_GET_NEXT_ID",
	[BPF_MAP_GET_NEXT_ID] = "BPF_MAP_GET_NEXT_ID",
	[BPF_PROG_GET_FD_BY_ID] = "BPF_PROG_GET_FD_BY_ID",
	[BPF_MAP_GET_FD_BY_ID] = "BPF_MAP_GET_FD_BY_ID",
	[BPF_OBJ_GET_INFO_BY_FD] = "BPF_OBJ_GET_INFO_BY_FD",
	[BPF_PROG_QUERY] = "BPF_PROG_QUERY",
	[BPF_RAW_TRACEPOINT_OPEN] = "BPF_RAW_TRACEPOINT_OPEN",
	[BPF_BTF_LOAD] = "BPF_BTF_LOAD",
	[BPF_BTF_GET_FD_BY_ID] = "BPF_BTF_GET_FD_BY_ID",
	[BPF_TASK_FD_QUERY] = "BPF_TASK_FD_QUERY",
	[BPF_MAP_LOOKUP_AND_DELETE_ELEM] = "BPF_MAP_LOOKUP_AND_DELETE_ELEM",
	[BPF_MAP_FREEZE] = "BPF_MAP_FREEZE",
	[BPF_BTF_GET_NEXT_ID] = "BPF_BTF_GET_NEXT_ID",
	[BPF_MAP_LOOKUP_BATCH] = "BPF_MAP_LOOKUP_BATCH",
	[BPF_MAP_LOOKUP_AND_DELETE_BATCH] = "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
	[BPF_MAP_UPDATE_BATCH] = "BPF_MAP_UPDATE_BATCH",
	[BPF_MAP_DELETE_BATCH] = "BPF_MAP_DELETE_BATCH",
	[BPF_LINK_CREATE] = "BPF_LINK_CREATE",
	[BPF_LINK_UPDATE] = "BPF_LINK_UPDATE",
	[BPF_LINK_GET_FD_BY_ID] = "BPF_LINK_GET_FD_BY_ID",
	[BPF_LINK_GET_NEXT_ID] = "BPF_LINK_GET_NEXT_ID",
	[BPF_ENABLE_STATS] = "BPF_ENABLE_STATS",
	[BPF_ITER_CREATE] = "BPF_ITER_CREATE",
	[BPF_LINK_DETACH] = "BPF_LINK_DETACH",
	[BPF_PROG_BIND_MAP] = "BPF_PROG_BIND_MAP",
	[36] = "BPF_TOKEN_CREATE",
};
_Static_assert(BPF_PROG_BIND_MAP == 35, "BPF_TOKEN_CREATE follows BPF_PROG_BIND_MAP");

/* ---- sockets -------------------------------------------------------------- */

static const struct named af_names[] = {
	N(AF_UNSPEC), N(AF_UNIX), N(AF_INET), N(AF_AX25), N(AF_IPX), N(AF_APPLETALK),
	N(AF_NETROM), N(AF_BRIDGE), N(AF_ATMPVC), N(AF_X25), N(AF_INET6), N(AF_ROSE),
	N(AF_DECnet), N(AF_NETBEUI), N(AF_SECURITY), N(AF_KEY), N(AF_NETLINK),
	N(AF_PACKET), N(AF_ASH), N(AF_ECONET), N(AF_ATMSVC), N(AF_RDS), N(AF_SNA),
	N(AF_IRDA), N(AF_PPPOX), N(AF_WANPIPE), N(AF_LLC), N(AF_IB), N(AF_MPLS), N(AF_CAN),
	N(AF_TIPC), N(AF_BLUETOOTH), N(AF_IUCV), N(AF_RXRPC), N(AF_ISDN), N(AF_PHONET),
	N(AF_IEEE802154), N(AF_CAIF), N(AF_ALG), N(AF_NFC), N(AF_VSOCK), N(AF_KCM),
	N(AF_QIPCRTR), N(AF_SMC),
#ifdef AF_XDP
	N(AF_XDP),
#endif
#ifdef AF_MCTP
	N(AF_MCTP),
#endif
};

static const struct named sock_types[] = {
	N(SOCK_STREAM), N(SOCK_DGRAM), N(SOCK_RAW), N(SOCK_RDM), N(SOCK_SEQPACKET),
	N(SOCK_DCCP), N(SOCK_PACKET),
};
#define TE_SOCK_TYPE_MASK 0xf /* the kernel's SOCK_TYPE_MASK */

static const struct named sock_flags[] = {
	N(SOCK_NONBLOCK), N(SOCK_CLOEXEC),
};

/* enum te_fd_type, indexed by value */
static const char *const fd_types[] = {
	[TE_FD_UNKNOWN] = "unknown", [TE_FD_FILE] = "file", [TE_FD_PIPE] = "pipe",
	[TE_FD_SOCKET] = "socket", [TE_FD_TTY] = "tty", [TE_FD_OTHER] = "other",
};

/* ---- mounts --------------------------------------------------------------- */

static const struct named mount_flags[] = {
	N(MS_RDONLY), N(MS_NOSUID), N(MS_NODEV), N(MS_NOEXEC), N(MS_SYNCHRONOUS),
	N(MS_REMOUNT), N(MS_MANDLOCK), N(MS_DIRSYNC),
#ifdef MS_NOSYMFOLLOW
	N(MS_NOSYMFOLLOW),
#else
	{ 256, "MS_NOSYMFOLLOW" }, /* Linux 5.10 */
#endif
	N(MS_NOATIME), N(MS_NODIRATIME), N(MS_BIND), N(MS_MOVE), N(MS_REC), N(MS_SILENT),
	N(MS_POSIXACL), N(MS_UNBINDABLE), N(MS_PRIVATE), N(MS_SLAVE), N(MS_SHARED),
	N(MS_RELATIME), N(MS_KERNMOUNT), N(MS_I_VERSION), N(MS_STRICTATIME),
	N(MS_LAZYTIME), N(MS_ACTIVE), N(MS_NOUSER),
};
/* Before 2.4 the top 16 bits had to hold this magic; the kernel still
 * strips it, and old code still passes it. */
#define TE_MS_MGC_VAL 0xC0ED0000u
#define TE_MS_MGC_MSK 0xffff0000u

static const struct named umount_flags[] = {
	N(MNT_FORCE), N(MNT_DETACH), N(MNT_EXPIRE), N(UMOUNT_NOFOLLOW),
};

/* ---- *at() flags, rename flags ------------------------------------------- */

/* AT_EACCESS shares AT_REMOVEDIR's bit; of our events only unlinkat takes
 * that bit (faccessat is not traced), so it is named AT_REMOVEDIR. */
static const struct named at_flags[] = {
	N(AT_SYMLINK_NOFOLLOW), N(AT_REMOVEDIR), N(AT_SYMLINK_FOLLOW), N(AT_NO_AUTOMOUNT),
	N(AT_EMPTY_PATH),
#ifdef AT_RECURSIVE
	N(AT_RECURSIVE),
#endif
};

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif
static const struct named rename_flags[] = {
	N(RENAME_NOREPLACE), N(RENAME_EXCHANGE), N(RENAME_WHITEOUT),
};

/* ---- capabilities --------------------------------------------------------- */

#define CAP(c) [c] = { 1ULL << (c), #c }
static const struct named caps[] = {
	CAP(CAP_CHOWN), CAP(CAP_DAC_OVERRIDE), CAP(CAP_DAC_READ_SEARCH), CAP(CAP_FOWNER),
	CAP(CAP_FSETID), CAP(CAP_KILL), CAP(CAP_SETGID), CAP(CAP_SETUID), CAP(CAP_SETPCAP),
	CAP(CAP_LINUX_IMMUTABLE), CAP(CAP_NET_BIND_SERVICE), CAP(CAP_NET_BROADCAST),
	CAP(CAP_NET_ADMIN), CAP(CAP_NET_RAW), CAP(CAP_IPC_LOCK), CAP(CAP_IPC_OWNER),
	CAP(CAP_SYS_MODULE), CAP(CAP_SYS_RAWIO), CAP(CAP_SYS_CHROOT), CAP(CAP_SYS_PTRACE),
	CAP(CAP_SYS_PACCT), CAP(CAP_SYS_ADMIN), CAP(CAP_SYS_BOOT), CAP(CAP_SYS_NICE),
	CAP(CAP_SYS_RESOURCE), CAP(CAP_SYS_TIME), CAP(CAP_SYS_TTY_CONFIG), CAP(CAP_MKNOD),
	CAP(CAP_LEASE), CAP(CAP_AUDIT_WRITE), CAP(CAP_AUDIT_CONTROL), CAP(CAP_SETFCAP),
	CAP(CAP_MAC_OVERRIDE), CAP(CAP_MAC_ADMIN), CAP(CAP_SYSLOG), CAP(CAP_WAKE_ALARM),
	CAP(CAP_BLOCK_SUSPEND), CAP(CAP_AUDIT_READ), CAP(CAP_PERFMON), CAP(CAP_BPF),
	CAP(CAP_CHECKPOINT_RESTORE),
};
_Static_assert(ARRAY_SIZE(caps) == 41, "41 capabilities, CAP_CHOWN..CAP_CHECKPOINT_RESTORE");

/* ---- helpers -------------------------------------------------------------- */

static const char *lookup(const struct named *t, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].name;
	return NULL;
}

static void put_sep(struct strbuf *sb, bool *any)
{
	if (*any)
		sb_putc(sb, '|');
	*any = true;
}

/* Names of the set bits of *v that @t knows, removing them from *v. */
static void put_bits(struct strbuf *sb, uint64_t *v, const struct named *t, size_t n, bool *any)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].v && (*v & t[i].v) == t[i].v) {
			put_sep(sb, any);
			sb_puts(sb, t[i].name);
			*v &= ~t[i].v;
		}
	}
}

/* Unknown bits as hex; "0" when nothing at all was printed. */
static void put_rest(struct strbuf *sb, uint64_t v, bool any)
{
	if (v) {
		put_sep(sb, &any);
		sb_printf(sb, "0x%" PRIx64, v);
	} else if (!any) {
		sb_putc(sb, '0');
	}
}

static void put_flags(struct strbuf *sb, uint64_t v, const struct named *t, size_t n)
{
	bool any = false;

	put_bits(sb, &v, t, n, &any);
	put_rest(sb, v, any);
}

static void put_enum(struct strbuf *sb, int64_t v, const struct named *t, size_t n)
{
	const char *name = lookup(t, n, (uint64_t)v);

	if (name)
		sb_puts(sb, name);
	else
		sb_printf(sb, "%" PRId64, v);
}

static void put_open_flags(struct strbuf *sb, uint64_t v)
{
	bool any = false;
	const char *acc = lookup(open_access, ARRAY_SIZE(open_access), v & O_ACCMODE);

	/* O_ACCMODE itself (3) is not a valid access mode: left for the hex */
	if (acc) {
		put_sep(sb, &any);
		sb_puts(sb, acc);
		v &= ~(uint64_t)O_ACCMODE;
	}
	put_bits(sb, &v, open_flags, ARRAY_SIZE(open_flags), &any);
	put_rest(sb, v, any);
}

/* MAP_HUGE_<size>: log2 of the huge page size in bits 26..31, meaningful
 * only with MAP_HUGETLB (MAP_UNINITIALIZED reuses bit 26 otherwise). */
static void put_mmap_flags(struct strbuf *sb, uint64_t v)
{
	bool any = false;
	unsigned int huge = 0;
	const char *type = lookup(map_types, ARRAY_SIZE(map_types), v & MAP_TYPE);

	if (type) {
		put_sep(sb, &any);
		sb_puts(sb, type);
		v &= ~(uint64_t)MAP_TYPE;
	}
	/* the size bits are taken out first (bit 26 is not MAP_UNINITIALIZED
	 * here) and named last, as in MAP_HUGETLB|MAP_HUGE_2MB */
	if (v & MAP_HUGETLB)
		huge = (v >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
	v &= ~((uint64_t)huge << MAP_HUGE_SHIFT);
	put_bits(sb, &v, map_flags, ARRAY_SIZE(map_flags), &any);
	if (huge) {
		static const char units[] = "KMGTPE";
		unsigned int u = huge / 10;

		put_sep(sb, &any);
		if (u >= 1 && u <= 6)
			sb_printf(sb, "MAP_HUGE_%u%cB", 1u << (huge % 10), units[u - 1]);
		else
			sb_printf(sb, "MAP_HUGE_%uB", 1u << huge);
	}
	put_rest(sb, v, any);
}

static void put_mount_flags(struct strbuf *sb, uint64_t v)
{
	bool any = false;

	if ((v & TE_MS_MGC_MSK) == TE_MS_MGC_VAL) {
		put_sep(sb, &any);
		sb_puts(sb, "MS_MGC_VAL");
		v &= ~(uint64_t)TE_MS_MGC_MSK;
	}
	put_bits(sb, &v, mount_flags, ARRAY_SIZE(mount_flags), &any);
	put_rest(sb, v, any);
}

static void put_sock_type(struct strbuf *sb, uint64_t v)
{
	bool any = false;
	uint64_t base = v & TE_SOCK_TYPE_MASK;

	if (base) {
		const char *name = lookup(sock_types, ARRAY_SIZE(sock_types), base);

		put_sep(sb, &any);
		if (name)
			sb_puts(sb, name);
		else
			sb_printf(sb, "%" PRIu64, base);
		v &= ~(uint64_t)TE_SOCK_TYPE_MASK;
	}
	put_bits(sb, &v, sock_flags, ARRAY_SIZE(sock_flags), &any);
	put_rest(sb, v, any);
}

static void put_signal(struct strbuf *sb, int64_t v)
{
	const char *name = lookup(signals, ARRAY_SIZE(signals), (uint64_t)v);

	if (name)
		sb_puts(sb, name);
	else if (v == TE_KSIGRTMIN)
		sb_puts(sb, "SIGRTMIN");
	else if (v == TE_KSIGRTMAX)
		sb_puts(sb, "SIGRTMAX");
	else if (v > TE_KSIGRTMIN && v < TE_KSIGRTMAX)
		sb_printf(sb, "SIGRTMIN+%d", (int)(v - TE_KSIGRTMIN));
	else
		sb_printf(sb, "%" PRId64, v);
}

/* The kernel reads dirfd as an int: -100 may arrive sign- or zero-extended. */
static bool is_at_fdcwd(uint64_t v)
{
	return (int32_t)(uint32_t)v == AT_FDCWD && ((v >> 32) == 0 || (v >> 32) == 0xffffffffu);
}

static void put_numeric_text(struct strbuf *sb, const struct te_arg_desc *d, uint64_t u)
{
	int64_t s = (int64_t)u;

	switch (d->fmt) {
	case TE_FMT_INT: sb_printf(sb, "%" PRId64, s); break;
	case TE_FMT_HEX: sb_printf(sb, "0x%" PRIx64, u); break;
	case TE_FMT_DIRFD:
		if (is_at_fdcwd(u))
			sb_puts(sb, "AT_FDCWD");
		else
			sb_printf(sb, "%" PRId64, s);
		break;
	case TE_FMT_OPEN_FLAGS: put_open_flags(sb, u); break;
	case TE_FMT_MODE: sb_printf(sb, "0%03" PRIo64, u); break;
	case TE_FMT_PROT:
		if (u == 0)
			sb_puts(sb, "PROT_NONE");
		else
			put_flags(sb, u, prot_flags, ARRAY_SIZE(prot_flags));
		break;
	case TE_FMT_MMAP_FLAGS: put_mmap_flags(sb, u); break;
	case TE_FMT_PTRACE_REQ: put_enum(sb, s, ptrace_reqs, ARRAY_SIZE(ptrace_reqs)); break;
	case TE_FMT_SIGNAL: put_signal(sb, s); break;
	case TE_FMT_CLONE_FLAGS: put_flags(sb, u, clone_flags, ARRAY_SIZE(clone_flags)); break;
	case TE_FMT_BPF_CMD:
		if (u < ARRAY_SIZE(bpf_cmds) && bpf_cmds[u])
			sb_puts(sb, bpf_cmds[u]);
		else
			sb_printf(sb, "%" PRId64, s);
		break;
	case TE_FMT_SOCK_DOMAIN: put_enum(sb, s, af_names, ARRAY_SIZE(af_names)); break;
	case TE_FMT_SOCK_TYPE: put_sock_type(sb, u); break;
	case TE_FMT_FD_TYPE:
		if (u < ARRAY_SIZE(fd_types))
			sb_puts(sb, fd_types[u]);
		else
			sb_printf(sb, "%" PRIu64, u);
		break;
	case TE_FMT_MEMFD_FLAGS: put_flags(sb, u, memfd_flags, ARRAY_SIZE(memfd_flags)); break;
	case TE_FMT_MOUNT_FLAGS: put_mount_flags(sb, u); break;
	case TE_FMT_UMOUNT_FLAGS: put_flags(sb, u, umount_flags, ARRAY_SIZE(umount_flags)); break;
	case TE_FMT_AT_FLAGS: put_flags(sb, u, at_flags, ARRAY_SIZE(at_flags)); break;
	case TE_FMT_RENAME_FLAGS: put_flags(sb, u, rename_flags, ARRAY_SIZE(rename_flags)); break;
	case TE_FMT_CAPS: put_flags(sb, u, caps, ARRAY_SIZE(caps)); break;
	case TE_FMT_BOOL: sb_puts(sb, u ? "true" : "false"); break;
	case TE_FMT_UINT:
	default: /* a string format on a number: show the number */
		sb_printf(sb, "%" PRIu64, u);
		break;
	}
}

/* ---- sockaddr ------------------------------------------------------------ */

/* What we could make of a sockaddr's bytes. */
struct sa_view {
	const char *family;  /* "AF_INET", or NULL when under 2 bytes */
	char famnum[8];      /* the family as a number when it has no name */
	enum { SA_OTHER, SA_INET, SA_INET6, SA_UNIX } kind; /* SA_OTHER: family only */
	char addr[INET6_ADDRSTRLEN];
	uint16_t port;
	uint32_t flowinfo, scope_id;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1]; /* "@" + abstract */
	size_t path_len;
};

/*
 * Lengths are checked per family before any field is read: AF_INET needs
 * the address (8 bytes), AF_INET6 the address (24; the scope id at 24..27
 * is optional, as in the kernel's SIN6_LEN_RFC2133), AF_UNIX the family
 * (2 bytes: unnamed).  Shorter data gives the family alone.
 */
static void sa_parse(const struct te_arg_value *v, struct sa_view *sa)
{
	const unsigned char *p = (const unsigned char *)v->buf.p;
	size_t len = v->buf.len;
	sa_family_t fam;

	memset(sa, 0, sizeof(*sa));
	sa->kind = SA_OTHER;
	if (len < sizeof(fam))
		return;
	memcpy(&fam, p, sizeof(fam));
	sa->family = lookup(af_names, ARRAY_SIZE(af_names), fam);
	if (!sa->family) {
		snprintf(sa->famnum, sizeof(sa->famnum), "%u", (unsigned int)fam);
		sa->family = sa->famnum;
	}

	if (fam == AF_INET && len >= offsetof(struct sockaddr_in, sin_zero)) {
		struct sockaddr_in in = { 0 };

		memcpy(&in, p, len < sizeof(in) ? len : sizeof(in));
		sa->kind = SA_INET;
		sa->port = ntohs(in.sin_port);
		inet_ntop(AF_INET, &in.sin_addr, sa->addr, sizeof(sa->addr));
	} else if (fam == AF_INET6 && len >= offsetof(struct sockaddr_in6, sin6_scope_id)) {
		struct sockaddr_in6 in6 = { 0 };

		memcpy(&in6, p, len < sizeof(in6) ? len : sizeof(in6));
		sa->kind = SA_INET6;
		sa->port = ntohs(in6.sin6_port);
		sa->flowinfo = ntohl(in6.sin6_flowinfo);
		sa->scope_id = in6.sin6_scope_id;
		inet_ntop(AF_INET6, &in6.sin6_addr, sa->addr, sizeof(sa->addr));
	} else if (fam == AF_UNIX) {
		const char *path = (const char *)p + sizeof(fam);
		size_t plen = len - sizeof(fam);

		sa->kind = SA_UNIX;
		if (plen > sizeof(sa->path) - 1)
			plen = sizeof(sa->path) - 1;
		if (plen > 0 && path[0] == '\0') {
			/* abstract: every byte counts, NULs included; shown as
			 * "@name" like ss(8) and /proc/net/unix */
			sa->path[0] = '@';
			memcpy(sa->path + 1, path + 1, plen - 1);
			sa->path_len = plen;
		} else {
			const char *nul = memchr(path, '\0', plen);

			sa->path_len = nul ? (size_t)(nul - path) : plen;
			memcpy(sa->path, path, sa->path_len);
		}
	}
}

static void sockaddr_text(struct strbuf *sb, const struct te_arg_value *v)
{
	struct sa_view sa;

	sa_parse(v, &sa);
	if (!sa.family)
		return;
	sb_puts(sb, sa.family);
	switch (sa.kind) {
	case SA_INET:
		sb_printf(sb, " %s:%u", sa.addr, (unsigned int)sa.port);
		break;
	case SA_INET6:
		if (sa.scope_id)
			sb_printf(sb, " [%s%%%" PRIu32 "]:%u", sa.addr, sa.scope_id,
				  (unsigned int)sa.port);
		else
			sb_printf(sb, " [%s]:%u", sa.addr, (unsigned int)sa.port);
		break;
	case SA_UNIX:
		if (sa.path_len) {
			sb_putc(sb, ' ');
			sb_put(sb, sa.path, sa.path_len);
		}
		break;
	default:
		break;
	}
}

static void json_kv(struct strbuf *sb, const char *k, const char *val, size_t n)
{
	sb_printf(sb, ",\"%s\":", k);
	sb_json_str(sb, val, n);
}

static void json_kv_u(struct strbuf *sb, const char *k, uint64_t u)
{
	sb_printf(sb, ",\"%s\":\"%" PRIu64 "\"", k, u);
}

/* Tracee's layout: an object whose values are all strings. */
static void sockaddr_json(struct strbuf *sb, const struct te_arg_value *v)
{
	struct sa_view sa;

	sa_parse(v, &sa);
	if (!sa.family) {
		sb_puts(sb, "{}");
		return;
	}
	sb_puts(sb, "{\"sa_family\":");
	sb_json_str(sb, sa.family, strlen(sa.family));
	switch (sa.kind) {
	case SA_INET:
		json_kv_u(sb, "sin_port", sa.port);
		json_kv(sb, "sin_addr", sa.addr, strlen(sa.addr));
		break;
	case SA_INET6:
		json_kv_u(sb, "sin6_port", sa.port);
		json_kv(sb, "sin6_addr", sa.addr, strlen(sa.addr));
		json_kv_u(sb, "sin6_flowinfo", sa.flowinfo);
		json_kv_u(sb, "sin6_scope_id", sa.scope_id);
		break;
	case SA_UNIX:
		json_kv(sb, "sun_path", sa.path, sa.path_len);
		break;
	default:
		break;
	}
	sb_putc(sb, '}');
}

/* ---- buffers ---------------------------------------------------------- */

/* Calls @fn for each NUL-separated string; a missing last NUL ends the last
 * string at the buffer's end (see decode.c). */
static void strarr_each(const struct te_arg_value *v,
			void (*fn)(struct strbuf *, const char *, size_t, bool first),
			struct strbuf *sb)
{
	size_t pos = 0;
	bool first = true;

	while (pos < v->buf.len) {
		const char *s = v->buf.p + pos;
		const char *nul = memchr(s, '\0', v->buf.len - pos);
		size_t n = nul ? (size_t)(nul - s) : v->buf.len - pos;

		fn(sb, s, n, first);
		first = false;
		pos += n + 1;
	}
}

static void strarr_text_one(struct strbuf *sb, const char *s, size_t n, bool first)
{
	if (!first)
		sb_putc(sb, ' ');
	sb_put(sb, s, n);
}

static void strarr_json_one(struct strbuf *sb, const char *s, size_t n, bool first)
{
	if (!first)
		sb_putc(sb, ',');
	sb_json_str(sb, s, n);
}

static void hex_bytes(struct strbuf *sb, const struct te_arg_value *v)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < v->buf.len; i++) {
		unsigned char c = (unsigned char)v->buf.p[i];
		char h[2] = { hex[c >> 4], hex[c & 15] };

		sb_put(sb, h, 2);
	}
}

static bool is_numeric_wire(const struct te_arg_desc *d)
{
	return d->wire == TE_W_S64 || d->wire == TE_W_U64;
}

/* ---- public --------------------------------------------------------------- */

void te_arg_text(struct strbuf *sb, const struct te_arg_desc *d, const struct te_arg_value *v)
{
	if (!d || !v || !v->present)
		return;
	if (is_numeric_wire(d)) {
		put_numeric_text(sb, d, v->u);
		return;
	}
	switch (d->wire) {
	case TE_W_STR:
		sb_put(sb, v->buf.p, v->buf.len);
		break;
	case TE_W_STRARR:
		strarr_each(v, strarr_text_one, sb);
		break;
	default: /* TE_W_BYTES */
		if (d->fmt == TE_FMT_SOCKADDR)
			sockaddr_text(sb, v);
		else
			hex_bytes(sb, v);
		break;
	}
}

void te_arg_json(struct strbuf *sb, const struct te_arg_desc *d, const struct te_arg_value *v)
{
	if (!d || !v || !v->present) {
		sb_puts(sb, "null");
		return;
	}
	if (is_numeric_wire(d)) {
		switch (d->fmt) {
		case TE_FMT_INT:
			sb_printf(sb, "%" PRId64, v->s);
			return;
		case TE_FMT_UINT:
			sb_printf(sb, "%" PRIu64, v->u);
			return;
		case TE_FMT_BOOL:
			sb_puts(sb, v->u ? "true" : "false");
			return;
		case TE_FMT_DIRFD:
			if (!is_at_fdcwd(v->u)) {
				sb_printf(sb, "%" PRId64, v->s);
				return;
			}
			break;
		default:
			break;
		}
		/* names, hex and octal: plain ASCII identifiers, digits and '|',
		 * nothing that needs escaping */
		sb_putc(sb, '"');
		put_numeric_text(sb, d, v->u);
		sb_putc(sb, '"');
		return;
	}
	switch (d->wire) {
	case TE_W_STR:
		sb_json_str(sb, v->buf.p, v->buf.len);
		break;
	case TE_W_STRARR:
		sb_putc(sb, '[');
		strarr_each(v, strarr_json_one, sb);
		sb_putc(sb, ']');
		break;
	default: /* TE_W_BYTES */
		if (d->fmt == TE_FMT_SOCKADDR) {
			sockaddr_json(sb, v);
		} else {
			sb_putc(sb, '"');
			hex_bytes(sb, v);
			sb_putc(sb, '"');
		}
		break;
	}
}
