/* pyurl.c — URL joining, fragments and file:// paths (see pyurl.h). */
#include "pyurl.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

/* Length of "scheme:" at the start of s (0 when s does not start with a scheme). */
static size_t scheme_len(const char *s)
{
	size_t i = 0;
	if (!isalpha((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return s[i] == ':' ? i + 1 : 0;
}

int pypi_url_scheme(const char *url, buf_t *out)
{
	size_t n = scheme_len(url);
	buf_reset(out);
	if (!n)
		return -1;
	for (size_t i = 0; i + 1 < n; i++)
		buf_addch(out, (char)tolower((unsigned char)url[i]));
	return 0;
}

/* Appends path to out with "." and ".." segments removed (RFC 3986 §5.2.4). */
static void add_without_dot_segments(buf_t *out, const char *path, size_t len)
{
	size_t root = out->len;
	for (size_t i = 0; i < len;) {
		size_t seg = i + 1;
		while (seg < len && path[seg] != '/')
			seg++;
		/* path[i] is '/', the segment is path[i+1..seg) */
		size_t n = seg - i - 1;
		if (n == 1 && path[i + 1] == '.') {
			if (seg == len)
				buf_addch(out, '/');
		} else if (n == 2 && path[i + 1] == '.' && path[i + 2] == '.') {
			while (out->len > root && out->data[out->len - 1] != '/')
				out->len--;
			if (out->len > root)
				out->len--;
			out->data[out->len] = 0;
			if (seg == len)
				buf_addch(out, '/');
		} else {
			buf_add(out, path + i, seg - i);
		}
		i = seg;
	}
}

void pypi_url_join(const char *base, const char *ref, buf_t *out)
{
	size_t sl = scheme_len(base), auth_end, path_end;
	buf_reset(out);
	if (scheme_len(ref) || !sl) {
		buf_addstr(out, ref);
		return;
	}
	if (ref[0] == '/' && ref[1] == '/') {
		buf_add(out, base, sl);
		buf_addstr(out, ref);
		return;
	}
	auth_end = sl;
	if (base[sl] == '/' && base[sl + 1] == '/')
		auth_end = sl + 2 + strcspn(base + sl + 2, "/?#");
	path_end = auth_end + strcspn(base + auth_end, "?#");
	buf_add(out, base, auth_end);
	if (ref[0] == '#' || ref[0] == '?' || ref[0] == 0) {
		buf_add(out, base + auth_end, path_end - auth_end);
		buf_addstr(out, ref);
		return;
	}
	size_t ref_path = strcspn(ref, "?#");
	buf_t path = BUF_INIT;
	if (ref[0] == '/') {
		buf_add(&path, ref, ref_path);
	} else {
		size_t dir = path_end;
		while (dir > auth_end && base[dir - 1] != '/')
			dir--;
		if (dir == auth_end)
			buf_addch(&path, '/');
		else
			buf_add(&path, base + auth_end, dir - auth_end);
		buf_add(&path, ref, ref_path);
	}
	add_without_dot_segments(out, path.data, path.len);
	buf_addstr(out, ref + ref_path);
	buf_free(&path);
}

const char *pypi_url_split_fragment(const char *url, buf_t *out)
{
	const char *hash = strchr(url, '#');
	buf_reset(out);
	buf_add(out, url, hash ? (size_t)(hash - url) : strlen(url));
	return hash ? hash + 1 : NULL;
}

static int hex_value(char c)
{
	if (isdigit((unsigned char)c))
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..len) into out; -1 on an encoded NUL. */
static int add_decoded(buf_t *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < len && (hi = hex_value(s[i + 1])) >= 0 &&
		    (lo = hex_value(s[i + 2])) >= 0) {
			if (hi == 0 && lo == 0)
				return -1;
			buf_addch(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			buf_addch(out, s[i]);
		}
	}
	return 0;
}

void pypi_url_basename(const char *url, buf_t *out)
{
	size_t end = strcspn(url, "?#"), start = end;
	while (start > 0 && url[start - 1] != '/')
		start--;
	buf_reset(out);
	if (add_decoded(out, url + start, end - start) < 0)
		buf_reset(out);
}

void pypi_url_from_path(const char *abs_path, buf_t *out)
{
	buf_setstr(out, "file://");
	for (const unsigned char *p = (const unsigned char *)abs_path; *p; p++) {
		if (isalnum(*p) || strchr("/-._~+", *p))
			buf_addch(out, (char)*p);
		else
			buf_addf(out, "%%%02X", *p);
	}
}

int pypi_url_to_path(const char *url, buf_t *out)
{
	const char *p;
	size_t len;
	buf_reset(out);
	if (strncasecmp(url, "file://", 7))
		return -1;
	p = url + 7;
	if (!strncasecmp(p, "localhost/", 10))
		p += 9;
	if (*p != '/')
		return -1;
	len = strcspn(p, "?#");
	return add_decoded(out, p, len);
}

void pypi_path_clean(const char *abs_path, buf_t *out)
{
	buf_reset(out);
	for (const char *p = abs_path; *p;) {
		size_t n;
		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (out->len && out->data[out->len - 1] != '/')
				out->len--;
			if (out->len)
				out->len--;
			out->data[out->len] = 0;
		} else {
			buf_addch(out, '/');
			buf_add(out, p, n);
		}
		p += n;
	}
	if (!out->len)
		buf_addch(out, '/');
}
