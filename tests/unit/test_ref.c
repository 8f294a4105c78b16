/* test_ref.c — image references parsed as Docker does: default registry and library/,
 * localhost and host:port registries, tags, digests, and clear errors for bad ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "ref.h"

static void expect_ref(const char *s, const char *reg, const char *repo, const char *tag,
		       const char *digest)
{
	oci_ref_t r;
	err_t err = ERR_INIT;
	assert_int_equal(oci_ref_parse(s, &r, &err), 0);
	assert_string_equal(r.registry, reg);
	assert_string_equal(r.repository, repo);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (digest)
		assert_string_equal(r.digest, digest);
	else
		assert_null(r.digest);
	oci_ref_clear(&r);
}

static void expect_bad(const char *s, const char *needle)
{
	oci_ref_t r;
	err_t err = ERR_INIT;
	assert_int_equal(oci_ref_parse(s, &r, &err), -1);
	assert_non_null(strstr(err_msg(&err), needle));
	assert_non_null(strstr(err_msg(&err), s));
	err_clear(&err);
}

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_bare_name_is_docker_hub_library_latest(void **s)
{
	(void)s;
	expect_ref("ubuntu", "docker.io", "library/ubuntu", "latest", NULL);
}

static void test_two_components_on_docker_hub_keep_their_path(void **s)
{
	(void)s;
	expect_ref("team/env:1.0", "docker.io", "team/env", "1.0", NULL);
}

static void test_host_with_port_is_a_registry(void **s)
{
	(void)s;
	expect_ref("127.0.0.1:5000/team/dl-env:1.0", "127.0.0.1:5000", "team/dl-env", "1.0", NULL);
}

static void test_localhost_is_a_registry(void **s)
{
	(void)s;
	expect_ref("localhost/x", "localhost", "x", "latest", NULL);
	assert_true(oci_ref_names_registry("localhost/x"));
	assert_false(oci_ref_names_registry("team/x"));
}

static void test_dotted_host_and_deep_path(void **s)
{
	(void)s;
	expect_ref("registry.example.com/a/b/c:v2", "registry.example.com", "a/b/c", "v2", NULL);
}

static void test_digest_without_tag(void **s)
{
	(void)s;
	expect_ref("quay.io/x/y@" D64, "quay.io", "x/y", NULL, D64);
}

static void test_tag_and_digest_together(void **s)
{
	(void)s;
	expect_ref("quay.io/x/y:1@" D64, "quay.io", "x/y", "1", D64);
}

static void test_separators_in_names(void **s)
{
	(void)s;
	expect_ref("h.io/a_b/c__d/e--f/g.h", "h.io", "a_b/c__d/e--f/g.h", "latest", NULL);
}

static void test_upper_case_repository_is_refused(void **s)
{
	(void)s;
	expect_bad("h.io/Team/x", "lower-case");
}

static void test_bad_tag_is_refused(void **s)
{
	(void)s;
	expect_bad("h.io/x:-bad", "bad tag");
	expect_bad("h.io/x:", "bad tag");
}

static void test_short_digest_is_refused(void **s)
{
	(void)s;
	expect_bad("h.io/x@sha256:abc", "digest");
}

static void test_empty_component_is_refused(void **s)
{
	(void)s;
	expect_bad("h.io//x", "path component");
	expect_bad("h.io/x_", "path component");
}

/* Docker checks the length of the normalised name: "<240 chars>" is docker.io/library/<240>,
 * which oci_ref_format wrote as a reference no registry accepts and that did not parse back. */
static void test_short_name_normalised_past_255_characters_is_refused(void **s)
{
	(void)s;
	char name[241];
	memset(name, 'a', 240);
	name[240] = '\0';
	expect_bad(name, "longer than 255 characters");
	name[236] = '\0'; /* docker.io/library/ + 236 = 254 */
	oci_ref_t r;
	err_t err = ERR_INIT;
	buf_t out = BUF_INIT;
	assert_int_equal(oci_ref_parse(name, &r, &err), 0);
	oci_ref_format(&r, &out);
	assert_int_equal(strlen(out.data), 254 + strlen(":latest"));
	oci_ref_clear(&r);
	buf_free(&out);
}

/* fuzz_ref: anything between the brackets of an IPv6 registry was taken as the host. */
static void test_ipv6_registry_holds_only_an_address(void **s)
{
	(void)s;
	expect_bad("[::1 x]:5000/img", "bad registry host");
	expect_bad("[]:5000/img", "bad registry host");
	expect_bad("[fe80::1%eth0]/img", "bad registry host");
	expect_ref("[fe80::1]:5000/img", "[fe80::1]:5000", "img", "latest", NULL);
}

static void test_loopback_hosts(void **s)
{
	(void)s;
	assert_true(oci_ref_is_loopback("127.0.0.1:5000"));
	assert_true(oci_ref_is_loopback("localhost"));
	assert_true(oci_ref_is_loopback("[::1]:5000"));
	assert_false(oci_ref_is_loopback("127.example.com"));
	assert_false(oci_ref_is_loopback("registry.example.com"));
}

static void test_docker_hub_api_host(void **s)
{
	(void)s;
	assert_string_equal(oci_ref_api_host("docker.io"), "registry-1.docker.io");
	assert_string_equal(oci_ref_api_host("h.io:5000"), "h.io:5000");
}

static void test_format_round_trips(void **s)
{
	(void)s;
	oci_ref_t r;
	buf_t b = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(oci_ref_parse("busybox", &r, &err), 0);
	oci_ref_format(&r, &b);
	assert_string_equal(b.data, "docker.io/library/busybox:latest");
	oci_ref_clear(&r);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare_name_is_docker_hub_library_latest),
		cmocka_unit_test(test_two_components_on_docker_hub_keep_their_path),
		cmocka_unit_test(test_host_with_port_is_a_registry),
		cmocka_unit_test(test_localhost_is_a_registry),
		cmocka_unit_test(test_dotted_host_and_deep_path),
		cmocka_unit_test(test_digest_without_tag),
		cmocka_unit_test(test_tag_and_digest_together),
		cmocka_unit_test(test_separators_in_names),
		cmocka_unit_test(test_upper_case_repository_is_refused),
		cmocka_unit_test(test_bad_tag_is_refused),
		cmocka_unit_test(test_short_digest_is_refused),
		cmocka_unit_test(test_empty_component_is_refused),
		cmocka_unit_test(test_short_name_normalised_past_255_characters_is_refused),
		cmocka_unit_test(test_ipv6_registry_holds_only_an_address),
		cmocka_unit_test(test_loopback_hosts),
		cmocka_unit_test(test_docker_hub_api_host),
		cmocka_unit_test(test_format_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
