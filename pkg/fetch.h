/* fetch.h — downloads package archives in parallel (libcurl multi), verifies each against
 * its repodata SHA-256 (or MD5 where only that is given) before use, and stores verified
 * files in a content-addressed package cache (<cache>/pkgs/sha256/<hex>). A mismatch is an
 * error naming the package and URL; nothing unverified ever reaches the cache. */
#ifndef IMGBUILD_FETCH_H
#define IMGBUILD_FETCH_H

#include <stddef.h>

#include "err.h"
#include "pkgrec.h"

typedef void (*fetch_progress_fn)(void *ud, const pkgrec_t *rec, int from_cache);

/* For each rec, stores the cached archive path in paths_out[i] (caller frees each).
 * max_parallel <= 0 means 4. */
int fetch_packages(const pkgrec_t *const *recs, size_t n, const char *cache_dir, int max_parallel,
		   fetch_progress_fn progress, void *ud, char **paths_out, err_t *err);

#endif
