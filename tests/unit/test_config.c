/* test_config.c — the project config file (builder/config.c): every settable option of
 * opt_defs[] is a key and lands where its flag does; flags override it (a value or a list is
 * replaced, labels/annotations/env are merged with the flag's key winning); --config FILE and
 * --config none; each error names FILE:LINE:COLUMN, and a bad value gets the flag's message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "layer.h"
#include "provenance.h"
#include "sbom.h"
#include "solve.h"
#include "testutil.h"

static char *dir;      /* the project: ENV.yml and imgbuild.yaml */
static char *env_path; /* dir/env.yml */
static char *cfg_path; /* dir/imgbuild.yaml */

static int group_setup(void **state)
{
	(void)state;
	dir = testutil_tmpdir_new("imgbuild-test-config");
	env_path = testutil_join(dir, "env.yml");
	cfg_path = testutil_join(dir, CONFIG_FILE_NAME);
	testutil_write_text(env_path, "name: x\ndependencies: [python]\n");
	return dir ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free(env_path);
	free(cfg_path);
	testutil_tmpdir_remove(dir);
	return 0;
}

/* Writes yaml as dir/imgbuild.yaml, then cli_parse(cmd) of the NULL-terminated words after
 * env.yml; its stderr in *msg (caller frees). */
static int parse(const char *yaml, cmd_bit_t cmd, cli_args_t *a, char **msg, ...)
{
	static char *argv[32]; /* a->args points into it: it outlives the call */
	int argc = 0, saved;
	va_list ap;
	if (yaml)
		testutil_write_text(cfg_path, yaml);
	else
		unlink(cfg_path);
	argv[argc++] = (char *)cmd_bit_name(cmd);
	argv[argc++] = env_path;
	va_start(ap, msg);
	for (char *w; (w = va_arg(ap, char *)) != NULL && argc < 31;)
		argv[argc++] = w;
	va_end(ap);
	argv[argc] = NULL;
	FILE *f = testutil_stderr_capture(&saved);
	int rc = cli_parse(cmd, "usage: test\n", argc, argv, a);
	*msg = testutil_stderr_restore(f, saved);
	return rc;
}

/* The error message for yaml (a build), which must fail with exit status 2. */
static char *error_of(const char *yaml)
{
	cli_args_t a;
	char *msg;
	assert_int_equal(parse(yaml, CMD_BUILD, &a, &msg, NULL), 2);
	cli_args_free(&a);
	return msg;
}

/* msg is "imgbuild build: DIR/imgbuild.yaml:WHERE: TEXT..." */
static void assert_error_at(const char *msg, const char *where, const char *text)
{
	char *want = NULL;
	size_t n = (size_t)snprintf(NULL, 0, "imgbuild build: %s:%s: %s", cfg_path, where, text);
	want = malloc(n + 1);
	snprintf(want, n + 1, "imgbuild build: %s:%s: %s", cfg_path, where, text);
	if (strncmp(msg, want, n))
		fail_msg("expected \"%s...\", got \"%s\"", want, msg);
	free(want);
}

static const char every_key[] = "channels: [https://example.org/one, two]\n"
				"channel-alias: https://mirror.example.org\n"
				"channel-priority: flexible\n"
				"platforms: [linux/amd64, linux/arm64]\n"
				"base: oci:base.oci:bookworm\n"
				"cuda: '12.2'\n"
				"glibc: '2.31'\n"
				"lock: locks/env.lock\n"
				"ignore-pip: true\n"
				"pypi-index: https://pypi.example.org/simple/\n"
				"name: proj\n"
				"prefix: /opt/env\n"
				"recipe: recipe.yaml\n"
				"compression: zstd\n"
				"compression-level: 7\n"
				"user: 1000:1000\n"
				"entrypoint: [python, -m, app]\n"
				"cmd: serve\n"
				"workdir: /app\n"
				"env: {PYTHONUNBUFFERED: '1', EMPTY: }\n"
				"labels:\n  team: data\n  tier: '2'\n"
				"annotations: {org.example.a: x}\n"
				"source: https://git.example.org/proj\n"
				"cache-repo: reg.example.org/cache\n"
				"ca-cert: /etc/ca.pem\n"
				"insecure-registry: [localhost:5000]\n"
				"sbom: cyclonedx\n"
				"provenance: none\n";

/* Each option a config may set appears in every_key (so the test below covers it). */
static void test_every_settable_option_is_tested(void **state)
{
	(void)state;
	for (size_t i = 0; i < opt_n_defs; i++) {
		const opt_def_t *d = &opt_defs[i];
		char key[64];
		if (d->config == OPT_CFG_NONE)
			continue;
		snprintf(key, sizeof key, "\n%s", d->name);
		if (!strstr(every_key, key) && strncmp(every_key, key + 1, strlen(key + 1)))
			fail_msg("option --%s is settable in a config but not tested", d->name);
	}
}

static void assert_list(const char *const *got, size_t n, const char *want)
{
	buf_t joined = BUF_INIT;
	buf_addf(&joined, "%s", "");
	for (size_t i = 0; i < n; i++)
		buf_addf(&joined, "%s%s", i ? " " : "", got[i]);
	assert_string_equal(joined.data, want);
	buf_free(&joined);
}

static void test_every_key_lands_where_its_flag_does(void **state)
{
	cli_args_t a;
	char *msg, *lock = testutil_join(dir, "locks/env.lock");
	char *recipe = testutil_join(dir, "recipe.yaml");
	(void)state;
	assert_int_equal(parse(every_key, CMD_BUILD, &a, &msg, NULL), 0);
	build_opts_t *o = &a.build;
	assert_list(o->channels, o->n_channels, "https://example.org/one two");
	assert_string_equal(o->channel_alias, "https://mirror.example.org");
	assert_int_equal(o->channel_priority, SOLVE_PRIORITY_FLEXIBLE);
	assert_list(o->platforms, o->n_platforms, "linux/amd64 linux/arm64");
	assert_string_equal(o->base, "oci:base.oci:bookworm");
	assert_string_equal(o->cuda_version, "12.2");
	assert_string_equal(o->glibc_version, "2.31");
	assert_string_equal(o->lock_path, lock); /* FILE values: relative to the config */
	assert_int_equal(o->ignore_pip, 1);
	assert_string_equal(o->pypi_index, "https://pypi.example.org/simple/");
	assert_string_equal(o->name, "proj");
	assert_string_equal(o->prefix, "/opt/env");
	assert_string_equal(o->recipe_path, recipe);
	assert_int_equal(o->layer.compression, LAYER_ZSTD);
	assert_int_equal(o->layer.level, 7);
	assert_string_equal(o->user, "1000:1000");
	assert_list(o->image.entrypoint, o->image.n_entrypoint, "python -m app");
	assert_list(o->image.cmd, o->image.n_cmd, "serve");
	assert_string_equal(o->image.workdir, "/app");
	assert_list(o->image.env, o->image.n_env, "PYTHONUNBUFFERED=1 EMPTY=");
	assert_list(o->image.labels, o->image.n_labels, "team=data tier=2");
	assert_list(o->image.annotations, o->image.n_annotations, "org.example.a=x");
	assert_string_equal(o->image.source, "https://git.example.org/proj");
	assert_string_equal(o->cache_repo, "reg.example.org/cache");
	assert_string_equal(a.reg.ca_cert, "/etc/ca.pem");
	assert_list(a.reg.insecure, a.reg.n_insecure, "localhost:5000");
	assert_int_equal(o->sbom_format, SBOM_CYCLONEDX);
	assert_int_equal(o->provenance, PROVENANCE_NONE);
	free(msg);
	free(lock);
	free(recipe);
	cli_args_free(&a);
}

/* A value or a list on the command line replaces the config's. */
static void test_flags_replace_values_and_lists(void **state)
{
	cli_args_t a;
	char *msg;
	(void)state;
	assert_int_equal(parse("user: app\nplatform: linux/amd64,linux/arm64\nworkdir: /app\n"
			       "entrypoint: [a, b]\n",
			       CMD_BUILD, &a, &msg, "--user", "0", "--platform", "linux/arm64",
			       "--entrypoint", "c", NULL),
			 0);
	assert_string_equal(a.build.user, "0");
	assert_list(a.build.platforms, a.build.n_platforms, "linux/arm64");
	assert_string_equal(a.build.image.workdir, "/app"); /* not given: the config's */
	assert_list(a.build.image.entrypoint, a.build.image.n_entrypoint, "c");
	free(msg);
	cli_args_free(&a);
}

/* Labels (and annotations, env) are merged: the config's first, a flag's key wins. */
static void test_flags_merge_into_maps(void **state)
{
	cli_args_t a;
	char *msg;
	(void)state;
	assert_int_equal(parse("labels: {a: '1', b: '2'}\nenv: [X=1]\n", CMD_BUILD, &a, &msg,
			       "--label", "b=3", "--label", "c=4", "--env", "Y=2", NULL),
			 0);
	assert_list(a.build.image.labels, a.build.image.n_labels, "a=1 b=3 c=4");
	assert_list(a.build.image.env, a.build.image.n_env, "X=1 Y=2");
	free(msg);
	cli_args_free(&a);
}

/* --config none reads nothing; --config FILE reads that file, wherever ENV.yml is. */
static void test_config_none_and_explicit_file(void **state)
{
	cli_args_t a;
	char *msg, *other = testutil_join(dir, "other.yaml");
	(void)state;
	assert_int_equal(parse("user: app\n", CMD_BUILD, &a, &msg, "--config", "none", NULL), 0);
	assert_null(a.build.user);
	free(msg);
	cli_args_free(&a);
	testutil_write_text(other, "user: other\n");
	assert_int_equal(parse("user: app\n", CMD_BUILD, &a, &msg, "--config", other, NULL), 0);
	assert_string_equal(a.build.user, "other");
	free(msg);
	cli_args_free(&a);
	assert_int_equal(parse(NULL, CMD_BUILD, &a, &msg, NULL), 0); /* no file: nothing */
	assert_null(a.build.user);
	free(msg);
	cli_args_free(&a);
	unlink(other);
	assert_int_equal(parse(NULL, CMD_BUILD, &a, &msg, "--config", other, NULL), 2);
	assert_non_null(strstr(msg, other));
	free(msg);
	cli_args_free(&a);
	free(other);
}

/* plan takes no --user: the key is skipped, not refused (one file serves every command). */
static void test_keys_of_other_commands_are_skipped(void **state)
{
	cli_args_t a;
	char *msg;
	(void)state;
	assert_int_equal(parse("user: app\nbase: scratch\n", CMD_PLAN, &a, &msg, NULL), 0);
	assert_null(a.build.user);
	assert_int_equal(a.build.base_is_scratch, 1);
	free(msg);
	cli_args_free(&a);
}

/* A config that must fail, and where and what its message says. */
typedef struct bad_config {
	const char *yaml, *where, *text;
} bad_config_t;

static void assert_bad_configs(const bad_config_t *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *msg = error_of(c[i].yaml);
		assert_error_at(msg, c[i].where, c[i].text);
		free(msg);
	}
}

static void test_unknown_key_names_position_and_nearest(void **state)
{
	static const bad_config_t bad[] = {
		{"user: app\n  # comment\nlables: {a: b}\n", "3:1",
		 "unknown key 'lables'; did you mean 'label'?"},
		{"zzzzzzzz: 1\n", "1:1", "unknown key 'zzzzzzzz'"},
		/* a secret, or what differs per run: a flag only */
		{"creds: a:b\n", "1:1", "'creds' cannot be set in a config file, only as --creds"},
		{"tag: x:1\n", "1:1", "'tag' cannot be set in a config file, only as --tag"},
	};
	(void)state;
	assert_bad_configs(bad, sizeof bad / sizeof bad[0]);
}

static void test_wrong_types_name_position(void **state)
{
	static const bad_config_t bad[] = {
		{"user:\n  - app\n", "2:3", "user: expected a single value, not a list"},
		{"labels: team\n", "1:9", "label: expected KEY: VALUE entries, not a single value"},
		{"labels:\n  a: {b: c}\n", "2:6",
		 "label: expected KEY: VALUE entries, not a mapping"},
		{"ignore-pip: yes please\n", "1:13",
		 "ignore-pip: expected true or false, not 'yes please'"},
		{"entrypoint: [a, [b]]\n", "1:17",
		 "entrypoint: expected a list of strings, not a list in it"},
		{"platforms: [{a: b}]\n", "1:13",
		 "platform: expected a list of values, not a mapping in it"},
		{"base:\n", "1:6", "base: has no value"},
		{"- user\n", "1:1", "expected a mapping of option names to values, not a list"},
	};
	(void)state;
	assert_bad_configs(bad, sizeof bad / sizeof bad[0]);
}

static void test_duplicate_keys_name_both_lines(void **state)
{
	static const bad_config_t bad[] = {
		{"user: a\nbase: scratch\nuser: b\n", "3:1",
		 "duplicate key 'user' (first at line 1)"},
		{"labels:\n  a: '1'\n  a: '2'\n", "3:3",
		 "label: duplicate key 'a' (first at line 2)"},
		{"label: {a: '1'}\nlabels: {b: '2'}\n", "2:1",
		 "'labels' sets --label, already set at line 1"},
	};
	(void)state;
	assert_bad_configs(bad, sizeof bad / sizeof bad[0]);
}

/* The value goes through the flag's own check: the same message, after the position. */
static void test_bad_value_gets_the_flags_message(void **state)
{
	static const bad_config_t bad[] = {
		{"workdir: app\n", "1:10", "--workdir app: must be an absolute path"},
		{"compression: lz4\n", "1:14", "--compression lz4: use gzip or zstd"},
		{"labels: [novalue]\n", "1:10", "--label novalue: expected KEY=VALUE"},
		{"user: app\nlabels: [a\n", "3:1",
		 "invalid YAML: did not find expected ',' or ']'"},
	};
	cli_args_t a;
	char *flag_msg, *msg;
	(void)state;
	assert_int_equal(parse(NULL, CMD_BUILD, &a, &flag_msg, "--user", "Bad User", NULL), 2);
	cli_args_free(&a);
	msg = error_of("name: ok\nuser: Bad User\n");
	assert_error_at(msg, "2:7", flag_msg + strlen("imgbuild build: "));
	free(msg);
	free(flag_msg);
	assert_bad_configs(bad, sizeof bad / sizeof bad[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_settable_option_is_tested),
		cmocka_unit_test(test_every_key_lands_where_its_flag_does),
		cmocka_unit_test(test_flags_replace_values_and_lists),
		cmocka_unit_test(test_flags_merge_into_maps),
		cmocka_unit_test(test_config_none_and_explicit_file),
		cmocka_unit_test(test_keys_of_other_commands_are_skipped),
		cmocka_unit_test(test_unknown_key_names_position_and_nearest),
		cmocka_unit_test(test_wrong_types_name_position),
		cmocka_unit_test(test_duplicate_keys_name_both_lines),
		cmocka_unit_test(test_bad_value_gets_the_flags_message),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
