/* prefetch.h — a layer's small packages installed ahead of the layer, on a helper thread, into
 * memory (common/entrybuf.h), so that their decompression overlaps the layer's tar and
 * compression (issue 14 #1: one layer job is otherwise one thread of decompression in front of
 * the compressor). The layer takes the packages in its own order, and a recorded package
 * replays exactly the entries and bytes a direct install would give, so the layer's bytes never
 * depend on what was prefetched. Memory: at most `budget` bytes of finished recordings waiting
 * plus one recording of at most `cap` bytes in progress. */
#ifndef IMGBUILD_PREFETCH_H
#define IMGBUILD_PREFETCH_H

#include <stddef.h>

#include "entrysink.h"
#include "err.h"

typedef struct prefetch prefetch_t;

/* Installs the layer's j-th package into sink (called on the helper thread). 0 or -1. */
typedef int (*prefetch_install_fn)(void *ud, size_t j, const entry_sink_t *sink, err_t *err);

/* Starts the helper over packages 0..n-1, prefetching those with eligible[j] (copied). NULL
 * only when no thread can be started: the caller then installs every package itself. */
prefetch_t *prefetch_start(size_t n, const unsigned char *eligible, prefetch_install_fn fn,
			   void *ud, size_t budget, size_t cap);
/* Package j, in increasing j: 1 when it was prefetched and is now replayed into `to`; 0 when it
 * was not (not eligible, or larger than cap): the caller installs it itself; -1 with err (the
 * package's own install error, or the replay's). */
int prefetch_take(prefetch_t *p, size_t j, const entry_sink_t *to, err_t *err);
/* Stops the helper (it finishes the package it is on), joins it, frees p. NULL is a no-op. */
void prefetch_stop(prefetch_t *p);

#endif
