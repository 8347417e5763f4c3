/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sections of traceed.yaml that the configuration reader (service/config.c)
 * keeps as written, with positions, for the module that owns them to
 * validate: the webhook outputs read their entries this way, so that
 * neither they depend on the service nor the service on their options.
 */
#pragma once

#include <stddef.h>

/*
 * A key/value of a webhook entry, kept as written: the webhook outputs
 * (outputs/webhook/webhook_config.c) validate them and need the positions
 * for their own "file:line:col" messages.  @value is NULL when the value was a mapping
 * (e.g. headers:), whose string pairs are then in @sub.
 */
struct te_config_kv {
	char *key;
	char *value;
	unsigned line, col;           /* of the value */
	struct te_config_kv *sub;
	size_t nsub;
};

struct te_config_webhook {
	unsigned line, col;           /* of the entry's mapping */
	struct te_config_kv *kv;
	size_t nkv;
};

