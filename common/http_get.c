/* http_get.c — one GET under the shared policy (see http.h), for repodata and shards: the body
 * goes into a file or a buffer bounded by max_bytes, error pages are never stored, validators
 * (ETag, Last-Modified) and Retry-After come from the final answer, and transient failures are
 * retried on the client's schedule, each attempt starting the body over. */
#include "http.h"
#include "fsutil.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct get_state {
	const http_get_t *q;
	http_got_t *got;
	CURL *curl;
	int is_too_big;
	int write_errno;
	buf_t retry_after;
	char errbuf[CURL_ERROR_SIZE];
} get_state_t;

static int has(const char *s)
{
	return s && *s;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	get_state_t *s = ud;
	size_t n = size * nmemb;
	if (!http_answer_is_document(s->curl))
		return n; /* an error page, not the document */
	if (s->q->max_bytes > 0 && s->got->bytes + (long long)n > s->q->max_bytes) {
		s->is_too_big = 1;
		return 0; /* aborts the transfer */
	}
	if (s->q->out_fd >= 0) {
		if ((s->write_errno = fs_write_all(s->q->out_fd, data, n)) != 0)
			return 0;
	} else {
		buf_add(s->q->out_buf, data, n);
	}
	s->got->bytes += (long long)n;
	return n;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
	get_state_t *s = ud;
	size_t n = size * nitems;
	if (n > 5 && !strncmp(line, "HTTP/", 5)) {
		/* a new answer (after a redirect): only the final one's headers count */
		buf_reset(&s->got->etag);
		buf_reset(&s->got->last_modified);
		buf_reset(&s->retry_after);
		return n;
	}
	if (!http_header_value(line, n, "ETag", &s->got->etag) &&
	    !http_header_value(line, n, "Last-Modified", &s->got->last_modified))
		http_header_value(line, n, "Retry-After", &s->retry_after);
	return n;
}

static struct curl_slist *add_header(struct curl_slist *h, const char *name, const char *value)
{
	buf_t line = BUF_INIT;
	if (!has(value))
		return h;
	buf_addf(&line, "%s: %s", name, value);
	h = curl_slist_append(h, line.data);
	buf_free(&line);
	return h;
}

/* Starts the body over for another attempt. */
static int reset_attempt(get_state_t *s)
{
	s->got->status = 0;
	s->got->bytes = 0;
	s->is_too_big = 0;
	s->errbuf[0] = '\0';
	buf_reset(&s->got->etag);
	buf_reset(&s->got->last_modified);
	buf_reset(&s->retry_after);
	if (s->q->out_fd < 0) {
		buf_reset(s->q->out_buf);
		return 0;
	}
	if (ftruncate(s->q->out_fd, 0) != 0 || lseek(s->q->out_fd, 0, SEEK_SET) != 0)
		return s->write_errno = errno ? errno : EIO;
	return 0;
}

static CURLcode get_once(const http_client_t *c, get_state_t *s)
{
	const http_get_t *q = s->q;
	struct curl_slist *h = NULL;
	if (reset_attempt(s) != 0)
		return CURLE_WRITE_ERROR;
	curl_easy_reset(s->curl);
	http_client_setup(c, s->curl, q->url, HTTP_ALLOW_FILE | HTTP_FOLLOW);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
	if (q->is_compressed_ok)
		curl_easy_setopt(s->curl, CURLOPT_ACCEPT_ENCODING, "");
	h = add_header(h, "If-None-Match", q->if_none_match);
	h = add_header(h, "If-Modified-Since", q->if_modified_since);
	if (h)
		curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	CURLcode cc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->got->status);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL); /* h dies here */
	curl_slist_free_all(h);
	return cc;
}

static int worth_retrying(const get_state_t *s, CURLcode cc)
{
	if (s->is_too_big || s->write_errno)
		return 0;
	return cc != CURLE_OK ? http_curl_is_transient(cc)
			      : http_status_is_transient(s->got->status);
}

/* The outcome of the last attempt (see http_get). */
static int judge(const get_state_t *s, CURLcode cc, int attempts, err_t *err)
{
	const http_get_t *q = s->q;
	long status = s->got->status;
	int is_file = !strncasecmp(q->url, "file:", 5), hint = ERR_HINT_NONE, rc = -1;
	buf_t what = BUF_INIT, tries = BUF_INIT;
	if (attempts > 1)
		buf_addf(&tries, " (gave up after %d attempts)", attempts);
	if (s->is_too_big) {
		err_set(err, "%s: larger than the %lld-byte limit", q->url, q->max_bytes);
	} else if (s->write_errno) {
		err_set(err, "%s: cannot store the download: %s", q->url, strerror(s->write_errno));
	} else if (is_file && cc == CURLE_FILE_COULDNT_READ_FILE) {
		rc = HTTP_GOT_MISSING;
	} else if (cc != CURLE_OK) {
		http_describe_error(cc, s->errbuf, &what, &hint);
		err_set(err, "cannot fetch %s: %s%s", q->url, what.data, buf_cstr(&tries));
		err_set_hint(err, hint);
	} else if (is_file || status == 200) {
		rc = HTTP_GOT_BODY;
	} else if (status == 304 && (has(q->if_none_match) || has(q->if_modified_since))) {
		rc = HTTP_GOT_NOT_MODIFIED;
	} else if (status == 404 || status == 410) {
		rc = HTTP_GOT_MISSING;
	} else if (status == 401 || status == 403) {
		err_set(err, "%s: HTTP %ld (access denied): is it private, or the URL wrong?",
			q->url, status);
	} else {
		err_set(err, "%s: HTTP %ld%s", q->url, status,
			tries.len ? tries.data : " (unexpected status)");
	}
	buf_free(&what);
	buf_free(&tries);
	return rc;
}

int http_get(const http_client_t *c, const http_get_t *q, http_got_t *got, err_t *err)
{
	http_client_t *own = NULL;
	get_state_t s = {.q = q, .got = got, .curl = q->handle ? *q->handle : NULL};
	CURLcode cc = CURLE_OK;
	int attempt, rc = -1;
	if (!c && !(c = own = http_client_new(NULL, err)))
		return -1;
	if (!s.curl && !(s.curl = curl_easy_init())) {
		err_set(err, "%s: cannot start a libcurl transfer", q->url);
		goto out;
	}
	if (q->handle)
		*q->handle = s.curl;
	for (attempt = 1;; attempt++) {
		cc = get_once(c, &s);
		if (!worth_retrying(&s, cc) || attempt >= http_client_max_attempts(c))
			break;
		http_sleep_ms(http_client_retry_delay_ms(c, attempt, s.retry_after.data));
	}
	rc = judge(&s, cc, attempt, err);
out:
	if (s.curl && !q->handle)
		curl_easy_cleanup(s.curl);
	buf_free(&s.retry_after);
	http_client_free(own);
	return rc;
}

void http_got_free(http_got_t *got)
{
	buf_free(&got->etag);
	buf_free(&got->last_modified);
}
