/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small streaming JSON writer for --json.  Strings go through
 * sb_json_str() (daemon/strbuf.c), which escapes control bytes and invalid
 * UTF-8, so the document is valid JSON whatever bytes the bus carried;
 * json-c's serialiser would pass invalid UTF-8 through. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "strbuf.h"

#define JW_MAX_DEPTH 32

struct jw {
	struct strbuf sb;
	int depth;
	bool first[JW_MAX_DEPTH]; /* nothing written yet at this level */
	bool after_key;
};

void jw_init(struct jw *j);
void jw_free(struct jw *j);

void jw_object_begin(struct jw *j);
void jw_object_end(struct jw *j);
void jw_array_begin(struct jw *j);
void jw_array_end(struct jw *j);
/* A member name; the next value is its value. */
void jw_key(struct jw *j, const char *key);

void jw_string(struct jw *j, const char *s);
void jw_u64(struct jw *j, uint64_t v);
void jw_i64(struct jw *j, int64_t v);
void jw_double(struct jw *j, double v);
void jw_bool(struct jw *j, bool v);
void jw_null(struct jw *j);

/* key + value shorthands */
void jw_kv_string(struct jw *j, const char *key, const char *s);
void jw_kv_u64(struct jw *j, const char *key, uint64_t v);
void jw_kv_bool(struct jw *j, const char *key, bool v);
/* @key: usec, and @key"_rfc3339": the RFC 3339 string (null for 0). */
void jw_kv_time(struct jw *j, const char *key, uint64_t usec);

/* Write the document and a newline to @f, flush, and reset @j for the next
 * one.  -ENOMEM if the writer ran out of memory, -EIO on a write error. */
int jw_flush(struct jw *j, FILE *f);
