/* metadata.h — the --metadata-file JSON for CI, shaped like `docker buildx build
 * --metadata-file` (keys containerimage.digest, containerimage.config.digest,
 * containerimage.descriptor, image.name) plus imgbuild's own (digest, mediaType, tags,
 * platforms with their manifest and config digests, layers with group, packages, size and
 * digest, and whether each was built or came from a cache, with counts). Keys are documented in
 * docs/cli.md. Owns: that document. May call: oci/layout.h (manifests of the finished layout),
 * oci/ref.h, common/, jansson. Never prints. */
#ifndef IMGBUILD_METADATA_H
#define IMGBUILD_METADATA_H

#include "err.h"
#include "publish.h"

/* Writes po->metadata_file (atomically) for the image res describes, reading its manifests
 * from layout_dir (the layout that was delivered or pushed). All borrowed. */
/* Where a build's layer came from: "built", "layer-cache" (the local one) or "registry-cache"
 * (--cache-repo). Static string. */
const char *metadata_layer_source(const build_layer_info_t *l);

int metadata_write(const publish_opts_t *po, const char *layout_dir, const publish_result_t *res,
		   err_t *err);

#endif
