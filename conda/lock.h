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
	const char *platform;        /* "linux-64" */
	const char *const *channels; /* as written in the environment ("conda-forge", URLs) */
	size_t n_channels;
	const char *const *sources; /* environment files the lock was made from */
	size_t n_sources;
	const char *content_hash; /* hex digest of the inputs (conda-lock's content_hash) */
	const char *env_name;     /* the environment's name, or NULL: written as
				     metadata.custom_metadata[LOCK_META_ENV_NAME] */
} lock_meta_t;

/* conda-lock's LockMeta.custom_metadata key under which imgbuild records the environment's
 * name, so a build from the lock alone gets the same prefix as one from the file. */
#define LOCK_META_ENV_NAME "imgbuild.name"

/* One platform's records in a lock (lock_write_parts). */
typedef struct lock_part {
	const char *platform;        /* "linux-64"; NULL = linux-64 */
	const char *content_hash;    /* that platform's content_hash, or NULL */
	const pkgrec_t *const *recs; /* borrowed */
	size_t n;
} lock_part_t;

typedef struct lockfile lockfile_t;

/* pip packages are records with subdir LOCK_PIP_SUBDIR (the same marker as layers/group.h's
 * GROUP_PIP_SUBDIR), build "pypi_0", fn the wheel's file name, url and sha256 the wheel's,
 * depends the projects it requires. In conda-lock YAML they are `manager: pip` entries; an
 * @EXPLICIT lock cannot express them (writing one with pip packages is an error). */
#define LOCK_PIP_SUBDIR "pypi"

/* Reads a lock for `platform` (e.g. "linux-64"; conda-lock lists noarch packages under the
 * platform they were solved for). Format by content: a line "@EXPLICIT" makes it explicit,
 * else YAML with a `package:` list. pip entries (manager: pip, a wheel URL and its sha256)
 * are returned as pip records (LOCK_PIP_SUBDIR) and counted; others are counted and named by
 * lock_pip_problem. Each conda record gets
 * url, fn, channel (URL minus /subdir/fn), subdir, name, version, build (from fn), md5/sha256
 * and depends exactly as written. Errors name path:line and what is wrong.
 * Caller frees with lock_free. */
lockfile_t *lock_read(const char *path, const char *platform, err_t *err);
void lock_free(lockfile_t *l); /* NULL is a no-op */
size_t lock_count(const lockfile_t *l);
const pkgrec_t *lock_get(const lockfile_t *l, size_t i); /* borrowed, in file order */
size_t lock_pip_count(const lockfile_t *l); /* manager: pip entries (returned or not) */
/* "path:line: pip package X: why" for the first pip entry imgbuild cannot install (an sdist
 * or VCS URL, no sha256), which is then not returned; NULL when every pip entry was. */
const char *lock_pip_problem(const lockfile_t *l);
/* metadata.custom_metadata[LOCK_META_ENV_NAME] as written, or NULL (borrowed). */
const char *lock_env_name(const lockfile_t *l);
const char *lock_pip_name(const lockfile_t *l, size_t i); /* borrowed */
/* Moves the records out (caller frees each and the array); l keeps none afterwards. */
pkgrec_t **lock_take_records(lockfile_t *l, size_t *n_out);

/* Writes the records as a lock in `format` to path (atomically: temp file + rename).
 * Records are written sorted by name, so equal sets give equal bytes. */
int lock_write(const char *path, lock_format_t format, const lock_meta_t *meta,
	       const pkgrec_t *const *recs, size_t n, err_t *err);
/* Several platforms in one lock: conda-lock YAML lists each platform's records (each sorted
 * by name) with its own content_hash; @EXPLICIT holds one platform, so more is an error. The
 * platform and content_hash of meta are not used. */
int lock_write_parts(const char *path, lock_format_t format, const lock_meta_t *meta,
		     const lock_part_t *parts, size_t n_parts, err_t *err);
int lock_render_parts(lock_format_t format, const lock_meta_t *meta, const lock_part_t *parts,
		      size_t n_parts, buf_t *out, err_t *err);
/* The same text appended to out (no file). */
int lock_render(lock_format_t format, const lock_meta_t *meta, const pkgrec_t *const *recs,
		size_t n, buf_t *out, err_t *err);

/* Splits a package URL ".../<channel>/<subdir>/<name>-<version>-<build>.(conda|tar.bz2)" into
 * a record's url, fn, channel, subdir, name, version and build (name may be given to check
 * the file name against; NULL = derive it). Caller frees. NULL + err on a URL that is not one. */
pkgrec_t *lock_record_from_url(const char *url, const char *name, err_t *err);

#endif
