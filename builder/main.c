/* main.c — imgbuild's entry point: a table of subcommands (as git's builtins and libgit2's
 * src/cli/cmd.h), each in its own cmd_*.c file with its options from builder/options.c.
 * `imgbuild ENV.yml ...` with no subcommand means `build`; `imgbuild help CMD` is
 * `imgbuild CMD --help`. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "options.h"

static const cmd_t commands[] = {
	{"build", cmd_build, "build an OCI image from an environment.yml (or a lock)"},
	{"lock", cmd_lock,
	 "solve an environment.yml into a lock file (conda-lock YAML or @EXPLICIT)"},
	{"plan", cmd_plan, "print the layer plan (cached or to build) without building"},
	{"push", cmd_push, "push an OCI image layout (oci:DIR) to a registry"},
	{"inspect", cmd_inspect, "list an image's layers and packages (from its attached SBOM)"},
	{"diff", cmd_diff, "compare two images layer by layer and package by package"},
	{"verify", cmd_verify,
	 "check that an image holds what ENV.yml (or a lock) solves to, in the planned layers"},
	{"help", cmd_help, "show help (`imgbuild help CMD`: that command's options)"},
	{"completion", cmd_completion, "print shell completion: `imgbuild completion bash|zsh`"},
	{"man", cmd_man, "print the man page (roff): `imgbuild man | man -l -`"},
	{"version", cmd_version, "print the version"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

const cmd_t *cmd_table(size_t *n)
{
	*n = N_COMMANDS;
	return commands;
}

static const cmd_t *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[N_COMMANDS];
	for (size_t i = 0; i < N_COMMANDS; i++)
		names[i] = commands[i].name;
	const char *near = cli_nearest(name, names, N_COMMANDS);
	if (near)
		fprintf(stderr, "imgbuild: unknown command '%s'; did you mean %s?\n", name, near);
	else
		fprintf(stderr, "imgbuild: unknown command '%s' (see `imgbuild help`)\n", name);
	return 2;
}

int cmd_help(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "help") != 0) {
		const cmd_t *c = find_command(argv[1]);
		char help_flag[] = "--help";
		char *args[] = {argv[1], help_flag, NULL};
		if (!c)
			return unknown_command(argv[1]);
		return c->fn(2, args);
	}
	printf("usage: imgbuild [build] ENV.yml [options]\n       imgbuild COMMAND "
	       "[options]\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].help);
	printf("\nRun `imgbuild help COMMAND` (or `imgbuild COMMAND --help`) for its options.\n");
	return 0;
}

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("imgbuild %s\n", IMGBUILD_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	const cmd_t *c;
	if (argc < 2)
		return cmd_help(1, argv), 2;
	if ((c = find_command(argv[1])) != NULL)
		return c->fn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc, argv);
	if (argv[1][0] == '-' || strchr(argv[1], '.') || strchr(argv[1], '/'))
		return cmd_build(argc, argv); /* implicit build: argv[0] stands in for "build" */
	return unknown_command(argv[1]);
}
