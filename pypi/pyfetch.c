/* pyfetch.c — the file:// fetcher (see pyfetch.h). Files are read with O_NOFOLLOW on the
 * last component only: a find-links or index directory is the user's own and may sit behind
 * symlinks, but the file named is read as it is. */
#include "pyfetch.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pyurl.h"

#define JSON_TYPE "application/vnd.pypi.simple.v1+json"

static int stream_file(const char *path, const pypi_fetch_req_t *req, err_t *err)
{
	char block[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	int r = 0;
	if (fd < 0)
		return errno == ENOENT ? PYPI_FETCH_NOT_FOUND
				       : err_set(err, "%s: %s", req->url, strerror(errno));
	while (r == 0 && (n = read(fd, block, sizeof block)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = err_set(err, "%s: read: %s", req->url, strerror(errno));
		else
			r = req->sink(req->sink_ud, block, (size_t)n, err);
	}
	close(fd);
	return r;
}

int pypi_fetch_file(void *ud, const pypi_fetch_req_t *req, pypi_fetch_resp_t *resp, err_t *err)
{
	buf_t path = BUF_INIT;
	struct stat st;
	int r;
	(void)ud;
	if (pypi_url_to_path(req->url, &path) < 0) {
		buf_free(&path);
		return err_set(err, "%s: not a local file:// URL", req->url);
	}
	buf_setstr(&resp->final_url, req->url);
	buf_setstr(&resp->content_type, "application/octet-stream");
	if (stat(buf_cstr(&path), &st) == 0 && S_ISDIR(st.st_mode)) {
		size_t dir_len = path.len;
		int json = req->accept && strstr(req->accept, JSON_TYPE);
		buf_addpath(&path, "index.json");
		if (!json || access(buf_cstr(&path), R_OK) != 0) {
			buf_truncate(&path, dir_len);
			buf_addpath(&path, "index.html");
			json = 0;
		}
		buf_setstr(&resp->content_type, json ? JSON_TYPE : "text/html");
	} else if (path.len > 5 && !strcmp(path.data + path.len - 5, ".html")) {
		buf_setstr(&resp->content_type, "text/html");
	}
	r = stream_file(buf_cstr(&path), req, err);
	buf_free(&path);
	return r;
}
