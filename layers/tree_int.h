/* tree_int.h — the listing of staged package trees that lstream.c writes (a wheel's tree) and
 * basecheck.c and overlap.c read: every directory, regular file and symlink under a stage
 * dir, with what lstat() said; also the shape of the path lists of streamed layers
 * (lstream.h's layer_paths). Private to layers/. */
#ifndef IMGBUILD_TREE_INT_H
#define IMGBUILD_TREE_INT_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

typedef struct tree_entry {
	char *rel;    /* relative to the prefix: no leading "/", "./" or trailing "/" */
	size_t stage; /* index into the stage dirs */
	mode_t mode;  /* st_mode as found (type + permission bits) */
	off_t size;
	dev_t dev;
	ino_t ino;
	nlink_t nlink;
	long link_to; /* for hardlinks: index of the first (sorted) entry of the inode, else -1 */
} tree_entry_t;

typedef struct tree {
	tree_entry_t *v;
	size_t n, cap;
} tree_t;

/* Appends the entries of stage_root (never following symlinks; devices, fifos and sockets
 * are an error naming the file), tagged with stage. */
int tree_add_stage(tree_t *t, const char *stage_root, size_t stage, err_t *err);
/* The file to read for e (stage_root/rel) into out. */
void tree_entry_path(const tree_entry_t *e, const char *stage_root, buf_t *out);
/* Sorts by rel in bytewise strcmp order, ties in stage order (docs/layer-format.md). */
void tree_sort(tree_t *t);
/* Regular files sharing dev+ino inside one stage (one package's tree): the first in entry
 * order keeps link_to -1, later ones get its index (docs/layer-format.md, "Hardlinks"). */
void tree_find_hardlinks(tree_t *es);
void tree_free(tree_t *t);

#endif
