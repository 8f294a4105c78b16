/* fetch_curl.c — the pyfetch.h interface over the one shared HTTP client (common/http.h):
 * pip's pages, metadata files and wheels get the same CA, proxy, timeout, redirect and retry
 * rules as channels and packages. The body streams into the caller's sink, which cannot be
 * rewound, so a transient failure (a 5xx, 429, a refused or reset connection) is retried
 * only while no byte of the body has reached the sink; a transfer cut after that fails with
 * the URL named (the index client keeps nothing of a partial download). */
#include "pyfetch.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#include "http.h"

typedef struct attempt {
	const pypi_fetch_req_t *req;
	err_t *err;
	CURL *curl;
	int is_sink_failed;
	long long delivered_bytes; /* body bytes given to the sink, over all attempts */
	buf_t retry_after;
	char errbuf[CURL_ERROR_SIZE];
} attempt_t;

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
	attempt_t *a = ud;
	if (!http_answer_is_document(a->curl))
		return size * n; /* an error page or a redirect's body is not the file */
	if (a->req->sink(a->req->sink_ud, data, size * n, a->err) < 0) {
		a->is_sink_failed = 1;
		return 0;
	}
	a->delivered_bytes += (long long)(size * n);
	return size * n;
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
	attempt_t *a = ud;
	if (size * n > 5 && !strncmp(line, "HTTP/", 5))
		buf_reset(&a->retry_after); /* a new answer: only the final one's header counts */
	else
		http_header_value(line, size * n, "Retry-After", &a->retry_after);
	return size * n;
}

static CURLcode run_once(const http_client_t *c, attempt_t *a, long *status)
{
	struct curl_slist *headers = NULL;
	buf_t accept = BUF_INIT;
	CURLcode rc;
	curl_easy_reset(a->curl);
	http_client_setup(c, a->curl, a->req->url, HTTP_FOLLOW);
	if (a->req->accept) {
		buf_addf(&accept, "Accept: %s", a->req->accept);
		headers = curl_slist_append(headers, buf_cstr(&accept));
		curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, headers);
	}
	a->errbuf[0] = '\0';
	curl_easy_setopt(a->curl, CURLOPT_ERRORBUFFER, a->errbuf);
	curl_easy_setopt(a->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(a->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(a->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(a->curl, CURLOPT_HEADERDATA, a);
	rc = curl_easy_perform(a->curl);
	*status = 0;
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, status);
	curl_easy_setopt(a->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	buf_free(&accept);
	return rc;
}

/* What the last attempt's outcome means (see pyfetch.h). */
static int judge(attempt_t *a, CURLcode rc, long status, int attempts, err_t *err)
{
	const char *url = a->req->url;
	buf_t what = BUF_INIT, tries = BUF_INIT;
	int hint = ERR_HINT_NONE, r = -1;
	if (attempts > 1)
		buf_addf(&tries, " (gave up after %d attempts)", attempts);
	if (a->is_sink_failed) {
		r = -1; /* the sink set err */
	} else if (rc != CURLE_OK) {
		http_describe_error(rc, a->errbuf, &what, &hint);
		err_set(err, "cannot fetch %s: %s%s", url, buf_cstr(&what), buf_cstr(&tries));
		err_set_hint(err, hint);
	} else if (status == 404 || status == 410) {
		r = PYPI_FETCH_NOT_FOUND;
	} else if (status == 401 || status == 403) {
		err_set(err,
			"%s: HTTP %ld (access denied): is the index private, or the URL wrong?",
			url, status);
	} else if (status < 200 || status >= 300) {
		err_set(err, "%s: HTTP %ld%s", url, status, buf_cstr(&tries));
	} else {
		r = 0;
	}
	buf_free(&what);
	buf_free(&tries);
	return r;
}

static int fetch_http(const http_client_t *c, const pypi_fetch_req_t *req, pypi_fetch_resp_t *resp,
		      err_t *err)
{
	attempt_t a = {.req = req, .err = err, .retry_after = BUF_INIT};
	char *ct = NULL, *final = NULL;
	CURLcode rc = CURLE_OK;
	long status = 0;
	int attempt, r;
	if (!(a.curl = curl_easy_init()))
		return err_set(err, "%s: cannot start a libcurl transfer", req->url);
	for (attempt = 1;; attempt++) {
		rc = run_once(c, &a, &status);
		int is_transient = rc != CURLE_OK ? http_curl_is_transient(rc)
						  : http_status_is_transient(status);
		if (a.is_sink_failed || a.delivered_bytes > 0 || !is_transient ||
		    attempt >= http_client_max_attempts(c))
			break;
		http_sleep_ms(http_client_retry_delay_ms(c, attempt, a.retry_after.data));
	}
	curl_easy_getinfo(a.curl, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(a.curl, CURLINFO_EFFECTIVE_URL, &final);
	buf_setstr(&resp->content_type, ct ? ct : "");
	buf_setstr(&resp->final_url, final ? final : req->url);
	r = judge(&a, rc, status, attempt, err);
	curl_easy_cleanup(a.curl);
	buf_free(&a.retry_after);
	return r;
}

int pypi_fetch_http(void *ud, const pypi_fetch_req_t *req, pypi_fetch_resp_t *resp, err_t *err)
{
	http_client_t *own = NULL;
	const http_client_t *c = ud;
	int r;
	if (!strncasecmp(req->url, "file:", 5))
		return pypi_fetch_file(NULL, req, resp, err);
	if (!c && !(c = own = http_client_new(NULL, err)))
		return -1;
	r = fetch_http(c, req, resp, err);
	http_client_free(own);
	return r;
}
