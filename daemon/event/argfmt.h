/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One decoded argument as text (the table, the rule engine's string
 * comparisons, replay) or as a JSON value (event_format.c).  argfmt.c says
 * how each type is written.
 */
#pragma once

#include "event.h"
#include "strbuf.h"

void te_arg_text(struct strbuf *sb, const struct te_arg_desc *d, const struct te_arg_value *v);
void te_arg_json(struct strbuf *sb, const struct te_arg_desc *d, const struct te_arg_value *v);
