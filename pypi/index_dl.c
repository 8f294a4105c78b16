/* index_dl.c — what the index client downloads (see index.h): pages into memory (capped),
 * wheels into <cache>/pypi/files/<sha256> through a temporary file that is renamed only once
 * its sha256 (and size, when the index gave one) is right, and core metadata from .metadata
 * files or from the wheel, cached as <cache>/pypi/metadata/<wheel sha256>. */
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

int index_fetch_buf(pypi_index_t *ix, const char *url, const char *accept, size_t max, buf_t *body,
		    pypi_fetch_resp_t *resp, err_t *err)
{
	const pypi_index_opts_t *o = index_opts(ix);
	mem_sink_t m = {body, max, url};
	pypi_fetch_req_t req = {url, accept, to_memory, &m};
	buf_reset(body);
	buf_grow(body, 0);
	return o->fetcher.fetch(o->fetcher.ud, &req, resp, err);
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
	r = fetch_to_cache(ix, f, want, path, sha256_hex, err);
out:
	buf_free(&scheme);
	return r;
}
