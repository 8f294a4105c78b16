/* sign.h — image signatures laid out as cosign's / containers-image's "sigstore attachments"
 * (issue 15 part 4), so `skopeo`/`podman` (policy.json `sigstoreSigned`, registries.d
 * `use-sigstore-attachments: true`) and `cosign verify --key` accept them: for the manifest
 * digest sha256:<hex>, the tag `sha256-<hex>.sig` holds an OCI image manifest with one layer
 * per signature: the simple-signing payload (media type SIGN_MT_SIMPLESIGNING) annotated with
 * SIGN_ANN_SIGNATURE = base64 of the DER ECDSA-P256-SHA256 signature of the payload bytes.
 * The private key stays inside this module: it is never printed or logged, its file's bytes are
 * wiped once parsed, and errors name the file, never its content (docs/sbom.md, "Signing"). */
#ifndef IMGBUILD_SIGN_H
#define IMGBUILD_SIGN_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "reg.h"

#define SIGN_MT_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define SIGN_ANN_SIGNATURE "dev.cosignproject.cosign/signature"
#define SIGN_PAYLOAD_TYPE "cosign container image signature"
#define SIGN_KEY_MAX_BYTES (64 * 1024) /* a PEM key is a few hundred bytes */

typedef struct oci_sign_key oci_sign_key_t;

/* Reads an ECDSA P-256 private key from a PEM file ("EC PRIVATE KEY" or unencrypted PKCS#8
 * "PRIVATE KEY"). NULL with err naming the file for an unreadable or oversized file, no
 * private key, an encrypted key (never prompts), or another key type or curve. Caller frees. */
oci_sign_key_t *oci_sign_key_load(const char *path, err_t *err);
void oci_sign_key_free(oci_sign_key_t *k); /* NULL is a no-op */

/* "sha256-<hex>.sig" for manifest digest "sha256:<hex>"; -1 for any other digest. */
int oci_sign_tag(const char *manifest_digest, buf_t *out, err_t *err);

/* The simple-signing payload: {"critical":{"identity":{"docker-reference":REF},"image":
 * {"docker-manifest-digest":DIGEST},"type":"cosign container image signature"},
 * "optional":null}, sorted keys, no whitespace (replaces out). */
int oci_sign_payload(const char *docker_reference, const char *manifest_digest, buf_t *out,
		     err_t *err);

/* base64 (no line breaks) of the DER ECDSA signature over SHA-256 of data into out
 * (replaced). ECDSA takes a random nonce here (OpenSSL 3.0 has no RFC 6979 through EVP): two
 * signatures of the same bytes differ, both valid. */
int oci_sign_bytes(const oci_sign_key_t *k, const void *data, size_t len, buf_t *out, err_t *err);

/* 1 when the base64 signature sig_b64 of data verifies with k's public key, else 0. */
int oci_sign_verify(const oci_sign_key_t *k, const void *data, size_t len, const char *sig_b64);

/* Signs manifest_digest once per tag, the identity being "registry/repo:tag" (the docker
 * reference a verifier matches), and pushes the signature manifest to repo under
 * oci_sign_tag(digest), merged as cosign does: the signatures that tag holds already (other
 * keys', other tools') stay, ours are appended, and one this key made of the same payload
 * already is not added again (nothing is pushed when nothing is new). work_dir: an existing
 * directory for a temporary layout (removed again). */
int oci_sign_push(reg_t *reg, const oci_sign_key_t *k, const char *registry, const char *repo,
		  const char *const *tags, size_t n_tags, const char *manifest_digest,
		  const char *work_dir, err_t *err);

#endif
