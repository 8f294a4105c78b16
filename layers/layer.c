/* layer.c — builds one deterministic layer tar from the union of staged package trees and
 * streams it through blob.c (compress + hash + store). Every byte-level choice made here
 * (entry order, modes, owners, names, hardlinks, PAX records, blocking) is written down in
 * docs/layer-format.md; change both together and bump the layer-format version. */
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
#include "tree_int.h"
#include "xalloc.h"

#define LAYER_READ_CHUNK (64 * 1024)

/* The same path from two stage dirs is fine when both are directories (packages share
 * lib/, bin/, ...): the first is kept. Anything else is a conflict the installer should
 * have caught; name both trees so the user can find the two packages. */
static int merge_duplicates(tree_t *es, const char *const *stage_dirs, err_t *err)
{
	size_t out = 0;
	for (size_t i = 0; i < es->n; i++) {
		if (out > 0 && !strcmp(es->v[out - 1].rel, es->v[i].rel)) {
			tree_entry_t *keep = &es->v[out - 1], *dup = &es->v[i];
			if (!S_ISDIR(keep->mode) || !S_ISDIR(dup->mode)) {
				err_set(err,
					"path '%s' is in two layer trees: %s and %s (two packages "
					"in "
					"one layer install the same file)",
					dup->rel, stage_dirs[keep->stage], stage_dirs[dup->stage]);
				/* keep every remaining owner exactly once for entries_free */
				while (i < es->n)
					es->v[out++] = es->v[i++];
				es->n = out;
				return -1;
			}
			free(dup->rel);
			dup->rel = NULL;
			continue;
		}
		es->v[out++] = es->v[i];
	}
	es->n = out;
	return 0;
}

typedef struct inode_ref {
	size_t stage;
	dev_t dev;
	ino_t ino;
	size_t idx;
} inode_ref_t;

static int cmp_inode(const void *a, const void *b)
{
	const inode_ref_t *x = a, *y = b;
	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int same_inode(const inode_ref_t *x, const inode_ref_t *y)
{
	return x->stage == y->stage && x->dev == y->dev && x->ino == y->ino;
}

/* Regular files sharing dev+ino inside one stage dir (one package's tree): the first in entry
 * order carries the data, later ones become tar hardlink entries pointing at it. Only within
 * a stage dir: two packages' files share an inode only when something outside the packages
 * linked them (a deduplicated or copied extract cache, issue 10 #6), and layer bytes must
 * depend on package content alone (docs/layer-format.md, "Hardlinks"). */
static void find_hardlinks(tree_t *es)
{
	size_t n = 0;
	for (size_t i = 0; i < es->n; i++)
		n += S_ISREG(es->v[i].mode) && es->v[i].nlink > 1;
	if (n < 2)
		return;
	inode_ref_t *refs = xmalloc(n * sizeof *refs);
	n = 0;
	for (size_t i = 0; i < es->n; i++)
		if (S_ISREG(es->v[i].mode) && es->v[i].nlink > 1)
			refs[n++] = (inode_ref_t){es->v[i].stage, es->v[i].dev, es->v[i].ino, i};
	qsort(refs, n, sizeof *refs, cmp_inode);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (!same_inode(&refs[first], &refs[i]))
			first = i;
		else
			es->v[refs[i].idx].link_to = (long)refs[first].idx;
	}
	free(refs);
}

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

/* Normalised mode, docs/layer-format.md "Modes". */
static mode_t normal_mode(mode_t m)
{
	if (S_ISDIR(m))
		return AE_IFDIR | 0755;
	if (S_ISLNK(m))
		return AE_IFLNK | 0777;
	return AE_IFREG | ((m & 0111) ? 0755 : 0644);
}

static int read_link(const char *path, buf_t *out, err_t *err)
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

static int copy_file_data(struct archive *a, build_ctx_t *ctx, const char *path,
			  const tree_entry_t *e, char *chunk)
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

/* One tar entry owned by root: name is the full image path without leading "/". */
static int write_entry(struct archive *a, build_ctx_t *ctx, struct archive_entry *ae,
		       const char *name, mode_t mode, long long mtime, off_t size,
		       const char *symlink_target, const char *hardlink_target)
{
	return layer_tar_entry_owned(a, ctx, ae, name, mode, mtime, size, symlink_target,
				     hardlink_target, 0, 0);
}

static locale_t utf8_locale_new(void)
{
	static const char *const names[] = {"C.UTF-8", "C.utf8", "en_US.UTF-8"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		locale_t l = newlocale(LC_CTYPE_MASK, names[i], (locale_t)0);
		if (l != (locale_t)0)
			return l;
	}
	return (locale_t)0;
}

static int is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static int check_prefix(const char *image_prefix, buf_t *prefix_rel, err_t *err)
{
	if (!image_prefix || image_prefix[0] != '/')
		return err_set(err, "image prefix '%s' must be an absolute path",
			       image_prefix ? image_prefix : "(null)");
	if (!strcmp(image_prefix, "/")) {
		buf_reset(prefix_rel);
		return 0;
	}
	if (fs_path_normalize(image_prefix + 1, prefix_rel) != 0)
		return err_set(err, "image prefix '%s' is not a clean absolute path", image_prefix);
	return 0;
}

/* Step 1: every stage dir's entries in tar order, duplicates merged, hardlinks found. */
static int collect_entries(const char *const *stage_dirs, size_t n_dirs, tree_t *es, err_t *err)
{
	for (size_t s = 0; s < n_dirs; s++)
		if (tree_add_stage(es, stage_dirs[s], s, err))
			return -1;
	tree_sort(es);
	if (merge_duplicates(es, stage_dirs, err))
		return -1;
	find_hardlinks(es);
	return 0;
}

/* Step 2: libarchive converts names through the current locale's codeset: pin the thread to
 * a UTF-8 locale so that non-ASCII names are stored as their UTF-8 bytes whatever the
 * caller's locale (uselocale is per thread; layer_build restores it). Without one, only
 * ASCII names can be written reproducibly. */
static int pin_utf8_locale(const tree_t *es, locale_t *utf8, locale_t *saved, err_t *err)
{
	*utf8 = utf8_locale_new();
	if (*utf8 != (locale_t)0) {
		*saved = uselocale(*utf8);
		return 0;
	}
	for (size_t i = 0; i < es->n; i++)
		if (!is_ascii(es->v[i].rel))
			return err_set(err,
				       "'%s' has a non-ASCII name and no UTF-8 locale (C.UTF-8) "
				       "is installed to store it reproducibly",
				       es->v[i].rel);
	return 0;
}

/* Step 3: the tar writer over the blob sink. pax_restricted: plain ustar headers unless a
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

/* Step 4: the parent directories of the prefix, then the prefix itself: opt, opt/conda, ... */
static int write_prefix_dirs(struct archive *a, build_ctx_t *ctx, struct archive_entry *ae,
			     const buf_t *prefix_rel, long long mtime, long long *files)
{
	buf_t name = BUF_INIT;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < prefix_rel->len; i++) {
		if (prefix_rel->data[i + 1] != '/' && prefix_rel->data[i + 1] != '\0')
			continue;
		buf_reset(&name);
		buf_add(&name, prefix_rel->data, i + 1);
		rc = write_entry(a, ctx, ae, name.data, AE_IFDIR | 0755, mtime, 0, NULL, NULL);
		*files += rc == 0;
	}
	buf_free(&name);
	return rc;
}

/* "<prefix_rel>/<rel>", the tar name of a staged path. */
static void tar_name(const buf_t *prefix_rel, const char *rel, buf_t *out)
{
	buf_reset(out);
	if (prefix_rel->len)
		buf_addf(out, "%s/", prefix_rel->data);
	buf_addstr(out, rel);
}

/* Step 5: every staged entry, in order (docs/layer-format.md, "Entries"). */
static int write_tree_entries(struct archive *a, build_ctx_t *ctx, const tree_t *es,
			      const char *const *stage_dirs, const buf_t *prefix_rel,
			      const layer_opts_t *opts, long long *files)
{
	struct archive_entry *ae = xcheck(archive_entry_new());
	buf_t name = BUF_INIT, path = BUF_INIT, target = BUF_INIT, link_name = BUF_INIT;
	char *chunk = xmalloc(LAYER_READ_CHUNK);
	int rc = -1;
	if (write_prefix_dirs(a, ctx, ae, prefix_rel, opts->mtime, files))
		goto out;
	for (size_t i = 0; i < es->n; i++) {
		const tree_entry_t *e = &es->v[i];
		const char *sym = NULL, *hard = NULL;
		tar_name(prefix_rel, e->rel, &name);
		tree_entry_path(e, stage_dirs[e->stage], &path);
		if (S_ISLNK(e->mode)) {
			if (read_link(path.data, &target, ctx->err))
				goto out;
			sym = target.data;
		} else if (e->link_to >= 0) {
			tar_name(prefix_rel, es->v[e->link_to].rel, &link_name);
			hard = link_name.data;
		}
		if (write_entry(a, ctx, ae, name.data, normal_mode(e->mode), opts->mtime, e->size,
				sym, hard))
			goto out;
		if (S_ISREG(e->mode) && !hard && e->size > 0 &&
		    copy_file_data(a, ctx, path.data, e, chunk))
			goto out;
		/* Later names of this inode are written as links to this entry and never
		 * opened (hardlinks were found from the walk's inode numbers), so the path can
		 * go now. Failure to unlink only leaves work for the caller's cleanup. A listed
		 * entry's source is the extract cache's, never consumed. */
		if (opts->consume_sources && S_ISREG(e->mode) && !e->src)
			(void)unlink(path.data);
		(*files)++;
	}
	rc = 0;
out:
	archive_entry_free(ae);
	free(chunk);
	buf_free(&name);
	buf_free(&path);
	buf_free(&target);
	buf_free(&link_name);
	return rc;
}

/* Step 6: end of archive, blob renamed into place, descriptor filled. */
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
	static const layer_opts_t default_opts = {.compression = LAYER_GZIP};
	tree_t es = {0};
	buf_t prefix_rel = BUF_INIT;
	struct archive *a = NULL;
	build_ctx_t ctx = {NULL, err, 0};
	int rc = -1, is_open = 0;
	long long files = 0;
	locale_t utf8_locale = (locale_t)0, saved_locale = (locale_t)0;
	if (!opts)
		opts = &default_opts;
	memset(out, 0, sizeof *out);
	if (check_prefix(image_prefix, &prefix_rel, err) ||
	    collect_entries(stage_dirs, n_dirs, &es, err) ||
	    pin_utf8_locale(&es, &utf8_locale, &saved_locale, err) ||
	    tar_open(&ctx, opts, blobs_dir, &a, &is_open) ||
	    write_tree_entries(a, &ctx, &es, stage_dirs, &prefix_rel, opts, &files) ||
	    tar_finish(a, &ctx, &is_open, opts->compression, files, out))
		goto out;
	rc = 0;
out:
	layer_tar_free(a, is_open);
	if (saved_locale != (locale_t)0)
		uselocale(saved_locale);
	if (utf8_locale != (locale_t)0)
		freelocale(utf8_locale);
	blob_writer_free(ctx.blob);
	tree_free(&es);
	buf_free(&prefix_rel);
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
