/* sbom.h — software bills of materials for a built image and for each of its layers: SPDX 2.3
 * JSON (the format ko and apko attach) or CycloneDX 1.5 JSON, from the solved package records,
 * the layer plan and the layer digests (issue 15). Documents are deterministic: created is
 * the build's SOURCE_DATE_EPOCH, the SPDX namespace / CycloneDX serial number derive from the
 * digest of what the document describes, packages come in plan order, and jansson writes
 * sorted keys without whitespace (docs/sbom.md). Never prints. */
#ifndef IMGBUILD_SBOM_H
#define IMGBUILD_SBOM_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "group.h"
#include "layout.h"
#include "pkgrec.h"

typedef enum { SBOM_NONE = 0, SBOM_SPDX, SBOM_CYCLONEDX } sbom_format_t;

#define SBOM_MT_SPDX "application/spdx+json"
#define SBOM_MT_CYCLONEDX "application/vnd.cyclonedx+json"
/* Annotation on a per-layer document: the digest of the layer it describes. */
#define SBOM_ANN_LAYER_DIGEST "io.imgbuild.layer.digest"
/* The whole image, for sbom_write's layer argument. */
#define SBOM_WHOLE_IMAGE ((size_t)-1)

/* One layer of the image: strings and records borrowed. */
typedef struct sbom_layer {
	const char *group;           /* plan group name ("base-python", "frameworks-1", ...) */
	const char *digest;          /* the layer blob, "sha256:<64 hex>" */
	const pkgrec_t *const *pkgs; /* the packages it holds, plan order */
	size_t n_pkgs;
} sbom_layer_t;

typedef struct sbom_image {
	const char *name;            /* environment / image name */
	const char *manifest_digest; /* the image manifest the documents describe */
	long long created;           /* SOURCE_DATE_EPOCH (seconds) */
	const sbom_layer_t *layers;  /* imgbuild's own layers, bottom up (base layers excluded) */
	size_t n_layers;
} sbom_image_t;

/* "none", "spdx" or "cyclonedx" into *out; anything else is an error naming it. */
int sbom_format_parse(const char *s, sbom_format_t *out, err_t *err);
/* SBOM_MT_SPDX / SBOM_MT_CYCLONEDX (static), NULL for SBOM_NONE. */
const char *sbom_media_type(sbom_format_t f);

/* The package URL of a conda record:
 * pkg:conda/<name>@<version>?build=<b>&channel=<c>&subdir=<s>&type=conda|tar.bz2, values
 * percent-encoded (purl spec); channel is the name for conda.anaconda.org channels, else the
 * channel URL. Caller frees. */
char *sbom_purl(const pkgrec_t *r);

/* Writes the document for the whole image (layer SBOM_WHOLE_IMAGE: image CONTAINS layer
 * CONTAINS package) or for layer `layer` alone (layer CONTAINS package; it does not name the
 * image, so a cached layer's document is the same in every image that holds it) into out
 * (replaced). -1 with err for a digest that is not sha256:<64 hex> or a layer out of range. */
int sbom_write(const sbom_image_t *img, sbom_format_t f, size_t layer, buf_t *out, err_t *err);

/* The layers of plan (whose packages index pkgs, as given to plan_new) with their blob
 * digests (digests[g] for group g). Caller frees with sbom_layers_free(layers, n). */
sbom_layer_t *sbom_layers_from_plan(const plan_t *plan, const pkgrec_t *const *pkgs,
				    const char *const *digests, size_t *n);
void sbom_layers_free(sbom_layer_t *layers, size_t n);

/* Attaches the SBOM of img in format f to the image manifest subject in layout l, the OCI 1.1
 * way (oci/referrers.h): one artifact manifest of artifactType sbom_media_type(f) whose first
 * blob is the image's document and each next one a layer's, annotated SBOM_ANN_LAYER_DIGEST.
 * Its digest goes into digest. */
int sbom_attach(oci_layout_t *l, const sbom_image_t *img, sbom_format_t f,
		const oci_desc_t *subject, char digest[DIGEST_OCI_MAX], err_t *err);

#endif
