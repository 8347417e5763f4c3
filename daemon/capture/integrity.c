// SPDX-License-Identifier: LGPL-2.1-or-later
#include "integrity.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "traceed.skel.h"

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
		/* bit 0: send this event (further bits refine it) */
		if ((bool)(val & 1) == l->kernel_wanted[id])
			continue;
		d = te_event_by_id(id);
		snprintf(why, whylen,
			 "the kernel's event selection was changed behind traceed's back: "
			 "event %s is %s in the kernel, %s by traceed",
			 d ? d->name : "?", val & 1 ? "on" : "off",
			 l->kernel_wanted[id] ? "on" : "off");
		return -EBADMSG;
	}
	return 0;
}
