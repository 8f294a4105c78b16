/* pkgrec_list.h — the package records of one layer as a small JSON document, stored with the
 * layer in the local and registry layer caches (issue 15: "the per-layer SBOM travels with a
 * cached layer"). It holds what an SBOM is made from (builder/sbom.h: names, versions, builds,
 * channels, URLs, archive digests, licences), not the full repodata records. Format:
 * docs/layer-format.md, "Layer package records". Never prints. */
#ifndef IMGBUILD_PKGREC_LIST_H
#define IMGBUILD_PKGREC_LIST_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "pkgrec.h"

#define PKGREC_LIST_MT "application/vnd.imgbuild.layer-packages.v1+json"
/* A stored document larger than this is refused (about 30 000 packages). */
#define PKGREC_LIST_MAX_BYTES (16u << 20)

/* The document for pkgs (in the given order) into out (replaced): sorted keys, compact, so the
 * same records give the same bytes. */
void pkgrec_list_write(const pkgrec_t *const *pkgs, size_t n, buf_t *out);

/* Parses a document written by pkgrec_list_write: every field has its type, name, version,
 * build, subdir and fn are present (the records are not pkgrec_check'ed: a wheel's fn and
 * subdir are not conda's; match them against checked records before use). *out gets n records
 * (caller frees with pkgrec_list_free). -1 with err saying what is wrong. */
int pkgrec_list_read(const char *data, size_t len, pkgrec_t ***out, size_t *n, err_t *err);
void pkgrec_list_free(pkgrec_t **recs, size_t n);

#endif
