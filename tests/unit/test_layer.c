/* test_layer.c — layer_build: reproducibility across hosts-in-miniature (different temp dirs,
 * umask, mtimes, owners, creation order), the exact tar listing (order, owners, modes, mtimes,
 * links), digests against the blob file, gzip header bytes, zstd, and error cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "buf.h"
#include "digest.h"
#include "fsutil.h"
#include "group.h"
#include "layer.h"
#include "overlap.h"
#include "pkgrec.h"
#include "testutil.h"

#define LONG_DIR                                                                                   \
	"a-directory-name-that-is-long-enough-to-push-the-full-tar-path-over-one-hundred-bytes"

typedef struct fixture {
	buf_t root; /* temp dir holding stage dirs and blobs */
	buf_t blobs;
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof *f);
	err_t err = ERR_INIT;
	if (fs_mkdtemp("/tmp", "test_layer.", &f->root, &err))
		return -1;
	buf_addstr(&f->blobs, f->root.data);
	buf_addpath(&f->blobs, "blobs");
	if (fs_mkdir_p(f->blobs.data, &err))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	fs_rm_rf(f->root.data, &err);
	buf_free(&f->root);
	buf_free(&f->blobs);
	free(f);
	return 0;
}

static void mk_dir(const char *root, const char *rel, mode_t mode)
{
	char *p = testutil_join(root, rel);
	assert_int_equal(mkdir(p, mode), 0);
	free(p);
}

static void mk_file(const char *root, const char *rel, const char *content, mode_t mode,
		    long long mtime, uid_t owner)
{
	char *p = testutil_join(root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	assert_int_equal(chmod(p, mode), 0);
	struct timespec ts[2] = {{(time_t)mtime, 0}, {(time_t)mtime, 0}};
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	if (geteuid() == 0)
		assert_int_equal(chown(p, owner, owner), 0);
	free(p);
}

static void mk_symlink(const char *root, const char *rel, const char *target)
{
	char *p = testutil_join(root, rel);
	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static void mk_hardlink(const char *root, const char *existing, const char *rel)
{
	char *a = testutil_join(root, existing), *b = testutil_join(root, rel);
	assert_int_equal(link(a, b), 0);
	free(a);
	free(b);
}

/* Builds the same logical trees (stage 0 and 1) under base, in forward or reverse
 * creation order, with host metadata chosen by `variant`. */
static void make_trees(const char *base, int variant, char **stage0, char **stage1)
{
	*stage0 = testutil_join(base, variant ? "s0-other" : "s0");
	*stage1 = testutil_join(base, variant ? "stage-one-b" : "s1");
	mode_t dmode = variant ? 0700 : 0775;
	long long mt = variant ? 1700000000 : 1000;
	uid_t owner = variant ? 4242 : 0;
	mode_t old = umask(variant ? 077 : 022);
	assert_int_equal(mkdir(*stage0, dmode), 0);
	assert_int_equal(mkdir(*stage1, dmode), 0);
	if (!variant) {
		mk_dir(*stage0, "bin", dmode);
		mk_dir(*stage0, "lib", dmode);
		mk_file(*stage0, "bin/python3.11", "#!/bin/sh\necho py\n", 0775, mt, owner);
		mk_symlink(*stage0, "bin/python", "python3.11");
		mk_file(*stage0, "lib/libz.so.1", "zlib", 0644, mt, owner);
		mk_hardlink(*stage0, "lib/libz.so.1", "lib/libz-copy.so");
		mk_dir(*stage0, LONG_DIR, dmode);
		mk_file(*stage0, LONG_DIR "/data.txt", "long", 0600, mt, owner);
		mk_file(*stage0, "caf\xc3\xa9.txt", "utf8", 0664, mt, owner);
		mk_file(*stage0, "empty", "", 0444, mt, owner);
		mk_dir(*stage1, "lib", dmode);
		mk_file(*stage1, "lib/libssl.so", "ssl", 0755, mt, owner);
		mk_dir(*stage1, "lib-extra", dmode);
		mk_file(*stage1, "lib-extra/x", "x", 0640, mt, owner);
	} else {
		mk_dir(*stage1, "lib-extra", dmode);
		mk_file(*stage1, "lib-extra/x", "x", 0600, mt, owner);
		mk_dir(*stage1, "lib", dmode);
		mk_file(*stage1, "lib/libssl.so", "ssl", 0700, mt, owner);
		mk_file(*stage0, "empty", "", 0600, mt, owner);
		mk_file(*stage0, "caf\xc3\xa9.txt", "utf8", 0600, mt, owner);
		mk_dir(*stage0, LONG_DIR, dmode);
		mk_file(*stage0, LONG_DIR "/data.txt", "long", 0644, mt, owner);
		mk_dir(*stage0, "lib", dmode);
		mk_file(*stage0, "lib/libz-copy.so", "zlib", 0600, mt, owner);
		mk_hardlink(*stage0, "lib/libz-copy.so", "lib/libz.so.1");
		mk_dir(*stage0, "bin", dmode);
		mk_symlink(*stage0, "bin/python", "python3.11");
		mk_file(*stage0, "bin/python3.11", "#!/bin/sh\necho py\n", 0711, mt, owner);
	}
	umask(old);
}

static void build_ok(const char *const *dirs, size_t n, const char *prefix, layer_compression_t c,
		     const char *blobs, layer_desc_t *d)
{
	err_t err = ERR_INIT;
	layer_opts_t o = {.compression = c, .mtime = 315532800};
	if (layer_build(dirs, n, prefix, &o, blobs, d, &err) != 0)
		fail_msg("layer_build: %s", err_msg(&err));
}

static char *blob_path(const char *blobs, const char *digest)
{
	assert_int_equal(strncmp(digest, "sha256:", 7), 0);
	return testutil_join(blobs, digest + 7);
}

/* Lists a layer blob as lines "type name mode uid/gid mtime size [-> target|=> hardlink]". */
static char *list_tar(const char *path)
{
	/* the reader converts PAX UTF-8 names to the locale: read in a UTF-8 one */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	assert_true(utf8 != (locale_t)0);
	locale_t saved = uselocale(utf8);
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	buf_t out = BUF_INIT;
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	assert_int_equal(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		mode_t m = archive_entry_mode(e);
		const char *hl = archive_entry_hardlink(e);
		char type = hl ? 'h' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : 'f';
		buf_addf(&out, "%c %s %04o %lld/%lld %lld %lld", type, archive_entry_pathname(e),
			 (unsigned)(m & 07777), (long long)archive_entry_uid(e),
			 (long long)archive_entry_gid(e), (long long)archive_entry_mtime(e),
			 (long long)archive_entry_size(e));
		if (S_ISLNK(m) && !hl)
			buf_addf(&out, " -> %s", archive_entry_symlink(e));
		if (hl)
			buf_addf(&out, " => %s", hl);
		if (archive_entry_uname(e) && *archive_entry_uname(e))
			buf_addf(&out, " uname=%s", archive_entry_uname(e));
		buf_addch(&out, '\n');
	}
	archive_read_free(a);
	uselocale(saved);
	freelocale(utf8);
	return buf_detach(&out);
}

static void gunzip_sha256(const char *path, char hex[DIGEST_HEX_MAX])
{
	gzFile g = gzopen(path, "rb");
	assert_non_null(g);
	digest_t *d = digest_new(DIGEST_SHA256);
	char chunk[8192];
	int n;
	while ((n = gzread(g, chunk, sizeof chunk)) > 0)
		digest_update(d, chunk, (size_t)n);
	assert_int_equal(n, 0);
	gzclose(g);
	digest_final_hex(d, hex);
	digest_free(d);
}

static void unzstd_sha256(const char *path, char hex[DIGEST_HEX_MAX])
{
	buf_t in = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(buf_read_file(&in, path, 1 << 26, &err), 0);
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	digest_t *d = digest_new(DIGEST_SHA256);
	char out[8192];
	ZSTD_inBuffer ib = {in.data, in.len, 0};
	size_t r = 1;
	while (ib.pos < ib.size || r != 0) {
		ZSTD_outBuffer ob = {out, sizeof out, 0};
		r = ZSTD_decompressStream(dc, &ob, &ib);
		assert_false(ZSTD_isError(r));
		digest_update(d, out, ob.pos);
		if (ib.pos == ib.size && ob.pos == 0 && r != 0)
			fail_msg("truncated zstd frame");
	}
	digest_final_hex(d, hex);
	digest_free(d);
	ZSTD_freeDCtx(dc);
	buf_free(&in);
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_same_trees_built_twice_differently_give_identical_digests(void **state)
{
	fixture_t *f = *state;
	char *a = testutil_join(f->root.data, "hostA"),
	     *b = testutil_join(f->root.data, "hostB-with-longer-name");
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	char *a0, *a1, *b0, *b1;
	make_trees(a, 0, &a0, &a1);
	make_trees(b, 1, &b0, &b1);
	const char *da[] = {a0, a1}, *db[] = {b0, b1};
	layer_desc_t la, lb, za, zb;
	build_ok(da, 2, "/opt/conda/envs/demo", LAYER_GZIP, f->blobs.data, &la);
	build_ok(db, 2, "/opt/conda/envs/demo", LAYER_GZIP, f->blobs.data, &lb);
	assert_string_equal(la.digest, lb.digest);
	assert_string_equal(la.diff_id, lb.diff_id);
	assert_int_equal(la.size, lb.size);
	build_ok(da, 2, "/opt/conda/envs/demo", LAYER_ZSTD, f->blobs.data, &za);
	build_ok(db, 2, "/opt/conda/envs/demo", LAYER_ZSTD, f->blobs.data, &zb);
	assert_string_equal(za.digest, zb.digest);
	/* same tar, different compression */
	assert_string_equal(za.diff_id, la.diff_id);
	assert_string_not_equal(za.digest, la.digest);
	free(a0);
	free(a1);
	free(b0);
	free(b1);
	free(a);
	free(b);
}

/* Regular files left under root (directories and symlinks are not counted). */
static int count_regular_files(const char *root)
{
	int n = 0;
	DIR *d = opendir(root);
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *p = testutil_join(root, de->d_name);
		struct stat st;
		assert_int_equal(lstat(p, &st), 0);
		if (S_ISDIR(st.st_mode))
			n += count_regular_files(p);
		else if (S_ISREG(st.st_mode))
			n++;
		free(p);
	}
	closedir(d);
	return n;
}

/* consume_sources: the same bytes (hardlinks included: the second name of an inode is a link
 * entry whatever was unlinked before it), and every regular file is gone afterwards. */
static void test_consume_sources_gives_the_same_layer_and_empties_the_trees(void **state)
{
	fixture_t *f = *state;
	char *a = testutil_join(f->root.data, "keep"), *b = testutil_join(f->root.data, "consume");
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	char *a0, *a1, *b0, *b1;
	make_trees(a, 0, &a0, &a1);
	make_trees(b, 1, &b0, &b1);
	const char *da[] = {a0, a1}, *db[] = {b0, b1};
	layer_desc_t la, lb;
	err_t err = ERR_INIT;
	layer_opts_t o = {.compression = LAYER_GZIP, .mtime = 315532800};
	assert_int_equal(layer_build(da, 2, "/opt/conda/envs/demo", &o, f->blobs.data, &la, &err),
			 0);
	o.consume_sources = 1;
	assert_int_equal(layer_build(db, 2, "/opt/conda/envs/demo", &o, f->blobs.data, &lb, &err),
			 0);
	assert_string_equal(la.digest, lb.digest);
	assert_int_equal(la.files, lb.files);
	assert_int_equal(count_regular_files(a0) + count_regular_files(a1), 8);
	assert_int_equal(count_regular_files(b0) + count_regular_files(b1), 0);
	free(a0);
	free(a1);
	free(b0);
	free(b1);
	free(a);
	free(b);
}

static void test_tar_listing_has_fixed_order_owner_modes_mtime_and_links(void **state)
{
	fixture_t *f = *state;
	char *s0, *s1;
	make_trees(f->root.data, 1, &s0, &s1);
	const char *dirs[] = {s0, s1};
	layer_desc_t d;
	build_ok(dirs, 2, "/opt/conda/envs/demo", LAYER_GZIP, f->blobs.data, &d);
	char *bp = blob_path(f->blobs.data, d.digest);
	char *got = list_tar(bp);
	const char *P = "opt/conda/envs/demo/";
	buf_t want = BUF_INIT;
	buf_addstr(&want, "d opt/ 0755 0/0 315532800 0\n"
			  "d opt/conda/ 0755 0/0 315532800 0\n"
			  "d opt/conda/envs/ 0755 0/0 315532800 0\n"
			  "d opt/conda/envs/demo/ 0755 0/0 315532800 0\n");
	/* layer-format 4: each stage dir (package) in turn, its entries in path order; a
	 * directory already written (lib/) is not written again */
	buf_addf(&want, "d %s" LONG_DIR "/ 0755 0/0 315532800 0\n", P);
	buf_addf(&want, "f %s" LONG_DIR "/data.txt 0644 0/0 315532800 4\n", P);
	buf_addf(&want, "d %sbin/ 0755 0/0 315532800 0\n", P);
	buf_addf(&want, "l %sbin/python 0777 0/0 315532800 0 -> python3.11\n", P);
	buf_addf(&want, "f %sbin/python3.11 0755 0/0 315532800 18\n", P);
	buf_addf(&want, "f %scaf\xc3\xa9.txt 0644 0/0 315532800 4\n", P);
	buf_addf(&want, "f %sempty 0644 0/0 315532800 0\n", P);
	buf_addf(&want, "d %slib/ 0755 0/0 315532800 0\n", P);
	buf_addf(&want, "f %slib/libz-copy.so 0644 0/0 315532800 4\n", P);
	buf_addf(&want, "h %slib/libz.so.1 0644 0/0 315532800 0 => %slib/libz-copy.so\n", P, P);
	/* the second stage: plain bytewise order, "lib-extra" < "lib/..." because '-' < '/' */
	buf_addf(&want, "d %slib-extra/ 0755 0/0 315532800 0\n", P);
	buf_addf(&want, "f %slib-extra/x 0644 0/0 315532800 1\n", P);
	buf_addf(&want, "f %slib/libssl.so 0755 0/0 315532800 3\n", P);
	assert_string_equal(got, want.data);
	assert_int_equal(d.files, 17);
	assert_string_equal(d.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
	buf_free(&want);
	free(got);
	free(bp);
	free(s0);
	free(s1);
}

static void test_digest_is_sha256_of_blob_and_diff_id_of_gunzipped_blob(void **state)
{
	fixture_t *f = *state;
	char *s0, *s1;
	make_trees(f->root.data, 0, &s0, &s1);
	const char *dirs[] = {s0, s1};
	layer_desc_t d;
	build_ok(dirs, 2, "/opt/conda", LAYER_GZIP, f->blobs.data, &d);
	char *bp = blob_path(f->blobs.data, d.digest);
	char hex[DIGEST_HEX_MAX];
	err_t err = ERR_INIT;
	assert_int_equal(digest_file_hex(DIGEST_SHA256, bp, hex, &err), 0);
	assert_string_equal(hex, d.digest + 7);
	struct stat st;
	assert_int_equal(stat(bp, &st), 0);
	assert_int_equal(st.st_size, d.size);
	assert_int_equal(st.st_mode & 0777, 0644);
	gunzip_sha256(bp, hex);
	assert_string_equal(hex, d.diff_id + 7);
	/* no temporary files left behind */
	buf_t tmp = BUF_INIT;
	buf_addstr(&tmp, f->blobs.data);
	int count = 0;
	struct dirent *de;
	DIR *dir = opendir(tmp.data);
	while ((de = readdir(dir)) != NULL)
		count += de->d_name[0] != '.';
	closedir(dir);
	assert_int_equal(count, 1);
	buf_free(&tmp);
	free(bp);
	free(s0);
	free(s1);
}

static void test_gzip_header_is_fixed(void **state)
{
	fixture_t *f = *state;
	char *s = testutil_join(f->root.data, "s");
	assert_int_equal(mkdir(s, 0755), 0);
	mk_file(s, "f", "hello", 0644, 5, 0);
	const char *dirs[] = {s};
	layer_desc_t d;
	build_ok(dirs, 1, "/x", LAYER_GZIP, f->blobs.data, &d);
	char *bp = blob_path(f->blobs.data, d.digest);
	buf_t b = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(buf_read_file(&b, bp, 1 << 20, &err), 0);
	static const unsigned char want[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
	assert_memory_equal(b.data, want, 10);
	buf_free(&b);
	free(bp);
	free(s);
}

static void test_zstd_layer_decompresses_to_diff_id(void **state)
{
	fixture_t *f = *state;
	char *s0, *s1;
	make_trees(f->root.data, 0, &s0, &s1);
	const char *dirs[] = {s0, s1};
	layer_desc_t d;
	build_ok(dirs, 2, "/opt/conda", LAYER_ZSTD, f->blobs.data, &d);
	assert_string_equal(d.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
	char *bp = blob_path(f->blobs.data, d.digest);
	char hex[DIGEST_HEX_MAX];
	unzstd_sha256(bp, hex);
	assert_string_equal(hex, d.diff_id + 7);
	free(bp);
	free(s0);
	free(s1);
}

static void test_empty_stage_dir_gives_only_prefix_dirs(void **state)
{
	fixture_t *f = *state;
	char *s = testutil_join(f->root.data, "empty");
	assert_int_equal(mkdir(s, 0755), 0);
	const char *dirs[] = {s};
	layer_desc_t d;
	build_ok(dirs, 1, "/opt/conda/envs/demo", LAYER_GZIP, f->blobs.data, &d);
	char *bp = blob_path(f->blobs.data, d.digest);
	char *got = list_tar(bp);
	assert_string_equal(got, "d opt/ 0755 0/0 315532800 0\n"
				 "d opt/conda/ 0755 0/0 315532800 0\n"
				 "d opt/conda/envs/ 0755 0/0 315532800 0\n"
				 "d opt/conda/envs/demo/ 0755 0/0 315532800 0\n");
	assert_int_equal(d.files, 4);
	free(got);
	free(bp);
	free(s);
}

static void test_same_file_in_two_stage_dirs_is_an_error_naming_both(void **state)
{
	fixture_t *f = *state;
	char *a = testutil_join(f->root.data, "pkg-a"), *b = testutil_join(f->root.data, "pkg-b");
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	mk_dir(a, "lib", 0755);
	mk_dir(b, "lib", 0755);
	mk_file(a, "lib/libfoo.so", "a", 0644, 0, 0);
	mk_file(b, "lib/libfoo.so", "b", 0644, 0, 0);
	const char *dirs[] = {a, b};
	layer_desc_t d;
	err_t err = ERR_INIT;
	assert_int_equal(layer_build(dirs, 2, "/opt/conda", NULL, f->blobs.data, &d, &err), -1);
	assert_non_null(strstr(err_msg(&err), "'lib/libfoo.so'"));
	assert_non_null(strstr(err_msg(&err), a));
	assert_non_null(strstr(err_msg(&err), b));
	err_clear(&err);
	free(a);
	free(b);
}

static void test_relative_prefix_is_rejected(void **state)
{
	fixture_t *f = *state;
	const char *dirs[] = {f->root.data};
	layer_desc_t d;
	err_t err = ERR_INIT;
	assert_int_equal(layer_build(dirs, 1, "opt/conda", NULL, f->blobs.data, &d, &err), -1);
	assert_non_null(strstr(err_msg(&err), "'opt/conda' must be an absolute path"));
	err_clear(&err);
}

static void test_fifo_in_stage_dir_is_rejected(void **state)
{
	fixture_t *f = *state;
	char *s = testutil_join(f->root.data, "s"), *fifo = testutil_join(f->root.data, "s/pipe");
	assert_int_equal(mkdir(s, 0755), 0);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	const char *dirs[] = {s};
	layer_desc_t d;
	err_t err = ERR_INIT;
	assert_int_equal(layer_build(dirs, 1, "/opt", NULL, f->blobs.data, &d, &err), -1);
	assert_non_null(strstr(err_msg(&err), "pipe: unsupported file type"));
	err_clear(&err);
	free(s);
	free(fifo);
}

/* Issue 10 #6: layer bytes must not depend on how the cache's files are linked. Two packages'
 * files that share an inode only because their extract-cache entries were deduplicated (or a
 * copy of the cache kept some links) used to become a tar hardlink across packages; files
 * that are separate copies of the same bytes did not. Both trees now give one layer. */
static void test_cache_links_between_packages_do_not_change_the_layer(void **state)
{
	fixture_t *f = *state;
	char *a = testutil_join(f->root.data, "a"), *b = testutil_join(f->root.data, "b");
	char *a2 = testutil_join(f->root.data, "a2"), *b2 = testutil_join(f->root.data, "b2");
	const char *linked[] = {a, b}, *copied[] = {a2, b2};
	layer_desc_t d1, d2;
	for (int i = 0; i < 4; i++)
		assert_int_equal(mkdir((const char *[]){a, b, a2, b2}[i], 0755), 0);
	mk_file(a, "same.txt", "identical bytes\n", 0644, 0, 0);
	mk_hardlink(a, "same.txt", "twin.txt"); /* a link inside one package stays a link */
	char *src = testutil_join(a, "same.txt"), *dst = testutil_join(b, "other.txt");
	assert_int_equal(link(src, dst), 0); /* across packages: the dedup's doing */
	mk_file(a2, "same.txt", "identical bytes\n", 0644, 0, 0);
	mk_hardlink(a2, "same.txt", "twin.txt");
	mk_file(b2, "other.txt", "identical bytes\n", 0644, 0, 0);
	build_ok(linked, 2, "/opt/conda", LAYER_GZIP, f->blobs.data, &d1);
	build_ok(copied, 2, "/opt/conda", LAYER_GZIP, f->blobs.data, &d2);
	char *bp = blob_path(f->blobs.data, d1.digest), *got = list_tar(bp);
	assert_non_null(strstr(got, "f opt/conda/other.txt 0644 0/0 315532800 16\n"));
	assert_non_null(
		strstr(got, "h opt/conda/twin.txt 0644 0/0 315532800 0 => opt/conda/same.txt\n"));
	assert_string_equal(d1.digest, d2.digest);
	free(got), free(bp), free(src), free(dst);
	free(a), free(b), free(a2), free(b2);
}

static void ignore_signal(int sig)
{
	(void)sig;
}

/* Issue 10 #12: a layer that does not fit on the disk (here: RLIMIT_FSIZE, as a full tmpfs
 * would) is an error naming the blob, and every libarchive object and temporary is freed on
 * that path (the ASan/UBSan unit run in tests/run.sh reports a leak otherwise). */
/* Builds stage dir <name> holding one file of n_kib KiB that no compressor can shrink. */
static char *mk_random_stage(const char *root, const char *name, int n_kib)
{
	char *s = testutil_join(root, name), *p = NULL;
	assert_int_equal(mkdir(s, 0755), 0);
	p = testutil_join(s, "random.bin");
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
	unsigned x = 12345;
	char chunk[1024];
	assert_true(fd >= 0);
	for (int i = 0; i < n_kib; i++) {
		for (size_t j = 0; j < sizeof chunk; j++)
			chunk[j] = (char)((x = x * 1103515245u + 12345u) >> 24);
		assert_int_equal(write(fd, chunk, sizeof chunk), (ssize_t)sizeof chunk);
	}
	close(fd);
	free(p);
	mk_dir(s, LONG_DIR, 0755); /* and a name that needs a PAX header */
	mk_file(s, LONG_DIR "/" LONG_DIR ".txt", "pax", 0644, 0, 0);
	return s;
}

/* Issue 10 #12: a layer that does not fit on the disk (RLIMIT_FSIZE here, as a full tmpfs
 * would) is an error naming the blob, leaves no temporary in blobs_dir, and frees every
 * libarchive object on that path (the ASan/UBSan unit run in tests/run.sh reports a leak
 * otherwise). Both compressors, failing mid-stream (2 MiB) and in the final flush (300 KiB,
 * which the gzip chunker holds until the end). */
static void test_disk_full_while_writing_is_an_error_without_leaks(void **state)
{
	fixture_t *f = *state;
	static const struct {
		layer_compression_t c;
		int kib, threads;
	} cases[] = {{LAYER_GZIP, 2048, 2},
		     {LAYER_GZIP, 300, 1},
		     {LAYER_ZSTD, 2048, 2},
		     {LAYER_ZSTD, 300, 1}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_t name = BUF_INIT;
		buf_addf(&name, "big%zu", i);
		char *s = mk_random_stage(f->root.data, name.data, cases[i].kib);
		struct rlimit saved, small;
		assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
		small = saved;
		small.rlim_cur = 64 * 1024;
		void (*old)(int) =
			signal(SIGXFSZ, ignore_signal); /* write() returns EFBIG instead */
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
		const char *dirs[] = {s};
		layer_desc_t d;
		err_t err = ERR_INIT;
		layer_opts_t o = {.compression = cases[i].c, .threads = cases[i].threads};
		int rc = layer_build(dirs, 1, "/opt", &o, f->blobs.data, &d, &err);
		assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
		signal(SIGXFSZ, old);
		assert_int_equal(rc, -1);
		if (!strstr(err_msg(&err), "write failed"))
			fail_msg("case %zu: %s", i, err_msg(&err));
		DIR *dir = opendir(f->blobs.data);
		struct dirent *de;
		while ((de = readdir(dir)) != NULL)
			assert_true(de->d_name[0] == '.' &&
				    (!de->d_name[1] || !strcmp(de->d_name, "..")));
		closedir(dir);
		err_clear(&err);
		buf_free(&name);
		free(s);
	}
}

static pkgrec_t *overlap_pkg(const char *name)
{
	pkgrec_t *r = pkgrec_new();
	r->name = strdup(name);
	r->version = strdup("1.0");
	r->build = strdup("0");
	r->fn = strdup(name);
	return r;
}

/* Issue 10 (messages): two packages in different layers writing the same path was silent;
 * the image just showed the later layer's copy. Now each such path is a warning naming both
 * packages and which copy wins; shared directories and a layer taken from a cache (no tree)
 * are not reported. */
static void test_same_path_in_two_layers_is_a_warning_naming_both_packages(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	const char *yaml =
		"groups:\n  - {name: base, match: [foo]}\n  - {name: rest, rest: true}\n";
	recipe_t *r = recipe_parse("test.yaml", yaml, strlen(yaml), &err);
	assert_non_null(r);
	pkgrec_t *p[3] = {overlap_pkg("foo"), overlap_pkg("bar"), overlap_pkg("baz")};
	plan_t *plan = plan_new(r, (const pkgrec_t *const *)p, 3, &err);
	assert_non_null(plan);
	char *s[3] = {testutil_join(f->root.data, "foo"), testutil_join(f->root.data, "bar"),
		      testutil_join(f->root.data, "baz")};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mkdir(s[i], 0755), 0);
		mk_dir(s[i], "lib", 0755);
		mk_file(s[i], "lib/libx.so", i ? "bar's" : "foo's", 0644, 0, 0);
	}
	mk_file(s[0], "lib/only-foo", "", 0644, 0, 0); /* baz's tree is absent: cached layer */
	testutil_log_t c = {BUF_INIT, 0};
	overlap_warn(plan, (const char *const *)s, (const pkgrec_t *const *)p, testutil_log_collect,
		     &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(
		c.text.data,
		"warning: lib/libx.so is installed by both foo-1.0-0 (layer base) and "
		"bar-1.0-0 (layer rest); the image has bar-1.0-0's copy (the later layer "
		"wins)\n");
	buf_free(&c.text);
	plan_free(plan);
	recipe_free(r);
	for (int i = 0; i < 3; i++)
		pkgrec_free(p[i]), free(s[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_same_trees_built_twice_differently_give_identical_digests, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_consume_sources_gives_the_same_layer_and_empties_the_trees, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_tar_listing_has_fixed_order_owner_modes_mtime_and_links, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_digest_is_sha256_of_blob_and_diff_id_of_gunzipped_blob, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_gzip_header_is_fixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zstd_layer_decompresses_to_diff_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_empty_stage_dir_gives_only_prefix_dirs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_same_file_in_two_stage_dirs_is_an_error_naming_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_prefix_is_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_in_stage_dir_is_rejected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_cache_links_between_packages_do_not_change_the_layer, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_disk_full_while_writing_is_an_error_without_leaks, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_same_path_in_two_layers_is_a_warning_naming_both_packages, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
