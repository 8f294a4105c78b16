/* test_virtual.c — virtual packages (conda/virtual.c): __glibc read from a base image's
 * layers (hand-made OCI layouts with gzip tar layers: a libc.so.6 banner, an old libc-X.Y.so
 * name, a later layer replacing an earlier libc, no libc at all) and from Debian 12's real
 * libc in tests/fixtures/mkbase's image; --glibc against the base; __cuda and __archspec. */
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
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "fsutil.h"
#include "virtual.h"

static buf_t tmpdir = BUF_INIT;
static int n_layouts;

typedef struct file {
	const char *path;
	const char *content; /* NULL: a symlink to "libc-2.99.so" (never read as a libc) */
	size_t len;          /* 0 = strlen(content) */
} file_t;

#define BANNER(v) "\177ELF....\0GNU C Library (Debian GLIBC " v "-9+deb12u4) stable release version " v ".\n\0more"

/* Writes one gzip tar layer into layout/blobs/sha256 and returns its digest (caller frees). */
static char *write_layer(const char *layout, const file_t *files, size_t n)
{
	buf_t tmp = BUF_INIT, dst = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	err_t err = ERR_INIT;
	buf_addf(&tmp, "%s/layer.tmp", layout);
	struct archive *a = archive_write_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, tmp.data), ARCHIVE_OK);
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
	assert_int_equal(digest_file_hex(DIGEST_SHA256, tmp.data, hex, &err), 0);
	buf_addf(&dst, "%s/blobs/sha256/%s", layout, hex);
	assert_int_equal(rename(tmp.data, dst.data), 0);
	buf_reset(&dst);
	buf_addf(&dst, "sha256:%s", hex);
	buf_free(&tmp);
	return buf_detach(&dst);
}

static char *write_json_blob(const char *layout, const char *text)
{
	char hex[DIGEST_HEX_MAX];
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	digest_buf_hex(DIGEST_SHA256, text, strlen(text), hex);
	buf_addf(&p, "%s/blobs/sha256/%s", layout, hex);
	assert_int_equal(fs_write_atomic(p.data, text, strlen(text), &err), 0);
	buf_reset(&p);
	buf_addf(&p, "sha256:%s", hex);
	return buf_detach(&p);
}

/* A layout whose image (tagged "t") has one layer per NULL-separated group of files. */
static char *make_layout(const file_t *files, size_t n)
{
	buf_t layout = BUF_INIT, sub = BUF_INIT, manifest = BUF_INIT, index = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&layout, "%s/layout%d", tmpdir.data, n_layouts++);
	buf_addf(&sub, "%s/blobs/sha256", layout.data);
	assert_int_equal(fs_mkdir_p(sub.data, &err), 0);
	buf_addstr(&manifest, "{\"schemaVersion\":2,\"config\":{},\"layers\":[");
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && files[i].path)
			continue;
		char *d = write_layer(layout.data, files + start, i - start);
		buf_addf(&manifest, "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\"}",
			 start ? "," : "", d);
		free(d);
		start = i + 1;
	}
	buf_addstr(&manifest, "]}");
	char *md = write_json_blob(layout.data, manifest.data);
	buf_addf(&index, "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"%s\",\"annotations\":"
			 "{\"org.opencontainers.image.ref.name\":\"t\"}}]}", md);
	buf_reset(&sub);
	buf_addf(&sub, "%s/index.json", layout.data);
	assert_int_equal(fs_write_atomic(sub.data, index.data, index.len, &err), 0);
	free(md);
	buf_free(&sub);
	buf_free(&manifest);
	buf_free(&index);
	return buf_detach(&layout);
}

static void expect_glibc(const file_t *files, size_t n, int want_rc, const char *want)
{
	char *layout = make_layout(files, n);
	buf_t v = BUF_INIT;
	err_t err = ERR_INIT;
	int rc = virtual_glibc_from_layout(layout, "t", &v, &err);
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
	file_t f[] = {{"lib/libc-2.28.so", "\177ELF", 0}, {NULL, NULL, 0},
		      {"usr/lib/x86_64-linux-gnu/libc.so.6", libc, sizeof libc - 1}};
	expect_glibc(f, 3, 1, "2.39");
}

static void test_glibc_absent_from_musl_image(void **state)
{
	(void)state;
	file_t f[] = {{"lib/ld-musl-x86_64.so.1", "\177ELF musl", 0}, {"lib/libc.musl-x86_64.so.1", NULL, 0}};
	expect_glibc(f, 2, 0, NULL);
	/* and the set falls back to the default, saying why */
	char *layout = make_layout(f, 2);
	virtual_opts_t o = {.base_layout = layout, .base_tag = "t"};
	virtual_set_t vs;
	buf_t d = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(virtual_set_fill(&vs, &o, &err), 0);
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
	virtual_opts_t o = {.base_layout = layout, .base_tag = "t", .cuda = "12.4", .oci_arch = "arm64"};
	virtual_set_t vs;
	buf_t d = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(virtual_set_fill(&vs, &o, &err), 0);
	virtual_set_describe(&vs, &d);
	assert_string_equal(d.data, "__unix=0 (linux), __linux=5.10 (default), __glibc=2.36 (base image), "
				    "__archspec=1=aarch64 (image architecture), __cuda=12.4 (--cuda)");
	/* an older --glibc is a deliberate, safe choice: it wins */
	o.glibc = "2.17";
	assert_int_equal(virtual_set_fill(&vs, &o, &err), 0);
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
	virtual_opts_t o = {.base_layout = layout, .base_tag = "t", .glibc = "2.39"};
	virtual_set_t vs;
	err_t err = ERR_INIT;
	assert_int_equal(virtual_set_fill(&vs, &o, &err), -1);
	assert_non_null(strstr(err_msg(&err), "--glibc 2.39 is newer than the base image's glibc 2.36"));
	assert_non_null(strstr(err_msg(&err), layout));
	err_clear(&err);
	free(layout);
}

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

static void test_unreadable_layout_names_it(void **state)
{
	(void)state;
	buf_t v = BUF_INIT, dir = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&dir, "%s/not-a-layout", tmpdir.data);
	assert_int_equal(fs_mkdir_p(dir.data, &err), 0);
	assert_int_equal(virtual_glibc_from_layout(dir.data, NULL, &v, &err), -1);
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
	assert_int_equal(virtual_glibc_from_layout(layout, "nope", &v, &err), -1);
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
	if (!src || system("command -v umoci >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1") != 0) {
		printf("skipped: needs IMGBUILD_SRC and umoci/dpkg-deb for tests/fixtures/mkbase\n");
		return;
	}
	buf_addf(&out, "%s/debian-base", tmpdir.data);
	buf_addf(&cmd, "'%s/tests/fixtures/mkbase' '%s' t >/dev/null 2>&1", src, out.data);
	if (system(cmd.data) != 0) {
		printf("skipped: mkbase failed (no Debian packages offline?)\n");
		goto out;
	}
	assert_int_equal(virtual_glibc_from_layout(out.data, "t", &v, &err), 1);
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
	buf_addf(&tmpdir, "%s/test_virtual.XXXXXX", tmp);
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
		cmocka_unit_test(test_defaults_without_base),
		cmocka_unit_test(test_unreadable_layout_names_it),
		cmocka_unit_test(test_unknown_tag_is_an_error),
		cmocka_unit_test(test_real_debian_base_is_glibc_2_36),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
