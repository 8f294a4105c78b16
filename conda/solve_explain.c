/* solve_explain.c — why a request cannot be solved, in conda's words (see solve_int.h).
 * libsolv gives, per problem, the set of rules that together make it unsolvable; each rule is
 * a fact ("X requires Y", "only one python", "you asked for Z"). We turn the facts into lines
 * a conda user reads: requested specs by their text, packages as "name version", many builds
 * of one package folded into one line, and a requirement on a name that was also requested
 * ends with "but <spec> was requested". */
#include <stdlib.h>
#include <string.h>

#include "solve_int.h"
#include "xalloc.h"

#define EXPLAIN_MAX_LINES 12 /* per problem: the tree should stay short */

typedef struct line {
	char *key;      /* what folds lines together: everything but the package version */
	char *name;     /* package name the line is about ("" for requests) */
	char *versions; /* ", "-joined distinct versions */
	int n_versions;
	char *text; /* the rest of the line, after "name versions" */
} line_t;

typedef struct lines {
	line_t *v;
	size_t n;
	int hint; /* the ERR_HINT_* of the first line that has one (the CLI names the flag) */
} lines_t;

static void add_line(lines_t *ls, const char *name, const char *version, const char *text)
{
	buf_t key = BUF_INIT;
	buf_addf(&key, "%s\n%s", name, text);
	for (size_t i = 0; i < ls->n; i++) {
		line_t *l = &ls->v[i];
		if (strcmp(l->key, key.data) != 0)
			continue;
		buf_free(&key);
		/* another build or version of the same package saying the same thing */
		if (!version || !*version)
			return;
		buf_t vs = BUF_INIT;
		buf_addf(&vs, ", %s, ", l->versions);
		buf_t probe = BUF_INIT;
		buf_addf(&probe, ", %s, ", version);
		int seen = strstr(vs.data, probe.data) != NULL;
		buf_free(&probe);
		buf_free(&vs);
		if (!seen) {
			buf_t nv = BUF_INIT;
			buf_addf(&nv, "%s, %s", l->versions, version);
			free(l->versions);
			l->versions = buf_detach(&nv);
			l->n_versions++;
		}
		return;
	}
	ls->v = xrealloc(ls->v, (ls->n + 1) * sizeof *ls->v);
	line_t *l = &ls->v[ls->n++];
	l->key = buf_detach(&key);
	l->name = xstrdup(name);
	l->versions = xstrdup(version ? version : "");
	l->n_versions = version && *version ? 1 : 0;
	l->text = xstrdup(text);
}

static void free_lines(lines_t *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->v[i].key);
		free(ls->v[i].name);
		free(ls->v[i].versions);
		free(ls->v[i].text);
	}
	free(ls->v);
	ls->v = NULL;
	ls->n = 0;
}

/* The package name a dependency is about ("python >=3.11" -> "python"). */
static void dep_name(Pool *pool, Id dep, buf_t *out)
{
	const char *s = pool_dep2str(pool, dep);
	buf_reset(out);
	buf_add(out, s, strcspn(s, " "));
}

static const char *channel_of(Solvable *sv)
{
	const struct repo_info *info = sv->repo ? sv->repo->appdata : NULL;
	return info ? info->channel_name : "?";
}

/* Requested specs whose name equals `name`, as "spec1 / spec2" (empty when none). */
static void requested_named(const char *const *specs, const int *in_problem, size_t n_specs,
			    const char *name, buf_t *out)
{
	buf_reset(out);
	size_t nl = strlen(name);
	for (size_t i = 0; i < n_specs; i++) {
		const char *sp = specs[i];
		const char *colons = strstr(sp, "::");
		if (colons)
			sp = colons + 2;
		if (!in_problem[i] || strncmp(sp, name, nl) != 0 ||
		    (sp[nl] && strchr(" =<>!~[", sp[nl]) == NULL))
			continue;
		if (out->len)
			buf_addstr(out, " and ");
		buf_addstr(out, specs[i]);
	}
}

/* A requirement nothing satisfies. Virtual packages get a hint: they describe the target. */
static void nothing_provides(Pool *pool, Repo *virtual_repo, Id dep, buf_t *text, int *hint)
{
	buf_t name = BUF_INIT;
	dep_name(pool, dep, &name);
	buf_addf(text, "requires %s, but ", pool_dep2str(pool, dep));
	if (!strncmp(name.data, "__", 2)) {
		Id p;
		Solvable *sv;
		const char *have = NULL;
		if (virtual_repo) {
			FOR_REPO_SOLVABLES (virtual_repo, p, sv) {
				if (!strcmp(pool_id2str(pool, sv->name), name.data))
					have = pool_id2str(pool, sv->evr);
			}
		}
		if (have)
			buf_addf(text, "the target has %s %s (virtual package)", name.data, have);
		else
			buf_addf(text, "the target has no %s (virtual package)", name.data);
		if (!*hint)
			*hint = ERR_HINT_VIRTUAL_PACKAGES;
	} else {
		buf_addstr(text, "no package in the channels matches it");
	}
	buf_free(&name);
}

/* One rule as a line; returns 0 when the rule is not worth a line of its own. */
static int rule_line(Solver *solv, Id rid, const char *const *specs, const int *in_problem,
		     size_t n_specs, Repo *virtual_repo, lines_t *ls)
{
	Pool *pool = solv->pool;
	Id source = 0, target = 0, dep = 0;
	SolverRuleinfo type = solver_ruleinfo(solv, rid, &source, &target, &dep);
	/* Only package and priority rules carry solvable ids: for job rules solver_ruleinfo
	 * gives the job index and flags instead, so never read those as solvables. */
	int has_solvables = (type & SOLVER_RULE_TYPEMASK) == SOLVER_RULE_PKG ||
			    type == SOLVER_RULE_STRICT_REPO_PRIORITY;
	Solvable *s = has_solvables && source > 0 && source < pool->nsolvables
			      ? pool_id2solvable(pool, source)
			      : NULL;
	Solvable *t = has_solvables && target > 0 && target < pool->nsolvables
			      ? pool_id2solvable(pool, target)
			      : NULL;
	const char *sname = s ? pool_id2str(pool, s->name) : "";
	const char *sver = s ? pool_id2str(pool, s->evr) : "";
	buf_t text = BUF_INIT, name = BUF_INIT, req = BUF_INIT;
	int used = 1;
	switch (type) {
	case SOLVER_RULE_PKG_REQUIRES:
		dep_name(pool, dep, &name);
		buf_addf(&text, "requires %s", pool_dep2str(pool, dep));
		requested_named(specs, in_problem, n_specs, name.data, &req);
		if (req.len)
			buf_addf(&text, ", but %s was requested", req.data);
		break;
	case SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP:
		nothing_provides(pool, virtual_repo, dep, &text, &ls->hint);
		break;
	case SOLVER_RULE_PKG_CONSTRAINS:
		buf_addf(&text, "constrains %s, which excludes %s %s", pool_dep2str(pool, dep),
			 t ? pool_id2str(pool, t->name) : "?", t ? pool_id2str(pool, t->evr) : "");
		break;
	case SOLVER_RULE_PKG_CONFLICTS:
		buf_addf(&text, "conflicts with %s", pool_dep2str(pool, dep));
		break;
	case SOLVER_RULE_STRICT_REPO_PRIORITY:
		buf_addf(&text,
			 "from channel %s is excluded by strict channel priority (%s is in a "
			 "higher-priority channel; ask for %s::%s, or relax the priority)",
			 channel_of(s), sname, channel_of(s), sname);
		if (!ls->hint)
			ls->hint = ERR_HINT_STRICT_PRIORITY;
		break;
	case SOLVER_RULE_PKG_NOT_INSTALLABLE:
		buf_addstr(&text, "cannot be installed on this platform");
		break;
	default: used = 0; /* same-name, job, update/lock rules: said by the lines above */
	}
	if (used)
		add_line(ls, sname, sver, text.data);
	buf_free(&text);
	buf_free(&name);
	buf_free(&req);
	return used;
}

static void explain_one(Solver *solv, Id problem, const char *const *specs, size_t n_specs,
			Repo *virtual_repo, buf_t *out, int *hint)
{
	Queue rules;
	lines_t ls = {NULL, 0, ERR_HINT_NONE};
	int *in_problem = xcalloc(n_specs + 1, sizeof *in_problem);
	queue_init(&rules);
	solver_findallproblemrules(solv, problem, &rules);
	/* First pass: which requested specs take part (job rules point back at the job queue,
	 * where each spec is two elements). */
	for (int i = 0; i < rules.count; i++) {
		if (solver_ruleclass(solv, rules.elements[i]) != SOLVER_RULE_JOB)
			continue;
		int jidx = solver_rule2jobidx(solv, rules.elements[i]);
		if (jidx >= 0 && (size_t)(jidx / 2) < n_specs)
			in_problem[jidx / 2] = 1;
	}
	buf_addstr(out, "\n  requested: ");
	int any = 0;
	for (size_t i = 0; i < n_specs; i++)
		if (in_problem[i]) {
			buf_addf(out, "%s%s", any ? ", " : "", specs[i]);
			any = 1;
		}
	if (!any)
		buf_addstr(out, "(the packages below)");
	for (int i = 0; i < rules.count; i++)
		rule_line(solv, rules.elements[i], specs, in_problem, n_specs, virtual_repo, &ls);
	if (!ls.n) /* only same-name/job rules: let libsolv's own sentence stand */
		buf_addf(out, "\n    - %s", solver_problem2str(solv, problem));
	for (size_t i = 0; i < ls.n && i < EXPLAIN_MAX_LINES; i++) {
		line_t *l = &ls.v[i];
		buf_addstr(out, "\n    - ");
		if (*l->name)
			buf_addf(out, "%s %s ", l->name, l->versions);
		buf_addstr(out, l->text);
	}
	if (ls.n > EXPLAIN_MAX_LINES)
		buf_addf(out, "\n    - ... and %zu more", ls.n - EXPLAIN_MAX_LINES);
	if (!*hint)
		*hint = ls.hint;
	free_lines(&ls);
	free(in_problem);
	queue_free(&rules);
}

int solve_explain(Solver *solv, const char *const *specs, size_t n_specs, Repo *virtual_repo,
		  buf_t *out)
{
	int hint = ERR_HINT_NONE;
	buf_addstr(out, "cannot solve the environment:");
	int count = solver_problem_count(solv);
	for (Id problem = 1; problem <= count; problem++) {
		if (count > 1)
			buf_addf(out, "\n  problem %d of %d:", problem, count);
		explain_one(solv, problem, specs, n_specs, virtual_repo, out, &hint);
	}
	return hint;
}
