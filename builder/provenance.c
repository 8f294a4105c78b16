/* provenance.c — the in-toto Statement v1 / SLSA Provenance v1 document of a build (see
 * provenance.h). Layout of the predicate: https://slsa.dev/spec/v1.0/provenance; resolved
 * packages are ResourceDescriptors (https://github.com/in-toto/attestation, v1) named by
 * their conda purl (builder/sbom.h), so a moved file:// channel changes no byte. */
#include "provenance.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "sbom.h"
#include "version.h"
#include "xalloc.h"

#define STATEMENT_TYPE "https://in-toto.io/Statement/v1"

int provenance_format_parse(const char *s, provenance_format_t *out, err_t *err)
{
	if (!strcmp(s, "none"))
		*out = PROVENANCE_NONE;
	else if (!strcmp(s, "slsa"))
		*out = PROVENANCE_SLSA;
	else
		return err_set(err, "--provenance %s: expected none or slsa", s);
	return 0;
}

static json_t *file_json(const provenance_file_t *f)
{
	return json_pack("{s:s, s:{s:s}}", "name", f->name, "digest", "sha256", f->sha256);
}

static json_t *package_json(const pkgrec_t *r)
{
	char *purl = sbom_purl(r);
	json_t *digest = json_pack("{s:s}", "sha256", r->sha256);
	json_t *d = json_pack("{s:s, s:s}", "name", r->fn, "uri", purl);
	if (r->md5)
		json_object_set_new(digest, "md5", json_string(r->md5));
	json_object_set_new(d, "digest", digest);
	/* a file:// URL names a directory of the build machine: the purl says "local" */
	if (r->url && strncmp(r->url, "file://", 7))
		json_object_set_new(d, "downloadLocation", json_string(r->url));
	free(purl);
	return d;
}

static int by_name(const void *a, const void *b)
{
	const pkgrec_t *x = *(const pkgrec_t *const *)a, *y = *(const pkgrec_t *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->fn, y->fn);
}

/* resolvedDependencies: every package by name (docs/layer-format.md: sorted, not solve
 * order), each with its archive digests. */
static json_t *packages_json(const provenance_input_t *in, err_t *err)
{
	const pkgrec_t **sorted = xcalloc(in->n_pkgs ? in->n_pkgs : 1, sizeof *sorted);
	json_t *list = json_array();
	memcpy(sorted, in->pkgs, in->n_pkgs * sizeof *sorted);
	if (in->n_pkgs)
		qsort(sorted, in->n_pkgs, sizeof *sorted, by_name);
	for (size_t i = 0; list && i < in->n_pkgs; i++) {
		if (!digest_is_hex(sorted[i]->sha256, 64)) {
			err_set(err, "provenance: package %s has no sha256 (%s)", sorted[i]->fn,
				pkgrec_origin(sorted[i]));
			json_decref(list);
			list = NULL;
			break;
		}
		json_array_append_new(list, package_json(sorted[i]));
	}
	free(sorted);
	return list;
}

static json_t *external_parameters(const provenance_input_t *in)
{
	json_t *chans = json_array();
	for (size_t i = 0; i < in->n_channels; i++)
		json_array_append_new(chans, json_string(in->channels[i]));
	json_t *p = json_pack("{s:o, s:o, s:s, s:s, s:I}", "channels", chans, "recipe",
			      file_json(&in->recipe), "platform", in->platform, "prefix",
			      in->prefix, "sourceDateEpoch", (json_int_t)in->source_date_epoch);
	if (in->env_file)
		json_object_set_new(p, "environmentFile", file_json(in->env_file));
	if (in->lock)
		json_object_set_new(p, "lock", file_json(in->lock));
	return p;
}

int provenance_write(const provenance_input_t *in, buf_t *out, err_t *err)
{
	const char *hex = digest_oci_hex(in->manifest_digest);
	json_t *deps, *doc;
	char *s;
	if (!hex)
		return err_set(err, "provenance of '%s': not a sha256:<64 hex> digest",
			       in->manifest_digest ? in->manifest_digest : "(none)");
	if (!(deps = packages_json(in, err)))
		return -1;
	json_t *predicate = json_pack(
		"{s:{s:s, s:o, s:o}, s:{s:{s:s, s:{s:s}}}}", "buildDefinition", "buildType",
		PROVENANCE_BUILD_TYPE, "externalParameters", external_parameters(in),
		"resolvedDependencies", deps, "runDetails", "builder", "id", PROVENANCE_BUILDER_ID,
		"version", "imgbuild", IMGBUILD_VERSION);
	doc = json_pack("{s:s, s:[{s:s, s:{s:s}}], s:s, s:o}", "_type", STATEMENT_TYPE, "subject",
			"name", in->name, "digest", "sha256", hex, "predicateType",
			PROVENANCE_PREDICATE_TYPE, "predicate", predicate);
	xcheck(doc);
	/* docs/layer-format.md "Image JSON": sorted keys, no whitespace */
	s = xcheck(json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT));
	json_decref(doc);
	buf_setstr(out, s);
	free(s);
	return 0;
}
