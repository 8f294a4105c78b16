/* options.h — the one table of command-line options. Each option is defined once: long name,
 * short letter, argument, help and the commands that take it (as libgit2's src/cli/opt.h
 * spec tables). Every cmd_*.c parses its argv with cli_parse and prints its --help from the
 * table, so a flag means the same in build, plan, lock and push; shell completion and a man
 * page (issue 11) are loops over opt_defs.
 * Owns: the table, parsing into cli_args_t (values checked once, here), help text, "did you
 * mean". May call: common/, and fills the option types of pipeline.h, publish.h and oci/reg.h.
 * It is CLI code: it prints usage errors, help, and (cli_log, cli_fail) what every command
 * prints the same way. */
#ifndef IMGBUILD_OPTIONS_H
#define IMGBUILD_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "pipeline.h"
#include "publish.h"
#include "reg.h"

/* The commands an option belongs to (opt_def_t.commands). */
typedef enum cmd_bit {
	CMD_BUILD = 1u << 0,
	CMD_PLAN = 1u << 1,
	CMD_LOCK = 1u << 2,
	CMD_PUSH = 1u << 3,
	CMD_INSPECT = 1u << 4, /* issue 15 parts 5-6 */
	CMD_DIFF = 1u << 5,
	CMD_VERIFY = 1u << 6,  /* issue 15 part 7 */
	CMD_LAST = CMD_VERIFY, /* loops over every command's bit end here */
} cmd_bit_t;

/* Above any char, so a long option's getopt value never collides with a short letter. */
typedef enum opt_id {
	OPT_CHANNEL = 256,
	OPT_CHANNEL_ALIAS,
	OPT_CHANNEL_PRIORITY,
	OPT_OFFLINE,
	OPT_PLATFORM,
	OPT_BASE,
	OPT_CUDA,
	OPT_GLIBC,
	OPT_LOCK,
	OPT_IGNORE_PIP,
	OPT_PYPI_INDEX,
	OPT_NAME,
	OPT_PREFIX,
	OPT_RECIPE,
	OPT_COMPRESSION,
	OPT_COMPRESSION_LEVEL,
	OPT_OUTPUT,
	OPT_LOCK_OUTPUT,
	OPT_FORMAT,
	OPT_TAG,
	OPT_METADATA_FILE,
	/* the image config flags (issue 11 part 3), one block */
	OPT_USER,
	OPT_ENTRYPOINT,
	OPT_CMD,
	OPT_WORKDIR,
	OPT_ENV,
	OPT_LABEL,
	OPT_ANNOTATION,
	OPT_SOURCE,
	OPT_REVISION,
	OPT_CACHE_DIR,
	OPT_CACHE_REPO,
	OPT_LAYERS, /* issue 14 part 4: builds spread over machines (builder/spread.c) */
	OPT_NO_LAYER_CACHE,
	OPT_NO_EXTRACT_CACHE,
	OPT_JOBS,
	OPT_VERBOSE,
	OPT_CREDS,
	OPT_CA_CERT,
	OPT_INSECURE_REGISTRY,
	OPT_SBOM, /* issue 15: attachments and signing */
	OPT_PROVENANCE,
	OPT_SIGN_KEY,
	OPT_REPORT_FORMAT, /* issue 15 parts 5-6: inspect and diff */
	OPT_ONE_PLATFORM,
	OPT_QUIET,
	OPT_PROGRESS,
	OPT_CONFIG, /* issue 11 part 4: the project config file (config.h) */
	OPT_HELP,   /* the last id: cli_args_t.given is sized by it */
} opt_id_t;

/* Whether, and how, the project config file (imgbuild.yaml, builder/config.h) sets an option:
 * its key is the option's long name (a LIST or MAP key also with an 's': labels, platforms). */
typedef enum opt_config {
	OPT_CFG_NONE = 0, /* per run, machine or secret: flag only (tags, output, creds, jobs) */
	OPT_CFG_VALUE,    /* one scalar (true/false for an option without argument) */
	OPT_CFG_LIST,     /* a scalar or a sequence; a flag replaces the whole list */
	OPT_CFG_MAP,      /* K=V entries as a mapping; merged with the flags', a flag's K wins */
	OPT_CFG_ARGV,     /* a sequence of strings or one scalar (--entrypoint, --cmd) */
} opt_config_t;

typedef struct opt_def {
	opt_id_t id;
	const char *name;    /* long name, without "--"; unique among one command's options */
	char short_name;     /* 0 = none */
	const char *arg;     /* what the argument looks like ("URL|NAME"); NULL = takes none */
	unsigned commands;   /* CMD_* bits */
	const char *help;    /* one line; each '\n' starts an indented continuation line */
	opt_config_t config; /* what imgbuild.yaml may say about it (config.h) */
} opt_def_t;

extern const opt_def_t opt_defs[];
extern const size_t opt_n_defs;

/* "build", "plan", "lock", "push", "inspect", "diff", "verify" for one CMD_* bit (static string).
 */
const char *cmd_bit_name(cmd_bit_t cmd);

/* Everything the options say, for any command. Lists are owned here; strings point into argv
 * (or into the owned copies for --platform). */
typedef struct cli_args {
	build_opts_t build;     /* solve, layer and cache inputs: what the context is made from */
	publish_opts_t publish; /* build's outputs (-t, --output, --metadata-file) */
	reg_opts_t reg;         /* registry access; build.reg points here */
	const char *output;     /* -o as given: build oci:DIR|docker-archive:FILE, lock FILE */
	const char *format;     /* lock --format, inspect/diff --format, or NULL */
	int is_verbose;         /* plan --verbose */
	int is_quiet;           /* -q: stdout = the pushed references only (cli_result_refs) */
	const char *progress;   /* --progress auto|tty|plain|json as given, or NULL (auto) */
	char **args;            /* positional arguments, in order (borrowed from argv) */
	size_t n_args;
	const char **channels, **tags, **insecure, **platforms;
	size_t n_channels, n_tags, n_insecure, n_platforms;
	const char **labels, **annotations, **envs; /* --label, --annotation, --env: "K=V" */
	size_t n_labels, n_annotations, n_envs;
	char **entrypoint, **cmd; /* --entrypoint, --cmd as argv (owned) */
	size_t n_entrypoint, n_cmd;
	char **owned; /* --platform copies, split at the commas; the CI's source URL; config values
		       */
	size_t n_owned;
	const char *config_path; /* --config FILE or none, or NULL (imgbuild.yaml beside ENV.yml) */
	unsigned char
		given[OPT_HELP + 1 - OPT_CHANNEL]; /* [id - OPT_CHANNEL]: on the command line */
} cli_args_t;

/* Parses argv (argv[0] is the command) for cmd, with usage as the head of its help.
 * Returns 0 when parsed; 1 when --help was printed to stdout (exit 0); 2 after one line on
 * stderr saying what is wrong (an unknown flag names the nearest valid one). Then the
 * environment: SOURCE_DATE_EPOCH (layer mtimes) and IMGBUILD_CACHE_REPO for the commands that
 * key layers. Free with cli_args_free whatever it returns. */
int cli_parse(cmd_bit_t cmd, const char *usage, int argc, char **argv, cli_args_t *out);
void cli_args_free(cli_args_t *a);

/* One option's value from somewhere other than argv (the project config file), checked and
 * stored exactly as the flag would be; a usage error is printed as the flag's, after
 * "ORIGIN: " (FILE:LINE:COLUMN). value is borrowed for a's lifetime (keep it in a->owned).
 * 0, or 2 after a usage error. */
int cli_apply_option(cmd_bit_t cmd, const opt_def_t *d, const char *value, const char *origin,
		     cli_args_t *a);

/* The positional ENV.yml of build, plan and lock into a->build.env_path: exactly one, or
 * (build, plan) none with --lock. 0, or 2 after a usage error. */
int cli_take_env_file(cmd_bit_t cmd, cli_args_t *a);

/* usage, then every option cmd takes, from the table. */
void cli_print_help(FILE *f, cmd_bit_t cmd, const char *usage);

/* What every command prints the same way. cli_log is the log callback of every command:
 * "imgbuild: MESSAGE" on stderr. cli_fail prints "imgbuild: error: MESSAGE" and returns 1,
 * the exit status of a failed run. cli_human_size writes "12.3 MB" (powers of 1000). */
void cli_log(void *ud, const char *msg);
void cli_logf(const char *fmt, ...) ERR_PRINTF(1, 2);
int cli_fail(const err_t *err);
void cli_human_size(long long n, char *out, size_t cap);

/* The candidate closest to word (edit distance, a typo's worth at most), or NULL. */
const char *cli_nearest(const char *word, const char *const *candidates, size_t n);

#endif
