/* test_envspec.c — environment.yml reading (conda/envspec.c): good files from memory,
 * one test per kind of malformed file (the message must carry file:line:column and say
 * what is wrong), and a walk over the real files in ../shared/corpus/envs whose every
 * dependency string must also go through matchspec_parse. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "envspec.h"
#include "matchspec.h"
#include "testutil.h"

static envspec_t *parse_ok(const char *yaml)
{
	err_t err = ERR_INIT;
	envspec_t *e = envspec_parse("env.yml", yaml, strlen(yaml), &err);
	if (!e)
		fail_msg("rejected: %s", err_msg(&err));
	err_clear(&err);
	return e;
}

/* Parses yaml expecting failure; the message must start "env.yml:<where>: " and contain
 * what. */
static void expect_error(const char *yaml, const char *where, const char *what)
{
	err_t err = ERR_INIT;
	buf_t prefix = BUF_INIT;
	envspec_t *e = envspec_parse("env.yml", yaml, strlen(yaml), &err);
	if (e)
		fail_msg("accepted, expected an error about '%s'", what);
	buf_addf(&prefix, "env.yml:%s: ", where);
	if (strncmp(err_msg(&err), prefix.data, prefix.len) != 0)
		fail_msg("message '%s' does not start with '%s'", err_msg(&err), prefix.data);
	if (!strstr(err_msg(&err), what))
		fail_msg("message '%s' does not mention '%s'", err_msg(&err), what);
	buf_free(&prefix);
	err_clear(&err);
}

static void test_full_file_keeps_name_channels_deps_pip_variables(void **state)
{
	static const char yaml[] = "name: demo   # a comment\n"
				   "channels:\n"
				   "  - conda-forge\n"
				   "  - nodefaults\n"
				   "dependencies:\n"
				   "  - python=3.11\n"
				   "  -   numpy >=1.21,<2   \n"
				   "  - pip\n"
				   "  - pip:\n"
				   "      - requests==2.31\n"
				   "      - \"--index-url https://example.org/simple\"\n"
				   "variables:\n"
				   "  MY_VAR: some value\n"
				   "  THREADS: 4\n"
				   "prefix: /opt/conda/envs/demo\n";
	envspec_t *e = parse_ok(yaml);
	(void)state;
	assert_string_equal(envspec_name(e), "demo");
	assert_string_equal(envspec_path(e), "env.yml");
	assert_int_equal(envspec_channel_count(e), 2);
	assert_string_equal(envspec_channel(e, 0), "conda-forge");
	assert_string_equal(envspec_channel(e, 1), "nodefaults");
	assert_int_equal(envspec_dep_count(e), 3);
	assert_string_equal(envspec_dep(e, 0), "python=3.11");
	assert_string_equal(envspec_dep(e, 1), "numpy >=1.21,<2");
	assert_string_equal(envspec_dep(e, 2), "pip");
	assert_int_equal(envspec_dep_line(e, 0), 6);
	assert_int_equal(envspec_dep_line(e, 1), 7);
	assert_int_equal(envspec_dep_column(e, 1), 7);
	assert_int_equal(envspec_pip_count(e), 2);
	assert_string_equal(envspec_pip(e, 0), "requests==2.31");
	assert_string_equal(envspec_pip(e, 1), "--index-url https://example.org/simple");
	assert_int_equal(envspec_pip_line(e, 1), 11);
	assert_int_equal(envspec_var_count(e), 2);
	assert_string_equal(envspec_var_name(e, 0), "MY_VAR");
	assert_string_equal(envspec_var_value(e, 0), "some value");
	assert_string_equal(envspec_var_name(e, 1), "THREADS");
	assert_string_equal(envspec_var_value(e, 1), "4");
	envspec_free(e);
}

static void test_file_without_name_or_channels_has_none(void **state)
{
	envspec_t *e = parse_ok("dependencies:\n- zlib\n");
	(void)state;
	assert_null(envspec_name(e));
	assert_int_equal(envspec_channel_count(e), 0);
	assert_int_equal(envspec_dep_count(e), 1);
	assert_int_equal(envspec_pip_count(e), 0);
	assert_int_equal(envspec_var_count(e), 0);
	envspec_free(e);
}

static void test_empty_sections_and_unknown_keys_are_accepted(void **state)
{
	envspec_t *e = parse_ok("name:\nchannels:\ndependencies:\nvariables:\n"
				"platforms: [linux-64, osx-arm64]\ncategory: main\n"
				"allow-pypi-requests: true\n");
	(void)state;
	assert_null(envspec_name(e));
	assert_int_equal(envspec_channel_count(e), 0);
	assert_int_equal(envspec_dep_count(e), 0);
	envspec_free(e);
}

static void test_flow_style_lists_and_quoted_numbers_are_strings(void **state)
{
	envspec_t *e = parse_ok("channels: [conda-forge]\ndependencies: [\"3.8\", 'zlib 1.3.*', "
				"python=3.12.1, {pip: [six]}]\n");
	(void)state;
	assert_int_equal(envspec_dep_count(e), 3);
	assert_string_equal(envspec_dep(e, 0), "3.8");
	assert_string_equal(envspec_dep(e, 1), "zlib 1.3.*");
	assert_string_equal(envspec_dep(e, 2), "python=3.12.1");
	assert_int_equal(envspec_pip_count(e), 1);
	envspec_free(e);
}

static void test_anchors_and_aliases_are_followed(void **state)
{
	envspec_t *e = parse_ok("x-common: &common [zlib, bzip2]\ndependencies: *common\n");
	(void)state;
	assert_int_equal(envspec_dep_count(e), 2);
	assert_string_equal(envspec_dep(e, 1), "bzip2");
	envspec_free(e);
}

static void test_empty_file_is_rejected(void **state)
{
	(void)state;
	expect_error("", "1:1", "empty file");
	expect_error("# only a comment\n\n", "1:1", "empty file");
}

static void test_top_level_list_is_rejected(void **state)
{
	(void)state;
	expect_error("- python\n- numpy\n", "1:1", "top level must be a mapping");
	expect_error("just a string\n", "1:1", "top level must be a mapping");
}

static void test_duplicate_top_level_key_is_rejected(void **state)
{
	(void)state;
	expect_error("name: a\ndependencies: [zlib]\nname: b\n", "3:1",
		     "duplicate key 'name' (first at line 1)");
}

static void test_duplicate_variable_is_rejected(void **state)
{
	(void)state;
	expect_error("variables:\n  A: 1\n  A: 2\n", "3:3", "duplicate key 'A'");
}

static void test_tab_indentation_is_a_yaml_error_with_position(void **state)
{
	(void)state;
	expect_error("dependencies:\n\t- zlib\n", "2:1", "invalid YAML");
	expect_error("dependencies:\n\t- zlib\n", "2:1", "tabs");
}

static void test_unclosed_flow_list_is_a_yaml_error(void **state)
{
	(void)state;
	expect_error("name: x\ndependencies: [zlib, bzip2\n", "3:1", "invalid YAML");
}

static void test_invalid_utf8_is_a_yaml_error_with_position(void **state)
{
	(void)state;
	expect_error("name: x\ndependencies:\n  - zl\xff"
		     "ib\n",
		     "3:7", "UTF-8");
}

static void test_second_document_is_rejected(void **state)
{
	(void)state;
	expect_error("dependencies: [zlib]\n---\ndependencies: [bzip2]\n", "2:1",
		     "second YAML document");
}

static void test_channels_not_a_list_is_rejected(void **state)
{
	(void)state;
	expect_error("channels: conda-forge\n", "1:11", "`channels` must be a list");
}

static void test_channel_item_not_a_string_is_rejected(void **state)
{
	(void)state;
	expect_error("channels:\n  - [a, b]\n", "2:5", "`channels` items must be strings");
}

static void test_dependencies_not_a_list_is_rejected(void **state)
{
	(void)state;
	expect_error("dependencies:\n  python: 3.11\n", "2:3", "`dependencies` must be a list");
}

static void test_numeric_dependency_is_rejected(void **state)
{
	(void)state;
	expect_error("dependencies:\n  - zlib\n  - 3.8\n", "3:5",
		     "dependencies item must be a string MatchSpec or a `pip:` list, found a "
		     "number '3.8'");
	expect_error("dependencies:\n  - 42\n", "2:5", "found a number");
	expect_error("dependencies:\n  - true\n", "2:5", "found a boolean");
}

static void test_null_dependency_is_rejected(void **state)
{
	(void)state;
	expect_error("dependencies:\n  - zlib\n  -\n  - bzip2\n", "3:4", "found a null");
}

static void test_empty_quoted_dependency_is_rejected(void **state)
{
	(void)state;
	expect_error("dependencies:\n  - '  '\n", "2:5", "empty dependencies item");
}

static void test_non_pip_mapping_dependency_is_rejected(void **state)
{
	(void)state;
	expect_error("dependencies:\n  - conda: [zlib]\n", "2:5",
		     "dependencies item must be a string MatchSpec or a `pip:` list");
	expect_error("dependencies:\n  - sel(linux): zlib\n", "2:5", "selectors");
}

static void test_nested_list_dependency_is_rejected(void **state)
{
	(void)state;
	expect_error("dependencies:\n  - [zlib, bzip2]\n", "2:5", "found a list");
}

static void test_pip_not_a_list_is_rejected(void **state)
{
	(void)state;
	expect_error("dependencies:\n  - pip: requests\n", "2:10", "`pip` must be a list");
}

static void test_commented_out_pip_item_is_skipped(void **state)
{
	envspec_t *e =
		parse_ok("dependencies:\n  - pip:\n    - six\n    - # av==14.4.0\n    - rich\n");
	(void)state;
	assert_int_equal(envspec_pip_count(e), 2);
	assert_string_equal(envspec_pip(e, 1), "rich");
	assert_int_equal(envspec_pip_line(e, 1), 5);
	envspec_free(e);
}

static void test_pip_mapping_with_extra_key_is_rejected(void **state)
{
	(void)state;
	expect_error("dependencies:\n  - pip: [a]\n    conda: [b]\n", "3:5",
		     "unexpected key 'conda'");
}

static void test_variables_not_a_mapping_is_rejected(void **state)
{
	(void)state;
	expect_error("variables:\n  - A=1\n", "2:3", "`variables` must be a mapping");
}

static void test_variable_without_value_is_rejected(void **state)
{
	(void)state;
	expect_error("variables:\n  A:\n", "2:5", "variable 'A' has no value");
}

/* "A=B: 1" became the image's Env entry "A=B=1", i.e. variable A set to "B=1". */
static void test_variable_named_a_equals_b_is_refused(void **state)
{
	(void)state;
	expect_error("variables:\n  A=B: 1\n", "2:3", "'A=B' is not an environment variable name");
	expect_error("variables:\n  1X: 1\n", "2:3", "'1X' is not an environment variable name");
	expect_error("variables:\n  \"A B\": 1\n", "2:3", "not an environment variable name");
}

/* YAML's "\0" escape kept the bytes after it in libyaml and cut the value in C: the image got
 * "A=x" from "x\0y" without a word. */
static void test_variable_value_with_a_nul_is_refused_not_truncated(void **state)
{
	(void)state;
	expect_error("variables:\n  A: \"x\\0y\"\n", "2:6", "variable 'A' holds a NUL character");
	expect_error("variables:\n  A: \"x\\u0000y\"\n", "2:6", "holds a NUL character");
}

/* A channel URL with a CR/LF inside was echoed raw into messages (and handed to curl). */
static void test_channel_with_a_crlf_inside_is_refused_naming_the_line(void **state)
{
	(void)state;
	expect_error("channels:\n  - \"https://evil.example/c\\r\\nimgbuild: all good\"\n", "2:5",
		     "a `channels` item holds a control character (0x0d)");
	expect_error("dependencies:\n  - \"numpy\\x1b[2J\"\n", "2:5",
		     "a dependencies item holds a control character (0x1b)");
	expect_error("dependencies:\n  - \"numpy\\0>=2\"\n", "2:5", "holds a NUL character");
}

static void test_name_not_a_string_is_rejected(void **state)
{
	(void)state;
	expect_error("name: [a, b]\n", "1:7", "`name` must be a string");
}

static void test_non_string_key_is_rejected(void **state)
{
	(void)state;
	expect_error("[a, b]: c\n", "1:1", "keys must be strings");
}

static void test_oversized_input_is_rejected_before_parsing(void **state)
{
	size_t len = ((size_t)16 << 20) + 1;
	char *big = calloc(1, len);
	err_t err = ERR_INIT;
	(void)state;
	assert_non_null(big);
	assert_null(envspec_parse("huge.yml", big, len, &err));
	assert_non_null(strstr(err_msg(&err), "huge.yml"));
	assert_non_null(strstr(err_msg(&err), "limit"));
	err_clear(&err);
	free(big);
}

static void test_load_of_missing_file_names_the_path(void **state)
{
	err_t err = ERR_INIT;
	(void)state;
	assert_null(envspec_load("/nonexistent/imgbuild/environment.yml", &err));
	assert_non_null(strstr(err_msg(&err), "/nonexistent/imgbuild/environment.yml"));
	err_clear(&err);
}

static void test_free_null_is_noop(void **state)
{
	(void)state;
	envspec_free(NULL);
}

/* --- the real corpus --- */

static char *corpus_dir(const char *sub)
{
	const char *shared = getenv("IMGBUILD_SHARED");
	buf_t b = BUF_INIT;
	struct stat st;
	if (!shared || !*shared)
		return NULL;
	buf_addstr(&b, shared);
	buf_addpath(&b, "corpus/envs");
	if (sub)
		buf_addpath(&b, sub);
	if (stat(b.data, &st) != 0 || !S_ISDIR(st.st_mode)) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* "<path>:<line>:<col>: " */
static int has_position_prefix(const char *msg, const char *path)
{
	size_t n = strlen(path);
	const char *p = msg + n;
	if (strncmp(msg, path, n) != 0 || *p++ != ':' || !isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p++ != ':' || !isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p))
		p++;
	return p[0] == ':' && p[1] == ' ';
}

typedef struct corpus_counts {
	int files, parsed, rejected, deps, deps_ok, deps_bad;
} corpus_counts_t;

static void walk_corpus_dir(const char *dir, corpus_counts_t *counts)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || strcmp(de->d_name, "SOURCES.tsv") == 0 ||
		    !(strstr(de->d_name, ".yml") || strstr(de->d_name, ".yaml")) || len == 0)
			continue;
		names = realloc(names, (n + 1) * sizeof *names);
		assert_non_null(names);
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, testutil_cmp_str);
	for (size_t i = 0; i < n; i++) {
		buf_t path = BUF_INIT;
		err_t err = ERR_INIT;
		envspec_t *e;
		buf_addstr(&path, dir);
		buf_addpath(&path, names[i]);
		counts->files++;
		e = envspec_load(path.data, &err);
		if (!e) {
			counts->rejected++;
			print_message("  rejected %s\n", err_msg(&err));
			if (!has_position_prefix(err_msg(&err), path.data))
				fail_msg("%s: message lacks '<path>:<line>:<col>: ': %s", names[i],
					 err_msg(&err));
		} else {
			counts->parsed++;
			for (size_t k = 0; k < envspec_dep_count(e); k++) {
				matchspec_t *m = matchspec_parse(envspec_dep(e, k), &err);
				counts->deps++;
				if (m) {
					counts->deps_ok++;
				} else {
					counts->deps_bad++;
					print_message("  %s:%d: %s\n", path.data,
						      envspec_dep_line(e, k), err_msg(&err));
					assert_true(strlen(err_msg(&err)) > 0);
				}
				matchspec_free(m);
			}
		}
		envspec_free(e);
		err_clear(&err);
		buf_free(&path);
		free(names[i]);
	}
	free(names);
}

static void test_every_corpus_env_parses_or_fails_with_position(void **state)
{
	char *top = corpus_dir(NULL), *ext = corpus_dir("ext");
	corpus_counts_t counts = {0};
	(void)state;
	if (!top) {
		print_message("IMGBUILD_SHARED/corpus/envs not found; skipping the corpus walk\n");
		skip();
	}
	walk_corpus_dir(top, &counts);
	if (ext)
		walk_corpus_dir(ext, &counts);
	print_message("corpus: %d files, %d parsed, %d rejected; %d dependency strings, %d parsed "
		      "as MatchSpecs, %d rejected\n",
		      counts.files, counts.parsed, counts.rejected, counts.deps, counts.deps_ok,
		      counts.deps_bad);
	assert_true(counts.files >= 50);
	/* Only mamba's four `sel(...)` files are expected to fail; conda files must parse. */
	assert_true(counts.rejected <= 4);
	assert_int_equal(counts.deps_bad, 0);
	free(top);
	free(ext);
}

/* Opens corpus/envs/<rel> or skips. */
static envspec_t *load_corpus(const char *rel)
{
	char *top = corpus_dir(NULL);
	buf_t path = BUF_INIT;
	err_t err = ERR_INIT;
	envspec_t *e;
	if (!top) {
		print_message("IMGBUILD_SHARED/corpus/envs not found; skipping\n");
		skip();
	}
	buf_addstr(&path, top);
	buf_addpath(&path, rel);
	free(top);
	e = envspec_load(path.data, &err);
	if (!e)
		fail_msg("%s", err_msg(&err));
	buf_free(&path);
	return e;
}

static void test_corpus_cryocloud_has_101_deps_and_nodefaults(void **state)
{
	envspec_t *e = load_corpus("CryoInTheCloud__image-cryo-python-AI__environment.yml");
	(void)state;
	assert_string_equal(envspec_name(e), "cryocloud");
	assert_int_equal(envspec_channel_count(e), 2);
	assert_string_equal(envspec_channel(e, 1), "nodefaults");
	assert_int_equal(envspec_dep_count(e), 101);
	assert_int_equal(envspec_pip_count(e), 0);
	envspec_free(e);
}

static void test_corpus_libmamba_docs_has_69_pinned_deps(void **state)
{
	envspec_t *e = load_corpus("conda__conda-libmamba-solver__docs__environment.yml");
	(void)state;
	assert_string_equal(envspec_name(e), "conda-libmamba-solver-docs");
	assert_int_equal(envspec_dep_count(e), 69);
	assert_int_equal(envspec_channel_count(e), 2);
	envspec_free(e);
}

static void test_corpus_actionet_gpu_has_mkl_builds_and_pip(void **state)
{
	envspec_t *e = load_corpus("ext/KellisLab__actionet-python__environment-gpu.yml");
	int saw_mkl = 0;
	(void)state;
	assert_string_equal(envspec_name(e), "actionet-gpu");
	assert_int_equal(envspec_channel_count(e), 3);
	assert_int_equal(envspec_dep_count(e), 31);
	assert_int_equal(envspec_pip_count(e), 1);
	for (size_t i = 0; i < envspec_dep_count(e); i++)
		saw_mkl |= strcmp(envspec_dep(e, i), "libblas=*=*mkl*") == 0;
	assert_true(saw_mkl);
	envspec_free(e);
}

static void test_corpus_dinov2_has_channel_specs_and_three_pip(void **state)
{
	envspec_t *e = load_corpus("ext/facebookresearch__dinov2__conda.yaml");
	(void)state;
	assert_string_equal(envspec_name(e), "dinov2");
	assert_int_equal(envspec_channel_count(e), 5);
	assert_int_equal(envspec_dep_count(e), 11);
	assert_int_equal(envspec_pip_count(e), 3);
	envspec_free(e);
}

static void test_corpus_rattler_variables_file_keeps_variable(void **state)
{
	envspec_t *e =
		load_corpus("conda__rattler__test-data__environments__variables.environment.yaml");
	(void)state;
	assert_int_equal(envspec_var_count(e), 1);
	assert_string_equal(envspec_var_name(e, 0), "MY_ENV_VAR");
	assert_string_equal(envspec_var_value(e, 0), "My Value");
	envspec_free(e);
}

static void test_corpus_extra_white_space_specs_are_trimmed(void **state)
{
	envspec_t *e =
		load_corpus("mamba-org__mamba__micromamba__tests__env-extra-white-space.yaml");
	(void)state;
	assert_null(envspec_name(e));
	assert_int_equal(envspec_dep_count(e), 4);
	for (size_t i = 0; i < envspec_dep_count(e); i++) {
		const char *d = envspec_dep(e, i);
		assert_false(isspace((unsigned char)d[0]));
		assert_false(isspace((unsigned char)d[strlen(d) - 1]));
	}
	envspec_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file_keeps_name_channels_deps_pip_variables),
		cmocka_unit_test(test_file_without_name_or_channels_has_none),
		cmocka_unit_test(test_empty_sections_and_unknown_keys_are_accepted),
		cmocka_unit_test(test_flow_style_lists_and_quoted_numbers_are_strings),
		cmocka_unit_test(test_anchors_and_aliases_are_followed),
		cmocka_unit_test(test_empty_file_is_rejected),
		cmocka_unit_test(test_top_level_list_is_rejected),
		cmocka_unit_test(test_duplicate_top_level_key_is_rejected),
		cmocka_unit_test(test_duplicate_variable_is_rejected),
		cmocka_unit_test(test_tab_indentation_is_a_yaml_error_with_position),
		cmocka_unit_test(test_unclosed_flow_list_is_a_yaml_error),
		cmocka_unit_test(test_invalid_utf8_is_a_yaml_error_with_position),
		cmocka_unit_test(test_second_document_is_rejected),
		cmocka_unit_test(test_channels_not_a_list_is_rejected),
		cmocka_unit_test(test_channel_item_not_a_string_is_rejected),
		cmocka_unit_test(test_dependencies_not_a_list_is_rejected),
		cmocka_unit_test(test_numeric_dependency_is_rejected),
		cmocka_unit_test(test_null_dependency_is_rejected),
		cmocka_unit_test(test_empty_quoted_dependency_is_rejected),
		cmocka_unit_test(test_non_pip_mapping_dependency_is_rejected),
		cmocka_unit_test(test_nested_list_dependency_is_rejected),
		cmocka_unit_test(test_pip_not_a_list_is_rejected),
		cmocka_unit_test(test_commented_out_pip_item_is_skipped),
		cmocka_unit_test(test_pip_mapping_with_extra_key_is_rejected),
		cmocka_unit_test(test_variables_not_a_mapping_is_rejected),
		cmocka_unit_test(test_variable_without_value_is_rejected),
		cmocka_unit_test(test_variable_named_a_equals_b_is_refused),
		cmocka_unit_test(test_variable_value_with_a_nul_is_refused_not_truncated),
		cmocka_unit_test(test_channel_with_a_crlf_inside_is_refused_naming_the_line),
		cmocka_unit_test(test_name_not_a_string_is_rejected),
		cmocka_unit_test(test_non_string_key_is_rejected),
		cmocka_unit_test(test_oversized_input_is_rejected_before_parsing),
		cmocka_unit_test(test_load_of_missing_file_names_the_path),
		cmocka_unit_test(test_free_null_is_noop),
		cmocka_unit_test(test_every_corpus_env_parses_or_fails_with_position),
		cmocka_unit_test(test_corpus_cryocloud_has_101_deps_and_nodefaults),
		cmocka_unit_test(test_corpus_libmamba_docs_has_69_pinned_deps),
		cmocka_unit_test(test_corpus_actionet_gpu_has_mkl_builds_and_pip),
		cmocka_unit_test(test_corpus_dinov2_has_channel_specs_and_three_pip),
		cmocka_unit_test(test_corpus_rattler_variables_file_keeps_variable),
		cmocka_unit_test(test_corpus_extra_white_space_specs_are_trimmed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
