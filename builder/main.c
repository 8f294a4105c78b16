/* main.c — imgbuild's entry point: a table of subcommands (as git's builtins), each in its
 * own cmd_*.c file. `imgbuild ENV.yml ...` with no subcommand means `build`. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static const cmd_t commands[] = {
	{"build", cmd_build, "build an OCI image from an environment.yml"},
	{"lock", cmd_lock, "solve an environment.yml into a lock file (conda-lock YAML or @EXPLICIT)"},
	{"plan", cmd_plan, "print the layer plan (cached or to build) without building"},
	{"push", cmd_push, "push an OCI image layout (oci:DIR) to a registry"},
	{"help", cmd_help, "show help"},
	{"version", cmd_version, "print the version"},
};

int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("usage: imgbuild [build] ENV.yml [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].help);
	printf("\nRun `imgbuild build --help` for the build options.\n");
	return 0;
}

/* The library says what went wrong and where; only the CLI knows its flags (CONVENTIONS §1). */
void cmd_print_error(const err_t *err)
{
	fprintf(stderr, "imgbuild: error: %s\n", err_msg(err));
	switch (err ? err->hint : ERR_HINT_NONE) {
	case ERR_HINT_TLS_UNTRUSTED:
		fprintf(stderr, "imgbuild: hint: trust the server's CA with --ca-cert FILE (a PEM file), "
				"or $SSL_CERT_FILE\n");
		break;
	case ERR_HINT_REGISTRY_TLS:
		fprintf(stderr, "imgbuild: hint: trust the registry's CA with --ca-cert FILE (or "
				"--insecure-registry HOST[:PORT] for a test registry)\n");
		break;
	case ERR_HINT_REGISTRY_CREDS:
		fprintf(stderr, "imgbuild: hint: give credentials with --creds USER:PASSWORD, "
				"$IMGBUILD_REGISTRY_USER/$IMGBUILD_REGISTRY_PASSWORD or `docker login`\n");
		break;
	default:
		break;
	}
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
	if (argc < 2)
		return cmd_help(argc, argv), 2;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc, argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc, argv);
	if (argv[1][0] == '-' || strchr(argv[1], '.') || strchr(argv[1], '/'))
		return cmd_build(argc, argv); /* implicit build: argv[0] stands in for "build" */
	fprintf(stderr, "imgbuild: unknown command '%s' (see `imgbuild help`)\n", argv[1]);
	return 2;
}
