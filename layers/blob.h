/* blob.h — compress + hash + store: a streaming sink that takes uncompressed layer bytes,
 * hashes them (diff_id), compresses them with a fixed, reproducible gzip or zstd framing on
 * several threads, hashes the compressed bytes (digest) and writes them to a temporary file
 * in blobs_dir that becomes blobs_dir/<hex> on finish. Memory use is bounded (a few chunks
 * per thread) and the bytes never depend on the thread count. */
#ifndef IMGBUILD_BLOB_H
#define IMGBUILD_BLOB_H

#include <stddef.h>

#include "digest.h"
#include "err.h"
#include "layer.h"

typedef struct blob_writer blob_writer_t;

/* level 0 = default (LAYER_GZIP_DEFAULT_LEVEL, LAYER_ZSTD_DEFAULT_LEVEL); gzip levels are
 * libdeflate's 1..12. threads <= 0 = one per online CPU. Caller frees. NULL + err on failure. */
blob_writer_t *blob_writer_new(const char *blobs_dir, layer_compression_t compression, int level,
			       int threads, err_t *err);
/* Reports "compress" progress (common/progress.h) for this blob under item (a layer group;
 * NULL = "layer"): START now, BYTES every few MiB in (done = uncompressed bytes in, out =
 * compressed bytes out), END on finish ("done") or on free before finish ("failed"). sink
 * and item are borrowed and must outlive the writer; sink NULL = no events. */
struct progress_sink;
void blob_writer_set_progress(blob_writer_t *w, const struct progress_sink *sink, const char *item);
int blob_writer_write(blob_writer_t *w, const void *data, size_t len, err_t *err);
/* Flushes the compressor, fsyncs, renames into blobs_dir/<digest hex>. The hex strings are
 * bare (no "sha256:"). After this only blob_writer_free may be called. */
int blob_writer_finish(blob_writer_t *w, char digest_hex[DIGEST_HEX_MAX],
		       char diff_id_hex[DIGEST_HEX_MAX], long long *compressed_bytes, err_t *err);
/* Frees; removes the temporary file if finish did not succeed. NULL is a no-op. */
void blob_writer_free(blob_writer_t *w);

const char *blob_media_type(layer_compression_t compression); /* static string */

#endif
