/* spread.h — builds spread over machines through the registry, with no coordinator of our own
 * (issue 14 part 4; docs/distributed-builds.md): `build --layers G1,G2 --cache-repo REPO`
 * builds only the named layer groups and stores them in the cache repository, writing no
 * image; a final `build --cache-repo REPO -t ...` assembles the image from those entries
 * (registry-cache hits: nothing built, every layer mounted). This file checks the flags, turns
 * the group list into a per-layer selection for the pipeline and runs the layers-only builds.
 * May call: the context, the pipeline, layers/ (recipe, plan). Never prints. */
#ifndef IMGBUILD_SPREAD_H
#define IMGBUILD_SPREAD_H

#include "context.h"
#include "err.h"
#include "group.h"
#include "log.h"
#include "publish.h"

/* Before anything is contacted: --layers needs --cache-repo and writes no image, so -t,
 * --output, --metadata-file and --sign-key are refused. 0 (also without --layers) or -1. */
int spread_check_args(const build_opts_t *o, const publish_opts_t *po, err_t *err);

/* is_selected[g] (plan_group_count entries) = 1 for each group of plan that list ("a,b")
 * names: a group of recipe r (all its parts <name>-<k>) or one part by its name. An unknown
 * name is an error naming recipe_display and the recipe's groups; a recipe group with no
 * package in this environment is logged (nothing to build). */
int spread_select_groups(const char *list, const recipe_t *r, const char *recipe_display,
			 const plan_t *plan, unsigned char *is_selected, log_fn log, void *ud,
			 err_t *err);
/* The same for the context's --layers list and recipe. */
int spread_select(ctx_t *ctx, const plan_t *plan, unsigned char *is_selected, err_t *err);

/* The layers-only build of every platform of ctx (--layers set): out->builds hold the selected
 * layers (manifest_digest NULL), out->digest stays NULL. A layer that could not be stored in
 * the cache repository fails the run: storing them is all it is for. */
int spread_run(ctx_t *ctx, publish_result_t *out, err_t *err);

#endif
