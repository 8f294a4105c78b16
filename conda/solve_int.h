/* solve_int.h — private to solve*.c: the libsolv headers (in the order they need) and what
 * each libsolv repo came from. Not part of the solve_* API. */
#ifndef IMGBUILD_SOLVE_INT_H
#define IMGBUILD_SOLVE_INT_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

/* Order matters: libsolv 0.7.23's conda.h and repo_conda.h do not include what they use.
 * Its headers' inline helpers have unused parameters; keep -Werror for our own code only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <solv/pool.h>
#include <solv/evr.h>
#include <solv/repo.h>
#include <solv/repodata.h>
#include <solv/solver.h>
#include <solv/problems.h>
#include <solv/rules.h>
#include <solv/transaction.h>
#include <solv/conda.h>
#include <solv/repo_conda.h>
#pragma GCC diagnostic pop

/* What one libsolv repo (channel x subdir) came from; hung on Repo.appdata. */
struct repo_info {
	char *channel_name;
	char *channel_url;
	char *subdir;
	int channel_index;
	Repo *repo;
	struct repoindex *records; /* the repodata's record index (repoindex.h), or */
	json_t *root;              /* the parsed repodata.json (no cache dir, or no index) */
	/* sparse loading (solve_sparse.c): the whole document, read at solve_run */
	char *path;            /* the channel's repodata.json */
	char *where;           /* "path (repodata of url/subdir)" for messages */
	char sha[65];          /* its sha256 (with a cache dir) */
	struct nameidx *names; /* its scan (repoindex_scan.h); NULL until needed */
};

/* ---- sparse input (solve_sparse.c) ---- */
/* At solve_add_repodata: scans the document unless the cache records that a document of the
 * same sha256 passed the scan (then the scan waits until a solve needs it). */
int solve_sparse_check(const char *cache_dir, struct repo_info *info, err_t *err);
/* The key of one solve's subsets: every document's sha256 and the seed names. */
void solve_sparse_key(struct repo_info **infos, size_t n, const char *const *seeds, size_t n_seeds,
		      char key[65]);
/* <cache>/repodata/sparse/<sha>-<key>.json; with err, the directory is created. */
int solve_sparse_subset_path(const char *cache_dir, const char *sha, const char *key, buf_t *out,
			     err_t *err);
/* Scans what is not scanned yet, selects in every document the names reachable from the
 * seeds (specs' names and virtual package names) through depends/constrains/requires across
 * all documents, and refuses a name with more records than the solver can handle across
 * them (channels names the channels searched for the message). */
int solve_sparse_select(struct repo_info **infos, size_t n, const char *const *seeds,
			size_t n_seeds, const char *channels, err_t *err);

/* ---- .solv cache (solve_cache.c) ---- */
#include "digest.h"
#include "err.h"
/* The cache key: sha256 of the repodata file. */
int solve_cache_key(const char *repodata_path, char sha[DIGEST_HEX_MAX], err_t *err);
/* 1 = repo filled from <cache_dir>/solv/<sha>-v1.solv; 0 = not cached (repo left empty). */
int solve_cache_load(const char *cache_dir, const char *sha, Repo *repo);
/* Writes the .solv of a repo just loaded from JSON. Best effort. */
void solve_cache_store(const char *cache_dir, const char *sha, Repo *repo);

/* Appends "cannot solve the environment:" and, per problem, a short tree in conda's words
 * (what was requested, which package requires what, what excluded the candidates), built
 * from libsolv's problem rules. specs are the job's MatchSpecs, in job order. Returns the
 * ERR_HINT_* for the error (the first problem line that has one), or ERR_HINT_NONE. */
int solve_explain(Solver *solv, const char *const *specs, size_t n_specs, Repo *virtual_repo,
		  buf_t *out);

#endif
