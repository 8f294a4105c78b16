/* channel.c — channel names to base URLs, and repodata.json fetched with the shared HTTP
 * client (http.h: retries, CA, proxies) into
 * <cache>/repodata/<sha256(url)>.json with a .meta JSON (url, etag, last_modified) beside it.
 * A download lands in a temp file, is size-capped and checked to be JSON (the same parse writes
 * its record index, repoindex.h), and only then is
 * renamed over the cache entry: a failed fetch never leaves a corrupt or partial entry. */
#include "channel.h"
#include "channel_int.h"
#include "digest.h"
#include "fsutil.h"
#include "http.h"
#include "repodata.h"
#include "repoindex.h"
#include "repoindex_scan.h"
#include "xalloc.h"

#include <ctype.h>
#include <archive.h>
#include <archive_entry.h>
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
			return err_set(
				err,
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
		return err_set(
			err, "'nodefaults' is not a channel (it only drops the default channels)");
	if (strcmp(written, "defaults") == 0) {
		buf_setstr(out, CHANNEL_DEFAULTS_URL);
		return 0;
	}
	if (!name_is_valid(written))
		return err_set(
			err,
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
		buf_addf(sig, "file:%lld:%lld.%09ld:%llu", (long long)st.st_size,
			 (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
			 (unsigned long long)st.st_ino);
	curl_free(path);
}

/* Checks the downloaded file as a solve would (repoindex_scan.h: syntax, duplicate keys,
 * shape, every record, caps; one pass, no DOM) so a malformed document is refused here,
 * naming its URL, and records that its sha256 passed: the solver then need not scan it again
 * before it knows which names it wants. */
static int validate_and_index(const char *path, const char *url, const char *cache_dir,
			      nameidx_t **keep, char sha[DIGEST_HEX_MAX], err_t *err)
{
	nameidx_t *ni = nameidx_scan_file(path, url, err);
	if (!ni)
		return -1;
	if (digest_file_hex(DIGEST_SHA256, path, sha, err) != 0) {
		nameidx_free(ni);
		return -1;
	}
	nameidx_mark_checked(cache_dir, sha);
	if (keep) /* the scan maps the file, which stays valid through the rename */
		*keep = ni;
	else
		nameidx_free(ni);
	return 0;
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

/* The forms of repodata a channel may offer, smallest first (conda and rattler probe the same
 * way); "" is plain repodata.json. */
static const char *const variants[] = {".zst", ".bz2", ""};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

/* Decompresses src (zstd or bzip2, by content) into dst through libarchive's raw reader,
 * capped at the repodata limit. */
static int decompress_file(const char *src, const char *dst, const char *url, err_t *err)
{
	struct archive *a = xcheck(archive_read_new());
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
			err_set(err, "%s: corrupt compressed repodata: %s", url,
				archive_error_string(a));
			goto out;
		}
		if (n == 0)
			break;
		total += n;
		if (total > CHANNEL_REPODATA_MAX_BYTES) {
			err_set(err,
				"%s: repodata larger than the %lld-byte limit once decompressed",
				url, CHANNEL_REPODATA_MAX_BYTES);
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

/* Offline: the cache entry or an error that says what is missing. */
static int use_cache_only(const char *url, const char *final_path, err_t *err)
{
	if (fs_exists(final_path))
		return 0;
	return err_set(err,
		       "no cached repodata for %s (expected %s), and the network may not be used",
		       url, final_path);
}

/* ---- one fetch ---- */

/* One repodata fetch: the URLs, the cache entry's paths and what the last fetch recorded. */
typedef struct repo_fetch {
	const http_client_t *http;
	const char *base_url, *subdir, *cache_dir;
	unsigned flags;
	int is_file;
	buf_t url, dir, final_path, meta_path; /* the plain URL names the cache entry */
	buf_t tmp_path, plain_tmp, vurl, sig;
	buf_t old_etag, old_lm, old_variant;
	http_got_t got;
	int fd;           /* tmp_path, open */
	size_t first;     /* the variant that answered last time */
	size_t v;         /* the variant that answered now */
	nameidx_t *names; /* rf_store's scan of a new body, for the caller (or freed) */
	char sha[DIGEST_HEX_MAX];
} repo_fetch_t;

static int rf_init(repo_fetch_t *rf, const http_client_t *http, const char *base_url,
		   const char *subdir, const char *cache_dir, unsigned flags, err_t *err)
{
	char hex[DIGEST_HEX_MAX];
	memset(rf, 0, sizeof *rf);
	rf->http = http;
	rf->base_url = base_url;
	rf->subdir = subdir;
	rf->cache_dir = cache_dir;
	rf->flags = flags;
	rf->fd = -1;
	rf->is_file = strncmp(base_url, "file://", 7) == 0;
	buf_addstr(&rf->url, base_url);
	buf_addpath(&rf->url, subdir);
	buf_addpath(&rf->url, "repodata.json");
	/* The cache entry is named for the plain URL whichever form was downloaded. */
	digest_buf_hex(DIGEST_SHA256, rf->url.data, rf->url.len, hex);
	buf_addstr(&rf->dir, cache_dir);
	buf_addpath(&rf->dir, "repodata");
	buf_addf(&rf->final_path, "%s/%s.json", rf->dir.data, hex);
	buf_addf(&rf->meta_path, "%s/%s.meta", rf->dir.data, hex);
	buf_addf(&rf->tmp_path, "%s/%s.dl.XXXXXX", rf->dir.data, hex);
	buf_addf(&rf->plain_tmp, "%s/%s.json.tmp.XXXXXX", rf->dir.data, hex);
	return fs_mkdir_p(rf->dir.data, err);
}

static void rf_free(repo_fetch_t *rf)
{
	if (rf->fd >= 0)
		close(rf->fd);
	if (rf->tmp_path.len && !strstr(rf->tmp_path.data, "XXXXXX"))
		unlink(rf->tmp_path.data);
	if (rf->plain_tmp.len && !strstr(rf->plain_tmp.data, "XXXXXX"))
		unlink(rf->plain_tmp.data);
	buf_t *bufs[] = {&rf->url,      &rf->dir,       &rf->final_path, &rf->meta_path,
			 &rf->tmp_path, &rf->plain_tmp, &rf->vurl,       &rf->sig,
			 &rf->old_etag, &rf->old_lm,    &rf->old_variant};
	for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
		buf_free(bufs[i]);
	http_got_free(&rf->got);
	nameidx_free(rf->names);
}

static void rf_variant_url(repo_fetch_t *rf, size_t v)
{
	buf_setstr(&rf->vurl, rf->url.data);
	buf_addstr(&rf->vurl, variants[v]);
}

/* Reads what the cache entry recorded (only when both halves exist and match this URL) and
 * picks the form to start with. 1 when a file:// source is unchanged since it was cached. */
static int rf_cached_is_current(repo_fetch_t *rf)
{
	if (!fs_exists(rf->final_path.data))
		return 0;
	read_meta(rf->meta_path.data, rf->url.data, &rf->old_etag, &rf->old_lm, &rf->old_variant);
	for (size_t i = 0; i < N_VARIANTS && rf->old_variant.len; i++)
		if (!strcmp(variants[i], rf->old_variant.data + (rf->old_variant.data[0] == '-')))
			rf->first = i;
	if (!rf->is_file || !rf->old_variant.len || !rf->old_etag.len)
		return 0;
	rf_variant_url(rf, rf->first);
	file_signature(rf->vurl.data, &rf->sig);
	return rf->sig.len && !strcmp(rf->sig.data, rf->old_etag.data);
}

static int rf_make_temps(repo_fetch_t *rf, err_t *err)
{
	int fd2;
	rf->fd = mkstemp(rf->tmp_path.data);
	if (rf->fd < 0 || (fd2 = mkstemp(rf->plain_tmp.data)) < 0)
		return err_set(err, "%s: cannot create temp file: %s", rf->dir.data,
			       strerror(errno));
	close(fd2);
	return 0;
}

/* Tries the forms from the remembered one on. HTTP_GOT_* or -1 (err names the URL). */
static int rf_download(repo_fetch_t *rf, err_t *err)
{
	int outcome = HTTP_GOT_MISSING;
	for (rf->v = rf->first; rf->v < N_VARIANTS; rf->v++) {
		/* revalidate only the form the cache entry came from */
		int same = !rf->is_file && rf->v == rf->first && rf->old_variant.len;
		http_get_t q = {.url = NULL,
				.if_none_match = same ? rf->old_etag.data : NULL,
				.if_modified_since = same ? rf->old_lm.data : NULL,
				.max_bytes = CHANNEL_REPODATA_MAX_BYTES,
				.out_fd = rf->fd,
				.is_compressed_ok = 1};
		rf_variant_url(rf, rf->v);
		q.url = rf->vurl.data;
		if (rf->is_file) /* taken before the read: a change during it shows next time */
			file_signature(rf->vurl.data, &rf->sig);
		outcome = http_get(rf->http, &q, &rf->got, err);
		if (outcome != HTTP_GOT_MISSING)
			break;
	}
	return outcome;
}

static int rf_missing(repo_fetch_t *rf, err_t *err)
{
	if (!(rf->flags & CHANNEL_MISSING_OK))
		return err_set(err,
			       "channel %s has no %s/repodata.json (%s, nor .zst/.bz2): check the "
			       "channel name/URL",
			       rf->base_url, rf->subdir, rf->url.data);
	if (write_empty_repodata(rf->final_path.data, rf->subdir, err) != 0)
		return -1;
	unlink(rf->meta_path.data);
	return 0;
}

/* A fresh body: decompressed, validated and indexed, then renamed over the cache entry. */
static int rf_store(repo_fetch_t *rf, err_t *err)
{
	buf_t none = BUF_INIT;
	const char *body = rf->tmp_path.data;
	int rc = -1;
	if (*variants[rf->v]) {
		if (decompress_file(rf->tmp_path.data, rf->plain_tmp.data, rf->vurl.data, err) != 0)
			goto out;
		body = rf->plain_tmp.data;
	}
	if (validate_and_index(body, rf->vurl.data, rf->cache_dir, &rf->names, rf->sha, err) != 0)
		goto out;
	/* Drop the old metadata first: a crash between the two renames then costs one full
	 * download, never a 304 that would pair a new ETag with old content. */
	unlink(rf->meta_path.data);
	if (fs_rename(body, rf->final_path.data, err) != 0)
		goto out;
	rc = 0;
	if (rf->is_file ? rf->sig.len > 0 : (rf->got.etag.len || rf->got.last_modified.len)) {
		/* "-" marks plain so an empty variant still reads back as "known" */
		const char *vname = *variants[rf->v] ? variants[rf->v] : "-";
		rc = write_meta(rf->meta_path.data, rf->url.data,
				rf->is_file ? &rf->sig : &rf->got.etag,
				rf->is_file ? &none : &rf->got.last_modified, vname, err);
	}
out:
	buf_free(&none);
	return rc;
}

int channel_fetch_repodata_scan(const http_client_t *http, const char *base_url, const char *subdir,
				const char *cache_dir, unsigned flags, buf_t *path_out,
				nameidx_t **names, char sha[65], err_t *err)
{
	repo_fetch_t rf;
	int rc = -1, outcome;
	if (rf_init(&rf, http, base_url, subdir, cache_dir, flags, err) != 0)
		goto out;
	if ((flags & CHANNEL_OFFLINE) && !rf.is_file) {
		rc = use_cache_only(rf.url.data, rf.final_path.data, err);
		goto out;
	}
	if (rf_cached_is_current(&rf)) {
		rc = 0; /* the local file is unchanged since it was cached */
		goto out;
	}
	if (rf_make_temps(&rf, err) != 0)
		goto out;
	outcome = rf_download(&rf, err);
	if (outcome == HTTP_GOT_MISSING)
		rc = rf_missing(&rf, err);
	else if (outcome == HTTP_GOT_NOT_MODIFIED)
		rc = 0; /* 304: the cached copy is current */
	else if (outcome == HTTP_GOT_BODY)
		rc = rf_store(&rf, err);
out:
	if (rc == 0)
		buf_setstr(path_out, rf.final_path.data);
	if (rc == 0 && names && rf.names) {
		*names = rf.names;
		rf.names = NULL;
		memcpy(sha, rf.sha, 65);
	}
	rf_free(&rf);
	return rc;
}

int channel_fetch_repodata(const http_client_t *http, const char *base_url, const char *subdir,
			   const char *cache_dir, unsigned flags, buf_t *path_out, err_t *err)
{
	return channel_fetch_repodata_scan(http, base_url, subdir, cache_dir, flags, path_out, NULL,
					   NULL, err);
}

void channel_subdir_clear(channel_subdir_t *sd)
{
	buf_free(&sd->path);
	nameidx_free(sd->names);
	sd->names = NULL;
	sd->sha[0] = '\0';
}
