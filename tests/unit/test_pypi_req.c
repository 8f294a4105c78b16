/* test_pypi_req.c — pypi/pyname.c (PEP 503 names), pypi/marker.c and pypi/req.c (PEP 508,
 * with the specification's own examples), pypi/reqfile.c (pip lines of an environment.yml:
 * options, -r/-c files relative to the file naming them, hashes, and the errors for what
 * would need a build from source). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "err.h"
#include "fsutil.h"
#include "marker.h"
#include "pyname.h"
#include "req.h"
#include "reqfile.h"
#include "testutil.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define HASH_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

static char *tmpdir;

static int setup(void **state)
{
	(void)state;
	tmpdir = testutil_tmpdir_new("test_pypi_req");
	return tmpdir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	testutil_tmpdir_remove(tmpdir);
	return 0;
}

/* The target of most tests: CPython 3.11.2 on linux x86_64. */
static const pypi_marker_env_t env311 = {
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

/* ------------------------------------------------------------------ names */

static void test_pep503_names_normalise_to_one_form(void **state)
{
	(void)state;
	/* PEP 503's example: all of these are "friendly-bard" */
	static const char *const names[] = {"friendly-bard",    "Friendly-Bard", "FRIENDLY-BARD",
					    "friendly.bard",    "friendly_bard", "friendly--bard",
					    "FrIeNdLy-._.-bArD"};
	buf_t b = BUF_INIT;
	for (size_t i = 0; i < N_OF(names); i++) {
		pypi_name_normalize(names[i], strlen(names[i]), &b);
		assert_string_equal(buf_cstr(&b), "friendly-bard");
	}
	assert_true(pypi_name_eq("flask_socketio", "Flask-SocketIO"));
	assert_false(pypi_name_eq("flask_socketio", "flasksocketio"));
	buf_free(&b);
}

static void test_project_name_syntax(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int ok;
	} cases[] = {{"A", 1},  {"A.B-C_D", 1}, {"aa", 1},
		     {"-a", 0}, {"a-", 0},      {"a b", 0},
		     {"", 0},   {"a+b", 0},     {"zope.interface", 1}};
	for (size_t i = 0; i < N_OF(cases); i++)
		if (pypi_name_is_valid(cases[i].name, strlen(cases[i].name)) != cases[i].ok)
			fail_msg("'%s' valid should be %d", cases[i].name, cases[i].ok);
}

/* ------------------------------------------------------------------ PEP 508 */

static pypi_req_t *req(const char *s)
{
	err_t err = ERR_INIT;
	pypi_req_t *r = pypi_req_parse(s, &err);
	if (!r)
		fail_msg("'%s' should parse: %s", s, err_msg(&err));
	return r;
}

/* The specification's examples, each with the normal form imgbuild gives it. */
static void test_pep508_examples_parse_to_their_parts(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"A", "A"},
		{"A.B-C_D", "A.B-C_D"},
		{"name<=1", "name<=1"},
		{"name>=3,<2", "name>=3,<2"},
		{"name@http://foo.com", "name @ http://foo.com"},
		{"name [fred,bar] @ http://foo.com ; python_version=='2.7'",
		 "name[bar,fred] @ http://foo.com ; python_version == \"2.7\""},
		{"name[quux, strange];python_version<'2.7' and platform_version=='2'",
		 "name[quux,strange]; python_version < \"2.7\" and platform_version == \"2\""},
		{"name; os_name=='a' or os_name=='b'",
		 "name; os_name == \"a\" or os_name == \"b\""},
		{"requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < \"2.7\"",
		 "requests[security,tests]>=2.8.1,==2.8.*; python_version < \"2.7\""},
		{"pip @ "
		 "https://github.com/pypa/pip/archive/"
		 "1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686",
		 "pip @ "
		 "https://github.com/pypa/pip/archive/"
		 "1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686"},
		{"name (>=1.0, <2)", "name>=1.0,<2"},
		{"pydantic[email,dotenv]==1.10.10", "pydantic[dotenv,email]==1.10.10"},
		{"Name[Foo_Bar,foo-bar]", "Name[foo-bar]"},
		{"name[]", "name"},
		{"name; os.name == 'posix'", "name; os_name == \"posix\""},
	};
	for (size_t i = 0; i < N_OF(cases); i++) {
		pypi_req_t *r = req(cases[i][0]);
		if (strcmp(pypi_req_str(r), cases[i][1]))
			fail_msg("'%s' gave '%s', want '%s'", cases[i][0], pypi_req_str(r),
				 cases[i][1]);
		pypi_req_free(r);
	}
}

static void test_requirement_accessors(void **state)
{
	(void)state;
	pypi_req_t *r = req("Flask_SocketIO[Client , asyncio]>=5.0; python_version >= '3.8'");
	assert_string_equal(pypi_req_name(r), "Flask_SocketIO");
	assert_string_equal(pypi_req_key(r), "flask-socketio");
	assert_int_equal(pypi_req_extra_count(r), 2);
	assert_string_equal(pypi_req_extra(r, 0), "asyncio");
	assert_string_equal(pypi_req_extra(r, 1), "client");
	assert_string_equal(pep440_spec_str(pypi_req_spec(r)), ">=5.0");
	assert_null(pypi_req_url(r));
	assert_non_null(pypi_req_marker(r));
	assert_int_equal(pypi_req_applies(r, &env311, NULL, NULL), 1);
	pypi_req_t *d = pypi_req_dup(r);
	pypi_req_free(r);
	assert_string_equal(pypi_req_str(d),
			    "Flask_SocketIO[asyncio,client]>=5.0; python_version >= \"3.8\"");
	pypi_req_free(d);
	r = req("torch @ "
		"https://download.pytorch.org/whl/cu118/"
		"torch-2.1.0%2Bcu118-cp311-cp311-linux_x86_64.whl");
	assert_string_equal(pypi_req_url(r), "https://download.pytorch.org/whl/cu118/"
					     "torch-2.1.0%2Bcu118-cp311-cp311-linux_x86_64.whl");
	assert_int_equal(pep440_spec_count(pypi_req_spec(r)), 0);
	pypi_req_free(r);
}

static void test_invalid_requirements_say_why(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"foo 1.0", "missing operator"},
		{"-foo", "project name"},
		{"foo[bar", "'[' without ']'"},
		{"foo[bar,]", "empty extra name"},
		{"foo (>=1.0", "'(' without ')'"},
		{"foo @", "without a URL"},
		{"foo @ notaurl", "not a URL"},
		{"foo @ https://x/y.whl; python_version>'3'", "white space before ';'"},
		{"foo; python_version <", "expected a quoted string"},
		{"foo; 'a' == 'b'", "marker variable on one side"},
		{"foo; python_version < '3' and", "expected a quoted string"},
		{"foo; (python_version < '3'", "expected ')'"},
		{"foo; python_version not '3'", "'in' after 'not'"},
		{"foo; bogus_var == '3'", "marker variable"},
		{"foo;", "without a marker"},
		{"foo==1.0 bar", "invalid version specifier"},
	};
	for (size_t i = 0; i < N_OF(cases); i++) {
		err_t err = ERR_INIT;
		pypi_req_t *r = pypi_req_parse(cases[i][0], &err);
		if (r)
			fail_msg("'%s' parsed as '%s'", cases[i][0], pypi_req_str(r));
		if (!strstr(err_msg(&err), cases[i][1]))
			fail_msg("'%s': '%s' lacks '%s'", cases[i][0], err_msg(&err), cases[i][1]);
		err_clear(&err);
	}
}

/* ------------------------------------------------------------------ markers */

static void test_markers_evaluate_against_the_target_environment(void **state)
{
	(void)state;
	static const struct {
		const char *marker, *extra;
		int expect;
	} cases[] = {
		{"python_version < '3.10'", NULL, 0},
		{"python_version >= '3.8'", NULL, 1},
		{"python_version > '3.9.0'", NULL,
		 1}, /* as versions: 3.11 > 3.9.0 ("3.11" < "3.9" as strings) */
		{"python_version == '3.*'", NULL, 1},
		{"python_full_version >= '3.11.1'", NULL, 1},
		{"python_full_version < '3.11.2'", NULL, 0},
		{"sys_platform == 'win32'", NULL, 0},
		{"sys_platform != 'win32' and platform_machine == 'x86_64'", NULL, 1},
		{"platform_system == 'Linux' and os_name == 'posix'", NULL, 1},
		{"implementation_name == 'cpython' and platform_python_implementation == 'CPython'",
		 NULL, 1},
		{"'linux' in sys_platform", NULL, 1},
		{"platform_machine not in 'arm64 aarch64'", NULL, 1},
		{"platform_machine in 'arm64 aarch64'", NULL, 0},
		{"'3.11' == python_version", NULL, 1},
		/* precedence: "and" binds tighter than "or" (the specification's examples) */
		{"os_name=='a' and os_name=='b' or os_name=='posix'", NULL, 1},
		{"os_name=='posix' and (os_name=='b' or os_name=='c')", NULL, 0},
		{"os_name=='posix' or os_name=='b' and os_name=='c'", NULL, 1},
		{"(os_name=='posix' or os_name=='b') and os_name=='c'", NULL, 0},
		/* extras compare normalised (PEP 685); no extra is "" */
		{"extra == 'Socks'", "socks", 1},
		{"extra == 'test_all'", "test-all", 1},
		{"extra == 'socks'", NULL, 0},
		{"extra == 'socks'", "tests", 0},
		/* unknown at build time: "" compares as a string */
		{"platform_release >= '5'", NULL, 0},
	};
	for (size_t i = 0; i < N_OF(cases); i++) {
		err_t err = ERR_INIT;
		pypi_marker_t *m = pypi_marker_parse(cases[i].marker, &err);
		if (!m)
			fail_msg("'%s': %s", cases[i].marker, err_msg(&err));
		int got = pypi_marker_eval(m, &env311, cases[i].extra, &err);
		if (got != cases[i].expect)
			fail_msg("'%s' (extra %s) gave %d, want %d", cases[i].marker,
				 cases[i].extra ? cases[i].extra : "none", got, cases[i].expect);
		assert_int_equal(pypi_marker_uses_extra(m),
				 strstr(cases[i].marker, "extra") != NULL);
		pypi_marker_free(m);
	}
}

static void test_undefined_marker_comparison_is_an_error(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	pypi_marker_t *m = pypi_marker_parse("sys_platform ~= 'linux'", &err);
	assert_non_null(m);
	assert_int_equal(pypi_marker_eval(m, &env311, NULL, &err), -1);
	assert_non_null(strstr(err_msg(&err), "~= needs versions"));
	assert_non_null(strstr(err_msg(&err), "sys_platform ~= \"linux\""));
	err_clear(&err);
	pypi_marker_free(m);
}

/* ------------------------------------------------------------------ pip lines */

static void write_file(const char *rel, const char *text)
{
	char *p = testutil_join(tmpdir, rel);
	testutil_write_text(p, text);
	free(p);
}

static pypi_reqset_t *parse_lines(const char *const *lines, size_t n, err_t *err)
{
	buf_t env = BUF_INIT;
	buf_addf(&env, "%s/environment.yml", tmpdir);
	pypi_reqset_t *rs = pypi_reqset_parse(buf_cstr(&env), lines, NULL, n, err);
	buf_free(&env);
	return rs;
}

static void test_pip_list_with_options_hashes_and_comments(void **state)
{
	(void)state;
	const char *lines[] = {
		"numpy==1.26.4",
		"Flask_SocketIO>=5 --hash=sha256:" HASH_A " --hash sha256:" HASH_B,
		"--extra-index-url https://download.pytorch.org/whl/cu118",
		NULL, /* a YAML null item */
		"-f ./wheels",
		"--find-links=https://example.org/links.html",
		"--pre",
		"# a comment line",
		"tomli ; python_version < '3.11'  # trailing comment",
		"-i https://mirror.example/simple",
		"--prefer-binary",
		"--only-binary :all:",
	};
	err_t err = ERR_INIT;
	buf_t want = BUF_INIT;
	pypi_reqset_t *rs = parse_lines(lines, N_OF(lines), &err);
	if (!rs)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(pypi_reqset_count(rs), 3);
	assert_string_equal(pypi_req_str(pypi_reqset_req(rs, 0)), "numpy==1.26.4");
	assert_string_equal(pypi_req_key(pypi_reqset_req(rs, 1)), "flask-socketio");
	assert_int_equal(pypi_reqset_hash_count(rs, 1), 2);
	assert_string_equal(pypi_reqset_hash(rs, 1, 0), HASH_A);
	assert_string_equal(pypi_reqset_hash(rs, 1, 1),
			    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_int_equal(pypi_req_applies(pypi_reqset_req(rs, 2), &env311, NULL, NULL), 0);
	buf_addf(&want, "%s/environment.yml:9", tmpdir);
	assert_string_equal(pypi_reqset_origin(rs, 2), buf_cstr(&want));
	assert_string_equal(pypi_reqset_index_url(rs), "https://mirror.example/simple");
	assert_int_equal(pypi_reqset_extra_index_count(rs), 1);
	assert_string_equal(pypi_reqset_extra_index(rs, 0),
			    "https://download.pytorch.org/whl/cu118");
	assert_int_equal(pypi_reqset_find_links_count(rs), 2);
	buf_reset(&want);
	buf_addf(&want, "file://%s/wheels", tmpdir);
	assert_string_equal(pypi_reqset_find_links(rs, 0), buf_cstr(&want));
	assert_string_equal(pypi_reqset_find_links(rs, 1), "https://example.org/links.html");
	assert_true(pypi_reqset_pre(rs));
	assert_false(pypi_reqset_no_index(rs));
	pypi_reqset_free(rs);
	buf_free(&want);
}

static void test_requirement_and_constraint_files_are_relative_to_their_includer(void **state)
{
	(void)state;
	write_file("reqs/base.txt",
		   "# base\nsix>=1.16 \\\n  --hash=sha256:" HASH_A "\n-r more.txt\n"
		   "-c ../constraints.txt\n-f local-wheels\n");
	write_file("reqs/more.txt", "idna\r\n");
	write_file("constraints.txt", "idna<4\nsix==1.16.0\n");
	const char *lines[] = {"--no-index", "-r reqs/base.txt", "PyYAML"};
	err_t err = ERR_INIT;
	buf_t want = BUF_INIT;
	pypi_reqset_t *rs = parse_lines(lines, N_OF(lines), &err);
	if (!rs)
		fail_msg("%s", err_msg(&err));
	assert_int_equal(pypi_reqset_count(rs), 3);
	assert_string_equal(pypi_req_key(pypi_reqset_req(rs, 0)), "six");
	assert_int_equal(pypi_reqset_hash_count(rs, 0), 1); /* the continued line */
	buf_addf(&want, "%s/reqs/base.txt:2", tmpdir);
	assert_string_equal(pypi_reqset_origin(rs, 0), buf_cstr(&want));
	assert_string_equal(pypi_req_key(pypi_reqset_req(rs, 1)), "idna");
	assert_string_equal(pypi_req_key(pypi_reqset_req(rs, 2)), "pyyaml");
	assert_int_equal(pypi_reqset_constraint_count(rs), 2);
	assert_string_equal(pypi_req_str(pypi_reqset_constraint(rs, 0)), "idna<4");
	buf_reset(&want);
	buf_addf(&want, "%s/constraints.txt:2", tmpdir);
	assert_string_equal(pypi_reqset_constraint_origin(rs, 1), buf_cstr(&want));
	buf_reset(&want);
	buf_addf(&want, "file://%s/reqs/local-wheels", tmpdir);
	assert_string_equal(pypi_reqset_find_links(rs, 0), buf_cstr(&want));
	assert_true(pypi_reqset_no_index(rs));
	pypi_reqset_free(rs);
	buf_free(&want);
}

static void test_wheel_urls_and_paths_become_direct_url_requirements(void **state)
{
	(void)state;
	const char *lines[] = {
		"https://files.example/pk/six-1.16.0-py2.py3-none-any.whl",
		"./wheels/My_Pkg-2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl",
		"idna @ file:///srv/wheels/idna-3.3-py3-none-any.whl",
	};
	err_t err = ERR_INIT;
	buf_t want = BUF_INIT;
	pypi_reqset_t *rs = parse_lines(lines, N_OF(lines), &err);
	if (!rs)
		fail_msg("%s", err_msg(&err));
	assert_string_equal(pypi_req_key(pypi_reqset_req(rs, 0)), "six");
	assert_string_equal(pypi_req_url(pypi_reqset_req(rs, 0)),
			    "https://files.example/pk/six-1.16.0-py2.py3-none-any.whl");
	assert_string_equal(pypi_req_key(pypi_reqset_req(rs, 1)), "my-pkg");
	buf_addf(&want, "file://%s/wheels/My_Pkg-2.0-1-cp311-cp311-manylinux_2_17_x86_64.whl",
		 tmpdir);
	assert_string_equal(pypi_req_url(pypi_reqset_req(rs, 1)), buf_cstr(&want));
	assert_string_equal(pypi_req_key(pypi_reqset_req(rs, 2)), "idna");
	pypi_reqset_free(rs);
	buf_free(&want);
}

/* Each bad line fails the whole list with its line number and what to do. */
static void test_bad_pip_lines_name_the_line_and_the_way_out(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"-e git+https://github.com/org/proj.git#egg=proj", "editable install"},
		{"--editable=./proj", "editable install"},
		{"git+https://github.com/org/proj.git@v1.0#egg=proj", "version-control URL"},
		{"proj @ git+https://github.com/org/proj.git", "version-control URL"},
		{"./proj", "local project or sdist path"},
		{"../proj[dev]", "extras and markers are not supported"},
		{"./dist/proj-1.0.tar.gz", "local project or sdist path"},
		{"https://files.example/proj-1.0.tar.gz", "not a wheel URL"},
		{"proj @ https://files.example/proj-1.0.zip", "does not point at a wheel"},
		{"--no-binary :all:", "installs from source"},
		{"--trusted-host example.org", "pip option '--trusted-host' is not supported"},
		{"numpy --global-option=x", "not supported after a requirement"},
		{"six --hash=md5:0123", "sha256:<64 hex digits>"},
		{"six --hash=sha256:abc", "sha256:<64 hex digits>"},
		{"-r missing.txt", "missing.txt"},
		{"-r https://example.org/reqs.txt", "local paths only"},
		{"--index-url", "needs a value"},
		{"--pre yes", "takes no value"},
		{"--extra-index-url https://${TOKEN}@example.org/simple", "not expanded"},
		{"foo 1.0", "missing operator"},
		{"https://files.example/not-a-wheel-name.whl", "not a wheel file name"},
	};
	for (size_t i = 0; i < N_OF(cases); i++) {
		const char *lines[] = {"six", cases[i][0]};
		err_t err = ERR_INIT;
		pypi_reqset_t *rs = parse_lines(lines, 2, &err);
		if (rs)
			fail_msg("'%s' was accepted", cases[i][0]);
		if (!strstr(err_msg(&err), cases[i][1]) ||
		    !strstr(err_msg(&err), "environment.yml:2: "))
			fail_msg("'%s': '%s' lacks '%s' or the line", cases[i][0], err_msg(&err),
				 cases[i][1]);
		err_clear(&err);
	}
}

static void test_source_build_errors_say_how_to_proceed(void **state)
{
	(void)state;
	const char *lines[] = {"-e git+https://github.com/org/proj.git#egg=proj"};
	const int line_numbers[] = {41};
	err_t err = ERR_INIT;
	assert_null(pypi_reqset_parse("envs/gpu.yml", lines, line_numbers, 1, &err));
	assert_non_null(
		strstr(err_msg(&err),
		       "envs/gpu.yml:41: '-e git+https://github.com/org/proj.git#egg=proj'"));
	assert_non_null(strstr(err_msg(&err), "pip wheel"));
	assert_non_null(strstr(err_msg(&err), "--find-links"));
	err_clear(&err);
}

static void test_constraints_may_not_add_extras_or_urls(void **state)
{
	(void)state;
	write_file("c-extra.txt", "requests[socks]<3\n");
	const char *lines[] = {"-c c-extra.txt"};
	err_t err = ERR_INIT;
	assert_null(parse_lines(lines, 1, &err));
	assert_non_null(
		strstr(err_msg(&err), "c-extra.txt:1: 'requests[socks]<3' in a constraints file"));
	err_clear(&err);
}

static void test_free_null_is_noop(void **state)
{
	(void)state;
	pypi_req_free(NULL);
	pypi_marker_free(NULL);
	pypi_reqset_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pep503_names_normalise_to_one_form),
		cmocka_unit_test(test_project_name_syntax),
		cmocka_unit_test(test_pep508_examples_parse_to_their_parts),
		cmocka_unit_test(test_requirement_accessors),
		cmocka_unit_test(test_invalid_requirements_say_why),
		cmocka_unit_test(test_markers_evaluate_against_the_target_environment),
		cmocka_unit_test(test_undefined_marker_comparison_is_an_error),
		cmocka_unit_test(test_pip_list_with_options_hashes_and_comments),
		cmocka_unit_test(
			test_requirement_and_constraint_files_are_relative_to_their_includer),
		cmocka_unit_test(test_wheel_urls_and_paths_become_direct_url_requirements),
		cmocka_unit_test(test_bad_pip_lines_name_the_line_and_the_way_out),
		cmocka_unit_test(test_source_build_errors_say_how_to_proceed),
		cmocka_unit_test(test_constraints_may_not_add_extras_or_urls),
		cmocka_unit_test(test_free_null_is_noop),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
