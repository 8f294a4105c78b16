/* install_xcache.c — the stamp that makes an extract-cache entry trustworthy (issue 10 #3, #6).
 * When an extraction is complete, before it is renamed into extract_cache/<sha256>/, every
 * file's mtime is pinned to a fixed instant and a manifest is written at its root: each
 * entry's path, type, size, exec bit, symlink target and inode, plus the SHA-256 of that list.
 * Before an entry is used, it is walked again and must give exactly the same list: a file
 * written since (mtime), replaced (inode), added, removed, retyped or relinked, and any entry
 * without a valid manifest, does not match, and the caller evicts it and extracts the
 * archive again. Since a matching entry has its extraction's very inodes, the hardlinks that
 * staging copies from it are exactly the archive's own (a `cp -r` of the cache no longer
 * changes layer bytes: the copy's entries simply fail to match once and are re-extracted).
 * The check costs one lstat per entry, no hashing. It detects every change except one by the
 * cache's owner that also restores the pinned mtime on a same-size, same-inode file; the
 * cache directory itself must not be writable by others. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "install_int.h"
#include "log.h"
#include "scratch.h"
#include "xalloc.h"

#define XCACHE_VERSION 1
#define XCACHE_MTIME_SEC 1 /* 1970-01-01T00:00:01Z: any later write moves it */
/* 500000 members (PKG_MAX_MEMBERS) of a few hundred bytes each. */
#define XCACHE_MAX_MANIFEST_BYTES (256u << 20)

/* One walk entry as a JSON array: [path, type, size, exec, target, ino]. */
static json_t *entry_of(const char *rel, int dfd, const char *name, const struct stat *st)
{
	char type = S_ISDIR(st->st_mode)   ? 'd'
		    : S_ISLNK(st->st_mode) ? 'l'
		    : S_ISREG(st->st_mode) ? 'f'
					   : '?';
	char t[2] = {type, '\0'};
	json_t *target = json_null();
	if (type == 'l') {
		buf_t b = BUF_INIT;
		buf_grow(&b, (size_t)st->st_size + 1);
		ssize_t n = readlinkat(dfd, name, b.data, (size_t)st->st_size + 1);
		if (n >= 0 && (size_t)n <= (size_t)st->st_size) {
			b.len = (size_t)n;
			b.data[n] = '\0';
			target = json_stringn(b.data, b.len);
		}
		buf_free(&b);
	}
	int is_file = type == 'f';
	return json_pack("[s,s,I,b,o,I]", rel, t, (json_int_t)(is_file ? st->st_size : 0),
			 is_file && (st->st_mode & 0111), target ? target : json_null(),
			 (json_int_t)(is_file ? st->st_ino : 0));
}

/* Pins a regular file's mtime (best effort: the manifest records what it then finds). */
static void pin_mtime(int dfd, const char *name, struct stat *st)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {XCACHE_MTIME_SEC, 0}};
	if (utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) == 0)
		fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW);
}

/* Appends the entries under dfd (rel is its path in the tree, "" for the root) to out, in
 * readdir order (sorted later); with is_stamping, pins mtimes first. The manifest itself is
 * left out. -1 on an unreadable directory. */
static int walk(int dfd, buf_t *rel, int is_stamping, json_t *out, long long *total)
{
	DIR *d = fdopendir(dfd);
	size_t base_len = rel->len;
	struct dirent *de;
	int rc = 0;
	if (!d) {
		close(dfd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (!base_len && !strcmp(de->d_name, INSTALL_XCACHE_MANIFEST)))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = -1;
			break;
		}
		if (is_stamping && S_ISREG(st.st_mode))
			pin_mtime(dirfd(d), de->d_name, &st);
		buf_truncate(rel, base_len);
		if (base_len)
			buf_addch(rel, '/');
		buf_addstr(rel, de->d_name);
		json_t *e = entry_of(rel->data, dirfd(d), de->d_name, &st);
		/* mtime is part of the match without being stored: a file must still have the
		 * pinned one. */
		if (S_ISREG(st.st_mode) &&
		    (st.st_mtim.tv_sec != XCACHE_MTIME_SEC || st.st_mtim.tv_nsec))
			json_array_set_new(e, 5, json_integer(-1));
		json_array_append_new(out, e);
		*total += S_ISREG(st.st_mode) ? st.st_size : 0;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = sub < 0 ? -1 : walk(sub, rel, is_stamping, out, total);
		}
	}
	buf_truncate(rel, base_len);
	closedir(d);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return strcmp(json_string_value(json_array_get(x, 0)),
		      json_string_value(json_array_get(y, 0)));
}

/* The tree under root as a sorted JSON array of entries, its compact text and SHA-256. */
static int list_tree(int root, int is_stamping, char **text, char hex[DIGEST_HEX_MAX],
		     long long *total)
{
	buf_t rel = BUF_INIT;
	json_t *arr = json_array();
	int fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*total = 0;
	int rc = fd < 0 ? -1 : walk(fd, &rel, is_stamping, arr, total);
	size_t n = json_array_size(arr);
	json_t **v = xcalloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	if (n)
		qsort(v, n, sizeof *v, cmp_entry);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	*text = xcheck(json_dumps(arr, JSON_COMPACT | JSON_ENCODE_ANY));
	digest_buf_hex(DIGEST_SHA256, *text, strlen(*text), hex);
	free(v);
	json_decref(arr);
	buf_free(&rel);
	return rc;
}

static int stamp(int root, err_t *err)
{
	char hex[DIGEST_HEX_MAX], *text = NULL;
	long long total = 0;
	int rc = -1, fd = -1;
	if (list_tree(root, 1, &text, hex, &total) != 0) {
		err_set(err, "cannot list the extracted tree: %s", strerror(errno));
		goto out;
	}
	buf_t doc = BUF_INIT;
	buf_addf(&doc, "{\"version\":%d,\"sha256\":\"%s\",\"entries\":%s}\n", XCACHE_VERSION, hex,
		 text);
	/* O_EXCL: a package with a member of this name at its root is simply not cached. */
	fd = openat(root, INSTALL_XCACHE_MANIFEST,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, doc.data, doc.len) != (ssize_t)doc.len || fsync(fd) != 0)
		err_set(err, "cannot write %s: %s", INSTALL_XCACHE_MANIFEST,
			fd < 0 ? strerror(errno) : "short write");
	else
		rc = 0;
	buf_free(&doc);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return rc;
}

/* Names the first entry where the stored and the found lists differ. */
static void first_difference(json_t *stored, json_t *found, buf_t *why)
{
	size_t n = json_array_size(stored), m = json_array_size(found);
	for (size_t i = 0; i < n || i < m; i++) {
		json_t *a = json_array_get(stored, i), *b = json_array_get(found, i);
		if (a && b && json_equal(a, b))
			continue;
		const char *pa = json_string_value(json_array_get(a, 0));
		const char *pb = json_string_value(json_array_get(b, 0));
		if (!b || (pa && pb && strcmp(pa, pb) < 0))
			buf_addf(why, "%s is missing", pa);
		else if (!a || (pa && pb && strcmp(pa, pb) > 0))
			buf_addf(why, "%s was added", pb);
		else
			buf_addf(why, "%s was modified or replaced", pa);
		return;
	}
	buf_addstr(why, "its manifest does not match its own checksum");
}

static int verify(int root, long long *total_bytes, buf_t *why)
{
	buf_t doc = BUF_INIT;
	char hex[DIGEST_HEX_MAX], *text = NULL;
	json_t *j = NULL, *found = NULL;
	int rc = 1;
	buf_reset(why);
	if (inst_read_file_at(root, INSTALL_XCACHE_MANIFEST, XCACHE_MAX_MANIFEST_BYTES, &doc) !=
	    1) {
		buf_addstr(why, "it has no readable manifest (" INSTALL_XCACHE_MANIFEST ")");
		goto out;
	}
	j = json_loadb(doc.data, doc.len, 0, NULL);
	const char *want = json_string_value(json_object_get(j, "sha256"));
	if (json_integer_value(json_object_get(j, "version")) != XCACHE_VERSION || !want ||
	    !json_is_array(json_object_get(j, "entries"))) {
		buf_addstr(why, "its manifest is damaged or of another version");
		goto out;
	}
	if (list_tree(root, 0, &text, hex, total_bytes) != 0) {
		buf_addf(why, "it cannot be read: %s", strerror(errno));
		goto out;
	}
	if (strcmp(hex, want) == 0) {
		rc = 0;
		goto out;
	}
	found = json_loads(text, JSON_DECODE_ANY, NULL);
	first_difference(json_object_get(j, "entries"), found, why);
out:
	json_decref(j);
	json_decref(found);
	free(text);
	buf_free(&doc);
	return rc;
}

static void evict(const char *cache, const char *entry_dir)
{
	buf_t trash = BUF_INIT, dst = BUF_INIT;
	err_t ignored = ERR_INIT;
	/* Renamed out of the way first, so no build can start using it; then removed. A kill
	 * in between leaves a pid-named directory the next eviction sweeps. */
	scratch_sweep(cache, ".evicted-");
	if (scratch_mkdtemp(cache, ".evicted-", &trash, &ignored) == 0) {
		buf_setstr(&dst, trash.data);
		buf_addpath(&dst, "entry");
		if (rename(entry_dir, dst.data) != 0)
			fs_rm_rf(entry_dir, &ignored);
		fs_rm_rf(trash.data, &ignored);
	}
	err_clear(&ignored);
	buf_free(&trash);
	buf_free(&dst);
}

/* ---- use by install_package ---- */

/* Switches ex_fd to the cache entry dir when it is there and matches its stamp. 0 when
 * switched; -1 when absent, or when it did not match (then it is evicted, with a warning). */
static int use_cached_extract(inst_t *in, const char *dir)
{
	buf_t why = BUF_INIT;
	long long total = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (verify(fd, &total, &why) == 0 && total > in->max_bytes) {
		buf_addf(&why, "it holds %lld bytes, more than this package's %lld-byte cap", total,
			 in->max_bytes);
	} else if (why.len == 0) {
		if (in->ex_fd >= 0)
			close(in->ex_fd);
		in->ex_fd = fd;
		in->is_shared_extract = 1;
		in->written_bytes = total;
		free(in->shared_extract_dir);
		in->shared_extract_dir = xstrdup(dir);
		buf_free(&why);
		return 0;
	}
	close(fd);
	log_msgf(in->opts->log, in->opts->log_ud,
		 "warning: extract cache entry %s of package %s is not used: %s; removing it and "
		 "extracting the archive again",
		 dir, in->dist, why.data);
	evict(in->opts->extract_cache, dir);
	buf_free(&why);
	return -1;
}

/* Stamps tmp/extract and renames it into the cache as dir. Losing a race to a concurrent
 * build just means using the winner's identical tree (once it matches its own stamp); any
 * failure (a cache on another filesystem, a member named like the manifest) means installing
 * from tmp/extract as without a cache. */
static void publish_extract(inst_t *in, const char *tmp, const char *dir)
{
	buf_t src = BUF_INIT;
	err_t ignored = ERR_INIT;
	buf_setstr(&src, tmp);
	buf_addpath(&src, "extract");
	if (stamp(in->ex_fd, &ignored) != 0 || fs_mkdir_p(in->opts->extract_cache, &ignored) != 0)
		goto out;
	if (rename(src.data, dir) == 0) {
		in->is_shared_extract = 1; /* ex_fd followed the directory into the cache */
		in->shared_extract_dir = xstrdup(dir);
	} else if (errno == EEXIST || errno == ENOTEMPTY) {
		long long mine = in->written_bytes;
		if (use_cached_extract(in, dir) != 0)
			in->written_bytes = mine; /* ex_fd is still tmp/extract */
	}
out:
	err_clear(&ignored);
	buf_free(&src);
}

int inst_extract_package(inst_t *in, const char *archive_path, const char *tmp, err_t *err)
{
	const char *cache = in->opts->extract_cache;
	const char *sha = in->rec ? in->rec->sha256 : NULL;
	buf_t dir = BUF_INIT;
	int rc = -1;
	if (!cache || !digest_is_hex(sha, 64))
		return inst_extract_all(in, archive_path, err);
	buf_setstr(&dir, cache);
	buf_addpath(&dir, sha);
	if (use_cached_extract(in, dir.data) == 0) {
		rc = 0;
		goto out;
	}
	if (inst_extract_all(in, archive_path, err) != 0)
		goto out;
	publish_extract(in, tmp, dir.data);
	rc = 0;
out:
	buf_free(&dir);
	return rc;
}
