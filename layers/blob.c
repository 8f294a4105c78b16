/* blob.c — the compress + hash + store sink behind layer_build (see blob.h). The gzip wrapper
 * is fixed by hand (deflateSetHeader: mtime 0, no name/comment/extra, OS 255) and zstd frame
 * parameters are set explicitly, so the compressed bytes depend only on the input, the level
 * and the compression library version (docs/layer-format.md, "Compression"). */
#include "blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "buf.h"

#define BLOB_CHUNK (128 * 1024)

struct blob_writer {
	layer_compression_t compression;
	buf_t tmp_path;
	buf_t blobs_dir;
	int fd;
	int is_finished;
	digest_t *diff_id; /* over the uncompressed tar */
	digest_t *digest;  /* over the compressed blob */
	long long compressed_bytes;
	z_stream zs;
	gz_header gzh;
	int has_zs;
	ZSTD_CCtx *zc;
	unsigned char *out;
};

const char *blob_media_type(layer_compression_t compression)
{
	return compression == LAYER_ZSTD ? "application/vnd.oci.image.layer.v1.tar+zstd"
					 : "application/vnd.oci.image.layer.v1.tar+gzip";
}

void blob_writer_free(blob_writer_t *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (!w->is_finished && w->tmp_path.len)
		unlink(w->tmp_path.data);
	if (w->has_zs)
		deflateEnd(&w->zs);
	ZSTD_freeCCtx(w->zc);
	digest_free(w->diff_id);
	digest_free(w->digest);
	buf_free(&w->tmp_path);
	buf_free(&w->blobs_dir);
	free(w->out);
	free(w);
}

static int emit(blob_writer_t *w, const unsigned char *p, size_t n, err_t *err)
{
	digest_update(w->digest, p, n);
	w->compressed_bytes += (long long)n;
	while (n > 0) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return err_set(err, "%s: write failed: %s", w->tmp_path.data, strerror(errno));
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int zstd_check(size_t r, const char *what, err_t *err)
{
	if (ZSTD_isError(r))
		return err_set(err, "zstd %s: %s", what, ZSTD_getErrorName(r));
	return 0;
}

static int init_gzip(blob_writer_t *w, int level, err_t *err)
{
	if (level < 1 || level > 9)
		return err_set(err, "gzip level %d out of range 1..9", level);
	/* windowBits 31 = 15 + 16: gzip wrapper; memLevel 8 and the default strategy are
	 * zlib's defaults, pinned here because they change the output bytes. */
	if (deflateInit2(&w->zs, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return err_set(err, "zlib: deflateInit2 failed");
	w->has_zs = 1;
	memset(&w->gzh, 0, sizeof w->gzh);
	w->gzh.time = 0;  /* MTIME 0: "no time stamp available" (RFC 1952) */
	w->gzh.os = 255;  /* "unknown", as Go's compress/gzip writes: host-independent */
	w->gzh.name = Z_NULL;
	w->gzh.comment = Z_NULL;
	w->gzh.extra = Z_NULL;
	w->gzh.hcrc = 0;
	if (deflateSetHeader(&w->zs, &w->gzh) != Z_OK)
		return err_set(err, "zlib: deflateSetHeader failed");
	return 0;
}

static int init_zstd(blob_writer_t *w, int level, err_t *err)
{
	if (level < 1 || level > ZSTD_maxCLevel())
		return err_set(err, "zstd level %d out of range 1..%d", level, ZSTD_maxCLevel());
	w->zc = ZSTD_createCCtx();
	if (!w->zc)
		return err_set(err, "zstd: cannot create context");
	/* Streamed input of unknown size: no content size in the frame header; a content
	 * checksum (XXH64) is written; single-threaded so the frame does not depend on
	 * worker count. */
	if (zstd_check(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, level), "level", err) ||
	    zstd_check(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1), "checksum", err) ||
	    zstd_check(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_contentSizeFlag, 0), "size flag", err) ||
	    zstd_check(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_dictIDFlag, 0), "dictID flag", err))
		return -1;
	return 0;
}

blob_writer_t *blob_writer_new(const char *blobs_dir, layer_compression_t compression, int level,
			       err_t *err)
{
	blob_writer_t *w = calloc(1, sizeof *w);
	int rc = -1;
	if (!w) {
		err_set(err, "out of memory");
		return NULL;
	}
	w->fd = -1;
	w->compression = compression;
	buf_addstr(&w->blobs_dir, blobs_dir);
	w->diff_id = digest_new(DIGEST_SHA256);
	w->digest = digest_new(DIGEST_SHA256);
	w->out = malloc(BLOB_CHUNK);
	if (!w->diff_id || !w->digest || !w->out) {
		err_set(err, "out of memory");
		goto out;
	}
	if (compression == LAYER_ZSTD) {
		if (init_zstd(w, level ? level : 3, err))
			goto out;
	} else if (compression == LAYER_GZIP) {
		if (init_gzip(w, level ? level : 6, err))
			goto out;
	} else {
		err_set(err, "unknown layer compression %d", (int)compression);
		goto out;
	}
	buf_addstr(&w->tmp_path, blobs_dir);
	buf_addpath(&w->tmp_path, ".tmp-layer-XXXXXX");
	w->fd = mkostemp(w->tmp_path.data, O_CLOEXEC);
	if (w->fd < 0) {
		err_set(err, "%s: cannot create temporary blob: %s (does the blobs directory exist?)",
			w->tmp_path.data, strerror(errno));
		buf_reset(&w->tmp_path);
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		blob_writer_free(w);
		w = NULL;
	}
	return w;
}

/* Runs the compressor over (data,len); flush != 0 ends the stream. */
static int compress_step(blob_writer_t *w, const void *data, size_t len, int flush, err_t *err)
{
	if (w->compression == LAYER_GZIP) {
		w->zs.next_in = (Bytef *)(uintptr_t)data;
		w->zs.avail_in = (uInt)len;
		for (;;) {
			w->zs.next_out = w->out;
			w->zs.avail_out = BLOB_CHUNK;
			int zr = deflate(&w->zs, flush ? Z_FINISH : Z_NO_FLUSH);
			if (zr == Z_STREAM_ERROR)
				return err_set(err, "zlib: deflate failed");
			size_t have = BLOB_CHUNK - w->zs.avail_out;
			if (have && emit(w, w->out, have, err))
				return -1;
			if (flush ? zr == Z_STREAM_END : (w->zs.avail_in == 0 && w->zs.avail_out != 0))
				return 0;
		}
	}
	ZSTD_inBuffer in = {data, len, 0};
	for (;;) {
		ZSTD_outBuffer o = {w->out, BLOB_CHUNK, 0};
		size_t r = ZSTD_compressStream2(w->zc, &o, &in, flush ? ZSTD_e_end : ZSTD_e_continue);
		if (zstd_check(r, "compress", err))
			return -1;
		if (o.pos && emit(w, w->out, o.pos, err))
			return -1;
		if (flush ? r == 0 : in.pos == in.size)
			return 0;
	}
}

int blob_writer_write(blob_writer_t *w, const void *data, size_t len, err_t *err)
{
	digest_update(w->diff_id, data, len);
	/* zlib's avail_in is 32-bit: feed huge writes in slices. */
	const char *p = data;
	while (len > 0) {
		size_t n = len > (1u << 30) ? (1u << 30) : len;
		if (compress_step(w, p, n, 0, err))
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int blob_writer_finish(blob_writer_t *w, char digest_hex[DIGEST_HEX_MAX],
		       char diff_id_hex[DIGEST_HEX_MAX], long long *compressed_bytes, err_t *err)
{
	buf_t final_path = BUF_INIT;
	int rc = -1;
	if (compress_step(w, "", 0, 1, err))
		goto out;
	/* The blob is visible under its digest only once complete and on disk. */
	if (fchmod(w->fd, 0644) != 0 || fsync(w->fd) != 0) {
		err_set(err, "%s: cannot flush: %s", w->tmp_path.data, strerror(errno));
		goto out;
	}
	if (close(w->fd) != 0) {
		w->fd = -1;
		err_set(err, "%s: cannot close: %s", w->tmp_path.data, strerror(errno));
		goto out;
	}
	w->fd = -1;
	digest_final_hex(w->digest, digest_hex);
	digest_final_hex(w->diff_id, diff_id_hex);
	buf_addstr(&final_path, w->blobs_dir.data);
	buf_addpath(&final_path, digest_hex);
	if (rename(w->tmp_path.data, final_path.data) != 0) {
		err_set(err, "%s: cannot rename into place: %s", final_path.data, strerror(errno));
		goto out;
	}
	w->is_finished = 1;
	*compressed_bytes = w->compressed_bytes;
	rc = 0;
out:
	buf_free(&final_path);
	return rc;
}
