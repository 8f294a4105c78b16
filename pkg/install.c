/* install.c — installs one conda package into a fresh directory (see install.h).
 * Two passes over a temporary sibling of dest_dir: (1) every member is extracted under
 * tmp/extract with openat() relative to directory fds and O_NOFOLLOW, refusing hostile
 * names; (2) the paths the package lists (info/paths.json, or info/files + info/has_prefix)
 * are moved into tmp/prefix, with placeholder replacement and noarch: python relocation,
 * then conda-meta/<dist>.json is written and tmp/prefix is renamed to dest_dir. Nothing is
 * executed: noarch python .pyc files are not compiled (python does that lazily). */
#include "install.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "install_int.h"
#include "pkg.h"
#include "progress.h"
#include "xalloc.h"

int inst_python_version_is_valid(const char *v)
{
	int dots = 0;
	if (!v || !isdigit((unsigned char)v[0]))
		return 0;
	for (; *v; v++) {
		if (*v == '.')
			dots++;
		else if (!isdigit((unsigned char)*v))
			return 0;
	}
	return dots == 1 && v[-1] != '.';
}

/* noarch: python packages ship site-packages/ and python-scripts/; conda puts them at
 * lib/pythonX.Y/site-packages/ and bin/ of the target environment. */
void inst_installed_path(const inst_t *in, const char *path, buf_t *out)
{
	buf_reset(out);
	if (in->is_noarch_python && !strncmp(path, "site-packages/", 14))
		buf_addf(out, "lib/python%s/site-packages/%s", in->opts->python_version, path + 14);
	else if (in->is_noarch_python && !strncmp(path, "python-scripts/", 15))
		buf_addf(out, "bin/%s", path + 15);
	else
		buf_addstr(out, path);
}

json_t *inst_add_rec(inst_t *in, const char *path)
{
	inst_rec_t *nr = xrealloc(in->recs, (in->n_recs + 1) * sizeof *nr);
	in->recs = nr;
	inst_rec_t *r = &in->recs[in->n_recs++];
	r->path = xstrdup(path);
	r->obj = json_object();
	json_object_set_new(r->obj, "_path", json_string(path));
	return r->obj;
}

static int digest_fd(int fd, char hex[DIGEST_HEX_MAX], long long *size)
{
	char chunk[1 << 16];
	digest_t *d = digest_new(DIGEST_SHA256);
	*size = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			digest_free(d);
			return -1;
		}
		if (n == 0)
			break;
		digest_update(d, chunk, (size_t)n);
		*size += n;
	}
	digest_final_hex(d, hex);
	digest_free(d);
	return 0;
}

/* Creates dst_rel as a new file in the prefix (it must not exist); *fd is open for writing. */
static int create_new_file(inst_t *in, const char *dst_rel, int *fd, err_t *err)
{
	const char *base = NULL, *why = NULL;
	int pfd = inst_open_parent(in->px_fd, dst_rel, 1, &base, &why);
	if (pfd < 0)
		return inst_refuse(in, err, dst_rel, why);
	*fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int saved = errno;
	close(pfd);
	if (*fd < 0)
		return inst_refuse(in, err, dst_rel,
				   saved == EEXIST ? "installed twice (path collision)"
						   : strerror(saved));
	return 0;
}

/* Sets mode and closes fd; rc is the writes' result so far. */
static int finish_new_file(inst_t *in, const char *dst_rel, int fd, unsigned mode, int rc,
			   err_t *err)
{
	if (rc == 0 && fchmod(fd, mode) != 0)
		rc = err_set(err, "package %s: %s: write failed: %s", in->dist, dst_rel,
			     strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = err_set(err, "package %s: %s: write failed: %s", in->dist, dst_rel,
			     strerror(errno));
	return rc;
}

/* Writes data as a new file dst_rel in the prefix (must not exist). */
int inst_write_new_file(inst_t *in, const char *dst_rel, const char *data, size_t len,
			unsigned mode, err_t *err)
{
	int fd = -1, rc = 0;
	if (in->sink) /* install_stream: the file goes into the layer */
		return in->sink->entry(in->sink->ud, ENTRY_FILE, dst_rel, mode, (long long)len,
				       NULL, err) ||
				       in->sink->data(in->sink->ud, data, len, err)
			       ? -1
			       : 0;
	if (create_new_file(in, dst_rel, &fd, err) != 0)
		return -1;
	if (fs_write_all(fd, data, len) != 0)
		rc = err_set(err, "package %s: %s: write failed: %s", in->dist, dst_rel,
			     strerror(errno));
	return finish_new_file(in, dst_rel, fd, mode, rc, err);
}

int inst_charge(inst_t *in, const char *file, long long n, err_t *err)
{
	in->written_bytes += n; /* <= 64 GiB + one chunk: no overflow */
	if (in->written_bytes <= in->max_bytes)
		return 0;
	return err_set(err,
		       "package %s: %s takes what the package writes past %lld bytes, the cap for "
		       "this package (%dx its archive size, at least %lld, at most %lld bytes); "
		       "refusing it (a decompression bomb?)",
		       in->dist, file, in->max_bytes, INSTALL_EXPANSION_RATIO,
		       INSTALL_MIN_EXTRACT_BYTES, INSTALL_MAX_EXTRACT_BYTES);
}

long long install_max_extracted_bytes(long long archive_bytes)
{
	long long cap = archive_bytes > INSTALL_MAX_EXTRACT_BYTES / INSTALL_EXPANSION_RATIO
				? INSTALL_MAX_EXTRACT_BYTES
				: archive_bytes * INSTALL_EXPANSION_RATIO;
	return cap < INSTALL_MIN_EXTRACT_BYTES ? INSTALL_MIN_EXTRACT_BYTES : cap;
}

typedef struct ph_out {
	inst_t *in;
	const char *file;
	int fd;
	digest_t *digest; /* of the rewritten bytes */
	long long n_bytes;
	int is_sink_error; /* the error is a write or the cap, already naming the package */
} ph_out_t;

static int ph_write(void *ud, const char *data, size_t len, err_t *err)
{
	ph_out_t *o = ud;
	o->is_sink_error = 1;
	if (inst_charge(o->in, o->file, (long long)len, err))
		return -1;
	if (fs_write_all(o->fd, data, len) != 0)
		return err_set(err, "package %s: %s: write failed: %s", o->in->dist, o->file,
			       strerror(errno));
	o->is_sink_error = 0;
	digest_update(o->digest, data, len);
	o->n_bytes += (long long)len;
	return 0;
}

typedef struct fd_src {
	inst_t *in;
	const char *file;
	int fd;
} fd_src_t;

static ssize_t read_fd(void *ud, char *buf, size_t len, err_t *err)
{
	fd_src_t *s = ud;
	for (;;) {
		ssize_t n = read(s->fd, buf, len);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return err_set(err, "package %s: %s: %s", s->in->dist, s->file,
				       strerror(errno));
	}
}

/* Rewrites the extracted file's placeholder into a new file at dst_rel (never in place: the
 * source may be the extract cache's inode). */
static int install_with_placeholder(inst_t *in, const inst_path_t *p, int src_pfd,
				    const char *src_base, const struct stat *st,
				    const char *dst_rel, json_t *obj, err_t *err)
{
	char hex[DIGEST_HEX_MAX];
	ph_out_t o = {in, p->path, -1, digest_new(DIGEST_SHA256), 0, 0};
	digest_t *din = p->sha256 ? NULL : digest_new(DIGEST_SHA256);
	int rc = -1, src = openat(src_pfd, src_base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0) {
		err_set(err, "package %s: %s: cannot rewrite prefix: %s", in->dist, p->path,
			strerror(errno));
		goto out;
	}
	if (create_new_file(in, dst_rel, &o.fd, err) != 0)
		goto out;
	fd_src_t from = {in, p->path, src};
	rc = inst_pump(in, p, read_fd, &from, ph_write, &o, &o.is_sink_error, din, err);
	rc = finish_new_file(in, dst_rel, o.fd, inst_normal_file_mode(st->st_mode), rc, err);
	if (rc != 0)
		goto out;
	if (din) {
		digest_final_hex(din, hex);
		json_object_set_new(obj, "sha256", json_string(hex));
	}
	digest_final_hex(o.digest, hex);
	json_object_set_new(obj, "sha256_in_prefix", json_string(hex));
	json_object_set_new(obj, "size_in_bytes", json_integer((json_int_t)o.n_bytes));
	json_object_set_new(obj, "prefix_placeholder", json_string(p->placeholder));
	json_object_set_new(obj, "file_mode", json_string(p->is_binary ? "binary" : "text"));
out:
	if (src >= 0)
		close(src);
	digest_free(o.digest);
	digest_free(din);
	return rc;
}

/* A symlink is checked again at its installed location: noarch relocation changes its depth. */
static int check_installed_symlink(inst_t *in, int src_pfd, const char *src_base,
				   const struct stat *st, const char *dst_rel, err_t *err)
{
	const char *why = NULL;
	char *target = xmalloc((size_t)st->st_size + 2);
	ssize_t n = readlinkat(src_pfd, src_base, target, (size_t)st->st_size + 1);
	if (n >= 0)
		target[n] = '\0';
	int bad = n < 0 || install_check_symlink(dst_rel, target, &why) != 0;
	free(target);
	if (!bad)
		return 0;
	inst_refuse(in, err, dst_rel, n < 0 ? strerror(errno) : why);
	return -1;
}

/* size_in_bytes (and sha256 when the listing has none) of the installed dfd/base. */
static int record_size(inst_t *in, const inst_path_t *p, int dfd, const char *base,
		       const struct stat *st, const char *dst_rel, json_t *obj, err_t *err)
{
	char hex[DIGEST_HEX_MAX];
	long long size = 0;
	int fd = -1, rc = 0;
	if (S_ISREG(st->st_mode) && p->sha256) {
		/* The listing's hash stands (the archive's own hash was verified against the
		 * channel); only the size is recorded, from the extracted file. */
		json_object_set_new(obj, "size_in_bytes", json_integer((json_int_t)st->st_size));
	} else if (S_ISREG(st->st_mode)) {
		fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || digest_fd(fd, hex, &size) != 0) {
			rc = err_set(err, "package %s: %s: cannot read back: %s", in->dist, dst_rel,
				     strerror(errno));
		} else {
			json_object_set_new(obj, "sha256", json_string(hex));
			json_object_set_new(obj, "size_in_bytes", json_integer(size));
		}
	} else if (p->size_bytes >= 0) {
		json_object_set_new(obj, "size_in_bytes", json_integer(p->size_bytes));
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Moves (rename, so hardlinks and symlinks stay what they are) src to dst_rel. */
static int move_into_prefix(inst_t *in, const inst_path_t *p, int src_pfd, const char *src_base,
			    const struct stat *st, const char *dst_rel, json_t *obj, err_t *err)
{
	const char *base = NULL, *why = NULL;
	int rc = -1, pfd = -1;
	if (S_ISLNK(st->st_mode) &&
	    check_installed_symlink(in, src_pfd, src_base, st, dst_rel, err) != 0)
		return -1;
	pfd = inst_open_parent(in->px_fd, dst_rel, 1, &base, &why);
	if (pfd < 0)
		return inst_refuse(in, err, dst_rel, why);
	if (renameat2(src_pfd, src_base, pfd, base, RENAME_NOREPLACE) != 0) {
		inst_refuse(in, err, dst_rel,
			    errno == EEXIST ? "installed twice (path collision)" : strerror(errno));
		goto out;
	}
	rc = record_size(in, p, pfd, base, st, dst_rel, obj, err);
out:
	close(pfd);
	return rc;
}

static int install_one_path(inst_t *in, const inst_path_t *p, err_t *err)
{
	buf_t name = BUF_INIT, dst = BUF_INIT;
	const char *why = NULL, *base = NULL;
	int pfd = -1, rc = -1;
	struct stat st;
	if (install_check_member_name(p->path, &name, &why) != 0) {
		inst_refuse(in, err, p->path, why);
		goto out;
	}
	inst_installed_path(in, name.data, &dst);
	pfd = inst_open_parent(in->ex_fd, name.data, 0, &base, &why);
	if (pfd < 0 || fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		err_set(err, "package %s is damaged: %s is listed in %s but is not in the archive",
			in->dist, name.data, in->listing);
		goto out;
	}
	json_t *obj = inst_add_rec(in, dst.data);
	const char *type = p->path_type          ? p->path_type
			   : S_ISLNK(st.st_mode) ? "softlink"
			   : S_ISDIR(st.st_mode) ? "directory"
						 : "hardlink";
	json_object_set_new(obj, "path_type", json_string(type));
	if (p->sha256)
		json_object_set_new(obj, "sha256", json_string(p->sha256));
	if (S_ISDIR(st.st_mode)) {
		int dfd = inst_open_parent(in->px_fd, dst.data, 1, &base, &why);
		rc = dfd < 0 ? inst_refuse(in, err, dst.data, why)
			     : inst_extract_dir(in, dfd, base, dst.data, err);
		if (dfd >= 0)
			close(dfd);
	} else if (p->placeholder && S_ISREG(st.st_mode)) {
		rc = install_with_placeholder(in, p, pfd, base, &st, dst.data, obj, err);
	} else {
		rc = move_into_prefix(in, p, pfd, base, &st, dst.data, obj, err);
	}
out:
	if (pfd >= 0)
		close(pfd);
	buf_free(&name);
	buf_free(&dst);
	return rc;
}

/* ---- noarch python entry points ---- */

static int make_workdirs(inst_t *in, const char *dest_dir, buf_t *tmp, err_t *err)
{
	buf_t parent = BUF_INIT, prefix = BUF_INIT;
	int rc = -1;
	const char *slash = strrchr(dest_dir, '/');
	if (slash) {
		buf_add(&parent, dest_dir, (size_t)(slash - dest_dir));
		if (!parent.len)
			buf_addch(&parent, '/');
	} else {
		buf_addch(&parent, '.');
	}
	buf_addf(&prefix, "%s.tmp-", slash ? slash + 1 : dest_dir);
	if (fs_mkdtemp(parent.data, prefix.data, tmp, err) != 0)
		goto out;
	int root = open(tmp->data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0 || mkdirat(root, "extract", 0700) != 0 || mkdirat(root, "prefix", 0755) != 0 ||
	    fchmodat(root, "prefix", 0755, 0) != 0 ||
	    (in->ex_fd = openat(root, "extract", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (in->px_fd = openat(root, "prefix", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_set(err, "%s: cannot set up: %s", tmp->data, strerror(errno));
		if (root >= 0)
			close(root);
		goto out;
	}
	close(root);
	rc = 0;
out:
	buf_free(&parent);
	buf_free(&prefix);
	return rc;
}

void inst_release(inst_t *in)
{
	if (in->ex_fd >= 0)
		close(in->ex_fd);
	if (in->px_fd >= 0)
		close(in->px_fd);
	for (size_t i = 0; i < in->n_paths; i++) {
		free(in->paths[i].path);
		free(in->paths[i].path_type);
		free(in->paths[i].placeholder);
		free(in->paths[i].sha256);
	}
	for (size_t i = 0; i < in->n_recs; i++) {
		free(in->recs[i].path);
		json_decref(in->recs[i].obj);
	}
	free(in->paths);
	free(in->recs);
	json_decref(in->index);
	json_decref(in->link);
	free(in->dist);
	inst_meta_free(in);
}

char *inst_dist_from_archive(const char *archive_path)
{
	err_t e = ERR_INIT;
	pkg_t *p = pkg_open(archive_path, &e);
	char *d = xstrdup(p ? pkg_dist(p) : archive_path);
	pkg_free(p);
	err_clear(&e);
	return d;
}

/* Why s cannot be one path component, or NULL when it can. */
static const char *component_problem(const char *s)
{
	if (!s || !*s)
		return "is empty";
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return "is a relative directory name";
	for (const char *c = s; *c; c++) {
		if (*c == '/')
			return "contains '/'";
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "contains a control character";
	}
	return NULL;
}

/* name, version and build make the dist, which is joined into paths (the stage dir,
 * conda-meta/<dist>.json): each must be one plain path component (issue 10 #1), whatever the
 * repodata or lock said; conda's grammar is checked where records are read (conda/). */
int inst_check_record_names(const pkgrec_t *rec, err_t *err)
{
	const char *const fields[] = {"name", "version", "build"};
	const char *const values[] = {rec->name, rec->version, rec->build};
	for (size_t i = 0; i < 3; i++) {
		const char *why = component_problem(values[i]);
		if (!why)
			continue;
		buf_t shown = BUF_INIT;
		for (const char *c = values[i] ? values[i] : ""; *c && shown.len < 200; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				buf_addf(&shown, "\\x%02x", (unsigned)(unsigned char)*c);
			else
				buf_addch(&shown, *c);
		err_set(err,
			"refusing to install package %s (%s): its %s \"%s\" %s, so it cannot name "
			"files (a hostile channel or lock?)",
			rec->name && !component_problem(rec->name) ? rec->name : "?",
			rec->fn ? rec->fn : "no file name", fields[i], shown.data, why);
		buf_free(&shown);
		return -1;
	}
	/* conda-meta/<dist>.json must fit NAME_MAX (255). */
	if (strlen(rec->name) + strlen(rec->version) + strlen(rec->build) + 2 > 250)
		return err_set(err,
			       "refusing to install package %s: name-version-build is longer than "
			       "250 bytes",
			       rec->name);
	return 0;
}

int inst_check_inputs(inst_t *in, const char *archive_path, err_t *err)
{
	const install_opts_t *opts = in->opts;
	struct stat st;
	if (!opts || !opts->target_prefix || opts->target_prefix[0] != '/')
		return err_set(err, "package %s: the target prefix must be an absolute path",
			       in->dist);
	if (in->rec && inst_check_record_names(in->rec, err) != 0)
		return -1;
	long long archive_bytes = in->rec && in->rec->size > 0 ? in->rec->size : 0;
	if (stat(archive_path, &st) == 0 && st.st_size > archive_bytes)
		archive_bytes = (long long)st.st_size;
	in->max_bytes = opts->max_extracted_bytes > 0 ? opts->max_extracted_bytes
						      : install_max_extracted_bytes(archive_bytes);
	return 0;
}

static int check_inputs(inst_t *in, const char *archive_path, const char *dest_dir, err_t *err)
{
	if (inst_check_inputs(in, archive_path, err))
		return -1;
	if (fs_exists(dest_dir))
		return err_set(err, "package %s: %s already exists; remove it first", in->dist,
			       dest_dir);
	return 0;
}

int install_package(const install_opts_t *opts, const pkgrec_t *rec, const char *archive_path,
		    const char *dest_dir, err_t *err)
{
	inst_t in = {.opts = opts, .rec = rec, .ex_fd = -1, .px_fd = -1};
	buf_t tmp = BUF_INIT, tmp_prefix = BUF_INIT;
	int rc = -1;
	in.dist = rec && rec->name ? pkgrec_dist(rec) : inst_dist_from_archive(archive_path);
	if (check_inputs(&in, archive_path, dest_dir, err) != 0 ||
	    make_workdirs(&in, dest_dir, &tmp, err) != 0)
		goto out;
	if (inst_extract_all(&in, archive_path, err) != 0 || inst_load_metadata(&in, err) != 0)
		goto out;
	if (in.is_noarch_python && !inst_python_version_is_valid(opts->python_version)) {
		err_set(err, "noarch python package %s needs python in the environment%s", in.dist,
			opts->python_version ? " (python version is not major.minor)" : "");
		goto out;
	}
	for (size_t i = 0; i < in.n_paths; i++)
		if (install_one_path(&in, &in.paths[i], err) != 0)
			goto out;
	if (in.is_noarch_python && inst_write_entry_points(&in, err) != 0)
		goto out;
	if (inst_write_conda_meta(&in, err) != 0)
		goto out;
	buf_addf(&tmp_prefix, "%s/prefix", tmp.data);
	if (rename(tmp_prefix.data, dest_dir) != 0) {
		err_set(err, "package %s: cannot rename %s to %s: %s", in.dist, tmp_prefix.data,
			dest_dir, strerror(errno));
		goto out;
	}
	progress_count_one(opts->progress); /* one more package installed */
	rc = 0;
out:
	inst_release(&in);
	if (tmp.len) {
		err_t ignored = ERR_INIT;
		fs_rm_rf(tmp.data,
			 &ignored); /* leftover extract/ on success, everything on failure */
		err_clear(&ignored);
	}
	buf_free(&tmp);
	buf_free(&tmp_prefix);
	return rc;
}
