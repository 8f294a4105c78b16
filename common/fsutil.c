/* fsutil.c — filesystem helpers (see fsutil.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fsutil.h"

#include "scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_mkdir_p(const char *path, err_t *err)
{
	buf_t b = BUF_INIT;
	int rc = -1;
	buf_addstr(&b, path);
	for (size_t i = 1; i <= b.len; i++) {
		if (b.data[i] != '/' && b.data[i] != '\0')
			continue;
		char saved = b.data[i];
		b.data[i] = '\0';
		if (mkdir(b.data, 0755) != 0 && errno != EEXIST) {
			err_set(err, "%s: cannot create directory: %s", b.data, strerror(errno));
			goto out;
		}
		b.data[i] = saved;
	}
	if (!fs_is_dir(path)) {
		err_set(err, "%s: exists and is not a directory", path);
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	return rc;
}

static int rm_rf_at(int dirfd, const char *name, err_t *err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0
				       : err_set(err, "%s: cannot stat: %s", name, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd < 0)
			return err_set(err, "%s: cannot open directory: %s", name, strerror(errno));
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return err_set(err, "%s: cannot read directory: %s", name, strerror(errno));
		}
		struct dirent *de;
		int rc = 0;
		while (rc == 0 && (de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			rc = rm_rf_at(fd, de->d_name, err);
		}
		closedir(d);
		if (rc)
			return rc;
		if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
			return err_set(err, "%s: cannot remove: %s", name, strerror(errno));
		return 0;
	}
	if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT)
		return err_set(err, "%s: cannot remove: %s", name, strerror(errno));
	return 0;
}

int fs_rm_rf(const char *path, err_t *err)
{
	if (rm_rf_at(AT_FDCWD, path, err) != 0)
		return err_prefix(err, "removing %s", path);
	return 0;
}

/* Writes data to the open temporary file tmp, then renames it to path; on failure the
 * temporary file is removed. Closes fd. */
static int finish_atomic(int fd, const char *tmp, const char *path, const void *data, size_t len,
			 err_t *err)
{
	int werr = fs_write_all(fd, data, len);
	if (werr == 0 && fchmod(fd, 0644) != 0)
		werr = errno;
	if (werr != 0) {
		close(fd);
		err_set(err, "%s: write failed: %s", tmp, strerror(werr));
		goto fail;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		err_set(err, "%s: cannot flush: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		err_set(err, "%s: cannot rename into place: %s", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return -1;
}

/* The temporary file is "<name>.tmp.<pid>-XXXXXX" beside path: unique per call, so threads
 * of one process writing the same path never share it, and scratch_sweep can tell a dead
 * process's leftover. */
int fs_write_atomic(const char *path, const void *data, size_t len, err_t *err)
{
	buf_t dir = BUF_INIT, prefix = BUF_INIT, tmp = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int rc = -1;
	if (slash) {
		buf_add(&dir, path, (size_t)(slash - path + (slash == path)));
		buf_addf(&prefix, "%s.tmp.", slash + 1);
	} else {
		buf_setstr(&dir, ".");
		buf_addf(&prefix, "%s.tmp.", path);
	}
	int fd = scratch_mkstemp(dir.data, prefix.data, &tmp, err);
	if (fd >= 0)
		rc = finish_atomic(fd, tmp.data, path, data, len, err);
	buf_free(&dir);
	buf_free(&prefix);
	buf_free(&tmp);
	return rc;
}

int fs_write_atomic_via(const char *path, const char *tmpdir, const void *data, size_t len,
			err_t *err)
{
	buf_t tmp = BUF_INIT;
	int rc = -1;
	int fd = scratch_mkstemp(tmpdir, "", &tmp, err);
	if (fd >= 0)
		rc = finish_atomic(fd, tmp.data, path, data, len, err);
	buf_free(&tmp);
	return rc;
}

int fs_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return errno ? errno : EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int fs_copy_file(const char *src, const char *dst, err_t *err)
{
	buf_t tmp = BUF_INIT;
	int in = -1, out_fd = -1, rc = -1;
	char chunk[1 << 16];
	struct stat st;
	buf_addf(&tmp, "%s.tmp.%ld", dst, (long)getpid());
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) != 0) {
		err_set(err, "%s: cannot open: %s", src, strerror(errno));
		goto out;
	}
	out_fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		      st.st_mode & 0777);
	if (out_fd < 0) {
		err_set(err, "%s: cannot create: %s", tmp.data, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = read(in, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, "%s: read failed: %s", src, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		int werr = fs_write_all(out_fd, chunk, (size_t)n);
		if (werr) {
			err_set(err, "%s: write failed: %s", tmp.data, strerror(werr));
			goto out;
		}
	}
	if (close(out_fd) != 0) {
		out_fd = -1;
		err_set(err, "%s: cannot flush: %s", tmp.data, strerror(errno));
		goto out;
	}
	out_fd = -1;
	if (rename(tmp.data, dst) != 0) {
		err_set(err, "%s: cannot rename into place: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out_fd >= 0)
		close(out_fd);
	if (rc != 0)
		unlink(tmp.data);
	buf_free(&tmp);
	return rc;
}

int fs_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int fs_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_mkdtemp(const char *parent, const char *prefix, buf_t *out, err_t *err)
{
	if (fs_mkdir_p(parent, err) != 0)
		return -1;
	buf_reset(out);
	buf_addstr(out, parent);
	buf_addpath(out, prefix);
	buf_addstr(out, "XXXXXX");
	if (!mkdtemp(out->data))
		return err_set(err, "%s: cannot create temporary directory: %s", parent,
			       strerror(errno));
	return 0;
}

int fs_rename(const char *from, const char *to, err_t *err)
{
	if (rename(from, to) == 0)
		return 0;
	if (errno != EXDEV)
		return err_set(err, "cannot rename %s to %s: %s", from, to, strerror(errno));
	if (fs_copy_file(from, to, err) != 0)
		return -1;
	unlink(from);
	return 0;
}

int fs_path_is_safe_relative(const char *rel)
{
	if (!rel || !*rel || rel[0] == '/')
		return 0;
	const char *p = rel;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		if (n == 0 && slash && slash[1] != '\0')
			return 0; /* "a//b" */
		if (!slash)
			break;
		p = slash + 1;
	}
	return 1;
}

int fs_path_normalize(const char *in, buf_t *out)
{
	buf_reset(out);
	if (!in || in[0] == '/')
		return -1;
	const char *p = in;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			return -1;
		} else {
			if (out->len)
				buf_addch(out, '/');
			buf_add(out, p, n);
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	return out->len ? 0 : -1;
}

void fs_default_cache_dir(buf_t *out)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	buf_reset(out);
	if (xdg && *xdg) {
		buf_addstr(out, xdg);
	} else {
		const char *home = getenv("HOME");
		buf_addstr(out, home && *home ? home : "/tmp");
		buf_addpath(out, ".cache");
	}
	buf_addpath(out, "imgbuild");
}
