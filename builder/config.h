/* config.h — the project config file (issue 11 part 4; docs/cli.md, "Project config"), as
 * ko's .ko.yaml: imgbuild.yaml beside the environment file, or --config FILE, sets options a
 * project always builds with. Its keys are the long names of the options in opt_defs[] whose
 * opt_def_t.config allows them (options.h), so there is no second list of options, and each
 * value is checked by the same code as the flag (cli_apply_option). The command line wins. */
#ifndef IMGBUILD_CONFIG_H
#define IMGBUILD_CONFIG_H

#include "options.h"

#define CONFIG_FILE_NAME "imgbuild.yaml"

/* The config file cmd reads: --config FILE, nothing for --config none, else imgbuild.yaml in
 * the directory of ENV.yml (a->args[0]) or of --lock, when it exists. Caller frees; NULL =
 * none. */
char *config_find(cmd_bit_t cmd, const cli_args_t *a);

/* Reads the config file (config_find) and applies its keys that cmd takes under what argv
 * said (a->given): a flag replaces a value or a list, and map entries (labels, annotations,
 * env) are merged, a flag's key winning. Keys of options cmd does not take are skipped (user:
 * under `plan`). Called by cli_parse after argv, before the lists are linked. 0 (also when
 * there is no file), or 2 after one usage error on stderr naming FILE:LINE:COLUMN. */
int config_apply(cmd_bit_t cmd, cli_args_t *a);

#endif
