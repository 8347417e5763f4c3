// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Schema table and record decoder.
 *
 * Records are built here byte by byte (header + TLV args), the way the BPF
 * side writes them, for every event in the table; the table itself is
 * checked against the wire comments in bpf/traceed.h, which are the
 * contract with the kernel side.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "event.h"

/* ---- record builder ------------------------------------------------------ */

struct rec {
	unsigned char buf[TE_MAX_RECORD + 64];
	size_t len;
	unsigned int nargs;
};

static void rec_begin(struct rec *r, uint32_t id)
{
	struct te_record_hdr h;

	memset(r, 0, sizeof(*r));
	memset(&h, 0, sizeof(h));
	h.ts = 1000000000ull;
	h.event_id = id;
	h.pid = 4242;
	h.tid = 4243;
	h.ppid = 1;
	h.ns_pid = 42;
	h.ns_tid = 43;
	h.ns_ppid = 0;
	h.uid = 1000;
	h.gid = 1000;
	h.mntns = 4026531840u;
	h.pidns = 4026531836u;
	h.cgroup_id = 7777;
	h.retval = -2;
	memcpy(h.comm, "bash", 5);
	memcpy(r->buf, &h, sizeof(h));
	r->len = sizeof(h);
}

static void rec_arg(struct rec *r, unsigned int idx, unsigned int type, const void *p, size_t len)
{
	struct te_arg_hdr a = { .idx = (__u8)idx, .type = (__u8)type, .len = (__u16)len };

	assert_true(r->len + sizeof(a) + len <= sizeof(r->buf));
	memcpy(r->buf + r->len, &a, sizeof(a));
	r->len += sizeof(a);
	if (len)
		memcpy(r->buf + r->len, p, len);
	r->len += len;
	r->nargs++;
}

static void rec_s64(struct rec *r, unsigned int idx, int64_t v)
{
	rec_arg(r, idx, TE_W_S64, &v, 8);
}

static void rec_u64(struct rec *r, unsigned int idx, uint64_t v)
{
	rec_arg(r, idx, TE_W_U64, &v, 8);
}

static void rec_str(struct rec *r, unsigned int idx, const char *s)
{
	rec_arg(r, idx, TE_W_STR, s, strlen(s));
}

/* Write size and nargs into the header (as the BPF side does last). */
static void rec_end(struct rec *r)
{
	struct te_record_hdr h;

	memcpy(&h, r->buf, sizeof(h));
	h.size = (__u16)r->len;
	h.nargs = (__u8)r->nargs;
	memcpy(r->buf, &h, sizeof(h));
}

static void rec_patch_hdr(struct rec *r, size_t off, const void *p, size_t n)
{
	memcpy(r->buf + off, p, n);
}

/* ---- the value each argument gets in the all-events test ---------------- */

static int64_t s64_val(uint32_t id, unsigned int idx)
{
	return -(int64_t)(id * 100 + idx) - 1;
}

static uint64_t u64_val(uint32_t id, unsigned int idx)
{
	return 0xabc0000000000000ull + id * 100 + idx;
}

static size_t str_val(char *out, size_t cap, const struct te_event_desc *d, unsigned int idx)
{
	return (size_t)snprintf(out, cap, "/%s/%s", d->name, d->args[idx].name);
}

static const char strarr_val[] = "one\0two\0\0four"; /* incl. final NUL: 15 bytes */
static const unsigned char sockaddr_val[16] = { 2, 0, 0x11, 0x5c, 127, 0, 0, 1 };

static void add_arg_for(struct rec *r, const struct te_event_desc *d, unsigned int idx)
{
	char s[128];

	switch (d->args[idx].wire) {
	case TE_W_S64: rec_s64(r, idx, s64_val(d->id, idx)); break;
	case TE_W_U64: rec_u64(r, idx, u64_val(d->id, idx)); break;
	case TE_W_STR: rec_arg(r, idx, TE_W_STR, s, str_val(s, sizeof(s), d, idx)); break;
	case TE_W_STRARR: rec_arg(r, idx, TE_W_STRARR, strarr_val, sizeof(strarr_val)); break;
	case TE_W_BYTES: rec_arg(r, idx, TE_W_BYTES, sockaddr_val, sizeof(sockaddr_val)); break;
	default: fail_msg("bad wire type in schema"); break;
	}
}

static void check_arg_for(const struct te_event *ev, unsigned int idx)
{
	const struct te_event_desc *d = ev->desc;
	const struct te_arg_value *v = &ev->args[idx];
	char s[128];
	size_t n;

	assert_true(v->present);
	switch (d->args[idx].wire) {
	case TE_W_S64: assert_int_equal(v->s, s64_val(d->id, idx)); break;
	case TE_W_U64: assert_true(v->u == u64_val(d->id, idx)); break;
	case TE_W_STR:
		n = str_val(s, sizeof(s), d, idx);
		assert_int_equal(v->buf.len, n);
		assert_memory_equal(v->buf.p, s, n);
		break;
	case TE_W_STRARR:
		assert_int_equal(v->buf.len, sizeof(strarr_val));
		assert_memory_equal(v->buf.p, strarr_val, sizeof(strarr_val));
		break;
	case TE_W_BYTES:
		assert_int_equal(v->buf.len, sizeof(sockaddr_val));
		assert_memory_equal(v->buf.p, sockaddr_val, sizeof(sockaddr_val));
		break;
	}
}

/* ---- table ---------------------------------------------------------------- */

static const struct {
	uint32_t id;
	const char *name;
} expected_events[] = {
	{ TE_EV_SCHED_PROCESS_FORK, "sched_process_fork" },
	{ TE_EV_SCHED_PROCESS_EXEC, "sched_process_exec" },
	{ TE_EV_SCHED_PROCESS_EXIT, "sched_process_exit" },
	{ TE_EV_EXECVE, "execve" }, { TE_EV_EXECVEAT, "execveat" },
	{ TE_EV_PTRACE, "ptrace" }, { TE_EV_PROCESS_VM_READV, "process_vm_readv" },
	{ TE_EV_PROCESS_VM_WRITEV, "process_vm_writev" }, { TE_EV_KILL, "kill" },
	{ TE_EV_TKILL, "tkill" }, { TE_EV_TGKILL, "tgkill" },
	{ TE_EV_OPEN, "open" }, { TE_EV_OPENAT, "openat" }, { TE_EV_OPENAT2, "openat2" },
	{ TE_EV_WRITE, "write" }, { TE_EV_RENAME, "rename" }, { TE_EV_RENAMEAT, "renameat" },
	{ TE_EV_RENAMEAT2, "renameat2" }, { TE_EV_UNLINK, "unlink" },
	{ TE_EV_UNLINKAT, "unlinkat" }, { TE_EV_CHMOD, "chmod" }, { TE_EV_FCHMOD, "fchmod" },
	{ TE_EV_FCHMODAT, "fchmodat" }, { TE_EV_MMAP, "mmap" }, { TE_EV_MPROTECT, "mprotect" },
	{ TE_EV_MEMFD_CREATE, "memfd_create" }, { TE_EV_INIT_MODULE, "init_module" },
	{ TE_EV_FINIT_MODULE, "finit_module" }, { TE_EV_DELETE_MODULE, "delete_module" },
	{ TE_EV_SOCKET, "socket" }, { TE_EV_CONNECT, "connect" }, { TE_EV_BIND, "bind" },
	{ TE_EV_LISTEN, "listen" }, { TE_EV_ACCEPT, "accept" }, { TE_EV_ACCEPT4, "accept4" },
	{ TE_EV_DUP, "dup" }, { TE_EV_DUP2, "dup2" }, { TE_EV_DUP3, "dup3" },
	{ TE_EV_SETUID, "setuid" }, { TE_EV_SETGID, "setgid" }, { TE_EV_SETREUID, "setreuid" },
	{ TE_EV_SETREGID, "setregid" }, { TE_EV_SETRESUID, "setresuid" },
	{ TE_EV_SETRESGID, "setresgid" }, { TE_EV_SETFSUID, "setfsuid" },
	{ TE_EV_SETFSGID, "setfsgid" }, { TE_EV_CAPSET, "capset" }, { TE_EV_MOUNT, "mount" },
	{ TE_EV_UMOUNT2, "umount2" }, { TE_EV_UNSHARE, "unshare" }, { TE_EV_SETNS, "setns" },
	{ TE_EV_BPF, "bpf" },
};

static void test_table_lookup(void **state)
{
	size_t n;
	const struct te_event_desc *t = te_event_table(&n);

	(void)state;
	assert_int_equal(n, sizeof(expected_events) / sizeof(expected_events[0]));
	for (size_t i = 0; i < sizeof(expected_events) / sizeof(expected_events[0]); i++) {
		const struct te_event_desc *d = te_event_by_id(expected_events[i].id);

		assert_non_null(d);
		assert_int_equal(d->id, expected_events[i].id);
		assert_string_equal(d->name, expected_events[i].name);
		assert_ptr_equal(te_event_by_name(expected_events[i].name), d);
	}
	for (size_t i = 1; i < n; i++)
		assert_true(t[i - 1].id < t[i].id); /* id order */
	assert_null(te_event_by_id(TE_EV_UNSPEC));
	assert_null(te_event_by_id(4));
	assert_null(te_event_by_id(TE_EV_MAX));
	assert_null(te_event_by_id(UINT32_MAX));
	assert_null(te_event_by_name("fchmodat2"));
	assert_null(te_event_by_name(""));
	assert_null(te_event_by_name(NULL));
}

static bool fmt_fits_wire(const struct te_arg_desc *a)
{
	switch (a->fmt) {
	case TE_FMT_STR: return a->wire == TE_W_STR;
	case TE_FMT_STRARR: return a->wire == TE_W_STRARR;
	case TE_FMT_SOCKADDR: return a->wire == TE_W_BYTES;
	default: return a->wire == TE_W_S64 || a->wire == TE_W_U64;
	}
}

static void test_table_invariants(void **state)
{
	size_t n;
	const struct te_event_desc *t = te_event_table(&n);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const struct te_event_desc *d = &t[i];
		char hook[96];
		bool sched = strncmp(d->name, "sched_", 6) == 0;

		assert_non_null(d->name);
		assert_ptr_equal(te_event_by_id(d->id), d);
		assert_true(d->nargs >= 1 && d->nargs <= TE_MAX_ARGS);
		/* hook: the tracepoint that emits the event */
		if (sched)
			snprintf(hook, sizeof(hook), "sched/%s", d->name);
		else if (d->id == TE_EV_UMOUNT2) /* SYSCALL_DEFINE2(umount, ...) */
			snprintf(hook, sizeof(hook), "syscalls/sys_exit_umount");
		else if (d->id == TE_EV_EXECVE || d->id == TE_EV_EXECVEAT)
			snprintf(hook, sizeof(hook), "syscalls/sys_enter_%s", d->name);
		else
			snprintf(hook, sizeof(hook), "syscalls/sys_exit_%s", d->name);
		assert_string_equal(d->hook, hook);
		/* sets: syscall events are in "syscalls" plus one group */
		assert_non_null(d->sets);
		if (sched)
			assert_string_equal(d->sets, "proc");
		else
			assert_true(strncmp(d->sets, "syscalls,", 9) == 0 && d->sets[9]);
		for (unsigned int a = 0; a < d->nargs; a++) {
			const struct te_arg_desc *ad = &d->args[a];

			assert_non_null(ad->name);
			assert_non_null(ad->type);
			assert_true(ad->type[0]);
			if (!fmt_fits_wire(ad))
				fail_msg("%s.%s: fmt %u does not fit wire %u", d->name, ad->name,
					 ad->fmt, ad->wire);
			for (unsigned int b = 0; b < a; b++)
				assert_string_not_equal(ad->name, d->args[b].name);
		}
		for (unsigned int a = d->nargs; a < TE_MAX_ARGS; a++)
			assert_null(d->args[a].name);
	}
}

static unsigned int wire_from_name(const char *s)
{
	if (!strcmp(s, "S64")) return TE_W_S64;
	if (!strcmp(s, "U64")) return TE_W_U64;
	if (!strcmp(s, "STR")) return TE_W_STR;
	if (!strcmp(s, "STRARR")) return TE_W_STRARR;
	if (!strcmp(s, "BYTES")) return TE_W_BYTES;
	return 0;
}

/*
 * Every "TE_EV_X = N, / * name:TYPE ... * /" line of bpf/traceed.h must have
 * an entry named x with exactly those arguments.  This is what keeps the
 * table and the BPF side from drifting apart.
 */
static void test_table_matches_wire_header(void **state)
{
	const char *dir = getenv("TEST_DATA_DIR");
	char path[4096], line[1024];
	FILE *f;
	unsigned int events = 0;

	(void)state;
	if (!dir)
		fail_msg("TEST_DATA_DIR is not set (meson test sets it)");
	/* TEST_DATA_DIR is <source>/tests/unit/data, which need not exist, so
	 * the source root is found by dropping components, not with "..". */
	snprintf(path, sizeof(path), "%s", dir);
	for (int up = 0; up < 3; up++) {
		char *slash;

		while (strlen(path) > 1 && path[strlen(path) - 1] == '/')
			path[strlen(path) - 1] = '\0';
		slash = strrchr(path, '/');
		if (!slash)
			fail_msg("TEST_DATA_DIR %s is not <source>/tests/unit/data", dir);
		*slash = '\0';
	}
	strncat(path, "/bpf/traceed.h", sizeof(path) - strlen(path) - 1);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);

	while (fgets(line, sizeof(line), f)) {
		char ename[64], lname[64], *c, *tok, *save;
		unsigned int id, nargs = 0;
		const struct te_event_desc *d;

		if (sscanf(line, " TE_EV_%63[A-Z0-9_] = %u", ename, &id) != 2)
			continue;
		if (!strcmp(ename, "UNSPEC") || !strcmp(ename, "MAX"))
			continue;
		for (size_t i = 0; i <= strlen(ename); i++)
			lname[i] = (char)tolower((unsigned char)ename[i]);
		d = te_event_by_id(id);
		if (!d)
			fail_msg("TE_EV_%s = %u has no schema entry", ename, id);
		assert_string_equal(d->name, lname);
		events++;

		c = strstr(line, "/*");
		assert_non_null(c);
		for (tok = strtok_r(c + 2, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
			char aname[64], wname[16];
			unsigned int w;

			if (sscanf(tok, "%63[a-z0-9_]:%15[A-Z0-9]", aname, wname) != 2)
				continue; /* prose in the comment: "(also", "enter" */
			w = wire_from_name(wname);
			if (!w)
				continue;
			if (nargs >= d->nargs)
				fail_msg("%s: header has more args than the table (%s)", d->name, aname);
			if (strcmp(d->args[nargs].name, aname) || d->args[nargs].wire != w)
				fail_msg("%s arg %u: header says %s:%s, table %s:%u", d->name, nargs,
					 aname, wname, d->args[nargs].name, d->args[nargs].wire);
			nargs++;
		}
		if (nargs != d->nargs)
			fail_msg("%s: header lists %u args, table %u", d->name, nargs, d->nargs);
	}
	fclose(f);

	size_t n;
	te_event_table(&n);
	assert_int_equal(events, n);
}

/* ---- decoding every event ------------------------------------------------ */

static void test_decode_every_event(void **state)
{
	size_t n;
	const struct te_event_desc *t = te_event_table(&n);
	static struct rec r;
	static unsigned char unaligned[sizeof(r.buf) + 1];
	char err[256];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const struct te_event_desc *d = &t[i];
		struct te_event ev;

		/* all args, in schema order */
		rec_begin(&r, d->id);
		for (unsigned int a = 0; a < d->nargs; a++)
			add_arg_for(&r, d, a);
		rec_end(&r);
		if (te_decode(r.buf, r.len, 5, &ev, err, sizeof(err)) != 0)
			fail_msg("%s: %s", d->name, err);
		assert_ptr_equal(ev.desc, d);
		assert_int_equal(ev.hdr.size, r.len);
		assert_int_equal(ev.hdr.pid, 4242);
		assert_int_equal(ev.hdr.retval, -2);
		assert_true(ev.wall_ns == 1000000005ull);
		assert_false(ev.truncated);
		for (unsigned int a = 0; a < d->nargs; a++) {
			const struct te_arg_desc *ad;

			check_arg_for(&ev, a);
			assert_ptr_equal(te_event_arg(&ev, d->args[a].name, &ad), &ev.args[a]);
			assert_ptr_equal(ad, &d->args[a]);
		}
		for (unsigned int a = d->nargs; a < TE_MAX_ARGS; a++)
			assert_false(ev.args[a].present);

		/* reverse order, at an odd address (replay buffers are unaligned) */
		rec_begin(&r, d->id);
		for (unsigned int a = d->nargs; a-- > 0;)
			add_arg_for(&r, d, a);
		rec_end(&r);
		memcpy(unaligned + 1, r.buf, r.len);
		if (te_decode(unaligned + 1, r.len, 0, &ev, err, sizeof(err)) != 0)
			fail_msg("%s reversed: %s", d->name, err);
		for (unsigned int a = 0; a < d->nargs; a++)
			check_arg_for(&ev, a);

		/* only the odd-indexed args: the others are absent */
		rec_begin(&r, d->id);
		for (unsigned int a = 1; a < d->nargs; a += 2)
			add_arg_for(&r, d, a);
		rec_end(&r);
		if (te_decode(r.buf, r.len, 0, &ev, err, sizeof(err)) != 0)
			fail_msg("%s partial: %s", d->name, err);
		for (unsigned int a = 0; a < d->nargs; a++) {
			if (a & 1)
				check_arg_for(&ev, a);
			else
				assert_false(ev.args[a].present);
		}
	}
}

/* A few events checked by hand, independent of the generated values. */
static void test_decode_openat(void **state)
{
	static struct rec r;
	struct te_event ev;
	char err[256];
	const struct te_arg_desc *ad;
	const struct te_arg_value *v;

	(void)state;
	rec_begin(&r, TE_EV_OPENAT);
	rec_s64(&r, 0, -100);
	rec_str(&r, 1, "/etc/shadow");
	rec_u64(&r, 2, 01101);
	rec_u64(&r, 3, 0644);
	rec_end(&r);
	assert_int_equal(te_decode(r.buf, r.len, 0, &ev, err, sizeof(err)), 0);
	assert_string_equal(ev.desc->name, "openat");
	v = te_event_arg(&ev, "pathname", &ad);
	assert_non_null(v);
	assert_string_equal(ad->type, "const char*");
	assert_int_equal(v->buf.len, 11);
	assert_memory_equal(v->buf.p, "/etc/shadow", 11);
	assert_int_equal(te_event_arg(&ev, "dirfd", NULL)->s, -100);
	assert_int_equal(te_event_arg(&ev, "flags", NULL)->u, 01101);
	assert_int_equal(te_event_arg(&ev, "mode", NULL)->u, 0644);
	assert_null(te_event_arg(&ev, "nosuch", &ad));
	assert_null(ad);
}

static void test_decode_flags_and_sizes(void **state)
{
	static struct rec r;
	struct te_event ev;
	char err[256];
	struct te_record_hdr h;

	(void)state;
	/* truncated flag */
	rec_begin(&r, TE_EV_UNLINK);
	rec_str(&r, 0, "/tmp/x");
	rec_end(&r);
	memcpy(&h, r.buf, sizeof(h));
	h.flags = TE_RF_TRUNCATED;
	memcpy(r.buf, &h, sizeof(h));
	assert_int_equal(te_decode(r.buf, r.len, 0, &ev, err, sizeof(err)), 0);
	assert_true(ev.truncated);

	/* transport gives more bytes than hdr.size (fixed-size slot): accepted */
	assert_int_equal(te_decode(r.buf, r.len + 24, 0, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.args[0].buf.len, 6);

	/* an event with no args sent at all */
	rec_begin(&r, TE_EV_SETNS);
	rec_end(&r);
	assert_int_equal(te_decode(r.buf, r.len, 0, &ev, err, sizeof(err)), 0);
	assert_false(ev.args[0].present);
	assert_false(ev.args[1].present);
	assert_string_equal(err, "");
}

static void test_decode_strings(void **state)
{
	static struct rec r;
	struct te_event ev;
	char err[256];

	(void)state;
	/* embedded NUL in STR: the value ends there */
	rec_begin(&r, TE_EV_UNLINK);
	rec_arg(&r, 0, TE_W_STR, "/tmp/a\0hidden", 13);
	rec_end(&r);
	assert_int_equal(te_decode(r.buf, r.len, 0, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.args[0].buf.len, 6);

	/* empty STR */
	rec_begin(&r, TE_EV_UNLINK);
	rec_arg(&r, 0, TE_W_STR, "", 0);
	rec_end(&r);
	assert_int_equal(te_decode(r.buf, r.len, 0, &ev, err, sizeof(err)), 0);
	assert_true(ev.args[0].present);
	assert_int_equal(ev.args[0].buf.len, 0);

	/* STRARR cut mid-string by the kernel: kept whole, tail is a string */
	rec_begin(&r, TE_EV_EXECVE);
	rec_str(&r, 0, "/bin/sh");
	rec_arg(&r, 1, TE_W_STRARR, "sh\0-c\0ech", 9);
	rec_end(&r);
	assert_int_equal(te_decode(r.buf, r.len, 0, &ev, err, sizeof(err)), 0);
	assert_int_equal(ev.args[1].buf.len, 9);
	assert_memory_equal(ev.args[1].buf.p, "sh\0-c\0ech", 9);
	assert_false(ev.args[2].present);
}

/* ---- malformed records -------------------------------------------------- */

static void expect_bad(const void *p, size_t n, const char *msg)
{
	struct te_event ev;
	char err[256];

	memset(err, 'x', sizeof(err));
	assert_int_equal(te_decode(p, n, 0, &ev, err, sizeof(err)), -EBADMSG);
	if (!strstr(err, msg))
		fail_msg("error \"%s\" does not contain \"%s\"", err, msg);
}

static void test_malformed(void **state)
{
	static struct rec r;
	struct te_arg_hdr a;
	char msg[128];
	uint16_t sz;
	uint8_t nargs;
	size_t hs = sizeof(struct te_record_hdr);

	(void)state;
	/* shorter than the header */
	rec_begin(&r, TE_EV_KILL);
	rec_end(&r);
	snprintf(msg, sizeof(msg), "record of 12 bytes is shorter than the %zu-byte header", hs);
	expect_bad(r.buf, 12, msg);
	expect_bad(r.buf, 0, "record of 0 bytes");
	expect_bad(NULL, 100, "shorter than");

	/* hdr.size larger than the record, smaller than the header */
	rec_begin(&r, TE_EV_KILL);
	rec_s64(&r, 0, 1);
	rec_end(&r);
	expect_bad(r.buf, r.len - 1, "but the record has only");
	sz = 10;
	rec_patch_hdr(&r, offsetof(struct te_record_hdr, size), &sz, sizeof(sz));
	expect_bad(r.buf, r.len, "header says 10 bytes, less than");

	/* unknown ids */
	rec_begin(&r, 4);
	rec_end(&r);
	expect_bad(r.buf, r.len, "unknown event id 4");
	rec_begin(&r, 0);
	rec_end(&r);
	expect_bad(r.buf, r.len, "unknown event id 0");
	rec_begin(&r, 999999);
	rec_end(&r);
	expect_bad(r.buf, r.len, "unknown event id 999999");

	/* more args than the schema */
	rec_begin(&r, TE_EV_UNSHARE);
	rec_u64(&r, 0, 0);
	rec_end(&r);
	nargs = 2;
	rec_patch_hdr(&r, offsetof(struct te_record_hdr, nargs), &nargs, 1);
	expect_bad(r.buf, r.len, "unshare record has 2 args, schema has 1");

	/* nargs says 2, only 1 present: the 2nd arg header overruns */
	rec_begin(&r, TE_EV_KILL);
	rec_s64(&r, 0, 1);
	rec_end(&r);
	nargs = 2;
	rec_patch_hdr(&r, offsetof(struct te_record_hdr, nargs), &nargs, 1);
	expect_bad(r.buf, r.len, "kill: arg header 1 at offset");

	/* nargs says 1, 2 present: bytes left over */
	rec_begin(&r, TE_EV_KILL);
	rec_s64(&r, 0, 1);
	rec_s64(&r, 1, 9);
	rec_end(&r);
	nargs = 1;
	rec_patch_hdr(&r, offsetof(struct te_record_hdr, nargs), &nargs, 1);
	expect_bad(r.buf, r.len, "kill: 12 bytes left after 1 args");

	/* bad index */
	rec_begin(&r, TE_EV_KILL);
	rec_s64(&r, 2, 1);
	rec_end(&r);
	expect_bad(r.buf, r.len, "kill: arg index 2 out of range (schema has 2 args)");
	rec_begin(&r, TE_EV_KILL);
	rec_s64(&r, 255, 1);
	rec_end(&r);
	expect_bad(r.buf, r.len, "arg index 255 out of range");

	/* wrong wire type */
	rec_begin(&r, TE_EV_OPENAT);
	rec_s64(&r, 0, -100);
	rec_str(&r, 1, "/x");
	rec_u64(&r, 2, 0);
	rec_str(&r, 3, "oops");
	rec_end(&r);
	expect_bad(r.buf, r.len, "arg 3 (mode) of openat: type STR, schema says U64");
	rec_begin(&r, TE_EV_OPENAT);
	rec_arg(&r, 0, 9, "12345678", 8);
	rec_end(&r);
	expect_bad(r.buf, r.len, "arg 0 (dirfd) of openat: unknown wire type 9");
	rec_begin(&r, TE_EV_KILL);
	rec_u64(&r, 0, 1); /* pid is S64 */
	rec_end(&r);
	expect_bad(r.buf, r.len, "type U64, schema says S64");

	/* integer of the wrong size */
	rec_begin(&r, TE_EV_KILL);
	rec_arg(&r, 0, TE_W_S64, "1234", 4);
	rec_end(&r);
	expect_bad(r.buf, r.len, "arg 0 (pid) of kill: S64 of 4 bytes, want 8");
	rec_begin(&r, TE_EV_UNSHARE);
	rec_arg(&r, 0, TE_W_U64, "123456789", 9);
	rec_end(&r);
	expect_bad(r.buf, r.len, "U64 of 9 bytes, want 8");

	/* overlong len: past the end of the record */
	rec_begin(&r, TE_EV_UNLINK);
	rec_str(&r, 0, "/tmp/x");
	rec_end(&r);
	memcpy(&a, r.buf + hs, sizeof(a));
	a.len = 7;
	memcpy(r.buf + hs, &a, sizeof(a));
	expect_bad(r.buf, r.len, "arg 0 (pathname) of unlink: 7 bytes at offset");
	a.len = 0xffff;
	memcpy(r.buf + hs, &a, sizeof(a));
	expect_bad(r.buf, sizeof(r.buf), "65535 bytes");

	/* duplicate index */
	rec_begin(&r, TE_EV_KILL);
	rec_s64(&r, 1, 9);
	rec_s64(&r, 1, 15);
	rec_end(&r);
	expect_bad(r.buf, r.len, "arg 1 (sig) of kill appears twice");

	/* garbage after the args, inside hdr.size */
	rec_begin(&r, TE_EV_KILL);
	rec_s64(&r, 0, 1);
	r.len += 3;
	rec_end(&r);
	expect_bad(r.buf, r.len, "kill: 3 bytes left after 1 args");

	/* errors do not need an err buffer */
	{
		struct te_event ev;

		assert_int_equal(te_decode(r.buf, 3, 0, &ev, NULL, 0), -EBADMSG);
	}
}

/* Random bytes and every truncation of a valid record: errors, no crash
 * (run under ASan to make the "no overread" part count). */
static void test_garbage(void **state)
{
	static struct rec r;
	struct te_event ev;
	char err[256];
	unsigned int seed = 12345;
	unsigned char buf[512];

	(void)state;
	rec_begin(&r, TE_EV_MMAP);
	for (unsigned int a = 0; a < 7; a++)
		add_arg_for(&r, te_event_by_id(TE_EV_MMAP), a);
	rec_end(&r);
	for (size_t n = 0; n < r.len; n++) {
		unsigned char *copy = malloc(n ? n : 1);

		memcpy(copy, r.buf, n);
		assert_int_equal(te_decode(copy, n, 0, &ev, err, sizeof(err)), -EBADMSG);
		free(copy);
	}
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)rand_r(&seed) % sizeof(buf);
		unsigned char *copy;

		for (size_t j = 0; j < n; j++)
			buf[j] = (unsigned char)rand_r(&seed);
		if (n >= sizeof(struct te_record_hdr) && (i & 1)) {
			/* plausible header, random args */
			struct te_record_hdr h;
			memcpy(&h, buf, sizeof(h));
			h.event_id = (uint32_t)(rand_r(&seed) % 110);
			h.size = (__u16)n;
			h.nargs = (__u8)(rand_r(&seed) % 9);
			memcpy(buf, &h, sizeof(h));
		}
		copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		(void)te_decode(copy, n, 0, &ev, err, sizeof(err));
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_lookup),
		cmocka_unit_test(test_table_invariants),
		cmocka_unit_test(test_table_matches_wire_header),
		cmocka_unit_test(test_decode_every_event),
		cmocka_unit_test(test_decode_openat),
		cmocka_unit_test(test_decode_flags_and_sizes),
		cmocka_unit_test(test_decode_strings),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
