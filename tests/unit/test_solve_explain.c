/* test_solve_explain.c — conflict explanations on requests with many specs: libsolv's job
 * rules report a job index where package rules report a solvable, and the explainer must
 * never read the former as the latter (it once crashed on a 783-spec environment). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "solve.h"

/* A channel with n independent packages p000..p(n-1) and one needing __cuda. */
static void write_channel(const char *dir, int n)
{
	buf_t j = BUF_INIT, path = BUF_INIT;
	err_t e = ERR_INIT;
	buf_addstr(&j, "{\"info\":{\"subdir\":\"linux-64\"},\"packages\":{");
	for (int i = 0; i < n; i++)
		buf_addf(&j,
			 "\"p%03d-1.0-0.tar.bz2\":{\"name\":\"p%03d\",\"version\":\"1.0\","
			 "\"build\":\"0\","
			 "\"build_number\":0,\"depends\":[],\"subdir\":\"linux-64\"},",
			 i, i);
	buf_addstr(&j,
		   "\"gpu-1.0-0.tar.bz2\":{\"name\":\"gpu\",\"version\":\"1.0\",\"build\":\"0\","
		   "\"build_number\":0,\"depends\":[\"__cuda >=12\"],\"subdir\":\"linux-64\"}}}");
	buf_setstr(&path, dir);
	buf_addpath(&path, "linux-64.json");
	assert_int_equal(fs_write_atomic(path.data, j.data, j.len, &e), 0);
	buf_free(&j);
	buf_free(&path);
}

static void test_many_specs_conflict_is_explained_without_crashing(void **state)
{
	(void)state;
	enum { N = 400 }; /* far more jobs than solvables in the pool */
	buf_t dir = BUF_INIT, path = BUF_INIT;
	err_t e = ERR_INIT;
	const char *specs[N + 1];
	char names[N][8];
	assert_int_equal(fs_mkdtemp("/tmp", "imgbuild-explain-", &dir, &e), 0);
	write_channel(dir.data, N);
	buf_setstr(&path, dir.data);
	buf_addpath(&path, "linux-64.json");
	solver_t *s = solve_new(&e);
	assert_non_null(s);
	assert_int_equal(
		solve_add_repodata(s, "local", "file:///local", "linux-64", path.data, 0, &e), 0);
	assert_int_equal(solve_add_virtual(s, "__glibc", "2.36", "0", &e), 0);
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "p%03d", i);
		specs[i] = names[i];
	}
	specs[N] = "gpu";
	solution_t *sol = solve_run(s, specs, N + 1, &e);
	assert_null(sol);
	assert_non_null(strstr(err_msg(&e), "cannot solve"));
	assert_non_null(strstr(err_msg(&e), "gpu"));
	assert_non_null(strstr(err_msg(&e), "__cuda"));
	solve_free(s);
	fs_rm_rf(dir.data, &e);
	err_clear(&e);
	buf_free(&dir);
	buf_free(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_specs_conflict_is_explained_without_crashing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
