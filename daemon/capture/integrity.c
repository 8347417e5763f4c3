// SPDX-License-Identifier: LGPL-2.1-or-later
#include "integrity.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "traceed.skel.h"

/* The value the loader set for @id (te_loader_select). */
static __u32 expected(const struct te_loader *l, __u32 id)
{
	return (l->kernel_wanted[id] ? TE_WANT_SEND : 0) | (l->kernel_failed[id] ? TE_WANT_FAILED : 0);
}

int te_loader_verify_selection(const struct te_loader *l, char *why, size_t whylen)
{
	if (!l->skel)
		return 0;
	for (__u32 id = 0; id < TE_EV_MAX; id++) {
		__u32 val = 0;
		int r = bpf_map__lookup_elem(l->skel->maps.wanted, &id, sizeof(id), &val,
					     sizeof(val), 0);
		const struct te_event_desc *d;

		if (r < 0) {
			snprintf(why, whylen, "cannot read the selection map: %s", strerror(-r));
			return r;
		}
		if (val == expected(l, id))
			continue;
		d = te_event_by_id(id);
		snprintf(why, whylen,
			 "the kernel's event selection was changed behind traceed's back: "
			 "event %s is %s%s in the kernel, %s%s by traceed",
			 d ? d->name : "?", val & TE_WANT_SEND ? "on" : "off",
			 val & TE_WANT_FAILED ? " with failures" : "",
			 l->kernel_wanted[id] ? "on" : "off",
			 l->kernel_failed[id] ? " with failures" : "");
		return -EBADMSG;
	}
	return 0;
}

int te_loader_restore_selection(const struct te_loader *l)
{
	int ret = 0;

	if (!l->skel)
		return 0;
	for (__u32 id = 0; id < TE_EV_MAX; id++) {
		__u32 val = expected(l, id);
		int r = bpf_map__update_elem(l->skel->maps.wanted, &id, sizeof(id), &val,
					     sizeof(val), 0);

		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}
