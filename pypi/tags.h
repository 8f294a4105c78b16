/* tags.h — the Python target an image is built for, described from the outside (the solved
 * conda python record's version, the platform being built, the image's glibc), never from
 * the build host: its PEP 508 marker environment and the ranked list of wheel tags it
 * accepts (PEP 425 as pip and pypa/packaging produce it: cp3XY-cp3XY-<platforms>, then
 * cp3XY-abi3, cp3XY-none, older cp3X-abi3, py3X-none-<platforms>, cp3XY-none-any,
 * py3X-none-any; platforms are manylinux_2_N_<arch> from the glibc version down, with the
 * PEP 600 legacy aliases manylinux2014/2010/1 after 2_17/2_12/2_5, then linux_<arch>).
 * CPython 3 on Linux x86_64 and aarch64 only. */
#ifndef IMGBUILD_TAGS_H
#define IMGBUILD_TAGS_H

#include <stddef.h>

#include "distfile.h"
#include "err.h"
#include "marker.h"

typedef struct pypi_target pypi_target_t;

/* python_version: the conda python record's version ("3.11.2", "3.12.0rc3"); platform: a
 * conda subdir ("linux-64", "linux-aarch64"), an OCI platform ("linux/amd64",
 * "linux/arm64") or a machine name ("x86_64", "aarch64"); glibc: "2.28" (the image's
 * __glibc). Caller frees with pypi_target_free; NULL + err naming what is not supported. */
pypi_target_t *pypi_target_new(const char *python_version, const char *platform, const char *glibc,
			       err_t *err);
void pypi_target_free(pypi_target_t *t);

/* Borrowed from t. */
const pypi_marker_env_t *pypi_target_marker_env(const pypi_target_t *t);
const char *pypi_target_python_version(const pypi_target_t *t);      /* "3.11" */
const char *pypi_target_python_full_version(const pypi_target_t *t); /* "3.11.2" */
const char *pypi_target_machine(const pypi_target_t *t);             /* "x86_64" / "aarch64" */

/* The accepted tags, most preferred first ("cp311-cp311-manylinux_2_28_x86_64", ...). */
size_t pypi_target_tag_count(const pypi_target_t *t);
const char *pypi_target_tag(const pypi_target_t *t, size_t i);
/* The rank (index in that list) of tag, or -1 when the target does not accept it. */
long pypi_target_tag_rank(const pypi_target_t *t, const char *tag);
/* The best rank among a wheel's tags, or -1 when none is accepted (an sdist: -1). */
long pypi_target_wheel_rank(const pypi_target_t *t, const pypi_distfile_t *f);

#endif
