/* solve.c — conda dependency solving over libsolv's conda mode (see solve.h).
 * Cold: libsolv reads each repodata.json into a repo (cached as .solv, solve_cache.c); the
 * chosen solvables become full repodata records (pkgrec_t) through the repodata's record index
 * (repoindex.h), which channel.c wrote when it validated the download — jansson parses the
 * repodata here only when that index is missing. Warm: the repo comes from the .solv, so no
 * JSON is parsed beyond the chosen records. Explanations: solve_explain.c. */
#include "solve.h"
#include "xalloc.h"
#include "channel.h"
#include "digest.h"
#include "fsutil.h"
#include "matchspec.h"
#include "repodata.h"
#include "repoindex.h"
#include "repoindex_scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "solve_int.h"

struct solver {
	Pool *pool;
	Repo *virtual_repo; /* the "installed" repo holding __glibc, __cuda, ... */
	Repodata *virtual_data;
	struct repo_info **infos;
	size_t n_infos;
	int priority_mode;   /* SOLVE_PRIORITY_* */
	char *cache_dir;     /* NULL: no .solv cache */
	char *channel_alias; /* what "name::pkg" names resolve against; NULL = the default */
	struct virtual_pkg {
		char *name, *version, *build;
	} * virtuals; /* added to the pool at solve_run, after the channels' records */
	size_t n_virtuals;
	size_t n_loaded;                 /* records handed to libsolv (solve_records_loaded) */
	char loaded_key[DIGEST_HEX_MAX]; /* the inputs the repos hold records for */
};

struct solution {
	pkgrec_t **recs;
	size_t n;
};

/* libsolv's strings can be NULL where a record field is optional; records hold "" then. */
static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

static void repo_info_free(struct repo_info *info)
{
	if (!info)
		return;
	free(info->channel_name);
	free(info->channel_url);
	free(info->subdir);
	repoindex_free(info->records);
	json_decref(info->root);
	free(info->path);
	free(info->where);
	nameidx_free(info->names);
	free(info);
}

solver_t *solve_new(err_t *err)
{
	solver_t *s = xcalloc(1, sizeof *s);
	s->pool = pool_create();
	if (pool_setdisttype(s->pool, DISTTYPE_CONDA) < 0) {
		err_set(err, "libsolv was built without conda support (ENABLE_CONDA): run "
			     ".ci/bootstrap to build it into .deps/, then rebuild imgbuild");
		solve_free(s);
		return NULL;
	}
	return s;
}

void solve_free(solver_t *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_infos; i++)
		repo_info_free(s->infos[i]);
	free(s->infos);
	for (size_t i = 0; i < s->n_virtuals; i++) {
		free(s->virtuals[i].name);
		free(s->virtuals[i].version);
		free(s->virtuals[i].build);
	}
	free(s->virtuals);
	free(s->cache_dir);
	free(s->channel_alias);
	pool_free(s->pool);
	free(s);
}

int solve_priority_from_name(const char *name)
{
	static const char *const names[] = {"strict", "flexible", "disabled"};
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

void solve_set_channel_priority(solver_t *s, int mode)
{
	s->priority_mode = mode;
}

void solve_set_cache_dir(solver_t *s, const char *cache_dir)
{
	free(s->cache_dir);
	s->cache_dir = cache_dir ? dup_or_empty(cache_dir) : NULL;
}

void solve_set_channel_alias(solver_t *s, const char *channel_alias)
{
	free(s->channel_alias);
	s->channel_alias = channel_alias ? xstrdup(channel_alias) : NULL;
}

/* Channel order -> repo priority (first highest), platform subdir over noarch within one
 * channel. Disabled priority leaves only the subdir tie-break: versions decide. */
static void apply_priorities(solver_t *s)
{
	for (size_t i = 0; i < s->n_infos; i++) {
		Repo *repo = s->infos[i]->repo;
		repo->priority = s->priority_mode == SOLVE_PRIORITY_DISABLED
					 ? 0
					 : -s->infos[i]->channel_index;
		repo->subpriority = strcmp(s->infos[i]->subdir, "noarch") == 0 ? 0 : 1;
	}
}

/* The record index of a repodata: opened when it exists; else, with a cache dir, written from
 * one jansson parse and opened; without one the parsed tree stays in info->root. */
static int load_records(solver_t *s, struct repo_info *info, const char *repodata_path,
			const char *sha, err_t *err)
{
	buf_t idx = BUF_INIT;
	int rc = -1;
	if (s->cache_dir) {
		repoindex_path(s->cache_dir, sha, &idx);
		err_t ignored = ERR_INIT;
		if (fs_exists(idx.data) &&
		    (info->records = repoindex_open(idx.data, &ignored)) != NULL) {
			rc = 0;
			goto out;
		}
		err_clear(&ignored); /* damaged: rebuilt below */
	}
	info->root = repodata_parse_file(repodata_path, info->where, err);
	if (!info->root)
		goto out;
	if (s->cache_dir) {
		err_t ignored = ERR_INIT;
		/* best effort: without the index the tree serves this solve */
		if (repoindex_write_checked(idx.data, info->root, &ignored) == 0 &&
		    (info->records = repoindex_open(idx.data, &ignored)) != NULL) {
			json_decref(info->root);
			info->root = NULL;
		}
		err_clear(&ignored);
	}
	rc = 0;
out:
	buf_free(&idx);
	return rc;
}

/* libsolv's own parser for the repo (fp: the subset document). */
static int load_json(solver_t *s, struct repo_info *info, Repo *repo, FILE *fp, err_t *err)
{
	if (!fp)
		return err_set(err, "%s: cannot read the repodata subset", info->where);
	int rc = repo_add_conda(repo, fp, 0);
	fclose(fp);
	if (rc != 0)
		return err_set(err, "%s: libsolv cannot load it: %s", info->where,
			       pool_errstr(s->pool));
	return 0;
}

/* One document's subset from its file in the cache: record index and .solv as for any
 * repodata (warm: both exist, no JSON is read). */
static int load_subset_file(solver_t *s, struct repo_info *info, const char *path, err_t *err)
{
	char sha[DIGEST_HEX_MAX];
	if (solve_cache_key(path, sha, err) != 0 || load_records(s, info, path, sha, err) != 0)
		return -1;
	if (solve_cache_load(s->cache_dir, sha, info->repo))
		return 0;
	if (load_json(s, info, info->repo, fopen(path, "r"), err) != 0)
		return -1;
	solve_cache_store(s->cache_dir, sha, info->repo);
	return 0;
}

/* Without a cache dir: the subset parsed and loaded from memory. */
static int load_subset_mem(solver_t *s, struct repo_info *info, const buf_t *doc, err_t *err)
{
	info->root = repodata_parse_mem(doc->data, doc->len, info->where, err);
	if (!info->root)
		return -1;
	return load_json(s, info, info->repo, fmemopen(doc->data, doc->len, "r"), err);
}

int solve_add_repodata(solver_t *s, const char *channel_name, const char *channel_url,
		       const char *subdir, const char *repodata_path, int channel_index, err_t *err)
{
	return solve_add_repodata_scanned(s, channel_name, channel_url, subdir, repodata_path,
					  channel_index, NULL, NULL, err);
}

int solve_add_repodata_scanned(solver_t *s, const char *channel_name, const char *channel_url,
			       const char *subdir, const char *repodata_path, int channel_index,
			       struct nameidx *names, const char *sha, err_t *err)
{
	struct repo_info *info = NULL;
	buf_t where = BUF_INIT;
	int rc = -1;

	info = xcalloc(1, sizeof *info);
	info->channel_name = dup_or_empty(channel_name ? channel_name : channel_url);
	info->channel_url = dup_or_empty(channel_url);
	info->subdir = dup_or_empty(subdir);
	info->path = xstrdup(repodata_path);
	buf_addf(&where, "%s (repodata of %s/%s)", repodata_path, channel_url, subdir);
	info->where = buf_detach(&where);
	info->channel_index = channel_index;
	info->names = names; /* freed with info */
	if (s->cache_dir && sha && strlen(sha) == 64)
		memcpy(info->sha, sha, 65);
	else if (s->cache_dir && solve_cache_key(repodata_path, info->sha, err) != 0)
		goto out;
	/* The checks run here (a document refused names itself at once); the records wait for
	 * solve_run, which knows which names it needs. */
	if (solve_sparse_check(s->cache_dir, info, err) != 0)
		goto out;
	struct repo_info **grown = xrealloc(s->infos, (s->n_infos + 1) * sizeof *grown);
	s->infos = grown;
	s->infos[s->n_infos++] = info;
	info = NULL;
	rc = 0;
out:
	repo_info_free(info);
	return rc;
}

int solve_add_virtual(solver_t *s, const char *name, const char *version, const char *build,
		      err_t *err)
{
	if (!name || strncmp(name, "__", 2) != 0 || !version || !*version)
		return err_set(err,
			       "virtual package '%s' must be named __something and have a version",
			       name ? name : "");
	s->virtuals = xrealloc(s->virtuals, (s->n_virtuals + 1) * sizeof *s->virtuals);
	s->virtuals[s->n_virtuals++] = (struct virtual_pkg){
		xstrdup(name), xstrdup(version), build && *build ? xstrdup(build) : NULL};
	return 0;
}

/* The virtual packages as installed solvables, after the channels' records (the order the
 * pool had when they were added at once). */
static void add_virtuals(solver_t *s)
{
	Pool *pool = s->pool;
	if (!s->n_virtuals || s->virtual_repo)
		return;
	s->virtual_repo = repo_create(pool, "@virtual");
	s->virtual_data = repo_add_repodata(s->virtual_repo, 0);
	pool_set_installed(pool, s->virtual_repo);
	for (size_t i = 0; i < s->n_virtuals; i++) {
		Id p = repo_add_solvable(s->virtual_repo);
		Solvable *sv = pool_id2solvable(pool, p);
		sv->name = pool_str2id(pool, s->virtuals[i].name, 1);
		sv->evr = pool_str2id(pool, s->virtuals[i].version, 1);
		sv->provides = repo_addid_dep(s->virtual_repo, sv->provides,
					      pool_rel2id(pool, sv->name, sv->evr, REL_EQ, 1), 0);
		/* conda's virtual packages carry build "0" unless they say otherwise
		 * (__archspec). */
		repodata_add_poolstr_array(s->virtual_data, p, SOLVABLE_BUILDFLAVOR,
					   s->virtuals[i].build ? s->virtuals[i].build : "0");
	}
}

static void channels_searched(const solver_t *s, buf_t *out);

/* The seeds of the closure: the specs and the virtual packages' names. Caller frees the
 * array (the strings are borrowed). */
static const char **sparse_seeds(const solver_t *s, const char *const *specs, size_t n_specs,
				 size_t *n)
{
	const char **seeds = xcalloc(n_specs + s->n_virtuals + 1, sizeof *seeds);
	for (size_t i = 0; i < n_specs; i++)
		seeds[i] = specs[i];
	for (size_t i = 0; i < s->n_virtuals; i++)
		seeds[n_specs + i] = s->virtuals[i].name;
	*n = n_specs + s->n_virtuals;
	return seeds;
}

/* Another solve_run on the same solver with other specs: the repos are filled again. */
static void unload_repos(solver_t *s)
{
	for (size_t i = 0; i < s->n_infos; i++) {
		struct repo_info *info = s->infos[i];
		if (info->repo)
			repo_free(info->repo, 1);
		info->repo = NULL;
		repoindex_free(info->records);
		info->records = NULL;
		json_decref(info->root);
		info->root = NULL;
	}
	s->n_loaded = 0;
	s->loaded_key[0] = 0;
}

/* Fills each channel's repo with the records the specs can reach (solve_sparse.c). */
static int load_repos(solver_t *s, const char *const *specs, size_t n_specs, err_t *err)
{
	size_t n_seeds, cached = 0;
	const char **seeds = sparse_seeds(s, specs, n_specs, &n_seeds);
	char key[DIGEST_HEX_MAX] = "";
	buf_t path = BUF_INIT, doc = BUF_INIT, where = BUF_INIT;
	int rc = -1;
	solve_sparse_key(s->infos, s->n_infos, seeds, n_seeds, key);
	for (size_t i = 0; s->cache_dir && i < s->n_infos; i++) {
		solve_sparse_subset_path(s->cache_dir, s->infos[i]->sha, key, &path, NULL);
		cached += fs_exists(path.data);
	}
	if (!strcmp(key, s->loaded_key)) { /* solved before with the same seeds */
		rc = 0;
		goto out;
	}
	unload_repos(s);
	channels_searched(s, &where);
	if (cached < s->n_infos || !s->n_infos) /* warm: every subset is in the cache */
		if (solve_sparse_select(s->infos, s->n_infos, seeds, n_seeds, where.data, err) != 0)
			goto out;
	for (size_t i = 0; i < s->n_infos; i++) {
		struct repo_info *info = s->infos[i];
		buf_t name = BUF_INIT;
		buf_addf(&name, "%s/%s", info->channel_url, info->subdir);
		info->repo = repo_create(s->pool, name.data);
		info->repo->appdata = info;
		buf_free(&name);
		if (info->names)
			nameidx_subset(info->names, &doc);
		if (s->cache_dir) {
			if (solve_sparse_subset_path(s->cache_dir, info->sha, key, &path, err))
				goto out;
			if (cached < s->n_infos &&
			    fs_write_atomic(path.data, doc.data, doc.len, err))
				goto out;
			if (load_subset_file(s, info, path.data, err) != 0)
				goto out;
		} else if (load_subset_mem(s, info, &doc, err) != 0) {
			goto out;
		}
		s->n_loaded += (size_t)info->repo->nsolvables;
	}
	memcpy(s->loaded_key, key, sizeof key);
	rc = 0;
out:
	free(seeds);
	buf_free(&path);
	buf_free(&doc);
	buf_free(&where);
	return rc;
}

size_t solve_records_loaded(const solver_t *s)
{
	return s->n_loaded;
}

/* ---- specs to jobs ---- */

static int info_matches_channel(const solver_t *s, const struct repo_info *info,
				const matchspec_t *m)
{
	if (m->subdir && strcmp(m->subdir, info->subdir) != 0)
		return 0;
	if (!m->channel) /* "any-channel/linux-64::x": that subdir of every channel */
		return 1;
	if (strcmp(m->channel, info->channel_name) == 0 ||
	    strcmp(m->channel, info->channel_url) == 0)
		return 1;
	/* "conda-forge::x" against a channel given as its URL, or the other way round. */
	buf_t url = BUF_INIT;
	err_t ignored = ERR_INIT;
	int same = channel_resolve(m->channel, s->channel_alias, &url, &ignored) == 0 &&
		   strcmp(url.data, info->channel_url) == 0;
	buf_free(&url);
	err_clear(&ignored);
	return same;
}

static void channels_searched(const solver_t *s, buf_t *out)
{
	for (size_t i = 0; i < s->n_infos; i++) {
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(s->infos[j]->channel_name, s->infos[i]->channel_name) == 0;
		if (seen)
			continue;
		if (out->len)
			buf_addstr(out, ", ");
		buf_addstr(out, s->infos[i]->channel_name);
	}
	if (!out->len)
		buf_addstr(out, "none");
}

/* Distinct versions of `name` in the pool, newest first, at most 8 ("3.12.3, 3.11.9, ..."). */
static void versions_available(Pool *pool, const char *name, buf_t *out)
{
	Id nid = pool_str2id(pool, name, 0), p, pp;
	Id seen[8];
	int n = 0, more = 0;
	if (!nid)
		return;
	FOR_PROVIDES (p, pp, nid) {
		Solvable *sv = pool_id2solvable(pool, p);
		if (sv->name != nid)
			continue;
		int dup = 0;
		for (int i = 0; i < n && !dup; i++)
			dup = seen[i] == sv->evr;
		if (dup)
			continue;
		if (n == 8) { /* full: keep the 8 newest */
			more = 1;
			if (pool_evrcmp(pool, seen[7], sv->evr, EVRCMP_COMPARE) >= 0)
				continue;
			n--;
		}
		/* insertion sort, newest first (conda's version order) */
		int at = n++;
		while (at > 0 && pool_evrcmp(pool, seen[at - 1], sv->evr, EVRCMP_COMPARE) < 0) {
			seen[at] = seen[at - 1];
			at--;
		}
		seen[at] = sv->evr;
	}
	for (int i = 0; i < n; i++)
		buf_addf(out, "%s%s", i ? ", " : "", pool_id2str(pool, seen[i]));
	if (more)
		buf_addstr(out, ", ...");
}

/* build_number lives in the solvable's SOLVABLE_BUILDVERSION (repo_add_conda). */
static int build_number_ok(Solvable *sv, const char *spec)
{
	const char *bn = solvable_lookup_str(sv, SOLVABLE_BUILDVERSION);
	char *end = NULL;
	long v = bn ? strtol(bn, &end, 10) : 0;
	if (bn && (end == bn || *end))
		return 0;
	return matchspec_build_number_matches(spec, v) == 1;
}

/* The providers of dep that pass the filters libsolv does not read (channel::, subdir,
 * build_number), into q. */
static void matching_providers(solver_t *s, const matchspec_t *m, Id dep, Queue *q)
{
	Pool *pool = s->pool;
	Id p, pp;
	FOR_PROVIDES (p, pp, dep) {
		Solvable *sv = pool_id2solvable(pool, p);
		const struct repo_info *info = sv->repo->appdata;
		if ((m->channel || m->subdir) && !(info && info_matches_channel(s, info, m)))
			continue;
		if (m->build_number && !build_number_ok(sv, m->build_number))
			continue;
		queue_push(q, p);
	}
}

/* No provider passed the subdir or build-number filter. Returns -1. */
static int fail_filtered(solver_t *s, const char *spec, const matchspec_t *m, err_t *err)
{
	buf_t where = BUF_INIT;
	channels_searched(s, &where);
	err_set(err,
		"cannot solve the environment: no package matches '%s' (%s; "
		"channels "
		"searched: %s)",
		spec,
		m->build_number && m->subdir ? "build number and subdir checked"
		: m->build_number            ? "build numbers checked"
					     : "only that subdir",
		where.data);
	buf_free(&where);
	return -1;
}

/* No provider in m's channel: says whether that channel is in the list at all. Returns -1. */
static int fail_channel(solver_t *s, const char *spec, const matchspec_t *m, err_t *err)
{
	buf_t where = BUF_INIT;
	int any_channel = 0;
	for (size_t i = 0; i < s->n_infos; i++)
		any_channel |= info_matches_channel(s, s->infos[i], m);
	if (any_channel)
		err_set(err, "no package matches '%s' in channel %s", spec, m->channel);
	else {
		channels_searched(s, &where);
		err_set(err,
			"no package matches '%s' in channel %s: that channel is "
			"not in "
			"the channel list (%s); add it under channels:",
			spec, m->channel, where.data);
	}
	buf_free(&where);
	return -1;
}

/* Nothing provides the spec: names the versions there are. Returns -1. */
static int fail_unprovided(solver_t *s, const char *spec, const matchspec_t *m, err_t *err)
{
	buf_t where = BUF_INIT, avail = BUF_INIT;
	channels_searched(s, &where);
	versions_available(s->pool, m->name, &avail);
	err_set(err,
		"cannot solve the environment: nothing provides '%s' (channels "
		"searched: %s)%s%s",
		spec, where.data, avail.len ? "; versions available: " : "",
		avail.data ? avail.data : "");
	buf_free(&avail);
	buf_free(&where);
	return -1;
}

/* Appends the job for one spec to `job`. */
static int add_spec_job(solver_t *s, const char *spec, Queue *job, err_t *err)
{
	Pool *pool = s->pool;
	matchspec_t *m = NULL;
	buf_t solvstr = BUF_INIT;
	Queue q;
	int rc = -1;
	queue_init(&q);

	m = matchspec_parse(spec, err);
	if (!m)
		goto out;
	matchspec_to_solv(m, &solvstr);
	Id dep = pool_conda_matchspec(pool, solvstr.data);
	if (!dep) {
		err_set(err, "bad MatchSpec '%s': libsolv cannot read '%s'", spec, solvstr.data);
		goto out;
	}
	/* libsolv reads neither channel::, subdir nor build_number: filter the providers here */
	int filtered = m->channel || m->subdir || m->build_number;
	matching_providers(s, m, dep, &q);
	if (filtered && !m->channel) {
		if (!q.count) {
			fail_filtered(s, spec, m, err);
			goto out;
		}
		queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_ONE_OF,
			    pool_queuetowhatprovides(pool, &q));
	} else if (m->channel) {
		/* An empty ONE_OF counts as satisfied in libsolv: refuse it here. */
		if (!q.count) {
			fail_channel(s, spec, m, err);
			goto out;
		}
		/* SOLVER_SETREPO lifts the strict-priority rules for this name (libsolv's
		 * DISABLE_REPOPRIO), as conda lets `chan::pkg` override channel order. */
		queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_ONE_OF | SOLVER_SETREPO,
			    pool_queuetowhatprovides(pool, &q));
	} else {
		if (!q.count) {
			fail_unprovided(s, spec, m, err);
			goto out;
		}
		queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, dep);
	}
	rc = 0;
out:
	queue_free(&q);
	buf_free(&solvstr);
	matchspec_free(m);
	return rc;
}

/* ---- results ---- */

static pkgrec_t *record_for(Pool *pool, Id p, err_t *err)
{
	Solvable *sv = pool_id2solvable(pool, p);
	const struct repo_info *info = sv->repo->appdata;
	/* repo_add_conda stores the record's key as the location "subdir/fn". */
	const char *fn = solvable_lookup_location(sv, NULL);
	if (fn && strrchr(fn, '/'))
		fn = strrchr(fn, '/') + 1;
	if (!info || !fn) {
		err_set(err, "solver chose %s, which has no repodata record (internal error)",
			pool_solvid2str(pool, p));
		return NULL;
	}
	json_t *entry;
	if (info->records) {
		entry = repoindex_get(info->records, fn, err);
		if (!entry) {
			err_prefix(err, "%s/%s", info->channel_url, info->subdir);
			return NULL;
		}
	} else {
		/* libsolv keeps the .conda entry when both formats exist; look there first. */
		entry = json_object_get(json_object_get(info->root, "packages.conda"), fn);
		if (!entry)
			entry = json_object_get(json_object_get(info->root, "packages"), fn);
		if (!entry) {
			err_set(err, "%s/%s: record '%s' chosen by the solver is not in repodata",
				info->channel_url, info->subdir, fn);
			return NULL;
		}
		json_incref(entry);
	}
	pkgrec_t *r = pkgrec_from_json(fn, entry, info->channel_url, info->subdir, err);
	json_decref(entry);
	if (!r)
		err_prefix(err, "%s/%s", info->channel_url, info->subdir);
	return r;
}

/* libsolv adds a rule for every pair of records of one name it considers, so their count is
 * capped for the whole pool (repodata.h): a name can come from several channels and subdirs,
 * each under the per-document cap. */
static int check_records_per_name(solver_t *s, err_t *err)
{
	Pool *pool = s->pool;
	unsigned *count = xcalloc((size_t)pool->ss.nstrings, sizeof *count);
	int rc = 0;
	Id p;
	FOR_POOL_SOLVABLES (p) {
		Solvable *sv = pool_id2solvable(pool, p);
		if (sv->repo == s->virtual_repo || sv->name <= 0 || sv->name >= pool->ss.nstrings)
			continue;
		if (++count[sv->name] > REPODATA_MAX_RECORDS_PER_NAME) {
			buf_t where = BUF_INIT;
			channels_searched(s, &where);
			rc = err_set(
				err,
				"cannot solve the environment: the channels (%s) hold more than "
				"%d records of package '%.100s', more than the solver can handle "
				"(its cost grows with the square of that number)",
				where.data, REPODATA_MAX_RECORDS_PER_NAME,
				pool_id2str(pool, sv->name));
			buf_free(&where);
			break;
		}
	}
	free(count);
	return rc;
}

solution_t *solve_run(solver_t *s, const char *const *specs, size_t n_specs, err_t *err)
{
	Pool *pool = s->pool;
	Solver *solv = NULL;
	Transaction *trans = NULL;
	solution_t *sol = NULL;
	buf_t msg = BUF_INIT;
	Queue job;
	queue_init(&job);

	if (load_repos(s, specs, n_specs, err) != 0)
		goto fail;
	add_virtuals(s);
	if (s->virtual_data)
		repodata_internalize(s->virtual_data);
	apply_priorities(s);
	if (check_records_per_name(s, err) != 0)
		goto fail;
	pool_addfileprovides(pool);
	pool_createwhatprovides(pool);
	for (size_t i = 0; i < n_specs; i++)
		if (add_spec_job(s, specs[i], &job, err) != 0)
			goto fail;
	/* Virtual packages describe the target machine: never up/downgraded or removed. */
	if (s->virtual_repo)
		queue_push2(&job, SOLVER_LOCK | SOLVER_SOLVABLE_REPO, s->virtual_repo->repoid);

	solv = solver_create(pool);
	/* flexible: libsolv still prefers the higher-priority repo when choosing among candidates
	 * (policy prune_to_highest_prio) but lets lower ones satisfy what it cannot. */
	solver_set_flag(solv, SOLVER_FLAG_STRICT_REPO_PRIORITY,
			s->priority_mode == SOLVE_PRIORITY_STRICT);
	if (solver_solve(solv, &job) != 0) {
		int hint = solve_explain(solv, specs, n_specs, s->virtual_repo, &msg);
		err_set(err, "%s", msg.data);
		err_set_hint(err, hint);
		goto fail;
	}
	trans = solver_create_transaction(solv);
	sol = xcalloc(1, sizeof *sol);
	sol->recs = xcalloc((size_t)trans->steps.count + 1, sizeof *sol->recs);
	for (int i = 0; i < trans->steps.count; i++) {
		Id p = trans->steps.elements[i];
		if (transaction_type(trans, p, SOLVER_TRANSACTION_SHOW_ALL) !=
		    SOLVER_TRANSACTION_INSTALL)
			continue;
		if (pool_id2solvable(pool, p)->repo == s->virtual_repo)
			continue;
		pkgrec_t *r = record_for(pool, p, err);
		if (!r)
			goto fail;
		sol->recs[sol->n++] = r;
	}
	/* Deterministic order for every later stage (docs/layer-format.md). */
	qsort(sol->recs, sol->n, sizeof *sol->recs, pkgrec_cmp_name);
	goto out;
fail:
	solution_free(sol);
	sol = NULL;
out:
	if (trans)
		transaction_free(trans);
	if (solv)
		solver_free(solv);
	queue_free(&job);
	buf_free(&msg);
	return sol;
}

size_t solution_count(const solution_t *sol)
{
	return sol ? sol->n : 0;
}

const pkgrec_t *solution_get(const solution_t *sol, size_t i)
{
	return sol && i < sol->n ? sol->recs[i] : NULL;
}

const pkgrec_t *solution_find(const solution_t *sol, const char *name)
{
	for (size_t i = 0; sol && i < sol->n; i++)
		if (strcmp(sol->recs[i]->name, name) == 0)
			return sol->recs[i];
	return NULL;
}

char *solution_python_version(const solution_t *sol)
{
	const pkgrec_t *py = solution_find(sol, "python");
	if (!py || !py->version)
		return NULL;
	/* "3.11.9" -> "3.11" */
	const char *v = py->version, *dot = strchr(v, '.');
	const char *end = dot ? strchr(dot + 1, '.') : NULL;
	return xstrndup(v, end ? (size_t)(end - v) : strlen(v));
}

solution_t *solution_from_records(pkgrec_t **recs, size_t n)
{
	solution_t *sol = xcalloc(1, sizeof *sol);
	sol->recs = recs;
	sol->n = n;
	if (n) /* deterministic order for every later stage (docs/layer-format.md) */
		qsort(sol->recs, sol->n, sizeof *sol->recs, pkgrec_cmp_name);
	return sol;
}

int solution_lacks_depends(const solution_t *sol)
{
	for (size_t i = 0; sol && i < sol->n; i++)
		if (!sol->recs[i]->depends)
			return 1;
	return 0;
}

pkgrec_t *solution_record(solution_t *sol, size_t i)
{
	return sol && i < sol->n ? sol->recs[i] : NULL;
}

void solution_free(solution_t *sol)
{
	if (!sol)
		return;
	for (size_t i = 0; i < sol->n; i++)
		pkgrec_free(sol->recs[i]);
	free(sol->recs);
	free(sol);
}
