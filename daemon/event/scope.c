/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "scope.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void te_scope_init(struct te_scope *s)
{
	memset(s, 0, sizeof(*s));
	s->container = -1;
}

bool te_scope_is_empty(const struct te_scope *s)
{
	return s->nrules == 0 && s->container < 0;
}

static int parse_values(struct te_scope_rule *r, const char *expr, const char *values,
			char *err, size_t errlen)
{
	char *copy = strdup(values), *save = NULL, *tok;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (r->nvalues == TE_SCOPE_MAX_VALUES) {
			snprintf(err, errlen, "--scope '%s': more than %d values", expr,
				 TE_SCOPE_MAX_VALUES);
			goto fail;
		}
		if (r->field == TE_SCOPE_COMM) {
			if (strlen(tok) > 15) {
				snprintf(err, errlen,
					 "--scope '%s': comm '%s' is longer than the kernel's 15 characters",
					 expr, tok);
				goto fail;
			}
			strcpy(r->comm[r->nvalues++], tok);
		} else {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(tok, &end, 10);
			if (errno || *end || tok[0] == '-' || tok[0] == '+' || v > UINT32_MAX) {
				snprintf(err, errlen, "--scope '%s': '%s' is not a number", expr, tok);
				goto fail;
			}
			r->num[r->nvalues++] = v;
		}
	}
	free(copy);
	if (r->nvalues == 0) {
		snprintf(err, errlen, "--scope '%s': no value", expr);
		return -EINVAL;
	}
	return 0;
fail:
	free(copy);
	return -EINVAL;
}

int te_scope_add(struct te_scope *s, const char *expr, char *err, size_t errlen)
{
	static const struct { const char *name; enum te_scope_field field; } fields[] = {
		{ "uid", TE_SCOPE_UID }, { "pid", TE_SCOPE_PID }, { "comm", TE_SCOPE_COMM },
	};
	struct te_scope_rule *r;
	const char *rest = NULL;

	if (strcmp(expr, "container") == 0) {
		s->container = 1;
		return 0;
	}
	if (strcmp(expr, "not-container") == 0 || strcmp(expr, "!container") == 0) {
		s->container = 0;
		return 0;
	}
	if (s->nrules == TE_SCOPE_MAX_RULES) {
		snprintf(err, errlen, "--scope '%s': more than %d scopes", expr, TE_SCOPE_MAX_RULES);
		return -EINVAL;
	}
	r = &s->rules[s->nrules];
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t n = strlen(fields[i].name);

		if (strncmp(expr, fields[i].name, n) == 0) {
			r->field = fields[i].field;
			rest = expr + n;
			break;
		}
	}
	if (!rest) {
		snprintf(err, errlen,
			 "--scope '%s': unknown scope (uid, pid, comm, container, not-container)", expr);
		return -EINVAL;
	}
	if (strncmp(rest, "!=", 2) == 0) {
		r->op = TE_SCOPE_NE;
		rest += 2;
	} else if (rest[0] == '=') {
		r->op = TE_SCOPE_EQ;
		rest += 1;
	} else if (rest[0] == '<' && r->field != TE_SCOPE_COMM) {
		r->op = TE_SCOPE_LT;
		rest += 1;
	} else if (rest[0] == '>' && r->field != TE_SCOPE_COMM) {
		r->op = TE_SCOPE_GT;
		rest += 1;
	} else {
		snprintf(err, errlen, "--scope '%s': expected an operator (%s) after the field", expr,
			 r->field == TE_SCOPE_COMM ? "= or !=" : "=, !=, < or >");
		return -EINVAL;
	}
	if (parse_values(r, expr, rest, err, errlen) < 0)
		return -EINVAL;
	if ((r->op == TE_SCOPE_LT || r->op == TE_SCOPE_GT) && r->nvalues != 1) {
		snprintf(err, errlen, "--scope '%s': < and > take one value", expr);
		return -EINVAL;
	}
	s->nrules++;
	return 0;
}

static bool rule_match(const struct te_scope_rule *r, const struct te_record_hdr *hdr)
{
	bool any = false;

	if (r->field == TE_SCOPE_COMM) {
		char comm[TE_COMM_LEN + 1];

		memcpy(comm, hdr->comm, TE_COMM_LEN);
		comm[TE_COMM_LEN] = '\0';
		for (unsigned i = 0; i < r->nvalues && !any; i++)
			any = strcmp(comm, r->comm[i]) == 0;
	} else {
		uint64_t v = r->field == TE_SCOPE_UID ? hdr->uid : hdr->pid;

		switch (r->op) {
		case TE_SCOPE_LT:
			return v < r->num[0];
		case TE_SCOPE_GT:
			return v > r->num[0];
		default:
			for (unsigned i = 0; i < r->nvalues && !any; i++)
				any = v == r->num[i];
		}
	}
	return r->op == TE_SCOPE_NE ? !any : any;
}

bool te_scope_match(const struct te_scope *s, const struct te_record_hdr *hdr,
		    const char *container_id)
{
	if (s->container >= 0) {
		bool in_container = container_id && container_id[0];

		if (in_container != (s->container == 1))
			return false;
	}
	for (unsigned i = 0; i < s->nrules; i++)
		if (!rule_match(&s->rules[i], hdr))
			return false;
	return true;
}
