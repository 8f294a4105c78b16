/* pull.h — fetches one platform's image from a registry into a local OCI image layout that
 * oci_base_open reads. Tags are resolved, an image index / manifest list is followed to the
 * requested os/arch, OCI and Docker schema 2 media types are accepted, and every blob is
 * verified (size and sha256) as it streams into the cache (images/blobs/sha256/), where later
 * builds reuse it unchanged; the layout only hardlinks (or copies) cached blobs. Owns: the
 * pull order. May call: oci/reg.h, oci/layout.h, oci/push.h (mount hints), common/. */
#ifndef IMGBUILD_PULL_H
#define IMGBUILD_PULL_H

#include "buf.h"
#include "err.h"
#include "ref.h"
#include "reg.h"

/* Writes layout_dir (created; its index.json names the one manifest, untagged) and stores
 * the manifest digest in manifest_digest. */
int oci_pull_layout(reg_t *reg, const oci_ref_t *ref, const char *os, const char *arch,
		    const char *cache_dir, const char *layout_dir, buf_t *manifest_digest,
		    err_t *err);

#endif
