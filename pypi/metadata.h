/* metadata.h — core metadata (METADATA in a wheel's .dist-info, or the PEP 658 ".metadata"
 * file an index serves beside it): the RFC 822 header block with Metadata-Version, Name,
 * Version, Requires-Python, Requires-Dist and Provides-Extra; the description body is
 * ignored. A Metadata-Version whose major number is above 2 is refused, as the core metadata
 * specification asks of tools that do not know it. */
#ifndef IMGBUILD_METADATA_H
#define IMGBUILD_METADATA_H

#include <stddef.h>

#include "err.h"
#include "pep440.h"
#include "req.h"

typedef struct pypi_metadata pypi_metadata_t;

/* Parses text[0..len); origin names it in messages ("six-1.16.0-py2.py3-none-any.whl
 * METADATA"). Caller frees with pypi_metadata_free; NULL + err on a missing Name or
 * Version, an invalid version or requirement, or an unknown Metadata-Version. */
pypi_metadata_t *pypi_metadata_parse(const char *text, size_t len, const char *origin, err_t *err);
void pypi_metadata_free(pypi_metadata_t *m);

/* All borrowed from m. */
const char *pypi_metadata_name(const pypi_metadata_t *m); /* as written */
const pep440_ver_t *pypi_metadata_version(const pypi_metadata_t *m);
const pep440_spec_t *pypi_metadata_requires_python(const pypi_metadata_t *m); /* NULL: none */
size_t pypi_metadata_requires_count(const pypi_metadata_t *m);
const pypi_req_t *pypi_metadata_requires(const pypi_metadata_t *m, size_t i);
size_t pypi_metadata_extra_count(const pypi_metadata_t *m);
const char *pypi_metadata_extra(const pypi_metadata_t *m, size_t i); /* normalised */

#endif
