/* context_solve.c — the package set of a platform, the same way for build, plan and lock:
 * channels resolved once (--channel first, then the file's, --channel-alias), virtual
 * packages from the base image and flags, then a solve; or, with --lock, the lock's records
 * for the platform, completed from their archives so that they key layers as a solve's
 * records do (pkg_complete_record). */
#include "context_int.h"
#include "base.h"
#include "context_pip.h"

#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "group.h"
#include "lock.h"
#include "pkg.h"
#include "xalloc.h"

static void add_channel(ctx_t *c, const char *written, const char *url)
{
	for (size_t i = 0; i < c->n_ch; i++)
		if (!strcmp(c->ch_urls[i], url))
			return; /* first mention keeps its priority */
	c->ch_urls = xrealloc(c->ch_urls, (c->n_ch + 1) * sizeof *c->ch_urls);
	c->ch_written = xrealloc(c->ch_written, (c->n_ch + 1) * sizeof *c->ch_written);
	c->ch_urls[c->n_ch] = xstrdup(url);
	c->ch_written[c->n_ch] = xstrdup(written);
	c->n_ch++;
}

/* "nodefaults" is accepted and, since imgbuild never adds `defaults` implicitly, has nothing
 * to remove. */
int ctx_resolve_channels(ctx_t *c, err_t *err)
{
	const build_opts_t *o = c->o;
	buf_t url = BUF_INIT;
	int rc = -1;
	size_t n_file = envspec_channel_count(c->env);
	for (size_t i = 0; i < o->n_channels + n_file; i++) {
		const char *w = i < o->n_channels ? o->channels[i]
						  : envspec_channel(c->env, i - o->n_channels);
		if (!strcmp(w, "nodefaults"))
			continue;
		if (channel_resolve(w, o->channel_alias, &url, err) != 0) {
			err_prefix(err, "%s: channel '%s'",
				   i < o->n_channels ? "--channel" : envspec_path(c->env), w);
			goto out;
		}
		add_channel(c, w, url.data);
	}
	if (c->n_ch == 0) {
		err_set(err,
			"%s: no channels: add a `channels:` list to the file or pass --channel",
			envspec_path(c->env));
		goto out;
	}
	rc = 0;
out:
	buf_free(&url);
	return rc;
}

/* The lock's records for platform i's subdir (pip entries too: context_pip.c installs them).
 * Caller frees. */
static lockfile_t *read_lock(ctx_t *c, size_t i, err_t *err)
{
	lockfile_t *l = lock_read(c->o->lock_path, c->plats[i].subdir, err);
	if (l && lock_pip_problem(l) && !c->o->ignore_pip) {
		err_set(err, "%s; pass --ignore-pip to build without the lock's pip packages",
			lock_pip_problem(l));
		lock_free(l);
		return NULL;
	}
	return l;
}

int ctx_lock_env_name(ctx_t *c, char **out, err_t *err)
{
	lockfile_t *l = read_lock(c, 0, err);
	*out = NULL;
	if (!l)
		return -1;
	if (lock_env_name(l))
		*out = xstrdup(lock_env_name(l));
	lock_free(l);
	return 0;
}

int ctx_virtuals(ctx_t *c, size_t i, virtual_set_t *out, err_t *err)
{
	const build_opts_t *o = c->o;
	oci_base_t *base = NULL;
	buf_t glibc = BUF_INIT;
	int found = 0, rc = -1;
	/* __glibc from the base image's own C library (oci/base.h), else --glibc */
	if (ctx_base_image(c, i, &base, err) ||
	    (base && (found = oci_base_glibc(base, &glibc, err)) < 0))
		goto out;
	virtual_opts_t vo = {base ? o->base : NULL,
			     found ? glibc.data : NULL,
			     o->glibc_version,
			     o->cuda_version,
			     c->plats[i].arch,
			     "--glibc",
			     "--cuda"};
	rc = virtual_set_fill(out, &vo, err);
out:
	buf_free(&glibc);
	return rc;
}

static int add_virtuals(ctx_t *c, size_t i, solver_t *s, err_t *err)
{
	virtual_set_t vs;
	buf_t desc = BUF_INIT;
	if (ctx_virtuals(c, i, &vs, err))
		return -1;
	for (size_t k = 0; k < vs.n; k++)
		if (solve_add_virtual(s, vs.pkgs[k].name, vs.pkgs[k].version, vs.pkgs[k].build,
				      err))
			return -1;
	virtual_set_describe(&vs, &desc);
	ctx_log(c, "virtual packages: %s", desc.data);
	buf_free(&desc);
	return 0;
}

/* Every channel's platform subdir and noarch/, fetched (CEP-16 shards where offered, for only
 * the names the specs can reach) and added to the solver in channel order. */
static int add_repodata(ctx_t *c, size_t i, solver_t *s, const char *const *specs, size_t n_specs,
			err_t *err)
{
	const char *subdirs[2] = {c->plats[i].subdir, "noarch"};
	size_t n_sd = c->n_ch * 2;
	channel_subdir_t *sd = xcalloc(n_sd ? n_sd : 1, sizeof *sd);
	int rc = -1;
	for (size_t k = 0; k < n_sd; k++) {
		sd[k].base_url = c->ch_urls[k / 2];
		sd[k].subdir = subdirs[k % 2];
		/* conda requires noarch/ in every channel; a platform subdir may be absent */
		sd[k].flags = (k % 2 == 0 ? CHANNEL_MISSING_OK : 0) |
			      (c->o->offline ? CHANNEL_OFFLINE : 0);
		ctx_log(c, "fetching %s/%s/repodata", sd[k].base_url, sd[k].subdir);
	}
	if (channel_fetch_for_specs(ctx_http(c), sd, n_sd, c->cache.data, specs, n_specs, err)) {
		if (c->o->offline) { /* the library states the fact; the flag is the CLI's to name
				      */
			buf_t m = BUF_INIT;
			buf_addf(&m, "--offline: %s; run once without --offline to fill the cache",
				 err_msg(err));
			err_set(err, "%s", m.data);
			buf_free(&m);
		}
		goto out;
	}
	for (size_t k = 0; k < n_sd; k++) {
		if (sd[k].is_sharded)
			ctx_log(c, "%s/%s: %zu shards (%zu downloaded)", sd[k].base_url,
				sd[k].subdir, sd[k].n_shards, sd[k].n_downloaded);
		/* the fetch's own scan of a new document goes to the solver (read once) */
		struct nameidx *names = sd[k].names;
		sd[k].names = NULL;
		if (solve_add_repodata_scanned(s, c->ch_written[k / 2], sd[k].base_url,
					       sd[k].subdir, sd[k].path.data, (int)(k / 2), names,
					       sd[k].sha, err))
			goto out;
	}
	rc = 0;
out:
	for (size_t k = 0; k < n_sd; k++)
		channel_subdir_clear(&sd[k]);
	free(sd);
	return rc;
}

static solution_t *solve_platform(ctx_t *c, size_t i, err_t *err)
{
	const build_opts_t *o = c->o;
	size_t n_specs = envspec_dep_count(c->env);
	const char **specs = xcalloc(n_specs ? n_specs : 1, sizeof *specs);
	solution_t *sol = NULL;
	solver_t *s = solve_new(err);
	if (!s)
		goto out;
	solve_set_channel_priority(s, o->channel_priority);
	solve_set_channel_alias(s, o->channel_alias);
	solve_set_cache_dir(s, c->cache.data);
	for (size_t k = 0; k < n_specs; k++)
		specs[k] = envspec_dep(c->env, k);
	if (add_repodata(c, i, s, specs, n_specs, err) || add_virtuals(c, i, s, err))
		goto out;
	ctx_log(c, "solving %zu specs against %zu channel(s)%s%s", n_specs, c->n_ch,
		c->n_plats > 1 ? " for " : "", c->n_plats > 1 ? c->plats[i].name : "");
	if (!(sol = solve_run(s, specs, n_specs, err)))
		err_prefix(err, "%s", envspec_path(c->env));
out:
	free(specs);
	solve_free(s);
	return sol;
}

/* --lock: the records replace the solve; URLs and hashes are used as written. They are
 * completed from their archives before anything asks the layer cache: a lock lacks the
 * repodata record (and @EXPLICIT the dependencies) that the keys and the layer plan read. */
static solution_t *lock_platform(ctx_t *c, size_t i, char ***archives, err_t *err)
{
	lockfile_t *l = read_lock(c, i, err);
	solution_t *sol = NULL;
	pkgrec_t **recs;
	size_t n = 0;
	if (!l)
		return NULL;
	recs = lock_take_records(l, &n);
	lock_free(l);
	n = ctx_pip_lock_filter(c, recs, n); /* --ignore-pip drops the pip entries */
	sol = solution_from_records(recs, n);
	ctx_log(c, "using the %zu packages of %s%s%s (no solve)", n, c->o->lock_path,
		c->n_plats > 1 ? " for " : "", c->n_plats > 1 ? c->plats[i].name : "");
	const pkgrec_t **v = xcalloc(n ? n : 1, sizeof *v);
	char **paths = xcalloc(n ? n : 1, sizeof *paths), **got = xcalloc(n ? n : 1, sizeof *got);
	size_t n_conda = 0;
	for (size_t k = 0; k < n; k++) /* pip entries' wheels come later (context_pip.c) */
		if (!group_is_pip(solution_get(sol, k)))
			v[n_conda++] = solution_get(sol, k);
	int rc = ctx_fetch(c, v, n_conda, got, err);
	for (size_t k = 0, j = 0; k < n; k++)
		if (!group_is_pip(solution_get(sol, k)))
			paths[k] = got[j++];
	free(got);
	for (size_t k = 0; rc == 0 && k < n; k++)
		if (paths[k])
			rc = pkg_complete_record(solution_record(sol, k), paths[k], err);
	free(v);
	if (rc == 0 && archives) {
		*archives = paths;
		return sol;
	}
	for (size_t k = 0; k < n; k++)
		free(paths[k]);
	free(paths);
	if (rc) {
		solution_free(sol);
		return NULL;
	}
	return sol;
}

int ctx_packages(ctx_t *c, size_t i, solution_t **out, char ***archives, err_t *err)
{
	if (archives)
		*archives = NULL;
	*out = c->o->lock_path ? lock_platform(c, i, archives, err) : solve_platform(c, i, err);
	if (*out && ctx_pip_add(c, i, out, archives, err)) /* the pip: section (context_pip.c) */
		return -1;
	return *out ? 0 : -1;
}
