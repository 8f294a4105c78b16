/* fetch.c — parallel package downloads with libcurl multi under the shared HTTP policy
 * (http.h), verified before they enter the content-addressed package cache
 * (<cache>/pkgs/<algo>/<hex><ext>).
 * A transfer streams into a temp file in <cache>/pkgs/tmp while hashing; only a file whose
 * digest matches the repodata is renamed into place, so a killed or failed fetch never
 * leaves a corrupt cache entry. Cached entries were verified when they were stored. A failed
 * transfer worth retrying waits out its backoff without holding up the others. */
#include "fetch.h"
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "fsutil.h"
#include "scratch.h"
#include "xalloc.h"

typedef struct transfer {
	const pkgrec_t *rec;
	CURL *easy;
	FILE *out;
	buf_t tmp_path;
	buf_t final_path;
	digest_t *digest;
	digest_kind_t kind;
	const char *expected; /* borrowed from rec */
	long long received;
	long long limit;
	int attempts;
	int is_too_big;
	long long retry_at_ms; /* waiting to be retried at this monotonic time; 0 = not waiting */
	buf_t retry_after;     /* of the last answer */
	const progress_sink_t *sink;
	char curl_err[CURL_ERROR_SIZE];
} transfer_t;

/* All transfers of one fetch_packages call. */
typedef struct run {
	const fetch_opts_t *o;
	const http_client_t *http;
	transfer_t *ts;
	size_t n, next, active, waiting;
	CURLM *multi;
	buf_t tmp_dir;
} run_t;

static const char *archive_ext(const char *fn)
{
	size_t n = strlen(fn);
	if (n > 6 && !strcmp(fn + n - 6, ".conda"))
		return ".conda";
	if (n > 8 && !strcmp(fn + n - 8, ".tar.bz2"))
		return ".tar.bz2";
	return "";
}

/* Cache key: the sha256 when the repodata gives one, else md5. */
static int cache_path_for(const pkgrec_t *rec, const char *cache_dir, buf_t *out,
			  digest_kind_t *kind, const char **expected, err_t *err)
{
	buf_reset(out);
	buf_addstr(out, cache_dir);
	if (rec->sha256 && *rec->sha256) {
		if (!digest_is_hex(rec->sha256, 64))
			return err_set(err,
				       "package %s: repodata sha256 '%s' is not 64 hex digits (%s)",
				       rec->fn, rec->sha256, rec->url);
		*kind = DIGEST_SHA256;
		*expected = rec->sha256;
		buf_addpath(out, "pkgs/sha256");
	} else if (rec->md5 && *rec->md5) {
		if (!digest_is_hex(rec->md5, 32))
			return err_set(err,
				       "package %s: repodata md5 '%s' is not 32 hex digits (%s)",
				       rec->fn, rec->md5, rec->url);
		*kind = DIGEST_MD5;
		*expected = rec->md5;
		buf_addpath(out, "pkgs/md5");
	} else {
		return err_set(err,
			       "package %s has neither sha256 nor md5 in %s (%s): it cannot be "
			       "verified; %s",
			       rec->fn, pkgrec_origin(rec), rec->url,
			       rec->origin
				       ? "lock it again with hashes (imgbuild lock, or conda list "
					 "--explicit --md5)"
				       : "re-index the channel so its records carry hashes");
	}
	buf_addpath(out, *expected);
	/* keep the archive kind visible to readers that look at the name */
	buf_addstr(out, archive_ext(rec->fn));
	for (size_t i = out->len - strlen(*expected) - strlen(archive_ext(rec->fn)); i < out->len;
	     i++)
		if (out->data[i] >= 'A' && out->data[i] <= 'F')
			out->data[i] = (char)(out->data[i] - 'A' + 'a');
	return 0;
}

/* issue 10 #2: a channel may not send us to local files or other hosts. */
static int check_url(const pkgrec_t *rec, const fetch_opts_t *o, err_t *err)
{
	if (!rec->channel || !*rec->channel)
		return 0;
	if (rec->url && http_url_stays_on(rec->url, rec->channel, o->mirrors, o->n_mirrors))
		return 0;
	return err_set(
		err,
		"package %s: its repodata URL %s leaves its channel %s (a record may only point "
		"at its channel's own scheme and host, or a configured mirror): refusing to "
		"fetch it",
		rec->fn, rec->url ? rec->url : "(none)", rec->channel);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	transfer_t *t = ud;
	size_t n = size * nmemb;
	if (!http_answer_is_document(t->easy))
		return n; /* an error page, not the package */
	if (t->received + (long long)n > t->limit) {
		t->is_too_big = 1;
		return 0; /* aborts the transfer, reported in transfer_finish */
	}
	t->received += (long long)n;
	progress_emit(t->sink, PROGRESS_BYTES, "download", t->rec->fn, t->received,
		      t->rec->size > 0 ? t->rec->size : -1, NULL);
	digest_update(t->digest, ptr, n);
	if (fwrite(ptr, 1, n, t->out) != n)
		return 0;
	return n;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *ud)
{
	transfer_t *t = ud;
	size_t n = size * nitems;
	if (n > 5 && !strncmp(line, "HTTP/", 5))
		buf_reset(&t->retry_after); /* a new answer (after a redirect) */
	else
		http_header_value(line, n, "Retry-After", &t->retry_after);
	return n;
}

static void transfer_reset(transfer_t *t)
{
	if (t->out) {
		fclose(t->out);
		t->out = NULL;
	}
	if (t->tmp_path.len)
		unlink(t->tmp_path.data);
	digest_free(t->digest);
	t->digest = NULL;
	t->received = 0;
	t->is_too_big = 0;
	buf_reset(&t->retry_after);
}

static int transfer_start(run_t *r, transfer_t *t, err_t *err)
{
	int fd;
	transfer_reset(t);
	t->retry_at_ms = 0;
	t->sink = r->o->sink;
	progress_emit(t->sink, PROGRESS_START, "download", t->rec->fn, 0,
		      t->rec->size > 0 ? t->rec->size : -1, NULL);
	fd = scratch_mkstemp(r->tmp_dir.data, "dl-", &t->tmp_path, err);
	if (fd < 0)
		return -1;
	t->out = fdopen(fd, "wb");
	if (!t->out) {
		close(fd);
		return err_set(err, "%s: fdopen failed", t->tmp_path.data);
	}
	t->digest = digest_new(t->kind);
	t->attempts++;
	if (!t->easy)
		t->easy = curl_easy_init();
	else
		curl_easy_reset(t->easy);
	if (!t->easy || !t->digest)
		return err_set(err, "cannot start the download of %s", t->rec->url);
	http_client_setup(r->http, t->easy, t->rec->url, HTTP_ALLOW_FILE | HTTP_FOLLOW);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->curl_err);
	t->curl_err[0] = '\0';
	if (curl_multi_add_handle(r->multi, t->easy) != CURLM_OK)
		return err_set(err, "cannot start the download of %s", t->rec->url);
	r->active++;
	return 0;
}

/* A transfer that did not deliver the package: 1 = retry it, -1 = error. */
static int transfer_failed(run_t *r, transfer_t *t, CURLcode code, long status, err_t *err)
{
	buf_t what = BUF_INIT;
	int hint = ERR_HINT_NONE;
	if (t->is_too_big)
		return err_set(
			err, "package %s from %s is larger than %s (%lld bytes): refusing it",
			t->rec->fn, t->rec->url,
			t->rec->size > 0 ? "its repodata size" : "the cap for packages without one",
			t->limit);
	int transient =
		code != CURLE_OK ? http_curl_is_transient(code) : http_status_is_transient(status);
	if (transient && t->attempts < http_client_max_attempts(r->http))
		return 1;
	if (code != CURLE_OK)
		http_describe_error(code, t->curl_err, &what, &hint);
	else
		buf_addf(&what, "HTTP %ld", status);
	if (t->attempts > 1)
		buf_addf(&what, " (gave up after %d attempts)", t->attempts);
	if (code == CURLE_FILE_COULDNT_READ_FILE)
		buf_addstr(&what, "; is the channel path right?");
	err_set(err, "cannot download package %s from %s: %s", t->rec->fn, t->rec->url, what.data);
	err_set_hint(err, hint);
	buf_free(&what);
	return -1;
}

/* A finished transfer: verify and move into the cache. Returns 0 done, 1 retry, -1 error. */
static int transfer_finish(run_t *r, transfer_t *t, CURLcode code, err_t *err)
{
	char got[DIGEST_HEX_MAX];
	long status = 0;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	if (code != CURLE_OK || (status != 0 && status != 200))
		return transfer_failed(r, t, code, status, err);
	if (fflush(t->out) != 0 || fsync(fileno(t->out)) != 0 || fclose(t->out) != 0) {
		t->out = NULL;
		return err_set(err, "%s: cannot write downloaded package %s: %s", t->tmp_path.data,
			       t->rec->fn, strerror(errno));
	}
	t->out = NULL;
	digest_final_hex(t->digest, got);
	if (strcasecmp(got, t->expected) != 0)
		return err_set(
			err,
			"checksum mismatch for package %s from %s: %s says %s %s, the file "
			"has %s; %s; nothing was cached",
			t->rec->fn, t->rec->url, t->rec->origin ? t->rec->origin : "repodata",
			t->kind == DIGEST_SHA256 ? "sha256" : "md5", t->expected, got,
			t->rec->origin ? "the file on the channel is not the one that was locked "
					 "(lock again if the change is expected)"
				       : "the channel's index and its files disagree (re-index "
					 "the channel or report it to its maintainers)");
	if (t->rec->size > 0 && t->received != t->rec->size)
		return err_set(err, "package %s from %s: size %lld differs from repodata's %lld",
			       t->rec->fn, t->rec->url, t->received, t->rec->size);
	if (rename(t->tmp_path.data, t->final_path.data) != 0)
		return err_set(err, "%s: cannot move into the package cache: %s",
			       t->final_path.data, strerror(errno));
	buf_reset(&t->tmp_path);
	return 0;
}

/* Cache paths, hash kinds, limits and URL checks, before anything is downloaded. */
static int prepare(run_t *r, const pkgrec_t *const *recs, err_t *err)
{
	buf_t dir = BUF_INIT;
	int rc = -1;
	buf_addstr(&r->tmp_dir, r->o->cache_dir);
	buf_addpath(&r->tmp_dir, "pkgs/tmp");
	if (fs_mkdir_p(r->tmp_dir.data, err) != 0)
		goto out;
	scratch_sweep(r->tmp_dir.data, "dl-"); /* downloads of builds killed with -9 */
	for (size_t i = 0; i < r->n; i++) {
		transfer_t *t = &r->ts[i];
		t->rec = recs[i];
		if (cache_path_for(recs[i], r->o->cache_dir, &t->final_path, &t->kind, &t->expected,
				   err) != 0 ||
		    check_url(recs[i], r->o, err) != 0)
			goto out;
		t->limit = recs[i]->size > 0 ? recs[i]->size : FETCH_MAX_BYTES;
		buf_setstr(&dir, t->final_path.data);
		buf_truncate(&dir, (size_t)(strrchr(dir.data, '/') - dir.data));
		if (fs_mkdir_p(dir.data, err) != 0)
			goto out;
	}
	rc = 0;
out:
	buf_free(&dir);
	return rc;
}

/* Starts retries whose backoff is over, then fills the window with packages not cached yet. */
static int start_transfers(run_t *r, err_t *err)
{
	size_t max = (size_t)(r->o->max_parallel > 0 ? r->o->max_parallel : 4);
	long long now = now_ms();
	for (size_t i = 0; r->waiting && i < r->next; i++) {
		transfer_t *t = &r->ts[i];
		if (t->retry_at_ms && t->retry_at_ms <= now) {
			r->waiting--;
			if (transfer_start(r, t, err) != 0)
				return -1;
		}
	}
	while (r->next < r->n && r->active + r->waiting < max) {
		transfer_t *t = &r->ts[r->next++];
		if (fs_exists(t->final_path.data)) {
			if (r->o->progress)
				r->o->progress(r->o->ud, t->rec, 1);
			continue;
		}
		if (r->o->offline && strncmp(t->rec->url, "file:", 5)) {
			err_set(err,
				"%s (%s): not in the package cache; offline, nothing is fetched",
				t->rec->fn, t->rec->url);
			return err_set_hint(err, ERR_HINT_OFFLINE_CACHE);
		}
		if (transfer_start(r, t, err) != 0)
			return -1;
	}
	return 0;
}

/* Handles every transfer libcurl reports done. */
static int reap_transfers(run_t *r, err_t *err)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(r->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		transfer_t *t = NULL;
		CURLcode code = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		curl_multi_remove_handle(r->multi, t->easy);
		r->active--;
		int rc = transfer_finish(r, t, code, err);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			t->retry_at_ms = now_ms() + http_client_retry_delay_ms(r->http, t->attempts,
									       t->retry_after.data);
			r->waiting++;
		} else {
			progress_emit(r->o->sink, PROGRESS_END, "download", t->rec->fn, t->received,
				      t->received, "downloaded");
			if (r->o->progress)
				r->o->progress(r->o->ud, t->rec, 0);
		}
	}
	return 0;
}

/* Until the soonest retry is due, at most 1 s (the multi wakes earlier on activity). */
static int poll_timeout_ms(const run_t *r)
{
	long long wait = 1000, now = now_ms();
	for (size_t i = 0; r->waiting && i < r->next; i++)
		if (r->ts[i].retry_at_ms && r->ts[i].retry_at_ms - now < wait)
			wait = r->ts[i].retry_at_ms > now ? r->ts[i].retry_at_ms - now : 0;
	return (int)wait;
}

static int run_transfers(run_t *r, err_t *err)
{
	int running = 0;
	if (!(r->multi = curl_multi_init()))
		return err_set(err, "cannot initialise libcurl");
	for (;;) {
		if (start_transfers(r, err) != 0)
			return -1;
		if (!r->active && !r->waiting && r->next >= r->n)
			return 0;
		if (curl_multi_perform(r->multi, &running) != CURLM_OK)
			return err_set(err, "libcurl multi transfer failed");
		if (reap_transfers(r, err) != 0)
			return -1;
		if (r->active || r->waiting)
			curl_multi_poll(r->multi, NULL, 0, poll_timeout_ms(r), NULL);
	}
}

int fetch_packages(const pkgrec_t *const *recs, size_t n, const fetch_opts_t *opts,
		   char **paths_out, err_t *err)
{
	http_client_t *own = NULL;
	run_t r = {.o = opts, .http = opts->http, .n = n, .tmp_dir = BUF_INIT};
	int rc = -1;
	for (size_t i = 0; i < n; i++)
		paths_out[i] = NULL;
	r.ts = xcalloc(n ? n : 1, sizeof *r.ts);
	if (!r.http && !(r.http = own = http_client_new(NULL, err)))
		goto out;
	if (prepare(&r, recs, err) != 0 || run_transfers(&r, err) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		paths_out[i] = buf_detach(&r.ts[i].final_path);
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		transfer_t *t = &r.ts[i];
		if (t->easy) {
			if (r.multi)
				curl_multi_remove_handle(r.multi, t->easy);
			curl_easy_cleanup(t->easy);
		}
		transfer_reset(t);
		buf_free(&t->tmp_path);
		buf_free(&t->final_path);
		buf_free(&t->retry_after);
	}
	if (r.multi)
		curl_multi_cleanup(r.multi);
	free(r.ts);
	buf_free(&r.tmp_dir);
	http_client_free(own);
	return rc;
}
