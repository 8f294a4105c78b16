/* basefs.h — the file tree of a base image, as far as the base image policy (basecheck.h) and
 * the root filesystem layer (rootfs.h) need it: each path's type and, for a symlink, its
 * target, after the image's layers are stacked with OCI whiteouts applied (image-spec
 * layer.md: ".wh.NAME" removes NAME below, ".wh..wh..opq" empties a directory below). No file
 * contents or metadata. Read from the layer blobs with libarchive (any compression it reads),
 * or from a caller's own listing of each layer. */
#ifndef IMGBUILD_BASEFS_H
#define IMGBUILD_BASEFS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Caps on what a base image may make us hold (a base is pulled by digest but still input). */
#define BASEFS_MAX_ENTRIES (4u << 20) /* paths in all layers together */
#define BASEFS_MAX_NAME 4096          /* bytes of a path or a symlink target */

typedef enum {
	BASEFS_NONE = 0, /* no such path */
	BASEFS_DIR,
	BASEFS_FILE,    /* regular file (or a hardlink to one) */
	BASEFS_SYMLINK, /* only from basefs_lookup with follow_last 0 */
	BASEFS_OTHER,   /* device, fifo, socket */
} basefs_kind_t;

typedef struct basefs basefs_t;

/* One path of a caller's listing. */
typedef struct basefs_entry {
	const char *path;        /* in the image: "etc/passwd", "/etc/passwd" or "./etc/passwd";
				  * a whiteout name (".wh.x") works as it does in a layer tar */
	basefs_kind_t kind;      /* BASEFS_DIR, _FILE, _SYMLINK or _OTHER */
	const char *link_target; /* for BASEFS_SYMLINK, verbatim */
} basefs_entry_t;

/* An empty tree (the scratch image). Caller frees with basefs_free. */
basefs_t *basefs_new(void);
void basefs_free(basefs_t *fs); /* NULL is a no-op */

/* Stacks one layer blob (tar, plain or compressed) on top of the layers added before: call it
 * for the base image's layers bottom first. A corrupt blob is an error naming it; names with
 * a ".." component are ignored; more than BASEFS_MAX_ENTRIES paths, or a name or target over
 * BASEFS_MAX_NAME, is an error. */
int basefs_add_layer(basefs_t *fs, const char *blob_path, err_t *err);
/* The same for one layer given as a listing (any order; a path listed twice: the last wins). */
int basefs_add_listing(basefs_t *fs, const basefs_entry_t *entries, size_t n, err_t *err);

/* What `path` (absolute or relative to the image root) is. Symlinks in every component but the
 * last are followed, the last one too when follow_last (stat) and not otherwise (lstat); they
 * resolve inside the image (absolute targets from its root, ".." stops at the root), at most
 * 40 of them (as Linux). A dangling link, a loop or a non-directory used as a directory gives
 * BASEFS_NONE. A directory need not be listed: one with listed contents is BASEFS_DIR. When
 * resolved is not NULL it gets the path that was found, relative to the root ("" for it).
 * fs NULL is the empty tree. */
basefs_kind_t basefs_lookup(const basefs_t *fs, const char *path, int follow_last, buf_t *resolved);

/* Paths held after stacking (for tests and log lines). */
size_t basefs_count(const basefs_t *fs);

#endif
