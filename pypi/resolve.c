/* resolve.c — the backtracking resolver (see resolve.h). The state is three stacks —
 * requirement records (who asked for what), pins (key -> candidate) and active extras —
 * and every choice is undone by truncating them to the sizes they had before it, so a
 * failed branch leaves nothing behind. The order of everything (next project, candidates
 * newest first, result by key) is deterministic for a given provider. */
#include "resolve.h"

#include <stdlib.h>
#include <string.h>

#include "pypi_int.h"
#include "xalloc.h"

#define DEFAULT_MAX_STEPS 100000
#define PARENT_TOP (-1)
#define PARENT_CONSTRAINT (-2)

typedef struct rec {
	const char *key;
	const pypi_req_t *req;
	long parent;        /* index into pins, or PARENT_TOP / PARENT_CONSTRAINT */
	const char *origin; /* for PARENT_TOP */
	const char *extra;  /* the extra of the parent that brought it in, or NULL */
} rec_t;

typedef struct pin {
	const char *key;
	const pypi_candidate_t *cand; /* NULL when installed */
	const pep440_ver_t *version;
	const pypi_installed_t *installed;
} pin_t;

typedef struct active {
	const char *key, *extra;
} active_t;

typedef struct cands {
	char *key;
	const pypi_candidate_t **sorted; /* newest first */
	size_t n;
	char *why_none; /* the provider's why_skipped */
} cands_t;

typedef struct solver {
	const pypi_resolve_opts_t *o;
	rec_t *recs;
	size_t n_recs;
	pin_t *pins;
	size_t n_pins;
	active_t *act;
	size_t n_act;
	cands_t *cache;
	size_t n_cache;
	size_t steps, max_steps, n_fixed;
	buf_t conflict;
	int conflict_depth, fatal;
	err_t *err;
} solver_t;

struct pypi_resolution {
	solver_t s;    /* the final state */
	size_t *order; /* pin indices of the result, sorted by key */
	size_t n;
	pypi_strv_t *extras, *deps;
};

/* ------------------------------------------------------------------ state */

static long find_pin(const solver_t *s, const char *key)
{
	for (size_t i = 0; i < s->n_pins; i++)
		if (!strcmp(s->pins[i].key, key))
			return (long)i;
	return -1;
}

static int extra_active(const solver_t *s, const char *key, const char *extra)
{
	for (size_t i = 0; i < s->n_act; i++)
		if (!strcmp(s->act[i].key, key) && !strcmp(s->act[i].extra, extra))
			return 1;
	return 0;
}

static void describe_rec(const solver_t *s, const rec_t *r, buf_t *out)
{
	buf_addstr(out, pypi_req_str(r->req));
	if (r->parent >= 0) {
		const pin_t *p = &s->pins[r->parent];
		buf_addf(out, " (required by %s %s%s%s%s)", p->key, pep440_ver_str(p->version),
			 r->extra ? "[" : "", r->extra ? r->extra : "", r->extra ? "]" : "");
	} else {
		buf_addf(out, " (%s)",
			 r->parent == PARENT_TOP && r->origin ? r->origin : "a constraint");
	}
}

/* Keeps the explanation of the deepest failure: the one closest to a solution. */
static void set_conflict(solver_t *s, int depth, const buf_t *msg)
{
	if (s->conflict.len && depth <= s->conflict_depth)
		return;
	buf_setstr(&s->conflict, buf_cstr(msg));
	s->conflict_depth = depth;
}

static void describe_pin(const pin_t *p, buf_t *out)
{
	if (p->installed)
		buf_addf(out, "%s %s is installed by %s", p->key, pep440_ver_str(p->version),
			 p->installed->owner ? p->installed->owner : "another package manager");
	else
		buf_addf(out, "%s %s was chosen", p->key, pep440_ver_str(p->version));
}

/* ------------------------------------------------------------------ candidates */

static int cmp_cand(const void *a, const void *b)
{
	const pypi_candidate_t *x = *(const pypi_candidate_t *const *)a,
			       *y = *(const pypi_candidate_t *const *)b;
	int c = pep440_ver_cmp(y->version, x->version);
	return c ? c : (x < y ? -1 : x > y); /* ties: the provider's order */
}

static const cands_t *candidates(solver_t *s, const char *key)
{
	const pypi_candidate_t *const *list;
	buf_t why = BUF_INIT;
	size_t n;
	for (size_t i = 0; i < s->n_cache; i++)
		if (!strcmp(s->cache[i].key, key))
			return &s->cache[i];
	if (s->o->provider->list(s->o->provider->ud, key, &list, &n, &why, s->err) < 0) {
		s->fatal = 1;
		buf_free(&why);
		return NULL;
	}
	s->cache = xrealloc(s->cache, (s->n_cache + 1) * sizeof *s->cache);
	cands_t *c = &s->cache[s->n_cache++];
	c->key = xstrdup(key);
	c->n = n;
	c->sorted = xcalloc(n ? n : 1, sizeof *c->sorted);
	memcpy(c->sorted, list, n * sizeof *list);
	qsort(c->sorted, n, sizeof *c->sorted, cmp_cand);
	c->why_none = why.len ? buf_detach(&why) : NULL;
	buf_free(&why);
	return c;
}

/* Does candidate version v of key meet every record on key? */
static int meets_all(const solver_t *s, const char *key, const pypi_candidate_t *c,
		     pep440_pre_t pre)
{
	int pinned = 0;
	for (size_t i = 0; i < s->n_recs; i++) {
		const rec_t *r = &s->recs[i];
		if (strcmp(r->key, key))
			continue;
		if (!pep440_spec_contains(pypi_req_spec(r->req), c->version, pre))
			return 0;
		pinned |= pep440_spec_is_pinned(pypi_req_spec(r->req));
	}
	return !c->yanked || pinned; /* PEP 592: a yanked release only for an exact pin */
}

static pep440_pre_t pre_policy(const solver_t *s, const char *key)
{
	if (s->o->allow_prereleases)
		return PEP440_PRE_ALLOW;
	for (size_t i = 0; i < s->n_recs; i++)
		if (!strcmp(s->recs[i].key, key) &&
		    pep440_spec_names_prerelease(pypi_req_spec(s->recs[i].req)))
			return PEP440_PRE_ALLOW;
	return PEP440_PRE_IMPLICIT;
}

/* The candidates of key that every record admits, newest first; pre-releases only as PEP
 * 440 allows (or when nothing else is left). */
static size_t eligible(solver_t *s, const cands_t *c, const pypi_candidate_t **out)
{
	pep440_pre_t pre = pre_policy(s, c->key);
	size_t n = 0;
	for (int pass = 0; pass < 2 && n == 0; pass++) {
		for (size_t i = 0; i < c->n; i++)
			if (meets_all(s, c->key, c->sorted[i], pre))
				out[n++] = c->sorted[i];
		if (pre == PEP440_PRE_ALLOW)
			break;
		pre = PEP440_PRE_ALLOW;
	}
	return n;
}

static void explain_no_candidate(solver_t *s, const cands_t *c, int depth)
{
	buf_t msg = BUF_INIT;
	size_t shown = 0;
	buf_addf(&msg, "no version of %s satisfies all of: ", c->key);
	for (size_t i = 0, k = 0; i < s->n_recs; i++)
		if (!strcmp(s->recs[i].key, c->key)) {
			buf_addstr(&msg, k++ ? "; " : "");
			describe_rec(s, &s->recs[i], &msg);
		}
	if (c->why_none)
		buf_addf(&msg, "; %s", c->why_none);
	else if (!c->n)
		buf_addstr(&msg, "; no index or find-links source has it");
	if (c->n) {
		buf_addstr(&msg, "; available:");
		for (size_t i = 0; i < c->n && shown < 12; i++, shown++)
			buf_addf(&msg, " %s%s", pep440_ver_str(c->sorted[i]->version),
				 c->sorted[i]->yanked ? " (yanked)" : "");
		buf_addstr(&msg, c->n > shown ? " ..." : "");
	}
	set_conflict(s, depth, &msg);
	buf_free(&msg);
}

/* ------------------------------------------------------------------ adding requirements */

static int add_req(solver_t *s, const pypi_req_t *req, long parent, const char *origin,
		   const char *extra, int depth);

/* Adds the requirements of the pin at index p: the base ones (extra NULL) or those of one
 * extra (markers that test "extra"). */
static int add_pin_deps(solver_t *s, long p, const char *extra, int depth)
{
	const pypi_req_t *const *reqs;
	size_t n;
	const pin_t *pin = &s->pins[p];
	if (!pin->cand)
		return 0; /* installed: its requirements are its package manager's business */
	if (s->o->provider->requires(s->o->provider->ud, pin->key, pin->cand, &reqs, &n, s->err) <
	    0) {
		s->fatal = 1;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const pypi_marker_t *m = pypi_req_marker(reqs[i]);
		int for_extra = m && pypi_marker_uses_extra(m);
		if ((extra != NULL) != for_extra)
			continue;
		if (add_req(s, reqs[i], p, NULL, extra, depth) < 0)
			return -1;
	}
	return 0;
}

static int conflict_with_pin(solver_t *s, const rec_t *r, const pin_t *pin, int depth)
{
	buf_t msg = BUF_INIT;
	buf_addf(&msg, "conflict: ");
	describe_rec(s, r, &msg);
	buf_addstr(&msg, ", but ");
	describe_pin(pin, &msg);
	for (size_t i = 0, k = 0; i + 1 < s->n_recs; i++)
		if (!strcmp(s->recs[i].key, r->key)) {
			buf_addstr(&msg, k++ ? "; " : " for ");
			describe_rec(s, &s->recs[i], &msg);
		}
	set_conflict(s, depth + (pin->installed ? 1000 : 0),
		     &msg); /* an installed side is the cause */
	buf_free(&msg);
	return -1;
}

static int add_req(solver_t *s, const pypi_req_t *req, long parent, const char *origin,
		   const char *extra, int depth)
{
	int applies = pypi_req_applies(req, s->o->env, extra, s->err);
	long p;
	if (applies < 0) {
		s->fatal = 1;
		return -1;
	}
	if (!applies)
		return 0;
	s->recs = xrealloc(s->recs, (s->n_recs + 1) * sizeof *s->recs);
	s->recs[s->n_recs++] = (rec_t){pypi_req_key(req), req, parent, origin, extra};
	if ((p = find_pin(s, pypi_req_key(req))) >= 0 &&
	    !pep440_spec_contains(pypi_req_spec(req), s->pins[p].version, PEP440_PRE_ALLOW))
		return conflict_with_pin(s, &s->recs[s->n_recs - 1], &s->pins[p], depth);
	for (size_t i = 0; i < pypi_req_extra_count(req); i++) {
		const char *e = pypi_req_extra(req, i);
		if (extra_active(s, pypi_req_key(req), e))
			continue;
		s->act = xrealloc(s->act, (s->n_act + 1) * sizeof *s->act);
		s->act[s->n_act++] = (active_t){pypi_req_key(req), e};
		if (p >= 0 && add_pin_deps(s, p, e, depth) < 0)
			return -1;
	}
	return 0;
}

static int pin_candidate(solver_t *s, const char *key, const pypi_candidate_t *c, int depth)
{
	long p = (long)s->n_pins;
	s->pins = xrealloc(s->pins, (s->n_pins + 1) * sizeof *s->pins);
	s->pins[s->n_pins++] = (pin_t){key, c, c->version, NULL};
	if (add_pin_deps(s, p, NULL, depth) < 0)
		return -1;
	/* extras asked for before the pin; the list may grow while this runs */
	for (size_t i = 0; i < s->n_act; i++)
		if (!strcmp(s->act[i].key, key) && add_pin_deps(s, p, s->act[i].extra, depth) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ search */

/* The next project to decide: a pinned one (== / ===) first, else the first required. */
static const char *next_key(const solver_t *s)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < s->n_recs; i++) {
			const rec_t *r = &s->recs[i];
			if (r->parent == PARENT_CONSTRAINT || find_pin(s, r->key) >= 0)
				continue;
			if (pass == 1 || pep440_spec_is_pinned(pypi_req_spec(r->req)))
				return r->key;
		}
	return NULL;
}

/* 1 solved, 0 no solution in this branch, -1 fatal (provider error, too many steps). */
static int solve(solver_t *s, int depth)
{
	const char *key = next_key(s);
	const cands_t *c;
	const pypi_candidate_t **ok;
	size_t n, recs = s->n_recs, pins = s->n_pins, act = s->n_act;
	int r = 0;
	if (!key)
		return 1;
	if (!(c = candidates(s, key)))
		return -1;
	ok = xcalloc(c->n ? c->n : 1, sizeof *ok);
	if ((n = eligible(s, c, ok)) == 0)
		explain_no_candidate(s, c, depth);
	for (size_t i = 0; i < n && r == 0; i++) {
		if (++s->steps > s->max_steps) {
			err_set(s->err,
				"pip requirements: no solution found within %zu tries (the "
				"requirements are too loose to search; pin some versions)",
				s->max_steps);
			r = -1;
			break;
		}
		if (pin_candidate(s, key, ok[i], depth) == 0)
			r = solve(s, depth + 1);
		if (s->fatal)
			r = -1;
		if (r == 0) { /* undo the choice */
			s->n_recs = recs;
			s->n_pins = pins;
			s->n_act = act;
		}
	}
	free(ok);
	return r;
}

/* ------------------------------------------------------------------ API */

static int cmp_pin_key(const void *a, const void *b, void *ud)
{
	const solver_t *s = ud;
	return strcmp(s->pins[*(const size_t *)a].key, s->pins[*(const size_t *)b].key);
}

/* The result: pins in key order with their extras and dependencies. */
static void build_result(pypi_resolution_t *res)
{
	solver_t *s = &res->s;
	res->order = xcalloc(s->n_pins ? s->n_pins : 1, sizeof *res->order);
	for (size_t i = s->n_fixed; i < s->n_pins; i++)
		res->order[res->n++] = i;
	qsort_r(res->order, res->n, sizeof *res->order, cmp_pin_key, s);
	res->extras = xcalloc(res->n ? res->n : 1, sizeof *res->extras);
	res->deps = xcalloc(res->n ? res->n : 1, sizeof *res->deps);
	for (size_t k = 0; k < res->n; k++) {
		size_t p = res->order[k];
		for (size_t i = 0; i < s->n_act; i++)
			if (!strcmp(s->act[i].key, s->pins[p].key))
				pypi_strv_add(&res->extras[k], s->act[i].extra);
		for (size_t i = 0; i < s->n_recs; i++)
			if (s->recs[i].parent == (long)p &&
			    !pypi_strv_contains(&res->deps[k], s->recs[i].key))
				pypi_strv_add(&res->deps[k], s->recs[i].key);
		pypi_strv_sort(&res->extras[k]);
		pypi_strv_sort(&res->deps[k]);
	}
}

static void solver_free(solver_t *s)
{
	free(s->recs);
	free(s->pins);
	free(s->act);
	for (size_t i = 0; i < s->n_cache; i++) {
		free(s->cache[i].key);
		free(s->cache[i].sorted);
		free(s->cache[i].why_none);
	}
	free(s->cache);
	buf_free(&s->conflict);
}

/* Installed projects are pins nothing can undo; then the top-level records. */
static int start(solver_t *s, const pypi_req_t *const *reqs, const char *const *origins, size_t n,
		 const pypi_req_t *const *constraints, size_t n_constraints)
{
	for (size_t i = 0; i < s->o->n_installed; i++) {
		const pypi_installed_t *in = &s->o->installed[i];
		s->pins = xrealloc(s->pins, (s->n_pins + 1) * sizeof *s->pins);
		s->pins[s->n_pins++] = (pin_t){in->key, NULL, in->version, in};
	}
	s->n_fixed = s->n_pins;
	for (size_t i = 0; i < n_constraints; i++)
		if (add_req(s, constraints[i], PARENT_CONSTRAINT, NULL, NULL, 0) < 0)
			return -1;
	for (size_t i = 0; i < n; i++)
		if (add_req(s, reqs[i], PARENT_TOP, origins ? origins[i] : NULL, NULL, 0) < 0)
			return -1;
	return 0;
}

pypi_resolution_t *pypi_resolve(const pypi_resolve_opts_t *opts, const pypi_req_t *const *reqs,
				const char *const *origins, size_t n,
				const pypi_req_t *const *constraints, size_t n_constraints,
				err_t *err)
{
	pypi_resolution_t *res = xcalloc(1, sizeof *res);
	solver_t *s = &res->s;
	int r;
	s->o = opts;
	s->err = err;
	s->max_steps = opts->max_steps ? opts->max_steps : DEFAULT_MAX_STEPS;
	r = start(s, reqs, origins, n, constraints, n_constraints);
	if (r == 0)
		r = solve(s, 0) == 1 ? 0 : -1;
	if (r < 0) {
		if (!s->fatal && s->steps <= s->max_steps)
			err_set(err, "pip requirements cannot be met: %s",
				s->conflict.len ? buf_cstr(&s->conflict) : "no solution");
		pypi_resolution_free(res);
		return NULL;
	}
	s->err = NULL;
	build_result(res);
	return res;
}

void pypi_resolution_free(pypi_resolution_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		pypi_strv_free(&r->extras[i]);
		pypi_strv_free(&r->deps[i]);
	}
	free(r->extras);
	free(r->deps);
	free(r->order);
	solver_free(&r->s);
	free(r);
}

size_t pypi_resolution_count(const pypi_resolution_t *r)
{
	return r->n;
}

const char *pypi_resolution_key(const pypi_resolution_t *r, size_t i)
{
	return r->s.pins[r->order[i]].key;
}

const pypi_candidate_t *pypi_resolution_candidate(const pypi_resolution_t *r, size_t i)
{
	return r->s.pins[r->order[i]].cand;
}

int pypi_resolution_is_requested(const pypi_resolution_t *r, size_t i)
{
	for (size_t k = 0; k < r->s.n_recs; k++)
		if (r->s.recs[k].parent == PARENT_TOP &&
		    !strcmp(r->s.recs[k].key, pypi_resolution_key(r, i)))
			return 1;
	return 0;
}

size_t pypi_resolution_extra_count(const pypi_resolution_t *r, size_t i)
{
	return r->extras[i].n;
}

const char *pypi_resolution_extra(const pypi_resolution_t *r, size_t i, size_t k)
{
	return r->extras[i].v[k];
}

size_t pypi_resolution_dep_count(const pypi_resolution_t *r, size_t i)
{
	return r->deps[i].n;
}

const char *pypi_resolution_dep(const pypi_resolution_t *r, size_t i, size_t k)
{
	return r->deps[i].v[k];
}
