/* group.h — layer-grouping recipes (recipes/NAME.yaml) and the plan they produce: which
 * solved packages go into which layer. Groups are taken in recipe order; a package belongs
 * to the first group that claims it; empty groups make no layer. See recipes/default.yaml
 * for the rule kinds (closure_of, match + exclusive deps, private_deps_of, rest).
 *
 * Recipe file: a mapping {version: 1, groups: [...]} (or just the list of groups). Each group
 * is a mapping with `name` (unique), optional `description` and exactly one rule:
 *   closure_of: [names]  the named packages and, transitively, every package they depend on.
 *   match: [globs]       packages whose name fnmatch()es a glob (no flags).
 *     exclusive_deps: true  also claims the dependencies only the matched set needs.
 *   private_deps_of: [globs]  the dependencies only the matched packages need, without the
 *                        matched packages themselves (they are left for a later group).
 *   rest: true           every package not yet claimed.
 * and optionally `kind: conda` or `kind: pip`: the rule sees only conda packages or only pip
 * packages (wheels, group_is_pip); without it a rule sees both kinds, so `match: [torch]`
 * takes a torch wheel as `match: [pytorch]` takes the conda package.
 * Unknown keys, malformed globs, a group without (or with two) rules and duplicate names are
 * errors naming file:line.
 *
 * Semantics, for group G evaluated after groups 1..G-1 (U = packages not yet claimed; a
 * dependency edge p -> q exists when a depends string of p names q, via pkgrec_dep_name):
 *   closure_of R: claim the closure of {p in U : name(p) in R} following edges only through
 *     U (an already claimed package sits in a lower layer and is not walked through). Names
 *     in R absent from the solution are ignored.
 *   match M: claim {p in U : name(p) matches M}.
 *   match M + exclusive_deps: C := closure of the matched set through U. Then, to a fixpoint,
 *     drop from C every non-matched q such that some package p in U \ C depends on q. What
 *     remains is claimed. So a dependency that any not-yet-claimed outsider (a package that
 *     will land in a later, higher layer) also needs is left for that later group; matched
 *     packages themselves are always claimed.
 *     Example: libcublas (matched by cuda-runtime) and pytorch both need libfoo; so does
 *     opencv. Evaluating cuda-runtime, pytorch and opencv are outsiders -> libfoo stays out.
 *     Evaluating frameworks, opencv is still an outsider -> libfoo stays out; rest takes it.
 *   private_deps_of M: C computed as for match M + exclusive_deps, then the matched packages
 *     are taken out of it: the group holds what only M needs (mkl, magma, sleef for pytorch)
 *     and a later `match` group takes M itself. Such a group sits below its frameworks, so
 *     a framework bump (pytorch 2.3.0 -> 2.3.1 with the same mkl) rebuilds only the layer
 *     of the packages that changed.
 *   rest: claim all of U.
 * A package left in U after the last group is an error (add a `rest: true` group).
 *
 * Size budget: `max_layer_bytes` (top level of the recipe, or per group to override; a
 * positive integer, optionally with B/KB/MB/GB/TB or KiB/MiB/GiB/TiB; default 2 GiB) caps a
 * layer's estimated size, the sum of its packages' repodata `size` (the compressed archives:
 * known before anything is downloaded, and close to a gzip layer of the same files). A group
 * above it is cut, walking its packages in name order, into parts <name>-1, <name>-2, ...:
 * a package that would take the current part over the budget starts the next one (one
 * package bigger than the budget is a part of its own). A plan of more than PLAN_MAX_LAYERS
 * layers is an error. */
#ifndef IMGBUILD_GROUP_H
#define IMGBUILD_GROUP_H

#include <stddef.h>

#include "err.h"
#include "pkgrec.h"

#define GROUP_DEFAULT_MAX_LAYER_BYTES (2LL << 30) /* 2 GiB */
/* Layers an image may have, base included: overlayfs stacks at most 128 lower dirs and
 * Docker's own limit is 127. */
#define PLAN_MAX_LAYERS 127

/* A pip package (a wheel) in a package set is a record with subdir GROUP_PIP_SUBDIR and
 * build GROUP_PIP_BUILD, as `conda list` shows pip packages; "pypi" can never be a conda
 * subdir ("<os>-<arch>", pkgrec_subdir_ok). Its name is the PEP 503 normalised project name,
 * fn the wheel's file name, sha256 the wheel's, depends the names of the projects (or conda
 * packages) it requires. */
#define GROUP_PIP_SUBDIR "pypi"
#define GROUP_PIP_BUILD "pypi_0"
/* 1 when r is a pip package. */
int group_is_pip(const pkgrec_t *r);

typedef struct recipe recipe_t;
typedef struct plan plan_t;

/* Caller frees. Errors name file:line. */
recipe_t *recipe_load(const char *path, err_t *err);
recipe_t *recipe_parse(const char *display_name, const char *data, size_t len, err_t *err);
void recipe_free(recipe_t *r);

/* Assigns pkgs (borrowed; must outlive the plan) to groups. Caller frees the plan. */
plan_t *plan_new(const recipe_t *r, const pkgrec_t *const *pkgs, size_t n_pkgs, err_t *err);
void plan_free(plan_t *p);
size_t plan_group_count(const plan_t *p);               /* non-empty groups (parts), recipe order */
const char *plan_group_name(const plan_t *p, size_t g); /* borrowed; "<group>-<k>" for parts */
long long plan_group_est_bytes(const plan_t *p, size_t g); /* sum of repodata `size` */
/* -1 and an error saying what to change when base + plan layers exceed PLAN_MAX_LAYERS. */
int plan_check_layer_limit(const plan_t *p, size_t n_base_layers, err_t *err);
size_t plan_group_size(const plan_t *p, size_t g);
/* j-th package of group g (sorted by name): index into the pkgs array given to plan_new. */
size_t plan_group_pkg(const plan_t *p, size_t g, size_t j);
/* Description from the recipe or "" (borrowed). */
const char *plan_group_description(const plan_t *p, size_t g);

/* Number of groups in the recipe and their names (borrowed), recipe order. */
size_t recipe_group_count(const recipe_t *r);
const char *recipe_group_name(const recipe_t *r, size_t i);

#endif
