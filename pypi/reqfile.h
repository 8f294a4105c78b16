/* reqfile.h — the pip: list of an environment.yml, read as pip reads the requirements file
 * conda writes from it (conda runs `pip install -r <tmp file>` in the file's directory):
 * PEP 508 requirements with per-line --hash=sha256: options, and the option lines conda
 * passes through: -i/--index-url, --extra-index-url, -f/--find-links, --no-index, --pre,
 * -r/--requirement FILE, -c/--constraint FILE (paths relative to the file that names them),
 * --prefer-binary and --only-binary (no-ops: only wheels are ever installed). Wheels named by
 * URL or by a local path ("./wheels/x-1.0-py3-none-any.whl") become direct URL requirements.
 * What needs a build from source (-e, git+..., a local project directory, an sdist URL or
 * path, --no-binary) is an error naming the line and saying how to proceed. */
#ifndef IMGBUILD_REQFILE_H
#define IMGBUILD_REQFILE_H

#include <stddef.h>

#include "err.h"
#include "req.h"

typedef struct pypi_reqset pypi_reqset_t;

/* Reads lines[0..n) (NULL entries, YAML nulls, are skipped) of the pip list in env_path
 * (used for messages and as the base of relative paths); line_numbers[i] is the 1-based
 * line of lines[i] in env_path, or line_numbers is NULL to number them 1..n. Caller frees
 * with pypi_reqset_free; NULL + err ("environment.yml:12: ...") on the first bad line. */
pypi_reqset_t *pypi_reqset_parse(const char *env_path, const char *const *lines,
				 const int *line_numbers, size_t n, err_t *err);
void pypi_reqset_free(pypi_reqset_t *rs);

/* Requirements in the order given (including those from -r files). Borrowed. */
size_t pypi_reqset_count(const pypi_reqset_t *rs);
const pypi_req_t *pypi_reqset_req(const pypi_reqset_t *rs, size_t i);
const char *pypi_reqset_origin(const pypi_reqset_t *rs, size_t i); /* "environment.yml:12" */
/* The --hash=sha256: values of requirement i, as 64 lower-case hex digits. */
size_t pypi_reqset_hash_count(const pypi_reqset_t *rs, size_t i);
const char *pypi_reqset_hash(const pypi_reqset_t *rs, size_t i, size_t k);

/* Constraints (-c files): name, specifier and marker only; they never add a project. */
size_t pypi_reqset_constraint_count(const pypi_reqset_t *rs);
const pypi_req_t *pypi_reqset_constraint(const pypi_reqset_t *rs, size_t i);
const char *pypi_reqset_constraint_origin(const pypi_reqset_t *rs, size_t i);

/* Index options. Relative --find-links paths are made file:// URLs of absolute paths. */
const char *pypi_reqset_index_url(const pypi_reqset_t *rs); /* NULL: not set in the list */
int pypi_reqset_no_index(const pypi_reqset_t *rs);
size_t pypi_reqset_extra_index_count(const pypi_reqset_t *rs);
const char *pypi_reqset_extra_index(const pypi_reqset_t *rs, size_t i);
size_t pypi_reqset_find_links_count(const pypi_reqset_t *rs);
const char *pypi_reqset_find_links(const pypi_reqset_t *rs, size_t i);
int pypi_reqset_pre(const pypi_reqset_t *rs); /* --pre: pre-releases allowed everywhere */

#endif
