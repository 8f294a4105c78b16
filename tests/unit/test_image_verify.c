/* test_image_verify.c — builder/image_verify.c's comparison (image_verify_compare) of a planned
 * platform with an image's, without a solve or an image: each kind of difference, the layers
 * outside the plan (base, rootfs), layer digests compared only where known, sha256 only where
 * both sides give it; and image_purl_qualifier, which reads the planned side's purls back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "buf.h"
#include "image_info.h"
#include "image_verify.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

#define PKG(n, v, sha)                                                                             \
	{                                                                                          \
		n, v, "0", "local", "conda", "noarch", sha                                         \
	}

static const image_pkg_t python_pkgs[] = {PKG("python", "3.11.2", "aa")};
static const image_pkg_t rest_pkgs[] = {PKG("demo-data", "1.0", "bb"), PKG("hello", "1.0", "")};

/* The plan: base-python (python), rest (demo-data, hello); digests as given. */
static image_platform_t planned(image_layer_t layers[2], const char *d_python, const char *d_rest)
{
	layers[0] = (image_layer_t){d_python, "", "base-python", 0, python_pkgs, 1};
	layers[1] = (image_layer_t){d_rest, "", "rest", 0, rest_pkgs, 2};
	return (image_platform_t){"linux/amd64", NULL, NULL, layers, 2};
}

/* The image: a base layer, rootfs, then the layers with the packages given. */
static image_platform_t image(image_layer_t layers[4], const image_pkg_t *rest, size_t n_rest,
			      const char *rest_group)
{
	layers[0] = (image_layer_t){D3, "", "base", 0, NULL, 0};
	layers[1] = (image_layer_t){D3, "", "rootfs", 0, NULL, 0};
	layers[2] = (image_layer_t){D1, "", "base-python", 0, python_pkgs, 1};
	layers[3] = (image_layer_t){D2, "", rest_group, 0, rest, n_rest};
	return (image_platform_t){"linux/amd64", D1, "spdx", layers, 4};
}

static image_verify_t *compare(const image_platform_t *want, const image_platform_t *have)
{
	image_verify_t *v = image_verify_new(NULL);
	image_verify_compare(v, want, have);
	return v;
}

static void assert_diff(const image_verify_t *v, size_t k, verify_what_t what, const char *name,
			const char *field, const char *planned_value, const char *image_value)
{
	const verify_diff_t *d = image_verify_diff(v, k);
	assert_non_null(d);
	assert_string_equal(image_verify_what_name(d->what), image_verify_what_name(what));
	assert_string_equal(d->platform, "linux/amd64");
	if (name)
		assert_string_equal(d->name, name);
	if (field)
		assert_string_equal(d->field, field);
	if (planned_value)
		assert_string_equal(d->planned, planned_value);
	if (image_value)
		assert_string_equal(d->image, image_value);
}

static void test_same_packages_and_layers_match(void **state)
{
	(void)state;
	image_layer_t wl[2], hl[4];
	image_platform_t w = planned(wl, D1, D2), h = image(hl, rest_pkgs, 2, "rest");
	image_verify_t *v = compare(&w, &h);
	assert_true(image_verify_matches(v));
	assert_int_equal(image_verify_count(v), 0);
	const verify_platform_t *p = image_verify_platform_get(v, 0);
	assert_int_equal(p->n_packages, 3);
	assert_int_equal(p->n_layers, 2);
	assert_int_equal(p->n_digests_compared, 2); /* base and rootfs are outside the plan */
	assert_string_equal(p->manifest, D1);
	image_verify_free(v);
}

static void test_changed_version_is_named(void **state)
{
	(void)state;
	const image_pkg_t other[] = {PKG("demo-data", "2.0", "bb"), PKG("hello", "1.0", "")};
	image_layer_t wl[2], hl[4];
	image_platform_t w = planned(wl, "", ""), h = image(hl, other, 2, "rest");
	image_verify_t *v = compare(&w, &h);
	assert_false(image_verify_matches(v));
	assert_int_equal(image_verify_count(v), 1);
	assert_diff(v, 0, VERIFY_PKG_CHANGED, "demo-data", "version", "1.0", "2.0");
	assert_int_equal(image_verify_platform_get(v, 0)->n_digests_compared, 0);
	image_verify_free(v);
}

static void test_sha256_compared_only_where_both_know_it(void **state)
{
	(void)state;
	const image_pkg_t other[] = {PKG("demo-data", "1.0", "cc"), PKG("hello", "1.0", "dd")};
	image_layer_t wl[2], hl[4];
	image_platform_t w = planned(wl, "", ""), h = image(hl, other, 2, "rest");
	image_verify_t *v = compare(&w, &h);
	assert_int_equal(image_verify_count(v), 1); /* hello: the plan has no sha256 */
	assert_diff(v, 0, VERIFY_PKG_CHANGED, "demo-data", "sha256", "bb", "cc");
	image_verify_free(v);
}

static void test_missing_and_extra_packages_are_named(void **state)
{
	(void)state;
	const image_pkg_t other[] = {PKG("extra", "0.1", ""), PKG("hello", "1.0", "")};
	image_layer_t wl[2], hl[4];
	image_platform_t w = planned(wl, "", ""), h = image(hl, other, 2, "rest");
	image_verify_t *v = compare(&w, &h);
	assert_int_equal(image_verify_count(v), 2);
	assert_diff(v, 0, VERIFY_PKG_MISSING, "demo-data", NULL, "1.0 0", NULL);
	assert_string_equal(image_verify_diff(v, 0)->group, "rest");
	assert_null(image_verify_diff(v, 0)->image);
	assert_diff(v, 1, VERIFY_PKG_EXTRA, "extra", NULL, NULL, "0.1 0");
	image_verify_free(v);
}

static void test_package_in_another_layer_names_group_and_layers(void **state)
{
	(void)state;
	image_layer_t wl[2], hl[4];
	image_platform_t w = planned(wl, "", ""), h = image(hl, rest_pkgs, 2, "frameworks-1");
	image_verify_t *v = compare(&w, &h);
	/* layers first (plan order, then the image's extra ones), then packages by name */
	assert_int_equal(image_verify_count(v), 4);
	assert_diff(v, 0, VERIFY_LAYER_MISSING, "rest", NULL, NULL, NULL);
	assert_diff(v, 1, VERIFY_LAYER_EXTRA, "frameworks-1", NULL, NULL, NULL);
	assert_diff(v, 2, VERIFY_PKG_MOVED, "demo-data", "layer", "rest", "frameworks-1");
	assert_diff(v, 3, VERIFY_PKG_MOVED, "hello", "layer", "rest", "frameworks-1");
	image_verify_free(v);
}

static void test_known_layer_digest_that_differs_is_named(void **state)
{
	(void)state;
	image_layer_t wl[2], hl[4];
	image_platform_t w = planned(wl, D1, D3), h = image(hl, rest_pkgs, 2, "rest");
	image_verify_t *v = compare(&w, &h);
	assert_int_equal(image_verify_count(v), 1);
	assert_diff(v, 0, VERIFY_LAYER_DIGEST, "rest", "digest", D3, D2);
	assert_int_equal(image_verify_platform_get(v, 0)->n_digests_compared, 2);
	image_verify_free(v);
}

static void test_platform_the_image_lacks_is_a_difference(void **state)
{
	(void)state;
	image_layer_t wl[2];
	image_platform_t w = planned(wl, "", "");
	image_verify_t *v = compare(&w, NULL);
	assert_int_equal(image_verify_count(v), 1);
	assert_diff(v, 0, VERIFY_PLATFORM_MISSING, NULL, NULL, NULL, NULL);
	assert_null(image_verify_platform_get(v, 0)->manifest);
	image_verify_free(v);
}

static void test_purl_qualifier_is_percent_decoded(void **state)
{
	(void)state;
	buf_t b = BUF_INIT;
	const char *purl = "pkg:conda/x@1?build=py_0&channel=https%3A%2F%2Fexample.com%2Fc"
			   "&subdir=noarch&type=conda";
	image_purl_qualifier(purl, "channel", &b);
	assert_string_equal(b.data, "https://example.com/c");
	image_purl_qualifier(purl, "build", &b);
	assert_string_equal(b.data, "py_0");
	image_purl_qualifier(purl, "missing", &b);
	assert_string_equal(b.data, "");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_packages_and_layers_match),
		cmocka_unit_test(test_changed_version_is_named),
		cmocka_unit_test(test_sha256_compared_only_where_both_know_it),
		cmocka_unit_test(test_missing_and_extra_packages_are_named),
		cmocka_unit_test(test_package_in_another_layer_names_group_and_layers),
		cmocka_unit_test(test_known_layer_digest_that_differs_is_named),
		cmocka_unit_test(test_platform_the_image_lacks_is_a_difference),
		cmocka_unit_test(test_purl_qualifier_is_percent_decoded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
