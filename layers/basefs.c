/* basefs.c — a base image's stacked file tree (see basefs.h). Paths are kept normalised
 * ("usr/lib/x", no leading "/") in one array sorted by strcmp, so every path below a directory
 * "d" is one contiguous run starting at "d/": whiteouts and lookups are binary searches. A
 * layer is applied in one step: what it removes or replaces below goes first, then its own
 * entries are merged in. */
#include "basefs.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "xalloc.h"

#define MAX_LINKS 40 /* symlinks followed in one lookup, as Linux's MAXSYMLINKS */

typedef struct node {
	char *path;
	char *target; /* symlinks */
	int kind;     /* basefs_kind_t; in a pending layer's ops: OP_* */
	size_t seq;   /* order within a pending layer: the last of a path wins */
} node_t;

typedef struct nodes {
	node_t *v;
	size_t n, cap;
} nodes_t;

struct basefs {
	nodes_t tree; /* sorted, unique paths */
};

/* A layer being read: its entries, and its whiteouts, which act on the layers below only. */
typedef struct layer {
	nodes_t entries;
	nodes_t ops;
} layer_t;

#define OP_WHITEOUT 1 /* ".wh.NAME": NAME and everything below it go */
#define OP_OPAQUE 2   /* ".wh..wh..opq" in DIR: everything below DIR goes */

basefs_t *basefs_new(void)
{
	return xcalloc(1, sizeof(basefs_t));
}

static void nodes_free(nodes_t *ns)
{
	for (size_t i = 0; i < ns->n; i++) {
		free(ns->v[i].path);
		free(ns->v[i].target);
	}
	free(ns->v);
	memset(ns, 0, sizeof *ns);
}

void basefs_free(basefs_t *fs)
{
	if (!fs)
		return;
	nodes_free(&fs->tree);
	free(fs);
}

size_t basefs_count(const basefs_t *fs)
{
	return fs ? fs->tree.n : 0;
}

static void nodes_push(nodes_t *ns, char *path, const char *target, int kind)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 256;
		ns->v = xrealloc(ns->v, ns->cap * sizeof *ns->v);
	}
	ns->v[ns->n] = (node_t){path, xstrdup(target), kind, ns->n};
	ns->n++;
}

static int cmp_node(const void *a, const void *b)
{
	const node_t *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* First index whose path is >= key. */
static size_t lower_bound(const nodes_t *ns, const char *key)
{
	size_t lo = 0, hi = ns->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ns->v[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Marks the node at path (when self) and every node below it (when below; path "" is the
 * root, so everything). */
static void mark(const nodes_t *ns, const char *path, int self, int below, unsigned char *dead)
{
	buf_t key = BUF_INIT;
	size_t i;
	if (self && *path) {
		i = lower_bound(ns, path);
		if (i < ns->n && !strcmp(ns->v[i].path, path))
			dead[i] = 1;
	}
	if (!below)
		return;
	buf_addstr(&key, path);
	if (key.len)
		buf_addch(&key, '/');
	for (i = lower_bound(ns, key.data); i < ns->n; i++) {
		if (strncmp(ns->v[i].path, key.data, key.len) != 0)
			break;
		dead[i] = 1;
	}
	buf_free(&key);
}

/* Drops the nodes marked dead, keeping the order. */
static void compact(nodes_t *ns, const unsigned char *dead)
{
	size_t out = 0;
	for (size_t i = 0; i < ns->n; i++) {
		if (dead[i]) {
			free(ns->v[i].path);
			free(ns->v[i].target);
			continue;
		}
		ns->v[out++] = ns->v[i];
	}
	ns->n = out;
}

/* Sorts a pending list and keeps the last of each path (frees the others). */
static void sort_unique(nodes_t *ns)
{
	size_t out = 0;
	if (ns->n > 1) /* qsort wants a non-NULL base even for nothing */
		qsort(ns->v, ns->n, sizeof *ns->v, cmp_node);
	for (size_t i = 0; i < ns->n; i++) {
		if (i + 1 < ns->n && !strcmp(ns->v[i].path, ns->v[i + 1].path)) {
			free(ns->v[i].path);
			free(ns->v[i].target);
			continue;
		}
		ns->v[out++] = ns->v[i];
	}
	ns->n = out;
}

/* Merges sorted entries, none of whose paths is left in tree, into tree (entries consumed). */
static void merge(nodes_t *tree, nodes_t *entries)
{
	nodes_t out = {xmalloc((tree->n + entries->n + 1) * sizeof(node_t)), 0,
		       tree->n + entries->n + 1};
	size_t i = 0, j = 0;
	while (i < tree->n || j < entries->n) {
		if (j < entries->n &&
		    (i == tree->n || strcmp(entries->v[j].path, tree->v[i].path) < 0))
			out.v[out.n++] = entries->v[j++];
		else
			out.v[out.n++] = tree->v[i++];
	}
	free(tree->v);
	free(entries->v);
	*tree = out;
	memset(entries, 0, sizeof *entries);
}

static void layer_free(layer_t *l)
{
	nodes_free(&l->entries);
	nodes_free(&l->ops);
}

/* Applies one pending layer (consumed): whiteouts and opaque directories remove what is below
 * them in the earlier layers; an entry replaces the same path there, and a non-directory also
 * hides everything below that path (image-spec layer.md, "Whiteouts"); a directory over a
 * directory keeps the lower contents. */
static int apply_layer(basefs_t *fs, layer_t *l, const char *what, err_t *err)
{
	if (fs->tree.n + l->entries.n + l->ops.n > BASEFS_MAX_ENTRIES) {
		layer_free(l);
		return err_set(err, "%s: the base image holds more than %u paths", what,
			       BASEFS_MAX_ENTRIES);
	}
	sort_unique(&l->entries);
	unsigned char *dead = xcalloc(fs->tree.n + 1, 1);
	for (size_t j = 0; j < l->ops.n; j++)
		mark(&fs->tree, l->ops.v[j].path, l->ops.v[j].kind == OP_WHITEOUT, 1, dead);
	for (size_t j = 0; j < l->entries.n; j++)
		mark(&fs->tree, l->entries.v[j].path, 1, l->entries.v[j].kind != BASEFS_DIR, dead);
	compact(&fs->tree, dead);
	free(dead);
	merge(&fs->tree, &l->entries);
	layer_free(l);
	return 0;
}

/* Adds one tar member or listed path to the pending layer: the name normalised ("./a//b/" ->
 * "a/b"), whiteouts turned into ops. The image root itself and names with ".." are ignored
 * (runtimes refuse the latter; they cannot name anything a lookup finds). */
static int layer_add(layer_t *l, const char *name, int kind, const char *target, const char *what,
		     err_t *err)
{
	buf_t norm = BUF_INIT, op = BUF_INIT;
	if (strlen(name) > BASEFS_MAX_NAME || (target && strlen(target) > BASEFS_MAX_NAME))
		return err_set(err, "%s: name or link target of '%.64s...' is longer than %d bytes",
			       what, name, BASEFS_MAX_NAME);
	if (l->entries.n + l->ops.n >= BASEFS_MAX_ENTRIES)
		return err_set(err, "%s: the base image holds more than %u paths", what,
			       BASEFS_MAX_ENTRIES);
	while (*name == '/')
		name++;
	if (fs_path_normalize(name, &norm) != 0)
		goto out;
	char *slash = strrchr(norm.data, '/');
	const char *base = slash ? slash + 1 : norm.data;
	if (strncmp(base, ".wh.", 4) != 0) {
		nodes_push(&l->entries, buf_detach(&norm), kind == BASEFS_SYMLINK ? target : NULL,
			   kind);
		goto out;
	}
	int is_opaque = !strcmp(base, ".wh..wh..opq");
	size_t dir_len = slash ? (size_t)(slash - norm.data) : 0;
	buf_add(&op, norm.data, dir_len);
	if (!is_opaque && base[4]) {
		if (op.len)
			buf_addch(&op, '/');
		buf_addstr(&op, base + 4);
	}
	if (is_opaque || base[4])
		nodes_push(&l->ops, buf_detach(&op), NULL, is_opaque ? OP_OPAQUE : OP_WHITEOUT);
out:
	buf_free(&op);
	buf_free(&norm);
	return 0;
}

static int kind_of_entry(struct archive_entry *e)
{
	if (archive_entry_hardlink(e))
		return BASEFS_FILE;
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR: return BASEFS_DIR;
	case AE_IFREG: return BASEFS_FILE;
	case AE_IFLNK: return BASEFS_SYMLINK;
	default: return BASEFS_OTHER;
	}
}

int basefs_add_layer(basefs_t *fs, const char *blob_path, err_t *err)
{
	struct archive *a = xcheck(archive_read_new());
	struct archive_entry *e;
	layer_t l = {{0}, {0}};
	int rc = -1, r;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, blob_path, 1 << 16) != ARCHIVE_OK) {
		err_set(err, "%s: cannot read base layer: %s", blob_path, archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		if (!name)
			continue;
		const char *target = archive_entry_symlink(e);
		if (layer_add(&l, name, kind_of_entry(e), target ? target : "", blob_path, err))
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		err_set(err, "%s: corrupt base layer: %s", blob_path, archive_error_string(a));
		goto out;
	}
	rc = apply_layer(fs, &l, blob_path, err);
out:
	layer_free(&l);
	archive_read_free(a);
	return rc;
}

int basefs_add_listing(basefs_t *fs, const basefs_entry_t *entries, size_t n, err_t *err)
{
	layer_t l = {{0}, {0}};
	for (size_t i = 0; i < n; i++) {
		int kind = entries[i].kind;
		if (!entries[i].path || kind < BASEFS_DIR || kind > BASEFS_OTHER) {
			layer_free(&l);
			return err_set(err, "base listing entry %zu: no path or an unknown kind",
				       i);
		}
		if (layer_add(&l, entries[i].path, kind,
			      entries[i].link_target ? entries[i].link_target : "", "base listing",
			      err)) {
			layer_free(&l);
			return -1;
		}
	}
	return apply_layer(fs, &l, "base listing", err);
}

/* The node at path, or NULL; *is_dir set when path has listed contents (or is the root). */
static const node_t *node_at(const basefs_t *fs, const char *path, int *is_dir)
{
	static const nodes_t empty = {NULL, 0, 0};
	buf_t key = BUF_INIT;
	const nodes_t *t = fs ? &fs->tree : &empty; /* NULL: the empty (scratch) tree */
	const node_t *found = NULL;
	size_t i = lower_bound(t, path);
	*is_dir = !*path;
	if (i < t->n && !strcmp(t->v[i].path, path))
		found = &t->v[i];
	if (!found && *path) {
		buf_addf(&key, "%s/", path);
		i = lower_bound(t, key.data);
		*is_dir = i < t->n && !strncmp(t->v[i].path, key.data, key.len);
		buf_free(&key);
	}
	return found;
}

/* Drops the last component of a root-relative path ("" stays ""). */
static void parent_of(buf_t *p)
{
	const char *slash = strrchr(buf_cstr(p), '/');
	buf_truncate(p, slash ? (size_t)(slash - p->data) : 0);
}

/* Replaces the unresolved rest (from pos) with "target/rest"; an absolute target restarts at
 * the root. */
static void expand_link(buf_t *cur, buf_t *rest, size_t pos, const char *target)
{
	buf_t next = BUF_INIT;
	buf_addstr(&next, target);
	buf_addch(&next, '/');
	buf_addstr(&next, rest->data + pos);
	buf_setstr(rest, next.data);
	buf_free(&next);
	if (target[0] == '/')
		buf_reset(cur);
}

basefs_kind_t basefs_lookup(const basefs_t *fs, const char *path, int follow_last, buf_t *resolved)
{
	buf_t cur = BUF_INIT, rest = BUF_INIT, cand = BUF_INIT;
	basefs_kind_t kind = BASEFS_DIR;
	size_t pos = 0;
	int links = 0;
	buf_grow(&rest, strlen(path) + 1); /* rest.data is never NULL below */
	buf_setstr(&rest, path);
	while (kind != BASEFS_NONE) {
		while (rest.data[pos] == '/')
			pos++;
		if (!rest.data[pos])
			break;
		size_t len = strcspn(rest.data + pos, "/"), next = pos + len;
		while (rest.data[next] == '/')
			next++;
		int is_last = !rest.data[next], is_dir;
		if (len == 1 && rest.data[pos] == '.') {
			pos = next;
			continue;
		}
		if (len == 2 && !strncmp(rest.data + pos, "..", 2)) {
			parent_of(&cur);
			kind = BASEFS_DIR;
			pos = next;
			continue;
		}
		buf_setstr(&cand, buf_cstr(&cur));
		if (cand.len)
			buf_addch(&cand, '/');
		buf_add(&cand, rest.data + pos, len);
		const node_t *nd = node_at(fs, cand.data, &is_dir);
		kind = nd ? (basefs_kind_t)nd->kind : is_dir ? BASEFS_DIR : BASEFS_NONE;
		if (kind == BASEFS_SYMLINK && (!is_last || follow_last)) {
			if (++links > MAX_LINKS || !nd->target || !nd->target[0]) {
				kind = BASEFS_NONE;
				break;
			}
			expand_link(&cur, &rest, next, nd->target);
			pos = 0;
			kind = BASEFS_DIR;
			continue;
		}
		if (!is_last && kind != BASEFS_DIR)
			kind = BASEFS_NONE;
		buf_setstr(&cur, cand.data);
		pos = next;
	}
	if (resolved)
		buf_setstr(resolved, kind == BASEFS_NONE ? "" : buf_cstr(&cur));
	buf_free(&cur);
	buf_free(&rest);
	buf_free(&cand);
	return kind;
}
