/* test_sign.c — oci/sign.c: the simple-signing payload's exact bytes, the sha256-<hex>.sig tag,
 * ECDSA P-256 signatures that `openssl dgst -verify` (the real tool) accepts with the public
 * key, keys refused with a clear message (missing, garbage, encrypted, RSA, P-384) that never
 * repeats the key's bytes, and the randomised nonce (two signatures differ, both verify). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sign.h"
#include "testutil.h"

#define DIGEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static const char *dir_of(void **state)
{
	return ((testdir_t *)*state)->root.data;
}

/* `openssl CMD` writing FILE in the test directory; returns the path (caller frees). */
static char *make_key(void **state, const char *file, const char *cmd)
{
	buf_t path = BUF_INIT;
	buf_addf(&path, "%s/%s", dir_of(state), file);
	free(testutil_run_out("openssl %s -out '%s' 2>&1", cmd, path.data));
	return buf_detach(&path);
}

static oci_sign_key_t *load_ok(const char *path)
{
	err_t err = ERR_INIT;
	oci_sign_key_t *k = oci_sign_key_load(path, &err);
	if (!k)
		fail_msg("%s: %s", path, err_msg(&err));
	return k;
}

/* The error for loading path, which must fail (caller frees). */
static char *load_error(const char *path)
{
	err_t err = ERR_INIT;
	oci_sign_key_t *k = oci_sign_key_load(path, &err);
	assert_null(k);
	char *msg = strdup(err_msg(&err));
	err_clear(&err);
	return msg;
}

static void test_payload_is_the_simple_signing_document(void **state)
{
	(void)state;
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(oci_sign_payload("127.0.0.1:5000/team/demo:1.0", DIGEST, &out, &err), 0);
	assert_string_equal(
		out.data, "{\"critical\":{\"identity\":{\"docker-reference\":\"127.0.0.1:5000/team/"
			  "demo:1.0\"},\"image\":{\"docker-manifest-digest\":\"" DIGEST
			  "\"},\"type\":\"cosign container image signature\"},\"optional\":null}");
	assert_int_equal(oci_sign_payload("x", "sha256:12", &out, &err), -1);
	err_clear(&err);
	buf_free(&out);
}

static void test_signature_tag_is_the_digest_with_sig(void **state)
{
	(void)state;
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(oci_sign_tag(DIGEST, &out, &err), 0);
	assert_string_equal(out.data,
			    "sha256-1111111111111111111111111111111111111111111111111111111"
			    "111111111.sig");
	assert_int_equal(oci_sign_tag("md5:00", &out, &err), -1);
	err_clear(&err);
	buf_free(&out);
}

/* The signature, base64 DER, checked by openssl(1) with the public key alone. */
static void test_signature_verifies_with_openssl_and_the_public_key(void **state)
{
	char *key = make_key(state, "k.pem", "ecparam -name prime256v1 -genkey -noout");
	const char *d = dir_of(state);
	buf_t payload = BUF_INIT, sig = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	oci_sign_key_t *k = load_ok(key);
	assert_int_equal(oci_sign_payload("r/x:1", DIGEST, &payload, &err), 0);
	assert_int_equal(oci_sign_bytes(k, payload.data, payload.len, &sig, &err), 0);
	assert_null(strchr(sig.data, '\n'));
	buf_addf(&path, "%s/payload", d);
	FILE *f = fopen(path.data, "wb");
	fwrite(payload.data, 1, payload.len, f);
	fclose(f);
	buf_reset(&path);
	buf_addf(&path, "%s/sig.b64", d);
	f = fopen(path.data, "wb");
	fputs(sig.data, f);
	fclose(f);
	char *out = testutil_run_out(
		"cd '%s' && openssl ec -in k.pem -pubout -out pub.pem 2>/dev/null && base64 -d "
		"sig.b64 >sig.der && openssl dgst -sha256 -verify pub.pem -signature sig.der "
		"payload",
		d);
	assert_non_null(strstr(out, "Verified OK"));
	free(out);
	payload.data[0] = '['; /* another payload: the same signature no longer verifies */
	assert_int_equal(oci_sign_verify(k, payload.data, payload.len, sig.data), 0);
	oci_sign_key_free(k);
	free(key);
	buf_free(&payload);
	buf_free(&sig);
	buf_free(&path);
}

/* OpenSSL 3.0's ECDSA draws a random nonce: signatures differ, and each verifies. */
static void test_two_signatures_differ_and_both_verify(void **state)
{
	char *key =
		make_key(state, "k.pem", "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256");
	buf_t a = BUF_INIT, b = BUF_INIT;
	err_t err = ERR_INIT;
	oci_sign_key_t *k = load_ok(key); /* PKCS#8 "PRIVATE KEY" this time */
	assert_int_equal(oci_sign_bytes(k, "abc", 3, &a, &err), 0);
	assert_int_equal(oci_sign_bytes(k, "abc", 3, &b, &err), 0);
	assert_string_not_equal(a.data, b.data);
	assert_int_equal(oci_sign_verify(k, "abc", 3, a.data), 1);
	assert_int_equal(oci_sign_verify(k, "abc", 3, b.data), 1);
	oci_sign_key_free(k);
	free(key);
	buf_free(&a);
	buf_free(&b);
}

static void test_keys_of_another_type_or_curve_are_refused(void **state)
{
	char *rsa =
		make_key(state, "rsa.pem", "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024");
	char *p384 = make_key(state, "p384.pem", "ecparam -name secp384r1 -genkey -noout");
	char *msg = load_error(rsa);
	assert_non_null(strstr(msg, rsa));
	assert_non_null(strstr(msg, "RSA key; expected ECDSA P-256"));
	free(msg);
	msg = load_error(p384);
	assert_non_null(strstr(msg, "curve secp384r1; expected P-256"));
	free(msg);
	free(rsa);
	free(p384);
}

static void test_unreadable_garbage_and_encrypted_keys_are_refused(void **state)
{
	char *enc = make_key(state, "enc.pem",
			     "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-128-cbc "
			     "-pass pass:secret");
	buf_t path = BUF_INIT;
	buf_addf(&path, "%s/missing.pem", dir_of(state));
	char *msg = load_error(path.data);
	assert_non_null(strstr(msg, "cannot open it"));
	free(msg);
	msg = load_error(enc); /* refused without asking for a passphrase */
	assert_non_null(strstr(msg, "encrypted"));
	free(msg);
	buf_reset(&path);
	buf_addf(&path, "%s/garbage.pem", dir_of(state));
	FILE *f = fopen(path.data, "w");
	fputs("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBadBadBad\n-----END EC PRIVATE KEY-----\n",
	      f);
	fclose(f);
	msg = load_error(path.data);
	assert_non_null(strstr(msg, "no PEM private key"));
	assert_null(strstr(msg, "MHcCAQEEIBadBadBad")); /* the key's bytes are never repeated */
	free(msg);
	free(enc);
	buf_free(&path);
}

int main(void)
{
	if (!testutil_have_tool("openssl")) {
		printf("SKIP: openssl(1) missing\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_is_the_simple_signing_document),
		cmocka_unit_test(test_signature_tag_is_the_digest_with_sig),
		cmocka_unit_test_setup_teardown(
			test_signature_verifies_with_openssl_and_the_public_key, testdir_setup,
			testdir_teardown),
		cmocka_unit_test_setup_teardown(test_two_signatures_differ_and_both_verify,
						testdir_setup, testdir_teardown),
		cmocka_unit_test_setup_teardown(test_keys_of_another_type_or_curve_are_refused,
						testdir_setup, testdir_teardown),
		cmocka_unit_test_setup_teardown(
			test_unreadable_garbage_and_encrypted_keys_are_refused, testdir_setup,
			testdir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
