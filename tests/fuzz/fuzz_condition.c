/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the condition compiler and the output-template
 * compiler.  The input is rule text; it is compiled as a condition (with a
 * few lists and macros defined, including a macro cycle) and, separately,
 * as an output template.  What compiles is evaluated/rendered against the
 * fixed events of fuzz_events.h, and its event set computed.
 *
 * Build and run: tests/fuzz/run-fuzz.sh (clang -fsanitize=fuzzer).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_events.h"
#include "rule_lang.h"
#include "strbuf.h"

static struct te_rl_defs *defs;
static struct fuzz_events events;

static void add_list(const char *name, const char *const *items, size_t n, bool append)
{
	struct te_rl_error err;

	if (te_rl_defs_list(defs, name, items, n, append, NULL, &err) < 0)
		abort();
}

static void add_macro(const char *name, const char *cond, bool append)
{
	struct te_rl_error err;

	if (te_rl_defs_macro(defs, name, cond, append, NULL, &err) < 0)
		abort();
}

static void setup(void)
{
	static const char *const shells[] = { "bash", "sh", "zsh", "dash" };
	static const char *const more[] = { "shells", "fish", "with space", "" };
	static const char *const paths[] = { "/etc/shadow", "/etc/sudoers", "/proc/kcore" };
	static const char *const nums[] = { "0", "0x65", "-1", "4242", "0755" };
	static const char *const dbg[] = { "gdb", "strace" };

	defs = te_rl_defs_new();
	if (!defs)
		abort();
	add_list("shells", shells, 4, false);
	add_list("all_shells", more, 4, false);
	add_list("sensitive_files", paths, 3, false);
	add_list("pids", nums, 5, false);
	add_list("debuggers", dbg, 2, false);
	add_list("debuggers", shells, 1, true);
	add_macro("open_read", "evt.name in (open, openat, openat2) and evt.arg.flags contains O_RDONLY",
		  false);
	add_macro("spawned", "evt.name = sched_process_exec", false);
	add_macro("spawned", "and proc.name in (shells)", true);
	add_macro("debugger", "proc.pname in (debuggers) or proc.aname[2] = sshd", false);
	add_macro("nested", "(open_read or spawned) and not debugger", false);
	add_macro("cycle_a", "proc.pid = 1 or cycle_b", false);
	add_macro("cycle_b", "not cycle_a", false);
	add_macro("broken", "proc.name = = (", false);
	fuzz_events_init(&events);
}

static void field_cb(void *ctx, const char *field, const char *value)
{
	size_t *n = ctx;

	*n += strlen(field) + strlen(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct te_src_loc loc = { "fuzz.yaml", 3, 14 };
	struct te_rl_error err;
	struct te_expr *e;
	struct te_template *t;
	char *text, msg[1024];

	if (!defs)
		setup();
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	memset(&err, 0, sizeof(err));
	e = te_rl_compile(defs, text, &loc, &err);
	if (e) {
		bool evs[TE_EV_MAX];
		unsigned hits = 0;

		te_expr_events(e, evs);
		for (size_t i = 0; i < events.n; i++)
			hits += te_expr_eval(e, &events.ev[i]);
		/* evaluating must be repeatable: no state kept between events */
		for (size_t i = 0; i < events.n; i++)
			hits -= te_expr_eval(e, &events.ev[i]);
		if (hits)
			abort();
		/* an event outside the event set must never match */
		for (size_t i = 0; i < events.n; i++)
			if (!evs[events.ev[i].desc->id] && te_expr_eval(e, &events.ev[i]))
				abort();
		te_expr_free(e);
	} else {
		te_rl_error_format(&err, msg, sizeof(msg));
	}

	memset(&err, 0, sizeof(err));
	t = te_tpl_compile(text, &loc, &err);
	if (t) {
		struct strbuf sb;
		size_t n = 0;

		sb_init(&sb);
		for (size_t i = 0; i < events.n; i++) {
			sb_reset(&sb);
			te_tpl_render(t, &events.ev[i], &sb);
			te_tpl_fields(t, &events.ev[i], field_cb, &n);
		}
		sb_free(&sb);
		te_tpl_free(t);
	} else {
		te_rl_error_format(&err, msg, sizeof(msg));
	}

	te_rl_field_known(text);
	free(text);
	return 0;
}
