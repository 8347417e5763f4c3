// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Record decoder: one ring-buffer (or replayed) record -> struct te_event.
 *
 * Nothing from the kernel is trusted: every length is checked against the
 * record before it is read, and every argument against the schema.  The
 * rules, and why:
 *
 *  - size >= sizeof(struct te_record_hdr), and hdr.size is in
 *    [sizeof(hdr), size].  hdr.size may be smaller than what the transport
 *    hands us: a BPF program may reserve a fixed-size slot and fill part of
 *    it, and a replay buffer may be padded.  Bytes past hdr.size are ignored.
 *  - The arguments must fill hdr.size exactly: a gap or left-over bytes mean
 *    the writer and reader disagree on the layout, and guessing is worse
 *    than dropping one record.
 *  - idx < desc->nargs, no idx twice, wire type equal to the schema's, S64
 *    and U64 exactly 8 bytes.  hdr.nargs can then never exceed desc->nargs.
 *  - TE_W_STR: the value ends at the first NUL if there is one (a writer
 *    that counted the terminator, or a bpf_probe_read_str into a zeroed
 *    buffer, must not leave NULs inside the string that later C code would
 *    cut differently).
 *  - TE_W_STRARR: NUL-separated strings.  A missing final NUL is tolerated
 *    and the tail read as the last string, because the kernel cuts argv at
 *    TE_MAX_ARGV_BYTES, possibly mid-string; consumers walk the buffer with
 *    memchr and a length, never strlen past len.
 *  - TE_W_BYTES: any length; its meaning (a sockaddr) is checked where it is
 *    formatted.
 *
 * The header is copied with memcpy: ring-buffer samples are 8-byte aligned,
 * but a replayed record may sit anywhere in a line buffer.  Argument data is
 * not copied; ev->args point into @data.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "event.h"

static const char *wire_name(unsigned int t)
{
	switch (t) {
	case TE_W_S64: return "S64";
	case TE_W_U64: return "U64";
	case TE_W_STR: return "STR";
	case TE_W_STRARR: return "STRARR";
	case TE_W_BYTES: return "BYTES";
	default: return NULL;
	}
}

__attribute__((format(printf, 3, 4)))
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

int te_decode(const void *data, size_t size, int64_t boot_to_wall_ns,
	      struct te_event *ev, char *err, size_t errlen)
{
	const unsigned char *rec = data;
	const struct te_event_desc *desc;
	size_t off, end;
	unsigned int seen = 0; /* bitmap of idx already decoded */

	_Static_assert(TE_MAX_ARGS <= sizeof(seen) * 8, "seen bitmap too small");

	if (err && errlen)
		err[0] = '\0';
	memset(ev, 0, sizeof(*ev));

	if (!rec || size < sizeof(ev->hdr))
		return bad(err, errlen, "record of %zu bytes is shorter than the %zu-byte header",
			   rec ? size : 0, sizeof(ev->hdr));
	memcpy(&ev->hdr, rec, sizeof(ev->hdr));

	if (ev->hdr.size < sizeof(ev->hdr))
		return bad(err, errlen, "header says %u bytes, less than the %zu-byte header",
			   (unsigned int)ev->hdr.size, sizeof(ev->hdr));
	if (ev->hdr.size > size)
		return bad(err, errlen, "header says %u bytes but the record has only %zu",
			   (unsigned int)ev->hdr.size, size);

	desc = te_event_by_id(ev->hdr.event_id);
	if (!desc)
		return bad(err, errlen, "unknown event id %u", (unsigned int)ev->hdr.event_id);
	ev->desc = desc;

	if (ev->hdr.nargs > desc->nargs)
		return bad(err, errlen, "%s record has %u args, schema has %u", desc->name,
			   (unsigned int)ev->hdr.nargs, (unsigned int)desc->nargs);

	end = ev->hdr.size;
	off = sizeof(ev->hdr);
	for (unsigned int i = 0; i < ev->hdr.nargs; i++) {
		struct te_arg_hdr ah;
		const struct te_arg_desc *ad;
		struct te_arg_value *v;
		const char *wn;

		if (end - off < sizeof(ah))
			return bad(err, errlen,
				   "%s: arg header %u at offset %zu overruns the %zu-byte record",
				   desc->name, i, off, end);
		memcpy(&ah, rec + off, sizeof(ah));
		off += sizeof(ah);

		if (ah.idx >= desc->nargs)
			return bad(err, errlen, "%s: arg index %u out of range (schema has %u args)",
				   desc->name, (unsigned int)ah.idx, (unsigned int)desc->nargs);
		ad = &desc->args[ah.idx];
		if (seen & (1u << ah.idx))
			return bad(err, errlen, "arg %u (%s) of %s appears twice",
				   (unsigned int)ah.idx, ad->name, desc->name);
		seen |= 1u << ah.idx;

		wn = wire_name(ah.type);
		if (!wn)
			return bad(err, errlen, "arg %u (%s) of %s: unknown wire type %u",
				   (unsigned int)ah.idx, ad->name, desc->name, (unsigned int)ah.type);
		if (ah.type != ad->wire)
			return bad(err, errlen, "arg %u (%s) of %s: type %s, schema says %s",
				   (unsigned int)ah.idx, ad->name, desc->name, wn,
				   wire_name(ad->wire) ? wire_name(ad->wire) : "?");
		if (ah.len > end - off)
			return bad(err, errlen,
				   "arg %u (%s) of %s: %u bytes at offset %zu overrun the %zu-byte record",
				   (unsigned int)ah.idx, ad->name, desc->name, (unsigned int)ah.len,
				   off, end);

		v = &ev->args[ah.idx];
		switch (ah.type) {
		case TE_W_S64:
		case TE_W_U64:
			if (ah.len != 8)
				return bad(err, errlen, "arg %u (%s) of %s: %s of %u bytes, want 8",
					   (unsigned int)ah.idx, ad->name, desc->name, wn,
					   (unsigned int)ah.len);
			/* both union members share the 8 bytes */
			memcpy(&v->u, rec + off, 8);
			break;
		case TE_W_STR: {
			const char *p = (const char *)rec + off;
			const char *nul = memchr(p, '\0', ah.len);
			v->buf.p = p;
			v->buf.len = nul ? (size_t)(nul - p) : ah.len;
			break;
		}
		default: /* STRARR, BYTES: raw, see the rules above */
			v->buf.p = (const char *)rec + off;
			v->buf.len = ah.len;
			break;
		}
		v->present = true;
		off += ah.len;
	}

	if (off != end)
		return bad(err, errlen, "%s: %zu bytes left after %u args in a %zu-byte record",
			   desc->name, end - off, (unsigned int)ev->hdr.nargs, end);

	ev->wall_ns = ev->hdr.ts + (uint64_t)boot_to_wall_ns;
	ev->truncated = ev->hdr.flags & TE_RF_TRUNCATED;
	return 0;
}

const struct te_arg_value *te_event_arg(const struct te_event *ev, const char *name,
					const struct te_arg_desc **desc)
{
	if (desc)
		*desc = NULL;
	if (!ev || !ev->desc || !name)
		return NULL;
	for (unsigned int i = 0; i < ev->desc->nargs; i++) {
		if (strcmp(ev->desc->args[i].name, name) == 0) {
			if (desc)
				*desc = &ev->desc->args[i];
			return &ev->args[i];
		}
	}
	return NULL;
}

bool te_event_targets_pid(const struct te_event *ev, uint32_t pid)
{
	static const char *const targets[] = { "pid", "tgid", "tid" };
	const struct te_arg_value *v;

	if (!pid || !ev->desc)
		return false;
	switch (ev->desc->id) {
	case TE_EV_KILL:
	case TE_EV_TKILL:
	case TE_EV_TGKILL:
	case TE_EV_PTRACE:
	case TE_EV_PROCESS_VM_READV:
	case TE_EV_PROCESS_VM_WRITEV:
		break;
	default:
		return false;
	}
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		v = te_event_arg(ev, targets[i], NULL);
		if (!v)
			continue;
		if (v->s == (int64_t)pid)
			return true;
		/* kill(-1, sig): every process the sender may signal, us too */
		if (ev->desc->id == TE_EV_KILL && v->s == -1)
			return true;
	}
	return false;
}
