/* layer.c — the tar writer every layer goes through (layer_int.h: lstream.c, layer_mem.c)
 * over blob.c (compress + hash + store), and layer_build: staged trees through lstream.c. Every
 * byte-level choice made here (entry order, modes, owners, names, hardlinks, PAX records, blocking)
 * is written down in docs/layer-format.md; change both together and bump the layer-format version.
 */
#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "buf.h"
#include "digest.h"
#include "fsutil.h"
#include "layer_int.h"
#include "lstream.h"
#include "tree_int.h"
#include "xalloc.h"

static la_ssize_t on_tar_bytes(struct archive *a, void *client, const void *data, size_t len)
{
	build_ctx_t *ctx = client;
	(void)a;
	if (ctx->has_write_error)
		return -1;
	if (blob_writer_write(ctx->blob, data, len, ctx->err)) {
		ctx->has_write_error = 1;
		return -1;
	}
	return (la_ssize_t)len;
}

static int archive_fail(struct archive *a, build_ctx_t *ctx, const char *what)
{
	if (ctx->has_write_error)
		return err_prefix(ctx->err, "writing layer (%s)", what);
	return err_set(ctx->err, "writing layer (%s): %s", what, archive_error_string(a));
}

int layer_read_link(const char *path, buf_t *out, err_t *err)
{
	size_t cap = 256;
	for (;;) {
		buf_reset(out);
		buf_grow(out, cap);
		ssize_t n = readlink(path, out->data, cap);
		if (n < 0)
			return err_set(err, "%s: cannot read symlink: %s", path, strerror(errno));
		if ((size_t)n < cap) {
			out->len = (size_t)n;
			out->data[n] = '\0';
			return 0;
		}
		cap *= 2;
	}
}

int layer_copy_file(struct archive *a, build_ctx_t *ctx, const char *path, const tree_entry_t *e,
		    char *chunk)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		err_set(ctx->err, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_ino != e->ino || st.st_size != e->size) {
		err_set(ctx->err, "%s: changed while the layer was being written", path);
		goto out;
	}
	off_t left = e->size;
	while (left > 0) {
		ssize_t n =
			read(fd, chunk, left < LAYER_READ_CHUNK ? (size_t)left : LAYER_READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set(ctx->err, "%s: %s", path,
				n < 0 ? strerror(errno)
				      : "file shrank while the layer was being written");
			goto out;
		}
		if (archive_write_data(a, chunk, (size_t)n) != n) {
			archive_fail(a, ctx, path);
			goto out;
		}
		left -= n;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int layer_tar_entry_owned(struct archive *a, build_ctx_t *ctx, struct archive_entry *ae,
			  const char *name, mode_t mode, long long mtime, off_t size,
			  const char *symlink_target, const char *hardlink_target, unsigned uid,
			  unsigned gid)
{
	archive_entry_clear(ae);
	archive_entry_copy_pathname(ae, name);
	archive_entry_set_mode(ae, mode);
	archive_entry_set_uid(ae, uid);
	archive_entry_set_gid(ae, gid);
	archive_entry_set_mtime(ae, (time_t)mtime, 0);
	archive_entry_set_size(ae, hardlink_target ? 0 : size);
	if (symlink_target)
		archive_entry_copy_symlink(ae, symlink_target);
	if (hardlink_target)
		archive_entry_copy_hardlink(ae, hardlink_target);
	if (archive_write_header(a, ae) != ARCHIVE_OK)
		return archive_fail(a, ctx, name);
	return 0;
}

/* The tar writer over the blob sink. pax_restricted: plain ustar headers unless a
 * field does not fit (long names, long link targets, huge files), then a PAX 'x' record for
 * just that field. Blocks of 10240 bytes; the last block is not padded beyond the
 * end-of-archive marker. The caller frees *a on every path (archive_write_fail first while
 * *is_open), so nothing leaks when the disk fills up. */
static int tar_open(build_ctx_t *ctx, const layer_opts_t *opts, const char *blobs_dir,
		    struct archive **a, int *is_open)
{
	ctx->blob =
		blob_writer_new(blobs_dir, opts->compression, opts->level, opts->threads, ctx->err);
	if (!ctx->blob)
		return -1;
	blob_writer_set_progress(ctx->blob, opts->progress, opts->progress_item);
	*a = xcheck(archive_write_new());
	if (archive_write_set_format_pax_restricted(*a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(*a, 10240) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(*a, 1) != ARCHIVE_OK ||
	    archive_write_open(*a, ctx, NULL, on_tar_bytes, NULL) != ARCHIVE_OK)
		return archive_fail(*a, ctx, "open");
	*is_open = 1;
	return 0;
}

/* End of archive, blob renamed into place, descriptor filled. */
static int tar_finish(struct archive *a, build_ctx_t *ctx, int *is_open,
		      layer_compression_t compression, long long files, layer_desc_t *out)
{
	char digest_hex[DIGEST_HEX_MAX], diff_hex[DIGEST_HEX_MAX];
	*is_open = 0;
	if (archive_write_close(a) != ARCHIVE_OK)
		return archive_fail(a, ctx, "close");
	if (blob_writer_finish(ctx->blob, digest_hex, diff_hex, &out->size, ctx->err))
		return -1;
	digest_oci_from_hex(digest_hex, out->digest);
	digest_oci_from_hex(diff_hex, out->diff_id);
	out->media_type = blob_media_type(compression);
	out->files = files;
	return 0;
}

int layer_build(const char *const *stage_dirs, size_t n_dirs, const char *image_prefix,
		const layer_opts_t *opts, const char *blobs_dir, layer_desc_t *out, err_t *err)
{
	lstream_t *s = lstream_new(image_prefix, opts, blobs_dir, err);
	int rc = s ? 0 : -1;
	memset(out, 0, sizeof *out);
	for (size_t d = 0; rc == 0 && d < n_dirs; d++) {
		lstream_begin(s, d, stage_dirs[d]);
		rc = lstream_add_tree(s, stage_dirs[d], err);
	}
	if (rc == 0)
		rc = lstream_finish(s, out, err);
	lstream_free(s);
	return rc;
}

int layer_level_parse(const char *text, int *level)
{
	char *end = NULL;
	long v = strtol(text, &end, 10);
	if (!end || end == text || *end || v < 1 || v > 22)
		return -1;
	*level = (int)v;
	return 0;
}

/* The tar steps for layers made from entries in memory (layer_mem.c, through layer_int.h). */
int layer_tar_open(build_ctx_t *ctx, const layer_opts_t *opts, const char *blobs_dir,
		   struct archive **a, int *is_open)
{
	return tar_open(ctx, opts, blobs_dir, a, is_open);
}

int layer_tar_fail(struct archive *a, build_ctx_t *ctx, const char *what)
{
	return archive_fail(a, ctx, what);
}

int layer_tar_finish(struct archive *a, build_ctx_t *ctx, int *is_open,
		     layer_compression_t compression, long long files, layer_desc_t *out)
{
	return tar_finish(a, ctx, is_open, compression, files, out);
}

void layer_tar_free(struct archive *a, int is_open)
{
	if (!a)
		return;
	if (is_open)
		archive_write_fail(a);
	archive_write_free(a);
}
