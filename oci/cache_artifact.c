/* cache_artifact.c — layer cache artifacts in a registry repository (see cache_artifact.h and
 * docs/layer-format.md, "Registry cache artifacts"). The manifest is a plain OCI image
 * manifest with an artifactType and the OCI 1.1 empty config, which Debian's docker-registry
 * 2.8 stores as is (checked: it validates schemaVersion, mediaType and that the referenced
 * blobs exist, and ignores artifactType). */
#include "cache_artifact.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cache_records.h"
#include "digest.h"
#include "fsutil.h"
#include "layout.h"
#include "pkgrec_list.h"
#include "ref.h"
#include "xalloc.h"

#define EMPTY_JSON "{}"
#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define ANN_KEY "io.imgbuild.cache.key"
#define ANN_DIFF_ID "io.imgbuild.cache.diff-id"
#define ANN_GROUP "io.imgbuild.cache.group"
#define ANN_PACKAGES "io.imgbuild.cache.packages"
/* the package list is a summary for people browsing the repository, not data we read */
#define PACKAGES_SUMMARY_MAX 4096
#define LAYER_SIZE_MAX (64LL << 30)

static int is_key_hex(const char *s)
{
	size_t n = 0;
	for (; s && s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

int oci_cache_tag(const char *key_hex, buf_t *out, err_t *err)
{
	if (!is_key_hex(key_hex))
		return err_set(err, "layer cache key '%s' is not 64 lower-case hex digits",
			       key_hex ? key_hex : "");
	/* 67 characters: within the 128 a tag may have, and [a-z0-9-] only */
	buf_setstr(out, OCI_CACHE_TAG_PREFIX);
	buf_addstr(out, key_hex);
	return 0;
}

/* "N packages: a-1-0, b-2-0, ..." capped at PACKAGES_SUMMARY_MAX bytes. */
static void packages_summary(const oci_cache_info_t *info, buf_t *out)
{
	buf_addf(out, "%zu package%s", info->n_packages, info->n_packages == 1 ? "" : "s");
	for (size_t i = 0; i < info->n_packages; i++) {
		if (out->len + strlen(info->packages[i]) + 32 > PACKAGES_SUMMARY_MAX) {
			buf_addf(out, ", ... (+%zu more)", info->n_packages - i);
			break;
		}
		buf_addstr(out, i ? ", " : ": ");
		buf_addstr(out, info->packages[i]);
	}
}

/* The config descriptor naming the package records blob (issue 15: a layer's SBOM data
 * travels with it; docs/layer-format.md, "Registry cache artifacts"). */
static json_t *records_config(const oci_cache_info_t *info)
{
	char hex[DIGEST_HEX_MAX], digest[DIGEST_OCI_MAX];
	digest_buf_hex(DIGEST_SHA256, info->records, info->records_len, hex);
	digest_oci_from_hex(hex, digest);
	return json_pack("{s:s, s:s, s:I}", "mediaType", PKGREC_LIST_MT, "digest", digest, "size",
			 (json_int_t)info->records_len);
}

/* The records descriptor of a parsed manifest's config, when it is one; anything else (the
 * empty config, an unknown or malformed one) leaves it empty: the records are optional. */
static void records_from_config(json_t *config, oci_cache_layer_t *out)
{
	const char *mt = json_string_value(json_object_get(config, "mediaType"));
	const char *d = json_string_value(json_object_get(config, "digest"));
	json_int_t size = json_integer_value(json_object_get(config, "size"));
	if (!mt || strcmp(mt, PKGREC_LIST_MT) || !d || !oci_ref_is_digest(d) ||
	    strlen(d) >= sizeof out->records_digest || size <= 0 || size > PKGREC_LIST_MAX_BYTES)
		return;
	memcpy(out->records_digest, d, strlen(d) + 1);
	out->records_size = size;
}

int oci_cache_manifest_make(const char *key_hex, const oci_cache_layer_t *layer,
			    const oci_cache_info_t *info, buf_t *out, err_t *err)
{
	buf_t pk = BUF_INIT;
	char *s = NULL;
	int rc = -1;
	if (!is_key_hex(key_hex) || !oci_ref_is_digest(layer->digest) ||
	    !oci_ref_is_digest(layer->diff_id) || layer->size <= 0 || !layer->media_type[0]) {
		err_set(err,
			"cache artifact for key %.12s: incomplete layer descriptor (%s, %lld "
			"bytes)",
			key_hex ? key_hex : "", layer->digest, layer->size);
		goto out;
	}
	packages_summary(info, &pk);
	json_t *m = json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:i, s:s}, s:[{s:s, s:s, s:I}], "
			      "s:{s:s, s:s, s:s, s:s}}",
			      "schemaVersion", 2, "mediaType", OCI_MT_MANIFEST, "artifactType",
			      OCI_CACHE_ARTIFACT_TYPE, "config", "mediaType", OCI_MT_EMPTY,
			      "digest", EMPTY_DIGEST, "size", 2, "data", "e30=", "layers",
			      "mediaType", layer->media_type, "digest", layer->digest, "size",
			      (json_int_t)layer->size, "annotations", ANN_KEY, key_hex, ANN_DIFF_ID,
			      layer->diff_id, ANN_GROUP, info->group ? info->group : "",
			      ANN_PACKAGES, pk.data);
	if (!m) {
		err_set(err, "cache artifact for key %.12s: cannot build the manifest", key_hex);
		goto out;
	}
	if (info->records)
		json_object_set_new(m, "config", records_config(info));
	/* sorted keys, compact: docs/layer-format.md, "Registry cache artifacts" */
	s = xcheck(json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT));
	json_decref(m);
	buf_setstr(out, s);
	rc = 0;
out:
	free(s);
	buf_free(&pk);
	return rc;
}

static int copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (!src || n == 0 || n >= cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

int oci_cache_manifest_parse(const char *data, size_t len, const char *key_hex,
			     oci_cache_layer_t *out, err_t *err)
{
	json_error_t je;
	json_t *m = json_loadb(data, len, 0, &je);
	const char *why = NULL;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (!m) {
		err_set(err, "cache artifact for key %.12s: not JSON (%s)", key_hex, je.text);
		return -1;
	}
	json_t *layers = json_object_get(m, "layers");
	json_t *l = json_array_get(layers, 0);
	json_t *ann = json_object_get(m, "annotations");
	const char *mt = json_string_value(json_object_get(m, "mediaType"));
	const char *at = json_string_value(json_object_get(m, "artifactType"));
	const char *key = json_string_value(json_object_get(ann, ANN_KEY));
	json_int_t size = json_integer_value(json_object_get(l, "size"));
	if (json_integer_value(json_object_get(m, "schemaVersion")) != 2 || !mt ||
	    strcmp(mt, OCI_MT_MANIFEST))
		why = "not an OCI image manifest";
	else if (!at || strcmp(at, OCI_CACHE_ARTIFACT_TYPE))
		why = "artifactType is not " OCI_CACHE_ARTIFACT_TYPE;
	else if (json_array_size(layers) != 1)
		why = "it must list exactly one layer";
	else if (!key || strcmp(key, key_hex))
		why = "its " ANN_KEY " annotation names another key";
	else if (copy_field(out->digest, sizeof out->digest,
			    json_string_value(json_object_get(l, "digest"))) ||
		 !oci_ref_is_digest(out->digest))
		why = "the layer digest is not sha256:<64 hex>";
	else if (copy_field(out->diff_id, sizeof out->diff_id,
			    json_string_value(json_object_get(ann, ANN_DIFF_ID))) ||
		 !oci_ref_is_digest(out->diff_id))
		why = "the " ANN_DIFF_ID " annotation is not sha256:<64 hex>";
	else if (size <= 0 || size > LAYER_SIZE_MAX)
		why = "the layer size is out of range";
	else if (copy_field(out->media_type, sizeof out->media_type,
			    json_string_value(json_object_get(l, "mediaType"))))
		why = "the layer has no mediaType";
	if (why) {
		err_set(err, "cache artifact %s%s: %s", OCI_CACHE_TAG_PREFIX, key_hex, why);
		goto out;
	}
	out->size = size;
	records_from_config(json_object_get(m, "config"), out);
	rc = 0;
out:
	json_decref(m);
	return rc;
}

int oci_cache_lookup(reg_t *r, const char *repo, const char *key_hex, oci_cache_layer_t *out,
		     int *found, err_t *err)
{
	buf_t tag = BUF_INIT, body = BUF_INIT, mt = BUF_INIT, digest = BUF_INIT;
	int rc = -1;
	*found = 0;
	if (oci_cache_tag(key_hex, &tag, err))
		goto out;
	if (reg_manifest_get(r, repo, tag.data, &body, &mt, &digest, err) != 0) {
		/* reg.h reports statuses only in the message ("...: HTTP 404 (...)"): a missing tag
		 * or a repository nobody wrote yet is a miss, anything else a failure */
		if (strstr(err_msg(err), ": HTTP 404")) {
			err_clear(err);
			rc = 0;
		}
		goto out;
	}
	if (oci_cache_manifest_parse(body.data, body.len, key_hex, out, err))
		goto out;
	*found = 1;
	rc = 0;
out:
	buf_free(&tag);
	buf_free(&body);
	buf_free(&mt);
	buf_free(&digest);
	return rc;
}

int oci_cache_publish(reg_t *r, const char *repo, const char *key_hex, const char *blob_path,
		      const oci_cache_layer_t *layer, const oci_cache_info_t *info,
		      const char *scratch_dir, err_t *err)
{
	buf_t tag = BUF_INIT, manifest = BUF_INIT, empty = BUF_INIT;
	int rc = -1;
	if (oci_cache_tag(key_hex, &tag, err) ||
	    oci_cache_manifest_make(key_hex, layer, info, &manifest, err))
		goto out;
	buf_setstr(&empty, scratch_dir);
	buf_addpath(&empty, "empty.json");
	if (!fs_exists(empty.data) && fs_write_atomic(empty.data, EMPTY_JSON, 2, err))
		goto out;
	if (info->records &&
	    oci_cache_records_push(r, repo, info->records, info->records_len, scratch_dir, err))
		goto out;
	/* blobs before the manifest: the registry refuses a manifest naming a missing blob, and a
	 * tag must never point at a gap */
	if (reg_blob_push(r, repo, layer->digest, blob_path, layer->size, NULL, err) ||
	    (!info->records && reg_blob_push(r, repo, EMPTY_DIGEST, empty.data, 2, NULL, err)) ||
	    reg_manifest_put(r, repo, tag.data, OCI_MT_MANIFEST, manifest.data, manifest.len, err))
		goto out;
	rc = 0;
out:
	buf_free(&tag);
	buf_free(&manifest);
	buf_free(&empty);
	return rc;
}
