/* http_url.c — URL and header helpers of the HTTP policy (see http.h): origins, as the web
 * and Docker scope credentials by them, and the rule that keeps a channel's records on the
 * channel's own scheme and host (docs/security.md, "Network and credentials"). Parsing is
 * libcurl's (CURLU), so what we compare is what libcurl will connect to. */
#include "http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

typedef struct origin {
	char *scheme, *host; /* libcurl strings (curl_free); host NULL for file:// */
	long port;           /* explicit or the scheme's default; 0 when none */
} origin_t;

static void origin_free(origin_t *o)
{
	curl_free(o->scheme);
	curl_free(o->host);
}

static int origin_parse(const char *url, origin_t *o)
{
	CURLU *u = xcheck(curl_url());
	char *port = NULL;
	int rc = -1;
	memset(o, 0, sizeof *o);
	if (!url || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_HOST, &o->host, 0) != CURLUE_OK)
		o->host = NULL; /* file:///path */
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		o->port = strtol(port, NULL, 10);
	rc = 0;
out:
	curl_free(port);
	curl_url_cleanup(u);
	if (rc)
		origin_free(o);
	return rc;
}

static int same_host(const origin_t *a, const origin_t *b)
{
	if (!a->host || !b->host)
		return !a->host && !b->host;
	return !strcasecmp(a->host, b->host);
}

int http_same_origin(const char *a, const char *b)
{
	origin_t x, y;
	int same = 0;
	if (origin_parse(a, &x) != 0)
		return 0;
	if (origin_parse(b, &y) == 0) {
		same = !strcasecmp(x.scheme, y.scheme) && same_host(&x, &y) && x.port == y.port;
		origin_free(&y);
	}
	origin_free(&x);
	return same;
}

int http_url_authority(const char *url, buf_t *out)
{
	CURLU *u = xcheck(curl_url());
	char *host = NULL, *port = NULL;
	int rc = -1;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		buf_setstr(out, host);
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
			buf_addf(out, ":%s", port);
		rc = 0;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* url's place against one base: the same scheme (or https where the base says http: an
 * upgrade is no escape) and the same host; the port must match unless the scheme changed. */
static int stays_on_one(const origin_t *url, const char *base)
{
	origin_t b;
	int ok = 0;
	if (origin_parse(base, &b) != 0)
		return 0;
	int same_scheme = !strcasecmp(url->scheme, b.scheme);
	int upgrade = !strcasecmp(b.scheme, "http") && !strcasecmp(url->scheme, "https");
	if ((same_scheme || upgrade) && same_host(url, &b))
		ok = upgrade ? 1 : url->port == b.port;
	origin_free(&b);
	return ok;
}

int http_url_stays_on(const char *url, const char *channel_url, const char *const *mirrors,
		      size_t n_mirrors)
{
	origin_t u;
	int ok;
	if (origin_parse(url, &u) != 0)
		return 0;
	ok = stays_on_one(&u, channel_url);
	for (size_t i = 0; !ok && i < n_mirrors; i++)
		ok = mirrors[i] && stays_on_one(&u, mirrors[i]);
	origin_free(&u);
	return ok;
}

int http_header_value(const char *line, size_t len, const char *name, buf_t *out)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return 0;
	const char *v = line + nl + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	buf_reset(out);
	buf_add(out, v, (size_t)(end - v));
	return 1;
}
