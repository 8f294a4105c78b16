/* reg_ops.c — blob and manifest operations of the registry client (see reg.h), on top of
 * reg.c's request loop. Uploads follow the OCI distribution spec "Pushing blobs": POST opens
 * a session; small blobs go up in the closing PUT, large ones in PATCH chunks first. A chunk
 * that fails mid-way is not resent blindly: GET on the session URL reports the Range the
 * registry holds and the upload continues from there (or starts a new session when the
 * registry dropped it). Registry quirks: see ../shared/TESTING.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"
#include "ref.h"
#include "reg_internal.h"
#include "progress.h"

#define MT_OCTET "application/octet-stream"
#define MANIFEST_ACCEPT                                                                            \
	OCI_MT_MANIFEST ", " OCI_MT_INDEX ", " OCI_MT_DOCKER_MANIFEST ", " OCI_MT_DOCKER_LIST

int reg_blob_exists(reg_t *r, const char *repo, const char *digest, int *exists, err_t *err)
{
	buf_t url = BUF_INIT, op = BUF_INIT, sfx = BUF_INIT;
	reg_req_t q;
	reg_resp_t p;
	int rc = -1;
	reg_req_init(&q);
	reg_resp_init(&p);
	if (reg_connect(r, err))
		return -1;
	buf_addf(&sfx, "blobs/%s", digest);
	reg_url(r, repo, sfx.data, &url);
	buf_addf(&op, "HEAD blob %s in %s", digest, repo);
	q.method = "HEAD";
	q.url = url.data;
	q.op = op.data;
	if (reg_do(r, &q, &p, err))
		goto out;
	if (p.status == 200 || p.status == 404) {
		*exists = p.status == 200;
		rc = 0;
	} else {
		reg_fail(r, op.data, &p, NULL, err);
	}
out:
	reg_resp_free(&p);
	buf_free(&url);
	buf_free(&op);
	buf_free(&sfx);
	return rc;
}

void reg_session_put_url(const char *location, const char *digest, buf_t *out)
{
	char *esc = curl_easy_escape(NULL, digest, 0);
	buf_setstr(out, location);
	buf_addch(out, strchr(location, '?') ? '&' : '?');
	buf_addstr(out, "digest=");
	buf_addstr(out, esc);
	curl_free(esc);
}

typedef struct upload {
	reg_t *r;
	const char *repo, *digest;
	int fd;
	long long size;
	buf_t location; /* current session URL */
	buf_t op;
} upload_t;

/* POST .../blobs/uploads/ (with mount_from: ?mount=&from=). *mounted = 1 on 201. */
static int open_session(upload_t *u, const char *mount_from, int *mounted, err_t *err)
{
	buf_t url = BUF_INIT, sfx = BUF_INIT, op = BUF_INIT;
	reg_req_t q;
	reg_resp_t p;
	int rc = -1;
	reg_req_init(&q);
	reg_resp_init(&p);
	if (reg_connect(u->r, err))
		return -1;
	*mounted = 0;
	buf_addstr(&sfx, "blobs/uploads/");
	if (mount_from)
		buf_addf(&sfx, "?mount=%s&from=%s", u->digest, mount_from);
	reg_url(u->r, u->repo, sfx.data, &url);
	if (mount_from)
		buf_addf(&op, "mount blob %s from %s into %s", u->digest, mount_from, u->repo);
	else
		buf_addf(&op, "start upload of blob %s to %s", u->digest, u->repo);
	q.method = "POST";
	q.url = url.data;
	q.op = op.data;
	if (reg_do(u->r, &q, &p, err))
		goto out;
	if (mount_from && p.status == 201) {
		*mounted = 1;
		rc = 0;
		goto out;
	}
	if (p.status != 202 || !p.location.len) {
		reg_fail(u->r, op.data, &p, p.status == 202 ? "no Location in the answer" : NULL,
			 err);
		goto out;
	}
	if (reg_resolve_location(url.data, p.location.data, &u->location)) {
		err_set(err, "registry %s: %s: unusable Location in the answer", reg_name(u->r),
			op.data);
		goto out;
	}
	rc = 0;
out:
	reg_resp_free(&p);
	buf_free(&url);
	buf_free(&sfx);
	buf_free(&op);
	return rc;
}

long long reg_range_next(const char *range, long long fallback, long long confirmed)
{
	const char *dash = range ? strchr(range, '-') : NULL;
	char *end = NULL;
	if (!dash || dash[1] < '0' || dash[1] > '9')
		return fallback;
	long long last = strtoll(dash + 1, &end, 10);
	if (!end || *end || last < 0)
		return fallback;
	if (last == 0 && confirmed == 0)
		return 0;
	return last + 1;
}

static int take_location(upload_t *u, const char *from_url, const reg_resp_t *p)
{
	buf_t tmp = BUF_INIT;
	int rc = 0;
	if (p->location.len) {
		rc = reg_resolve_location(from_url, p->location.data, &tmp);
		if (rc == 0)
			buf_setstr(&u->location, tmp.data);
	}
	buf_free(&tmp);
	return rc;
}

/* GET on the session: where does the registry stand? 1 = session gone, 0 = *offset set. */
static int session_status(upload_t *u, long long confirmed, long long *offset, err_t *err)
{
	reg_req_t q;
	reg_resp_t p;
	buf_t url = BUF_INIT, op = BUF_INIT;
	int rc = -1;
	reg_req_init(&q);
	reg_resp_init(&p);
	buf_setstr(&url, u->location.data);
	buf_addf(&op, "upload status of blob %s in %s", u->digest, u->repo);
	q.method = "GET";
	q.url = url.data;
	q.op = op.data;
	if (reg_do(u->r, &q, &p, err))
		goto out;
	if (p.status == 204 || p.status == 202) {
		*offset = reg_range_next(p.range.data, confirmed, confirmed);
		take_location(u, url.data, &p);
		rc = 0;
	} else if (p.status == 404 || p.status == 400 || p.status == 416) {
		rc = 1;
	} else {
		reg_fail(u->r, op.data, &p, NULL, err);
	}
out:
	reg_resp_free(&p);
	buf_free(&url);
	buf_free(&op);
	return rc;
}

/* PATCHes [0, size) in chunks. 0 = all sent, 1 = the session is lost (start another). */
static int send_chunks(upload_t *u, err_t *err)
{
	reg_t *r = u->r;
	long long off = 0, chunk = r->opts.chunk_bytes;
	int failures = 0, rc = -1;
	buf_t url = BUF_INIT, range = BUF_INIT;
	reg_req_t q;
	reg_resp_t p;
	reg_resp_init(&p);
	while (off < u->size) {
		long long n = u->size - off < chunk ? u->size - off : chunk;
		reg_req_init(&q);
		buf_setstr(&url, u->location.data);
		buf_reset(&range);
		buf_addf(&range, "%lld-%lld", off, off + n - 1);
		q.method = "PATCH";
		q.url = url.data;
		q.op = u->op.data;
		q.content_type = MT_OCTET; /* distribution answers other types with 500 */
		q.content_range = range.data;
		q.fd = u->fd;
		q.file_off = off;
		q.file_len = n;
		q.progress_item = u->digest;
		q.progress_total = u->size;
		q.is_once = 1;
		int drc = reg_do(r, &q, &p, err);
		if (drc == 0 && p.status == 202) {
			off = reg_range_next(p.range.data, off + n, off + n);
			take_location(u, url.data, &p);
			r->stats.bytes_uploaded += n;
			failures = 0; /* the bound is on failures in a row, not per blob */
			continue;
		}
		if (drc < 0 && p.curl_rc == CURLE_OK)
			goto out; /* a refused URL or a failed challenge: err says which */
		if (p.curl_rc == CURLE_OK && !http_status_is_transient(p.status) &&
		    p.status != 416) {
			reg_fail(r, u->op.data, &p, NULL, err);
			goto out;
		}
		if (++failures >= r->opts.max_attempts) {
			if (p.curl_rc == CURLE_OK)
				reg_fail(r, u->op.data, &p, "gave up after retries", err);
			else
				err_prefix(err, "gave up after %d attempts", failures);
			goto out;
		}
		err_clear(err);
		reg_logf(r, "registry %s: %s: chunk at %lld failed; asking where to resume",
			 reg_name(r), u->op.data, off);
		reg_backoff(r, failures, &p);
		int st = session_status(u, off, &off, err);
		if (st < 0)
			goto out;
		if (st == 1) {
			rc = 1;
			goto out;
		}
		r->stats.resumes++;
		reg_logf(r, "registry %s: %s: resuming at byte %lld", reg_name(r), u->op.data, off);
	}
	rc = 0;
out:
	reg_resp_free(&p);
	buf_free(&url);
	buf_free(&range);
	return rc;
}

/* The closing PUT (with the whole blob when monolithic). 0 done, 1 retry with a new session. */
static int close_session(upload_t *u, int monolithic, err_t *err)
{
	buf_t url = BUF_INIT;
	reg_req_t q;
	reg_resp_t p;
	int rc = -1;
	reg_req_init(&q);
	reg_resp_init(&p);
	reg_session_put_url(u->location.data, u->digest, &url);
	q.method = "PUT";
	q.url = url.data;
	q.op = u->op.data;
	q.content_type = MT_OCTET;
	q.is_once = 1;
	if (monolithic) {
		q.fd = u->fd;
		q.file_len = u->size;
		q.progress_item = u->digest;
		q.progress_total = u->size;
	}
	int drc = reg_do(u->r, &q, &p, err);
	if (drc < 0 && p.curl_rc == CURLE_OK)
		goto out; /* a refused URL or a failed challenge: err says which */
	if (drc == 0 && (p.status == 201 || p.status == 204)) {
		if (p.docker_digest.len && strcmp(p.docker_digest.data, u->digest) != 0) {
			err_set(err, "registry %s: %s: the registry stored digest %s",
				reg_name(u->r), u->op.data, p.docker_digest.data);
			goto out;
		}
		if (monolithic)
			u->r->stats.bytes_uploaded += u->size;
		rc = 0;
		goto out;
	}
	if (p.curl_rc == CURLE_OK && !http_status_is_transient(p.status)) {
		reg_fail(u->r, u->op.data, &p, NULL, err);
		goto out;
	}
	if (p.curl_rc == CURLE_OK)
		reg_fail(u->r, u->op.data, &p, NULL, err);
	rc = 1;
out:
	reg_resp_free(&p);
	buf_free(&url);
	return rc;
}

int reg_blob_push(reg_t *r, const char *repo, const char *digest, const char *path, long long size,
		  const char *mount_from, err_t *err)
{
	upload_t u = {.r = r, .repo = repo, .digest = digest, .fd = -1, .size = size};
	int exists = 0, mounted = 0, rc = -1;
	if (!oci_ref_is_digest(digest))
		return err_set(err, "registry %s: blob %s: not a sha256 digest", r->name, digest);
	if (reg_blob_exists(r, repo, digest, &exists, err))
		return -1;
	if (exists) {
		r->stats.blobs_skipped++;
		progress_emit(r->opts.progress, PROGRESS_END, "upload", digest, size, size,
			      "skipped");
		return 0;
	}
	progress_emit(r->opts.progress, PROGRESS_START, "upload", digest, 0, size, NULL);
	u.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (u.fd < 0) {
		err_set(err, "%s: cannot open blob for upload: %s", path, strerror(errno));
		goto out;
	}
	buf_addf(&u.op, "upload blob %s (%lld bytes) to %s", digest, size, repo);
	for (int session = 1;; session++) {
		if (open_session(&u, session == 1 ? mount_from : NULL, &mounted, err))
			goto out;
		if (mounted) {
			r->stats.blobs_mounted++;
			progress_emit(r->opts.progress, PROGRESS_END, "upload", digest, size, size,
				      "mounted");
			rc = 0;
			goto out;
		}
		int monolithic = size <= r->opts.chunk_bytes;
		int st = monolithic ? 0 : send_chunks(&u, err);
		if (st == 0)
			st = close_session(&u, monolithic, err);
		if (st < 0)
			goto out;
		if (st == 0) {
			r->stats.blobs_uploaded++;
			progress_emit(r->opts.progress, PROGRESS_END, "upload", digest, size, size,
				      "uploaded");
			rc = 0;
			goto out;
		}
		/* the session failed in a way worth another try; the blob may have landed anyway */
		if (session >= r->opts.max_attempts) {
			err_prefix(err, "gave up after %d upload sessions", session);
			goto out;
		}
		reg_logf(r, "registry %s: %s: starting a new upload session", r->name, u.op.data);
		reg_backoff(r, session, NULL);
		err_clear(err);
		if (reg_blob_exists(r, repo, digest, &exists, err))
			goto out;
		if (exists) {
			r->stats.blobs_uploaded++;
			rc = 0;
			goto out;
		}
	}
out:
	if (u.fd >= 0)
		close(u.fd);
	buf_free(&u.location);
	buf_free(&u.op);
	return rc;
}

int reg_manifest_put(reg_t *r, const char *repo, const char *reference, const char *media_type,
		     const void *data, size_t len, err_t *err)
{
	buf_t url = BUF_INIT, op = BUF_INIT, sfx = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	reg_req_t q;
	reg_resp_t p;
	int rc = -1;
	reg_req_init(&q);
	reg_resp_init(&p);
	if (reg_connect(r, err))
		return -1;
	buf_addf(&sfx, "manifests/%s", reference);
	reg_url(r, repo, sfx.data, &url);
	buf_addf(&op, "PUT manifest %s:%s", repo, reference);
	q.method = "PUT";
	q.url = url.data;
	q.op = op.data;
	q.content_type = media_type;
	q.mem = data;
	q.mem_len = len;
	if (reg_do(r, &q, &p, err))
		goto out;
	if (p.status != 201 && p.status != 200) {
		reg_fail(r, op.data, &p, NULL, err);
		goto out;
	}
	digest_buf_hex(DIGEST_SHA256, data, len, hex);
	if (p.docker_digest.len && (strncmp(p.docker_digest.data, "sha256:", 7) ||
				    strcmp(p.docker_digest.data + 7, hex))) {
		err_set(err,
			"registry %s: %s: the registry reports digest %s, the manifest is "
			"sha256:%s",
			r->name, op.data, p.docker_digest.data, hex);
		goto out;
	}
	rc = 0;
out:
	reg_resp_free(&p);
	buf_free(&url);
	buf_free(&op);
	buf_free(&sfx);
	return rc;
}

/* reg_manifest_get, and with found != NULL reg_manifest_get_optional: 404 is *found = 0. */
static int manifest_get(reg_t *r, const char *repo, const char *reference, buf_t *body,
			buf_t *media_type, buf_t *digest, int *found, err_t *err)
{
	buf_t url = BUF_INIT, op = BUF_INIT, sfx = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	reg_req_t q;
	reg_resp_t p;
	int rc = -1;
	reg_req_init(&q);
	reg_resp_init(&p);
	if (reg_connect(r, err))
		return -1;
	buf_addf(&sfx, "manifests/%s", reference);
	reg_url(r, repo, sfx.data, &url);
	buf_addf(&op, "GET manifest %s%s%s", repo, oci_ref_is_digest(reference) ? "@" : ":",
		 reference);
	q.method = "GET";
	q.url = url.data;
	q.op = op.data;
	q.accept = MANIFEST_ACCEPT;
	if (found)
		*found = 0;
	if (reg_do(r, &q, &p, err))
		goto out;
	if (found && p.status == 404) {
		buf_reset(body);
		buf_reset(media_type);
		buf_reset(digest);
		rc = 0;
		goto out;
	}
	if (p.status != 200) {
		reg_fail(r, op.data, &p,
			 p.status == 404 ? "no such image: check the name and tag" : NULL, err);
		goto out;
	}
	digest_buf_hex(DIGEST_SHA256, p.body.data ? p.body.data : "", p.body.len, hex);
	buf_setstr(digest, "sha256:");
	buf_addstr(digest, hex);
	if (oci_ref_is_digest(reference) && strcmp(reference, digest->data) != 0) {
		err_set(err, "registry %s: %s: the manifest's bytes hash to %s", r->name, op.data,
			digest->data);
		goto out;
	}
	if (p.docker_digest.len && !strncmp(p.docker_digest.data, "sha256:", 7) &&
	    strcmp(p.docker_digest.data, digest->data) != 0) {
		err_set(err,
			"registry %s: %s: Docker-Content-Digest %s does not match the bytes (%s)",
			r->name, op.data, p.docker_digest.data, digest->data);
		goto out;
	}
	buf_setstr(body, p.body.data ? p.body.data : "");
	buf_reset(media_type);
	buf_add(media_type, p.content_type.data ? p.content_type.data : "",
		strcspn(p.content_type.data ? p.content_type.data : "", ";"));
	if (found)
		*found = 1;
	rc = 0;
out:
	reg_resp_free(&p);
	buf_free(&url);
	buf_free(&op);
	buf_free(&sfx);
	return rc;
}

int reg_manifest_get(reg_t *r, const char *repo, const char *reference, buf_t *body,
		     buf_t *media_type, buf_t *digest, err_t *err)
{
	return manifest_get(r, repo, reference, body, media_type, digest, NULL, err);
}

int reg_manifest_get_optional(reg_t *r, const char *repo, const char *reference, buf_t *body,
			      buf_t *media_type, buf_t *digest, int *found, err_t *err)
{
	return manifest_get(r, repo, reference, body, media_type, digest, found, err);
}

static const char *const known_types[] = {OCI_MT_MANIFEST, OCI_MT_INDEX, OCI_MT_DOCKER_MANIFEST,
					  OCI_MT_DOCKER_LIST};

/* The static spelling of mt (len bytes, compared case-insensitively as media types are). */
static const char *known_type(const char *mt, size_t len)
{
	for (size_t i = 0; i < sizeof known_types / sizeof known_types[0]; i++)
		if (strlen(known_types[i]) == len && !strncasecmp(mt, known_types[i], len))
			return known_types[i];
	return NULL;
}

const char *reg_manifest_type(json_t *doc, const char *content_type)
{
	json_t *own = json_object_get(doc, "mediaType");
	if (json_is_string(own))
		return known_type(json_string_value(own), json_string_length(own));
	if (content_type && *content_type) {
		size_t n = strcspn(content_type, "; \t");
		if (known_type(content_type, n))
			return known_type(content_type, n);
	}
	/* neither says: OCI 1.0 documents may omit both (e.g. served as application/json) */
	if (json_is_array(json_object_get(doc, "manifests")))
		return OCI_MT_INDEX;
	if (json_is_object(json_object_get(doc, "config")) &&
	    json_is_array(json_object_get(doc, "layers")))
		return OCI_MT_MANIFEST;
	return NULL;
}

int reg_type_is_index(const char *media_type)
{
	return oci_mt_is_index(media_type);
}

/* GETs q (a blob into q->out_fd, bounded by q->out_max) with retries, hashing each attempt
 * into hex. 0 once a 200 was received whole. */
static int get_blob(reg_t *r, reg_req_t *q, reg_resp_t *p, char hex[DIGEST_HEX_MAX], err_t *err)
{
	for (int attempt = 1;; attempt++) {
		digest_t *d = digest_new(DIGEST_SHA256);
		q->out_digest = d;
		int drc = reg_do(r, q, p, err);
		digest_final_hex(d, hex);
		digest_free(d);
		q->out_digest = NULL;
		if (drc < 0 && p->curl_rc == CURLE_OK)
			return -1; /* a refused redirect or a failed challenge: err says which */
		if (p->is_too_big)
			return err_set(
				err,
				"registry %s: %s: the registry sends more than the %lld bytes its "
				"descriptor says: refused, nothing kept",
				r->name, q->op, q->out_max);
		if (drc == 0 && p->status == 200)
			return 0;
		int transient = drc ? 1 : http_status_is_transient(p->status);
		if (!transient || attempt >= r->opts.max_attempts)
			return drc == 0 ? reg_fail(r, q->op, p, NULL, err) : -1;
		err_clear(err);
		reg_backoff(r, attempt, p);
	}
}

int reg_blob_fetch(reg_t *r, const char *repo, const char *digest, long long size,
		   const char *dest_path, err_t *err)
{
	buf_t url = BUF_INIT, op = BUF_INIT, sfx = BUF_INIT, part = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	reg_req_t q;
	reg_resp_t p;
	int fd = -1, rc = -1;
	reg_req_init(&q);
	reg_resp_init(&p);
	if (reg_connect(r, err))
		return -1;
	if (!oci_ref_is_digest(digest))
		return err_set(err, "registry %s: blob '%s' in %s: not a sha256 digest", r->name,
			       digest, repo);
	buf_addf(&sfx, "blobs/%s", digest);
	reg_url(r, repo, sfx.data, &url);
	buf_addf(&op, "GET blob %s from %s", digest, repo);
	buf_addf(&part, "%s.part-%ld", dest_path, (long)getpid());
	fd = open(part.data, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_set(err, "%s: cannot create: %s", part.data, strerror(errno));
		goto out;
	}
	q.method = "GET";
	q.url = url.data;
	q.op = op.data;
	q.out_fd = fd;
	q.out_max = size; /* issue 10 #11: an endless body stops at the descriptor's size */
	q.is_once = 1;
	if (get_blob(r, &q, &p, hex, err) != 0)
		goto out;
	if (p.written != size) {
		err_set(err, "registry %s: %s: got %lld bytes, the manifest says %lld", r->name,
			op.data, p.written, size);
		goto out;
	}
	if (strcmp(hex, digest_oci_hex(digest)) != 0) {
		err_set(err, "registry %s: %s: the bytes hash to sha256:%s (corrupt download)",
			r->name, op.data, hex);
		goto out;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		err_set(err, "%s: cannot write: %s", part.data, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(part.data, dest_path) != 0) {
		err_set(err, "%s: cannot rename into place: %s", dest_path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(part.data);
	reg_resp_free(&p);
	buf_free(&url);
	buf_free(&op);
	buf_free(&sfx);
	buf_free(&part);
	return rc;
}
