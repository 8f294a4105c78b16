/* push.c — image layout -> registry repository (see push.h). Blobs are streamed from the
 * layout's files by reg_blob_push; this file only decides the order (blobs, manifests, index,
 * tags last so a failed push never leaves a tag pointing at a missing blob) and the mount
 * source of each blob. A blob the layout lacks (a registry-cache hit that was never
 * downloaded) is mounted from the repository the caller names, or, when the registry refuses
 * the mount, downloaded (verified) from there and uploaded. */
#include "push.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "layout.h"
#include "push_par.h"
#include "reg_mount.h"
#include "xalloc.h"

#define SEEN_MAX_BYTES (8u << 20) /* the record is a hint; beyond this it is ignored */

void oci_seen_path(const char *cache_dir, const char *registry, buf_t *out)
{
	buf_setstr(out, cache_dir);
	buf_addpath(out, "images/registries");
	buf_addch(out, '/');
	for (const char *p = registry; *p; p++)
		buf_addch(out, (*p == '/' || *p == ':') ? '_' : *p);
	buf_addstr(out, ".seen");
}

void oci_seen_add(const char *seen_path, const char *digest, const char *repo)
{
	buf_t line = BUF_INIT, dir = BUF_INIT;
	err_t ignored = ERR_INIT;
	const char *slash = strrchr(seen_path, '/');
	if (slash) {
		buf_add(&dir, seen_path, (size_t)(slash - seen_path));
		fs_mkdir_p(dir.data, &ignored);
	}
	/* one short write with O_APPEND: concurrent builds interleave whole lines */
	int fd = open(seen_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd >= 0) {
		buf_addf(&line, "%s %s\n", digest, repo);
		if (write(fd, line.data, line.len) < 0) {
			/* a hint only */
		}
		close(fd);
	}
	err_clear(&ignored);
	buf_free(&line);
	buf_free(&dir);
}

/* The most recently recorded repository other than repo holding digest, or NULL. */
static char *seen_find(const char *seen_path, const char *digest, const char *repo)
{
	buf_t data = BUF_INIT;
	err_t ignored = ERR_INIT;
	char *found = NULL;
	size_t dlen = strlen(digest);
	if (seen_path && buf_read_file(&data, seen_path, SEEN_MAX_BYTES, &ignored) == 0) {
		char *line = data.data;
		while (line && *line) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			if (!strncmp(line, digest, dlen) && line[dlen] == ' ' &&
			    strcmp(line + dlen + 1, repo) != 0) {
				free(found);
				found = xstrdup(line + dlen + 1);
			}
			line = nl ? nl + 1 : NULL;
		}
	}
	err_clear(&ignored);
	buf_free(&data);
	return found;
}

typedef struct push {
	reg_t *reg;
	const oci_layout_t *layout;
	const char *repo;
	const char *absent_from; /* where blobs missing from the layout are, or NULL */
	buf_t seen;
} push_t;

/* A blob the layout does not hold: mount it from p->absent_from; a refused mount (202) is
 * reported as a warning and the blob is fetched from there (size and digest verified) into
 * the layout and uploaded, so the push still completes. */
static int push_absent(push_t *p, reg_t *reg, const char *digest, long long size, const char *path,
		       err_t *err)
{
	buf_t msg = BUF_INIT;
	int placed = 0, rc = -1;
	reg_add_scope(reg, p->absent_from, "pull");
	if (reg_blob_mount(reg, p->repo, digest, p->absent_from, &placed, err))
		goto out;
	if (!placed) {
		buf_addf(
			&msg,
			"warning: registry %s: blob %s is neither local nor mountable from %s (the "
			"registry refused the mount); downloading it from there and uploading it",
			reg_name(reg), digest, p->absent_from);
		reg_log(reg, msg.data);
		if (reg_blob_fetch(reg, p->absent_from, digest, size, path, err) ||
		    reg_blob_push(reg, p->repo, digest, path, size, NULL, err)) {
			err_prefix(err,
				   "registry %s: blob %s is neither local nor mountable from %s, "
				   "and the "
				   "fallback failed",
				   reg_name(reg), digest, p->absent_from);
			goto out;
		}
	}
	rc = 0;
out:
	buf_free(&msg);
	return rc;
}

/* One blob on reg (the push's client, or one of push_par.c's). */
static int push_blob(push_t *p, reg_t *reg, const oci_desc_t *d, err_t *err)
{
	const char *dir = oci_layout_dir(p->layout);
	buf_t path = BUF_INIT;
	struct stat st;
	char *from = NULL;
	int rc = -1;
	if (oci_layout_blob_path(p->layout, d->digest, &path, err))
		goto out;
	if (stat(path.data, &st) != 0 && errno == ENOENT && p->absent_from && d->size > 0) {
		if (push_absent(p, reg, d->digest, d->size, path.data, err))
			goto out;
	} else if (stat(path.data, &st) != 0 || st.st_size != d->size) {
		err_set(err, "%s: blob %s is missing or not %lld bytes", dir, d->digest, d->size);
		goto out;
	} else {
		from = p->seen.len ? seen_find(p->seen.data, d->digest, p->repo) : NULL;
		if (from)
			reg_add_scope(reg, from, "pull");
		if (reg_blob_push(reg, p->repo, d->digest, path.data, d->size, from, err))
			goto out;
	}
	if (p->seen.len)
		oci_seen_add(p->seen.data, d->digest, p->repo);
	rc = 0;
out:
	free(from);
	buf_free(&path);
	return rc;
}

/* The manifest's blobs (config first, then its layers), on push_par.c's threads. */
typedef struct blob_list {
	push_t *p;
	const oci_desc_t **descs;
} blob_list_t;

static int push_blob_job(void *ctx, reg_t *reg, size_t i, err_t *err)
{
	blob_list_t *bl = ctx;
	return push_blob(bl->p, reg, bl->descs[i], err);
}

static int push_blobs(push_t *p, const oci_manifest_t *m, err_t *err)
{
	size_t n = oci_manifest_count(m) + 1;
	blob_list_t bl = {p, xcalloc(n, sizeof *bl.descs)};
	bl.descs[0] = oci_manifest_config(m);
	for (size_t i = 1; i < n; i++)
		bl.descs[i] = oci_manifest_entry(m, i - 1);
	int rc = oci_push_par_run(p->reg, p->repo, n, push_blob_job, &bl, err);
	free(bl.descs);
	return rc;
}

/* Pushes one manifest's blobs (or an index's manifests), then the manifest under each tag, or
 * by digest when there are none. */
static int push_manifest(push_t *p, const oci_desc_t *d, const char *const *tags, size_t n_tags,
			 err_t *err)
{
	oci_manifest_t *m = NULL;
	size_t len = 0;
	int rc = -1;
	if (oci_layout_read_manifest(p->layout, d, &m, err))
		goto out;
	int is_index = oci_manifest_is_index(m);
	/* every blob is in (push_blobs returns when all have finished) before the manifest */
	if (!is_index && push_blobs(p, m, err))
		goto out;
	for (size_t i = 0; is_index && i < oci_manifest_count(m); i++)
		if (push_manifest(p, oci_manifest_entry(m, i), NULL, 0, err))
			goto out;
	/* tags only once every blob (and child manifest) is in: no tag points at a gap */
	const void *raw = oci_manifest_bytes(m, &len);
	const char *mt = oci_manifest_media_type(m);
	if (n_tags == 0 && reg_manifest_put(p->reg, p->repo, d->digest, mt, raw, len, err))
		goto out;
	for (size_t i = 0; i < n_tags; i++)
		if (reg_manifest_put(p->reg, p->repo, tags[i], mt, raw, len, err))
			goto out;
	rc = 0;
out:
	oci_manifest_free(m);
	return rc;
}

static int push_layout(reg_t *reg, const char *layout_dir, const char *ref_name, const char *repo,
		       const char *const *tags, size_t n_tags, const char *cache_dir,
		       const char *absent_from, err_t *err)
{
	push_t p = {.reg = reg, .repo = repo, .absent_from = absent_from};
	const oci_desc_t *top = NULL;
	int rc = -1;
	if (cache_dir)
		oci_seen_path(cache_dir, reg_name(reg), &p.seen);
	reg_add_scope(reg, repo, "pull,push");
	oci_layout_t *l = oci_layout_open(layout_dir, err);
	p.layout = l;
	if (l && (top = oci_layout_find(l, ref_name, err)))
		rc = push_manifest(&p, top, tags, n_tags, err);
	oci_layout_free(l);
	buf_free(&p.seen);
	return rc;
}

int oci_push_layout(reg_t *reg, const char *layout_dir, const char *ref_name, const char *repo,
		    const char *const *tags, size_t n_tags, const char *cache_dir, err_t *err)
{
	return push_layout(reg, layout_dir, ref_name, repo, tags, n_tags, cache_dir, NULL, err);
}

int oci_push_layout_from(reg_t *reg, const char *layout_dir, const char *repo,
			 const char *const *tags, size_t n_tags, const char *cache_dir,
			 const char *absent_from, err_t *err)
{
	return push_layout(reg, layout_dir, NULL, repo, tags, n_tags, cache_dir, absent_from, err);
}
