/* sbom_attach.h — what `build` attaches to each image it writes (issue 15): the SBOM
 * (builder/sbom.h) and the provenance statement (builder/provenance.h), each an OCI 1.1
 * artifact whose subject is the image manifest (oci/referrers.h). The one hook the pipeline
 * calls once the image manifest is in its layout. Never prints. */
#ifndef IMGBUILD_SBOM_ATTACH_H
#define IMGBUILD_SBOM_ATTACH_H

#include <stddef.h>

#include "context.h"
#include "err.h"
#include "group.h"
#include "layout.h"
#include "lcache_stage.h"
#include "pkgrec.h"

/* One platform's image as the pipeline built it. Everything borrowed. */
typedef struct attach_input {
	ctx_t *ctx;
	size_t platform;             /* index into the context's platforms */
	const plan_t *plan;          /* its groups index pkgs */
	const pkgrec_t *const *pkgs; /* the package set, sorted by name */
	size_t n_pkgs;
	const char *const *layer_digests; /* the blob of plan group g */
	oci_layout_t *out;                /* the layout holding the image */
	const lcache_stage_t *lcache;     /* records stored with reused layers, or NULL */
} attach_input_t;

/* A format left at -1 (not given) becomes the default: spdx and slsa on a push, none for
 * --output (is_local_output), whose readers may predate OCI 1.1 (docs/sbom.md). */
void attach_resolve_defaults(build_opts_t *o, int is_local_output);

/* Attaches what ctx's options ask for (nothing for formats 0 / -1) to the image manifest
 * subject in in->out. 0 or -1 with err. */
int attach_image_artifacts(const attach_input_t *in, const oci_desc_t *subject, err_t *err);

#endif
