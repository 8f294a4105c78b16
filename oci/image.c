/* image.c — OCI image config and manifest (see image.h). JSON goes through jansson with
 * JSON_SORT_KEYS | JSON_COMPACT so key order and spacing never vary; the config "created" and
 * every history "created" come from oci_image_set_created only (docs/layer-format.md, "Image
 * JSON"). Blobs are stored through oci/layout.h; a base image's layer blobs are verified as
 * they are taken. */
#include "image.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base_int.h"
#include "layout.h"
#include "layout_int.h"
#include "xalloc.h"

struct oci_image {
	char *os;
	char *arch;
	json_t *layers;       /* descriptors {mediaType, digest, size} */
	json_t *diff_ids;     /* strings */
	json_t *base_history; /* verbatim from the base config */
	json_t *own_history;  /* {created_by} per added layer; "created" filled at write time */
	json_t *env;          /* "NAME=value", insertion order */
	json_t *cmd;          /* array or NULL */
	json_t *entrypoint;   /* array or NULL */
	json_t *workdir;      /* string or NULL */
	json_t *labels;       /* object */
	json_t *annotations;  /* object: the manifest's */
	json_t *base_config;  /* other keys of the base's config.config (User, ExposedPorts, ...) */
	long long created;
};

oci_image_t *oci_image_new(const char *os, const char *arch)
{
	oci_image_t *img = xcalloc(1, sizeof *img);
	img->os = xstrdup(os);
	img->arch = xstrdup(arch);
	img->layers = json_array();
	img->diff_ids = json_array();
	img->base_history = json_array();
	img->own_history = json_array();
	img->env = json_array();
	img->labels = json_object();
	img->annotations = json_object();
	img->base_config = json_object();
	if (!img->os || !img->arch || !img->layers || !img->diff_ids || !img->base_history ||
	    !img->own_history || !img->env || !img->labels || !img->annotations ||
	    !img->base_config) {
		oci_image_free(img);
		return NULL;
	}
	return img;
}

void oci_image_free(oci_image_t *img)
{
	if (!img)
		return;
	free(img->os);
	free(img->arch);
	json_decref(img->layers);
	json_decref(img->diff_ids);
	json_decref(img->base_history);
	json_decref(img->own_history);
	json_decref(img->env);
	json_decref(img->cmd);
	json_decref(img->entrypoint);
	json_decref(img->workdir);
	json_decref(img->labels);
	json_decref(img->annotations);
	json_decref(img->base_config);
	free(img);
}

static json_t *descriptor(const char *media_type, const char *digest, long long size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size",
			 (json_int_t)size);
}

void oci_image_add_layer(oci_image_t *img, const char *digest, const char *diff_id, long long size,
			 const char *media_type, const char *created_by)
{
	json_array_append_new(img->layers, descriptor(media_type, digest, size));
	json_array_append_new(img->diff_ids, json_string(diff_id));
	json_array_append_new(img->own_history,
			      json_pack("{s:s}", "created_by", created_by ? created_by : ""));
}

size_t oci_image_layer_count(const oci_image_t *img)
{
	return json_array_size(img->layers);
}

/* Index of "NAME=" in env or -1. */
static long env_find(const oci_image_t *img, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < json_array_size(img->env); i++) {
		const char *kv = json_string_value(json_array_get(img->env, i));
		if (kv && !strncmp(kv, name, n) && kv[n] == '=')
			return (long)i;
	}
	return -1;
}

void oci_image_set_env(oci_image_t *img, const char *name, const char *value)
{
	buf_t kv = BUF_INIT;
	buf_addf(&kv, "%s=%s", name, value);
	long i = env_find(img, name);
	/* Replacing keeps the variable's position, so the order depends only on the order
	 * in which names were first set (base image first). */
	if (i >= 0)
		json_array_set_new(img->env, (size_t)i, json_string(kv.data));
	else
		json_array_append_new(img->env, json_string(kv.data));
	buf_free(&kv);
}

const char *oci_image_get_env(const oci_image_t *img, const char *name)
{
	long i = env_find(img, name);
	if (i < 0)
		return NULL;
	return json_string_value(json_array_get(img->env, (size_t)i)) + strlen(name) + 1;
}

static json_t *argv_json(const char *const *argv, size_t argc)
{
	json_t *a = json_array();
	for (size_t i = 0; i < argc; i++)
		json_array_append_new(a, json_string(argv[i]));
	return a;
}

void oci_image_set_cmd(oci_image_t *img, const char *const *argv, size_t argc)
{
	json_decref(img->cmd);
	img->cmd = argv ? argv_json(argv, argc) : NULL;
}

void oci_image_set_entrypoint(oci_image_t *img, const char *const *argv, size_t argc)
{
	json_decref(img->entrypoint);
	img->entrypoint = argv ? argv_json(argv, argc) : NULL;
}

void oci_image_set_workdir(oci_image_t *img, const char *dir)
{
	json_decref(img->workdir);
	img->workdir = dir ? json_string(dir) : NULL;
}

/* User is one of the base config's keys that imgbuild otherwise carries over unchanged. */
void oci_image_set_user(oci_image_t *img, const char *user)
{
	if (user)
		json_object_set_new(img->base_config, "User", json_string(user));
	else
		json_object_del(img->base_config, "User");
}

void oci_image_set_annotation(oci_image_t *img, const char *key, const char *value)
{
	json_object_set_new(img->annotations, key, json_string(value));
}

void oci_image_set_label(oci_image_t *img, const char *key, const char *value)
{
	json_object_set_new(img->labels, key, json_string(value));
}

size_t oci_image_annotation_count(const oci_image_t *img)
{
	return json_object_size(img->annotations);
}

const char *oci_image_annotation(const oci_image_t *img, size_t i, const char **value)
{
	void *it = json_object_iter(img->annotations);
	for (; it && i > 0; i--)
		it = json_object_iter_next(img->annotations, it);
	if (!it)
		return NULL;
	*value = json_string_value(json_object_iter_value(it));
	return json_object_iter_key(it);
}

void oci_image_set_created(oci_image_t *img, long long epoch)
{
	img->created = epoch;
}

/* RFC 3339 in UTC with second precision: "1970-01-01T00:00:00Z". */
static void format_created(long long epoch, buf_t *out)
{
	time_t t = (time_t)epoch;
	struct tm tm;
	char s[64];
	gmtime_r(&t, &tm);
	strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_setstr(out, s);
}

/* ---- writing ----------------------------------------------------------------------- */

/* Dumps v canonically (sorted keys, no whitespace), stores it as a blob of l, and returns
 * "sha256:<hex>" and the size. */
static int write_json_blob(json_t *v, oci_layout_t *l, buf_t *digest, long long *size, err_t *err)
{
	char d[DIGEST_OCI_MAX];
	char *s = xcheck(json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT));
	int rc = -1;
	if (oci_layout_write_blob(l, s, strlen(s), d, err) == 0) {
		buf_setstr(digest, d);
		*size = (long long)strlen(s);
		rc = 0;
	}
	free(s);
	return rc;
}

static json_t *build_config(const oci_image_t *img)
{
	buf_t created = BUF_INIT;
	format_created(img->created, &created);
	json_t *cc = json_deep_copy(img->base_config);
	json_object_set(cc, "Env", img->env);
	if (img->cmd)
		json_object_set(cc, "Cmd", img->cmd);
	if (img->entrypoint)
		json_object_set(cc, "Entrypoint", img->entrypoint);
	if (img->workdir)
		json_object_set(cc, "WorkingDir", img->workdir);
	if (json_object_size(img->labels))
		json_object_set(cc, "Labels", img->labels);
	json_t *history = json_deep_copy(img->base_history);
	for (size_t i = 0; i < json_array_size(img->own_history); i++) {
		json_t *h = json_deep_copy(json_array_get(img->own_history, i));
		json_object_set_new(h, "created", json_string(created.data));
		json_array_append_new(history, h);
	}
	json_t *cfg =
		json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:O}, s:o}", "architecture", img->arch,
			  "os", img->os, "created", created.data, "config", cc, "rootfs", "type",
			  "layers", "diff_ids", img->diff_ids, "history", history);
	buf_free(&created);
	return cfg;
}

int oci_image_write_blobs(oci_image_t *img, oci_layout_t *l, buf_t *manifest_digest,
			  long long *manifest_size, err_t *err)
{
	buf_t cfg_digest = BUF_INIT;
	long long cfg_size = 0;
	json_t *cfg = NULL, *manifest = NULL;
	int rc = -1;
	cfg = build_config(img);
	if (!cfg) {
		err_set(err, "cannot build image config JSON");
		goto out;
	}
	if (write_json_blob(cfg, l, &cfg_digest, &cfg_size, err))
		goto out;
	manifest = json_pack(
		"{s:i, s:s, s:o, s:O}", "schemaVersion", 2, "mediaType", OCI_MT_MANIFEST, "config",
		descriptor(OCI_MT_CONFIG, cfg_digest.data, cfg_size), "layers", img->layers);
	if (!manifest) {
		err_set(err, "cannot build image manifest JSON");
		goto out;
	}
	if (json_object_size(img->annotations))
		json_object_set(manifest, "annotations", img->annotations);
	if (write_json_blob(manifest, l, manifest_digest, manifest_size, err))
		goto out;
	rc = 0;
out:
	json_decref(cfg);
	json_decref(manifest);
	buf_free(&cfg_digest);
	return rc;
}

int oci_image_write_index(oci_layout_t *l, const oci_desc_t *entries, size_t n,
			  const char *const *keys, const char *const *values, size_t n_annotations,
			  char digest[DIGEST_OCI_MAX], long long *size, err_t *err)
{
	json_t *manifests = json_array(), *ann = json_object(), *index;
	char *s;
	int rc;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(manifests, oci_desc_to_json(&entries[i]));
	for (size_t i = 0; i < n_annotations; i++)
		json_object_set_new(ann, keys[i], json_string(values[i]));
	index = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", OCI_MT_INDEX,
			  "manifests", manifests);
	if (!index)
		abort(); /* only allocation fails here: xalloc.h's policy */
	if (n_annotations)
		json_object_set(index, "annotations", ann);
	json_decref(ann);
	/* the canonical form of every JSON blob (docs/layer-format.md, "Image JSON") */
	if (!(s = json_dumps(index, JSON_SORT_KEYS | JSON_COMPACT)))
		abort();
	rc = oci_layout_write_blob(l, s, strlen(s), digest, err);
	*size = (long long)strlen(s);
	free(s);
	json_decref(index);
	return rc;
}

/* ---- base image -------------------------------------------------------------------- */

/* History entries pair with layers in order, skipping those marked empty_layer (image-spec
 * config.md; umoci stat, docker/podman history read them so). A base without history (umoci
 * --no-history, many minimal images) or with fewer entries than layers would shift ours onto
 * its layers, so one entry per uncovered base layer is added after the base's own; surplus
 * non-empty base entries are marked empty_layer. Deterministic: "created" is the base
 * config's (docs/layer-format.md, "Image JSON"). */
static void take_history(oci_image_t *img, const oci_base_t *base)
{
	json_t *history = json_object_get(base->config, "history");
	json_t *created = json_object_get(base->config, "created");
	size_t n_layers = oci_manifest_count(base->manifest), n = 0, i;
	json_t *h;
	json_array_foreach (history, i, h) {
		json_t *copy = json_deep_copy(h);
		if (!json_is_object(copy))
			continue;
		if (!json_is_true(json_object_get(copy, "empty_layer")) && n++ >= n_layers)
			json_object_set_new(copy, "empty_layer", json_true());
		json_array_append_new(img->base_history, copy);
	}
	for (; n < n_layers; n++) {
		json_t *e =
			json_pack("{s:s, s:s}", "created_by", "imgbuild: base image layer",
				  "comment", "the base image has no history entry for this layer");
		if (json_is_string(created))
			json_object_set(e, "created", created);
		json_array_append_new(img->base_history, e);
	}
}

static void take_config(oci_image_t *img, json_t *cc)
{
	const char *key;
	json_t *v;
	json_object_foreach (cc, key, v) {
		if (!strcmp(key, "Env") && json_is_array(v)) {
			for (size_t i = 0; i < json_array_size(v); i++) {
				const char *kv = json_string_value(json_array_get(v, i));
				const char *eq = kv ? strchr(kv, '=') : NULL;
				if (!eq)
					continue;
				char *name = xstrndup(kv, (size_t)(eq - kv));
				oci_image_set_env(img, name, eq + 1);
				free(name);
			}
		} else if (!strcmp(key, "Cmd")) {
			json_decref(img->cmd);
			img->cmd = json_is_array(v) ? json_incref(v) : NULL;
		} else if (!strcmp(key, "Entrypoint")) {
			json_decref(img->entrypoint);
			img->entrypoint = json_is_array(v) ? json_incref(v) : NULL;
		} else if (!strcmp(key, "WorkingDir")) {
			json_decref(img->workdir);
			img->workdir =
				json_is_string(v) && *json_string_value(v) ? json_incref(v) : NULL;
		} else if (!strcmp(key, "Labels") && json_is_object(v)) {
			json_object_update(img->labels, v);
		} else if (!json_is_null(v)) {
			json_object_set(img->base_config, key, v);
		}
	}
}

int oci_image_load_base(oci_image_t *img, const oci_base_t *base, oci_layout_t *out, err_t *err)
{
	buf_t src = BUF_INIT;
	int rc = -1;
	if (strcmp(base->os, img->os) || strcmp(base->arch, img->arch)) {
		err_set(err, "%s: base image was read for %s/%s, the image being built is %s/%s",
			base->name, base->os, base->arch, img->os, img->arch);
		goto out;
	}
	for (size_t i = 0; i < oci_manifest_count(base->manifest); i++) {
		const oci_desc_t *l = oci_manifest_entry(base->manifest, i);
		if (oci_layout_verify_blob(base->layout, l, err) ||
		    oci_layout_blob_path(base->layout, l->digest, &src, err) ||
		    oci_layout_link_blob(out, src.data, l, err))
			goto out;
		json_array_append_new(img->layers,
				      descriptor(oci_mt_layer(l->media_type), l->digest, l->size));
		json_array_append(img->diff_ids, json_array_get(base->diff_ids, i));
	}
	take_history(img, base);
	take_config(img, json_object_get(base->config, "config"));
	rc = 0;
out:
	buf_free(&src);
	return rc;
}
