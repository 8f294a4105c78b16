/* repoindex_json.h — private to conda/repoindex_*.c: the validating JSON tokenizer the sparse
 * scanner runs over a whole repodata.json, and the string table it interns names in. The
 * tokenizer accepts what jansson (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL) accepts, bar UTF-8
 * validity: the records handed on are parsed by jansson again (repodata_parse_mem). */
#ifndef IMGBUILD_REPOINDEX_JSON_H
#define IMGBUILD_REPOINDEX_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* ---- interned strings: id -> (bytes, length), found by content ---- */
struct strtab_ent {
	const char *s; /* into the document, or owned (decoded escapes) */
	uint32_t len, hash;
};
typedef struct strtab {
	struct strtab_ent *ents;
	size_t n, cap;
	uint32_t *slots; /* id + 1, 0 = empty */
	size_t n_slots;
	char **owned;
	size_t n_owned;
} strtab_t;

void strtab_free(strtab_t *t);
/* Id of s, or -1. */
long strtab_find(const strtab_t *t, const char *s, size_t len);
/* Id of s, added when new (s borrowed; copy_it: keep a copy instead). *added = 1 when new. */
uint32_t strtab_intern(strtab_t *t, const char *s, size_t len, int copy_it, int *added);

/* ---- tokenizer ---- */
typedef struct jscan {
	const char *base, *p, *end;
	const char *where; /* names the document in messages */
	err_t *err;
} jscan_t;

/* A string token: raw bytes between the quotes. */
typedef struct jstr {
	const char *s;
	size_t len;
	int has_escape, has_nul;
} jstr_t;

/* What a value is, as repodata_check's types see it. */
enum jclass {
	JC_STRING = 1,  /* without NUL */
	JC_NUL_STRING,  /* with "\u0000" */
	JC_INT_NONNEG,  /* integer >= 0 */
	JC_INT_NEG,     /* integer < 0 */
	JC_REAL_NONNEG, /* real >= 0 */
	JC_REAL_NEG,    /* real < 0 */
	JC_BOOL,
	JC_NULL,
	JC_STRLIST, /* array of strings without NUL (empty included) */
	JC_OTHER,   /* object, other array */
};

#define JSCAN_MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

static inline void jscan_ws(jscan_t *sc)
{
	while (sc->p < sc->end &&
	       (*sc->p == ' ' || *sc->p == '\n' || *sc->p == '\r' || *sc->p == '\t'))
		sc->p++;
}

/* "<where>: not valid JSON (line L, column C: what)"; returns -1. */
int jscan_fail(jscan_t *sc, const char *at, const char *what);
/* The duplicate-key refusal repodata_parse gives (key: raw bytes of the repeated key). */
int jscan_dup(jscan_t *sc, const char *at, const jstr_t *key);
/* Expects c (after white space) and steps over it. */
int jscan_expect(jscan_t *sc, char c, const char *what);
/* sc->p at '"': the string, sc->p after it. */
int jscan_string(jscan_t *sc, jstr_t *out);
/* Decodes a string's escapes into out (UTF-8). */
void jscan_decode(const jstr_t *s, buf_t *out);
/* Any value, checked and classified; sc->p after it. depth counts enclosing containers. */
int jscan_value(jscan_t *sc, int depth, enum jclass *cls);

/* Keys of one object, for the duplicate check (a linear look below 16 keys, then a table). */
typedef struct jkeys {
	jstr_t small[16];
	size_t n;
	strtab_t big;
	buf_t dec;
} jkeys_t;
/* 1 when key (decoded) was already seen in this object, else records it. */
int jkeys_seen(jkeys_t *k, const jstr_t *key);
void jkeys_reset(jkeys_t *k);
void jkeys_free(jkeys_t *k);

/* One member of an object: key (raw), key_at its opening quote; sc->p is at the value, which
 * the function consumes. Non-zero stops the scan. */
typedef int (*jmember_fn)(void *ctx, const jstr_t *key, const char *key_at);
/* sc->p at '{': every member through fn, duplicate keys refused through keys (NULL: fn checks
 * them); sc->p after the '}'. */
int jscan_object(jscan_t *sc, jkeys_t *keys, jmember_fn fn, void *ctx);

#endif
