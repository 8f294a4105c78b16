/* req.c — PEP 508 dependency specifications (see req.h). The grammar, read left to right:
 *   name [extras] (versionspec | "@" url) [";" marker]
 * A URL runs to the next white space (it may itself hold ";"), so a marker after a URL needs
 * white space before its ";", as the specification says. */
#include "req.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pypi_int.h"
#include "pyname.h"
#include "xalloc.h"

#define REQ_MAX_TEXT 8192
#define REQ_MAX_EXTRAS 64

struct pypi_req {
	char *name, *key, *url, *str;
	pypi_strv_t extras;
	pep440_spec_t *spec;
	pypi_marker_t *marker;
};

static int bad(const char *s, err_t *err, const char *why)
{
	return err_set(err, "invalid requirement '%.300s': %s", s, why);
}

static size_t skip_ws(const char *s, size_t i)
{
	while (s[i] && pypi_is_space(s[i]))
		i++;
	return i;
}

static int parse_extras(pypi_req_t *r, const char *s, size_t *i, err_t *err)
{
	const char *close = strchr(s + *i, ']');
	size_t inner;
	const char *p;
	buf_t norm = BUF_INIT;
	if (!close)
		return bad(s, err, "'[' without ']'");
	inner = (size_t)(close - (s + *i + 1));
	p = pypi_trim(s + *i + 1, &inner); /* "name[]" is no extras */
	while (inner > 0) {
		const char *comma = memchr(p, ',', inner);
		size_t len = comma ? (size_t)(comma - p) : inner;
		const char *name = pypi_trim(p, &len);
		if (!pypi_name_is_valid(name, len) || r->extras.n == REQ_MAX_EXTRAS) {
			buf_free(&norm);
			return bad(s, err,
				   len ? "an extra name must be letters, digits, '-', '_' or '.'"
				       : "empty extra name");
		}
		pypi_name_normalize(name, len, &norm);
		if (!pypi_strv_contains(&r->extras, buf_cstr(&norm)))
			pypi_strv_add(&r->extras, buf_cstr(&norm));
		if (!comma)
			break;
		inner -= (size_t)(comma + 1 - p);
		p = comma + 1;
		if (inner == 0) {
			buf_free(&norm);
			return bad(s, err, "empty extra name");
		}
	}
	buf_free(&norm);
	pypi_strv_sort(&r->extras);
	*i = (size_t)(close - s) + 1;
	return 0;
}

/* A version specifier, possibly in parentheses, up to ";" or the end. */
static int parse_versionspec(pypi_req_t *r, const char *s, size_t *i, err_t *err)
{
	size_t start = *i, len = strcspn(s + start, ";");
	char *text;
	if (s[start] == '(') {
		const char *close = strchr(s + start, ')');
		if (!close)
			return bad(s, err, "'(' without ')'");
		text = xstrndup(s + start + 1, (size_t)(close - s) - start - 1);
		*i = skip_ws(s, (size_t)(close - s) + 1);
		if (s[*i] && s[*i] != ';') {
			free(text);
			return bad(s, err, "unexpected text after ')'");
		}
	} else {
		text = xstrndup(s + start, len);
		*i = start + len;
	}
	r->spec = pep440_spec_parse(text, err);
	free(text);
	return r->spec ? 0 : err_prefix(err, "invalid requirement '%.300s'", s);
}

static int parse_url(pypi_req_t *r, const char *s, size_t *i, err_t *err)
{
	size_t start = skip_ws(s, *i + 1), len = 0;
	while (s[start + len] && !pypi_is_space(s[start + len]))
		len++;
	if (len == 0)
		return bad(s, err, "'@' without a URL");
	if (!memchr(s + start, ':', len))
		return bad(s, err, "the text after '@' is not a URL (scheme://...)");
	r->url = xstrndup(s + start, len);
	*i = skip_ws(s, start + len);
	if (s[*i] && s[*i] != ';')
		return bad(s, err,
			   memchr(s + start, ';', len)
				   ? "a marker after a URL needs white space before ';'"
				   : "unexpected text after the URL");
	if (s[*i] == ';' && !pypi_is_space(s[*i - 1]))
		return bad(s, err, "a marker after a URL needs white space before ';'");
	return 0;
}

static void format_req(pypi_req_t *r)
{
	buf_t b = BUF_INIT;
	buf_addstr(&b, r->name);
	for (size_t k = 0; k < r->extras.n; k++)
		buf_addf(&b, "%s%s", k ? "," : "[", r->extras.v[k]);
	buf_addstr(&b, r->extras.n ? "]" : "");
	if (r->url)
		buf_addf(&b, " @ %s%s", r->url, r->marker ? " " : "");
	else
		buf_addstr(&b, pep440_spec_str(r->spec));
	if (r->marker)
		buf_addf(&b, "; %s", pypi_marker_str(r->marker));
	r->str = buf_detach(&b);
}

static void set_name(pypi_req_t *r, const char *name, size_t len)
{
	buf_t key = BUF_INIT;
	r->name = xstrndup(name, len);
	pypi_name_normalize(name, len, &key);
	r->key = buf_detach(&key);
}

static int parse_all(pypi_req_t *r, const char *s, err_t *err)
{
	size_t i = skip_ws(s, 0), n = 0;
	while (s[i + n] &&
	       strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
		      s[i + n]))
		n++;
	if (!pypi_name_is_valid(s + i, n))
		return bad(s, err,
			   "a project name must start and end with a letter or digit and hold "
			   "only letters, digits, '-', '_' and '.'");
	set_name(r, s + i, n);
	i = skip_ws(s, i + n);
	if (s[i] == '[' && parse_extras(r, s, &i, err) < 0)
		return -1;
	i = skip_ws(s, i);
	if (s[i] == '@') {
		if (parse_url(r, s, &i, err) < 0)
			return -1;
		r->spec = pep440_spec_parse("", NULL);
	} else if (parse_versionspec(r, s, &i, err) < 0) {
		return -1;
	}
	if (s[i] == ';') {
		size_t len = strlen(s + i + 1);
		const char *m = pypi_trim(s + i + 1, &len);
		if (len == 0)
			return bad(s, err, "';' without a marker");
		if (!(r->marker = pypi_marker_parse(m, err)))
			return err_prefix(err, "invalid requirement '%.300s'", s);
	} else if (s[i]) {
		return bad(s, err, "unexpected text");
	}
	return 0;
}

pypi_req_t *pypi_req_parse(const char *s, err_t *err)
{
	pypi_req_t *r = xcalloc(1, sizeof *r);
	if (strlen(s) > REQ_MAX_TEXT) {
		err_set(err, "requirement longer than %d bytes: '%.100s...'", REQ_MAX_TEXT, s);
		goto fail;
	}
	if (parse_all(r, s, err) < 0)
		goto fail;
	format_req(r);
	return r;
fail:
	pypi_req_free(r);
	return NULL;
}

pypi_req_t *pypi_req_new(const char *name, const char *const *extras, size_t n_extras,
			 const pep440_spec_t *spec, const char *url)
{
	pypi_req_t *r = xcalloc(1, sizeof *r);
	buf_t norm = BUF_INIT;
	set_name(r, name, strlen(name));
	for (size_t i = 0; i < n_extras; i++) {
		pypi_name_normalize(extras[i], strlen(extras[i]), &norm);
		if (!pypi_strv_contains(&r->extras, buf_cstr(&norm)))
			pypi_strv_add(&r->extras, buf_cstr(&norm));
	}
	buf_free(&norm);
	pypi_strv_sort(&r->extras);
	r->spec = spec ? pep440_spec_dup(spec) : pep440_spec_parse("", NULL);
	r->url = xstrdup(url);
	format_req(r);
	return r;
}

pypi_req_t *pypi_req_dup(const pypi_req_t *r)
{
	err_t err = ERR_INIT;
	pypi_req_t *d = pypi_req_parse(r->str, &err);
	err_clear(&err);
	return d; /* the normal form always parses again */
}

void pypi_req_free(pypi_req_t *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->key);
	free(r->url);
	free(r->str);
	pypi_strv_free(&r->extras);
	pep440_spec_free(r->spec);
	pypi_marker_free(r->marker);
	free(r);
}

const char *pypi_req_name(const pypi_req_t *r)
{
	return r->name;
}

const char *pypi_req_key(const pypi_req_t *r)
{
	return r->key;
}

size_t pypi_req_extra_count(const pypi_req_t *r)
{
	return r->extras.n;
}

const char *pypi_req_extra(const pypi_req_t *r, size_t i)
{
	return r->extras.v[i];
}

const pep440_spec_t *pypi_req_spec(const pypi_req_t *r)
{
	return r->spec;
}

const char *pypi_req_url(const pypi_req_t *r)
{
	return r->url;
}

const pypi_marker_t *pypi_req_marker(const pypi_req_t *r)
{
	return r->marker;
}

const char *pypi_req_str(const pypi_req_t *r)
{
	return r->str;
}

int pypi_req_applies(const pypi_req_t *r, const pypi_marker_env_t *env, const char *extra,
		     err_t *err)
{
	if (!r->marker)
		return 1;
	int v = pypi_marker_eval(r->marker, env, extra, err);
	return v < 0 ? err_prefix(err, "requirement '%s'", r->str) : v;
}
