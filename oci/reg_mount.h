/* reg_mount.h — a mount-only blob operation of the registry client (reg.h), for a push whose
 * blob is not on this machine: the registry either links the blob from another repository of
 * the same registry (201) or, by answering 202, refuses; the upload session a 202 opens is
 * cancelled, never fed. Part of the registry client (it uses reg_internal.h). */
#ifndef IMGBUILD_REG_MOUNT_H
#define IMGBUILD_REG_MOUNT_H

#include "err.h"
#include "reg.h"

/* HEAD repo's digest (present: *placed = 1, counted as skipped), else POST
 * ?mount=digest&from=from_repo: 201 gives *placed = 1 (counted as mounted); 202 gives
 * *placed = 0 and 0 returned (the session is DELETEd, best effort). Other answers: -1. */
int reg_blob_mount(reg_t *r, const char *repo, const char *digest, const char *from_repo,
		   int *placed, err_t *err);
/* Passes message to the client's log callback (reg_opts_t.log), if any. */
void reg_log(reg_t *r, const char *message);

#endif
