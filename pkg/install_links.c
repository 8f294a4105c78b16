/* install_links.c — linked staging (install.h's stage_links, issue 14 #1): members of a
 * verified extract-cache entry are listed in "<dest_dir>.imgbuild-links" instead of being
 * linked one by one into the staging tree, which saves a directory tree and a link per file
 * for every package of every build. The checks that linkat() and mkdirat() made as a side
 * effect (a path installed twice, a file or symlink where the install needs a directory) are
 * made here on the sorted union of the list and the files written into tmp/prefix. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "install_int.h"
#include "xalloc.h"

/* Kinds in the order they sort within one path: a written directory first. */
enum { K_TREE_DIR, K_TREE_FILE, K_LINK_DIR, K_IMPLIED_DIR, K_LINK };

typedef struct chk {
	const char *rel;
	int kind;
	const char *child;       /* K_IMPLIED_DIR: the listed path that needs it */
	const stagelink_t *link; /* K_LINK, K_LINK_DIR */
} chk_t;

typedef struct chk_list {
	chk_t *v;
	size_t n, cap;
	char **owned; /* implied directory and tree names */
	size_t n_owned, cap_owned;
} chk_list_t;

void inst_link_add(inst_t *in, const char *dst_rel, const char *src_rel, const struct stat *st)
{
	if (in->n_links == in->cap_links)
		in->links = xrealloc(in->links,
				     (in->cap_links = in->cap_links ? in->cap_links * 2 : 64) *
					     sizeof *in->links);
	stagelink_t *l = &in->links[in->n_links++];
	int is_dir = S_ISDIR(st->st_mode);
	*l = (stagelink_t){.type = is_dir                 ? 'd'
				   : S_ISLNK(st->st_mode) ? 'l'
							  : 'f',
			   .rel = xstrdup(dst_rel),
			   .src = xstrdup(is_dir ? "" : src_rel)};
	if (!is_dir) {
		l->dev = st->st_dev;
		l->ino = st->st_ino;
		l->size = st->st_size;
		l->mtime_sec = (long long)st->st_mtim.tv_sec;
		l->mtime_nsec = (long long)st->st_mtim.tv_nsec;
	}
}

void inst_links_free(inst_t *in)
{
	stagelinks_free(in->links, in->n_links);
	in->links = NULL;
	in->n_links = in->cap_links = 0;
}

static void chk_push(chk_list_t *c, const char *rel, int kind, const char *child,
		     const stagelink_t *link)
{
	if (c->n == c->cap)
		c->v = xrealloc(c->v, (c->cap = c->cap ? c->cap * 2 : 256) * sizeof *c->v);
	c->v[c->n++] = (chk_t){rel, kind, child, link};
}

static const char *chk_own(chk_list_t *c, const char *s, size_t len)
{
	if (c->n_owned == c->cap_owned)
		c->owned =
			xrealloc(c->owned, (c->cap_owned = c->cap_owned ? c->cap_owned * 2 : 256) *
						   sizeof *c->owned);
	char *d = xmalloc(len + 1);
	memcpy(d, s, len);
	d[len] = '\0';
	return c->owned[c->n_owned++] = d;
}

/* The tree written into tmp/prefix (its own directories were made by inst_open_parent). */
static int walk_tree(chk_list_t *c, int dfd, buf_t *rel)
{
	DIR *d = fdopendir(dfd);
	size_t base_len = rel->len;
	struct dirent *de;
	int rc = 0;
	if (!d) {
		close(dfd);
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = -1;
			break;
		}
		buf_truncate(rel, base_len);
		if (base_len)
			buf_addch(rel, '/');
		buf_addstr(rel, de->d_name);
		const char *name = chk_own(c, rel->data, rel->len);
		chk_push(c, name, S_ISDIR(st.st_mode) ? K_TREE_DIR : K_TREE_FILE, NULL, NULL);
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = sub < 0 ? -1 : walk_tree(c, sub, rel);
		}
	}
	if (rc == 0 && errno != 0)
		rc = -1;
	buf_truncate(rel, base_len);
	closedir(d);
	return rc;
}

/* The listed paths and every directory above them. Consecutive paths mostly share their
 * parents (a package lists a directory's files together), so a parent is skipped when the
 * previous path's deepest parent already lies at or below it; repeats left are merged when
 * the sorted list is scanned. */
static void add_links(chk_list_t *c, const inst_t *in)
{
	const char *last = "", *deepest;
	size_t last_len = 0, deepest_len = 0;
	for (size_t i = 0; i < in->n_links; i++) {
		const stagelink_t *l = &in->links[i];
		chk_push(c, l->rel, l->type == 'd' ? K_LINK_DIR : K_LINK, NULL, l);
		const char *slash = strrchr(l->rel, '/');
		deepest = NULL;
		while (slash) {
			size_t n = (size_t)(slash - l->rel);
			if (n <= last_len && !strncmp(last, l->rel, n) &&
			    (n == last_len || last[n] == '/'))
				break;
			const char *dir = chk_own(c, l->rel, n);
			chk_push(c, dir, K_IMPLIED_DIR, l->rel, NULL);
			if (!deepest) {
				deepest = dir;
				deepest_len = n;
			}
			slash = n ? memrchr(l->rel, '/', n) : NULL;
		}
		if (deepest) { /* every directory above it is in the list now */
			last = deepest;
			last_len = deepest_len;
		}
	}
}

static int cmp_chk(const void *a, const void *b)
{
	const chk_t *x = a, *y = b;
	int r = strcmp(x->rel, y->rel);
	return r ? r : (x->kind > y->kind) - (x->kind < y->kind);
}

/* One run of equal paths v[0..n): refuses a non-directory that is not alone, else appends
 * what the list must hold for it to out (a directory only if the tree lacks it). */
static int check_run(inst_t *in, const chk_t *v, size_t n, stagelink_t *out, size_t *n_out,
		     err_t *err)
{
	size_t files = 0;
	const chk_t *implied = NULL;
	for (size_t k = 0; k < n; k++) {
		files += v[k].kind == K_TREE_FILE || v[k].kind == K_LINK;
		if (v[k].kind == K_IMPLIED_DIR && !implied)
			implied = &v[k];
	}
	if (files && n > 1)
		return implied ? inst_refuse(in, err, implied->child,
					     "a parent directory is a symlink or not a directory")
			       : inst_refuse(in, err, v[0].rel, "installed twice (path collision)");
	if (v[0].kind == K_TREE_DIR || v[0].kind == K_TREE_FILE)
		return 0;
	if (v[0].kind == K_LINK)
		out[(*n_out)++] = *v[0].link;
	else
		out[(*n_out)++] = (stagelink_t){.type = 'd', .rel = (char *)v[0].rel, .src = ""};
	return 0;
}

static void chk_free(chk_list_t *c)
{
	for (size_t i = 0; i < c->n_owned; i++)
		free(c->owned[i]);
	free(c->owned);
	free(c->v);
}

int inst_links_finish(inst_t *in, const char *tmp, err_t *err)
{
	chk_list_t c = {0};
	buf_t rel = BUF_INIT, path = BUF_INIT;
	stagelink_t *out = NULL;
	char *root = NULL;
	size_t n_out = 0;
	int rc = -1, fd = openat(in->px_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || walk_tree(&c, fd, &rel) != 0) {
		err_set(err, "package %s: cannot list %s/prefix: %s", in->dist, tmp,
			strerror(errno));
		goto out;
	}
	add_links(&c, in);
	if (c.n)
		qsort(c.v, c.n, sizeof *c.v, cmp_chk); /* bytewise: docs/layer-format.md */
	out = xcalloc(c.n ? c.n : 1, sizeof *out);
	for (size_t i = 0, j; i < c.n; i = j) {
		for (j = i + 1; j < c.n && !strcmp(c.v[j].rel, c.v[i].rel); j++)
			;
		if (check_run(in, &c.v[i], j - i, out, &n_out, err) != 0)
			goto out;
	}
	/* The reader needs an absolute root; the entries' inodes pin what it names. */
	root = realpath(in->shared_extract_dir, NULL);
	if (!root) {
		err_set(err, "package %s: %s: %s", in->dist, in->shared_extract_dir,
			strerror(errno));
		goto out;
	}
	buf_setstr(&path, tmp);
	buf_addpath(&path, "links");
	rc = stagelinks_write(path.data, root, out, n_out, err);
out:
	free(root);
	free(out); /* shallow: the strings belong to in->links and c */
	chk_free(&c);
	buf_free(&rel);
	buf_free(&path);
	return rc;
}

int inst_links_publish(inst_t *in, const char *tmp, const char *dest_dir, err_t *err)
{
	buf_t from = BUF_INIT, to = BUF_INIT;
	int rc = 0;
	buf_setstr(&from, tmp);
	buf_addpath(&from, "links");
	stagelinks_path(dest_dir, &to);
	if (renameat2(AT_FDCWD, from.data, AT_FDCWD, to.data, RENAME_NOREPLACE) != 0)
		rc = err_set(err, "package %s: cannot rename %s to %s: %s", in->dist, from.data,
			     to.data, strerror(errno));
	buf_free(&from);
	buf_free(&to);
	return rc;
}
