/* repoindex_scan.h — the sparse view of a repodata.json (issue 14, part 2). One pass over the
 * document's bytes, no DOM: it refuses what repodata_parse + repodata_check refuse (JSON
 * syntax, duplicate keys at any depth, the shape, every record's field types and pkgrec_check
 * grammar, the caps) with the same words, and indexes the records by package name together
 * with each name's dependency names (depends, constrains, requires). A solve then selects the
 * names its specs reach and hands libsolv a subset document holding only their records, byte
 * for byte as the channel wrote them, in the channel's order. */
#ifndef IMGBUILD_REPOINDEX_SCAN_H
#define IMGBUILD_REPOINDEX_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

typedef struct nameidx nameidx_t;

/* Maps path and scans it; where names the document in messages (its URL). Caller frees;
 * NULL + err naming where (and the line for a syntax error or a duplicate key). */
nameidx_t *nameidx_scan_file(const char *path, const char *where, err_t *err);
/* The same for a document in memory (copied). */
nameidx_t *nameidx_scan_mem(const char *data, size_t len, const char *where, err_t *err);
void nameidx_free(nameidx_t *ni);

/* Strings the index knows (record names and dependency names), by id 0..count-1. */
size_t nameidx_count(const nameidx_t *ni);
/* String id (borrowed, NUL-terminated, its length in *len when len is not NULL). */
const char *nameidx_str(const nameidx_t *ni, size_t id, size_t *len);
/* Id of name (len bytes), or -1 when the document neither has nor depends on it. */
long nameidx_find(const nameidx_t *ni, const char *name, size_t len);
/* Records of name id, a .tar.bz2 with a .conda twin counted once (as repodata_check counts). */
size_t nameidx_records_of(const nameidx_t *ni, size_t id);
/* Ids of the names the records of id depend on or constrain (borrowed; may repeat). */
const uint32_t *nameidx_deps(const nameidx_t *ni, size_t id, size_t *n);

/* Marks name id for the subset; nameidx_selected counts the records of marked names. */
void nameidx_select(nameidx_t *ni, size_t id);
size_t nameidx_selected(const nameidx_t *ni);
/* The document with only the marked names' records: {"info": <as written>, then each map
 * the document has, in its order, with those records as written, in their order}. */
void nameidx_subset(const nameidx_t *ni, buf_t *out);

/* <cache>/repodata/sparse/<sha>.checked records that a document of that sha256 passed the
 * scan (the cache directory is trusted: cachedir.h), so a solve need not scan it again to
 * know it is sound. Marking is best effort. */
void nameidx_mark_checked(const char *cache_dir, const char *sha);
int nameidx_is_checked(const char *cache_dir, const char *sha);

#endif
