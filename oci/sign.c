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

#define SIGN_PAYLOAD_MAX_BYTES (64 * 1024) /* a simple-signing payload is a few hundred */

/* 1 when layers already holds a signature by k of exactly payload (digest pd): re-signing with
 * the same key and payload adds nothing, as cosign's duplicate detection. */
static int has_signature(json_t *layers, const oci_sign_key_t *k, const char *pd,
			 const buf_t *payload)
{
	size_t i;
	json_t *e;
	json_array_foreach (layers, i, e) {
		const char *d = json_string_value(json_object_get(e, "digest"));
		const char *sig = json_string_value(
			json_object_get(json_object_get(e, "annotations"), SIGN_ANN_SIGNATURE));
		if (d && sig && !strcmp(d, pd) &&
		    oci_sign_verify(k, payload->data, payload->len, sig))
			return 1;
	}
	return 0;
}

/* One simple-signing layer: the payload blob for (ref, digest), annotated with its signature,
 * appended to layers unless they hold k's signature of that payload already (*n_added). */
static int signature_layer(oci_layout_t *l, const oci_sign_key_t *k, const char *ref,
			   const char *digest, json_t *layers, size_t *n_added, err_t *err)
{
	buf_t payload = BUF_INIT, sig = BUF_INIT;
	char pd[DIGEST_OCI_MAX];
	int rc = -1;
	if (oci_sign_payload(ref, digest, &payload, err) ||
	    oci_layout_write_blob(l, payload.data, payload.len, pd, err))
		goto out;
	if (has_signature(layers, k, pd, &payload)) {
		rc = 0;
		goto out;
	}
	if (oci_sign_bytes(k, payload.data, payload.len, &sig, err))
		goto out;
	json_array_append_new(layers, json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType",
						SIGN_MT_SIMPLESIGNING, "digest", pd, "size",
						(json_int_t)payload.len, "annotations",
						SIGN_ANN_SIGNATURE, sig.data));
	(*n_added)++;
	rc = 0;
out:
	buf_free(&payload);
	buf_free(&sig);
	return rc;
}

/* Fetches one layer of an existing signature manifest (a payload: small) into l. */
static int fetch_existing_layer(reg_t *reg, const char *repo, oci_layout_t *l, json_t *e,
				err_t *err)
{
	const char *d = json_string_value(json_object_get(e, "digest"));
	json_int_t size = json_integer_value(json_object_get(e, "size"));
	buf_t path = BUF_INIT;
	int rc = -1;
	if (!d || size <= 0 || size > SIGN_PAYLOAD_MAX_BYTES) {
		err_set(err, "a layer (%s, %lld bytes) is not a signature payload", d ? d : "?",
			(long long)size);
		goto out;
	}
	if (oci_layout_blob_path(l, d, &path, err) ||
	    reg_blob_fetch(reg, repo, d, (long long)size, path.data, err))
		goto out;
	rc = 0;
out:
	buf_free(&path);
	return rc;
}

/* The layers of the signature manifest repo holds under sig_tag (an empty array when there is
 * none), each payload fetched into l: signatures other keys (or tools) made stay, as cosign
 * keeps them. The manifest is read as any manifest is (its digest checked). */
static int existing_signatures(reg_t *reg, const char *repo, const char *sig_tag, oci_layout_t *l,
			       json_t **layers, err_t *err)
{
	buf_t body = BUF_INIT, mt = BUF_INIT, dig = BUF_INIT;
	json_t *doc = NULL, *list, *e;
	int found = 0, rc = -1;
	size_t i;
	*layers = json_array();
	if (reg_manifest_get_optional(reg, repo, sig_tag, &body, &mt, &dig, &found, err))
		goto out;
	rc = 0;
	if (!found)
		goto out;
	rc = -1;
	doc = json_loadb(body.data, body.len, 0, NULL);
	list = json_object_get(doc, "layers");
	if (!json_is_array(list)) {
		err_set(err, "the registry's %s is not an image manifest (no \"layers\")", sig_tag);
		goto out;
	}
	json_array_foreach (list, i, e) {
		if (fetch_existing_layer(reg, repo, l, e, err)) {
			err_prefix(err, "the registry's %s", sig_tag);
			goto out;
		}
		json_array_append(*layers, e);
	}
	rc = 0;
out:
	json_decref(doc);
	buf_free(&body);
	buf_free(&mt);
	buf_free(&dig);
	return rc;
}

/* The signature manifest, as containers/image writes it: an OCI image manifest whose config
 * lists the payloads as diff_ids and whose layers are the signatures (layers: those already
 * there, then ours); tagged "sig" in l. */
static int write_signature_manifest(oci_layout_t *l, json_t *layers, err_t *err)
{
	json_t *diff_ids = json_array(), *doc = NULL, *e;
	buf_t bytes = BUF_INIT;
	char cd[DIGEST_OCI_MAX], md[DIGEST_OCI_MAX];
	size_t i;
	int rc = -1;
	json_array_foreach (layers, i, e)
		json_array_append(diff_ids, json_object_get(e, "digest"));
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
	json_decref(diff_ids);
	buf_free(&bytes);
	return rc;
}

/* The existing signatures plus ours for each tag, in l; *n_added of ours are new. */
static int merge_signatures(reg_t *reg, oci_layout_t *l, const oci_sign_key_t *k,
			    const char *registry, const char *repo, const char *sig_tag,
			    const char *const *tags, size_t n_tags, const char *digest,
			    size_t *n_added, err_t *err)
{
	json_t *layers = NULL;
	buf_t ref = BUF_INIT;
	int rc = -1;
	*n_added = 0;
	if (existing_signatures(reg, repo, sig_tag, l, &layers, err))
		goto out;
	for (size_t i = 0; i < n_tags; i++) {
		buf_setstr(&ref, registry);
		buf_addf(&ref, "/%s:%s", repo, tags[i]);
		if (signature_layer(l, k, ref.data, digest, layers, n_added, err))
			goto out;
	}
	rc = *n_added ? write_signature_manifest(l, layers, err) : 0;
out:
	json_decref(layers);
	buf_free(&ref);
	return rc;
}

int oci_sign_push(reg_t *reg, const oci_sign_key_t *k, const char *registry, const char *repo,
		  const char *const *tags, size_t n_tags, const char *manifest_digest,
		  const char *work_dir, err_t *err)
{
	buf_t tag = BUF_INIT, dir = BUF_INIT;
	oci_layout_t *l = NULL;
	const char *sig_tag[1];
	size_t n_added = 0;
	int rc = -1;
	if (oci_sign_tag(manifest_digest, &tag, err) ||
	    scratch_mkdtemp(work_dir, "sign-", &dir, err) ||
	    !(l = oci_layout_create(dir.data, err)) ||
	    merge_signatures(reg, l, k, registry, repo, tag.data, tags, n_tags, manifest_digest,
			     &n_added, err))
		goto out;
	sig_tag[0] = tag.data;
	/* nothing new (this key signed these payloads already): the tag stays as it is */
	rc = n_added ? oci_push_layout(reg, dir.data, "sig", repo, sig_tag, 1, NULL, err) : 0;
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
