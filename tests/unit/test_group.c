/* test_group.c — recipe parsing errors (file:line) and plan semantics (closure_of, match with
 * exclusive dependencies, rest, first-claim-wins, empty groups) on synthetic package sets,
 * plus the shipped recipes/default.yaml. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "group.h"

/* ---- helpers -------------------------------------------------------------------------- */

typedef struct pkgset {
	pkgrec_t *p[64];
	size_t n;
} pkgset_t;

/* "name: dep1, dep2 >=1" */
static void add_pkg(pkgset_t *s, const char *name, const char *deps_csv)
{
	pkgrec_t *r = pkgrec_new();
	r->name = strdup(name);
	r->version = strdup("1.0");
	r->build = strdup("0");
	r->fn = strdup(name);
	const char *c = deps_csv ? deps_csv : "";
	size_t cap = 1;
	for (const char *q = c; *q; q++)
		cap += *q == ',';
	r->depends = calloc(cap, sizeof(char *));
	while (*c) {
		while (*c == ' ')
			c++;
		const char *end = strchr(c, ',');
		size_t len = end ? (size_t)(end - c) : strlen(c);
		if (len)
			r->depends[r->n_depends++] = strndup(c, len);
		c += len + (end ? 1 : 0);
	}
	s->p[s->n++] = r;
}

/* A pip package (a wheel's record, as builder/context_pip.c makes them). */
static void add_pip(pkgset_t *s, const char *name, const char *deps_csv)
{
	add_pkg(s, name, deps_csv);
	s->p[s->n - 1]->subdir = strdup(GROUP_PIP_SUBDIR);
}

static void pkgset_free(pkgset_t *s)
{
	for (size_t i = 0; i < s->n; i++)
		pkgrec_free(s->p[i]);
	s->n = 0;
}

static recipe_t *parse(const char *yaml, err_t *err)
{
	return recipe_parse("test.yaml", yaml, strlen(yaml), err);
}

/* Group names and members as "group: a b c; group2: d" for compact assertions. */
static char *plan_str(const plan_t *pl, const pkgset_t *s)
{
	buf_t b = BUF_INIT;
	for (size_t g = 0; g < plan_group_count(pl); g++) {
		if (g)
			buf_addstr(&b, "; ");
		buf_addf(&b, "%s:", plan_group_name(pl, g));
		for (size_t j = 0; j < plan_group_size(pl, g); j++)
			buf_addf(&b, " %s", s->p[plan_group_pkg(pl, g, j)]->name);
	}
	return buf_detach(&b);
}

static char *plan_for(const char *yaml, pkgset_t *s)
{
	err_t err = ERR_INIT;
	recipe_t *r = parse(yaml, &err);
	if (!r)
		fail_msg("recipe: %s", err_msg(&err));
	plan_t *pl = plan_new(r, (const pkgrec_t *const *)s->p, s->n, &err);
	if (!pl)
		fail_msg("plan: %s", err_msg(&err));
	char *out = plan_str(pl, s);
	plan_free(pl);
	recipe_free(r);
	return out;
}

static void assert_recipe_error(const char *yaml, const char *needle)
{
	err_t err = ERR_INIT;
	recipe_t *r = parse(yaml, &err);
	assert_null(r);
	if (!strstr(err_msg(&err), needle))
		fail_msg("error '%s' lacks '%s'", err_msg(&err), needle);
	err_clear(&err);
}

static const char *ML_RECIPE = "version: 1\n"
			       "groups:\n"
			       "  - name: base-python\n"
			       "    closure_of: [python]\n"
			       "  - name: cuda-runtime\n"
			       "    match: [cuda-*, libcublas*]\n"
			       "    exclusive_deps: true\n"
			       "  - name: frameworks\n"
			       "    match: [pytorch]\n"
			       "    exclusive_deps: true\n"
			       "  - name: rest\n"
			       "    rest: true\n";

/* ---- parsing errors ------------------------------------------------------------------- */

static void test_unknown_group_key_names_line(void **state)
{
	(void)state;
	assert_recipe_error("groups:\n  - name: a\n    rest: true\n    colour: blue\n",
			    "test.yaml:4: unknown group key `colour`");
}

static void test_unknown_top_key_names_line(void **state)
{
	(void)state;
	assert_recipe_error("version: 1\nlayers: []\n", "test.yaml:2: unknown recipe key `layers`");
}

static void test_bad_glob_is_rejected(void **state)
{
	(void)state;
	assert_recipe_error("groups:\n  - name: a\n    match:\n      - ok-*\n      - 'cuda-[ab'\n",
			    "test.yaml:5: bad glob 'cuda-[ab'");
	assert_recipe_error("groups:\n  - name: a\n    match: ['lib foo']\n", "bad glob 'lib foo'");
}

static void test_group_without_rule_is_rejected(void **state)
{
	(void)state;
	assert_recipe_error(
		"groups:\n  - name: a\n    rest: true\n  - name: lonely\n    description: x\n",
		"test.yaml:4: group 'lonely' has no rule");
}

static void test_group_with_two_rules_is_rejected(void **state)
{
	(void)state;
	assert_recipe_error("groups:\n  - name: a\n    rest: true\n    match: [x]\n",
			    "test.yaml:4: group has more than one rule");
}

static void test_duplicate_group_name_is_rejected(void **state)
{
	(void)state;
	assert_recipe_error("groups:\n  - name: a\n    match: [x]\n  - name: a\n    rest: true\n",
			    "test.yaml:4: duplicate group name 'a'");
}

static void test_exclusive_deps_without_match_is_rejected(void **state)
{
	(void)state;
	assert_recipe_error("groups:\n  - name: a\n    rest: true\n    exclusive_deps: true\n",
			    "test.yaml:4: group 'a': exclusive_deps only applies to `match`");
}

static void test_yaml_syntax_error_names_line(void **state)
{
	(void)state;
	assert_recipe_error("groups:\n  - name: a\n    match: [x\n", "test.yaml:");
}

static void test_bare_list_recipe_is_accepted(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	recipe_t *r = parse("- name: one\n  match: [a*]\n- name: two\n  rest: true\n", &err);
	assert_non_null(r);
	assert_int_equal(recipe_group_count(r), 2);
	assert_string_equal(recipe_group_name(r, 1), "two");
	recipe_free(r);
}

/* ---- plan semantics ------------------------------------------------------------------- */

static void test_closure_of_python_takes_whole_closure(void **state)
{
	(void)state;
	pkgset_t s = {0};
	add_pkg(&s, "python", "libffi >=3.4, openssl >=3, tzdata, __glibc >=2.17");
	add_pkg(&s, "openssl", "ca-certificates, libgcc-ng");
	add_pkg(&s, "ca-certificates", "");
	add_pkg(&s, "libffi", "libgcc-ng >=12");
	add_pkg(&s, "libgcc-ng", "");
	add_pkg(&s, "tzdata", "");
	add_pkg(&s, "numpy", "python >=3.11, libgcc-ng");
	add_pkg(&s, "zlib", "");
	char *got = plan_for(ML_RECIPE, &s);
	assert_string_equal(got,
			    "base-python: ca-certificates libffi libgcc-ng openssl python tzdata; "
			    "rest: numpy zlib");
	free(got);
	pkgset_free(&s);
}

static void test_shared_dep_needed_by_rest_stays_out_of_cuda_and_frameworks(void **state)
{
	(void)state;
	pkgset_t s = {0};
	add_pkg(&s, "python", "");
	add_pkg(&s, "cuda-cudart", "cuda-version >=12, libstdcxx-ng");
	add_pkg(&s, "cuda-version", "");
	add_pkg(&s, "libcublas", "cuda-cudart, libocl");
	add_pkg(&s, "libocl", "libstdcxx-ng");
	add_pkg(&s, "libstdcxx-ng", "");
	add_pkg(&s, "pytorch", "python, libcublas, libocl, sleef");
	add_pkg(&s, "sleef", "");
	add_pkg(&s, "opencv", "python, libocl");
	char *got = plan_for(ML_RECIPE, &s);
	/* libocl: needed by opencv (rest) -> only rest; libstdcxx-ng: needed by libocl, which
	 * is an outsider once removed -> rest too. sleef: only pytorch needs it -> frameworks. */
	assert_string_equal(
		got, "base-python: python; cuda-runtime: cuda-cudart cuda-version libcublas; "
		     "frameworks: pytorch sleef; rest: libocl libstdcxx-ng opencv");
	free(got);
	pkgset_free(&s);
}

static void test_dep_needed_only_by_matched_packages_joins_their_group(void **state)
{
	(void)state;
	pkgset_t s = {0};
	add_pkg(&s, "cuda-nvrtc", "libhelper");
	add_pkg(&s, "libcublas", "libhelper, cuda-nvrtc");
	add_pkg(&s, "libhelper", "libdeep");
	add_pkg(&s, "libdeep", "");
	add_pkg(&s, "pytorch", "libcublas");
	char *got = plan_for(ML_RECIPE, &s);
	assert_string_equal(
		got, "cuda-runtime: cuda-nvrtc libcublas libdeep libhelper; frameworks: pytorch");
	free(got);
	pkgset_free(&s);
}

static void test_matched_package_needed_by_rest_stays_in_group(void **state)
{
	(void)state;
	pkgset_t s = {0};
	add_pkg(&s, "cuda-version", "");
	add_pkg(&s, "cupy", "cuda-version");
	char *got = plan_for(ML_RECIPE, &s);
	assert_string_equal(got, "cuda-runtime: cuda-version; rest: cupy");
	free(got);
	pkgset_free(&s);
}

static void test_first_group_wins_and_empty_groups_vanish(void **state)
{
	(void)state;
	pkgset_t s = {0};
	add_pkg(&s, "python", "libz");
	add_pkg(&s, "libz", "");
	add_pkg(&s, "pytorch", "python, libz");
	char *got = plan_for("groups:\n"
			     "  - {name: base-python, closure_of: [python]}\n"
			     "  - {name: cuda, match: [cuda-*], exclusive_deps: true}\n"
			     "  - {name: zed, match: ['libz', 'python']}\n"
			     "  - {name: rest, rest: true}\n",
			     &s);
	assert_string_equal(got, "base-python: libz python; rest: pytorch");
	free(got);
	pkgset_free(&s);
}

static void test_match_without_exclusive_deps_takes_only_matches(void **state)
{
	(void)state;
	pkgset_t s = {0};
	add_pkg(&s, "jaxlib", "libabseil");
	add_pkg(&s, "libabseil", "");
	char *got = plan_for(
		"groups:\n  - {name: fw, match: [jax*]}\n  - {name: rest, rest: true}\n", &s);
	assert_string_equal(got, "fw: jaxlib; rest: libabseil");
	free(got);
	pkgset_free(&s);
}

/* private_deps_of: what only the matched packages need, without them; a dependency an
 * outsider also needs stays out (opencv needs libocl); the matched packages are left for
 * the next group, which takes them with nothing else. */
static void test_private_deps_of_takes_only_the_private_dependencies(void **state)
{
	(void)state;
	pkgset_t s = {0};
	add_pkg(&s, "python", "");
	add_pkg(&s, "pytorch", "python, libtorch, sympy");
	add_pkg(&s, "libtorch", "mkl, sleef, libocl");
	add_pkg(&s, "mkl", "llvm-openmp");
	add_pkg(&s, "llvm-openmp", "");
	add_pkg(&s, "sleef", "");
	add_pkg(&s, "sympy", "python, mpmath");
	add_pkg(&s, "mpmath", "");
	add_pkg(&s, "libocl", "");
	add_pkg(&s, "opencv", "python, libocl");
	char *got = plan_for("groups:\n"
			     "  - {name: base-python, closure_of: [python]}\n"
			     "  - {name: fw-deps, private_deps_of: &fw [pytorch, libtorch]}\n"
			     "  - {name: fw, match: *fw, exclusive_deps: true}\n"
			     "  - {name: rest, rest: true}\n",
			     &s);
	assert_string_equal(got,
			    "base-python: python; fw-deps: llvm-openmp mkl mpmath sleef sympy; "
			    "fw: libtorch pytorch; rest: libocl opencv");
	free(got);
	pkgset_free(&s);
}

/* A framework bump changes the framework packages only: the private-deps layer keeps its
 * exact package set (hence its cache key), whatever the framework's version. */
static void test_private_deps_group_is_stable_across_a_framework_bump(void **state)
{
	(void)state;
	for (int bump = 0; bump < 2; bump++) {
		pkgset_t s = {0};
		add_pkg(&s, "pytorch", bump ? "libtorch, mkl" : "libtorch");
		add_pkg(&s, "libtorch", "mkl");
		add_pkg(&s, "mkl", "");
		char *got = plan_for("groups:\n"
				     "  - {name: fw-deps, private_deps_of: [pytorch, libtorch]}\n"
				     "  - {name: fw, match: [pytorch, libtorch]}\n"
				     "  - {name: rest, rest: true}\n",
				     &s);
		assert_string_equal(got, "fw-deps: mkl; fw: libtorch pytorch");
		free(got);
		pkgset_free(&s);
	}
}

static void test_private_deps_of_with_another_rule_is_rejected(void **state)
{
	(void)state;
	assert_recipe_error("groups:\n  - name: a\n    match: [x]\n    private_deps_of: [y]\n",
			    "test.yaml:4: group has more than one rule");
	assert_recipe_error(
		"groups:\n  - name: a\n    private_deps_of: [y]\n    exclusive_deps: true\n",
		"test.yaml:4: group 'a': exclusive_deps only applies to `match`");
	assert_recipe_error("groups:\n  - name: a\n    private_deps_of: ['lib foo']\n",
			    "bad glob 'lib foo'");
}

static void test_unclaimed_package_is_an_error(void **state)
{
	(void)state;
	pkgset_t s = {0};
	add_pkg(&s, "python", "");
	add_pkg(&s, "orphan", "");
	err_t err = ERR_INIT;
	recipe_t *r = parse("groups:\n  - {name: base, closure_of: [python]}\n", &err);
	assert_non_null(r);
	plan_t *pl = plan_new(r, (const pkgrec_t *const *)s.p, s.n, &err);
	assert_null(pl);
	assert_non_null(strstr(err_msg(&err), "package 'orphan' is claimed by no group"));
	err_clear(&err);
	recipe_free(r);
	pkgset_free(&s);
}

static void test_default_recipe_loads_and_groups_ml_env(void **state)
{
	(void)state;
	const char *src = getenv("IMGBUILD_SRC");
	if (!src)
		skip();
	buf_t path = BUF_INIT;
	buf_addstr(&path, src);
	buf_addpath(&path, "recipes/default.yaml");
	err_t err = ERR_INIT;
	recipe_t *r = recipe_load(path.data, &err);
	if (!r)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(recipe_group_count(r), 6);
	assert_string_equal(recipe_group_name(r, 0), "base-python");
	assert_string_equal(recipe_group_name(r, 1), "cuda-runtime");
	assert_string_equal(recipe_group_name(r, 2), "framework-deps");
	assert_string_equal(recipe_group_name(r, 3), "frameworks");
	assert_string_equal(recipe_group_name(r, 4), "rest");
	assert_string_equal(recipe_group_name(r, 5), "pip");

	pkgset_t s = {0};
	add_pkg(&s, "python", "openssl");
	add_pkg(&s, "openssl", "");
	add_pkg(&s, "cuda-version", "");
	add_pkg(&s, "cuda-cudart", "cuda-version");
	add_pkg(&s, "libcublas", "cuda-version");
	add_pkg(&s, "cudnn", "libcublas, libzlib");
	add_pkg(&s, "nccl", "cuda-version");
	add_pkg(&s, "libzlib", "");
	add_pkg(&s, "pytorch", "python, cudnn, nccl, libtorch");
	add_pkg(&s, "libtorch", "libcublas, sleef");
	add_pkg(&s, "sleef", "");
	add_pkg(&s, "torchvision", "pytorch, libjpeg-turbo");
	add_pkg(&s, "libjpeg-turbo", "");
	add_pkg(&s, "pillow", "python, libjpeg-turbo, libzlib");
	plan_t *pl = plan_new(r, (const pkgrec_t *const *)s.p, s.n, &err);
	if (!pl)
		fail_msg("%s", err_msg(&err));
	char *got = plan_str(pl, &s);
	assert_string_equal(got, "base-python: openssl python; "
				 "cuda-runtime: cuda-cudart cuda-version cudnn libcublas nccl; "
				 "framework-deps: sleef; frameworks: libtorch pytorch torchvision; "
				 "rest: libjpeg-turbo libzlib pillow");
	assert_non_null(strstr(plan_group_description(pl, 1), "CUDA"));
	free(got);
	plan_free(pl);
	recipe_free(r);
	pkgset_free(&s);
	buf_free(&path);
}

/* The default recipe's rules see wheels too: a torch wheel is a framework, NVIDIA's CUDA
 * wheels are cuda-runtime, what only torch needs (a wheel or a conda package) is
 * framework-deps, the other wheels get the pip layer and conda's leftovers stay in rest. */
static void test_default_recipe_places_pip_packages(void **state)
{
	(void)state;
	const char *src = getenv("IMGBUILD_SRC");
	if (!src)
		skip();
	buf_t path = BUF_INIT;
	buf_addstr(&path, src);
	buf_addpath(&path, "recipes/default.yaml");
	err_t err = ERR_INIT;
	recipe_t *r = recipe_load(path.data, &err);
	if (!r)
		fail_msg("%s", err_msg(&err));
	pkgset_t s = {0};
	add_pkg(&s, "python", "");
	add_pkg(&s, "numpy", "python");
	add_pkg(&s, "zlib", "");
	add_pip(&s, "torch", "nvidia-cublas-cu12, filelock, numpy");
	add_pip(&s, "nvidia-cublas-cu12", "");
	add_pip(&s, "filelock", "");
	add_pip(&s, "six", "");
	add_pip(&s, "pyyaml", "");
	plan_t *pl = plan_new(r, (const pkgrec_t *const *)s.p, s.n, &err);
	if (!pl)
		fail_msg("%s", err_msg(&err));
	char *got = plan_str(pl, &s);
	assert_string_equal(got, "base-python: python; cuda-runtime: nvidia-cublas-cu12; "
				 "framework-deps: filelock numpy; frameworks: torch; "
				 "rest: zlib; pip: pyyaml six");
	free(got);
	plan_free(pl);
	recipe_free(r);
	pkgset_free(&s);
	buf_free(&path);
}

/* `kind:` limits what a rule sees, walking included. */
static void test_kind_limits_a_rule_to_conda_or_pip_packages(void **state)
{
	(void)state;
	pkgset_t s = {0};
	add_pkg(&s, "yaml", "");
	add_pip(&s, "pyyaml", "yaml");
	add_pip(&s, "six", "");
	char *got = plan_for("groups:\n"
			     "  - {name: wheels, kind: pip, match: ['*']}\n"
			     "  - {name: conda, kind: conda, rest: true}\n",
			     &s);
	assert_string_equal(got, "wheels: pyyaml six; conda: yaml");
	free(got);
	got = plan_for("groups:\n"
		       "  - {name: c, kind: conda, match: ['*yaml']}\n"
		       "  - {name: rest, rest: true}\n",
		       &s);
	assert_string_equal(got, "c: yaml; rest: pyyaml six");
	free(got);
	assert_recipe_error("groups:\n  - {name: a, kind: npm, rest: true}\n",
			    "test.yaml:2: `kind` must be conda or pip");
	pkgset_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_group_key_names_line),
		cmocka_unit_test(test_unknown_top_key_names_line),
		cmocka_unit_test(test_bad_glob_is_rejected),
		cmocka_unit_test(test_group_without_rule_is_rejected),
		cmocka_unit_test(test_group_with_two_rules_is_rejected),
		cmocka_unit_test(test_duplicate_group_name_is_rejected),
		cmocka_unit_test(test_exclusive_deps_without_match_is_rejected),
		cmocka_unit_test(test_yaml_syntax_error_names_line),
		cmocka_unit_test(test_bare_list_recipe_is_accepted),
		cmocka_unit_test(test_closure_of_python_takes_whole_closure),
		cmocka_unit_test(test_shared_dep_needed_by_rest_stays_out_of_cuda_and_frameworks),
		cmocka_unit_test(test_dep_needed_only_by_matched_packages_joins_their_group),
		cmocka_unit_test(test_matched_package_needed_by_rest_stays_in_group),
		cmocka_unit_test(test_first_group_wins_and_empty_groups_vanish),
		cmocka_unit_test(test_match_without_exclusive_deps_takes_only_matches),
		cmocka_unit_test(test_private_deps_of_takes_only_the_private_dependencies),
		cmocka_unit_test(test_private_deps_group_is_stable_across_a_framework_bump),
		cmocka_unit_test(test_private_deps_of_with_another_rule_is_rejected),
		cmocka_unit_test(test_unclaimed_package_is_an_error),
		cmocka_unit_test(test_default_recipe_loads_and_groups_ml_env),
		cmocka_unit_test(test_default_recipe_places_pip_packages),
		cmocka_unit_test(test_kind_limits_a_rule_to_conda_or_pip_packages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
