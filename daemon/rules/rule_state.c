/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The administrator's rule choices on disk: see rule_state.h for the format. */
#include "rule_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"
#include "yaml_util.h"

bool te_rule_id_valid(const char *id)
{
	size_t n = 0;

	/* The same ids go into journal fields, D-Bus strings and this
	 * space-separated file: printable ASCII without blanks is safe in all
	 * three, and every shipped id (TRC-102) fits. */
	for (; id[n]; n++)
		if (n == TE_RULE_ID_MAX || id[n] <= ' ' || id[n] > '~')
			return false;
	return n > 0;
}

void te_rule_state_init(struct te_rule_state *st)
{
	*st = (struct te_rule_state){ 0 };
}

void te_rule_state_free(struct te_rule_state *st)
{
	for (size_t i = 0; i < st->n; i++)
		free(st->v[i].id);
	free(st->v);
	te_rule_state_init(st);
}

static struct te_rule_state_entry *find(const struct te_rule_state *st, const char *id)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->v[i].id, id))
			return &st->v[i];
	return NULL;
}

int te_rule_state_set(struct te_rule_state *st, const char *id, bool enabled)
{
	struct te_rule_state_entry *e;
	char *d;

	if (!id || !te_rule_id_valid(id))
		return -EINVAL;
	e = find(st, id);
	if (e) {
		e->enabled = enabled;
		return 0;
	}
	d = strdup(id);
	if (!d || te_grow((void **)&st->v, &st->cap, st->n, sizeof(*st->v), 16) < 0) {
		free(d);
		return -ENOMEM;
	}
	st->v[st->n++] = (struct te_rule_state_entry){ d, enabled };
	return 0;
}

int te_rule_state_get(const struct te_rule_state *st, const char *id, bool *enabled)
{
	const struct te_rule_state_entry *e = find(st, id);

	if (!e)
		return -ENOENT;
	*enabled = e->enabled;
	return 0;
}

static char *state_path(const char *dir)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, TE_RULE_STATE_FILE) < 0)
		return NULL;
	return p;
}

/* A short, printable excerpt of a bad line: it goes to the journal, which
 * should not receive control characters from a damaged file. */
static const char *excerpt(const char *s, char buf[48])
{
	size_t i;

	for (i = 0; s[i] && i < 40; i++)
		buf[i] = (s[i] >= ' ' && s[i] <= '~') ? s[i] : '?';
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/*
 * One line -> an entry in @st.  A malformed line sets *why and *what (the
 * part of the line at fault) and is skipped; an error only when @st cannot
 * take the entry.
 */
static int parse_line(struct te_rule_state *st, char *line, size_t len, const char **why,
		      const char **what)
{
	static const char blanks[] = " \t";
	char *word, *id, *rest;
	bool enabled;

	*why = *what = NULL;
	if (strlen(line) != len) {
		*why = "NUL byte in line";
		*what = line;
		return 0;
	}
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	word = line + strspn(line, blanks);
	if (!*word || *word == '#')
		return 0;
	id = word + strcspn(word, blanks);
	if (*id)
		*id++ = '\0';
	id += strspn(id, blanks);
	rest = id + strcspn(id, blanks);
	if (*rest)
		*rest++ = '\0';
	rest += strspn(rest, blanks);

	if (!strcmp(word, "enabled")) {
		enabled = true;
	} else if (!strcmp(word, "disabled")) {
		enabled = false;
	} else {
		*why = "expected 'enabled ID' or 'disabled ID'";
		*what = word;
		return 0;
	}
	if (!*id) {
		*why = "no rule id after";
		*what = word;
	} else if (*rest) {
		*why = "unexpected text after the rule id";
		*what = rest;
	} else if (!te_rule_id_valid(id)) {
		*why = "invalid rule id";
		*what = id;
	} else {
		/* A repeated id is not an error: the later line is the later
		 * choice. */
		return te_rule_state_set(st, id, enabled);
	}
	return 0;
}

int te_rule_state_load(struct te_rule_state *st, const char *state_dir, FILE *diag)
{
	struct te_rule_state tmp;
	struct te_yaml_err e = { .out = diag };
	const char *why, *what;
	char *path, *line = NULL, buf[48];
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t len;
	FILE *f;
	int r = 0;

	path = state_path(state_dir);
	if (!path)
		return -ENOMEM;
	e.file = path;
	te_rule_state_init(&tmp);
	f = fopen(path, "re");
	if (!f) {
		r = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		r = parse_line(&tmp, line, (size_t)len, &why, &what);
		if (r < 0)
			break;
		if (why) {
			tmp.bad_lines++;
			te_yaml_errorf(&e, lineno, TE_YAML_NOPOS, "%s: '%s' (line skipped)", why,
				       excerpt(what, buf));
		}
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
out:
	free(path);
	if (r < 0) {
		te_rule_state_free(&tmp);
		return r;
	}
	te_rule_state_free(st);
	*st = tmp;
	return 0;
}

size_t te_rule_state_apply(const struct te_rule_state *st, struct te_ruleset *rs, FILE *diag)
{
	size_t unknown = 0;

	for (size_t i = 0; i < st->n; i++) {
		int r = te_ruleset_set_enabled(rs, st->v[i].id, st->v[i].enabled);

		if (r == -ENOENT) {
			unknown++;
			if (diag)
				fprintf(diag,
					"rule-state: rule %s is not loaded; keeping it %s for when it returns\n",
					st->v[i].id, st->v[i].enabled ? "enabled" : "disabled");
		} else if (r < 0 && diag) {
			fprintf(diag, "rule-state: rule %s could not be %s: %s\n", st->v[i].id,
				st->v[i].enabled ? "enabled" : "disabled", strerror(-r));
		}
	}
	return unknown;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int te_rule_state_save(const struct te_rule_state *st, const char *state_dir)
{
	char *path = NULL, *tmp = NULL, *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int fd = -1, dfd = -1, r;

	/* Rendered in memory first so that the file is written with one
	 * checked loop, not a FILE whose errors surface only at fclose. */
	mem = open_memstream(&buf, &len);
	if (!mem)
		return -ENOMEM;
	fputs("# traceed rule state: rules enabled or disabled by the administrator.\n"
	      "# Written by traceed (tracectl rules enable/disable); see traceed.conf(5).\n",
	      mem);
	for (size_t i = 0; i < st->n; i++)
		fprintf(mem, "%s %s\n", st->v[i].enabled ? "enabled" : "disabled", st->v[i].id);
	if (fclose(mem) != 0) {
		free(buf);
		return -ENOMEM;
	}

	path = state_path(state_dir);
	/* The temporary name starts with a dot and is never the name load
	 * reads, so a crash between write and rename leaves a stray file
	 * that is ignored, never a half-written state. */
	if (!path || asprintf(&tmp, "%s/.%s.XXXXXX", state_dir, TE_RULE_STATE_FILE) < 0) {
		tmp = NULL;
		r = -ENOMEM;
		goto out;
	}
	/* mkostemp creates the file 0600: which rules are off tells an
	 * attacker what is not being watched, so it stays root's. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, buf, len);
	/* fsync before rename: otherwise a power cut can leave the new name
	 * pointing at an empty file on ext4/xfs. */
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	fd = -1;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		goto out;
	}
	/* and the directory, so that the rename itself is durable. */
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		r = -errno;
	if (dfd >= 0)
		close(dfd);
out:
	free(buf);
	free(path);
	free(tmp);
	return r;
}
