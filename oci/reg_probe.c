/* reg_probe.c — push access checked before a build (reg.h, reg_check_push): the same
 * requests a push starts with, so that a wrong password, a pull-only token or an unreachable
 * registry fails in seconds instead of after the whole build. */
#include "reg_internal.h"

#include <string.h>

#include "xalloc.h"

const char *reg_creds_source(reg_t *r, int *have_creds)
{
	err_t ignored = ERR_INIT;
	if (!r->have_creds_lookup) {
		r->have_creds_lookup = 1;
		auth_lookup(&r->opts.auth, r->name, &r->creds, &ignored);
	}
	err_clear(&ignored);
	*have_creds = r->creds.user != NULL;
	return r->creds.source;
}

/* A refused push: the registry's answer plus whose credentials it refused. */
static int refused(reg_t *r, const char *repo, err_t *err)
{
	int have = 0;
	const char *src = reg_creds_source(r, &have);
	buf_t m = BUF_INIT;
	buf_addf(&m, "%s; push to %s refused (checked before building): ", err_msg(err), repo);
	if (have)
		buf_addf(&m, "the credentials from %s were rejected", src ? src : "?");
	else
		buf_addf(&m, "no credentials were sent: %s", src ? src : "none found");
	err_set(err, "%s", m.data);
	err_set_hint(err, ERR_HINT_REGISTRY_CREDS);
	buf_free(&m);
	return -1;
}

/* Cancels an upload session (best effort: a registry forgets abandoned ones anyway). */
static void cancel_session(reg_t *r, const char *from_url, const char *location)
{
	buf_t url = BUF_INIT;
	err_t ignored = ERR_INIT;
	reg_req_t q;
	reg_resp_t p;
	reg_req_init(&q);
	reg_resp_init(&p);
	if (reg_resolve_location(from_url, location, &url) == 0) {
		q.method = "DELETE";
		q.url = url.data;
		q.op = "cancel the check's upload session";
		q.is_once = 1;
		reg_do(r, &q, &p, &ignored);
	}
	reg_resp_free(&p);
	buf_free(&url);
	err_clear(&ignored);
}

int reg_check_push(reg_t *r, const char *repo, err_t *err)
{
	buf_t url = BUF_INIT, op = BUF_INIT;
	reg_req_t q;
	reg_resp_t p;
	int rc = -1;
	reg_req_init(&q);
	reg_resp_init(&p);
	reg_add_scope(r, repo, "pull,push");
	buf_addf(&op, "start an upload to %s (push access check)", repo);
	if (reg_connect(r, err)) {
		err_prefix(err, "checked before building");
		goto out;
	}
	reg_url(r, repo, "blobs/uploads/", &url); /* after the ping settled the scheme */
	q.method = "POST";
	q.url = url.data;
	q.op = op.data;
	if (reg_do(r, &q, &p, err)) {
		if (err->hint == ERR_HINT_REGISTRY_CREDS)
			refused(r, repo, err);
		goto out;
	}
	if (p.status == 401 || p.status == 403) {
		reg_fail(r, op.data, &p, NULL, err);
		refused(r, repo, err);
		goto out;
	}
	if (p.status != 202) {
		reg_fail(r, op.data, &p, NULL, err);
		goto out;
	}
	if (p.location.len)
		cancel_session(r, url.data, p.location.data);
	rc = 0;
out:
	reg_resp_free(&p);
	buf_free(&url);
	buf_free(&op);
	return rc;
}
