/* referrers.c — artifact manifests with a subject, kept in layouts and pushed to registries
 * by the referrers tag schema (see referrers.h). The tag is written even where a registry
 * might index subjects itself: the API is asked first, and only a registry that does not
 * answer it (404, as Debian's docker-registry) gets the `sha256-<hex>` index, merged with
 * whatever that tag already lists so other tools' artifacts are kept. */
#include "referrers.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "push.h"
#include "reg.h"
#include "xalloc.h"

int oci_referrers_tag(const char *subject_digest, buf_t *out, err_t *err)
{
	const char *hex = digest_oci_hex(subject_digest);
	if (!hex)
		return err_set(err, "referrers of '%s': not a sha256:<64 hex> digest",
			       subject_digest ? subject_digest : "(none)");
	buf_setstr(out, "sha256-");
	buf_addstr(out, hex);
	return 0;
}

int oci_is_referrers_tag(const char *ref_name)
{
	return ref_name && !strncmp(ref_name, "sha256-", 7) && digest_is_hex(ref_name + 7, 64);
}

static json_t *desc_json(const oci_desc_t *d)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type, "digest", d->digest, "size",
			 (json_int_t)d->size);
}

static void dump_into(json_t *doc, buf_t *out)
{
	/* docs/layer-format.md "Image JSON": sorted keys, no whitespace */
	char *s = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
	if (!s)
		abort();
	buf_setstr(out, s);
	free(s);
}

static int lists_digest(json_t *list, const char *digest)
{
	size_t i;
	json_t *e;
	json_array_foreach (list, i, e) {
		const char *have = json_string_value(json_object_get(e, "digest"));
		if (have && !strcmp(have, digest))
			return 1;
	}
	return 0;
}

int oci_referrers_index_add(const buf_t *old, const oci_desc_t *d, const char *artifact_type,
			    buf_t *out, err_t *err)
{
	json_t *doc = old->len ? json_loadb(old->data, old->len, 0, NULL) : NULL;
	json_t *list, *e;
	int rc = -1;
	if (!old->len)
		doc = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", OCI_MT_INDEX,
				"manifests");
	list = json_object_get(doc, "manifests");
	if (!json_is_array(list)) {
		err_set(err, "referrers index for %s: not an image index (no \"manifests\" list)",
			d->digest);
		goto out;
	}
	if (!lists_digest(list, d->digest)) {
		e = desc_json(d);
		json_object_set_new(e, "artifactType", json_string(artifact_type));
		json_array_append_new(list, e);
	}
	dump_into(doc, out);
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

/* The artifact manifest: empty config, one layer per part, subject = the image. */
static void artifact_manifest(const char *artifact_type, const oci_desc_t *subject,
			      const oci_artifact_part_t *parts, char (*digests)[DIGEST_OCI_MAX],
			      size_t n, buf_t *out)
{
	oci_desc_t empty = {.media_type = OCI_MT_EMPTY, .digest = OCI_EMPTY_DIGEST, .size = 2};
	oci_desc_t subj = {.media_type =
				   subject->media_type ? subject->media_type : OCI_MT_MANIFEST,
			   .digest = subject->digest,
			   .size = subject->size};
	json_t *layers = json_array();
	for (size_t i = 0; i < n; i++) {
		oci_desc_t d = {.media_type = parts[i].media_type,
				.digest = digests[i],
				.size = (long long)parts[i].len};
		json_t *l = desc_json(&d);
		if (parts[i].ann_key)
			json_object_set_new(
				l, "annotations",
				json_pack("{s:s}", parts[i].ann_key, parts[i].ann_value));
		json_array_append_new(layers, l);
	}
	json_t *doc = json_pack("{s:i, s:s, s:s, s:o, s:o, s:o}", "schemaVersion", 2, "mediaType",
				OCI_MT_MANIFEST, "artifactType", artifact_type, "config",
				desc_json(&empty), "layers", layers, "subject", desc_json(&subj));
	dump_into(doc, out);
	json_decref(doc);
}

/* l's entry tagged tag, or NULL (not an error: no referrers yet). Borrowed. */
static const oci_desc_t *layout_entry_named(const oci_layout_t *l, const char *tag)
{
	for (size_t i = 0; i < oci_layout_count(l); i++) {
		const oci_desc_t *e = oci_layout_entry(l, i);
		if (e->ref_name && !strcmp(e->ref_name, tag))
			return e;
	}
	return NULL;
}

/* Adds manifest d to l's referrers index for subject (tag). */
static int layout_index_add(oci_layout_t *l, const char *tag, const oci_desc_t *d,
			    const char *artifact_type, err_t *err)
{
	const oci_desc_t *cur = layout_entry_named(l, tag);
	buf_t old = BUF_INIT, idx = BUF_INIT;
	char digest[DIGEST_OCI_MAX];
	int rc = -1;
	if (cur && oci_layout_read_blob(l, cur, OCI_JSON_MAX_BYTES, &old, err))
		goto out;
	if (oci_referrers_index_add(&old, d, artifact_type, &idx, err) ||
	    oci_layout_write_blob(l, idx.data, idx.len, digest, err))
		goto out;
	oci_desc_t top = {.media_type = OCI_MT_INDEX, .digest = digest, .size = (long long)idx.len};
	rc = oci_layout_set_ref(l, &top, tag, err);
out:
	buf_free(&old);
	buf_free(&idx);
	return rc;
}

int oci_referrers_attach(oci_layout_t *l, const oci_desc_t *subject, const char *artifact_type,
			 const oci_artifact_part_t *parts, size_t n_parts,
			 char digest[DIGEST_OCI_MAX], err_t *err)
{
	char(*digests)[DIGEST_OCI_MAX] = xcalloc(n_parts ? n_parts : 1, sizeof *digests);
	char empty[DIGEST_OCI_MAX];
	buf_t tag = BUF_INIT, m = BUF_INIT;
	int rc = -1;
	if (oci_referrers_tag(subject->digest, &tag, err) ||
	    oci_layout_write_blob(l, OCI_EMPTY_JSON, 2, empty, err))
		goto out;
	for (size_t i = 0; i < n_parts; i++)
		if (oci_layout_write_blob(l, parts[i].data, parts[i].len, digests[i], err))
			goto out;
	artifact_manifest(artifact_type, subject, parts, digests, n_parts, &m);
	if (oci_layout_write_blob(l, m.data, m.len, digest, err))
		goto out;
	oci_desc_t d = {.media_type = OCI_MT_MANIFEST, .digest = digest, .size = (long long)m.len};
	rc = layout_index_add(l, tag.data, &d, artifact_type, err);
out:
	if (rc)
		err_prefix(err, "attaching %s to %s", artifact_type, subject->digest);
	free(digests);
	buf_free(&tag);
	buf_free(&m);
	return rc;
}

/* Merges every entry of the local referrers index into the registry's index under tag. */
static int push_tag_index(reg_t *reg, const char *repo, const char *tag,
			  const oci_manifest_t *local, err_t *err)
{
	buf_t remote = BUF_INIT, merged = BUF_INIT, mt = BUF_INIT, digest = BUF_INIT;
	json_t *doc = NULL, *e;
	int found = 0;
	size_t i;
	int rc = -1;
	size_t len = 0;
	const void *raw = oci_manifest_bytes(local, &len);
	/* the registry's index for the tag, checked against its Docker-Content-Digest like any
	 * manifest: a tampered one is refused, not merged and re-pushed */
	if (reg_manifest_get_optional(reg, repo, tag, &remote, &mt, &digest, &found, err))
		goto out;
	if (!(doc = json_loadb(raw, len, 0, NULL)))
		goto out;
	json_array_foreach (json_object_get(doc, "manifests"), i, e) {
		oci_desc_t d = {.media_type = json_string_value(json_object_get(e, "mediaType")),
				.digest = json_string_value(json_object_get(e, "digest")),
				.size = json_integer_value(json_object_get(e, "size"))};
		const char *at = json_string_value(json_object_get(e, "artifactType"));
		if (oci_referrers_index_add(&remote, &d, at ? at : "", &merged, err))
			goto out;
		buf_setstr(&remote, merged.data);
	}
	rc = reg_manifest_put(reg, repo, tag, OCI_MT_INDEX, remote.data, remote.len, err);
out:
	if (rc)
		err_prefix(err, "referrers tag %s in %s", tag, repo);
	json_decref(doc);
	buf_free(&remote);
	buf_free(&merged);
	buf_free(&mt);
	buf_free(&digest);
	return rc;
}

int oci_referrers_push(reg_t *reg, const char *layout_dir, const char *subject_digest,
		       const char *repo, const char *cache_dir, size_t *n_pushed, err_t *err)
{
	buf_t tag = BUF_INIT, body = BUF_INIT;
	oci_layout_t *l = NULL;
	oci_manifest_t *idx = NULL;
	const oci_desc_t *top;
	int has_api = 0;
	int rc = -1;
	if (n_pushed)
		*n_pushed = 0;
	if (oci_referrers_tag(subject_digest, &tag, err) || !(l = oci_layout_open(layout_dir, err)))
		goto out;
	if (!(top = layout_entry_named(l, tag.data))) {
		rc = 0;
		goto out;
	}
	/* the artifacts and their blobs, each manifest by digest (push.c's order) */
	if (oci_layout_read_manifest(l, top, &idx, err) ||
	    oci_push_layout(reg, layout_dir, tag.data, repo, NULL, 0, cache_dir, err))
		goto out;
	if (reg_referrers_get(reg, repo, subject_digest, &body, &has_api, err))
		goto out;
	/* a registry with the referrers API indexed the subjects on PUT; else the tag schema */
	if (!has_api && push_tag_index(reg, repo, tag.data, idx, err))
		goto out;
	if (n_pushed)
		*n_pushed = oci_manifest_count(idx);
	rc = 0;
out:
	oci_manifest_free(idx);
	oci_layout_free(l);
	buf_free(&tag);
	buf_free(&body);
	return rc;
}

int oci_referrers_fetch(reg_t *reg, const char *repo, const char *subject_digest, buf_t *out,
			err_t *err)
{
	buf_t tag = BUF_INIT, mt = BUF_INIT, digest = BUF_INIT;
	int found = 0, rc = -1;
	buf_reset(out);
	if (oci_referrers_tag(subject_digest, &tag, err) ||
	    reg_referrers_get(reg, repo, subject_digest, out, &found, err))
		goto out;
	/* no referrers API (docker-registry 2.8): the tag schema, its digest verified */
	if (!found &&
	    reg_manifest_get_optional(reg, repo, tag.data, out, &mt, &digest, &found, err))
		goto out;
	rc = 0;
out:
	buf_free(&tag);
	buf_free(&mt);
	buf_free(&digest);
	return rc;
}

int oci_referrers_read_layout(const oci_layout_t *l, const char *subject_digest, buf_t *out,
			      err_t *err)
{
	buf_t tag = BUF_INIT;
	const oci_desc_t *top;
	int rc = -1;
	buf_reset(out);
	if (oci_referrers_tag(subject_digest, &tag, err))
		goto out;
	top = layout_entry_named(l, tag.data);
	rc = top ? oci_layout_read_blob(l, top, OCI_JSON_MAX_BYTES, out, err) : 0;
out:
	buf_free(&tag);
	return rc;
}
