/* image.h — OCI image assembly: config (Env, Cmd, Labels, history, rootfs diff_ids) and
 * manifest. JSON is written with sorted keys and no whitespace so the same image gives the same
 * digests everywhere. A base image (oci/base.h) contributes its layers, history and config
 * first. Owns: image config and manifest content. May call: oci/layout.h (blobs), oci/base.h,
 * common/. Never prints. */
#ifndef IMGBUILD_IMAGE_H
#define IMGBUILD_IMAGE_H

#include <stddef.h>

#include "base.h"
#include "buf.h"
#include "err.h"
#include "layout.h"

typedef struct oci_image oci_image_t;

/* Caller frees. arch like "amd64", os "linux". */
oci_image_t *oci_image_new(const char *os, const char *arch);
void oci_image_free(oci_image_t *img);

/* Puts base's layers, diff_ids, history, Env, Cmd, Entrypoint, WorkingDir and Labels first in
 * img (base must have been opened for img's os/arch). Each layer blob is verified (size and
 * SHA-256) and hardlinked or copied into out. History is made to match the layers one to one
 * (docs/layer-format.md, "Image JSON"). */
int oci_image_load_base(oci_image_t *img, const oci_base_t *base, oci_layout_t *out, err_t *err);
/* Appends a layer (its blob already in the output layout). created_by goes to the history. */
void oci_image_add_layer(oci_image_t *img, const char *digest, const char *diff_id, long long size,
			 const char *media_type, const char *created_by);
/* Sets (replacing) an environment variable "NAME=value". */
void oci_image_set_env(oci_image_t *img, const char *name, const char *value);
const char *oci_image_get_env(const oci_image_t *img, const char *name); /* borrowed or NULL */
/* Cmd and Entrypoint (replacing the base's): argv NULL removes it, argc 0 is an empty
 * array. Strings are copied. */
void oci_image_set_cmd(oci_image_t *img, const char *const *argv, size_t argc);
void oci_image_set_entrypoint(oci_image_t *img, const char *const *argv, size_t argc);
/* WorkingDir and User ("UID:GID", "UID" or a name), replacing the base's; NULL removes. */
void oci_image_set_workdir(oci_image_t *img, const char *dir);
void oci_image_set_user(oci_image_t *img, const char *user);
/* An annotation of the image manifest (replacing one of that key). */
void oci_image_set_annotation(oci_image_t *img, const char *key, const char *value);
/* The manifest annotations set so far: key i (borrowed; NULL past the end), its value in
 * *value. */
size_t oci_image_annotation_count(const oci_image_t *img);
const char *oci_image_annotation(const oci_image_t *img, size_t i, const char **value);
size_t oci_image_layer_count(const oci_image_t *img); /* base + added layers */
void oci_image_set_label(oci_image_t *img, const char *key, const char *value);
/* "created" timestamp in seconds since the epoch (SOURCE_DATE_EPOCH or 0). */
void oci_image_set_created(oci_image_t *img, long long epoch);

/* Writes the config and manifest blobs into l and stores the manifest descriptor (digest
 * "sha256:...", size) in the out params; index.json is the caller's (oci_layout_set_refs). */
int oci_image_write_blobs(oci_image_t *img, oci_layout_t *l, buf_t *manifest_digest,
			  long long *manifest_size, err_t *err);

/* Writes an image index blob listing entries (with their platforms) into l, as
 * oci_layout_write_image_index does, plus the index's own annotations keys[i] = values[i]
 * (none: the same bytes as that function). Its digest and size go to the out params. */
int oci_image_write_index(oci_layout_t *l, const oci_desc_t *entries, size_t n,
			  const char *const *keys, const char *const *values, size_t n_annotations,
			  char digest[DIGEST_OCI_MAX], long long *size, err_t *err);

#endif
