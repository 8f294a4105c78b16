/* marker.h — PEP 508 environment markers ('python_version < "3.10" and extra == "socks"'):
 * parsed once into a tree, evaluated against the target's marker environment (tags.h builds
 * one for the image's python and platform, never the build host's). Comparisons follow the
 * specification: version operators compare as PEP 440 versions (pre-releases included) when
 * both sides are versions, else as strings; "extra" compares normalised names (PEP 685). */
#ifndef IMGBUILD_MARKER_H
#define IMGBUILD_MARKER_H

#include "buf.h"
#include "err.h"

typedef struct pypi_marker pypi_marker_t;

/* The marker variables of one target (all borrowed; "" for a value unknown at build time,
 * such as platform_release: the image's kernel is the host's at run time). */
typedef struct pypi_marker_env {
	const char *os_name;                        /* "posix" */
	const char *sys_platform;                   /* "linux" */
	const char *platform_machine;               /* "x86_64", "aarch64" */
	const char *platform_python_implementation; /* "CPython" */
	const char *platform_release;
	const char *platform_system; /* "Linux" */
	const char *platform_version;
	const char *python_version;         /* "3.11" */
	const char *python_full_version;    /* "3.11.2" */
	const char *implementation_name;    /* "cpython" */
	const char *implementation_version; /* "3.11.2" */
} pypi_marker_env_t;

/* Parses s. Caller frees with pypi_marker_free; NULL + err naming the column and what was
 * expected. */
pypi_marker_t *pypi_marker_parse(const char *s, err_t *err);
void pypi_marker_free(pypi_marker_t *m);
/* The marker in normal form ('python_version < "3.10" and extra == "socks"'), borrowed. */
const char *pypi_marker_str(const pypi_marker_t *m);
/* 1 when the marker refers to the "extra" variable. */
int pypi_marker_uses_extra(const pypi_marker_t *m);

/* Evaluates m for env with "extra" set to extra (NULL: no extra, which is ""). 1 true,
 * 0 false, -1 + err for a comparison the specification leaves undefined ("~=" between
 * strings that are not versions). */
int pypi_marker_eval(const pypi_marker_t *m, const pypi_marker_env_t *env, const char *extra,
		     err_t *err);

#endif
