/* reg.c — the registry client's HTTP core (see reg.h): one libcurl easy handle per registry,
 * the /v2/ ping that settles the scheme, the WWW-Authenticate flow (Basic, and Bearer tokens
 * from the realm with every scope this client needs), bounded retries with backoff, and
 * error messages. Blob and manifest operations live in reg_ops.c. */
#include "reg_internal.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ref.h"

#define REG_DEFAULT_ATTEMPTS 5
#define REG_DEFAULT_BACKOFF_MS 300
#define REG_BACKOFF_CAP_MS 8000
#define REG_RETRY_AFTER_CAP_S 30
#define REG_DEFAULT_CHUNK (32LL << 20)

typedef struct xfer {
	const reg_req_t *q;
	reg_resp_t *p;
	CURL *curl;
	long long sent;
	int out_error;
} xfer_t;

void reg_req_init(reg_req_t *q)
{
	memset(q, 0, sizeof *q);
	q->fd = -1;
	q->out_fd = -1;
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
	buf_reset(&p->body);
	p->written = 0;
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
	reg_t *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->name = strdup(registry);
	r->opts = *opts;
	if (r->opts.max_attempts <= 0)
		r->opts.max_attempts = REG_DEFAULT_ATTEMPTS;
	if (r->opts.backoff_ms <= 0)
		r->opts.backoff_ms = REG_DEFAULT_BACKOFF_MS;
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
	r->scopes = realloc(r->scopes, (r->n_scopes + 1) * sizeof *r->scopes);
	if (!r->scopes)
		abort();
	r->scopes[r->n_scopes++] = strdup(scope);
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
	CURLU *u = curl_url();
	char *s = NULL;
	int rc = -1;
	if (!u)
		abort();
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

static int header_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	return n > k && !strncasecmp(line, name, k) && line[k] == ':';
}

static void header_value(const char *line, size_t n, size_t name_len, buf_t *out)
{
	const char *v = line + name_len + 1;
	const char *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	buf_reset(out);
	buf_add(out, v, (size_t)(end - v));
}

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
	};
	if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
		/* a new response (after 100 Continue or a redirect): forget the previous headers */
		buf_reset(&x->p->location);
		buf_reset(&x->p->www_auth);
		return n;
	}
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (header_is(line, n, map[i].name))
			header_value(line, n, strlen(map[i].name), (buf_t *)((char *)x->p + map[i].off));
	return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	xfer_t *x = ud;
	size_t n = size * nmemb;
	long status = 0;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (x->q->out_fd >= 0 && status >= 200 && status < 300) {
		size_t off = 0;
		while (off < n) {
			ssize_t w = write(x->q->out_fd, data + off, n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				x->out_error = errno ? errno : EIO;
				return 0;
			}
			off += (size_t)w;
		}
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

static void set_tls(reg_t *r, CURL *c)
{
	if (r->is_insecure) {
		/* --insecure-registry: Docker accepts any certificate from these hosts */
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (r->opts.ca_cert) {
		/* CAINFO replaces the default bundle; CAPATH keeps the system CAs trusted as well */
		curl_easy_setopt(c, CURLOPT_CAINFO, r->opts.ca_cert);
		curl_easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
}

/* auth_value: the Authorization value to send ("" or NULL for none). */
static void perform_once(reg_t *r, const reg_req_t *q, const char *auth_value, reg_resp_t *p)
{
	CURL *c = r->curl;
	struct curl_slist *h = NULL;
	xfer_t x = {.q = q, .p = p, .curl = c};
	buf_t line = BUF_INIT;
	resp_reset(p);
	if (q->out_fd >= 0) {
		/* a retry starts the file over */
		if (ftruncate(q->out_fd, 0) != 0 || lseek(q->out_fd, 0, SEEK_SET) != 0) {
			p->curl_rc = CURLE_WRITE_ERROR;
			goto out;
		}
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, q->url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "imgbuild (OCI distribution client)");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, p->curl_err);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled transfer (under 1 KB/s for 60 s) counts as a dropped connection */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	set_tls(r, c);
	h = curl_slist_append(h, "Expect:");
	if (auth_value && *auth_value) {
		buf_addf(&line, "Authorization: %s", auth_value);
		h = curl_slist_append(h, line.data);
		auth_buf_wipe(&line);
	}
	if (q->accept) {
		buf_setstr(&line, "Accept: ");
		buf_addstr(&line, q->accept);
		h = curl_slist_append(h, line.data);
	}
	if (q->content_type) {
		buf_setstr(&line, "Content-Type: ");
		buf_addstr(&line, q->content_type);
		h = curl_slist_append(h, line.data);
	}
	if (q->content_range) {
		buf_setstr(&line, "Content-Range: ");
		buf_addstr(&line, q->content_range);
		h = curl_slist_append(h, line.data);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	int has_body = q->fd >= 0 || q->mem;
	if (!strcmp(q->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(q->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		/* blobs may redirect to storage; Authorization is not sent to another host */
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	} else if (has_body) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &x);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)(q->fd >= 0 ? q->file_len : (long long)q->mem_len));
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	} else if (!strcmp(q->method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		/* PUT/PATCH/DELETE without a body: an empty upload gives Content-Length: 0 */
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &x);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	}
	p->curl_rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p->status);
	if (p->curl_rc == CURLE_OK && x.out_error) {
		p->curl_rc = CURLE_WRITE_ERROR;
		snprintf(p->curl_err, sizeof p->curl_err, "writing the download: %s", strerror(x.out_error));
	}
out:
	/* the handle keeps pointers into this frame: drop them */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	buf_free(&line);
}

/* ---- retries ----------------------------------------------------------------------------- */

int reg_status_is_transient(long status)
{
	return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
}

static int curl_is_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

long reg_backoff_delay_ms(long first_ms, int attempt, const char *retry_after, time_t now)
{
	long ms = first_ms;
	for (int i = 1; i < attempt && ms < REG_BACKOFF_CAP_MS; i++)
		ms *= 2;
	if (ms > REG_BACKOFF_CAP_MS)
		ms = REG_BACKOFF_CAP_MS;
	if (retry_after && *retry_after) {
		/* RFC 9110 10.2.3: delta-seconds or an HTTP-date; capped so a registry cannot
		 * park the build; anything unreadable falls back to our own schedule */
		char *end = NULL;
		long s = strtol(retry_after, &end, 10);
		if (end != retry_after && end && !*end && s >= 0) {
			ms = (s > REG_RETRY_AFTER_CAP_S ? REG_RETRY_AFTER_CAP_S : s) * 1000L;
		} else {
			time_t when = curl_getdate(retry_after, NULL);
			if (when != (time_t)-1) {
				long long d = when > now ? (long long)(when - now) : 0;
				ms = (d > REG_RETRY_AFTER_CAP_S ? REG_RETRY_AFTER_CAP_S : (long)d) * 1000L;
			}
		}
	}
	return ms;
}

void reg_backoff(reg_t *r, int attempt, const reg_resp_t *p)
{
	r->stats.retries++;
	sleep_ms(reg_backoff_delay_ms(r->opts.backoff_ms, attempt, p ? p->retry_after.data : NULL,
				      time(NULL)));
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

static const char *const creds_hint =
	"give credentials with --creds USER:PASSWORD, $IMGBUILD_REGISTRY_USER/$IMGBUILD_REGISTRY_PASSWORD or `docker login`";

int reg_fail(reg_t *r, const char *op, const reg_resp_t *p, const char *hint, err_t *err)
{
	buf_t sum = BUF_INIT;
	if (!hint && p->curl_rc == CURLE_OK && (p->status == 401 || p->status == 403))
		hint = creds_hint;
	if (p->curl_rc != CURLE_OK) {
		err_set(err, "registry %s: %s: %s%s%s", r->name, op,
			p->curl_err[0] ? p->curl_err : curl_easy_strerror(p->curl_rc), hint ? "; " : "",
			hint ? hint : "");
	} else {
		body_summary(p, &sum);
		err_set(err, "registry %s: %s: HTTP %ld%s%s%s%s%s", r->name, op, p->status,
			sum.len ? " (" : "", sum.data ? sum.data : "", sum.len ? ")" : "", hint ? "; " : "",
			hint ? hint : "");
	}
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
		int transient = p.curl_rc != CURLE_OK ? curl_is_transient(p.curl_rc)
						      : reg_status_is_transient(p.status);
		if (!transient || attempt >= r->opts.max_attempts)
			break;
		reg_logf(r, "registry %s: %s: retrying", r->name, what.data);
		reg_backoff(r, attempt, &p);
	}
	if (p.curl_rc != CURLE_OK || p.status != 200) {
		reg_fail(r, what.data, &p, p.status == 401 || p.status == 403 ? creds_hint : NULL, err);
		goto out;
	}
	if (auth_token_header(p.body.data, p.body.len, &r->auth_header) != 0) {
		err_set(err, "registry %s: %s: the answer holds no usable token", r->name, what.data);
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
	r->auth_scheme = strdup(ch.scheme);
	if (!strcmp(ch.scheme, "Basic")) {
		if (!r->creds.user) {
			reg_fail(r, op, p, creds_hint, err);
			goto out;
		}
		auth_buf_wipe(&r->auth_header);
		auth_basic_value(&r->creds, &r->auth_header);
		rc = 0;
		goto out;
	}
	free(r->realm);
	free(r->service);
	r->realm = strdup(ch.realm);
	r->service = ch.service ? strdup(ch.service) : NULL;
	/* distribution joins several scopes with spaces in one challenge (mount: target push,
	 * source pull); the token endpoint wants one scope parameter each */
	for (const char *sc = ch.scope; sc && *sc;) {
		size_t n = strcspn(sc, " ");
		if (n) {
			char *one = strndup(sc, n);
			if (!one)
				abort();
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
		if (p.curl_rc == CURLE_SSL_CONNECT_ERROR && may_http && !strncmp(r->base.data, "https:", 6)) {
			reg_logf(r, "registry %s does not speak TLS; using plain HTTP (insecure or loopback registry)", r->name);
			buf_setstr(&r->base, "http://");
			buf_addstr(&r->base, oci_ref_api_host(r->name));
			attempt--;
			continue;
		}
		int transient = p.curl_rc != CURLE_OK ? curl_is_transient(p.curl_rc)
						      : reg_status_is_transient(p.status);
		if (!transient || attempt >= r->opts.max_attempts)
			break;
		reg_backoff(r, attempt, &p);
	}
	if (p.curl_rc == CURLE_PEER_FAILED_VERIFICATION) {
		reg_fail(r, q.op, &p, "the certificate is not trusted: pass --ca-cert FILE (or --insecure-registry for a test registry)", err);
		goto out;
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

int reg_do(reg_t *r, const reg_req_t *q, reg_resp_t *p, err_t *err)
{
	int answered_401 = 0;
	if (reg_connect(r, err))
		return -1;
	for (int attempt = 1;; attempt++) {
		perform_once(r, q, r->auth_header.data, p);
		if (p->curl_rc == CURLE_OK && p->status == 401 && !answered_401) {
			answered_401 = 1;
			if (answer_challenge(r, q->op, p, err))
				return -1;
			attempt--;
			continue;
		}
		int transient = p->curl_rc != CURLE_OK ? curl_is_transient(p->curl_rc)
						       : reg_status_is_transient(p->status);
		if (!transient || q->is_once || attempt >= r->opts.max_attempts)
			break;
		if (p->curl_rc != CURLE_OK)
			reg_logf(r, "registry %s: %s: %s; retrying", r->name, q->op,
				 p->curl_err[0] ? p->curl_err : curl_easy_strerror(p->curl_rc));
		else
			reg_logf(r, "registry %s: %s: HTTP %ld; retrying", r->name, q->op, p->status);
		reg_backoff(r, attempt, p);
	}
	if (p->curl_rc != CURLE_OK)
		return reg_fail(r, q->op, p, NULL, err);
	return 0;
}
