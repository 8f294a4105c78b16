/* test_pypi_tags.c — pypi/tags.c: the ranked wheel tags of a target against golden lists
 * written by pypa/packaging's own algorithm (tests/fixtures/pytags/gen, committed output),
 * the marker environment, wheel ranking, and refused targets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "distfile.h"
#include "err.h"
#include "tags.h"

static pypi_target_t *target(const char *py, const char *platform, const char *glibc)
{
	err_t err = ERR_INIT;
	pypi_target_t *t = pypi_target_new(py, platform, glibc, &err);
	if (!t)
		fail_msg("target %s %s %s: %s", py, platform, glibc, err_msg(&err));
	return t;
}

/* Compares t's tags line by line with tests/fixtures/pytags/<golden>. */
static void assert_tags_equal_golden(const pypi_target_t *t, const char *golden)
{
	const char *src = getenv("IMGBUILD_SRC");
	buf_t path = BUF_INIT, text = BUF_INIT;
	err_t err = ERR_INIT;
	size_t i = 0;
	assert_non_null(src);
	buf_addf(&path, "%s/tests/fixtures/pytags/%s", src, golden);
	if (buf_read_file(&text, buf_cstr(&path), 1 << 20, &err) < 0)
		fail_msg("%s", err_msg(&err));
	for (char *line = text.data; *line; i++) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = 0;
		if (i >= pypi_target_tag_count(t))
			fail_msg("%s: tag %zu '%s' missing (only %zu)", golden, i, line,
				 pypi_target_tag_count(t));
		if (strcmp(pypi_target_tag(t, i), line))
			fail_msg("%s: tag %zu is '%s', want '%s'", golden, i, pypi_target_tag(t, i),
				 line);
		assert_int_equal(pypi_target_tag_rank(t, line), (long)i);
		line = nl + 1;
	}
	assert_int_equal(pypi_target_tag_count(t), i);
	buf_free(&path);
	buf_free(&text);
}

static void test_cp311_x86_64_glibc_2_28_tags_match_packaging(void **state)
{
	(void)state;
	pypi_target_t *t = target("3.11.2", "linux-64", "2.28");
	assert_tags_equal_golden(t, "cp311-x86_64-glibc2.28.txt");
	pypi_target_free(t);
}

static void test_cp311_aarch64_glibc_2_28_tags_match_packaging(void **state)
{
	(void)state;
	pypi_target_t *t = target("3.11.2", "linux/arm64", "2.28");
	assert_tags_equal_golden(t, "cp311-aarch64-glibc2.28.txt");
	pypi_target_free(t);
}

static void test_cp312_x86_64_glibc_2_17_tags_match_packaging(void **state)
{
	(void)state;
	pypi_target_t *t = target("3.12.1", "x86_64", "2.17");
	assert_tags_equal_golden(t, "cp312-x86_64-glibc2.17.txt");
	pypi_target_free(t);
}

static void test_marker_environment_describes_the_target_not_the_host(void **state)
{
	(void)state;
	pypi_target_t *t = target("3.11.2", "linux-aarch64", "2.28");
	const pypi_marker_env_t *e = pypi_target_marker_env(t);
	assert_string_equal(e->python_version, "3.11");
	assert_string_equal(e->python_full_version, "3.11.2");
	assert_string_equal(e->implementation_version, "3.11.2");
	assert_string_equal(e->platform_machine, "aarch64");
	assert_string_equal(e->sys_platform, "linux");
	assert_string_equal(e->platform_system, "Linux");
	assert_string_equal(e->os_name, "posix");
	assert_string_equal(e->implementation_name, "cpython");
	assert_string_equal(e->platform_python_implementation, "CPython");
	assert_string_equal(e->platform_release, "");
	assert_string_equal(pypi_target_machine(t), "aarch64");
	pypi_target_free(t);
	t = target("3.12", "linux-64", "2.17");
	assert_string_equal(pypi_target_python_full_version(t), "3.12.0");
	assert_string_equal(pypi_target_python_version(t), "3.12");
	pypi_target_free(t);
}

static long rank_of(const pypi_target_t *t, const char *filename)
{
	err_t err = ERR_INIT;
	pypi_distfile_t *f = pypi_distfile_parse(filename, &err);
	if (!f)
		fail_msg("%s", err_msg(&err));
	long r = pypi_target_wheel_rank(t, f);
	pypi_distfile_free(f);
	return r;
}

static void test_wheels_rank_by_their_best_tag(void **state)
{
	(void)state;
	pypi_target_t *t = target("3.11.2", "linux-64", "2.28");
	long own =
		rank_of(t, "PyYAML-6.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
	long abi3 = rank_of(t, "cryptography-41.0.0-cp37-abi3-manylinux_2_28_x86_64.whl");
	long pure = rank_of(t, "six-1.16.0-py2.py3-none-any.whl");
	assert_true(own >= 0 && abi3 > own && pure > abi3);
	assert_int_equal(pure, pypi_target_tag_rank(t, "py3-none-any"));
	assert_int_equal(rank_of(t, "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.whl"), -1);
	assert_int_equal(rank_of(t, "x-1.0-cp311-cp311-manylinux_2_31_x86_64.whl"),
			 -1); /* newer glibc */
	assert_int_equal(rank_of(t, "x-1.0-cp311-cp311-manylinux_2_17_aarch64.whl"), -1);
	assert_int_equal(rank_of(t, "x-1.0-cp311-cp311-win_amd64.whl"), -1);
	assert_int_equal(rank_of(t, "x-1.0-py2-none-any.whl"), -1);
	assert_int_equal(rank_of(t, "x-1.0.tar.gz"), -1);
	pypi_target_free(t);
}

static void test_unsupported_targets_are_refused_with_the_reason(void **state)
{
	(void)state;
	static const char *const cases[][4] = {
		{"2.7.18", "linux-64", "2.28", "CPython 3"},
		{"pypy3.9", "linux-64", "2.28", "CPython 3"},
		{"3.11.2", "osx-arm64", "2.28", "linux x86_64"},
		{"3.11.2", "win-64", "2.28", "linux x86_64"},
		{"3.11.2", "linux-64", "2", "expected a version 2.N"},
		{"3.11.2", "linux-64", "3.1", "expected a version 2.N"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err_t err = ERR_INIT;
		assert_null(pypi_target_new(cases[i][0], cases[i][1], cases[i][2], &err));
		if (!strstr(err_msg(&err), cases[i][3]))
			fail_msg("'%s': '%s' lacks '%s'", cases[i][0], err_msg(&err), cases[i][3]);
		err_clear(&err);
	}
}

static void test_distfile_names_and_compressed_tag_sets(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	pypi_distfile_t *f = pypi_distfile_parse("Flask_SocketIO-5.3.6-1-py3-none-any.whl", &err);
	assert_non_null(f);
	assert_true(pypi_distfile_is_wheel(f));
	assert_string_equal(pypi_distfile_key(f), "flask-socketio");
	assert_string_equal(pep440_ver_str(pypi_distfile_version(f)), "5.3.6");
	assert_string_equal(pypi_distfile_build_tag(f), "1");
	assert_int_equal(pypi_distfile_tag_count(f), 1);
	pypi_distfile_free(f);
	f = pypi_distfile_parse("six-1.16.0-py2.py3-none-any.whl", &err);
	assert_int_equal(pypi_distfile_tag_count(f), 2);
	assert_string_equal(pypi_distfile_tag(f, 0), "py2-none-any");
	assert_string_equal(pypi_distfile_tag(f, 1), "py3-none-any");
	pypi_distfile_free(f);
	f = pypi_distfile_parse("python-dateutil-2.8.2.tar.gz", &err);
	assert_false(pypi_distfile_is_wheel(f));
	assert_string_equal(pypi_distfile_key(f), "python-dateutil");
	assert_int_equal(pypi_distfile_tag_count(f), 0);
	pypi_distfile_free(f);
	static const char *const bad[] = {
		"six-1.16.0-py3-none.whl",  "six-1.16.0-x-py3-none-any.whl",
		"six-one-py3-none-any.whl", "six.exe",
		"a/b-1.0.tar.gz",           "six-1.0-py3..-none-any.whl"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if ((f = pypi_distfile_parse(bad[i], &err)) != NULL)
			fail_msg("'%s' parsed", bad[i]);
		assert_non_null(strstr(err_msg(&err), bad[i]));
		err_clear(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cp311_x86_64_glibc_2_28_tags_match_packaging),
		cmocka_unit_test(test_cp311_aarch64_glibc_2_28_tags_match_packaging),
		cmocka_unit_test(test_cp312_x86_64_glibc_2_17_tags_match_packaging),
		cmocka_unit_test(test_marker_environment_describes_the_target_not_the_host),
		cmocka_unit_test(test_wheels_rank_by_their_best_tag),
		cmocka_unit_test(test_unsupported_targets_are_refused_with_the_reason),
		cmocka_unit_test(test_distfile_names_and_compressed_tag_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
