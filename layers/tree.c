/* tree.c — lists staged package trees (see tree_int.h). Directories are opened with
 * O_NOFOLLOW and children lstat()ed, so a symlink in a stage dir is listed, never followed.
 * A tree's link list (common/stagelinks.h) adds the entries the installer left in the extract
 * cache, each lstat()ed at its source and checked against the identity it had when listed. */
#include "tree_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "stagelinks.h"
#include "xalloc.h"

void tree_free(tree_t *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].rel);
		free(t->v[i].src);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}

static tree_entry_t *tree_push(tree_t *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->v = xrealloc(t->v, t->cap * sizeof *t->v);
	}
	tree_entry_t *e = &t->v[t->n++];
	memset(e, 0, sizeof *e);
	e->link_to = -1;
	return e;
}

static void add_entry(tree_t *t, const char *rel, size_t stage, const struct stat *st)
{
	tree_entry_t *e = tree_push(t);
	e->rel = xstrdup(rel);
	e->stage = stage;
	e->mode = st->st_mode;
	e->size = S_ISREG(st->st_mode) ? st->st_size : 0;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->nlink = st->st_nlink;
}

/* Recursively lists stage_root/rel (rel "" = the root). */
static int walk(tree_t *t, const char *stage_root, size_t stage, buf_t *rel, err_t *err)
{
	buf_t dir_path = BUF_INIT;
	DIR *d = NULL;
	int fd = -1, rc = -1;
	size_t base_len = rel->len;
	buf_addstr(&dir_path, stage_root);
	if (rel->len)
		buf_addpath(&dir_path, rel->data);
	fd = open(dir_path.data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		err_set(err, "%s: cannot open directory: %s", dir_path.data, strerror(errno));
		goto out;
	}
	fd = -1; /* owned by d now */
	struct dirent *de;
	while ((errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			err_set(err, "%s/%s: cannot stat: %s", dir_path.data, de->d_name,
				strerror(errno));
			goto out;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
			err_set(err,
				"%s/%s: unsupported file type (device, fifo or socket) in a layer",
				dir_path.data, de->d_name);
			goto out;
		}
		buf_truncate(rel, base_len);
		if (base_len)
			buf_addch(rel, '/');
		buf_addstr(rel, de->d_name);
		add_entry(t, rel->data, stage, &st);
		if (S_ISDIR(st.st_mode) && walk(t, stage_root, stage, rel, err))
			goto out;
	}
	if (errno != 0) {
		err_set(err, "%s: cannot read directory: %s", dir_path.data, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	buf_truncate(rel, base_len);
	if (d)
		closedir(d);
	if (fd >= 0)
		close(fd);
	buf_free(&dir_path);
	return rc;
}

/* One listed entry; its source must still be the inode the installer checked. */
static int add_listed(tree_t *t, const char *root, const stagelink_t *l, size_t stage, err_t *err)
{
	struct stat st = {.st_mode = S_IFDIR | 0755};
	buf_t path = BUF_INIT;
	int rc = -1;
	if (l->type != 'd') {
		buf_setstr(&path, root);
		buf_addpath(&path, l->src);
		if (lstat(path.data, &st) != 0 || (l->type == 'l') != !!S_ISLNK(st.st_mode) ||
		    (l->type == 'f') != !!S_ISREG(st.st_mode) || st.st_dev != l->dev ||
		    st.st_ino != l->ino || st.st_size != l->size ||
		    (long long)st.st_mtim.tv_sec != l->mtime_sec ||
		    (long long)st.st_mtim.tv_nsec != l->mtime_nsec) {
			err_set(err,
				"%s (%s in the layer) changed or went away since its package was "
				"installed from the extract cache; build again",
				path.data, l->rel);
			goto out;
		}
	}
	add_entry(t, l->rel, stage, &st);
	if (l->type != 'd')
		t->v[t->n - 1].src = buf_detach(&path);
	rc = 0;
out:
	buf_free(&path);
	return rc;
}

int tree_add_stage(tree_t *t, const char *stage_root, size_t stage, err_t *err)
{
	buf_t rel = BUF_INIT;
	stagelink_t *links = NULL;
	char *root = NULL;
	size_t n = 0;
	int rc = walk(t, stage_root, stage, &rel, err);
	if (rc == 0 && stagelinks_read(stage_root, &root, &links, &n, err) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = add_listed(t, root, &links[i], stage, err);
	stagelinks_free(links, n);
	free(root);
	buf_free(&rel);
	return rc;
}

void tree_entry_path(const tree_entry_t *e, const char *stage_root, buf_t *out)
{
	if (e->src) {
		buf_setstr(out, e->src);
		return;
	}
	buf_setstr(out, stage_root);
	buf_addpath(out, e->rel);
}

/* Bytewise order on the path relative to the prefix (the shared prefix does not change the
 * order): a directory sorts before its contents because it is a strict prefix of them.
 * Ties (the same path in two stage dirs) are kept in stage order. */
static int cmp_entry(const void *a, const void *b)
{
	const tree_entry_t *x = a, *y = b;
	int c = strcmp(x->rel, y->rel);
	if (c)
		return c;
	return (x->stage > y->stage) - (x->stage < y->stage);
}

void tree_sort(tree_t *t)
{
	if (t->n) /* qsort(NULL, 0) is undefined */
		qsort(t->v, t->n, sizeof *t->v, cmp_entry);
}
