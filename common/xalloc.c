/* xalloc.c — allocation that aborts on exhaustion, and the invariant abort (xalloc.h says why). */
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one place a library writes to stderr: there is no memory left to build an error. */
static void *oom(size_t n)
{
	fprintf(stderr, "imgbuild: out of memory (allocating %zu bytes)\n", n);
	abort();
}

_Noreturn void xoom(void)
{
	fprintf(stderr, "imgbuild: out of memory\n");
	abort();
}

void *xcheck(void *p)
{
	if (!p)
		xoom();
	return p;
}

_Noreturn void xunreachable(const char *what)
{
	fprintf(stderr, "imgbuild: internal error (a bug, please report it): %s\n", what);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom(n);
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	return p ? p : oom(count * size);
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	return q ? q : oom(n);
}

char *xstrdup(const char *s)
{
	return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *p = strndup(s, n);
	return p ? p : oom(n + 1);
}
