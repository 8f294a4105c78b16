/* test_base.c — base images (oci/base.c): __glibc read from a base image's layers (hand-made
 * OCI layouts with gzip tar layers: a libc.so.6 banner, an old libc-X.Y.so name, a later layer
 * replacing an earlier libc, no libc at all) and from Debian 12's real libc in
 * tests/fixtures/mkbase's image; what the builder then gives conda/virtual.c; unreadable
 * layouts and unknown tags. (Moved from test_virtual.c with the code, same assertions.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base.h"
#include "buf.h"
#include "digest.h"
#include "fsutil.h"
#include "mklayout.h"
#include "virtual.h"

static buf_t tmpdir = BUF_INIT;
static int n_layouts;

typedef struct file {
	const char *path;
	const char *content; /* NULL: a symlink to "libc-2.99.so" (never read as a libc) */
	size_t len;          /* 0 = strlen(content) */
} file_t;

#define BANNER(v)                                                                                  \
	"\177ELF....\0GNU C Library (Debian GLIBC " v "-9+deb12u4) stable release version " v      \
	".\n\0more"

/* gzip -c src > dst. */
static void gzip_file(const char *src, const char *dst)
{
	buf_t data = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(buf_read_file(&data, src, 1 << 26, &err), 0);
	gzFile gz = gzopen(dst, "wb");
	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, data.data, (unsigned)data.len), (int)data.len);
	assert_int_equal(gzclose(gz), Z_OK);
	buf_free(&data);
}

/* Writes one gzip tar layer into layout/blobs/sha256; its descriptor JSON goes to desc and its
 * diff_id ("sha256:<hex>" of the tar) to diff_id. */
static void write_layer(const char *layout, const file_t *files, size_t n, buf_t *desc,
			buf_t *diff_id)
{
	buf_t tar = BUF_INIT, gz = BUF_INIT, dst = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	err_t err = ERR_INIT;
	struct stat st;
	buf_addf(&tar, "%s/layer.tar", layout);
	buf_addf(&gz, "%s/layer.tar.gz", layout);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, tar.data), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, files[i].path);
		archive_entry_set_perm(e, 0755);
		if (!files[i].content) {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, "libc-2.99.so");
			archive_write_header(a, e);
		} else {
			size_t len = files[i].len ? files[i].len : strlen(files[i].content);
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)len);
			archive_write_header(a, e);
			archive_write_data(a, files[i].content, len);
		}
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	assert_int_equal(digest_file_hex(DIGEST_SHA256, tar.data, hex, &err), 0);
	buf_addf(diff_id, "sha256:%s", hex);
	gzip_file(tar.data, gz.data);
	assert_int_equal(digest_file_hex(DIGEST_SHA256, gz.data, hex, &err), 0);
	assert_int_equal(stat(gz.data, &st), 0);
	buf_addf(&dst, "%s/blobs/sha256/%s", layout, hex);
	assert_int_equal(rename(gz.data, dst.data), 0);
	unlink(tar.data);
	buf_addf(desc,
		 "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":"
		 "\"sha256:%s\",\"size\":%lld}",
		 hex, (long long)st.st_size);
	buf_free(&tar);
	buf_free(&gz);
	buf_free(&dst);
}

/* {"mediaType":mt,"digest":d,"size":n} for the text blob just written. */
static void text_desc(const char *mt, const char *digest, const char *text, buf_t *out)
{
	buf_addf(out, "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}", mt, digest,
		 strlen(text));
}

/* A linux/amd64 layout whose image (tagged "t") has one layer per NULL-separated group of
 * files. */
static char *make_layout(const file_t *files, size_t n)
{
	buf_t layout = BUF_INIT, layers = BUF_INIT, diff_ids = BUF_INIT, doc = BUF_INIT;
	buf_t desc = BUF_INIT;
	buf_addf(&layout, "%s/layout%d", tmpdir.data, n_layouts++);
	free(mklayout_text_blob(layout.data, "")); /* creates blobs/sha256 */
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && files[i].path)
			continue;
		buf_t d = BUF_INIT, id = BUF_INIT;
		write_layer(layout.data, files + start, i - start, &d, &id);
		buf_addf(&layers, "%s%s", start ? "," : "", d.data);
		buf_addf(&diff_ids, "%s\"%s\"", start ? "," : "", id.data);
		buf_free(&d);
		buf_free(&id);
		start = i + 1;
	}
	buf_addf(&doc,
		 "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
		 "\"diff_ids\":[%s]}}",
		 diff_ids.data);
	char *cd = mklayout_text_blob(layout.data, doc.data);
	text_desc("application/vnd.oci.image.config.v1+json", cd, doc.data, &desc);
	buf_reset(&doc);
	buf_addf(
		&doc,
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":%s,\"layers\":[%s]}",
		desc.data, layers.data);
	char *md = mklayout_text_blob(layout.data, doc.data);
	buf_reset(&desc);
	text_desc("application/vnd.oci.image.manifest.v1+json", md, doc.data, &desc);
	buf_setstr(&doc, desc.data);
	buf_truncate(&doc, doc.len - 1);
	buf_addstr(&doc, ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"t\"}}");
	buf_setstr(&desc, "{\"schemaVersion\":2,\"manifests\":[");
	buf_addf(&desc, "%s]}", doc.data);
	mklayout_index(layout.data, desc.data);
	free(cd);
	free(md);
	buf_free(&layers);
	buf_free(&diff_ids);
	buf_free(&doc);
	buf_free(&desc);
	return buf_detach(&layout);
}

/* What the builder does with a base image: open it for linux/amd64, read its glibc. */
static int glibc_of(const char *layout, const char *tag, buf_t *v, err_t *err)
{
	oci_base_t *b = oci_base_open(layout, tag, "linux", "amd64", err);
	int rc = b ? oci_base_glibc(b, v, err) : -1;
	oci_base_free(b);
	return rc;
}

/* What the builder does next (builder/pipeline.c, add_virtuals): the set from that glibc. */
static int fill_with_base(virtual_set_t *vs, virtual_opts_t o, const char *layout, err_t *err)
{
	buf_t v = BUF_INIT;
	int found = glibc_of(layout, "t", &v, err);
	o.base_name = layout;
	o.base_glibc = found == 1 ? v.data : NULL;
	int rc = found < 0 ? -1 : virtual_set_fill(vs, &o, err);
	buf_free(&v);
	return rc;
}

static void expect_glibc(const file_t *files, size_t n, int want_rc, const char *want)
{
	char *layout = make_layout(files, n);
	buf_t v = BUF_INIT;
	err_t err = ERR_INIT;
	int rc = glibc_of(layout, "t", &v, &err);
	if (rc != want_rc)
		fail_msg("rc %d, want %d (%s)", rc, want_rc, err_msg(&err));
	if (want)
		assert_string_equal(v.data, want);
	free(layout);
	buf_free(&v);
}

static void test_glibc_from_libc_banner(void **state)
{
	(void)state;
	static const char libc[] = BANNER("2.36");
	file_t f[] = {{"etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0},
		      {"lib/x86_64-linux-gnu/libc.so.6", libc, sizeof libc - 1},
		      {"lib64/ld-linux-x86-64.so.2", NULL, 0}};
	expect_glibc(f, 3, 1, "2.36");
}

static void test_glibc_from_old_libc_file_name(void **state)
{
	(void)state;
	file_t f[] = {{"lib/x86_64-linux-gnu/libc-2.31.so", "\177ELF", 0},
		      {"lib/x86_64-linux-gnu/libc.so.6", NULL, 0}};
	expect_glibc(f, 2, 1, "2.31");
}

static void test_glibc_later_layer_replaces_earlier(void **state)
{
	(void)state;
	static const char libc[] = BANNER("2.39");
	file_t f[] = {{"lib/libc-2.28.so", "\177ELF", 0},
		      {NULL, NULL, 0},
		      {"usr/lib/x86_64-linux-gnu/libc.so.6", libc, sizeof libc - 1}};
	expect_glibc(f, 3, 1, "2.39");
}

static void test_glibc_absent_from_musl_image(void **state)
{
	(void)state;
	file_t f[] = {{"lib/ld-musl-x86_64.so.1", "\177ELF musl", 0},
		      {"lib/libc.musl-x86_64.so.1", NULL, 0}};
	expect_glibc(f, 2, 0, NULL);
	/* and the set falls back to the default, saying why */
	char *layout = make_layout(f, 2);
	virtual_opts_t o = {0};
	virtual_set_t vs;
	buf_t d = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(fill_with_base(&vs, o, layout, &err), 0);
	virtual_set_describe(&vs, &d);
	assert_non_null(strstr(d.data, "__glibc=2.28 (default; base image has no glibc)"));
	free(layout);
	buf_free(&d);
}

static void test_set_uses_base_glibc_and_flags(void **state)
{
	(void)state;
	static const char libc[] = BANNER("2.36");
	file_t f[] = {{"lib/x86_64-linux-gnu/libc.so.6", libc, sizeof libc - 1}};
	char *layout = make_layout(f, 1);
	virtual_opts_t o = {.cuda = "12.4",
			    .oci_arch = "arm64",
			    .glibc_label = "--glibc",
			    .cuda_label = "--cuda"};
	virtual_set_t vs;
	buf_t d = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(fill_with_base(&vs, o, layout, &err), 0);
	virtual_set_describe(&vs, &d);
	assert_string_equal(d.data,
			    "__unix=0 (linux), __linux=5.10 (default), __glibc=2.36 (base image), "
			    "__archspec=1=aarch64 (image architecture), __cuda=12.4 (--cuda)");
	/* an older --glibc is a deliberate, safe choice: it wins */
	o.glibc = "2.17";
	assert_int_equal(fill_with_base(&vs, o, layout, &err), 0);
	assert_string_equal(vs.pkgs[2].version, "2.17");
	assert_string_equal(vs.pkgs[2].source, "--glibc");
	free(layout);
	buf_free(&d);
}

static void test_glibc_flag_newer_than_base_is_refused(void **state)
{
	(void)state;
	static const char libc[] = BANNER("2.36");
	file_t f[] = {{"lib/x86_64-linux-gnu/libc.so.6", libc, sizeof libc - 1}};
	char *layout = make_layout(f, 1);
	virtual_opts_t o = {.glibc = "2.39"};
	virtual_set_t vs;
	err_t err = ERR_INIT;
	assert_int_equal(fill_with_base(&vs, o, layout, &err), -1);
	assert_non_null(
		strstr(err_msg(&err),
		       "the requested glibc 2.39 is newer than the base image's glibc 2.36"));
	assert_null(strstr(err_msg(&err), "--")); /* the CLI names the flag (ERR_HINT_*) */
	assert_int_equal(err.hint, ERR_HINT_GLIBC_NEWER_THAN_BASE);
	assert_non_null(strstr(err_msg(&err), layout));
	err_clear(&err);
	free(layout);
}

static void test_unreadable_layout_names_it(void **state)
{
	(void)state;
	buf_t v = BUF_INIT, dir = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&dir, "%s/not-a-layout", tmpdir.data);
	assert_int_equal(fs_mkdir_p(dir.data, &err), 0);
	assert_int_equal(glibc_of(dir.data, NULL, &v, &err), -1);
	assert_non_null(strstr(err_msg(&err), dir.data));
	assert_non_null(strstr(err_msg(&err), "OCI image layout"));
	err_clear(&err);
	buf_free(&v);
	buf_free(&dir);
}

static void test_unknown_tag_is_an_error(void **state)
{
	(void)state;
	file_t f[] = {{"etc/hostname", "x\n", 0}};
	char *layout = make_layout(f, 1);
	buf_t v = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(glibc_of(layout, "nope", &v, &err), -1);
	assert_non_null(strstr(err_msg(&err), "no image tagged nope"));
	err_clear(&err);
	free(layout);
	buf_free(&v);
}

/* Debian 12's real libc6 in the fixture base image (tests/fixtures/mkbase) is glibc 2.36. */
static void test_real_debian_base_is_glibc_2_36(void **state)
{
	(void)state;
	const char *src = getenv("IMGBUILD_SRC");
	buf_t cmd = BUF_INIT, out = BUF_INIT, v = BUF_INIT;
	err_t err = ERR_INIT;
	if (!src ||
	    system("command -v umoci >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1") !=
		    0) {
		printf("skipped: needs IMGBUILD_SRC and umoci/dpkg-deb for "
		       "tests/fixtures/mkbase\n");
		return;
	}
	buf_addf(&out, "%s/debian-base", tmpdir.data);
	buf_addf(&cmd, "'%s/tests/fixtures/mkbase' '%s' t >/dev/null 2>&1", src, out.data);
	if (system(cmd.data) != 0) {
		printf("skipped: mkbase failed (no Debian packages offline?)\n");
		goto out;
	}
	assert_int_equal(glibc_of(out.data, "t", &v, &err), 1);
	assert_string_equal(v.data, "2.36");
out:
	buf_free(&cmd);
	buf_free(&out);
	buf_free(&v);
}

static int setup(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	buf_addf(&tmpdir, "%s/test_base.XXXXXX", tmp);
	return mkdtemp(tmpdir.data) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	fs_rm_rf(tmpdir.data, &err);
	err_clear(&err);
	buf_free(&tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glibc_from_libc_banner),
		cmocka_unit_test(test_glibc_from_old_libc_file_name),
		cmocka_unit_test(test_glibc_later_layer_replaces_earlier),
		cmocka_unit_test(test_glibc_absent_from_musl_image),
		cmocka_unit_test(test_set_uses_base_glibc_and_flags),
		cmocka_unit_test(test_glibc_flag_newer_than_base_is_refused),
		cmocka_unit_test(test_unreadable_layout_names_it),
		cmocka_unit_test(test_unknown_tag_is_an_error),
		cmocka_unit_test(test_real_debian_base_is_glibc_2_36),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
