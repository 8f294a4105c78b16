/* reg_internal.h — what reg.c (HTTP, auth, retries) shares with reg_ops.c (blob and manifest
 * operations). Not for use outside the registry client. */
#ifndef IMGBUILD_REG_INTERNAL_H
#define IMGBUILD_REG_INTERNAL_H

#include <curl/curl.h>
#include <time.h>

#include "digest.h"
#include "http.h"
#include "reg.h"

#define REG_BODY_MAX_BYTES (4u << 20) /* manifests, error bodies, token answers */

typedef struct reg_req {
	const char *method; /* "GET", "HEAD", "POST", "PUT", "PATCH" */
	const char *url;    /* absolute */
	const char *op;     /* for messages: "HEAD blob sha256:..." */
	const char *content_type;
	const char *accept;
	const char *content_range; /* "start-end" for PATCH */
	const void *mem;           /* body from memory ... */
	size_t mem_len;
	int fd; /* ... or from a file (fd >= 0) */
	long long file_off, file_len;
	int out_fd;                /* response body to a file (>= 0), else into resp body */
	long long out_max;         /* >= 0: more than this to out_fd aborts (resp is_too_big);
				      reg_req_init sets -1, unbounded */
	digest_t *out_digest;      /* hashes what goes to out_fd */
	int is_once;               /* no retries here: the caller resumes (chunk PATCH) */
	const char *progress_item; /* a blob upload: its digest, for "upload" byte events */
	long long progress_total;  /* the blob's size (file_off is where this request starts) */
} reg_req_t;

typedef struct reg_resp {
	long status;
	buf_t location, range, content_type, docker_digest, www_auth, retry_after;
	buf_t link; /* the Link header (the referrers API's next page) */
	buf_t body;
	long long written; /* bytes sent to out_fd */
	int is_too_big;    /* the body went past the request's out_max */
	int is_other_host; /* answered by another host than the registry (no credentials) */
	CURLcode curl_rc;
	char curl_err[CURL_ERROR_SIZE];
} reg_resp_t;

struct reg {
	char *name; /* as in references */
	buf_t base; /* "https://host" or "http://host" */
	reg_opts_t opts;
	http_client_t *http; /* the shared policy: retries, timeouts, CA (http.h) */
	CURL *curl;
	int pinged;
	int is_insecure;
	int have_creds_lookup;
	auth_creds_t creds;
	buf_t auth_header; /* "Authorization: ..." (secret; wiped on free) */
	char *auth_scheme; /* from the last challenge */
	char *realm, *service;
	char **scopes;
	size_t n_scopes;
	reg_stats_t stats;
};

void reg_req_init(reg_req_t *q);
void reg_resp_init(reg_resp_t *p);
void reg_resp_free(reg_resp_t *p);
/* GET /v2/ once per client (settles http vs https). Call before building URLs with reg_url. */
int reg_connect(reg_t *r, err_t *err);
/* A fresh client for the same registry (push_par.c) takes the scheme from's ping settled
 * (https, or plain HTTP for an insecure or loopback host), so it never pings, nor tries TLS
 * on a registry known to speak plain HTTP: each try loads the CA bundle. Nothing when from
 * has not pinged. */
void reg_inherit_connection(reg_t *r, const reg_t *from);
/* One logical request: pings first, answers auth challenges, follows GET/HEAD redirects,
 * retries per the opts unless q->is_once. Credentials go only to the registry's own origin;
 * every URL (Locations, redirects) is held to reg_url_allowed. Returns 0 when an HTTP answer
 * arrived (any status); -1 for a transport error after the retries or a refused URL (err
 * names registry and op). */
int reg_do(reg_t *r, const reg_req_t *q, reg_resp_t *p, err_t *err);
/* Sets err: "registry R: OP: HTTP S (summary of the body) hint". Returns -1. */
int reg_fail(reg_t *r, const char *op, const reg_resp_t *p, const char *hint, err_t *err);
/* Waits before retry `attempt` (1-based) on the client's schedule (http.h), using Retry-After
 * when the answer had one. */
void reg_backoff(reg_t *r, int attempt, const reg_resp_t *p);
/* 1 when a registry reached at base may send us to url (a Location or redirect): its own
 * origin; any https URL; plain http only to a host listed in insecure, or to a loopback host
 * when the registry itself speaks plain http (as Docker allows). Never another scheme. */
int reg_url_allowed(const char *base, const char *url, const char *const *insecure,
		    size_t n_insecure);
/* Next byte to send after an upload answer's Range ("0-N" or "bytes=0-N"; NULL = none):
 * N + 1, except that distribution reports "0-0" for an empty session too, so 0-0 means 0
 * unless `confirmed` bytes were already accepted. Unreadable ranges give fallback. */
long long reg_range_next(const char *range, long long fallback, long long confirmed);
/* The closing-PUT URL: the session Location (which may carry ?_state=...) + digest=. */
void reg_session_put_url(const char *location, const char *digest, buf_t *out);
void reg_logf(reg_t *r, const char *fmt, ...) ERR_PRINTF(2, 3);
/* base + "/v2/" + repo + suffix into out. */
void reg_url(reg_t *r, const char *repo, const char *suffix, buf_t *out);
/* Resolves a Location (absolute or relative to from_url) into out. */
int reg_resolve_location(const char *from_url, const char *location, buf_t *out);
/* The target of the rel="next" link in a Link header value (RFC 8288: `<URI>; rel="next"`,
 * several links comma-separated) into out: 1 when there is one, 0 when not (out empty). */
int reg_link_next(const char *link, buf_t *out);

#endif
