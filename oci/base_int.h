/* base_int.h — the parts of a base image that image.c copies into the image being built
 * (private to oci/). Everything here was checked by oci_base_open. */
#ifndef IMGBUILD_BASE_INT_H
#define IMGBUILD_BASE_INT_H

#include <jansson.h>

#include "base.h"
#include "layout.h"

struct oci_base {
	char *name;      /* the layout directory */
	char *os, *arch; /* the platform it was opened for */
	oci_layout_t *layout;
	oci_manifest_t *manifest; /* an image manifest, one layer per diff_id */
	json_t *config;           /* the config document */
	json_t *diff_ids;         /* config rootfs.diff_ids (borrowed from config) */
};

#endif
