/* err.h — the error type every module fills instead of printing.
 * A function returns 0 on success or -1 on failure and then sets err with a message that
 * names the file/line, package, URL or digest and, where it helps, what to do. The CLI prints
 * it once; libraries never print or exit (see ../shared/CONVENTIONS.md §4). */
#ifndef IMGBUILD_ERR_H
#define IMGBUILD_ERR_H

#include <stdarg.h>

typedef struct err {
	char *msg; /* owned; NULL when no error */
	int hint;  /* ERR_HINT_*: advice only the CLI can phrase; ERR_HINT_NONE by default */
} err_t;

#define ERR_INIT                                                                                   \
	{                                                                                          \
		NULL, 0                                                                            \
	}

/* What a user can do about an error, in terms only the CLI knows (its flags): a library says
 * what went wrong and where, and marks the error with a hint; the CLI adds the flag names. */
enum {
	ERR_HINT_NONE = 0,
	ERR_HINT_TLS_UNTRUSTED,  /* a server's certificate is not signed by a trusted CA */
	ERR_HINT_REGISTRY_CREDS, /* a registry wants (other) credentials */
	ERR_HINT_REGISTRY_TLS, /* a registry's TLS is not trusted (a test registry may be insecure)
				*/
	ERR_HINT_GLIBC_NEWER_THAN_BASE, /* the requested glibc is newer than the base image's */
	ERR_HINT_VIRTUAL_PACKAGES,      /* a solve failed on a virtual package (__glibc, __cuda) */
	ERR_HINT_STRICT_PRIORITY,       /* a solve failed on strict channel priority */
	ERR_HINT_SHORTER_PREFIX, /* the install prefix is too long for a binary placeholder */
	ERR_HINT_BASE_NEEDED,    /* packages need a C library that no (or this) base provides */
	ERR_HINT_USER_SPEC,      /* an image user that is neither UID, UID:GID nor NAME */
	ERR_HINT_OFFLINE_CACHE,  /* offline, and what is needed is not in the cache */
};

#if defined(__GNUC__)
#define ERR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ERR_PRINTF(a, b)
#endif

/* Sets the message (replacing any earlier one and its hint). Always returns -1 so callers can
 * `return err_set(err, ...)`. err may be NULL. */
int err_set(err_t *err, const char *fmt, ...) ERR_PRINTF(2, 3);
int err_setv(err_t *err, const char *fmt, va_list ap);
/* Prepends context: "ctx: old message". Returns -1. */
int err_prefix(err_t *err, const char *fmt, ...) ERR_PRINTF(2, 3);
/* Marks the error with an ERR_HINT_* (kept by err_prefix). Returns -1. err may be NULL. */
int err_set_hint(err_t *err, int hint);
/* Message or "" (borrowed). */
const char *err_msg(const err_t *err);
void err_clear(err_t *err);

#endif
