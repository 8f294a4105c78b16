/* fsutil.h — small filesystem helpers shared by every stage: directory creation, removal,
 * atomic writes (temp file + fsync + rename, so an interrupted build never leaves a
 * half-written file under its final name) and path-safety checks for untrusted names. */
#ifndef IMGBUILD_FSUTIL_H
#define IMGBUILD_FSUTIL_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* mkdir -p with mode 0755 (umask applies). 0 or -1. */
int fs_mkdir_p(const char *path, err_t *err);
/* rm -rf that never follows symlinks. Missing path is success. */
int fs_rm_rf(const char *path, err_t *err);
/* Writes data to path atomically (path.tmp.PID then rename). */
int fs_write_atomic(const char *path, const void *data, size_t len, err_t *err);
/* Same, with the temporary file made in tmpdir (same file system as path) as scratch.h
 * names it, so that a sweep of tmpdir removes what a killed process left. */
int fs_write_atomic_via(const char *path, const char *tmpdir, const void *data, size_t len,
			err_t *err);
/* Writes all n bytes to fd (retrying short writes and EINTR): 0, or the errno (EIO when the
 * system gave none). */
int fs_write_all(int fd, const void *data, size_t n);
/* Copies a regular file (streamed), atomically at dst. */
int fs_copy_file(const char *src, const char *dst, err_t *err);
int fs_exists(const char *path);
int fs_is_dir(const char *path);
/* Makes a fresh unique directory "<parent>/<prefix>XXXXXX" and stores its path in out. */
int fs_mkdtemp(const char *parent, const char *prefix, buf_t *out, err_t *err);
/* Renames (atomic on one filesystem); on EXDEV copies then removes. */
int fs_rename(const char *from, const char *to, err_t *err);

/* 1 if rel is a safe relative path: not empty, not absolute, no ".." component, no NUL,
 * no empty components other than a trailing slash. Used on every archive member name. */
int fs_path_is_safe_relative(const char *rel);
/* Normalises "a/./b//c/" to "a/b/c" in place-output form; returns -1 if it escapes. */
int fs_path_normalize(const char *in, buf_t *out);

/* The user cache root: --cache-dir, else $XDG_CACHE_HOME/imgbuild, else ~/.cache/imgbuild. */
void fs_default_cache_dir(buf_t *out);

#endif
