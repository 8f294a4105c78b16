/* plan_report.c — the dry run behind `imgbuild plan`: the context's package set (as the build
 * gets it), the layer plan, every group keyed as the build keys it (builder/lcache_stage.c),
 * and the local layer cache (then the registry cache) asked which layers it holds. */
#include "plan_report.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lcache_stage.h"
#include "rcache_stage.h"
#include "solve.h"
#include "xalloc.h"

static void fill_row(plan_row_t *row, lcache_stage_t *s, const plan_t *plan, size_t g,
		     const pkgrec_t *const *pkgs)
{
	size_t n = plan_group_size(plan, g);
	layer_desc_t d;
	row->group = xstrdup(plan_group_name(plan, g));
	row->packages = xcalloc(n ? n : 1, sizeof *row->packages);
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
static int mark_in_registry(ctx_t *ctx, plan_report_t *r, err_t *err)
{
	const build_opts_t *opts = ctx_opts(ctx);
	rcache_stage_t *rs =
		rcache_stage_new(opts->cache_repo, opts->reg, ctx_cache_dir(ctx), NULL, err);
	int rc = -1;
	if (!rs)
		return -1;
	ctx_log(ctx, "asking the registry cache %s about %zu layers", rcache_stage_repo(rs),
		r->n_rows);
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

int plan_report_make(ctx_t *ctx, size_t i, plan_report_t *out, err_t *err)
{
	const build_opts_t *opts = ctx_opts(ctx);
	solution_t *sol = NULL;
	plan_t *plan = NULL;
	lcache_stage_t *s = NULL;
	const pkgrec_t **pkgs = NULL;
	void *ud;
	log_fn log = ctx_log_fn(ctx, &ud);
	int rc = -1;
	memset(out, 0, sizeof *out);
	out->prefix = xstrdup(ctx_prefix(ctx));
	if (ctx_packages(ctx, i, &sol, NULL, err))
		goto out;
	out->python_version = solution_python_version(sol);
	out->n_packages = solution_count(sol);
	pkgs = xcalloc(out->n_packages ? out->n_packages : 1, sizeof *pkgs);
	for (size_t k = 0; k < out->n_packages; k++)
		pkgs[k] = solution_get(sol, k);
	if (!(plan = plan_new(ctx_recipe(ctx), pkgs, out->n_packages, err)))
		goto out;
	if (!(s = lcache_stage_new(ctx_cache_dir(ctx), &opts->layer, out->prefix,
				   out->python_version, err)))
		goto out;
	lcache_stage_keys(s, plan, pkgs, log, ud);
	out->n_rows = plan_group_count(plan);
	out->rows = xcalloc(out->n_rows ? out->n_rows : 1, sizeof *out->rows);
	for (size_t g = 0; g < out->n_rows; g++)
		fill_row(&out->rows[g], s, plan, g, pkgs);
	if (opts->cache_repo && mark_in_registry(ctx, out, err))
		goto out;
	rc = 0;
out:
	if (rc)
		plan_report_free(out);
	lcache_stage_free(s);
	plan_free(plan);
	free(pkgs);
	solution_free(sol);
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
