/* workpool.h — runs jobs on a few threads (installs, layers, uploads). Jobs are picked in
 * index order; after the first failure no new job starts and the error of the lowest failing
 * index is reported, so the message does not depend on thread timing. */
#ifndef IMGBUILD_WORKPOOL_H
#define IMGBUILD_WORKPOOL_H

#include <stddef.h>

#include "err.h"

typedef int (*workpool_fn)(void *ctx, size_t index, err_t *err);

/* threads <= 0: one per online CPU. Returns 0 when every job returned 0. */
int workpool_run(size_t n_jobs, int threads, workpool_fn fn, void *ctx, err_t *err);
/* Jobs with prerequisites (a build's installs, then each layer once its packages are in):
 * job i starts only after every job in after[i][0..n_after[i]) has returned 0. Among the
 * jobs that may start, the lowest index goes first, so the caller orders them by priority
 * (a layer placed right after its last install starts before the next group's installs).
 * n_after and after may be NULL for a job with none (after[i] NULL too). Same failure rule as
 * workpool_run; a prerequisite index >= n_jobs, or a cycle, is an error before any job runs. */
int workpool_run_after(size_t n_jobs, int threads, const size_t *n_after,
		       const size_t *const *after, workpool_fn fn, void *ctx, err_t *err);
/* Online CPUs (at least 1). */
int workpool_default_threads(void);

#endif
