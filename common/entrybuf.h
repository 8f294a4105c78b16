/* entrybuf.h — an entry stream (entrysink.h) recorded in memory, up to a byte cap, and
 * replayed later into another sink: so that a package can be decompressed and installed on one
 * thread ahead of the layer that writes it on another (builder/prefetch.c), in bounded memory.
 * Not thread-safe: one thread records, then (after a handover the caller synchronises) one
 * replays. */
#ifndef IMGBUILD_ENTRYBUF_H
#define IMGBUILD_ENTRYBUF_H

#include <stddef.h>

#include "entrysink.h"
#include "err.h"

typedef struct entrybuf entrybuf_t;

/* Holds at most cap bytes (file data plus names and targets). */
entrybuf_t *entrybuf_new(size_t cap);
void entrybuf_free(entrybuf_t *b); /* NULL is a no-op */
/* The recording sink. Past the cap it fails (err says so) and entrybuf_is_full turns 1: the
 * recording is then incomplete and must not be replayed. */
entry_sink_t entrybuf_sink(entrybuf_t *b);
int entrybuf_is_full(const entrybuf_t *b);
/* Bytes held. */
size_t entrybuf_bytes(const entrybuf_t *b);
/* Gives every recorded entry and its data to `to`, in order. 0, or the first -1 of `to`. */
int entrybuf_replay(const entrybuf_t *b, const entry_sink_t *to, err_t *err);

#endif
