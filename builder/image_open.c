/* image_open.c — turns what a user writes (`oci:DIR[:TAG]` or REGISTRY/REPO[:TAG|@DIGEST]) into
 * the image_info_src_t that image_info.c reads, with the context's registry client (its
 * auth, TLS and retry rules, as every command's) and scratch directory. */
#include <string.h>

#include "context.h"
#include "image_info.h"
#include "layout.h"
#include "ref.h"

image_info_t *image_info_open(ctx_t *ctx, const char *arg, const char *platform, err_t *err)
{
	image_info_src_t src = {.platform = platform};
	oci_ref_t ref = OCI_REF_INIT;
	buf_t dir = BUF_INIT, tag = BUF_INIT;
	image_info_t *info = NULL;
	if (!strncmp(arg, "oci:", 4)) {
		oci_layout_ref_split(arg + 4, &dir, &tag);
		if (!oci_layout_is_layout(dir.data)) {
			err_set(err, "%s: %s is not an OCI image layout (no oci-layout file)", arg,
				dir.data);
			goto out;
		}
		src.layout_dir = dir.data;
		src.layout_tag = tag.len ? tag.data : NULL;
	} else {
		if (oci_ref_parse(arg, &ref, err) || ctx_scratch(ctx, &src.tmp_dir, err) ||
		    !(src.reg = ctx_registry(ctx, ref.registry, err)))
			goto out;
		src.repo = ref.repository;
		src.reference = ref.digest ? ref.digest : ref.tag;
	}
	info = image_info_read(&src, arg, err);
out:
	oci_ref_clear(&ref);
	buf_free(&dir);
	buf_free(&tag);
	return info;
}
