/* install_stream.c — a conda package installed into an entry sink instead of a directory
 * (install.h's install_stream; issue 14 #1). Pass 1 reads info/ into memory; pass 2 walks the
 * archive's members once, in their order, and gives each listed one to the sink at its
 * installed path with what install.c would have written there; then the generated files
 * (entry points, conda-meta) follow through install.c's own writers, which send them to the
 * sink. The listing decides what is installed, exactly as install.c's pass 2 does. */
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
#include "strmap.h"
#include "xalloc.h"

/* The info/ files install_meta.c reads; a .tar.bz2 that has one of them after its payload
 * began (when pass 1 stopped there) is refused rather than installed from half its metadata. */
static const char *const meta_names[] = {"info/index.json", "info/link.json", "info/paths.json",
					 "info/files", "info/has_prefix"};

typedef struct inst_meta {
	char *name;
	buf_t data;
} inst_meta_t;

static int is_meta_name(const char *name)
{
	for (size_t i = 0; i < sizeof meta_names / sizeof meta_names[0]; i++)
		if (!strcmp(name, meta_names[i]))
			return 1;
	return 0;
}

static const inst_meta_t *find_meta(const inst_t *in, const char *rel)
{
	for (size_t i = 0; i < in->n_meta; i++)
		if (!strcmp(in->meta[i].name, rel))
			return &in->meta[i];
	return NULL;
}

int inst_meta_get(const inst_t *in, const char *rel, buf_t *b)
{
	const inst_meta_t *m = find_meta(in, rel);
	buf_reset(b);
	if (m)
		buf_add(b, m->data.data ? m->data.data : "", m->data.len);
	return m != NULL;
}

void inst_meta_free(inst_t *in)
{
	for (size_t i = 0; i < in->n_meta; i++) {
		free(in->meta[i].name);
		buf_free(&in->meta[i].data);
	}
	free(in->meta);
	in->meta = NULL;
	in->n_meta = 0;
}

/* Reads the current member (a metadata file) into a new in->meta entry, capped. */
static int read_meta_member(inst_t *in, pkg_t *pkg, const char *name, err_t *err)
{
	char chunk[1 << 14];
	inst_meta_t *m;
	ssize_t n;
	if (find_meta(in, name))
		return inst_refuse(in, err, name, "duplicate member");
	in->meta = xrealloc(in->meta, (in->n_meta + 1) * sizeof *in->meta);
	m = &in->meta[in->n_meta++];
	m->name = xstrdup(name);
	buf_init(&m->data);
	while ((n = pkg_read_data(pkg, chunk, sizeof chunk, err)) > 0) {
		if (m->data.len + (size_t)n > INSTALL_MAX_META_BYTES)
			return err_set(err, "package %s: %s is larger than %u bytes", in->dist,
				       name, INSTALL_MAX_META_BYTES);
		buf_add(&m->data, chunk, (size_t)n);
	}
	return n < 0 ? err_prefix(err, "package %s", in->dist) : 0;
}

typedef struct member {
	char *dst;      /* installed path */
	int is_plain;   /* written as it is in the archive (no placeholder) */
	long long size; /* its data bytes */
	char *sha256;   /* of its data, when known (listing or computed) */
} member_t;

typedef struct stream_run {
	inst_t *in;
	const char *archive_path;
	strmap_t *listed;       /* normalised listed path -> index into in->paths */
	unsigned char *is_seen; /* per listed path */
	strmap_t *members;      /* member name -> index into files: regular files met so far */
	member_t *files;
	size_t n_files, cap_files;
	int is_partial; /* pass 1 stopped at the payload */
	int tar_fd;     /* a .tar.bz2 with its payload first: its tar decompressed once, or -1 */
	buf_t name, dst;
} stream_run_t;

/* A reader of the archive, or of its decompressed copy (each reader its own open file). */
static pkg_t *open_archive(const stream_run_t *r, err_t *err)
{
	char proc[64];
	if (r->tar_fd < 0)
		return pkg_open(r->archive_path, err);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", r->tar_fd);
	int fd = open(proc, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(err, "%s: cannot reopen its decompressed copy: %s", r->archive_path,
			strerror(errno));
		return NULL;
	}
	return pkg_open_tar_fd(fd, r->archive_path, err);
}

static int spool_fd_new(const inst_t *in, const char *what, int *fd, err_t *err)
{
	const char *dir = in->opts->spool_dir ? in->opts->spool_dir : getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	*fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (*fd < 0)
		return err_set(err, "package %s: %s: cannot make a temporary file in %s: %s",
			       in->dist, what, dir, strerror(errno));
	return 0;
}

/* A .tar.bz2 whose first member is payload has its info/ later (or last): rather than
 * decompress it twice, its tar is decompressed once into a temporary file that both passes
 * read (the tar headers and padding on top of the package's byte cap are allowed for). */
static int decompress_copy(stream_run_t *r, err_t *err)
{
	inst_t *in = r->in;
	long long cap = in->max_bytes + 1024LL * PKG_MAX_MEMBERS;
	if (spool_fd_new(in, "decompressed archive", &r->tar_fd, err))
		return -1;
	if (pkg_decompress_to_fd(r->archive_path, r->tar_fd, cap, err))
		return err_prefix(err, "package %s", in->dist);
	return 0;
}

/* Pass 1: info/'s listing files into in->meta (r->is_partial: a .tar.bz2 read only up to
 * its first payload member). */
static int read_info(stream_run_t *r, err_t *err)
{
	inst_t *in = r->in;
	pkg_t *pkg = open_archive(r, err);
	const pkg_entry_t *e;
	buf_t name = BUF_INIT;
	const char *why = NULL;
	int n, rc = -1, has_listing = 0, is_first = 1;
	r->is_partial = 0;
	if (!pkg)
		return -1;
	pkg_skip_payload(pkg);
	while ((n = pkg_next(pkg, &e, err)) == 1) {
		if (is_first && e->part == PKG_PART_PKG && !pkg_is_conda(pkg) && r->tar_fd < 0) {
			pkg_free(pkg);
			buf_free(&name);
			return decompress_copy(r, err) || read_info(r, err) ? -1 : 0;
		}
		is_first = 0;
		if (e->part == PKG_PART_PKG && has_listing) {
			r->is_partial = 1; /* conda-build writes info/ first: the rest is payload */
			break;
		}
		if (e->type != PKG_ENTRY_FILE || install_check_member_name(e->name, &name, &why))
			continue; /* pass 2 refuses what must be refused */
		if (!is_meta_name(name.data))
			continue;
		if (read_meta_member(in, pkg, name.data, err))
			goto out;
		has_listing |= !strcmp(name.data, "info/paths.json");
	}
	rc = n < 0 ? err_prefix(err, "package %s", in->dist) : 0;
out:
	pkg_free(pkg);
	buf_free(&name);
	return rc;
}

static void add_member(stream_run_t *r, const char *name, const char *dst, int is_plain,
		       long long size, const char *sha256)
{
	if (r->n_files == r->cap_files) {
		r->cap_files = r->cap_files ? r->cap_files * 2 : 256;
		r->files = xrealloc(r->files, r->cap_files * sizeof *r->files);
	}
	r->files[r->n_files] = (member_t){dst ? xstrdup(dst) : NULL, is_plain, size,
					  sha256 ? xstrdup(sha256) : NULL};
	(void)strmap_add(r->members, name, r->n_files++, NULL);
}

typedef struct data_out {
	inst_t *in;
	const char *file;
	digest_t *digest; /* of what goes to the sink, or NULL */
	long long n;
	int is_sink_error;
	buf_t *spool_mem;
	int spool_fd; /* -1 until the spool outgrows memory */
} data_out_t;

static int to_sink(void *ud, const char *p, size_t len, err_t *err)
{
	data_out_t *o = ud;
	o->is_sink_error = 1;
	if (inst_charge(o->in, o->file, (long long)len, err) ||
	    o->in->sink->data(o->in->sink->ud, p, len, err))
		return -1;
	o->is_sink_error = 0;
	if (o->digest)
		digest_update(o->digest, p, len);
	o->n += (long long)len;
	return 0;
}

/* Text mode: the rewritten file's size is known at its end only; it is kept until then. */
static int to_spool(void *ud, const char *p, size_t len, err_t *err)
{
	data_out_t *o = ud;
	o->is_sink_error = 1;
	if (inst_charge(o->in, o->file, (long long)len, err))
		return -1;
	if (o->spool_fd < 0 && o->spool_mem->len + len > INSTALL_SPOOL_MEM_BYTES) {
		if (spool_fd_new(o->in, o->file, &o->spool_fd, err) ||
		    fs_write_all(o->spool_fd, o->spool_mem->data, o->spool_mem->len))
			goto write_failed;
		buf_free(o->spool_mem);
	}
	if (o->spool_fd >= 0 ? fs_write_all(o->spool_fd, p, len) != 0
			     : (buf_add(o->spool_mem, p, len), 0))
		goto write_failed;
	o->is_sink_error = 0;
	digest_update(o->digest, p, len);
	o->n += (long long)len;
	return 0;
write_failed:
	if (o->spool_fd >= 0 || !err_msg(err)[0])
		err_set(err, "package %s: %s: cannot spool the rewritten file: %s", o->in->dist,
			o->file, strerror(errno));
	return -1;
}

/* The spooled file into the sink (its size is o->n). */
static int spool_emit(inst_t *in, const char *dst, unsigned mode, data_out_t *o, err_t *err)
{
	const entry_sink_t *k = in->sink;
	char chunk[1 << 16];
	if (k->entry(k->ud, ENTRY_FILE, dst, mode, o->n, NULL, err))
		return -1;
	if (o->spool_fd < 0)
		return o->spool_mem->len
			       ? k->data(k->ud, o->spool_mem->data, o->spool_mem->len, err)
			       : 0;
	if (lseek(o->spool_fd, 0, SEEK_SET) != 0)
		return err_set(err, "package %s: %s: spool: %s", in->dist, dst, strerror(errno));
	for (;;) {
		ssize_t n = read(o->spool_fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set(err, "package %s: %s: spool: %s", in->dist, dst,
				       strerror(errno));
		if (n == 0)
			return 0;
		if (k->data(k->ud, chunk, (size_t)n, err))
			return -1;
	}
}

typedef struct member_src {
	inst_t *in;
	pkg_t *pkg;
} member_src_t;

static ssize_t read_member(void *ud, char *buf, size_t len, err_t *err)
{
	member_src_t *s = ud;
	ssize_t n = pkg_read_data(s->pkg, buf, len, err);
	return n < 0 ? err_prefix(err, "package %s", s->in->dist) : n;
}

/* The member's data through p's placeholder rewrite (or as it is) into out (o's sink). */
static int pump(inst_t *in, pkg_t *pkg, const inst_path_t *p, ph_sink_fn out, data_out_t *o,
		digest_t *din, err_t *err)
{
	member_src_t from = {in, pkg};
	return inst_pump(in, p, read_member, &from, out, o, &o->is_sink_error, din, err);
}

static void set_hash(json_t *obj, const char *key, digest_t *d)
{
	char hex[DIGEST_HEX_MAX];
	digest_final_hex(d, hex);
	json_object_set_new(obj, key, json_string(hex));
}

/* A regular file member at dst: rewritten (placeholder), else copied; obj gets what
 * install.c records for it. */
static int put_file(stream_run_t *r, pkg_t *pkg, const pkg_entry_t *e, const inst_path_t *p,
		    const char *dst, json_t *obj, err_t *err)
{
	inst_t *in = r->in;
	const entry_sink_t *k = in->sink;
	unsigned mode = inst_normal_file_mode(e->mode);
	buf_t mem = BUF_INIT;
	data_out_t o = {in, p->path, NULL, 0, 0, &mem, -1};
	digest_t *din = p->sha256 ? NULL : digest_new(DIGEST_SHA256);
	int rc = -1;
	if (!p->placeholder) {
		o.digest = din; /* the bytes go out as they are */
		din = NULL;
		if (k->entry(k->ud, ENTRY_FILE, dst, mode, e->size_bytes, NULL, err) ||
		    pump(in, pkg, p, to_sink, &o, NULL, err))
			goto out;
		if (o.digest)
			set_hash(obj, "sha256", o.digest);
		json_object_set_new(obj, "size_in_bytes", json_integer((json_int_t)o.n));
		rc = 0;
		goto out;
	}
	o.digest = digest_new(DIGEST_SHA256);
	if (p->is_binary ? k->entry(k->ud, ENTRY_FILE, dst, mode, e->size_bytes, NULL, err) ||
				   pump(in, pkg, p, to_sink, &o, din, err)
			 : pump(in, pkg, p, to_spool, &o, din, err) ||
				   spool_emit(in, dst, mode, &o, err))
		goto out;
	if (din)
		set_hash(obj, "sha256", din);
	set_hash(obj, "sha256_in_prefix", o.digest);
	json_object_set_new(obj, "size_in_bytes", json_integer((json_int_t)o.n));
	json_object_set_new(obj, "prefix_placeholder", json_string(p->placeholder));
	json_object_set_new(obj, "file_mode", json_string(p->is_binary ? "binary" : "text"));
	rc = 0;
out:
	if (o.spool_fd >= 0)
		close(o.spool_fd);
	buf_free(&mem);
	digest_free(o.digest);
	digest_free(din);
	return rc;
}

/* The sha256 recorded for a file written as it is (NULL for a rewritten one). */
static const char *file_sha(json_t *obj)
{
	return json_object_get(obj, "prefix_placeholder")
		       ? NULL
		       : json_string_value(json_object_get(obj, "sha256"));
}

/* A hardlink member whose data must be written again (a placeholder on either name, a hash
 * to compute, or a target that was not installed): the target member is read once more from
 * a fresh reader and written under this member's name and listing entry. Rare. */
static int put_link_copy(stream_run_t *r, const char *target, const inst_path_t *p,
			 const char *name, const char *dst, json_t *obj, err_t *err)
{
	pkg_t *pkg = open_archive(r, err);
	const pkg_entry_t *e;
	buf_t t = BUF_INIT;
	const char *why = NULL;
	int n, rc = -1;
	if (!pkg)
		return -1;
	while ((n = pkg_next(pkg, &e, err)) == 1) {
		if (e->type != PKG_ENTRY_FILE || install_check_member_name(e->name, &t, &why) ||
		    strcmp(t.data, target))
			continue;
		rc = put_file(r, pkg, e, p, dst, obj, err);
		if (rc == 0)
			add_member(r, name, dst, !p->placeholder, e->size_bytes, file_sha(obj));
		break;
	}
	if (n == 0)
		err_set(err, "package %s: %s: hardlink target %s is gone", r->in->dist, name,
			target);
	pkg_free(pkg);
	buf_free(&t);
	return rc;
}

static int put_hardlink(stream_run_t *r, const pkg_entry_t *e, const inst_path_t *p,
			const char *name, const char *dst, json_t *obj, err_t *err)
{
	inst_t *in = r->in;
	buf_t target = BUF_INIT;
	const char *why = NULL;
	size_t t;
	int rc = -1;
	if (install_check_member_name(e->hardlink_target, &target, &why) != 0 ||
	    !strmap_get(r->members, target.data, &t)) {
		buf_t msg = BUF_INIT;
		buf_addf(&msg, "hardlink to %s, which is not a regular file earlier in the archive",
			 target.len ? target.data : e->hardlink_target);
		inst_refuse(in, err, name, msg.data);
		buf_free(&msg);
		goto out;
	}
	const member_t *m = &r->files[t];
	if (!m->dst || !m->is_plain || p->placeholder || (!p->sha256 && !m->sha256)) {
		rc = put_link_copy(r, target.data, p, name, dst, obj, err);
		goto out;
	}
	rc = in->sink->entry(in->sink->ud, ENTRY_HARDLINK, dst, inst_normal_file_mode(e->mode), 0,
			     m->dst, err);
	if (rc == 0) {
		if (!p->sha256)
			json_object_set_new(obj, "sha256", json_string(m->sha256));
		json_object_set_new(obj, "size_in_bytes", json_integer((json_int_t)m->size));
		add_member(r, name, dst, 1, m->size, m->sha256);
	}
out:
	buf_free(&target);
	return rc;
}

/* What install.c's install_one_path records and writes for listed path p, member e. */
static int put_listed(stream_run_t *r, pkg_t *pkg, const pkg_entry_t *e, const inst_path_t *p,
		      const char *name, err_t *err)
{
	inst_t *in = r->in;
	const entry_sink_t *k = in->sink;
	const char *why = NULL;
	inst_installed_path(in, name, &r->dst);
	const char *dst = r->dst.data;
	json_t *obj = inst_add_rec(in, dst);
	const char *type = p->path_type                   ? p->path_type
			   : e->type == PKG_ENTRY_SYMLINK ? "softlink"
			   : e->type == PKG_ENTRY_DIR     ? "directory"
							  : "hardlink";
	json_object_set_new(obj, "path_type", json_string(type));
	if (p->sha256)
		json_object_set_new(obj, "sha256", json_string(p->sha256));
	switch (e->type) {
	case PKG_ENTRY_DIR: return k->entry(k->ud, ENTRY_DIR, dst, 0755, 0, NULL, err);
	case PKG_ENTRY_SYMLINK:
		/* checked again where it is installed: noarch relocation changes its depth */
		if (install_check_symlink(dst, e->symlink_target, &why) != 0)
			return inst_refuse(in, err, dst, why);
		if (p->size_bytes >= 0)
			json_object_set_new(obj, "size_in_bytes", json_integer(p->size_bytes));
		return k->entry(k->ud, ENTRY_SYMLINK, dst, 0777, 0, e->symlink_target, err);
	case PKG_ENTRY_HARDLINK: return put_hardlink(r, e, p, name, dst, obj, err);
	case PKG_ENTRY_FILE: {
		char *d = xstrdup(dst);
		int rc = put_file(r, pkg, e, p, d, obj, err);
		if (rc == 0)
			add_member(r, name, d, !p->placeholder, e->size_bytes, file_sha(obj));
		free(d);
		return rc;
	}
	case PKG_ENTRY_OTHER: break;
	}
	return -1;
}

/* One member of pass 2: checked as install_extract.c checks it, installed when listed. */
static int put_member(stream_run_t *r, pkg_t *pkg, const pkg_entry_t *e, const char *name,
		      err_t *err)
{
	inst_t *in = r->in;
	const char *why = NULL;
	size_t i;
	if (e->type == PKG_ENTRY_OTHER) {
		buf_t msg = BUF_INIT;
		buf_addf(&msg, "%s entries are not allowed in a package", e->other_kind);
		int rc = inst_refuse(in, err, name, msg.data);
		buf_free(&msg);
		return rc;
	}
	if (e->type == PKG_ENTRY_SYMLINK && install_check_symlink(name, e->symlink_target, &why)) {
		buf_t msg = BUF_INIT;
		buf_addf(&msg, "%s (-> %s)", why, e->symlink_target);
		int rc = inst_refuse(in, err, name, msg.data);
		buf_free(&msg);
		return rc;
	}
	if (r->is_partial && is_meta_name(name) && !find_meta(in, name))
		return inst_refuse(in, err, name,
				   "metadata after the package's files (a .tar.bz2 not written by "
				   "conda-build?); repackage it with info/ first");
	if (!strmap_get(r->listed, name, &i)) {
		if (e->type == PKG_ENTRY_FILE)
			add_member(r, name, NULL, 0, e->size_bytes, NULL); /* a link may name it */
		return 0;
	}
	if (r->is_seen[i] && e->type == PKG_ENTRY_DIR)
		return 0;
	if (r->is_seen[i])
		return inst_refuse(in, err, name, "duplicate member");
	r->is_seen[i] = 1;
	return put_listed(r, pkg, e, &in->paths[i], name, err);
}

static int walk_members(stream_run_t *r, err_t *err)
{
	inst_t *in = r->in;
	pkg_t *pkg = open_archive(r, err);
	const pkg_entry_t *e;
	const char *why = NULL;
	int n, rc = -1;
	if (!pkg)
		return -1;
	pkg_set_max_total_bytes(pkg, in->max_bytes);
	while ((n = pkg_next(pkg, &e, err)) == 1) {
		if (install_check_member_name(e->name, &r->name, &why) != 0) {
			/* a "./" directory entry is the archive root itself: harmless */
			if (e->type == PKG_ENTRY_DIR && e->name[0] != '/' && !strstr(e->name, ".."))
				continue;
			inst_refuse(in, err, e->name, why);
			goto out;
		}
		char *name = xstrdup(r->name.data);
		int bad = put_member(r, pkg, e, name, err);
		free(name);
		if (bad)
			goto out;
	}
	if (n < 0) {
		err_prefix(err, "package %s", in->dist);
		goto out;
	}
	rc = 0;
out:
	pkg_free(pkg);
	return rc;
}

/* The listing, normalised and indexed; refuses what install.c refuses. */
static int index_listing(stream_run_t *r, err_t *err)
{
	inst_t *in = r->in;
	const char *why = NULL;
	r->listed = strmap_new();
	r->is_seen = xcalloc(in->n_paths ? in->n_paths : 1, 1);
	for (size_t i = 0; i < in->n_paths; i++) {
		if (install_check_member_name(in->paths[i].path, &r->name, &why) != 0)
			return inst_refuse(in, err, in->paths[i].path, why);
		if (!strmap_add(r->listed, r->name.data, i, NULL))
			return inst_refuse(in, err, r->name.data,
					   "installed twice (path collision)");
	}
	return 0;
}

/* Every listed path must have come by. */
static int check_all_seen(stream_run_t *r, err_t *err)
{
	inst_t *in = r->in;
	const char *why = NULL;
	for (size_t i = 0; i < in->n_paths; i++) {
		size_t j;
		(void)install_check_member_name(in->paths[i].path, &r->name, &why);
		if (strmap_get(r->listed, r->name.data, &j) && j == i && r->is_seen[i])
			continue;
		return err_set(
			err, "package %s is damaged: %s is listed in %s but is not in the archive",
			in->dist, r->name.data, in->listing);
	}
	return 0;
}

static void run_free(stream_run_t *r)
{
	for (size_t i = 0; i < r->n_files; i++) {
		free(r->files[i].dst);
		free(r->files[i].sha256);
	}
	free(r->files);
	strmap_free(r->listed);
	strmap_free(r->members);
	free(r->is_seen);
	if (r->tar_fd >= 0)
		close(r->tar_fd);
	buf_free(&r->name);
	buf_free(&r->dst);
}

int install_stream(const install_opts_t *opts, const pkgrec_t *rec, const char *archive_path,
		   const entry_sink_t *sink, err_t *err)
{
	inst_t in = {.opts = opts, .rec = rec, .ex_fd = -1, .px_fd = -1, .sink = sink};
	stream_run_t r = {.in = &in, .archive_path = archive_path, .tar_fd = -1};
	int rc = -1;
	in.dist = rec && rec->name ? pkgrec_dist(rec) : inst_dist_from_archive(archive_path);
	r.members = strmap_new();
	if (inst_check_inputs(&in, archive_path, err) || read_info(&r, err) ||
	    inst_load_metadata(&in, err))
		goto out;
	if (in.is_noarch_python && !inst_python_version_is_valid(opts->python_version)) {
		err_set(err, "noarch python package %s needs python in the environment%s", in.dist,
			opts->python_version ? " (python version is not major.minor)" : "");
		goto out;
	}
	if (index_listing(&r, err) || walk_members(&r, err) || check_all_seen(&r, err) ||
	    (in.is_noarch_python && inst_write_entry_points(&in, err)) ||
	    inst_write_conda_meta(&in, err))
		goto out;
	progress_count_one(opts->progress);
	rc = 0;
out:
	run_free(&r);
	inst_release(&in);
	return rc;
}
