/* pyfetch.h — how pypi/ gets bytes: one small interface the index client calls for every
 * page, metadata file and wheel, so the caller binds it to its HTTP client (pypi_fetch_http:
 * common/http, the build's shared client) and to local files. The
 * body streams into a sink, so a 2 GB wheel is never held in memory. */
#ifndef IMGBUILD_PYFETCH_H
#define IMGBUILD_PYFETCH_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Receives the body in pieces; returns 0, or -1 (with err set) to stop the transfer. */
typedef int (*pypi_sink_fn)(void *ud, const void *data, size_t len, err_t *err);

typedef struct pypi_fetch_req {
	const char *url;
	const char *accept; /* the Accept header, or NULL */
	pypi_sink_fn sink;
	void *sink_ud;
} pypi_fetch_req_t;

typedef struct pypi_fetch_resp {
	buf_t content_type; /* the response's Content-Type ("" when none) */
	buf_t final_url;    /* the URL after redirects: relative links resolve against it */
} pypi_fetch_resp_t;

#define PYPI_FETCH_NOT_FOUND 1

/* Fetches req->url: 0 on success, PYPI_FETCH_NOT_FOUND for HTTP 404/410 or a missing file
 * (a project an index does not have), -1 + err naming the URL and what failed otherwise. */
typedef int (*pypi_fetch_fn)(void *ud, const pypi_fetch_req_t *req, pypi_fetch_resp_t *resp,
			     err_t *err);

typedef struct pypi_fetcher {
	pypi_fetch_fn fetch;
	void *ud;
} pypi_fetcher_t;

/* file:// URLs. A directory answers as a static simple index does: its index.json (content
 * type application/vnd.pypi.simple.v1+json) when req->accept names that type and the file
 * exists, else its index.html (text/html); a missing file or directory is NOT_FOUND. ud is
 * unused. */
int pypi_fetch_file(void *ud, const pypi_fetch_req_t *req, pypi_fetch_resp_t *resp, err_t *err);

/* http(s):// through the shared HTTP client (common/http.h: its CA, proxies, timeouts,
 * redirects that never leave https, retries of transient failures while no body byte has
 * reached the sink), file:// through pypi_fetch_file. ud is the http_client_t (borrowed;
 * NULL: a client with the defaults for this one request). */
int pypi_fetch_http(void *ud, const pypi_fetch_req_t *req, pypi_fetch_resp_t *resp, err_t *err);

#endif
