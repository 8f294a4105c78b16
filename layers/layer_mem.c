/* layer_mem.c — a layer from entries held in memory (see layer_int.h), written through
 * layer.c's tar steps so that it follows the same byte rules as every other layer
 * (docs/layer-format.md). Used for the small root filesystem layer (rootfs.c). */
#include "layer_int.h"

#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "xalloc.h"

static int is_ascii(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* Names and targets are ASCII: they are written without layer_build's UTF-8 locale pinning,
 * and the root filesystem layer only ever holds ASCII names. */
static int check_entries(const layer_mem_entry_t *v, size_t n, err_t *err)
{
	if (n == 0)
		return err_set(err, "a layer from memory needs at least one entry");
	for (size_t i = 0; i < n; i++) {
		mode_t type = v[i].mode & AE_IFMT;
		if (!v[i].name || !fs_path_is_safe_relative(v[i].name) ||
		    v[i].name[strlen(v[i].name) - 1] == '/')
			return err_set(err, "layer entry '%s' is not a clean relative path",
				       v[i].name ? v[i].name : "(null)");
		if (type != AE_IFDIR && type != AE_IFREG && type != AE_IFLNK)
			return err_set(err, "layer entry '%s' has an unsupported type", v[i].name);
		if (type == AE_IFLNK && (!v[i].link_target || !v[i].link_target[0]))
			return err_set(err, "symlink entry '%s' has no target", v[i].name);
		if (!is_ascii(v[i].name) || !is_ascii(v[i].link_target))
			return err_set(err, "layer entry '%s' (or its target) is not ASCII",
				       v[i].name);
		/* docs/layer-format.md, "Entries": bytewise strcmp order, each name once */
		if (i > 0 && strcmp(v[i - 1].name, v[i].name) >= 0)
			return err_set(err, "layer entries '%s' and '%s' are not in strcmp order",
				       v[i - 1].name, v[i].name);
	}
	return 0;
}

static int write_mem_entries(struct archive *a, build_ctx_t *ctx, const layer_mem_entry_t *v,
			     size_t n, long long mtime)
{
	struct archive_entry *ae = xcheck(archive_entry_new());
	int rc = -1;
	for (size_t i = 0; i < n; i++) {
		int is_reg = (v[i].mode & AE_IFMT) == AE_IFREG;
		int is_link = (v[i].mode & AE_IFMT) == AE_IFLNK;
		if (layer_tar_entry_owned(
			    a, ctx, ae, v[i].name, v[i].mode, mtime, is_reg ? (off_t)v[i].size : 0,
			    is_link ? v[i].link_target : NULL, NULL, v[i].uid, v[i].gid))
			goto out;
		if (is_reg && v[i].size > 0 &&
		    archive_write_data(a, v[i].data, v[i].size) != (la_ssize_t)v[i].size) {
			layer_tar_fail(a, ctx, v[i].name);
			goto out;
		}
	}
	rc = 0;
out:
	archive_entry_free(ae);
	return rc;
}

int layer_build_mem(const layer_mem_entry_t *entries, size_t n, const layer_opts_t *opts,
		    const char *blobs_dir, layer_desc_t *out, err_t *err)
{
	static const layer_opts_t default_opts = {.compression = LAYER_GZIP};
	build_ctx_t ctx = {NULL, err, 0};
	struct archive *a = NULL;
	int rc = -1, is_open = 0;
	if (!opts)
		opts = &default_opts;
	memset(out, 0, sizeof *out);
	if (check_entries(entries, n, err) || layer_tar_open(&ctx, opts, blobs_dir, &a, &is_open) ||
	    write_mem_entries(a, &ctx, entries, n, opts->mtime) ||
	    layer_tar_finish(a, &ctx, &is_open, opts->compression, (long long)n, out))
		goto out;
	rc = 0;
out:
	layer_tar_free(a, is_open);
	blob_writer_free(ctx.blob);
	return rc;
}
