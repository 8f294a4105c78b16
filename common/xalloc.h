/* xalloc.h — the one out-of-memory policy: abort; and the one abort for broken invariants.
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

/* The same policy for allocations made inside the libraries imgbuild uses (jansson's
 * json_dumps/json_pack, libcurl's curl_url, libarchive's archive_*_new, zstd's and OpenSSL's
 * constructors), which report exhaustion only as NULL: returns p, or aborts as out of memory
 * when p is NULL. Use: `CURLU *u = xcheck(curl_url());`. */
void *xcheck(void *p);
/* Out of memory reported by such a library as an error code rather than NULL: aborts. */
_Noreturn void xoom(void);
/* The one way to stop on a broken "cannot happen" invariant (a bug in imgbuild, never bad
 * input, which gets an err_t): names it on stderr and aborts. */
_Noreturn void xunreachable(const char *what);

#endif
