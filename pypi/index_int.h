/* index_int.h — the parts of the index client (index.c) in their own files: reading simple
 * API pages (index_page.c: PEP 691 JSON, PEP 503 HTML) and downloads with the cache
 * (index_dl.c). Private to pypi/. */
#ifndef IMGBUILD_INDEX_INT_H
#define IMGBUILD_INDEX_INT_H

#include "index.h"

#define INDEX_MAX_PAGE_BYTES (64u << 20)
#define INDEX_MAX_METADATA_BYTES (16u << 20)
#define INDEX_ACCEPT                                                                               \
	"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "         \
	"text/html;q=0.01"

/* A link as a page gives it, before it is resolved and checked (strings borrowed). */
typedef struct index_link {
	const char *filename; /* NULL: the URL's last path segment */
	const char *href;
	const char *sha256; /* NULL: the URL's #sha256= fragment, if any */
	const char *requires_python;
	int yanked;
	const char *yank_reason;
	int has_metadata;
	const char *metadata_sha256;
	long long size;
} index_link_t;

/* Where a page's links go: every file is kept in ix (which owns it) and, when it belongs to
 * the project asked for (key, or any project when key is NULL), appended to the list. */
typedef struct index_sink {
	pypi_index_t *ix;
	const char *page_url; /* the final URL: links resolve against it */
	const char *source;
	const char *key;
	const pypi_file_t ***files; /* the list being built */
	size_t *n;
} index_sink_t;

/* Resolves and checks l, then adds it to the sink (links that are not wheels or sdists, or
 * of another project, or on a scheme the page may not link to, are skipped as pip does). */
void index_add_link(index_sink_t *s, const index_link_t *l);

/* Reads a page: JSON (PEP 691) or HTML (PEP 503), as content_type says. -1 + err naming
 * url when it is malformed or of an api-version this client does not read. */
int index_parse_page(index_sink_t *s, const char *content_type, const char *body, size_t len,
		     err_t *err);
int index_parse_html(index_sink_t *s, const char *body, size_t len, err_t *err);

/* Fetches url into body (at most max bytes). Returns like pypi_fetch_fn. */
int index_fetch_buf(pypi_index_t *ix, const char *url, const char *accept, size_t max, buf_t *body,
		    pypi_fetch_resp_t *resp, err_t *err);

/* <cache_dir>/pypi/<kind>[/<hex>]. */
void index_cache_path(const pypi_index_t *ix, const char *kind, const char *hex, buf_t *out);

/* The options (borrowed by the index). */
const pypi_index_opts_t *index_opts(const pypi_index_t *ix);

#endif
