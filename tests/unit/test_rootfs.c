/* test_rootfs.c — layers/rootfs, the root filesystem layer: --user parsing, the exact entry
 * list (names, types, modes, owners, mtimes, contents, link targets) without a base, with a
 * named or numeric user and ca-certificates, with a base that has some or all of it (never
 * replaced, nothing written through a base symlink), the same bytes under another umask and
 * TZ, and the layer as Debian's tar, python's tarfile and umoci read it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "image.h"
#include "layout.h"
#include "pkgrec.h"
#include "rootfs.h"
#include "testutil.h"
#include "xalloc.h"

#define PREFIX "/opt/conda/envs/x"
#define MTIME 1700000000LL
#define ROOT_PASSWD "root:x:0:0:root:/root:/bin/sh\n"
#define NSSWITCH                                                                                   \
	"# written by imgbuild: the base image had no /etc/nsswitch.conf (docs/base-images.md)\n"  \
	"passwd:         files\ngroup:          files\nshadow:         files\n"                    \
	"hosts:          files dns\nnetworks:       files\nprotocols:      files\n"                \
	"services:       files\n"

/* The layout's blob directory under the test's temp dir (created). Caller frees. */
static char *blobs_dir(const testdir_t *t)
{
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&p, "%s/layout/blobs/sha256", t->root.data);
	assert_int_equal(fs_mkdir_p(p.data, &err), 0);
	return buf_detach(&p);
}

static rootfs_t *plan_ok(const char *user, const basefs_t *base, int with_ca)
{
	pkgrec_t *ca = pkgrec_new(), *py = pkgrec_new();
	ca->name = xstrdup("ca-certificates");
	py->name = xstrdup("python");
	const pkgrec_t *pkgs[] = {py, ca};
	rootfs_opts_t o = {PREFIX, user, base, pkgs, with_ca ? 2 : 1, NULL, NULL};
	err_t err = ERR_INIT;
	rootfs_t *rf = rootfs_plan(&o, &err);
	if (!rf)
		fail_msg("rootfs_plan: %s", err_msg(&err));
	pkgrec_free(ca);
	pkgrec_free(py);
	return rf;
}

static void build_ok(const testdir_t *f, const rootfs_t *rf, layer_desc_t *d)
{
	layer_opts_t lo = {.compression = LAYER_GZIP, .mtime = MTIME};
	err_t err = ERR_INIT;
	char *blobs = blobs_dir(f);
	if (rootfs_build(rf, &lo, blobs, d, &err))
		fail_msg("rootfs_build: %s", err_msg(&err));
	free(blobs);
}

static char *blob_path(const testdir_t *f, const layer_desc_t *d)
{
	buf_t p = BUF_INIT;
	char *blobs = blobs_dir(f);
	buf_addf(&p, "%s/%s", blobs, d->digest + strlen("sha256:"));
	free(blobs);
	return buf_detach(&p);
}

/* One line per entry: type name mode uid/gid mtime, then "-> target" or the contents. */
static char *listing(const char *blob)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	buf_t out = BUF_INIT;
	char data[4096];
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	assert_int_equal(archive_read_open_filename(a, blob, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		mode_t m = archive_entry_mode(e);
		buf_addf(&out, "%c %s %04o %lld/%lld %lld",
			 S_ISDIR(m)   ? 'd'
			 : S_ISLNK(m) ? 'l'
				      : 'f',
			 archive_entry_pathname(e), (unsigned)(m & 07777),
			 (long long)archive_entry_uid(e), (long long)archive_entry_gid(e),
			 (long long)archive_entry_mtime(e));
		if (S_ISLNK(m))
			buf_addf(&out, " -> %s", archive_entry_symlink(e));
		la_ssize_t n = archive_read_data(a, data, sizeof data - 1);
		if (S_ISREG(m) && n >= 0) {
			data[n] = '\0';
			buf_addf(&out, " [%s]", data);
		}
		buf_addch(&out, '\n');
	}
	archive_read_free(a);
	return buf_detach(&out);
}

static char *build_and_list(const testdir_t *f, const rootfs_t *rf)
{
	layer_desc_t d;
	build_ok(f, rf, &d);
	char *bp = blob_path(f, &d), *l = listing(bp);
	free(bp);
	return l;
}

static void test_user_specs_are_parsed_or_refused_clearly(void **state)
{
	(void)state;
	const struct {
		const char *spec, *name;
		unsigned uid, gid;
		int is_named;
	} ok[] = {
		{"1000", "user", 1000, 1000, 0},
		{"1000:100", "user", 1000, 100, 0},
		{"0", "root", 0, 0, 0},
		{"0:0", "root", 0, 0, 0},
		{"root", "root", 0, 0, 1},
		{"alice", "alice", 1000, 1000, 1},
		{"_svc-1", "_svc-1", 1000, 1000, 1},
		{"2147483647", "user", 2147483647u, 2147483647u, 0},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		rootfs_user_t u;
		err_t err = ERR_INIT;
		assert_int_equal(rootfs_user_parse(ok[i].spec, &u, &err), 0);
		assert_string_equal(u.name, ok[i].name);
		assert_int_equal(u.uid, ok[i].uid);
		assert_int_equal(u.gid, ok[i].gid);
		assert_int_equal(u.is_named, ok[i].is_named);
		rootfs_user_clear(&u);
	}
	const char *bad[] = {"",
			     "Alice",
			     "alice:100",
			     "1000:",
			     ":100",
			     "-1",
			     "4294967295",
			     "2147483648",
			     "a b",
			     "x\n",
			     "1000:abc",
			     "9alice",
			     "abcdefghijklmnopqrstuvwxyz0123456"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rootfs_user_t u;
		err_t err = ERR_INIT;
		assert_int_equal(rootfs_user_parse(bad[i], &u, &err), -1);
		assert_non_null(strstr(err_msg(&err), "image user '"));
		assert_int_equal(err.hint, ERR_HINT_USER_SPEC); /* the CLI names --user */
		assert_null(u.name);
		err_clear(&err);
	}
}

static void test_no_base_no_user_gives_the_exact_entries(void **state)
{
	testdir_t *f = *state;
	rootfs_t *rf = plan_ok(NULL, NULL, 0);
	assert_int_equal(rootfs_entry_count(rf), 6);
	assert_string_equal(rootfs_summary(rf),
			    "etc/ etc/group etc/nsswitch.conf etc/passwd root/ tmp/");
	assert_null(rootfs_config_user(rf));
	char *l = build_and_list(f, rf);
	assert_string_equal(l, "d etc/ 0755 0/0 1700000000\n"
			       "f etc/group 0644 0/0 1700000000 [root:x:0:\n]\n"
			       "f etc/nsswitch.conf 0644 0/0 1700000000 [" NSSWITCH "]\n"
			       "f etc/passwd 0644 0/0 1700000000 [" ROOT_PASSWD "]\n"
			       "d root/ 0700 0/0 1700000000\n"
			       "d tmp/ 1777 0/0 1700000000\n");
	free(l);
	rootfs_free(rf);
}

static void test_named_user_and_ca_certificates(void **state)
{
	testdir_t *f = *state;
	rootfs_t *rf = plan_ok("alice", NULL, 1);
	assert_string_equal(rootfs_config_user(rf), "1000:1000");
	char *l = build_and_list(f, rf);
	assert_string_equal(l, "d etc/ 0755 0/0 1700000000\n"
			       "f etc/group 0644 0/0 1700000000 [root:x:0:\nalice:x:1000:\n]\n"
			       "f etc/nsswitch.conf 0644 0/0 1700000000 [" NSSWITCH "]\n"
			       "f etc/passwd 0644 0/0 1700000000 [" ROOT_PASSWD
			       "alice:x:1000:1000:alice:/home/alice:/bin/sh\n]\n"
			       "d etc/ssl/ 0755 0/0 1700000000\n"
			       "d etc/ssl/certs/ 0755 0/0 1700000000\n"
			       "l etc/ssl/certs/ca-certificates.crt 0777 0/0 1700000000 -> " PREFIX
			       "/ssl/cacert.pem\n"
			       "d home/ 0755 0/0 1700000000\n"
			       "d home/alice/ 0755 1000/1000 1700000000\n"
			       "d root/ 0700 0/0 1700000000\n"
			       "d tmp/ 1777 0/0 1700000000\n");
	free(l);
	rootfs_free(rf);
}

static void test_numeric_user_gets_an_entry_and_no_home(void **state)
{
	testdir_t *f = *state;
	rootfs_t *rf = plan_ok("1001:100", NULL, 0);
	assert_string_equal(rootfs_config_user(rf), "1001:100");
	char *l = build_and_list(f, rf);
	assert_non_null(strstr(l, "f etc/passwd 0644 0/0 1700000000 [" ROOT_PASSWD
				  "user:x:1001:100:user:/:/bin/sh\n]\n"));
	assert_non_null(strstr(l, "f etc/group 0644 0/0 1700000000 [root:x:0:\nuser:x:100:\n]\n"));
	assert_null(strstr(l, "home/"));
	free(l);
	rootfs_free(rf);
	/* uid 0 with another group: root's line only, plus that group */
	rf = plan_ok("0:100", NULL, 0);
	assert_string_equal(rootfs_config_user(rf), "0:100");
	l = build_and_list(f, rf);
	assert_non_null(strstr(l, "[" ROOT_PASSWD "]"));
	assert_non_null(strstr(l, "[root:x:0:\nuser:x:100:\n]"));
	free(l);
	rootfs_free(rf);
}

static basefs_t *base_of(const basefs_entry_t *e, size_t n)
{
	basefs_t *fs = basefs_new();
	err_t err = ERR_INIT;
	assert_int_equal(basefs_add_listing(fs, e, n, &err), 0);
	return fs;
}

/* mkbase's layout: etc/ with passwd and group, tmp/, root/. Only what it lacks is written,
 * without an etc/ entry (that would restate the base's directory). */
static void test_base_files_are_never_replaced(void **state)
{
	(void)state;
	const basefs_entry_t e[] = {{"etc", BASEFS_DIR, NULL},
				    {"etc/passwd", BASEFS_FILE, NULL},
				    {"etc/group", BASEFS_FILE, NULL},
				    {"tmp", BASEFS_DIR, NULL},
				    {"root", BASEFS_DIR, NULL}};
	basefs_t *base = base_of(e, sizeof e / sizeof e[0]);
	testutil_log_t log = {BUF_INIT, 0};
	rootfs_opts_t o = {PREFIX, "alice", base, NULL, 0, testutil_log_collect, &log};
	err_t err = ERR_INIT;
	rootfs_t *rf = rootfs_plan(&o, &err);
	assert_non_null(rf);
	assert_string_equal(rootfs_summary(rf), "etc/nsswitch.conf");
	/* the base's passwd must define alice: the image's User stays her name */
	assert_string_equal(rootfs_config_user(rf), "alice");
	assert_non_null(strstr(log.text.data, "note: image user alice: the base image has its own "
					      "/etc/passwd"));
	rootfs_free(rf);
	/* a numeric user needs no passwd entry to be checked */
	o.user = "1000:1000";
	rf = rootfs_plan(&o, &err);
	assert_string_equal(rootfs_config_user(rf), "1000:1000");
	rootfs_free(rf);
	basefs_free(base);
	buf_free(&log.text);
}

/* Nothing is written through a base symlink or over a base file (etc/ssl a link, tmp a link,
 * home a file); a base with everything gives no layer at all. */
static void test_base_symlinks_and_files_block_the_paths_below_them(void **state)
{
	(void)state;
	const basefs_entry_t e[] = {{"etc/ssl", BASEFS_SYMLINK, "/usr/lib/ssl"},
				    {"tmp", BASEFS_SYMLINK, "var/tmp"},
				    {"home", BASEFS_FILE, NULL}};
	basefs_t *base = base_of(e, sizeof e / sizeof e[0]);
	rootfs_t *rf = plan_ok("alice", base, 1);
	assert_string_equal(rootfs_summary(rf), "etc/group etc/nsswitch.conf etc/passwd root/");
	rootfs_free(rf);
	basefs_free(base);
	const basefs_entry_t full[] = {{"etc/passwd", BASEFS_FILE, NULL},
				       {"etc/group", BASEFS_FILE, NULL},
				       {"etc/nsswitch.conf", BASEFS_FILE, NULL},
				       {"etc/ssl/certs/ca-certificates.crt", BASEFS_FILE, NULL},
				       {"root", BASEFS_DIR, NULL},
				       {"tmp", BASEFS_DIR, NULL}};
	base = base_of(full, sizeof full / sizeof full[0]);
	rf = plan_ok(NULL, base, 1);
	assert_int_equal(rootfs_entry_count(rf), 0);
	assert_string_equal(rootfs_summary(rf), "");
	layer_desc_t d;
	layer_opts_t lo = {.compression = LAYER_GZIP};
	err_t err = ERR_INIT;
	assert_int_equal(rootfs_build(rf, &lo, "/nonexistent", &d, &err), -1);
	err_clear(&err);
	rootfs_free(rf);
	basefs_free(base);
}

static void test_same_bytes_under_another_umask_and_timezone(void **state)
{
	testdir_t *f = *state;
	layer_desc_t a, b;
	rootfs_t *rf = plan_ok("alice", NULL, 1);
	build_ok(f, rf, &a);
	mode_t old = umask(077);
	const char *tz = getenv("TZ");
	char *saved_tz = tz ? xstrdup(tz) : NULL;
	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	rootfs_t *again = plan_ok("alice", NULL, 1);
	build_ok(f, again, &b);
	umask(old);
	if (saved_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
	assert_string_equal(a.digest, b.digest);
	assert_string_equal(a.diff_id, b.diff_id);
	assert_int_equal(a.files, 11);
	free(saved_tz);
	rootfs_free(rf);
	rootfs_free(again);
}

static void test_debian_tar_and_python_tarfile_read_it(void **state)
{
	testdir_t *f = *state;
	layer_desc_t d;
	rootfs_t *rf = plan_ok("alice", NULL, 1);
	build_ok(f, rf, &d);
	char *bp = blob_path(f, &d);
	char *tar = testutil_run_out(
		"TZ=UTC tar --numeric-owner -tvzf %s | awk '{print $1, $2, $6}'", bp);
	assert_string_equal(tar, "drwxr-xr-x 0/0 etc/\n"
				 "-rw-r--r-- 0/0 etc/group\n"
				 "-rw-r--r-- 0/0 etc/nsswitch.conf\n"
				 "-rw-r--r-- 0/0 etc/passwd\n"
				 "drwxr-xr-x 0/0 etc/ssl/\n"
				 "drwxr-xr-x 0/0 etc/ssl/certs/\n"
				 "lrwxrwxrwx 0/0 etc/ssl/certs/ca-certificates.crt\n"
				 "drwxr-xr-x 0/0 home/\n"
				 "drwxr-xr-x 1000/1000 home/alice/\n"
				 "drwx------ 0/0 root/\n"
				 "drwxrwxrwt 0/0 tmp/\n");
	if (testutil_have_tool("python3")) {
		char *py = testutil_run_out(
			"python3 -c 'import sys, tarfile\n"
			"t = tarfile.open(sys.argv[1])\n"
			"for m in t: print(m.name, oct(m.mode), m.uid, m.mtime, m.linkname)'"
			" %s",
			bp);
		assert_non_null(strstr(py, "tmp 0o1777 0 1700000000 \n"));
		assert_non_null(strstr(py, "home/alice 0o755 1000 1700000000 \n"));
		assert_non_null(
			strstr(py, "etc/ssl/certs/ca-certificates.crt 0o777 0 1700000000 " PREFIX
				   "/ssl/cacert.pem\n"));
		free(py);
	}
	free(tar);
	free(bp);
	rootfs_free(rf);
}

/* A one-layer OCI layout around the layer, unpacked by umoci (the strictest reader). */
static void test_umoci_unpacks_it_with_modes_and_owners(void **state)
{
	testdir_t *f = *state;
	if (!testutil_have_tool("umoci"))
		skip();
	layer_desc_t d;
	buf_t layout = BUF_INIT, mdigest = BUF_INIT, bundle = BUF_INIT, p = BUF_INIT;
	err_t err = ERR_INIT;
	long long msize = 0;
	rootfs_t *rf = plan_ok("alice", NULL, 0);
	build_ok(f, rf, &d);
	buf_addf(&layout, "%s/layout", f->root.data);
	buf_addf(&bundle, "%s/bundle", f->root.data);
	oci_image_t *img = oci_image_new("linux", "amd64");
	oci_image_add_layer(img, d.digest, d.diff_id, d.size, d.media_type, "imgbuild: rootfs");
	oci_layout_t *lo = oci_layout_create(layout.data, &err);
	assert_non_null(lo);
	assert_int_equal(oci_image_write_blobs(img, lo, &mdigest, &msize, &err), 0);
	const char *tags[] = {"r"};
	oci_desc_t top = {.media_type = OCI_MT_MANIFEST, .digest = mdigest.data, .size = msize};
	assert_int_equal(oci_layout_set_refs(lo, &top, tags, 1, &err), 0);
	assert_int_equal(oci_layout_write_index(lo, &err), 0);
	oci_layout_free(lo);
	free(testutil_run_out("umoci unpack %s --image %s:r %s", geteuid() ? "--rootless" : "",
			      layout.data, bundle.data));
	struct stat st;
	buf_addf(&p, "%s/rootfs/tmp", bundle.data);
	assert_int_equal(lstat(p.data, &st), 0);
	assert_int_equal(st.st_mode & 07777, 01777);
	buf_reset(&p);
	buf_addf(&p, "%s/rootfs/home/alice", bundle.data);
	assert_int_equal(lstat(p.data, &st), 0);
	if (geteuid() == 0)
		assert_int_equal(st.st_uid, 1000);
	buf_reset(&p);
	buf_addf(&p, "%s/rootfs/etc/passwd", bundle.data);
	buf_t content = BUF_INIT;
	assert_int_equal(buf_read_file(&content, p.data, 4096, &err), 0);
	assert_string_equal(content.data,
			    ROOT_PASSWD "alice:x:1000:1000:alice:/home/alice:/bin/sh\n");
	oci_image_free(img);
	rootfs_free(rf);
	buf_free(&layout);
	buf_free(&mdigest);
	buf_free(&bundle);
	buf_free(&p);
	buf_free(&content);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, testdir_setup, testdir_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_specs_are_parsed_or_refused_clearly),
		T(test_no_base_no_user_gives_the_exact_entries),
		T(test_named_user_and_ca_certificates),
		T(test_numeric_user_gets_an_entry_and_no_home),
		T(test_base_files_are_never_replaced),
		T(test_base_symlinks_and_files_block_the_paths_below_them),
		T(test_same_bytes_under_another_umask_and_timezone),
		T(test_debian_tar_and_python_tarfile_read_it),
		T(test_umoci_unpacks_it_with_modes_and_owners),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
