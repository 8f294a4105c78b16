/* test_virtual.c — virtual packages (conda/virtual.c) from their inputs: the defaults, the base
 * image's glibc version (as the builder passes it after oci/base.c read it: test_base.c reads
 * real and hand-made base images), --glibc against it, a base without glibc, __cuda and
 * __archspec. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "buf.h"
#include "virtual.h"

static void test_defaults_without_base(void **state)
{
	(void)state;
	virtual_opts_t o = {0};
	virtual_set_t vs;
	err_t err = ERR_INIT;
	assert_int_equal(virtual_set_fill(&vs, &o, &err), 0);
	assert_int_equal(vs.n, 4); /* no __cuda without --cuda */
	assert_string_equal(vs.pkgs[2].name, "__glibc");
	assert_string_equal(vs.pkgs[2].version, "2.28");
	assert_string_equal(vs.pkgs[3].build, "x86_64");
}

static void test_base_glibc_wins_over_the_default(void **state)
{
	(void)state;
	virtual_opts_t o = {.base_name = "/img/base",
			    .base_glibc = "2.36",
			    .cuda = "12.4",
			    .oci_arch = "arm64",
			    .cuda_label = "--cuda"};
	virtual_set_t vs;
	buf_t d = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(virtual_set_fill(&vs, &o, &err), 0);
	virtual_set_describe(&vs, &d);
	assert_string_equal(d.data,
			    "__unix=0 (linux), __linux=5.10 (default), __glibc=2.36 (base image), "
			    "__archspec=1=aarch64 (image architecture), __cuda=12.4 (--cuda)");
	buf_free(&d);
}

static void test_older_glibc_flag_wins_newer_is_refused_naming_the_base(void **state)
{
	(void)state;
	virtual_opts_t o = {.base_name = "/img/base",
			    .base_glibc = "2.36",
			    .glibc = "2.17",
			    .glibc_label = "--glibc"};
	virtual_set_t vs;
	err_t err = ERR_INIT;
	assert_int_equal(virtual_set_fill(&vs, &o, &err), 0);
	assert_string_equal(vs.pkgs[2].version, "2.17");
	assert_string_equal(vs.pkgs[2].source, "--glibc");
	o.glibc = "2.39";
	assert_int_equal(virtual_set_fill(&vs, &o, &err), -1);
	assert_non_null(
		strstr(err_msg(&err),
		       "the requested glibc 2.39 is newer than the base image's glibc 2.36"));
	assert_null(strstr(err_msg(&err), "--")); /* the CLI names the flag (ERR_HINT_*) */
	assert_int_equal(err.hint, ERR_HINT_GLIBC_NEWER_THAN_BASE);
	assert_non_null(strstr(err_msg(&err), "/img/base"));
	err_clear(&err);
}

static void test_base_without_glibc_falls_back_saying_why(void **state)
{
	(void)state;
	virtual_opts_t o = {.base_name = "/img/musl"};
	virtual_set_t vs;
	buf_t d = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(virtual_set_fill(&vs, &o, &err), 0);
	virtual_set_describe(&vs, &d);
	assert_non_null(strstr(d.data, "__glibc=2.28 (default; base image has no glibc)"));
	o.glibc = "2.31";
	assert_int_equal(virtual_set_fill(&vs, &o, &err), 0);
	assert_string_equal(vs.pkgs[2].source, "requested; base image has no glibc");
	o.glibc_label = "--glibc"; /* the caller's name for it (the CLI's flag) */
	assert_int_equal(virtual_set_fill(&vs, &o, &err), 0);
	assert_string_equal(vs.pkgs[2].source, "--glibc; base image has no glibc");
	buf_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_without_base),
		cmocka_unit_test(test_base_glibc_wins_over_the_default),
		cmocka_unit_test(test_older_glibc_flag_wins_newer_is_refused_naming_the_base),
		cmocka_unit_test(test_base_without_glibc_falls_back_saying_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
