/* index_provider.h — the resolver's provider (resolve.h) over the index client (index.h):
 * a project's candidates are its versions that have a wheel for the target (requires-python
 * met; of several such wheels the best-ranked tag, then the first source), and a candidate's
 * requirements are its core metadata's Requires-Dist (from .metadata files when the index
 * has them). Versions skipped because they only have an sdist, no wheel for the target, or a
 * requires-python that excludes it are named when nothing fits. */
#ifndef IMGBUILD_INDEX_PROVIDER_H
#define IMGBUILD_INDEX_PROVIDER_H

#include "index.h"
#include "resolve.h"

typedef struct pypi_index_provider pypi_index_provider_t;

/* Borrows ix (and its target) for its lifetime. Caller frees. */
pypi_index_provider_t *pypi_index_provider_new(pypi_index_t *ix);
void pypi_index_provider_free(pypi_index_provider_t *p);
/* The provider to hand to pypi_resolve (borrowed from p). */
const pypi_provider_t *pypi_index_provider_get(pypi_index_provider_t *p);
/* Makes f (pypi_index_url_file of a "name @ URL" requirement) the only candidate of project
 * key. Call before resolving; a second, different file for the same key is an error. */
int pypi_index_provider_use_file(pypi_index_provider_t *p, const char *key, const pypi_file_t *f,
				 err_t *err);
/* The wheel chosen for a candidate this provider listed (borrowed from the index). */
const pypi_file_t *pypi_index_provider_file(const pypi_candidate_t *c);

#endif
