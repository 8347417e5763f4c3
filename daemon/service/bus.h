/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.traceed1 on the system bus: the org.traceed1.Manager interface at
 * /org/traceed1 (dbus/org.traceed1.Manager.xml is the contract).
 *
 * The connection waits for the bus to appear (sd_bus_set_watch_bind), so
 * traceed can start before dbus at boot, and comes back after dbus
 * restarts.  DBUS_SYSTEM_BUS_ADDRESS is honoured (the tests' private bus).
 * Nothing here blocks the event loop: the name is requested and polkit is
 * asked asynchronously.
 */
#pragma once

#include "history.h"

struct te_daemon;
struct te_bus;

/* Start connecting; NULL only when out of memory (reported). */
struct te_bus *te_bus_open(struct te_daemon *d);
void te_bus_close(struct te_bus *b);

/* The Detection signal for @e (already valid UTF-8).  No-op on NULL or
 * while disconnected. */
void te_bus_emit_detection(struct te_bus *b, const struct te_history_entry *e);
/* PropertiesChanged for RulesLoaded, RulesEnabled and UnavailableEvents. */
void te_bus_rules_changed(struct te_bus *b);
