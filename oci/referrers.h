/* referrers.h — OCI 1.1 artifacts that refer to an image (SBOMs, provenance): an image
 * manifest with `artifactType`, the empty config and a `subject` descriptor naming the image
 * manifest. They are found through the referrers API (GET /v2/<repo>/referrers/<digest>) or,
 * where a registry has none (Debian's docker-registry 2.8), through the referrers tag schema:
 * an image index tagged `sha256-<hex of the subject>` listing them (distribution-spec 1.1,
 * "Referrers tag schema"). An OCI layout holds them the same way: an index.json entry tagged
 * `sha256-<hex>` pointing at that index, so `imgbuild push` and readers see one schema.
 * Serialised like every other document: sorted keys, no whitespace (docs/layer-format.md). */
#ifndef IMGBUILD_REFERRERS_H
#define IMGBUILD_REFERRERS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "layout.h"
#include "reg.h"

/* The empty JSON blob `{}` that artifact manifests use as config (image-spec 1.1). */
#define OCI_EMPTY_JSON "{}"
#define OCI_EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

/* One blob of an artifact: its bytes, media type and an optional annotation. Borrowed. */
typedef struct oci_artifact_part {
	const char *media_type;
	const void *data;
	size_t len;
	const char *ann_key, *ann_value; /* NULL: no annotation */
} oci_artifact_part_t;

/* "sha256-<hex>" for subject digest "sha256:<hex>" into out; -1 for any other digest. */
int oci_referrers_tag(const char *subject_digest, buf_t *out, err_t *err);
/* 1 when ref_name is a referrers tag ("sha256-<64 hex>"): an index of artifacts, never an
 * image a reader should pick. */
int oci_is_referrers_tag(const char *ref_name);

/* Adds the artifact manifest d (media type, digest, size) with artifact_type to the referrers
 * index old (its bytes, or empty for none) into out: entries keep their order, a digest
 * already listed is not added twice. -1 when old is not an image index. */
int oci_referrers_index_add(const buf_t *old, const oci_desc_t *d, const char *artifact_type,
			    buf_t *out, err_t *err);

/* Writes the parts, the empty config and an artifact manifest of artifact_type whose subject
 * is the image manifest `subject` into l, and lists that manifest in l's referrers index for
 * subject (entry `sha256-<hex>`, created or extended; written with oci_layout_write_index
 * like any ref). The manifest's digest goes into digest. */
int oci_referrers_attach(oci_layout_t *l, const oci_desc_t *subject, const char *artifact_type,
			 const oci_artifact_part_t *parts, size_t n_parts,
			 char digest[DIGEST_OCI_MAX], err_t *err);

/* Pushes every artifact that layout_dir lists for subject_digest (nothing when it lists none)
 * to repo, each manifest after its blobs. If the registry answers the referrers API it indexes
 * them itself; otherwise the tag `sha256-<hex>` is (re)written with the registry's existing
 * referrers index for that subject merged in. cache_dir (may be NULL) gives push.h's mount
 * hints. *n_pushed (may be NULL) gets the count. */
int oci_referrers_push(reg_t *reg, const char *layout_dir, const char *subject_digest,
		       const char *repo, const char *cache_dir, size_t *n_pushed, err_t *err);

/* The referrers index of subject_digest in repo (issue 15 part 5, read side): the registry's
 * referrers API when it answers 200, else the referrers tag `sha256-<hex>`; out is emptied when
 * neither exists (404). Never fetches a layer blob. */
int oci_referrers_fetch(reg_t *reg, const char *repo, const char *subject_digest, buf_t *out,
			err_t *err);
/* The same from layout l: the index its `sha256-<hex>` entry points at, verified; out emptied
 * when l has none. */
int oci_referrers_read_layout(const oci_layout_t *l, const char *subject_digest, buf_t *out,
			      err_t *err);

#endif
