/* cache_artifact.h — the registry side of the shared layer cache (--cache-repo): one small
 * OCI artifact per layer cache key, tagged "lk-<key>", whose manifest names the layer blob
 * (stored in the same repository) and carries its diff_id, group and package list as
 * annotations. Format: docs/layer-format.md, "Registry cache artifacts". Built only on reg.h's
 * public operations; never prints. */
#ifndef IMGBUILD_CACHE_ARTIFACT_H
#define IMGBUILD_CACHE_ARTIFACT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "reg.h"

#define OCI_CACHE_ARTIFACT_TYPE "application/vnd.imgbuild.layer-cache.v1"
#define OCI_CACHE_TAG_PREFIX "lk-"
#define OCI_CACHE_DIGEST_MAX 80 /* "sha256:" + 64 hex + NUL */
#define OCI_CACHE_MEDIA_TYPE_MAX 128

/* The layer an artifact points at. */
typedef struct oci_cache_layer {
	char digest[OCI_CACHE_DIGEST_MAX];  /* compressed blob */
	char diff_id[OCI_CACHE_DIGEST_MAX]; /* uncompressed tar */
	long long size;
	char media_type[OCI_CACHE_MEDIA_TYPE_MAX];
	/* the layer's package records (common/pkgrec_list.h) as the artifact's config blob, or
	 * "" and 0 for an artifact with the empty config (issue 15; oci/cache_records.h) */
	char records_digest[OCI_CACHE_DIGEST_MAX];
	long long records_size;
} oci_cache_layer_t;

/* What the annotations say about the layer (informational; borrowed). */
typedef struct oci_cache_info {
	const char *group;
	const char *const *packages; /* dists */
	size_t n_packages;
	const char *records; /* package records stored as the config blob, or NULL: `{}` */
	size_t records_len;
} oci_cache_info_t;

/* "lk-<key_hex>" into out. -1 unless key_hex is 64 lower-case hex. */
int oci_cache_tag(const char *key_hex, buf_t *out, err_t *err);

/* The artifact manifest's bytes (sorted keys, compact: the same inputs give the same bytes). */
int oci_cache_manifest_make(const char *key_hex, const oci_cache_layer_t *layer,
			    const oci_cache_info_t *info, buf_t *out, err_t *err);
/* Parses and checks a manifest read back for key_hex: OCI image manifest, our artifact type,
 * one layer with a sha256 digest and a positive size, and the key and diff_id annotations
 * (the key must be key_hex). -1 with what is wrong. */
int oci_cache_manifest_parse(const char *data, size_t len, const char *key_hex,
			     oci_cache_layer_t *out, err_t *err);

/* GET repo:lk-<key>. *found = 0 (and 0 returned) when the registry answers 404; on a hit the
 * manifest is checked and out filled. Any other failure is -1. */
int oci_cache_lookup(reg_t *r, const char *repo, const char *key_hex, oci_cache_layer_t *out,
		     int *found, err_t *err);

/* Stores a layer: its blob (blob_path, streamed, skipped when present), the empty config
 * `{}` (written once as scratch_dir/empty.json), then the manifest under the key's tag. */
int oci_cache_publish(reg_t *r, const char *repo, const char *key_hex, const char *blob_path,
		      const oci_cache_layer_t *layer, const oci_cache_info_t *info,
		      const char *scratch_dir, err_t *err);

#endif
