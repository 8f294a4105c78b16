/* docker_archive.h — writes an image as a tar that `docker load`, `podman load` and skopeo's
 * docker-archive: transport read: Docker's manifest.json (Config, RepoTags, Layers) next to
 * the OCI layout files, the same shape `docker save` writes since Docker 25 (index.json names
 * each tag with io.containerd.image.name and org.opencontainers.image.ref.name, which podman
 * reads first). Layers keep their compressed bytes (docker load and skopeo decompress them).
 * Owns: the archive format. May call: oci/layout.h, oci/ref.h, common/, libarchive. */
#ifndef IMGBUILD_DOCKER_ARCHIVE_H
#define IMGBUILD_DOCKER_ARCHIVE_H

#include <stddef.h>

#include "err.h"

/* layout_dir's image (its only manifest, not an index) -> path (written via path.tmp-PID +
 * rename). repo_tags like "team/env:1.0" (valid references); mtime for every entry
 * (SOURCE_DATE_EPOCH). Messages name path or layout_dir, never the option that chose them. */
int oci_docker_archive_write(const char *layout_dir, const char *path, const char *const *repo_tags,
			     size_t n_tags, long long mtime, err_t *err);

#endif
