/* entrysink.h — a stream of filesystem entries (issue 14 #1: the streaming install). pkg/
 * produces one (install_stream: a package's files as they come out of its archive, already
 * relocated and rewritten), layers/ consumes one (lstream: each entry straight into the layer
 * tar), builder/ connects the two; neither library knows the other. */
#ifndef IMGBUILD_ENTRYSINK_H
#define IMGBUILD_ENTRYSINK_H

#include <stddef.h>

#include "err.h"

typedef enum {
	ENTRY_DIR,      /* a directory */
	ENTRY_FILE,     /* a regular file: exactly `size` bytes follow through data() */
	ENTRY_SYMLINK,  /* target: the symlink's target, verbatim */
	ENTRY_HARDLINK, /* target: the path of an ENTRY_FILE given earlier by the same package */
} entry_kind_t;

typedef struct entry_sink {
	/* rel: relative to the prefix, normalised (no leading "/", no "." or ".." component, no
	 * trailing "/"); mode: permission bits (0755 or 0644 for files). 0, or -1 and err. */
	int (*entry)(void *ud, entry_kind_t kind, const char *rel, unsigned mode, long long size,
		     const char *target, err_t *err);
	/* The next bytes of the current ENTRY_FILE. 0, or -1 and err. */
	int (*data)(void *ud, const void *p, size_t n, err_t *err);
	void *ud;
} entry_sink_t;

#endif
