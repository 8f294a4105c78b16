/* sbom.c — SPDX 2.3 and CycloneDX 1.5 JSON for an image and its layers (see sbom.h).
 * Both formats are built as jansson trees from the same three walks (image, layer, package)
 * and dumped with JSON_SORT_KEYS | JSON_COMPACT, so the bytes depend only on the records,
 * the plan, the digests and SOURCE_DATE_EPOCH (docs/sbom.md, "Determinism"). */
#include "sbom.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "referrers.h"
#include "version.h"
#include "xalloc.h"

#define ANACONDA_ORG "https://conda.anaconda.org/"

int sbom_format_parse(const char *s, sbom_format_t *out, err_t *err)
{
	if (!strcmp(s, "none"))
		*out = SBOM_NONE;
	else if (!strcmp(s, "spdx"))
		*out = SBOM_SPDX;
	else if (!strcmp(s, "cyclonedx"))
		*out = SBOM_CYCLONEDX;
	else
		return err_set(err, "--sbom %s: expected none, spdx or cyclonedx", s);
	return 0;
}

const char *sbom_media_type(sbom_format_t f)
{
	return f == SBOM_SPDX ? SBOM_MT_SPDX : f == SBOM_CYCLONEDX ? SBOM_MT_CYCLONEDX : NULL;
}

static int is_local(const char *url)
{
	return url && !strncmp(url, "file://", 7);
}

/* purl spec: everything but unreserved characters is percent-encoded in names, versions and
 * qualifier values. */
static void purl_escape(buf_t *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(".-_~", *p))
			buf_addch(b, (char)*p);
		else
			buf_addf(b, "%%%02X", *p);
	}
}

/* The channel as conda names it: "conda-forge" for https://conda.anaconda.org/conda-forge,
 * and "local" for a file:// channel, as conda-meta records it (docs/layer-format.md, "Layer
 * cache key"), so moving a local channel changes no SBOM byte. */
static const char *channel_label(const char *channel)
{
	if (!channel)
		return "";
	if (is_local(channel))
		return "local";
	if (!strncmp(channel, ANACONDA_ORG, strlen(ANACONDA_ORG)))
		return channel + strlen(ANACONDA_ORG);
	return channel;
}

char *sbom_purl(const pkgrec_t *r)
{
	buf_t b = BUF_INIT;
	size_t fn_len = r->fn ? strlen(r->fn) : 0;
	int is_conda = fn_len > 6 && !strcmp(r->fn + fn_len - 6, ".conda");
	buf_addstr(&b, "pkg:conda/");
	purl_escape(&b, r->name);
	buf_addch(&b, '@');
	purl_escape(&b, r->version);
	/* qualifiers sorted by key, as the purl spec's canonical form wants */
	buf_addstr(&b, "?build=");
	purl_escape(&b, r->build ? r->build : "");
	buf_addstr(&b, "&channel=");
	purl_escape(&b, channel_label(r->channel));
	buf_addstr(&b, "&subdir=");
	purl_escape(&b, r->subdir ? r->subdir : "");
	buf_addstr(&b, is_conda ? "&type=conda" : "&type=tar.bz2");
	return buf_detach(&b);
}

static void rfc3339(long long epoch, char out[32])
{
	time_t t = (time_t)epoch;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *record_license(const pkgrec_t *r)
{
	const char *s = r->raw ? json_string_value(json_object_get(r->raw, "license")) : NULL;
	return s && *s ? s : NULL;
}

/* 1 when s reads as an SPDX license expression (idstrings, optionally '+', joined by AND /
 * OR / WITH, parentheses): conda-forge records carry such expressions; others ("BSD 3-Clause",
 * "GPL v2") are kept as their text in a LicenseRef (SPDX) or a license name (CycloneDX). */
static int is_spdx_expression(const char *s)
{
	int want_operand = 1;
	const char *p = s;
	while (*p) {
		if (*p == ' ' || *p == '(' || *p == ')') {
			p++;
			continue;
		}
		size_t n = strspn(
			p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-+:");
		if (n == 0)
			return 0;
		int is_op = (n == 3 && !strncmp(p, "AND", 3)) || (n == 2 && !strncmp(p, "OR", 2)) ||
			    (n == 4 && !strncmp(p, "WITH", 4));
		if (is_op == want_operand)
			return 0;
		want_operand = is_op;
		p += n;
	}
	return !want_operand;
}

/* An SPDXID part for any string: [A-Za-z0-9-] kept, every other byte ".xx" (hex), so two
 * different conda names ("a_b", "a.b") never share an identifier. */
static void spdx_id_part(buf_t *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-')
			buf_addch(b, (char)*p);
		else
			buf_addf(b, ".%02x", *p);
	}
}

static char *package_spdx_id(const pkgrec_t *r)
{
	buf_t b = BUF_INIT;
	buf_addstr(&b, "SPDXRef-Package-");
	spdx_id_part(&b, r->name);
	return buf_detach(&b);
}

/* ---- SPDX 2.3 ------------------------------------------------------------------------ */

static json_t *spdx_checksum(const char *algorithm, const char *hex)
{
	return json_pack("{s:s, s:s}", "algorithm", algorithm, "checksumValue", hex);
}

static json_t *spdx_purl_ref(const char *purl)
{
	return json_pack("{s:s, s:s, s:s}", "referenceCategory", "PACKAGE-MANAGER", "referenceType",
			 "purl", "referenceLocator", purl);
}

static void spdx_relate(json_t *rels, const char *a, const char *type, const char *b)
{
	json_array_append_new(rels, json_pack("{s:s, s:s, s:s}", "spdxElementId", a,
					      "relationshipType", type, "relatedSpdxElement", b));
}

/* licenseDeclared: the expression itself, or a LicenseRef declared in extracted (an object
 * keyed by id, so each text is listed once and in sorted order). */
static void spdx_license(json_t *pkg, const pkgrec_t *r, json_t *extracted)
{
	const char *lic = record_license(r);
	buf_t id = BUF_INIT;
	if (!lic) {
		json_object_set_new(pkg, "licenseDeclared", json_string("NOASSERTION"));
		return;
	}
	if (is_spdx_expression(lic)) {
		json_object_set_new(pkg, "licenseDeclared", json_string(lic));
		return;
	}
	buf_addstr(&id, "LicenseRef-");
	spdx_id_part(&id, lic);
	json_object_set_new(pkg, "licenseDeclared", json_string(id.data));
	json_object_set_new(extracted, id.data,
			    json_pack("{s:s, s:s, s:s}", "licenseId", id.data, "extractedText", lic,
				      "name", lic));
	buf_free(&id);
}

static json_t *spdx_package(const pkgrec_t *r, json_t *extracted)
{
	char *id = package_spdx_id(r), *purl = sbom_purl(r);
	json_t *sums = json_array();
	json_t *pkg =
		json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:[o]}", "SPDXID", id, "name",
			  r->name, "versionInfo", r->version, "downloadLocation",
			  r->url && !is_local(r->url) ? r->url : "NOASSERTION", "filesAnalyzed", 0,
			  "licenseConcluded", "NOASSERTION", "copyrightText", "NOASSERTION",
			  "primaryPackagePurpose", "INSTALL", "externalRefs", spdx_purl_ref(purl));
	if (r->sha256)
		json_array_append_new(sums, spdx_checksum("SHA256", r->sha256));
	if (r->md5)
		json_array_append_new(sums, spdx_checksum("MD5", r->md5));
	json_object_set_new(pkg, "checksums", sums);
	if (r->fn)
		json_object_set_new(pkg, "packageFileName", json_string(r->fn));
	spdx_license(pkg, r, extracted);
	free(id);
	free(purl);
	return pkg;
}

static json_t *spdx_digest_package(const char *id, const char *name, const char *purpose,
				   const char *hex)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:[o]}", "SPDXID", id, "name", name,
			 "downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
			 "primaryPackagePurpose", purpose, "checksums",
			 spdx_checksum("SHA256", hex));
}

/* The layer as an SPDX package with its packages after it, related by CONTAINS. */
static void spdx_add_layer(json_t *pkgs, json_t *rels, json_t *extracted, const sbom_layer_t *l,
			   const char *layer_id)
{
	buf_t name = BUF_INIT;
	buf_addf(&name, "layer %s", l->group);
	json_array_append_new(pkgs, spdx_digest_package(layer_id, name.data, "ARCHIVE",
							digest_oci_hex(l->digest)));
	for (size_t j = 0; j < l->n_pkgs; j++) {
		char *id = package_spdx_id(l->pkgs[j]);
		json_array_append_new(pkgs, spdx_package(l->pkgs[j], extracted));
		spdx_relate(rels, layer_id, "CONTAINS", id);
		free(id);
	}
	buf_free(&name);
}

static void spdx_add_image(json_t *pkgs, json_t *rels, json_t *extracted, const sbom_image_t *img)
{
	buf_t purl = BUF_INIT, id = BUF_INIT;
	json_t *p = spdx_digest_package("SPDXRef-Image", img->name, "CONTAINER",
					digest_oci_hex(img->manifest_digest));
	json_object_set_new(p, "versionInfo", json_string(img->manifest_digest));
	buf_addstr(&purl, "pkg:oci/");
	purl_escape(&purl, img->name);
	buf_addch(&purl, '@');
	purl_escape(&purl, img->manifest_digest);
	json_object_set_new(p, "externalRefs", json_pack("[o]", spdx_purl_ref(purl.data)));
	json_array_append_new(pkgs, p);
	for (size_t i = 0; i < img->n_layers; i++) {
		buf_setstr(&id, "SPDXRef-Layer-");
		buf_addf(&id, "%zu", i + 1);
		spdx_relate(rels, "SPDXRef-Image", "CONTAINS", id.data);
		spdx_add_layer(pkgs, rels, extracted, &img->layers[i], id.data);
	}
	buf_free(&purl);
	buf_free(&id);
}

static json_t *spdx_document(const sbom_image_t *img, size_t layer)
{
	const sbom_layer_t *l = layer == SBOM_WHOLE_IMAGE ? NULL : &img->layers[layer];
	const char *described = l ? "SPDXRef-Layer" : "SPDXRef-Image";
	json_t *pkgs = json_array(), *rels = json_array(), *extracted = json_object(), *lics;
	buf_t name = BUF_INIT, ns = BUF_INIT, tool = BUF_INIT;
	char created[32];
	const char *key;
	json_t *v;
	rfc3339(img->created, created);
	spdx_relate(rels, "SPDXRef-DOCUMENT", "DESCRIBES", described);
	if (l)
		spdx_add_layer(pkgs, rels, extracted, l, described);
	else
		spdx_add_image(pkgs, rels, extracted, img);
	/* named by what it describes: the same layer gives the same document in any image */
	buf_addf(&name, l ? "layer %s" : "%s", l ? l->group : img->name);
	buf_addf(&ns, "https://spdx.org/spdxdocs/imgbuild/%s/%s", l ? "layer" : "image",
		 digest_oci_hex(l ? l->digest : img->manifest_digest));
	buf_addstr(&tool, "Tool: imgbuild-" IMGBUILD_VERSION);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:[s]}, s:o, s:o}",
				"spdxVersion", "SPDX-2.3", "dataLicense", "CC0-1.0", "SPDXID",
				"SPDXRef-DOCUMENT", "name", name.data, "documentNamespace", ns.data,
				"creationInfo", "created", created, "creators", tool.data,
				"packages", pkgs, "relationships", rels);
	if (json_object_size(extracted)) {
		lics = json_array();
		json_object_foreach (extracted, key, v)
			json_array_append(lics, v);
		json_object_set_new(doc, "hasExtractedLicensingInfos", lics);
	}
	json_decref(extracted);
	buf_free(&name);
	buf_free(&ns);
	buf_free(&tool);
	return doc;
}

/* ---- CycloneDX 1.5 ------------------------------------------------------------------- */

static json_t *cdx_package(const pkgrec_t *r)
{
	char *purl = sbom_purl(r);
	const char *lic = record_license(r);
	json_t *hashes = json_array();
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "library", "bom-ref", purl,
			      "name", r->name, "version", r->version, "purl", purl);
	if (r->sha256)
		json_array_append_new(
			hashes, json_pack("{s:s, s:s}", "alg", "SHA-256", "content", r->sha256));
	if (r->md5)
		json_array_append_new(hashes,
				      json_pack("{s:s, s:s}", "alg", "MD5", "content", r->md5));
	json_object_set_new(c, "hashes", hashes);
	if (lic && is_spdx_expression(lic))
		json_object_set_new(c, "licenses", json_pack("[{s:s}]", "expression", lic));
	else if (lic)
		json_object_set_new(c, "licenses",
				    json_pack("[{s:{s:s}}]", "license", "name", lic));
	if (r->url && !is_local(r->url))
		json_object_set_new(
			c, "externalReferences",
			json_pack("[{s:s, s:s}]", "type", "distribution", "url", r->url));
	free(purl);
	return c;
}

/* A layer with its packages nested in it (CycloneDX's containment). */
static json_t *cdx_layer(const sbom_layer_t *l, const char *ref)
{
	buf_t name = BUF_INIT;
	json_t *pkgs = json_array();
	buf_addf(&name, "layer %s", l->group);
	for (size_t j = 0; j < l->n_pkgs; j++)
		json_array_append_new(pkgs, cdx_package(l->pkgs[j]));
	json_t *c =
		json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:o}", "type", "file", "bom-ref",
			  ref, "name", name.data, "version", l->digest, "hashes", "alg", "SHA-256",
			  "content", digest_oci_hex(l->digest), "components", pkgs);
	buf_free(&name);
	return c;
}

/* urn:uuid from the described digest: its first 128 bits with the version nibble set to 5
 * and the RFC 4122 variant (a name-based UUID, hashed with SHA-256 instead of SHA-1). */
static void cdx_serial(const char *hex, buf_t *out)
{
	char u[33];
	memcpy(u, hex, 32);
	u[32] = '\0';
	u[12] = '5';
	u[16] = "89ab"[(u[16] >= 'a' ? u[16] - 'a' + 10 : u[16] - '0') & 3];
	buf_addf(out, "urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", u, u + 8, u + 12, u + 16, u + 20);
}

static json_t *cdx_document(const sbom_image_t *img, size_t layer)
{
	const sbom_layer_t *l = layer == SBOM_WHOLE_IMAGE ? NULL : &img->layers[layer];
	json_t *components = json_array(), *subject;
	buf_t serial = BUF_INIT, ref = BUF_INIT;
	char created[32];
	rfc3339(img->created, created);
	cdx_serial(digest_oci_hex(l ? l->digest : img->manifest_digest), &serial);
	if (l) {
		subject = cdx_layer(l, "layer");
		json_array_extend(components, json_object_get(subject, "components"));
		json_object_del(subject, "components");
	} else {
		subject = json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}]}", "type", "container",
				    "bom-ref", "image", "name", img->name, "version",
				    img->manifest_digest, "hashes", "alg", "SHA-256", "content",
				    digest_oci_hex(img->manifest_digest));
		for (size_t i = 0; i < img->n_layers; i++) {
			buf_reset(&ref);
			buf_addf(&ref, "layer-%zu", i + 1);
			json_array_append_new(components, cdx_layer(&img->layers[i], ref.data));
		}
	}
	json_t *doc =
		json_pack("{s:s, s:s, s:s, s:i, s:{s:s, s:{s:[{s:s, s:s, s:s}]}, s:o}, s:o}",
			  "bomFormat", "CycloneDX", "specVersion", "1.5", "serialNumber",
			  serial.data, "version", 1, "metadata", "timestamp", created, "tools",
			  "components", "type", "application", "name", "imgbuild", "version",
			  IMGBUILD_VERSION, "component", subject, "components", components);
	buf_free(&serial);
	buf_free(&ref);
	return doc;
}

static int check_digests(const sbom_image_t *img, size_t layer, err_t *err)
{
	if (layer != SBOM_WHOLE_IMAGE && layer >= img->n_layers)
		return err_set(err, "SBOM for layer %zu: the image has %zu layers", layer + 1,
			       img->n_layers);
	if (!digest_oci_hex(img->manifest_digest))
		return err_set(err, "SBOM for %s: manifest digest '%s' is not sha256:<64 hex>",
			       img->name, img->manifest_digest ? img->manifest_digest : "(none)");
	for (size_t i = 0; i < img->n_layers; i++)
		if (!digest_oci_hex(img->layers[i].digest))
			return err_set(err,
				       "SBOM for %s: layer %s has digest '%s', not sha256:<64 hex>",
				       img->name, img->layers[i].group,
				       img->layers[i].digest ? img->layers[i].digest : "(none)");
	return 0;
}

int sbom_write(const sbom_image_t *img, sbom_format_t f, size_t layer, buf_t *out, err_t *err)
{
	json_t *doc;
	char *s;
	buf_reset(out);
	if (f == SBOM_NONE)
		return err_set(err, "SBOM for %s: no format chosen", img->name);
	if (check_digests(img, layer, err))
		return -1;
	doc = f == SBOM_SPDX ? spdx_document(img, layer) : cdx_document(img, layer);
	/* docs/layer-format.md "Image JSON": sorted keys, no whitespace */
	s = xcheck(json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT));
	json_decref(doc);
	buf_addstr(out, s);
	free(s);
	return 0;
}

sbom_layer_t *sbom_layers_from_plan(const plan_t *plan, const pkgrec_t *const *pkgs,
				    const char *const *digests, size_t *n)
{
	*n = plan_group_count(plan);
	sbom_layer_t *layers = xcalloc(*n ? *n : 1, sizeof *layers);
	for (size_t g = 0; g < *n; g++) {
		size_t m = plan_group_size(plan, g);
		const pkgrec_t **lp = xcalloc(m ? m : 1, sizeof *lp);
		for (size_t j = 0; j < m; j++)
			lp[j] = pkgs[plan_group_pkg(plan, g, j)];
		layers[g] = (sbom_layer_t){.group = plan_group_name(plan, g),
					   .digest = digests[g],
					   .pkgs = lp,
					   .n_pkgs = m};
	}
	return layers;
}

void sbom_layers_free(sbom_layer_t *layers, size_t n)
{
	if (!layers)
		return;
	for (size_t g = 0; g < n; g++)
		free((void *)layers[g].pkgs);
	free(layers);
}

int sbom_attach(oci_layout_t *l, const sbom_image_t *img, sbom_format_t f,
		const oci_desc_t *subject, char digest[DIGEST_OCI_MAX], err_t *err)
{
	size_t n = img->n_layers + 1;
	buf_t *docs = xcalloc(n, sizeof *docs);
	oci_artifact_part_t *parts = xcalloc(n, sizeof *parts);
	int rc = -1;
	for (size_t i = 0; i < n; i++) {
		size_t layer = i == 0 ? SBOM_WHOLE_IMAGE : i - 1;
		if (sbom_write(img, f, layer, &docs[i], err))
			goto out;
		parts[i] = (oci_artifact_part_t){
			.media_type = sbom_media_type(f), .data = docs[i].data, .len = docs[i].len};
		if (i > 0) {
			parts[i].ann_key = SBOM_ANN_LAYER_DIGEST;
			parts[i].ann_value = img->layers[i - 1].digest;
		}
	}
	rc = oci_referrers_attach(l, subject, sbom_media_type(f), parts, n, digest, err);
out:
	for (size_t i = 0; i < n; i++)
		buf_free(&docs[i]);
	free(docs);
	free(parts);
	return rc;
}
