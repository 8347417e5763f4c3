/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Is the kernel side still as traceed set it?  Root can write BPF maps it
 * did not create (bpftool map update id ...): zeroing the `wanted` selection
 * map blinds traceed without a single lost event to show for it.  The
 * self-check (service/selfcheck.c) reads the map back against what the
 * loader last asked for.
 */
#pragma once

#include <stddef.h>

#include "loader.h"

/*
 * 0 when every event's value in the kernel's `wanted` map is what the
 * loader set (l->kernel_wanted, l->kernel_failed); -EBADMSG with the first difference in
 * @why ("event openat: wanted in the kernel 0, set 1") otherwise; another
 * negative errno when the map cannot be read.
 */
int te_loader_verify_selection(const struct te_loader *l, char *why, size_t whylen);
/* Write the whole selection again as the loader set it, after a change
 * someone else made: detection goes on.  0 or a negative errno. */
int te_loader_restore_selection(const struct te_loader *l);
