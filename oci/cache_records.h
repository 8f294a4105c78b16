/* cache_records.h — the package records of a layer in the registry layer cache (issue 15:
 * "a layer reused from the registry cache brings its SBOM along"): the document of
 * common/pkgrec_list.h, stored as the config blob of the layer's cache artifact
 * (oci/cache_artifact.h; docs/layer-format.md, "Registry cache artifacts"). Never prints. */
#ifndef IMGBUILD_CACHE_RECORDS_H
#define IMGBUILD_CACHE_RECORDS_H

#include <stddef.h>

#include "buf.h"
#include "cache_artifact.h"
#include "err.h"
#include "reg.h"

/* Pushes the records document (data, len) into repo (via scratch_dir/records-<hex>.json),
 * unless the registry has it. */
int oci_cache_records_push(reg_t *r, const char *repo, const char *data, size_t len,
			   const char *scratch_dir, err_t *err);

/* Downloads the records blob a looked-up artifact names (cl->records_digest; size and digest
 * verified while streaming, via scratch_dir) into out. 0 with out empty when the artifact has
 * none (one written before issue 15); -1 with err when the registry fails. */
int oci_cache_records_fetch(reg_t *r, const char *repo, const oci_cache_layer_t *cl,
			    const char *scratch_dir, buf_t *out, err_t *err);

#endif
