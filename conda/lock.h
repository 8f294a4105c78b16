/* lock.h — lock files: the exact package set of a solved environment, written and read back
 * so a build can skip solving. Two formats: conda-lock v1 YAML (`version: 1`, metadata,
 * `package:` list with url, hash{md5,sha256}, dependencies) and conda's `@EXPLICIT` text
 * (one URL per line, `#<md5>` or `#<sha256>` fragment). Reading takes either (by content). */
#ifndef IMGBUILD_LOCK_H
#define IMGBUILD_LOCK_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "pkgrec.h"

typedef enum lock_format {
	LOCK_FORMAT_CONDA_LOCK, /* conda-lock v1 YAML */
	LOCK_FORMAT_EXPLICIT,   /* @EXPLICIT with #sha256 (or #md5 when a record lacks sha256) */
} lock_format_t;

/* What the lock says about where it came from (all borrowed; any may be NULL/0). */
typedef struct lock_meta {
	const char *platform;          /* "linux-64" */
	const char *const *channels;   /* as written in the environment ("conda-forge", URLs) */
	size_t n_channels;
	const char *const *sources;    /* environment files the lock was made from */
	size_t n_sources;
	const char *content_hash;      /* hex digest of the inputs (conda-lock's content_hash) */
} lock_meta_t;

typedef struct lockfile lockfile_t;

/* Reads a lock for `platform` (e.g. "linux-64"; conda-lock lists noarch packages under the
 * platform they were solved for). Format by content: a line "@EXPLICIT" makes it explicit,
 * else YAML with a `package:` list. pip entries are counted, not returned. Each record gets
 * url, fn, channel (URL minus /subdir/fn), subdir, name, version, build (from fn), md5/sha256
 * and depends exactly as written. Errors name path:line and what is wrong.
 * Caller frees with lock_free. */
lockfile_t *lock_read(const char *path, const char *platform, err_t *err);
void lock_free(lockfile_t *l); /* NULL is a no-op */
size_t lock_count(const lockfile_t *l);
const pkgrec_t *lock_get(const lockfile_t *l, size_t i); /* borrowed, in file order */
size_t lock_pip_count(const lockfile_t *l);             /* manager: pip entries skipped */
const char *lock_pip_name(const lockfile_t *l, size_t i); /* borrowed */
/* Moves the records out (caller frees each and the array); l keeps none afterwards. */
pkgrec_t **lock_take_records(lockfile_t *l, size_t *n_out);

/* lock_read for a build: pip entries are an error unless ignore_pip (their packages would
 * be silently missing), and the records become a solution (caller frees). */
struct solution;
struct solution *lock_read_solution(const char *path, const char *platform, int ignore_pip,
				    err_t *err);

/* Writes the records as a lock in `format` to path (atomically: temp file + rename).
 * Records are written sorted by name, so equal sets give equal bytes. */
int lock_write(const char *path, lock_format_t format, const lock_meta_t *meta,
	       const pkgrec_t *const *recs, size_t n, err_t *err);
/* The same text appended to out (no file). */
int lock_render(lock_format_t format, const lock_meta_t *meta, const pkgrec_t *const *recs,
		size_t n, buf_t *out, err_t *err);

/* Splits a package URL ".../<channel>/<subdir>/<name>-<version>-<build>.(conda|tar.bz2)" into
 * a record's url, fn, channel, subdir, name, version and build (name may be given to check
 * the file name against; NULL = derive it). Caller frees. NULL + err on a URL that is not one. */
pkgrec_t *lock_record_from_url(const char *url, const char *name, err_t *err);

#endif
