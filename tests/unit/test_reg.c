/* test_reg.c — the registry client's logic that needs no server: upload session URLs
 * (Location with ?_state=, relative Locations, the closing PUT's digest=), the Range answers
 * a resumed upload continues from, which Locations and redirects are followed (issue 10 #4;
 * the retry schedule is test_http.c's), challenge scopes, and picking a manifest's media type. The
 * HTTP side is covered by tests/e2e/test_registry*.sh against a real registry, a token server and a
 * fault proxy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "reg_internal.h"

#define DIGEST "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"

/* ---- Location and the closing PUT ---------------------------------------------------- */

static void test_put_url_appends_digest_after_state(void **s)
{
	(void)s;
	buf_t out = BUF_INIT;
	reg_session_put_url("http://127.0.0.1:5000/v2/a/b/blobs/uploads/u-1?_state=AbC%3D", DIGEST,
			    &out);
	assert_string_equal(out.data,
			    "http://127.0.0.1:5000/v2/a/b/blobs/uploads/u-1?_state=AbC%3D"
			    "&digest=sha256%"
			    "3A2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
	buf_free(&out);
}

static void test_put_url_without_query_starts_one(void **s)
{
	(void)s;
	buf_t out = BUF_INIT;
	reg_session_put_url("https://r.example/v2/a/blobs/uploads/u-1", DIGEST, &out);
	assert_non_null(strstr(out.data, "/u-1?digest=sha256%3A2c26"));
	buf_free(&out);
}

static void test_relative_location_resolves_against_request(void **s)
{
	(void)s;
	buf_t out = BUF_INIT;
	assert_int_equal(reg_resolve_location("http://127.0.0.1:5000/v2/a/blobs/uploads/",
					      "/v2/a/blobs/uploads/u-2?_state=x", &out),
			 0);
	assert_string_equal(out.data, "http://127.0.0.1:5000/v2/a/blobs/uploads/u-2?_state=x");
	buf_free(&out);
}

static void test_absolute_location_is_kept_with_its_state(void **s)
{
	(void)s;
	buf_t out = BUF_INIT;
	assert_int_equal(
		reg_resolve_location("http://127.0.0.1:5000/v2/a/blobs/uploads/",
				     "https://storage.example:8443/up/u-3?_state=q%2Bz&x=1", &out),
		0);
	assert_string_equal(out.data, "https://storage.example:8443/up/u-3?_state=q%2Bz&x=1");
	buf_free(&out);
}

/* ---- Range answers --------------------------------------------------------------------- */

static void test_range_gives_the_next_byte(void **s)
{
	(void)s;
	assert_int_equal(reg_range_next("0-1048575", -1, 0), 1048576);
	assert_int_equal(reg_range_next("bytes=0-99", -1, 0), 100);
}

static void test_range_zero_zero_on_an_empty_session_means_start(void **s)
{
	(void)s;
	assert_int_equal(reg_range_next("0-0", 77, 0), 0);
}

static void test_range_zero_zero_after_one_byte_means_one(void **s)
{
	(void)s;
	assert_int_equal(reg_range_next("0-0", 77, 1), 1);
}

static void test_range_missing_or_garbled_falls_back(void **s)
{
	(void)s;
	assert_int_equal(reg_range_next(NULL, 42, 42), 42);
	assert_int_equal(reg_range_next("", 42, 42), 42);
	assert_int_equal(reg_range_next("0-", 42, 42), 42);
	assert_int_equal(reg_range_next("0-12x", 42, 42), 42);
	assert_int_equal(reg_range_next("0--5", 42, 42), 42);
}

/* ---- where a registry may send us (issue 10 #4) ------------------------------------------ */

static const char *const insecure[] = {"reg.test:5000"};

static void test_location_on_the_registry_itself_is_followed(void **s)
{
	(void)s;
	assert_true(reg_url_allowed("http://127.0.0.1:5000",
				    "http://127.0.0.1:5000/v2/a/blobs/uploads/u", NULL, 0));
	assert_true(reg_url_allowed("https://r.example", "https://r.example/v2/a/blobs/uploads/u",
				    NULL, 0));
}

static void test_https_location_elsewhere_is_followed(void **s)
{
	(void)s;
	assert_true(reg_url_allowed("https://r.example", "https://storage.example/blob?sig=x", NULL,
				    0));
}

static void test_plain_http_location_from_a_tls_registry_is_refused(void **s)
{
	(void)s;
	assert_false(reg_url_allowed("https://r.example", "http://r.example/v2/a/blobs/uploads/u",
				     NULL, 0));
	assert_false(reg_url_allowed("https://r.example", "http://storage.example/blob", NULL, 0));
	/* loopback is no exception once the registry itself speaks TLS */
	assert_false(
		reg_url_allowed("https://127.0.0.1:5000", "http://127.0.0.1:5000/v2/x", NULL, 0));
	assert_false(
		reg_url_allowed("https://127.0.0.1:5000", "http://localhost:6000/v2/x", NULL, 0));
}

static void test_plain_http_location_to_an_insecure_host_is_followed(void **s)
{
	(void)s;
	assert_true(reg_url_allowed("https://r.example", "http://reg.test:5000/v2/x", insecure, 1));
	assert_false(
		reg_url_allowed("https://r.example", "http://reg.test:5001/v2/x", insecure, 1));
}

static void test_plain_http_registry_may_send_us_to_loopback_only(void **s)
{
	(void)s;
	assert_true(
		reg_url_allowed("http://127.0.0.1:5000", "http://localhost:6000/v2/x", NULL, 0));
	assert_true(
		reg_url_allowed("http://127.0.0.1:5000", "http://127.0.0.2:6000/v2/x", NULL, 0));
	assert_false(reg_url_allowed("http://127.0.0.1:5000", "http://r.example/v2/x", NULL, 0));
}

static void test_other_schemes_are_refused(void **s)
{
	(void)s;
	assert_false(reg_url_allowed("https://r.example", "file:///etc/passwd", NULL, 0));
	assert_false(reg_url_allowed("https://r.example", "ftp://r.example/x", NULL, 0));
	assert_false(reg_url_allowed("http://127.0.0.1:5000", "file:///etc/passwd", NULL, 0));
}

/* ---- challenges ------------------------------------------------------------------------ */

static void test_challenge_with_several_scopes_keeps_them_together(void **s)
{
	(void)s;
	err_t err = ERR_INIT;
	auth_challenge_t c;
	/* distribution's answer to a cross-repository mount: two scopes, space separated */
	assert_int_equal(
		auth_challenge_parse("Bearer realm=\"http://127.0.0.1:9/token\",service=\"reg\","
				     "scope=\"repository:b:pull,push repository:a:pull\"",
				     &c, &err),
		0);
	assert_string_equal(c.scope, "repository:b:pull,push repository:a:pull");
	assert_string_equal(c.realm, "http://127.0.0.1:9/token");
	auth_challenge_clear(&c);
}

static void test_challenge_with_unquoted_values_and_spaces(void **s)
{
	(void)s;
	err_t err = ERR_INIT;
	auth_challenge_t c;
	assert_int_equal(
		auth_challenge_parse(
			"  BEARER realm=https://a/t, service=svc,error=\"insufficient_scope\"", &c,
			&err),
		0);
	assert_string_equal(c.scheme, "Bearer");
	assert_string_equal(c.realm, "https://a/t");
	assert_string_equal(c.service, "svc");
	assert_null(c.scope);
	auth_challenge_clear(&c);
}

/* ---- media types ------------------------------------------------------------------------ */

static const char *type_of(const char *json, const char *content_type)
{
	json_t *doc = json_loads(json, 0, NULL);
	const char *t;
	assert_non_null(doc);
	t = reg_manifest_type(doc, content_type);
	json_decref(doc);
	return t;
}

static void test_document_media_type_wins_over_header(void **s)
{
	(void)s;
	assert_string_equal(
		type_of("{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\"}",
			"application/vnd.oci.image.manifest.v1+json"),
		"application/vnd.docker.distribution.manifest.v2+json");
}

static void test_header_type_with_parameters_is_used(void **s)
{
	(void)s;
	const char *t =
		type_of("{\"schemaVersion\":2,\"manifests\":[]}",
			"application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8");
	assert_string_equal(t, "application/vnd.docker.distribution.manifest.list.v2+json");
	assert_true(reg_type_is_index(t));
}

static void test_untyped_documents_are_recognised_by_shape(void **s)
{
	(void)s;
	const char *idx = type_of("{\"schemaVersion\":2,\"manifests\":[]}", "application/json");
	const char *man = type_of("{\"schemaVersion\":2,\"config\":{},\"layers\":[]}", NULL);
	assert_string_equal(idx, "application/vnd.oci.image.index.v1+json");
	assert_true(reg_type_is_index(idx));
	assert_string_equal(man, "application/vnd.oci.image.manifest.v1+json");
	assert_false(reg_type_is_index(man));
}

static void test_foreign_media_types_are_refused(void **s)
{
	(void)s;
	assert_null(type_of(
		"{\"mediaType\":\"application/vnd.docker.distribution.manifest.v1+prettyjws\"}",
		NULL));
	assert_null(type_of("{\"schemaVersion\":1,\"fsLayers\":[]}", "application/json"));
}

/* issue 15: the referrers API's next page (RFC 8288 Link, distribution-spec 1.1) */
static void test_link_next_finds_rel_next(void **state)
{
	(void)state;
	buf_t b = BUF_INIT;
	assert_int_equal(reg_link_next("</v2/r/referrers/sha256:a?n=1&last=x>; rel=\"next\"", &b),
			 1);
	assert_string_equal(b.data, "/v2/r/referrers/sha256:a?n=1&last=x");
	assert_int_equal(
		reg_link_next("<https://h/p1>; rel=\"prev\", <https://h/p3>; rel=next", &b), 1);
	assert_string_equal(b.data, "https://h/p3");
	assert_int_equal(reg_link_next("<https://h/x>; rel=\"prev last\"", &b), 0);
	assert_int_equal(reg_link_next("<https://h/x>; title=\"next\"", &b), 0);
	assert_int_equal(reg_link_next("<https://h/x>; rel=\"first next\"", &b), 1);
	assert_int_equal(reg_link_next("", &b), 0);
	assert_int_equal(reg_link_next(NULL, &b), 0);
	assert_int_equal(reg_link_next("<unterminated; rel=next", &b), 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_next_finds_rel_next),
		cmocka_unit_test(test_put_url_appends_digest_after_state),
		cmocka_unit_test(test_put_url_without_query_starts_one),
		cmocka_unit_test(test_relative_location_resolves_against_request),
		cmocka_unit_test(test_absolute_location_is_kept_with_its_state),
		cmocka_unit_test(test_range_gives_the_next_byte),
		cmocka_unit_test(test_range_zero_zero_on_an_empty_session_means_start),
		cmocka_unit_test(test_range_zero_zero_after_one_byte_means_one),
		cmocka_unit_test(test_range_missing_or_garbled_falls_back),
		cmocka_unit_test(test_location_on_the_registry_itself_is_followed),
		cmocka_unit_test(test_https_location_elsewhere_is_followed),
		cmocka_unit_test(test_plain_http_location_from_a_tls_registry_is_refused),
		cmocka_unit_test(test_plain_http_location_to_an_insecure_host_is_followed),
		cmocka_unit_test(test_plain_http_registry_may_send_us_to_loopback_only),
		cmocka_unit_test(test_other_schemes_are_refused),
		cmocka_unit_test(test_challenge_with_several_scopes_keeps_them_together),
		cmocka_unit_test(test_challenge_with_unquoted_values_and_spaces),
		cmocka_unit_test(test_document_media_type_wins_over_header),
		cmocka_unit_test(test_header_type_with_parameters_is_used),
		cmocka_unit_test(test_untyped_documents_are_recognised_by_shape),
		cmocka_unit_test(test_foreign_media_types_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
