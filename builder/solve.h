/* solve.h — dependency solving with libsolv in conda mode.
 * One repo per channel x subdir, channel order = priority (strict), virtual packages
 * (__glibc, __linux, __unix, __cuda, __archspec) added as installed locked solvables.
 * The result is a solution: the package records to install, sorted by name.
 * Functions are solve_* (not solver_*): libsolv itself exports solver_free/solver_solve, and the
 * same names here clash at compile and link time. */
#ifndef IMGBUILD_SOLVE_H
#define IMGBUILD_SOLVE_H

#include <stddef.h>

#include "err.h"
#include "pkgrec.h"

typedef struct solver solver_t;
typedef struct solution solution_t;

/* Caller frees. NULL + err if libsolv lacks conda support (says how to fix). */
solver_t *solve_new(err_t *err);
void solve_free(solver_t *s);
/* Adds a repodata.json file for channel base URL + subdir. Channels added first have the
 * highest priority. `channel_name` is what specs use in "name::pkg" (may equal the URL). */
int solve_add_repodata(solver_t *s, const char *channel_name, const char *channel_url,
		       const char *subdir, const char *repodata_path, int channel_index, err_t *err);
/* Adds a virtual package (e.g. "__cuda", "12.4"; build NULL means "0"). It is installed and
 * locked for the solve and never appears in the solution. */
int solve_add_virtual(solver_t *s, const char *name, const char *version, const char *build,
		      err_t *err);
/* Solves for the MatchSpec strings. On an unsatisfiable request err explains the problem in
 * plain words. Caller frees the solution. */
solution_t *solve_run(solver_t *s, const char *const *specs, size_t n_specs, err_t *err);

size_t solution_count(const solution_t *sol);
const pkgrec_t *solution_get(const solution_t *sol, size_t i); /* borrowed, sorted by name */
/* Finds a package by name; NULL when absent (borrowed). */
const pkgrec_t *solution_find(const solution_t *sol, const char *name);
void solution_free(solution_t *sol);

#endif
