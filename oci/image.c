/* image.c — OCI image config, manifest, index and layout (see image.h). JSON goes through
 * jansson with JSON_SORT_KEYS | JSON_COMPACT so key order and spacing never vary; the
 * config "created" and every history "created" come from oci_image_set_created only
 * (docs/layer-format.md, "Image JSON"). A base layout is verified blob by blob before use. */
#include "image.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"

#define OCI_JSON_MAX_BYTES (4u << 20)

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define REF_NAME "org.opencontainers.image.ref.name"

struct oci_image {
	char *os;
	char *arch;
	json_t *layers;      /* descriptors {mediaType, digest, size} */
	json_t *diff_ids;    /* strings */
	json_t *base_history; /* verbatim from the base config */
	json_t *own_history; /* {created_by} per added layer; "created" filled at write time */
	json_t *env;         /* "NAME=value", insertion order */
	json_t *cmd;         /* array or NULL */
	json_t *entrypoint;  /* array or NULL */
	json_t *workdir;     /* string or NULL */
	json_t *labels;      /* object */
	json_t *base_config; /* other keys of the base's config.config (User, ExposedPorts, ...) */
	long long created;
};

oci_image_t *oci_image_new(const char *os, const char *arch)
{
	oci_image_t *img = calloc(1, sizeof *img);
	if (!img)
		return NULL;
	img->os = strdup(os);
	img->arch = strdup(arch);
	img->layers = json_array();
	img->diff_ids = json_array();
	img->base_history = json_array();
	img->own_history = json_array();
	img->env = json_array();
	img->labels = json_object();
	img->base_config = json_object();
	if (!img->os || !img->arch || !img->layers || !img->diff_ids || !img->base_history ||
	    !img->own_history || !img->env || !img->labels || !img->base_config) {
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
	json_decref(img->base_config);
	free(img);
}

static json_t *descriptor(const char *media_type, const char *digest, long long size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size",
			 (json_int_t)size);
}

void oci_image_add_layer(oci_image_t *img, const char *digest, const char *diff_id,
			 long long size, const char *media_type, const char *created_by)
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
	img->cmd = argv_json(argv, argc);
}

void oci_image_set_entrypoint(oci_image_t *img, const char *const *argv, size_t argc)
{
	json_decref(img->entrypoint);
	img->entrypoint = argc ? argv_json(argv, argc) : NULL;
}

void oci_image_set_workdir(oci_image_t *img, const char *dir)
{
	json_decref(img->workdir);
	img->workdir = dir ? json_string(dir) : NULL;
}

void oci_image_set_label(oci_image_t *img, const char *key, const char *value)
{
	json_object_set_new(img->labels, key, json_string(value));
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

/* Dumps v canonically (sorted keys, no whitespace), stores it as blobs_dir/<hex>, and
 * returns "sha256:<hex>" and the size. */
static int write_json_blob(json_t *v, const char *blobs_dir, buf_t *digest, long long *size,
			   err_t *err)
{
	char hex[DIGEST_HEX_MAX];
	buf_t path = BUF_INIT;
	int rc = -1;
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
	if (!s) {
		err_set(err, "cannot serialise image JSON");
		goto out;
	}
	size_t len = strlen(s);
	digest_buf_hex(DIGEST_SHA256, s, len, hex);
	buf_addstr(&path, blobs_dir);
	buf_addpath(&path, hex);
	if (fs_write_atomic(path.data, s, len, err))
		goto out;
	buf_reset(digest);
	buf_addf(digest, "sha256:%s", hex);
	*size = (long long)len;
	rc = 0;
out:
	free(s);
	buf_free(&path);
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
	json_t *cfg = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:O}, s:o}", "architecture", img->arch,
				"os", img->os, "created", created.data, "config", cc, "rootfs",
				"type", "layers", "diff_ids", img->diff_ids, "history", history);
	buf_free(&created);
	return cfg;
}

int oci_image_write_blobs(oci_image_t *img, const char *blobs_dir, buf_t *manifest_digest,
			  long long *manifest_size, err_t *err)
{
	buf_t cfg_digest = BUF_INIT;
	long long cfg_size = 0;
	json_t *cfg = NULL, *manifest = NULL;
	int rc = -1;
	if (fs_mkdir_p(blobs_dir, err))
		goto out;
	cfg = build_config(img);
	if (!cfg) {
		err_set(err, "cannot build image config JSON");
		goto out;
	}
	if (write_json_blob(cfg, blobs_dir, &cfg_digest, &cfg_size, err))
		goto out;
	manifest = json_pack("{s:i, s:s, s:o, s:O}", "schemaVersion", 2, "mediaType",
			     MT_OCI_MANIFEST, "config",
			     descriptor(MT_OCI_CONFIG, cfg_digest.data, cfg_size), "layers",
			     img->layers);
	if (!manifest) {
		err_set(err, "cannot build image manifest JSON");
		goto out;
	}
	if (write_json_blob(manifest, blobs_dir, manifest_digest, manifest_size, err))
		goto out;
	rc = 0;
out:
	json_decref(cfg);
	json_decref(manifest);
	buf_free(&cfg_digest);
	return rc;
}

static int write_json_file(json_t *v, const char *dir, const char *name, err_t *err)
{
	buf_t path = BUF_INIT;
	int rc = -1;
	char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
	buf_addstr(&path, dir);
	buf_addpath(&path, name);
	if (!s)
		err_set(err, "%s: cannot serialise JSON", path.data);
	else
		rc = fs_write_atomic(path.data, s, strlen(s), err);
	free(s);
	buf_free(&path);
	return rc;
}

int oci_layout_write_index(const char *layout_dir, const char *manifest_digest,
			   long long manifest_size, const char *const *tags, size_t n_tags,
			   err_t *err)
{
	json_t *layout = json_pack("{s:s}", "imageLayoutVersion", "1.0.0");
	json_t *manifests = json_array();
	json_t *index = NULL;
	int rc = -1;
	for (size_t i = 0; i < n_tags || (i == 0 && n_tags == 0); i++) {
		json_t *d = descriptor(MT_OCI_MANIFEST, manifest_digest, manifest_size);
		if (n_tags)
			json_object_set_new(d, "annotations", json_pack("{s:s}", REF_NAME, tags[i]));
		json_array_append_new(manifests, d);
	}
	index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX,
			  "manifests", manifests);
	if (!layout || !index) {
		err_set(err, "%s: cannot build index JSON", layout_dir);
		goto out;
	}
	/* oci-layout first: index.json is the file readers look for last. */
	if (write_json_file(layout, layout_dir, "oci-layout", err) ||
	    write_json_file(index, layout_dir, "index.json", err))
		goto out;
	rc = 0;
out:
	json_decref(layout);
	json_decref(manifests);
	json_decref(index);
	return rc;
}

/* ---- base image -------------------------------------------------------------------- */

/* "sha256:<64 lower-case hex>" only: anything else could not name a file safely. */
static int digest_hex_part(const char *digest, const char **hex)
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 71)
		return -1;
	for (const char *p = digest + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return -1;
	*hex = digest + 7;
	return 0;
}

static void blob_path(const char *layout_dir, const char *hex, buf_t *out)
{
	buf_reset(out);
	buf_addstr(out, layout_dir);
	buf_addpath(out, "blobs/sha256");
	buf_addpath(out, hex);
}

/* Reads and verifies (digest and size) a JSON blob described by desc. Caller decrefs. */
static json_t *read_json_blob(const char *layout_dir, json_t *desc, err_t *err)
{
	const char *digest = json_string_value(json_object_get(desc, "digest")), *hex = NULL;
	json_t *size_j = json_object_get(desc, "size"), *v = NULL;
	buf_t path = BUF_INIT, data = BUF_INIT;
	char got[DIGEST_HEX_MAX];
	json_error_t je;
	if (digest_hex_part(digest, &hex)) {
		err_set(err, "%s: descriptor has an unsupported digest '%s' (only sha256)", layout_dir,
			digest ? digest : "(none)");
		goto out;
	}
	blob_path(layout_dir, hex, &path);
	if (buf_read_file(&data, path.data, OCI_JSON_MAX_BYTES, err))
		goto out;
	digest_buf_hex(DIGEST_SHA256, data.data, data.len, got);
	if (strcmp(got, hex) != 0) {
		err_set(err, "%s: blob %s is corrupt (its content hashes to sha256:%s)", layout_dir,
			digest, got);
		goto out;
	}
	if (!json_is_integer(size_j) || json_integer_value(size_j) != (json_int_t)data.len) {
		err_set(err, "%s: blob %s has %zu bytes, its descriptor says otherwise", layout_dir,
			digest, data.len);
		goto out;
	}
	v = json_loadb(buf_cstr(&data), data.len, 0, &je); /* an empty blob: data.data is NULL */
	if (!v)
		err_set(err, "%s: blob %s is not JSON: %s (line %d)", layout_dir, digest, je.text,
			je.line);
out:
	buf_free(&path);
	buf_free(&data);
	return v;
}

static const char *ref_name(json_t *desc)
{
	return json_string_value(json_object_get(json_object_get(desc, "annotations"), REF_NAME));
}

/* Picks the manifest descriptor for tag (or the only one) from index.json. Borrowed. */
static json_t *pick_tagged(const char *layout_dir, json_t *index, const char *tag, err_t *err)
{
	json_t *ms = json_object_get(index, "manifests");
	buf_t have = BUF_INIT;
	json_t *found = NULL;
	if (!json_is_array(ms) || json_array_size(ms) == 0) {
		err_set(err, "%s/index.json: no manifests", layout_dir);
		goto out;
	}
	if (!tag) {
		if (json_array_size(ms) != 1) {
			err_set(err, "%s/index.json holds %zu manifests: name the tag to use as base",
				layout_dir, json_array_size(ms));
			goto out;
		}
		found = json_array_get(ms, 0);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(ms); i++) {
		const char *name = ref_name(json_array_get(ms, i));
		if (name && !strcmp(name, tag)) {
			found = json_array_get(ms, i);
			goto out;
		}
		if (name)
			buf_addf(&have, "%s%s", have.len ? ", " : "", name);
	}
	err_set(err, "%s/index.json has no manifest tagged '%s' (tags: %s)", layout_dir, tag,
		have.len ? have.data : "none");
out:
	buf_free(&have);
	return found;
}

/* For an image index / manifest list, the entry for img's os/arch. Borrowed. */
static json_t *pick_platform(const oci_image_t *img, const char *layout_dir, json_t *index,
			     err_t *err)
{
	json_t *ms = json_object_get(index, "manifests");
	for (size_t i = 0; i < json_array_size(ms); i++) {
		json_t *p = json_object_get(json_array_get(ms, i), "platform");
		const char *os = json_string_value(json_object_get(p, "os"));
		const char *arch = json_string_value(json_object_get(p, "architecture"));
		if (os && arch && !strcmp(os, img->os) && !strcmp(arch, img->arch))
			return json_array_get(ms, i);
	}
	err_set(err, "%s: the base image index has no manifest for %s/%s", layout_dir, img->os,
		img->arch);
	return NULL;
}

/* Verifies a layer blob by streaming it, then hardlinks (or copies) it into blobs_dir. */
static int import_layer(const char *layout_dir, const char *digest, long long size,
			const char *blobs_dir, err_t *err)
{
	const char *hex = NULL;
	char got[DIGEST_HEX_MAX];
	buf_t src = BUF_INIT, dst = BUF_INIT;
	int rc = -1;
	if (digest_hex_part(digest, &hex)) {
		err_set(err, "%s: layer has an unsupported digest '%s' (only sha256)", layout_dir,
			digest ? digest : "(none)");
		goto out;
	}
	blob_path(layout_dir, hex, &src);
	if (digest_file_hex(DIGEST_SHA256, src.data, got, err))
		goto out;
	if (strcmp(got, hex) != 0) {
		err_set(err, "%s: layer blob %s is corrupt (its content hashes to sha256:%s)",
			layout_dir, digest, got);
		goto out;
	}
	struct stat st;
	if (stat(src.data, &st) != 0 || st.st_size != size) {
		err_set(err, "%s: layer blob %s has a size other than its descriptor's %lld",
			layout_dir, digest, size);
		goto out;
	}
	buf_addstr(&dst, blobs_dir);
	buf_addpath(&dst, hex);
	if (link(src.data, dst.data) != 0 && errno != EEXIST &&
	    fs_copy_file(src.data, dst.data, err))
		goto out;
	rc = 0;
out:
	buf_free(&src);
	buf_free(&dst);
	return rc;
}

/* The OCI media type for a base layer (Docker's gzip type is the same bytes). */
static const char *layer_media_type(const char *mt)
{
	if (!mt)
		return NULL;
	if (!strcmp(mt, MT_DOCKER_LAYER_GZIP) || !strcmp(mt, MT_OCI_LAYER_GZIP))
		return MT_OCI_LAYER_GZIP;
	if (!strcmp(mt, MT_OCI_LAYER_ZSTD))
		return MT_OCI_LAYER_ZSTD;
	if (!strcmp(mt, MT_OCI_LAYER))
		return MT_OCI_LAYER;
	return NULL;
}

static void take_config(oci_image_t *img, json_t *cc)
{
	const char *key;
	json_t *v;
	json_object_foreach(cc, key, v) {
		if (!strcmp(key, "Env") && json_is_array(v)) {
			for (size_t i = 0; i < json_array_size(v); i++) {
				const char *kv = json_string_value(json_array_get(v, i));
				const char *eq = kv ? strchr(kv, '=') : NULL;
				if (!eq)
					continue;
				char *name = strndup(kv, (size_t)(eq - kv));
				if (name)
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
			img->workdir = json_is_string(v) && *json_string_value(v) ? json_incref(v) : NULL;
		} else if (!strcmp(key, "Labels") && json_is_object(v)) {
			json_object_update(img->labels, v);
		} else if (!json_is_null(v)) {
			json_object_set(img->base_config, key, v);
		}
	}
}

int oci_image_load_base(oci_image_t *img, const char *layout_dir, const char *tag,
			const char *blobs_dir, err_t *err)
{
	buf_t path = BUF_INIT;
	json_t *index = NULL, *list = NULL, *manifest = NULL, *config = NULL;
	json_error_t je;
	int rc = -1;
	buf_addstr(&path, layout_dir);
	buf_addpath(&path, "index.json");
	index = json_load_file(path.data, 0, &je);
	if (!index) {
		err_set(err, "%s: cannot read base image index: %s (line %d); is it an OCI layout?",
			path.data, je.text, je.line);
		goto out;
	}
	json_t *desc = pick_tagged(layout_dir, index, tag, err);
	if (!desc)
		goto out;
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	if (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST))) {
		if (!(list = read_json_blob(layout_dir, desc, err)) ||
		    !(desc = pick_platform(img, layout_dir, list, err)))
			goto out;
	}
	if (!(manifest = read_json_blob(layout_dir, desc, err)))
		goto out;
	mt = json_string_value(json_object_get(manifest, "mediaType"));
	if (!mt)
		mt = json_string_value(json_object_get(desc, "mediaType"));
	if (!mt || (strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))) {
		err_set(err, "%s: base manifest has unsupported media type '%s'", layout_dir,
			mt ? mt : "(none)");
		goto out;
	}
	if (!(config = read_json_blob(layout_dir, json_object_get(manifest, "config"), err)))
		goto out;
	const char *arch = json_string_value(json_object_get(config, "architecture"));
	const char *os = json_string_value(json_object_get(config, "os"));
	if (!arch || !os || strcmp(arch, img->arch) || strcmp(os, img->os)) {
		err_set(err, "%s: base image is %s/%s but the image being built is %s/%s", layout_dir,
			os ? os : "?", arch ? arch : "?", img->os, img->arch);
		goto out;
	}
	json_t *layers = json_object_get(manifest, "layers");
	json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (!json_is_array(layers) || !json_is_array(diff_ids) ||
	    json_array_size(layers) != json_array_size(diff_ids)) {
		err_set(err, "%s: base manifest lists %zu layers but its config %zu diff_ids",
			layout_dir, json_array_size(layers), json_array_size(diff_ids));
		goto out;
	}
	if (fs_mkdir_p(blobs_dir, err))
		goto out;
	for (size_t i = 0; i < json_array_size(layers); i++) {
		json_t *l = json_array_get(layers, i);
		const char *digest = json_string_value(json_object_get(l, "digest"));
		const char *raw_mt = json_string_value(json_object_get(l, "mediaType"));
		const char *lmt = layer_media_type(raw_mt);
		json_int_t size = json_integer_value(json_object_get(l, "size"));
		const char *diff_id = json_string_value(json_array_get(diff_ids, i));
		if (!lmt || !diff_id) {
			err_set(err, "%s: base layer %s has unsupported media type '%s'", layout_dir,
				digest ? digest : "?",
				raw_mt ? raw_mt : "(none)");
			goto out;
		}
		if (import_layer(layout_dir, digest, size, blobs_dir, err))
			goto out;
		json_array_append_new(img->layers, descriptor(lmt, digest, size));
		json_array_append_new(img->diff_ids, json_string(diff_id));
	}
	json_t *history = json_object_get(config, "history");
	if (json_is_array(history))
		json_array_extend(img->base_history, history);
	take_config(img, json_object_get(config, "config"));
	rc = 0;
out:
	json_decref(index);
	json_decref(list);
	json_decref(manifest);
	json_decref(config);
	buf_free(&path);
	return rc;
}
