/* image.h — OCI image assembly: config (Env, Cmd, Labels, history, rootfs diff_ids),
 * manifest, index and the image-layout directory (oci-layout, index.json, blobs/sha256/).
 * JSON is written with sorted keys and no whitespace so the same image gives the same
 * digests everywhere. A base image (another OCI layout) contributes its layers first. */
#ifndef IMGBUILD_IMAGE_H
#define IMGBUILD_IMAGE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

typedef struct oci_image oci_image_t;

/* Caller frees. arch like "amd64", os "linux". */
oci_image_t *oci_image_new(const char *os, const char *arch);
void oci_image_free(oci_image_t *img);

/* Reads layout_dir's index.json, picks the manifest tagged `tag` (or the only one when tag is
 * NULL), verifies the config and layer blobs' digests, and puts its layers, diff_ids,
 * history, Env, Cmd, Entrypoint, WorkingDir and Labels first in img. Blob files are
 * hardlinked or copied into blobs_dir. */
int oci_image_load_base(oci_image_t *img, const char *layout_dir, const char *tag,
			const char *blobs_dir, err_t *err);
/* Appends a layer (its blob already in blobs_dir). created_by goes to the history entry. */
void oci_image_add_layer(oci_image_t *img, const char *digest, const char *diff_id,
			 long long size, const char *media_type, const char *created_by);
/* Sets (replacing) an environment variable "NAME=value". */
void oci_image_set_env(oci_image_t *img, const char *name, const char *value);
const char *oci_image_get_env(const oci_image_t *img, const char *name); /* borrowed or NULL */
void oci_image_set_cmd(oci_image_t *img, const char *const *argv, size_t argc);
/* argc 0 clears the Entrypoint. */
void oci_image_set_entrypoint(oci_image_t *img, const char *const *argv, size_t argc);
void oci_image_set_workdir(oci_image_t *img, const char *dir); /* NULL clears */
size_t oci_image_layer_count(const oci_image_t *img); /* base + added layers */
void oci_image_set_label(oci_image_t *img, const char *key, const char *value);
/* "created" timestamp in seconds since the epoch (SOURCE_DATE_EPOCH or 0). */
void oci_image_set_created(oci_image_t *img, long long epoch);

/* Writes config and manifest blobs into blobs_dir and stores the manifest descriptor
 * (digest "sha256:...", size) in the out params. */
int oci_image_write_blobs(oci_image_t *img, const char *blobs_dir, buf_t *manifest_digest,
			  long long *manifest_size, err_t *err);
/* Writes oci-layout and index.json into layout_dir (whose blobs/sha256 holds the blobs),
 * with one manifest entry per tag (org.opencontainers.image.ref.name). */
int oci_layout_write_index(const char *layout_dir, const char *manifest_digest,
			   long long manifest_size, const char *const *tags, size_t n_tags,
			   err_t *err);

#endif
