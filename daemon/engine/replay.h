/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --replay: run recorded events (the JSON lines `--output json` prints)
 * through the rules without BPF.  The process tree is rebuilt from the
 * recorded sched_process_fork/exec/exit events, so ancestor fields work
 * when the recording has them.
 */
#pragma once

#include <stddef.h>

#include "engine.h"
#include "rule_event.h"

struct json_object;

/*
 * Parse one JSON event into @re (strings stored in @arena).  Returns 0, or
 * -EINVAL with a message naming the key and value at fault.
 */
int te_replay_parse(struct json_object *obj, struct te_rule_event *re,
		    struct te_rule_arena *arena, char *err, size_t errlen);

/*
 * Replay @path ("-" for standard input) through @engine.  Lines that are
 * not valid events are reported as "PATH:LINE: message" on stderr and
 * counted; returns 0 when every line was an event, 1 otherwise.
 */
int te_replay_file(const char *path, struct te_engine *engine, const char *hostname);
