/* manifest.c — the JSON of descriptors, image manifests and image indexes (see layout.h),
 * wherever the document comes from: a layout's blob or a registry's answer. Documents are
 * parsed once into views (oci_desc_t) that borrow the jansson strings; index JSON is written
 * canonically (sorted keys, compact: docs/layer-format.md, "Image JSON"). */
#include <stdlib.h>
#include <string.h>

#include "layout_int.h"
#include "xalloc.h"

struct oci_manifest {
	buf_t raw;
	json_t *doc;
	char *where;            /* for messages */
	const char *media_type; /* static: one of the four document types */
	oci_desc_t config;
	int has_config;
	oci_desc_t *entries; /* layers, or an index's manifests */
	size_t n_entries;
};

int oci_mt_is_index(const char *mt)
{
	return mt && (!strcmp(mt, OCI_MT_INDEX) || !strcmp(mt, OCI_MT_DOCKER_LIST));
}

int oci_mt_is_manifest(const char *mt)
{
	return mt && (!strcmp(mt, OCI_MT_MANIFEST) || !strcmp(mt, OCI_MT_DOCKER_MANIFEST));
}

const char *oci_mt_layer(const char *mt)
{
	if (!mt)
		return NULL;
	if (!strcmp(mt, OCI_MT_DOCKER_LAYER_GZIP) || !strcmp(mt, OCI_MT_LAYER_GZIP))
		return OCI_MT_LAYER_GZIP;
	if (!strcmp(mt, OCI_MT_LAYER_ZSTD))
		return OCI_MT_LAYER_ZSTD;
	if (!strcmp(mt, OCI_MT_LAYER))
		return OCI_MT_LAYER;
	return NULL;
}

static const char *str_at(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int oci_desc_from_json(json_t *j, oci_desc_t *out, const char *where, const char *what, err_t *err)
{
	const char *digest = str_at(j, "digest");
	json_t *size = json_object_get(j, "size");
	memset(out, 0, sizeof *out);
	if (!json_is_object(j))
		return err_set(err, "%s: %s is not a descriptor object", where, what);
	if (!digest_oci_hex(digest))
		return err_set(err, "%s: %s has an unsupported digest '%s' (only sha256:<64 hex>)",
			       where, what, digest ? digest : "(none)");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return err_set(err, "%s: %s %s has no valid size", where, what, digest);
	out->digest = digest;
	out->size = (long long)json_integer_value(size);
	out->media_type = str_at(j, "mediaType");
	json_t *ann = json_object_get(j, "annotations");
	out->ref_name = str_at(ann, OCI_ANN_REF_NAME);
	out->image_name = str_at(ann, OCI_ANN_IMAGE_NAME);
	json_t *platform = json_object_get(j, "platform");
	out->os = str_at(platform, "os");
	out->arch = str_at(platform, "architecture");
	return 0;
}

json_t *oci_desc_to_json(const oci_desc_t *d)
{
	json_t *j =
		xcheck(json_pack("{s:s, s:I}", "digest", d->digest, "size", (json_int_t)d->size));
	if (d->media_type)
		json_object_set_new(j, "mediaType", json_string(d->media_type));
	if (d->os && d->arch)
		json_object_set_new(j, "platform",
				    json_pack("{s:s, s:s}", "architecture", d->arch, "os", d->os));
	if (d->ref_name || d->image_name) {
		json_t *ann = json_object();
		if (d->image_name)
			json_object_set_new(ann, OCI_ANN_IMAGE_NAME, json_string(d->image_name));
		if (d->ref_name)
			json_object_set_new(ann, OCI_ANN_REF_NAME, json_string(d->ref_name));
		json_object_set_new(j, "annotations", ann);
	}
	return j;
}

void oci_index_dump_json(json_t *manifests, buf_t *out)
{
	json_t *index = xcheck(json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
					 OCI_MT_INDEX, "manifests", manifests));
	char *s = xcheck(json_dumps(index, JSON_SORT_KEYS | JSON_COMPACT));
	buf_setstr(out, s);
	free(s);
	json_decref(index);
}

void oci_index_dump(const oci_desc_t *entries, size_t n, buf_t *out)
{
	json_t *manifests = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(manifests, oci_desc_to_json(&entries[i]));
	oci_index_dump_json(manifests, out);
	json_decref(manifests);
}

/* The known type named by s (a mediaType or a Content-Type with parameters), or NULL. */
static const char *known_type(const char *s)
{
	static const char *const types[] = {OCI_MT_MANIFEST, OCI_MT_INDEX, OCI_MT_DOCKER_MANIFEST,
					    OCI_MT_DOCKER_LIST};
	size_t n = s ? strcspn(s, "; ") : 0;
	for (size_t i = 0; s && i < sizeof types / sizeof *types; i++)
		if (strlen(types[i]) == n && !strncmp(s, types[i], n))
			return types[i];
	return NULL;
}

/* The document's own mediaType, else the hint, else its shape (OCI lets the field be absent). */
static const char *doc_type(json_t *doc, const char *hint, const char **claimed)
{
	const char *mt = str_at(doc, "mediaType");
	*claimed = mt ? mt : hint;
	if (mt)
		return known_type(mt);
	if (known_type(hint))
		return known_type(hint);
	if (json_is_array(json_object_get(doc, "manifests")))
		return OCI_MT_INDEX;
	if (json_object_get(doc, "config") && json_is_array(json_object_get(doc, "layers")))
		return OCI_MT_MANIFEST;
	return NULL;
}

static int parse_entries(oci_manifest_t *m, json_t *arr, const char *what, err_t *err)
{
	if (!json_is_array(arr))
		return err_set(err, "%s: no %s list", m->where, what);
	m->n_entries = json_array_size(arr);
	m->entries = xcalloc(m->n_entries ? m->n_entries : 1, sizeof *m->entries);
	for (size_t i = 0; i < m->n_entries; i++) {
		buf_t w = BUF_INIT;
		buf_addf(&w, "%s %zu", what, i);
		int rc = oci_desc_from_json(json_array_get(arr, i), &m->entries[i], m->where,
					    w.data, err);
		buf_free(&w);
		if (rc)
			return -1;
	}
	return 0;
}

oci_manifest_t *oci_manifest_parse(const void *data, size_t len, const char *type_hint,
				   const char *where, err_t *err)
{
	oci_manifest_t *m = xcalloc(1, sizeof *m);
	const char *claimed = NULL;
	json_error_t je;
	m->where = xstrdup(where);
	buf_add(&m->raw, data, len);
	m->doc = json_loadb(data ? data : "", len, 0, &je); /* an empty blob: data may be NULL */
	if (!json_is_object(m->doc)) {
		err_set(err, "%s: not a JSON object: %s (line %d)", where,
			m->doc ? "another JSON value" : je.text, je.line);
		goto fail;
	}
	m->media_type = doc_type(m->doc, type_hint, &claimed);
	if (!m->media_type) {
		err_set(err,
			"%s: unsupported manifest type '%s' (need an OCI or Docker schema 2 "
			"image manifest or index)",
			where, claimed ? claimed : "(none)");
		goto fail;
	}
	if (oci_mt_is_index(m->media_type)) {
		if (parse_entries(m, json_object_get(m->doc, "manifests"), "manifest", err))
			goto fail;
		return m;
	}
	if (oci_desc_from_json(json_object_get(m->doc, "config"), &m->config, where, "config",
			       err) ||
	    parse_entries(m, json_object_get(m->doc, "layers"), "layer", err))
		goto fail;
	m->has_config = 1;
	return m;
fail:
	oci_manifest_free(m);
	return NULL;
}

void oci_manifest_free(oci_manifest_t *m)
{
	if (!m)
		return;
	buf_free(&m->raw);
	json_decref(m->doc);
	free(m->where);
	free(m->entries);
	free(m);
}

const char *oci_manifest_media_type(const oci_manifest_t *m)
{
	return m->media_type;
}

int oci_manifest_is_index(const oci_manifest_t *m)
{
	return oci_mt_is_index(m->media_type);
}

const void *oci_manifest_bytes(const oci_manifest_t *m, size_t *len)
{
	*len = m->raw.len;
	return m->raw.data;
}

const oci_desc_t *oci_manifest_config(const oci_manifest_t *m)
{
	return m->has_config ? &m->config : NULL;
}

size_t oci_manifest_count(const oci_manifest_t *m)
{
	return m->n_entries;
}

const oci_desc_t *oci_manifest_entry(const oci_manifest_t *m, size_t i)
{
	return i < m->n_entries ? &m->entries[i] : NULL;
}

const oci_desc_t *oci_manifest_platform(const oci_manifest_t *m, const char *os, const char *arch,
					err_t *err)
{
	buf_t have = BUF_INIT;
	for (size_t i = 0; i < m->n_entries; i++) {
		const oci_desc_t *d = &m->entries[i];
		if (d->os && d->arch && !strcmp(d->os, os) && !strcmp(d->arch, arch)) {
			buf_free(&have);
			return d;
		}
		buf_addf(&have, "%s%s/%s", have.len ? ", " : "", d->os ? d->os : "?",
			 d->arch ? d->arch : "?");
	}
	err_set(err, "%s: the image index has no %s/%s image (it has: %s)", m->where, os, arch,
		have.len ? have.data : "none");
	buf_free(&have);
	return NULL;
}
