/* docker_archive.h — writes an image as a tar that `docker load` (and skopeo's
 * docker-archive: transport) reads: Docker's manifest.json (Config, RepoTags, Layers) next to
 * the OCI layout files, the same shape `docker save` writes since Docker 25. Layers keep their
 * compressed bytes (docker load and skopeo decompress them). */
#ifndef IMGBUILD_DOCKER_ARCHIVE_H
#define IMGBUILD_DOCKER_ARCHIVE_H

#include <stddef.h>

#include "err.h"

/* layout_dir's image (its only manifest) -> path (written via path.tmp-PID + rename).
 * repo_tags like "team/env:1.0"; mtime for every entry (SOURCE_DATE_EPOCH). */
int oci_docker_archive_write(const char *layout_dir, const char *path, const char *const *repo_tags,
			     size_t n_tags, long long mtime, err_t *err);

#endif
