/* context_pip_conda.c — which Python distributions the conda packages install, and which
 * files, for the pip resolution (a requirement conda already satisfies installs nothing) and
 * the wheel installer (a wheel may not overwrite a conda package's file). As pixi's mapping
 * does, a distribution is a "<name>-<version>.dist-info" or "<name>-<version>[-pyX.Y].egg-info"
 * entry right under a site-packages directory in the package's info/paths.json (info/files for
 * old packages). The listing of each archive is cached by its sha256 under
 * <cache>/pypi/conda-files/, so a rebuild whose conda layers are cached downloads nothing. */
#include "context_pip.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "pkg.h"
#include "pyname.h"
#include "xalloc.h"

#define LISTING_MAX_BYTES (64u << 20)

typedef struct owned_path {
	char *path; /* relative to the prefix */
	const char *owner;
} owned_path_t;

typedef struct conda_dist {
	char *key, *version;
	const pkgrec_t *owner;
} conda_dist_t;

struct pip_conda_map {
	owned_path_t *paths;
	size_t n_paths, cap_paths;
	conda_dist_t *dists;
	size_t n_dists;
	char **owner_dists; /* one per record, the strings paths[].owner points at */
	size_t n_owners;
};

/* The member names a listing holds: "paths" of info/paths.json, or the lines of info/files,
 * into a JSON array of strings. */
static json_t *listing_from_member(const char *member, const buf_t *data, err_t *err)
{
	json_t *out = json_array();
	if (!strcmp(member, "info/paths.json")) {
		json_error_t je;
		json_t *doc = json_loadb(data->data, data->len, 0, &je), *v;
		json_t *paths = json_object_get(doc, "paths");
		size_t k;
		if (!json_is_array(paths)) {
			json_decref(doc);
			json_decref(out);
			err_set(err, "info/paths.json: no \"paths\" array (%s)", je.text);
			return NULL;
		}
		json_array_foreach (paths, k, v) {
			const char *p = json_string_value(json_object_get(v, "_path"));
			if (p)
				json_array_append_new(out, json_string(p));
		}
		json_decref(doc);
		return out;
	}
	for (const char *s = data->data, *e; s && *s; s = *e ? e + 1 : e) {
		e = strchr(s, '\n');
		if (!e)
			e = s + strlen(s);
		if (e > s)
			json_array_append_new(out, json_stringn(s, (size_t)(e - s)));
	}
	return out;
}

/* Reads the listing from the archive's info part. */
static json_t *listing_from_archive(const char *archive, err_t *err)
{
	pkg_t *p = pkg_open(archive, err);
	const pkg_entry_t *e;
	buf_t data = BUF_INIT, files = BUF_INIT;
	json_t *out = NULL;
	char chunk[1 << 14];
	int r;
	if (!p)
		return NULL;
	while ((r = pkg_next(p, &e, err)) == 1) {
		int is_paths = !strcmp(e->name, "info/paths.json");
		if (e->part != PKG_PART_INFO || e->type != PKG_ENTRY_FILE ||
		    (!is_paths && strcmp(e->name, "info/files")))
			continue;
		buf_t *into = is_paths ? &data : &files;
		ssize_t n;
		while ((n = pkg_read_data(p, chunk, sizeof chunk, err)) > 0 &&
		       into->len + (size_t)n <= LISTING_MAX_BYTES)
			buf_add(into, chunk, (size_t)n);
		if (n < 0)
			goto out;
		if (is_paths)
			break; /* paths.json wins over info/files */
	}
	if (r < 0)
		goto out;
	if (data.len)
		out = listing_from_member("info/paths.json", &data, err);
	else
		out = listing_from_member("info/files", &files, err);
out:
	if (!out)
		err_prefix(err, "%s", archive);
	pkg_free(p);
	buf_free(&data);
	buf_free(&files);
	return out;
}

/* <cache>/pypi/conda-files, and <sha256>.json in it when sha256 is not NULL. */
static void cache_path(ctx_t *c, const char *sha256, buf_t *out)
{
	buf_setstr(out, ctx_cache_dir(c));
	buf_addpath(out, "pypi/conda-files");
	if (sha256)
		buf_addf(out, "/%s.json", sha256);
}

/* A record's sha256 names its cache file only when it is 64 hex digits. */
static const char *cache_key(const pkgrec_t *r)
{
	const char *h = r->sha256;
	return h && strlen(h) == 64 && strspn(h, "0123456789abcdef") == 64 ? h : NULL;
}

/* The cached listing of r, or NULL when there is none (or r has no sha256 to key it). */
static json_t *listing_cached(ctx_t *c, const pkgrec_t *r)
{
	buf_t path = BUF_INIT;
	json_t *doc = NULL;
	if (cache_key(r)) {
		cache_path(c, cache_key(r), &path);
		doc = json_load_file(path.data, 0, NULL);
		if (doc && !json_is_array(doc)) {
			json_decref(doc);
			doc = NULL;
		}
	}
	buf_free(&path);
	return doc;
}

static int listing_store(ctx_t *c, const pkgrec_t *r, json_t *listing, err_t *err)
{
	buf_t path = BUF_INIT, dir = BUF_INIT;
	char *text;
	int rc = 0;
	if (!cache_key(r))
		return 0;
	cache_path(c, cache_key(r), &path);
	cache_path(c, NULL, &dir);
	text = xcheck(json_dumps(listing, JSON_COMPACT));
	rc = fs_mkdir_p(dir.data, err) || fs_write_atomic(path.data, text, strlen(text), err);
	free(text);
	buf_free(&path);
	buf_free(&dir);
	return rc ? -1 : 0;
}

/* "six-1.16.0.dist-info" or "PyYAML-6.0-py3.11.egg-info" right under "site-packages/". */
static void note_dist(pip_conda_map_t *m, const char *path, const pkgrec_t *owner)
{
	const char *sp = strstr(path, "site-packages/"), *name, *end, *dash;
	if (!sp || (sp != path && sp[-1] != '/'))
		return;
	name = sp + strlen("site-packages/");
	end = strchr(name, '/');
	if (!end)
		end = name + strlen(name);
	size_t len = (size_t)(end - name);
	int is_dist_info = len > 10 && !strncmp(end - 10, ".dist-info", 10);
	int is_egg_info = len > 9 && !strncmp(end - 9, ".egg-info", 9);
	if ((!is_dist_info && !is_egg_info) || !(dash = memchr(name, '-', len)))
		return;
	const char *vend = is_dist_info ? end - 10 : end - 9;
	const char *v2 = memchr(dash + 1, '-', (size_t)(vend - dash - 1));
	if (v2)
		vend = v2; /* egg-info: "-py3.11" follows the version */
	if (vend <= dash + 1 || !pypi_name_is_valid(name, (size_t)(dash - name)))
		return;
	buf_t key = BUF_INIT;
	pypi_name_normalize(name, (size_t)(dash - name), &key);
	for (size_t k = 0; k < m->n_dists; k++)
		if (!strcmp(m->dists[k].key, key.data)) {
			buf_free(&key);
			return;
		}
	m->dists = xrealloc(m->dists, (m->n_dists + 1) * sizeof *m->dists);
	m->dists[m->n_dists].key = buf_detach(&key);
	m->dists[m->n_dists].version = xstrndup(dash + 1, (size_t)(vend - dash - 1));
	m->dists[m->n_dists++].owner = owner;
}

/* noarch: python packages hold site-packages/ and python-scripts/, placed at link time. */
static void add_path(pip_conda_map_t *m, const char *p, const pkgrec_t *r, const char *owner,
		     const char *python_xy)
{
	buf_t rel = BUF_INIT;
	int is_noarch_python = r->noarch && !strcmp(r->noarch, "python");
	if (is_noarch_python && !strncmp(p, "site-packages/", 14))
		buf_addf(&rel, "lib/python%s/%s", python_xy, p);
	else if (is_noarch_python && !strncmp(p, "python-scripts/", 15))
		buf_addf(&rel, "bin/%s", p + 15);
	else
		buf_setstr(&rel, p);
	note_dist(m, rel.data, r);
	if (m->n_paths == m->cap_paths) {
		m->cap_paths = m->cap_paths ? 2 * m->cap_paths : 1024;
		m->paths = xrealloc(m->paths, m->cap_paths * sizeof *m->paths);
	}
	m->paths[m->n_paths].path = buf_detach(&rel);
	m->paths[m->n_paths++].owner = owner;
}

static int cmp_owned(const void *a, const void *b)
{
	return strcmp(((const owned_path_t *)a)->path, ((const owned_path_t *)b)->path);
}

/* Listings of every record: cached ones first, the others from their archives (fetched into
 * the package cache when the caller has none). */
static int read_listings(ctx_t *c, const pkgrec_t *const *recs, size_t n, char *const *archives,
			 json_t **out, err_t *err)
{
	const pkgrec_t **missing = xcalloc(n ? n : 1, sizeof *missing);
	char **paths = xcalloc(n ? n : 1, sizeof *paths);
	size_t n_missing = 0, k = 0;
	int rc = -1;
	for (size_t i = 0; i < n; i++)
		if (!(out[i] = listing_cached(c, recs[i])) && !(archives && archives[i]))
			missing[n_missing++] = recs[i];
	if (n_missing && ctx_fetch(c, missing, n_missing, paths, err))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (out[i])
			continue;
		const char *archive = archives && archives[i] ? archives[i] : paths[k++];
		if (!(out[i] = listing_from_archive(archive, err)) ||
		    listing_store(c, recs[i], out[i], err))
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n_missing; i++)
		free(paths[i]);
	free(paths);
	free(missing);
	return rc;
}

pip_conda_map_t *pip_conda_scan(ctx_t *c, const pkgrec_t *const *recs, size_t n,
				char *const *archives, const char *python_xy, err_t *err)
{
	pip_conda_map_t *m = xcalloc(1, sizeof *m);
	json_t **listings = xcalloc(n ? n : 1, sizeof *listings);
	int rc = read_listings(c, recs, n, archives, listings, err);
	m->owner_dists = xcalloc(n ? n : 1, sizeof *m->owner_dists);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_t *v;
		size_t k;
		m->owner_dists[m->n_owners++] = pkgrec_dist(recs[i]);
		json_array_foreach (listings[i], k, v)
			add_path(m, json_string_value(v), recs[i], m->owner_dists[i], python_xy);
	}
	for (size_t i = 0; i < n; i++)
		json_decref(listings[i]);
	free(listings);
	if (rc) {
		pip_conda_map_free(m);
		return NULL;
	}
	if (m->n_paths) /* bsearch order; two packages with one path keep either owner */
		qsort(m->paths, m->n_paths, sizeof *m->paths, cmp_owned);
	return m;
}

void pip_conda_map_free(pip_conda_map_t *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_paths; i++)
		free(m->paths[i].path);
	for (size_t i = 0; i < m->n_dists; i++) {
		free(m->dists[i].key);
		free(m->dists[i].version);
	}
	for (size_t i = 0; i < m->n_owners; i++)
		free(m->owner_dists[i]);
	free(m->owner_dists);
	free(m->paths);
	free(m->dists);
	free(m);
}

size_t pip_conda_dist_count(const pip_conda_map_t *m)
{
	return m ? m->n_dists : 0;
}

void pip_conda_dist(const pip_conda_map_t *m, size_t k, const char **key, const char **version,
		    const pkgrec_t **owner)
{
	*key = m->dists[k].key;
	*version = m->dists[k].version;
	*owner = m->dists[k].owner;
}

const char *pip_conda_owner(const pip_conda_map_t *m, const char *rel_path)
{
	owned_path_t probe = {(char *)rel_path, NULL}, *hit;
	if (!m || !m->n_paths)
		return NULL;
	hit = bsearch(&probe, m->paths, m->n_paths, sizeof *m->paths, cmp_owned);
	return hit ? hit->owner : NULL;
}
