/* channel.h — conda channels: names, URLs and file:// paths resolved to base URLs, and
 * repodata.json fetched per subdir through libcurl (file://, http://, https://) into an
 * on-disk cache under <cache>/repodata/. */
#ifndef IMGBUILD_CHANNEL_H
#define IMGBUILD_CHANNEL_H

#include "buf.h"
#include "err.h"

/* Turns what a user wrote ("conda-forge", "https://host/chan", "file:///x", "/abs/dir")
 * into a base URL without trailing slash, in out. Names use channel_alias
 * (default "https://conda.anaconda.org"). "defaults" -> https://repo.anaconda.com/pkgs/main
 * only (not r: see channel.c). Absolute paths become file:// URLs (percent-encoded).
 * Returns -1 for names that are not channels ("nodefaults" is handled by the caller). */
int channel_resolve(const char *written, const char *channel_alias, buf_t *out, err_t *err);

/* Flags for channel_fetch_repodata. */
#define CHANNEL_MISSING_OK 1u /* a missing subdir gives an empty repodata, not an error */
#define CHANNEL_OFFLINE 2u    /* never touch the network: use the cached copy or fail */

/* Fetches <base>/<subdir>/repodata.json into the cache (decompressed) and stores the local
 * file path in path_out. The compressed forms are tried first — repodata.json.zst, then
 * .json.bz2, then plain — and the one that answered is remembered for revalidation (HTTP
 * ETag / Last-Modified; file:// is re-read). A missing subdir is an error naming the URL
 * unless CHANNEL_MISSING_OK (then an empty repodata). With CHANNEL_OFFLINE an http(s) channel
 * is served from the cache only; a missing entry is an error naming the URL and cache path. */
int channel_fetch_repodata(const char *base_url, const char *subdir, const char *cache_dir,
			   unsigned flags, buf_t *path_out, err_t *err);

#endif
