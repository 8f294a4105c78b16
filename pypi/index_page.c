/* index_page.c — simple API project pages (see index_int.h). JSON (PEP 691) is read with
 * jansson. HTML (PEP 503) needs no general HTML parser: the specification's pages are a
 * list of <a> elements whose href, text and data-* attributes are the whole content (pip's
 * own parser also only collects anchors), so this scans for <a>, <base> and <meta> tags,
 * reads their attributes (quoted or not, with character references decoded) and the anchor
 * text. Input is capped by the caller (INDEX_MAX_PAGE_BYTES). */
#include "index_int.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pypi_int.h"
#include "pyurl.h"
#include "xalloc.h"

#define JSON_TYPE "application/vnd.pypi.simple.v1+json"
#define HTML_TYPE "application/vnd.pypi.simple.v1+html"

/* PEP 629: a client must refuse a major api-version it does not know. */
static int check_api_version(const index_sink_t *s, const char *version, err_t *err)
{
	if (version && strtol(version, NULL, 10) > 1)
		return err_set(err, "%s: simple API version %.20s (imgbuild reads 1.x)",
			       s->page_url, version);
	return 0;
}

/* ------------------------------------------------------------------ JSON */

/* "core-metadata" (PEP 714), else "dist-info-metadata" (PEP 658): true or {"sha256": ...}. */
static void json_metadata(json_t *file, index_link_t *l)
{
	json_t *m = json_object_get(file, "core-metadata");
	if (!m)
		m = json_object_get(file, "dist-info-metadata");
	l->has_metadata = json_is_true(m) || json_is_object(m);
	l->metadata_sha256 =
		json_is_object(m) ? json_string_value(json_object_get(m, "sha256")) : NULL;
}

static int parse_json(index_sink_t *s, const char *body, size_t len, err_t *err)
{
	json_error_t je;
	json_t *doc = json_loadb(body, len, 0, &je), *files, *file;
	size_t i;
	int r = -1;
	if (!json_is_object(doc)) {
		err_set(err, "%s: not a simple API JSON document: %s", s->page_url,
			doc ? "not an object" : je.text);
		goto out;
	}
	if (check_api_version(
		    s,
		    json_string_value(json_object_get(json_object_get(doc, "meta"), "api-version")),
		    err) < 0)
		goto out;
	if (!json_is_array(files = json_object_get(doc, "files"))) {
		err_set(err, "%s: no \"files\" list", s->page_url);
		goto out;
	}
	json_array_foreach (files, i, file) {
		json_t *y = json_object_get(file, "yanked"), *size = json_object_get(file, "size");
		index_link_t l = {0};
		l.filename = json_string_value(json_object_get(file, "filename"));
		l.href = json_string_value(json_object_get(file, "url"));
		if (!l.filename || !l.href) {
			err_set(err, "%s: file %zu has no filename or url", s->page_url, i);
			goto out;
		}
		l.sha256 = json_string_value(
			json_object_get(json_object_get(file, "hashes"), "sha256"));
		l.requires_python = json_string_value(json_object_get(file, "requires-python"));
		l.yanked = json_is_true(y) || json_is_string(y);
		l.yank_reason = json_string_value(y);
		json_metadata(file, &l);
		l.size = json_is_integer(size) ? (long long)json_integer_value(size) : -1;
		index_add_link(s, &l);
	}
	r = 0;
out:
	json_decref(doc);
	return r;
}

/* ------------------------------------------------------------------ HTML */

/* Appends text[0..len) with character references (&amp; &lt; &gt; &quot; &apos; &#N;
 * &#xN;) decoded, as UTF-8. */
static void add_decoded(buf_t *out, const char *text, size_t len)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
	for (size_t i = 0; i < len; i++) {
		size_t k, rest = len - i - 1;
		if (text[i] != '&') {
			buf_addch(out, text[i]);
			continue;
		}
		for (k = 0; k < sizeof named / sizeof named[0]; k++)
			if (rest >= strlen(named[k].name) &&
			    !strncmp(text + i + 1, named[k].name, strlen(named[k].name)))
				break;
		if (k < sizeof named / sizeof named[0]) {
			buf_addch(out, named[k].c);
			i += strlen(named[k].name);
			continue;
		}
		char *end;
		int hex = rest > 1 && text[i + 1] == '#' &&
			  (text[i + 2] == 'x' || text[i + 2] == 'X');
		unsigned long cp = rest > 1 && text[i + 1] == '#'
					   ? strtoul(text + i + 2 + hex, &end, hex ? 16 : 10)
					   : 0;
		if (!cp || cp > 0x10FFFF || (size_t)(end - text) >= len || *end != ';') {
			buf_addch(out, '&');
			continue;
		}
		if (cp < 0x80) {
			buf_addch(out, (char)cp);
		} else if (cp < 0x800) {
			buf_addch(out, (char)(0xC0 | (cp >> 6)));
			buf_addch(out, (char)(0x80 | (cp & 0x3F)));
		} else if (cp < 0x10000) {
			buf_addch(out, (char)(0xE0 | (cp >> 12)));
			buf_addch(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
			buf_addch(out, (char)(0x80 | (cp & 0x3F)));
		} else {
			buf_addch(out, (char)(0xF0 | (cp >> 18)));
			buf_addch(out, (char)(0x80 | ((cp >> 12) & 0x3F)));
			buf_addch(out, (char)(0x80 | ((cp >> 6) & 0x3F)));
			buf_addch(out, (char)(0x80 | (cp & 0x3F)));
		}
		i = (size_t)(end - text);
	}
}

#define MAX_ATTRS 16

typedef struct tag {
	char name[8];
	size_t n;
	buf_t key[MAX_ATTRS], value[MAX_ATTRS];
	int has_value[MAX_ATTRS];
} tag_t;

static const char *attr(const tag_t *t, const char *key, int *present)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcasecmp(buf_cstr(&t->key[i]), key)) {
			if (present)
				*present = 1;
			return buf_cstr(&t->value[i]);
		}
	if (present)
		*present = 0;
	return NULL;
}

/* Reads the attributes of a tag from p (just after its name) to '>'; returns past it. */
static const char *read_attrs(const char *p, const char *end, tag_t *t)
{
	while (p < end && *p != '>') {
		if (isspace((unsigned char)*p) || *p == '/') {
			p++;
			continue;
		}
		const char *k = p;
		while (p < end && !isspace((unsigned char)*p) && *p != '=' && *p != '>')
			p++;
		size_t slot =
			t->n < MAX_ATTRS ? t->n++ : MAX_ATTRS - 1; /* extra attributes overwrite */
		buf_reset(&t->key[slot]);
		buf_reset(&t->value[slot]);
		buf_add(&t->key[slot], k, (size_t)(p - k));
		while (p < end && isspace((unsigned char)*p))
			p++;
		t->has_value[slot] = p < end && *p == '=';
		if (!t->has_value[slot])
			continue;
		for (p++; p < end && isspace((unsigned char)*p); p++)
			;
		char q = p < end && (*p == '"' || *p == '\'') ? *p++ : 0;
		const char *v = p;
		while (p < end && (q ? *p != q : !isspace((unsigned char)*p) && *p != '>'))
			p++;
		add_decoded(&t->value[slot], v, (size_t)(p - v));
		if (q && p < end)
			p++;
	}
	return p < end ? p + 1 : end;
}

/* One anchor: href, text and the data-* attributes of PEP 503, 592, 658 and 714. */
static void html_anchor(index_sink_t *s, const tag_t *t, const char *text, size_t len,
			const char *base)
{
	buf_t name = BUF_INIT, href = BUF_INIT;
	index_link_t l = {0};
	int present;
	const char *h = attr(t, "href", NULL), *m;
	if (!h)
		return;
	add_decoded(&name, text, len);
	size_t nl = name.len;
	const char *trimmed = pypi_trim(name.data ? name.data : "", &nl);
	char *fname = nl ? xstrndup(trimmed, nl) : NULL;
	pypi_url_join(base, h, &href);
	l.filename = fname;
	l.href = buf_cstr(&href);
	l.requires_python = attr(t, "data-requires-python", NULL);
	l.yank_reason = attr(t, "data-yanked", &present);
	l.yanked = present;
	if (l.yank_reason && !*l.yank_reason)
		l.yank_reason = NULL;
	if (!(m = attr(t, "data-core-metadata", &present)))
		m = attr(t, "data-dist-info-metadata", &present);
	l.has_metadata = present && strcasecmp(m, "false");
	l.metadata_sha256 = present && !strncmp(m, "sha256=", 7) ? m + 7 : NULL;
	l.size = -1;
	index_add_link(s, &l);
	free(fname);
	buf_free(&name);
	buf_free(&href);
}

static int html_meta(index_sink_t *s, const tag_t *t, err_t *err)
{
	const char *name = attr(t, "name", NULL);
	if (name && !strcasecmp(name, "pypi:repository-version"))
		return check_api_version(s, attr(t, "content", NULL), err);
	return 0;
}

int index_parse_html(index_sink_t *s, const char *body, size_t len, err_t *err)
{
	const char *p = body, *end = body + len;
	buf_t base = BUF_INIT;
	tag_t t;
	int r = 0;
	memset(&t, 0, sizeof t);
	buf_setstr(&base, s->page_url);
	while (r == 0 && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if (end - p >= 4 && !memcmp(p, "<!--", 4)) {
			const char *c = strstr(p + 4, "-->"); /* body is NUL-terminated (buf_t) */
			p = c && c < end ? c + 3 : end;
			continue;
		}
		size_t nlen = 0;
		while (p + 1 + nlen < end && isalpha((unsigned char)p[1 + nlen]) && nlen < 7)
			nlen++;
		memset(t.name, 0, sizeof t.name);
		memcpy(t.name, p + 1, nlen);
		t.n = 0;
		p = read_attrs(p + 1 + nlen, end, &t);
		if (!strcasecmp(t.name, "a")) {
			const char *close = strstr(p, "</");
			size_t tl = close && close < end ? (size_t)(close - p) : 0;
			html_anchor(s, &t, p, tl, buf_cstr(&base));
		} else if (!strcasecmp(t.name, "base") && attr(&t, "href", NULL)) {
			buf_t joined = BUF_INIT;
			pypi_url_join(s->page_url, attr(&t, "href", NULL), &joined);
			buf_setstr(&base, buf_cstr(&joined));
			buf_free(&joined);
		} else if (!strcasecmp(t.name, "meta")) {
			r = html_meta(s, &t, err);
		}
	}
	for (size_t i = 0; i < MAX_ATTRS; i++) {
		buf_free(&t.key[i]);
		buf_free(&t.value[i]);
	}
	buf_free(&base);
	return r;
}

int index_parse_page(index_sink_t *s, const char *content_type, const char *body, size_t len,
		     err_t *err)
{
	size_t n = strcspn(content_type, ";");
	while (n && isspace((unsigned char)content_type[n - 1]))
		n--;
	if (n == strlen(JSON_TYPE) && !strncasecmp(content_type, JSON_TYPE, n))
		return parse_json(s, body, len, err);
	if ((n == strlen(HTML_TYPE) && !strncasecmp(content_type, HTML_TYPE, n)) ||
	    (n == 9 && !strncasecmp(content_type, "text/html", 9)))
		return index_parse_html(s, body, len, err);
	return err_set(err, "%s: unexpected content type '%.100s' for a simple API page",
		       s->page_url, content_type);
}
