/* envspec.h — environment.yml (conda's env file) parsed with libyaml.
 * Keeps name, channels, conda dependencies (MatchSpec strings, unparsed), the pip sub-list
 * and variables, each with its source line for later error messages. Malformed files fail
 * with "file:line:column: what is wrong". */
#ifndef IMGBUILD_ENVSPEC_H
#define IMGBUILD_ENVSPEC_H

#include <stddef.h>

#include "err.h"

typedef struct envspec envspec_t;

/* Parses path. Caller frees with envspec_free. NULL + err on failure. */
envspec_t *envspec_load(const char *path, err_t *err);
/* Same from memory; display_name is used in messages. */
envspec_t *envspec_parse(const char *display_name, const char *data, size_t len, err_t *err);
void envspec_free(envspec_t *e);

/* All returned strings are borrowed from e. */
const char *envspec_name(const envspec_t *e); /* NULL when the file has no name */
const char *envspec_path(const envspec_t *e);
size_t envspec_channel_count(const envspec_t *e);
const char *envspec_channel(const envspec_t *e,
			    size_t i); /* as written: "conda-forge", URL, "nodefaults" */
size_t envspec_dep_count(const envspec_t *e);
const char *envspec_dep(const envspec_t *e, size_t i); /* MatchSpec string, trimmed */
int envspec_dep_line(const envspec_t *e, size_t i);    /* 1-based source line */
int envspec_dep_column(const envspec_t *e, size_t i);  /* 1-based source column */
size_t envspec_pip_count(const envspec_t *e);
const char *envspec_pip(const envspec_t *e, size_t i);
int envspec_pip_line(const envspec_t *e, size_t i);
size_t envspec_var_count(const envspec_t *e);
const char *envspec_var_name(const envspec_t *e, size_t i);
const char *envspec_var_value(const envspec_t *e, size_t i);

#endif
