/* buf.h — the one growable string/byte buffer (as git's strbuf). Always NUL-terminated, so
 * `b.data` can be passed where a C string is expected; used for every built path, URL and
 * message instead of fixed-size arrays. Allocation failure aborts (there is no sane recovery). */
#ifndef IMGBUILD_BUF_H
#define IMGBUILD_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

typedef struct buf {
	char *data; /* "" when empty, never NULL after BUF_INIT use via buf_cstr */
	size_t len;
	size_t cap;
} buf_t;

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void buf_init(buf_t *b);
void buf_free(buf_t *b);
void buf_reset(buf_t *b);              /* len = 0, keeps memory */
void buf_grow(buf_t *b, size_t extra); /* ensure room for extra more bytes + NUL */
void buf_add(buf_t *b, const void *data, size_t len);
void buf_addstr(buf_t *b, const char *s);
void buf_addch(buf_t *b, char c);
void buf_addf(buf_t *b, const char *fmt, ...) ERR_PRINTF(2, 3);
void buf_vaddf(buf_t *b, const char *fmt, va_list ap);
void buf_setstr(buf_t *b, const char *s); /* reset + addstr */
void buf_truncate(buf_t *b, size_t len);
/* Joins a and b with exactly one '/' between them (path or URL). */
void buf_addpath(buf_t *b, const char *component);
const char *buf_cstr(const buf_t *b); /* never NULL (borrowed) */
/* Returns the heap string (caller frees) and leaves b empty. */
char *buf_detach(buf_t *b);

/* Reads a whole file (up to max_bytes; larger is an error naming the file). 0 or -1. */
int buf_read_file(buf_t *b, const char *path, size_t max_bytes, err_t *err);

#endif
