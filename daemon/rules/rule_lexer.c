// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lexer of the rule language.
 *
 * Falco's condition syntax lets values go unquoted (fd.name = /etc/shadow,
 * evt.arg.request = PTRACE_TRACEME), so a "word" is any run of bytes up to
 * white space, a parenthesis, a comma, a quote or an operator character
 * (= < > !).  Whether a word is a keyword, a field, a macro, a list, a
 * number or a plain string is decided by the parser from where it stands:
 * the lexer never needs to know the fields or the lists.
 *
 * Tokens keep byte offsets only; line and column are computed when an error
 * is reported (rl_src_pos), which keeps the common, error-free path cheap.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "rule_lexer.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Bytes that end a bare word. */
static bool ends_word(char c)
{
	return is_space(c) || c == '(' || c == ')' || c == ',' || c == '"' || c == '\'' ||
	       c == '=' || c == '<' || c == '>' || c == '!';
}

int rl_lex(const struct rl_src *src, struct rl_token **toks, size_t *ntoks,
	   struct te_rl_error *err)
{
	struct rl_token *v = NULL;
	size_t n = 0, cap = 0, i = 0;
	const char *s = src->text;

	for (;;) {
		struct rl_token t = { 0 };

		while (i < src->len && is_space(s[i]))
			i++;
		if (te_grow((void **)&v, &cap, n, sizeof(*v), 16) < 0) {
			free(v);
			rl_error_at(err, src, i, "out of memory");
			return -ENOMEM;
		}
		t.off = i;
		if (i >= src->len) {
			t.kind = RL_T_END;
			v[n++] = t;
			break;
		}
		switch (s[i]) {
		case '(':
			t.kind = RL_T_LPAREN;
			t.len = 1;
			break;
		case ')':
			t.kind = RL_T_RPAREN;
			t.len = 1;
			break;
		case ',':
			t.kind = RL_T_COMMA;
			t.len = 1;
			break;
		case '=':
			t.kind = RL_T_OP;
			t.len = 1;
			break;
		case '<':
		case '>':
			t.kind = RL_T_OP;
			t.len = (i + 1 < src->len && s[i + 1] == '=') ? 2 : 1;
			break;
		case '!':
			if (i + 1 < src->len && s[i + 1] == '=') {
				t.kind = RL_T_OP;
				t.len = 2;
				break;
			}
			free(v);
			rl_error_at(err, src, i, "expected '!=', found '!'");
			return -EINVAL;
		case '"':
		case '\'': {
			char q = s[i];
			size_t j = i + 1;

			/* Only the quote and the backslash are escaped; every other
			 * backslash stays, so glob patterns keep theirs. */
			while (j < src->len && s[j] != q) {
				if (s[j] == '\\' && j + 1 < src->len)
					j++;
				j++;
			}
			if (j >= src->len) {
				free(v);
				rl_error_at(err, src, i, "expected closing %c, found end of condition",
					    q);
				return -EINVAL;
			}
			t.kind = RL_T_STRING;
			t.len = j + 1 - i;
			break;
		}
		default: {
			size_t j = i;

			while (j < src->len && !ends_word(s[j]))
				j++;
			t.kind = RL_T_WORD;
			t.len = j - i;
			break;
		}
		}
		v[n++] = t;
		i += t.len;
	}
	*toks = v;
	*ntoks = n;
	return 0;
}

bool rl_tok_is(const struct rl_src *src, const struct rl_token *t, const char *s)
{
	size_t n = strlen(s);

	return t->kind == RL_T_WORD && t->len == n && memcmp(src->text + t->off, s, n) == 0;
}

char *rl_tok_value(const struct rl_src *src, const struct rl_token *t, size_t *len)
{
	const char *p = src->text + t->off;
	size_t n = t->len, o = 0;
	char *out;

	if (t->kind != RL_T_STRING) {
		out = strndup(p, n);
		if (out && len)
			*len = n;
		return out;
	}
	out = malloc(n);
	if (!out)
		return NULL;
	/* Between the quotes (n >= 2: the lexer saw both). */
	for (size_t i = 1; i + 1 < n; i++) {
		if (p[i] == '\\' && i + 2 < n &&
		    (p[i + 1] == '"' || p[i + 1] == '\'' || p[i + 1] == '\\'))
			i++;
		out[o++] = p[i];
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}

void rl_tok_describe(const struct rl_src *src, const struct rl_token *t, char *buf, size_t len)
{
	/* Long tokens are cut: the position already says where they are. */
	int n = t->len > 60 ? 60 : (int)t->len;
	const char *dots = t->len > 60 ? "..." : "";

	switch (t->kind) {
	case RL_T_END:
		snprintf(buf, len, "end of condition");
		break;
	case RL_T_STRING:
		snprintf(buf, len, "%.*s%s", n, src->text + t->off, dots);
		break;
	default:
		snprintf(buf, len, "'%.*s%s'", n, src->text + t->off, dots);
		break;
	}
}

void rl_src_pos(const struct rl_src *src, size_t off, const char **file, unsigned *line,
		unsigned *col)
{
	const struct rl_seg *seg = NULL;
	size_t start = 0, nl = 0, line_start = 0;

	if (off > src->len)
		off = src->len;
	for (size_t i = 0; i < src->nsegs; i++)
		if (src->segs[i].off <= off)
			seg = &src->segs[i];
	if (seg)
		start = seg->off;
	for (size_t i = start; i < off; i++) {
		if (src->text[i] == '\n') {
			nl++;
			line_start = i + 1;
		}
	}
	*file = seg ? seg->loc.file : NULL;
	*line = (seg && seg->loc.line ? seg->loc.line : 1) + (unsigned)nl;
	if (nl)
		*col = (unsigned)(off - line_start) + 1;
	else
		*col = (unsigned)(off - start) + (seg && seg->loc.col ? seg->loc.col : 1);
}

static void verror(struct te_rl_error *err, const char *file, unsigned line, unsigned col,
		   const char *suffix, const char *fmt, va_list ap)
{
	size_t n;

	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	err->col = col;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	n = strlen(err->msg);
	if (suffix && n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, "%s", suffix);
}

void rl_error_at(struct te_rl_error *err, const struct rl_src *src, size_t off, const char *fmt,
		 ...)
{
	const char *file;
	unsigned line, col;
	char suffix[160] = "";
	va_list ap;

	if (!err)
		return;
	rl_src_pos(src, off, &file, &line, &col);
	if (src->macro)
		snprintf(suffix, sizeof(suffix), " (in macro '%s')", src->macro);
	va_start(ap, fmt);
	verror(err, file, line, col, suffix, fmt, ap);
	va_end(ap);
}

void rl_error_loc(struct te_rl_error *err, const struct te_src_loc *loc, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	verror(err, loc ? loc->file : NULL, loc && loc->line ? loc->line : 1,
	       loc && loc->col ? loc->col : 1, NULL, fmt, ap);
	va_end(ap);
}

void te_rl_error_format(const struct te_rl_error *e, char *buf, size_t len)
{
	if (!buf || !len)
		return;
	snprintf(buf, len, "%s:%u:%u: %s", e->file[0] ? e->file : "<string>", e->line, e->col,
		 e->msg);
}
