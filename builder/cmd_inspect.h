/* cmd_inspect.h — what `imgbuild diff` (cmd_diff.c) shares with `imgbuild inspect`
 * (cmd_inspect.c): argument checks and how a package is printed, so both read alike. */
#ifndef IMGBUILD_CMD_INSPECT_H
#define IMGBUILD_CMD_INSPECT_H

#include <jansson.h>

#include "image_info.h"
#include "options.h"

/* cli_parse, then exactly n_refs references and at most one --platform. 0, 1 after --help,
 * 2 after a usage error (printed). */
int cmd_inspect_args(cmd_bit_t cmd, const char *usage, size_t n_refs, int argc, char **argv,
		     cli_args_t *a);
/* {name, version, build, channel, kind}. Caller owns the reference. */
json_t *cmd_inspect_pkg_json(const image_pkg_t *p);
/* "    MARKname version build kind [channel]" on stdout. */
void cmd_inspect_pkg_line(const char *mark, const image_pkg_t *p);

#endif
