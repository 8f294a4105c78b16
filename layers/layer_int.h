/* layer_int.h — layer.c's tar steps (the one tar writer: pax_restricted, fixed blocking, blob
 * sink) shared with layer_mem.c, which writes layers from entries held in memory (the root
 * filesystem layer, rootfs.c). Private to layers/. */
#ifndef IMGBUILD_LAYER_INT_H
#define IMGBUILD_LAYER_INT_H

#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>
#include <sys/types.h>

#include "blob.h"
#include "buf.h"
#include "err.h"
#include "layer.h"

typedef struct build_ctx {
	blob_writer_t *blob;
	err_t *err;
	int has_write_error;
} build_ctx_t;

/* Opens the tar writer over a new blob sink in blobs_dir (docs/layer-format.md, "Tar stream").
 * The caller frees *a on every path, calling archive_write_fail first while *is_open. */
int layer_tar_open(build_ctx_t *ctx, const layer_opts_t *opts, const char *blobs_dir,
		   struct archive **a, int *is_open);
/* One tar header: name is the image path without leading "/", mode type + permission bits
 * written as given, owner uid:gid with empty names, mtime in whole seconds. */
int layer_tar_entry_owned(struct archive *a, build_ctx_t *ctx, struct archive_entry *ae,
			  const char *name, mode_t mode, long long mtime, off_t size,
			  const char *symlink_target, const char *hardlink_target, unsigned uid,
			  unsigned gid);
/* Sets ctx->err for a failed libarchive call on `what` (keeps a blob sink's own message). -1. */
int layer_tar_fail(struct archive *a, build_ctx_t *ctx, const char *what);
/* End of archive, blob renamed into blobs_dir, out filled. Clears *is_open. */
int layer_tar_finish(struct archive *a, build_ctx_t *ctx, int *is_open,
		     layer_compression_t compression, long long files, layer_desc_t *out);

/* Frees the tar writer (NULL is a no-op), failing it first while is_open so that nothing is
 * flushed into a blob that will not be finished. */
void layer_tar_free(struct archive *a, int is_open);

struct tree_entry;
/* readlink(path) into out; -1 and err naming path. */
int layer_read_link(const char *path, buf_t *out, err_t *err);
/* Writes e's data (read from path with O_NOFOLLOW; an inode or size other than the listing's
 * is an error) into the tar; chunk has LAYER_READ_CHUNK bytes. */
#define LAYER_READ_CHUNK (64 * 1024)
int layer_copy_file(struct archive *a, build_ctx_t *ctx, const char *path,
		    const struct tree_entry *e, char *chunk);

/* One entry of a layer written from memory. */
typedef struct layer_mem_entry {
	const char *name;  /* image path without leading "/" or trailing "/" (borrowed) */
	mode_t mode;       /* AE_IFDIR, AE_IFREG or AE_IFLNK | permission bits, kept as
			    * given (sticky bits included: /tmp is 1777) */
	unsigned uid, gid; /* owner (numeric only) */
	const char *data;  /* regular file contents (borrowed), size bytes */
	size_t size;
	const char *link_target; /* symlink target, stored verbatim (borrowed) */
} layer_mem_entry_t;

/* Writes a layer holding exactly entries[0..n) in that order, which must be strictly
 * ascending in bytewise strcmp order of their names (the entry order of
 * docs/layer-format.md; anything else is an error, so no caller can make an order that
 * depends on how it collected them). Names must be safe relative paths. Same blob handling as
 * layer_build. n == 0 is an error: an empty layer is no layer. */
int layer_build_mem(const layer_mem_entry_t *entries, size_t n, const layer_opts_t *opts,
		    const char *blobs_dir, layer_desc_t *out, err_t *err);

#endif
