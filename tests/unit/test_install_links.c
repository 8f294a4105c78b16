/* test_install_links.c — pkg/install_links.c and common/stagelinks.c (issue 14 #1): linked
 * staging lists the extract cache's members instead of linking them into the staging tree;
 * layers/tree.c reads the tree and its list as one. The layer must be byte-identical to the
 * one of the fully linked tree, hostile archives refused with the same messages, and
 * collisions that linkat() used to catch still refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fsutil.h"
#include "install.h"
#include "layer.h"
#include "mkpkg.h"
#include "pkgrec.h"
#include "stagelinks.h"
#include "testutil.h"
#include "tree_int.h"

#define TARGET "/opt/conda/envs/demo"
#define SHA "3333333333333333333333333333333333333333333333333333333333333333"

static char *tmpdir;
static int counter;

static int setup(void **state)
{
	(void)state;
	tmpdir = testutil_tmpdir_new("test_install_links");
	return tmpdir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	testutil_tmpdir_remove(tmpdir);
	return 0;
}

static void fresh_path(buf_t *b, const char *what)
{
	buf_reset(b);
	buf_addf(b, "%s/%s-%d", tmpdir, what, counter++);
}

static pkgrec_t *make_rec(const char *noarch, const char *sha256)
{
	err_t err = ERR_INIT;
	json_t *j =
		json_pack("{s:s, s:s, s:s, s:i, s:s}", "name", "demo", "version", "1.0", "build",
			  "0", "build_number", 0, "subdir", noarch ? "noarch" : "linux-64");
	if (noarch)
		json_object_set_new(j, "noarch", json_string(noarch));
	pkgrec_t *r = pkgrec_from_json("demo-1.0-0.tar.bz2", j, "https://example.invalid/c",
				       noarch ? "noarch" : "linux-64", &err);
	json_decref(j);
	assert_non_null(r);
	if (sha256)
		r->sha256 = strdup(sha256);
	return r;
}

#define PATHS_JSON(list) "{\"paths_version\": 1, \"paths\": [" list "]}"
#define P(path) "{\"_path\": \"" path "\", \"path_type\": \"hardlink\"}"
#define PH(path)                                                                                   \
	"{\"_path\": \"" path "\", \"path_type\": \"hardlink\", \"file_mode\": \"text\", "         \
	"\"prefix_placeholder\": \"/opt/anaconda1anaconda2anaconda3\"}"

/* Placeholder, symlink, an archive hardlink, two equal files, deep directories. */
static const mkpkg_member_t demo_pkg[] = {
	{"info/index.json", MKPKG_FILE, "{\"name\": \"demo\", \"version\": \"1.0\"}", 0},
	{"info/paths.json", MKPKG_FILE,
	 PATHS_JSON(P("bin/tool") "," P(
		 "bin/tool-hard") ","
				  "{\"_path\": \"bin/alias\", \"path_type\": "
				  "\"softlink\"}," PH("lib/pkgconfig/demo.pc") "," P(
					  "lib/"
					  "a/b/"
					  "c/"
					  "deep."
					  "txt") "," P("lib/a/x.txt") "," P("share/same-a") "," P("share"
												  "/same"
												  "-b")),
	 0},
	{"bin/tool", MKPKG_FILE, "#!/bin/sh\necho tool\n", 0755},
	{"bin/tool-hard", MKPKG_HARDLINK, "bin/tool", 0},
	{"bin/alias", MKPKG_SYMLINK, "tool", 0},
	{"lib/pkgconfig/demo.pc", MKPKG_FILE, "prefix=/opt/anaconda1anaconda2anaconda3\n", 0},
	{"lib/a/b/c/deep.txt", MKPKG_FILE, "deep\n", 0},
	{"lib/a/x.txt", MKPKG_FILE, "x\n", 0},
	{"share/same-a", MKPKG_FILE, "same\n", 0},
	{"share/same-b", MKPKG_FILE, "same\n", 0},
};
#define N_DEMO (sizeof demo_pkg / sizeof demo_pkg[0])

/* Installs m into a fresh dest; cache NULL = no extract cache. */
static int install(const mkpkg_member_t *m, size_t n, const char *cache, int links,
		   const char *noarch, buf_t *dest, err_t *err)
{
	buf_t pkg = BUF_INIT;
	install_opts_t o = {.target_prefix = TARGET,
			    .python_version = noarch ? "3.11" : NULL,
			    .extract_cache = cache,
			    .stage_links = links};
	pkgrec_t *rec = make_rec(noarch, SHA);
	fresh_path(&pkg, "demo-1.0-0.tar.bz2");
	fresh_path(dest, "dest");
	assert_int_equal(mkpkg_write_tar_bz2(pkg.data, m, n), 0);
	int rc = install_package(&o, rec, pkg.data, dest->data, err);
	pkgrec_free(rec);
	buf_free(&pkg);
	return rc;
}

static void layer_of(const char *stage, char digest[LAYER_DIGEST_MAX])
{
	err_t err = ERR_INIT;
	buf_t blobs = BUF_INIT;
	layer_desc_t d;
	const char *dirs[] = {stage};
	fresh_path(&blobs, "blobs");
	assert_int_equal(mkdir(blobs.data, 0755), 0);
	if (layer_build(dirs, 1, TARGET, NULL, blobs.data, &d, &err) != 0)
		fail_msg("%s", err_msg(&err));
	memcpy(digest, d.digest, LAYER_DIGEST_MAX);
	buf_free(&blobs);
}

/* The entry list layer.c writes from: rel, type + mode bits, size, per line. */
static char *entry_list(const char *stage)
{
	tree_t t = {0};
	err_t err = ERR_INIT;
	buf_t out = BUF_INIT;
	if (tree_add_stage(&t, stage, 0, &err) != 0)
		fail_msg("%s", err_msg(&err));
	tree_sort(&t);
	for (size_t i = 0; i < t.n; i++)
		buf_addf(&out, "%s %o %lld\n", t.v[i].rel,
			 S_ISDIR(t.v[i].mode) ? 040755u : (unsigned)t.v[i].mode,
			 (long long)t.v[i].size);
	tree_free(&t);
	return buf_detach(&out);
}

static int exists_in(const buf_t *dir, const char *rel)
{
	buf_t p = BUF_INIT;
	buf_addf(&p, "%s/%s", dir->data, rel);
	int r = access(p.data, F_OK) == 0;
	buf_free(&p);
	return r;
}

static void test_linked_staging_gives_the_layer_and_entries_of_the_linked_tree(void **state)
{
	(void)state;
	buf_t cache = BUF_INIT, d0 = BUF_INIT, d1 = BUF_INIT, d2 = BUF_INIT, d3 = BUF_INIT;
	err_t err = ERR_INIT;
	char l0[LAYER_DIGEST_MAX], l1[LAYER_DIGEST_MAX], l2[LAYER_DIGEST_MAX], l3[LAYER_DIGEST_MAX];
	fresh_path(&cache, "xcache");
	if (install(demo_pkg, N_DEMO, NULL, 0, NULL, &d0, &err) ||
	    install(demo_pkg, N_DEMO, cache.data, 0, NULL, &d1, &err) ||
	    install(demo_pkg, N_DEMO, cache.data, 1, NULL, &d2, &err))
		fail_msg("%s", err_msg(&err));
	/* only the files the install wrote are in the tree; the rest is listed */
	assert_false(exists_in(&d2, "bin/tool"));
	assert_false(exists_in(&d2, "lib/a"));
	assert_true(exists_in(&d2, "lib/pkgconfig/demo.pc"));
	assert_true(exists_in(&d2, "conda-meta/demo-1.0-0.json"));
	char *e1 = entry_list(d1.data), *e2 = entry_list(d2.data);
	assert_string_equal(e1, e2);
	layer_of(d0.data, l0);
	layer_of(d1.data, l1);
	layer_of(d2.data, l2);
	assert_string_equal(l0, l1);
	assert_string_equal(l1, l2);
	fs_rm_rf(cache.data, &err); /* cold: this install extracts and lists at once */
	if (install(demo_pkg, N_DEMO, cache.data, 1, NULL, &d3, &err))
		fail_msg("%s", err_msg(&err));
	char *e3 = entry_list(d3.data);
	assert_string_equal(e1, e3);
	layer_of(d3.data, l3);
	assert_string_equal(l1, l3);
	free(e1), free(e2), free(e3);
	buf_free(&cache), buf_free(&d0), buf_free(&d1), buf_free(&d2), buf_free(&d3);
}

static void assert_refused_both_ways(const mkpkg_member_t *m, size_t n, const char *noarch,
				     const char *expected)
{
	buf_t cache = BUF_INIT, dest = BUF_INIT, links = BUF_INIT;
	for (int with_links = 0; with_links < 2; with_links++) {
		err_t err = ERR_INIT;
		fresh_path(&cache, "xcache");
		assert_int_equal(install(m, n, cache.data, with_links, noarch, &dest, &err), -1);
		if (!strstr(err_msg(&err), expected))
			fail_msg("links=%d: error \"%s\" lacks \"%s\"", with_links, err_msg(&err),
				 expected);
		stagelinks_path(dest.data, &links);
		assert_false(fs_exists(dest.data));
		assert_false(fs_exists(links.data));
		err_clear(&err);
	}
	buf_free(&cache), buf_free(&dest), buf_free(&links);
}

static void test_linked_staging_path_installed_twice_is_refused(void **state)
{
	(void)state;
	const mkpkg_member_t m[] = {
		{"info/index.json", MKPKG_FILE, "{\"name\": \"demo\"}", 0},
		{"info/paths.json", MKPKG_FILE, PATHS_JSON(P("bin/a") "," P("bin/a")), 0},
		{"bin/a", MKPKG_FILE, "a\n", 0}};
	assert_refused_both_ways(m, 3, NULL,
				 "refusing to install demo-1.0-0: bin/a: installed twice (path "
				 "collision)");
}

/* noarch relocation: python-scripts/x lands in bin/, which the package ships as a symlink. */
static void test_linked_staging_file_under_a_symlink_is_refused(void **state)
{
	(void)state;
	const mkpkg_member_t m[] = {
		{"info/index.json", MKPKG_FILE, "{\"name\": \"demo\", \"noarch\": \"python\"}", 0},
		{"info/paths.json", MKPKG_FILE,
		 PATHS_JSON("{\"_path\": \"bin\", \"path_type\": \"softlink\"}," P(
			 "python-scripts/x")),
		 0},
		{"share", MKPKG_DIR, NULL, 0},
		{"bin", MKPKG_SYMLINK, "share", 0},
		{"python-scripts/x", MKPKG_FILE, "x\n", 0}};
	assert_refused_both_ways(m, 5, "python",
				 "refusing to install demo-1.0-0: bin/x: a parent directory is a "
				 "symlink or not a directory");
}

static void test_linked_staging_hostile_archives_keep_their_messages(void **state)
{
	(void)state;
	const mkpkg_member_t dotdot[] = {{"info/index.json", MKPKG_FILE, "{}", 0},
					 {"lib/../../escaped", MKPKG_FILE, "x", 0}};
	assert_refused_both_ways(dotdot, 2, NULL,
				 "lib/../../escaped: member name contains a \"..\" component");
	const mkpkg_member_t escape[] = {{"info/index.json", MKPKG_FILE, "{}", 0},
					 {"lib/evil", MKPKG_SYMLINK, "../../../etc/passwd", 0}};
	assert_refused_both_ways(escape, 2, NULL,
				 "lib/evil: symlink target points outside the prefix");
	const mkpkg_member_t through[] = {{"info/index.json", MKPKG_FILE, "{}", 0},
					  {"share", MKPKG_DIR, NULL, 0},
					  {"lib", MKPKG_SYMLINK, "share", 0},
					  {"lib/x", MKPKG_FILE, "x", 0}};
	assert_refused_both_ways(through, 4, NULL,
				 "lib/x: a parent directory is a symlink or not a directory");
}

/* The corpus's zlib .conda has symlinks with empty targets (see test_install.c). */
static void test_linked_staging_corpus_zlib_empty_symlink_target_is_refused(void **state)
{
	(void)state;
	const char *shared = getenv("IMGBUILD_SHARED");
	buf_t pkg = BUF_INIT, cache = BUF_INIT, dest = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&pkg, "%s/corpus/packages/zlib-1.2.11-h7b6447c_3.conda",
		 shared ? shared : "../shared");
	if (!fs_exists(pkg.data)) {
		buf_free(&pkg);
		skip();
	}
	install_opts_t o = {.target_prefix = TARGET, .stage_links = 1};
	fresh_path(&cache, "xcache");
	o.extract_cache = cache.data;
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s}", "name", "zlib", "version", "1.2.11",
			      "build", "h7b6447c_3", "build_number", 3, "subdir", "linux-64");
	pkgrec_t *rec = pkgrec_from_json("zlib-1.2.11-h7b6447c_3.conda", j,
					 "https://example.invalid/c", "linux-64", &err);
	json_decref(j);
	rec->sha256 = strdup(SHA);
	fresh_path(&dest, "dest");
	assert_int_equal(install_package(&o, rec, pkg.data, dest.data, &err), -1);
	assert_string_equal(err_msg(&err), "refusing to install zlib-1.2.11-h7b6447c_3: "
					   "lib/libz.so.1: symlink has an empty target (damaged "
					   "archive) (-> )");
	assert_false(fs_exists(dest.data));
	err_clear(&err);
	pkgrec_free(rec);
	buf_free(&pkg), buf_free(&cache), buf_free(&dest);
}

/* A listed file rewritten in the cache after the install (same size, so only the mtime and
 * maybe the inode tell) is never written into a layer. */
static void test_listed_file_changed_after_install_fails_the_layer(void **state)
{
	(void)state;
	buf_t cache = BUF_INIT, dest = BUF_INIT, p = BUF_INIT, blobs = BUF_INIT;
	err_t err = ERR_INIT;
	layer_desc_t d;
	fresh_path(&cache, "xcache");
	if (install(demo_pkg, N_DEMO, cache.data, 1, NULL, &dest, &err))
		fail_msg("%s", err_msg(&err));
	buf_addf(&p, "%s/%s/lib/a/x.txt", cache.data, SHA);
	testutil_write_text(p.data, "y\n");
	fresh_path(&blobs, "blobs");
	assert_int_equal(mkdir(blobs.data, 0755), 0);
	const char *dirs[] = {dest.data};
	assert_int_equal(layer_build(dirs, 1, TARGET, NULL, blobs.data, &d, &err), -1);
	assert_non_null(strstr(err_msg(&err), "lib/a/x.txt in the layer) changed or went away "
					      "since its package was installed from the "
					      "extract cache"));
	err_clear(&err);
	buf_free(&cache), buf_free(&dest), buf_free(&p), buf_free(&blobs);
}

/* Names with any byte but NUL survive the list; a damaged or escaping list is refused. */
static void test_stagelinks_round_trip_and_damage(void **state)
{
	(void)state;
	buf_t stage = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	stagelink_t in[] = {{'f', "a\nb c", "x/a\nb c", 1, 2, 3, 4, 5},
			    {'d', "dir", "", 0, 0, 0, 0, 0}};
	stagelink_t *out = NULL;
	char *root = NULL;
	size_t n = 0;
	fresh_path(&stage, "stage");
	stagelinks_path(stage.data, &path);
	assert_int_equal(stagelinks_read(stage.data, &root, &out, &n, &err), 0);
	assert_int_equal(stagelinks_write(path.data, "/root dir", in, 2, &err), 0);
	assert_int_equal(stagelinks_write(path.data, "/root dir", in, 2, &err), -1); /* O_EXCL */
	err_clear(&err);
	assert_int_equal(stagelinks_read(stage.data, &root, &out, &n, &err), 1);
	assert_int_equal(n, 2);
	assert_string_equal(root, "/root dir");
	assert_string_equal(out[0].rel, "a\nb c");
	assert_string_equal(out[0].src, "x/a\nb c");
	assert_true(out[0].dev == 1 && out[0].ino == 2 && out[0].size == 3);
	assert_true(out[0].mtime_sec == 4 && out[0].mtime_nsec == 5);
	assert_int_equal(out[1].type, 'd');
	stagelinks_free(out, n);
	free(root);
	stagelink_t bad[] = {{'f', "ok", "../../etc/shadow", 1, 2, 3, 4, 5}};
	assert_int_equal(unlink(path.data), 0);
	assert_int_equal(stagelinks_write(path.data, "/r", bad, 1, &err), 0);
	assert_int_equal(stagelinks_read(stage.data, &root, &out, &n, &err), -1);
	assert_non_null(strstr(err_msg(&err), "damaged staging link list"));
	assert_null(out);
	err_clear(&err);
	buf_free(&stage), buf_free(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_linked_staging_gives_the_layer_and_entries_of_the_linked_tree),
		cmocka_unit_test(test_linked_staging_path_installed_twice_is_refused),
		cmocka_unit_test(test_linked_staging_file_under_a_symlink_is_refused),
		cmocka_unit_test(test_linked_staging_hostile_archives_keep_their_messages),
		cmocka_unit_test(test_linked_staging_corpus_zlib_empty_symlink_target_is_refused),
		cmocka_unit_test(test_listed_file_changed_after_install_fails_the_layer),
		cmocka_unit_test(test_stagelinks_round_trip_and_damage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
