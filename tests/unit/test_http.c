/* test_http.c — the shared HTTP policy's pure parts (common/http*.c): the retry schedule and
 * Retry-After, which statuses and transport errors are retried, origins (credential scope),
 * the rule that keeps a channel's records on its scheme and host (issue 10 #2), header
 * values, and the client's environment (CA variables, low-speed knobs). Transfers are covered
 * by tests/e2e/test_http.sh against loopback servers (TLS, a proxy, faults). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

/* ---- retries ------------------------------------------------------------------------- */

static void test_backoff_doubles_from_the_first_delay(void **s)
{
	(void)s;
	assert_int_equal(http_backoff_delay_ms(300, 1, NULL, 0), 300);
	assert_int_equal(http_backoff_delay_ms(300, 2, NULL, 0), 600);
	assert_int_equal(http_backoff_delay_ms(300, 3, NULL, 0), 1200);
	assert_int_equal(http_backoff_delay_ms(300, 4, NULL, 0), 2400);
}

static void test_backoff_is_capped(void **s)
{
	(void)s;
	assert_int_equal(http_backoff_delay_ms(300, 10, NULL, 0), 8000);
	assert_int_equal(http_backoff_delay_ms(300, 1000, NULL, 0), 8000);
}

static void test_retry_after_seconds_replace_the_schedule(void **s)
{
	(void)s;
	assert_int_equal(http_backoff_delay_ms(300, 1, "1", 0), 1000);
	assert_int_equal(http_backoff_delay_ms(300, 4, "0", 0), 0);
}

static void test_retry_after_is_capped(void **s)
{
	(void)s;
	assert_int_equal(http_backoff_delay_ms(300, 1, "86400", 0), 30000);
}

static void test_retry_after_http_date_counts_from_now(void **s)
{
	(void)s;
	time_t now = curl_getdate("Sun, 06 Nov 1994 08:49:30 GMT", NULL);
	assert_int_equal(http_backoff_delay_ms(300, 1, "Sun, 06 Nov 1994 08:49:37 GMT", now), 7000);
	/* a date in the past: retry at once */
	assert_int_equal(http_backoff_delay_ms(300, 1, "Sun, 06 Nov 1994 08:49:00 GMT", now), 0);
}

static void test_unreadable_retry_after_keeps_the_schedule(void **s)
{
	(void)s;
	assert_int_equal(http_backoff_delay_ms(300, 2, "soon", 0), 600);
	assert_int_equal(http_backoff_delay_ms(300, 2, "-3", 0), 600);
}

static void test_transient_statuses(void **s)
{
	(void)s;
	long yes[] = {408, 429, 500, 502, 503, 504};
	long no[] = {200, 201, 202, 400, 401, 403, 404, 416, 501, 505};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		assert_true(http_status_is_transient(yes[i]));
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		assert_false(http_status_is_transient(no[i]));
}

static void test_transport_errors_worth_retrying(void **s)
{
	(void)s;
	assert_true(http_curl_is_transient(CURLE_COULDNT_CONNECT));
	assert_true(http_curl_is_transient(CURLE_RECV_ERROR));
	assert_true(http_curl_is_transient(CURLE_OPERATION_TIMEDOUT));
	assert_true(http_curl_is_transient(CURLE_PARTIAL_FILE));
	assert_false(http_curl_is_transient(CURLE_PEER_FAILED_VERIFICATION));
	assert_false(http_curl_is_transient(CURLE_WRITE_ERROR));
	assert_false(http_curl_is_transient(CURLE_COULDNT_RESOLVE_HOST));
}

/* ---- origins -------------------------------------------------------------------------- */

static void test_same_origin_fills_in_default_ports(void **s)
{
	(void)s;
	assert_true(http_same_origin("https://r.example/v2/", "https://r.example:443/v2/x?y"));
	assert_true(http_same_origin("http://R.Example/a", "http://r.example:80/b"));
	assert_true(
		http_same_origin("http://127.0.0.1:5000", "http://127.0.0.1:5000/v2/a/uploads/u"));
}

static void test_other_host_port_or_scheme_is_another_origin(void **s)
{
	(void)s;
	assert_false(http_same_origin("http://127.0.0.1:5000", "http://localhost:5000/v2/"));
	assert_false(http_same_origin("http://127.0.0.1:5000", "http://127.0.0.1:5001/v2/"));
	assert_false(http_same_origin("https://r.example", "http://r.example"));
	assert_false(http_same_origin("https://r.example", "https://r.example.evil"));
	assert_false(http_same_origin("https://r.example", "not a url"));
}

static void test_authority_is_host_and_written_port(void **s)
{
	(void)s;
	buf_t a = BUF_INIT;
	assert_int_equal(http_url_authority("http://localhost:6000/v2/x", &a), 0);
	assert_string_equal(a.data, "localhost:6000");
	assert_int_equal(http_url_authority("https://r.example/v2/x", &a), 0);
	assert_string_equal(a.data, "r.example");
	assert_int_equal(http_url_authority("http://[::1]:5000/", &a), 0);
	assert_string_equal(a.data, "[::1]:5000");
	buf_free(&a);
}

/* ---- a record's URL against its channel (issue 10 #2) --------------------------------- */

static void test_record_on_its_channel_is_allowed(void **s)
{
	(void)s;
	const char *ch = "https://conda.anaconda.org/conda-forge";
	assert_true(http_url_stays_on(
		"https://conda.anaconda.org/conda-forge/linux-64/zlib-1.conda", ch, NULL, 0));
	/* another channel of the same host is still the same host */
	assert_true(http_url_stays_on("https://conda.anaconda.org/pytorch/linux-64/x.conda", ch,
				      NULL, 0));
	assert_true(http_url_stays_on("file:///srv/chan/noarch/a-1-0.conda", "file:///srv/chan",
				      NULL, 0));
}

static void test_record_url_leaving_its_channel_is_refused(void **s)
{
	(void)s;
	const char *ch = "https://conda.anaconda.org/conda-forge";
	assert_false(http_url_stays_on("file:///etc/passwd", ch, NULL, 0));
	assert_false(http_url_stays_on("file:///dev/zero", ch, NULL, 0));
	assert_false(
		http_url_stays_on("http://conda.anaconda.org/conda-forge/x.conda", ch, NULL, 0));
	assert_false(http_url_stays_on("https://evil.example/x.conda", ch, NULL, 0));
	assert_false(http_url_stays_on("https://conda.anaconda.org:8443/x.conda", ch, NULL, 0));
	assert_false(http_url_stays_on("http://169.254.169.254/latest/meta-data",
				       "http://mirror.local/c", NULL, 0));
	assert_false(http_url_stays_on("https://x/y", "file:///srv/chan", NULL, 0));
	assert_false(http_url_stays_on("", ch, NULL, 0));
}

static void test_https_upgrade_of_an_http_channel_is_allowed(void **s)
{
	(void)s;
	assert_true(http_url_stays_on("https://mirror.local/c/linux-64/a.conda",
				      "http://mirror.local:8080/c", NULL, 0));
}

static void test_record_on_a_configured_mirror_is_allowed(void **s)
{
	(void)s;
	const char *mirrors[] = {"https://artifactory.corp/api/conda"};
	assert_true(http_url_stays_on("https://artifactory.corp/api/conda/conda-forge/x.conda",
				      "https://conda.anaconda.org/conda-forge", mirrors, 1));
	assert_false(http_url_stays_on("https://other.corp/x.conda",
				       "https://conda.anaconda.org/conda-forge", mirrors, 1));
}

/* ---- headers ------------------------------------------------------------------------ */

static void test_header_value_is_trimmed_and_case_insensitive(void **s)
{
	(void)s;
	buf_t v = BUF_INIT;
	const char *line = "retry-after:   7 \r\n";
	assert_int_equal(http_header_value(line, strlen(line), "Retry-After", &v), 1);
	assert_string_equal(v.data, "7");
	line = "ETag: \"abc\"\r\n";
	assert_int_equal(http_header_value(line, strlen(line), "etag", &v), 1);
	assert_string_equal(v.data, "\"abc\"");
	line = "ETagged: x\r\n";
	assert_int_equal(http_header_value(line, strlen(line), "ETag", &v), 0);
	buf_free(&v);
}

/* ---- the client from its options and the environment ------------------------------- */

static void test_ca_variable_naming_a_missing_file_is_an_error_naming_both(void **s)
{
	(void)s;
	err_t err = ERR_INIT;
	setenv("SSL_CERT_FILE", "/nonexistent/imgbuild-ca.pem", 1);
	assert_null(http_client_new(NULL, &err));
	assert_non_null(
		strstr(err_msg(&err), "/nonexistent/imgbuild-ca.pem (from $SSL_CERT_FILE)"));
	unsetenv("SSL_CERT_FILE");
	err_clear(&err);
}

static void test_given_ca_file_wins_over_the_variables(void **s)
{
	(void)s;
	err_t err = ERR_INIT;
	http_opts_t o = {.ca_cert = "/nonexistent/given.pem"};
	setenv("REQUESTS_CA_BUNDLE", "/etc/hostname", 1);
	assert_null(http_client_new(&o, &err));
	assert_non_null(strstr(err_msg(&err), "CA file /nonexistent/given.pem: cannot read it"));
	unsetenv("REQUESTS_CA_BUNDLE");
	err_clear(&err);
}

static void test_bad_low_speed_time_is_an_error_naming_the_variable(void **s)
{
	(void)s;
	err_t err = ERR_INIT;
	setenv("IMGBUILD_HTTP_LOW_SPEED_TIME", "soon", 1);
	assert_null(http_client_new(NULL, &err));
	assert_non_null(strstr(err_msg(&err), "$IMGBUILD_HTTP_LOW_SPEED_TIME='soon'"));
	setenv("IMGBUILD_HTTP_LOW_SPEED_TIME", "2", 1);
	http_client_t *c = http_client_new(NULL, &err);
	assert_non_null(c);
	http_client_free(c);
	unsetenv("IMGBUILD_HTTP_LOW_SPEED_TIME");
	err_clear(&err);
}

static void test_client_defaults(void **s)
{
	(void)s;
	err_t err = ERR_INIT;
	http_opts_t o = {.max_attempts = 2, .backoff_ms = 10};
	http_client_t *c = http_client_new(NULL, &err);
	assert_non_null(c);
	assert_int_equal(http_client_max_attempts(c), 5);
	http_client_free(c);
	c = http_client_new(&o, &err);
	assert_int_equal(http_client_max_attempts(c), 2);
	assert_int_equal(http_client_retry_delay_ms(c, 2, NULL), 20);
	assert_int_equal(http_client_retry_delay_ms(c, 1, "3"), 3000);
	http_client_free(c);
	http_client_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_from_the_first_delay),
		cmocka_unit_test(test_backoff_is_capped),
		cmocka_unit_test(test_retry_after_seconds_replace_the_schedule),
		cmocka_unit_test(test_retry_after_is_capped),
		cmocka_unit_test(test_retry_after_http_date_counts_from_now),
		cmocka_unit_test(test_unreadable_retry_after_keeps_the_schedule),
		cmocka_unit_test(test_transient_statuses),
		cmocka_unit_test(test_transport_errors_worth_retrying),
		cmocka_unit_test(test_same_origin_fills_in_default_ports),
		cmocka_unit_test(test_other_host_port_or_scheme_is_another_origin),
		cmocka_unit_test(test_authority_is_host_and_written_port),
		cmocka_unit_test(test_record_on_its_channel_is_allowed),
		cmocka_unit_test(test_record_url_leaving_its_channel_is_refused),
		cmocka_unit_test(test_https_upgrade_of_an_http_channel_is_allowed),
		cmocka_unit_test(test_record_on_a_configured_mirror_is_allowed),
		cmocka_unit_test(test_header_value_is_trimmed_and_case_insensitive),
		cmocka_unit_test(test_ca_variable_naming_a_missing_file_is_an_error_naming_both),
		cmocka_unit_test(test_given_ca_file_wins_over_the_variables),
		cmocka_unit_test(test_bad_low_speed_time_is_an_error_naming_the_variable),
		cmocka_unit_test(test_client_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
