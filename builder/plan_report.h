/* plan_report.h — `imgbuild plan`: the layer plan of one platform without building it: per
 * layer, its packages, an estimated size, its cache key (the build's: same context, same
 * package set, same key inputs) and whether the local layer cache or the registry cache
 * holds it. Nothing is downloaded but repodata (and, with --lock, the archives a lock needs
 * to be keyed: context.h).
 * Owns: the report rows. May call: the context, lcache_stage/rcache_stage, layers/ (plan). */
#ifndef IMGBUILD_PLAN_REPORT_H
#define IMGBUILD_PLAN_REPORT_H

#include <stddef.h>

#include "err.h"
#include "context.h"

/* PLAN_IN_REGISTRY: not cached locally, but the --cache-repo registry cache holds the layer
 * (a build downloads it instead of building it; cached_size is its size there). */
typedef enum { PLAN_TO_BUILD = 0, PLAN_CACHED_LOCALLY, PLAN_IN_REGISTRY } plan_status_t;

typedef struct plan_row {
	char *group;
	char **packages; /* dists, sorted by name */
	size_t n_packages;
	long long est_bytes; /* sum of the packages' repodata `size` (compressed archives) */
	char key[65];        /* "" when the group cannot be keyed */
	plan_status_t status;
	long long cached_size; /* compressed layer size when cached, else 0 */
} plan_row_t;

typedef struct plan_report {
	char *prefix;
	char *python_version; /* NULL when the environment has no python */
	size_t n_packages;
	plan_row_t *rows;
	size_t n_rows;
} plan_report_t;

/* Gets the package set of platform i (ctx_packages), makes the layer plan and looks every
 * group up in the local layer cache, then (with --cache-repo) the rest in the registry cache. */
int plan_report_make(ctx_t *ctx, size_t i, plan_report_t *out, err_t *err);
void plan_report_free(plan_report_t *r);

#endif
