/* pep440.c — versions and specifiers (see pep440.h). Parsing follows the specification's
 * "permitted spellings" one segment at a time: each optional segment (pre, post, dev) is tried
 * at the current position and undone when its label is absent, which accepts exactly what the
 * specification's reference regular expression accepts. Numbers are uint64 (a longer number
 * is an error, never a wrap). */
#include "pep440.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "pypi_int.h"
#include "xalloc.h"

#define VER_MAX_TEXT 256   /* longer version strings are refused */
#define VER_MAX_RELEASE 32 /* release segments */
#define SPEC_MAX_TEXT 4096 /* a whole specifier set */
#define SPEC_MAX_CLAUSES 64

enum { PRE_NONE, PRE_A, PRE_B, PRE_RC };

struct pep440_ver {
	uint64_t epoch;
	uint64_t release[VER_MAX_RELEASE];
	size_t n_release;
	int pre_kind;
	uint64_t pre;
	int has_post, has_dev;
	uint64_t post, dev;
	char *local; /* normalised ("ubuntu.1"), NULL when none */
	char *str;   /* the whole normalised version */
};

/* ------------------------------------------------------------------ parsing */

typedef struct cursor {
	const char *s;
	size_t i, n;
} cursor_t;

static int at_digit(const cursor_t *c)
{
	return c->i < c->n && isdigit((unsigned char)c->s[c->i]);
}

/* Reads [0-9]+ into *out; -1 when there is none or it overflows uint64. */
static int read_number(cursor_t *c, uint64_t *out)
{
	uint64_t v = 0;
	if (!at_digit(c))
		return -1;
	while (at_digit(c)) {
		unsigned d = (unsigned)(c->s[c->i++] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static void skip_separator(cursor_t *c)
{
	if (c->i < c->n && strchr("-_.", c->s[c->i]))
		c->i++;
}

/* Matches one of labels (tried in order, case-insensitively); returns its index or -1. */
static int match_label(cursor_t *c, const char *const *labels, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(labels[k]);
		if (c->n - c->i >= len && strncasecmp(c->s + c->i, labels[k], len) == 0) {
			c->i += len;
			return (int)k;
		}
	}
	return -1;
}

/* [-_.]? label [-_.]? [0-9]* ; the number defaults to 0. 1 = matched, 0 = absent (cursor
 * unchanged), -1 = number overflow. */
static int read_labelled(cursor_t *c, const char *const *labels, size_t n, int *which,
			 uint64_t *num)
{
	size_t start = c->i;
	skip_separator(c);
	*which = match_label(c, labels, n);
	if (*which < 0) {
		c->i = start;
		return 0;
	}
	/* a separator with no number after it still belongs to the segment, as the
	 * reference expression reads it ("1.0a." is 1.0a0) */
	skip_separator(c);
	*num = 0;
	if (at_digit(c))
		return read_number(c, num) < 0 ? -1 : 1;
	return 1;
}

static int parse_pre(cursor_t *c, pep440_ver_t *v)
{
	/* "alpha" before "a", "preview" before "pre": the first label that matches wins */
	static const char *const labels[] = {"alpha",   "a",   "beta", "b",
					     "preview", "pre", "c",    "rc"};
	static const int kinds[] = {PRE_A, PRE_A, PRE_B, PRE_B, PRE_RC, PRE_RC, PRE_RC, PRE_RC};
	int which, r = read_labelled(c, labels, 8, &which, &v->pre);
	if (r > 0)
		v->pre_kind = kinds[which];
	return r;
}

static int parse_post(cursor_t *c, pep440_ver_t *v)
{
	static const char *const labels[] = {"post", "rev", "r"};
	int which, r;
	if (c->i + 1 < c->n && c->s[c->i] == '-' && isdigit((unsigned char)c->s[c->i + 1])) {
		c->i++; /* the implicit form "1.0-1" */
		v->has_post = 1;
		return read_number(c, &v->post) < 0 ? -1 : 1;
	}
	r = read_labelled(c, labels, 3, &which, &v->post);
	if (r > 0)
		v->has_post = 1;
	return r;
}

static int parse_dev(cursor_t *c, pep440_ver_t *v)
{
	static const char *const labels[] = {"dev"};
	int which, r = read_labelled(c, labels, 1, &which, &v->dev);
	if (r > 0)
		v->has_dev = 1;
	return r;
}

/* "+" [a-z0-9]+ ([-_.][a-z0-9]+)* lower-cased, separators as ".", numeric segments without
 * leading zeros (they compare as numbers). */
static int parse_local(cursor_t *c, pep440_ver_t *v)
{
	buf_t out = BUF_INIT;
	if (c->i >= c->n || c->s[c->i] != '+')
		return 0;
	c->i++;
	for (;;) {
		size_t start = c->i;
		while (c->i < c->n && isalnum((unsigned char)c->s[c->i]))
			c->i++;
		if (c->i == start)
			goto bad;
		size_t len = c->i - start, k = 0;
		int numeric = 1;
		for (size_t j = start; j < c->i; j++)
			numeric &= isdigit((unsigned char)c->s[j]) != 0;
		if (numeric)
			while (k + 1 < len && c->s[start + k] == '0')
				k++;
		if (out.len)
			buf_addch(&out, '.');
		for (size_t j = start + k; j < c->i; j++)
			buf_addch(&out, (char)tolower((unsigned char)c->s[j]));
		if (c->i < c->n && strchr("-_.", c->s[c->i]) && c->i + 1 < c->n &&
		    isalnum((unsigned char)c->s[c->i + 1])) {
			c->i++;
			continue;
		}
		break;
	}
	v->local = buf_detach(&out);
	return 1;
bad:
	buf_free(&out);
	return -1;
}

static int parse_release(cursor_t *c, pep440_ver_t *v)
{
	size_t save = c->i;
	uint64_t n;
	/* an epoch is digits followed by "!" */
	if (read_number(c, &n) == 0 && c->i < c->n && c->s[c->i] == '!') {
		v->epoch = n;
		c->i++;
	} else {
		c->i = save;
	}
	for (;;) {
		if (v->n_release == VER_MAX_RELEASE ||
		    read_number(c, &v->release[v->n_release]) < 0)
			return -1;
		v->n_release++;
		if (c->i + 1 < c->n && c->s[c->i] == '.' && isdigit((unsigned char)c->s[c->i + 1]))
			c->i++;
		else
			return 0;
	}
}

static void format_version(pep440_ver_t *v)
{
	static const char *const pre_names[] = {"", "a", "b", "rc"};
	buf_t b = BUF_INIT;
	if (v->epoch)
		buf_addf(&b, "%llu!", (unsigned long long)v->epoch);
	for (size_t i = 0; i < v->n_release; i++)
		buf_addf(&b, "%s%llu", i ? "." : "", (unsigned long long)v->release[i]);
	if (v->pre_kind)
		buf_addf(&b, "%s%llu", pre_names[v->pre_kind], (unsigned long long)v->pre);
	if (v->has_post)
		buf_addf(&b, ".post%llu", (unsigned long long)v->post);
	if (v->has_dev)
		buf_addf(&b, ".dev%llu", (unsigned long long)v->dev);
	if (v->local)
		buf_addf(&b, "+%s", v->local);
	v->str = buf_detach(&b);
}

pep440_ver_t *pep440_ver_parse(const char *s, err_t *err)
{
	pep440_ver_t *v = xcalloc(1, sizeof *v);
	cursor_t c = {s, 0, strlen(s)};
	while (c.n > 0 && isspace((unsigned char)s[c.n - 1]))
		c.n--;
	while (c.i < c.n && isspace((unsigned char)s[c.i]))
		c.i++;
	if (c.n - c.i > VER_MAX_TEXT)
		goto bad;
	if (c.i < c.n && (s[c.i] == 'v' || s[c.i] == 'V'))
		c.i++;
	if (parse_release(&c, v) < 0 || parse_pre(&c, v) < 0 || parse_post(&c, v) < 0 ||
	    parse_dev(&c, v) < 0 || parse_local(&c, v) < 0 || c.i != c.n)
		goto bad;
	format_version(v);
	return v;
bad:
	err_set(err,
		"'%.300s' is not a valid version (PEP 440: "
		"[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local])",
		s);
	pep440_ver_free(v);
	return NULL;
}

pep440_ver_t *pep440_ver_dup(const pep440_ver_t *v)
{
	pep440_ver_t *d = xmalloc(sizeof *d);
	*d = *v;
	d->local = xstrdup(v->local);
	d->str = xstrdup(v->str);
	return d;
}

void pep440_ver_free(pep440_ver_t *v)
{
	if (!v)
		return;
	free(v->local);
	free(v->str);
	free(v);
}

const char *pep440_ver_str(const pep440_ver_t *v)
{
	return v->str;
}

int pep440_ver_is_prerelease(const pep440_ver_t *v)
{
	return v->pre_kind != PRE_NONE || v->has_dev;
}

int pep440_ver_is_postrelease(const pep440_ver_t *v)
{
	return v->has_post;
}

int pep440_ver_has_local(const pep440_ver_t *v)
{
	return v->local != NULL;
}

/* ------------------------------------------------------------------ ordering */

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Epoch and release only ("base version"); missing release segments count as 0. */
static int cmp_base(const pep440_ver_t *a, const pep440_ver_t *b)
{
	int r = cmp_u64(a->epoch, b->epoch);
	size_t n = a->n_release > b->n_release ? a->n_release : b->n_release;
	for (size_t i = 0; !r && i < n; i++)
		r = cmp_u64(i < a->n_release ? a->release[i] : 0,
			    i < b->n_release ? b->release[i] : 0);
	return r;
}

/* Rank of the pre-release segment: a bare dev release sorts before every pre-release of the
 * same release ("1.0.dev0" < "1.0a0"), no pre-release after all of them. */
static int pre_rank(const pep440_ver_t *v)
{
	if (!v->pre_kind && !v->has_post && v->has_dev)
		return -1;
	return v->pre_kind ? v->pre_kind : PRE_RC + 1;
}

/* One local segment against another: numbers (normalised: no leading zeros) compare by
 * value and sort after letters, letters compare as strings. */
static int cmp_local_segment(const char *a, size_t na, const char *b, size_t nb)
{
	int a_num = strspn(a, "0123456789") >= na, b_num = strspn(b, "0123456789") >= nb;
	if (a_num != b_num)
		return a_num ? 1 : -1;
	if (a_num && na != nb)
		return na < nb ? -1 : 1;
	int r = memcmp(a, b, na < nb ? na : nb);
	return r ? (r < 0 ? -1 : 1) : cmp_u64(na, nb);
}

static int cmp_local(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	while (*a && *b) {
		size_t na = strcspn(a, "."), nb = strcspn(b, ".");
		int r = cmp_local_segment(a, na, b, nb);
		if (r)
			return r;
		a += na + (a[na] == '.');
		b += nb + (b[nb] == '.');
	}
	return (*a != 0) - (*b != 0);
}

static int cmp_public(const pep440_ver_t *a, const pep440_ver_t *b)
{
	int r = cmp_base(a, b);
	if (!r)
		r = pre_rank(a) - pre_rank(b);
	if (!r && a->pre_kind)
		r = cmp_u64(a->pre, b->pre);
	if (!r)
		r = a->has_post - b->has_post;
	if (!r && a->has_post)
		r = cmp_u64(a->post, b->post);
	if (!r)
		r = b->has_dev - a->has_dev; /* no dev release sorts after every dev release */
	if (!r && a->has_dev)
		r = cmp_u64(a->dev, b->dev);
	return r < 0 ? -1 : r > 0;
}

int pep440_ver_cmp(const pep440_ver_t *a, const pep440_ver_t *b)
{
	int r = cmp_public(a, b);
	return r ? r : cmp_local(a->local, b->local);
}

/* ------------------------------------------------------------------ specifiers */

typedef enum { OP_COMPAT, OP_EQ, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT, OP_ARB } op_t;

typedef struct clause {
	op_t op;
	int is_wildcard; /* "==1.2.*" / "!=1.2.*" */
	pep440_ver_t *v; /* NULL for === with a string that is no version */
	char *arbitrary; /* the text after === */
} clause_t;

struct pep440_spec {
	clause_t *c;
	size_t n;
	char *str;
};

static const struct {
	const char *text;
	op_t op;
} operators[] = {
	{"===", OP_ARB}, {"~=", OP_COMPAT}, {"==", OP_EQ}, {"!=", OP_NE},
	{"<=", OP_LE},   {">=", OP_GE},     {"<", OP_LT},  {">", OP_GT},
};

static const char *op_text(op_t op)
{
	for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++)
		if (operators[i].op == op)
			return operators[i].text;
	return "?";
}

/* Checks the per-operator rules of the specification on a parsed clause. */
static const char *clause_rule_broken(const clause_t *c)
{
	if (c->is_wildcard && (c->v->pre_kind || c->v->has_post || c->v->has_dev || c->v->local))
		return "a wildcard may only follow a release number ('==1.2.*')";
	if (c->op == OP_COMPAT && c->v->n_release < 2)
		return "~= needs at least two release segments ('~=1.4', not '~=1')";
	if (c->v->local && c->op != OP_EQ && c->op != OP_NE)
		return "a local version ('+...') is only allowed with == and !=";
	return NULL;
}

static int parse_clause(const char *text, size_t len, clause_t *c, err_t *err)
{
	size_t i = 0, k;
	char *ver = NULL;
	const char *why = "missing operator (one of ~= == != <= >= < > ===)";
	for (k = 0; k < sizeof operators / sizeof operators[0]; k++)
		if (len >= strlen(operators[k].text) &&
		    !memcmp(text, operators[k].text, strlen(operators[k].text)))
			break;
	if (k == sizeof operators / sizeof operators[0])
		goto bad;
	c->op = operators[k].op;
	i = strlen(operators[k].text);
	while (i < len && isspace((unsigned char)text[i]))
		i++;
	why = "missing version after the operator";
	if (i == len)
		goto bad;
	ver = xstrndup(text + i, len - i);
	if (c->op == OP_ARB) {
		why = "=== takes one word";
		if (strpbrk(ver, " \t"))
			goto bad;
		c->arbitrary = ver;
		c->v = pep440_ver_parse(ver, NULL);
		return 0;
	}
	size_t vl = strlen(ver);
	if (vl > 2 && !strcmp(ver + vl - 2, ".*")) {
		why = "a wildcard ('.*') is only allowed with == and !=";
		if (c->op != OP_EQ && c->op != OP_NE)
			goto bad;
		c->is_wildcard = 1;
		ver[vl - 2] = 0;
	}
	why = "not a PEP 440 version";
	if (!(c->v = pep440_ver_parse(ver, NULL)))
		goto bad;
	if ((why = clause_rule_broken(c)) != NULL)
		goto bad;
	free(ver);
	return 0;
bad:
	free(ver);
	return err_set(err, "invalid version specifier '%.*s': %s", (int)(len > 300 ? 300 : len),
		       text, why);
}

static void format_spec(pep440_spec_t *s)
{
	buf_t b = BUF_INIT;
	for (size_t i = 0; i < s->n; i++) {
		const clause_t *c = &s->c[i];
		buf_addf(&b, "%s%s", i ? "," : "", op_text(c->op));
		if (c->op == OP_ARB)
			buf_addstr(&b, c->arbitrary);
		else
			buf_addf(&b, "%s%s", pep440_ver_str(c->v), c->is_wildcard ? ".*" : "");
	}
	s->str = buf_detach(&b);
}

pep440_spec_t *pep440_spec_parse(const char *s, err_t *err)
{
	pep440_spec_t *spec = xcalloc(1, sizeof *spec);
	const char *p = s;
	if (strlen(s) > SPEC_MAX_TEXT) {
		err_set(err, "version specifier longer than %d bytes", SPEC_MAX_TEXT);
		goto bad;
	}
	for (; *p; p += *p == ',') {
		size_t len = strcspn(p, ",");
		const char *clause = pypi_trim(p, &len);
		p += strcspn(p, ",");
		/* empty clauses (">=3.6,") are skipped, as pypa/packaging's SpecifierSet does:
		 * such Requires-Python values exist on indexes and pip accepts them */
		if (len == 0)
			continue;
		if (spec->n == SPEC_MAX_CLAUSES) {
			err_set(err, "version specifier '%.100s...' has more than %d clauses", s,
				SPEC_MAX_CLAUSES);
			goto bad;
		}
		spec->c = xrealloc(spec->c, (spec->n + 1) * sizeof *spec->c);
		memset(&spec->c[spec->n], 0, sizeof spec->c[0]);
		if (parse_clause(clause, len, &spec->c[spec->n++], err) < 0)
			goto bad;
	}
	format_spec(spec);
	return spec;
bad:
	pep440_spec_free(spec);
	return NULL;
}

pep440_spec_t *pep440_spec_dup(const pep440_spec_t *s)
{
	pep440_spec_t *d = xcalloc(1, sizeof *d);
	d->n = s->n;
	d->c = xcalloc(s->n ? s->n : 1, sizeof *d->c);
	for (size_t i = 0; i < s->n; i++) {
		d->c[i] = s->c[i];
		d->c[i].v = s->c[i].v ? pep440_ver_dup(s->c[i].v) : NULL;
		d->c[i].arbitrary = xstrdup(s->c[i].arbitrary);
	}
	d->str = xstrdup(s->str);
	return d;
}

void pep440_spec_free(pep440_spec_t *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		pep440_ver_free(s->c[i].v);
		free(s->c[i].arbitrary);
	}
	free(s->c);
	free(s->str);
	free(s);
}

const char *pep440_spec_str(const pep440_spec_t *s)
{
	return s->str;
}

size_t pep440_spec_count(const pep440_spec_t *s)
{
	return s->n;
}

/* Prefix match: epoch equal and the first n release segments of v (zero-padded) equal p's.
 * The rest of v (pre, post, dev, local) does not matter. */
static int release_prefix_matches(const pep440_ver_t *v, const pep440_ver_t *p, size_t n)
{
	if (v->epoch != p->epoch)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((i < v->n_release ? v->release[i] : 0) != p->release[i])
			return 0;
	return 1;
}

static int clause_contains(const clause_t *c, const pep440_ver_t *v)
{
	const pep440_ver_t *s = c->v;
	switch (c->op) {
	case OP_ARB: return strcasecmp(pep440_ver_str(v), c->arbitrary) == 0;
	case OP_EQ:
	case OP_NE: {
		int eq = c->is_wildcard ? release_prefix_matches(v, s, s->n_release)
			 : s->local     ? pep440_ver_cmp(v, s) == 0
					: cmp_public(v, s) == 0; /* "==1.0" ignores v's local */
		return c->op == OP_EQ ? eq : !eq;
	}
	case OP_LE: return cmp_public(v, s) <= 0;
	case OP_GE: return cmp_public(v, s) >= 0;
	case OP_COMPAT:
		return cmp_public(v, s) >= 0 && release_prefix_matches(v, s, s->n_release - 1);
	case OP_LT:
		/* "<3.1" does not admit 3.1.dev0 or 3.1rc1 unless it names a pre-release itself */
		if (pep440_ver_cmp(v, s) >= 0)
			return 0;
		return pep440_ver_is_prerelease(s) || !pep440_ver_is_prerelease(v) ||
		       cmp_base(v, s);
	case OP_GT:
		/* ">1.7" does not admit 1.7.post1 (unless it names a post-release) nor 1.7+local */
		if (pep440_ver_cmp(v, s) <= 0)
			return 0;
		if (!s->has_post && v->has_post && !cmp_base(v, s))
			return 0;
		return !(v->local && !cmp_base(v, s));
	}
	return 0;
}

static int clause_names_prerelease(const clause_t *c)
{
	if (c->op == OP_NE || c->op == OP_LT || c->op == OP_GT || !c->v)
		return 0;
	return pep440_ver_is_prerelease(c->v);
}

int pep440_spec_names_prerelease(const pep440_spec_t *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (clause_names_prerelease(&s->c[i]))
			return 1;
	return 0;
}

int pep440_spec_is_pinned(const pep440_spec_t *s)
{
	for (size_t i = 0; i < s->n; i++)
		if ((s->c[i].op == OP_EQ && !s->c[i].is_wildcard) || s->c[i].op == OP_ARB)
			return 1;
	return 0;
}

int pep440_spec_contains(const pep440_spec_t *s, const pep440_ver_t *v, pep440_pre_t pre)
{
	if (pep440_ver_is_prerelease(v) && pre != PEP440_PRE_ALLOW &&
	    !pep440_spec_names_prerelease(s))
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (!clause_contains(&s->c[i], v))
			return 0;
	return 1;
}

size_t pep440_spec_filter(const pep440_spec_t *s, const pep440_ver_t *const *versions, size_t n,
			  pep440_pre_t pre, unsigned char *keep)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		keep[i] = (unsigned char)pep440_spec_contains(s, versions[i], pre);
		kept += keep[i];
	}
	if (kept || pre == PEP440_PRE_ALLOW)
		return kept;
	/* "...or if the only available version that satisfies the version specifier is a
	 * pre-release": admit the pre-releases that match */
	for (size_t i = 0; i < n; i++) {
		keep[i] = (unsigned char)pep440_spec_contains(s, versions[i], PEP440_PRE_ALLOW);
		kept += keep[i];
	}
	return kept;
}
