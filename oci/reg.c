/* reg.c — the registry client's HTTP core (see reg.h): one libcurl easy handle per registry
 * under the shared HTTP policy (http.h: user agent, timeouts, CA, retry schedule), the /v2/
 * ping that settles the scheme, the WWW-Authenticate flow (Basic, and Bearer tokens from the
 * realm with every scope this client needs), credentials scoped to the registry's own origin,
 * Locations and redirects held to its TLS rules, and error messages. Blob and manifest
 * operations live in reg_ops.c. */
#include "reg_internal.h"
#include "progress.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "ref.h"
#include "xalloc.h"

#define REG_DEFAULT_CHUNK (32LL << 20)
#define REG_MAX_REDIRECTS 5

typedef struct xfer {
	const reg_req_t *q;
	reg_resp_t *p;
	CURL *curl;
	long long sent;
	int out_error;
	const struct progress_sink *progress; /* blob upload bytes, or NULL */
} xfer_t;

void reg_req_init(reg_req_t *q)
{
	memset(q, 0, sizeof *q);
	q->fd = -1;
	q->out_fd = -1;
	q->out_max = -1;
}

void reg_resp_init(reg_resp_t *p)
{
	memset(p, 0, sizeof *p);
}

static void resp_reset(reg_resp_t *p)
{
	p->status = 0;
	buf_reset(&p->location);
	buf_reset(&p->range);
	buf_reset(&p->content_type);
	buf_reset(&p->docker_digest);
	buf_reset(&p->www_auth);
	buf_reset(&p->retry_after);
	buf_reset(&p->link);
	buf_reset(&p->body);
	p->written = 0;
	p->is_too_big = 0;
	p->is_other_host = 0;
	p->curl_rc = CURLE_OK;
	p->curl_err[0] = '\0';
}

void reg_resp_free(reg_resp_t *p)
{
	buf_free(&p->location);
	buf_free(&p->range);
	buf_free(&p->content_type);
	buf_free(&p->docker_digest);
	buf_free(&p->www_auth);
	buf_free(&p->retry_after);
	buf_free(&p->link);
	buf_free(&p->body);
}

void reg_logf(reg_t *r, const char *fmt, ...)
{
	buf_t m = BUF_INIT;
	va_list ap;
	if (!r->opts.log)
		return;
	va_start(ap, fmt);
	buf_vaddf(&m, fmt, ap);
	va_end(ap);
	r->opts.log(r->opts.ud, m.data);
	buf_free(&m);
}

static int host_listed(const char *host, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], host))
			return 1;
	return 0;
}

reg_t *reg_new(const char *registry, const reg_opts_t *opts, err_t *err)
{
	http_opts_t ho = {opts->ca_cert, opts->max_attempts, opts->backoff_ms};
	reg_t *r = xcalloc(1, sizeof *r);
	r->name = xstrdup(registry);
	r->opts = *opts;
	if (!(r->http = http_client_new(&ho, err))) {
		err_prefix(err, "registry %s", registry);
		reg_free(r);
		return NULL;
	}
	r->opts.max_attempts = http_client_max_attempts(r->http);
	if (r->opts.chunk_bytes <= 0) {
		/* test and benchmark knob: small chunks exercise the chunked/resume path */
		const char *env = getenv("IMGBUILD_UPLOAD_CHUNK_BYTES");
		char *end = NULL;
		long long v = env ? strtoll(env, &end, 10) : 0;
		r->opts.chunk_bytes = v > 0 && end && !*end ? v : REG_DEFAULT_CHUNK;
	}
	r->is_insecure = host_listed(registry, opts->insecure, opts->n_insecure);
	buf_addf(&r->base, "https://%s", oci_ref_api_host(registry));
	r->curl = curl_easy_init();
	if (!r->curl) {
		err_set(err, "registry %s: cannot initialise libcurl", registry);
		reg_free(r);
		return NULL;
	}
	return r;
}

void reg_free(reg_t *r)
{
	if (!r)
		return;
	if (r->curl)
		curl_easy_cleanup(r->curl);
	http_client_free(r->http);
	auth_creds_clear(&r->creds);
	auth_buf_wipe(&r->auth_header);
	for (size_t i = 0; i < r->n_scopes; i++)
		free(r->scopes[i]);
	free(r->scopes);
	free(r->auth_scheme);
	free(r->realm);
	free(r->service);
	buf_free(&r->base);
	free(r->name);
	free(r);
}

const char *reg_name(const reg_t *r)
{
	return r->name;
}

const reg_stats_t *reg_get_stats(const reg_t *r)
{
	return &r->stats;
}

static void add_scope_str(reg_t *r, const char *scope)
{
	for (size_t i = 0; i < r->n_scopes; i++)
		if (!strcmp(r->scopes[i], scope))
			return;
	r->scopes = xrealloc(r->scopes, (r->n_scopes + 1) * sizeof *r->scopes);
	r->scopes[r->n_scopes++] = xstrdup(scope);
}

void reg_add_scope(reg_t *r, const char *repo, const char *actions)
{
	buf_t s = BUF_INIT;
	buf_addf(&s, "repository:%s:%s", repo, actions);
	add_scope_str(r, s.data);
	buf_free(&s);
}

void reg_url(reg_t *r, const char *repo, const char *suffix, buf_t *out)
{
	buf_setstr(out, r->base.data);
	buf_addstr(out, "/v2/");
	if (repo) {
		buf_addstr(out, repo);
		buf_addch(out, '/');
	}
	buf_addstr(out, suffix);
}

int reg_resolve_location(const char *from_url, const char *location, buf_t *out)
{
	CURLU *u = xcheck(curl_url());
	char *s = NULL;
	int rc = -1;
	if (curl_url_set(u, CURLUPART_URL, from_url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
		buf_setstr(out, s);
		rc = 0;
	}
	curl_free(s);
	curl_url_cleanup(u);
	return rc;
}

/* ---- one HTTP exchange -------------------------------------------------------------------- */

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
	xfer_t *x = ud;
	size_t n = size * nitems;
	static const struct {
		const char *name;
		size_t off;
	} map[] = {
		{"location", offsetof(reg_resp_t, location)},
		{"range", offsetof(reg_resp_t, range)},
		{"content-type", offsetof(reg_resp_t, content_type)},
		{"docker-content-digest", offsetof(reg_resp_t, docker_digest)},
		{"www-authenticate", offsetof(reg_resp_t, www_auth)},
		{"retry-after", offsetof(reg_resp_t, retry_after)},
		{"link", offsetof(reg_resp_t, link)},
	};
	if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
		/* a new response (after 100 Continue or a redirect): forget the previous headers */
		buf_reset(&x->p->location);
		buf_reset(&x->p->www_auth);
		buf_reset(&x->p->link);
		return n;
	}
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (http_header_value(line, n, map[i].name, (buf_t *)((char *)x->p + map[i].off)))
			break;
	return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	xfer_t *x = ud;
	size_t n = size * nmemb;
	if (x->q->out_fd >= 0 && http_answer_is_document(x->curl)) {
		if (x->q->out_max >= 0 && x->p->written + (long long)n > x->q->out_max) {
			x->p->is_too_big = 1; /* an endless body stops here, not at a full disk */
			return 0;
		}
		if ((x->out_error = fs_write_all(x->q->out_fd, data, n)) != 0)
			return 0;
		if (x->q->out_digest)
			digest_update(x->q->out_digest, data, n);
		x->p->written += (long long)n;
		return n;
	}
	if (x->p->body.len + n > REG_BODY_MAX_BYTES)
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	buf_add(&x->p->body, data, n);
	return n;
}

static size_t on_read(char *dst, size_t size, size_t nitems, void *ud)
{
	xfer_t *x = ud;
	const reg_req_t *q = x->q;
	size_t room = size * nitems;
	if (q->fd >= 0) {
		long long left = q->file_len - x->sent;
		size_t want = left < (long long)room ? (size_t)left : room;
		ssize_t got;
		if (want == 0)
			return 0;
		do
			got = pread(q->fd, dst, want, (off_t)(q->file_off + x->sent));
		while (got < 0 && errno == EINTR);
		if (got <= 0)
			return CURL_READFUNC_ABORT;
		x->sent += got;
		return (size_t)got;
	}
	size_t left = q->mem_len - (size_t)x->sent;
	size_t n = left < room ? left : room;
	memcpy(dst, (const char *)q->mem + x->sent, n);
	x->sent += (long long)n;
	return n;
}

/* --insecure-registry hosts (and the registry itself when it is one): Docker accepts any
 * certificate from them. */
static int url_is_insecure(const reg_t *r, const char *url)
{
	buf_t authority = BUF_INIT;
	int listed = http_url_authority(url, &authority) == 0 &&
		     host_listed(authority.data, r->opts.insecure, r->opts.n_insecure);
	buf_free(&authority);
	return listed || (r->is_insecure && http_same_origin(url, r->base.data));
}

static struct curl_slist *add_header(struct curl_slist *h, const char *name, const char *value)
{
	buf_t line = BUF_INIT;
	if (!value)
		return h;
	buf_addf(&line, "%s: %s", name, value);
	h = curl_slist_append(h, line.data);
	auth_buf_wipe(&line); /* may be the Authorization line */
	return h;
}

/* auth_value: the Authorization value to send ("" or NULL for none). */
static struct curl_slist *request_headers(const reg_req_t *q, const char *auth_value)
{
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	h = add_header(h, "Authorization", auth_value && *auth_value ? auth_value : NULL);
	h = add_header(h, "Accept", q->accept);
	h = add_header(h, "Content-Type", q->content_type);
	return add_header(h, "Content-Range", q->content_range);
}

static void set_method(CURL *c, const reg_req_t *q, xfer_t *x)
{
	int has_body = q->fd >= 0 || q->mem;
	if (!strcmp(q->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(q->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L); /* redirects: reg_do follows them */
	} else if (!has_body && !strcmp(q->method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		/* PUT/PATCH/POST with a body; PUT/PATCH/DELETE without one is an empty upload
		 * (Content-Length: 0) */
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(q->fd >= 0 ? q->file_len : (long long)q->mem_len));
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	}
}

/* A blob upload's bytes as they go (common/progress.h): one event per libcurl callback. */
static int on_xfer(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		   curl_off_t ulnow)
{
	const xfer_t *x = ud;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (ulnow > 0)
		progress_emit(x->progress, PROGRESS_BYTES, "upload", x->q->progress_item,
			      x->q->file_off + (long long)ulnow, x->q->progress_total, NULL);
	return 0;
}

/* auth_value: the Authorization value to send ("" or NULL for none). */
static void perform_once(reg_t *r, const reg_req_t *q, const char *auth_value, reg_resp_t *p)
{
	CURL *c = r->curl;
	struct curl_slist *h = NULL;
	xfer_t x = {.q = q, .p = p, .curl = c, .progress = r->opts.progress};
	resp_reset(p);
	if (q->out_fd >= 0) {
		/* a retry starts the file over */
		if (ftruncate(q->out_fd, 0) != 0 || lseek(q->out_fd, 0, SEEK_SET) != 0) {
			p->curl_rc = CURLE_WRITE_ERROR;
			return;
		}
	}
	curl_easy_reset(c);
	http_client_setup(r->http, c, q->url, 0);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, p->curl_err);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	if (url_is_insecure(r, q->url)) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	h = request_headers(q, auth_value);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	set_method(c, q, &x);
	if (q->progress_item && x.progress) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	p->curl_rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->status);
	if (p->curl_rc == CURLE_OK && x.out_error) {
		p->curl_rc = CURLE_WRITE_ERROR;
		snprintf(p->curl_err, sizeof p->curl_err, "writing the download: %s",
			 strerror(x.out_error));
	}
	/* the handle keeps pointers into this frame: drop them */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
}

/* ---- retries ----------------------------------------------------------------------------- */

static int resp_is_transient(const reg_resp_t *p)
{
	if (p->is_too_big)
		return 0;
	return p->curl_rc != CURLE_OK ? http_curl_is_transient(p->curl_rc)
				      : http_status_is_transient(p->status);
}

void reg_backoff(reg_t *r, int attempt, const reg_resp_t *p)
{
	r->stats.retries++;
	http_sleep_ms(http_client_retry_delay_ms(r->http, attempt, p ? p->retry_after.data : NULL));
}

/* ---- errors ------------------------------------------------------------------------------ */

/* "CODE: message" from a distribution error body, else its first line, printable only. */
static void body_summary(const reg_resp_t *p, buf_t *out)
{
	json_t *j = p->body.len ? json_loadb(p->body.data, p->body.len, 0, NULL) : NULL;
	json_t *e = json_array_get(json_object_get(j, "errors"), 0);
	buf_reset(out);
	if (e) {
		const char *code = json_string_value(json_object_get(e, "code"));
		const char *msg = json_string_value(json_object_get(e, "message"));
		buf_addf(out, "%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
	} else {
		for (size_t i = 0; i < p->body.len && out->len < 160; i++) {
			char ch = p->body.data[i];
			if (ch == '\n' && out->len)
				break;
			buf_addch(out, isprint((unsigned char)ch) ? ch : ' ');
		}
	}
	json_decref(j);
}

/* Which flags help is the CLI's to say (err.h hints); the words here name no flag. */
static const char *const creds_text = "the registry wants (other) credentials";
static const char *const other_host_text =
	"that answer came from another host than the registry, which gets no credentials";

int reg_fail(reg_t *r, const char *op, const reg_resp_t *p, const char *hint, err_t *err)
{
	buf_t sum = BUF_INIT;
	int kind = ERR_HINT_NONE;
	if (p->curl_rc == CURLE_OK && (p->status == 401 || p->status == 403)) {
		if (!hint)
			hint = p->is_other_host ? other_host_text : creds_text;
		if (!p->is_other_host)
			kind = ERR_HINT_REGISTRY_CREDS;
	}
	if (p->curl_rc != CURLE_OK) {
		http_describe_error(p->curl_rc, p->curl_err, &sum, &kind);
		if (kind == ERR_HINT_TLS_UNTRUSTED)
			kind = ERR_HINT_REGISTRY_TLS;
		err_set(err, "registry %s: %s: %s%s%s", r->name, op, sum.data, hint ? "; " : "",
			hint ? hint : "");
	} else {
		body_summary(p, &sum);
		err_set(err, "registry %s: %s: HTTP %ld%s%s%s%s%s", r->name, op, p->status,
			sum.len ? " (" : "", sum.data ? sum.data : "", sum.len ? ")" : "",
			hint ? "; " : "", hint ? hint : "");
	}
	err_set_hint(err, kind);
	buf_free(&sum);
	return -1;
}

/* ---- auth ---------------------------------------------------------------------------------- */

static int need_creds(reg_t *r, err_t *err)
{
	if (r->have_creds_lookup)
		return 0;
	r->have_creds_lookup = 1;
	return auth_lookup(&r->opts.auth, r->name, &r->creds, err);
}

static void add_param(reg_t *r, buf_t *b, const char *name, const char *value)
{
	char *e = curl_easy_escape(r->curl, value, 0);
	buf_addf(b, "%s%s=%s", b->len && b->data[b->len - 1] != '?' ? "&" : "", name, e);
	explicit_bzero(e, strlen(e)); /* may be a refresh token */
	curl_free(e);
}

/* The token request: with an identity token (Docker config "identitytoken", or a helper's
 * "<token>" user) the OAuth2 POST of distribution's docs/spec/auth/oauth.md, grant_type
 * refresh_token; otherwise the GET of docs/spec/auth/token.md with Basic credentials when we
 * have them. url, form and basic are filled (form and basic hold secrets: the caller wipes). */
static void token_request(reg_t *r, reg_req_t *q, buf_t *url, buf_t *form, buf_t *basic)
{
	buf_addstr(url, r->realm);
	if (r->creds.identity_token) {
		buf_t scopes = BUF_INIT;
		for (size_t i = 0; i < r->n_scopes; i++)
			buf_addf(&scopes, "%s%s", i ? " " : "", r->scopes[i]);
		add_param(r, form, "grant_type", "refresh_token");
		add_param(r, form, "refresh_token", r->creds.identity_token);
		add_param(r, form, "client_id", "imgbuild");
		if (r->service)
			add_param(r, form, "service", r->service);
		if (scopes.len)
			add_param(r, form, "scope", scopes.data);
		buf_free(&scopes);
		q->method = "POST";
		q->content_type = "application/x-www-form-urlencoded";
		q->mem = form->data;
		q->mem_len = form->len;
	} else {
		buf_addch(url, strchr(r->realm, '?') ? '&' : '?');
		if (r->service)
			add_param(r, url, "service", r->service);
		for (size_t i = 0; i < r->n_scopes; i++)
			add_param(r, url, "scope", r->scopes[i]);
		if (r->creds.user) {
			add_param(r, url, "account", r->creds.user);
			auth_basic_value(&r->creds, basic);
		}
		q->method = "GET";
	}
	q->url = url->data;
}

static int fetch_token(reg_t *r, const char *op, err_t *err)
{
	buf_t url = BUF_INIT, basic = BUF_INIT, what = BUF_INIT, form = BUF_INIT;
	reg_req_t q;
	reg_resp_t p;
	int rc = -1;
	reg_req_init(&q);
	reg_resp_init(&p);
	token_request(r, &q, &url, &form, &basic);
	buf_addf(&what, "token for %s from %s", op, r->realm);
	q.op = what.data;
	for (int attempt = 1;; attempt++) {
		perform_once(r, &q, basic.data, &p);
		if (!resp_is_transient(&p) || attempt >= r->opts.max_attempts)
			break;
		reg_logf(r, "registry %s: %s: retrying", r->name, what.data);
		reg_backoff(r, attempt, &p);
	}
	if (p.curl_rc != CURLE_OK || p.status != 200) {
		reg_fail(r, what.data, &p, NULL, err);
		goto out;
	}
	if (auth_token_header(p.body.data, p.body.len, &r->auth_header) != 0) {
		err_set(err, "registry %s: %s: the answer holds no usable token", r->name,
			what.data);
		goto out;
	}
	rc = 0;
out:
	if (p.body.data)
		explicit_bzero(p.body.data, p.body.len);
	reg_resp_free(&p);
	auth_buf_wipe(&basic);
	auth_buf_wipe(&form);
	buf_free(&url);
	buf_free(&what);
	return rc;
}

/* Answers a 401: learns the challenge, finds credentials, gets a token or sets Basic. */
static int answer_challenge(reg_t *r, const char *op, const reg_resp_t *p, err_t *err)
{
	auth_challenge_t ch;
	int rc = -1;
	if (!p->www_auth.len)
		return reg_fail(r, op, p, "the registry sent 401 without WWW-Authenticate", err);
	if (auth_challenge_parse(p->www_auth.data, &ch, err)) {
		err_prefix(err, "registry %s: %s", r->name, op);
		return -1;
	}
	if (need_creds(r, err))
		goto out;
	free(r->auth_scheme);
	r->auth_scheme = xstrdup(ch.scheme);
	if (!strcmp(ch.scheme, "Basic")) {
		if (!r->creds.user) {
			reg_fail(r, op, p, "no credentials for this registry", err);
			goto out;
		}
		auth_buf_wipe(&r->auth_header);
		auth_basic_value(&r->creds, &r->auth_header);
		rc = 0;
		goto out;
	}
	free(r->realm);
	free(r->service);
	r->realm = xstrdup(ch.realm);
	r->service = xstrdup(ch.service);
	/* distribution joins several scopes with spaces in one challenge (mount: target push,
	 * source pull); the token endpoint wants one scope parameter each */
	for (const char *sc = ch.scope; sc && *sc;) {
		size_t n = strcspn(sc, " ");
		if (n) {
			char *one = xstrndup(sc, n);
			add_scope_str(r, one);
			free(one);
		}
		sc += n;
		sc += strspn(sc, " ");
	}
	rc = fetch_token(r, op, err);
out:
	auth_challenge_clear(&ch);
	return rc;
}

/* ---- ping and the request loop ------------------------------------------------------------ */

/* GET /v2/ settles the scheme: https unless the host may speak plain HTTP (insecure or
 * loopback, as Docker) and the TLS handshake shows it does not speak TLS. */
static int ping(reg_t *r, err_t *err)
{
	buf_t url = BUF_INIT;
	reg_req_t q;
	reg_resp_t p;
	int rc = -1, may_http = r->is_insecure || oci_ref_is_loopback(r->name);
	reg_req_init(&q);
	reg_resp_init(&p);
	q.method = "GET";
	q.op = "GET /v2/ (API check)";
	for (int attempt = 1;; attempt++) {
		reg_url(r, NULL, "", &url);
		q.url = url.data;
		perform_once(r, &q, NULL, &p);
		if (p.curl_rc == CURLE_SSL_CONNECT_ERROR && may_http &&
		    !strncmp(r->base.data, "https:", 6)) {
			reg_logf(r,
				 "registry %s does not speak TLS; using plain HTTP (insecure or "
				 "loopback registry)",
				 r->name);
			buf_setstr(&r->base, "http://");
			buf_addstr(&r->base, oci_ref_api_host(r->name));
			attempt--;
			continue;
		}
		if (!resp_is_transient(&p) || attempt >= r->opts.max_attempts)
			break;
		reg_backoff(r, attempt, &p);
	}
	if (p.curl_rc != CURLE_OK) {
		reg_fail(r, q.op, &p, NULL, err);
		goto out;
	}
	if (p.status != 200 && p.status != 401) {
		reg_fail(r, q.op, &p, "is this a container registry (OCI distribution API)?", err);
		goto out;
	}
	r->pinged = 1;
	rc = 0;
out:
	reg_resp_free(&p);
	buf_free(&url);
	return rc;
}

int reg_connect(reg_t *r, err_t *err)
{
	return r->pinged ? 0 : ping(r, err);
}

void reg_inherit_connection(reg_t *r, const reg_t *from)
{
	if (!from->pinged || strcmp(r->name, from->name) != 0)
		return;
	buf_setstr(&r->base, from->base.data);
	r->pinged = 1;
}

int reg_url_allowed(const char *base, const char *url, const char *const *insecure,
		    size_t n_insecure)
{
	buf_t authority = BUF_INIT;
	int ok = 0;
	if (http_same_origin(url, base) || !strncasecmp(url, "https://", 8))
		return 1;
	if (!strncasecmp(url, "http://", 7) && http_url_authority(url, &authority) == 0)
		ok = host_listed(authority.data, insecure, n_insecure) ||
		     (!strncasecmp(base, "http://", 7) && oci_ref_is_loopback(authority.data));
	buf_free(&authority);
	return ok;
}

/* issue 10 #4: a Location or redirect keeps the registry's TLS rules. */
static int check_url(reg_t *r, const char *op, const char *url, err_t *err)
{
	if (reg_url_allowed(r->base.data, url, r->opts.insecure, r->opts.n_insecure))
		return 0;
	if (!strncasecmp(r->base.data, "https:", 6))
		return err_set(
			err,
			"registry %s: %s: the registry sent us on to %s, which is refused: the "
			"registry speaks TLS, so only https:// URLs are followed (plain http:// "
			"only to a host listed as insecure)",
			r->name, op, url);
	return err_set(
		err,
		"registry %s: %s: the registry sent us on to %s, which is refused: only https://, "
		"the registry itself, a loopback host or a host listed as insecure",
		r->name, op, url);
}

/* A GET/HEAD answered with a redirect: the next URL to try into next (0), or -1 (none). */
static int redirect_target(const reg_req_t *q, const reg_resp_t *p, buf_t *next)
{
	long s = p->status;
	int is_redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
	if (p->curl_rc != CURLE_OK || !is_redirect || !p->location.len ||
	    (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0))
		return -1;
	return reg_resolve_location(q->url, p->location.data, next);
}

static void log_retry(reg_t *r, const reg_req_t *q, const reg_resp_t *p)
{
	if (p->curl_rc != CURLE_OK)
		reg_logf(r, "registry %s: %s: %s; retrying", r->name, q->op,
			 p->curl_err[0] ? p->curl_err : curl_easy_strerror(p->curl_rc));
	else
		reg_logf(r, "registry %s: %s: HTTP %ld; retrying", r->name, q->op, p->status);
}

int reg_do(reg_t *r, const reg_req_t *q, reg_resp_t *p, err_t *err)
{
	reg_req_t hop = *q;
	buf_t url = BUF_INIT, next = BUF_INIT;
	int answered_401 = 0, hops = 0, rc = -1;
	if (reg_connect(r, err))
		return -1;
	buf_setstr(&url, q->url);
	for (int attempt = 1;; attempt++) {
		if (check_url(r, q->op, url.data, err))
			goto out;
		hop.url = url.data;
		/* credentials only for the origin they were issued for (as Docker, containerd) */
		int is_home = http_same_origin(url.data, r->base.data);
		perform_once(r, &hop, is_home ? r->auth_header.data : NULL, p);
		p->is_other_host = !is_home;
		if (hops < REG_MAX_REDIRECTS && redirect_target(&hop, p, &next) == 0) {
			buf_setstr(&url, next.data);
			hops++;
			attempt--;
			continue;
		}
		if (p->curl_rc == CURLE_OK && p->status == 401 && is_home && !answered_401) {
			answered_401 = 1;
			if (answer_challenge(r, q->op, p, err))
				goto out;
			attempt--;
			continue;
		}
		if (!resp_is_transient(p) || q->is_once || attempt >= r->opts.max_attempts)
			break;
		log_retry(r, q, p);
		reg_backoff(r, attempt, p);
	}
	rc = p->curl_rc != CURLE_OK ? reg_fail(r, q->op, p, NULL, err) : 0;
out:
	buf_free(&url);
	buf_free(&next);
	return rc;
}
