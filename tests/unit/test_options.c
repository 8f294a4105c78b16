/* test_options.c — the one option table (builder/options.c): every command's options are
 * unique and parse, flags a command does not take are refused naming whose they are, typos
 * get the nearest valid flag, lists and the environment land in the option structs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "testutil.h"

static const cmd_bit_t all_commands[] = {CMD_BUILD, CMD_PLAN, CMD_LOCK, CMD_PUSH};

/* cli_parse on the NULL-terminated words, its stderr in *msg (caller frees). */
static int parse(cmd_bit_t cmd, cli_args_t *a, char **msg, ...)
{
	static char *argv[32]; /* a->args points into it: it outlives the call */
	int argc = 0, saved;
	va_list ap;
	argv[argc++] = (char *)cmd_bit_name(cmd);
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

static void test_each_command_has_unique_names_and_letters(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof all_commands / sizeof all_commands[0]; c++) {
		for (size_t i = 0; i < opt_n_defs; i++) {
			const opt_def_t *a = &opt_defs[i];
			assert_non_null(a->help);
			for (size_t j = i + 1; j < opt_n_defs; j++) {
				const opt_def_t *b = &opt_defs[j];
				if (!(a->commands & b->commands & all_commands[c]))
					continue;
				if (!strcmp(a->name, b->name) ||
				    (a->short_name && a->short_name == b->short_name))
					fail_msg("%s: --%s and --%s clash",
						 cmd_bit_name(all_commands[c]), a->name, b->name);
			}
		}
	}
}

/* Every option a command lists is accepted by that command (with an argument if it takes one). */
static void test_every_listed_option_parses(void **state)
{
	(void)state;
	for (size_t i = 0; i < opt_n_defs; i++) {
		const opt_def_t *d = &opt_defs[i];
		char flag[64], *msg;
		const char *value =
			d->id == OPT_CHANNEL_PRIORITY                         ? "flexible"
			: d->id == OPT_COMPRESSION                            ? "zstd"
			: d->id == OPT_FORMAT                                 ? "json"
			: d->id == OPT_SBOM                                   ? "spdx"
			: d->id == OPT_PROVENANCE                             ? "slsa"
			: d->id == OPT_PROGRESS                               ? "plain"
			: d->id == OPT_COMPRESSION_LEVEL || d->id == OPT_JOBS ? "3"
			: d->id == OPT_WORKDIR                                ? "/x"
			: d->id == OPT_CONFIG                                 ? "none"
			: d->id == OPT_ENV || d->id == OPT_LABEL || d->id == OPT_ANNOTATION ? "k=v"
											    : "x";
		snprintf(flag, sizeof flag, "--%s", d->name);
		for (size_t c = 0; c < sizeof all_commands / sizeof all_commands[0]; c++) {
			cli_args_t a;
			if (!(d->commands & all_commands[c]))
				continue;
			int rc = d->arg ? parse(all_commands[c], &a, &msg, flag, value, NULL)
					: parse(all_commands[c], &a, &msg, flag, NULL);
			if (rc != (d->id == OPT_HELP ? 1 : 0))
				fail_msg("%s %s: %d: %s", cmd_bit_name(all_commands[c]), flag, rc,
					 msg);
			free(msg);
			cli_args_free(&a);
		}
	}
}

static void test_another_commands_flag_is_refused_naming_whose_it_is(void **state)
{
	(void)state;
	cli_args_t a;
	char *msg;
	assert_int_equal(parse(CMD_PLAN, &a, &msg, "-t", "x:1", "env.yml", NULL), 2);
	assert_string_equal(msg, "imgbuild plan: -t is not a plan option (--tag is for build)\n");
	free(msg);
	cli_args_free(&a);
	assert_int_equal(parse(CMD_PUSH, &a, &msg, "--output", "x", NULL), 2);
	assert_string_equal(
		msg,
		"imgbuild push: --output is not a push option (--output is for build, lock)\n");
	free(msg);
	cli_args_free(&a);
}

static void test_a_typo_gets_one_line_with_the_nearest_flag(void **state)
{
	(void)state;
	cli_args_t a;
	char *msg;
	assert_int_equal(parse(CMD_BUILD, &a, &msg, "--chanel", "conda-forge", NULL), 2);
	assert_string_equal(msg,
			    "imgbuild build: unknown option --chanel; did you mean --channel?\n");
	free(msg);
	cli_args_free(&a);
	assert_int_equal(parse(CMD_LOCK, &a, &msg, "--chan", "x", NULL), 2);
	assert_string_equal(
		msg, "imgbuild lock: option --chan is ambiguous: --channel, --channel-alias, "
		     "--channel-priority\n");
	free(msg);
	cli_args_free(&a);
	assert_int_equal(parse(CMD_BUILD, &a, &msg, "--zzzzzzzz", NULL), 2);
	assert_non_null(strstr(msg, "unknown option --zzzzzzzz (see `imgbuild build --help`)"));
	free(msg);
	cli_args_free(&a);
	assert_int_equal(parse(CMD_BUILD, &a, &msg, "--offline=yes", NULL), 2);
	assert_string_equal(msg, "imgbuild build: --offline takes no argument\n");
	free(msg);
	cli_args_free(&a);
	assert_int_equal(parse(CMD_BUILD, &a, &msg, "--lock", NULL), 2);
	assert_string_equal(msg, "imgbuild build: --lock needs an argument (FILE)\n");
	free(msg);
	cli_args_free(&a);
}

static void test_values_are_checked_once_for_every_command(void **state)
{
	(void)state;
	cli_args_t a;
	char *msg;
	assert_int_equal(parse(CMD_PLAN, &a, &msg, "--channel-priority", "loose", NULL), 2);
	assert_non_null(strstr(msg, "--channel-priority loose: use strict, flexible or disabled"));
	free(msg);
	cli_args_free(&a);
	assert_int_equal(parse(CMD_BUILD, &a, &msg, "-j", "0", NULL), 2);
	assert_non_null(strstr(msg, "--jobs 0"));
	free(msg);
	cli_args_free(&a);
}

static void test_lists_and_environment_reach_the_option_structs(void **state)
{
	(void)state;
	cli_args_t a;
	char *msg;
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(parse(CMD_BUILD, &a, &msg, "-c", "one", "--platform",
			       "linux/amd64,linux/arm64", "--channel", "two", "--platform",
			       "linux/aarch64", "--insecure-registry", "h:5000", "-t", "r/x:1",
			       "env.yml", NULL),
			 0);
	unsetenv("SOURCE_DATE_EPOCH");
	assert_int_equal(a.build.n_channels, 2);
	assert_string_equal(a.build.channels[1], "two");
	assert_int_equal(a.build.n_platforms, 3);
	assert_string_equal(a.build.platforms[1], "linux/arm64");
	assert_string_equal(a.build.platforms[2], "linux/aarch64");
	assert_ptr_equal(a.build.reg, &a.reg);
	assert_int_equal(a.reg.n_insecure, 1);
	assert_int_equal(a.publish.n_refs, 1);
	assert_int_equal(a.build.layer.mtime, 1700000000);
	assert_int_equal(a.n_args, 1);
	assert_string_equal(a.args[0], "env.yml");
	assert_int_equal(cli_take_env_file(CMD_BUILD, &a), 0);
	assert_string_equal(a.build.env_path, "env.yml");
	free(msg);
	cli_args_free(&a);
}

static void test_an_environment_file_is_optional_only_with_a_lock(void **state)
{
	(void)state;
	cli_args_t a;
	char *msg;
	assert_int_equal(parse(CMD_BUILD, &a, &msg, "--lock", "l.yml", NULL), 0);
	assert_int_equal(cli_take_env_file(CMD_BUILD, &a), 0);
	assert_null(a.build.env_path);
	free(msg);
	cli_args_free(&a);
	assert_int_equal(parse(CMD_LOCK, &a, &msg, "-o", "l.yml", NULL), 0);
	assert_int_equal(cli_take_env_file(CMD_LOCK, &a), 2);
	free(msg);
	cli_args_free(&a);
}

/* The image config flags: values land in build.image, bad ones fail naming the flag. */
static void test_image_config_flags_reach_the_build_options(void **state)
{
	(void)state;
	cli_args_t a;
	char *msg;
	assert_int_equal(parse(CMD_BUILD, &a, &msg, "--label", "a=b=c", "--label",
			       "e=", "--annotation", "k=v", "--env", "X=1", "--entrypoint",
			       "[\"/bin/sh\", \"-c\"]", "--cmd", "echo hi", "--workdir", "/w",
			       "--user", "1000:100", "--base", "scratch", "env.yml", NULL),
			 0);
	assert_int_equal(a.build.image.n_labels, 2);
	assert_string_equal(a.build.image.labels[0], "a=b=c");
	assert_string_equal(a.build.image.labels[1], "e=");
	assert_string_equal(a.build.image.annotations[0], "k=v");
	assert_string_equal(a.build.image.env[0], "X=1");
	assert_true(a.build.image.has_entrypoint);
	assert_int_equal(a.build.image.n_entrypoint, 2);
	assert_string_equal(a.build.image.entrypoint[1], "-c");
	assert_true(a.build.image.has_cmd);
	assert_int_equal(a.build.image.n_cmd, 1); /* one argument, no shell splitting */
	assert_string_equal(a.build.image.cmd[0], "echo hi");
	assert_string_equal(a.build.image.workdir, "/w");
	assert_string_equal(a.build.user, "1000:100");
	assert_true(a.build.base_is_scratch);
	assert_null(a.build.base);
	assert_string_equal(a.build.base_ref, "scratch");
	free(msg);
	cli_args_free(&a);
	assert_int_equal(parse(CMD_BUILD, &a, &msg, "--entrypoint", "", "--cmd", "[]", NULL), 0);
	assert_true(a.build.image.has_entrypoint && a.build.image.has_cmd);
	assert_int_equal(a.build.image.n_entrypoint + a.build.image.n_cmd, 0);
	free(msg);
	cli_args_free(&a);
}

static void test_bad_image_config_values_name_the_flag(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
		{"--label", "novalue", "--label novalue: expected KEY=VALUE"},
		{"--annotation", "=v", "--annotation =v: the key before '=' is empty"},
		{"--env", "PATH", "--env PATH: expected KEY=VALUE"},
		{"--entrypoint", "[\"a\",", "--entrypoint [\"a\",: not a JSON array"},
		{"--cmd", "[1]", "--cmd [1]: element 1 is not a string"},
		{"--workdir", "app", "--workdir app: must be an absolute path"},
		{"--user", "Alice:x", "--user: image user 'Alice:x'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cli_args_t a;
		char *msg;
		assert_int_equal(parse(CMD_BUILD, &a, &msg, cases[i][0], cases[i][1], NULL), 2);
		if (!strstr(msg, cases[i][2]))
			fail_msg("%s %s: %s", cases[i][0], cases[i][1], msg);
		free(msg);
		cli_args_free(&a);
	}
}

/* org.opencontainers.image.source/revision: the flags, else GitHub's, else GitLab's. */
static void test_source_and_revision_come_from_flags_or_the_ci(void **state)
{
	(void)state;
	cli_args_t a;
	char *msg;
	setenv("GITHUB_SERVER_URL", "https://github.com", 1);
	setenv("GITHUB_REPOSITORY", "o/r", 1);
	setenv("GITHUB_SHA", "abc", 1);
	setenv("CI_PROJECT_URL", "https://gitlab.example/o/r", 1);
	setenv("CI_COMMIT_SHA", "def", 1);
	assert_int_equal(parse(CMD_BUILD, &a, &msg, NULL), 0);
	assert_string_equal(a.build.image.source, "https://github.com/o/r");
	assert_string_equal(a.build.image.revision, "abc");
	free(msg);
	cli_args_free(&a);
	unsetenv("GITHUB_SERVER_URL");
	unsetenv("GITHUB_SHA");
	assert_int_equal(parse(CMD_BUILD, &a, &msg, NULL), 0);
	assert_string_equal(a.build.image.source, "https://gitlab.example/o/r");
	assert_string_equal(a.build.image.revision, "def");
	free(msg);
	cli_args_free(&a);
	assert_int_equal(parse(CMD_BUILD, &a, &msg, "--source", "s", "--revision", "r", NULL), 0);
	assert_string_equal(a.build.image.source, "s");
	assert_string_equal(a.build.image.revision, "r");
	assert_false(a.build.image.has_created);
	free(msg);
	cli_args_free(&a);
	unsetenv("GITHUB_REPOSITORY");
	unsetenv("CI_PROJECT_URL");
	unsetenv("CI_COMMIT_SHA");
	setenv("SOURCE_DATE_EPOCH", "5", 1);
	assert_int_equal(parse(CMD_BUILD, &a, &msg, NULL), 0);
	unsetenv("SOURCE_DATE_EPOCH");
	assert_null(a.build.image.source);
	assert_null(a.build.image.revision);
	assert_true(a.build.image.has_created);
	free(msg);
	cli_args_free(&a);
}

static void test_nearest_word_is_a_typo_away_or_none(void **state)
{
	(void)state;
	const char *words[] = {"build", "lock", "plan", "push", "help", "version"};
	assert_string_equal(cli_nearest("biuld", words, 6), "build");
	assert_string_equal(cli_nearest("pussh", words, 6), "push");
	assert_string_equal(cli_nearest("vers", words, 6), "version");
	assert_null(cli_nearest("kubernetes", words, 6));
}

/* Libraries mark errors with ERR_HINT_* and never name a flag; cli_fail adds the flag. */
static void test_every_error_hint_is_printed_with_its_flag(void **state)
{
	(void)state;
	static const struct {
		int hint;
		const char *flag;
	} hints[] = {
		{ERR_HINT_TLS_UNTRUSTED, "--ca-cert"},
		{ERR_HINT_REGISTRY_CREDS, "--creds"},
		{ERR_HINT_REGISTRY_TLS, "--insecure-registry"},
		{ERR_HINT_GLIBC_NEWER_THAN_BASE, "--glibc"},
		{ERR_HINT_VIRTUAL_PACKAGES, "--cuda DRIVER_VERSION"},
		{ERR_HINT_STRICT_PRIORITY, "--channel-priority flexible"},
		{ERR_HINT_SHORTER_PREFIX, "--prefix"},
		{ERR_HINT_BASE_NEEDED, "--base scratch"},
		{ERR_HINT_USER_SPEC, "--user"},
		{ERR_HINT_OFFLINE_CACHE, "without --offline"},
	};
	static const char head[] = "imgbuild: error: what went wrong\nimgbuild: hint: ";
	for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
		err_t err = ERR_INIT;
		int saved;
		err_set(&err, "what went wrong");
		err_set_hint(&err, hints[i].hint);
		FILE *f = testutil_stderr_capture(&saved);
		assert_int_equal(cli_fail(&err), 1);
		char *out = testutil_stderr_restore(f, saved);
		if (strncmp(out, head, sizeof head - 1) || !strstr(out, hints[i].flag))
			fail_msg("hint %d: no line naming %s in:\n%s", hints[i].hint, hints[i].flag,
				 out);
		free(out);
		err_clear(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_command_has_unique_names_and_letters),
		cmocka_unit_test(test_every_listed_option_parses),
		cmocka_unit_test(test_another_commands_flag_is_refused_naming_whose_it_is),
		cmocka_unit_test(test_a_typo_gets_one_line_with_the_nearest_flag),
		cmocka_unit_test(test_values_are_checked_once_for_every_command),
		cmocka_unit_test(test_lists_and_environment_reach_the_option_structs),
		cmocka_unit_test(test_an_environment_file_is_optional_only_with_a_lock),
		cmocka_unit_test(test_image_config_flags_reach_the_build_options),
		cmocka_unit_test(test_bad_image_config_values_name_the_flag),
		cmocka_unit_test(test_source_and_revision_come_from_flags_or_the_ci),
		cmocka_unit_test(test_nearest_word_is_a_typo_away_or_none),
		cmocka_unit_test(test_every_error_hint_is_printed_with_its_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
