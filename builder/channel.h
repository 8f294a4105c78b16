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

/* Fetches <base>/<subdir>/repodata.json into the cache and stores the local file path in
 * path_out. A missing noarch/ or subdir repodata is an error naming the URL; missing_ok
 * (used for noarch of file channels that lack it) turns a 404/ENOENT into an empty
 * repodata instead. Cached copies are revalidated (HTTP) or re-read (file://). */
int channel_fetch_repodata(const char *base_url, const char *subdir, const char *cache_dir,
			   int missing_ok, buf_t *path_out, err_t *err);

#endif
