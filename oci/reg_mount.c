/* reg_mount.c — mount-only blob placement (see reg_mount.h). reg_blob_push cannot serve a
 * blob that is not local: on a refused mount it uploads from the file. Distribution (and the
 * OCI spec) answer a refused mount with 202 and a fresh upload session, which we DELETE so it
 * does not linger until the registry's upload purge. */
#include "reg_mount.h"

#include <string.h>

#include "ref.h"
#include "reg_internal.h"

void reg_log(reg_t *r, const char *message)
{
	reg_logf(r, "%s", message);
}

/* DELETE the session a refused mount opened; failures only leave it to the registry's purge. */
static void cancel_session(reg_t *r, const char *post_url, const char *location)
{
	buf_t url = BUF_INIT;
	reg_req_t q;
	reg_resp_t p;
	err_t ignored = ERR_INIT;
	reg_req_init(&q);
	reg_resp_init(&p);
	if (reg_resolve_location(post_url, location, &url) == 0) {
		q.method = "DELETE";
		q.url = url.data;
		q.op = "cancel the upload session of a refused mount";
		q.is_once = 1;
		reg_do(r, &q, &p, &ignored);
	}
	err_clear(&ignored);
	reg_resp_free(&p);
	buf_free(&url);
}

int reg_blob_mount(reg_t *r, const char *repo, const char *digest, const char *from_repo,
		   int *placed, err_t *err)
{
	buf_t url = BUF_INIT, sfx = BUF_INIT, op = BUF_INIT;
	reg_req_t q;
	reg_resp_t p;
	int exists = 0, rc = -1;
	*placed = 0;
	reg_req_init(&q);
	reg_resp_init(&p);
	if (!oci_ref_is_digest(digest))
		return err_set(err, "registry %s: blob %s: not a sha256 digest", reg_name(r),
			       digest);
	if (reg_blob_exists(r, repo, digest, &exists, err))
		goto out;
	if (exists) {
		r->stats.blobs_skipped++;
		*placed = 1;
		rc = 0;
		goto out;
	}
	buf_addf(&sfx, "blobs/uploads/?mount=%s&from=%s", digest, from_repo);
	reg_url(r, repo, sfx.data, &url);
	buf_addf(&op, "mount blob %s from %s into %s", digest, from_repo, repo);
	q.method = "POST";
	q.url = url.data;
	q.op = op.data;
	if (reg_do(r, &q, &p, err))
		goto out;
	if (p.status == 201) {
		r->stats.blobs_mounted++;
		*placed = 1;
		rc = 0;
	} else if (p.status == 202) {
		if (p.location.len)
			cancel_session(r, url.data, p.location.data);
		rc = 0;
	} else {
		reg_fail(r, op.data, &p, NULL, err);
	}
out:
	reg_resp_free(&p);
	buf_free(&url);
	buf_free(&sfx);
	buf_free(&op);
	return rc;
}
