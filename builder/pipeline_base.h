/* pipeline_base.h — the base image policy and the root filesystem layer in one platform's build
 * (docs/base-images.md, "Wiring"): after the layer cache lookups, the packages of cached layers
 * bring their remembered scan findings (or are marked to be installed just to be scanned);
 * each install's tree is scanned as it is made; after the installs the decision is made (an error,
 * or with --base scratch a warning) and the root filesystem layer is built; write_image puts that
 * layer right after the base's and sets the config User. Never prints: notes go to the context's
 * log. */
#ifndef IMGBUILD_PIPELINE_BASE_H
#define IMGBUILD_PIPELINE_BASE_H

#include <stddef.h>

#include "entrysink.h"
#include "err.h"
#include "image.h"
#include "layer.h"
#include "pkgrec.h"

struct ctx;
typedef struct pipeline_base pipeline_base_t;

/* For platform of ctx: reads the base image's file tree (none without --base or with --base
 * scratch) and notes the records' __glibc dependencies. For each package that is_needed says
 * is not to be installed (is_needed NULL: all are), its findings are taken from
 * <cache>/basecheck; one without is marked in is_needed. pkgs and is_needed are borrowed and
 * must outlive the result. Caller frees; NULL with err. */
pipeline_base_t *pipeline_base_new(struct ctx *ctx, size_t platform, const pkgrec_t *const *pkgs,
				   size_t n_pkgs, unsigned char *is_needed, err_t *err);
/* For a build of layers only (--layers), which makes no image and so decides nothing: only
 * scans each install (pipeline_base_scan) and remembers the findings in <cache>/basecheck, so
 * that they travel with the layers it stores (builder/scan_share.h). No base is read; never
 * pipeline_base_check such a one. Caller frees. */
pipeline_base_t *pipeline_base_scanner(struct ctx *ctx, size_t platform,
				       const pkgrec_t *const *pkgs, size_t n_pkgs);
void pipeline_base_free(pipeline_base_t *pb); /* NULL is a no-op */

/* Scans pkgs[i]'s installed tree (stage) for programs that need a system loader: right after
 * its install (thread-safe), before anything consumes the tree. */
int pipeline_base_scan(pipeline_base_t *pb, size_t i, const char *stage, err_t *err);
/* The same for pkgs[i] streamed into a layer (pkg/install_stream): a sink that scans what
 * passes through on its way to down; pipeline_base_stream_end(s, 1) when the package was
 * installed whole (then its findings count and are remembered), 0 after a failure. */
struct basecheck_scan *pipeline_base_stream(pipeline_base_t *pb, size_t i, const entry_sink_t *down,
					    entry_sink_t *out);
void pipeline_base_stream_end(struct basecheck_scan *s, int is_complete);
/* After every install has been scanned: decides, and writes the root filesystem layer into
 * blobs_dir when the base lacks any of it. -1 with err when the environment needs a C library
 * that no base provides. */
int pipeline_base_check(pipeline_base_t *pb, const char *blobs_dir, err_t *err);

/* Appends the root filesystem layer (if any) to img, whose base layers must be in already. */
void pipeline_base_add_layer(const pipeline_base_t *pb, oci_image_t *img);
/* The root filesystem layer's descriptor into out: 1 when the image has one, else 0. */
int pipeline_base_layer(const pipeline_base_t *pb, layer_desc_t *out);
/* The config User for --user (rootfs_config_user), or NULL without --user. Borrowed. */
const char *pipeline_base_user(const pipeline_base_t *pb);

#endif
