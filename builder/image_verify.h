/* image_verify.h — the drift check behind `imgbuild verify` (issue 15 part 7): what a build
 * from the same inputs would put into an image (per platform: the package set and the layer
 * plan, made through the build context exactly as `build` makes them, and a layer's digest
 * where the local layer cache holds it under the build's key) compared with what an image
 * holds, read as `inspect` reads it (image_info.h: its attached SBOM, never its layer blobs).
 * What is compared is listed in docs/sbom.md ("Checking an image: verify"). Never prints. */
#ifndef IMGBUILD_IMAGE_VERIFY_H
#define IMGBUILD_IMAGE_VERIFY_H

#include <stddef.h>

#include "context.h"
#include "err.h"
#include "image_info.h"

typedef enum verify_what {
	VERIFY_PLATFORM_MISSING, /* a platform to check that the image lacks */
	VERIFY_PKG_MISSING,      /* planned, not in the image */
	VERIFY_PKG_EXTRA,        /* in the image, not planned */
	VERIFY_PKG_CHANGED,      /* in both, field differs */
	VERIFY_PKG_MOVED,        /* in both, in another layer (group) than planned */
	VERIFY_LAYER_MISSING,    /* a planned layer group the image has no layer of */
	VERIFY_LAYER_EXTRA,      /* an image layer of a group not planned (base, rootfs excepted) */
	VERIFY_LAYER_DIGEST,     /* the layer cache's layer for the group has another digest */
} verify_what_t;

/* One difference. Strings borrowed from the verifier or the image_info_t. */
typedef struct verify_diff {
	verify_what_t what;
	const char *platform;
	const char *name;  /* the package, or the layer's group (NULL: PLATFORM_MISSING) */
	const char *field; /* CHANGED: version|build|channel|subdir|sha256|kind; MOVED: layer;
			      DIGEST: digest; else NULL */
	const char *planned, *image; /* the field's two values; MISSING/EXTRA: "version build"
					on its side, NULL on the other */
	const char *group;           /* MISSING: the planned group, EXTRA: the image's; else NULL */
} verify_diff_t;

/* What was checked on one platform. */
typedef struct verify_platform {
	const char *platform;
	const char *manifest;      /* the image's manifest for it, NULL when it has none */
	size_t n_packages;         /* planned */
	size_t n_layers;           /* planned layer groups */
	size_t n_digests_compared; /* groups whose digest the layer cache knew (and compared) */
} verify_platform_t;

typedef struct image_verify image_verify_t;

/* img (the image read, for image_verify_platform; may be NULL for image_verify_compare alone)
 * is borrowed and must outlive the verifier. Caller frees. */
image_verify_t *image_verify_new(const image_info_t *img);
void image_verify_free(image_verify_t *v); /* NULL is a no-op */

/* Plans platform i of ctx (ctx_packages, the recipe's layer plan, the layer cache keys) and
 * compares it with the image's platform of the same name, adding every difference. -1 with
 * err when the plan cannot be made (a solve, a lock, a recipe fails) or the image's platform
 * carries no SBOM (its packages are then unknown). */
int image_verify_platform(image_verify_t *v, ctx_t *ctx, size_t i, err_t *err);

/* The comparison itself: planned (the plan's groups in order as layers, each with its
 * packages, digest "" where unknown; platform names it) against image's platform (NULL: the
 * image lacks it), adding every difference. Both borrowed: they must outlive v. */
void image_verify_compare(image_verify_t *v, const image_platform_t *planned,
			  const image_platform_t *image);

int image_verify_matches(const image_verify_t *v); /* 1 when no difference was found */
size_t image_verify_count(const image_verify_t *v);
const verify_diff_t *image_verify_diff(const image_verify_t *v, size_t k); /* borrowed */
size_t image_verify_platform_count(const image_verify_t *v);
const verify_platform_t *image_verify_platform_get(const image_verify_t *v, size_t k);
/* "package-missing", "layer-digest", ... (static), as the JSON output names them. */
const char *image_verify_what_name(verify_what_t w);

#endif
