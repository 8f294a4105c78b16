/* workpool.h — runs independent jobs on a few threads (installs, layers). Jobs are picked in
 * index order; after the first failure no new job starts and the error of the lowest failing
 * index is reported, so the message does not depend on thread timing. */
#ifndef IMGBUILD_WORKPOOL_H
#define IMGBUILD_WORKPOOL_H

#include <stddef.h>

#include "err.h"

typedef int (*workpool_fn)(void *ctx, size_t index, err_t *err);

/* threads <= 0: one per online CPU. Returns 0 when every job returned 0. */
int workpool_run(size_t n_jobs, int threads, workpool_fn fn, void *ctx, err_t *err);
/* Online CPUs (at least 1). */
int workpool_default_threads(void);

#endif
