/* stagelinks.c — reads and writes a staging tree's link list (see stagelinks.h). The format is
 * "imgbuild-links 1\n", the source root and '\0', then per entry its type byte, rel '\0', src
 * '\0' and "dev ino size mtime_sec mtime_nsec" '\0' (paths may hold any byte but NUL). */
#include "stagelinks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "xalloc.h"

#define STAGELINKS_MAGIC "imgbuild-links 1\n"

void stagelinks_path(const char *stage_dir, buf_t *out)
{
	buf_setstr(out, stage_dir);
	buf_addstr(out, STAGELINKS_SUFFIX);
}

int stagelinks_write(const char *path, const char *src_root, const stagelink_t *v, size_t n,
		     err_t *err)
{
	buf_t doc = BUF_INIT;
	int rc = -1;
	buf_addstr(&doc, STAGELINKS_MAGIC);
	buf_add(&doc, src_root, strlen(src_root) + 1);
	for (size_t i = 0; i < n; i++) {
		buf_addch(&doc, v[i].type);
		buf_add(&doc, v[i].rel, strlen(v[i].rel) + 1);
		buf_add(&doc, v[i].src, strlen(v[i].src) + 1);
		buf_addf(&doc, "%llu %llu %lld %lld %lld", (unsigned long long)v[i].dev,
			 (unsigned long long)v[i].ino, (long long)v[i].size, v[i].mtime_sec,
			 v[i].mtime_nsec);
		buf_addch(&doc, '\0');
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set(err, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	if (fs_write_all(fd, doc.data, doc.len) != 0 || close(fd) != 0) {
		err_set(err, "%s: write failed: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	buf_free(&doc);
	return rc;
}

/* The next NUL-terminated field at *p (before end), or NULL. */
static const char *next_field(const char **p, const char *end)
{
	const char *s = *p, *z = s < end ? memchr(s, '\0', (size_t)(end - s)) : NULL;
	if (!z)
		return NULL;
	*p = z + 1;
	return s;
}

static int parse_numbers(const char *s, stagelink_t *e)
{
	char *q = NULL;
	unsigned long long dev, ino;
	long long size, sec, nsec;
	errno = 0;
	dev = strtoull(s, &q, 10);
	ino = q && *q == ' ' ? strtoull(q + 1, &q, 10) : 0;
	size = q && *q == ' ' ? strtoll(q + 1, &q, 10) : -1;
	sec = q && *q == ' ' ? strtoll(q + 1, &q, 10) : 0;
	nsec = q && *q == ' ' ? strtoll(q + 1, &q, 10) : -1;
	if (errno || !q || *q || size < 0 || nsec < 0)
		return -1;
	e->dev = (dev_t)dev;
	e->ino = (ino_t)ino;
	e->size = (off_t)size;
	e->mtime_sec = sec;
	e->mtime_nsec = nsec;
	return 0;
}

static int is_clean(const char *rel, int may_be_empty)
{
	if (!*rel)
		return may_be_empty;
	buf_t norm = BUF_INIT;
	int ok = fs_path_is_safe_relative(rel) && fs_path_normalize(rel, &norm) == 0 &&
		 !strcmp(norm.data, rel);
	buf_free(&norm);
	return ok;
}

/* One entry at *p; 0, or -1 when it is damaged. */
static int parse_entry(const char **p, const char *end, stagelink_t *e)
{
	char type = **p;
	(*p)++;
	const char *rel = next_field(p, end), *src = next_field(p, end);
	const char *nums = next_field(p, end);
	if ((type != 'f' && type != 'l' && type != 'd') || !nums || !is_clean(rel, 0) ||
	    !is_clean(src, type == 'd') || parse_numbers(nums, e) != 0)
		return -1;
	e->type = type;
	e->rel = xstrdup(rel);
	e->src = xstrdup(src);
	return 0;
}

int stagelinks_read(const char *stage_dir, char **src_root, stagelink_t **v, size_t *n, err_t *err)
{
	buf_t path = BUF_INIT, doc = BUF_INIT;
	size_t cap = 0;
	int rc = -1;
	*src_root = NULL;
	*v = NULL;
	*n = 0;
	stagelinks_path(stage_dir, &path);
	if (access(path.data, F_OK) != 0 && errno == ENOENT) {
		rc = 0;
		goto out;
	}
	if (buf_read_file(&doc, path.data, STAGELINKS_MAX_BYTES, err) != 0)
		goto out;
	const char *p = doc.data, *end = doc.data + doc.len, *root = NULL;
	size_t magic = strlen(STAGELINKS_MAGIC);
	if (doc.len < magic || memcmp(p, STAGELINKS_MAGIC, magic) != 0 ||
	    (p += magic, root = next_field(&p, end)) == NULL || root[0] != '/')
		goto damaged;
	while (p < end) {
		if (*n == cap)
			*v = xrealloc(*v, (cap = cap ? cap * 2 : 256) * sizeof **v);
		if (parse_entry(&p, end, &(*v)[*n]) != 0)
			goto damaged;
		(*n)++;
	}
	*src_root = xstrdup(root);
	rc = 1;
	goto out;
damaged:
	err_set(err, "%s: damaged staging link list", path.data);
	stagelinks_free(*v, *n);
	*v = NULL;
	*n = 0;
out:
	buf_free(&path);
	buf_free(&doc);
	return rc;
}

void stagelinks_free(stagelink_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].rel);
		free(v[i].src);
	}
	free(v);
}
