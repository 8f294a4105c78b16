/* push.h — pushes an OCI image layout's image (a manifest, or an index and each manifest it
 * lists) to a registry repository: every blob HEADed first and skipped when present, mounted
 * from another repository of the same registry when this machine saw it there (a small
 * record per registry in the cache: images/registries/<host>.seen, which pulls feed too),
 * config and layers before their manifest, manifests before the index, then every tag.
 * Owns: the push order and the mount hints. May call: oci/reg.h, oci/reg_mount.h,
 * oci/layout.h (the layout is read through it), common/. */
#ifndef IMGBUILD_PUSH_H
#define IMGBUILD_PUSH_H

#include <stddef.h>

#include "err.h"
#include "reg.h"

/* The cache's record of which repositories of reg hold which blobs. */
void oci_seen_path(const char *cache_dir, const char *registry, buf_t *out);
/* Appends "digest repo" (best effort: a failure only costs a future mount). */
void oci_seen_add(const char *seen_path, const char *digest, const char *repo);

/* Pushes layout_dir's image tagged ref_name (NULL: its only image) to repo, tagged with each
 * of tags (no tags: pushed by digest only). cache_dir may be NULL (no mounts). On failure no
 * manifest has been PUT under any tag of the top image. */
int oci_push_layout(reg_t *reg, const char *layout_dir, const char *ref_name, const char *repo,
		    const char *const *tags, size_t n_tags, const char *cache_dir, err_t *err);
/* The same for the layout's only image, in a layout that may lack some layer blobs (a build that
 * took them from the registry cache without downloading them): each blob absent from the layout is
 * mounted from absent_from, a repository of the same registry; when the registry refuses the mount
 * (202) a warning goes to the client's log and the blob is downloaded from absent_from (verified)
 * into the layout and uploaded. absent_from NULL = every blob must be local. */
int oci_push_layout_from(reg_t *reg, const char *layout_dir, const char *repo,
			 const char *const *tags, size_t n_tags, const char *cache_dir,
			 const char *absent_from, err_t *err);

#endif
