/* test_referrers.c — oci/referrers.c: the referrers tag name, merging into a referrers index
 * (order kept, no duplicates, non-index refused), attaching an artifact to an image in a
 * layout (empty config, artifactType, subject, annotated blobs, `sha256-<hex>` entry), and
 * that a layout's referrers entry is never taken for "the only image"; reading a layout's
 * referrers index back (inspect). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "layout.h"
#include "referrers.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_tag_is_sha256_dash_hex(void **state)
{
	(void)state;
	buf_t t = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(oci_referrers_tag("sha256:" HEX_A, &t, &err), 0);
	assert_string_equal(t.data, "sha256-" HEX_A);
	assert_true(oci_is_referrers_tag(t.data));
	assert_false(oci_is_referrers_tag("latest"));
	assert_false(oci_is_referrers_tag("sha256-" HEX_A ".sig"));
	assert_int_equal(oci_referrers_tag("sha256:../x", &t, &err), -1);
	err_clear(&err);
	buf_free(&t);
}

static void test_index_add_keeps_order_and_skips_duplicates(void **state)
{
	(void)state;
	buf_t a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;
	err_t err = ERR_INIT;
	oci_desc_t d1 = {.media_type = OCI_MT_MANIFEST, .digest = "sha256:" HEX_A, .size = 10};
	oci_desc_t d2 = {.media_type = OCI_MT_MANIFEST, .digest = "sha256:" HEX_B, .size = 20};
	assert_int_equal(oci_referrers_index_add(&a, &d1, "application/spdx+json", &b, &err), 0);
	assert_int_equal(oci_referrers_index_add(&b, &d2, "application/x-other", &c, &err), 0);
	assert_int_equal(oci_referrers_index_add(&c, &d1, "application/spdx+json", &a, &err), 0);
	assert_string_equal(a.data, c.data);
	json_t *doc = json_loads(a.data, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "mediaType")), OCI_MT_INDEX);
	json_t *m = json_object_get(doc, "manifests");
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(m, 0), "artifactType")),
		"application/spdx+json");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "digest")),
			    "sha256:" HEX_B);
	json_decref(doc);
	buf_setstr(&b, "{\"config\":{}}");
	assert_int_equal(oci_referrers_index_add(&b, &d1, "x/y", &c, &err), -1);
	assert_non_null(strstr(err_msg(&err), "not an image index"));
	err_clear(&err);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
}

static void test_attach_writes_artifact_and_referrers_entry(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_referrers-XXXXXX", digest[DIGEST_OCI_MAX], img[DIGEST_OCI_MAX];
	err_t err = ERR_INIT;
	buf_t body = BUF_INIT;
	assert_non_null(mkdtemp(dir));
	oci_layout_t *l = oci_layout_create(dir, &err);
	assert_non_null(l);
	const char *manifest = "{\"schemaVersion\":2}";
	assert_int_equal(oci_layout_write_blob(l, manifest, strlen(manifest), img, &err), 0);
	oci_desc_t subject = {.media_type = OCI_MT_MANIFEST, .digest = img, .size = 19};
	oci_artifact_part_t parts[2] = {{"application/spdx+json", "{\"a\":1}", 7, NULL, NULL},
					{"application/spdx+json", "{\"b\":2}", 7, "k", "v"}};
	assert_int_equal(oci_layout_set_ref(l, &subject, "1.0", &err), 0);
	assert_int_equal(
		oci_referrers_attach(l, &subject, "application/spdx+json", parts, 2, digest, &err),
		0);
	assert_int_equal(oci_layout_write_index(l, &err), 0);
	oci_layout_free(l);

	l = oci_layout_open(dir, &err);
	assert_non_null(l);
	assert_int_equal(oci_layout_count(l), 2);
	/* the referrers entry is not an image: the tagged image is still "the only one" */
	const oci_desc_t *only = oci_layout_find(l, NULL, &err);
	assert_non_null(only);
	assert_string_equal(only->digest, img);
	buf_t tag = BUF_INIT;
	oci_referrers_tag(img, &tag, &err);
	const oci_desc_t *ref = oci_layout_find(l, tag.data, &err);
	assert_non_null(ref);
	assert_int_equal(oci_layout_read_blob(l, ref, 1 << 20, &body, &err), 0);
	assert_non_null(strstr(body.data, digest));
	buf_t path = BUF_INIT;
	oci_layout_blob_path(l, digest, &path, &err);
	buf_reset(&body);
	assert_int_equal(buf_read_file(&body, path.data, 1 << 20, &err), 0);
	json_t *m = json_loads(body.data, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(m, "artifactType")),
			    "application/spdx+json");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(m, "config"), "digest")),
		OCI_EMPTY_DIGEST);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(m, "subject"), "digest")), img);
	json_t *l1 = json_array_get(json_object_get(m, "layers"), 1);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(l1, "annotations"), "k")), "v");
	json_decref(m);
	oci_layout_free(l);
	fs_rm_rf(dir, &err);
	buf_free(&tag);
	buf_free(&path);
	buf_free(&body);
}

/* The read side (inspect): the layout's referrers index for a subject, empty for a subject
 * it has none for (not an error). */
static void test_read_layout_finds_the_index_or_none(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_referrers-XXXXXX", digest[DIGEST_OCI_MAX], img[DIGEST_OCI_MAX];
	err_t err = ERR_INIT;
	buf_t idx = BUF_INIT;
	assert_non_null(mkdtemp(dir));
	oci_layout_t *l = oci_layout_create(dir, &err);
	const char *manifest = "{\"schemaVersion\":2}";
	assert_int_equal(oci_layout_write_blob(l, manifest, strlen(manifest), img, &err), 0);
	oci_desc_t subject = {.media_type = OCI_MT_MANIFEST, .digest = img, .size = 19};
	oci_artifact_part_t part = {"application/spdx+json", "{}", 2, NULL, NULL};
	assert_int_equal(oci_layout_set_ref(l, &subject, "1.0", &err), 0);
	assert_int_equal(
		oci_referrers_attach(l, &subject, "application/spdx+json", &part, 1, digest, &err),
		0);
	assert_int_equal(oci_referrers_read_layout(l, img, &idx, &err), 0);
	json_t *doc = json_loads(idx.data, 0, NULL);
	json_t *e = json_array_get(json_object_get(doc, "manifests"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "digest")), digest);
	assert_string_equal(json_string_value(json_object_get(e, "artifactType")),
			    "application/spdx+json");
	json_decref(doc);
	buf_setstr(&idx, "stale");
	assert_int_equal(oci_referrers_read_layout(l, "sha256:" HEX_B, &idx, &err), 0);
	assert_int_equal(idx.len, 0);
	assert_int_equal(oci_referrers_read_layout(l, "md5:x", &idx, &err), -1);
	assert_non_null(strstr(err_msg(&err), "not a sha256:<64 hex> digest"));
	err_clear(&err);
	oci_layout_free(l);
	fs_rm_rf(dir, &err);
	buf_free(&idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_is_sha256_dash_hex),
		cmocka_unit_test(test_index_add_keeps_order_and_skips_duplicates),
		cmocka_unit_test(test_attach_writes_artifact_and_referrers_entry),
		cmocka_unit_test(test_read_layout_finds_the_index_or_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
