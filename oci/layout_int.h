/* layout_int.h — descriptor <-> JSON, shared by manifest.c and layout.c only (private to
 * oci/): the one place a descriptor object is read or built. */
#ifndef IMGBUILD_LAYOUT_INT_H
#define IMGBUILD_LAYOUT_INT_H

#include <jansson.h>

#include "layout.h"

/* Views j as a descriptor (strings borrowed from j). -1 with "<where>: <what> ..." unless j
 * is an object with a sha256 digest and a non-negative integer size. */
int oci_desc_from_json(json_t *j, oci_desc_t *out, const char *where, const char *what, err_t *err);
/* A new JSON object for d: mediaType, digest, size, platform when d has os and arch,
 * annotations when it has ref_name or image_name. */
json_t *oci_desc_to_json(const oci_desc_t *d);
/* {"manifests": manifests, "mediaType": index, "schemaVersion": 2}, canonically into out. */
void oci_index_dump_json(json_t *manifests, buf_t *out);

#endif
