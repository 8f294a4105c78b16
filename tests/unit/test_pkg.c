/* test_pkg.c — pkg/pkg.c: streaming members out of .tar.bz2 and .conda archives, built
 * with tests/unit/helpers/mkpkg.c and taken from the real corpus (skipped when absent). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fsutil.h"
#include "mkpkg.h"
#include "pkg.h"
#include "testutil.h"

static char *tmpdir;

static int setup(void **state)
{
	(void)state;
	tmpdir = testutil_tmpdir_new("test_pkg");
	return tmpdir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	testutil_tmpdir_remove(tmpdir);
	return 0;
}

static const mkpkg_member_t sample[] = {
	{"info/index.json", MKPKG_FILE, "{\"name\": \"demo\"}", 0},
	{"bin", MKPKG_DIR, NULL, 0},
	{"bin/tool", MKPKG_FILE, "#!/bin/sh\necho hi\n", 0755},
	{"bin/tool-alias", MKPKG_SYMLINK, "tool", 0},
	{"bin/tool-hard", MKPKG_HARDLINK, "bin/tool", 0},
};

/* Reads every member into a "name|type|part|target|data\n" listing (NUL bytes as "."). */
static int list_members(const char *path, buf_t *out, err_t *err)
{
	pkg_t *p = pkg_open(path, err);
	const pkg_entry_t *e;
	int r;
	if (!p)
		return -1;
	while ((r = pkg_next(p, &e, err)) == 1) {
		buf_addf(out, "%s|%d|%s|%s|", e->name, (int)e->type,
			 e->part == PKG_PART_INFO ? "info" : "pkg",
			 e->symlink_target    ? e->symlink_target
			 : e->hardlink_target ? e->hardlink_target
					      : "");
		if (e->type == PKG_ENTRY_FILE) {
			char chunk[7]; /* small on purpose: many reads per member */
			ssize_t n;
			while ((n = pkg_read_data(p, chunk, sizeof chunk, err)) > 0)
				for (ssize_t i = 0; i < n; i++) /* NUL would end strstr early */
					buf_addch(out, chunk[i] ? chunk[i] : '.');
			if (n < 0)
				r = -1;
		}
		buf_addch(out, '\n');
		if (r < 0)
			break;
	}
	pkg_free(p);
	return r;
}

static void test_tar_bz2_members_have_types_targets_and_data(void **state)
{
	(void)state;
	buf_t path = BUF_INIT, out = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&path, "%s/demo-1.0-0.tar.bz2", tmpdir);
	assert_int_equal(mkpkg_write_tar_bz2(path.data, sample, 5), 0);
	assert_int_equal(list_members(path.data, &out, &err), 0);
	assert_string_equal(out.data, "info/index.json|0|info||{\"name\": \"demo\"}\n"
				      "bin/|1|pkg||\n"
				      "bin/tool|0|pkg||#!/bin/sh\necho hi\n\n"
				      "bin/tool-alias|2|pkg|tool|\n"
				      "bin/tool-hard|3|pkg|bin/tool|\n");
	buf_free(&path);
	buf_free(&out);
}

static void test_conda_streams_info_then_pkg_members(void **state)
{
	(void)state;
	buf_t path = BUF_INIT, out = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&path, "%s/demo-1.0-0.conda", tmpdir);
	assert_int_equal(mkpkg_write_conda(path.data, "demo-1.0-0", NULL, sample, 5), 0);
	pkg_t *p = pkg_open(path.data, &err);
	assert_non_null(p);
	assert_true(pkg_is_conda(p));
	assert_string_equal(pkg_dist(p), "demo-1.0-0");
	pkg_free(p);
	assert_int_equal(list_members(path.data, &out, &err), 0);
	assert_string_equal(out.data, "info/index.json|0|info||{\"name\": \"demo\"}\n"
				      "bin/|1|pkg||\n"
				      "bin/tool|0|pkg||#!/bin/sh\necho hi\n\n"
				      "bin/tool-alias|2|pkg|tool|\n"
				      "bin/tool-hard|3|pkg|bin/tool|\n");
	buf_free(&path);
	buf_free(&out);
}

static void test_conda_members_under_a_folder_are_matched_by_basename(void **state)
{
	(void)state;
	buf_t path = BUF_INIT, out = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&path, "%s/nested-1.0-0.conda", tmpdir);
	assert_int_equal(mkpkg_write_conda(path.data, "nested-1.0-0",
					   "Users/x/Downloads/nested-1.0-0", sample, 3),
			 0);
	assert_int_equal(list_members(path.data, &out, &err), 0);
	assert_non_null(strstr(out.data, "bin/tool|0|pkg||#!/bin/sh"));
	assert_non_null(strstr(out.data, "info/index.json|0|info|"));
	buf_free(&path);
	buf_free(&out);
}

static void test_devices_are_reported_as_other(void **state)
{
	(void)state;
	static const mkpkg_member_t m[] = {{"dev/null", MKPKG_CHARDEV, NULL, 0},
					   {"run/pipe", MKPKG_FIFO, NULL, 0}};
	buf_t path = BUF_INIT;
	err_t err = ERR_INIT;
	const pkg_entry_t *e;
	buf_addf(&path, "%s/dev-1.0-0.tar.bz2", tmpdir);
	assert_int_equal(mkpkg_write_tar_bz2(path.data, m, 2), 0);
	pkg_t *p = pkg_open(path.data, &err);
	assert_int_equal(pkg_next(p, &e, &err), 1);
	assert_int_equal(e->type, PKG_ENTRY_OTHER);
	assert_string_equal(e->other_kind, "character device");
	assert_int_equal(pkg_next(p, &e, &err), 1);
	assert_string_equal(e->other_kind, "fifo");
	assert_int_equal(pkg_next(p, &e, &err), 0);
	pkg_free(p);
	buf_free(&path);
}

static void test_garbage_file_is_an_error_naming_it(void **state)
{
	(void)state;
	buf_t path = BUF_INIT;
	err_t err = ERR_INIT;
	const pkg_entry_t *e;
	buf_addf(&path, "%s/garbage-1.0-0.tar.bz2", tmpdir);
	assert_int_equal(fs_write_atomic(path.data, "this is not an archive\n", 23, &err), 0);
	pkg_t *p = pkg_open(path.data, &err);
	int r = p ? pkg_next(p, &e, &err) : -1;
	assert_int_equal(r, -1);
	assert_non_null(strstr(err_msg(&err), path.data));
	pkg_free(p);
	err_clear(&err);
	buf_free(&path);
}

static void test_conda_without_inner_tars_is_rejected(void **state)
{
	(void)state;
	buf_t path = BUF_INIT;
	err_t err = ERR_INIT;
	const pkg_entry_t *e;
	buf_addf(&path, "%s/hollow-1.0-0.conda", tmpdir);
	assert_int_equal(mkpkg_write_conda(path.data, NULL, NULL, sample, 0), 0);
	pkg_t *p = pkg_open(path.data, &err);
	assert_non_null(p);
	assert_int_equal(pkg_next(p, &e, &err), -1);
	assert_non_null(
		strstr(err_msg(&err),
		       "hollow-1.0-0.conda: not a valid .conda package: no info-*.tar.zst member"));
	pkg_free(p);
	err_clear(&err);
	buf_free(&path);
}

/* ---- real corpus ---- */

static const char *corpus_pkg(buf_t *b, const char *fn)
{
	const char *shared = getenv("IMGBUILD_SHARED");
	buf_reset(b);
	buf_addf(b, "%s/corpus/packages/%s", shared ? shared : "../shared", fn);
	if (!fs_exists(b->data)) {
		print_message("corpus package %s absent; skipping\n", b->data);
		return NULL;
	}
	return b->data;
}

static void test_corpus_gzip_named_tar_bz2_is_read(void **state)
{
	(void)state;
	buf_t path = BUF_INIT, out = BUF_INIT;
	err_t err = ERR_INIT;
	if (!corpus_pkg(&path, "nano-2.4.1-0.tar.bz2")) {
		buf_free(&path);
		skip();
	}
	assert_int_equal(list_members(path.data, &out, &err), 0);
	assert_non_null(strstr(out.data, "bin/rnano|2|pkg|nano|\n"));
	assert_non_null(strstr(out.data, "info/index.json|0|info||{"));
	buf_free(&path);
	buf_free(&out);
}

static void test_corpus_bz2_with_trailing_data_is_read(void **state)
{
	(void)state;
	buf_t path = BUF_INIT, out = BUF_INIT;
	err_t err = ERR_INIT;
	if (!corpus_pkg(&path, "test-app-package-icon-0.1-0.tar.bz2")) {
		buf_free(&path);
		skip();
	}
	int r = list_members(path.data, &out, &err);
	if (r != 0)
		print_message("%s\n", err_msg(&err));
	assert_int_equal(r, 0);
	assert_non_null(strstr(out.data, "info/index.json|0|info|"));
	buf_free(&path);
	buf_free(&out);
}

static void test_corpus_conda_under_unusual_folder_is_read(void **state)
{
	(void)state;
	buf_t path = BUF_INIT, out = BUF_INIT;
	err_t err = ERR_INIT;
	if (!corpus_pkg(&path, "ca-certificates-2024.7.4-hbcca054_0.conda")) {
		buf_free(&path);
		skip();
	}
	assert_int_equal(list_members(path.data, &out, &err), 0);
	assert_non_null(strstr(out.data, "ssl/cert.pem|2|pkg|cacert.pem|\n"));
	assert_non_null(strstr(out.data, "info/paths.json|0|info||{"));
	assert_non_null(strstr(out.data, "-----BEGIN CERTIFICATE-----"));
	buf_free(&path);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tar_bz2_members_have_types_targets_and_data),
		cmocka_unit_test(test_conda_streams_info_then_pkg_members),
		cmocka_unit_test(test_conda_members_under_a_folder_are_matched_by_basename),
		cmocka_unit_test(test_devices_are_reported_as_other),
		cmocka_unit_test(test_garbage_file_is_an_error_naming_it),
		cmocka_unit_test(test_conda_without_inner_tars_is_rejected),
		cmocka_unit_test(test_corpus_gzip_named_tar_bz2_is_read),
		cmocka_unit_test(test_corpus_bz2_with_trailing_data_is_read),
		cmocka_unit_test(test_corpus_conda_under_unusual_folder_is_read),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
