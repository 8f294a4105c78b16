/* image_info.h — what an image holds, read without its layer blobs (issue 15 parts 5-6): per
 * platform, its layers (group, size, digest) and each layer's packages, from the SPDX or
 * CycloneDX per-layer documents attached as OCI 1.1 referrers (docs/sbom.md), or, with no SBOM
 * attached, the groups from the config's history (packages then unknown). Reads manifests,
 * configs and SBOM blobs only, from a registry or an oci: layout. And the comparison of two
 * such images that `imgbuild diff` prints. Never prints. */
#ifndef IMGBUILD_IMAGE_INFO_H
#define IMGBUILD_IMAGE_INFO_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "reg.h"

/* One package of a layer, as its SBOM names it. Strings owned by the image_info_t. */
typedef struct image_pkg {
	const char *name, *version, *build, *channel; /* build/channel "" when not said */
	const char *kind;                             /* "conda" or "pip" */
	const char *subdir,
		*sha256; /* the purl's subdir=, the archive's SHA-256 hex; "" if not said */
} image_pkg_t;

typedef struct image_layer {
	const char *digest, *media_type;
	const char *group; /* the recipe group, "base" for a base image's layer, "?" unknown */
	long long size;
	const image_pkg_t *pkgs; /* sorted by name */
	size_t n_pkgs;
} image_layer_t;

typedef struct image_platform {
	const char *platform;        /* "linux/amd64" */
	const char *manifest_digest; /* the image manifest */
	const char *sbom;            /* "spdx", "cyclonedx", or NULL: packages unknown */
	const image_layer_t *layers; /* manifest order */
	size_t n_layers;
} image_platform_t;

typedef struct image_info image_info_t;

/* Where an image is read from: an oci: layout (dir, tag or NULL for its only image), or a
 * registry reference through reg (the client of ref's registry, borrowed). tmp_dir (a private
 * scratch directory) takes the SBOM blobs fetched from a registry. platform "os/arch" or NULL
 * for every platform of an index. */
typedef struct image_info_src {
	const char *layout_dir, *layout_tag;
	reg_t *reg;
	const char *repo, *reference; /* tag or digest */
	const char *tmp_dir;
	const char *platform;
} image_info_src_t;

struct ctx;
/* The image arg names ("oci:DIR[:TAG]" or a registry reference), read with ctx's registry
 * clients and scratch directory: image_info_read with the source filled in. Caller frees. */
image_info_t *image_info_open(struct ctx *ctx, const char *arg, const char *platform, err_t *err);

/* Reads the image src names. where names it in messages. Caller frees. */
image_info_t *image_info_read(const image_info_src_t *src, const char *where, err_t *err);
void image_info_free(image_info_t *info);
const char *image_info_where(const image_info_t *info);  /* borrowed */
const char *image_info_digest(const image_info_t *info); /* the top manifest or index */
size_t image_info_count(const image_info_t *info);
const image_platform_t *image_info_platform(const image_info_t *info, size_t i); /* borrowed */

/* The value of qualifier key in purl ("...?build=x&channel=y"), percent-decoded, into out
 * (replaced; "" when absent): how a package's build, channel and subdir are read back. */
void image_purl_qualifier(const char *purl, const char *key, buf_t *out);

/* ---- comparison (`imgbuild diff`) ------------------------------------------------------- */

typedef enum image_change {
	IMAGE_SAME = 0,
	IMAGE_ADDED,   /* only in B */
	IMAGE_REMOVED, /* only in A */
	IMAGE_CHANGED, /* both, other digest (layer) or version/build (package) */
} image_change_t;

typedef struct image_pkg_diff {
	image_change_t change;
	const image_pkg_t *a, *b; /* NULL on the side that lacks it */
} image_pkg_diff_t;

/* Layers pair up by group (the n-th layer of a group with the n-th of the same group). */
typedef struct image_layer_diff {
	image_change_t change;
	const image_layer_t *a, *b;
	image_pkg_diff_t *pkgs; /* the packages that differ, by name */
	size_t n_pkgs;
} image_layer_diff_t;

typedef struct image_platform_diff {
	image_change_t change; /* SAME: the same manifest digest */
	const image_platform_t *a, *b;
	image_layer_diff_t *layers;
	size_t n_layers;
} image_platform_diff_t;

typedef struct image_diff image_diff_t;

/* Compares a and b platform by platform (borrowed: they must outlive the result). Caller
 * frees. */
image_diff_t *image_diff_new(const image_info_t *a, const image_info_t *b);
void image_diff_free(image_diff_t *d);
int image_diff_is_same(const image_diff_t *d);
size_t image_diff_count(const image_diff_t *d);
const image_platform_diff_t *image_diff_platform(const image_diff_t *d, size_t i);

#endif
