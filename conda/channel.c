/* channel.c — channel names to base URLs, and repodata.json fetched through libcurl into
 * <cache>/repodata/<sha256(url)>.json with a .meta JSON (url, etag, last_modified) beside it.
 * A download lands in a temp file, is size-capped and checked to be JSON (the same parse writes
 * its record index, repoindex.h), and only then is
 * renamed over the cache entry: a failed fetch never leaves a corrupt or partial entry. */
#include "channel.h"
#include "digest.h"
#include "fsutil.h"
#include "repodata.h"
#include "repoindex.h"

#include <ctype.h>
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHANNEL_DEFAULT_ALIAS "https://conda.anaconda.org"
/* conda's `defaults` is main + r (+ msys2 on Windows). We keep main only: r holds the R
 * language stack, which environment.yml users name explicitly when they want it, and each
 * extra default channel costs a large repodata download on every build. */
#define CHANNEL_DEFAULTS_URL "https://repo.anaconda.com/pkgs/main"
/* Untrusted input is capped: the biggest real repodata.json (conda-forge linux-64) is a few
 * hundred MB uncompressed. */
#define CHANNEL_REPODATA_MAX_BYTES (1024LL * 1024 * 1024)

static void strip_trailing_slashes(buf_t *b, size_t keep)
{
	while (b->len > keep && b->data[b->len - 1] == '/')
		buf_truncate(b, b->len - 1);
}

/* Channel names as conda accepts them: letters, digits, '-', '_', '.', and '/' between
 * components for labels ("pytorch/label/nightly"). */
static int name_is_valid(const char *s)
{
	if (!*s || *s == '/' || *s == '.')
		return 0;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/'))
			return 0;
		if (c == '/' && (p[1] == '/' || p[1] == '.'))
			return 0;
	}
	return 1;
}

int channel_resolve(const char *written, const char *channel_alias, buf_t *out, err_t *err)
{
	buf_reset(out);
	if (!written || !*written)
		return err_set(err, "empty channel name");
	if (strstr(written, "://")) {
		/* A URL: kept as written (scheme checked so typos fail here, not in curl). */
		if (strncmp(written, "http://", 7) != 0 && strncmp(written, "https://", 8) != 0 &&
		    strncmp(written, "file://", 7) != 0)
			return err_set(err,
				       "channel '%s': unsupported URL scheme (use https://, http:// or "
				       "file://)",
				       written);
		buf_setstr(out, written);
		strip_trailing_slashes(out, (size_t)(strstr(written, "://") - written) + 3);
		return 0;
	}
	if (written[0] == '/') {
		/* fs_path_normalize takes relative paths: drop the leading slashes, then
		 * percent-encode so curl accepts the URL (spaces, '#', '?' ...). */
		buf_t norm = BUF_INIT;
		const char *rel = written;
		while (*rel == '/')
			rel++;
		if (fs_path_normalize(rel, &norm) != 0) {
			buf_free(&norm);
			return err_set(err, "channel '%s': not a usable local path (root or '..')",
				       written);
		}
		buf_setstr(out, "file:///");
		for (const char *p = norm.data; *p; p++) {
			unsigned char c = (unsigned char)*p;
			if (isalnum(c) || strchr("/-._~+", c))
				buf_addch(out, (char)c);
			else
				buf_addf(out, "%%%02X", c);
		}
		buf_free(&norm);
		return 0;
	}
	if (strcmp(written, "nodefaults") == 0)
		return err_set(err, "'nodefaults' is not a channel (it only drops the default channels)");
	if (strcmp(written, "defaults") == 0) {
		buf_setstr(out, CHANNEL_DEFAULTS_URL);
		return 0;
	}
	if (!name_is_valid(written))
		return err_set(err,
			       "channel '%s': not a channel name (letters, digits, '-', '_', '.', '/'), "
			       "URL or absolute path",
			       written);
	buf_setstr(out, channel_alias && *channel_alias ? channel_alias : CHANNEL_DEFAULT_ALIAS);
	strip_trailing_slashes(out, 0);
	buf_addch(out, '/');
	buf_addstr(out, written);
	strip_trailing_slashes(out, 0);
	return 0;
}

/* ---- fetching ---- */

struct download {
	FILE *fp;
	long long written_bytes;
	int too_big;
	buf_t etag;
	buf_t last_modified;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct download *d = userdata;
	size_t n = size * nmemb;
	if (d->written_bytes + (long long)n > CHANNEL_REPODATA_MAX_BYTES) {
		d->too_big = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (fwrite(data, 1, n, d->fp) != n)
		return 0;
	d->written_bytes += (long long)n;
	return n;
}

/* Stores the value of a header line "Name: value\r\n" if it is `name`. */
static void header_value(const char *line, size_t len, const char *name, buf_t *out)
{
	size_t nl = strlen(name);
	if (len <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	const char *v = line + nl + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	buf_reset(out);
	buf_add(out, v, (size_t)(end - v));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct download *d = userdata;
	size_t n = size * nmemb;
	/* A new status line (after a redirect) starts a new set of headers. */
	if (n > 5 && strncmp(data, "HTTP/", 5) == 0) {
		buf_reset(&d->etag);
		buf_reset(&d->last_modified);
	}
	header_value(data, n, "ETag", &d->etag);
	header_value(data, n, "Last-Modified", &d->last_modified);
	return n;
}

/* Reads etag / last_modified from a .meta file if it belongs to url. */
static void read_meta(const char *meta_path, const char *url, buf_t *etag, buf_t *last_modified,
		      buf_t *variant)
{
	json_t *meta = json_load_file(meta_path, 0, NULL);
	if (!meta)
		return;
	json_t *u = json_object_get(meta, "url");
	if (json_is_string(u) && strcmp(json_string_value(u), url) == 0) {
		json_t *e = json_object_get(meta, "etag");
		json_t *l = json_object_get(meta, "last_modified");
		if (json_is_string(e))
			buf_setstr(etag, json_string_value(e));
		if (json_is_string(l))
			buf_setstr(last_modified, json_string_value(l));
		json_t *v = json_object_get(meta, "variant");
		if (json_is_string(v))
			buf_setstr(variant, json_string_value(v));
	}
	json_decref(meta);
}

static int write_meta(const char *meta_path, const char *url, const buf_t *etag,
		      const buf_t *last_modified, const char *variant, err_t *err)
{
	json_t *meta = json_object();
	json_object_set_new(meta, "url", json_string(url));
	json_object_set_new(meta, "variant", json_string(variant));
	if (etag->len)
		json_object_set_new(meta, "etag", json_string(etag->data));
	if (last_modified->len)
		json_object_set_new(meta, "last_modified", json_string(last_modified->data));
	char *text = json_dumps(meta, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(meta);
	if (!text)
		return err_set(err, "%s: cannot serialise cache metadata", meta_path);
	int rc = fs_write_atomic(meta_path, text, strlen(text), err);
	free(text);
	return rc;
}

/* file:// has no ETag: the source file's size, mtime and inode play its part, so an unchanged
 * local channel is neither copied nor re-validated on every solve (a warm solve of a 300k-record
 * channel would otherwise spend seconds re-parsing it). Empty when the file cannot be stat'ed or
 * the URL names a host. */
static void file_signature(const char *file_url, buf_t *sig)
{
	struct stat st;
	buf_reset(sig);
	if (strncmp(file_url, "file:///", 8) != 0)
		return;
	char *path = curl_easy_unescape(NULL, file_url + 7, 0, NULL);
	if (path && stat(path, &st) == 0)
		buf_addf(sig, "file:%lld:%lld.%09ld:%llu", (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			 (long)st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
	curl_free(path);
}

/* Feeds jansson from the file and hashes the bytes on the way through. */
struct hashing_reader {
	FILE *fp;
	digest_t *d;
};

static size_t read_hashing(void *buffer, size_t len, void *data)
{
	struct hashing_reader *hr = data;
	size_t n = fread(buffer, 1, len, hr->fp);
	if (n == 0 && ferror(hr->fp))
		return (size_t)-1;
	digest_update(hr->d, buffer, n);
	return n;
}

/* Checks that the downloaded file is a JSON object (as repodata must be) and, from the same
 * parse, writes its record index (repoindex.h, named by the file's sha256): the solver then
 * reads the repodata once, with libsolv's own parser, instead of parsing it with jansson again.
 * The index is a cache: failing to write it only costs the solver that second parse. */
static int validate_and_index(const char *path, const char *url, const char *cache_dir, err_t *err)
{
	char sha[DIGEST_HEX_MAX], chunk[1 << 14];
	struct hashing_reader hr = {fopen(path, "rb"), digest_new(DIGEST_SHA256)};
	buf_t idx = BUF_INIT;
	json_t *root = NULL;
	int rc = -1;
	if (!hr.fp || !hr.d) {
		err_set(err, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	root = repodata_parse(read_hashing, &hr, url, err); /* duplicate keys, shape, caps */
	if (!root)
		goto out;
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, hr.fp)) > 0) /* jansson stops at EOF; be sure */
		digest_update(hr.d, chunk, n);
	digest_final_hex(hr.d, sha);
	repoindex_path(cache_dir, sha, &idx);
	if (!fs_exists(idx.data)) {
		err_t ignored = ERR_INIT;
		repoindex_write_checked(idx.data, root, &ignored);
		err_clear(&ignored);
	}
	rc = 0;
out:
	json_decref(root);
	if (hr.fp)
		fclose(hr.fp);
	digest_free(hr.d);
	buf_free(&idx);
	return rc;
}

static int write_empty_repodata(const char *path, const char *subdir, err_t *err)
{
	buf_t text = BUF_INIT;
	json_t *sd = json_string(subdir);
	char *quoted = json_dumps(sd, JSON_ENCODE_ANY);
	json_decref(sd);
	buf_addf(&text, "{\"info\": {\"subdir\": %s}, \"packages\": {}, \"packages.conda\": {}}\n",
		 quoted ? quoted : "\"\"");
	free(quoted);
	int rc = fs_write_atomic(path, text.data, text.len, err);
	buf_free(&text);
	return rc;
}

static int curl_ready(err_t *err)
{
	static int done = 0;
	if (!done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			return err_set(err, "libcurl failed to initialise");
		done = 1;
	}
	return 0;
}

/* Options for one repodata transfer; returns the conditional-request header list (caller
 * frees with curl_slist_free_all, after the transfer). */
static struct curl_slist *setup_transfer(CURL *curl, const char *url, struct download *dl,
					 char *errbuf, const buf_t *old_etag, const buf_t *old_lm)
{
	struct curl_slist *headers = NULL;
	buf_t hdr = BUF_INIT;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, dl);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, dl);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, ""); /* gzip/zstd on the wire */
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
	/* Abort a stalled transfer (under 1 KB/s for 60 s) instead of hanging the build. */
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CHANNEL_REPODATA_MAX_BYTES);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "imgbuild");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (old_etag->len) {
		buf_setstr(&hdr, "If-None-Match: ");
		buf_addstr(&hdr, old_etag->data);
		headers = curl_slist_append(headers, hdr.data);
	}
	if (old_lm->len) {
		buf_setstr(&hdr, "If-Modified-Since: ");
		buf_addstr(&hdr, old_lm->data);
		headers = curl_slist_append(headers, hdr.data);
	}
	if (headers)
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	buf_free(&hdr);
	return headers;
}

/* Judges a finished transfer: 0 = a fresh body to validate, 1 = 304 on a cached copy,
 * -1 = error (err set, naming the URL). Missing files/404 are handled by the caller. */
static int transfer_outcome(CURLcode cc, long status, const struct download *dl, int is_file,
			    int have_cached, const char *url, const char *errbuf, err_t *err)
{
	if (dl->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return err_set(err, "%s: repodata larger than the %lld-byte limit", url,
			       CHANNEL_REPODATA_MAX_BYTES);
	if (cc != CURLE_OK)
		return err_set(err, "cannot fetch %s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	if (is_file)
		return 0;
	if (status == 304 && have_cached)
		return 1;
	if (status == 401 || status == 403)
		return err_set(err, "%s: HTTP %ld (access denied): is the channel private or the URL wrong?",
			       url, status);
	if (status != 200)
		return err_set(err, "%s: unexpected HTTP status %ld", url, status);
	return 0;
}

/* The forms of repodata a channel may offer, smallest first (conda and rattler probe the same
 * way); "" is plain repodata.json. */
static const char *const variants[] = {".zst", ".bz2", ""};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

/* Decompresses src (zstd or bzip2, by content) into dst through libarchive's raw reader,
 * capped at the repodata limit. */
static int decompress_file(const char *src, const char *dst, const char *url, err_t *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	FILE *out = NULL;
	char chunk[1 << 16];
	long long total = 0;
	int rc = -1;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, src, sizeof chunk) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK) {
		err_set(err, "%s: cannot decompress: %s", url, archive_error_string(a));
		goto out;
	}
	out = fopen(dst, "wb");
	if (!out) {
		err_set(err, "%s: cannot create: %s", dst, strerror(errno));
		goto out;
	}
	for (;;) {
		la_ssize_t n = archive_read_data(a, chunk, sizeof chunk);
		if (n < 0) {
			err_set(err, "%s: corrupt compressed repodata: %s", url, archive_error_string(a));
			goto out;
		}
		if (n == 0)
			break;
		total += n;
		if (total > CHANNEL_REPODATA_MAX_BYTES) {
			err_set(err, "%s: repodata larger than the %lld-byte limit once decompressed", url,
				CHANNEL_REPODATA_MAX_BYTES);
			goto out;
		}
		if (fwrite(chunk, 1, (size_t)n, out) != (size_t)n) {
			err_set(err, "%s: write failed: %s", dst, strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	if (out && fclose(out) != 0 && rc == 0)
		rc = err_set(err, "%s: write failed: %s", dst, strerror(errno));
	archive_read_free(a);
	return rc;
}

/* One GET of url into tmp_path (truncated first). Returns 0 = body, 1 = 304, 2 = missing
 * (404 / no such file), -1 = error (err set). */
static int fetch_variant(const char *url, int is_file, const char *tmp_path, const buf_t *etag,
			 const buf_t *lm, struct download *dl, err_t *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	int rc = -1;
	CURL *curl = curl_easy_init();
	buf_reset(&dl->etag);
	buf_reset(&dl->last_modified);
	dl->written_bytes = 0;
	dl->too_big = 0;
	dl->fp = fopen(tmp_path, "wb");
	if (!dl->fp || !curl) {
		err_set(err, "%s: cannot start the download: %s", tmp_path, strerror(errno));
		goto out;
	}
	headers = setup_transfer(curl, url, dl, errbuf, etag, lm);
	CURLcode cc = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	int close_failed = fclose(dl->fp) != 0;
	dl->fp = NULL;
	if (close_failed && cc == CURLE_OK) {
		err_set(err, "%s: write failed: %s", tmp_path, strerror(errno));
		goto out;
	}
	if ((is_file && cc == CURLE_FILE_COULDNT_READ_FILE) || (!is_file && cc == CURLE_OK && status == 404)) {
		rc = 2;
		goto out;
	}
	rc = transfer_outcome(cc, status, dl, is_file, etag->len || lm->len, url, errbuf, err);
out:
	if (dl->fp)
		fclose(dl->fp);
	dl->fp = NULL;
	curl_slist_free_all(headers);
	if (curl)
		curl_easy_cleanup(curl);
	return rc;
}

/* Offline: the cache entry or an error that says what is missing. */
static int use_cache_only(const char *url, const char *final_path, err_t *err)
{
	if (fs_exists(final_path))
		return 0;
	return err_set(err,
		       "--offline: no cached repodata for %s (expected %s); run once without --offline "
		       "to fill the cache",
		       url, final_path);
}

int channel_fetch_repodata(const char *base_url, const char *subdir, const char *cache_dir,
			   unsigned flags, buf_t *path_out, err_t *err)
{
	buf_t url = BUF_INIT, dir = BUF_INIT, final_path = BUF_INIT, meta_path = BUF_INIT;
	buf_t tmp_path = BUF_INIT, plain_tmp = BUF_INIT, vurl = BUF_INIT;
	struct download dl = {NULL, 0, 0, BUF_INIT, BUF_INIT};
	buf_t old_etag = BUF_INIT, old_lm = BUF_INIT, old_variant = BUF_INIT, none = BUF_INIT;
	buf_t sig = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	int rc = -1, fd = -1, outcome = 2;
	size_t v = 0;

	buf_addstr(&url, base_url);
	buf_addpath(&url, subdir);
	buf_addpath(&url, "repodata.json");
	int is_file = strncmp(base_url, "file://", 7) == 0;

	/* The cache entry is named for the plain URL whichever form was downloaded. */
	digest_buf_hex(DIGEST_SHA256, url.data, url.len, hex);
	buf_addstr(&dir, cache_dir);
	buf_addpath(&dir, "repodata");
	if (fs_mkdir_p(dir.data, err) != 0)
		goto out;
	buf_addf(&final_path, "%s/%s.json", dir.data, hex);
	buf_addf(&meta_path, "%s/%s.meta", dir.data, hex);
	if ((flags & CHANNEL_OFFLINE) && !is_file) {
		rc = use_cache_only(url.data, final_path.data, err);
		goto out;
	}
	/* Revalidate only when both halves of the cache entry exist and match this URL; start
	 * with the form that answered last time. */
	int have_cached = fs_exists(final_path.data);
	if (have_cached)
		read_meta(meta_path.data, url.data, &old_etag, &old_lm, &old_variant);
	size_t first = 0;
	for (size_t i = 0; i < N_VARIANTS && old_variant.len; i++)
		if (!strcmp(variants[i], old_variant.data + (old_variant.data[0] == '-')))
			first = i;
	if (is_file && old_variant.len && old_etag.len) {
		buf_setstr(&vurl, url.data);
		buf_addstr(&vurl, variants[first]);
		file_signature(vurl.data, &sig);
		if (sig.len && !strcmp(sig.data, old_etag.data)) {
			rc = 0; /* the local file is unchanged since it was cached */
			goto out;
		}
	}
	buf_addf(&tmp_path, "%s/%s.dl.XXXXXX", dir.data, hex);
	buf_addf(&plain_tmp, "%s/%s.json.tmp.XXXXXX", dir.data, hex);
	fd = mkstemp(tmp_path.data);
	if (fd < 0 || (close(fd), fd = mkstemp(plain_tmp.data)) < 0) {
		err_set(err, "%s: cannot create temp file: %s", dir.data, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;

	if (curl_ready(err) != 0)
		goto out;
	for (v = first; v < N_VARIANTS; v++) {
		int same = !is_file && have_cached && v == first && old_variant.len;
		buf_setstr(&vurl, url.data);
		buf_addstr(&vurl, variants[v]);
		if (is_file) /* taken before the read: a change during it shows next time */
			file_signature(vurl.data, &sig);
		outcome = fetch_variant(vurl.data, is_file, tmp_path.data, same ? &old_etag : &none,
					same ? &old_lm : &none, &dl, err);
		if (outcome != 2)
			break;
	}
	if (outcome < 0)
		goto out;
	if (outcome == 2) {
		if (flags & CHANNEL_MISSING_OK) {
			if (write_empty_repodata(final_path.data, subdir, err) != 0)
				goto out;
			unlink(meta_path.data);
			rc = 0;
			goto out;
		}
		err_set(err, "channel %s has no %s/repodata.json (%s, nor .zst/.bz2): check the channel "
			     "name/URL",
			base_url, subdir, url.data);
		goto out;
	}
	if (outcome == 1) {
		rc = 0; /* 304: the cached copy is current */
		goto out;
	}
	const char *body = tmp_path.data;
	if (*variants[v]) {
		if (decompress_file(tmp_path.data, plain_tmp.data, vurl.data, err) != 0)
			goto out;
		body = plain_tmp.data;
	}
	if (validate_and_index(body, vurl.data, cache_dir, err) != 0)
		goto out;
	/* Drop the old metadata first: a crash between the two renames then costs one full
	 * download, never a 304 that would pair a new ETag with old content. */
	unlink(meta_path.data);
	if (fs_rename(body, final_path.data, err) != 0)
		goto out;
	if (is_file ? sig.len > 0 : (dl.etag.len || dl.last_modified.len)) {
		/* "-" marks plain so an empty variant still reads back as "known" */
		const char *vname = *variants[v] ? variants[v] : "-";
		if (write_meta(meta_path.data, url.data, is_file ? &sig : &dl.etag,
			       is_file ? &none : &dl.last_modified, vname, err) != 0)
			goto out;
	}
	rc = 0;
out:
	if (rc == 0)
		buf_setstr(path_out, final_path.data);
	if (fd >= 0)
		close(fd);
	if (tmp_path.len && !strstr(tmp_path.data, "XXXXXX"))
		unlink(tmp_path.data);
	if (plain_tmp.len && !strstr(plain_tmp.data, "XXXXXX"))
		unlink(plain_tmp.data);
	buf_free(&url);
	buf_free(&vurl);
	buf_free(&dir);
	buf_free(&final_path);
	buf_free(&meta_path);
	buf_free(&tmp_path);
	buf_free(&plain_tmp);
	buf_free(&dl.etag);
	buf_free(&dl.last_modified);
	buf_free(&old_etag);
	buf_free(&old_lm);
	buf_free(&old_variant);
	buf_free(&none);
	buf_free(&sig);
	return rc;
}
