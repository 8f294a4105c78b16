/* matchspec.h — conda MatchSpec strings as they appear in environment.yml:
 * `python=3.11`, `numpy >=1.21,<2`, `pytorch::pytorch`, `libblas=*=*mkl`,
 * `name[version='>=1', build=*cuda*]`. Parsed into parts, and rendered back into the plain
 * "name version build" form that libsolv's pool_conda_matchspec() understands (it ignores
 * channel:: and does not read brackets). */
#ifndef IMGBUILD_MATCHSPEC_H
#define IMGBUILD_MATCHSPEC_H

#include "buf.h"
#include "err.h"

typedef struct matchspec {
	char *channel; /* NULL, or "pytorch" / URL from "channel::name" or "channel/subdir::name" */
	char *subdir;  /* NULL or "linux-64" */
	char *name;    /* never NULL after a successful parse; lower-cased as conda compares */
	char *version; /* NULL (any) or conda version spec: "3.11.*", ">=1.21,<2", "==1.2.3" */
	char *build;   /* NULL or build-string glob: "*mkl", "py39_0" */
	char *build_number; /* NULL or "3", ">=3" (from brackets) */
} matchspec_t;

/* Parses spec as conda's _parse_spec_str does ("=1.2" -> "1.2.*", "=1.2=b" -> "1.2" + b,
 * "=>3.11" -> ">3.11*", brackets override positional parts, `#` comments and ` if ...`
 * conditions dropped). Forms conda accepts that imgbuild cannot honour (package URLs,
 * `feature@`, bracket keys md5/url/license/...) fail with a message saying so.
 * Caller frees with matchspec_free. NULL + err ("bad MatchSpec 'x': why"). */
matchspec_t *matchspec_parse(const char *spec, err_t *err);
void matchspec_free(matchspec_t *m); /* NULL is a no-op */
/* Appends "name version build" for pool_conda_matchspec (no channel, no build_number: the
 * caller must filter those itself). A version-less build renders as "name * build". */
void matchspec_to_solv(const matchspec_t *m, buf_t *out);
/* 1 when build number bn satisfies a build_number spec ("3", ">=3", ">=2,<5", "1|3"), 0 when
 * not, -1 when the spec is unreadable (matchspec_parse already refuses those). */
int matchspec_build_number_matches(const char *spec, long bn);
/* Appends a conda-readable form ("channel/subdir::name version build[build_number='3']")
 * that matchspec_parse reads back to the same parts. */
void matchspec_to_string(const matchspec_t *m, buf_t *out);

#endif
