/* scan_share.h — the base image policy's scan findings (layers/basecheck.h) travel with the
 * layers of the registry cache (issue 14, builds spread over machines): the package records
 * stored with a layer's cache entry (common/pkgrec_list.h; docs/layer-format.md, "Layer package
 * records") get a "basecheck" member, {dist: findings}, when the builder has findings for every
 * package of the layer; a build that takes the layer from the cache remembers them in its own
 * <cache>/basecheck. So the assembling build on a fresh machine neither fetches nor installs a
 * package just to scan it. Never prints. */
#ifndef IMGBUILD_SCAN_SHARE_H
#define IMGBUILD_SCAN_SHARE_H

#include <stddef.h>

#include "buf.h"
#include "group.h"
#include "pkgrec.h"

/* <cache_dir>/basecheck into out (replaced): where a build remembers its findings. */
void scan_share_dir(const char *cache_dir, buf_t *out);

/* Adds the findings of plan group g's packages (pkgs indexed by the plan) for prefix to
 * records, a pkgrec_list document (replaced by the new text, sorted keys, compact). Nothing
 * changes unless every package of the group has findings, so two builders that scanned the same
 * packages store the same bytes. */
void scan_share_add(const char *cache_dir, const char *prefix, const plan_t *plan, size_t g,
		    const pkgrec_t *const *pkgs, buf_t *records);

/* From records (len bytes, untrusted: from a cache entry) of group g's layer: each of the
 * group's packages that the document has valid findings for, under its dist, and that has none
 * here yet, gets them in <cache_dir>/basecheck (basecheck_findings_import). Returns how many. */
size_t scan_share_take(const char *cache_dir, const char *prefix, const plan_t *plan, size_t g,
		       const pkgrec_t *const *pkgs, const char *records, size_t len);

#endif
