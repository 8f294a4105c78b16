/* stagelinks.h — the link list of a staging tree (issue 14 #1): the entries an installer left
 * in its source (the verified extract cache) instead of linking them into the tree, each with
 * the identity (device, inode, size, mtime) it had when the installer checked it. The list is
 * the sibling file "<stage_dir>.imgbuild-links"; pkg/ writes it, layers/ reads the tree and its
 * list as one (layers/tree.c), so a layer is the same as from a tree of links. The file lies
 * outside every tree a package can write, so no package can plant one. */
#ifndef IMGBUILD_STAGELINKS_H
#define IMGBUILD_STAGELINKS_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

#define STAGELINKS_SUFFIX ".imgbuild-links"
/* A list larger than this is refused when read (500000 members of a few hundred bytes). */
#define STAGELINKS_MAX_BYTES (512u << 20)

typedef struct stagelink {
	char type; /* 'f' regular file, 'l' symlink, 'd' directory */
	char *rel; /* path in the tree: normalised, relative, no ".." */
	char *src; /* path under the source root (same rules); "" for a directory */
	dev_t dev; /* identity of src when listed; zero for a directory */
	ino_t ino;
	off_t size;
	long long mtime_sec, mtime_nsec;
} stagelink_t;

/* "<stage_dir>.imgbuild-links" into out. */
void stagelinks_path(const char *stage_dir, buf_t *out);
/* Writes n entries (borrowed) and the source root (absolute) to path, which must not exist
 * (O_EXCL); -1 + err on failure, leaving nothing at path. */
int stagelinks_write(const char *path, const char *src_root, const stagelink_t *v, size_t n,
		     err_t *err);
/* Reads stage_dir's list: 1 and *src_root, *v, *n (caller frees with stagelinks_free and
 * free) when there is one, 0 when there is none, -1 + err when it is unreadable or damaged. */
int stagelinks_read(const char *stage_dir, char **src_root, stagelink_t **v, size_t *n, err_t *err);
void stagelinks_free(stagelink_t *v, size_t n);

#endif
