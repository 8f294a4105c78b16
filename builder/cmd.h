/* cmd.h — the subcommand table shared by main.c and the cmd_*.c files (as libgit2's
 * src/cli/cmd.h). Each cmd_*.c parses its options with the one table (options.h), makes a build
 * context (context.h) and prints; the work is in the builder library. */
#ifndef IMGBUILD_CMD_H
#define IMGBUILD_CMD_H

#include <stddef.h>

#include "err.h"
#include "version.h"

typedef struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmd_t;

int cmd_build(int argc, char **argv);
int cmd_lock(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_inspect(int argc, char **argv); /* issue 15 parts 5-6 */
int cmd_diff(int argc, char **argv);
int cmd_verify(int argc, char **argv); /* issue 15 part 7 */
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_completion(int argc, char **argv); /* cmd_completion.c */
int cmd_man(int argc, char **argv);

/* The subcommand table (main.c), for help, completion and the man page. */
const cmd_t *cmd_table(size_t *n);

/* Prints "imgbuild: error: MESSAGE" and, for errors a flag can fix, which flag (main.c). */

#endif
