/* base.h — a base image, read once from an OCI layout: the image for one platform (its tag
 * resolved, an image index followed to os/arch), its manifest and config checked, and what a
 * build needs from it: its layers and config (oci_image_load_base puts them first in the
 * image) and the GNU C library version its layers hold, for conda's __glibc (conda/virtual.h
 * takes that version as an input and never reads images). Nothing from the image is run.
 * Owns: choosing and checking the base image, glibc detection. May call: oci/layout.h,
 * common/, libarchive. Never prints. */
#ifndef IMGBUILD_BASE_H
#define IMGBUILD_BASE_H

#include "buf.h"
#include "err.h"

typedef struct oci_base oci_base_t;

/* Reads layout_dir's image tagged tag (NULL: its only image) for os/arch: the manifest and
 * config blobs are verified (size and SHA-256); the config must be for os/arch and list one
 * diff_id per layer; every layer must be tar, tar+gzip or tar+zstd. Layer blobs are verified
 * when oci_image_load_base takes them. Caller frees. */
oci_base_t *oci_base_open(const char *layout_dir, const char *tag, const char *os, const char *arch,
			  err_t *err);
void oci_base_free(oci_base_t *b);
const char *oci_base_name(const oci_base_t *b); /* the layout directory, borrowed */

/* The glibc version of the base image, from its layers: a file named libc-X.Y.so (glibc <
 * 2.34) or the "release version X.Y" banner inside libc.so.6; a later layer's libc replaces
 * an earlier one. 1 = found (version in out), 0 = no glibc (musl, static distroless), -1 = a
 * layer that cannot be read (err names it). */
int oci_base_glibc(const oci_base_t *b, buf_t *out, err_t *err);

#endif
