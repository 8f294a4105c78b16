/* tree.c — lists staged package trees (see tree_int.h). Directories are opened with
 * O_NOFOLLOW and children lstat()ed, so a symlink in a stage dir is listed, never followed. */
#include "tree_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "xalloc.h"

void tree_free(tree_t *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].rel);
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

int tree_add_stage(tree_t *t, const char *stage_root, size_t stage, err_t *err)
{
	buf_t rel = BUF_INIT;
	int rc = walk(t, stage_root, stage, &rel, err);
	buf_free(&rel);
	return rc;
}

void tree_entry_path(const tree_entry_t *e, const char *stage_root, buf_t *out)
{
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

typedef struct inode_ref {
	size_t stage;
	dev_t dev;
	ino_t ino;
	size_t idx;
} inode_ref_t;

static int cmp_inode(const void *a, const void *b)
{
	const inode_ref_t *x = a, *y = b;
	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int same_inode(const inode_ref_t *x, const inode_ref_t *y)
{
	return x->stage == y->stage && x->dev == y->dev && x->ino == y->ino;
}

/* Regular files sharing dev+ino inside one stage dir (one package's tree): the first in entry
 * order carries the data, later ones become tar hardlink entries pointing at it. Only within
 * a stage dir: two packages' files share an inode only when something outside the packages
 * linked them (a deduplicated or copied extract cache, issue 10 #6), and layer bytes must
 * depend on package content alone (docs/layer-format.md, "Hardlinks"). */
void tree_find_hardlinks(tree_t *es)
{
	size_t n = 0;
	for (size_t i = 0; i < es->n; i++)
		n += S_ISREG(es->v[i].mode) && es->v[i].nlink > 1;
	if (n < 2)
		return;
	inode_ref_t *refs = xmalloc(n * sizeof *refs);
	n = 0;
	for (size_t i = 0; i < es->n; i++)
		if (S_ISREG(es->v[i].mode) && es->v[i].nlink > 1)
			refs[n++] = (inode_ref_t){es->v[i].stage, es->v[i].dev, es->v[i].ino, i};
	qsort(refs, n, sizeof *refs, cmp_inode);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (!same_inode(&refs[first], &refs[i]))
			first = i;
		else
			es->v[refs[i].idx].link_to = (long)refs[first].idx;
	}
	free(refs);
}
