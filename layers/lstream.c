/* lstream.c — a layer written entry by entry (see lstream.h). The byte rules are the ones
 * layer.c has always followed (names, owners, modes, mtime, PAX, blocking: layer_int.h's tar
 * writer); what is new in layer-format 4 is the order: entries as they arrive, per package,
 * instead of the union of staged trees sorted. Every path written is remembered (a hash map
 * and the list overlap.c reads), so a collision is found when it happens. */
#include "lstream.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "layer_int.h"
#include "strmap.h"
#include "tree_int.h"
#include "xalloc.h"

struct layer_paths {
	tree_t t;      /* rel, stage = the package index of lstream_begin, mode = type only */
	size_t *owner; /* per entry: index into names */
	char **names;  /* per lstream_begin */
	size_t n_names;
};

struct lstream {
	build_ctx_t ctx;
	struct archive *a;
	struct archive_entry *ae;
	int is_open;
	int is_failed; /* an error was returned: nothing more is written */
	buf_t prefix_rel;
	long long mtime, files;
	layer_compression_t compression;
	int consume; /* layer_opts.consume_sources */
	locale_t utf8, saved;
	strmap_t *seen; /* rel -> index into paths->t */
	layer_paths_t *paths;
	size_t pkg;     /* current package (lstream_begin) */
	long long left; /* data bytes the current file still owes */
	buf_t cur, name, link;
};

static locale_t utf8_locale_new(void)
{
	static const char *const names[] = {"C.UTF-8", "C.utf8", "en_US.UTF-8"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		locale_t l = newlocale(LC_CTYPE_MASK, names[i], (locale_t)0);
		if (l != (locale_t)0)
			return l;
	}
	return (locale_t)0;
}

static int is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

void layer_paths_free(layer_paths_t *p)
{
	if (!p)
		return;
	tree_free(&p->t);
	for (size_t i = 0; i < p->n_names; i++)
		free(p->names[i]);
	free(p->names);
	free(p->owner);
	free(p);
}

const tree_t *layer_paths_tree(const layer_paths_t *p)
{
	return &p->t;
}

static const char *owner_name(const lstream_t *s, size_t entry)
{
	return s->paths->names[s->paths->owner[entry]];
}

void lstream_begin(lstream_t *s, size_t pkg, const char *name)
{
	layer_paths_t *p = s->paths;
	p->names = xrealloc(p->names, (p->n_names + 1) * sizeof *p->names);
	p->names[p->n_names++] = xstrdup(name ? name : "?");
	s->pkg = pkg;
}

/* "<prefix_rel>/<rel>": the tar name. */
static void tar_name(const lstream_t *s, const char *rel, buf_t *out)
{
	buf_reset(out);
	if (s->prefix_rel.len)
		buf_addf(out, "%s/", s->prefix_rel.data);
	buf_addstr(out, rel);
}

static int fail(lstream_t *s, err_t *err)
{
	s->is_failed = 1;
	(void)err;
	return -1;
}

static int write_header(lstream_t *s, const char *rel, mode_t mode, long long size,
			const char *symlink, const char *hardlink, err_t *err)
{
	s->ctx.err = err;
	tar_name(s, rel, &s->name);
	if (hardlink)
		tar_name(s, hardlink, &s->link);
	if (layer_tar_entry_owned(s->a, &s->ctx, s->ae, s->name.data, mode, s->mtime, size, symlink,
				  hardlink ? s->link.data : NULL, 0, 0))
		return fail(s, err);
	s->files++;
	return 0;
}

static size_t remember(lstream_t *s, const char *rel, mode_t type)
{
	tree_t *t = &s->paths->t;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->v = xrealloc(t->v, t->cap * sizeof *t->v);
		s->paths->owner = xrealloc(s->paths->owner, t->cap * sizeof *s->paths->owner);
	}
	t->v[t->n] =
		(tree_entry_t){.rel = xstrdup(rel), .stage = s->pkg, .mode = type, .link_to = -1};
	s->paths->owner[t->n] = s->paths->n_names ? s->paths->n_names - 1 : 0;
	(void)strmap_add(s->seen, rel, t->n, NULL);
	return t->n++;
}

/* A path met again: fine for two directories, else the error naming both owners. Returns 1
 * when the entry is to be skipped, -1 on error. */
static int met_again(lstream_t *s, size_t old, const char *rel, int is_dir, err_t *err)
{
	const tree_entry_t *o = &s->paths->t.v[old];
	if (is_dir && S_ISDIR(o->mode))
		return 1;
	const char *now = s->paths->names[s->paths->n_names - 1], *before = owner_name(s, old);
	if (!strcmp(now, before))
		err_set(err, "path '%s' is installed twice by %s", rel, now);
	else
		err_set(err,
			"path '%s' is installed by two packages in one layer: %s and %s (%s); "
			"move one of them to another layer group or leave one out",
			rel, before, now,
			S_ISDIR(o->mode) || is_dir ? "a directory in one, a file in the other"
						   : "both install the same file");
	return fail(s, err);
}

/* rel's parent `old` was given as a file or symlink: what install.c's openat() walk says. */
static int not_a_dir(lstream_t *s, size_t old, const char *rel, err_t *err)
{
	const char *now = s->paths->names[s->paths->n_names - 1], *before = owner_name(s, old);
	if (!strcmp(now, before))
		err_set(err,
			"refusing to install %s: %s: a parent directory is a symlink or not a "
			"directory",
			now, rel);
	else
		err_set(err,
			"refusing to install %s: %s: a parent directory is a symlink or not a "
			"directory (%s of %s, in the same layer)",
			now, rel, s->paths->t.v[old].rel, before);
	return fail(s, err);
}

/* The directories above rel that are not written yet, top down. */
static int put_parents(lstream_t *s, const char *rel, err_t *err)
{
	buf_t dir = BUF_INIT;
	int rc = 0;
	for (const char *c = strchr(rel, '/'); rc == 0 && c; c = strchr(c + 1, '/')) {
		size_t old;
		buf_reset(&dir);
		buf_add(&dir, rel, (size_t)(c - rel));
		if (strmap_get(s->seen, dir.data, &old)) {
			if (!S_ISDIR(s->paths->t.v[old].mode))
				rc = not_a_dir(s, old, rel, err);
			continue;
		}
		remember(s, dir.data, S_IFDIR);
		rc = write_header(s, dir.data, AE_IFDIR | 0755, 0, NULL, NULL, err);
	}
	buf_free(&dir);
	return rc;
}

static int check_rel(lstream_t *s, const char *rel, err_t *err)
{
	buf_t norm = BUF_INIT;
	int ok = rel && *rel && rel[0] != '/' && fs_path_normalize(rel, &norm) == 0 &&
		 !strcmp(norm.data, rel) && strcmp(rel, "..") && strncmp(rel, "../", 3) &&
		 !strstr(rel, "/../") && (strlen(rel) < 3 || strcmp(rel + strlen(rel) - 3, "/.."));
	buf_free(&norm);
	if (!ok) {
		err_set(err, "%s: '%s' is not a clean relative path inside the prefix",
			s->paths->n_names ? s->paths->names[s->paths->n_names - 1] : "layer",
			rel ? rel : "(null)");
		return fail(s, err);
	}
	if (s->utf8 == (locale_t)0 && !is_ascii(rel)) {
		err_set(err,
			"'%s' has a non-ASCII name and no UTF-8 locale (C.UTF-8) is installed to "
			"store it reproducibly",
			rel);
		return fail(s, err);
	}
	return 0;
}

static int check_hardlink(lstream_t *s, const char *rel, const char *target, err_t *err)
{
	size_t old;
	if (target && strmap_get(s->seen, target, &old) && S_ISREG(s->paths->t.v[old].mode) &&
	    s->paths->owner[old] == s->paths->n_names - 1)
		return 0;
	err_set(err,
		"%s: hardlink %s -> %s: the target is not a file the same package wrote "
		"before it",
		s->paths->n_names ? s->paths->names[s->paths->n_names - 1] : "layer", rel,
		target ? target : "(null)");
	return fail(s, err);
}

static mode_t tar_mode(entry_kind_t kind, unsigned mode)
{
	switch (kind) {
	case ENTRY_DIR: return AE_IFDIR | 0755;
	case ENTRY_SYMLINK: return AE_IFLNK | 0777;
	default: return AE_IFREG | ((mode & 0111) ? 0755 : 0644);
	}
}

/* Nothing failed and the last file got all its data. */
static int check_ready(lstream_t *s, err_t *err)
{
	if (s->is_failed)
		return err_set(err, "layer stream: an earlier entry failed");
	if (!s->left)
		return 0;
	err_set(err, "%s: %lld bytes of %s's data are missing", owner_name(s, s->paths->t.n - 1),
		s->left, s->cur.data);
	return fail(s, err);
}

int lstream_put(lstream_t *s, entry_kind_t kind, const char *rel, unsigned mode, long long size,
		const char *target, err_t *err)
{
	size_t old;
	if (check_ready(s, err))
		return -1;
	if (check_rel(s, rel, err) || put_parents(s, rel, err))
		return -1;
	if (strmap_get(s->seen, rel, &old)) {
		int r = met_again(s, old, rel, kind == ENTRY_DIR, err);
		return r > 0 ? 0 : -1;
	}
	if (kind == ENTRY_HARDLINK && check_hardlink(s, rel, target, err))
		return -1;
	remember(s, rel, kind == ENTRY_DIR ? S_IFDIR : kind == ENTRY_SYMLINK ? S_IFLNK : S_IFREG);
	if (kind == ENTRY_FILE) {
		s->left = size;
		buf_setstr(&s->cur, rel);
	}
	return write_header(s, rel, tar_mode(kind, mode), kind == ENTRY_FILE ? size : 0,
			    kind == ENTRY_SYMLINK ? target : NULL,
			    kind == ENTRY_HARDLINK ? target : NULL, err);
}

int lstream_data(lstream_t *s, const void *p, size_t n, err_t *err)
{
	if (s->is_failed)
		return err_set(err, "layer stream: an earlier entry failed");
	if ((long long)n > s->left) {
		err_set(err, "%s: %s has more data than its size said",
			owner_name(s, s->paths->t.n - 1), s->cur.data);
		return fail(s, err);
	}
	s->ctx.err = err;
	if (n && archive_write_data(s->a, p, n) != (la_ssize_t)n) {
		layer_tar_fail(s->a, &s->ctx, s->cur.data);
		return fail(s, err);
	}
	s->left -= (long long)n;
	return 0;
}

static int sink_entry(void *ud, entry_kind_t kind, const char *rel, unsigned mode, long long size,
		      const char *target, err_t *err)
{
	return lstream_put(ud, kind, rel, mode, size, target, err);
}

static int sink_data(void *ud, const void *p, size_t n, err_t *err)
{
	return lstream_data(ud, p, n, err);
}

entry_sink_t lstream_sink(lstream_t *s)
{
	return (entry_sink_t){sink_entry, sink_data, s};
}

/* The prefix's own directories: opt, opt/conda, ... (outside every package's paths). */
static int put_prefix_dirs(lstream_t *s, err_t *err)
{
	buf_t name = BUF_INIT;
	int rc = 0;
	const buf_t *p = &s->prefix_rel;
	s->ctx.err = err;
	for (size_t i = 0; rc == 0 && i < p->len; i++) {
		if (p->data[i + 1] != '/' && p->data[i + 1] != '\0')
			continue;
		buf_reset(&name);
		buf_add(&name, p->data, i + 1);
		rc = layer_tar_entry_owned(s->a, &s->ctx, s->ae, name.data, AE_IFDIR | 0755,
					   s->mtime, 0, NULL, NULL, 0, 0);
		s->files += rc == 0;
	}
	buf_free(&name);
	return rc;
}

static int check_prefix(const char *image_prefix, buf_t *prefix_rel, err_t *err)
{
	if (!image_prefix || image_prefix[0] != '/')
		return err_set(err, "image prefix '%s' must be an absolute path",
			       image_prefix ? image_prefix : "(null)");
	if (!strcmp(image_prefix, "/")) {
		buf_reset(prefix_rel);
		return 0;
	}
	if (fs_path_normalize(image_prefix + 1, prefix_rel) != 0)
		return err_set(err, "image prefix '%s' is not a clean absolute path", image_prefix);
	return 0;
}

lstream_t *lstream_new(const char *image_prefix, const layer_opts_t *opts, const char *blobs_dir,
		       err_t *err)
{
	static const layer_opts_t default_opts = {.compression = LAYER_GZIP};
	lstream_t *s = xcalloc(1, sizeof *s);
	if (!opts)
		opts = &default_opts;
	s->ctx.err = err;
	s->mtime = opts->mtime;
	s->compression = opts->compression;
	s->consume = opts->consume_sources;
	s->seen = strmap_new();
	s->paths = xcalloc(1, sizeof *s->paths);
	s->ae = xcheck(archive_entry_new());
	/* libarchive converts names through the thread's locale: pin it to UTF-8 so that names
	 * are stored as their bytes whatever the caller's locale (docs/layer-format.md) */
	s->utf8 = utf8_locale_new();
	if (s->utf8 != (locale_t)0)
		s->saved = uselocale(s->utf8);
	if (check_prefix(image_prefix, &s->prefix_rel, err) ||
	    layer_tar_open(&s->ctx, opts, blobs_dir, &s->a, &s->is_open) ||
	    put_prefix_dirs(s, err)) {
		lstream_free(s);
		return NULL;
	}
	return s;
}

int lstream_finish(lstream_t *s, layer_desc_t *out, err_t *err)
{
	memset(out, 0, sizeof *out);
	if (check_ready(s, err))
		return -1;
	s->ctx.err = err;
	if (layer_tar_finish(s->a, &s->ctx, &s->is_open, s->compression, s->files, out))
		return fail(s, err);
	return 0;
}

layer_paths_t *lstream_take_paths(lstream_t *s)
{
	layer_paths_t *p = s->is_failed || s->is_open ? NULL : s->paths;
	if (p)
		s->paths = NULL;
	return p;
}

void lstream_free(lstream_t *s)
{
	if (!s)
		return;
	if (s->a && s->is_open) {
		/* closed, not failed: libarchive 3.6's archive_write_fail leaves the block buffer
		 * of the write callback behind; with has_write_error no byte reaches the blob */
		s->ctx.has_write_error = 1;
		(void)archive_write_close(s->a);
		s->is_open = 0;
	}
	layer_tar_free(s->a, s->is_open);
	blob_writer_free(s->ctx.blob);
	archive_entry_free(s->ae);
	if (s->saved != (locale_t)0)
		uselocale(s->saved);
	if (s->utf8 != (locale_t)0)
		freelocale(s->utf8);
	strmap_free(s->seen);
	layer_paths_free(s->paths);
	buf_free(&s->prefix_rel);
	buf_free(&s->cur);
	buf_free(&s->name);
	buf_free(&s->link);
	free(s);
}

/* One entry of a staged tree. */
static int put_tree_entry(lstream_t *s, const tree_t *t, size_t i, const char *stage_dir,
			  int consume, buf_t *path, buf_t *target, char *chunk, err_t *err)
{
	const tree_entry_t *e = &t->v[i];
	tree_entry_path(e, stage_dir, path);
	if (S_ISDIR(e->mode))
		return lstream_put(s, ENTRY_DIR, e->rel, 0755, 0, NULL, err);
	if (S_ISLNK(e->mode))
		return layer_read_link(path->data, target, err) ||
				       lstream_put(s, ENTRY_SYMLINK, e->rel, 0777, 0, target->data,
						   err)
			       ? fail(s, err)
			       : 0;
	if (e->link_to >= 0) {
		if (lstream_put(s, ENTRY_HARDLINK, e->rel, (unsigned)e->mode & 0777, 0,
				t->v[e->link_to].rel, err))
			return -1;
	} else {
		if (lstream_put(s, ENTRY_FILE, e->rel, (unsigned)e->mode & 0777, e->size, NULL,
				err))
			return -1;
		s->ctx.err = err;
		if (e->size > 0 && layer_copy_file(s->a, &s->ctx, path->data, e, chunk))
			return fail(s, err);
		s->left = 0;
	}
	/* later names of this inode are hardlink entries, never opened: the file can go */
	if (consume)
		(void)unlink(path->data);
	return 0;
}

int lstream_add_tree(lstream_t *s, const char *stage_dir, err_t *err)
{
	tree_t t = {0};
	buf_t path = BUF_INIT, target = BUF_INIT;
	char *chunk = xmalloc(LAYER_READ_CHUNK);
	int rc = tree_add_stage(&t, stage_dir, 0, err);
	if (rc == 0) {
		tree_sort(&t);
		tree_find_hardlinks(&t);
	}
	for (size_t i = 0; rc == 0 && i < t.n; i++)
		rc = put_tree_entry(s, &t, i, stage_dir, s->consume, &path, &target, chunk, err);
	tree_free(&t);
	buf_free(&path);
	buf_free(&target);
	free(chunk);
	return rc ? fail(s, err) : 0;
}
