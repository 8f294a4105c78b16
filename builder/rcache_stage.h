/* rcache_stage.h — the pipeline's use of the shared registry layer cache (--cache-repo,
 * oci/cache_artifact.h). After the local layer cache (lcache_stage.h) has been asked, every
 * keyed group is looked up in the cache repository; a group missing locally but found there
 * is not built: its blob is downloaded and verified (size, digest, diff_id), kept in the local
 * layer cache, and recorded so that a push to the same registry mounts it from the cache
 * repository instead of uploading it. In mount-only mode (the build's only output is a push
 * to the cache repository's registry) the blob is not downloaded at all: the artifact's
 * descriptor and diff_id are used as they are and the push mounts the blob (oci/push.h,
 * oci_push_layout_from); trust model in docs/layer-format.md, "Registry cache artifacts". After the
 * build, every layer the repository lacks is published there. The registry cache is best effort
 * both ways: a failed read means "build it", a failed write is a warning; neither fails the build.
 * Owns: the registry cache's client and what it found. May call: the local stage
 * (lcache_stage.h), oci/ (cache_artifact, reg, push), common/. */
#ifndef IMGBUILD_RCACHE_STAGE_H
#define IMGBUILD_RCACHE_STAGE_H

#include <stddef.h>

#include "err.h"
#include "group.h"
#include "layer.h"
#include "lcache_stage.h"
#include "pipeline.h"
#include "pkgrec.h"
#include "reg.h"

typedef struct rcache_stage rcache_stage_t;

/* cache_repo is "host[:port]/path" (no tag); reg_opts may be NULL (defaults; borrowed, must
 * outlive the stage); cache_dir is the build's cache root (the push's mount record lives
 * there); scratch_dir (may be NULL for lookups only) takes a small file. Nothing is contacted
 * yet. -1 with a message for a malformed cache_repo. Caller frees. */
rcache_stage_t *rcache_stage_new(const char *cache_repo, const reg_opts_t *reg_opts,
				 const char *cache_dir, const char *scratch_dir, err_t *err);
void rcache_stage_free(rcache_stage_t *s);
/* Mount-only mode (see above): hits are checked to be present (HEAD) but not downloaded,
 * and their blobs are absent from blobs_dir. Off by default. */
void rcache_stage_set_mount_only(rcache_stage_t *s, int on);
/* issue 14 part 4 (builder/spread.c): only the groups with is_selected[g] set are looked up
 * and published (borrowed, plan_group_count entries, must outlive the stage; NULL = all). */
void rcache_stage_set_selection(rcache_stage_t *s, const unsigned char *is_selected);
/* Read-only: the repository refused a push (a pull-only token, a read-only registry), so
 * hits are used and nothing is published (one note says how many layers were not stored). */
void rcache_stage_set_read_only(rcache_stage_t *s, int on);
/* How many layers the last rcache_stage_publish could not store (each one a warning). */
size_t rcache_stage_n_failed(const rcache_stage_t *s);
/* "host[:port]/path" (borrowed). */
const char *rcache_stage_repo(const rcache_stage_t *s);

/* For each group keyed by ls: looks its artifact up; for a group with is_cached[g] == 0 found
 * there, places the verified blob in blobs_dir (mount-only mode: leaves it in the registry),
 * fills descs[g] and sets is_cached[g] and from_registry[g]. layer gives the media type a layer
 * must have. Never fails: problems are logged as warnings and the group is built. Arrays have
 * plan_group_count entries. */
void rcache_stage_lookup(rcache_stage_t *s, lcache_stage_t *ls, const plan_t *plan,
			 const pkgrec_t *const *pkgs, const layer_opts_t *layer,
			 const char *blobs_dir, layer_desc_t *descs, unsigned char *is_cached,
			 unsigned char *from_registry, log_fn log, void *ud);

/* After the build: publishes every keyed group the lookup did not find in the repository
 * (its blob blobs_dir/<hex>, descriptor descs[g]; its records carry the scan findings this
 * machine has for the image prefix, builder/scan_share.h). Best effort: failures are
 * warnings. */
void rcache_stage_publish(rcache_stage_t *s, lcache_stage_t *ls, const plan_t *plan,
			  const pkgrec_t *const *pkgs, const char *prefix, const char *blobs_dir,
			  const layer_desc_t *descs, log_fn log, void *ud);

/* For `imgbuild plan`: 1 when the repository holds a valid artifact for key_hex (*size gets
 * the layer's compressed size), 0 when not, -1 when the registry could not be asked. */
int rcache_stage_peek(rcache_stage_t *s, const char *key_hex, long long *size, err_t *err);

#endif
