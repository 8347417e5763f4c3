/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lexical normalisation of absolute paths, for the paths the kernel side
 * takes from a syscall's argument (made absolute against the cwd or dirfd,
 * but otherwise as the process spelled them): "//var/log/x",
 * "/tmp/../var/log/x" and "/etc/./cron.d//b" must meet the rules as
 * "/var/log/x" and "/etc/cron.d/b", or every rule on a path is one extra
 * slash away from being evaded.
 */
#pragma once

#include <stddef.h>

/*
 * Normalise the absolute path at @p (@len bytes, no NUL needed) in place:
 * empty and "." components dropped, ".." removes the component before it
 * (at the root it stays at the root, as the kernel does), no trailing '/'
 * except for the root itself.  Returns the new length (never longer).
 * Anything that does not start with '/' (a path the walk flagged as cut,
 * "<truncated>...") is left as it is.  Lexical: a ".." after a symbolic
 * link is resolved against the link's name, not its target.
 */
size_t te_path_normalize(char *p, size_t len);
