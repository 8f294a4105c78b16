/* repodata_int.h — private to conda/: the record rules of repodata.c shared with the
 * sparse scanner (repoindex_scan.c), so both refuse the same records with the same words. */
#ifndef IMGBUILD_REPODATA_INT_H
#define IMGBUILD_REPODATA_INT_H

#include <stddef.h>

#include "err.h"

/* Types a record field may have (bits of repodata_field.types). */
enum {
	T_STRING = 1,
	T_STRLIST = 2, /* array of strings */
	T_UINT = 4,    /* integer >= 0 */
	T_NUMBER = 8,  /* integer or real >= 0 */
	T_BOOL = 16,
	T_REQUIRED = 32,
};

/* One field libsolv's reader or imgbuild's (pkgrec.c) looks at; null is "absent". */
struct repodata_field {
	const char *key;
	unsigned types;
};

/* The table, in the order the checks run (borrowed, static). */
const struct repodata_field *repodata_record_fields(size_t *n);
/* "a list of strings", "a non-negative integer", ... for a field's types. */
const char *repodata_type_words(unsigned types);

/* The strings of one record (borrowed; NULL = absent) for repodata_check_names. */
struct repodata_names {
	const char *fn, *name, *version, *build, *subdir, *info_subdir, *fn_field;
	long build_number;
};
/* The "fn" field names the key, subdir agrees with info.subdir, and pkgrec_check's grammar.
 * err names the record (the caller adds the document). */
int repodata_check_names(const struct repodata_names *n, err_t *err);

#endif
