/* reg.h — a registry client for the OCI distribution spec (v1.0) over the shared HTTP policy
 * (http.h: user agent, timeouts, CA, retry schedule): blob HEAD, cross-repository mount,
 * monolithic and chunked uploads that resume after a dropped connection, manifest PUT/GET
 * and streamed, verified blob GET. One reg_t per registry host;
 * it keeps the connection, the scheme (https, or http for --insecure-registry and loopback
 * hosts as Docker does) and the auth token. 429/5xx/connection resets are retried with
 * bounded exponential backoff honouring Retry-After; errors name registry, operation,
 * HTTP status and a summary of the registry's answer, never a credential. Credentials go only
 * to the registry's own origin; Locations and redirects keep its TLS rules (reg.c). */
#ifndef IMGBUILD_REG_H
#define IMGBUILD_REG_H

#include <jansson.h>
#include <stddef.h>

#include "auth.h"
#include "buf.h"
#include "err.h"
#include "log.h"

typedef struct reg reg_t;

typedef struct reg_opts {
	const char *ca_cert;         /* extra PEM CA bundle trusted besides the system's, or NULL
					($SSL_CERT_FILE and friends, http.h) */
	const char *const *insecure; /* hosts (host[:port]) allowed plain HTTP / unverified TLS */
	size_t n_insecure;
	auth_source_t auth;    /* where credentials come from (auth.h) */
	int max_attempts;      /* per request, including the first; 0 = 5 */
	long backoff_ms;       /* first retry delay, doubled each time; 0 = 300 */
	long long chunk_bytes; /* blobs larger than this go up in PATCH chunks; 0 =
				  $IMGBUILD_UPLOAD_CHUNK_BYTES (tests) or 32 MiB */
	log_fn log;            /* retries and fallbacks, or NULL */
	void *ud;
	const struct progress_sink *progress; /* blob uploads (common/progress.h), or NULL */
} reg_opts_t;

/* What this client did, for progress output and tests. */
typedef struct reg_stats {
	long blobs_skipped; /* HEAD said present */
	long blobs_mounted;
	long blobs_uploaded;
	long long bytes_uploaded;
	long retries;
	long resumes; /* chunked uploads continued from the registry's Range */
} reg_stats_t;

/* registry is "host[:port]" as in a reference (docker.io is reached at registry-1.docker.io).
 * opts is copied (its strings are borrowed and must outlive the client). Caller frees. */
reg_t *reg_new(const char *registry, const reg_opts_t *opts, err_t *err);
void reg_free(reg_t *r);
const char *reg_name(const reg_t *r); /* borrowed */
const reg_stats_t *reg_get_stats(const reg_t *r);

/* Adds "repository:<repo>:<actions>" to the scopes asked for with every Bearer token, so one
 * token covers pushing to repo and mounting from others. */
void reg_add_scope(reg_t *r, const char *repo, const char *actions);

/* Checks, before a build, that a push to repo can work: the registry answers /v2/, a token
 * with pull+push scope is granted (or /v2/ accepts the credentials), and an upload session
 * can be opened (POST /v2/<repo>/blobs/uploads/, then cancelled with DELETE) — the one test a
 * registry that silently hands out pull-only tokens cannot pass. A refusal names where the
 * credentials came from and whether they were rejected or absent (reg_probe.c). */
int reg_check_push(reg_t *r, const char *repo, err_t *err);
/* Where this client's credentials came from (auth_creds_t.source), looking them up if no
 * request needed them yet; NULL when the lookup failed. Borrowed. */
const char *reg_creds_source(reg_t *r, int *have_creds);

/* HEAD /v2/<repo>/blobs/<digest>: *exists = 1 on 200, 0 on 404. */
int reg_blob_exists(reg_t *r, const char *repo, const char *digest, int *exists, err_t *err);
/* Pushes blob file path (size bytes, content digest `digest`) into repo unless it is there.
 * With mount_from, first asks the registry to mount it from that repository (201); a 202
 * answer is an ordinary upload session that is then used. The file is streamed. */
int reg_blob_push(reg_t *r, const char *repo, const char *digest, const char *path, long long size,
		  const char *mount_from, err_t *err);
/* PUT /v2/<repo>/manifests/<reference> with Content-Type media_type. Checks the registry's
 * Docker-Content-Digest against the bytes sent. */
int reg_manifest_put(reg_t *r, const char *repo, const char *reference, const char *media_type,
		     const void *data, size_t len, err_t *err);
/* GET a manifest or index (OCI and Docker schema 2 accepted). body and media_type are
 * replaced; digest gets "sha256:<hex>" of the bytes, which must match reference when that is
 * a digest. */
int reg_manifest_get(reg_t *r, const char *repo, const char *reference, buf_t *body,
		     buf_t *media_type, buf_t *digest, err_t *err);
/* reg_manifest_get, except that a 404 (no such tag or digest) is no error: *found = 0 and
 * body, media_type and digest emptied; *found = 1 on a (verified) hit. */
int reg_manifest_get_optional(reg_t *r, const char *repo, const char *reference, buf_t *body,
			      buf_t *media_type, buf_t *digest, int *found, err_t *err);
/* GET /v2/<repo>/referrers/<subject_digest> (distribution-spec 1.1), following the Link
 * rel="next" header through every page (at most REG_REFERRERS_MAX_PAGES) and joining their
 * "manifests" into one image index (the first page's other fields) in index. *found = 0
 * (index empty) when the registry answers 404: it has no referrers API. A page that is not an
 * image index is an error. */
#define REG_REFERRERS_MAX_PAGES 64
int reg_referrers_get(reg_t *r, const char *repo, const char *subject_digest, buf_t *index,
		      int *found, err_t *err);
/* The media type of a fetched manifest document: its own "mediaType" when it has one, else
 * the Content-Type it came with (parameters dropped), else its shape ("manifests" = OCI
 * index, "config" + "layers" = OCI manifest; OCI lets the field be absent). Returns one of
 * the four manifest/index types we read (static string), or NULL for anything else. */
const char *reg_manifest_type(json_t *doc, const char *content_type);
/* 1 when media_type is an OCI image index or a Docker manifest list. */
int reg_type_is_index(const char *media_type);

/* Streams a blob into dest_path (via dest_path.part + rename), verifying size and digest; a
 * body longer than size is cut off there (an error; nothing kept). */
int reg_blob_fetch(reg_t *r, const char *repo, const char *digest, long long size,
		   const char *dest_path, err_t *err);

#endif
