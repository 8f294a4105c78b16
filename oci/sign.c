/* sign.c — ECDSA P-256 signatures of image manifests as sigstore attachments (see sign.h).
 * OpenSSL EVP only (CONVENTIONS §9). The key file is read into memory that is wiped after
 * parsing; the EVP_PKEY frees (and clears) the private scalar itself. The signature manifest
 * is written into a temporary layout and pushed with push.h like any image. */
#include "sign.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "fsutil.h"
#include "layout.h"
#include "push.h"
#include "scratch.h"
#include "xalloc.h"

struct oci_sign_key {
	EVP_PKEY *pkey;
};

/* Never prompts: an encrypted key is refused (a build must not wait on a terminal). */
static int no_passphrase(char *buf, int size, int rwflag, void *ud)
{
	(void)buf, (void)size, (void)rwflag, (void)ud;
	return -1;
}

/* The file's bytes (at most SIGN_KEY_MAX_BYTES) into data; the caller wipes and frees it. */
static int read_key_file(const char *path, unsigned char **data, size_t *len, err_t *err)
{
	FILE *f = fopen(path, "rb");
	*data = xcalloc(SIGN_KEY_MAX_BYTES + 1, 1);
	*len = 0;
	if (!f)
		return err_set(err, "signing key %s: cannot open it (%s)", path, strerror(errno));
	*len = fread(*data, 1, SIGN_KEY_MAX_BYTES + 1, f);
	int is_bad = ferror(f);
	fclose(f);
	if (is_bad)
		return err_set(err, "signing key %s: cannot read it", path);
	if (*len > SIGN_KEY_MAX_BYTES)
		return err_set(err, "signing key %s: larger than %d bytes, not a PEM key", path,
			       SIGN_KEY_MAX_BYTES);
	return 0;
}

/* An EC key on P-256, else an error saying what it is. */
static int check_p256(const char *path, EVP_PKEY *pkey, err_t *err)
{
	char group[64] = "";
	size_t glen = 0;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return err_set(err, "signing key %s: a %s key; expected ECDSA P-256", path,
			       EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey)
							     : "non-EC");
	if (!EVP_PKEY_get_group_name(pkey, group, sizeof group, &glen) ||
	    (strcmp(group, "prime256v1") && strcmp(group, "P-256")))
		return err_set(err, "signing key %s: an EC key on curve %s; expected P-256", path,
			       group[0] ? group : "(unnamed)");
	return 0;
}

oci_sign_key_t *oci_sign_key_load(const char *path, err_t *err)
{
	unsigned char *data = NULL;
	size_t len = 0;
	EVP_PKEY *pkey = NULL;
	oci_sign_key_t *k = NULL;
	if (read_key_file(path, &data, &len, err))
		goto out;
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	if (!bio)
		abort();
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error(); /* OpenSSL's reasons say nothing the messages below do not */
	if (!pkey) {
		err_set(err,
			memmem(data, len, "ENCRYPTED", 9)
				? "signing key %s: encrypted; give an unencrypted PEM key (e.g. "
				  "`openssl pkey -in KEY -out PLAIN`)"
				: "signing key %s: no PEM private key in it (expected an ECDSA "
				  "P-256 "
				  "key: `openssl ecparam -name prime256v1 -genkey -noout`)",
			path);
		goto out;
	}
	if (check_p256(path, pkey, err))
		goto out;
	k = xcalloc(1, sizeof *k);
	k->pkey = pkey;
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	if (data)
		OPENSSL_cleanse(data, SIGN_KEY_MAX_BYTES + 1);
	free(data);
	return k;
}

void oci_sign_key_free(oci_sign_key_t *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

int oci_sign_tag(const char *manifest_digest, buf_t *out, err_t *err)
{
	const char *hex = digest_oci_hex(manifest_digest);
	if (!hex)
		return err_set(err, "signing '%s': not a sha256:<64 hex> digest",
			       manifest_digest ? manifest_digest : "(none)");
	buf_setstr(out, "sha256-");
	buf_addstr(out, hex);
	buf_addstr(out, ".sig");
	return 0;
}

static void dump_into(json_t *doc, buf_t *out)
{
	/* docs/layer-format.md "Image JSON": sorted keys, no whitespace */
	char *s = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		abort();
	buf_setstr(out, s);
	free(s);
}

int oci_sign_payload(const char *docker_reference, const char *manifest_digest, buf_t *out,
		     err_t *err)
{
	if (!digest_oci_hex(manifest_digest))
		return err_set(err, "signing '%s': not a sha256:<64 hex> digest",
			       manifest_digest ? manifest_digest : "(none)");
	json_t *doc =
		json_pack("{s:{s:{s:s}, s:{s:s}, s:s}, s:n}", "critical", "identity",
			  "docker-reference", docker_reference, "image", "docker-manifest-digest",
			  manifest_digest, "type", SIGN_PAYLOAD_TYPE, "optional");
	if (!doc)
		return err_set(err, "signing %s: the reference is not valid UTF-8",
			       manifest_digest);
	dump_into(doc, out);
	json_decref(doc);
	return 0;
}

int oci_sign_bytes(const oci_sign_key_t *k, const void *data, size_t len, buf_t *out, err_t *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL, *b64 = NULL;
	size_t sig_len = 0;
	int rc = -1;
	if (!md)
		abort();
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &sig_len, data, len) != 1)
		goto out;
	sig = xcalloc(sig_len, 1);
	if (EVP_DigestSign(md, sig, &sig_len, data, len) != 1)
		goto out;
	b64 = xcalloc(4 * ((sig_len + 2) / 3) + 1, 1);
	EVP_EncodeBlock(b64, sig, (int)sig_len);
	buf_setstr(out, (const char *)b64);
	rc = 0;
out:
	ERR_clear_error();
	if (rc)
		err_set(err, "signing: OpenSSL could not sign with the ECDSA key");
	EVP_MD_CTX_free(md);
	free(sig);
	free(b64);
	return rc;
}

int oci_sign_verify(const oci_sign_key_t *k, const void *data, size_t len, const char *sig_b64)
{
	size_t b64_len = strlen(sig_b64);
	unsigned char *sig = xcalloc(b64_len / 4 * 3 + 3, 1);
	int n = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)b64_len);
	int ok = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md)
		abort();
	/* EVP_DecodeBlock counts the '=' padding as zero bytes: drop them */
	for (size_t i = b64_len; n > 0 && i > 0 && sig_b64[i - 1] == '='; i--)
		n--;
	if (n > 0 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1)
		ok = EVP_DigestVerify(md, sig, (size_t)n, data, len) == 1;
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	free(sig);
	return ok;
}

/* One simple-signing layer: the payload blob for (ref, digest), annotated with its signature. */
static int signature_layer(oci_layout_t *l, const oci_sign_key_t *k, const char *ref,
			   const char *digest, json_t *layers, json_t *diff_ids, err_t *err)
{
	buf_t payload = BUF_INIT, sig = BUF_INIT;
	char pd[DIGEST_OCI_MAX];
	int rc = -1;
	if (oci_sign_payload(ref, digest, &payload, err) ||
	    oci_sign_bytes(k, payload.data, payload.len, &sig, err) ||
	    oci_layout_write_blob(l, payload.data, payload.len, pd, err))
		goto out;
	json_array_append_new(layers, json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType",
						SIGN_MT_SIMPLESIGNING, "digest", pd, "size",
						(json_int_t)payload.len, "annotations",
						SIGN_ANN_SIGNATURE, sig.data));
	json_array_append_new(diff_ids, json_string(pd));
	rc = 0;
out:
	buf_free(&payload);
	buf_free(&sig);
	return rc;
}

/* The signature manifest, as containers/image writes it: an OCI image manifest whose config
 * lists the payloads as diff_ids and whose layers are the signatures; tagged "sig" in l. */
static int write_signature_manifest(oci_layout_t *l, const oci_sign_key_t *k, const char *registry,
				    const char *repo, const char *const *tags, size_t n,
				    const char *digest, err_t *err)
{
	json_t *layers = json_array(), *diff_ids = json_array(), *doc = NULL;
	buf_t bytes = BUF_INIT;
	char cd[DIGEST_OCI_MAX], md[DIGEST_OCI_MAX];
	int rc = -1;
	for (size_t i = 0; i < n; i++) {
		buf_reset(&bytes);
		buf_addf(&bytes, "%s/%s:%s", registry, repo, tags[i]);
		if (signature_layer(l, k, bytes.data, digest, layers, diff_ids, err))
			goto out;
	}
	doc = json_pack("{s:s, s:s, s:{}, s:{s:s, s:O}}", "architecture", "", "os", "", "config",
			"rootfs", "type", "layers", "diff_ids", diff_ids);
	dump_into(doc, &bytes);
	json_decref(doc);
	doc = NULL;
	if (oci_layout_write_blob(l, bytes.data, bytes.len, cd, err))
		goto out;
	doc = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
			OCI_MT_MANIFEST, "config", "mediaType", OCI_MT_CONFIG, "digest", cd, "size",
			(json_int_t)bytes.len, "layers", layers);
	dump_into(doc, &bytes);
	if (oci_layout_write_blob(l, bytes.data, bytes.len, md, err))
		goto out;
	oci_desc_t top = {
		.media_type = OCI_MT_MANIFEST, .digest = md, .size = (long long)bytes.len};
	rc = oci_layout_set_ref(l, &top, "sig", err) || oci_layout_write_index(l, err) ? -1 : 0;
out:
	json_decref(doc);
	json_decref(layers);
	json_decref(diff_ids);
	buf_free(&bytes);
	return rc;
}

int oci_sign_push(reg_t *reg, const oci_sign_key_t *k, const char *registry, const char *repo,
		  const char *const *tags, size_t n_tags, const char *manifest_digest,
		  const char *work_dir, err_t *err)
{
	buf_t tag = BUF_INIT, dir = BUF_INIT;
	oci_layout_t *l = NULL;
	const char *sig_tag[1];
	int rc = -1;
	if (oci_sign_tag(manifest_digest, &tag, err) ||
	    scratch_mkdtemp(work_dir, "sign-", &dir, err) ||
	    !(l = oci_layout_create(dir.data, err)) ||
	    write_signature_manifest(l, k, registry, repo, tags, n_tags, manifest_digest, err))
		goto out;
	sig_tag[0] = tag.data;
	rc = oci_push_layout(reg, dir.data, "sig", repo, sig_tag, 1, NULL, err);
out:
	if (rc)
		err_prefix(err, "signature %s in %s", tag.len ? tag.data : manifest_digest, repo);
	oci_layout_free(l);
	if (dir.len) {
		err_t ignored = ERR_INIT;
		fs_rm_rf(dir.data, &ignored);
		err_clear(&ignored);
	}
	buf_free(&tag);
	buf_free(&dir);
	return rc;
}
