/* test_sbom.c — builder/sbom.c: purls, SPDX 2.3 documents validated against the SPDX 2.3
 * JSON schema shipped in tests/fixtures/spdx (with python3-jsonschema), the image CONTAINS
 * layer CONTAINS package relationships, per-layer documents partitioning the image's
 * packages, licenses, CycloneDX 1.5 shape, and byte-identical output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "sbom.h"

#define MANIFEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define LAYER1 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define LAYER2 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

typedef struct fixture {
	pkgrec_t *p[4];
	const pkgrec_t *l1[2], *l2[2];
	sbom_layer_t layers[2];
	sbom_image_t img;
} fixture_t;

static pkgrec_t *rec(const char *name, const char *version, const char *build, const char *fn,
		     const char *channel, const char *license)
{
	pkgrec_t *r = pkgrec_new();
	buf_t url = BUF_INIT;
	r->name = strdup(name);
	r->version = strdup(version);
	r->build = strdup(build);
	r->fn = strdup(fn);
	r->subdir = strdup("linux-64");
	r->channel = strdup(channel);
	buf_addf(&url, "%s/linux-64/%s", channel, fn);
	r->url = buf_detach(&url);
	r->sha256 = strdup("abababababababababababababababababababababababababababababababab");
	r->raw = license ? json_pack("{s:s}", "license", license) : json_object();
	return r;
}

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof *f);
	const char *cf = "https://conda.anaconda.org/conda-forge";
	f->p[0] = rec("python", "3.11.2", "h2755cc3_0_cpython",
		      "python-3.11.2-h2755cc3_0_cpython.conda", cf, "Python-2.0");
	f->p[1] = rec("_libgcc_mutex", "0.1", "conda_forge",
		      "_libgcc_mutex-0.1-conda_forge.tar.bz2", cf, NULL);
	f->p[2] = rec("numpy", "1.26.0+local", "py311_0", "numpy-1.26.0+local-py311_0.conda",
		      "file:///srv/chan", "BSD-3-Clause AND (MIT OR Apache-2.0)");
	f->p[3] = rec("zlib", "1.2.13", "h166bdaf_4", "zlib-1.2.13-h166bdaf_4.tar.bz2", cf,
		      "zlib license");
	f->l1[0] = f->p[1];
	f->l1[1] = f->p[0];
	f->l2[0] = f->p[2];
	f->l2[1] = f->p[3];
	f->layers[0] = (sbom_layer_t){"base-python", LAYER1, f->l1, 2};
	f->layers[1] = (sbom_layer_t){"rest", LAYER2, f->l2, 2};
	f->img = (sbom_image_t){"demo", MANIFEST, 1700000000, f->layers, 2};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	for (int i = 0; i < 4; i++)
		pkgrec_free(f->p[i]);
	free(f);
	return 0;
}

static json_t *write_json(const sbom_image_t *img, sbom_format_t fmt, size_t layer)
{
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(sbom_write(img, fmt, layer, &out, &err), 0);
	json_t *doc = json_loads(out.data, 0, NULL);
	assert_non_null(doc);
	buf_free(&out);
	return doc;
}

/* Validates doc with python3-jsonschema against the shipped SPDX 2.3 schema. */
static int validate_spdx(const char *doc)
{
	const char *src = getenv("IMGBUILD_SRC");
	char path[] = "/tmp/test_sbom-XXXXXX";
	buf_t cmd = BUF_INIT;
	int fd = mkstemp(path), rc;
	assert_true(fd >= 0 && src);
	assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	buf_addf(&cmd,
		 "python3 -c 'import json,sys,jsonschema; s=json.load(open(sys.argv[1])); "
		 "jsonschema.Draft7Validator.check_schema(s); "
		 "jsonschema.validate(json.load(open(sys.argv[2])), s, "
		 "format_checker=jsonschema.FormatChecker())' "
		 "%s/tests/fixtures/spdx/spdx-2.3-schema.json %s",
		 src, path);
	rc = system(cmd.data);
	unlink(path);
	buf_free(&cmd);
	return rc;
}

static void test_purl_names_build_channel_subdir_and_type(void **state)
{
	fixture_t *f = *state;
	char *a = sbom_purl(f->p[0]), *b = sbom_purl(f->p[2]), *c = sbom_purl(f->p[1]);
	assert_string_equal(a,
			    "pkg:conda/python@3.11.2?build=h2755cc3_0_cpython&channel=conda-forge"
			    "&subdir=linux-64&type=conda");
	assert_string_equal(b, "pkg:conda/numpy@1.26.0%2Blocal?build=py311_0"
			       "&channel=local&subdir=linux-64&type=conda");
	assert_string_equal(c, "pkg:conda/_libgcc_mutex@0.1?build=conda_forge&channel=conda-forge"
			       "&subdir=linux-64&type=tar.bz2");
	free(a);
	free(b);
	free(c);
}

static void test_spdx_image_document_validates_against_schema(void **state)
{
	fixture_t *f = *state;
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(system("python3 -c 'import jsonschema' 2>/dev/null"), 0);
	assert_int_equal(sbom_write(&f->img, SBOM_SPDX, SBOM_WHOLE_IMAGE, &out, &err), 0);
	assert_int_equal(validate_spdx(out.data), 0);
	for (size_t l = 0; l < 2; l++) {
		assert_int_equal(sbom_write(&f->img, SBOM_SPDX, l, &out, &err), 0);
		assert_int_equal(validate_spdx(out.data), 0);
	}
	buf_free(&out);
}

static void test_schema_check_catches_a_broken_document(void **state)
{
	(void)state;
	/* the validator itself must refuse: a document without creationInfo and a bad SPDXID */
	assert_int_not_equal(validate_spdx("{\"spdxVersion\":\"SPDX-2.3\",\"SPDXID\":\"x\"}"), 0);
}

static json_t *find_pkg(json_t *pkgs, const char *id)
{
	size_t i;
	json_t *p;
	json_array_foreach (pkgs, i, p)
		if (!strcmp(json_string_value(json_object_get(p, "SPDXID")), id))
			return p;
	return NULL;
}

static int has_rel(json_t *rels, const char *a, const char *type, const char *b)
{
	size_t i;
	json_t *r;
	json_array_foreach (rels, i, r) {
		if (!strcmp(json_string_value(json_object_get(r, "spdxElementId")), a) &&
		    !strcmp(json_string_value(json_object_get(r, "relationshipType")), type) &&
		    !strcmp(json_string_value(json_object_get(r, "relatedSpdxElement")), b))
			return 1;
	}
	return 0;
}

static void test_spdx_image_contains_layers_contain_packages(void **state)
{
	fixture_t *f = *state;
	json_t *doc = write_json(&f->img, SBOM_SPDX, SBOM_WHOLE_IMAGE);
	json_t *pkgs = json_object_get(doc, "packages"),
	       *rels = json_object_get(doc, "relationships");
	assert_int_equal(json_array_size(pkgs), 1 + 2 + 4);
	assert_true(has_rel(rels, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"));
	assert_true(has_rel(rels, "SPDXRef-Image", "CONTAINS", "SPDXRef-Layer-1"));
	assert_true(has_rel(rels, "SPDXRef-Image", "CONTAINS", "SPDXRef-Layer-2"));
	assert_true(has_rel(rels, "SPDXRef-Layer-1", "CONTAINS", "SPDXRef-Package-python"));
	assert_true(
		has_rel(rels, "SPDXRef-Layer-1", "CONTAINS", "SPDXRef-Package-.5flibgcc.5fmutex"));
	assert_true(has_rel(rels, "SPDXRef-Layer-2", "CONTAINS", "SPDXRef-Package-zlib"));
	assert_false(has_rel(rels, "SPDXRef-Layer-1", "CONTAINS", "SPDXRef-Package-zlib"));
	json_t *layer = find_pkg(pkgs, "SPDXRef-Layer-2");
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(layer, "checksums"), 0), "checksumValue")),
		LAYER2 + 7);
	json_t *py = find_pkg(pkgs, "SPDXRef-Package-python");
	assert_string_equal(json_string_value(json_object_get(py, "downloadLocation")),
			    "https://conda.anaconda.org/conda-forge/linux-64/"
			    "python-3.11.2-h2755cc3_0_cpython.conda");
	/* a file:// channel's path is this machine's: not a download location */
	assert_string_equal(json_string_value(json_object_get(
				    find_pkg(pkgs, "SPDXRef-Package-numpy"), "downloadLocation")),
			    "NOASSERTION");
	json_t *sum = json_array_get(json_object_get(py, "checksums"), 0);
	assert_string_equal(json_string_value(json_object_get(sum, "algorithm")), "SHA256");
	assert_string_equal(json_string_value(json_object_get(sum, "checksumValue")),
			    f->p[0]->sha256);
	json_t *ref = json_array_get(json_object_get(py, "externalRefs"), 0);
	assert_string_equal(json_string_value(json_object_get(ref, "referenceType")), "purl");
	assert_non_null(strstr(json_string_value(json_object_get(ref, "referenceLocator")),
			       "pkg:conda/python@3.11.2?"));
	json_decref(doc);
}

static void test_spdx_layer_documents_partition_the_image_packages(void **state)
{
	fixture_t *f = *state;
	json_t *whole = write_json(&f->img, SBOM_SPDX, SBOM_WHOLE_IMAGE);
	size_t seen = 0;
	for (size_t l = 0; l < 2; l++) {
		json_t *doc = write_json(&f->img, SBOM_SPDX, l), *p;
		json_t *pkgs = json_object_get(doc, "packages");
		size_t i;
		assert_string_equal(
			json_string_value(json_object_get(json_array_get(pkgs, 0), "SPDXID")),
			"SPDXRef-Layer");
		json_array_foreach (pkgs, i, p) {
			const char *id = json_string_value(json_object_get(p, "SPDXID"));
			if (strncmp(id, "SPDXRef-Package-", 16))
				continue;
			assert_true(has_rel(json_object_get(doc, "relationships"), "SPDXRef-Layer",
					    "CONTAINS", id));
			assert_true(
				json_equal(p, find_pkg(json_object_get(whole, "packages"), id)));
			seen++;
		}
		/* a layer's document does not depend on the image it is in */
		char *text = json_dumps(doc, 0);
		assert_null(strstr(text, MANIFEST + 7));
		free(text);
		json_decref(doc);
	}
	assert_int_equal(seen, 4);
	json_decref(whole);
}

static void test_spdx_licenses_expression_kept_other_text_as_licenseref(void **state)
{
	fixture_t *f = *state;
	json_t *doc = write_json(&f->img, SBOM_SPDX, SBOM_WHOLE_IMAGE);
	json_t *pkgs = json_object_get(doc, "packages");
	assert_string_equal(json_string_value(json_object_get(
				    find_pkg(pkgs, "SPDXRef-Package-numpy"), "licenseDeclared")),
			    "BSD-3-Clause AND (MIT OR Apache-2.0)");
	assert_string_equal(
		json_string_value(json_object_get(
			find_pkg(pkgs, "SPDXRef-Package-.5flibgcc.5fmutex"), "licenseDeclared")),
		"NOASSERTION");
	assert_string_equal(json_string_value(json_object_get(
				    find_pkg(pkgs, "SPDXRef-Package-zlib"), "licenseDeclared")),
			    "LicenseRef-zlib.20license");
	json_t *ex = json_array_get(json_object_get(doc, "hasExtractedLicensingInfos"), 0);
	assert_string_equal(json_string_value(json_object_get(ex, "licenseId")),
			    "LicenseRef-zlib.20license");
	assert_string_equal(json_string_value(json_object_get(ex, "extractedText")),
			    "zlib license");
	json_decref(doc);
}

static void test_spdx_is_deterministic_created_and_namespace_from_inputs(void **state)
{
	fixture_t *f = *state;
	buf_t a = BUF_INIT, b = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(sbom_write(&f->img, SBOM_SPDX, SBOM_WHOLE_IMAGE, &a, &err), 0);
	assert_int_equal(sbom_write(&f->img, SBOM_SPDX, SBOM_WHOLE_IMAGE, &b, &err), 0);
	assert_string_equal(a.data, b.data);
	json_t *doc = json_loads(a.data, 0, NULL);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(doc, "creationInfo"), "created")),
		"2023-11-14T22:13:20Z");
	buf_reset(&b);
	buf_addf(&b, "https://spdx.org/spdxdocs/imgbuild/image/%s", MANIFEST + 7);
	assert_string_equal(json_string_value(json_object_get(doc, "documentNamespace")), b.data);
	json_decref(doc);
	buf_free(&a);
	buf_free(&b);
}

static void test_cyclonedx_nests_packages_in_layers(void **state)
{
	fixture_t *f = *state;
	json_t *doc = write_json(&f->img, SBOM_CYCLONEDX, SBOM_WHOLE_IMAGE);
	assert_string_equal(json_string_value(json_object_get(doc, "specVersion")), "1.5");
	assert_string_equal(json_string_value(json_object_get(doc, "serialNumber")),
			    "urn:uuid:11111111-1111-5111-9111-111111111111");
	json_t *meta = json_object_get(json_object_get(doc, "metadata"), "component");
	assert_string_equal(json_string_value(json_object_get(meta, "type")), "container");
	json_t *layers = json_object_get(doc, "components");
	assert_int_equal(json_array_size(layers), 2);
	json_t *l2 = json_array_get(layers, 1);
	assert_string_equal(json_string_value(json_object_get(l2, "name")), "layer rest");
	json_t *zlib = json_array_get(json_object_get(l2, "components"), 1);
	assert_string_equal(json_string_value(json_object_get(zlib, "purl")),
			    "pkg:conda/zlib@1.2.13?build=h166bdaf_4&channel=conda-forge"
			    "&subdir=linux-64&type=tar.bz2");
	json_t *lic = json_array_get(json_object_get(zlib, "licenses"), 0);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(lic, "license"), "name")),
		"zlib license");
	json_decref(doc);
}

static void test_bad_digest_is_an_error_naming_the_layer(void **state)
{
	fixture_t *f = *state;
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	f->layers[1].digest = "sha256:xyz";
	assert_int_equal(sbom_write(&f->img, SBOM_SPDX, SBOM_WHOLE_IMAGE, &out, &err), -1);
	assert_non_null(strstr(err_msg(&err), "layer rest"));
	f->layers[1].digest = LAYER2;
	assert_int_equal(sbom_write(&f->img, SBOM_SPDX, 2, &out, &err), -1);
	err_clear(&err);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_purl_names_build_channel_subdir_and_type,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_spdx_image_document_validates_against_schema,
						setup, teardown),
		cmocka_unit_test(test_schema_check_catches_a_broken_document),
		cmocka_unit_test_setup_teardown(test_spdx_image_contains_layers_contain_packages,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_spdx_layer_documents_partition_the_image_packages, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_spdx_licenses_expression_kept_other_text_as_licenseref, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_spdx_is_deterministic_created_and_namespace_from_inputs, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_cyclonedx_nests_packages_in_layers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_digest_is_an_error_naming_the_layer, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
