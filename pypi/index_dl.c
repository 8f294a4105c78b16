/* index_dl.c — what the index client downloads (see index.h): pages into memory (capped),
 * wheels into <cache>/pypi/files/<sha256> through a temporary file that is renamed only once
 * its sha256 (and size, when the index gave one) is right, and core metadata from .metadata
 * files or from the wheel, cached as <cache>/pypi/metadata/<wheel sha256>; index pages are
 * cached too (<cache>/pypi/pages/), so that an offline index reads only the caches. */
#include "index_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "pyname.h"
#include "pyurl.h"
#include "xalloc.h"

#define INDEX_MAX_DOWNLOAD_BYTES (16ull << 30) /* no wheel is bigger; a stream past it stops */

/* ------------------------------------------------------------------ into memory */

typedef struct mem_sink {
	buf_t *body;
	size_t max;
	const char *url;
} mem_sink_t;

static int to_memory(void *ud, const void *data, size_t len, err_t *err)
{
	mem_sink_t *m = ud;
	if (m->body->len + len > m->max)
		return err_set(err, "%s: larger than %zu bytes", m->url, m->max);
	buf_add(m->body, data, len);
	return 0;
}

/* ------------------------------------------------------------------ the page cache */

/* Index and find-links pages are cached as <cache>/pypi/pages/<sha256 of accept and URL>:
 * "imgbuild-pypi-page 1\n", the status (200, or 404 for a project the index does not have), the
 * content type and the final URL, one line each, then the body. Online, every page is fetched and
 * the cache rewritten (a cache that cannot be written only costs the offline mode); offline, the
 * cache is the only source. */
#define PAGE_MAGIC "imgbuild-pypi-page 1\n"

static void page_cache_path(const pypi_index_t *ix, const char *url, const char *accept, buf_t *out)
{
	char hex[DIGEST_HEX_MAX];
	buf_t key = BUF_INIT;
	buf_addf(&key, "%s\n%s", accept, url);
	digest_buf_hex(DIGEST_SHA256, key.data, key.len, hex);
	index_cache_path(ix, "pages", hex, out);
	buf_free(&key);
}

static void page_cache_store(const pypi_index_t *ix, const char *path, int status,
			     const buf_t *body, const pypi_fetch_resp_t *resp)
{
	buf_t dir = BUF_INIT, rec = BUF_INIT;
	err_t ignore = ERR_INIT;
	index_cache_path(ix, "pages", NULL, &dir);
	buf_addf(&rec, PAGE_MAGIC "%d\n%s\n%s\n", status == 0 ? 200 : 404,
		 buf_cstr(&resp->content_type), buf_cstr(&resp->final_url));
	if (status == 0)
		buf_add(&rec, body->data, body->len);
	if (fs_mkdir_p(buf_cstr(&dir), &ignore) == 0)
		fs_write_atomic(path, rec.data, rec.len, &ignore);
	err_clear(&ignore);
	buf_free(&dir);
	buf_free(&rec);
}

/* Copies the next line of rec (from *p) into out; -1 when there is none. */
static int next_line(const buf_t *rec, size_t *p, buf_t *out)
{
	const char *nl = memchr(rec->data + *p, '\n', rec->len - *p);
	if (!nl || memchr(rec->data + *p, '\0', (size_t)(nl - rec->data) - *p))
		return -1;
	buf_reset(out);
	buf_add(out, rec->data + *p, (size_t)(nl - rec->data) - *p);
	*p = (size_t)(nl - rec->data) + 1;
	return 0;
}

static int page_cache_load(const char *url, const char *path, size_t max, buf_t *body,
			   pypi_fetch_resp_t *resp, err_t *err)
{
	buf_t rec = BUF_INIT, status = BUF_INIT;
	size_t p = strlen(PAGE_MAGIC);
	int r = -1;
	if (!fs_exists(path)) {
		err_set(err, "%s: not in the package index cache (%s); offline, nothing is fetched",
			url, path);
		err_set_hint(err, ERR_HINT_OFFLINE_CACHE);
		goto out;
	}
	if (buf_read_file(&rec, path, max + 4096, err) < 0)
		goto out;
	if (rec.len < p || memcmp(rec.data, PAGE_MAGIC, p) || next_line(&rec, &p, &status) ||
	    next_line(&rec, &p, &resp->content_type) || next_line(&rec, &p, &resp->final_url) ||
	    (strcmp(buf_cstr(&status), "200") && strcmp(buf_cstr(&status), "404"))) {
		err_set(err, "%s: a damaged package index cache entry (for %s); delete it", path,
			url);
		goto out;
	}
	r = !strcmp(buf_cstr(&status), "404") ? PYPI_FETCH_NOT_FOUND : 0;
	buf_add(body, rec.data + p, rec.len - p);
out:
	buf_free(&rec);
	buf_free(&status);
	return r;
}

/* A page (accept given) goes through the page cache unless it is a file:// one; anything
 * else (a .metadata file: cached by index_meta.c) is only fetched, never offline. */
int index_fetch_buf(pypi_index_t *ix, const char *url, const char *accept, size_t max, buf_t *body,
		    pypi_fetch_resp_t *resp, err_t *err)
{
	const pypi_index_opts_t *o = index_opts(ix);
	mem_sink_t m = {body, max, url};
	pypi_fetch_req_t req = {url, accept, to_memory, &m};
	buf_t path = BUF_INIT;
	int cached = accept && strncmp(url, "file:", 5), r;
	buf_reset(body);
	buf_grow(body, 0);
	if (cached)
		page_cache_path(ix, url, accept, &path);
	if (o->offline && cached)
		r = page_cache_load(url, buf_cstr(&path), max, body, resp, err);
	else if (o->offline && strncmp(url, "file:", 5)) {
		err_set(err, "%s: not in the package index cache; offline, nothing is fetched",
			url);
		r = err_set_hint(err, ERR_HINT_OFFLINE_CACHE);
	} else if ((r = o->fetcher.fetch(o->fetcher.ud, &req, resp, err)) >= 0 && cached)
		page_cache_store(ix, buf_cstr(&path), r, body, resp);
	buf_free(&path);
	return r;
}

/* ------------------------------------------------------------------ into the cache */

typedef struct file_sink {
	FILE *fp;
	digest_t *d;
	unsigned long long got, max;
	const char *url;
} file_sink_t;

static int to_file(void *ud, const void *data, size_t len, err_t *err)
{
	file_sink_t *s = ud;
	if ((s->got += len) > s->max)
		return err_set(err, "%s: more than the %llu bytes the index announced", s->url,
			       s->max);
	digest_update(s->d, data, len);
	if (fwrite(data, 1, len, s->fp) != len)
		return err_set(err, "%s: writing the download: %s", s->url, strerror(errno));
	return 0;
}

void index_cache_path(const pypi_index_t *ix, const char *kind, const char *hex, buf_t *out)
{
	buf_setstr(out, index_opts(ix)->cache_dir);
	buf_addpath(out, "pypi");
	buf_addpath(out, kind);
	if (hex)
		buf_addpath(out, hex);
}

/* The sha256 a download must have: the index's and the pin's must agree. */
static int wanted_hash(const pypi_file_t *f, const char *expected, const char **want, err_t *err)
{
	*want = f->sha256[0] ? f->sha256 : expected;
	if (f->sha256[0] && expected && strcasecmp(f->sha256, expected))
		return err_set(
			err,
			"%s: the index gives sha256 %s but the requirement pins --hash=sha256:%s",
			f->filename, f->sha256, expected);
	return 0;
}

static int check_hash(const pypi_file_t *f, const char *want, const char *got, err_t *err)
{
	if (want && strcasecmp(want, got))
		return err_set(err,
			       "%s (%s): sha256 %s, expected %s: the download is damaged or was "
			       "altered; nothing was installed",
			       f->filename, f->url, got, want);
	return 0;
}

/* A find-links file on this machine: used where it is, hashed. */
static int local_file(const pypi_file_t *f, const char *want, buf_t *path, char hex[65], err_t *err)
{
	if (pypi_url_to_path(f->url, path) < 0)
		return err_set(err, "%s: not a local file URL", f->url);
	if (digest_file_hex(DIGEST_SHA256, buf_cstr(path), hex, err) < 0)
		return -1;
	return check_hash(f, want, hex, err);
}

static int fetch_to_cache(pypi_index_t *ix, const pypi_file_t *f, const char *want, buf_t *path,
			  char hex[65], err_t *err)
{
	const pypi_index_opts_t *o = index_opts(ix);
	buf_t dir = BUF_INIT, tmp = BUF_INIT;
	pypi_fetch_resp_t resp = {BUF_INIT, BUF_INIT};
	file_sink_t s = {NULL, digest_new(DIGEST_SHA256), 0,
			 f->size >= 0 ? (unsigned long long)f->size : INDEX_MAX_DOWNLOAD_BYTES,
			 f->url};
	pypi_fetch_req_t req = {f->url, NULL, to_file, &s};
	int fd = -1, r = -1;
	index_cache_path(ix, "files", NULL, &dir);
	if (fs_mkdir_p(buf_cstr(&dir), err) < 0)
		goto out;
	buf_addf(&tmp, "%s/.download-XXXXXX", buf_cstr(&dir));
	if ((fd = mkstemp(tmp.data)) < 0 || !(s.fp = fdopen(fd, "wb"))) {
		err_set(err, "%s: %s", buf_cstr(&tmp), strerror(errno));
		goto out;
	}
	fd = -1;
	r = o->fetcher.fetch(o->fetcher.ud, &req, &resp, err);
	if (r == PYPI_FETCH_NOT_FOUND)
		r = err_set(err, "%s: not found (listed by %s)", f->url, f->source);
	if (fclose(s.fp) != 0 && r == 0)
		r = err_set(err, "%s: %s", buf_cstr(&tmp), strerror(errno));
	s.fp = NULL;
	digest_final_hex(s.d, hex);
	if (r == 0 && f->size >= 0 && s.got != (unsigned long long)f->size)
		r = err_set(err, "%s: %llu bytes, the index announced %lld", f->url, s.got,
			    f->size);
	if (r == 0 && (r = check_hash(f, want, hex, err)) == 0) {
		index_cache_path(ix, "files", hex, path);
		r = fs_rename(buf_cstr(&tmp), buf_cstr(path), err);
	}
out:
	if (fd >= 0)
		close(fd);
	if (s.fp)
		fclose(s.fp);
	if (r < 0 && tmp.len)
		unlink(buf_cstr(&tmp));
	digest_free(s.d);
	buf_free(&dir);
	buf_free(&tmp);
	buf_free(&resp.content_type);
	buf_free(&resp.final_url);
	return r;
}

int pypi_index_download(pypi_index_t *ix, const pypi_file_t *f, const char *expected_sha256,
			buf_t *path, char sha256_hex[65], err_t *err)
{
	const char *want;
	buf_t scheme = BUF_INIT;
	int r = -1;
	if (wanted_hash(f, expected_sha256, &want, err) < 0)
		goto out;
	pypi_url_scheme(f->url, &scheme);
	if (!strcmp(buf_cstr(&scheme), "file")) {
		r = local_file(f, want, path, sha256_hex, err);
		goto out;
	}
	if (!want && strcmp(buf_cstr(&scheme), "https")) {
		err_set(err,
			"%s: %s gives no sha256 for it and the URL is not https, so nothing could "
			"verify it: pin it with --hash=sha256:<hex>",
			f->url, f->source);
		goto out;
	}
	if (want) {
		index_cache_path(ix, "files", want, path);
		for (char *p = path->data + path->len - 64; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
		if (fs_exists(buf_cstr(path))) {
			memcpy(sha256_hex, path->data + path->len - 64, 65);
			r = 0;
			goto out;
		}
	}
	if (index_opts(ix)->offline) {
		err_set(err, "%s: not in the download cache; offline, nothing is fetched", f->url);
		err_set_hint(err, ERR_HINT_OFFLINE_CACHE);
	} else
		r = fetch_to_cache(ix, f, want, path, sha256_hex, err);
out:
	buf_free(&scheme);
	return r;
}
