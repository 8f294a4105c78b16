/* condaver.c — test-only conda version ordering and spec matching (see condaver.h).
 * Simple and explicit on purpose: it is the second opinion that checks the solver. */
#include "condaver.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define CV_MAX_PARTS 64
#define CV_TEXT 64

/* One atom of a version: a number, or a lower-case word with a rank that puts "dev" below
 * every other word and "post" above everything (conda's special strings). */
typedef struct {
	int is_num;
	long long num;
	char word[CV_TEXT];
} atom_t;

typedef struct {
	atom_t atoms[CV_MAX_PARTS];
	int n_atoms_in[CV_MAX_PARTS]; /* atoms per component */
	int n_components;
} parts_t;

typedef struct {
	long long epoch;
	parts_t main, local;
} version_t;

/* Splits "1.2a3_4" into components [1] [2 a 3] [4]; a component that starts with a word gets
 * an implicit leading 0, as conda does ("1.a" == "1.0a"). */
static void parse_parts(const char *s, size_t len, parts_t *out)
{
	memset(out, 0, sizeof *out);
	size_t i = 0;
	int atom = 0;
	while (i <= len && out->n_components < CV_MAX_PARTS / 4) {
		size_t end = i;
		while (end < len && s[end] != '.' && s[end] != '_' && s[end] != '-')
			end++;
		int count = 0;
		for (size_t j = i; j < end && atom < CV_MAX_PARTS - 1;) {
			atom_t *a = &out->atoms[atom];
			memset(a, 0, sizeof *a);
			if (isdigit((unsigned char)s[j])) {
				a->is_num = 1;
				while (j < end && isdigit((unsigned char)s[j]))
					a->num = a->num * 10 + (s[j++] - '0');
			} else {
				if (count == 0) { /* implicit 0 before a leading word */
					a->is_num = 1;
					atom++, count++;
					a = &out->atoms[atom];
					memset(a, 0, sizeof *a);
				}
				size_t k = 0;
				while (j < end && !isdigit((unsigned char)s[j])) {
					if (k < CV_TEXT - 1)
						a->word[k++] = (char)tolower((unsigned char)s[j]);
					j++;
				}
			}
			atom++, count++;
		}
		out->n_atoms_in[out->n_components++] = count;
		i = end + 1;
		if (end >= len)
			break;
	}
}

static void parse_version(const char *v, version_t *out)
{
	memset(out, 0, sizeof *out);
	while (isspace((unsigned char)*v))
		v++;
	const char *bang = strchr(v, '!');
	if (bang) {
		out->epoch = strtoll(v, NULL, 10);
		v = bang + 1;
	}
	const char *plus = strchr(v, '+');
	size_t main_len = plus ? (size_t)(plus - v) : strlen(v);
	while (main_len && isspace((unsigned char)v[main_len - 1]))
		main_len--;
	parse_parts(v, main_len, &out->main);
	if (plus)
		parse_parts(plus + 1, strlen(plus + 1), &out->local);
}

static int word_rank(const char *w)
{
	if (strcmp(w, "dev") == 0)
		return -1;
	if (strcmp(w, "post") == 0)
		return 2;
	return 0;
}

/* conda's rule for one position: numbers numerically; a word is less than any number except
 * "post", which beats everything; "dev" is the smallest word. */
static int atom_cmp(const atom_t *a, const atom_t *b)
{
	if (a->is_num && b->is_num)
		return (a->num > b->num) - (a->num < b->num);
	if (!a->is_num && !b->is_num) {
		int ra = word_rank(a->word), rb = word_rank(b->word);
		if (ra != rb)
			return ra < rb ? -1 : 1;
		int c = strcmp(a->word, b->word);
		return (c > 0) - (c < 0);
	}
	const atom_t *word = a->is_num ? b : a;
	int word_is_bigger = word_rank(word->word) == 2;
	int a_bigger = a->is_num ? !word_is_bigger : word_is_bigger;
	return a_bigger ? 1 : -1;
}

/* Component-wise with padding: missing components and atoms count as 0. */
static int parts_cmp(const parts_t *a, const parts_t *b)
{
	static const atom_t zero = {1, 0, ""};
	int n = a->n_components > b->n_components ? a->n_components : b->n_components;
	int ia = 0, ib = 0;
	for (int c = 0; c < n; c++) {
		int na = c < a->n_components ? a->n_atoms_in[c] : 0;
		int nb = c < b->n_components ? b->n_atoms_in[c] : 0;
		int m = na > nb ? na : nb;
		for (int k = 0; k < m; k++) {
			const atom_t *x = k < na ? &a->atoms[ia + k] : &zero;
			const atom_t *y = k < nb ? &b->atoms[ib + k] : &zero;
			int r = atom_cmp(x, y);
			if (r)
				return r;
		}
		ia += na;
		ib += nb;
	}
	return 0;
}

int condaver_cmp(const char *a, const char *b)
{
	version_t va, vb;
	parse_version(a, &va);
	parse_version(b, &vb);
	if (va.epoch != vb.epoch)
		return va.epoch < vb.epoch ? -1 : 1;
	int r = parts_cmp(&va.main, &vb.main);
	return r ? r : parts_cmp(&va.local, &vb.local);
}

/* 1 if version starts with the components of prefix ("1.2" is a prefix of 1.2, 1.2.0, 1.2.7
 * but not of 1.20). The last prefix component may be partial in its atoms ("1.2a" and 1.2a1). */
static int has_prefix(const char *version, const char *prefix)
{
	version_t v, p;
	parse_version(version, &v);
	parse_version(prefix, &p);
	if (v.epoch != p.epoch)
		return 0;
	int iv = 0, ip = 0;
	for (int c = 0; c < p.main.n_components; c++) {
		int np = p.main.n_atoms_in[c];
		int nv = c < v.main.n_components ? v.main.n_atoms_in[c] : 0;
		for (int k = 0; k < np; k++) {
			static const atom_t zero = {1, 0, ""};
			const atom_t *x = k < nv ? &v.main.atoms[iv + k] : &zero;
			if (atom_cmp(x, &p.main.atoms[ip + k]) != 0)
				return 0;
		}
		if (c < p.main.n_components - 1 && nv > np)
			return 0; /* "1.2a1" is not in "1.2.*" territory of component 2 = [2] */
		iv += nv;
		ip += np;
	}
	return 1;
}

/* One term like ">=1.2", "1.2.*", "!=3.0.0", "~=11.1.0", "*". */
static int term_matches(const char *term, size_t len, const char *version)
{
	char t[256];
	while (len && isspace((unsigned char)*term))
		term++, len--;
	while (len && isspace((unsigned char)term[len - 1]))
		len--;
	if (len == 0 || len >= sizeof t)
		return -1;
	memcpy(t, term, len);
	t[len] = '\0';
	if (strcmp(t, "*") == 0)
		return 1;
	const char *ops[] = {"==", "!=", ">=", "<=", "~=", ">", "<", "=", NULL};
	const char *op = "";
	const char *v = t;
	for (int i = 0; ops[i]; i++)
		if (strncmp(t, ops[i], strlen(ops[i])) == 0) {
			op = ops[i];
			v = t + strlen(op);
			break;
		}
	char base[256];
	size_t bl = strlen(v);
	memcpy(base, v, bl + 1);
	int star = 0;
	if (bl >= 1 && base[bl - 1] == '*') {
		star = 1;
		base[--bl] = '\0';
		if (bl && base[bl - 1] == '.')
			base[--bl] = '\0';
	}
	if (!*base)
		return -1;
	int c = condaver_cmp(version, base);
	if (!strcmp(op, "") || !strcmp(op, "==") || !strcmp(op, "="))
		return (star || !strcmp(op, "=")) ? has_prefix(version, base) : c == 0;
	if (!strcmp(op, "!="))
		return star ? !has_prefix(version, base) : c != 0;
	if (!strcmp(op, ">="))
		return c >= 0;
	if (!strcmp(op, "<="))
		return c <= 0;
	if (!strcmp(op, ">"))
		return c > 0;
	if (!strcmp(op, "<"))
		return c < 0;
	if (!strcmp(op, "~=")) {
		/* ~=1.2.3 is >=1.2.3 and 1.2.* */
		char pre[256];
		memcpy(pre, base, bl + 1);
		char *dot = strrchr(pre, '.');
		if (!dot)
			return -1;
		*dot = '\0';
		return c >= 0 && has_prefix(version, pre);
	}
	return -1;
}

int condaver_version_matches(const char *spec, const char *version)
{
	/* `|` separates alternatives; within one, `,` joins terms that must all hold. */
	const char *alt = spec;
	for (;;) {
		const char *alt_end = strchr(alt, '|');
		size_t alt_len = alt_end ? (size_t)(alt_end - alt) : strlen(alt);
		int all = 1;
		const char *t = alt;
		while (t < alt + alt_len) {
			const char *comma = memchr(t, ',', (size_t)(alt + alt_len - t));
			size_t tl = comma ? (size_t)(comma - t) : (size_t)(alt + alt_len - t);
			int r = term_matches(t, tl, version);
			if (r < 0)
				return -1;
			all &= r;
			t += tl + (comma ? 1 : 0);
		}
		if (all)
			return 1;
		if (!alt_end)
			return 0;
		alt = alt_end + 1;
	}
}

/* Splits on whitespace into at most 3 tokens; -1 on more or none. */
static int split3(const char *s, char tok[3][256])
{
	int n = 0;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (n == 3)
			return -1;
		size_t k = 0;
		while (*s && !isspace((unsigned char)*s)) {
			if (k >= 255)
				return -1;
			tok[n][k++] = *s++;
		}
		tok[n][k] = '\0';
		n++;
	}
	return n ? n : -1;
}

int condaver_dep_name(const char *dep, char *name_out, unsigned cap)
{
	char tok[3][256];
	if (split3(dep, tok) < 0 || strlen(tok[0]) >= cap)
		return -1;
	memcpy(name_out, tok[0], strlen(tok[0]) + 1);
	return 0;
}

static int match_parts(const char *want_name, const char *vspec, const char *bglob,
		       const char *name, const char *version, const char *build)
{
	if (strcmp(want_name, name) != 0)
		return 0;
	if (vspec) {
		int r = condaver_version_matches(vspec, version);
		if (r != 1)
			return r;
	}
	if (bglob && fnmatch(bglob, build, 0) != 0)
		return 0;
	return 1;
}

int condaver_dep_matches(const char *dep, const char *name, const char *version, const char *build)
{
	char tok[3][256];
	int n = split3(dep, tok);
	if (n < 0)
		return -1;
	return match_parts(tok[0], n > 1 ? tok[1] : NULL, n > 2 ? tok[2] : NULL, name, version,
			   build);
}

int condaver_request_matches(const char *req, const char *name, const char *version,
			     const char *build)
{
	char tok[3][256];
	int n = split3(req, tok);
	if (n < 0)
		return -1;
	if (n > 1)
		return match_parts(tok[0], tok[1], n > 2 ? tok[2] : NULL, name, version, build);
	/* "name=1.2=build", "name=1.2" (prefix), "name>=1" or just "name". */
	char *s = tok[0];
	size_t nl = strcspn(s, "=<>!~");
	char want[256], vspec[256];
	memcpy(want, s, nl);
	want[nl] = '\0';
	if (!s[nl])
		return match_parts(want, NULL, NULL, name, version, build);
	const char *rest = s + nl;
	const char *bglob = NULL;
	if (rest[0] == '=' && rest[1] != '=') {
		rest++;
		char *eq = strchr(rest, '=');
		size_t vl = eq ? (size_t)(eq - rest) : strlen(rest);
		if (eq)
			bglob = eq + 1;
		/* "=1.2" is "1.2.*" in the environment.yml form; "=*" is any. */
		memcpy(vspec, rest, vl);
		vspec[vl] = '\0';
		if (strcmp(vspec, "*") != 0 && (vl == 0 || vspec[vl - 1] != '*')) {
			memcpy(vspec + vl, ".*", 3);
		}
	} else {
		memcpy(vspec, rest, strlen(rest) + 1);
	}
	return match_parts(want, vspec, bglob, name, version, build);
}
