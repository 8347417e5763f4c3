/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Any D-Bus value as JSON, for the keys of GetStatus's a{sv} that tracectl
 * has no special knowledge of (the interface allows new ones). */
#pragma once

#include <systemd/sd-bus.h>

#include "json_out.h"

/* Read one complete value at the current position of @m and write it to
 * @j: numbers and booleans as such, strings and object paths as strings,
 * arrays and structs as arrays, dictionaries as objects, variants as their
 * content.  A negative errno if the message ends early. */
int jw_from_bus(struct jw *j, sd_bus_message *m);
