/* distfile.h — what a distribution's file name says (the "Binary distribution format" and
 * "Source distribution format" specifications): a wheel's
 * {name}-{version}[-{build}]-{python}-{abi}-{platform}.whl with its compressed tag sets
 * ("py2.py3-none-any" is two tags), and an sdist's {name}-{version}.tar.gz / .zip. */
#ifndef IMGBUILD_DISTFILE_H
#define IMGBUILD_DISTFILE_H

#include <stddef.h>

#include "err.h"
#include "pep440.h"

typedef struct pypi_distfile pypi_distfile_t;

/* Parses a file name (no directory). Caller frees with pypi_distfile_free; NULL + err naming
 * the file when it is neither a well-formed wheel name nor an sdist name. */
pypi_distfile_t *pypi_distfile_parse(const char *filename, err_t *err);
void pypi_distfile_free(pypi_distfile_t *f);

/* All borrowed from f. */
int pypi_distfile_is_wheel(const pypi_distfile_t *f);
const char *pypi_distfile_name(const pypi_distfile_t *f); /* as in the file name */
const char *pypi_distfile_key(const pypi_distfile_t *f);  /* PEP 503 normalised */
const pep440_ver_t *pypi_distfile_version(const pypi_distfile_t *f);
const char *pypi_distfile_build_tag(const pypi_distfile_t *f); /* NULL when none */
/* The expanded tags of a wheel, each "python-abi-platform" (none for an sdist). */
size_t pypi_distfile_tag_count(const pypi_distfile_t *f);
const char *pypi_distfile_tag(const pypi_distfile_t *f, size_t i);

/* 1 when name ends in ".whl", 0 otherwise: a file name that is not worth parsing at all. */
int pypi_distfile_has_wheel_suffix(const char *name);

#endif
