/* layer.h — one image layer from installed package trees: a deterministic tar stream
 * (each tree in turn, its entries sorted, uid/gid 0, fixed mtime, no host metadata; see
 * docs/layer-format.md) compressed and hashed while streaming into a content-addressed blob
 * directory. lstream.h writes a layer entry by entry (the streaming install). */
#ifndef IMGBUILD_LAYER_H
#define IMGBUILD_LAYER_H

#include <stddef.h>

#include "err.h"

/* docs/layer-format.md's "layer-format version": bumped whenever the same inputs would give
 * different layer bytes (cache keys and the image label carry it). */
#define LAYER_FORMAT_VERSION 4
#define LAYER_FORMAT_VERSION_STRING "4"
/* Default levels (docs/layer-format.md): libdeflate 4 is within 1% of pigz -6 in size at
 * about 1.5x the speed of level 6; zstd 3 is zstd's own default. */
#define LAYER_GZIP_DEFAULT_LEVEL 4
#define LAYER_ZSTD_DEFAULT_LEVEL 3

/* Parses a --compression-level value (1..22; each compressor checks its own range when the
 * layer is written). 0 or -1. */
int layer_level_parse(const char *text, int *level);

#define LAYER_DIGEST_MAX 80 /* "sha256:" + 64 hex + NUL */

typedef enum { LAYER_GZIP = 0, LAYER_ZSTD } layer_compression_t;

typedef struct layer_opts {
	layer_compression_t compression;
	int level;           /* compressor level; 0 = default (LAYER_*_DEFAULT_LEVEL) */
	long long mtime;     /* entry mtime (SOURCE_DATE_EPOCH or 0) */
	int threads;         /* compression threads per layer; <= 0 = online CPUs. The bytes
			      * never depend on it (docs/layer-format.md, "Compression"). */
	int consume_sources; /* unlink each regular file once its bytes are in the tar: for
			      * scratch staging trees, so that their data is dropped while
			      * still in the page cache instead of written back and removed
			      * later. Never changes the layer's bytes. */
	/* "compress" progress of the layer's blob (blob.h, common/progress.h) named
	 * progress_item (its group), or NULL. Borrowed; never changes the layer's bytes. */
	const struct progress_sink *progress;
	const char *progress_item;
} layer_opts_t;

typedef struct layer_desc {
	char digest[LAYER_DIGEST_MAX];  /* sha256 of the compressed blob */
	char diff_id[LAYER_DIGEST_MAX]; /* sha256 of the uncompressed tar */
	long long size;                 /* compressed bytes */
	const char *media_type;         /* static string */
	long long files;                /* entries written */
} layer_desc_t;

/* Writes one layer whose tar holds the trees in stage_dirs in turn (each one the contents of
 * the prefix, as one package: lstream_add_tree), placed under image_prefix (absolute, e.g.
 * "/opt/conda/envs/x"; its parent directories are included as entries). The blob lands in
 * blobs_dir/<hex> via a temporary file and rename. Two trees holding the same path is an
 * error naming both. */
int layer_build(const char *const *stage_dirs, size_t n_dirs, const char *image_prefix,
		const layer_opts_t *opts, const char *blobs_dir, layer_desc_t *out, err_t *err);

#endif
