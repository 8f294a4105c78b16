/* test_solve.c — the libsolv conda-mode solver (conda/solve.c): channel priority,
 * channel::name, virtual packages, build-string specs, constrains, problem explanations on
 * small hand-written channels; then realistic requests against the real conda-forge records
 * in $IMGBUILD_SHARED/corpus, checked by an independent version matcher (helpers/condaver). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "condaver.h"
#include "fsutil.h"
#include "solve.h"

static buf_t tmpdir = BUF_INIT;

/* ---- helpers ---- */

/* Writes a repodata.json under <tmp>/<chan>/<subdir>/ and returns its path (caller frees). */
static char *write_repodata(const char *chan, const char *subdir, const char *packages_conda,
			    const char *packages)
{
	buf_t dir = BUF_INIT, text = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&dir, "%s/%s/%s", tmpdir.data, chan, subdir);
	assert_int_equal(fs_mkdir_p(dir.data, &err), 0);
	buf_addstr(&dir, "/repodata.json");
	buf_addf(&text,
		 "{\"info\": {\"subdir\": \"%s\"}, \"packages\": {%s}, \"packages.conda\": {%s}}",
		 subdir, packages ? packages : "", packages_conda ? packages_conda : "");
	assert_int_equal(fs_write_atomic(dir.data, text.data, text.len, &err), 0);
	buf_free(&text);
	return buf_detach(&dir);
}

static void add_repo(solver_t *s, const char *chan, const char *subdir, int index,
		     const char *packages_conda, const char *packages)
{
	err_t err = ERR_INIT;
	buf_t url = BUF_INIT;
	char *path = write_repodata(chan, subdir, packages_conda, packages);
	buf_addf(&url, "file://%s/%s", tmpdir.data, chan);
	if (solve_add_repodata(s, chan, url.data, subdir, path, index, &err) != 0)
		fail_msg("%s", err_msg(&err));
	free(path);
	buf_free(&url);
}

/* A repodata record: name, version, build, build_number, depends (JSON list body),
 * constrains (JSON list body). */
#define REC(fn, name, ver, build, bn, deps, cons)                                                  \
	"\"" fn "\": {\"name\": \"" name "\", \"version\": \"" ver "\", \"build\": \"" build       \
	"\", \"build_number\": " #bn ", \"depends\": [" deps "], \"constrains\": [" cons           \
	"], \"subdir\": \"linux-64\"}"

static solution_t *solve1(solver_t *s, const char *spec, err_t *err)
{
	const char *specs[] = {spec};
	return solve_run(s, specs, 1, err);
}

static solution_t *must_solve(solver_t *s, const char *const *specs, size_t n)
{
	err_t err = ERR_INIT;
	solution_t *sol = solve_run(s, specs, n, &err);
	if (!sol)
		fail_msg("solve failed: %s", err_msg(&err));
	return sol;
}

static solver_t *new_solver(void)
{
	err_t err = ERR_INIT;
	solver_t *s = solve_new(&err);
	if (!s)
		fail_msg("%s", err_msg(&err));
	return s;
}

static void assert_has(const solution_t *sol, const char *name, const char *version,
		       const char *build)
{
	const pkgrec_t *r = solution_find(sol, name);
	if (!r)
		fail_msg("%s not in the solution", name);
	if (version && strcmp(r->version, version) != 0)
		fail_msg("%s: version %s, expected %s", name, r->version, version);
	if (build && strcmp(r->build, build) != 0)
		fail_msg("%s: build %s, expected %s", name, r->build, build);
}

static void assert_err_contains(const err_t *err, const char *needle)
{
	if (!strstr(err_msg(err), needle))
		fail_msg("error '%s' does not contain '%s'", err_msg(err), needle);
}

/* Two channels: chan-a (first, so highest priority) has foo 1.0; chan-b has a newer foo. */
static solver_t *two_channels(void)
{
	solver_t *s = new_solver();
	add_repo(s, "chan-a", "linux-64", 0,
		 REC("foo-1.0-h0_0.conda", "foo", "1.0", "h0_0", 0, "\"bar >=1\"",
		     "") "," REC("bar-1.0-h0_0.conda", "bar", "1.0", "h0_0", 0, "", ""),
		 NULL);
	add_repo(s, "chan-a", "noarch", 0, NULL, NULL);
	add_repo(s, "chan-b", "linux-64", 1,
		 REC("foo-2.0-h0_0.conda", "foo", "2.0", "h0_0", 0, "\"bar >=1\"",
		     "") "," REC("qux-1.0-h0_0.conda", "qux", "1.0", "h0_0", 0, "\"bar >=2\"",
				 "") "," REC("bar-2.0-h0_0.conda", "bar", "2.0", "h0_0", 0, "",
					     "") "," REC("baz-1.0-h0_0.conda", "baz", "1.0", "h0_0",
							 0, "\"bar\"", ""),
		 NULL);
	return s;
}

/* ---- small channels ---- */

static void test_first_channel_wins_over_newer_versions_elsewhere(void **state)
{
	(void)state;
	solver_t *s = two_channels();
	const char *specs[] = {"foo"};
	solution_t *sol = must_solve(s, specs, 1);
	assert_int_equal(solution_count(sol), 2);
	assert_has(sol, "foo", "1.0", "h0_0");
	assert_has(sol, "bar", "1.0", NULL); /* strict: bar 2.0 of chan-b is not even considered */
	assert_non_null(strstr(solution_find(sol, "foo")->channel, "/chan-a"));
	assert_non_null(
		strstr(solution_find(sol, "foo")->url, "/chan-a/linux-64/foo-1.0-h0_0.conda"));
	/* A name only the second channel has still comes from there. */
	solution_free(sol);
	const char *specs2[] = {"baz"};
	sol = must_solve(s, specs2, 1);
	assert_has(sol, "baz", "1.0", NULL);
	assert_has(sol, "bar", "1.0", NULL);
	solution_free(sol);
	solve_free(s);
}

static void test_solution_is_sorted_by_name(void **state)
{
	(void)state;
	solver_t *s = two_channels();
	const char *specs[] = {"foo", "baz"};
	solution_t *sol = must_solve(s, specs, 2);
	assert_int_equal(solution_count(sol), 3);
	assert_string_equal(solution_get(sol, 0)->name, "bar");
	assert_string_equal(solution_get(sol, 1)->name, "baz");
	assert_string_equal(solution_get(sol, 2)->name, "foo");
	assert_null(solution_get(sol, 3));
	solution_free(sol);
	solve_free(s);
}

static void test_channel_prefix_restricts_to_that_channel(void **state)
{
	(void)state;
	solver_t *s = two_channels();
	err_t err = ERR_INIT;
	solution_t *sol = solve1(s, "chan-b::foo", &err);
	if (!sol)
		fail_msg("%s", err_msg(&err));
	assert_has(sol, "foo", "2.0", NULL);
	assert_non_null(strstr(solution_find(sol, "foo")->channel, "/chan-b"));
	/* Only the named package escapes channel order: its dependencies still obey it. */
	assert_has(sol, "bar", "1.0", NULL);
	assert_non_null(strstr(solution_find(sol, "bar")->channel, "/chan-a"));
	solution_free(sol);
	assert_null(solve1(s, "chan-b::qux", &err));
	assert_err_contains(&err, "requested: chan-b::qux");
	assert_err_contains(&err, "qux 1.0 requires bar >=2");
	assert_err_contains(&err,
			    "bar 2.0 from channel chan-b is excluded by strict channel priority");
	assert_null(strstr(err_msg(&err), "--")); /* the CLI names the flag (ERR_HINT_*) */
	assert_int_equal(err.hint, ERR_HINT_STRICT_PRIORITY);
	err_clear(&err);
	solve_free(s);
}

/* ---- channel priority modes ---- */

static solver_t *gpu_channel(void);

static void test_flexible_priority_prefers_first_channel_but_falls_back(void **state)
{
	(void)state;
	solver_t *s = two_channels();
	solve_set_channel_priority(s, SOLVE_PRIORITY_FLEXIBLE);
	const char *specs[] = {"foo"};
	solution_t *sol = must_solve(s, specs, 1);
	assert_has(sol, "foo", "1.0", NULL); /* chan-a still preferred */
	solution_free(sol);
	/* qux needs bar >=2, only in chan-b: strict refuses (see above), flexible takes it */
	const char *specs2[] = {"qux"};
	sol = must_solve(s, specs2, 1);
	assert_has(sol, "bar", "2.0", NULL);
	solution_free(sol);
	solve_free(s);
}

static void test_disabled_priority_takes_the_newest_across_channels(void **state)
{
	(void)state;
	solver_t *s = two_channels();
	solve_set_channel_priority(s, SOLVE_PRIORITY_DISABLED);
	const char *specs[] = {"foo"};
	solution_t *sol = must_solve(s, specs, 1);
	assert_has(sol, "foo", "2.0", NULL);
	assert_non_null(strstr(solution_find(sol, "foo")->channel, "/chan-b"));
	solution_free(sol);
	solve_free(s);
}

static void test_priority_names_parse(void **state)
{
	(void)state;
	assert_int_equal(solve_priority_from_name("strict"), SOLVE_PRIORITY_STRICT);
	assert_int_equal(solve_priority_from_name("flexible"), SOLVE_PRIORITY_FLEXIBLE);
	assert_int_equal(solve_priority_from_name("disabled"), SOLVE_PRIORITY_DISABLED);
	assert_int_equal(solve_priority_from_name("loose"), -1);
}

/* ---- explanations (hand-made conflicts, exact text) ---- */

static void test_explain_requested_version_against_a_dependency(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	add_repo(s, "c", "linux-64", 0,
		 REC("pytorch-2.3.0-py311_0.conda", "pytorch", "2.3.0", "py311_0", 0,
		     "\"python >=3.11,<3.12.0a0\"",
		     "") "," REC("pytorch-2.3.0-py311_1.conda", "pytorch", "2.3.0", "py311_1", 1,
				 "\"python >=3.11,<3.12.0a0\"",
				 "") "," REC("python-3.11.9-h0_0.conda", "python", "3.11.9", "h0_0",
					     0, "", "") "," REC("python-3.12.3-h0_0.conda",
								"python", "3.12.3", "h0_0", 0, "",
								""),
		 NULL);
	const char *specs[] = {"python=3.12", "pytorch=2.3"};
	assert_null(solve_run(s, specs, 2, &err));
	print_message("%s\n", err_msg(&err));
	assert_string_equal(err_msg(&err), "cannot solve the environment:\n"
					   "  requested: python=3.12, pytorch=2.3\n"
					   "    - pytorch 2.3.0 requires python >=3.11,<3.12.0a0, "
					   "but python=3.12 was requested");
	err_clear(&err);
	solve_free(s);
}

static void test_explain_two_packages_wanting_different_versions(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	add_repo(s, "c", "linux-64", 0,
		 REC("left-1.0-h0_0.conda", "left", "1.0", "h0_0", 0, "\"shared 1.*\"", "") "," REC(
			 "left-1.1-h0_0.conda", "left", "1.1", "h0_0", 0, "\"shared 1.*\"",
			 "") "," REC("right-1.0-h0_0.conda", "right", "1.0", "h0_0", 0,
				     "\"shared >=2\"",
				     "") "," REC("shared-1.5-h0_0.conda", "shared", "1.5", "h0_0",
						 0, "", "") "," REC("shared-2.1-h0_0.conda",
								    "shared", "2.1", "h0_0", 0, "",
								    ""),
		 NULL);
	const char *specs[] = {"left", "right"};
	assert_null(solve_run(s, specs, 2, &err));
	print_message("%s\n", err_msg(&err));
	assert_err_contains(&err, "cannot solve the environment:\n  requested: left, right\n");
	assert_err_contains(&err, "\n    - left 1.0, 1.1 requires shared 1.*");
	assert_err_contains(&err, "\n    - right 1.0 requires shared >=2");
	assert_true(strstr(err_msg(&err), "cannot install both") == NULL); /* no libsolv dump */
	err_clear(&err);
	solve_free(s);
}

static void test_explain_missing_cuda_driver_says_how_to_fix(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = gpu_channel();
	assert_int_equal(solve_add_virtual(s, "__glibc", "2.36", NULL, &err), 0);
	assert_null(solve1(s, "gpulib >=1", &err));
	print_message("%s\n", err_msg(&err));
	assert_string_equal(
		err_msg(&err),
		"cannot solve the environment:\n"
		"  requested: gpulib >=1\n"
		"    - gpulib 1.0 requires __cuda >=12, but the target has no __cuda (virtual "
		"package)");
	assert_int_equal(err.hint, ERR_HINT_VIRTUAL_PACKAGES); /* the CLI names --cuda */
	err_clear(&err);
	solve_free(s);
}

static void test_explain_old_glibc_names_the_target_version(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = gpu_channel();
	assert_int_equal(solve_add_virtual(s, "__glibc", "2.36", NULL, &err), 0);
	assert_null(solve1(s, "newlibc", &err));
	assert_err_contains(&err,
			    "newlibc 1.0 requires __glibc >=2.40, but the target has __glibc 2.36 "
			    "(virtual package)");
	assert_int_equal(err.hint, ERR_HINT_VIRTUAL_PACKAGES);
	err_clear(&err);
	solve_free(s);
}

static void test_explain_constrains(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	add_repo(s, "c", "linux-64", 0,
		 REC("app-1.0-h0_0.conda", "app", "1.0", "h0_0", 0, "",
		     "\"lib <2\"") "," REC("lib-2.0-h0_0.conda", "lib", "2.0", "h0_0", 0, "", ""),
		 NULL);
	const char *specs[] = {"app", "lib >=2"};
	assert_null(solve_run(s, specs, 2, &err));
	print_message("%s\n", err_msg(&err));
	assert_err_contains(&err, "requested: app, lib >=2");
	assert_err_contains(&err, "app 1.0 constrains lib <2, which excludes lib 2.0");
	err_clear(&err);
	solve_free(s);
}

static void test_channel_prefix_without_match_is_an_error(void **state)
{
	(void)state;
	solver_t *s = two_channels();
	err_t err = ERR_INIT;
	assert_null(solve1(s, "chan-a::baz", &err));
	assert_err_contains(&err, "no package matches 'chan-a::baz' in channel chan-a");
	err_clear(&err);
	assert_null(solve1(s, "elsewhere::foo", &err));
	assert_err_contains(&err, "no package matches 'elsewhere::foo' in channel elsewhere");
	assert_err_contains(&err, "not in the channel list (chan-a, chan-b)");
	err_clear(&err);
	solve_free(s);
}

/* A channel given by URL (-c file:///mirror/conda-forge) is the channel a "conda-forge::x"
 * spec names when --channel-alias file:///mirror says where names live. */
static void test_channel_prefix_resolves_with_the_channel_alias(void **state)
{
	(void)state;
	solver_t *s = new_solver();
	err_t err = ERR_INIT;
	buf_t url = BUF_INIT, alias = BUF_INIT;
	char *path =
		write_repodata("mirror/conda-forge", "linux-64",
			       REC("foo-1.0-h0_0.conda", "foo", "1.0", "h0_0", 0, "", ""), NULL);
	buf_addf(&alias, "file://%s/mirror", tmpdir.data);
	buf_addf(&url, "%s/conda-forge", alias.data);
	if (solve_add_repodata(s, url.data, url.data, "linux-64", path, 0, &err) != 0)
		fail_msg("%s", err_msg(&err));
	assert_null(solve1(s, "conda-forge::foo", &err)); /* the default alias names another URL */
	assert_err_contains(&err, "not in the channel list");
	err_clear(&err);
	solve_set_channel_alias(s, alias.data);
	solution_t *sol = solve1(s, "conda-forge::foo", &err);
	if (!sol)
		fail_msg("%s", err_msg(&err));
	assert_has(sol, "foo", "1.0", "h0_0");
	solution_free(sol);
	free(path);
	buf_free(&url);
	buf_free(&alias);
	solve_free(s);
}

static void test_unknown_package_names_channels_searched(void **state)
{
	(void)state;
	solver_t *s = two_channels();
	err_t err = ERR_INIT;
	assert_null(solve1(s, "nosuchpkg >=1", &err));
	assert_err_contains(&err,
			    "nothing provides 'nosuchpkg >=1' (channels searched: chan-a, chan-b)");
	err_clear(&err);
	assert_null(solve1(s, "foo >=3", &err));
	assert_err_contains(&err, "nothing provides 'foo >=3'");
	err_clear(&err);
	solve_free(s);
}

/* gpulib 1.0 needs a CUDA 12 driver; gpulib 0.9 is the CPU fallback. */
static solver_t *gpu_channel(void)
{
	solver_t *s = new_solver();
	add_repo(s, "gpu", "linux-64", 0,
		 REC("gpulib-1.0-cuda_0.conda", "gpulib", "1.0", "cuda_0", 0,
		     "\"__cuda >=12\", \"__glibc >=2.17\"",
		     "") "," REC("gpulib-0.9-cpu_0.conda", "gpulib", "0.9", "cpu_0", 0,
				 "\"__glibc >=2.17\"",
				 "") "," REC("newlibc-1.0-h0_0.conda", "newlibc", "1.0", "h0_0", 0,
					     "\"__glibc >=2.40\"", ""),
		 NULL);
	return s;
}

static void test_virtual_cuda_enables_the_cuda_build_and_is_not_installed(void **state)
{
	(void)state;
	solver_t *s = gpu_channel();
	err_t err = ERR_INIT;
	assert_int_equal(solve_add_virtual(s, "__glibc", "2.36", NULL, &err), 0);
	assert_int_equal(solve_add_virtual(s, "__cuda", "12.4", NULL, &err), 0);
	solution_t *sol = solve1(s, "gpulib", &err);
	if (!sol)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(solution_count(sol), 1);
	assert_has(sol, "gpulib", "1.0", "cuda_0");
	assert_null(solution_find(sol, "__cuda"));
	assert_null(solution_find(sol, "__glibc"));
	solution_free(sol);
	solve_free(s);
}

static void test_old_or_missing_cuda_falls_back_to_cpu_build(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = gpu_channel();
	assert_int_equal(solve_add_virtual(s, "__glibc", "2.36", NULL, &err), 0);
	assert_int_equal(solve_add_virtual(s, "__cuda", "11.8", NULL, &err), 0);
	solution_t *sol = solve1(s, "gpulib", &err);
	assert_non_null(sol);
	assert_has(sol, "gpulib", "0.9", "cpu_0");
	solution_free(sol);
	solve_free(s);

	s = gpu_channel();
	assert_int_equal(solve_add_virtual(s, "__glibc", "2.36", NULL, &err), 0);
	sol = solve1(s, "gpulib", &err);
	assert_non_null(sol);
	assert_has(sol, "gpulib", "0.9", "cpu_0");
	solution_free(sol);
	/* Asking for the CUDA build without a driver explains why not. */
	assert_null(solve1(s, "gpulib >=1", &err));
	assert_err_contains(&err, "cannot solve the environment:");
	assert_err_contains(&err, "__cuda");
	err_clear(&err);
	solve_free(s);
}

static void test_too_old_glibc_is_reported(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = gpu_channel();
	assert_int_equal(solve_add_virtual(s, "__glibc", "2.36", NULL, &err), 0);
	assert_null(solve1(s, "newlibc", &err));
	assert_err_contains(&err, "cannot solve the environment:");
	assert_err_contains(&err, "newlibc");
	assert_err_contains(&err, "__glibc >=2.40");
	err_clear(&err);
	solve_free(s);
}

static void test_bad_virtual_package_is_rejected(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	assert_int_equal(solve_add_virtual(s, "cuda", "12", NULL, &err), -1);
	assert_err_contains(&err, "'cuda' must be named __something");
	err_clear(&err);
	solve_free(s);
}

static void test_conflict_names_the_packages_involved(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	add_repo(s, "c", "linux-64", 0,
		 REC("left-1.0-h0_0.conda", "left", "1.0", "h0_0", 0, "\"shared 1.*\"", "") "," REC(
			 "right-1.0-h0_0.conda", "right", "1.0", "h0_0", 0, "\"shared >=2\"",
			 "") "," REC("shared-1.5-h0_0.conda", "shared", "1.5", "h0_0", 0, "",
				     "") "," REC("shared-2.1-h0_0.conda", "shared", "2.1", "h0_0",
						 0, "", ""),
		 NULL);
	const char *specs[] = {"left", "right"};
	assert_null(solve_run(s, specs, 2, &err));
	assert_err_contains(&err, "cannot solve the environment:\n");
	assert_err_contains(&err, "left 1.0 requires shared 1.*");
	assert_err_contains(&err, "right 1.0 requires shared >=2");
	assert_err_contains(&err, "shared");
	print_message("conflict explanation:\n%s\n", err_msg(&err));
	err_clear(&err);
	solve_free(s);
}

static solver_t *blas_channel(void)
{
	solver_t *s = new_solver();
	/* openblas has the higher build number, so it is the default pick. */
	add_repo(s, "c", "linux-64", 0,
		 REC("blas-1.0-h1_mkl.conda", "blas", "1.0", "h1_mkl", 1, "", "") "," REC(
			 "blas-1.0-h2_openblas.conda", "blas", "1.0", "h2_openblas", 2, "", ""),
		 NULL);
	return s;
}

static void test_build_string_spec_selects_variant(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = blas_channel();
	solution_t *sol = solve1(s, "blas", &err);
	assert_non_null(sol);
	assert_has(sol, "blas", "1.0", "h2_openblas");
	solution_free(sol);
	sol = solve1(s, "blas=*=*mkl", &err);
	if (!sol)
		fail_msg("%s", err_msg(&err));
	assert_has(sol, "blas", "1.0", "h1_mkl");
	solution_free(sol);
	assert_null(solve1(s, "blas=*=*accelerate", &err));
	assert_err_contains(&err, "nothing provides 'blas=*=*accelerate'");
	err_clear(&err);
	solve_free(s);
}

static void test_build_number_in_brackets_filters_candidates(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = blas_channel();
	solution_t *sol = solve1(s, "blas[build_number=1]", &err);
	if (!sol)
		fail_msg("%s", err_msg(&err));
	assert_has(sol, "blas", "1.0", "h1_mkl"); /* not the default h2_openblas */
	solution_free(sol);
	sol = solve1(s, "blas[build_number='<2']", &err);
	assert_non_null(sol);
	assert_has(sol, "blas", "1.0", "h1_mkl");
	solution_free(sol);
	assert_null(solve1(s, "blas[build_number='>=3']", &err));
	assert_err_contains(&err, "no package matches 'blas[build_number='>=3']'");
	assert_err_contains(&err, "build numbers checked");
	err_clear(&err);
	solve_free(s);
}

static void test_any_channel_subdir_prefix_restricts_the_subdir(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	/* the noarch build is newer, so it wins without a subdir restriction */
	add_repo(s, "c", "linux-64", 0,
		 REC("tool-1.0-h0_0.conda", "tool", "1.0", "h0_0", 0, "", ""), NULL);
	add_repo(s, "c", "noarch", 0,
		 "\"tool-2.0-pyh0_0.conda\": {\"name\": \"tool\", \"version\": \"2.0\", \"build\": "
		 "\"pyh0_0\", \"build_number\": 0, \"depends\": [], \"subdir\": \"noarch\"}",
		 NULL);
	solution_t *sol = solve1(s, "tool", &err);
	assert_non_null(sol);
	assert_has(sol, "tool", "2.0", NULL);
	solution_free(sol);
	sol = solve1(s, "*/linux-64::tool", &err);
	if (!sol)
		fail_msg("%s", err_msg(&err));
	assert_has(sol, "tool", "1.0", "h0_0");
	assert_string_equal(solution_find(sol, "tool")->subdir, "linux-64");
	solution_free(sol);
	assert_null(solve1(s, "*/osx-64::tool", &err));
	assert_err_contains(&err, "no package matches '*/osx-64::tool'");
	err_clear(&err);
	solve_free(s);
}

static void test_constrains_are_honoured(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	add_repo(s, "c", "linux-64", 0,
		 REC("app-1.0-h0_0.conda", "app", "1.0", "h0_0", 0, "\"lib\"", "") "," REC(
			 "other-1.0-h0_0.conda", "other", "1.0", "h0_0", 0, "",
			 "\"lib <2\"") "," REC("lib-1.0-h0_0.conda", "lib", "1.0", "h0_0", 0, "",
					       "") "," REC("lib-2.0-h0_0.conda", "lib", "2.0",
							   "h0_0", 0, "", ""),
		 NULL);
	solution_t *sol = solve1(s, "app", &err);
	assert_non_null(sol);
	assert_has(sol, "lib", "2.0", NULL);
	solution_free(sol);
	const char *specs[] = {"app", "other"};
	sol = must_solve(s, specs, 2);
	assert_has(sol, "lib", "1.0", NULL);
	assert_has(sol, "other", "1.0", NULL);
	solution_free(sol);
	/* A constrained package that is not needed is not pulled in. */
	sol = solve1(s, "other", &err);
	assert_int_equal(solution_count(sol), 1);
	solution_free(sol);
	solve_free(s);
}

static void test_conda_format_record_is_preferred_over_tar_bz2(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	solver_t *s = new_solver();
	add_repo(s, "c", "linux-64", 0, REC("z-1.0-h0_0.conda", "z", "1.0", "h0_0", 0, "", ""),
		 REC("z-1.0-h0_0.tar.bz2", "z", "1.0", "h0_0", 0, "", ""));
	solution_t *sol = solve1(s, "z", &err);
	assert_non_null(sol);
	assert_int_equal(solution_count(sol), 1);
	assert_string_equal(solution_get(sol, 0)->fn, "z-1.0-h0_0.conda");
	solution_free(sol);
	solve_free(s);
}

static void test_bad_repodata_names_the_file(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	buf_t path = BUF_INIT;
	solver_t *s = new_solver();
	buf_addf(&path, "%s/broken.json", tmpdir.data);
	assert_int_equal(fs_write_atomic(path.data, "{\"packages\": {\n oops", 20, &err), 0);
	assert_int_equal(solve_add_repodata(s, "x", "file:///x", "linux-64", path.data, 0, &err),
			 -1);
	assert_err_contains(&err, path.data);
	assert_err_contains(&err, "line 2");
	err_clear(&err);
	buf_free(&path);
	solve_free(s);
}

/* ---- independent consistency check ---- */

typedef struct {
	const char *name, *version, *build;
} virt_t;

static const virt_t VIRTUALS[] = {
	{"__glibc", "2.36", "0"}, {"__linux", "6.1", "0"},       {"__unix", "0", "0"},
	{"__cuda", "12.4", "0"},  {"__archspec", "1", "x86_64"},
};
#define N_VIRTUALS (sizeof VIRTUALS / sizeof VIRTUALS[0])

/* Finds name among recs or the virtual packages; returns 1 and fills version/build. */
static int lookup(const pkgrec_t *const *recs, size_t n, const char *name, const char **version,
		  const char **build)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(recs[i]->name, name) == 0) {
			*version = recs[i]->version;
			*build = recs[i]->build;
			return 1;
		}
	for (size_t i = 0; i < N_VIRTUALS; i++)
		if (strcmp(VIRTUALS[i].name, name) == 0) {
			*version = VIRTUALS[i].version;
			*build = VIRTUALS[i].build;
			return 1;
		}
	return 0;
}

/* Returns "" when the set is consistent, else a description of the first problem (into msg). */
static const char *check_consistent(const pkgrec_t *const *recs, size_t n, const char *const *reqs,
				    size_t n_reqs, buf_t *msg)
{
	buf_reset(msg);
	for (size_t i = 0; i < n && !msg->len; i++) {
		for (size_t j = 0; j < n; j++)
			if (i != j && strcmp(recs[i]->name, recs[j]->name) == 0)
				buf_addf(msg, "two packages named %s", recs[i]->name);
		for (int kind = 0; kind < 2 && !msg->len; kind++) {
			char **deps = kind ? recs[i]->constrains : recs[i]->depends;
			size_t nd = kind ? recs[i]->n_constrains : recs[i]->n_depends;
			for (size_t d = 0; d < nd && !msg->len; d++) {
				char name[256];
				const char *v, *b;
				if (condaver_dep_name(deps[d], name, sizeof name) != 0) {
					buf_addf(msg, "%s: unreadable dependency '%s'", recs[i]->fn,
						 deps[d]);
					break;
				}
				if (!lookup(recs, n, name, &v, &b)) {
					if (!kind)
						buf_addf(msg,
							 "%s depends on '%s' but no %s was chosen",
							 recs[i]->fn, deps[d], name);
					continue; /* a constraint on an absent package holds */
				}
				int r = condaver_dep_matches(deps[d], name, v, b);
				if (r != 1)
					buf_addf(msg, "%s %s '%s' but %s %s %s was chosen%s",
						 recs[i]->fn, kind ? "constrains" : "depends on",
						 deps[d], name, v, b,
						 r < 0 ? " (unreadable spec)" : "");
			}
		}
	}
	for (size_t q = 0; q < n_reqs && !msg->len; q++) {
		int ok = 0;
		for (size_t i = 0; i < n && !ok; i++)
			ok = condaver_request_matches(reqs[q], recs[i]->name, recs[i]->version,
						      recs[i]->build) == 1;
		if (!ok)
			buf_addf(msg, "request '%s' is not satisfied", reqs[q]);
	}
	return msg->data ? msg->data : "";
}

static void test_condaver_orders_like_conda(void **state)
{
	(void)state;
	const char *ascending[] = {"0.4",       "0.4.1.rc",   "0.4.1",     "0.5a1",      "0.5b3",
				   "0.5C1",     "0.5",        "0.9.6",     "0.960923",   "1.0",
				   "1.1dev1",   "1.1a1",      "1.1.0dev1", "1.1.a1",     "1.1.0rc1",
				   "1.1.0",     "1.1.0post1", "1.1post1",  "1996.07.12", "1!0.4.1",
				   "1!3.1.1.6", "2!0.4.1"};
	size_t n = sizeof ascending / sizeof ascending[0];
	for (size_t i = 0; i + 1 < n; i++)
		if (condaver_cmp(ascending[i], ascending[i + 1]) >= 0)
			fail_msg("expected %s < %s", ascending[i], ascending[i + 1]);
	assert_int_equal(condaver_cmp("1.0", "1.0.0"), 0);
	assert_int_equal(condaver_cmp("1_2", "1.2"), 0);
}

static void test_condaver_matches_dependency_strings(void **state)
{
	(void)state;
	assert_int_equal(
		condaver_dep_matches("python >=3.12,<3.13.0a0", "python", "3.12.12", "h_0"), 1);
	assert_int_equal(
		condaver_dep_matches("python >=3.12,<3.13.0a0", "python", "3.13.0rc1", "h"), 0);
	assert_int_equal(condaver_dep_matches("python >=3.12,<3.13.0a0", "python", "3.11.9", "h"),
			 0);
	assert_int_equal(condaver_dep_matches("python 3.12.*", "python", "3.12.1", "h"), 1);
	assert_int_equal(condaver_dep_matches("python 3.1.*", "python", "3.12.1", "h"), 0);
	assert_int_equal(condaver_dep_matches("python 2.7.*|>=3.5", "python", "3.12.1", "h"), 1);
	assert_int_equal(condaver_dep_matches("python 2.7.*|>=3.5", "python", "3.4", "h"), 0);
	assert_int_equal(condaver_dep_matches("rich ~=11.1.0", "rich", "11.1.5", "h"), 1);
	assert_int_equal(condaver_dep_matches("rich ~=11.1.0", "rich", "11.2.0", "h"), 0);
	assert_int_equal(condaver_dep_matches("pt >=2.0.0,!=3.0.0,<3.1.0", "pt", "3.0.0", "h"), 0);
	assert_int_equal(condaver_dep_matches("libgcc-ng >=12", "libgcc-ng", "13.2.0", "h0"), 1);
	assert_int_equal(condaver_dep_matches("_libgcc_mutex 0.1 conda_forge", "_libgcc_mutex",
					      "0.1", "conda_forge"),
			 1);
	assert_int_equal(condaver_dep_matches("_libgcc_mutex 0.1 conda_forge", "_libgcc_mutex",
					      "0.1", "main"),
			 0);
	assert_int_equal(
		condaver_dep_matches("pytorch * cuda*", "pytorch", "2.3.0", "cuda120_py311_300"),
		1);
	assert_int_equal(
		condaver_dep_matches("pytorch * cuda*", "pytorch", "2.3.0", "cpu_py311_300"), 0);
	assert_int_equal(condaver_dep_matches("numpy 1.2", "numpy", "1.2.0", "h"), 1);
	assert_int_equal(condaver_dep_matches("numpy 1.2", "numpy", "1.2.1", "h"), 0);
	assert_int_equal(condaver_request_matches("python=3.12", "python", "3.12.12", "h"), 1);
	assert_int_equal(condaver_request_matches("python=3.1", "python", "3.12.12", "h"), 0);
	assert_int_equal(condaver_request_matches("blas=*=*mkl", "blas", "1.0", "h_mkl"), 1);
}

static void test_consistency_check_catches_a_broken_set(void **state)
{
	(void)state;
	pkgrec_t a = {0}, b = {0};
	char *adeps[] = {"b >=2,<3", "__glibc >=2.17"};
	char *bcons[] = {"a <1"};
	a.name = "a", a.version = "1.0", a.build = "0", a.fn = "a-1.0-0.conda";
	a.depends = adeps, a.n_depends = 2;
	b.name = "b", b.version = "2.5", b.build = "0", b.fn = "b-2.5-0.conda";
	const pkgrec_t *recs[] = {&a, &b};
	const char *reqs[] = {"a"};
	buf_t msg = BUF_INIT;
	assert_string_equal(check_consistent(recs, 2, reqs, 1, &msg), "");
	b.version = "3.0";
	assert_non_null(strstr(check_consistent(recs, 2, reqs, 1, &msg), "depends on 'b >=2,<3'"));
	b.version = "2.5";
	b.constrains = bcons, b.n_constrains = 1;
	assert_non_null(strstr(check_consistent(recs, 2, reqs, 1, &msg), "constrains 'a <1'"));
	b.n_constrains = 0;
	const char *reqs2[] = {"a >=2"};
	assert_non_null(strstr(check_consistent(recs, 2, reqs2, 1, &msg), "request 'a >=2'"));
	assert_non_null(strstr(check_consistent(recs, 1, reqs, 1, &msg), "no b was chosen"));
	buf_free(&msg);
}

/* ---- real conda-forge records ---- */

/* The corpus channel with the VIRTUALS, leaving out the one named skip_virtual (or none). */
static const char *g_solv_cache; /* set by the .solv cache tests */

static solver_t *corpus_solver_without(const char *skip_virtual)
{
	const char *shared = getenv("IMGBUILD_SHARED");
	buf_t base = BUF_INIT, path = BUF_INIT, url = BUF_INIT;
	err_t err = ERR_INIT;
	solver_t *s = NULL;
	buf_addf(&base, "%s/corpus/channels/conda-forge-from-locks",
		 shared ? shared : "/nonexistent");
	if (!fs_is_dir(base.data))
		goto out;
	s = new_solver();
	solve_set_cache_dir(s, g_solv_cache);
	buf_addf(&url, "file://%s", base.data);
	const char *subdirs[] = {"linux-64", "noarch"};
	for (int i = 0; i < 2; i++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s/repodata.json", base.data, subdirs[i]);
		if (solve_add_repodata(s, "conda-forge", url.data, subdirs[i], path.data, 0,
				       &err) != 0)
			fail_msg("%s", err_msg(&err));
	}
	for (size_t i = 0; i < N_VIRTUALS; i++)
		if (!skip_virtual || strcmp(skip_virtual, VIRTUALS[i].name) != 0)
			assert_int_equal(solve_add_virtual(s, VIRTUALS[i].name, VIRTUALS[i].version,
							   VIRTUALS[i].build, &err),
					 0);
out:
	buf_free(&base);
	buf_free(&path);
	buf_free(&url);
	return s;
}

static solver_t *corpus_solver(void)
{
	return corpus_solver_without(NULL);
}

static void solve_and_check(solver_t *s, const char *const *reqs, size_t n_reqs, solution_t **out)
{
	err_t err = ERR_INIT;
	buf_t msg = BUF_INIT;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	solution_t *sol = solve_run(s, reqs, n_reqs, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!sol)
		fail_msg("solving %s failed: %s", reqs[0], err_msg(&err));
	size_t n = solution_count(sol);
	const pkgrec_t **recs = calloc(n + 1, sizeof *recs);
	for (size_t i = 0; i < n; i++)
		recs[i] = solution_get(sol, i);
	const char *problem = check_consistent(recs, n, reqs, n_reqs, &msg);
	if (*problem)
		fail_msg("solution for '%s'... is inconsistent: %s", reqs[0], problem);
	print_message("request '%s'%s: %zu packages, consistent (%.2f s)\n", reqs[0],
		      n_reqs > 1 ? " ..." : "", n,
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(recs);
	buf_free(&msg);
	*out = sol;
}

static void test_corpus_python_pytorch_is_consistent_and_uses_cuda(void **state)
{
	(void)state;
	solver_t *s = corpus_solver();
	if (!s) {
		print_message("skipping: $IMGBUILD_SHARED/corpus/channels/conda-forge-from-locks "
			      "absent\n");
		skip();
	}
	/* The corpus holds only CUDA builds of pytorch 2.3 (py311); python=3.11 matches it. */
	const char *reqs[] = {"python=3.11", "pytorch"};
	solution_t *sol = NULL;
	solve_and_check(s, reqs, 2, &sol);
	const pkgrec_t *pt = solution_find(sol, "pytorch");
	assert_non_null(pt);
	if (strncmp(pt->build, "cuda", 4) != 0)
		fail_msg("pytorch build %s is not a CUDA build although __cuda 12.4 is present",
			 pt->build);
	assert_null(solution_find(sol, "__cuda"));
	solution_free(sol);
	solve_free(s);
}

static void test_corpus_pytorch_without_cuda_driver_is_refused(void **state)
{
	(void)state;
	solver_t *s = corpus_solver_without("__cuda");
	if (!s)
		skip();
	/* Every pytorch in the records is a CUDA build that depends on __cuda. */
	err_t err = ERR_INIT;
	const char *reqs[] = {"python=3.11", "pytorch"};
	assert_null(solve_run(s, reqs, 2, &err));
	assert_err_contains(&err, "cannot solve the environment:");
	assert_err_contains(&err, "__cuda");
	err_clear(&err);
	solve_free(s);
}

static void test_corpus_python312_pytorch_is_unsatisfiable_with_a_reason(void **state)
{
	(void)state;
	solver_t *s = corpus_solver();
	if (!s)
		skip();
	/* No py312 pytorch exists in the records: the solver must say so, not pick py311. */
	err_t err = ERR_INIT;
	const char *reqs[] = {"python=3.12", "pytorch"};
	solution_t *sol = solve_run(s, reqs, 2, &err);
	assert_null(sol);
	assert_err_contains(&err, "cannot solve the environment:");
	assert_err_contains(&err, "pytorch");
	err_clear(&err);
	solve_free(s);
}

static void test_corpus_realistic_requests_are_consistent(void **state)
{
	(void)state;
	solver_t *s = corpus_solver();
	if (!s)
		skip();
	const char *numpy[] = {"numpy"};
	const char *xarray[] = {"xarray", "dask"};
	const char *sci[] = {"python=3.12", "scipy", "pandas", "matplotlib-base"};
	const char *const *reqs[] = {numpy, xarray, sci};
	size_t counts[] = {1, 2, 4};
	for (size_t i = 0; i < 3; i++) {
		solution_t *sol = NULL;
		solve_and_check(s, reqs[i], counts[i], &sol);
		solution_free(sol);
	}
	solve_free(s);
}

static int group_setup(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	return fs_mkdtemp(tmp, "test_solve.", &tmpdir, &err);
}

static int group_teardown(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	fs_rm_rf(tmpdir.data, &err);
	buf_free(&tmpdir);
	return 0;
}

/* ---- .solv cache ---- */

static solution_t *solve_pytorch(solver_t *s)
{
	const char *reqs[] = {"python=3.11", "pytorch", "numpy"};
	return must_solve(s, reqs, 3);
}

static void test_corpus_warm_solve_from_solv_cache_equals_cold(void **state)
{
	(void)state;
	buf_t cache = BUF_INIT;
	buf_addf(&cache, "%s/solvcache", tmpdir.data);
	g_solv_cache = cache.data;
	solver_t *cold = corpus_solver();
	if (!cold) {
		g_solv_cache = NULL;
		buf_free(&cache);
		print_message("skipping: $IMGBUILD_SHARED/corpus/channels/conda-forge-from-locks "
			      "absent\n");
		skip();
	}
	struct timespec t0, t1;
	solution_t *a = solve_pytorch(cold);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	solver_t *warm = corpus_solver(); /* same bytes: loads the .solv files */
	solution_t *b = solve_pytorch(warm);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	g_solv_cache = NULL;
	print_message("warm load + solve: %zu packages in %.3f s\n", solution_count(b),
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_int_equal(solution_count(a), solution_count(b));
	for (size_t i = 0; i < solution_count(a); i++) {
		const pkgrec_t *x = solution_get(a, i), *y = solution_get(b, i);
		assert_string_equal(x->url, y->url);
		assert_string_equal(x->sha256 ? x->sha256 : "", y->sha256 ? y->sha256 : "");
		assert_int_equal(x->n_depends, y->n_depends);
		/* the record conda-meta is written from is the same JSON */
		if (!json_equal(x->raw, y->raw))
			fail_msg("%s: warm record differs from the repodata record", x->fn);
	}
	solution_free(a);
	solution_free(b);
	solve_free(cold);
	solve_free(warm);
	buf_free(&cache);
}

/* Proof that a warm solve reads records from the index, not the JSON: damage the index and
 * the warm solve must say so (naming the file and what to do) instead of succeeding. */
static void test_solv_cache_records_come_from_the_index(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	buf_t cache = BUF_INIT, idx = BUF_INIT, url = BUF_INIT;
	buf_addf(&cache, "%s/solvcache2", tmpdir.data);
	char *path = write_repodata("cc", "linux-64",
				    REC("zz-1.0-h0_0.conda", "zz", "1.0", "h0_0", 0, "", ""), NULL);
	buf_addf(&url, "file://%s/cc", tmpdir.data);
	for (int round = 0; round < 3; round++) {
		solver_t *s = new_solver();
		solve_set_cache_dir(s, cache.data);
		assert_int_equal(solve_add_repodata(s, "cc", url.data, "linux-64", path, 0, &err),
				 0);
		solution_t *sol = solve1(s, "zz", &err);
		if (round < 2) { /* cold, then warm: both fine */
			if (!sol)
				fail_msg("round %d: %s", round, err_msg(&err));
			assert_has(sol, "zz", "1.0", "h0_0");
		} else {
			assert_null(sol);
			assert_err_contains(&err,
					    ".idx: no record zz-1.0-h0_0.conda (stale index)");
			assert_err_contains(&err, "solve again");
			err_clear(&err);
		}
		solution_free(sol);
		solve_free(s);
		if (round == 1) {
			/* rename the record inside the index: same length, different file name */
			buf_t dir = BUF_INIT, text = BUF_INIT;
			buf_addf(&dir, "%s/repodata/records", cache.data);
			DIR *dd = opendir(dir.data);
			struct dirent *de;
			while (dd && (de = readdir(dd)) != NULL)
				if (strstr(de->d_name, ".idx"))
					buf_addf(&idx, "%s/%s", dir.data, de->d_name);
			if (dd)
				closedir(dd);
			assert_true(idx.len > 0);
			assert_int_equal(buf_read_file(&text, idx.data, 1 << 20, &err), 0);
			char *hit = NULL; /* binary offsets come first: no strstr */
			for (size_t k = 0; k + 6 <= text.len && !hit; k++)
				if (!memcmp(text.data + k, "zz-1.0", 6))
					hit = text.data + k;
			assert_non_null(hit);
			hit[1] = 'y';
			assert_int_equal(fs_write_atomic(idx.data, text.data, text.len, &err), 0);
			buf_free(&dir);
			buf_free(&text);
		}
	}
	free(path);
	buf_free(&cache);
	buf_free(&idx);
	buf_free(&url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_channel_wins_over_newer_versions_elsewhere),
		cmocka_unit_test(test_solution_is_sorted_by_name),
		cmocka_unit_test(test_channel_prefix_restricts_to_that_channel),
		cmocka_unit_test(test_channel_prefix_without_match_is_an_error),
		cmocka_unit_test(test_channel_prefix_resolves_with_the_channel_alias),
		cmocka_unit_test(test_flexible_priority_prefers_first_channel_but_falls_back),
		cmocka_unit_test(test_disabled_priority_takes_the_newest_across_channels),
		cmocka_unit_test(test_priority_names_parse),
		cmocka_unit_test(test_explain_requested_version_against_a_dependency),
		cmocka_unit_test(test_explain_two_packages_wanting_different_versions),
		cmocka_unit_test(test_explain_missing_cuda_driver_says_how_to_fix),
		cmocka_unit_test(test_explain_old_glibc_names_the_target_version),
		cmocka_unit_test(test_explain_constrains),
		cmocka_unit_test(test_unknown_package_names_channels_searched),
		cmocka_unit_test(test_virtual_cuda_enables_the_cuda_build_and_is_not_installed),
		cmocka_unit_test(test_old_or_missing_cuda_falls_back_to_cpu_build),
		cmocka_unit_test(test_too_old_glibc_is_reported),
		cmocka_unit_test(test_bad_virtual_package_is_rejected),
		cmocka_unit_test(test_conflict_names_the_packages_involved),
		cmocka_unit_test(test_build_string_spec_selects_variant),
		cmocka_unit_test(test_build_number_in_brackets_filters_candidates),
		cmocka_unit_test(test_any_channel_subdir_prefix_restricts_the_subdir),
		cmocka_unit_test(test_constrains_are_honoured),
		cmocka_unit_test(test_conda_format_record_is_preferred_over_tar_bz2),
		cmocka_unit_test(test_bad_repodata_names_the_file),
		cmocka_unit_test(test_condaver_orders_like_conda),
		cmocka_unit_test(test_condaver_matches_dependency_strings),
		cmocka_unit_test(test_consistency_check_catches_a_broken_set),
		cmocka_unit_test(test_corpus_python_pytorch_is_consistent_and_uses_cuda),
		cmocka_unit_test(test_corpus_pytorch_without_cuda_driver_is_refused),
		cmocka_unit_test(test_corpus_python312_pytorch_is_unsatisfiable_with_a_reason),
		cmocka_unit_test(test_corpus_realistic_requests_are_consistent),
		cmocka_unit_test(test_corpus_warm_solve_from_solv_cache_equals_cold),
		cmocka_unit_test(test_solv_cache_records_come_from_the_index),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
