/* spread.c — `build --layers`: layers-only builds into the registry cache (see spread.h). The
 * pipeline does the work (builder/pipeline.c skips the image when only_groups is set); here
 * are the flag checks, the group names and the per-platform loop. */
#include "spread.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "xalloc.h"

int spread_check_args(const build_opts_t *o, const publish_opts_t *po, err_t *err)
{
	const char *what = po->output          ? "--output"
			   : po->n_refs        ? "-t"
			   : po->metadata_file ? "--metadata-file"
			   : po->sign_key      ? "--sign-key"
					       : NULL;
	if (!o->only_groups)
		return 0;
	if (!o->cache_repo)
		return err_set(err,
			       "--layers %s: builds layers into the registry cache, so it needs "
			       "--cache-repo HOST/PATH (or $IMGBUILD_CACHE_REPO; not with "
			       "--no-layer-cache)",
			       o->only_groups);
	if (what)
		return err_set(err,
			       "--layers %s writes no image, so %s has nothing to act on: drop it "
			       "here and pass it to the final build that assembles the image "
			       "(docs/distributed-builds.md)",
			       o->only_groups, what);
	return 0;
}

/* 1 when plan group name is recipe group want, or a part "<want>-<k>" of it (and not a group
 * the recipe names itself). */
static int is_part_of(const char *name, const char *want, const recipe_t *r)
{
	size_t n = strlen(want);
	if (!strcmp(name, want))
		return 1;
	if (strncmp(name, want, n) || name[n] != '-' || !name[n + 1])
		return 0;
	for (const char *p = name + n + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	for (size_t i = 0; i < recipe_group_count(r); i++)
		if (!strcmp(recipe_group_name(r, i), name))
			return 0;
	return 1;
}

static int is_recipe_group(const recipe_t *r, const char *name)
{
	for (size_t i = 0; i < recipe_group_count(r); i++)
		if (!strcmp(recipe_group_name(r, i), name))
			return 1;
	return 0;
}

static int unknown_group(const recipe_t *r, const char *recipe_display, const char *name,
			 err_t *err)
{
	buf_t names = BUF_INIT;
	for (size_t i = 0; i < recipe_group_count(r); i++)
		buf_addf(&names, "%s%s", i ? ", " : "", recipe_group_name(r, i));
	err_set(err, "--layers: the recipe (%s) has no group '%s'; its groups: %s", recipe_display,
		name, names.data);
	buf_free(&names);
	return -1;
}

/* Selects the plan groups one name of the list names; -1 when it names none the recipe has. */
static int select_one(const recipe_t *r, const char *recipe_display, const plan_t *plan,
		      const char *name, unsigned char *is_selected, log_fn log, void *ud,
		      err_t *err)
{
	size_t n_hits = 0;
	for (size_t g = 0; g < plan_group_count(plan); g++) {
		const char *gn = plan_group_name(plan, g);
		int hit = is_recipe_group(r, name) ? is_part_of(gn, name, r) : !strcmp(gn, name);
		is_selected[g] |= (unsigned char)hit;
		n_hits += (size_t)hit;
	}
	if (!n_hits && !is_recipe_group(r, name))
		return unknown_group(r, recipe_display, name, err);
	if (!n_hits)
		log_msgf(log, ud,
			 "--layers: group %s has no package in this environment: nothing to build",
			 name);
	return 0;
}

int spread_select_groups(const char *list, const recipe_t *r, const char *recipe_display,
			 const plan_t *plan, unsigned char *is_selected, log_fn log, void *ud,
			 err_t *err)
{
	char *copy = xstrdup(list);
	size_t n_names = 0;
	int rc = 0;
	memset(is_selected, 0, plan_group_count(plan));
	for (char *p = copy; p && rc == 0;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p) {
			n_names++;
			rc = select_one(r, recipe_display, plan, p, is_selected, log, ud, err);
		}
		p = comma ? comma + 1 : NULL;
	}
	if (rc == 0 && !n_names)
		rc = err_set(err, "--layers '%s': expected GROUP[,GROUP...]", list);
	free(copy);
	return rc;
}

int spread_select(ctx_t *ctx, const plan_t *plan, unsigned char *is_selected, err_t *err)
{
	const char *path = ctx_opts(ctx)->recipe_path;
	void *ud;
	log_fn log = ctx_log_fn(ctx, &ud);
	return spread_select_groups(ctx_opts(ctx)->only_groups, ctx_recipe(ctx),
				    path ? path : "the built-in recipes/default.yaml", plan,
				    is_selected, log, ud, err);
}

int spread_run(ctx_t *ctx, publish_result_t *out, err_t *err)
{
	size_t n_plats = ctx_platform_count(ctx);
	const char *work;
	buf_t dir = BUF_INIT;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (ctx_scratch(ctx, &work, err))
		goto out;
	out->builds = xcalloc(n_plats, sizeof *out->builds);
	out->platforms = xcalloc(n_plats, sizeof *out->platforms);
	for (size_t i = 0; i < n_plats; i++) {
		const ctx_platform_t *pl = ctx_platform(ctx, i);
		/* the pipeline's temporary layout goes beside this name, which is never created */
		buf_setstr(&dir, work);
		buf_addf(&dir, "/layers-%s.oci", pl->arch);
		pipeline_target_t t = {.platform = i, .output_dir = dir.data};
		if (n_plats > 1)
			ctx_log(ctx, "building the layers of %s (conda subdir %s)", pl->name,
				pl->subdir);
		if (pipeline_build(ctx, &t, &out->builds[i], err)) {
			if (n_plats > 1)
				err_prefix(err, "%s", pl->name);
			goto out;
		}
		out->platforms[i] = xstrdup(pl->name);
		out->n_builds++;
	}
	rc = 0;
out:
	if (rc)
		publish_result_free(out);
	buf_free(&dir);
	return rc;
}
