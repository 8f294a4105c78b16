/* err.h — the error type every module fills instead of printing.
 * A function returns 0 on success or -1 on failure and then sets err with a message that
 * names the file/line, package, URL or digest and, where it helps, what to do. The CLI prints
 * it once; libraries never print or exit (see ../shared/CONVENTIONS.md §4). */
#ifndef IMGBUILD_ERR_H
#define IMGBUILD_ERR_H

#include <stdarg.h>

typedef struct err {
	char *msg; /* owned; NULL when no error */
} err_t;

#define ERR_INIT {NULL}

#if defined(__GNUC__)
#define ERR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ERR_PRINTF(a, b)
#endif

/* Sets the message (replacing any earlier one). Always returns -1 so callers can
 * `return err_set(err, ...)`. err may be NULL. */
int err_set(err_t *err, const char *fmt, ...) ERR_PRINTF(2, 3);
int err_setv(err_t *err, const char *fmt, va_list ap);
/* Prepends context: "ctx: old message". Returns -1. */
int err_prefix(err_t *err, const char *fmt, ...) ERR_PRINTF(2, 3);
/* Message or "" (borrowed). */
const char *err_msg(const err_t *err);
void err_clear(err_t *err);

#endif
