/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the verbs of tracectl share: the parsed options, the bus connection
 * and the exit codes documented in tracectl(1). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h> /* EXIT_SUCCESS, EXIT_FAILURE */
#include <systemd/sd-bus.h>

#define TRACEED_BUS_NAME "org.traceed1"
#define TRACEED_OBJECT   "/org/traceed1"
#define TRACEED_IFACE    "org.traceed1.Manager"

/* 0 and 1 are EXIT_SUCCESS and EXIT_FAILURE. */
enum {
	EXIT_USAGE = 2,
	EXIT_NOT_RUNNING = 3,
	EXIT_NO_SUCH_RULE = 4,
	EXIT_NOT_AUTHORIZED = 5,
};

struct ctl {
	bool json;
	bool legend;
	bool ask_password;   /* allow polkit to ask (state-changing calls) */
	size_t columns;      /* terminal width; 0: not a terminal, no limit */
	const char *ellipsis;
	/* detections filters */
	bool have_since;
	uint64_t since;
	const char *rule;
	const char *severity;
	bool have_limit;
	uint32_t limit;

	sd_bus *bus;
};

/* What a call is for, so a failure can be explained. */
struct action {
	const char *what;    /* "enable rules", for "failed to enable rules" */
	const char *polkit;  /* the polkit action it needs; NULL: read-only */
};

/* Connect to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured).
 * An exit code: 0, or EXIT_NOT_RUNNING with the reason printed. */
int ctl_connect(struct ctl *c);

/* A method call on org.traceed1.Manager to fill in; < 0 on ENOMEM. */
int ctl_new_call(struct ctl *c, const char *member, sd_bus_message **m);

/*
 * Send @m and wait for the reply.  For an action with a polkit id, the call
 * allows interactive authorization (and a polkit text agent is started)
 * when standard input is a terminal and --no-ask-password was not given.
 * An exit code: 0, or what the error maps to, with a message printed that
 * names @a and, for NoSuchRule, @rule_id.
 */
int ctl_send(struct ctl *c, sd_bus_message *m, const struct action *a, const char *rule_id,
	     sd_bus_message **reply);

/* ctl_new_call() + append @types + ctl_send(). */
int ctl_call(struct ctl *c, const char *member, const struct action *a, const char *rule_id,
	     sd_bus_message **reply, const char *types, ...);

/* The exit code and message for a bus error @e (or errno @r without one). */
int ctl_bus_error(const struct action *a, const char *rule_id, const sd_bus_error *e, int r);

/* "tracectl: bad reply to <what>: <errno>" (a reply that does not fit the
 * interface's signature), EXIT_FAILURE. */
int ctl_bad_reply(const struct action *a, int r);

/* "tracectl: <fmt>" on stderr, then EXIT_FAILURE or @code. */
int ctl_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct jw;
struct table;
/* Print a finished list: with --json the array @j (closed here), else the
 * table @t when it has rows (@n).  Returns 0 or an exit code, reported. */
int ctl_print_list(struct ctl *c, struct jw *j, struct table *t, size_t n);

/* @s escaped for the terminal (escape.h) into a static-free buffer the
 * caller frees; NULL on ENOMEM. */
char *ctl_escape(const char *s);

/* Print a line-oriented "Key: value" pair, the value escaped. */
void ctl_field(const char *key, const char *value);

/* polkit_agent.c: a text agent for the duration of one call, as systemctl
 * does, so that "allow interactive authorization" can reach a password
 * prompt on a terminal.  Returns the agent's pid or 0. */
int polkit_agent_open(void);
void polkit_agent_close(int pid);

/* verbs */
int verb_status(struct ctl *c, int argc, char **argv);
int verb_rules(struct ctl *c, int argc, char **argv);
int verb_reload(struct ctl *c, int argc, char **argv);
int verb_detections(struct ctl *c, int argc, char **argv);
int verb_monitor(struct ctl *c, int argc, char **argv);
int verb_outputs(struct ctl *c, int argc, char **argv);
