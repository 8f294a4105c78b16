/* channel.h — conda channels: names, URLs and file:// paths resolved to base URLs, and
 * repodata.json fetched per subdir with the shared HTTP client (http.h; file://, http://,
 * https://) into an on-disk cache under <cache>/repodata/, or assembled from CEP-16 shards
 * (shard.h). Every function that downloads takes the client (borrowed; NULL = defaults). */
#ifndef IMGBUILD_CHANNEL_H
#define IMGBUILD_CHANNEL_H

#include "buf.h"
#include "err.h"
#include "http.h"

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
int channel_fetch_repodata(const http_client_t *http, const char *base_url, const char *subdir,
			   const char *cache_dir, unsigned flags, buf_t *path_out, err_t *err);

struct nameidx; /* repoindex_scan.h */

/* One channel x subdir to fetch for a solve (channel_fetch_for_specs). */
typedef struct channel_subdir {
	const char *base_url; /* borrowed */
	const char *subdir;   /* borrowed */
	unsigned flags;       /* CHANNEL_MISSING_OK, CHANNEL_OFFLINE */
	buf_t path;           /* out: the repodata.json to solve with (caller frees) */
	int is_sharded;       /* out: 1 when path was assembled from CEP-16 shards */
	size_t n_shards;      /* out: shards used (cached or downloaded) */
	size_t n_downloaded;  /* out: shards downloaded */
	/* out: when this fetch validated a new document, that scan (repoindex_scan.h) and the
	 * document's sha256, for the solver to use instead of reading it twice more
	 * (solve_add_repodata_scanned); else NULL and "". channel_subdir_clear frees them. */
	struct nameidx *names;
	char sha[65];
} channel_subdir_t;

/* Frees what channel_fetch_for_specs left in sd (path, names); sd itself is the caller's. */
void channel_subdir_clear(channel_subdir_t *sd);

/* Fetches the repodata of every subdir for a solve of specs (MatchSpec strings). A subdir
 * that offers CEP-16 sharded repodata (repodata_shards.msgpack.zst) contributes only the
 * shards of the names the specs can reach: starting from the specs' names, every dependency
 * name of every record fetched (from any subdir, sharded or not) is added until nothing new
 * appears; those records become a repodata.json under <cache>/repodata/ (named by content).
 * Subdirs without shards get channel_fetch_repodata. Errors name the URL. */
int channel_fetch_for_specs(const http_client_t *http, channel_subdir_t *subdirs, size_t n,
			    const char *cache_dir, const char *const *specs, size_t n_specs,
			    err_t *err);

/* 0 when <base_url>/<subdir>/ answers for none of the repodata forms (repodata.json, .zst,
 * .bz2, CEP-16 repodata_shards.msgpack.zst): a 404/410 or no such file for each, asked with
 * HEAD. 1 when one is there, or when that cannot be told (offline, a transport error, another
 * status): the fetch that follows then says what is wrong. Never downloads a body
 * (channel_probe.c). */
int channel_subdir_exists(const http_client_t *http, const char *base_url, const char *subdir,
			  int is_offline);

#endif
