/* fetch.c — parallel package downloads with libcurl multi, verified before they enter the
 * content-addressed package cache (<cache>/pkgs/<algo>/<hex><ext>).
 * A transfer streams into a temp file in <cache>/pkgs/tmp while hashing; only a file whose
 * digest matches the repodata is renamed into place, so a killed or failed fetch never
 * leaves a corrupt cache entry. Cached entries were verified when they were stored. */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "fsutil.h"
#include "scratch.h"

#define FETCH_MAX_BYTES (16LL << 30) /* refuse absurd package files */
#define FETCH_ATTEMPTS 3

typedef struct transfer {
	const pkgrec_t *rec;
	size_t index;
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
	char curl_err[CURL_ERROR_SIZE];
} transfer_t;

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
			return err_set(err, "package %s: repodata sha256 '%s' is not 64 hex digits (%s)",
				       rec->fn, rec->sha256, rec->url);
		*kind = DIGEST_SHA256;
		*expected = rec->sha256;
		buf_addpath(out, "pkgs/sha256");
	} else if (rec->md5 && *rec->md5) {
		if (!digest_is_hex(rec->md5, 32))
			return err_set(err, "package %s: repodata md5 '%s' is not 32 hex digits (%s)",
				       rec->fn, rec->md5, rec->url);
		*kind = DIGEST_MD5;
		*expected = rec->md5;
		buf_addpath(out, "pkgs/md5");
	} else {
		return err_set(err,
			       "package %s has neither sha256 nor md5 in %s (%s): it cannot be "
			       "verified; %s",
			       rec->fn, pkgrec_origin(rec), rec->url,
			       rec->origin ? "lock it again with hashes (imgbuild lock, or conda list "
					     "--explicit --md5)"
					   : "re-index the channel so its records carry hashes");
	}
	buf_addpath(out, *expected);
	/* keep the archive kind visible to readers that look at the name */
	buf_addstr(out, archive_ext(rec->fn));
	for (size_t i = out->len - strlen(*expected) - strlen(archive_ext(rec->fn)); i < out->len; i++)
		if (out->data[i] >= 'A' && out->data[i] <= 'F')
			out->data[i] = (char)(out->data[i] - 'A' + 'a');
	return 0;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	transfer_t *t = ud;
	size_t n = size * nmemb;
	t->received += (long long)n;
	if (t->received > t->limit)
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR, reported below */
	digest_update(t->digest, ptr, n);
	if (fwrite(ptr, 1, n, t->out) != n)
		return 0;
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
}

static int transfer_start(transfer_t *t, CURLM *multi, const char *tmp_dir, err_t *err)
{
	int fd;
	transfer_reset(t);
	fd = scratch_mkstemp(tmp_dir, "dl-", &t->tmp_path, err);
	if (fd < 0)
		return -1;
	t->out = fdopen(fd, "wb");
	if (!t->out) {
		close(fd);
		return err_set(err, "%s: fdopen failed", t->tmp_path.data);
	}
	t->digest = digest_new(t->kind);
	if (!t->digest)
		return err_set(err, "out of memory");
	t->attempts++;
	if (!t->easy)
		t->easy = curl_easy_init();
	else
		curl_easy_reset(t->easy);
	if (!t->easy)
		return err_set(err, "cannot initialise libcurl");
	curl_easy_setopt(t->easy, CURLOPT_URL, t->rec->url);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	curl_easy_setopt(t->easy, CURLOPT_ERRORBUFFER, t->curl_err);
	curl_easy_setopt(t->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(t->easy, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(t->easy, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(t->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(t->easy, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(t->easy, CURLOPT_USERAGENT, "imgbuild/0.1");
	curl_easy_setopt(t->easy, CURLOPT_PROTOCOLS_STR, "file,http,https");
	curl_easy_setopt(t->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	t->curl_err[0] = '\0';
	if (curl_multi_add_handle(multi, t->easy) != CURLM_OK)
		return err_set(err, "cannot start the download of %s", t->rec->url);
	return 0;
}

/* A finished transfer: verify and move into the cache. Returns 0 done, 1 retry, -1 error. */
static int transfer_finish(transfer_t *t, CURLcode code, err_t *err)
{
	char got[DIGEST_HEX_MAX];
	long status = 0;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	if (code != CURLE_OK) {
		int transient = code == CURLE_COULDNT_CONNECT || code == CURLE_OPERATION_TIMEDOUT ||
				code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR ||
				code == CURLE_PARTIAL_FILE || code == CURLE_GOT_NOTHING ||
				(code == CURLE_HTTP_RETURNED_ERROR && (status == 429 || status >= 500));
		if (t->received > t->limit)
			return err_set(err,
				       "package %s from %s is larger than expected (%lld bytes): refusing it",
				       t->rec->fn, t->rec->url, t->limit);
		if (transient && t->attempts < FETCH_ATTEMPTS)
			return 1;
		return err_set(err, "cannot download package %s from %s: %s%s%s", t->rec->fn, t->rec->url,
			       t->curl_err[0] ? t->curl_err : curl_easy_strerror(code),
			       t->attempts > 1 ? " (after retries)" : "",
			       code == CURLE_FILE_COULDNT_READ_FILE ? "; is the channel path right?" : "");
	}
	if (fflush(t->out) != 0 || fsync(fileno(t->out)) != 0 || fclose(t->out) != 0) {
		t->out = NULL;
		return err_set(err, "%s: cannot write downloaded package %s: %s", t->tmp_path.data,
			       t->rec->fn, strerror(errno));
	}
	t->out = NULL;
	digest_final_hex(t->digest, got);
	if (strcasecmp(got, t->expected) != 0)
		return err_set(err,
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
		return err_set(err, "%s: cannot move into the package cache: %s", t->final_path.data,
			       strerror(errno));
	buf_reset(&t->tmp_path);
	return 0;
}

int fetch_packages(const pkgrec_t *const *recs, size_t n, const char *cache_dir, int max_parallel,
		   fetch_progress_fn progress, void *ud, char **paths_out, err_t *err)
{
	transfer_t *ts = calloc(n ? n : 1, sizeof *ts);
	buf_t dir = BUF_INIT, tmp_dir = BUF_INIT;
	CURLM *multi = NULL;
	size_t next = 0, active = 0;
	int rc = -1;
	if (!ts)
		return err_set(err, "out of memory");
	if (max_parallel <= 0)
		max_parallel = 4;
	for (size_t i = 0; i < n; i++)
		paths_out[i] = NULL;

	buf_addstr(&tmp_dir, cache_dir);
	buf_addpath(&tmp_dir, "pkgs/tmp");
	if (fs_mkdir_p(tmp_dir.data, err) != 0)
		goto out;
	scratch_sweep(tmp_dir.data, "dl-"); /* downloads of builds killed with -9 */
	for (size_t i = 0; i < n; i++) {
		transfer_t *t = &ts[i];
		t->rec = recs[i];
		t->index = i;
		if (cache_path_for(recs[i], cache_dir, &t->final_path, &t->kind, &t->expected, err) != 0)
			goto out;
		t->limit = recs[i]->size > 0 ? recs[i]->size : FETCH_MAX_BYTES;
		buf_setstr(&dir, t->final_path.data);
		char *slash = strrchr(dir.data, '/');
		buf_truncate(&dir, (size_t)(slash - dir.data));
		if (fs_mkdir_p(dir.data, err) != 0)
			goto out;
	}

	multi = curl_multi_init();
	if (!multi) {
		err_set(err, "cannot initialise libcurl");
		goto out;
	}
	for (;;) {
		/* Fill the window with transfers whose package is not cached yet. */
		while (next < n && active < (size_t)max_parallel) {
			transfer_t *t = &ts[next++];
			if (fs_exists(t->final_path.data)) {
				if (progress)
					progress(ud, t->rec, 1);
				continue;
			}
			if (transfer_start(t, multi, tmp_dir.data, err) != 0)
				goto out;
			active++;
		}
		if (active == 0 && next >= n)
			break;
		int running = 0;
		if (curl_multi_perform(multi, &running) != CURLM_OK) {
			err_set(err, "libcurl multi transfer failed");
			goto out;
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			transfer_t *t = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			CURLcode code = msg->data.result;
			curl_multi_remove_handle(multi, t->easy);
			active--;
			int r = transfer_finish(t, code, err);
			if (r < 0)
				goto out;
			if (r == 1) {
				usleep(200000u * (unsigned)t->attempts); /* brief backoff */
				if (transfer_start(t, multi, tmp_dir.data, err) != 0)
					goto out;
				active++;
				continue;
			}
			if (progress)
				progress(ud, t->rec, 0);
		}
		if (active > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	for (size_t i = 0; i < n; i++)
		paths_out[i] = buf_detach(&ts[i].final_path);
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		transfer_t *t = &ts[i];
		if (t->easy) {
			if (multi)
				curl_multi_remove_handle(multi, t->easy);
			curl_easy_cleanup(t->easy);
		}
		transfer_reset(t);
		buf_free(&t->tmp_path);
		buf_free(&t->final_path);
	}
	if (rc != 0)
		for (size_t i = 0; i < n; i++) {
			free(paths_out[i]);
			paths_out[i] = NULL;
		}
	if (multi)
		curl_multi_cleanup(multi);
	free(ts);
	buf_free(&dir);
	buf_free(&tmp_dir);
	return rc;
}
