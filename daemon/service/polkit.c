/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "polkit.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"

/* polkit's CheckAuthorization flag: may ask the user (a password dialog
 * or agent) when the caller set ALLOW_INTERACTIVE_AUTHORIZATION. */
#define POLKIT_ALLOW_USER_INTERACTION 1u
/* polkit may wait for a human: far longer than sd-bus's 25 s default. */
#define POLKIT_TIMEOUT_USEC (5 * 60 * 1000000ull)

struct auth_req {
	sd_bus_message *call;
	char action[96];
	te_polkit_done_fn done;
	void *userdata;
};

static void req_free(void *p)
{
	struct auth_req *req = p;

	sd_bus_message_unref(req->call);
	free(req);
}

static void req_freep(struct auth_req **req)
{
	if (*req)
		req_free(*req);
}

/* Reply @name with "@why (polkit action ACTION)". */
static void deny(struct auth_req *req, const char *name, const char *why)
{
	sd_bus_reply_method_errorf(req->call, name, "%s (polkit action %s)", why, req->action);
}

/* A floating slot owns @req: freed once the reply came or the bus went. */
static int call_async(sd_bus *bus, struct auth_req *req, sd_bus_message_handler_t cb,
		      sd_bus_message *m, uint64_t timeout)
{
	sd_bus_slot *slot = NULL;
	int r = sd_bus_call_async(bus, &slot, m, cb, req, timeout);

	if (r < 0)
		return r;
	sd_bus_slot_set_destroy_callback(slot, req_free);
	sd_bus_slot_set_floating(slot, 1);
	sd_bus_slot_unref(slot);
	return 0;
}

static int on_check(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct auth_req *req = userdata;
	int authorized = 0, challenge = 0, r;

	(void)ret_error;
	if (sd_bus_message_is_method_error(reply, NULL)) {
		const sd_bus_error *e = sd_bus_message_get_error(reply);

		log_warning("polkit did not answer (%s: %s); refusing %s", e->name,
			    e->message ? e->message : "", req->action);
		deny(req, SD_BUS_ERROR_ACCESS_DENIED,
		     "not authorized: polkit is not available; only root may do this");
		return 0;
	}
	r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
	if (r >= 0)
		r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
	if (r < 0) {
		deny(req, SD_BUS_ERROR_ACCESS_DENIED, "not authorized: polkit's reply was not understood");
		return 0;
	}
	if (authorized)
		req->done(req->call, req->userdata);
	else if (challenge)
		deny(req, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
		     "authentication is required");
	else
		deny(req, SD_BUS_ERROR_ACCESS_DENIED, "not authorized");
	return 0;
}

static int check_polkit(sd_bus *bus, struct auth_req *req)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	const char *sender = sd_bus_message_get_sender(req->call);
	unsigned flags = sd_bus_message_get_allow_interactive_authorization(req->call) > 0
				 ? POLKIT_ALLOW_USER_INTERACTION
				 : 0;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.PolicyKit1",
					   "/org/freedesktop/PolicyKit1/Authority",
					   "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
	if (r >= 0)
		r = sd_bus_message_append(m, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s",
					  sender, req->action, 0, flags, "");
	if (r >= 0)
		r = call_async(bus, req, on_check, m, POLKIT_TIMEOUT_USEC);
	return r;
}

static int on_uid(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	struct auth_req *req = userdata;
	struct auth_req *next;
	uint32_t uid;
	int r;

	(void)ret_error;
	if (sd_bus_message_is_method_error(reply, NULL) || sd_bus_message_read(reply, "u", &uid) < 0) {
		deny(req, SD_BUS_ERROR_ACCESS_DENIED, "not authorized: the caller's user is unknown");
		return 0;
	}
	if (uid == 0) {
		req->done(req->call, req->userdata);
		return 0;
	}
	/* This request dies with its slot: the polkit step gets a copy. */
	next = calloc(1, sizeof(*next));
	if (!next) {
		sd_bus_reply_method_errno(req->call, ENOMEM, NULL);
		return 0;
	}
	*next = *req;
	sd_bus_message_ref(next->call);
	r = check_polkit(sd_bus_message_get_bus(req->call), next);
	if (r < 0) {
		sd_bus_reply_method_errno(req->call, -r, NULL);
		req_free(next);
	}
	return 0;
}

int te_polkit_authorize(sd_bus_message *call, const char *action, te_polkit_done_fn done,
			void *userdata, sd_bus_error *error)
{
	sd_bus *bus = sd_bus_message_get_bus(call);
	const char *sender = sd_bus_message_get_sender(call);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(req_freep) struct auth_req *req = NULL;
	int r;

	if (!sender)
		return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "the caller has no bus name");
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->call = sd_bus_message_ref(call);
	snprintf(req->action, sizeof(req->action), "%s", action);
	req->done = done;
	req->userdata = userdata;

	/* The bus driver knows the sender's uid; asked without waiting. */
	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.DBus", "/org/freedesktop/DBus",
					   "org.freedesktop.DBus", "GetConnectionUnixUser");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", sender);
	if (r >= 0)
		r = call_async(bus, req, on_uid, m, 0);
	if (r < 0)
		return r;
	req = NULL; /* the call's slot owns it now */
	return 1;
}
