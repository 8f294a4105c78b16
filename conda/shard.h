/* shard.h — CEP-16 sharded repodata: a subdir's repodata_shards.msgpack.zst index (package
 * name -> sha256 of that name's shard) and the shards themselves (zstd MessagePack holding the
 * name's repodata records). Shards are fetched by name, verified against the index, cached
 * content-addressed under <cache>/shards/, and their records merged into a repodata.json that
 * the solver reads like any other. The closure over names is driven by channel.c. */
#ifndef IMGBUILD_SHARD_H
#define IMGBUILD_SHARD_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "http.h"

typedef struct shard_index shard_index_t;

/* Caps on untrusted sizes: conda-forge's linux-64 index is ~1.5 MB, its largest shards a few MB. */
#define SHARD_MAX_COMPRESSED_BYTES (64LL * 1024 * 1024)
#define SHARD_MAX_DECODED_BYTES (256LL * 1024 * 1024)

/* MessagePack -> jansson (bin becomes lower-case hex). NULL + err naming the byte offset. */
json_t *shard_msgpack_to_json(const void *data, size_t len, err_t *err);

/* Decompresses zstd data (capped at max_bytes) into out. -1 + err (no context: callers
 * prefix the URL). */
int shard_zstd_decode(const void *data, size_t len, long long max_bytes, buf_t *out, err_t *err);

/* Fetches <subdir_url>/repodata_shards.msgpack.zst (cached beside the shards, revalidated
 * with ETag over http). 1 = *out loaded (caller frees), 0 = the subdir offers no shards (404,
 * no such file, or offline with nothing cached), -1 = error naming the URL. The index keeps
 * http (borrowed, NULL = defaults) for its shard downloads. */
int shard_index_fetch(const http_client_t *http, const char *subdir_url, const char *cache_dir,
		      int offline, shard_index_t **out, err_t *err);
/* Parses index bytes (zstd-compressed MessagePack) fetched from index_url. Caller frees. */
shard_index_t *shard_index_parse(const void *zst, size_t len, const char *index_url, err_t *err);
void shard_index_free(shard_index_t *idx);
size_t shard_index_count(const shard_index_t *idx);
const char *shard_index_name(const shard_index_t *idx, size_t i); /* borrowed */
/* Hex sha256 of name's shard, NULL when the index has no such name (borrowed). */
const char *shard_index_hash(const shard_index_t *idx, const char *name);
/* The URL a name's shard is fetched from (shards_base_url resolved against the index URL). */
void shard_index_shard_url(const shard_index_t *idx, const char *hex, buf_t *out);
/* Shards downloaded (not served from the cache) so far through this index. */
size_t shard_index_downloads(const shard_index_t *idx);
/* Downloads (verified, into the cache) the shards of those names that have one and are not
 * cached yet, several at once on fresh connections, so shard_add_records then reads them from
 * the cache; a closure step's names go out together instead of one request after another.
 * Errors name the shard and URL (the lowest failing name's, workpool.h). */
int shard_prefetch(shard_index_t *idx, const char *const *names, size_t n, const char *cache_dir,
		   int offline, err_t *err);

/* Adds the records of name's shard to repodata ({"packages": {}, "packages.conda": {}}),
 * with sha256/md5 as hex and, when the index's base_url moves the packages elsewhere, a "url"
 * per record; adds each record's dependency names to dep_names (an object used as a set).
 * The shard comes from <cache>/shards/<sha256> or is downloaded and must hash to the index's
 * sha256 (else an error naming the shard URL, nothing cached). Offline: cache only. */
int shard_add_records(shard_index_t *idx, const char *name, const char *cache_dir, int offline,
		      json_t *repodata, json_t *dep_names, err_t *err);

/* Name -> set of dependency names (depends, constrains, requires), for a whole repodata.json
 * (a channel without shards next to one with them: the closure must cross both), from the
 * sparse scan (repoindex_scan.h). Caller decrefs; NULL + err. */
json_t *shard_dep_map_from_repodata(const char *repodata_path, err_t *err);
/* Adds the package names of dependency strings ("numpy >=1.21", "python_abi 3.11.* *_cp311")
 * in depends (a JSON array) to the set dep_names. */
void shard_add_dep_names(json_t *depends, json_t *dep_names);

#endif
