/* http.h — the one HTTP policy for everything imgbuild downloads or uploads (channels, shards,
 * packages, registries), over libcurl:
 *  - user agent "imgbuild/<VERSION>" (version.h); libcurl initialised once (pthread_once);
 *  - connect timeout 30 s; a transfer slower than IMGBUILD_HTTP_LOW_SPEED_LIMIT bytes/s
 *    (default 1024) for IMGBUILD_HTTP_LOW_SPEED_TIME seconds (default 60) is aborted;
 *  - 408/429/5xx (not 501/505) and connection failures/resets/timeouts are retried, at most
 *    max_attempts in all, after backoff_ms doubled per retry (capped at 8 s) or what the
 *    server's Retry-After says (capped at 30 s);
 *  - TLS verified against the system CAs plus one extra PEM CA file: opts.ca_cert, else the
 *    first of $SSL_CERT_FILE, $REQUESTS_CA_BUNDLE, $CURL_CA_BUNDLE that is set (added to the
 *    system CAs, never replacing them);
 *  - proxies from the environment as libcurl reads them (https_proxy/HTTPS_PROXY,
 *    http_proxy, all_proxy/ALL_PROXY, no_proxy/NO_PROXY; lower case first), plus upper-case
 *    HTTP_PROXY for http:// URLs when http_proxy is unset;
 *  - redirects, where followed, never go from https to anything else.
 * The client is immutable after http_client_new: share it between threads. */
#ifndef IMGBUILD_HTTP_H
#define IMGBUILD_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "err.h"

typedef struct http_client http_client_t;

typedef struct http_opts {
	const char *ca_cert; /* extra PEM CA file trusted besides the system's, or NULL (env) */
	int max_attempts;    /* per request, including the first; 0 = 5 */
	long backoff_ms;     /* first retry delay; 0 = 300 */
} http_opts_t;

/* opts may be NULL (all defaults). Fails, naming the file or variable, when the CA file cannot
 * be read or an IMGBUILD_HTTP_* variable is not a positive number. Caller frees. */
http_client_t *http_client_new(const http_opts_t *opts, err_t *err);
void http_client_free(http_client_t *c);
int http_client_max_attempts(const http_client_t *c);
/* The wait before retry `attempt` (1-based) on this client's schedule; retry_after may be
 * NULL. */
long http_client_retry_delay_ms(const http_client_t *c, int attempt, const char *retry_after);

/* Flags for http_client_setup. */
#define HTTP_ALLOW_FILE 1u /* file:// as well as http:// and https:// */
#define HTTP_FOLLOW 2u     /* follow redirects (at most 10) */

/* Sets url and the whole policy (user agent, timeouts, low-speed abort, CA, protocols,
 * redirects, proxy) on an easy handle, after curl_easy_reset or on a fresh one; the caller
 * adds its callbacks, method and headers. For handles run in a curl multi as well. */
void http_client_setup(const http_client_t *c, CURL *curl, const char *url, unsigned flags);

/* For write callbacks: 1 when the answer now arriving on curl is the document (a 2xx, or a
 * file:// read), 0 for an error page or a redirect's body, which callers do not store. */
int http_answer_is_document(CURL *curl);

/* ---- retry policy (pure) ---- */

/* 1 for statuses worth retrying: 408, 429, 5xx except 501 and 505. */
int http_status_is_transient(long status);
/* 1 for transport errors worth retrying: refused/reset connections, timeouts, partial bodies. */
int http_curl_is_transient(CURLcode rc);
/* The wait before retry `attempt` (1-based): first_ms doubled per attempt up to 8 s, or what
 * retry_after (RFC 9110 delta-seconds or HTTP-date, relative to now; NULL = none) says, up to
 * 30 s. An unreadable Retry-After keeps the schedule. */
long http_backoff_delay_ms(long first_ms, int attempt, const char *retry_after, time_t now);
void http_sleep_ms(long ms);

/* ---- messages ---- */

/* Appends what went wrong in a transfer that ended with rc (errbuf: libcurl's error buffer,
 * may be empty) to out; for an untrusted certificate it says so and how to fix it, and
 * *hint (may be NULL) becomes ERR_HINT_TLS_UNTRUSTED. */
void http_describe_error(CURLcode rc, const char *errbuf, buf_t *out, int *hint);

/* ---- URLs and headers (pure) ---- */

/* 1 when a and b have the same scheme, host (case-insensitive) and port (default ports
 * filled in). */
int http_same_origin(const char *a, const char *b);
/* "host[:port]" of url as written (IPv6 in brackets) into out; -1 if url does not parse. */
int http_url_authority(const char *url, buf_t *out);
/* 1 when url is a place a record of the channel at channel_url may be fetched from: the
 * channel's scheme (or https for an http channel) and the channel's host and port, or those of
 * one of mirrors (base URLs the user configured). */
int http_url_stays_on(const char *url, const char *channel_url, const char *const *mirrors,
		      size_t n_mirrors);
/* If line (a response header line of len bytes, CRLF included or not) is header `name`
 * (case-insensitive), stores its trimmed value in out and returns 1; else 0. */
int http_header_value(const char *line, size_t len, const char *name, buf_t *out);

/* ---- one GET, retried per the policy (channels, shards) ---- */

enum { HTTP_GOT_BODY = 0, HTTP_GOT_NOT_MODIFIED = 1, HTTP_GOT_MISSING = 2 };

typedef struct http_get {
	const char *url;               /* http://, https:// or file:// */
	const char *if_none_match;     /* conditional request (ETag), or NULL */
	const char *if_modified_since; /* conditional request, or NULL */
	long long max_bytes;           /* a larger body is an error (nothing kept) */
	int out_fd;                    /* body into this file (truncated per attempt) when >= 0 */
	buf_t *out_buf;                /* ... else into this buffer */
	int is_compressed_ok;          /* offer gzip/zstd on the wire (libcurl decodes) */
	CURL **handle; /* kept for the next GET (the connection too): *handle NULL = made here;
			  the caller cleans it up. NULL: a handle for this GET only */
} http_get_t;

typedef struct http_got {
	long status; /* HTTP status; 0 for file:// */
	buf_t etag;  /* validators of the answer (caller frees) */
	buf_t last_modified;
	long long bytes; /* body bytes stored */
} http_got_t;

/* GETs q->url. Returns HTTP_GOT_BODY (200, or a file read), HTTP_GOT_NOT_MODIFIED (304 to a
 * conditional request), HTTP_GOT_MISSING (404/410, or no such file), or -1 with err naming the
 * URL, the status or transport error and the attempts made. c may be NULL (defaults). */
int http_get(const http_client_t *c, const http_get_t *q, http_got_t *got, err_t *err);
void http_got_free(http_got_t *got);

#endif
