/* layout.c — OCI image layouts on disk (see layout.h). index.json is held as its JSON array
 * of entries, so entries another tool wrote keep their other fields when a tag is added, plus
 * checked views of them (oci_desc_t). Blobs are content-addressed: a blob already present at
 * its name with the right size is not written again, and linking one in never writes through
 * an existing file (it is replaced by rename or a fresh link). */
#include "layout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "layout_int.h"
#include "referrers.h" /* issue 15: only_image */
#include "xalloc.h"

#define IMPORT_DEPTH_MAX 4 /* index -> manifest is 2; nothing imgbuild reads nests deeper */

struct oci_layout {
	char *dir;
	buf_t blobs;       /* dir/blobs/sha256 */
	json_t *manifests; /* index.json's "manifests" */
	oci_desc_t *views; /* one per entry, borrowing manifests' strings */
	size_t n_views;
};

static const char layout_file[] = OCI_LAYOUT_FILE;

int oci_blob_path(const char *blobs_dir, const char *digest, buf_t *out, err_t *err)
{
	const char *hex = digest_oci_hex(digest);
	if (!hex)
		return err_set(err,
			       "%s: unsupported digest '%s' (only sha256:<64 hex> names a blob)",
			       blobs_dir, digest ? digest : "(none)");
	buf_setstr(out, blobs_dir);
	buf_addpath(out, hex);
	return 0;
}

int oci_layout_blob_path(const oci_layout_t *l, const char *digest, buf_t *out, err_t *err)
{
	return oci_blob_path(l->blobs.data, digest, out, err);
}

/* Rebuilds the views after the entries changed. */
static int refresh(oci_layout_t *l, const char *where, err_t *err)
{
	buf_t what = BUF_INIT;
	int rc = 0;
	free(l->views);
	l->n_views = json_array_size(l->manifests);
	l->views = xcalloc(l->n_views, sizeof *l->views);
	for (size_t i = 0; i < l->n_views && rc == 0; i++) {
		buf_reset(&what);
		buf_addf(&what, "index.json entry %zu", i);
		rc = oci_desc_from_json(json_array_get(l->manifests, i), &l->views[i], where,
					what.data, err);
	}
	buf_free(&what);
	return rc;
}

static oci_layout_t *layout_new(const char *dir)
{
	oci_layout_t *l = xcalloc(1, sizeof *l);
	l->dir = xstrdup(dir);
	buf_setstr(&l->blobs, dir);
	buf_addpath(&l->blobs, "blobs/sha256");
	return l;
}

void oci_layout_ref_split(const char *s, buf_t *dir, buf_t *ref_name)
{
	const char *colon = strrchr(s, ':');
	buf_reset(ref_name);
	if (colon && !strchr(colon, '/')) {
		buf_setstr(ref_name, colon + 1);
		buf_reset(dir);
		buf_add(dir, s, (size_t)(colon - s));
	} else {
		buf_setstr(dir, s);
	}
}

int oci_layout_is_layout(const char *dir)
{
	buf_t p = BUF_INIT;
	buf_setstr(&p, dir);
	buf_addpath(&p, "oci-layout");
	int yes = fs_exists(p.data);
	buf_free(&p);
	return yes;
}

oci_layout_t *oci_layout_open(const char *dir, err_t *err)
{
	oci_layout_t *l = layout_new(dir);
	buf_t path = BUF_INIT, data = BUF_INIT;
	err_t why = ERR_INIT;
	json_t *index = NULL;
	json_error_t je;
	int rc = -1;
	buf_setstr(&path, dir);
	buf_addpath(&path, "index.json");
	if (buf_read_file(&data, path.data, OCI_JSON_MAX_BYTES, &why)) {
		err_set(err, "%s: no readable index.json (%s): is it an OCI image layout?", dir,
			err_msg(&why));
		goto out;
	}
	index = json_loadb(buf_cstr(&data), data.len, 0, &je);
	l->manifests = json_incref(json_object_get(index, "manifests"));
	if (!json_is_array(l->manifests)) {
		err_set(err, "%s: %s: is it an OCI image layout?", path.data,
			index ? "no \"manifests\" list" : je.text);
		goto out;
	}
	rc = refresh(l, path.data, err);
out:
	json_decref(index);
	err_clear(&why);
	buf_free(&path);
	buf_free(&data);
	if (rc) {
		oci_layout_free(l);
		return NULL;
	}
	return l;
}

oci_layout_t *oci_layout_create(const char *dir, err_t *err)
{
	oci_layout_t *l = layout_new(dir);
	if (fs_mkdir_p(l->blobs.data, err)) {
		oci_layout_free(l);
		return NULL;
	}
	l->manifests = json_array();
	return l;
}

void oci_layout_free(oci_layout_t *l)
{
	if (!l)
		return;
	free(l->dir);
	buf_free(&l->blobs);
	json_decref(l->manifests);
	free(l->views);
	free(l);
}

const char *oci_layout_dir(const oci_layout_t *l)
{
	return l->dir;
}

const char *oci_layout_blobs_dir(const oci_layout_t *l)
{
	return l->blobs.data;
}

/* ---- blobs -------------------------------------------------------------------------- */

int oci_layout_write_blob(oci_layout_t *l, const void *data, size_t len,
			  char digest[DIGEST_OCI_MAX], err_t *err)
{
	char hex[DIGEST_HEX_MAX];
	buf_t path = BUF_INIT;
	digest_buf_hex(DIGEST_SHA256, data, len, hex);
	buf_setstr(&path, l->blobs.data);
	buf_addpath(&path, hex);
	int rc = fs_write_atomic(path.data, data, len, err);
	if (rc == 0)
		digest_oci_from_hex(hex, digest);
	buf_free(&path);
	return rc;
}

static int check_size(const oci_layout_t *l, const oci_desc_t *d, long long have, err_t *err)
{
	if (have == d->size)
		return 0;
	return err_set(err, "%s: blob %s has %lld bytes, its descriptor says %lld", l->dir,
		       d->digest, have, d->size);
}

static int check_hex(const oci_layout_t *l, const oci_desc_t *d, const char *got, err_t *err)
{
	if (!strcmp(got, digest_oci_hex(d->digest)))
		return 0;
	return err_set(err, "%s: blob %s is corrupt (its content hashes to sha256:%s)", l->dir,
		       d->digest, got);
}

int oci_layout_verify_blob(const oci_layout_t *l, const oci_desc_t *d, err_t *err)
{
	buf_t path = BUF_INIT;
	char got[DIGEST_HEX_MAX];
	struct stat st;
	int rc = -1;
	if (oci_layout_blob_path(l, d->digest, &path, err))
		goto out;
	if (stat(path.data, &st) != 0) {
		err_set(err, "%s: blob %s is missing: %s", l->dir, d->digest, strerror(errno));
		goto out;
	}
	if (check_size(l, d, (long long)st.st_size, err) ||
	    digest_file_hex(DIGEST_SHA256, path.data, got, err) || check_hex(l, d, got, err))
		goto out;
	rc = 0;
out:
	buf_free(&path);
	return rc;
}

int oci_layout_read_blob(const oci_layout_t *l, const oci_desc_t *d, size_t max_bytes, buf_t *out,
			 err_t *err)
{
	buf_t path = BUF_INIT;
	char got[DIGEST_HEX_MAX];
	int rc = -1;
	if (oci_layout_blob_path(l, d->digest, &path, err))
		goto out;
	if (d->size > (long long)max_bytes) {
		err_set(err, "%s: blob %s is %lld bytes, more than the %zu allowed for it", l->dir,
			d->digest, d->size, max_bytes);
		goto out;
	}
	buf_reset(out);
	if (buf_read_file(out, path.data, max_bytes, err)) {
		err_prefix(err, "%s: blob %s", l->dir, d->digest);
		goto out;
	}
	if (check_size(l, d, (long long)out->len, err))
		goto out;
	digest_buf_hex(DIGEST_SHA256, out->data, out->len, got);
	rc = check_hex(l, d, got, err);
out:
	buf_free(&path);
	return rc;
}

int oci_layout_link_blob(oci_layout_t *l, const char *src, const oci_desc_t *d, err_t *err)
{
	buf_t dst = BUF_INIT;
	struct stat st;
	int rc = -1;
	if (oci_layout_blob_path(l, d->digest, &dst, err))
		goto out;
	if (stat(src, &st) != 0 || !S_ISREG(st.st_mode) || (long long)st.st_size != d->size) {
		err_set(err, "%s: blob %s is missing or not %lld bytes", src, d->digest, d->size);
		goto out;
	}
	if (!strcmp(src, dst.data) ||
	    (stat(dst.data, &st) == 0 && (long long)st.st_size == d->size)) {
		rc = 0; /* content-addressed: the same name holds the same bytes */
		goto out;
	}
	unlink(dst.data);
	if (link(src, dst.data) != 0 && fs_copy_file(src, dst.data, err))
		goto out;
	rc = 0;
out:
	buf_free(&dst);
	return rc;
}

static int link_from(oci_layout_t *to, const oci_layout_t *from, const oci_desc_t *d, err_t *err)
{
	buf_t src = BUF_INIT;
	int rc = oci_layout_blob_path(from, d->digest, &src, err);
	if (rc == 0)
		rc = oci_layout_link_blob(to, src.data, d, err);
	buf_free(&src);
	return rc;
}

/* A layer of from, linked into to; with absent_ok a layer from lacks is skipped. */
static int link_layer(oci_layout_t *to, const oci_layout_t *from, const oci_desc_t *d,
		      int absent_ok, err_t *err)
{
	buf_t src = BUF_INIT;
	int rc = oci_layout_blob_path(from, d->digest, &src, err);
	if (rc == 0 && !(absent_ok && !fs_exists(src.data)))
		rc = oci_layout_link_blob(to, src.data, d, err);
	buf_free(&src);
	return rc;
}

static int import_at(oci_layout_t *to, const oci_layout_t *from, const oci_desc_t *d, int absent_ok,
		     int depth, err_t *err)
{
	oci_manifest_t *m = NULL;
	int rc = -1;
	if (depth > IMPORT_DEPTH_MAX) {
		err_set(err, "%s: manifest %s: image indexes nested too deeply", from->dir,
			d->digest);
		goto out;
	}
	if (oci_layout_read_manifest(from, d, &m, err) || link_from(to, from, d, err))
		goto out;
	if (!oci_manifest_is_index(m) && link_from(to, from, oci_manifest_config(m), err))
		goto out;
	for (size_t i = 0; i < oci_manifest_count(m); i++) {
		const oci_desc_t *e = oci_manifest_entry(m, i);
		if (oci_manifest_is_index(m) ? import_at(to, from, e, absent_ok, depth + 1, err)
					     : link_layer(to, from, e, absent_ok, err))
			goto out;
	}
	rc = 0;
out:
	oci_manifest_free(m);
	return rc;
}

int oci_layout_import(oci_layout_t *to, const oci_layout_t *from, const oci_desc_t *d,
		      int absent_ok, err_t *err)
{
	return import_at(to, from, d, absent_ok, 0, err);
}

int oci_layout_read_manifest(const oci_layout_t *l, const oci_desc_t *d, oci_manifest_t **out,
			     err_t *err)
{
	buf_t raw = BUF_INIT, where = BUF_INIT;
	*out = NULL;
	if (oci_layout_read_blob(l, d, OCI_JSON_MAX_BYTES, &raw, err) == 0) {
		buf_addf(&where, "%s: manifest %s", l->dir, d->digest);
		*out = oci_manifest_parse(raw.data, raw.len, d->media_type, where.data, err);
	}
	buf_free(&raw);
	buf_free(&where);
	return *out ? 0 : -1;
}

/* ---- index.json ----------------------------------------------------------------------- */

size_t oci_layout_count(const oci_layout_t *l)
{
	return l->n_views;
}

const oci_desc_t *oci_layout_entry(const oci_layout_t *l, size_t i)
{
	return i < l->n_views ? &l->views[i] : NULL;
}

/* The entry named ref_name (NULL: the first untagged one), or -1. */
static long entry_named(const oci_layout_t *l, const char *ref_name)
{
	for (size_t i = 0; i < l->n_views; i++) {
		const char *name = l->views[i].ref_name;
		if (ref_name ? name && !strcmp(name, ref_name) : !name)
			return (long)i;
	}
	return -1;
}

static void tag_list(const oci_layout_t *l, buf_t *out)
{
	for (size_t i = 0; i < l->n_views; i++)
		if (l->views[i].ref_name)
			buf_addf(out, "%s%s", out->len ? ", " : "", l->views[i].ref_name);
	if (!out->len)
		buf_addstr(out, "none");
}

/* issue 15: the one entry that is not a referrers index (sha256-<hex>, referrers.h), or -1 */
static long only_image(const oci_layout_t *l)
{
	long at = -1;
	for (size_t i = 0; i < l->n_views; i++) {
		if (oci_is_referrers_tag(l->views[i].ref_name))
			continue;
		if (at >= 0)
			return -1;
		at = (long)i;
	}
	return at;
}

const oci_desc_t *oci_layout_find(const oci_layout_t *l, const char *ref_name, err_t *err)
{
	buf_t tags = BUF_INIT;
	long at = ref_name ? entry_named(l, ref_name) : only_image(l);
	if (at >= 0)
		return &l->views[at];
	tag_list(l, &tags);
	if (ref_name)
		err_set(err,
			"%s: no image tagged %s: index.json has no manifest tagged '%s' (tags: %s)",
			l->dir, ref_name, ref_name, tags.data);
	else if (l->n_views == 0)
		err_set(err, "%s/index.json lists no image", l->dir);
	else
		err_set(err, "%s/index.json holds %zu images: name one by its tag (tags: %s)",
			l->dir, l->n_views, tags.data);
	buf_free(&tags);
	return NULL;
}

int oci_layout_find_image(const oci_layout_t *l, const char *ref_name, const char *os,
			  const char *arch, oci_manifest_t **out, err_t *err)
{
	const oci_desc_t *d = oci_layout_find(l, ref_name, err);
	oci_manifest_t *index = NULL;
	*out = NULL;
	if (!d || oci_layout_read_manifest(l, d, out, err))
		return -1;
	if (!oci_manifest_is_index(*out))
		return 0;
	index = *out;
	*out = NULL;
	d = oci_manifest_platform(index, os, arch, err);
	if (d && oci_layout_read_manifest(l, d, out, err) == 0 && oci_manifest_is_index(*out)) {
		err_set(err, "%s: the %s/%s entry of its image index is another index", l->dir, os,
			arch);
		oci_manifest_free(*out);
		*out = NULL;
	}
	oci_manifest_free(index);
	return *out ? 0 : -1;
}

int oci_layout_set_ref(oci_layout_t *l, const oci_desc_t *d, const char *ref_name, err_t *err)
{
	if (!digest_oci_hex(d->digest))
		return err_set(err, "%s: cannot tag the unsupported digest '%s'", l->dir,
			       d->digest ? d->digest : "(none)");
	oci_desc_t e = *d;
	e.ref_name = ref_name;
	json_t *j = oci_desc_to_json(&e);
	long at = entry_named(l, ref_name);
	if (at >= 0)
		json_array_set_new(l->manifests, (size_t)at, j);
	else
		json_array_append_new(l->manifests, j);
	return refresh(l, l->dir, err);
}

int oci_layout_set_refs(oci_layout_t *l, const oci_desc_t *d, const char *const *tags,
			size_t n_tags, err_t *err)
{
	if (n_tags == 0)
		return oci_layout_set_ref(l, d, NULL, err);
	for (size_t i = 0; i < n_tags; i++)
		if (oci_layout_set_ref(l, d, tags[i], err))
			return -1;
	return 0;
}

/* Builds keep_refs' entry list; used[j] marks l's entries already placed. */
static int merge_entries(oci_layout_t *l, const oci_layout_t *old, json_t *merged,
			 unsigned char *used, err_t *err)
{
	for (size_t i = 0; i < old->n_views; i++) {
		const char *name = old->views[i].ref_name;
		long at = name ? entry_named(l, name) : -1;
		if (!name || (at >= 0 && used[at]))
			continue;
		if (at >= 0) {
			json_array_append(merged, json_array_get(l->manifests, (size_t)at));
			used[at] = 1;
			continue;
		}
		if (oci_layout_import(l, old, &old->views[i], 0, err))
			return err_prefix(err, "keeping tag '%s' of %s", name, old->dir);
		json_array_append(merged, json_array_get(old->manifests, i));
	}
	for (size_t j = 0; j < l->n_views; j++)
		if (!used[j])
			json_array_append(merged, json_array_get(l->manifests, j));
	return 0;
}

int oci_layout_keep_refs(oci_layout_t *l, const char *old_dir, err_t *err)
{
	oci_layout_t *old = NULL;
	json_t *merged = NULL;
	unsigned char *used = NULL;
	int rc = -1;
	if (!oci_layout_is_layout(old_dir))
		return 0;
	old = oci_layout_open(old_dir, err);
	if (!old) {
		err_prefix(err, "cannot keep the other tags of %s (remove it to start afresh)",
			   old_dir);
		goto out;
	}
	merged = json_array();
	used = xcalloc(l->n_views, 1);
	if (merge_entries(l, old, merged, used, err))
		goto out;
	json_decref(l->manifests);
	l->manifests = merged;
	merged = NULL;
	rc = refresh(l, l->dir, err);
out:
	json_decref(merged);
	free(used);
	oci_layout_free(old);
	return rc;
}

int oci_layout_write_index(oci_layout_t *l, err_t *err)
{
	buf_t path = BUF_INIT, index = BUF_INIT;
	int rc = -1;
	oci_index_dump_json(l->manifests, &index);
	/* oci-layout first: index.json is what readers look for, so it comes last */
	buf_setstr(&path, l->dir);
	buf_addpath(&path, "oci-layout");
	if (fs_write_atomic(path.data, layout_file, sizeof layout_file - 1, err))
		goto out;
	buf_setstr(&path, l->dir);
	buf_addpath(&path, "index.json");
	rc = fs_write_atomic(path.data, index.data, index.len, err);
out:
	buf_free(&path);
	buf_free(&index);
	return rc;
}

int oci_layout_write_image_index(oci_layout_t *l, const oci_desc_t *entries, size_t n,
				 char digest[DIGEST_OCI_MAX], long long *size, err_t *err)
{
	buf_t index = BUF_INIT;
	oci_index_dump(entries, n, &index);
	int rc = oci_layout_write_blob(l, index.data, index.len, digest, err);
	*size = (long long)index.len;
	buf_free(&index);
	return rc;
}
