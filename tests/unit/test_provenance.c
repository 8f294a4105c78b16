/* test_provenance.c — builder/provenance.c: the in-toto Statement v1 shape (subject = the
 * manifest digest), the SLSA v1 predicate's inputs (environment file, lock, recipe by sha256,
 * channels, platform, SOURCE_DATE_EPOCH), resolved packages sorted by name with their digests
 * and purls (no file:// path), byte-identical output, and the errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "provenance.h"

#define MANIFEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEX_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

typedef struct fixture {
	pkgrec_t *p[2];
	const pkgrec_t *pkgs[2];
	provenance_file_t env;
	const char *channels[2];
	provenance_input_t in;
} fixture_t;

static pkgrec_t *rec(const char *name, const char *fn, const char *channel, const char *sha)
{
	pkgrec_t *r = pkgrec_new();
	buf_t url = BUF_INIT;
	r->name = strdup(name);
	r->version = strdup("1.0");
	r->build = strdup("0");
	r->fn = strdup(fn);
	r->subdir = strdup("linux-64");
	r->channel = strdup(channel);
	buf_addf(&url, "%s/linux-64/%s", channel, fn);
	r->url = buf_detach(&url);
	r->sha256 = sha ? strdup(sha) : NULL;
	r->raw = json_object();
	return r;
}

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof *f);
	f->p[0] = rec("zlib", "zlib-1.0-0.conda", "https://conda.anaconda.org/conda-forge", HEX_A);
	f->p[1] = rec("python", "python-1.0-0.conda", "file:///srv/chan", HEX_B);
	f->pkgs[0] = f->p[0]; /* solve order, not name order */
	f->pkgs[1] = f->p[1];
	f->env = (provenance_file_t){"environment.yml", HEX_C};
	f->channels[0] = "conda-forge";
	f->channels[1] = "file:///srv/chan";
	f->in = (provenance_input_t){.name = "demo",
				     .manifest_digest = MANIFEST,
				     .env_file = &f->env,
				     .recipe = {"(built-in default.yaml)", HEX_A},
				     .channels = f->channels,
				     .n_channels = 2,
				     .platform = "linux/amd64",
				     .prefix = "/opt/conda/envs/demo",
				     .source_date_epoch = 1700000000,
				     .pkgs = f->pkgs,
				     .n_pkgs = 2};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	pkgrec_free(f->p[0]);
	pkgrec_free(f->p[1]);
	free(f);
	return 0;
}

static json_t *write_json(const provenance_input_t *in)
{
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(provenance_write(in, &out, &err), 0);
	json_t *doc = json_loads(out.data, 0, NULL);
	assert_non_null(doc);
	buf_free(&out);
	return doc;
}

static const char *path_str(json_t *doc, const char *path)
{
	json_t *at = doc;
	char *copy = strdup(path);
	for (char *k = copy, *dot; at && k; k = dot ? dot + 1 : NULL) {
		if ((dot = strchr(k, '.')))
			*dot = '\0';
		at = json_is_array(at) ? json_array_get(at, (size_t)strtol(k, NULL, 10))
				       : json_object_get(at, k);
	}
	free(copy);
	return json_string_value(at);
}

static void test_statement_subject_is_the_manifest_digest(void **state)
{
	fixture_t *f = *state;
	json_t *doc = write_json(&f->in);
	assert_string_equal(path_str(doc, "_type"), "https://in-toto.io/Statement/v1");
	assert_string_equal(path_str(doc, "predicateType"), "https://slsa.dev/provenance/v1");
	assert_string_equal(path_str(doc, "subject.0.name"), "demo");
	assert_string_equal(path_str(doc, "subject.0.digest.sha256"), MANIFEST + 7);
	assert_int_equal(json_array_size(json_object_get(doc, "subject")), 1);
	json_decref(doc);
}

static void test_predicate_names_builder_and_inputs_by_digest(void **state)
{
	fixture_t *f = *state;
	provenance_file_t lock = {"conda-lock.yml", HEX_B};
	f->in.lock = &lock;
	json_t *doc = write_json(&f->in);
	json_t *ext = json_object_get(
		json_object_get(json_object_get(doc, "predicate"), "buildDefinition"),
		"externalParameters");
	assert_string_equal(path_str(doc, "predicate.runDetails.builder.id"),
			    PROVENANCE_BUILDER_ID);
	assert_non_null(path_str(doc, "predicate.runDetails.builder.version.imgbuild"));
	assert_string_equal(path_str(ext, "environmentFile.name"), "environment.yml");
	assert_string_equal(path_str(ext, "environmentFile.digest.sha256"), HEX_C);
	assert_string_equal(path_str(ext, "lock.digest.sha256"), HEX_B);
	assert_string_equal(path_str(ext, "recipe.digest.sha256"), HEX_A);
	assert_string_equal(path_str(ext, "channels.1"), "file:///srv/chan");
	assert_string_equal(path_str(ext, "platform"), "linux/amd64");
	assert_int_equal(json_integer_value(json_object_get(ext, "sourceDateEpoch")), 1700000000);
	json_decref(doc);
}

static void test_resolved_packages_sorted_by_name_with_digests(void **state)
{
	fixture_t *f = *state;
	json_t *doc = write_json(&f->in);
	json_t *deps = json_object_get(
		json_object_get(json_object_get(doc, "predicate"), "buildDefinition"),
		"resolvedDependencies");
	assert_int_equal(json_array_size(deps), 2);
	assert_string_equal(path_str(deps, "0.name"), "python-1.0-0.conda");
	assert_string_equal(path_str(deps, "0.digest.sha256"), HEX_B);
	assert_string_equal(path_str(deps, "1.digest.sha256"), HEX_A);
	assert_string_equal(
		path_str(deps, "1.uri"),
		"pkg:conda/zlib@1.0?build=0&channel=conda-forge&subdir=linux-64&type=conda");
	assert_string_equal(path_str(deps, "1.downloadLocation"),
			    "https://conda.anaconda.org/conda-forge/linux-64/zlib-1.0-0.conda");
	/* a file:// channel is a directory of the build machine: not in the document */
	assert_null(json_object_get(json_array_get(deps, 0), "downloadLocation"));
	assert_null(strstr(path_str(deps, "0.uri"), "/srv/chan"));
	json_decref(doc);
}

static void test_same_inputs_same_bytes(void **state)
{
	fixture_t *f = *state;
	buf_t a = BUF_INIT, b = BUF_INIT;
	err_t err = ERR_INIT;
	assert_int_equal(provenance_write(&f->in, &a, &err), 0);
	f->pkgs[0] = f->p[1]; /* another order in: the same document out */
	f->pkgs[1] = f->p[0];
	assert_int_equal(provenance_write(&f->in, &b, &err), 0);
	assert_string_equal(a.data, b.data);
	f->in.source_date_epoch++;
	assert_int_equal(provenance_write(&f->in, &b, &err), 0);
	assert_string_not_equal(a.data, b.data);
	buf_free(&a);
	buf_free(&b);
}

static void test_package_without_sha256_is_an_error_naming_it(void **state)
{
	fixture_t *f = *state;
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	free(f->p[0]->sha256);
	f->p[0]->sha256 = NULL;
	assert_int_equal(provenance_write(&f->in, &out, &err), -1);
	assert_non_null(strstr(err_msg(&err), "zlib-1.0-0.conda"));
	err_clear(&err);
	buf_free(&out);
}

static void test_bad_subject_digest_and_format_names(void **state)
{
	fixture_t *f = *state;
	buf_t out = BUF_INIT;
	err_t err = ERR_INIT;
	provenance_format_t p;
	f->in.manifest_digest = "sha256:12";
	assert_int_equal(provenance_write(&f->in, &out, &err), -1);
	assert_non_null(strstr(err_msg(&err), "sha256:12"));
	err_clear(&err);
	assert_int_equal(provenance_format_parse("slsa", &p, &err), 0);
	assert_int_equal(p, PROVENANCE_SLSA);
	assert_int_equal(provenance_format_parse("slsa1", &p, &err), -1);
	assert_non_null(strstr(err_msg(&err), "--provenance slsa1"));
	err_clear(&err);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_statement_subject_is_the_manifest_digest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_predicate_names_builder_and_inputs_by_digest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolved_packages_sorted_by_name_with_digests,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_inputs_same_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_package_without_sha256_is_an_error_naming_it,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_subject_digest_and_format_names, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
