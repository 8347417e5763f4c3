/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Authorizing a D-Bus method call: root passes, anyone else is decided by
 * polkit (org.freedesktop.PolicyKit1.Authority.CheckAuthorization on the
 * caller's bus name, so polkit judges the caller's process, not a uid we
 * pass it).  Asynchronous: the event loop never waits for polkit, which may
 * be asking a human for a password.
 *
 *   static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *e)
 *   {
 *           return te_polkit_authorize(m, "org.traceed1.reload", do_reload, userdata, e);
 *   }
 *
 * @done runs later, on the loop, only when the call is authorized, and must
 * reply to @call.  Refusals are replied here:
 *   org.freedesktop.DBus.Error.AccessDenied                 polkit said no, or
 *                                                           polkit is not running
 *   org.freedesktop.DBus.Error.InteractiveAuthorizationRequired
 *                                                           polkit would ask, and the
 *                                                           call did not allow it
 */
#pragma once

#include <systemd/sd-bus.h>

typedef void (*te_polkit_done_fn)(sd_bus_message *call, void *userdata);

/* Returns 1 (the reply comes later) or a negative errno with @error set. */
int te_polkit_authorize(sd_bus_message *call, const char *action, te_polkit_done_fn done,
			void *userdata, sd_bus_error *error);
