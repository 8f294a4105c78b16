/* tree_int.h — the listing of staged package trees that layer.c writes and overlap.c checks:
 * every directory, regular file and symlink under each stage dir and in its link list
 * (common/stagelinks.h: members left in the extract cache), with what lstat() said, in the
 * entry order of docs/layer-format.md. Private to layers/. */
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
	char *src;    /* a listed entry's file (absolute), NULL for one inside the stage dir */
} tree_entry_t;

typedef struct tree {
	tree_entry_t *v;
	size_t n, cap;
} tree_t;

/* Appends the entries of stage_root (never following symlinks; devices, fifos and sockets
 * are an error naming the file) and of its link list, tagged with stage. A listed file that
 * is not what the installer listed (another inode, size or mtime) is an error. */
int tree_add_stage(tree_t *t, const char *stage_root, size_t stage, err_t *err);
/* The file to read for e (its src, else stage_root/rel) into out. */
void tree_entry_path(const tree_entry_t *e, const char *stage_root, buf_t *out);
/* Sorts by rel in bytewise strcmp order, ties in stage order (docs/layer-format.md). */
void tree_sort(tree_t *t);
void tree_free(tree_t *t);

#endif
