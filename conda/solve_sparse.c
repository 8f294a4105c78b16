/* solve_sparse.c — what the solver hands libsolv (issue 14, part 2): only the records of the
 * names a solve can reach. Every document is scanned once (repoindex_scan.h: the checks of
 * repodata_check, no DOM); from the specs' names and the virtual packages, the closure over
 * depends/constrains/requires is taken across all channels and subdirs at once (a noarch
 * package may need a linux-64 name); each document's subset then goes through the usual
 * path (repodata_parse + record index + .solv cache) under a name keyed by the inputs, so a
 * warm solve finds its subsets and reads no JSON. */
#include "digest.h"
#include "fsutil.h"
#include "matchspec.h"
#include "repodata.h"
#include "repoindex_scan.h"
#include "xalloc.h"

#include <fnmatch.h>
#include <string.h>

#include "solve_int.h"

static void sparse_dir(const char *cache_dir, buf_t *out)
{
	buf_setstr(out, cache_dir);
	buf_addpath(out, "repodata/sparse");
}

int solve_sparse_check(const char *cache_dir, struct repo_info *info, err_t *err)
{
	if (info->names || (cache_dir && nameidx_is_checked(cache_dir, info->sha)))
		return 0; /* scanned by the fetch (solve_add_repodata_scanned), or known sound */
	info->names = nameidx_scan_file(info->path, info->where, err);
	if (!info->names)
		return -1;
	if (cache_dir)
		nameidx_mark_checked(cache_dir, info->sha);
	return 0;
}

void solve_sparse_key(struct repo_info **infos, size_t n, const char *const *seeds, size_t n_seeds,
		      char key[65])
{
	buf_t text = BUF_INIT;
	buf_addstr(&text, "imgbuild-sparse-v1\n");
	for (size_t i = 0; i < n; i++)
		buf_addf(&text, "repodata %s\n", infos[i]->sha);
	for (size_t i = 0; i < n_seeds; i++)
		buf_addf(&text, "seed %s\n", seeds[i]);
	digest_buf_hex(DIGEST_SHA256, text.data, text.len, key);
	buf_free(&text);
}

int solve_sparse_subset_path(const char *cache_dir, const char *sha, const char *key, buf_t *out,
			     err_t *err)
{
	sparse_dir(cache_dir, out);
	if (err && fs_mkdir_p(out->data, err) != 0)
		return -1;
	buf_addf(out, "/%s-%.32s.json", sha, key);
	return 0;
}

/* Adds name to the closure (and the work list) unless already there. */
static void want_name(json_t *wanted, json_t *pending, const char *name, size_t len)
{
	json_t *v = json_stringn(name, len);
	if (!v || json_object_getn(wanted, name, len)) {
		json_decref(v);
		return;
	}
	json_object_setn_new(wanted, name, len, json_true());
	json_array_append_new(pending, v);
}

/* A seed's package name; a glob ("*cuda*") takes every matching name of every document. */
static void seed_names(struct repo_info **infos, size_t n, const char *seed, json_t *wanted,
		       json_t *pending)
{
	err_t ignored = ERR_INIT;
	matchspec_t *m = matchspec_parse(seed, &ignored);
	err_clear(&ignored); /* the solver reports bad specs */
	const char *name = m ? m->name : seed;
	if (!strpbrk(name, "*?[")) {
		want_name(wanted, pending, name, strlen(name));
	} else {
		for (size_t i = 0; i < n; i++)
			for (size_t id = 0; id < nameidx_count(infos[i]->names); id++) {
				const char *s = nameidx_str(infos[i]->names, id, NULL);
				if (nameidx_records_of(infos[i]->names, id) && !fnmatch(name, s, 0))
					want_name(wanted, pending, s, strlen(s));
			}
	}
	matchspec_free(m);
}

/* Breadth-first over names, each name's dependency names from every document. */
static void close_over_names(struct repo_info **infos, size_t n, json_t *wanted, json_t *pending)
{
	for (size_t next = 0; next < json_array_size(pending); next++) {
		json_t *v = json_array_get(pending, next);
		const char *name = json_string_value(v);
		size_t len = json_string_length(v);
		for (size_t i = 0; i < n; i++) {
			nameidx_t *ni = infos[i]->names;
			long id = nameidx_find(ni, name, len);
			if (id < 0)
				continue;
			nameidx_select(ni, (size_t)id);
			size_t n_deps, dep_len;
			const uint32_t *deps = nameidx_deps(ni, (size_t)id, &n_deps);
			for (size_t k = 0; k < n_deps; k++) {
				const char *dep = nameidx_str(ni, deps[k], &dep_len);
				want_name(wanted, pending, dep, dep_len);
			}
		}
	}
}

/* repodata.h's per-name cap over the whole solve, reachable or not: a name can come from
 * several channels and subdirs, each under the per-document cap. */
static int check_records_per_name(struct repo_info **infos, size_t n, const char *channels,
				  err_t *err)
{
	json_t *sums = json_object();
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		nameidx_t *ni = infos[i]->names;
		for (size_t id = 0; id < nameidx_count(ni) && !rc; id++) {
			size_t c = nameidx_records_of(ni, id), len;
			if (c * n <= REPODATA_MAX_RECORDS_PER_NAME) /* cannot reach the cap */
				continue;
			const char *name = nameidx_str(ni, id, &len);
			json_t *sum = json_object_getn(sums, name, len);
			json_int_t total = (sum ? json_integer_value(sum) : 0) + (json_int_t)c;
			json_object_setn_new(sums, name, len, json_integer(total));
			if (total > REPODATA_MAX_RECORDS_PER_NAME)
				rc = err_set(
					err,
					"cannot solve the environment: the channels (%s) hold "
					"more than %d records of package '%.100s', more than "
					"the solver can handle (its cost grows with the square "
					"of that number)",
					channels, REPODATA_MAX_RECORDS_PER_NAME, name);
		}
	}
	json_decref(sums);
	return rc;
}

int solve_sparse_select(struct repo_info **infos, size_t n, const char *const *seeds,
			size_t n_seeds, const char *channels, err_t *err)
{
	json_t *wanted = json_object(), *pending = json_array();
	int rc = -1;
	for (size_t i = 0; i < n; i++)
		if (!infos[i]->names &&
		    !(infos[i]->names = nameidx_scan_file(infos[i]->path, infos[i]->where, err)))
			goto out;
	if (check_records_per_name(infos, n, channels, err) != 0)
		goto out;
	for (size_t i = 0; i < n_seeds; i++)
		seed_names(infos, n, seeds[i], wanted, pending);
	close_over_names(infos, n, wanted, pending);
	rc = 0;
out:
	json_decref(wanted);
	json_decref(pending);
	return rc;
}
