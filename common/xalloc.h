/* xalloc.h — the one out-of-memory policy: abort.
 * imgbuild's allocations are small and bounded (every untrusted size is capped before it is
 * allocated: docs/security.md), so running out of memory means the machine is out of memory,
 * not that an input was hostile; no caller could do better than stop. These wrappers abort
 * with a message instead of returning NULL, so no call site checks (or forgets to check).
 * Sizes that come from input are capped by the caller first; these never decide a limit. */
#ifndef IMGBUILD_XALLOC_H
#define IMGBUILD_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* Copies of s (caller frees); xstrdup(NULL) and xstrndup(NULL, n) are NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
