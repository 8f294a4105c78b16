/* lstream.h — one layer written as its entries arrive (issue 14 #1, layer-format 4): the
 * prefix's directories, then each package's entries in the order its producer gives them (a
 * conda package straight from its archive, pkg/install.h's install_stream; a staged tree,
 * such as a wheel's, in path order), each entry's missing parent directories first. The tar
 * goes through blob.c (compress, hash, store) while it is written: nothing is staged.
 * docs/layer-format.md, "Tar stream", has every byte rule.
 *
 * Checks, each an error naming the path and the packages: a path given twice (unless both are
 * directories), a file where another entry needs a directory, a hardlink to anything but an
 * earlier file of the same package, a file's data longer or shorter than its size, names that
 * are not normalised relative paths. On any error the blob is not stored. One thread writes a
 * given stream (it pins that thread's locale to UTF-8 until lstream_finish/lstream_free). */
#ifndef IMGBUILD_LSTREAM_H
#define IMGBUILD_LSTREAM_H

#include <stddef.h>

#include "entrysink.h"
#include "err.h"
#include "layer.h"

typedef struct lstream lstream_t;
/* The paths a layer holds with their packages, for the cross-layer check (overlap.h). */
typedef struct layer_paths layer_paths_t;

/* Opens the tar (with the prefix's directories written) over a new blob in blobs_dir. */
lstream_t *lstream_new(const char *image_prefix, const layer_opts_t *opts, const char *blobs_dir,
		       err_t *err);
/* The entries that follow are package `pkg` (an index the caller chooses: overlap.h uses the
 * plan's package index) named `name` in messages (copied). */
void lstream_begin(lstream_t *s, size_t pkg, const char *name);
/* The sink that writes into s (its ud is s). */
entry_sink_t lstream_sink(lstream_t *s);
int lstream_put(lstream_t *s, entry_kind_t kind, const char *rel, unsigned mode, long long size,
		const char *target, err_t *err);
int lstream_data(lstream_t *s, const void *p, size_t n, err_t *err);
/* Every directory, file and symlink of a staged tree (and its link list) in path order; files
 * sharing an inode inside the tree are one file and hardlinks to it. */
int lstream_add_tree(lstream_t *s, const char *stage_dir, err_t *err);
/* Ends the tar, stores the blob, fills out. */
int lstream_finish(lstream_t *s, layer_desc_t *out, err_t *err);
/* The paths written (after lstream_finish; NULL after a failure). Caller frees. */
layer_paths_t *lstream_take_paths(lstream_t *s);
void layer_paths_free(layer_paths_t *p);
/* Its entries (layers/tree_int.h: rel, stage = package index, mode = type). Private to layers/. */
struct tree;
const struct tree *layer_paths_tree(const layer_paths_t *p);
void lstream_free(lstream_t *s); /* NULL is a no-op; an unfinished blob is dropped */

#endif
