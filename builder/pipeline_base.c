/* pipeline_base.c — the base image policy and the root filesystem layer, wired into a build
 * (see pipeline_base.h; the decisions themselves are layers/basecheck.c and layers/rootfs.c). */
#include "pipeline_base.h"

#include <stdlib.h>
#include <string.h>

#include "basecheck.h"
#include "basefs.h"
#include "buf.h"
#include "context.h"
#include "layout.h"
#include "rootfs.h"
#include "scan_share.h"
#include "xalloc.h"

struct pipeline_base {
	ctx_t *ctx;
	const build_opts_t *o;
	const pkgrec_t *const *pkgs;
	size_t n_pkgs;
	basecheck_t *bc;
	basefs_t *base; /* the base image's stacked files; NULL: none (or --base scratch) */
	rootfs_t *rootfs;
	layer_desc_t rootfs_desc; /* when rootfs_entry_count(rootfs) > 0 */
};

/* The base image's layers stacked bottom first, read from its layout (pulled or oci:DIR). */
static int read_base_files(pipeline_base_t *pb, size_t platform, err_t *err)
{
	const char *dir, *tag;
	oci_layout_t *l = NULL;
	oci_manifest_t *m = NULL;
	buf_t path = BUF_INIT;
	int rc = -1;
	if (ctx_base(pb->ctx, platform, &dir, &tag, err))
		return -1;
	if (!dir)
		return 0;
	pb->base = basefs_new();
	if (!(l = oci_layout_open(dir, err)) ||
	    oci_layout_find_image(l, tag, "linux", ctx_platform(pb->ctx, platform)->arch, &m, err))
		goto out;
	for (size_t i = 0; i < oci_manifest_count(m); i++)
		if (oci_layout_blob_path(l, oci_manifest_entry(m, i)->digest, &path, err) ||
		    basefs_add_layer(pb->base, path.data, err))
			goto out;
	rc = 0;
out:
	if (rc)
		err_prefix(err, "base image %s", pb->o->base_ref ? pb->o->base_ref : dir);
	oci_manifest_free(m);
	oci_layout_free(l);
	buf_free(&path);
	return rc;
}

pipeline_base_t *pipeline_base_scanner(ctx_t *ctx, size_t platform, const pkgrec_t *const *pkgs,
				       size_t n_pkgs)
{
	pipeline_base_t *pb = xcalloc(1, sizeof *pb);
	buf_t dir = BUF_INIT;
	pb->ctx = ctx;
	pb->o = ctx_opts(ctx);
	pb->pkgs = pkgs;
	pb->n_pkgs = n_pkgs;
	pb->bc = basecheck_new(ctx_prefix(ctx), ctx_platform(ctx, platform)->arch);
	scan_share_dir(ctx_cache_dir(ctx), &dir);
	basecheck_set_cache(pb->bc, dir.data);
	buf_free(&dir);
	return pb;
}

pipeline_base_t *pipeline_base_new(ctx_t *ctx, size_t platform, const pkgrec_t *const *pkgs,
				   size_t n_pkgs, unsigned char *is_needed, err_t *err)
{
	pipeline_base_t *pb = pipeline_base_scanner(ctx, platform, pkgs, n_pkgs);
	size_t n_scan = 0;
	if (read_base_files(pb, platform, err)) {
		pipeline_base_free(pb);
		return NULL;
	}
	basecheck_add_records(pb->bc, pkgs, n_pkgs);
	/* docs/base-images.md, "Determinism and the layer cache": a cached layer's packages decide
	 * through their remembered findings, or are installed to be scanned */
	for (size_t i = 0; is_needed && i < n_pkgs; i++)
		if (!is_needed[i] && !basecheck_load_package(pb->bc, pkgs[i])) {
			is_needed[i] = 1;
			n_scan++;
		}
	if (n_scan)
		ctx_log(ctx,
			"base image policy: %zu packages of cached layers were never scanned; "
			"installing them to be scanned",
			n_scan);
	return pb;
}

void pipeline_base_free(pipeline_base_t *pb)
{
	if (!pb)
		return;
	basecheck_free(pb->bc);
	basefs_free(pb->base);
	rootfs_free(pb->rootfs);
	free(pb);
}

int pipeline_base_scan(pipeline_base_t *pb, size_t i, const char *stage, err_t *err)
{
	return basecheck_scan_package(pb->bc, pb->pkgs[i], stage, err);
}

basecheck_scan_t *pipeline_base_stream(pipeline_base_t *pb, size_t i, const entry_sink_t *down,
				       entry_sink_t *out)
{
	basecheck_scan_t *s = basecheck_scan_begin(pb->bc, pb->pkgs[i], down);
	*out = basecheck_scan_sink(s);
	return s;
}

void pipeline_base_stream_end(basecheck_scan_t *s, int is_complete)
{
	basecheck_scan_end(s, is_complete);
}

int pipeline_base_check(pipeline_base_t *pb, const char *blobs_dir, err_t *err)
{
	void *ud;
	log_fn log = ctx_log_fn(pb->ctx, &ud);
	const build_opts_t *o = pb->o;
	if (basecheck_verify(pb->bc, pb->base, o->base_ref, o->base_is_scratch, log, ud, err))
		return -1;
	rootfs_opts_t ro = {.image_prefix = ctx_prefix(pb->ctx),
			    .user = o->user,
			    .base = pb->base,
			    .pkgs = pb->pkgs,
			    .n_pkgs = pb->n_pkgs,
			    .log = log,
			    .log_ud = ud};
	if (!(pb->rootfs = rootfs_plan(&ro, err)))
		return -1;
	if (rootfs_entry_count(pb->rootfs) == 0) {
		ctx_log(pb->ctx, "root filesystem: the base image has all of it; no layer");
		return 0;
	}
	ctx_log(pb->ctx, "root filesystem layer: %s", rootfs_summary(pb->rootfs));
	return rootfs_build(pb->rootfs, &o->layer, blobs_dir, &pb->rootfs_desc, err);
}

void pipeline_base_add_layer(const pipeline_base_t *pb, oci_image_t *img)
{
	buf_t msg = BUF_INIT;
	const layer_desc_t *d = &pb->rootfs_desc;
	if (!pb->rootfs || rootfs_entry_count(pb->rootfs) == 0)
		return;
	buf_addf(&msg, "imgbuild: root filesystem (%s)", rootfs_summary(pb->rootfs));
	oci_image_add_layer(img, d->digest, d->diff_id, d->size, d->media_type, msg.data);
	buf_free(&msg);
}

int pipeline_base_layer(const pipeline_base_t *pb, layer_desc_t *out)
{
	if (!pb || !pb->rootfs || rootfs_entry_count(pb->rootfs) == 0)
		return 0;
	*out = pb->rootfs_desc;
	return 1;
}

const char *pipeline_base_user(const pipeline_base_t *pb)
{
	return pb->rootfs ? rootfs_config_user(pb->rootfs) : NULL;
}
