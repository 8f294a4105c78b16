/* test_pypi_resolve.c — pypi/resolve.c on a synthetic in-memory index: newest first, pins
 * first, backtracking out of a dead end, extras as their own nodes (asked before and after
 * the pin), markers, constraints, the pre-release and yanked rules, installed (conda)
 * projects, and conflict messages that name both sides. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "resolve.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* One release of the synthetic index: "key version", yanked?, its requirements. */
typedef struct release {
	const char *key, *version;
	int yanked;
	const char *requires[4];
} release_t;

typedef struct node {
	const release_t *rel;
	pypi_candidate_t cand;
	pypi_req_t *reqs[4];
	size_t n_reqs;
} node_t;

typedef struct index {
	node_t nodes[32];
	size_t n;
	const pypi_candidate_t *list[32];
	char order[64]; /* the first letter of each project listed, in order */
} index_t;

static void index_load(index_t *ix, const release_t *rels, size_t n)
{
	err_t err = ERR_INIT;
	memset(ix, 0, sizeof *ix);
	for (size_t i = 0; i < n; i++) {
		node_t *nd = &ix->nodes[ix->n++];
		nd->rel = &rels[i];
		nd->cand.version = pep440_ver_parse(rels[i].version, &err);
		nd->cand.yanked = rels[i].yanked;
		nd->cand.handle = nd;
		for (size_t k = 0; k < 4 && rels[i].requires[k]; k++) {
			nd->reqs[nd->n_reqs] = pypi_req_parse(rels[i].requires[k], &err);
			assert_non_null(nd->reqs[nd->n_reqs++]);
		}
	}
}

static void index_free(index_t *ix)
{
	for (size_t i = 0; i < ix->n; i++) {
		pep440_ver_free((pep440_ver_t *)ix->nodes[i].cand.version);
		for (size_t k = 0; k < ix->nodes[i].n_reqs; k++)
			pypi_req_free(ix->nodes[i].reqs[k]);
	}
}

static int list(void *ud, const char *key, const pypi_candidate_t *const **cands, size_t *n,
		buf_t *why_none, err_t *err)
{
	index_t *ix = ud;
	size_t k = 0;
	(void)err;
	if (strlen(ix->order) + 1 < sizeof ix->order)
		ix->order[strlen(ix->order)] = key[0];
	for (size_t i = 0; i < ix->n; i++)
		if (!strcmp(ix->nodes[i].rel->key, key))
			ix->list[k++] = &ix->nodes[i].cand;
	/* a fresh array per call would be the real thing; the resolver copies it at once */
	static const pypi_candidate_t *copy[32];
	memcpy(copy, ix->list, k * sizeof *copy);
	*cands = copy;
	*n = k;
	if (!k && !strcmp(key, "sdistonly"))
		buf_setstr(why_none, "sdistonly 1.0 has only an sdist (sdistonly-1.0.tar.gz)");
	return 0;
}

static int requires(void *ud, const char *key, const pypi_candidate_t *c,
		    const pypi_req_t *const **reqs, size_t *n, err_t *err)
{
	(void)ud;
	(void)key;
	(void)err;
	const node_t *nd = c->handle;
	*reqs = (const pypi_req_t *const *)nd->reqs;
	*n = nd->n_reqs;
	return 0;
}

static const pypi_marker_env_t env = {
	.os_name = "posix",
	.sys_platform = "linux",
	.platform_machine = "x86_64",
	.platform_python_implementation = "CPython",
	.platform_release = "",
	.platform_system = "Linux",
	.platform_version = "",
	.python_version = "3.11",
	.python_full_version = "3.11.2",
	.implementation_name = "cpython",
	.implementation_version = "3.11.2",
};

typedef struct run {
	index_t ix;
	pypi_provider_t prov;
	pypi_resolve_opts_t opts;
	pypi_req_t *reqs[8], *cons[4];
	const char *origins[8];
	size_t n, n_cons;
	pypi_resolution_t *res;
	err_t err;
} run_t;

/* Resolves top-level lines (origins "environment.yml:<n>") and constraints against rels. */
static pypi_resolution_t *resolve(run_t *r, const release_t *rels, size_t n_rels,
				  const char *const *top, size_t n_top, const char *const *cons,
				  size_t n_cons, const pypi_installed_t *inst, size_t n_inst,
				  int pre)
{
	static const char *const origins[] = {"environment.yml:1", "environment.yml:2",
					      "environment.yml:3", "environment.yml:4"};
	memset(r, 0, sizeof *r);
	index_load(&r->ix, rels, n_rels);
	r->prov = (pypi_provider_t){&r->ix, list, requires};
	r->opts = (pypi_resolve_opts_t){&r->prov, &env, pre, inst, n_inst, 0};
	for (size_t i = 0; i < n_top; i++) {
		r->reqs[r->n] = pypi_req_parse(top[i], &r->err);
		r->origins[r->n++] = origins[i];
	}
	for (size_t i = 0; i < n_cons; i++)
		r->cons[r->n_cons++] = pypi_req_parse(cons[i], &r->err);
	r->res = pypi_resolve(&r->opts, (const pypi_req_t *const *)r->reqs, r->origins, r->n,
			      (const pypi_req_t *const *)r->cons, r->n_cons, &r->err);
	return r->res;
}

static void run_free(run_t *r)
{
	pypi_resolution_free(r->res);
	for (size_t i = 0; i < r->n; i++)
		pypi_req_free(r->reqs[i]);
	for (size_t i = 0; i < r->n_cons; i++)
		pypi_req_free(r->cons[i]);
	index_free(&r->ix);
	err_clear(&r->err);
}

/* "a 2.0, b 1.0" */
static void picked(const pypi_resolution_t *res, buf_t *out)
{
	buf_reset(out);
	for (size_t i = 0; i < pypi_resolution_count(res); i++)
		buf_addf(out, "%s%s %s", i ? ", " : "", pypi_resolution_key(res, i),
			 pep440_ver_str(pypi_resolution_candidate(res, i)->version));
}

static void expect(const release_t *rels, size_t n_rels, const char *const *top, size_t n_top,
		   const char *const *cons, size_t n_cons, int pre, const char *want)
{
	run_t r;
	buf_t got = BUF_INIT;
	if (!resolve(&r, rels, n_rels, top, n_top, cons, n_cons, NULL, 0, pre))
		fail_msg("no resolution: %s", err_msg(&r.err));
	picked(r.res, &got);
	if (strcmp(buf_cstr(&got), want))
		fail_msg("picked '%s', want '%s'", buf_cstr(&got), want);
	run_free(&r);
	buf_free(&got);
}

#define EXPECT(rels, top, want) expect(rels, N_OF(rels), top, N_OF(top), NULL, 0, 0, want)

/* ------------------------------------------------------------------ choices */

static const release_t chain[] = {
	{"a", "1.0", 0, {"b>=1"}}, {"a", "2.0", 0, {"b>=1", "c"}}, {"b", "1.0", 0, {0}},
	{"b", "2.0", 0, {0}},      {"c", "0.5", 0, {0}},
};

static void test_newest_compatible_versions_are_chosen(void **state)
{
	(void)state;
	const char *top[] = {"A"};
	EXPECT(chain, top, "a 2.0, b 2.0, c 0.5");
	const char *top2[] = {"a<2", "b<2"};
	EXPECT(chain, top2, "a 1.0, b 1.0");
}

static void test_result_has_requested_flags_and_dependencies(void **state)
{
	(void)state;
	const char *top[] = {"a"};
	run_t r;
	assert_non_null(resolve(&r, chain, N_OF(chain), top, 1, NULL, 0, NULL, 0, 0));
	assert_string_equal(pypi_resolution_key(r.res, 0), "a");
	assert_true(pypi_resolution_is_requested(r.res, 0));
	assert_false(pypi_resolution_is_requested(r.res, 1));
	assert_int_equal(pypi_resolution_dep_count(r.res, 0), 2);
	assert_string_equal(pypi_resolution_dep(r.res, 0, 0), "b");
	assert_string_equal(pypi_resolution_dep(r.res, 0, 1), "c");
	assert_int_equal(pypi_resolution_dep_count(r.res, 1), 0);
	run_free(&r);
}

/* b==2.0 is decided first (a pin); a 2.0 then wants b<2, so a falls back to 1.0. */
static const release_t dead_end[] = {
	{"a", "1.0", 0, {0}},
	{"a", "2.0", 0, {"b<2"}},
	{"b", "1.0", 0, {0}},
	{"b", "2.0", 0, {0}},
};

static void test_pins_first_then_backtracking_out_of_a_dead_end(void **state)
{
	(void)state;
	const char *top[] = {"a", "b==2.0"};
	EXPECT(dead_end, top, "a 1.0, b 2.0");
	run_t r;
	assert_non_null(resolve(&r, dead_end, N_OF(dead_end), top, 2, NULL, 0, NULL, 0, 0));
	assert_string_equal(r.ix.order, "ba"); /* the pinned project was decided first */
	run_free(&r);
}

/* a 3.0 needs x>=2 which needs y>=5 which does not exist: two levels of undo. */
static const release_t deep[] = {
	{"a", "3.0", 0, {"x>=2"}}, {"a", "2.0", 0, {"x<2"}}, {"x", "2.0", 0, {"y>=5"}},
	{"x", "1.0", 0, {"y"}},    {"y", "1.0", 0, {0}},
};

static void test_backtracking_undoes_a_whole_subtree(void **state)
{
	(void)state;
	const char *top[] = {"a"};
	EXPECT(deep, top, "a 2.0, x 1.0, y 1.0");
}

/* ------------------------------------------------------------------ extras and markers */

static const release_t extras[] = {
	{"req",
	 "2.0",
	 0,
	 {"idna", "socks>=1.5; extra == 'socks'", "winreg; sys_platform == 'win32'"}},
	{"idna", "3.3", 0, {0}},
	{"socks", "1.7", 0, {0}},
	{"winreg", "1.0", 0, {0}},
	{"app", "1.0", 0, {"req[SOCKS]"}},
};

static void test_extras_are_their_own_nodes(void **state)
{
	(void)state;
	const char *plain[] = {"req"}, *with[] = {"req[socks]"}, *later[] = {"req", "app"};
	EXPECT(extras, plain, "idna 3.3, req 2.0"); /* no socks, no win32-only winreg */
	EXPECT(extras, with, "idna 3.3, req 2.0, socks 1.7");
	/* the extra is asked for (by app) after req is pinned */
	EXPECT(extras, later, "app 1.0, idna 3.3, req 2.0, socks 1.7");
	run_t r;
	assert_non_null(resolve(&r, extras, N_OF(extras), with, 1, NULL, 0, NULL, 0, 0));
	assert_int_equal(pypi_resolution_extra_count(r.res, 1), 1);
	assert_string_equal(pypi_resolution_extra(r.res, 1, 0), "socks");
	run_free(&r);
}

static void test_constraints_limit_without_adding(void **state)
{
	(void)state;
	const char *top[] = {"a"}, *cons[] = {"b<2", "unrelated>=1"};
	expect(chain, N_OF(chain), top, 1, cons, 2, 0, "a 2.0, b 1.0, c 0.5");
}

/* ------------------------------------------------------------------ PEP 440 / PEP 592 rules */

static const release_t pre[] = {
	{"c", "1.0", 0, {0}},
	{"c", "2.0b1", 0, {0}},
	{"c", "3.0", 1, {0}},
};

static void test_prerelease_and_yanked_rules(void **state)
{
	(void)state;
	const char *any[] = {"c"}, *named[] = {"c>=2.0b1,<3"}, *only_pre[] = {"c>1.0,<3"},
		   *pinned_yanked[] = {"c==3.0"};
	EXPECT(pre, any, "c 1.0");           /* 2.0b1 is a pre-release, 3.0 is yanked */
	EXPECT(pre, named, "c 2.0b1");       /* the specifier names a pre-release */
	EXPECT(pre, only_pre, "c 2.0b1");    /* nothing else matches */
	EXPECT(pre, pinned_yanked, "c 3.0"); /* a yanked release for an exact pin */
	expect(pre, N_OF(pre), (const char *[]){"c<3"}, 1, NULL, 0, 1, "c 2.0b1"); /* --pre */
}

/* ------------------------------------------------------------------ installed and conflicts */

static const release_t on_six[] = {
	{"a", "2.0", 0, {"six<1.16"}},
	{"a", "1.0", 0, {"six>=1.10"}},
	{"six", "1.17.0", 0, {0}},
};

static void test_installed_projects_are_fixed(void **state)
{
	(void)state;
	pep440_ver_t *v = pep440_ver_parse("1.16.0", NULL);
	pypi_installed_t six = {"six", v, "conda package six-1.16.0-pyhd8ed1ab_0"};
	const char *top[] = {"a", "six>=1.10"};
	run_t r;
	buf_t got = BUF_INIT;
	assert_non_null(resolve(&r, on_six, N_OF(on_six), top, 2, NULL, 0, &six, 1, 0));
	picked(r.res, &got);
	assert_string_equal(buf_cstr(&got), "a 1.0"); /* six stays conda's; a 2.0 wanted six<1.16 */
	assert_string_equal(pypi_resolution_dep(r.res, 0, 0), "six");
	run_free(&r);
	const char *newer[] = {"six>=1.17"};
	assert_null(resolve(&r, on_six, N_OF(on_six), newer, 1, NULL, 0, &six, 1, 0));
	assert_non_null(strstr(err_msg(&r.err), "six>=1.17 (environment.yml:1)"));
	assert_non_null(strstr(err_msg(&r.err),
			       "six 1.16.0 is installed by conda package six-1.16.0-pyhd8ed1ab_0"));
	run_free(&r);
	pep440_ver_free(v);
	buf_free(&got);
}

static const release_t clash[] = {
	{"a", "1.0", 0, {"c>=2"}},
	{"b", "1.0", 0, {"c<2"}},
	{"c", "1.0", 0, {0}},
	{"c", "2.0", 0, {0}},
};

static void test_conflict_names_both_sides(void **state)
{
	(void)state;
	const char *top[] = {"a==1.0", "b"};
	run_t r;
	assert_null(resolve(&r, clash, N_OF(clash), top, 2, NULL, 0, NULL, 0, 0));
	const char *m = err_msg(&r.err);
	assert_non_null(strstr(m, "pip requirements cannot be met"));
	assert_non_null(strstr(m, "c>=2 (required by a 1.0)"));
	assert_non_null(strstr(m, "c<2 (required by b 1.0)"));
	run_free(&r);
}

static void test_missing_and_sdist_only_projects_say_why(void **state)
{
	(void)state;
	const char *top[] = {"sdistonly"}, *top2[] = {"nowhere>=1"}, *top3[] = {"c>=9"};
	run_t r;
	assert_null(resolve(&r, chain, N_OF(chain), top, 1, NULL, 0, NULL, 0, 0));
	assert_non_null(strstr(err_msg(&r.err),
			       "sdistonly (environment.yml:1); sdistonly 1.0 has only an sdist"));
	run_free(&r);
	assert_null(resolve(&r, chain, N_OF(chain), top2, 1, NULL, 0, NULL, 0, 0));
	assert_non_null(strstr(err_msg(&r.err), "no index or find-links source has it"));
	run_free(&r);
	assert_null(resolve(&r, pre, N_OF(pre), top3, 1, NULL, 0, NULL, 0, 0));
	assert_non_null(strstr(err_msg(&r.err), "available: 3.0 (yanked) 2.0b1 1.0"));
	run_free(&r);
}

static void test_search_is_bounded(void **state)
{
	(void)state;
	/* every a needs z>=1, which no release offers: tried a few times, then given up */
	static const release_t hopeless[] = {
		{"a", "1.0", 0, {"b", "z>=1"}}, {"a", "2.0", 0, {"b", "z>=1"}},
		{"a", "3.0", 0, {"b", "z>=1"}}, {"b", "1.0", 0, {0}},
		{"b", "2.0", 0, {0}},           {"z", "0.1", 0, {0}},
	};
	const char *top[] = {"a"};
	run_t r;
	memset(&r, 0, sizeof r);
	index_load(&r.ix, hopeless, N_OF(hopeless));
	r.prov = (pypi_provider_t){&r.ix, list, requires};
	r.opts = (pypi_resolve_opts_t){&r.prov, &env, 0, NULL, 0, 2};
	r.reqs[r.n++] = pypi_req_parse(top[0], &r.err);
	assert_null(
		pypi_resolve(&r.opts, (const pypi_req_t *const *)r.reqs, NULL, 1, NULL, 0, &r.err));
	assert_non_null(strstr(err_msg(&r.err), "no solution found within 2 tries"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newest_compatible_versions_are_chosen),
		cmocka_unit_test(test_result_has_requested_flags_and_dependencies),
		cmocka_unit_test(test_pins_first_then_backtracking_out_of_a_dead_end),
		cmocka_unit_test(test_backtracking_undoes_a_whole_subtree),
		cmocka_unit_test(test_extras_are_their_own_nodes),
		cmocka_unit_test(test_constraints_limit_without_adding),
		cmocka_unit_test(test_prerelease_and_yanked_rules),
		cmocka_unit_test(test_installed_projects_are_fixed),
		cmocka_unit_test(test_conflict_names_both_sides),
		cmocka_unit_test(test_missing_and_sdist_only_projects_say_why),
		cmocka_unit_test(test_search_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
