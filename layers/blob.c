/* blob.c — the compress + hash + store sink behind layer_build (see blob.h). gzip is chunked
 * and parallel (chunkgz.c: fixed 1 MiB chunks, one gzip member each, libdeflate); zstd is
 * libzstd's multithreaded streaming mode, always with at least one worker, whose frame does
 * not depend on the worker count. Either way the compressed bytes depend only on the input,
 * the level and the library version (docs/layer-format.md, "Compression"). */
#include "blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "buf.h"
#include "chunkgz.h"
#include "progress.h"
#include "workpool.h"
#include "xalloc.h"

#define BLOB_CHUNK (128 * 1024)
/* zstd job size, pinned so that a libzstd default change cannot move job boundaries. */
#define BLOB_ZSTD_JOB_BYTES (4 * 1024 * 1024)
/* A "compress" progress event at most this often (uncompressed bytes in). */
#define BLOB_PROGRESS_BYTES (4LL << 20)

struct blob_writer {
	layer_compression_t compression;
	buf_t tmp_path;
	buf_t blobs_dir;
	int fd;
	int is_finished;
	digest_t *diff_id; /* over the uncompressed tar */
	digest_t *digest;  /* over the compressed blob */
	long long compressed_bytes;
	chunkgz_t *gz;
	ZSTD_CCtx *zc;
	unsigned char *out;
	const progress_sink_t *progress; /* "compress" events, or NULL (borrowed) */
	const char *progress_item;       /* borrowed */
	long long bytes_in, next_report;
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
	if (!w->is_finished) /* a failed layer: its live progress line ends too */
		progress_emit_out(w->progress, PROGRESS_END, "compress", w->progress_item,
				  w->bytes_in, -1, w->compressed_bytes, "failed");
	if (w->fd >= 0)
		close(w->fd);
	if (!w->is_finished && w->tmp_path.len)
		unlink(w->tmp_path.data);
	chunkgz_free(w->gz);
	ZSTD_freeCCtx(w->zc);
	digest_free(w->diff_id);
	digest_free(w->digest);
	buf_free(&w->tmp_path);
	buf_free(&w->blobs_dir);
	free(w->out);
	free(w);
}

static int emit(void *ud, const unsigned char *p, size_t n, err_t *err)
{
	blob_writer_t *w = ud;
	digest_update(w->digest, p, n);
	w->compressed_bytes += (long long)n;
	while (n > 0) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return err_set(err, "%s: write failed: %s", w->tmp_path.data,
				       strerror(errno));
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

static int init_gzip(blob_writer_t *w, int level, int threads, err_t *err)
{
	w->gz = chunkgz_new(level, threads, emit, w, err);
	return w->gz ? 0 : -1;
}

static int init_zstd(blob_writer_t *w, int level, int threads, err_t *err)
{
	if (level < 1 || level > ZSTD_maxCLevel())
		return err_set(err, "zstd level %d out of range 1..%d", level, ZSTD_maxCLevel());
	w->zc = ZSTD_createCCtx();
	if (!w->zc)
		return err_set(err, "zstd: cannot create context");
	/* Streamed input of unknown size: no content size in the frame header; a content
	 * checksum (XXH64) is written. Multithreaded mode cuts the input into jobs of a fixed
	 * size, so its frame is the same for any nbWorkers >= 1 (but differs from nbWorkers 0,
	 * which is therefore never used: one thread still gets one worker). */
	if (zstd_check(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, level), "level",
		       err) ||
	    zstd_check(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1), "checksum", err) ||
	    zstd_check(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_contentSizeFlag, 0), "size flag",
		       err) ||
	    zstd_check(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_dictIDFlag, 0), "dictID flag", err))
		return -1;
	if (ZSTD_isError(
		    ZSTD_CCtx_setParameter(w->zc, ZSTD_c_nbWorkers, threads < 1 ? 1 : threads)))
		return err_set(err,
			       "zstd: this libzstd has no multithreading support, which "
			       "imgbuild's zstd layer format needs (install Debian's libzstd1)");
	if (zstd_check(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_jobSize, BLOB_ZSTD_JOB_BYTES),
		       "job size", err))
		return -1;
	return 0;
}

blob_writer_t *blob_writer_new(const char *blobs_dir, layer_compression_t compression, int level,
			       int threads, err_t *err)
{
	blob_writer_t *w = xcalloc(1, sizeof *w);
	int rc = -1;
	w->fd = -1;
	w->compression = compression;
	buf_addstr(&w->blobs_dir, blobs_dir);
	w->diff_id = digest_new(DIGEST_SHA256);
	w->digest = digest_new(DIGEST_SHA256);
	w->out = xmalloc(BLOB_CHUNK);
	if (threads <= 0)
		threads = workpool_default_threads();
	if (compression == LAYER_ZSTD) {
		if (init_zstd(w, level ? level : LAYER_ZSTD_DEFAULT_LEVEL, threads, err))
			goto out;
	} else if (compression == LAYER_GZIP) {
		if (init_gzip(w, level ? level : LAYER_GZIP_DEFAULT_LEVEL, threads, err))
			goto out;
	} else {
		err_set(err, "unknown layer compression %d", (int)compression);
		goto out;
	}
	buf_addstr(&w->tmp_path, blobs_dir);
	buf_addpath(&w->tmp_path, ".tmp-layer-XXXXXX");
	w->fd = mkostemp(w->tmp_path.data, O_CLOEXEC);
	if (w->fd < 0) {
		err_set(err,
			"%s: cannot create temporary blob: %s (does the blobs directory exist?)",
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

/* Runs zstd over (data,len); is_end != 0 ends the frame. */
static int zstd_step(blob_writer_t *w, const void *data, size_t len, int is_end, err_t *err)
{
	ZSTD_inBuffer in = {data, len, 0};
	for (;;) {
		ZSTD_outBuffer o = {w->out, BLOB_CHUNK, 0};
		size_t r =
			ZSTD_compressStream2(w->zc, &o, &in, is_end ? ZSTD_e_end : ZSTD_e_continue);
		if (zstd_check(r, "compress", err))
			return -1;
		if (o.pos && emit(w, w->out, o.pos, err))
			return -1;
		if (is_end ? r == 0 : in.pos == in.size)
			return 0;
	}
}

void blob_writer_set_progress(blob_writer_t *w, const progress_sink_t *sink, const char *item)
{
	w->progress = sink;
	w->progress_item = item ? item : "layer";
	w->next_report = BLOB_PROGRESS_BYTES;
	progress_emit(sink, PROGRESS_START, "compress", w->progress_item, 0, -1, NULL);
}

int blob_writer_write(blob_writer_t *w, const void *data, size_t len, err_t *err)
{
	int rc;
	digest_update(w->diff_id, data, len);
	rc = w->gz ? chunkgz_write(w->gz, data, len, err) : zstd_step(w, data, len, 0, err);
	w->bytes_in += (long long)len;
	if (w->progress && w->bytes_in >= w->next_report) {
		/* compressed_bytes is only written here and in finish: both sinks drain on the
		 * caller's thread (chunkgz.c), so this read races with nothing */
		progress_emit_out(w->progress, PROGRESS_BYTES, "compress", w->progress_item,
				  w->bytes_in, -1, w->compressed_bytes, NULL);
		w->next_report = w->bytes_in + BLOB_PROGRESS_BYTES;
	}
	return rc;
}

int blob_writer_finish(blob_writer_t *w, char digest_hex[DIGEST_HEX_MAX],
		       char diff_id_hex[DIGEST_HEX_MAX], long long *compressed_bytes, err_t *err)
{
	buf_t final_path = BUF_INIT;
	int rc = -1;
	if (w->gz ? chunkgz_finish(w->gz, err) : zstd_step(w, "", 0, 1, err))
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
	progress_emit_out(w->progress, PROGRESS_END, "compress", w->progress_item, w->bytes_in,
			  w->bytes_in, w->compressed_bytes, "done");
	rc = 0;
out:
	buf_free(&final_path);
	return rc;
}
