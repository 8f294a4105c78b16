/* test_auth.c — WWW-Authenticate parsing and the credential sources in their order:
 * --creds, environment, Docker config auths (base64 and username/password), credHelpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "fsutil.h"

static char dir[] = "/tmp/imgbuild-test-auth.XXXXXX";

static int setup(void **s)
{
	(void)s;
	if (!mkdtemp(dir))
		return -1;
	unsetenv("IMGBUILD_REGISTRY_USER");
	unsetenv("IMGBUILD_REGISTRY_PASSWORD");
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	err_t err = ERR_INIT;
	fs_rm_rf(dir, &err);
	return 0;
}

static void write_config(const char *json)
{
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addstr(&p, dir);
	buf_addpath(&p, "config.json");
	assert_int_equal(fs_write_atomic(p.data, json, strlen(json), &err), 0);
	buf_free(&p);
}

static void lookup(const char *registry, const char *creds, auth_creds_t *out)
{
	auth_source_t src = {.creds = creds, .docker_config_dir = dir};
	err_t err = ERR_INIT;
	assert_int_equal(auth_lookup(&src, registry, out, &err), 0);
}

static void test_bearer_challenge_parses_realm_service_scope(void **s)
{
	(void)s;
	auth_challenge_t c;
	err_t err = ERR_INIT;
	assert_int_equal(auth_challenge_parse("Bearer "
					      "realm=\"https://auth.example.com/"
					      "token\",service=\"registry.example.com\",scope="
					      "\"repository:a/b:pull,push\"",
					      &c, &err),
			 0);
	assert_string_equal(c.scheme, "Bearer");
	assert_string_equal(c.realm, "https://auth.example.com/token");
	assert_string_equal(c.service, "registry.example.com");
	assert_string_equal(c.scope, "repository:a/b:pull,push");
	auth_challenge_clear(&c);
}

static void test_basic_challenge_parses(void **s)
{
	(void)s;
	auth_challenge_t c;
	err_t err = ERR_INIT;
	assert_int_equal(auth_challenge_parse("basic realm=\"imgbuild-test\"", &c, &err), 0);
	assert_string_equal(c.scheme, "Basic");
	assert_string_equal(c.realm, "imgbuild-test");
	auth_challenge_clear(&c);
}

static void test_unknown_challenge_is_an_error(void **s)
{
	(void)s;
	auth_challenge_t c;
	err_t err = ERR_INIT;
	assert_int_equal(auth_challenge_parse("Negotiate abc", &c, &err), -1);
	assert_non_null(strstr(err_msg(&err), "Negotiate"));
	err_clear(&err);
}

static void test_bearer_without_realm_is_an_error(void **s)
{
	(void)s;
	auth_challenge_t c;
	err_t err = ERR_INIT;
	assert_int_equal(auth_challenge_parse("Bearer service=\"x\"", &c, &err), -1);
	err_clear(&err);
}

/* A 401 with service="" crashed every pull and push (strdup(NULL), exit 139). */
static void test_bearer_with_an_empty_service_does_not_crash(void **s)
{
	(void)s;
	auth_challenge_t c;
	err_t err = ERR_INIT;
	assert_int_equal(
		auth_challenge_parse("Bearer service=\"\",realm=\"https://auth.example/token\"", &c,
				     &err),
		0);
	assert_string_equal(c.realm, "https://auth.example/token");
	assert_null(c.service);
	auth_challenge_clear(&c);
	assert_int_equal(
		auth_challenge_parse("Bearer realm=\"https://a/t\",scope=\"\",service=", &c, &err),
		0);
	assert_null(c.scope);
	assert_null(c.service);
	auth_challenge_clear(&c);
}

/* The realm receives our credentials: a file:// realm or one with a CR/LF is refused. */
static void test_bearer_realm_that_is_not_an_http_url_is_refused(void **s)
{
	(void)s;
	static const char *const bad[] = {
		"Bearer realm=\"file:///etc/passwd\"",
		"Bearer realm=\"https://a/t\r\nX-Evil: 1\"",
		"Bearer realm=\"\"",
		"Bearer realm=\"https://a/t b\"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		auth_challenge_t c;
		err_t err = ERR_INIT;
		if (auth_challenge_parse(bad[i], &c, &err) == 0)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(strstr(err_msg(&err), "realm"));
		err_clear(&err);
	}
}

/* The token becomes the Authorization header of every later request: a CR/LF in it would
 * add headers of the token server's choosing. */
static void test_token_with_a_crlf_is_refused(void **s)
{
	(void)s;
	buf_t h = BUF_INIT;
	static const char evil[] = "{\"token\": \"abc\\r\\nX-Injected: 1\"}";
	assert_int_equal(auth_token_header(evil, sizeof evil - 1, &h), -1);
	assert_int_equal(h.len, 0);
	static const char oauth[] = "{\"token\": \"\", \"access_token\": \"t0k\"}";
	assert_int_equal(auth_token_header(oauth, sizeof oauth - 1, &h), 0);
	assert_string_equal(h.data, "Bearer t0k");
	assert_int_equal(auth_token_header("[\"token\"]", 9, &h), -1);
	assert_string_equal(h.data, "Bearer t0k"); /* untouched on failure */
	auth_buf_wipe(&h);
}

/* "credsStore": "../../tmp/x" made posix_spawnp run a path instead of a helper on PATH. */
static void test_credential_helper_name_with_a_slash_is_refused(void **s)
{
	(void)s;
	auth_source_t src = {.docker_config_dir = dir};
	auth_creds_t out;
	err_t err = ERR_INIT;
	write_config("{\"credsStore\": \"../../../tmp/x\"}");
	assert_int_equal(auth_lookup(&src, "registry.example.com", &out, &err), -1);
	assert_non_null(strstr(err_msg(&err), "not a helper name"));
	err_clear(&err);
	auth_creds_clear(&out);
}

/* fuzz_auth: an empty config.json was "config.json:-1: not a JSON object (wrong arguments)". */
static void test_empty_docker_config_names_a_real_line(void **s)
{
	(void)s;
	auth_source_t src = {.docker_config_dir = dir};
	auth_creds_t out;
	err_t err = ERR_INIT;
	write_config("");
	assert_int_equal(auth_lookup(&src, "registry.example.com", &out, &err), -1);
	assert_non_null(strstr(err_msg(&err), "config.json:1: not valid JSON"));
	err_clear(&err);
	write_config("[1]");
	assert_int_equal(auth_lookup(&src, "registry.example.com", &out, &err), -1);
	assert_non_null(strstr(err_msg(&err), "config.json: not a JSON object"));
	err_clear(&err);
	auth_creds_clear(&out);
}

static void test_creds_flag_wins_and_keeps_colons_in_password(void **s)
{
	(void)s;
	auth_creds_t c;
	setenv("IMGBUILD_REGISTRY_USER", "envuser", 1);
	setenv("IMGBUILD_REGISTRY_PASSWORD", "envpass", 1);
	lookup("h.io", "me:pa:ss", &c);
	assert_string_equal(c.user, "me");
	assert_string_equal(c.secret, "pa:ss");
	auth_creds_clear(&c);
	unsetenv("IMGBUILD_REGISTRY_USER");
	unsetenv("IMGBUILD_REGISTRY_PASSWORD");
}

static void test_environment_comes_before_docker_config(void **s)
{
	(void)s;
	auth_creds_t c;
	write_config("{\"auths\":{\"h.io\":{\"username\":\"cfg\",\"password\":\"x\"}}}");
	setenv("IMGBUILD_REGISTRY_USER", "envuser", 1);
	setenv("IMGBUILD_REGISTRY_PASSWORD", "envpass", 1);
	lookup("h.io", NULL, &c);
	assert_string_equal(c.user, "envuser");
	auth_creds_clear(&c);
	unsetenv("IMGBUILD_REGISTRY_USER");
	unsetenv("IMGBUILD_REGISTRY_PASSWORD");
}

static void test_docker_config_auth_base64(void **s)
{
	(void)s;
	auth_creds_t c;
	/* "ci:p@ss" */
	write_config("{\"auths\":{\"https://h.io:5000\":{\"auth\":\"Y2k6cEBzcw==\"}}}");
	lookup("h.io:5000", NULL, &c);
	assert_string_equal(c.user, "ci");
	assert_string_equal(c.secret, "p@ss");
	auth_creds_clear(&c);
}

static void test_docker_config_identity_token(void **s)
{
	(void)s;
	auth_creds_t c;
	/* what `docker login` writes for an OAuth2 registry: the user in "auth", no password */
	write_config("{\"auths\":{\"h.io\":{\"auth\":\"Y2k6\",\"identitytoken\":\"rt-123\"}}}");
	lookup("h.io", NULL, &c);
	assert_string_equal(c.identity_token, "rt-123");
	assert_non_null(c.user);
	auth_creds_clear(&c);
	assert_null(c.identity_token);
}

static void test_password_entry_has_no_identity_token(void **s)
{
	(void)s;
	auth_creds_t c;
	write_config("{\"auths\":{\"h.io\":{\"username\":\"u\",\"password\":\"p\"}}}");
	lookup("h.io", NULL, &c);
	assert_null(c.identity_token);
	assert_string_equal(c.secret, "p");
	auth_creds_clear(&c);
}

static void test_helper_token_user_means_identity_token(void **s)
{
	(void)s;
	auth_creds_t c;
	buf_t bin = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	const char *script =
		"#!/bin/sh\nread s\necho '{\"Username\":\"<token>\",\"Secret\":\"rt-456\"}'\n";
	buf_addstr(&bin, dir);
	buf_addpath(&bin, "docker-credential-tok");
	assert_int_equal(fs_write_atomic(bin.data, script, strlen(script), &err), 0);
	chmod(bin.data, 0755);
	buf_addf(&path, "%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path.data, 1);
	write_config("{\"credHelpers\":{\"h.io\":\"tok\"}}");
	lookup("h.io", NULL, &c);
	assert_string_equal(c.identity_token, "rt-456");
	assert_string_equal(c.secret, "");
	auth_creds_clear(&c);
	buf_free(&bin);
	buf_free(&path);
}

static void test_docker_hub_uses_index_key(void **s)
{
	(void)s;
	auth_creds_t c;
	write_config("{\"auths\":{\"https://index.docker.io/v1/"
		     "\":{\"username\":\"hub\",\"password\":\"pw\"}}}");
	lookup("docker.io", NULL, &c);
	assert_string_equal(c.user, "hub");
	auth_creds_clear(&c);
}

static void test_no_entry_means_anonymous(void **s)
{
	(void)s;
	auth_creds_t c;
	write_config("{\"auths\":{\"other.io\":{\"auth\":\"Y2k6cEBzcw==\"}}}");
	lookup("h.io", NULL, &c);
	assert_null(c.user);
	auth_creds_clear(&c); /* the source says where it looked */
}

static void test_bad_auth_value_names_the_file(void **s)
{
	(void)s;
	auth_creds_t c;
	auth_source_t src = {.docker_config_dir = dir};
	err_t err = ERR_INIT;
	write_config("{\"auths\":{\"h.io\":{\"auth\":\"bm9jb2xvbg==\"}}}"); /* "nocolon" */
	assert_int_equal(auth_lookup(&src, "h.io", &c, &err), -1);
	assert_non_null(strstr(err_msg(&err), "config.json"));
	assert_non_null(strstr(err_msg(&err), "docker login"));
	err_clear(&err);
}

static void test_cred_helper_is_run(void **s)
{
	(void)s;
	auth_creds_t c;
	buf_t bin = BUF_INIT, path = BUF_INIT, script = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addstr(&bin, dir);
	buf_addpath(&bin, "docker-credential-unit");
	buf_addstr(&script, "#!/bin/sh\nread s\n[ \"$s\" = h.io ] || { echo 'credentials not "
			    "found'; exit 1; }\n"
			    "echo '{\"Username\":\"helper\",\"Secret\":\"hs\"}'\n");
	assert_int_equal(fs_write_atomic(bin.data, script.data, script.len, &err), 0);
	chmod(bin.data, 0755);
	buf_addf(&path, "%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path.data, 1);
	write_config("{\"credHelpers\":{\"h.io\":\"unit\"},\"credsStore\":\"unit\"}");
	lookup("h.io", NULL, &c);
	assert_string_equal(c.user, "helper");
	assert_string_equal(c.secret, "hs");
	auth_creds_clear(&c);
	lookup("other.io", NULL, &c); /* credsStore: helper says not found */
	assert_null(c.user);
	auth_creds_clear(&c);
	buf_free(&bin);
	buf_free(&path);
	buf_free(&script);
}

static void test_basic_value_is_base64(void **s)
{
	(void)s;
	auth_creds_t c = {.user = "ci", .secret = "p@ss"};
	buf_t b = BUF_INIT;
	auth_basic_value(&c, &b);
	assert_string_equal(b.data, "Basic Y2k6cEBzcw==");
	auth_buf_wipe(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bearer_challenge_parses_realm_service_scope),
		cmocka_unit_test(test_basic_challenge_parses),
		cmocka_unit_test(test_unknown_challenge_is_an_error),
		cmocka_unit_test(test_bearer_without_realm_is_an_error),
		cmocka_unit_test(test_bearer_with_an_empty_service_does_not_crash),
		cmocka_unit_test(test_bearer_realm_that_is_not_an_http_url_is_refused),
		cmocka_unit_test(test_token_with_a_crlf_is_refused),
		cmocka_unit_test(test_credential_helper_name_with_a_slash_is_refused),
		cmocka_unit_test(test_empty_docker_config_names_a_real_line),
		cmocka_unit_test(test_creds_flag_wins_and_keeps_colons_in_password),
		cmocka_unit_test(test_environment_comes_before_docker_config),
		cmocka_unit_test(test_docker_config_auth_base64),
		cmocka_unit_test(test_docker_hub_uses_index_key),
		cmocka_unit_test(test_no_entry_means_anonymous),
		cmocka_unit_test(test_bad_auth_value_names_the_file),
		cmocka_unit_test(test_cred_helper_is_run),
		cmocka_unit_test(test_docker_config_identity_token),
		cmocka_unit_test(test_password_entry_has_no_identity_token),
		cmocka_unit_test(test_helper_token_user_means_identity_token),
		cmocka_unit_test(test_basic_value_is_base64),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
