/* pep440.h — Python package versions and version specifiers (PEP 440, as the "Version
 * specifiers" packaging specification states it): parsing with the permitted spellings
 * ("1.0-ALPHA.1" is 1.0a1), the normalised form, the total order (epochs, pre/post/dev
 * releases, local versions) and specifier sets ("~=1.4.2,!=1.4.5", "==1.2.*", "===x") with
 * the pre-release rules. Versions and specifiers are immutable once parsed. */
#ifndef IMGBUILD_PEP440_H
#define IMGBUILD_PEP440_H

#include <stddef.h>

#include "err.h"

typedef struct pep440_ver pep440_ver_t;
typedef struct pep440_spec pep440_spec_t;

/* Parses s (surrounding white space allowed, case-insensitive). Caller frees with
 * pep440_ver_free; NULL + err naming s when it is not a PEP 440 version. */
pep440_ver_t *pep440_ver_parse(const char *s, err_t *err);
pep440_ver_t *pep440_ver_dup(const pep440_ver_t *v); /* caller frees */
void pep440_ver_free(pep440_ver_t *v);

/* <0, 0, >0 in PEP 440 order (1.0 == 1.0.0; 1.0.dev1 < 1.0a1 < 1.0 < 1.0.post1;
 * 1.0 < 1.0+local). */
int pep440_ver_cmp(const pep440_ver_t *a, const pep440_ver_t *b);
/* The normalised string ("1!2.0rc1.post2.dev3+ubuntu.1"), borrowed from v. */
const char *pep440_ver_str(const pep440_ver_t *v);
/* A pre-release is a version with a pre-release or a development release segment. */
int pep440_ver_is_prerelease(const pep440_ver_t *v);
int pep440_ver_is_postrelease(const pep440_ver_t *v);
int pep440_ver_has_local(const pep440_ver_t *v);

/* How pre-releases are admitted by pep440_spec_contains. */
typedef enum {
	PEP440_PRE_IMPLICIT, /* only when a clause names a pre-release (">=1.0b1") */
	PEP440_PRE_ALLOW,    /* always (pip's --pre, and markers, which use this) */
} pep440_pre_t;

/* Parses a specifier set: clauses separated by commas, each an operator (~= == != <= >= < >
 * ===) and a version, white space allowed around both; "" is the empty set that contains
 * every version. Empty clauses (">=3.6,") are skipped, as pypa/packaging does. Caller frees with
 * pep440_spec_free; NULL + err naming the clause and what is wrong with it ("~=1" needs two release
 * segments, "<=1.0.*" has a wildcard, ...). */
pep440_spec_t *pep440_spec_parse(const char *s, err_t *err);
pep440_spec_t *pep440_spec_dup(const pep440_spec_t *s); /* caller frees */
void pep440_spec_free(pep440_spec_t *s);
/* The clauses as parsed, joined by "," with white space removed (borrowed). */
const char *pep440_spec_str(const pep440_spec_t *s);
size_t pep440_spec_count(const pep440_spec_t *s);

/* 1 when every clause contains v. A pre-release v is refused unless pre allows it. */
int pep440_spec_contains(const pep440_spec_t *s, const pep440_ver_t *v, pep440_pre_t pre);
/* 1 when a clause names a pre-release with ==, >=, <=, ~= or === (which lets pre-releases
 * in under PEP440_PRE_IMPLICIT). */
int pep440_spec_names_prerelease(const pep440_spec_t *s);
/* 1 when the set pins one version: a clause "==V" without a wildcard, or "===V" (yanked
 * files are only chosen for such a pin: PEP 592). */
int pep440_spec_is_pinned(const pep440_spec_t *s);

/* Selects from versions[0..n) the ones s admits, by the rule of the specification: with
 * PEP440_PRE_IMPLICIT, pre-releases only when a clause names one or when no final release
 * matches at all. Sets keep[i] to 1 or 0; returns how many are kept. */
size_t pep440_spec_filter(const pep440_spec_t *s, const pep440_ver_t *const *versions, size_t n,
			  pep440_pre_t pre, unsigned char *keep);

#endif
