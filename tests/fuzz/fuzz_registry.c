/* fuzz_registry.c — the JSON a registry (or a base-image layout) hands to oci/: the first byte
 * picks the reader. 'm': a fetched manifest or index and its media type (reg_manifest_type,
 * what pull.c branches on); 'c': a layer-cache artifact manifest (oci_cache_manifest_parse);
 * 'l': a base-image layout read by oci_image_load_base, given as index.json, manifest and
 * config separated by NUL bytes — the harness stores the manifest, the config and one small
 * blob per layer under their real sha256 and writes those digests and sizes into the
 * descriptors, so the reader gets past digest checks to the documents themselves (token
 * answers are in fuzz_auth). Properties: no crash; a media type is one of the four read;
 * a parsed cache artifact has sha256 digests and a positive size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "cache_artifact.h"
#include "digest.h"
#include "fsutil.h"
#include "fuzz_util.h"
#include "image.h"
#include "layout.h"
#include "reg.h"

#define KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void manifest_type(const uint8_t *data, size_t size)
{
	static const char *const headers[] = {
		NULL, "", "application/vnd.oci.image.index.v1+json",
		"application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"};
	json_t *doc = json_loadb((const char *)data, size, 0, NULL);
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		const char *t = reg_manifest_type(doc, headers[i]);
		FUZZ_ASSERT(!t || strstr(t, "manifest") || strstr(t, "index"), "type %s", t);
		(void)reg_type_is_index(t ? t : "");
	}
	json_decref(doc);
}

static void cache_artifact(const uint8_t *data, size_t size)
{
	oci_cache_layer_t l;
	err_t err = ERR_INIT;
	if (oci_cache_manifest_parse((const char *)data, size, KEY, &l, &err) == 0) {
		FUZZ_ASSERT(digest_oci_hex(l.digest) && digest_oci_hex(l.diff_id) && l.size > 0,
			    "accepted %s / %s / %lld", l.digest, l.diff_id, l.size);
	} else {
		fuzz_check_message(&err, NULL);
	}
	err_clear(&err);
}

/* Stores bytes as a blob of <scratch>/layout; desc (if an object) gets its digest and size.
 * Plain writes (fuzz_write_file), not fs_write_atomic: its fsync would cost most of the run. */
static void put_blob(const char *bytes, size_t len, json_t *desc)
{
	char hex[DIGEST_HEX_MAX], oci[DIGEST_OCI_MAX];
	buf_t name = BUF_INIT, path = BUF_INIT;
	digest_buf_hex(DIGEST_SHA256, bytes, len, hex);
	buf_addf(&name, "layout/blobs/sha256/%s", hex);
	fuzz_write_file(name.data, (const uint8_t *)bytes, len, &path);
	digest_oci_from_hex(hex, oci);
	if (json_is_object(desc)) {
		json_object_set_new(desc, "digest", json_string(oci));
		json_object_set_new(desc, "size", json_integer((json_int_t)len));
	}
	buf_free(&name);
	buf_free(&path);
}

/* The part as JSON (NULL when it is not); the caller decrefs. */
static json_t *part_json(const char *part)
{
	return json_loads(part, JSON_DECODE_ANY, NULL);
}

static void write_doc(const char *raw, json_t *doc, json_t *desc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	put_blob(text ? text : raw, strlen(text ? text : raw), desc);
	free(text);
}

static void base_layout(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size); /* parts: index \0 manifest \0 config */
	const char *index_raw = text, *man_raw = "", *cfg_raw = "";
	buf_t layout = BUF_INIT, blobs = BUF_INIT, out = BUF_INIT;
	err_t err = ERR_INIT;
	size_t n1 = strlen(index_raw);
	if (n1 < size) {
		man_raw = text + n1 + 1;
		if (n1 + 1 + strlen(man_raw) < size)
			cfg_raw = man_raw + strlen(man_raw) + 1;
	}
	buf_addf(&layout, "%s/layout", fuzz_scratch());
	buf_addf(&out, "%s/out-blobs", fuzz_scratch());
	fs_rm_rf(layout.data, &err);
	fs_rm_rf(out.data, &err);
	buf_addf(&blobs, "%s/blobs/sha256", layout.data);
	FUZZ_ASSERT(fs_mkdir_p(blobs.data, &err) == 0, "%s", err_msg(&err));
	json_t *index = part_json(index_raw), *man = part_json(man_raw), *cfg = part_json(cfg_raw);
	json_t *layers = json_object_get(man, "layers");
	for (size_t i = 0; i < json_array_size(layers) && i < 8; i++) {
		char blob[16];
		snprintf(blob, sizeof blob, "layer-%zu", i);
		put_blob(blob, strlen(blob), json_array_get(layers, i));
	}
	write_doc(cfg_raw, cfg, json_object_get(man, "config"));
	write_doc(man_raw, man, json_array_get(json_object_get(index, "manifests"), 0));
	char *index_text = index ? json_dumps(index, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	buf_t path = BUF_INIT;
	const char *it = index_text ? index_text : index_raw;
	fuzz_write_file("layout/index.json", (const uint8_t *)it, strlen(it), &path);
	oci_image_t *img = oci_image_new("linux", "amd64");
	/* the base image is read through oci/base and copied through oci/layout */
	oci_base_t *base = oci_base_open(layout.data, NULL, "linux", "amd64", &err);
	oci_layout_t *to = base ? oci_layout_create(out.data, &err) : NULL;
	if (!to || oci_image_load_base(img, base, to, &err) != 0)
		fuzz_check_message(&err, NULL);
	oci_layout_free(to);
	oci_base_free(base);
	oci_image_free(img);
	json_decref(index);
	json_decref(man);
	json_decref(cfg);
	free(index_text);
	free(text);
	err_clear(&err);
	buf_free(&layout);
	buf_free(&blobs);
	buf_free(&out);
	buf_free(&path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char mode = fuzz_pick(data[0], "mcl");
	if (mode == 'm')
		manifest_type(data + 1, size - 1);
	else if (mode == 'c')
		cache_artifact(data + 1, size - 1);
	else
		base_layout(data + 1, size - 1);
	return 0;
}
