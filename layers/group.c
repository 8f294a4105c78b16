/* group.c — loads layer recipes (libyaml document API, so every error can name file:line)
 * and turns a solved package set into a plan: packages per group, in recipe order, each
 * group's packages sorted by name, a group over its size budget cut into name-ordered parts.
 * The rule and split semantics are spelled out in group.h. */
#include "group.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "xalloc.h"

#define RECIPE_MAX_BYTES (1u << 20)

typedef enum { RULE_NONE = 0, RULE_CLOSURE, RULE_MATCH, RULE_PRIVATE_DEPS, RULE_REST } rule_kind_t;

/* Which packages a group's rule sees (`kind:`): conda packages and pip packages alike by
 * default. */
typedef enum { PKG_KIND_ANY = 0, PKG_KIND_CONDA, PKG_KIND_PIP } pkg_kind_t;

typedef struct group_def {
	char *name;
	char *description;
	rule_kind_t kind;
	pkg_kind_t pkg_kind;
	char **names; /* closure_of names, or match / private_deps_of globs */
	size_t n_names;
	int is_exclusive_deps;
	long long max_layer_bytes; /* 0 = the recipe's */
} group_def_t;

struct recipe {
	group_def_t *groups;
	size_t n_groups;
	long long max_layer_bytes;
};

typedef struct plan_group {
	const group_def_t *def;
	char *name;   /* def->name, or "<name>-<k>" for part k of a split group */
	size_t *pkgs; /* indexes into the caller's array, sorted by package name */
	size_t n_pkgs;
	long long est_bytes;
} plan_group_t;

struct plan {
	plan_group_t *groups; /* non-empty groups (or their parts) only */
	size_t n_groups, cap;
};

/* ---- recipe parsing ---------------------------------------------------------------- */

static void group_def_clear(group_def_t *g)
{
	free(g->name);
	free(g->description);
	for (size_t i = 0; i < g->n_names; i++)
		free(g->names[i]);
	free(g->names);
}

void recipe_free(recipe_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_groups; i++)
		group_def_clear(&r->groups[i]);
	free(r->groups);
	free(r);
}

static unsigned long node_line(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A glob is refused when it is empty, has an unterminated [class] or a trailing backslash,
 * or holds a character no conda package name can contain (space, '/', ':', ...): such a
 * pattern would silently match nothing. */
static int glob_is_valid(const char *g)
{
	if (!*g)
		return 0;
	for (const char *p = g; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\\')
			return 0;
		if (c == '[') {
			const char *q = p + 1;
			if (*q == '!' || *q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']')
				q++;
			if (!*q || q == p + 1)
				return 0;
			p = q;
			continue;
		}
		if (c == ']')
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._-*?+", c)))
			return 0;
	}
	return 1;
}

/* "2147483648", "2GiB", "500 MB": a positive integer with an optional unit, B, KB/MB/GB/TB
 * (powers of 1000) or KiB/MiB/GiB/TiB (powers of 1024). */
static int parse_size(const char *file, const yaml_node_t *v, const char *key, long long *out,
		      err_t *err)
{
	static const struct {
		const char *unit;
		long long mult;
	} units[] = {{"", 1},
		     {"B", 1},
		     {"KB", 1000LL},
		     {"MB", 1000LL * 1000},
		     {"GB", 1000LL * 1000 * 1000},
		     {"TB", 1000LL * 1000 * 1000 * 1000},
		     {"KiB", 1LL << 10},
		     {"MiB", 1LL << 20},
		     {"GiB", 1LL << 30},
		     {"TiB", 1LL << 40}};
	const char *s = scalar(v);
	char *end = NULL;
	errno = 0;
	long long n = s ? strtoll(s, &end, 10) : 0;
	if (s && end != s && !errno && n > 0 && *s >= '0' && *s <= '9') {
		while (*end == ' ')
			end++;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
			if (!strcmp(end, units[i].unit) && n <= (1LL << 62) / units[i].mult) {
				*out = n * units[i].mult;
				return 0;
			}
	}
	return err_set(err,
		       "%s:%lu: `%s` must be a positive size such as 2147483648, 2GiB or 500MB",
		       file, node_line(v), key);
}

static int parse_bool(const char *file, const yaml_node_t *v, const char *key, int *out, err_t *err)
{
	const char *s = scalar(v);
	if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) {
		*out = 1;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "no"))) {
		*out = 0;
		return 0;
	}
	return err_set(err, "%s:%lu: `%s` must be true or false", file, node_line(v), key);
}

static int parse_name_list(const char *file, yaml_document_t *doc, const yaml_node_t *v,
			   const char *key, int is_glob, group_def_t *g, err_t *err)
{
	if (v->type != YAML_SEQUENCE_NODE)
		return err_set(err, "%s:%lu: `%s` must be a list, e.g. %s: [python]", file,
			       node_line(v), key, key);
	size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	if (n == 0)
		return err_set(err, "%s:%lu: `%s` is empty", file, node_line(v), key);
	g->names = xcalloc(n, sizeof *g->names);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = yaml_document_get_node(doc, v->data.sequence.items.start[i]);
		const char *s = scalar(item);
		if (!s || !*s)
			return err_set(err, "%s:%lu: `%s` entries must be non-empty strings", file,
				       node_line(item), key);
		if (is_glob && !glob_is_valid(s))
			return err_set(err,
				       "%s:%lu: bad glob '%s' in `%s` (allowed: name characters, "
				       "* ? and closed [classes])",
				       file, node_line(item), s, key);
		g->names[g->n_names++] = xstrdup(s);
	}
	return 0;
}

static int rule_set(const char *file, const yaml_node_t *k, group_def_t *g, rule_kind_t kind,
		    err_t *err)
{
	if (g->kind != RULE_NONE)
		return err_set(err,
			       "%s:%lu: group has more than one rule (closure_of, match, "
			       "private_deps_of, rest)",
			       file, node_line(k));
	g->kind = kind;
	return 0;
}

static int parse_group(const char *file, yaml_document_t *doc, yaml_node_t *node, group_def_t *g,
		       err_t *err)
{
	int has_exclusive = 0;
	const yaml_node_t *exclusive_key = NULL;
	if (node->type != YAML_MAPPING_NODE)
		return err_set(err, "%s:%lu: a group must be a mapping with name and a rule", file,
			       node_line(node));
	for (yaml_node_pair_t *pr = node->data.mapping.pairs.start;
	     pr < node->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(doc, pr->value);
		const char *key = scalar(k);
		if (!key)
			return err_set(err, "%s:%lu: group keys must be strings", file,
				       node_line(k));
		if (!strcmp(key, "name") || !strcmp(key, "description")) {
			const char *s = scalar(v);
			if (!s)
				return err_set(err, "%s:%lu: `%s` must be a string", file,
					       node_line(v), key);
			char **dst = key[0] == 'n' ? &g->name : &g->description;
			free(*dst);
			*dst = xstrdup(s);
		} else if (!strcmp(key, "closure_of")) {
			if (rule_set(file, k, g, RULE_CLOSURE, err) ||
			    parse_name_list(file, doc, v, key, 0, g, err))
				return -1;
		} else if (!strcmp(key, "match")) {
			if (rule_set(file, k, g, RULE_MATCH, err) ||
			    parse_name_list(file, doc, v, key, 1, g, err))
				return -1;
		} else if (!strcmp(key, "private_deps_of")) {
			if (rule_set(file, k, g, RULE_PRIVATE_DEPS, err) ||
			    parse_name_list(file, doc, v, key, 1, g, err))
				return -1;
		} else if (!strcmp(key, "rest")) {
			int is_rest = 0;
			if (parse_bool(file, v, key, &is_rest, err))
				return -1;
			if (!is_rest)
				return err_set(
					err, "%s:%lu: `rest: false` means nothing; remove the key",
					file, node_line(v));
			if (rule_set(file, k, g, RULE_REST, err))
				return -1;
		} else if (!strcmp(key, "exclusive_deps")) {
			if (parse_bool(file, v, key, &g->is_exclusive_deps, err))
				return -1;
			has_exclusive = 1;
			exclusive_key = k;
		} else if (!strcmp(key, "kind")) {
			const char *s = scalar(v);
			if (!s || (strcmp(s, "conda") && strcmp(s, "pip")))
				return err_set(err, "%s:%lu: `kind` must be conda or pip", file,
					       node_line(v));
			g->pkg_kind = s[0] == 'c' ? PKG_KIND_CONDA : PKG_KIND_PIP;
		} else if (!strcmp(key, "max_layer_bytes")) {
			if (parse_size(file, v, key, &g->max_layer_bytes, err))
				return -1;
		} else {
			return err_set(
				err,
				"%s:%lu: unknown group key `%s` (expected name, description, "
				"closure_of, match, exclusive_deps, private_deps_of, rest, kind, "
				"max_layer_bytes)",
				file, node_line(k), key);
		}
	}
	if (!g->name || !*g->name)
		return err_set(err, "%s:%lu: group without a `name`", file, node_line(node));
	if (g->kind == RULE_NONE)
		return err_set(err,
			       "%s:%lu: group '%s' has no rule (closure_of, match, private_deps_of "
			       "or rest)",
			       file, node_line(node), g->name);
	if (has_exclusive && g->kind != RULE_MATCH)
		return err_set(err, "%s:%lu: group '%s': exclusive_deps only applies to `match`",
			       file, node_line(exclusive_key), g->name);
	return 0;
}

static int parse_groups(const char *file, yaml_document_t *doc, yaml_node_t *seq, recipe_t *r,
			err_t *err)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return err_set(err, "%s:%lu: `groups` must be a list", file, node_line(seq));
	size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
	if (n == 0)
		return err_set(err, "%s:%lu: recipe has no groups", file, node_line(seq));
	r->groups = xcalloc(n, sizeof *r->groups);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *gn = yaml_document_get_node(doc, seq->data.sequence.items.start[i]);
		group_def_t *g = &r->groups[r->n_groups++];
		if (parse_group(file, doc, gn, g, err))
			return -1;
		for (size_t j = 0; j + 1 < r->n_groups; j++)
			if (!strcmp(r->groups[j].name, g->name))
				return err_set(err, "%s:%lu: duplicate group name '%s'", file,
					       node_line(gn), g->name);
	}
	return 0;
}

recipe_t *recipe_parse(const char *display_name, const char *data, size_t len, err_t *err)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int has_parser = 0, has_doc = 0, rc = -1;
	recipe_t *r = xcalloc(1, sizeof *r);
	r->max_layer_bytes = GROUP_DEFAULT_MAX_LAYER_BYTES;
	if (!yaml_parser_initialize(&parser)) {
		err_set(err, "%s: cannot initialise YAML parser", display_name);
		goto out;
	}
	has_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		err_set(err, "%s:%lu: YAML error: %s", display_name,
			(unsigned long)parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "unknown");
		goto out;
	}
	has_doc = 1;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		err_set(err, "%s: empty recipe", display_name);
		goto out;
	}
	if (root->type == YAML_SEQUENCE_NODE) {
		if (parse_groups(display_name, &doc, root, r, err))
			goto out;
	} else if (root->type == YAML_MAPPING_NODE) {
		yaml_node_t *groups = NULL;
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
		     pr < root->data.mapping.pairs.top; pr++) {
			yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
			yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
			const char *key = scalar(k);
			if (key && !strcmp(key, "groups")) {
				groups = v;
			} else if (key && !strcmp(key, "version")) {
				const char *s = scalar(v);
				if (!s || strcmp(s, "1")) {
					err_set(err,
						"%s:%lu: unsupported recipe version '%s' (expected "
						"1)",
						display_name, node_line(v), s ? s : "?");
					goto out;
				}
			} else if (key && !strcmp(key, "max_layer_bytes")) {
				if (parse_size(display_name, v, key, &r->max_layer_bytes, err))
					goto out;
			} else {
				err_set(err,
					"%s:%lu: unknown recipe key `%s` (expected version, "
					"groups, max_layer_bytes)",
					display_name, node_line(k), key ? key : "?");
				goto out;
			}
		}
		if (!groups) {
			err_set(err, "%s:%lu: recipe has no `groups` list", display_name,
				node_line(root));
			goto out;
		}
		if (parse_groups(display_name, &doc, groups, r, err))
			goto out;
	} else {
		err_set(err, "%s:%lu: a recipe must be a mapping with `groups` or a list of groups",
			display_name, node_line(root));
		goto out;
	}
	rc = 0;
out:
	if (has_doc)
		yaml_document_delete(&doc);
	if (has_parser)
		yaml_parser_delete(&parser);
	if (rc) {
		recipe_free(r);
		r = NULL;
	}
	return r;
}

recipe_t *recipe_load(const char *path, err_t *err)
{
	buf_t b = BUF_INIT;
	recipe_t *r = NULL;
	if (buf_read_file(&b, path, RECIPE_MAX_BYTES, err) == 0)
		r = recipe_parse(path, buf_cstr(&b), b.len, err);
	buf_free(&b);
	return r;
}

size_t recipe_group_count(const recipe_t *r)
{
	return r->n_groups;
}

const char *recipe_group_name(const recipe_t *r, size_t i)
{
	return r->groups[i].name;
}

/* ---- planning ---------------------------------------------------------------------- */

/* Dependency graph over the caller's package array: deps[i] lists indexes of packages that
 * package i depends on (names absent from the solution, e.g. virtual __glibc, are skipped). */
typedef struct graph {
	size_t n;
	size_t **deps;
	size_t *n_deps;
	size_t *by_name; /* indexes sorted by name, for bsearch */
	const pkgrec_t *const *pkgs;
} graph_t;

/* qsort has no context argument in C11; plan_new is therefore not thread-safe. */
static const pkgrec_t *const *g_sort_pkgs;

static int cmp_idx_by_name(const void *a, const void *b)
{
	const pkgrec_t *x = g_sort_pkgs[*(const size_t *)a], *y = g_sort_pkgs[*(const size_t *)b];
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (*(const size_t *)a > *(const size_t *)b) -
	       (*(const size_t *)a < *(const size_t *)b);
}

static long graph_find(const graph_t *g, const char *name)
{
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(g->pkgs[g->by_name[mid]]->name, name);
		if (c == 0)
			return (long)g->by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void graph_free(graph_t *g)
{
	for (size_t i = 0; g->deps && i < g->n; i++)
		free(g->deps[i]);
	free(g->deps);
	free(g->n_deps);
	free(g->by_name);
}

static int graph_build(graph_t *g, const pkgrec_t *const *pkgs, size_t n, err_t *err)
{
	memset(g, 0, sizeof *g);
	g->n = n;
	g->pkgs = pkgs;
	g->deps = xcalloc(n ? n : 1, sizeof *g->deps);
	g->n_deps = xcalloc(n ? n : 1, sizeof *g->n_deps);
	g->by_name = xcalloc(n ? n : 1, sizeof *g->by_name);
	for (size_t i = 0; i < n; i++)
		g->by_name[i] = i;
	g_sort_pkgs = pkgs;
	qsort(g->by_name, n, sizeof *g->by_name, cmp_idx_by_name);
	for (size_t i = 0; i + 1 < n; i++)
		if (!strcmp(pkgs[g->by_name[i]]->name, pkgs[g->by_name[i + 1]]->name))
			return err_set(
				err, "package '%s' appears twice in the solution (%s and %s)",
				pkgs[g->by_name[i]]->name,
				pkgs[g->by_name[i]]->fn ? pkgs[g->by_name[i]]->fn : "?",
				pkgs[g->by_name[i + 1]]->fn ? pkgs[g->by_name[i + 1]]->fn : "?");
	for (size_t i = 0; i < n; i++) {
		g->deps[i] = xcalloc(pkgs[i]->n_depends ? pkgs[i]->n_depends : 1, sizeof(size_t));
		for (size_t d = 0; d < pkgs[i]->n_depends; d++) {
			char *dn = pkgrec_dep_name(pkgs[i]->depends[d]);
			long j = dn ? graph_find(g, dn) : -1;
			free(dn);
			if (j >= 0 && (size_t)j != i)
				g->deps[i][g->n_deps[i]++] = (size_t)j;
		}
	}
	return 0;
}

/* Marks in `in` the closure of the packages already marked, walking only packages with
 * owner[i] < 0 (unclaimed). `stack` has room for n entries. */
static void closure_unclaimed(const graph_t *g, const long *owner, unsigned char *in, size_t *stack)
{
	size_t top = 0;
	for (size_t i = 0; i < g->n; i++)
		if (in[i])
			stack[top++] = i;
	while (top > 0) {
		size_t p = stack[--top];
		for (size_t d = 0; d < g->n_deps[p]; d++) {
			size_t q = g->deps[p][d];
			if (!in[q] && owner[q] < 0) {
				in[q] = 1;
				stack[top++] = q;
			}
		}
	}
}

static int name_matches(const group_def_t *def, const char *name)
{
	for (size_t i = 0; i < def->n_names; i++)
		if (fnmatch(def->names[i], name, 0) == 0)
			return 1;
	return 0;
}

/* Fills in[] with the packages group `def` claims among the unclaimed ones. */
static void claim_group(const graph_t *g, const group_def_t *def, const long *owner,
			unsigned char *in, unsigned char *is_matched, size_t *stack)
{
	memset(in, 0, g->n);
	memset(is_matched, 0, g->n);
	for (size_t i = 0; i < g->n; i++) {
		if (owner[i] >= 0)
			continue;
		if (def->kind == RULE_REST) {
			in[i] = 1;
		} else if (def->kind == RULE_CLOSURE) {
			for (size_t k = 0; k < def->n_names; k++)
				if (!strcmp(def->names[k], g->pkgs[i]->name))
					in[i] = 1;
		} else if (name_matches(def, g->pkgs[i]->name)) {
			in[i] = is_matched[i] = 1;
		}
	}
	int is_exclusive = def->kind == RULE_PRIVATE_DEPS ||
			   (def->kind == RULE_MATCH && def->is_exclusive_deps);
	if (def->kind == RULE_CLOSURE || is_exclusive)
		closure_unclaimed(g, owner, in, stack);
	if (!is_exclusive)
		return;
	/* Fixpoint: an unclaimed outsider (not in the candidate set) needing a non-matched
	 * candidate takes it out; the removed package is then an outsider itself. */
	int changed = 1;
	while (changed) {
		changed = 0;
		for (size_t p = 0; p < g->n; p++) {
			if (owner[p] >= 0 || in[p])
				continue;
			for (size_t d = 0; d < g->n_deps[p]; d++) {
				size_t q = g->deps[p][d];
				if (in[q] && !is_matched[q]) {
					in[q] = 0;
					changed = 1;
				}
			}
		}
	}
	/* private_deps_of: the matched packages themselves are left for a later group. */
	if (def->kind == RULE_PRIVATE_DEPS)
		for (size_t i = 0; i < g->n; i++)
			if (is_matched[i])
				in[i] = 0;
}

void plan_free(plan_t *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_groups; i++) {
		free(p->groups[i].pkgs);
		free(p->groups[i].name);
	}
	free(p->groups);
	free(p);
}

static plan_group_t *plan_push(plan_t *p, const group_def_t *def, size_t cap_pkgs)
{
	if (p->n_groups == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		plan_group_t *v = xrealloc(p->groups, cap * sizeof *v);
		p->groups = v;
		p->cap = cap;
	}
	plan_group_t *pg = &p->groups[p->n_groups++];
	memset(pg, 0, sizeof *pg);
	pg->def = def;
	pg->pkgs = xmalloc((cap_pkgs ? cap_pkgs : 1) * sizeof *pg->pkgs);
	return pg;
}

/* Adds group def's members (indexes sorted by name) to the plan, cut into parts when their
 * estimated size exceeds the budget: walking in name order, a package that would take the
 * current part over the budget starts the next part (a part always has at least one
 * package, so one package above the budget is a part on its own). The estimate of a package
 * is its repodata `size` (docs/layer-format.md, "Large groups"). */
/* Sizes come from repodata (untrusted): a sum that would pass LLONG_MAX stays there instead of
 * overflowing (undefined behaviour, and a wrapped negative estimate would defeat the budget).
 * Both operands are >= 0. */
static long long add_saturated(long long a, long long b)
{
	return b > LLONG_MAX - a ? LLONG_MAX : a + b;
}

static void plan_add_group(plan_t *p, const group_def_t *def, long long budget,
			   const size_t *members, size_t n, const pkgrec_t *const *pkgs)
{
	size_t first = p->n_groups;
	plan_group_t *pg = NULL;
	for (size_t k = 0; k < n; k++) {
		long long sz = pkgs[members[k]]->size > 0 ? pkgs[members[k]]->size : 0;
		if (!pg || (pg->n_pkgs > 0 && add_saturated(pg->est_bytes, sz) > budget))
			pg = plan_push(p, def, n - k);
		pg->pkgs[pg->n_pkgs++] = members[k];
		pg->est_bytes = add_saturated(pg->est_bytes, sz);
	}
	size_t parts = p->n_groups - first;
	for (size_t k = first; k < p->n_groups; k++) {
		buf_t name = BUF_INIT;
		buf_addstr(&name, def->name);
		if (parts > 1)
			buf_addf(&name, "-%zu", k - first + 1);
		p->groups[k].name = buf_detach(&name);
	}
}

/* What a group with a `kind:` sees: packages of the other kind count as claimed, so its rule
 * neither takes nor walks through them (seen: scratch of n entries). */
static const long *owner_for_kind(const group_def_t *def, const pkgrec_t *const *pkgs, size_t n,
				  const long *owner, long *seen)
{
	if (def->pkg_kind == PKG_KIND_ANY)
		return owner;
	for (size_t i = 0; i < n; i++) {
		int is_other = group_is_pip(pkgs[i]) != (def->pkg_kind == PKG_KIND_PIP);
		seen[i] = is_other && owner[i] < 0 ? 0 : owner[i];
	}
	return seen;
}

plan_t *plan_new(const recipe_t *r, const pkgrec_t *const *pkgs, size_t n_pkgs, err_t *err)
{
	graph_t g;
	long *owner = NULL;
	unsigned char *in = NULL, *is_matched = NULL;
	long *seen = NULL;
	size_t *stack = NULL, *members = NULL;
	int rc = -1;
	plan_t *p = xcalloc(1, sizeof *p);
	if (graph_build(&g, pkgs, n_pkgs, err))
		goto out;
	size_t n1 = n_pkgs ? n_pkgs : 1;
	owner = xmalloc(n1 * sizeof *owner);
	seen = xmalloc(n1 * sizeof *seen);
	in = xmalloc(n1);
	is_matched = xmalloc(n1);
	stack = xmalloc(n1 * sizeof *stack);
	members = xmalloc(n1 * sizeof *members);
	for (size_t i = 0; i < n_pkgs; i++)
		owner[i] = -1;
	for (size_t gi = 0; gi < r->n_groups; gi++) {
		const group_def_t *def = &r->groups[gi];
		size_t n_members = 0;
		claim_group(&g, def, owner_for_kind(def, pkgs, n_pkgs, owner, seen), in, is_matched,
			    stack);
		/* Walking g.by_name yields the group's members already sorted by name. */
		for (size_t k = 0; k < n_pkgs; k++) {
			size_t i = g.by_name[k];
			if (!in[i])
				continue;
			owner[i] = (long)gi;
			members[n_members++] = i;
		}
		plan_add_group(p, def,
			       def->max_layer_bytes > 0 ? def->max_layer_bytes : r->max_layer_bytes,
			       members, n_members, pkgs);
	}
	for (size_t k = 0; k < n_pkgs; k++) {
		size_t i = g.by_name[k];
		if (owner[i] < 0) {
			err_set(err,
				"package '%s' is claimed by no group of the recipe; add a final "
				"group with `rest: true`",
				pkgs[i]->name);
			goto out;
		}
	}
	if (plan_check_layer_limit(p, 0, err))
		goto out;
	rc = 0;
out:
	graph_free(&g);
	free(members);
	free(owner);
	free(seen);
	free(in);
	free(is_matched);
	free(stack);
	if (rc) {
		plan_free(p);
		p = NULL;
	}
	return p;
}

size_t plan_group_count(const plan_t *p)
{
	return p->n_groups;
}

const char *plan_group_name(const plan_t *p, size_t g)
{
	return p->groups[g].name;
}

long long plan_group_est_bytes(const plan_t *p, size_t g)
{
	return p->groups[g].est_bytes;
}

int plan_check_layer_limit(const plan_t *p, size_t n_base_layers, err_t *err)
{
	if (n_base_layers + p->n_groups <= PLAN_MAX_LAYERS)
		return 0;
	return err_set(
		err,
		"the image would have %zu layers (%zu from the base image, %zu from the "
		"layer plan), more than the %d that overlay filesystems stack: raise the "
		"recipe's max_layer_bytes, use fewer groups or a base image with fewer layers",
		n_base_layers + p->n_groups, n_base_layers, p->n_groups, PLAN_MAX_LAYERS);
}

const char *plan_group_description(const plan_t *p, size_t g)
{
	const char *d = p->groups[g].def->description;
	return d ? d : "";
}

size_t plan_group_size(const plan_t *p, size_t g)
{
	return p->groups[g].n_pkgs;
}

size_t plan_group_pkg(const plan_t *p, size_t g, size_t j)
{
	return p->groups[g].pkgs[j];
}

int group_is_pip(const pkgrec_t *r)
{
	return r && r->subdir && !strcmp(r->subdir, GROUP_PIP_SUBDIR);
}
