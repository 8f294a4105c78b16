/* matchspec.c — conda MatchSpec strings parsed the way conda's models/match_spec.py
 * (_parse_spec_str) reads them, then rendered for libsolv's pool_conda_matchspec().
 * Steps mirror conda's: strip `#` comment and ` if ` condition, split off `[key=value]`
 * brackets, `channel::`, the name, then version + build; the `=1.2` → `1.2.*` translation
 * follows conda. Forms conda accepts but imgbuild cannot honour fail with a message. */
#include "matchspec.h"
#include "pkgrec.h"
#include "xalloc.h"

#include <ctype.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

static char *dup_range(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static char *dup_str(const char *s)
{
	return dup_range(s, strlen(s));
}

/* Replaces *slot with a copy of value (takes care of the old one). */
static void set_field(char **slot, const char *value)
{
	free(*slot);
	*slot = value ? dup_str(value) : NULL;
}

/* Trims ASCII whitespace at both ends of b in place. */
static void trim_buf(buf_t *b)
{
	size_t start = 0, end = b->len;
	if (!b->data)
		return;
	while (start < end && isspace((unsigned char)b->data[start]))
		start++;
	while (end > start && isspace((unsigned char)b->data[end - 1]))
		end--;
	memmove(b->data, b->data + start, end - start);
	buf_truncate(b, end - start);
}

static void remove_spaces(buf_t *b)
{
	size_t j = 0;
	for (size_t i = 0; i < b->len; i++)
		if (!isspace((unsigned char)b->data[i]))
			b->data[j++] = b->data[i];
	buf_truncate(b, j);
}

static int is_opchar(char c)
{
	return c == '=' || c == '<' || c == '>' || c == '!' || c == '~';
}

static int is_version_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '+' || c == '!' ||
	       c == '*' || c == '-';
}

/* One version atom: an optional operator then a version ("*" allowed), as conda's
 * VersionSpec reads it. */
static int check_version_atom(const char *s, size_t n, const char **why)
{
	size_t i = 0;
	if (n >= 2 &&
	    (memcmp(s, "==", 2) == 0 || memcmp(s, "!=", 2) == 0 || memcmp(s, "<=", 2) == 0 ||
	     memcmp(s, ">=", 2) == 0 || memcmp(s, "~=", 2) == 0))
		i = 2;
	else if (n >= 1 && (s[0] == '<' || s[0] == '>' || s[0] == '='))
		i = 1;
	else if (n >= 1 && (s[0] == '!' || s[0] == '~')) {
		*why = "'!' and '~' must be followed by '='";
		return -1;
	}
	if (i == n) {
		*why = i ? "an operator without a version" : "an empty version";
		return -1;
	}
	if (is_opchar(s[i])) {
		*why = "two operators in a row";
		return -1;
	}
	size_t start = i;
	for (; i < n; i++) {
		if (!is_version_char(s[i])) {
			*why = "a character that cannot appear in a version";
			return -1;
		}
		/* '!' ends the epoch, an integer ("1!2.0"): "cond!" would also make a trailing
		 * space read as part of the version when the spec is written back */
		if (s[i] == '!' &&
		    (i == start || i + 1 == n || strspn(s + start, "0123456789") != i - start)) {
			*why = "a '!' that is not after an epoch number";
			return -1;
		}
	}
	return 0;
}

/* Recursive descent over `atom (("," | "|") atom)*` with parenthesised groups, the
 * grammar of conda's VersionSpec (and of libsolv's solvable_conda_matchversion_rec). */
static int check_version_expr(const char **pp, const char *end, int depth, const char **why)
{
	const char *p = *pp;
	if (depth > 32) {
		*why = "parentheses nested too deeply";
		return -1;
	}
	for (;;) {
		if (p < end && *p == '(') {
			p++;
			if (check_version_expr(&p, end, depth + 1, why) < 0)
				return -1;
			if (p == end || *p != ')') {
				*why = "an unbalanced '('";
				return -1;
			}
			p++;
		} else {
			const char *start = p;
			while (p < end && *p != ',' && *p != '|' && *p != '(' && *p != ')')
				p++;
			if (check_version_atom(start, (size_t)(p - start), why) < 0)
				return -1;
		}
		if (p == end || *p == ')') {
			*pp = p;
			return 0;
		}
		if (*p != ',' && *p != '|') {
			*why = "'(' in the middle of a version";
			return -1;
		}
		p++;
	}
}

static int check_version(const char *v, const char *spec, err_t *err)
{
	const char *why = NULL;
	const char *p = v;
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '^' && v[n - 1] == '$') {
		/* conda (and libsolv) take ^...$ as a regular expression; it is written back inside
		 * [version='...'], so no quote, bracket, blank, '#' or ':' (fuzz_matchspec) */
		for (const char *q = v; *q; q++)
			if ((unsigned char)*q > 0x7e ||
			    (!isalnum((unsigned char)*q) && !strchr("^$.*+?|()_-!,\\{}", *q)))
				return err_set(
					err,
					"bad MatchSpec '%s': regular-expression version '%s' "
					"holds byte 0x%02x",
					spec, v, (unsigned char)*q);
		return 0;
	}
	if (check_version_expr(&p, v + n, 0, &why) < 0 || p != v + n)
		return err_set(err, "bad MatchSpec '%s': version '%s' has %s", spec, v,
			       why ? why : "an unbalanced ')'");
	return 0;
}

/* Build strings are file-name parts (name-version-build), so never contain '-', and
 * libsolv splits "version build" at the last of " -=,|<>~": refuse those here rather
 * than let the solver silently read a different spec. */
static int check_build(const char *b, const char *spec, err_t *err)
{
	if (!*b)
		return err_set(err, "bad MatchSpec '%s': empty build string", spec);
	for (const char *p = b; *p; p++) {
		unsigned char c = (unsigned char)*p;
		/* '#' would start a comment and a final '@' the feature form when written back */
		if (c < 0x21 || c > 0x7e)
			return err_set(
				err,
				"bad MatchSpec '%s': build string '%s' contains byte 0x%02x, "
				"which conda build strings never do",
				spec, b, c);
		if (strchr("-=,|<>~()[]'\"#:@;\\", c))
			return err_set(err,
				       "bad MatchSpec '%s': build string '%s' contains '%c', "
				       "which conda build strings never do",
				       spec, b, c);
	}
	return 0;
}

/* 1 when s ends with a package extension in any case: "x.cOnda" lower-cases to a name that
 * reads as a package file ("x.conda") when written back. */
static int ends_like_package_file(const char *s)
{
	size_t n = strlen(s);
	return (n > 6 && !strcasecmp(s + n - 6, ".conda")) ||
	       (n > 8 && !strcasecmp(s + n - 8, ".tar.bz2"));
}

/* Channel names and URLs (conda-forge, pytorch/label/nightly, https://host:8443/x, file:///p,
 * percent-encoded): no blanks, quotes, brackets, '#' or ',' that would end the spec's part. */
static int check_channel(const char *chan, const char *spec, err_t *err)
{
	for (const char *p = chan; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c > 0x7e || (!isalnum(c) && !strchr("-_./:~%+@*", c)))
			return err_set(
				err,
				"bad MatchSpec '%s': channel '%s' contains byte 0x%02x "
				"(channel names and URLs use letters, digits and -_./:~%%+@)",
				spec, chan, c);
	}
	return 0;
}

static int check_name(const char *name, const char *spec, err_t *err)
{
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("_.-*", *p))
			return err_set(err,
				       "bad MatchSpec '%s': package name '%s' contains '%c' "
				       "(names use letters, digits, '_', '.', '-')",
				       spec, name, *p);
	}
	return 0;
}

/* conda's _parse_version_plus_build: the build is the shortest-version split at a ' ' or
 * '=' that is not preceded by an operator character and followed only by characters
 * outside "-=,|<>~". Spaces are then removed from the version. */
static void split_version_build(const char *s, buf_t *version, buf_t *build)
{
	size_t n = strlen(s), split = n;
	for (size_t i = 1; i < n; i++) {
		if (s[i] != ' ' && s[i] != '=')
			continue;
		if (strchr("=!|,<>~", s[i - 1]))
			continue;
		if (i + 1 == n || strcspn(s + i + 1, "-=,|<>~") != n - i - 1)
			continue;
		split = i;
		break;
	}
	buf_reset(version);
	buf_reset(build);
	buf_add(version, s, split);
	remove_spaces(version);
	if (split < n) {
		buf_addstr(build, s + split + 1);
		trim_buf(build);
	}
}

/* conda's "=1.2" translation: a single leading '=' means "starts with". */
static void translate_leading_equals(buf_t *version, int has_build)
{
	buf_t tmp = BUF_INIT;
	const char *v = buf_cstr(version);
	if (v[0] != '=')
		return;
	if (v[1] == '=') {
		/* "==1.2.3" stays exact; conda only drops the "==" textually. */
		return;
	}
	if (strpbrk(v + 1, "=,|"))
		return; /* "=1.2,<2": VersionSpec reads the '=' atom itself */
	buf_addstr(&tmp, v + 1);
	if (!has_build && tmp.len && tmp.data[tmp.len - 1] != '*') {
		/* conda appends '*'; for a bare version VersionSpec reads "1.2*" as "1.2.*",
		 * but after an operator (`python=>3.11` → ">3.11*") it must stay a bare '*'
		 * or the spec would change meaning. */
		if (strchr("<>!~", tmp.data[0]))
			buf_addch(&tmp, '*');
		else
			buf_addstr(&tmp, ".*");
	}
	buf_setstr(version, tmp.data);
	buf_free(&tmp);
}

/* Fields conda's MatchSpec can match on that have no place in a libsolv conda matchspec. */
static int is_unsupported_conda_key(const char *key)
{
	static const char *const keys[] = {
		"track_features", "features",       "url", "md5", "sha256",
		"license",        "license_family", "fn",  NULL};
	for (size_t i = 0; keys[i]; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

static void set_channel(matchspec_t *m, const char *chan);

/* Reads one bracket value at *pp (quoted with ' or ", or up to the next ',' or ' ') into val
 * and advances *pp past it. */
static int read_bracket_value(const char **pp, const char *spec, buf_t *val, err_t *err)
{
	const char *p = *pp;
	if (*p == '\'' || *p == '"') {
		const char *close = strchr(p + 1, *p);
		if (!close)
			return err_set(err, "bad MatchSpec '%s': unterminated quote in brackets",
				       spec);
		buf_add(val, p + 1, (size_t)(close - p - 1));
		p = close + 1;
		if (*p && *p != ',' && *p != ' ')
			return err_set(err,
				       "bad MatchSpec '%s': expected ',' after quoted value at "
				       "'%s'",
				       spec, p);
	} else {
		while (*p && *p != ',' && *p != ' ')
			buf_addch(val, *p++);
	}
	*pp = p;
	return 0;
}

/* Sets the field one bracket key names (val may be rewritten). */
static int set_bracket_field(matchspec_t *m, const char *key, buf_t *val, const char *spec,
			     err_t *err)
{
	if (strcmp(key, "version") == 0) {
		remove_spaces(val);
		set_field(&m->version, val->data);
	} else if (strcmp(key, "build") == 0 || strcmp(key, "build_string") == 0) {
		set_field(&m->build, val->data);
	} else if (strcmp(key, "build_number") == 0) {
		remove_spaces(val);
		set_field(&m->build_number, val->data);
	} else if (strcmp(key, "channel") == 0) {
		set_channel(m, val->data); /* as conda's Channel(): "chan/linux-64" splits */
	} else if (strcmp(key, "subdir") == 0) {
		set_field(&m->subdir, val->data);
	} else if (strcmp(key, "name") == 0) {
		set_field(&m->name, val->data);
	} else if (is_unsupported_conda_key(key)) {
		return err_set(err,
			       "bad MatchSpec '%s': bracket key '%s' is valid for conda but not "
			       "supported by imgbuild (use version, build, build_number, channel, "
			       "subdir)",
			       spec, key);
	} else {
		return err_set(err,
			       "bad MatchSpec '%s': unknown key '%s' in brackets (conda knows "
			       "version, "
			       "build, build_number, channel, subdir, name, ...)",
			       spec, key);
	}
	return 0;
}

/* Parses `key=value` pairs (comma and/or space separated, values optionally quoted) from
 * the inside of [...] into m; brackets override what was written outside, as in conda. */
static int parse_brackets(const char *s, const char *spec, matchspec_t *m, err_t *err)
{
	buf_t key = BUF_INIT, val = BUF_INIT;
	const char *p = s;
	int rc = -1;
	for (;;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (!*p)
			break;
		buf_reset(&key);
		buf_reset(&val);
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
			buf_addch(&key, *p++);
		while (*p == ' ')
			p++;
		if (!key.len || *p != '=') {
			err_set(err, "bad MatchSpec '%s': expected key=value in brackets at '%s'",
				spec, p);
			goto out;
		}
		p++;
		while (*p == ' ')
			p++;
		if (read_bracket_value(&p, spec, &val, err) != 0)
			goto out;
		trim_buf(&val);
		if (!val.len) {
			err_set(err, "bad MatchSpec '%s': key '%s' in brackets has no value", spec,
				key.data);
			goto out;
		}
		if (set_bracket_field(m, key.data, &val, spec, err) != 0)
			goto out;
	}
	rc = 0;
out:
	buf_free(&key);
	buf_free(&val);
	return rc;
}

/* Splits "channel[/subdir]" the way conda's Channel() does: a trailing known subdir is
 * taken off; "*" means any channel. */
static void set_channel(matchspec_t *m, const char *chan)
{
	const char *slash = strrchr(chan, '/');
	if (!*chan || strcmp(chan, "*") == 0) {
		set_field(&m->channel, NULL);
		return;
	}
	if (slash && pkgrec_subdir_is_known(slash + 1)) {
		free(m->channel);
		m->channel = dup_range(chan, (size_t)(slash - chan));
		set_field(&m->subdir, slash + 1);
		if (strcmp(m->channel, "*") == 0 || !*m->channel)
			set_field(&m->channel, NULL);
	} else {
		set_field(&m->channel, chan);
	}
}

/* Takes the [...] section off the end of s (in place) into brackets. */
static int cut_brackets(buf_t *s, buf_t *brackets, const char *spec, err_t *err)
{
	char *open = strchr(s->data, '[');
	char *close = strrchr(s->data, ']');
	if (!open && !close)
		return 0;
	if (!open)
		return err_set(err, "bad MatchSpec '%s': ']' without '['", spec);
	if (!close || close < open)
		return err_set(err, "bad MatchSpec '%s': unbalanced '[' (missing ']')", spec);
	if (close[1] != '\0')
		return err_set(err, "bad MatchSpec '%s': text after the closing ']'", spec);
	if (strchr(open + 1, '[') || memchr(open + 1, ']', (size_t)(close - open - 1)))
		return err_set(err, "bad MatchSpec '%s': multiple brackets sections not allowed",
			       spec);
	buf_add(brackets, open + 1, (size_t)(close - open - 1));
	buf_truncate(s, (size_t)(open - s->data));
	trim_buf(s);
	return 0;
}

/* Conda's steps 1–1.b and the forms imgbuild refuses outright. */
static int preprocess(buf_t *s, const char *spec, err_t *err)
{
	char *hash = strchr(s->data, '#');
	char *cond;
	size_t n;
	if (hash)
		buf_truncate(s, (size_t)(hash - s->data));
	cond = strstr(s->data, " if ");
	if (cond) /* conda ignores a trailing " if <condition>" (logs it at debug level) */
		buf_truncate(s, (size_t)(cond - s->data));
	trim_buf(s);
	n = s->len;
	if (n == 0)
		return err_set(err, "bad MatchSpec '%s': empty spec (no package name)", spec);
	if (s->data[n - 1] == '@')
		return err_set(err, "bad MatchSpec '%s': the 'feature@' form is not supported",
			       spec);
	if (ends_like_package_file(s->data))
		return err_set(err,
			       "bad MatchSpec '%s': explicit package files/URLs are not supported "
			       "as dependencies; list the package by name (and pin version/build)",
			       spec);
	return 0;
}

/* Everything outside the brackets: "[channel::]name[ version[ build]]" (s is modified). */
static int parse_outside_brackets(matchspec_t *m, buf_t *s, const char *spec, err_t *err)
{
	buf_t version = BUF_INIT, build = BUF_INIT;
	const char *rest = s->data, *name_end;
	char *colon = strrchr(s->data, ':');
	int rc = -1;

	/* conda: spec_str.rsplit(':', 2) — "chan::name", "chan:ns:name" and "ns:name" (the
	 * namespace is reserved and ignored); URLs keep their own colons. */
	if (colon) {
		char *second;
		*colon = '\0';
		second = strrchr(s->data, ':');
		if (second) {
			*second = '\0';
			set_channel(m, s->data);
		}
		rest = colon + 1;
	}
	while (isspace((unsigned char)*rest))
		rest++;
	/* conda step 6: the name runs up to the first of " =<>!~". */
	name_end = rest + strcspn(rest, " =<>!~\t");
	if (name_end == rest) {
		err_set(err, "bad MatchSpec '%s': no package name found", spec);
		goto out;
	}
	m->name = dup_range(rest, (size_t)(name_end - rest));
	rest = name_end;
	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest) {
		split_version_build(rest, &version, &build);
		translate_leading_equals(&version, build.len > 0);
		if (!version.len) {
			err_set(err, "bad MatchSpec '%s': empty version", spec);
			goto out;
		}
		/* "==1.2.3" keeps its "==" so the exactness stays visible; "*" is any version. */
		m->version = dup_str(version.data);
		if (build.len)
			m->build = dup_str(build.data);
	}
	rc = 0;
out:
	buf_free(&version);
	buf_free(&build);
	return rc;
}

/* The parts must make a spec that reads back the same (matchspec.h): what conda's reader would
 * cut off (a '#' comment, an " if " condition) or read as another form (a final '@', a package
 * file name) cannot be written. The checks above give the specific reasons; this is the
 * backstop for combinations of them (a version "if" followed by a build). */
static int writes_back(const matchspec_t *m, const char *spec, err_t *err)
{
	buf_t text = BUF_INIT;
	matchspec_to_string(m, &text);
	int bad = strchr(text.data, '#') || strstr(text.data, " if ") ||
		  text.data[text.len - 1] == '@' || ends_like_package_file(text.data);
	if (bad)
		err_set(err,
			"bad MatchSpec '%s': its parts cannot be written back as one MatchSpec "
			"('%s')",
			spec, text.data);
	buf_free(&text);
	return bad ? -1 : 0;
}

/* Checks the assembled parts (brackets may have replaced any of them). */
static int validate(matchspec_t *m, const char *spec, err_t *err)
{
	for (char *p = m->name; *p; p++) /* conda compares names lower-cased */
		*p = (char)tolower((unsigned char)*p);
	if (!*m->name)
		return err_set(err, "bad MatchSpec '%s': no package name found", spec);
	if (check_name(m->name, spec, err) < 0)
		return -1;
	if (m->version && check_version(m->version, spec, err) < 0)
		return -1;
	if (m->build && check_build(m->build, spec, err) < 0)
		return -1;
	if (m->build_number && matchspec_build_number_matches(m->build_number, 0) < 0)
		return err_set(
			err,
			"bad MatchSpec '%s': build_number '%s' is not a number or a comparison "
			"(use 3, >=3, <5, !=2, or several joined by ',')",
			spec, m->build_number);
	if (m->channel && strcmp(m->channel, "*") == 0)
		set_field(&m->channel, NULL);
	if (m->channel && check_channel(m->channel, spec, err) < 0)
		return -1;
	if (m->subdir && !pkgrec_subdir_ok(m->subdir))
		return err_set(err,
			       "bad MatchSpec '%s': subdir '%s' is not a conda platform (noarch, "
			       "linux-64, osx-arm64, ...)",
			       spec, m->subdir);
	if (ends_like_package_file(m->name) || (m->version && ends_like_package_file(m->version)) ||
	    (m->build && ends_like_package_file(m->build)))
		return err_set(err,
			       "bad MatchSpec '%s': a name, version or build ending in .conda or "
			       ".tar.bz2 reads as a package file",
			       spec);
	return writes_back(m, spec, err);
}

matchspec_t *matchspec_parse(const char *spec, err_t *err)
{
	matchspec_t *m = NULL;
	buf_t s = BUF_INIT, brackets = BUF_INIT;
	int ok = 0;

	if (!spec) {
		err_set(err, "bad MatchSpec: NULL");
		goto out;
	}
	buf_setstr(&s, spec);
	if (preprocess(&s, spec, err) < 0)
		goto out;
	m = xcalloc(1, sizeof *m);
	if (cut_brackets(&s, &brackets, spec, err) < 0)
		goto out;
	if (strchr(s.data, '(')) {
		err_set(err,
			"bad MatchSpec '%s': parenthesised options outside [...] are not "
			"supported; put a version expression in [version='...']",
			spec);
		goto out;
	}
	if (parse_outside_brackets(m, &s, spec, err) < 0)
		goto out;
	if (brackets.data && parse_brackets(brackets.data, spec, m, err) < 0)
		goto out;
	if (validate(m, spec, err) < 0)
		goto out;
	ok = 1;
out:
	if (!ok) {
		matchspec_free(m);
		m = NULL;
	}
	buf_free(&s);
	buf_free(&brackets);
	return m;
}

void matchspec_free(matchspec_t *m)
{
	if (!m)
		return;
	free(m->channel);
	free(m->subdir);
	free(m->name);
	free(m->version);
	free(m->build);
	free(m->build_number);
	free(m);
}

/* libsolv's pool_conda_matchspec strips a single leading '=' when a build follows (making
 * "=1.2" exact), while conda reads "=1.2" as "starts with 1.2" — so hand it "1.2.*". */
static void add_solv_version(buf_t *out, const char *v)
{
	if (v[0] == '=' && v[1] != '=') {
		size_t atom = strcspn(v + 1, ",|");
		buf_add(out, v + 1, atom);
		if (atom && v[atom] != '*')
			buf_addstr(out, ".*");
		buf_addstr(out, v + 1 + atom);
	} else {
		buf_addstr(out, v);
	}
}

void matchspec_to_solv(const matchspec_t *m, buf_t *out)
{
	int any_version = !m->version || strcmp(m->version, "*") == 0;
	buf_addstr(out, m->name);
	if (any_version && !m->build)
		return;
	buf_addch(out, ' ');
	if (any_version)
		buf_addch(out, '*');
	else
		add_solv_version(out, m->version);
	if (m->build) {
		buf_addch(out, ' ');
		buf_addstr(out, m->build);
	}
}

void matchspec_to_string(const matchspec_t *m, buf_t *out)
{
	/* conda reads parentheses outside [...] as options, so such versions go in brackets, and
	 * so do regular expressions (their characters would split the spec's parts). */
	int version_in_brackets = m->version && (strchr(m->version, '(') || m->version[0] == '^');
	/* "chan/sub::" splits off only a subdir conda knows; others go in brackets */
	int subdir_in_brackets = m->subdir && (!m->channel || !pkgrec_subdir_is_known(m->subdir));
	int has_brackets = version_in_brackets || m->build_number || subdir_in_brackets;
	const char *sep = "";
	if (m->channel) {
		buf_addstr(out, m->channel);
		if (m->subdir && !subdir_in_brackets) {
			buf_addch(out, '/');
			buf_addstr(out, m->subdir);
		}
		buf_addstr(out, "::");
	}
	buf_addstr(out, m->name);
	if (!version_in_brackets && (m->version || m->build)) {
		buf_addch(out, ' ');
		add_solv_version(out, m->version ? m->version : "*");
		if (m->build) {
			buf_addch(out, ' ');
			buf_addstr(out, m->build);
		}
	}
	if (!has_brackets)
		return;
	buf_addch(out, '[');
	if (subdir_in_brackets) {
		buf_addf(out, "subdir=%s", m->subdir);
		sep = ",";
	}
	if (version_in_brackets) {
		buf_addf(out, "%sversion='%s'", sep, m->version);
		sep = ",";
		if (m->build)
			buf_addf(out, ",build='%s'", m->build);
	}
	if (m->build_number)
		buf_addf(out, "%sbuild_number='%s'", sep, m->build_number);
	buf_addch(out, ']');
}

/* One "[op]N" term. */
static int build_number_term(const char *t, size_t len, long bn)
{
	char op[3] = "";
	size_t i = 0;
	while (i < len && i < 2 && strchr("<>=!", t[i])) {
		op[i] = t[i];
		i++;
	}
	op[i] = '\0';
	if (i == len || !isdigit((unsigned char)t[i]))
		return -1;
	long v = 0;
	for (; i < len; i++) {
		if (!isdigit((unsigned char)t[i]) || v > 100000000L)
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	if (!*op || !strcmp(op, "=") || !strcmp(op, "=="))
		return bn == v;
	if (!strcmp(op, "!="))
		return bn != v;
	if (!strcmp(op, ">="))
		return bn >= v;
	if (!strcmp(op, "<="))
		return bn <= v;
	if (!strcmp(op, ">"))
		return bn > v;
	if (!strcmp(op, "<"))
		return bn < v;
	return -1;
}

int matchspec_build_number_matches(const char *spec, long bn)
{
	/* '|' between ','-joined groups, as in version specs; blanks ignored */
	int any = 0, all = 1, saw_term = 0;
	char term[32];
	size_t n = 0;
	for (const char *p = spec;; p++) {
		if (*p == ' ')
			continue;
		if (*p == ',' || *p == '|' || !*p) {
			if (!n)
				return -1;
			int r = build_number_term(term, n, bn);
			if (r < 0)
				return -1;
			all &= r;
			saw_term = 1;
			n = 0;
			if (*p != ',') {
				any |= all;
				all = 1;
			}
			if (!*p)
				break;
			continue;
		}
		if (n + 1 >= sizeof term)
			return -1;
		term[n++] = *p;
	}
	return saw_term ? any : -1;
}
