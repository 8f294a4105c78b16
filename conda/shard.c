/* shard.c — CEP-16 sharded repodata (see shard.h): the index, shard downloads verified by
 * sha256 and cached as <cache>/shards/<sha256> (a shard's name is its content hash, so the
 * cache needs no revalidation), and shard records merged into a repodata object.
 * The index itself is cached as <cache>/shards/index-<sha256(url)>.msgpack.zst + .etag. */
#include "shard.h"
#include "xalloc.h"
#include "digest.h"
#include "fsutil.h"
#include "http.h"
#include "repoindex_scan.h"
#include "workpool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define SHARD_INDEX_NAME "repodata_shards.msgpack.zst"

struct shard_index {
	char *index_url;
	char *shards_base; /* ends in '/' */
	char *pkg_base;    /* ends in '/'; NULL when packages sit beside the index (the default) */
	json_t *root;      /* the decoded index */
	json_t *shards;    /* borrowed from root: name -> hex sha256 */
	const char **names;
	size_t n_names;
	size_t downloads;
	CURL *curl;                /* made by the first shard GET, reused: one connection */
	const http_client_t *http; /* borrowed; NULL = defaults */
};

int shard_zstd_decode(const void *data, size_t len, long long max_bytes, buf_t *out, err_t *err)
{
	ZSTD_DStream *ds = xcheck(ZSTD_createDStream());
	ZSTD_inBuffer in = {data, len, 0};
	size_t ret = 1;
	int rc = -1;
	buf_reset(out);
	ZSTD_initDStream(ds);
	while (in.pos < in.size || ret != 0) {
		buf_grow(out, 1 << 16);
		ZSTD_outBuffer ob = {out->data + out->len, out->cap - out->len - 1, 0};
		size_t before = in.pos;
		ret = ZSTD_decompressStream(ds, &ob, &in);
		if (ZSTD_isError(ret)) {
			err_set(err, "not valid zstd data: %s", ZSTD_getErrorName(ret));
			goto out;
		}
		out->len += ob.pos;
		out->data[out->len] = '\0';
		if ((long long)out->len > max_bytes) {
			err_set(err, "larger than the %lld-byte limit once decompressed",
				max_bytes);
			goto out;
		}
		if (ob.pos == 0 && in.pos == before && in.pos == in.size) {
			err_set(err, "truncated zstd data");
			goto out;
		}
	}
	rc = 0;
out:
	ZSTD_freeDStream(ds);
	return rc;
}

/* ---- downloads ---- */

/* GET url into out, capped, through the shared client (http.h) on a kept connection.
 * HTTP_GOT_BODY, HTTP_GOT_MISSING, HTTP_GOT_NOT_MODIFIED (only when etag_in was given) or -1
 * naming the URL. etag_out (may be NULL) gets the answer's ETag. */
static int shard_get(const http_client_t *http, CURL **curl, const char *url, const char *etag_in,
		     buf_t *out, buf_t *etag_out, err_t *err)
{
	http_get_t q = {.url = url,
			.if_none_match = etag_in,
			.max_bytes = SHARD_MAX_COMPRESSED_BYTES,
			.out_fd = -1,
			.out_buf = out,
			.handle = curl};
	http_got_t got = {0, BUF_INIT, BUF_INIT, 0};
	int rc = http_get(http, &q, &got, err);
	if (etag_out)
		buf_setstr(etag_out, buf_cstr(&got.etag));
	http_got_free(&got);
	return rc;
}

/* ---- the index ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ref resolved against the index URL (RFC 3986, as CEP-16 says), with a trailing '/'.
 * An empty ref is the index's own directory. */
static int resolve_dir(const char *index_url, const char *ref, buf_t *out, err_t *err)
{
	CURLU *u = xcheck(curl_url());
	char *s = NULL;
	int rc = -1;
	buf_reset(out);
	if (curl_url_set(u, CURLUPART_URL, index_url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, *ref ? ref : "./", CURLU_NON_SUPPORT_SCHEME) !=
		    CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK) {
		err_set(err, "%s: cannot resolve '%s' against the index URL", index_url, ref);
		goto out;
	}
	buf_setstr(out, s);
	if (!out->len || out->data[out->len - 1] != '/')
		buf_addch(out, '/');
	rc = 0;
out:
	curl_free(s);
	curl_url_cleanup(u);
	return rc;
}

static const char *info_str(json_t *info, const char *key)
{
	const char *v = json_string_value(json_object_get(info, key));
	return v ? v : "";
}

shard_index_t *shard_index_parse(const void *zst, size_t len, const char *index_url, err_t *err)
{
	shard_index_t *idx = xcalloc(1, sizeof *idx);
	buf_t raw = BUF_INIT, dir = BUF_INIT, own_dir = BUF_INIT;
	const char *key;
	json_t *val;
	idx->index_url = xstrdup(index_url);
	if (shard_zstd_decode(zst, len, SHARD_MAX_DECODED_BYTES, &raw, err) != 0)
		goto fail;
	idx->root = shard_msgpack_to_json(raw.data ? raw.data : "", raw.len, err);
	if (!idx->root)
		goto fail;
	json_t *info = json_object_get(idx->root, "info");
	idx->shards = json_object_get(idx->root, "shards");
	if (!json_is_object(info) || !json_is_object(idx->shards)) {
		err_set(err, "not a shard index (needs 'info' and 'shards' maps)");
		goto fail;
	}
	idx->names = xcalloc(json_object_size(idx->shards) + 1, sizeof *idx->names);
	json_object_foreach (idx->shards, key, val) {
		const char *hex = json_string_value(val);
		/* the hash arrives as 32 raw bytes, i.e. 64 hex digits once read */
		if (!hex || strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64) {
			err_set(err, "shard hash of '%s' is not a 32-byte sha256", key);
			goto fail;
		}
		idx->names[idx->n_names++] = key;
	}
	/* sorted: deterministic iteration (tests, glob expansion), whatever the map order */
	qsort(idx->names, idx->n_names, sizeof *idx->names, cmp_str);
	if (resolve_dir(index_url, info_str(info, "shards_base_url"), &dir, err) != 0)
		goto fail;
	idx->shards_base = buf_detach(&dir);
	if (resolve_dir(index_url, info_str(info, "base_url"), &dir, err) != 0 ||
	    resolve_dir(index_url, "", &own_dir, err) != 0)
		goto fail;
	if (strcmp(dir.data, own_dir.data) != 0)
		idx->pkg_base = buf_detach(&dir);
	buf_free(&raw);
	buf_free(&dir);
	buf_free(&own_dir);
	return idx;
fail:
	err_prefix(err, "%s", index_url);
	buf_free(&raw);
	buf_free(&dir);
	buf_free(&own_dir);
	shard_index_free(idx);
	return NULL;
}

void shard_index_free(shard_index_t *idx)
{
	if (!idx)
		return;
	free(idx->index_url);
	free(idx->shards_base);
	free(idx->pkg_base);
	free(idx->names);
	json_decref(idx->root);
	if (idx->curl)
		curl_easy_cleanup(idx->curl);
	free(idx);
}

size_t shard_index_count(const shard_index_t *idx)
{
	return idx->n_names;
}

const char *shard_index_name(const shard_index_t *idx, size_t i)
{
	return i < idx->n_names ? idx->names[i] : NULL;
}

const char *shard_index_hash(const shard_index_t *idx, const char *name)
{
	return json_string_value(json_object_get(idx->shards, name));
}

void shard_index_shard_url(const shard_index_t *idx, const char *hex, buf_t *out)
{
	buf_setstr(out, idx->shards_base);
	buf_addf(out, "%s.msgpack.zst", hex);
}

size_t shard_index_downloads(const shard_index_t *idx)
{
	return idx->downloads;
}

static void shards_dir(const char *cache_dir, buf_t *out)
{
	buf_setstr(out, cache_dir);
	buf_addpath(out, "shards");
}

int shard_index_fetch(const http_client_t *http, const char *subdir_url, const char *cache_dir,
		      int offline, shard_index_t **out, err_t *err)
{
	buf_t url = BUF_INIT, path = BUF_INIT, etag_path = BUF_INIT, body = BUF_INIT;
	buf_t old_etag = BUF_INIT, new_etag = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	int rc = -1, got;
	*out = NULL;
	buf_setstr(&url, subdir_url);
	buf_addpath(&url, SHARD_INDEX_NAME);
	int is_file = !strncmp(subdir_url, "file:", 5);
	digest_buf_hex(DIGEST_SHA256, url.data, url.len, hex);
	shards_dir(cache_dir, &path);
	if (fs_mkdir_p(path.data, err) != 0)
		goto out;
	buf_addf(&path, "/index-%s.msgpack.zst", hex);
	buf_addf(&etag_path, "%s.etag", path.data);
	int cached = fs_exists(path.data);
	if (offline && !is_file) {
		got = cached ? HTTP_GOT_NOT_MODIFIED : HTTP_GOT_MISSING;
	} else {
		/* the ETag is only trusted next to the copy it describes */
		if (cached && !is_file)
			buf_read_file(&old_etag, etag_path.data, 4096, NULL);
		got = shard_get(http, NULL, url.data, old_etag.data, &body, &new_etag, err);
	}
	if (got < 0)
		goto out;
	if (got == HTTP_GOT_MISSING) { /* no shards here (any more): the caller falls back */
		if (!offline)
			unlink(path.data);
		rc = 0;
		goto out;
	}
	if (got == HTTP_GOT_NOT_MODIFIED &&
	    buf_read_file(&body, path.data, SHARD_MAX_COMPRESSED_BYTES, err) != 0)
		goto out;
	*out = shard_index_parse(body.data ? body.data : "", body.len, url.data, err);
	if (!*out)
		goto out;
	(*out)->http = http;
	if (got == HTTP_GOT_BODY && !is_file) {
		unlink(etag_path.data); /* never a new ETag beside old bytes */
		if (fs_write_atomic(path.data, body.data ? body.data : "", body.len, err) != 0)
			goto out;
		if (new_etag.len)
			fs_write_atomic(etag_path.data, new_etag.data, new_etag.len, NULL);
	}
	rc = 1;
out:
	if (rc < 0) {
		shard_index_free(*out);
		*out = NULL;
	}
	buf_free(&url);
	buf_free(&path);
	buf_free(&etag_path);
	buf_free(&body);
	buf_free(&old_etag);
	buf_free(&new_etag);
	return rc;
}

/* ---- shards ---- */

void shard_add_dep_names(json_t *depends, json_t *dep_names)
{
	size_t i;
	json_t *d;
	json_array_foreach (depends, i, d) {
		const char *s = json_string_value(d);
		if (!s)
			continue;
		while (*s == ' ')
			s++;
		size_t n = strcspn(s, " =<>!~[,|");
		if (n)
			json_object_setn_new(dep_names, s, n, json_true());
	}
}

/* The shard's bytes from the cache when its entry is sound (re-hashed on every read: a damaged
 * entry is removed, never parsed). 1 = read, 0 = not cached. */
static int shard_cached(const char *path, const char *hex, buf_t *out)
{
	char got[DIGEST_HEX_MAX];
	if (!fs_exists(path) || buf_read_file(out, path, SHARD_MAX_COMPRESSED_BYTES, NULL) != 0)
		return 0;
	digest_buf_hex(DIGEST_SHA256, out->data ? out->data : "", out->len, got);
	if (!strcmp(got, hex))
		return 1;
	unlink(path);
	buf_reset(out);
	return 0;
}

/* Downloads the shard of name (hex), verifies it and caches it at path. curl: a kept
 * connection, or NULL for one of its own (a prefetch thread). */
static int shard_download(shard_index_t *idx, const char *name, const char *hex, const char *path,
			  int offline, CURL **curl, buf_t *out, err_t *err)
{
	buf_t url = BUF_INIT;
	char got[DIGEST_HEX_MAX];
	int rc = -1;
	shard_index_shard_url(idx, hex, &url);
	if (offline && strncmp(url.data, "file:", 5) != 0) {
		err_set(err,
			"shard of '%s' (%s) is not cached (expected %s), and the network may not "
			"be used",
			name, url.data, path);
		goto out;
	}
	int r = shard_get(idx->http, curl, url.data, NULL, out, NULL, err);
	if (r == HTTP_GOT_MISSING)
		err_set(err,
			"shard of '%s' is missing: %s not found (the channel's %s names it; the "
			"channel may be mid-update: retry later)",
			name, url.data, idx->index_url);
	if (r != HTTP_GOT_BODY)
		goto out;
	__atomic_add_fetch(&idx->downloads, 1, __ATOMIC_RELAXED);
	digest_buf_hex(DIGEST_SHA256, out->data ? out->data : "", out->len, got);
	if (strcmp(got, hex) != 0) {
		err_set(err,
			"shard of '%s' from %s has sha256 %s but the index says %s: corrupt "
			"download or channel mid-update; nothing was cached, retry later",
			name, url.data, got, hex);
		goto out;
	}
	rc = fs_write_atomic(path, out->data ? out->data : "", out->len, err);
out:
	buf_free(&url);
	return rc;
}

/* The shard's bytes, from the cache or downloaded and verified (then cached). */
static int shard_bytes(shard_index_t *idx, const char *name, const char *hex, const char *cache_dir,
		       int offline, buf_t *out, err_t *err)
{
	buf_t path = BUF_INIT;
	shards_dir(cache_dir, &path);
	buf_addpath(&path, hex);
	int rc = shard_cached(path.data, hex, out)
			 ? 0
			 : shard_download(idx, name, hex, path.data, offline, &idx->curl, out, err);
	buf_free(&path);
	return rc;
}

/* ---- concurrent prefetch ---- */

#define SHARD_PREFETCH_THREADS 4 /* shards are small: latency, not bandwidth, is the cost */

typedef struct prefetch {
	shard_index_t *idx;
	const char *const *names; /* the uncached ones */
	const char *cache_dir;
	int offline;
} prefetch_t;

static int prefetch_one(void *ctx, size_t i, err_t *err)
{
	prefetch_t *pf = ctx;
	const char *hex = shard_index_hash(pf->idx, pf->names[i]);
	buf_t path = BUF_INIT, body = BUF_INIT;
	shards_dir(pf->cache_dir, &path);
	buf_addpath(&path, hex);
	int rc = shard_download(pf->idx, pf->names[i], hex, path.data, pf->offline, NULL, &body,
				err);
	buf_free(&path);
	buf_free(&body);
	return rc;
}

int shard_prefetch(shard_index_t *idx, const char *const *names, size_t n, const char *cache_dir,
		   int offline, err_t *err)
{
	const char **todo = xcalloc(n + 1, sizeof *todo);
	buf_t path = BUF_INIT;
	size_t n_todo = 0;
	for (size_t i = 0; i < n; i++) {
		const char *hex = shard_index_hash(idx, names[i]);
		if (!hex)
			continue;
		shards_dir(cache_dir, &path);
		buf_addpath(&path, hex);
		if (!fs_exists(path.data)) /* a damaged entry is caught by shard_bytes later */
			todo[n_todo++] = names[i];
	}
	prefetch_t pf = {idx, todo, cache_dir, offline};
	int rc = n_todo > 1 ? workpool_run(n_todo, SHARD_PREFETCH_THREADS, prefetch_one, &pf, err)
			    : 0;
	free(todo);
	buf_free(&path);
	return rc;
}

/* Merges one "packages" / "packages.conda" map of a shard into repodata. */
static int merge_records(shard_index_t *idx, json_t *from, json_t *into, json_t *dep_names,
			 const char *url, err_t *err)
{
	const char *fn;
	json_t *rec;
	if (!from)
		return 0;
	if (!json_is_object(from))
		return err_set(err, "%s: shard packages are not a map", url);
	json_object_foreach (from, fn, rec) {
		if (!json_is_object(rec))
			return err_set(err, "%s: record %s is not a map", url, fn);
		if (idx->pkg_base) {
			buf_t u = BUF_INIT;
			buf_addf(&u, "%s%s", idx->pkg_base, fn);
			json_object_set_new(rec, "url", json_string(u.data));
			buf_free(&u);
		}
		shard_add_dep_names(json_object_get(rec, "depends"), dep_names);
		json_object_set(into, fn, rec);
	}
	return 0;
}

int shard_add_records(shard_index_t *idx, const char *name, const char *cache_dir, int offline,
		      json_t *repodata, json_t *dep_names, err_t *err)
{
	buf_t zst = BUF_INIT, raw = BUF_INIT, url = BUF_INIT;
	json_t *shard = NULL;
	int rc = -1;
	const char *hex = shard_index_hash(idx, name);
	if (!hex)
		return 0;
	shard_index_shard_url(idx, hex, &url);
	if (shard_bytes(idx, name, hex, cache_dir, offline, &zst, err) != 0)
		goto out;
	if (shard_zstd_decode(zst.data ? zst.data : "", zst.len, SHARD_MAX_DECODED_BYTES, &raw,
			      err) != 0 ||
	    !(shard = shard_msgpack_to_json(raw.data ? raw.data : "", raw.len, err))) {
		err_prefix(err, "shard of '%s' (%s)", name, url.data);
		goto out;
	}
	if (!json_is_object(shard)) {
		err_set(err, "shard of '%s' (%s) is not a map", name, url.data);
		goto out;
	}
	for (int k = 0; k < 2; k++) {
		const char *key = k ? "packages.conda" : "packages";
		json_t *into = json_object_get(repodata, key);
		if (!into) {
			into = json_object();
			json_object_set_new(repodata, key, into);
		}
		if (merge_records(idx, json_object_get(shard, key), into, dep_names, url.data,
				  err) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(shard);
	buf_free(&zst);
	buf_free(&raw);
	buf_free(&url);
	return rc;
}

json_t *shard_dep_map_from_repodata(const char *repodata_path, err_t *err)
{
	/* the sparse scan (repoindex_scan.h): names and their dependency names, no JSON tree */
	nameidx_t *ni = nameidx_scan_file(repodata_path, repodata_path, err);
	if (!ni)
		return NULL;
	json_t *map = json_object();
	for (size_t id = 0; id < nameidx_count(ni); id++) {
		size_t len, n_deps, dep_len;
		if (!nameidx_records_of(ni, id))
			continue; /* only a dependency name here */
		const char *name = nameidx_str(ni, id, &len);
		const uint32_t *deps = nameidx_deps(ni, id, &n_deps);
		json_t *set = json_object();
		for (size_t k = 0; k < n_deps; k++) {
			const char *dep = nameidx_str(ni, deps[k], &dep_len);
			json_object_setn_new(set, dep, dep_len, json_true());
		}
		json_object_setn_new(map, name, len, set);
	}
	nameidx_free(ni);
	return map;
}
