/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the YAML rule loader (te_ruleset_load).  The input is a
 * rules file.  te_ruleset_load only takes paths, so the input is written to
 * a memfd and loaded as /proc/self/fd/N (nothing touches the disk).  A set
 * that loads is matched against the fixed events of fuzz_events.h, its
 * rules disabled and enabled again, and freed.
 *
 * Build and run: tests/fuzz/run-fuzz.sh (clang -fsanitize=fuzzer).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_events.h"
#include "rule_set.h"

static int memfd = -1;
static char path[64];
static FILE *diag;
static struct fuzz_events events;

static void setup(void)
{
	memfd = memfd_create("fuzz-rules.yaml", MFD_CLOEXEC);
	if (memfd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	diag = fopen("/dev/null", "we");
	if (!diag)
		abort();
	fuzz_events_init(&events);
}

static void on_match(void *ctx, struct te_rule *rule, const struct te_rule_event *ev)
{
	unsigned *n = ctx;

	/* the index must only offer rules for their own event types */
	if (!rule->events[ev->desc->id] || !rule->enabled)
		abort();
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *paths[1] = { path };
	struct te_rl_error err;
	struct te_ruleset *rs;
	size_t off = 0;

	if (memfd < 0)
		setup();
	if (ftruncate(memfd, 0) < 0 || lseek(memfd, 0, SEEK_SET) < 0)
		abort();
	while (off < size) {
		ssize_t w = write(memfd, data + off, size - off);

		if (w <= 0)
			abort();
		off += (size_t)w;
	}

	memset(&err, 0, sizeof(err));
	rs = te_ruleset_load(paths, 1, diag, &err);
	if (!rs)
		return 0;

	size_t n = te_ruleset_count(rs);
	bool evs[TE_EV_MAX];
	unsigned matches = 0;

	te_ruleset_events(rs, evs);
	for (size_t i = 0; i < events.n; i++)
		te_ruleset_match(rs, &events.ev[i], on_match, &matches);
	for (size_t i = 0; i < n; i++) {
		struct te_rule *r = te_ruleset_rule(rs, i);

		if (!r || te_ruleset_find(rs, r->id) == NULL)
			abort();
		if (te_ruleset_set_enabled(rs, r->id, !r->enabled) < 0)
			abort();
	}
	for (size_t i = 0; i < events.n; i++)
		te_ruleset_match(rs, &events.ev[i], on_match, &matches);
	te_ruleset_enabled_count(rs);
	te_ruleset_free(rs);
	return 0;
}
