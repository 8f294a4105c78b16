/* image_info.c — reads an image's layers and packages without its layer blobs (see
 * image_info.h): manifest (or index, then one manifest per platform), config (platform and
 * history), the referrers index, the SBOM artifact manifest and its per-layer documents, each
 * annotated io.imgbuild.layer.digest (docs/sbom.md, "How they are attached"). */
#include "image_info.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "group.h"
#include "layout.h"
#include "referrers.h"
#include "scratch.h"
#include "xalloc.h"

#define SBOM_MAX_BYTES (16u << 20) /* one SBOM document: larger is refused */
#define MT_SPDX "application/spdx+json"
#define MT_CDX "application/vnd.cyclonedx+json"
#define ANN_LAYER_DIGEST "io.imgbuild.layer.digest"

struct image_info {
	char *where, *digest;
	image_platform_t *plats;
	size_t n_plats;
	char **strs; /* every string the public structs point at */
	size_t n_strs;
};

typedef struct reader {
	const image_info_src_t *src;
	oci_layout_t *layout;
	image_info_t *info;
} reader_t;

static const char *keep(image_info_t *info, const char *s)
{
	info->strs = xrealloc(info->strs, (info->n_strs + 1) * sizeof *info->strs);
	return info->strs[info->n_strs++] = xstrdup(s ? s : "");
}

/* ---- reading documents from the layout or the registry ---------------------------------- */

/* A small blob d (config, SBOM) into out: the layout's file, or a registry GET into tmp_dir. */
static int read_blob(reader_t *r, const oci_desc_t *d, size_t max, buf_t *out, err_t *err)
{
	buf_t path = BUF_INIT;
	int rc = -1;
	buf_reset(out); /* buf_read_file appends */
	if (d->size < 0 || (unsigned long long)d->size > max)
		return err_set(err, "blob %s: %lld bytes, more than the %zu read", d->digest,
			       d->size, max);
	if (r->layout)
		return oci_layout_read_blob(r->layout, d, max, out, err);
	int fd = scratch_mkstemp(r->src->tmp_dir, "blob-", &path, err);
	if (fd < 0)
		goto out;
	close(fd); /* reg_blob_fetch writes path.part and renames it over path */
	if (reg_blob_fetch(r->src->reg, r->src->repo, d->digest, d->size, path.data, err) ||
	    buf_read_file(out, path.data, max, err))
		goto out;
	rc = 0;
out:
	if (path.len)
		unlink(path.data);
	buf_free(&path);
	return rc;
}

/* The manifest or index d names; d NULL: the one src names (tag, digest or only entry). */
static int read_manifest(reader_t *r, const oci_desc_t *d, oci_manifest_t **out, err_t *err)
{
	buf_t body = BUF_INIT, mt = BUF_INIT, digest = BUF_INIT;
	int rc = -1;
	*out = NULL;
	if (r->layout) {
		if (!d && !(d = oci_layout_find(r->layout, r->src->layout_tag, err)))
			return -1;
		return oci_layout_read_manifest(r->layout, d, out, err);
	}
	if (reg_manifest_get(r->src->reg, r->src->repo, d ? d->digest : r->src->reference, &body,
			     &mt, &digest, err))
		goto out;
	if (!(*out = oci_manifest_parse(body.data, body.len, mt.data, digest.data, err)))
		goto out;
	rc = 0;
out:
	buf_free(&body);
	buf_free(&mt);
	buf_free(&digest);
	return rc;
}

static int read_referrers(reader_t *r, const char *subject, buf_t *out, err_t *err)
{
	if (r->layout)
		return oci_referrers_read_layout(r->layout, subject, out, err);
	return oci_referrers_fetch(r->src->reg, r->src->repo, subject, out, err);
}

/* The digest of a manifest's bytes ("sha256:<hex>"). */
static void manifest_digest(const oci_manifest_t *m, char out[DIGEST_OCI_MAX])
{
	size_t len = 0;
	const void *data = oci_manifest_bytes(m, &len);
	char hex[DIGEST_HEX_MAX];
	digest_buf_hex(DIGEST_SHA256, data, len, hex);
	digest_oci_from_hex(hex, out);
}

/* ---- packages from SBOM documents ------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..len) into out (purl spec: every field is percent-encoded). */
static void purl_unescape(const char *s, size_t len, buf_t *out)
{
	buf_reset(out);
	for (size_t i = 0; i < len; i++) {
		int hi = s[i] == '%' && i + 2 < len ? hexval(s[i + 1]) : -1;
		int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
		if (lo >= 0) {
			buf_addch(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			buf_addch(out, s[i]);
		}
	}
}

void image_purl_qualifier(const char *purl, const char *key, buf_t *out)
{
	const char *q = strchr(purl, '?');
	size_t klen = strlen(key);
	buf_reset(out);
	for (const char *p = q ? q + 1 : NULL; p && *p;) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			purl_unescape(p + klen + 1, len - klen - 1, out);
			return;
		}
		p = end ? end + 1 : NULL;
	}
}

/* One package from its name, version, purl (pkg:conda/... or pkg:pypi/...) and SHA-256. */
static image_pkg_t make_pkg(image_info_t *info, const char *name, const char *version,
			    const char *purl, const char *sha256)
{
	buf_t v = BUF_INIT;
	image_pkg_t p = {.name = keep(info, name), .version = keep(info, version)};
	/* a wheel's record is a conda purl with subdir pypi (context_pip.c), other tools' pypi */
	image_purl_qualifier(purl, "subdir", &v);
	int is_pip = !strncmp(purl, "pkg:pypi/", 9) || !strcmp(v.data, GROUP_PIP_SUBDIR);
	p.kind = keep(info, is_pip ? "pip" : "conda");
	p.subdir = keep(info, v.data);
	p.sha256 = keep(info, sha256);
	image_purl_qualifier(purl, "build", &v);
	p.build = keep(info, v.data);
	image_purl_qualifier(purl, "channel", &v);
	p.channel = keep(info, v.data);
	buf_free(&v);
	return p;
}

/* The SHA-256 an SPDX package's checksums or a CycloneDX component's hashes give, or NULL. */
static const char *pkg_sha256(json_t *pkg, int is_spdx)
{
	json_t *sum;
	size_t i;
	json_array_foreach (json_object_get(pkg, is_spdx ? "checksums" : "hashes"), i, sum) {
		const char *alg =
			json_string_value(json_object_get(sum, is_spdx ? "algorithm" : "alg"));
		if (alg && !strcmp(alg, is_spdx ? "SHA256" : "SHA-256"))
			return json_string_value(
				json_object_get(sum, is_spdx ? "checksumValue" : "content"));
	}
	return NULL;
}

static const char *spdx_purl(json_t *pkg)
{
	json_t *ref;
	size_t i;
	json_array_foreach (json_object_get(pkg, "externalRefs"), i, ref) {
		const char *t = json_string_value(json_object_get(ref, "referenceType"));
		if (t && !strcmp(t, "purl"))
			return json_string_value(json_object_get(ref, "referenceLocator"));
	}
	return NULL;
}

/* "layer <group>" -> group. */
static const char *group_of(const char *layer_name)
{
	if (layer_name && !strncmp(layer_name, "layer ", 6))
		return layer_name + 6;
	return layer_name;
}

static void add_pkg(image_layer_t *l, image_pkg_t p)
{
	image_pkg_t *v = xrealloc((void *)l->pkgs, (l->n_pkgs + 1) * sizeof *v);
	v[l->n_pkgs++] = p;
	l->pkgs = v;
}

/* A per-layer document's packages and group into l. SPDX: packages SPDXRef-Package-*, the
 * layer SPDXRef-Layer named "layer <group>"; CycloneDX: metadata.component is the layer,
 * components its packages. */
static void layer_from_sbom(image_info_t *info, json_t *doc, int is_spdx, image_layer_t *l)
{
	json_t *p;
	size_t i;
	if (!is_spdx) {
		const char *g = json_string_value(json_object_get(
			json_object_get(json_object_get(doc, "metadata"), "component"), "name"));
		l->group = keep(info, group_of(g));
	}
	json_array_foreach (json_object_get(doc, is_spdx ? "packages" : "components"), i, p) {
		const char *id = json_string_value(json_object_get(p, "SPDXID"));
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *purl =
			is_spdx ? spdx_purl(p) : json_string_value(json_object_get(p, "purl"));
		if (is_spdx && id && !strcmp(id, "SPDXRef-Layer"))
			l->group = keep(info, group_of(name));
		if (!name || !purl || (is_spdx && (!id || strncmp(id, "SPDXRef-Package-", 16))))
			continue;
		add_pkg(l, make_pkg(info, name,
				    json_string_value(json_object_get(p, is_spdx ? "versionInfo"
										 : "version")),
				    purl, pkg_sha256(p, is_spdx)));
	}
}

static int pkg_cmp(const void *a, const void *b)
{
	return strcmp(((const image_pkg_t *)a)->name, ((const image_pkg_t *)b)->name);
}

/* The SBOM artifact listed in the referrers index (its first SPDX, else CycloneDX, one). */
static int find_sbom(json_t *index, oci_desc_t *out, int *is_spdx)
{
	json_t *e;
	size_t i;
	for (int want_spdx = 1; want_spdx >= 0; want_spdx--) {
		json_array_foreach (json_object_get(index, "manifests"), i, e) {
			const char *at = json_string_value(json_object_get(e, "artifactType"));
			if (!at || strcmp(at, want_spdx ? MT_SPDX : MT_CDX))
				continue;
			out->media_type = json_string_value(json_object_get(e, "mediaType"));
			out->digest = json_string_value(json_object_get(e, "digest"));
			out->size = json_integer_value(json_object_get(e, "size"));
			*is_spdx = want_spdx;
			return out->digest ? 1 : 0;
		}
	}
	return 0;
}

static image_layer_t *layer_by_digest(image_platform_t *p, const char *digest)
{
	for (size_t i = 0; digest && i < p->n_layers; i++)
		if (!strcmp(p->layers[i].digest, digest))
			return (image_layer_t *)&p->layers[i];
	return NULL;
}

/* The per-layer documents of artifact manifest art (its layers after the first, the image's
 * own document) into p's layers. */
static int sbom_layers(reader_t *r, const oci_manifest_t *art, int is_spdx, image_platform_t *p,
		       err_t *err)
{
	size_t len = 0;
	const void *raw = oci_manifest_bytes(art, &len);
	json_t *m = json_loadb(raw, len, 0, NULL), *e, *doc = NULL;
	buf_t body = BUF_INIT;
	size_t i;
	int rc = -1;
	json_array_foreach (json_object_get(m, "layers"), i, e) {
		const char *ld = json_string_value(
			json_object_get(json_object_get(e, "annotations"), ANN_LAYER_DIGEST));
		image_layer_t *l = layer_by_digest(p, ld);
		json_error_t je;
		if (!l)
			continue;
		if (read_blob(r, oci_manifest_entry(art, i), SBOM_MAX_BYTES, &body, err))
			goto out;
		if (!(doc = json_loadb(body.data, body.len, 0, &je))) {
			err_set(err, "SBOM of layer %s: not JSON (%s)", ld, je.text);
			goto out;
		}
		layer_from_sbom(r->info, doc, is_spdx, l);
		qsort((void *)l->pkgs, l->n_pkgs, sizeof *l->pkgs, pkg_cmp);
		json_decref(doc);
		doc = NULL;
	}
	p->sbom = keep(r->info, is_spdx ? "spdx" : "cyclonedx");
	rc = 0;
out:
	json_decref(doc);
	json_decref(m);
	buf_free(&body);
	return rc;
}

/* Packages of p from the SBOM attached to its manifest; none attached is not an error. */
static int read_sbom(reader_t *r, image_platform_t *p, err_t *err)
{
	buf_t idx = BUF_INIT;
	json_t *index = NULL;
	oci_manifest_t *art = NULL;
	oci_desc_t d = {0};
	int is_spdx = 0, rc = -1;
	if (read_referrers(r, p->manifest_digest, &idx, err))
		goto out;
	if (!idx.len || !(index = json_loadb(idx.data, idx.len, 0, NULL)) ||
	    !find_sbom(index, &d, &is_spdx)) {
		rc = 0;
		goto out;
	}
	if (read_manifest(r, &d, &art, err))
		goto out;
	rc = sbom_layers(r, art, is_spdx, p, err);
out:
	if (rc)
		err_prefix(err, "SBOM of %s", p->manifest_digest);
	oci_manifest_free(art);
	json_decref(index);
	buf_free(&idx);
	return rc;
}

/* A layer's group from its history entry's created_by (pipeline.c, pipeline_base.c). */
static const char *history_group(image_info_t *info, const char *created_by)
{
	static const char group_prefix[] = "imgbuild: layer group ";
	buf_t g = BUF_INIT;
	const char *s = created_by ? created_by : "";
	const char *out;
	if (!strncmp(s, group_prefix, sizeof group_prefix - 1)) {
		s += sizeof group_prefix - 1;
		buf_add(&g, s, strcspn(s, " "));
	} else if (!strncmp(s, "imgbuild: root filesystem", 25)) {
		buf_addstr(&g, "rootfs");
	} else {
		buf_addstr(&g, "base");
	}
	out = keep(info, g.data);
	buf_free(&g);
	return out;
}

/* Platform and layer groups from the config: os/architecture, history (entries with
 * empty_layer have no layer). */
static int read_config(reader_t *r, const oci_manifest_t *m, image_platform_t *p, err_t *err)
{
	const oci_desc_t *cd = oci_manifest_config(m);
	buf_t body = BUF_INIT, plat = BUF_INIT;
	json_t *cfg = NULL, *h;
	size_t i, n = 0;
	int rc = -1;
	if (read_blob(r, cd, OCI_JSON_MAX_BYTES, &body, err))
		goto out;
	if (!(cfg = json_loadb(body.data, body.len, 0, NULL))) {
		err_set(err, "config %s: not JSON", cd->digest);
		goto out;
	}
	const char *os = json_string_value(json_object_get(cfg, "os"));
	const char *arch = json_string_value(json_object_get(cfg, "architecture"));
	buf_addf(&plat, "%s/%s", os ? os : "?", arch ? arch : "?");
	p->platform = keep(r->info, plat.data);
	json_array_foreach (json_object_get(cfg, "history"), i, h) {
		if (json_is_true(json_object_get(h, "empty_layer")) || n >= p->n_layers)
			continue;
		((image_layer_t *)p->layers)[n++].group =
			history_group(r->info, json_string_value(json_object_get(h, "created_by")));
	}
	rc = 0;
out:
	json_decref(cfg);
	buf_free(&body);
	buf_free(&plat);
	return rc;
}

/* One image manifest m: layers from the manifest, groups from the config, packages from the
 * SBOM (whose layer names win over the history's). */
static int read_platform(reader_t *r, const oci_manifest_t *m, image_platform_t *p, err_t *err)
{
	char digest[DIGEST_OCI_MAX];
	size_t n = oci_manifest_count(m);
	image_layer_t *layers = xcalloc(n ? n : 1, sizeof *layers);
	manifest_digest(m, digest);
	p->manifest_digest = keep(r->info, digest);
	for (size_t i = 0; i < n; i++) {
		const oci_desc_t *d = oci_manifest_entry(m, i);
		layers[i].digest = keep(r->info, d->digest);
		layers[i].media_type = keep(r->info, d->media_type);
		layers[i].size = d->size;
		layers[i].group = keep(r->info, "?");
	}
	p->layers = layers;
	p->n_layers = n;
	if (read_config(r, m, p, err) || read_sbom(r, p, err))
		return -1;
	return 0;
}

static image_platform_t *add_platform(image_info_t *info)
{
	info->plats = xrealloc(info->plats, (info->n_plats + 1) * sizeof *info->plats);
	image_platform_t *p = &info->plats[info->n_plats++];
	memset(p, 0, sizeof *p);
	return p;
}

/* Every platform of index idx (or the one src->platform names). */
static int read_index(reader_t *r, const oci_manifest_t *idx, err_t *err)
{
	const char *want = r->src->platform;
	buf_t plat = BUF_INIT;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < oci_manifest_count(idx); i++) {
		const oci_desc_t *d = oci_manifest_entry(idx, i);
		oci_manifest_t *m = NULL;
		buf_reset(&plat);
		buf_addf(&plat, "%s/%s", d->os ? d->os : "?", d->arch ? d->arch : "?");
		/* buildx lists its attestation manifests as unknown/unknown: not images */
		if ((want && strcmp(want, plat.data)) || !strcmp(plat.data, "unknown/unknown"))
			continue;
		if ((rc = read_manifest(r, d, &m, err)) == 0)
			rc = oci_manifest_is_index(m)
				     ? err_set(err, "%s: an index inside an index is not read",
					       d->digest)
				     : read_platform(r, m, add_platform(r->info), err);
		oci_manifest_free(m);
	}
	buf_free(&plat);
	if (rc == 0 && !r->info->n_plats)
		rc = err_set(err, "the index lists no image%s%s", want ? " for platform " : "",
			     want ? want : "");
	return rc ? -1 : 0;
}

image_info_t *image_info_read(const image_info_src_t *src, const char *where, err_t *err)
{
	image_info_t *info = xcalloc(1, sizeof *info);
	reader_t r = {.src = src, .info = info};
	oci_manifest_t *top = NULL;
	char digest[DIGEST_OCI_MAX];
	int rc = -1;
	info->where = xstrdup(where);
	if (src->layout_dir && !(r.layout = oci_layout_open(src->layout_dir, err)))
		goto out;
	if (read_manifest(&r, NULL, &top, err))
		goto out;
	manifest_digest(top, digest);
	info->digest = xstrdup(digest);
	if (oci_manifest_is_index(top)) {
		rc = read_index(&r, top, err);
	} else {
		image_platform_t *p = add_platform(info);
		rc = read_platform(&r, top, p, err);
		if (!rc && src->platform && strcmp(src->platform, p->platform))
			rc = err_set(err, "the image is %s, not %s", p->platform, src->platform);
	}
out:
	if (rc)
		err_prefix(err, "%s", where);
	oci_manifest_free(top);
	oci_layout_free(r.layout);
	if (rc) {
		image_info_free(info);
		return NULL;
	}
	return info;
}

void image_info_free(image_info_t *info)
{
	if (!info)
		return;
	for (size_t i = 0; i < info->n_plats; i++) {
		for (size_t j = 0; j < info->plats[i].n_layers; j++)
			free((void *)info->plats[i].layers[j].pkgs);
		free((void *)info->plats[i].layers);
	}
	for (size_t i = 0; i < info->n_strs; i++)
		free(info->strs[i]);
	free(info->strs);
	free(info->plats);
	free(info->where);
	free(info->digest);
	free(info);
}

const char *image_info_where(const image_info_t *info)
{
	return info->where;
}

const char *image_info_digest(const image_info_t *info)
{
	return info->digest;
}

size_t image_info_count(const image_info_t *info)
{
	return info->n_plats;
}

const image_platform_t *image_info_platform(const image_info_t *info, size_t i)
{
	return i < info->n_plats ? &info->plats[i] : NULL;
}
