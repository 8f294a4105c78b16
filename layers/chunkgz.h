/* chunkgz.h — parallel, deterministic gzip. The input is cut into fixed-size chunks
 * (CHUNKGZ_CHUNK_BYTES of uncompressed stream); each chunk becomes one complete gzip member
 * (fixed header, libdeflate deflate, CRC-32, ISIZE) and the members are emitted in order.
 * Chunk boundaries depend only on byte offsets, so the output is the same whatever the
 * thread count or how the input is split into writes (docs/layer-format.md, "Compression").
 * Memory is bounded: at most 2 x threads chunks are in flight. */
#ifndef IMGBUILD_CHUNKGZ_H
#define IMGBUILD_CHUNKGZ_H

#include <stddef.h>

#include "err.h"

#define CHUNKGZ_CHUNK_BYTES (1024 * 1024)

typedef struct chunkgz chunkgz_t;

/* Receives compressed bytes in stream order, always on the thread that calls
 * chunkgz_write/chunkgz_finish. Returns 0, or -1 with err set (the compressor stops). */
typedef int (*chunkgz_sink_fn)(void *ud, const unsigned char *data, size_t len, err_t *err);

/* level 1..12 (libdeflate levels; 6 is zlib-6-like). threads <= 1 compresses on the caller's
 * thread (no workers); more starts that many workers. The bytes do not depend on threads.
 * Caller frees. NULL + err on failure. */
chunkgz_t *chunkgz_new(int level, int threads, chunkgz_sink_fn sink, void *ud, err_t *err);
int chunkgz_write(chunkgz_t *c, const void *data, size_t len, err_t *err);
/* Compresses the last partial chunk (an empty stream gives one empty member) and drains
 * every member into the sink. */
int chunkgz_finish(chunkgz_t *c, err_t *err);
/* Stops and joins the workers. NULL is a no-op. */
void chunkgz_free(chunkgz_t *c);

#endif
