/* pull.c — registry image -> local OCI layout for use as a base (see pull.h). The cache
 * holds blobs by digest only after they were verified, written to a .part file and renamed,
 * so a blob file under its digest name is trusted without re-hashing here (the base loader
 * re-checks layers anyway). Manifests and indexes are parsed by oci/layout.h, as a layout's
 * are; the layout is written through it. */
#include "pull.h"

#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "layout.h"
#include "push.h"

typedef struct pull {
	reg_t *reg;
	const oci_ref_t *ref;
	oci_layout_t *layout;
	buf_t cache_blobs, seen, where;
} pull_t;

/* Ensures the blob is in the cache (fetching and verifying it), then links it into the layout. */
static int get_blob(pull_t *pl, const oci_desc_t *d, err_t *err)
{
	buf_t cached = BUF_INIT;
	struct stat st;
	int rc = -1;
	if (oci_blob_path(pl->cache_blobs.data, d->digest, &cached, err))
		goto out;
	if (stat(cached.data, &st) != 0 || st.st_size != d->size) {
		if (reg_blob_fetch(pl->reg, pl->ref->repository, d->digest, d->size, cached.data,
				   err))
			goto out;
	}
	oci_seen_add(pl->seen.data, d->digest, pl->ref->repository);
	rc = oci_layout_link_blob(pl->layout, cached.data, d, err);
out:
	buf_free(&cached);
	return rc;
}

/* GETs reference and parses it. Caller frees. */
static oci_manifest_t *get_manifest(pull_t *pl, const char *reference, buf_t *digest, err_t *err)
{
	buf_t body = BUF_INIT, mt = BUF_INIT;
	oci_manifest_t *m = NULL;
	if (reg_manifest_get(pl->reg, pl->ref->repository, reference, &body, &mt, digest, err) == 0)
		m = oci_manifest_parse(body.data, body.len, mt.data, pl->where.data, err);
	buf_free(&body);
	buf_free(&mt);
	return m;
}

/* The image manifest for os/arch: the reference itself, or its index's entry. */
static oci_manifest_t *resolve(pull_t *pl, const char *os, const char *arch, buf_t *digest,
			       err_t *err)
{
	const oci_ref_t *ref = pl->ref;
	oci_manifest_t *m = get_manifest(pl, ref->digest ? ref->digest : ref->tag, digest, err);
	if (m && oci_manifest_is_index(m)) {
		const oci_desc_t *d = oci_manifest_platform(m, os, arch, err);
		oci_manifest_t *child = d ? get_manifest(pl, d->digest, digest, err) : NULL;
		oci_manifest_free(m);
		m = child;
	}
	if (m && oci_manifest_is_index(m)) {
		err_set(err,
			"%s: unsupported manifest type '%s' (need an OCI or Docker schema 2 image)",
			pl->where.data, oci_manifest_media_type(m));
		oci_manifest_free(m);
		m = NULL;
	}
	return m;
}

static int write_layout(pull_t *pl, const oci_manifest_t *m, const char *digest, err_t *err)
{
	char got[DIGEST_OCI_MAX];
	size_t len = 0;
	const void *raw = oci_manifest_bytes(m, &len);
	oci_desc_t d = {
		.media_type = oci_manifest_media_type(m), .digest = digest, .size = (long long)len};
	if (oci_layout_write_blob(pl->layout, raw, len, got, err))
		return -1;
	if (strcmp(got, digest) != 0) /* reg_manifest_get hashed these bytes: never expected */
		return err_set(err, "%s: manifest %s hashes to %s", pl->where.data, digest, got);
	if (oci_layout_set_ref(pl->layout, &d, NULL, err))
		return -1;
	return oci_layout_write_index(pl->layout, err);
}

int oci_pull_layout(reg_t *reg, const oci_ref_t *ref, const char *os, const char *arch,
		    const char *cache_dir, const char *layout_dir, buf_t *manifest_digest,
		    err_t *err)
{
	pull_t pl = {.reg = reg, .ref = ref};
	oci_manifest_t *m = NULL;
	int rc = -1;
	buf_setstr(&pl.cache_blobs, cache_dir);
	buf_addpath(&pl.cache_blobs, "images/blobs/sha256");
	buf_addf(&pl.where, "base image %s/%s", ref->registry, ref->repository);
	oci_seen_path(cache_dir, ref->registry, &pl.seen);
	if (fs_mkdir_p(pl.cache_blobs.data, err) ||
	    !(pl.layout = oci_layout_create(layout_dir, err)))
		goto out;
	reg_add_scope(reg, ref->repository, "pull");
	if (!(m = resolve(&pl, os, arch, manifest_digest, err)) ||
	    get_blob(&pl, oci_manifest_config(m), err))
		goto out;
	for (size_t i = 0; i < oci_manifest_count(m); i++)
		if (get_blob(&pl, oci_manifest_entry(m, i), err))
			goto out;
	if (write_layout(&pl, m, manifest_digest->data, err))
		goto out;
	rc = 0;
out:
	oci_manifest_free(m);
	oci_layout_free(pl.layout);
	buf_free(&pl.cache_blobs);
	buf_free(&pl.seen);
	buf_free(&pl.where);
	return rc;
}
