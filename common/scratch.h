/* scratch.h — temporary directories and files that a killed build can leave behind.
 * Their names carry the creating process's pid ("<prefix><pid>-XXXXXX"), so a later run can
 * tell a dead build's leftovers from a live concurrent build's work and remove only those.
 * There is no window between creation and ownership: the name itself is the record. */
#ifndef IMGBUILD_SCRATCH_H
#define IMGBUILD_SCRATCH_H

#include "buf.h"
#include "err.h"

/* Creates "<parent>/<prefix><pid>-XXXXXX" (parent made if missing); path in out. */
int scratch_mkdtemp(const char *parent, const char *prefix, buf_t *out, err_t *err);
/* Creates and opens "<parent>/<prefix><pid>-XXXXXX" as a file; returns the fd or -1. */
int scratch_mkstemp(const char *parent, const char *prefix, buf_t *out, err_t *err);
/* Removes every "<parent>/<prefix><pid>-*" (file or tree) whose pid no longer runs.
 * Best effort: errors are ignored (the next run tries again). */
void scratch_sweep(const char *parent, const char *prefix);

#endif
