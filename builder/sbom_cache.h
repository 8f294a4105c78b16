/* sbom_cache.h — the per-layer SBOM data that travels with a cached layer (issue 15): the
 * layer's package records (common/pkgrec_list.h) stored with its local and registry cache
 * entries, and, when a build reuses the layer, its SBOM made from them. docs/sbom.md,
 * "Cached layers". Never prints (warnings go to the log callback). */
#ifndef IMGBUILD_SBOM_CACHE_H
#define IMGBUILD_SBOM_CACHE_H

#include <stddef.h>

#include "buf.h"
#include "cache_artifact.h"
#include "group.h"
#include "lcache_stage.h"
#include "log.h"
#include "pkgrec.h"
#include "reg.h"
#include "sbom.h"

/* The records document of plan group g (whose packages index pkgs) into out. */
void sbom_cache_group_records(const plan_t *plan, size_t g, const pkgrec_t *const *pkgs,
			      buf_t *out);

/* A registry cache hit for group g: downloads the records its artifact cl names (none for an
 * artifact older than them) and gives them to ls (lcache_stage_set_records). A failure is a
 * warning naming the layer: the SBOM is then made from the build's own records. */
void sbom_cache_take_records(reg_t *r, const char *repo, const oci_cache_layer_t *cl,
			     const char *scratch_dir, lcache_stage_t *ls, size_t g,
			     const char *group, log_fn log, void *ud);

/* Stored records of a reused layer, matched to the build's own packages of that layer. */
typedef struct sbom_cache_use sbom_cache_use_t;

/* For each layer of layers (n, from sbom_layers_from_plan: layer g is plan group g) that ls
 * holds stored records for, points layers[g].pkgs at them, in the build's order. Records that
 * do not name exactly the layer's packages (name, version, build) are not used: a warning,
 * and the build's records stay. ls may be NULL (nothing changes). Caller frees the result,
 * after the last use of layers, with sbom_cache_use_free. */
sbom_cache_use_t *sbom_cache_apply(const lcache_stage_t *ls, sbom_layer_t *layers, size_t n,
				   log_fn log, void *ud);
void sbom_cache_use_free(sbom_cache_use_t *u);

#endif
