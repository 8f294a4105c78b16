/* push_par.h — independent registry operations of one push run concurrently (issue 14, part
 * 3): blob HEADs, mounts and uploads go out on up to IMGBUILD_PUSH_THREADS (default 4) registry
 * clients of their own, since a reg_t (one libcurl handle, one token) serves one thread. The
 * caller keeps the order: oci_push_par_run returns only when every job has finished, so what
 * comes after (a manifest, an index, tags) never overtakes a blob. Private to oci/push*.c. */
#ifndef IMGBUILD_PUSH_PAR_H
#define IMGBUILD_PUSH_PAR_H

#include <stddef.h>

#include "err.h"
#include "reg.h"

#define OCI_PUSH_DEFAULT_THREADS 4

/* One job: index i of the caller's list, on reg (the caller's client, or one made for this
 * push with the same options and scope "pull,push" on repo). */
typedef int (*oci_push_job_fn)(void *ctx, reg_t *reg, size_t i, err_t *err);

/* Runs n jobs, at most oci_push_threads() at once. After a failure no new job starts; the
 * error is that of the lowest failing index (workpool.h), so the message never depends on
 * timing. The clients' counters are added to reg's (reg_get_stats). */
int oci_push_par_run(reg_t *reg, const char *repo, size_t n, oci_push_job_fn fn, void *ctx,
		     err_t *err);
/* $IMGBUILD_PUSH_THREADS (1..64) or OCI_PUSH_DEFAULT_THREADS; 1 = one after another. */
int oci_push_threads(void);

#endif
