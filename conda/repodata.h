/* repodata.h — what a repodata.json must look like before libsolv, the record index or the
 * installer reads it (docs/security.md, "Channels"). One jansson parse that refuses duplicate
 * keys (libsolv keeps a key's first value and jansson its last, so the solver and the
 * installer could read different records), then a check of the document's shape (libsolv's
 * reader crashes on some shapes jansson accepts), its size caps and every record's file-name
 * fields (pkgrec_check). Used by channel.c for downloads, by solve.c for a repodata without a
 * record index, and by repoindex_write, so an index exists only for a checked document. */
#ifndef IMGBUILD_REPODATA_H
#define IMGBUILD_REPODATA_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Caps on one repodata document (docs/security.md, "Caps"). The largest real channel,
 * conda-forge linux-64, holds about 750k records; libsolv's same-name rules grow with the
 * square of the records of one name (measured: 2,000 -> 1.9 s / 112 MB, 5,000 -> 6.9 s /
 * 610 MB, 8,000 -> ~17 s / 1.5 GB, 10,000 -> 25 s / 2.4 GB), and conda-forge's biggest names
 * have a few thousand builds. A .tar.bz2 record with a .conda twin counts once, as libsolv
 * keeps only the .conda one. solve.c applies the per-name cap to a whole solve as well. */
#define REPODATA_MAX_RECORDS 1500000
#define REPODATA_MAX_RECORDS_PER_NAME 8000

/* Parses repodata JSON read through cb (jansson's callback reader) and checks it with
 * repodata_check. where names the document in messages (its URL). Caller decrefs; NULL +
 * err naming where, the line and what is wrong. */
json_t *repodata_parse(json_load_callback_t cb, void *data, const char *where, err_t *err);
/* The same from a file or from memory. */
json_t *repodata_parse_file(const char *path, const char *where, err_t *err);
json_t *repodata_parse_mem(const char *data, size_t len, const char *where, err_t *err);

/* The shape check alone: root an object; "info" an object of plain values (a string subdir
 * of the right form); "packages" / "packages.conda" objects of records keyed by a file name
 * with the map's extension; each record with name/version/build strings, the fields libsolv
 * and imgbuild read of the right types (depends/constrains lists of strings, build_number and
 * size non-negative integers, ...), no NUL inside them, and pkgrec_check's grammar; at most
 * REPODATA_MAX_RECORDS records and REPODATA_MAX_RECORDS_PER_NAME of one name. */
int repodata_check(json_t *root, const char *where, err_t *err);

#endif
