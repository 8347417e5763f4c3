/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fields of the rule language: the registry (name -> field, with the types
 * its value can have) and extraction of a field's value from an event.
 * Extraction never allocates: values point into the event, the process tree
 * or a small per-evaluation scratch area on the caller's stack.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule_event.h"
#include "strbuf.h"

/* Bits of rl_field.types: which te_rv types a field's value can have. */
#define RL_TY_NUM (1u << TE_RV_NUM)
#define RL_TY_STR (1u << TE_RV_STR)
#define RL_TY_LIST (1u << TE_RV_LIST)

/* Most ancestors walked for proc.aname/proc.aexe (and the largest [N]). */
#define RL_ANC_MAX 64

enum rl_field_id {
	RL_F_EVT_NAME,
	RL_F_EVT_ID,
	RL_F_EVT_TIME,
	RL_F_EVT_RETVAL,
	RL_F_EVT_TRUNCATED,
	RL_F_EVT_TARGETS_TRACEED,
	RL_F_EVT_ARG,
	RL_F_PROC_NAME,
	RL_F_PROC_EXE,
	RL_F_PROC_CMDLINE,
	RL_F_PROC_ARGS,
	RL_F_PROC_PID,
	RL_F_PROC_TID,
	RL_F_PROC_VPID,
	RL_F_PROC_PPID,
	RL_F_PROC_PNAME,
	RL_F_PROC_PEXE,
	RL_F_PROC_PCMDLINE,
	RL_F_PROC_ANAME,
	RL_F_PROC_AEXE,
	RL_F_PROC_IS_MEMFD,
	RL_F_PROC_EXE_VERIFIED,
	RL_F_PROC_PEXE_VERIFIED,
	RL_F_PROC_AEXE_VERIFIED,
	RL_F_USER_UID,
	RL_F_USER_NAME,
	RL_F_GROUP_GID,
	RL_F_CONTAINER_ID,
	RL_F_HOST_NAME,
	RL_F_FD_NAME,
	RL_F_FD_DIRECTORY,
	RL_F_FD_FILENAME,
};

struct rl_field {
	enum rl_field_id id;
	unsigned types;        /* RL_TY_* the value can have (before absence) */
	bool indexed;          /* proc.aname[N]: one ancestor, not the list */
	unsigned index;        /* N */
	/* For fields read from an argument (evt.arg.NAME, fd.*, is_memfd):
	 * the argument's position in each event, -1 when it has none. */
	bool uses_arg;
	int8_t argidx[TE_EV_MAX];
	char name[128];        /* as written: "proc.aname[2]", "evt.type" */
};

/*
 * Resolve @name (@len bytes).  Returns 0; -ENOENT for an unknown field;
 * -EINVAL for a known field used wrongly (evt.arg.NOSUCH, a bad [N]) with
 * the reason in @why.
 */
int rl_field_parse(const char *name, size_t len, struct rl_field *f, char *why, size_t whylen);

/* Can @f have a value at all on events of type @d (fields read from an
 * argument need the argument)?  *type gets the argument's type when known,
 * TE_RV_NONE when it depends on the event instance. */
bool rl_field_on_event(const struct rl_field *f, const struct te_event_desc *d,
		       enum te_rv_type *type);

/* Per-evaluation scratch: the ancestor walk is done once per event even when
 * several predicates use ancestors. */
struct rl_scratch {
	bool anc_done;
	size_t nanc;
	struct te_proc *anc[RL_ANC_MAX];
	char num[24];
};
static inline void rl_scratch_init(struct rl_scratch *s)
{
	s->anc_done = false;
	s->nanc = 0;
}

/* A field's value: a te_rv, or a list of ancestors walked in place. */
struct rl_val {
	enum te_rv_type type;
	int64_t num;
	const char *str;              /* STR, or packed LIST items */
	size_t len;
	struct te_proc *const *anc;   /* LIST of ancestors when not NULL */
	size_t nanc;
	enum rl_anc_item {            /* what each ancestor contributes */
		RL_ANC_NAME,          /* its comm */
		RL_ANC_EXE,           /* its exe path */
		RL_ANC_EXE_VERIFIED,  /* its exe path, when te_proc_exe_verified */
	} anc_item;
	uint8_t fmt;                  /* schema te_fmt for rendering an argument */
	bool has_fmt;
};

void rl_field_get(const struct rl_field *f, const struct te_rule_event *ev, struct rl_scratch *s,
		  struct rl_val *v);

/* Items of a LIST value. */
struct rl_item_it {
	const struct rl_val *v;
	size_t pos;
};
static inline void rl_items(struct rl_item_it *it, const struct rl_val *v)
{
	it->v = v;
	it->pos = 0;
}
bool rl_item_next(struct rl_item_it *it, const char **p, size_t *n);

/* Text of a value as output templates show it: lists space-joined, absent
 * as "<NA>", argument numbers as `--output` prints them (hex, octal mode). */
void rl_val_render(const struct rl_val *v, struct strbuf *sb);

/* The uid -> user name table (an /etc/passwd parse). */
struct rl_users {
	struct rl_user {
		uint32_t uid;
		char *name;
	} *v;            /* sorted by uid, one entry per uid */
	size_t n;
	char *names;     /* one block holding every name */
};
int rl_users_load(struct rl_users *u, const char *path);
void rl_users_free(struct rl_users *u);
const char *rl_users_lookup(const struct rl_users *u, uint32_t uid);

/* ---- used by rule_set.c (rule_eval.c, rule_compile.c) ---- */
struct te_expr;
/* rule_eval.c: evaluate with a caller-provided scratch (shared by the rules
 * of one te_ruleset_match call: the ancestor walk is done once per event). */
bool rl_eval(const struct te_expr *e, const struct te_rule_event *ev, struct rl_scratch *s);

/*
 * Prefilter keys (rule_compile.c, for rule_set.c).  For an event type, a
 * set of text tests of which at least one holds whenever the condition
 * does: "field equals S" (EXACT), "field starts with S" (PREFIX), "field
 * equals S or starts with S/" (PATH).  all = true when no such set is known
 * (the rule must always be evaluated); all = false and n = 0 when the
 * condition can never hold on the event type.  Keys point into the
 * expression.
 */
enum rl_fkey_kind { RL_FKEY_EXACT, RL_FKEY_PREFIX, RL_FKEY_PATH };
struct rl_fkey {
	const struct rl_field *field;
	enum rl_fkey_kind kind;
	const char *s;
	size_t len;
};
struct rl_fkeys {
	struct rl_fkey *v;
	size_t n, cap;
	bool all;
};
int rl_expr_keys(const struct te_expr *e, const struct te_event_desc *d, struct rl_fkeys *out);
/* Is the field's value the same on every event of type @d for a and b?
 * (rule_compile.c) */
bool rl_field_same(const struct rl_field *a, const struct rl_field *b, const struct te_event_desc *d);
