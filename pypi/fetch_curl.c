/* fetch_curl.c — a plain libcurl binding of the pyfetch.h interface, standing in until
 * common/http (retries, proxies, credentials, one connection pool) is bound instead; kept
 * in this one file so that swap touches nothing else. One easy handle per request; http and
 * https only (redirects too), TLS verified, 30 s to connect, a transfer slower than 1 KB/s
 * for 60 s is abandoned. */
#include "pyfetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <strings.h>

typedef struct sink_ctx {
	const pypi_fetch_req_t *req;
	err_t *err;
	int failed;
	long status;
	CURL *curl;
} sink_ctx_t;

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
	sink_ctx_t *c = ud;
	/* only a 2xx body goes to the sink (an error page is not the file) */
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
	if (c->status < 200 || c->status >= 300)
		return size * n;
	if (c->req->sink(c->req->sink_ud, data, size * n, c->err) < 0) {
		c->failed = 1;
		return 0;
	}
	return size * n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int run(CURL *curl, const pypi_fetch_req_t *req, pypi_fetch_resp_t *resp, err_t *err)
{
	sink_ctx_t ctx = {req, err, 0, 0, curl};
	struct curl_slist *headers = NULL;
	buf_t accept = BUF_INIT;
	char *ct = NULL, *final = NULL;
	CURLcode rc;
	if (req->accept) {
		buf_addf(&accept, "Accept: %s", req->accept);
		headers = curl_slist_append(headers, buf_cstr(&accept));
	}
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "imgbuild");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ctx);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &ctx.status);
	curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &final);
	buf_setstr(&resp->content_type, ct ? ct : "");
	buf_setstr(&resp->final_url, final ? final : req->url);
	curl_slist_free_all(headers);
	buf_free(&accept);
	if (ctx.failed)
		return -1;
	if (rc != CURLE_OK)
		return err_set(err, "%s: %s", req->url, curl_easy_strerror(rc));
	if (ctx.status == 404 || ctx.status == 410)
		return PYPI_FETCH_NOT_FOUND;
	if (ctx.status < 200 || ctx.status >= 300)
		return err_set(err, "%s: HTTP %ld", req->url, ctx.status);
	return 0;
}

int pypi_fetch_default(void *ud, const pypi_fetch_req_t *req, pypi_fetch_resp_t *resp, err_t *err)
{
	CURL *curl;
	int r;
	if (!strncasecmp(req->url, "file:", 5))
		return pypi_fetch_file(ud, req, resp, err);
	pthread_once(&curl_once, curl_init_once);
	if (!(curl = curl_easy_init()))
		return err_set(err, "%s: cannot start a libcurl transfer", req->url);
	r = run(curl, req, resp, err);
	curl_easy_cleanup(curl);
	return r;
}
