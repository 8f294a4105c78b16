/* fuzz_util.h — what the libFuzzer harnesses share: NUL-terminated copies of the input, a
 * per-process scratch directory (under $TMPDIR, removed at exit), and the properties every
 * error message must have (checked on each failure a harness sees). A violated property
 * aborts, so libFuzzer saves the input as a crash. */
#ifndef IMGBUILD_FUZZ_UTIL_H
#define IMGBUILD_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* Aborts with a message (the input is then saved by libFuzzer). */
#define FUZZ_ASSERT(cond, ...)                                                                     \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, __VA_ARGS__);                                \
	} while (0)
void fuzz_fail(const char *file, int line, const char *fmt, ...) ERR_PRINTF(3, 4);

/* The input as a C string (caller frees); stops at an embedded NUL. */
char *fuzz_cstr(const uint8_t *data, size_t size);
/* Which reader a multi-reader harness runs: first itself when it is one of modes, else the
 * mode its value picks (so every input reaches some reader). */
char fuzz_pick(uint8_t first, const char *modes);
/* The harness's scratch directory (created on first use; borrowed). */
const char *fuzz_scratch(void);
/* <scratch>/<name> written with data; the path goes into out. */
void fuzz_write_file(const char *name, const uint8_t *data, size_t size, buf_t *out);
/* Checks a failure's message: set, without control characters other than newline and tab,
 * and no impossible positions: "WHERE:LINE:" (when where is given and the message starts with
 * it) and "line LINE" must be 1-based. */
void fuzz_check_message(const err_t *err, const char *where);

#endif
