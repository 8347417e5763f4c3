/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "yaml_util.h"

#include <stdio.h>

const char *te_yaml_node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a string";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

const char *te_yaml_problem(const yaml_parser_t *p, const char *dflt, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", p->problem ? p->problem : dflt, p->context ? " " : "",
		 p->context ? p->context : "");
	return buf;
}
