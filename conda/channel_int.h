/* channel_int.h — channel.c's fetch for channel_shards.c: channel_fetch_repodata that also
 * hands over the scan a new document was validated with (repoindex_scan.h) and its sha256,
 * so that a solve reads the document once. Private to conda/. */
#ifndef IMGBUILD_CHANNEL_INT_H
#define IMGBUILD_CHANNEL_INT_H

#include "channel.h"
#include "repoindex_scan.h"

/* channel_fetch_repodata; when names is not NULL and the document was new (downloaded or
 * changed on disk, then validated), *names is its scan (caller frees) and sha its sha256 (64
 * hex digits and NUL); otherwise both are left alone. */
int channel_fetch_repodata_scan(const http_client_t *http, const char *base_url, const char *subdir,
				const char *cache_dir, unsigned flags, buf_t *path_out,
				nameidx_t **names, char sha[65], err_t *err);

#endif
