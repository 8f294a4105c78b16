/* repoindex.h — a repodata.json's records by file name, for reading back the few records a
 * solve chose without parsing the whole repodata again. Written from a parsed repodata (once,
 * by whoever parses it first: channel.c when it validates a download, else solve.c) and named
 * by the repodata's sha256: <cache>/repodata/records/<sha256>-v3.idx. An index is written only
 * for a document that passed repodata_check (repodata.h), so readers of an index trust it as
 * checked; v3 marks indexes written since that check exists. */
#ifndef IMGBUILD_REPOINDEX_H
#define IMGBUILD_REPOINDEX_H

#include <jansson.h>

#include "buf.h"
#include "digest.h"
#include "err.h"

typedef struct repoindex repoindex_t;

/* <cache_dir>/repodata/records/<sha>-v3.idx into out. */
void repoindex_path(const char *cache_dir, const char *sha, buf_t *out);
/* Checks root (repodata_check, naming path) and writes the index of its "packages" and
 * "packages.conda" (a record in both keeps the .conda one, as libsolv does) to path,
 * atomically. A document that fails the check gets no index. */
int repoindex_write(const char *path, json_t *root, err_t *err);
/* The same for a root that repodata_parse* just returned (already checked). */
int repoindex_write_checked(const char *path, json_t *root, err_t *err);
/* Maps an index; NULL + err when missing or damaged. Caller frees. */
repoindex_t *repoindex_open(const char *path, err_t *err);
void repoindex_free(repoindex_t *ri);
/* The record of fn (caller decrefs); NULL + err when absent (names the index file). */
json_t *repoindex_get(const repoindex_t *ri, const char *fn, err_t *err);

#endif
