/* test_basefs.c — layers/basefs: a base image's stacked file tree. Lookups through Debian's
 * merged-/usr symlinks (the loader as bookworm lays it out), whiteouts and opaque directories
 * across layers, a file replacing a directory, symlink loops and dangling links, and layer
 * blobs read with libarchive (gzip tar written here, with whiteout members). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basefs.h"
#include "buf.h"
#include "fsutil.h"

#define D BASEFS_DIR
#define F BASEFS_FILE
#define L BASEFS_SYMLINK

/* bookworm's layout: /lib64 and /lib are symlinks into /usr, the loader a symlink to the
 * multiarch file; no directory entries for usr/ itself (tars need not list them). */
static const basefs_entry_t bookworm[] = {
	{"lib", L, "usr/lib"},
	{"lib64", L, "usr/lib64"},
	{"usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", F, NULL},
	{"usr/lib/x86_64-linux-gnu/libc.so.6", F, NULL},
	{"usr/lib64/ld-linux-x86-64.so.2", L, "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"},
	{"./etc/", D, NULL},
	{"/etc/passwd", F, NULL},
	{"tmp", D, NULL},
};

static basefs_t *bookworm_fs(void)
{
	basefs_t *fs = basefs_new();
	err_t err = ERR_INIT;
	assert_int_equal(
		basefs_add_listing(fs, bookworm, sizeof bookworm / sizeof bookworm[0], &err), 0);
	return fs;
}

static void test_loader_found_through_merged_usr_symlinks(void **state)
{
	(void)state;
	basefs_t *fs = bookworm_fs();
	buf_t where = BUF_INIT;
	assert_int_equal(basefs_lookup(fs, "/lib64/ld-linux-x86-64.so.2", 1, &where), F);
	assert_string_equal(where.data, "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	assert_int_equal(basefs_lookup(fs, "/lib64/ld-linux-x86-64.so.2", 0, &where), L);
	assert_string_equal(where.data, "usr/lib64/ld-linux-x86-64.so.2");
	assert_int_equal(basefs_lookup(fs, "/lib/x86_64-linux-gnu/libc.so.6", 1, NULL), F);
	assert_int_equal(basefs_lookup(fs, "lib", 0, NULL), L);
	assert_int_equal(basefs_lookup(fs, "lib", 1, NULL), D);
	assert_int_equal(basefs_lookup(fs, "usr", 1, &where), D); /* implied by its contents */
	assert_string_equal(where.data, "usr");
	assert_int_equal(basefs_lookup(fs, "/", 1, &where), D);
	assert_string_equal(where.data, "");
	assert_int_equal(basefs_lookup(fs, "etc/passwd", 0, NULL), F);
	assert_int_equal(basefs_lookup(fs, "etc/group", 0, NULL), BASEFS_NONE);
	/* ".." is physical, as in the kernel: /lib/.. is /usr here */
	assert_int_equal(basefs_lookup(fs, "/lib/../../etc/./passwd", 1, NULL), F);
	assert_int_equal(basefs_lookup(fs, "/lib/../etc/passwd", 1, NULL), BASEFS_NONE);
	assert_int_equal(basefs_lookup(fs, "/../../etc/passwd", 1, NULL), F); /* stops at / */
	assert_int_equal(basefs_lookup(fs, "etc/passwd/x", 1, NULL), BASEFS_NONE);
	assert_int_equal(basefs_count(fs), 8);
	assert_int_equal(basefs_lookup(NULL, "etc/passwd", 1, NULL), BASEFS_NONE);
	assert_int_equal(basefs_lookup(NULL, "/", 1, NULL), D);
	buf_free(&where);
	basefs_free(fs);
}

static void test_loops_and_dangling_links_are_none(void **state)
{
	(void)state;
	const basefs_entry_t e[] = {
		{"a", L, "b"},          {"b", L, "/a"},   {"self", L, "./self"},
		{"gone", L, "nowhere"}, {"empty", L, ""}, {"dir/up", L, "../dir/up"},
	};
	basefs_t *fs = basefs_new();
	err_t err = ERR_INIT;
	assert_int_equal(basefs_add_listing(fs, e, sizeof e / sizeof e[0], &err), 0);
	const char *none[] = {"a", "b", "self", "gone", "empty", "dir/up", "a/x"};
	for (size_t i = 0; i < sizeof none / sizeof none[0]; i++)
		assert_int_equal(basefs_lookup(fs, none[i], 1, NULL), BASEFS_NONE);
	assert_int_equal(basefs_lookup(fs, "gone", 0, NULL), L);
	basefs_free(fs);
}

/* A chain of 40 links resolves (Linux's limit), 41 do not. */
static void test_link_chain_limit_is_forty(void **state)
{
	(void)state;
	for (int n = 40; n <= 41; n++) {
		basefs_entry_t e[42];
		char names[42][8], targets[42][8];
		for (int i = 0; i < n; i++) {
			snprintf(names[i], sizeof names[i], "l%d", i);
			snprintf(targets[i], sizeof targets[i], "l%d", i + 1);
			e[i] = (basefs_entry_t){names[i], L, targets[i]};
		}
		snprintf(names[n], sizeof names[n], "l%d", n);
		e[n] = (basefs_entry_t){names[n], F, NULL};
		basefs_t *fs = basefs_new();
		err_t err = ERR_INIT;
		assert_int_equal(basefs_add_listing(fs, e, (size_t)n + 1, &err), 0);
		assert_int_equal(basefs_lookup(fs, "l0", 1, NULL), n == 40 ? F : BASEFS_NONE);
		basefs_free(fs);
	}
}

static void test_whiteouts_opaque_dirs_and_replacements_across_layers(void **state)
{
	(void)state;
	const basefs_entry_t lower[] = {
		{"etc/passwd", F, NULL}, {"etc/group", F, NULL}, {"opt/a/1", F, NULL},
		{"opt/a/2", F, NULL},    {"opt/keep", F, NULL},  {"srv/x/deep/file", F, NULL},
		{"data", D, NULL},       {"data/in", F, NULL},
	};
	const basefs_entry_t upper[] = {
		{"etc/.wh.passwd", F, NULL},     /* removes etc/passwd */
		{"opt/a/.wh..wh..opq", F, NULL}, /* empties opt/a below */
		{"opt/a/3", F, NULL},            /* ... but this layer's own file stays */
		{"srv/x", F, NULL},              /* a file hides the directory below */
		{"data", D, NULL},               /* a directory over a directory keeps contents */
		{"new", L, "opt/keep"},
	};
	basefs_t *fs = basefs_new();
	err_t err = ERR_INIT;
	assert_int_equal(basefs_add_listing(fs, lower, sizeof lower / sizeof lower[0], &err), 0);
	assert_int_equal(basefs_add_listing(fs, upper, sizeof upper / sizeof upper[0], &err), 0);
	assert_int_equal(basefs_lookup(fs, "etc/passwd", 0, NULL), BASEFS_NONE);
	assert_int_equal(basefs_lookup(fs, "etc/group", 0, NULL), F);
	assert_int_equal(basefs_lookup(fs, "opt/a/1", 0, NULL), BASEFS_NONE);
	assert_int_equal(basefs_lookup(fs, "opt/a/2", 0, NULL), BASEFS_NONE);
	assert_int_equal(basefs_lookup(fs, "opt/a/3", 0, NULL), F);
	assert_int_equal(basefs_lookup(fs, "opt/keep", 0, NULL), F);
	assert_int_equal(basefs_lookup(fs, "srv/x", 0, NULL), F);
	assert_int_equal(basefs_lookup(fs, "srv/x/deep/file", 0, NULL), BASEFS_NONE);
	assert_int_equal(basefs_lookup(fs, "data/in", 0, NULL), F);
	assert_int_equal(basefs_lookup(fs, "new", 1, NULL), F);
	/* etc/group opt/a/3 opt/keep srv/x data data/in new: whiteouts are never stored */
	assert_int_equal(basefs_count(fs), 7);
	basefs_free(fs);
}

static void test_last_entry_of_a_path_in_one_layer_wins(void **state)
{
	(void)state;
	const basefs_entry_t e[] = {{"x", F, NULL}, {"x", L, "y"}, {"y", D, NULL}};
	basefs_t *fs = basefs_new();
	err_t err = ERR_INIT;
	assert_int_equal(basefs_add_listing(fs, e, 3, &err), 0);
	assert_int_equal(basefs_lookup(fs, "x", 0, NULL), L);
	assert_int_equal(basefs_count(fs), 2);
	basefs_free(fs);
}

typedef struct member {
	const char *name;
	unsigned type; /* AE_IFREG, AE_IFDIR, AE_IFLNK; 0 = hardlink to target */
	const char *target;
} member_t;

static void write_tar_gz(const char *path, const member_t *m, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_mode(e, (m[i].type ? m[i].type : AE_IFREG) | 0644);
		if (m[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, m[i].target);
		if (!m[i].type)
			archive_entry_set_hardlink(e, m[i].target);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(e);
	archive_write_free(a);
}

static void test_layer_blobs_are_read_and_stacked(void **state)
{
	(void)state;
	buf_t dir = BUF_INIT, l1 = BUF_INIT, l2 = BUF_INIT, bad = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(fs_mkdtemp("/tmp", "test_basefs.", &dir, &err), 0);
	buf_addf(&l1, "%s/l1.tar.gz", dir.data);
	buf_addf(&l2, "%s/l2.tar.gz", dir.data);
	buf_addf(&bad, "%s/bad.tar.gz", dir.data);
	const member_t one[] = {
		{"./", AE_IFDIR, NULL},
		{"./lib64/", AE_IFDIR, NULL},
		{"./lib/x86_64-linux-gnu/libc.so.6", AE_IFREG, NULL},
		{"./lib64/ld-linux-x86-64.so.2", AE_IFLNK, "/lib/x86_64-linux-gnu/ld-2.36.so"},
		{"./lib/x86_64-linux-gnu/ld-2.36.so", AE_IFREG, NULL},
		{"./etc/passwd", AE_IFREG, NULL},
		{"./etc/passwd-", 0, "./etc/passwd"},
	};
	const member_t two[] = {{"etc/.wh.passwd", AE_IFREG, NULL}};
	write_tar_gz(l1.data, one, sizeof one / sizeof one[0]);
	write_tar_gz(l2.data, two, 1);
	basefs_t *fs = basefs_new();
	assert_int_equal(basefs_add_layer(fs, l1.data, &err), 0);
	assert_int_equal(basefs_lookup(fs, "/lib64/ld-linux-x86-64.so.2", 1, NULL), F);
	assert_int_equal(basefs_lookup(fs, "/etc/passwd-", 0, NULL), F); /* hardlink */
	assert_int_equal(basefs_lookup(fs, "/etc/passwd", 0, NULL), F);
	assert_int_equal(basefs_add_layer(fs, l2.data, &err), 0);
	assert_int_equal(basefs_lookup(fs, "/etc/passwd", 0, NULL), BASEFS_NONE);
	assert_int_equal(basefs_lookup(fs, "/etc/passwd-", 0, NULL), F);
	/* not a tar: an error naming the blob */
	assert_int_equal(fs_write_atomic(bad.data, "\x1f\x8b garbage", 11, &err), 0);
	assert_int_equal(basefs_add_layer(fs, bad.data, &err), -1);
	assert_non_null(strstr(err_msg(&err), bad.data));
	err_clear(&err);
	basefs_free(fs);
	assert_int_equal(fs_rm_rf(dir.data, &err), 0);
	buf_free(&dir);
	buf_free(&l1);
	buf_free(&l2);
	buf_free(&bad);
}

static void test_overlong_names_are_an_error(void **state)
{
	(void)state;
	buf_t name = BUF_INIT;
	for (int i = 0; i < BASEFS_MAX_NAME + 1; i++)
		buf_addch(&name, 'a');
	basefs_entry_t e[] = {{name.data, F, NULL}};
	basefs_t *fs = basefs_new();
	err_t err = ERR_INIT;
	assert_int_equal(basefs_add_listing(fs, e, 1, &err), -1);
	assert_non_null(strstr(err_msg(&err), "longer than"));
	err_clear(&err);
	basefs_free(fs);
	buf_free(&name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loader_found_through_merged_usr_symlinks),
		cmocka_unit_test(test_loops_and_dangling_links_are_none),
		cmocka_unit_test(test_link_chain_limit_is_forty),
		cmocka_unit_test(test_whiteouts_opaque_dirs_and_replacements_across_layers),
		cmocka_unit_test(test_last_entry_of_a_path_in_one_layer_wins),
		cmocka_unit_test(test_layer_blobs_are_read_and_stacked),
		cmocka_unit_test(test_overlong_names_are_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
