/* repoindex_json.c — the validating JSON tokenizer and string table of the sparse repodata
 * scanner (repoindex_json.h). Hand-written because jansson has no streaming API and its DOM
 * of a 300k-record channel is what a cold solve spent most of its time building (issue 14);
 * the syntax it accepts is jansson's, and the records a solve uses go through jansson too. */
#include "repoindex_json.h"
#include "xalloc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- string table (open addressing, FNV-1a) ---- */

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

void strtab_free(strtab_t *t)
{
	for (size_t i = 0; i < t->n_owned; i++)
		free(t->owned[i]);
	free(t->owned);
	free(t->ents);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static size_t slot_of(const strtab_t *t, const char *s, size_t len, uint32_t h)
{
	size_t mask = t->n_slots - 1, i = h & mask;
	for (;; i = (i + 1) & mask) {
		uint32_t id = t->slots[i];
		if (!id)
			return i;
		const struct strtab_ent *e = &t->ents[id - 1];
		if (e->hash == h && e->len == len && !memcmp(e->s, s, len))
			return i;
	}
}

long strtab_find(const strtab_t *t, const char *s, size_t len)
{
	if (!t->n_slots)
		return -1;
	uint32_t id = t->slots[slot_of(t, s, len, hash_bytes(s, len))];
	return id ? (long)id - 1 : -1;
}

static void grow_slots(strtab_t *t)
{
	size_t n = t->n_slots ? t->n_slots * 2 : 1024;
	free(t->slots);
	t->slots = xcalloc(n, sizeof *t->slots);
	t->n_slots = n;
	for (size_t id = 0; id < t->n; id++) {
		const struct strtab_ent *e = &t->ents[id];
		t->slots[slot_of(t, e->s, e->len, e->hash)] = (uint32_t)id + 1;
	}
}

uint32_t strtab_intern(strtab_t *t, const char *s, size_t len, int copy_it, int *added)
{
	if ((t->n + 1) * 2 > t->n_slots)
		grow_slots(t);
	uint32_t h = hash_bytes(s, len);
	size_t at = slot_of(t, s, len, h);
	if (added)
		*added = !t->slots[at];
	if (t->slots[at])
		return t->slots[at] - 1;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->ents = xrealloc(t->ents, t->cap * sizeof *t->ents);
	}
	if (copy_it) {
		char *c = xstrndup(s, len);
		t->owned = xrealloc(t->owned, (t->n_owned + 1) * sizeof *t->owned);
		t->owned[t->n_owned++] = c;
		s = c;
	}
	t->ents[t->n] = (struct strtab_ent){s, (uint32_t)len, h};
	t->slots[at] = (uint32_t)++t->n;
	return (uint32_t)t->n - 1;
}

/* ---- errors ---- */

/* Line and column of at, as jansson counts them (1-based, bytes). */
static void position(const jscan_t *sc, const char *at, int *line, int *col)
{
	const char *line_start = sc->base;
	*line = 1;
	for (const char *q = sc->base; q < at; q++)
		if (*q == '\n') {
			++*line;
			line_start = q + 1;
		}
	*col = (int)(at - line_start) + 1;
}

int jscan_fail(jscan_t *sc, const char *at, const char *what)
{
	int line, col;
	position(sc, at, &line, &col);
	return err_set(sc->err, "%s: not valid JSON (line %d, column %d: %s)", sc->where, line, col,
		       what);
}

int jscan_dup(jscan_t *sc, const char *at, const jstr_t *key)
{
	int line, col;
	position(sc, at, &line, &col);
	return err_set(sc->err,
		       "%s: duplicate key (line %d, column %d: duplicate object key near "
		       "'\"%.*s\"'): refused, as libsolv would read the first value and imgbuild "
		       "the last; the channel's repodata is malformed",
		       sc->where, line, col, (int)(key->len > 200 ? 200 : key->len), key->s);
}

int jscan_expect(jscan_t *sc, char c, const char *what)
{
	jscan_ws(sc);
	if (sc->p >= sc->end || *sc->p != c)
		return jscan_fail(sc, sc->p, sc->p >= sc->end ? "premature end of input" : what);
	sc->p++;
	return 0;
}

/* ---- tokens ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The 4 hex digits after "\u" at q, or -1. */
static long hex4(const char *q, const char *end)
{
	long v = 0;
	if (end - q < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)q[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Length of the UTF-8 sequence at q (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF; jansson refuses the same), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *q, const unsigned char *end)
{
	unsigned char c = q[0], lo = 0x80, hi = 0xBF;
	size_t n;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
	else
		return 0;
	if ((size_t)(end - q) < n || q[1] < lo || q[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (q[i] < 0x80 || q[i] > 0xBF)
			return 0;
	return n;
}

/* A \u escape at q (checked hex): the escape's length, 12 for a surrogate pair, 0 for a
 * lone surrogate (which is not a character: jansson refuses it too). */
static size_t unicode_escape(const char *q, const char *end, long v)
{
	if (v >= 0xDC00 && v < 0xE000)
		return 0;
	if (v < 0xD800 || v >= 0xDC00)
		return 6;
	long lo = end - q >= 12 && q[6] == '\\' && q[7] == 'u' ? hex4(q + 8, end) : -1;
	return lo >= 0xDC00 && lo < 0xE000 ? 12 : 0;
}

/* Eight plain bytes at q (none is '"', '\\', a control byte or non-ASCII)? The word tests
 * of "Bit Twiddling Hacks" (haszero, hasless): a string's plain bytes are skipped a word at a
 * time, and any other byte is left to the byte loop. */
static int is_plain8(const char *q)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t x, quote, bslash;
	memcpy(&x, q, 8);
	quote = x ^ (ones * '"');
	bslash = x ^ (ones * '\\');
	uint64_t special = ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) |
			   ((x - ones * 0x20) & ~x) | x;
	return (special & highs) == 0;
}

int jscan_string(jscan_t *sc, jstr_t *out)
{
	const char *q = sc->p + 1, *end = sc->end;
	memset(out, 0, sizeof *out);
	out->s = q;
	for (;;) {
		while (end - q >= 8 && is_plain8(q))
			q += 8;
		if (q >= end)
			return jscan_fail(sc, q, "premature end of input in a string");
		unsigned char c = (unsigned char)*q;
		if (c == '"')
			break;
		if (c < 0x20)
			return jscan_fail(sc, q, "control character in a string");
		if (c >= 0x80) {
			size_t n = utf8_seq((const unsigned char *)q, (const unsigned char *)end);
			if (!n)
				return jscan_fail(sc, q, "invalid UTF-8 in a string");
			q += n;
			continue;
		}
		if (c != '\\') {
			q++;
			continue;
		}
		out->has_escape = 1;
		if (q + 1 >= end)
			return jscan_fail(sc, q, "premature end of input in a string");
		c = (unsigned char)q[1];
		if (c == 'u') {
			long v = hex4(q + 2, end);
			if (v < 0)
				return jscan_fail(sc, q, "invalid escape");
			size_t n = unicode_escape(q, end, v);
			if (!n)
				return jscan_fail(sc, q,
						  "invalid Unicode escape (a lone surrogate)");
			out->has_nul |= v == 0;
			q += n;
		} else if (c && strchr("\"\\/bfnrt", c)) {
			q += 2;
		} else {
			return jscan_fail(sc, q, "invalid escape");
		}
	}
	out->len = (size_t)(q - out->s);
	sc->p = q + 1;
	return 0;
}

static void add_utf8(buf_t *out, unsigned long cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_add(out, b, n);
}

void jscan_decode(const jstr_t *s, buf_t *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	buf_reset(out);
	buf_grow(out, s->len);
	if (!s->s)
		return; /* an absent string (jstr_t zeroed) decodes to "" */
	const char *q = s->s, *end = s->s + s->len;
	while (q < end) {
		if (*q != '\\') {
			buf_addch(out, *q++);
			continue;
		}
		if (q[1] != 'u') { /* checked by jscan_string */
			buf_addch(out, to[strchr(from, q[1]) - from]);
			q += 2;
			continue;
		}
		unsigned long cp = (unsigned long)hex4(q + 2, end);
		q += 6;
		long lo;
		if (cp >= 0xD800 && cp < 0xDC00 && q + 1 < end && q[0] == '\\' && q[1] == 'u' &&
		    (lo = hex4(q + 2, end)) >= 0xDC00 && lo < 0xE000) {
			cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
			q += 6;
		}
		add_utf8(out, cp);
	}
}

/* A number token: integer (checked against long long, as jansson) or real (strtod). */
static int scan_number(jscan_t *sc, enum jclass *cls)
{
	const char *q = sc->p, *start = q, *end = sc->end;
	int neg = 0, nonzero = 0, is_real = 0;
	if (q < end && *q == '-')
		neg = 1, q++;
	if (q >= end || *q < '0' || *q > '9')
		return jscan_fail(sc, start, "invalid token");
	if (*q == '0')
		q++;
	else
		while (q < end && *q >= '0' && *q <= '9')
			nonzero = 1, q++;
	if (q < end && *q == '.') {
		is_real = 1;
		if (++q >= end || *q < '0' || *q > '9')
			return jscan_fail(sc, start, "invalid token");
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		is_real = 1;
		if (++q < end && (*q == '+' || *q == '-'))
			q++;
		if (q >= end || *q < '0' || *q > '9')
			return jscan_fail(sc, start, "invalid token");
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	char tok[64];
	size_t n = (size_t)(q - start);
	if (n >= sizeof tok && !is_real)
		return jscan_fail(sc, start, "too big integer");
	if (n < sizeof tok) {
		memcpy(tok, start, n);
		tok[n] = 0;
		errno = 0;
		if (!is_real) {
			(void)strtoll(tok, NULL, 10);
			if (errno == ERANGE)
				return jscan_fail(sc, start,
						  neg ? "too big negative integer"
						      : "too big integer");
		} else {
			double d = strtod(tok, NULL);
			if (errno == ERANGE && (d > 1 || d < -1))
				return jscan_fail(sc, start, "real number overflow");
			nonzero = d != 0;
		}
	} /* else a long real: sign by its digits, overflow left to jansson on the records used */
	sc->p = q;
	if (is_real)
		*cls = neg && nonzero ? JC_REAL_NEG : JC_REAL_NONNEG;
	else
		*cls = neg && nonzero ? JC_INT_NEG : JC_INT_NONNEG;
	return 0;
}

static int scan_literal(jscan_t *sc, enum jclass *cls)
{
	static const struct {
		const char *word;
		enum jclass cls;
	} lits[] = {{"true", JC_BOOL}, {"false", JC_BOOL}, {"null", JC_NULL}};
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(lits[i].word);
		if ((size_t)(sc->end - sc->p) >= n && !memcmp(sc->p, lits[i].word, n)) {
			sc->p += n;
			*cls = lits[i].cls;
			return 0;
		}
	}
	return jscan_fail(sc, sc->p, "invalid token");
}

int jscan_object(jscan_t *sc, jkeys_t *keys, jmember_fn fn, void *ctx)
{
	jstr_t key;
	sc->p++;
	jscan_ws(sc);
	if (sc->p < sc->end && *sc->p == '}') {
		sc->p++;
		return 0;
	}
	for (;;) {
		jscan_ws(sc);
		const char *at = sc->p;
		if (sc->p >= sc->end || *sc->p != '"')
			return jscan_fail(sc, sc->p, "string or '}' expected");
		if (jscan_string(sc, &key) != 0)
			return -1;
		if (keys && jkeys_seen(keys, &key))
			return jscan_dup(sc, at, &key);
		if (jscan_expect(sc, ':', "':' expected") != 0 || fn(ctx, &key, at) != 0)
			return -1;
		jscan_ws(sc);
		if (sc->p < sc->end && *sc->p == ',') {
			sc->p++;
			continue;
		}
		return jscan_expect(sc, '}', "'}' expected");
	}
}

struct nested {
	jscan_t *sc;
	int depth;
};

static int nested_member(void *ctx, const jstr_t *key, const char *key_at)
{
	struct nested *n = ctx;
	enum jclass cls;
	(void)key;
	(void)key_at;
	return jscan_value(n->sc, n->depth + 1, &cls);
}

static int scan_object(jscan_t *sc, int depth)
{
	jkeys_t keys = {0};
	struct nested n = {sc, depth};
	int rc = jscan_object(sc, &keys, nested_member, &n);
	jkeys_free(&keys);
	return rc;
}

static int scan_array(jscan_t *sc, int depth, enum jclass *cls)
{
	enum jclass elem;
	*cls = JC_STRLIST;
	sc->p++;
	jscan_ws(sc);
	if (sc->p < sc->end && *sc->p == ']') {
		sc->p++;
		return 0;
	}
	for (;;) {
		if (jscan_value(sc, depth + 1, &elem) != 0)
			return -1;
		if (elem != JC_STRING)
			*cls = JC_OTHER;
		jscan_ws(sc);
		if (sc->p < sc->end && *sc->p == ',') {
			sc->p++;
			continue;
		}
		return jscan_expect(sc, ']', "']' expected");
	}
}

int jscan_value(jscan_t *sc, int depth, enum jclass *cls)
{
	jstr_t s;
	jscan_ws(sc);
	if (sc->p >= sc->end)
		return jscan_fail(sc, sc->p, "premature end of input");
	if (depth > JSCAN_MAX_DEPTH)
		return jscan_fail(sc, sc->p, "maximum parsing depth reached");
	switch (*sc->p) {
	case '"':
		if (jscan_string(sc, &s) != 0)
			return -1;
		*cls = s.has_nul ? JC_NUL_STRING : JC_STRING;
		return 0;
	case '{': *cls = JC_OTHER; return scan_object(sc, depth);
	case '[': return scan_array(sc, depth, cls);
	case 't':
	case 'f':
	case 'n': return scan_literal(sc, cls);
	default: return scan_number(sc, cls);
	}
}

/* ---- duplicate keys of one object ---- */

int jkeys_seen(jkeys_t *k, const jstr_t *key)
{
	const char *s = key->s;
	size_t len = key->len;
	if (key->has_escape) { /* "na\u006de" is "name" */
		jscan_decode(key, &k->dec);
		s = k->dec.data;
		len = k->dec.len;
	}
	if (k->n < 16 && !key->has_escape && !k->big.n) {
		for (size_t i = 0; i < k->n; i++)
			if (k->small[i].len == len && !memcmp(k->small[i].s, s, len))
				return 1;
		k->small[k->n++] = *key;
		return 0;
	}
	if (!k->big.n) /* move the linear part into the table */
		for (size_t i = 0; i < k->n; i++)
			strtab_intern(&k->big, k->small[i].s, k->small[i].len, 0, NULL);
	int added;
	strtab_intern(&k->big, s, len, key->has_escape, &added);
	k->n++;
	return !added;
}

void jkeys_reset(jkeys_t *k)
{
	k->n = 0;
	if (k->big.n)
		strtab_free(&k->big);
}

void jkeys_free(jkeys_t *k)
{
	strtab_free(&k->big);
	buf_free(&k->dec);
	k->n = 0;
}
