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

/* Channel priority (conda's channel_priority): strict = a name found in a higher-priority
 * channel is never taken from a lower one; flexible = higher channels are preferred but lower
 * ones fill in what they cannot satisfy; disabled = newest version wins across channels. */
enum { SOLVE_PRIORITY_STRICT = 0, SOLVE_PRIORITY_FLEXIBLE = 1, SOLVE_PRIORITY_DISABLED = 2 };

/* Caller frees. NULL + err if libsolv lacks conda support (says how to fix). */
solver_t *solve_new(err_t *err);
void solve_free(solver_t *s);
/* "strict" / "flexible" / "disabled" -> SOLVE_PRIORITY_*, -1 for anything else. */
int solve_priority_from_name(const char *name);
void solve_set_channel_priority(solver_t *s, int mode); /* SOLVE_PRIORITY_*; default strict */
/* --channel-alias: the base URL a "name::pkg" spec's channel name resolves against when it
 * is compared with channels given as URLs (channel_resolve); NULL = the default alias. */
void solve_set_channel_alias(solver_t *s, const char *channel_alias);
/* Directory for parsed-repodata caches (<dir>/solv/); NULL = none (parse every time). */
void solve_set_cache_dir(solver_t *s, const char *cache_dir);
/* Adds a repodata.json file for channel base URL + subdir. Channels added first have the
 * highest priority. `channel_name` is what specs use in "name::pkg" (may equal the URL). */
int solve_add_repodata(solver_t *s, const char *channel_name, const char *channel_url,
		       const char *subdir, const char *repodata_path, int channel_index,
		       err_t *err);
/* The same for a document the caller has already scanned (channel_subdir_t.names and .sha
 * from channel_fetch_for_specs): names (taken over, freed on failure too; NULL = none) and sha
 * (its sha256 in hex; NULL or "" = unknown) are used instead of hashing and scanning it
 * again. */
struct nameidx;
int solve_add_repodata_scanned(solver_t *s, const char *channel_name, const char *channel_url,
			       const char *subdir, const char *repodata_path, int channel_index,
			       struct nameidx *names, const char *sha, err_t *err);
/* Adds a virtual package (e.g. "__cuda", "12.4"; build NULL means "0"). It is installed and
 * locked for the solve and never appears in the solution. */
int solve_add_virtual(solver_t *s, const char *name, const char *version, const char *build,
		      err_t *err);
/* Solves for the MatchSpec strings. On an unsatisfiable request err explains the problem in
 * plain words. Caller frees the solution. */
solution_t *solve_run(solver_t *s, const char *const *specs, size_t n_specs, err_t *err);

/* Records solve_run handed to libsolv: only those of the names the specs can reach through
 * depends/constrains (plus the virtual packages'), from every channel (issue 14). */
size_t solve_records_loaded(const solver_t *s);

size_t solution_count(const solution_t *sol);
const pkgrec_t *solution_get(const solution_t *sol, size_t i); /* borrowed, sorted by name */
/* Finds a package by name; NULL when absent (borrowed). */
const pkgrec_t *solution_find(const solution_t *sol, const char *name);
void solution_free(solution_t *sol);
/* python's major.minor ("3.11" for 3.11.9), where noarch: python files go; NULL without
 * python. Caller frees. */
char *solution_python_version(const solution_t *sol);
/* A solution made of records read elsewhere (a lock file): takes ownership of recs (the
 * array and each record), sorts them by name. Never NULL. */
solution_t *solution_from_records(pkgrec_t **recs, size_t n);
/* 1 when some record has no dependency list (read from an @EXPLICIT lock). */
int solution_lacks_depends(const solution_t *sol);
/* Record i, mutable (borrowed): for completing lock records from their archives
 * (pkg_complete_record). NULL when i is out of range. */
pkgrec_t *solution_record(solution_t *sol, size_t i);

#endif
