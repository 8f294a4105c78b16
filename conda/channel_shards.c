/* channel_shards.c — channel_fetch_for_specs (channel.h): CEP-16 sharded repodata where a
 * subdir offers it, fetched only for the closure of the names a solve can reach, across every
 * channel and subdir at once (a noarch package may need a linux-64 name, one channel's package
 * another channel's). The shard index, shard downloads and MessagePack live in shard*.c. */
#include "channel.h"
#include "channel_int.h"
#include "digest.h"
#include "fsutil.h"
#include "matchspec.h"
#include "repoindex.h"
#include "shard.h"
#include "workpool.h"
#include "xalloc.h"

#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Writes the merged shard records as a repodata.json named by its content (so a solve that
 * reaches the same records reuses the .solv cache, and concurrent builds with different
 * closures never overwrite each other's file). Keys sorted: same records, same bytes. */
static int write_sharded_repodata(json_t *records, const char *subdir, const char *cache_dir,
				  buf_t *path_out, err_t *err)
{
	json_t *root = json_object(), *info = json_object();
	char hex[DIGEST_HEX_MAX];
	int rc = -1;
	json_object_set_new(info, "subdir", json_string(subdir));
	json_object_set_new(root, "info", info);
	json_object_set(root, "packages", json_object_get(records, "packages"));
	json_object_set(root, "packages.conda", json_object_get(records, "packages.conda"));
	json_object_set_new(root, "repodata_version", json_integer(1));
	char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text) {
		err_set(err, "%s: cannot serialise the sharded repodata", subdir);
		goto out;
	}
	digest_buf_hex(DIGEST_SHA256, text, strlen(text), hex);
	buf_setstr(path_out, cache_dir);
	buf_addpath(path_out, "repodata");
	if (fs_mkdir_p(path_out->data, err) != 0)
		goto out;
	buf_addf(path_out, "/sharded-%s.json", hex);
	if (fs_exists(path_out->data)) {
		rc = 0;
		goto out;
	}
	buf_t idx = BUF_INIT;
	err_t ignored = ERR_INIT;
	repoindex_path(cache_dir, hex, &idx);
	repoindex_write(idx.data, root, &ignored); /* best effort, as for a downloaded repodata */
	err_clear(&ignored);
	buf_free(&idx);
	rc = fs_write_atomic(path_out->data, text, strlen(text), err);
out:
	free(text);
	json_decref(root);
	return rc;
}

/* Adds name to the closure (and the work list) unless already there. */
static void want_name(json_t *wanted, json_t *pending, const char *name)
{
	if (json_object_get(wanted, name))
		return;
	json_object_set_new(wanted, name, json_true());
	json_array_append_new(pending, json_string(name));
}

/* The specs' package names; a glob name ("*cuda*", rare) takes every matching name of every
 * sharded index and every non-sharded repodata. */
static void seed_names(const char *const *specs, size_t n_specs, shard_index_t **idx,
		       json_t **dep_maps, size_t n, json_t *wanted, json_t *pending)
{
	for (size_t s = 0; s < n_specs; s++) {
		err_t ignored = ERR_INIT;
		matchspec_t *m = matchspec_parse(specs[s], &ignored);
		err_clear(&ignored); /* the solver reports bad specs */
		if (!m)
			continue;
		if (!strpbrk(m->name, "*?[")) {
			want_name(wanted, pending, m->name);
		} else {
			for (size_t i = 0; i < n; i++) {
				const char *name;
				json_t *v;
				for (size_t k = 0; idx[i] && k < shard_index_count(idx[i]); k++)
					if (!fnmatch(m->name, shard_index_name(idx[i], k), 0))
						want_name(wanted, pending,
							  shard_index_name(idx[i], k));
				json_object_foreach (dep_maps[i], name, v)
					if (!fnmatch(m->name, name, 0))
						want_name(wanted, pending, name);
			}
		}
		matchspec_free(m);
	}
}

/* The shards of the names pending[from..] (one breadth-first level) from every sharded subdir,
 * downloaded together (shard_prefetch); *level_end = where the level ends. */
static int prefetch_level(channel_subdir_t *sd, size_t n, shard_index_t **idx,
			  const char *cache_dir, json_t *pending, size_t from, size_t *level_end,
			  err_t *err)
{
	size_t count = json_array_size(pending) - from;
	const char **names = xcalloc(count + 1, sizeof *names);
	int rc = 0;
	for (size_t k = 0; k < count; k++)
		names[k] = json_string_value(json_array_get(pending, from + k));
	for (size_t i = 0; i < n && !rc; i++)
		if (idx[i])
			rc = shard_prefetch(idx[i], names, count, cache_dir,
					    (sd[i].flags & CHANNEL_OFFLINE) != 0, err);
	free(names);
	*level_end = from + count;
	return rc;
}

/* Breadth-first over names: each name's shard from every sharded subdir, and its records'
 * dependency names from every subdir, until no new name appears. */
static int close_over_names(channel_subdir_t *sd, size_t n, shard_index_t **idx, json_t **dep_maps,
			    json_t **records, const char *cache_dir, json_t *wanted,
			    json_t *pending, err_t *err)
{
	json_t *deps = json_object();
	size_t level_end = 0;
	int rc = -1;
	for (size_t next = 0; next < json_array_size(pending); next++) {
		if (next == level_end &&
		    prefetch_level(sd, n, idx, cache_dir, pending, next, &level_end, err) != 0)
			goto out;
		const char *name = json_string_value(json_array_get(pending, next));
		const char *dep;
		json_t *v;
		json_object_clear(deps);
		for (size_t i = 0; i < n; i++) {
			if (idx[i]) {
				if (shard_index_hash(idx[i], name))
					sd[i].n_shards++;
				if (shard_add_records(idx[i], name, cache_dir,
						      (sd[i].flags & CHANNEL_OFFLINE) != 0,
						      records[i], deps, err) != 0)
					goto out;
			} else if (dep_maps[i]) {
				json_object_update(deps, json_object_get(dep_maps[i], name));
			}
		}
		json_object_foreach (deps, dep, v)
			want_name(wanted, pending, dep);
	}
	rc = 0;
out:
	json_decref(deps);
	return rc;
}

typedef struct subdir_fetch {
	const http_client_t *http;
	channel_subdir_t *sd;
	const char *cache_dir;
	shard_index_t **idx;
} subdir_fetch_t;

/* One subdir's shard index, else its whole repodata (fetched, validated and scanned). */
static int fetch_subdir(void *ctx, size_t i, err_t *err)
{
	subdir_fetch_t *f = ctx;
	channel_subdir_t *sd = &f->sd[i];
	buf_t subdir_url = BUF_INIT;
	buf_setstr(&subdir_url, sd->base_url);
	buf_addpath(&subdir_url, sd->subdir);
	int got = shard_index_fetch(f->http, subdir_url.data, f->cache_dir,
				    (sd->flags & CHANNEL_OFFLINE) != 0, &f->idx[i], err);
	buf_free(&subdir_url);
	if (got == 0 &&
	    channel_fetch_repodata_scan(f->http, sd->base_url, sd->subdir, f->cache_dir, sd->flags,
					&sd->path, &sd->names, sd->sha, err) != 0)
		return -1;
	return got < 0 ? -1 : 0;
}

int channel_fetch_for_specs(const http_client_t *http, channel_subdir_t *sd, size_t n,
			    const char *cache_dir, const char *const *specs, size_t n_specs,
			    err_t *err)
{
	shard_index_t **idx = xcalloc(n + 1, sizeof *idx);
	json_t **dep_maps = xcalloc(n + 1, sizeof *dep_maps),
	       **records = xcalloc(n + 1, sizeof *records);
	json_t *wanted = json_object(), *pending = json_array();
	size_t n_sharded = 0;
	int rc = -1;
	for (size_t i = 0; i < n; i++) {
		sd[i].is_sharded = 0;
		sd[i].n_shards = sd[i].n_downloaded = 0;
		sd[i].names = NULL;
		sd[i].sha[0] = '\0';
	}
	/* Subdirs are independent: fetched (and a new document scanned) side by side; an error
	 * is the lowest subdir's, as when they were fetched one after another. */
	subdir_fetch_t f = {http, sd, cache_dir, idx};
	if (workpool_run(n, 0, fetch_subdir, &f, err) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		n_sharded += idx[i] != NULL;
	if (!n_sharded) {
		rc = 0;
		goto out;
	}
	/* Channels without shards take part in the closure through their dependency map. */
	for (size_t i = 0; i < n; i++)
		if (!idx[i] && !(dep_maps[i] = shard_dep_map_from_repodata(sd[i].path.data, err)))
			goto out;
	seed_names(specs, n_specs, idx, dep_maps, n, wanted, pending);
	for (size_t i = 0; i < n; i++)
		if (idx[i])
			records[i] = json_pack("{s:{}, s:{}}", "packages", "packages.conda");
	if (close_over_names(sd, n, idx, dep_maps, records, cache_dir, wanted, pending, err) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!idx[i])
			continue;
		if (write_sharded_repodata(records[i], sd[i].subdir, cache_dir, &sd[i].path, err) !=
		    0)
			goto out;
		sd[i].is_sharded = 1;
		sd[i].n_downloaded = shard_index_downloads(idx[i]);
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		shard_index_free(idx[i]);
		json_decref(dep_maps[i]);
		json_decref(records[i]);
	}
	free(idx);
	free(dep_maps);
	free(records);
	json_decref(wanted);
	json_decref(pending);
	return rc;
}
