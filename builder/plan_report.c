/* plan_report.c — the dry run behind `imgbuild plan`: solve (no package is downloaded), make
 * the layer plan, key every group as the build would (builder/lcache_stage.c) and ask the
 * local layer cache which layers it holds. */
#include "plan_report.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "envspec.h"
#include "fsutil.h"
#include "lcache_stage.h"
#include "rcache_stage.h"
#include "solve.h"


/* The same prefix rule as the build (pipeline.c check_env): --prefix without trailing
 * slashes, else /opt/conda/envs/<--name, the file's name, or "env">. */
static char *plan_prefix(const build_opts_t *o, err_t *err)
{
	buf_t p = BUF_INIT;
	if (o->prefix) {
		buf_setstr(&p, o->prefix);
		while (p.len > 1 && p.data[p.len - 1] == '/')
			buf_truncate(&p, p.len - 1);
		return buf_detach(&p);
	}
	envspec_t *env = envspec_load(o->env_path, err);
	if (!env)
		return NULL;
	buf_setstr(&p, "/opt/conda/envs/");
	buf_addstr(&p, o->name ? o->name : envspec_name(env) ? envspec_name(env) : "env");
	envspec_free(env);
	return buf_detach(&p);
}

static recipe_t *plan_recipe(const build_opts_t *o, err_t *err)
{
	size_t len = 0;
	if (o->recipe_path)
		return recipe_load(o->recipe_path, err);
	const char *data = pipeline_default_recipe(&len);
	return recipe_parse("recipes/default.yaml (built in)", data, len, err);
}

static char *python_major_minor(const solution_t *sol)
{
	const pkgrec_t *py = solution_find(sol, "python");
	if (!py)
		return NULL;
	const char *v = py->version, *dot = strchr(v, '.');
	const char *end = dot ? strchr(dot + 1, '.') : NULL;
	return strndup(v, end ? (size_t)(end - v) : strlen(v));
}

static void fill_row(plan_row_t *row, lcache_stage_t *s, const plan_t *plan, size_t g,
		     const pkgrec_t *const *pkgs)
{
	size_t n = plan_group_size(plan, g);
	layer_desc_t d;
	row->group = strdup(plan_group_name(plan, g));
	row->packages = calloc(n ? n : 1, sizeof *row->packages);
	if (!row->group || !row->packages)
		abort();
	for (size_t j = 0; j < n; j++) {
		const pkgrec_t *p = pkgs[plan_group_pkg(plan, g, j)];
		row->packages[row->n_packages++] = pkgrec_dist(p);
		row->est_bytes += p->size > 0 ? p->size : 0;
	}
	memcpy(row->key, lcache_stage_key(s, g), sizeof row->key);
	if (lcache_stage_peek(s, g, &d)) {
		row->status = PLAN_CACHED_LOCALLY;
		row->cached_size = d.size;
	}
}

/* --cache-repo: layers not cached locally whose key the registry cache holds. A registry that
 * cannot be asked is an error here: the plan exists to tell what a build would do. */
static int mark_in_registry(const build_opts_t *opts, const char *cache_dir, plan_report_t *r,
			    pipeline_log_fn log, void *ud, err_t *err)
{
	rcache_stage_t *rs = rcache_stage_new(opts->cache_repo, opts->cache_reg, cache_dir, NULL, err);
	int rc = -1;
	if (!rs)
		return -1;
	if (log) {
		buf_t m = BUF_INIT;
		buf_addf(&m, "asking the registry cache %s about %zu layers", rcache_stage_repo(rs), r->n_rows);
		log(ud, m.data);
		buf_free(&m);
	}
	for (size_t g = 0; g < r->n_rows; g++) {
		plan_row_t *row = &r->rows[g];
		long long size = 0;
		if (row->status != PLAN_TO_BUILD || !row->key[0])
			continue;
		int found = rcache_stage_peek(rs, row->key, &size, err);
		if (found < 0) {
			err_prefix(err, "--cache-repo %s", opts->cache_repo);
			goto out;
		}
		if (found) {
			row->status = PLAN_IN_REGISTRY;
			row->cached_size = size;
		}
	}
	rc = 0;
out:
	rcache_stage_free(rs);
	return rc;
}

int plan_report_make(const build_opts_t *opts, pipeline_log_fn log, void *ud, plan_report_t *out,
		      err_t *err)
{
	solution_t *sol = NULL;
	recipe_t *recipe = NULL;
	plan_t *plan = NULL;
	lcache_stage_t *s = NULL;
	const pkgrec_t **pkgs = NULL;
	buf_t cache = BUF_INIT;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (!(out->prefix = plan_prefix(opts, err)) || !(recipe = plan_recipe(opts, err)) ||
	    pipeline_solve(opts, log, ud, &sol, err) != 0)
		goto out;
	out->python_version = python_major_minor(sol);
	out->n_packages = solution_count(sol);
	pkgs = calloc(out->n_packages ? out->n_packages : 1, sizeof *pkgs);
	if (!pkgs)
		abort();
	for (size_t i = 0; i < out->n_packages; i++)
		pkgs[i] = solution_get(sol, i);
	if (!(plan = plan_new(recipe, pkgs, out->n_packages, err)))
		goto out;
	if (opts->cache_dir)
		buf_setstr(&cache, opts->cache_dir);
	else
		fs_default_cache_dir(&cache);
	if (!(s = lcache_stage_new(cache.data, &opts->layer, out->prefix, out->python_version, err)))
		goto out;
	lcache_stage_keys(s, plan, pkgs, log, ud);
	out->n_rows = plan_group_count(plan);
	out->rows = calloc(out->n_rows ? out->n_rows : 1, sizeof *out->rows);
	if (!out->rows)
		abort();
	for (size_t g = 0; g < out->n_rows; g++)
		fill_row(&out->rows[g], s, plan, g, pkgs);
	if (opts->cache_repo && mark_in_registry(opts, cache.data, out, log, ud, err))
		goto out;
	rc = 0;
out:
	if (rc)
		plan_report_free(out);
	lcache_stage_free(s);
	plan_free(plan);
	free(pkgs);
	solution_free(sol);
	recipe_free(recipe);
	buf_free(&cache);
	return rc;
}

void plan_report_free(plan_report_t *r)
{
	if (!r)
		return;
	for (size_t g = 0; g < r->n_rows; g++) {
		for (size_t j = 0; j < r->rows[g].n_packages; j++)
			free(r->rows[g].packages[j]);
		free(r->rows[g].packages);
		free(r->rows[g].group);
	}
	free(r->rows);
	free(r->prefix);
	free(r->python_version);
	memset(r, 0, sizeof *r);
}
