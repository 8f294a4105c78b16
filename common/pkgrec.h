/* pkgrec.h — one conda package record (from repodata.json or a lock), the unit that flows
 * from the solver through fetch and install into the layer plan. Plain struct: every stage
 * reads it; only pkgrec_* functions allocate or free it. */
#ifndef IMGBUILD_PKGREC_H
#define IMGBUILD_PKGREC_H

#include <jansson.h>
#include <stddef.h>

typedef struct pkgrec {
	char *name;
	char *version;
	char *build;
	long build_number;
	char *subdir;   /* "linux-64", "noarch", ... */
	char *fn;       /* archive file name, e.g. "zlib-1.2.13-h166bdaf_4.conda" */
	char *url;      /* full download URL (channel/subdir/fn) */
	char *channel;  /* channel base URL without subdir, e.g. "file:///x/chan" */
	char *sha256;   /* lower-case hex or NULL */
	char *md5;      /* lower-case hex or NULL */
	long long size; /* bytes, 0 when unknown */
	char *noarch;   /* NULL, "python" or "generic" */
	char **depends; /* MatchSpec strings, as in repodata */
	size_t n_depends;
	char **constrains;
	size_t n_constrains;
	json_t *raw;  /* the repodata record as read (owned reference); used for conda-meta */
	char *origin; /* NULL for a channel's repodata; from a lock "lock file FILE:LINE" */
} pkgrec_t;

/* Caller frees with pkgrec_free. */
pkgrec_t *pkgrec_new(void);
/* Builds a record from a repodata entry. fn is the key in packages/packages.conda;
 * channel and subdir locate it. Returns NULL and sets err on a malformed entry. */
#include "err.h"
pkgrec_t *pkgrec_from_json(const char *fn, json_t *entry, const char *channel, const char *subdir,
			   err_t *err);
pkgrec_t *pkgrec_dup(const pkgrec_t *r);
void pkgrec_free(pkgrec_t *r);
/* Where r's hashes were read, for messages: "its channel's repodata" or "lock file FILE:LINE"
 * (borrowed or static). */
const char *pkgrec_origin(const pkgrec_t *r);
/* "name-version-build" (the conda "dist" string). Caller frees. */
char *pkgrec_dist(const pkgrec_t *r);
/* Name part of a dependency string ("libgcc-ng >=12" -> "libgcc-ng"). Caller frees. */
char *pkgrec_dep_name(const char *dep);
/* qsort comparator on (name, version, build) for deterministic order of solutions. */
int pkgrec_cmp_name(const void *a, const void *b); /* args are pkgrec_t ** */

/* ---- the grammar of the fields that reach file names (docs/security.md, "Channels") ----
 * name, version and build make the dist "name-version-build" that names the stage directory
 * and conda-meta/<dist>.json; fn names the archive; subdir is a URL and cache path component.
 * Every reader (repodata, shards, locks) checks its records with pkgrec_check before use. */
#define PKGREC_FN_MAX 255 /* one path component (NAME_MAX) */
/* 1 when s is a conda package name: lower-case letters, digits, '.', '_', '-', not starting
 * with '.' or '-' (conda-build's rule; names are compared lower-cased). */
int pkgrec_name_ok(const char *s);
/* 1 for a version as conda-build writes them: letters, digits, '.', '_', '+', '!' (epoch). */
int pkgrec_version_ok(const char *s);
/* 1 for a build string: letters, digits, '_', '.', '+'. */
int pkgrec_build_ok(const char *s);
/* 1 for a subdir conda knows ("noarch", "linux-64", ... see pkgrec.c). */
int pkgrec_subdir_is_known(const char *s);
/* 1 for a known subdir or one of the same shape ("<os>-<arch>": [a-z][a-z0-9]*-[a-z0-9_]+,
 * at most 32 bytes), so a new platform needs no release while ".." or "a/b" never pass. */
int pkgrec_subdir_ok(const char *s);
/* Checks name, version, build, subdir, build_number and fn (which must be exactly
 * "name-version-build.conda" or ".tar.bz2", at most PKGREC_FN_MAX bytes) of r. -1 with err
 * naming the record and the field ("record 'x-1-0.conda': build 'a/b' ..."); the caller
 * prefixes where the record came from (channel URL, lock file:line). */
int pkgrec_check(const pkgrec_t *r, err_t *err);

#endif
