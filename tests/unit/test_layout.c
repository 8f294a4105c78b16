/* test_layout.c — oci/layout.c and oci/manifest.c on hand-made layouts (tests/unit/helpers/
 * mklayout): strict blob paths, verified reads, ref names (find, replace in place, keep the
 * other tags of an existing layout with exactly the blobs they reach), an index followed to a
 * platform, manifest types from the document, the hint or the shape, canonical index bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "layout.h"
#include "mklayout.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static buf_t root = BUF_INIT;
static int n_dirs;

static char *new_dir(void)
{
	buf_t d = BUF_INIT;
	buf_addf(&d, "%s/l%d", root.data, n_dirs++);
	return buf_detach(&d);
}

/* An image manifest (config + one layer, both written) in layout; its digest and size. */
static char *make_image(const char *layout, const char *layer_text, size_t *size)
{
	char *cfg = mklayout_text_blob(layout, "{}");
	char *layer = mklayout_text_blob(layout, layer_text);
	buf_t m = BUF_INIT;
	buf_addf(&m,
		 "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST
		 "\",\"config\":{\"mediaType\":"
		 "\"" OCI_MT_CONFIG
		 "\",\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":\"" OCI_MT_LAYER_GZIP
		 "\",\"digest\":\"%s\",\"size\":%zu}]}",
		 cfg, layer, strlen(layer_text));
	char *md = mklayout_text_blob(layout, m.data);
	*size = m.len;
	free(cfg);
	free(layer);
	buf_free(&m);
	return md;
}

static int has_blob(const char *blobs_dir, const char *digest)
{
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	int yes = oci_blob_path(blobs_dir, digest, &p, &err) == 0 && fs_exists(p.data);
	buf_free(&p);
	return yes;
}

static void test_blob_path_takes_only_sha256_and_64_lower_hex(void **state)
{
	(void)state;
	const char *bad[] = {
		"sha256:../../../../etc/passwd",
		"sha256:" HEX64 "/x",
		"sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"sha512:" HEX64 HEX64,
		"sha256:" HEX64 "0",
		"sha256:",
		"md5:abc",
		NULL};
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(oci_blob_path("/b", bad[i], &p, &err), -1);
		assert_non_null(strstr(err_msg(&err), bad[i] ? bad[i] : "(none)"));
	}
	assert_int_equal(oci_blob_path("/b", "sha256:" HEX64, &p, &err), 0);
	assert_string_equal(p.data, "/b/" HEX64);
	err_clear(&err);
	buf_free(&p);
}

static void test_read_blob_checks_size_and_digest(void **state)
{
	(void)state;
	char *dir = new_dir();
	char *d = mklayout_text_blob(dir, "hello");
	mklayout_index(dir, "{\"schemaVersion\":2,\"manifests\":[]}");
	err_t err = ERR_INIT;
	buf_t out = BUF_INIT, p = BUF_INIT;
	oci_layout_t *l = oci_layout_open(dir, &err);
	assert_non_null(l);
	oci_desc_t desc = {.digest = d, .size = 5};
	assert_int_equal(oci_layout_read_blob(l, &desc, 100, &out, &err), 0);
	assert_string_equal(out.data, "hello");
	desc.size = 4;
	assert_int_equal(oci_layout_read_blob(l, &desc, 100, &out, &err), -1);
	assert_non_null(strstr(err_msg(&err), "has 5 bytes, its descriptor says 4"));
	assert_int_equal(oci_layout_verify_blob(l, &desc, &err), -1);
	desc.size = 5;
	assert_int_equal(oci_blob_path(oci_layout_blobs_dir(l), d, &p, &err), 0);
	assert_int_equal(fs_write_atomic(p.data, "jello", 5, &err), 0);
	assert_int_equal(oci_layout_verify_blob(l, &desc, &err), -1);
	assert_non_null(strstr(err_msg(&err), "is corrupt"));
	assert_non_null(strstr(err_msg(&err), d));
	err_clear(&err);
	oci_layout_free(l);
	buf_free(&out);
	buf_free(&p);
	free(d);
	free(dir);
}

static void test_find_names_the_tags_and_wants_one_when_several(void **state)
{
	(void)state;
	char *dir = new_dir();
	buf_t index = BUF_INIT;
	buf_addf(&index,
		 "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:" HEX64 "\",\"size\":1,"
		 "\"annotations\":{\"" OCI_ANN_REF_NAME "\":\"a\"}},{\"digest\":\"sha256:" HEX64
		 "\",\"size\":1,\"annotations\":{\"" OCI_ANN_REF_NAME "\":\"b\"}}]}");
	mklayout_index(dir, index.data);
	err_t err = ERR_INIT;
	oci_layout_t *l = oci_layout_open(dir, &err);
	assert_non_null(l);
	assert_non_null(oci_layout_find(l, "b", &err));
	assert_null(oci_layout_find(l, "c", &err));
	assert_non_null(strstr(err_msg(&err), "no manifest tagged 'c' (tags: a, b)"));
	assert_null(oci_layout_find(l, NULL, &err));
	assert_non_null(strstr(err_msg(&err), "holds 2 images"));
	err_clear(&err);
	oci_layout_free(l);
	buf_free(&index);
	free(dir);
}

static void test_index_entry_with_a_bad_digest_is_refused_at_open(void **state)
{
	(void)state;
	char *dir = new_dir();
	mklayout_index(dir, "{\"manifests\":[{\"digest\":\"sha256:../../x\",\"size\":1}]}");
	err_t err = ERR_INIT;
	assert_null(oci_layout_open(dir, &err));
	assert_non_null(strstr(err_msg(&err), "unsupported digest 'sha256:../../x'"));
	err_clear(&err);
	free(dir);
}

static void test_set_ref_replaces_in_place_and_appends(void **state)
{
	(void)state;
	char *dir = new_dir();
	err_t err = ERR_INIT;
	oci_layout_t *l = oci_layout_create(dir, &err);
	assert_non_null(l);
	oci_desc_t one = {.media_type = OCI_MT_MANIFEST, .digest = "sha256:" HEX64, .size = 1};
	oci_desc_t two = {
		.media_type = OCI_MT_MANIFEST,
		.digest = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		.size = 2};
	const char *tags[] = {"a", "b"};
	assert_int_equal(oci_layout_set_refs(l, &one, tags, 2, &err), 0);
	assert_int_equal(oci_layout_set_ref(l, &two, "a", &err), 0);
	assert_int_equal(oci_layout_count(l), 2);
	assert_string_equal(oci_layout_entry(l, 0)->ref_name, "a");
	assert_string_equal(oci_layout_entry(l, 0)->digest, two.digest);
	assert_string_equal(oci_layout_entry(l, 1)->digest, one.digest);
	/* untagged: at most one entry */
	assert_int_equal(oci_layout_set_refs(l, &one, NULL, 0, &err), 0);
	assert_int_equal(oci_layout_set_refs(l, &two, NULL, 0, &err), 0);
	assert_int_equal(oci_layout_count(l), 3);
	assert_string_equal(oci_layout_entry(l, 2)->digest, two.digest);
	oci_desc_t bad = {.digest = "sha256:x"};
	assert_int_equal(oci_layout_set_ref(l, &bad, "c", &err), -1);
	err_clear(&err);
	oci_layout_free(l);
	free(dir);
}

/* An old layout: x -> image X (with an annotation of another tool), y -> image Y, an untagged
 * image U. A new layout sets y -> image N and keeps the old layout's other tags. */
static void test_keep_refs_keeps_other_tags_and_only_their_blobs(void **state)
{
	(void)state;
	char *old = new_dir(), *dir = new_dir();
	size_t sx, sy, su, sn;
	char *x = make_image(old, "layer x", &sx), *y = make_image(old, "layer y", &sy);
	char *u = make_image(old, "layer u", &su), *n = make_image(dir, "layer n", &sn);
	buf_t index = BUF_INIT;
	buf_addf(&index,
		 "{\"schemaVersion\":2,\"manifests\":["
		 "{\"mediaType\":\"" OCI_MT_MANIFEST
		 "\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":"
		 "{\"" OCI_ANN_REF_NAME "\":\"x\",\"org.opencontainers.image.created\":\"2024\"}},"
		 "{\"mediaType\":\"" OCI_MT_MANIFEST
		 "\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":"
		 "{\"" OCI_ANN_REF_NAME "\":\"y\"}},"
		 "{\"mediaType\":\"" OCI_MT_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu}]}",
		 x, sx, y, sy, u, su);
	mklayout_index(old, index.data);
	err_t err = ERR_INIT;
	oci_layout_t *l = oci_layout_create(dir, &err);
	oci_desc_t nd = {.media_type = OCI_MT_MANIFEST, .digest = n, .size = (long long)sn};
	assert_int_equal(oci_layout_set_ref(l, &nd, "y", &err), 0);
	if (oci_layout_keep_refs(l, old, &err))
		fail_msg("keep_refs: %s", err_msg(&err));
	assert_int_equal(oci_layout_write_index(l, &err), 0);
	oci_layout_free(l);
	/* read back as a reader would */
	assert_non_null(l = oci_layout_open(dir, &err));
	assert_int_equal(oci_layout_count(l), 2);
	assert_string_equal(oci_layout_entry(l, 0)->ref_name, "x");
	assert_string_equal(oci_layout_entry(l, 0)->digest, x);
	assert_string_equal(oci_layout_entry(l, 1)->ref_name, "y");
	assert_string_equal(oci_layout_entry(l, 1)->digest, n);
	oci_manifest_t *m = NULL;
	assert_int_equal(oci_layout_find_image(l, "x", "linux", "amd64", &m, &err), 0);
	assert_true(has_blob(oci_layout_blobs_dir(l), oci_manifest_config(m)->digest));
	assert_true(has_blob(oci_layout_blobs_dir(l), oci_manifest_entry(m, 0)->digest));
	oci_manifest_free(m);
	assert_false(has_blob(oci_layout_blobs_dir(l), y)); /* replaced: not carried over */
	assert_false(has_blob(oci_layout_blobs_dir(l), u)); /* untagged: dropped */
	buf_t raw = BUF_INIT, p = BUF_INIT;
	buf_addf(&p, "%s/index.json", dir);
	assert_int_equal(buf_read_file(&raw, p.data, 1 << 20, &err), 0);
	assert_non_null(strstr(raw.data, "\"org.opencontainers.image.created\":\"2024\""));
	oci_layout_free(l);
	buf_free(&raw);
	buf_free(&p);
	buf_free(&index);
	free(x);
	free(y);
	free(u);
	free(n);
	free(old);
	free(dir);
}

static void test_keep_refs_without_a_layout_is_a_no_op_and_a_broken_one_an_error(void **state)
{
	(void)state;
	char *dir = new_dir(), *none = new_dir(), *broken = new_dir();
	err_t err = ERR_INIT;
	oci_layout_t *l = oci_layout_create(dir, &err);
	assert_int_equal(oci_layout_keep_refs(l, none, &err), 0);
	mklayout_index(broken,
		       "{\"manifests\":[{\"digest\":\"sha256:" HEX64
		       "\",\"size\":9,\"annotations\":{\"" OCI_ANN_REF_NAME "\":\"gone\"}}]}");
	assert_int_equal(oci_layout_keep_refs(l, broken, &err), -1);
	assert_non_null(strstr(err_msg(&err), "keeping tag 'gone'"));
	assert_non_null(strstr(err_msg(&err), "sha256:" HEX64));
	err_clear(&err);
	oci_layout_free(l);
	free(dir);
	free(none);
	free(broken);
}

static void test_find_image_follows_an_index_to_the_platform(void **state)
{
	(void)state;
	char *dir = new_dir();
	size_t s1, s2;
	char *amd = make_image(dir, "amd64 layer", &s1), *arm = make_image(dir, "arm64 layer", &s2);
	buf_t idx = BUF_INIT, top = BUF_INIT;
	buf_addf(&idx,
		 "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX "\",\"manifests\":["
		 "{\"mediaType\":\"" OCI_MT_MANIFEST
		 "\",\"digest\":\"%s\",\"size\":%zu,\"platform\":"
		 "{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
		 "{\"mediaType\":\"" OCI_MT_MANIFEST
		 "\",\"digest\":\"%s\",\"size\":%zu,\"platform\":"
		 "{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}",
		 amd, s1, arm, s2);
	char *id = mklayout_text_blob(dir, idx.data);
	buf_addf(&top,
		 "{\"manifests\":[{\"mediaType\":\"" OCI_MT_INDEX
		 "\",\"digest\":\"%s\",\"size\":%zu}]}",
		 id, idx.len);
	mklayout_index(dir, top.data);
	err_t err = ERR_INIT;
	oci_layout_t *l = oci_layout_open(dir, &err);
	oci_manifest_t *m = NULL;
	assert_int_equal(oci_layout_find_image(l, NULL, "linux", "arm64", &m, &err), 0);
	assert_false(oci_manifest_is_index(m));
	assert_int_equal(oci_manifest_count(m), 1);
	oci_manifest_free(m);
	assert_int_equal(oci_layout_find_image(l, NULL, "linux", "s390x", &m, &err), -1);
	assert_non_null(
		strstr(err_msg(&err), "no linux/s390x image (it has: linux/amd64, linux/arm64)"));
	err_clear(&err);
	oci_layout_free(l);
	buf_free(&idx);
	buf_free(&top);
	free(amd);
	free(arm);
	free(id);
	free(dir);
}

static void test_manifest_type_from_document_hint_or_shape(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	static const char list[] = "{\"manifests\":[]}";
	static const char image[] =
		"{\"config\":{\"digest\":\"sha256:" HEX64 "\",\"size\":2},\"layers\":[]}";
	oci_manifest_t *m = oci_manifest_parse(list, strlen(list),
					       OCI_MT_DOCKER_LIST "; charset=utf-8", "t", &err);
	assert_non_null(m);
	assert_string_equal(oci_manifest_media_type(m), OCI_MT_DOCKER_LIST);
	oci_manifest_free(m);
	assert_non_null(m = oci_manifest_parse(list, strlen(list), NULL, "t", &err));
	assert_string_equal(oci_manifest_media_type(m), OCI_MT_INDEX);
	oci_manifest_free(m);
	assert_non_null(
		m = oci_manifest_parse(image, strlen(image), "application/json", "t", &err));
	assert_string_equal(oci_manifest_media_type(m), OCI_MT_MANIFEST);
	oci_manifest_free(m);
	static const char v1[] =
		"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+prettyjws\"}";
	assert_null(oci_manifest_parse(v1, strlen(v1), NULL, "where", &err));
	assert_non_null(strstr(err_msg(&err),
			       "where: unsupported manifest type "
			       "'application/vnd.docker.distribution.manifest.v1+prettyjws'"));
	static const char nosize[] = "{\"config\":{\"digest\":\"sha256:" HEX64 "\"},\"layers\":[]}";
	assert_null(oci_manifest_parse(nosize, strlen(nosize), NULL, "where", &err));
	assert_non_null(strstr(err_msg(&err), "has no valid size"));
	err_clear(&err);
}

static void test_index_bytes_are_canonical(void **state)
{
	(void)state;
	oci_desc_t e[] = {{.media_type = OCI_MT_MANIFEST,
			   .digest = "sha256:" HEX64,
			   .size = 7,
			   .ref_name = "1",
			   .image_name = "docker.io/team/x:1"},
			  {.media_type = OCI_MT_MANIFEST,
			   .digest = "sha256:" HEX64,
			   .size = 7,
			   .os = "linux",
			   .arch = "arm64"}};
	buf_t out = BUF_INIT;
	oci_index_dump(e, 2, &out);
	assert_string_equal(
		out.data,
		"{\"manifests\":[{\"annotations\":{\"io.containerd.image.name\":\"docker.io/team/"
		"x:1\","
		"\"org.opencontainers.image.ref.name\":\"1\"},\"digest\":\"sha256:" HEX64 "\","
		"\"mediaType\":\"" OCI_MT_MANIFEST "\",\"size\":7},{\"digest\":\"sha256:" HEX64
		"\","
		"\"mediaType\":\"" OCI_MT_MANIFEST "\",\"platform\":{\"architecture\":\"arm64\","
		"\"os\":\"linux\"},\"size\":7}],\"mediaType\":\"" OCI_MT_INDEX
		"\",\"schemaVersion\":2}");
	buf_free(&out);
}

static void test_ref_split_takes_a_tag_only_after_the_last_slash(void **state)
{
	(void)state;
	buf_t dir = BUF_INIT, tag = BUF_INIT;
	oci_layout_ref_split("out/x.oci:1.0", &dir, &tag);
	assert_string_equal(dir.data, "out/x.oci");
	assert_string_equal(tag.data, "1.0");
	oci_layout_ref_split("/tmp/a:b/x.oci", &dir, &tag);
	assert_string_equal(dir.data, "/tmp/a:b/x.oci");
	assert_int_equal(tag.len, 0);
	buf_free(&dir);
	buf_free(&tag);
}

static int setup(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	return fs_mkdtemp("/tmp", "test_layout.", &root, &err);
}

static int teardown(void **state)
{
	(void)state;
	err_t err = ERR_INIT;
	fs_rm_rf(root.data, &err);
	err_clear(&err);
	buf_free(&root);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_path_takes_only_sha256_and_64_lower_hex),
		cmocka_unit_test(test_read_blob_checks_size_and_digest),
		cmocka_unit_test(test_find_names_the_tags_and_wants_one_when_several),
		cmocka_unit_test(test_index_entry_with_a_bad_digest_is_refused_at_open),
		cmocka_unit_test(test_set_ref_replaces_in_place_and_appends),
		cmocka_unit_test(test_keep_refs_keeps_other_tags_and_only_their_blobs),
		cmocka_unit_test(
			test_keep_refs_without_a_layout_is_a_no_op_and_a_broken_one_an_error),
		cmocka_unit_test(test_find_image_follows_an_index_to_the_platform),
		cmocka_unit_test(test_manifest_type_from_document_hint_or_shape),
		cmocka_unit_test(test_index_bytes_are_canonical),
		cmocka_unit_test(test_ref_split_takes_a_tag_only_after_the_last_slash),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
