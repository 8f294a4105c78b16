/* resolve.h — a backtracking resolver for pip requirements over an abstract provider (the
 * index client binds it to real projects; tests bind it to an in-memory index). Projects
 * that are pinned (== or ===) are decided first, then in the order they were first required;
 * each tries its candidates newest first; a choice that contradicts a requirement already
 * made is undone and the next candidate tried. Extras are their own nodes ("foo[bar]" is foo
 * at the same version plus the requirements marked extra == "bar"). Projects the caller
 * marks installed (a conda package's Python distribution) are fixed: a requirement they
 * satisfy adds nothing, one they do not is a conflict naming both sides. Pre-releases follow
 * PEP 440 (allowed with --pre, when a specifier names one, or when nothing else matches);
 * yanked candidates only for a pin (PEP 592). The result is sorted by project name. */
#ifndef IMGBUILD_RESOLVE_H
#define IMGBUILD_RESOLVE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "marker.h"
#include "pep440.h"
#include "req.h"

/* One installable version of a project, as the provider lists it (borrowed). */
typedef struct pypi_candidate {
	const pep440_ver_t *version;
	int yanked;
	const void *handle; /* the provider's own (a pypi_file_t, say) */
} pypi_candidate_t;

typedef struct pypi_provider {
	void *ud;
	/* The installable candidates of project key (normalised), any order; they stay valid
	 * until the resolution is freed. why_skipped may say why versions the sources list are
	 * not candidates ("0.4.6 has only an sdist"); it is shown when nothing fits. */
	int (*list)(void *ud, const char *key, const pypi_candidate_t *const **cands, size_t *n,
		    buf_t *why_skipped, err_t *err);
	/* The requirements (Requires-Dist) of one candidate, valid as long as the list. */
	int (*requires)(void *ud, const char *key, const pypi_candidate_t *c,
			const pypi_req_t *const **reqs, size_t *n, err_t *err);
} pypi_provider_t;

/* A project installed outside pip (borrowed strings). */
typedef struct pypi_installed {
	const char *key; /* normalised project name: "pyyaml" */
	const pep440_ver_t *version;
	const char *owner; /* for messages: "conda package pyyaml-6.0-py311h5eee18b_0" */
} pypi_installed_t;

typedef struct pypi_resolve_opts {
	const pypi_provider_t *provider;
	const pypi_marker_env_t *env;
	int allow_prereleases; /* --pre */
	const pypi_installed_t *installed;
	size_t n_installed;
	size_t max_steps; /* candidates tried before giving up; 0: 100000 */
} pypi_resolve_opts_t;

typedef struct pypi_resolution pypi_resolution_t;

/* Resolves reqs[0..n) (origins[i] names where reqs[i] was written, for messages) under
 * constraints[0..n_constraints) (which only limit, never add). Caller frees with
 * pypi_resolution_free; NULL + err when there is no solution: the message names the project
 * and every requirement on it with who made it, and for installed projects the owner. */
pypi_resolution_t *pypi_resolve(const pypi_resolve_opts_t *opts, const pypi_req_t *const *reqs,
				const char *const *origins, size_t n,
				const pypi_req_t *const *constraints, size_t n_constraints,
				err_t *err);
void pypi_resolution_free(pypi_resolution_t *r);

/* The chosen projects (installed ones excluded), sorted by key. All borrowed. */
size_t pypi_resolution_count(const pypi_resolution_t *r);
const char *pypi_resolution_key(const pypi_resolution_t *r, size_t i);
const pypi_candidate_t *pypi_resolution_candidate(const pypi_resolution_t *r, size_t i);
int pypi_resolution_is_requested(const pypi_resolution_t *r, size_t i); /* a top-level req */
/* The extras chosen for it, sorted. */
size_t pypi_resolution_extra_count(const pypi_resolution_t *r, size_t i);
const char *pypi_resolution_extra(const pypi_resolution_t *r, size_t i, size_t k);
/* The projects it depends on (keys, sorted, unique; installed ones included). */
size_t pypi_resolution_dep_count(const pypi_resolution_t *r, size_t i);
const char *pypi_resolution_dep(const pypi_resolution_t *r, size_t i, size_t k);

#endif
