/* lcache_stage.h — the pipeline's use of the layer cache (layers/lcache.h). Once the plan is
 * made (it needs only the solved records), every group's key is computed and looked up; a
 * hit puts the cached blob into the output layout, and the pipeline then neither fetches nor
 * installs that group's packages. Groups that miss are built as usual and stored afterwards.
 * `imgbuild plan` uses the same keys (builder/plan_report.c).
 * Owns: the per-group keys of one plan. May call: layers/ (lcache, group), common/. */
#ifndef IMGBUILD_LCACHE_STAGE_H
#define IMGBUILD_LCACHE_STAGE_H

#include <stddef.h>

#include "err.h"
#include "group.h"
#include "layer.h"
#include "log.h"
#include "pipeline.h"
#include "pkgrec.h"

typedef struct lcache_stage lcache_stage_t;

/* cache_dir is the build's cache root (the layer cache lives in cache_dir/layers); layer,
 * prefix and python_version (may be NULL) are borrowed and must outlive the stage.
 * Caller frees. */
lcache_stage_t *lcache_stage_new(const char *cache_dir, const layer_opts_t *layer,
				 const char *prefix, const char *python_version, err_t *err);
void lcache_stage_free(lcache_stage_t *s);

/* Computes each group's key and fetches hits into blobs_dir: descs[g] is filled and
 * is_cached[g] set for those (arrays of plan_group_count entries). A corrupt or missing cached
 * blob is logged and the group is built instead. pkgs is the array the plan indexes. */
int lcache_stage_lookup(lcache_stage_t *s, const plan_t *plan, const pkgrec_t *const *pkgs,
			const char *blobs_dir, layer_desc_t *descs, unsigned char *is_cached,
			log_fn log, void *ud, err_t *err);

/* Records group g's freshly built layer (its blob in blobs_dir). Safe to call from several
 * threads. A group that could not be keyed (lookup said so) is skipped. */
int lcache_stage_store(lcache_stage_t *s, const plan_t *plan, size_t g, const pkgrec_t *const *pkgs,
		       const char *blobs_dir, const layer_desc_t *desc, err_t *err);

/* Computes every group's key (lookup does this itself); then key(g) is the hex key or "" for
 * a group that cannot be keyed, and peek(g) is 1 when the local cache holds its layer (out
 * filled; the blob is not touched or verified). */
void lcache_stage_keys(lcache_stage_t *s, const plan_t *plan, const pkgrec_t *const *pkgs,
		       log_fn log, void *ud);
const char *lcache_stage_key(const lcache_stage_t *s, size_t g);
int lcache_stage_peek(lcache_stage_t *s, size_t g, layer_desc_t *out);

/* The package records stored with reused group g's cache entry (common/pkgrec_list.h; the
 * data its SBOM is made from, issue 15), NULL when the layer was built or its entry has none.
 * Borrowed, valid until the next lookup. set_records records those a registry cache hit
 * brought (rcache_stage.c). */
const char *lcache_stage_records(const lcache_stage_t *s, size_t g, size_t *len);
void lcache_stage_set_records(lcache_stage_t *s, size_t g, const char *data, size_t len);

#endif
