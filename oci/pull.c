/* pull.c — registry image -> local OCI layout for use as a base (see pull.h). The cache
 * holds blobs by digest only after they were verified, written to a .part file and renamed,
 * so a blob file under its digest name is trusted without re-hashing here (the base loader
 * re-checks layers anyway). */
#include "pull.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "push.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"

typedef struct pull {
	reg_t *reg;
	const oci_ref_t *ref;
	buf_t cache_blobs, layout_blobs, seen;
} pull_t;

/* For messages: what the document claims to be. Borrowed. */
static const char *claimed_type(json_t *doc, const char *header_type)
{
	const char *mt = json_string_value(json_object_get(doc, "mediaType"));
	return mt ? mt : header_type && *header_type ? header_type : "(none)";
}

/* The index entry for os/arch (arm64 entries may carry variant v8). Borrowed. */
static json_t *pick_platform(pull_t *pl, json_t *index, const char *os, const char *arch, err_t *err)
{
	json_t *ms = json_object_get(index, "manifests");
	buf_t have = BUF_INIT;
	for (size_t i = 0; i < json_array_size(ms); i++) {
		json_t *p = json_object_get(json_array_get(ms, i), "platform");
		const char *pos = json_string_value(json_object_get(p, "os"));
		const char *parch = json_string_value(json_object_get(p, "architecture"));
		if (pos && parch && !strcmp(pos, os) && !strcmp(parch, arch)) {
			buf_free(&have);
			return json_array_get(ms, i);
		}
		buf_addf(&have, "%s%s/%s", have.len ? ", " : "", pos ? pos : "?", parch ? parch : "?");
	}
	err_set(err, "base image %s/%s: its index has no %s/%s image (it has: %s)", pl->ref->registry,
		pl->ref->repository, os, arch, have.len ? have.data : "none");
	buf_free(&have);
	return NULL;
}

/* Ensures the blob is in the cache (fetching and verifying it), then links it into the layout. */
static int get_blob(pull_t *pl, json_t *desc, err_t *err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	json_int_t size = json_integer_value(json_object_get(desc, "size"));
	buf_t cached = BUF_INIT, dst = BUF_INIT;
	struct stat st;
	int rc = -1;
	if (!oci_ref_is_digest(digest) || size < 0) {
		err_set(err, "base image %s/%s: descriptor with unsupported digest '%s' (only sha256)",
			pl->ref->registry, pl->ref->repository, digest ? digest : "(none)");
		goto out;
	}
	buf_setstr(&cached, pl->cache_blobs.data);
	buf_addpath(&cached, digest + 7);
	if (stat(cached.data, &st) != 0 || st.st_size != size) {
		if (reg_blob_fetch(pl->reg, pl->ref->repository, digest, size, cached.data, err))
			goto out;
	}
	oci_seen_add(pl->seen.data, digest, pl->ref->repository);
	buf_setstr(&dst, pl->layout_blobs.data);
	buf_addpath(&dst, digest + 7);
	if (link(cached.data, dst.data) != 0 && errno != EEXIST && fs_copy_file(cached.data, dst.data, err))
		goto out;
	rc = 0;
out:
	buf_free(&cached);
	buf_free(&dst);
	return rc;
}

static int write_layout(pull_t *pl, const char *layout_dir, const buf_t *manifest, const char *mt,
			const char *digest, err_t *err)
{
	buf_t path = BUF_INIT;
	json_t *index = json_pack("{s:i, s:s, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2, "mediaType",
				  MT_OCI_INDEX, "manifests", "mediaType", mt, "digest", digest, "size",
				  (json_int_t)manifest->len);
	char *s = json_dumps(index, JSON_SORT_KEYS | JSON_COMPACT);
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	int rc = -1;
	buf_setstr(&path, pl->layout_blobs.data);
	buf_addpath(&path, digest + 7);
	if (!s || fs_write_atomic(path.data, manifest->data, manifest->len, err))
		goto out;
	buf_setstr(&path, layout_dir);
	buf_addpath(&path, "oci-layout");
	if (fs_write_atomic(path.data, layout, sizeof layout - 1, err))
		goto out;
	buf_setstr(&path, layout_dir);
	buf_addpath(&path, "index.json");
	if (fs_write_atomic(path.data, s, strlen(s), err))
		goto out;
	rc = 0;
out:
	free(s);
	json_decref(index);
	buf_free(&path);
	return rc;
}

int oci_pull_layout(reg_t *reg, const oci_ref_t *ref, const char *os, const char *arch,
		    const char *cache_dir, const char *layout_dir, buf_t *manifest_digest,
		    err_t *err)
{
	pull_t pl = {.reg = reg, .ref = ref};
	buf_t body = BUF_INIT, mt = BUF_INIT;
	json_t *doc = NULL;
	int rc = -1;
	buf_setstr(&pl.cache_blobs, cache_dir);
	buf_addpath(&pl.cache_blobs, "images/blobs/sha256");
	buf_setstr(&pl.layout_blobs, layout_dir);
	buf_addpath(&pl.layout_blobs, "blobs/sha256");
	oci_seen_path(cache_dir, ref->registry, &pl.seen);
	if (fs_mkdir_p(pl.cache_blobs.data, err) || fs_mkdir_p(pl.layout_blobs.data, err))
		goto out;
	reg_add_scope(reg, ref->repository, "pull");
	if (reg_manifest_get(reg, ref->repository, ref->digest ? ref->digest : ref->tag, &body, &mt,
			     manifest_digest, err))
		goto out;
	for (int depth = 0;; depth++) {
		json_decref(doc);
		doc = json_loadb(body.data, body.len, 0, NULL);
		const char *type = reg_manifest_type(doc, mt.data);
		if (!json_is_object(doc)) {
			err_set(err, "base image %s/%s: manifest %s is not JSON", ref->registry, ref->repository,
				manifest_digest->data);
			goto out;
		}
		if (!reg_type_is_index(type) || depth > 0)
			break;
		json_t *d = pick_platform(&pl, doc, os, arch, err);
		const char *child = d ? json_string_value(json_object_get(d, "digest")) : NULL;
		if (!child || !oci_ref_is_digest(child)) {
			if (d)
				err_set(err, "base image %s/%s: index entry without a sha256 digest", ref->registry,
					ref->repository);
			goto out;
		}
		char *c = strdup(child);
		int grc = reg_manifest_get(reg, ref->repository, c, &body, &mt, manifest_digest, err);
		free(c);
		if (grc)
			goto out;
	}
	const char *type = reg_manifest_type(doc, mt.data);
	if (!type || reg_type_is_index(type)) {
		err_set(err, "base image %s/%s: unsupported manifest type '%s' (need an OCI or Docker schema 2 image)",
			ref->registry, ref->repository, claimed_type(doc, mt.data));
		goto out;
	}
	if (get_blob(&pl, json_object_get(doc, "config"), err))
		goto out;
	json_t *layers = json_object_get(doc, "layers");
	for (size_t i = 0; i < json_array_size(layers); i++)
		if (get_blob(&pl, json_array_get(layers, i), err))
			goto out;
	if (write_layout(&pl, layout_dir, &body, type, manifest_digest->data, err))
		goto out;
	rc = 0;
out:
	json_decref(doc);
	buf_free(&body);
	buf_free(&mt);
	buf_free(&pl.cache_blobs);
	buf_free(&pl.layout_blobs);
	buf_free(&pl.seen);
	return rc;
}
