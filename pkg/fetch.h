/* fetch.h — downloads package archives in parallel (libcurl multi, under the shared HTTP
 * policy of http.h: retries with backoff, CA, proxies), verifies each against its repodata
 * SHA-256 (or MD5 where only that is given) before use, and stores verified files in a
 * content-addressed package cache (<cache>/pkgs/sha256/<hex>). A mismatch is an error naming
 * the package and URL; nothing unverified ever reaches the cache. A record's URL must stay on
 * its channel's scheme and host (or a mirror's), and its body within the record's size (or
 * FETCH_MAX_BYTES when the record gives none): docs/security.md, "Network and credentials". */
#ifndef IMGBUILD_FETCH_H
#define IMGBUILD_FETCH_H

#include <stddef.h>

#include "err.h"
#include "http.h"
#include "pkgrec.h"

/* The cap on a package whose record gives no size. */
#define FETCH_MAX_BYTES (16LL << 30)

typedef void (*fetch_progress_fn)(void *ud, const pkgrec_t *rec, int from_cache);

typedef struct fetch_opts {
	const char *cache_dir;      /* archives go to <cache_dir>/pkgs/ */
	int max_parallel;           /* transfers at once; <= 0 means 4 */
	fetch_progress_fn progress; /* per package, or NULL */
	void *ud;                   /* for progress */
	const http_client_t *http;  /* borrowed; NULL = defaults */
	const char *const *mirrors; /* base URLs records may point at besides their channel */
	size_t n_mirrors;
	const struct progress_sink *sink; /* "download" events (common/progress.h), or NULL */
	int offline; /* download nothing but file:// URLs: an archive not cached is an error */
} fetch_opts_t;

/* For each rec, stores the cached archive path in paths_out[i] (caller frees each). Records
 * without a channel (built by the caller, not read from one) are not held to its host. */
int fetch_packages(const pkgrec_t *const *recs, size_t n, const fetch_opts_t *opts,
		   char **paths_out, err_t *err);

#endif
