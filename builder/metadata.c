/* metadata.c — the --metadata-file document (see metadata.h). The buildx keys are what CI
 * scripts written for `docker buildx build --metadata-file` read (`jq -r
 * '."containerimage.digest"'`); the rest is imgbuild's own. Keys are sorted on output (jansson
 * JSON_SORT_KEYS), so the same build writes the same bytes. */
#include "metadata.h"

#include <jansson.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "layout.h"
#include "ref.h"
#include "xalloc.h"

/* The config digest of platform manifest digest/size in l (caller frees), or NULL. */
static char *config_digest(const oci_layout_t *l, const char *digest, long long size, err_t *err)
{
	oci_desc_t d = {.media_type = OCI_MT_MANIFEST, .digest = digest, .size = size};
	oci_manifest_t *m = NULL;
	char *out = NULL;
	if (oci_layout_read_manifest(l, &d, &m, err) == 0 && oci_manifest_config(m))
		out = xstrdup(oci_manifest_config(m)->digest);
	oci_manifest_free(m);
	return out;
}

const char *metadata_layer_source(const build_layer_info_t *l)
{
	return l->is_generated       ? "generated"
	       : l->is_from_registry ? "registry-cache"
	       : l->is_cached        ? "layer-cache"
				     : "built";
}

static json_t *layers_json(const build_result_t *b)
{
	json_t *layers = json_array();
	for (size_t l = 0; l < b->n_layers; l++)
		json_array_append_new(layers,
				      json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s}", "group",
						b->layers[l].group, "packages",
						(json_int_t)b->layers[l].n_packages, "size",
						(json_int_t)b->layers[l].desc.size, "digest",
						b->layers[l].desc.digest, "diffID",
						b->layers[l].desc.diff_id, "mediaType",
						b->layers[l].desc.media_type, "source",
						metadata_layer_source(&b->layers[l])));
	return layers;
}

/* issue 14 part 4: "layersBuilt" / "layersReused" over every platform, so CI can check that
 * an assembling build built nothing (docs/distributed-builds.md). */
static void add_layer_counts(json_t *doc, const publish_result_t *res)
{
	json_int_t built = 0, reused = 0;
	for (size_t i = 0; i < res->n_builds; i++)
		for (size_t l = 0; l < res->builds[i].n_layers; l++) {
			if (res->builds[i].layers[l].is_generated)
				continue;
			built += !res->builds[i].layers[l].is_cached;
			reused += res->builds[i].layers[l].is_cached != 0;
		}
	json_object_set_new(doc, "layersBuilt", json_integer(built));
	json_object_set_new(doc, "layersReused", json_integer(reused));
}

/* "platforms": per build its manifest, config and layers. */
static json_t *platforms_json(const oci_layout_t *l, const publish_result_t *res, err_t *err)
{
	json_t *plats = json_array();
	for (size_t i = 0; i < res->n_builds; i++) {
		const build_result_t *b = &res->builds[i];
		char *cfg = config_digest(l, b->manifest_digest, b->manifest_size, err);
		if (!cfg) {
			json_decref(plats);
			return NULL;
		}
		json_array_append_new(plats,
				      json_pack("{s:s, s:s, s:I, s:s, s:o}", "platform",
						res->platforms[i], "digest", b->manifest_digest,
						"size", (json_int_t)b->manifest_size,
						"configDigest", cfg, "layers", layers_json(b)));
		free(cfg);
	}
	return plats;
}

/* The names buildx writes into image.name: every -t, comma-separated; a registry
 * reference as Docker normalises it (docker.io/library/...), a local name as written. */
static json_t *image_names(const publish_opts_t *po)
{
	buf_t names = BUF_INIT;
	for (size_t i = 0; i < po->n_refs; i++) {
		oci_ref_t r = OCI_REF_INIT;
		err_t ignored = ERR_INIT;
		if (names.len)
			buf_addch(&names, ',');
		if (oci_ref_names_registry(po->refs[i]) &&
		    !oci_ref_parse(po->refs[i], &r, &ignored))
			buf_addf(&names, "%s/%s:%s", r.registry, r.repository, r.tag);
		else
			buf_addstr(&names, po->refs[i]);
		oci_ref_clear(&r);
		err_clear(&ignored);
	}
	json_t *v = json_string(names.len ? names.data : "");
	buf_free(&names);
	return v;
}

/* The size of the top image's document: a platform manifest's is known, an index's is its
 * blob's. */
static long long top_size(const oci_layout_t *l, const publish_result_t *res)
{
	buf_t path = BUF_INIT;
	err_t ignored = ERR_INIT;
	struct stat st;
	long long size = -1;
	if (res->n_builds == 1)
		size = res->builds[0].manifest_size;
	else if (oci_layout_blob_path(l, res->digest, &path, &ignored) == 0 &&
		 stat(path.data, &st) == 0)
		size = (long long)st.st_size;
	buf_free(&path);
	err_clear(&ignored);
	return size;
}

static json_t *tags_json(const publish_opts_t *po, const publish_result_t *res)
{
	json_t *tags = json_array();
	for (size_t i = 0; i < (res->n_pushed ? res->n_pushed : po->n_refs); i++)
		json_array_append_new(tags,
				      json_string(res->n_pushed ? res->pushed[i] : po->refs[i]));
	return tags;
}

static json_t *document(const publish_opts_t *po, const oci_layout_t *l,
			const publish_result_t *res, err_t *err)
{
	json_t *plats = platforms_json(l, res, err);
	if (!plats)
		return NULL;
	json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", res->media_type, "digest",
				 res->digest, "size", (json_int_t)top_size(l, res));
	if (res->n_builds == 1) /* buildx: the platform's os/architecture on a single image */
		json_object_set_new(desc, "platform",
				    json_pack("{s:s, s:s}", "os", "linux", "architecture",
					      strchr(res->platforms[0], '/') + 1));
	json_t *doc = json_pack("{s:s, s:o, s:s, s:o, s:s, s:o, s:O, s:O}", "containerimage.digest",
				res->digest, "containerimage.descriptor", desc, "digest",
				res->digest, "image.name", image_names(po), "mediaType",
				res->media_type, "tags", tags_json(po, res), "platforms", plats,
				"layers", json_object_get(json_array_get(plats, 0), "layers"));
	/* buildx writes the config digest for a single-platform image only */
	if (res->n_builds == 1)
		json_object_set(doc, "containerimage.config.digest",
				json_object_get(json_array_get(plats, 0), "configDigest"));
	json_decref(plats);
	add_layer_counts(doc, res);
	return doc;
}

int metadata_write(const publish_opts_t *po, const char *layout_dir, const publish_result_t *res,
		   err_t *err)
{
	oci_layout_t *l = oci_layout_open(layout_dir, err);
	json_t *doc = l ? document(po, l, res, err) : NULL;
	char *s = doc ? json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
	int rc = s ? fs_write_atomic(po->metadata_file, s, strlen(s), err) : -1;
	if (rc)
		err_prefix(err, "--metadata-file %s", po->metadata_file);
	free(s);
	json_decref(doc);
	oci_layout_free(l);
	return rc;
}
