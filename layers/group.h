/* group.h — layer-grouping recipes (recipes/*.yaml) and the plan they produce: which
 * solved packages go into which layer. Groups are taken in recipe order; a package belongs
 * to the first group that claims it; empty groups make no layer. See recipes/default.yaml
 * for the rule kinds (closure_of, match + exclusive deps, rest). */
#ifndef IMGBUILD_GROUP_H
#define IMGBUILD_GROUP_H

#include <stddef.h>

#include "err.h"
#include "pkgrec.h"

typedef struct recipe recipe_t;
typedef struct plan plan_t;

/* Caller frees. Errors name file:line. */
recipe_t *recipe_load(const char *path, err_t *err);
recipe_t *recipe_parse(const char *display_name, const char *data, size_t len, err_t *err);
void recipe_free(recipe_t *r);

/* Assigns pkgs (borrowed; must outlive the plan) to groups. Caller frees the plan. */
plan_t *plan_new(const recipe_t *r, const pkgrec_t *const *pkgs, size_t n_pkgs, err_t *err);
void plan_free(plan_t *p);
size_t plan_group_count(const plan_t *p);                 /* non-empty groups, recipe order */
const char *plan_group_name(const plan_t *p, size_t g);   /* borrowed */
size_t plan_group_size(const plan_t *p, size_t g);
/* j-th package of group g (sorted by name): index into the pkgs array given to plan_new. */
size_t plan_group_pkg(const plan_t *p, size_t g, size_t j);

#endif
