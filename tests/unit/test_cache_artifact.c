/* test_cache_artifact.c — the registry layer cache's artifact format (oci/cache_artifact.c):
 * tags from keys, the manifest's bytes (deterministic, OCI manifest with artifactType and the
 * empty config), the round trip through the parser, and refusal of manifests that are not
 * ours, name another key, or describe no usable layer. The registry side is tested end to end
 * (tests/e2e/test_cache_repo.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cache_artifact.h"
#include "digest.h"
#include "pkgrec_list.h"

#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define OTHER_KEY "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIG "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIFF "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define MT_GZ "application/vnd.oci.image.layer.v1.tar+gzip"

static const char *const pkgs[] = {"python-3.11.9-h0_0", "zlib-1.3-h0_0"};

static void make(const char *key, buf_t *out)
{
	oci_cache_layer_t l = {.digest = DIG, .diff_id = DIFF, .size = 1234, .media_type = MT_GZ};
	oci_cache_info_t info = {"base-python", pkgs, 2, NULL, 0};
	err_t err = ERR_INIT;
	assert_int_equal(oci_cache_manifest_make(key, &l, &info, out, &err), 0);
}

/* Parses doc for KEY and expects a refusal whose message contains needle. */
static void expect_refused(const char *doc, const char *needle)
{
	oci_cache_layer_t l;
	err_t err = ERR_INIT;
	assert_int_equal(oci_cache_manifest_parse(doc, strlen(doc), KEY, &l, &err), -1);
	if (!strstr(err_msg(&err), needle))
		fail_msg("'%s' does not contain '%s'", err_msg(&err), needle);
	err_clear(&err);
}

/* KEY's manifest with one field replaced (jansson path: top-level or annotations). */
static char *edited(const char *field, json_t *value, int in_annotations)
{
	buf_t b = BUF_INIT;
	make(KEY, &b);
	json_t *m = json_loads(b.data, 0, NULL);
	json_t *target = in_annotations ? json_object_get(m, "annotations") : m;
	if (value)
		json_object_set_new(target, field, value);
	else
		json_object_del(target, field);
	char *s = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	buf_free(&b);
	return s;
}

static void test_tag_is_prefix_and_key(void **state)
{
	(void)state;
	buf_t t = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(oci_cache_tag(KEY, &t, &err), 0);
	assert_string_equal(t.data, "lk-" KEY);
	assert_true(t.len <= 128);
	buf_free(&t);
}

static void test_tag_refuses_a_key_that_is_not_64_hex(void **state)
{
	(void)state;
	buf_t t = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(oci_cache_tag("ABCDEF", &t, &err), -1);
	assert_non_null(strstr(err_msg(&err), "not 64 lower-case hex"));
	err_clear(&err);
	assert_int_equal(oci_cache_tag(KEY "00", &t, &err), -1);
	err_clear(&err);
	buf_free(&t);
}

static void test_manifest_bytes_are_deterministic(void **state)
{
	(void)state;
	buf_t a = BUF_INIT, b = BUF_INIT;
	make(KEY, &a);
	make(KEY, &b);
	assert_string_equal(a.data, b.data);
	/* sorted keys, compact */
	assert_int_equal(strncmp(a.data, "{\"annotations\":{", 16), 0);
	assert_null(strchr(a.data, '\n'));
	buf_free(&a);
	buf_free(&b);
}

static void test_manifest_is_an_oci_artifact_with_the_empty_config(void **state)
{
	(void)state;
	buf_t b = BUF_INIT;
	make(KEY, &b);
	json_t *m = json_loads(b.data, 0, NULL);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "schemaVersion")), 2);
	assert_string_equal(json_string_value(json_object_get(m, "mediaType")),
			    "application/vnd.oci.image.manifest.v1+json");
	assert_string_equal(json_string_value(json_object_get(m, "artifactType")),
			    OCI_CACHE_ARTIFACT_TYPE);
	json_t *c = json_object_get(m, "config");
	assert_string_equal(json_string_value(json_object_get(c, "mediaType")),
			    "application/vnd.oci.empty.v1+json");
	assert_int_equal(json_integer_value(json_object_get(c, "size")), 2);
	json_t *ann = json_object_get(m, "annotations");
	assert_string_equal(json_string_value(json_object_get(ann, "io.imgbuild.cache.group")),
			    "base-python");
	assert_string_equal(json_string_value(json_object_get(ann, "io.imgbuild.cache.packages")),
			    "2 packages: python-3.11.9-h0_0, zlib-1.3-h0_0");
	json_decref(m);
	buf_free(&b);
}

static void test_parse_round_trips_the_layer(void **state)
{
	(void)state;
	buf_t b = BUF_INIT;
	oci_cache_layer_t l;
	err_t err = ERR_INIT;
	make(KEY, &b);
	assert_int_equal(oci_cache_manifest_parse(b.data, b.len, KEY, &l, &err), 0);
	assert_string_equal(l.digest, DIG);
	assert_string_equal(l.diff_id, DIFF);
	assert_string_equal(l.media_type, MT_GZ);
	assert_int_equal(l.size, 1234);
	buf_free(&b);
}

static void test_parse_refuses_another_keys_artifact(void **state)
{
	(void)state;
	buf_t b = BUF_INIT;
	make(OTHER_KEY, &b);
	expect_refused(b.data, "annotation names another key");
	buf_free(&b);
}

static void test_parse_refuses_manifests_that_are_not_ours(void **state)
{
	(void)state;
	char *s;
	expect_refused("not json", "not JSON");
	s = edited("artifactType", json_string("application/vnd.example"), 0);
	expect_refused(s, "artifactType is not");
	free(s);
	s = edited("mediaType", json_string("application/vnd.docker.distribution.manifest.v2+json"),
		   0);
	expect_refused(s, "not an OCI image manifest");
	free(s);
	s = edited("layers", json_array(), 0);
	expect_refused(s, "exactly one layer");
	free(s);
}

static void test_parse_refuses_a_missing_or_bad_diff_id(void **state)
{
	(void)state;
	char *s = edited("io.imgbuild.cache.diff-id", NULL, 1);
	expect_refused(s, "diff-id annotation");
	free(s);
	s = edited("io.imgbuild.cache.diff-id", json_string("sha256:xyz"), 1);
	expect_refused(s, "diff-id annotation");
	free(s);
}

static void test_parse_refuses_a_bad_layer_size(void **state)
{
	(void)state;
	buf_t b = BUF_INIT;
	make(KEY, &b);
	json_t *m = json_loads(b.data, 0, NULL);
	json_object_set_new(json_array_get(json_object_get(m, "layers"), 0), "size",
			    json_integer(0));
	char *s = json_dumps(m, JSON_COMPACT);
	expect_refused(s, "size is out of range");
	free(s);
	json_decref(m);
	buf_free(&b);
}

static void test_make_refuses_an_incomplete_descriptor(void **state)
{
	(void)state;
	oci_cache_layer_t l = {.digest = DIG, .diff_id = "", .size = 1, .media_type = MT_GZ};
	oci_cache_info_t info = {"g", pkgs, 2, NULL, 0};
	buf_t b = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(oci_cache_manifest_make(KEY, &l, &info, &b, &err), -1);
	assert_non_null(strstr(err_msg(&err), "incomplete layer descriptor"));
	err_clear(&err);
	buf_free(&b);
}

static void test_long_package_lists_are_summarised(void **state)
{
	(void)state;
	enum { N = 2000 };
	static char names[N][32];
	const char *v[N];
	for (int i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "package-%04d-1.0-h0_0", i);
		v[i] = names[i];
	}
	oci_cache_layer_t l = {.digest = DIG, .diff_id = DIFF, .size = 1, .media_type = MT_GZ};
	oci_cache_info_t info = {"big", v, N, NULL, 0};
	buf_t b = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(oci_cache_manifest_make(KEY, &l, &info, &b, &err), 0);
	json_t *m = json_loads(b.data, 0, NULL);
	const char *p = json_string_value(
		json_object_get(json_object_get(m, "annotations"), "io.imgbuild.cache.packages"));
	assert_true(strlen(p) <= 4096);
	assert_int_equal(strncmp(p, "2000 packages: package-0000", 27), 0);
	assert_non_null(strstr(p, "more)"));
	json_decref(m);
	buf_free(&b);
}

/* issue 15: the layer's package records are the config blob, found again by the parser; an
 * artifact with the empty config (older) has none, and that is no refusal. */
static void test_package_records_are_the_config(void **state)
{
	(void)state;
	oci_cache_layer_t l = {.digest = DIG, .diff_id = DIFF, .size = 1234, .media_type = MT_GZ};
	const char *recs = "{\"mediaType\":\"" PKGREC_LIST_MT "\",\"packages\":[],\"version\":1}";
	oci_cache_info_t info = {"g", pkgs, 2, recs, strlen(recs)};
	oci_cache_layer_t back;
	char hex[DIGEST_HEX_MAX];
	buf_t b = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(oci_cache_manifest_make(KEY, &l, &info, &b, &err), 0);
	json_t *m = json_loads(b.data, 0, NULL);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(m, "config"), "mediaType")),
		PKGREC_LIST_MT);
	json_decref(m);
	assert_int_equal(oci_cache_manifest_parse(b.data, b.len, KEY, &back, &err), 0);
	digest_buf_hex(DIGEST_SHA256, recs, strlen(recs), hex);
	assert_string_equal(digest_oci_hex(back.records_digest), hex);
	assert_int_equal(back.records_size, (long long)strlen(recs));
	make(KEY, &b);
	assert_int_equal(oci_cache_manifest_parse(b.data, b.len, KEY, &back, &err), 0);
	assert_string_equal(back.records_digest, "");
	buf_free(&b);
}

/* The records round trip, in order, with what an SBOM reads (licence included). */
static void test_package_records_round_trip(void **state)
{
	(void)state;
	pkgrec_t a = {.name = "zlib",
		      .version = "1.3",
		      .build = "h0_0",
		      .subdir = "linux-64",
		      .fn = "zlib-1.3-h0_0.conda",
		      .url = "https://x/linux-64/zlib-1.3-h0_0.conda",
		      .channel = "https://x",
		      .sha256 = "ab",
		      .size = 7};
	pkgrec_t c = {.name = "attrs",
		      .version = "23",
		      .build = "pypi_0",
		      .subdir = "pypi",
		      .fn = "attrs-23-py3-none-any.whl"};
	a.raw = json_pack("{s:s}", "license", "Zlib");
	const pkgrec_t *in[] = {&a, &c};
	pkgrec_t **out;
	size_t n;
	buf_t b = BUF_INIT, again = BUF_INIT;
	err_t err = ERR_INIT;
	pkgrec_list_write(in, 2, &b);
	assert_int_equal(pkgrec_list_read(b.data, b.len, &out, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(out[0]->name, "zlib");
	assert_string_equal(json_string_value(json_object_get(out[0]->raw, "license")), "Zlib");
	assert_null(out[1]->sha256);
	pkgrec_list_write((const pkgrec_t *const *)out, n, &again);
	assert_string_equal(b.data, again.data);
	pkgrec_list_free(out, n);
	assert_int_equal(pkgrec_list_read("{\"packages\":[]}", 15, &out, &n, &err), -1);
	assert_non_null(strstr(err_msg(&err), "not a " PKGREC_LIST_MT));
	err_clear(&err);
	json_decref(a.raw);
	buf_free(&b);
	buf_free(&again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tag_is_prefix_and_key),
		cmocka_unit_test(test_tag_refuses_a_key_that_is_not_64_hex),
		cmocka_unit_test(test_manifest_bytes_are_deterministic),
		cmocka_unit_test(test_manifest_is_an_oci_artifact_with_the_empty_config),
		cmocka_unit_test(test_parse_round_trips_the_layer),
		cmocka_unit_test(test_parse_refuses_another_keys_artifact),
		cmocka_unit_test(test_parse_refuses_manifests_that_are_not_ours),
		cmocka_unit_test(test_parse_refuses_a_missing_or_bad_diff_id),
		cmocka_unit_test(test_parse_refuses_a_bad_layer_size),
		cmocka_unit_test(test_make_refuses_an_incomplete_descriptor),
		cmocka_unit_test(test_long_package_lists_are_summarised),
		cmocka_unit_test(test_package_records_are_the_config),
		cmocka_unit_test(test_package_records_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
