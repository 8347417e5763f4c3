/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tokens of the rule language, and the mapping from a byte offset in rule
 * text back to FILE:LINE:COL for error messages.
 *
 * Rule text may be stitched from several places: a macro extended with
 * `override: {condition: append}` is the old text, a space, and the new
 * text, each from its own YAML node.  A source is therefore a text plus the
 * segments it was joined from, so that an error in the appended part names
 * the appended part's line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "rule_lang.h"

/* One piece of a source text: bytes from @off up to the next segment came
 * from @loc. */
struct rl_seg {
	size_t off;
	struct te_src_loc loc;
};

struct rl_src {
	const char *text;
	size_t len;
	const struct rl_seg *segs;  /* sorted by off; may be NULL: "<string>" 1:1 */
	size_t nsegs;
	const char *macro;          /* the macro this text defines, or NULL */
};

enum rl_tok_kind {
	RL_T_END = 0,   /* end of the text */
	RL_T_LPAREN,
	RL_T_RPAREN,
	RL_T_COMMA,
	RL_T_OP,        /* = != < <= > >= */
	RL_T_WORD,      /* bare word: keyword, field, macro, list, number or string */
	RL_T_STRING,    /* "quoted" or 'quoted' */
};

struct rl_token {
	enum rl_tok_kind kind;
	size_t off;   /* first byte in the source text */
	size_t len;   /* bytes in the source text, quotes included */
};

/*
 * Split @src into tokens, ending with one RL_T_END at offset src->len.
 * Returns 0 with a malloc'ed array in *toks, or -EINVAL (unterminated
 * string, stray character) / -ENOMEM with @err filled.
 */
int rl_lex(const struct rl_src *src, struct rl_token **toks, size_t *ntoks,
	   struct te_rl_error *err);

/* Does the token's text equal @s exactly (keywords are case-sensitive)? */
bool rl_tok_is(const struct rl_src *src, const struct rl_token *t, const char *s);

/* The value of a WORD or STRING token (quotes removed, \" \' \\ unescaped),
 * malloc'ed and NUL-terminated; *len gets its length.  NULL on ENOMEM. */
char *rl_tok_value(const struct rl_src *src, const struct rl_token *t, size_t *len);

/* How a token is named in "expected X, found Y": 'word', "string", ')',
 * end of condition. */
void rl_tok_describe(const struct rl_src *src, const struct rl_token *t, char *buf, size_t len);

/* FILE:LINE:COL of byte @off of @src. */
void rl_src_pos(const struct rl_src *src, size_t off, const char **file, unsigned *line,
		unsigned *col);

/* Fill @err (when not NULL) for byte @off of @src.  Inside a macro the
 * message says which one. */
void rl_error_at(struct te_rl_error *err, const struct rl_src *src, size_t off, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));
/* Fill @err for an explicit location (errors not tied to a token). */
void rl_error_loc(struct te_rl_error *err, const struct te_src_loc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
