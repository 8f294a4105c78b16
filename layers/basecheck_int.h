/* basecheck_int.h — what one package's programs ask for, shared by the scan (basecheck.c) and
 * the per-package findings cache (basecheck_cache.c). Private to layers/. */
#ifndef IMGBUILD_BASECHECK_INT_H
#define IMGBUILD_BASECHECK_INT_H

#include <stddef.h>

#include "basecheck.h"

/* Distinct (machine, interpreter) pairs of one package's programs, each with its first program
 * in path order and how many ask for it. A package asking for more is named by these. */
#define BASECHECK_USES_MAX 16

typedef struct basecheck_use {
	unsigned machine; /* e_machine */
	char *interp;     /* outside the prefix */
	char *first_file; /* prefix-relative */
	size_t n_files;
} basecheck_use_t;

typedef struct basecheck_uses {
	basecheck_use_t v[BASECHECK_USES_MAX];
	size_t n;
} basecheck_uses_t;

void basecheck_uses_clear(basecheck_uses_t *u);
/* Counts one program (copies the strings). */
void basecheck_uses_note(basecheck_uses_t *u, unsigned machine, const char *interp,
			 const char *file);
/* Adds a need per use of this build's machine (all of them when its arch is unknown). */
void basecheck_uses_add(basecheck_t *bc, const char *package, const basecheck_uses_t *u);
/* Cache entry of pkg: <dir>/<sha256>.json (or md5-<md5>.json); 0, or -1 when the package has
 * no usable hash (then nothing is cached for it). */
int basecheck_cache_path(const char *dir, const pkgrec_t *pkg, buf_t *out);
/* Writes u for the prefix at path (atomically). Best effort: a failure only costs a rescan. */
void basecheck_cache_store(const char *path, const char *prefix, const basecheck_uses_t *u);
/* Reads what basecheck_cache_store wrote for the same prefix: 1, or 0 when absent, for
 * another prefix or format, or unreadable (u left empty). */
int basecheck_cache_load(const char *path, const char *prefix, basecheck_uses_t *u);

#endif
