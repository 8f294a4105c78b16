/* context_pip.h — the pip: section in the build context (issue 12, docs/pip.md "In the
 * build"): the list is read with the environment file; after a platform's conda packages are
 * known, the conda packages' Python distributions are found (their info/paths.json), the
 * list is resolved against the package indexes for the image's python, platform and glibc,
 * and each chosen wheel joins the platform's package set as a record (subdir "pypi", build
 * "pypi_0", as `conda list` shows pip packages), so the layer plan, the layer cache keys,
 * `plan` and `lock` see pip packages as they see conda ones.
 * Owns: the parsed list, per platform the index client, the resolution and the conda file
 * owners. May call: pypi/, pkg/ (reading conda archives), the context. */
#ifndef IMGBUILD_CONTEXT_PIP_H
#define IMGBUILD_CONTEXT_PIP_H

#include <stddef.h>

#include "context.h"
#include "err.h"
#include "pkgrec.h"
#include "solve.h"

typedef struct ctx_pip ctx_pip_t;

/* Reads the environment's pip: list (load_env); with --ignore-pip it is left out. */
int ctx_pip_load(ctx_t *c, err_t *err);
/* After platform i's conda package set *sol is known (archives: its archives, or NULL after
 * a solve): resolves the pip list and replaces *sol by the conda records plus one record per
 * wheel; *archives (when not NULL and set) is realigned, pip records' entries NULL. Nothing
 * to do without a pip list. */
int ctx_pip_add(ctx_t *c, size_t i, solution_t **sol, char ***archives, err_t *err);
/* --lock: with --ignore-pip, frees the pip records among recs[0..n) and returns how many
 * records are left (compacted, in order); else n. */
size_t ctx_pip_lock_filter(ctx_t *c, pkgrec_t **recs, size_t n);
/* Frees every platform's state and the list (ctx_free). */
void ctx_pip_free_all(ctx_t *c);

/* The wheel of pip record r of platform i as a local file, verified (its sha256, a --hash
 * pin): *path (caller frees) is in the cache or a find-links directory. */
int ctx_pip_fetch(ctx_t *c, size_t i, const pkgrec_t *r, char **path, err_t *err);
/* ctx_pip_fetch for every pip record among pkgs[0..n) that is needed (is_needed NULL: all)
 * and has no archive yet, into archives[k]. One at a time: the index client is not shared
 * between threads. */
int ctx_pip_fetch_all(ctx_t *c, size_t i, const pkgrec_t *const *pkgs, size_t n,
		      const unsigned char *is_needed, char **archives, err_t *err);
/* Installs the wheel of pip record r (fetched to wheel) into the new staging directory stage,
 * refusing files that a conda package of the platform installs. */
int ctx_pip_install(ctx_t *c, size_t i, const pkgrec_t *r, const char *wheel, const char *stage,
		    err_t *err);

/* Conda packages' Python distributions and files (context_pip_conda.c). */
typedef struct pip_conda_map pip_conda_map_t;
/* Scans recs[0..n) (archives[k]: the archive of recs[k], or NULL: fetched or taken from the
 * cache of earlier scans, <cache>/pypi/conda-files/<sha256>.json) for *.dist-info and
 * *.egg-info names and for the files they install under prefix (python_xy "3.11" places
 * noarch: python files). Caller frees. */
pip_conda_map_t *pip_conda_scan(ctx_t *c, const pkgrec_t *const *recs, size_t n,
				char *const *archives, const char *python_xy, err_t *err);
void pip_conda_map_free(pip_conda_map_t *m);
/* The distributions found: normalised project name, version as written, and the conda
 * record that installs it (borrowed). */
size_t pip_conda_dist_count(const pip_conda_map_t *m);
void pip_conda_dist(const pip_conda_map_t *m, size_t k, const char **key, const char **version,
		    const pkgrec_t **owner);
/* The dist ("name-version-build") of the conda package that installs rel_path (relative to
 * the prefix), or NULL. Borrowed. Thread-safe (read-only). */
const char *pip_conda_owner(const pip_conda_map_t *m, const char *rel_path);

#endif
