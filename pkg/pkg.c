/* pkg.c — streaming reader for conda package archives (see pkg.h).
 * A .conda is read as two nested libarchive readers: the outer one walks the zip, and for
 * info-*.tar.zst / pkg-*.tar.zst an inner reader is opened whose read callback pulls bytes
 * from the outer one, so no member is ever written to a temp file or held whole in memory. */
#include "pkg.h"
#include "xalloc.h"

#include <archive.h>
#include <jansson.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "fsutil.h"

#define PKG_CHUNK_BYTES (64 * 1024)

struct pkg {
	char *path;
	char *dist;
	int is_conda;
	struct archive *outer;
	struct archive *inner; /* current inner tar of a .conda, else NULL */
	pkg_part_t inner_part;
	char *inner_name;      /* zip member name of the inner tar, for messages */
	int saw_info, saw_pkg; /* .conda: which inner tars were found */
	long n_members;
	long long max_total_bytes; /* pkg_set_max_total_bytes; 0 = none */
	int skip_pkg_part;         /* pkg_skip_payload: .conda's pkg tar is not opened */
	int fd;                    /* pkg_open_tar_fd's, closed by pkg_free; else -1 */
	long long declared_bytes;  /* sum of the file members' header sizes so far */
	long long read_bytes;      /* member data actually returned */
	pkg_entry_t entry;
	buf_t name, symlink, hardlink;
	char chunk[PKG_CHUNK_BYTES]; /* buffer the inner reader's callback fills */
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *dist_of(const char *path)
{
	buf_t b = BUF_INIT;
	buf_addstr(&b, base_name(path));
	static const char *const exts[] = {".conda", ".tar.bz2", ".tar.gz", ".tar"};
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		if (has_suffix(b.data, exts[i])) {
			buf_truncate(&b, b.len - strlen(exts[i]));
			break;
		}
	}
	return buf_detach(&b);
}

/* Sniffs the zip local-file-header magic: extension alone is not trusted (".tar.bz2" files
 * that are really gzip exist, so a misnamed .conda is not far-fetched). */
static int sniff_is_zip(const char *path, err_t *err)
{
	unsigned char magic[4] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, "%s: cannot open package: %s", path, strerror(errno));
	ssize_t n = read(fd, magic, sizeof magic);
	int saved = errno;
	close(fd);
	if (n < 0)
		return err_set(err, "%s: cannot read package: %s", path, strerror(saved));
	return n == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

pkg_t *pkg_open(const char *path, err_t *err)
{
	pkg_t *p = xcalloc(1, sizeof *p);
	p->path = xstrdup(path);
	p->dist = dist_of(path);
	p->fd = -1;
	int is_zip = sniff_is_zip(path, err);
	if (is_zip < 0)
		goto fail;
	p->is_conda = is_zip;
	p->outer = xcheck(archive_read_new());
	if (p->is_conda) {
		archive_read_support_format_zip(p->outer);
	} else {
		archive_read_support_filter_all(p->outer);
		archive_read_support_format_tar(p->outer);
	}
	if (archive_read_open_filename(p->outer, path, PKG_CHUNK_BYTES) != ARCHIVE_OK) {
		err_set(err, "%s: cannot open package archive: %s", path,
			archive_error_string(p->outer));
		goto fail;
	}
	return p;
fail:
	pkg_free(p);
	return NULL;
}

pkg_t *pkg_open_tar_fd(int fd, const char *shown_as, err_t *err)
{
	pkg_t *p = xcalloc(1, sizeof *p);
	p->path = xstrdup(shown_as);
	p->dist = dist_of(shown_as);
	p->fd = fd;
	p->outer = xcheck(archive_read_new());
	archive_read_support_format_tar(p->outer);
	if (lseek(fd, 0, SEEK_SET) != 0 ||
	    archive_read_open_fd(p->outer, fd, PKG_CHUNK_BYTES) != ARCHIVE_OK) {
		err_set(err, "%s: cannot read its decompressed copy: %s", shown_as,
			archive_error_string(p->outer) ? archive_error_string(p->outer)
						       : strerror(errno));
		pkg_free(p);
		return NULL;
	}
	return p;
}

int pkg_decompress_to_fd(const char *path, int fd, long long max_bytes, err_t *err)
{
	struct archive *a = xcheck(archive_read_new());
	struct archive_entry *ae;
	char *chunk = xmalloc(PKG_CHUNK_BYTES);
	long long total = 0;
	la_ssize_t n = 0;
	int rc = -1;
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, PKG_CHUNK_BYTES) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ae) != ARCHIVE_OK) {
		err_set(err, "%s: cannot open package archive: %s", path, archive_error_string(a));
		goto out;
	}
	while ((n = archive_read_data(a, chunk, PKG_CHUNK_BYTES)) > 0) {
		total += n;
		if (max_bytes > 0 && total > max_bytes) {
			err_set(err,
				"%s: decompresses to more than %lld bytes, the cap for this "
				"package; "
				"refusing it (a decompression bomb?)",
				path, max_bytes);
			goto out;
		}
		if (fs_write_all(fd, chunk, (size_t)n) != 0) {
			err_set(err, "%s: cannot write its decompressed copy: %s", path,
				strerror(errno));
			goto out;
		}
	}
	if (n < 0)
		err_set(err, "%s: corrupt package archive: %s", path, archive_error_string(a));
	else
		rc = 0;
out:
	archive_read_free(a);
	free(chunk);
	return rc;
}

static la_ssize_t inner_read_cb(struct archive *a, void *client, const void **out)
{
	pkg_t *p = client;
	la_ssize_t n = archive_read_data(p->outer, p->chunk, sizeof p->chunk);
	if (n < 0) {
		archive_set_error(a, EIO, "reading %s from the zip: %s", p->inner_name,
				  archive_error_string(p->outer));
		return -1;
	}
	*out = p->chunk;
	return n;
}

static int open_inner(pkg_t *p, const char *zip_name, pkg_part_t part, err_t *err)
{
	free(p->inner_name);
	p->inner_name = xstrdup(zip_name);
	p->inner_part = part;
	p->inner = xcheck(archive_read_new());
	/* zstd is what the format specifies; accepting any filter costs nothing. */
	archive_read_support_filter_all(p->inner);
	archive_read_support_format_tar(p->inner);
	if (archive_read_open(p->inner, p, NULL, inner_read_cb, NULL) != ARCHIVE_OK)
		return err_set(err, "%s: cannot read %s: %s", p->path, zip_name,
			       archive_error_string(p->inner));
	return 0;
}

static void close_inner(pkg_t *p)
{
	if (p->inner)
		archive_read_free(p->inner);
	p->inner = NULL;
}

static const char *other_kind_of(mode_t filetype)
{
	switch (filetype) {
	case AE_IFCHR: return "character device";
	case AE_IFBLK: return "block device";
	case AE_IFIFO: return "fifo";
	case AE_IFSOCK: return "socket";
	default: return "entry of unknown type";
	}
}

static int over_cap(pkg_t *p, const char *member, err_t *err)
{
	return err_set(err,
		       "%s: %s takes the extracted size past %lld bytes, the cap for this "
		       "package; refusing to extract it (a decompression bomb?)",
		       p->path, member, p->max_total_bytes);
}

void pkg_skip_payload(pkg_t *p)
{
	p->skip_pkg_part = 1;
}

void pkg_set_max_total_bytes(pkg_t *p, long long max_bytes)
{
	p->max_total_bytes = max_bytes > 0 ? max_bytes : 0;
}

/* Copies the libarchive entry into p->entry, applying the caps. */
static int fill_entry(pkg_t *p, struct archive_entry *ae, pkg_part_t part, err_t *err)
{
	const char *name = archive_entry_pathname(ae);
	const char *where = p->inner ? p->inner_name : "tar";
	if (!name || !*name)
		return err_set(err, "%s: %s: member without a name", p->path, where);
	if (strlen(name) > PKG_MAX_NAME_BYTES)
		return err_set(err, "%s: member name longer than %d bytes", p->path,
			       PKG_MAX_NAME_BYTES);
	if (++p->n_members > PKG_MAX_MEMBERS)
		return err_set(err, "%s: more than %d members; refusing to read further", p->path,
			       PKG_MAX_MEMBERS);
	pkg_entry_t *e = &p->entry;
	memset(e, 0, sizeof *e);
	buf_setstr(&p->name, name);
	e->name = p->name.data;
	e->part = part;
	e->mode = (unsigned)archive_entry_perm(ae) & 07777;
	const char *hard = archive_entry_hardlink(ae);
	const char *sym = archive_entry_symlink(ae);
	mode_t ft = archive_entry_filetype(ae);
	if (hard) {
		e->type = PKG_ENTRY_HARDLINK;
		buf_setstr(&p->hardlink, hard);
		e->hardlink_target = p->hardlink.data;
	} else if (ft == AE_IFREG) {
		e->type = PKG_ENTRY_FILE;
		e->size_bytes = archive_entry_size(ae);
		if (e->size_bytes < 0 || e->size_bytes > PKG_MAX_MEMBER_BYTES)
			return err_set(err, "%s: %s: size %lld bytes is over the %lld-byte cap",
				       p->path, name, e->size_bytes, PKG_MAX_MEMBER_BYTES);
		/* Checked on the header, before any of the data is written. */
		p->declared_bytes += e->size_bytes; /* both <= 500000 * 8 GiB: no overflow */
		if (p->max_total_bytes && p->declared_bytes > p->max_total_bytes)
			return over_cap(p, name, err);
	} else if (ft == AE_IFDIR) {
		e->type = PKG_ENTRY_DIR;
	} else if (ft == AE_IFLNK) {
		e->type = PKG_ENTRY_SYMLINK;
		buf_setstr(&p->symlink, sym ? sym : "");
		e->symlink_target = p->symlink.data;
	} else {
		e->type = PKG_ENTRY_OTHER;
		e->other_kind = other_kind_of(ft);
	}
	return 0;
}

/* Handles one outer zip member of a .conda: opens an inner reader for the two tars, skips the
 * rest (metadata.json, folder entries). Matching is on the basename because some real
 * .conda files were re-zipped with their members under a folder. Returns 1 if an inner
 * reader was opened, 0 if skipped, -1 on error. */
static int conda_outer_member(pkg_t *p, struct archive_entry *ae, err_t *err)
{
	const char *zip_name = archive_entry_pathname(ae);
	const char *b = base_name(zip_name ? zip_name : "");
	int is_tar_zst = has_suffix(b, ".tar.zst");
	pkg_part_t part;
	if (is_tar_zst && has_prefix(b, "info-")) {
		part = PKG_PART_INFO;
		if (p->saw_info++)
			return err_set(err, "%s: more than one info-*.tar.zst member (%s)", p->path,
				       zip_name);
	} else if (is_tar_zst && has_prefix(b, "pkg-")) {
		part = PKG_PART_PKG;
		if (p->saw_pkg++)
			return err_set(err, "%s: more than one pkg-*.tar.zst member (%s)", p->path,
				       zip_name);
	} else {
		return 0;
	}
	if (part == PKG_PART_PKG && p->skip_pkg_part)
		return 0; /* the zip reader skips the stored member without decompressing it */
	return open_inner(p, zip_name, part, err) == 0 ? 1 : -1;
}

int pkg_next(pkg_t *p, const pkg_entry_t **e, err_t *err)
{
	struct archive_entry *ae;
	for (;;) {
		if (p->inner) {
			int r = archive_read_next_header(p->inner, &ae);
			if (r == ARCHIVE_EOF) {
				close_inner(p);
				continue;
			}
			if (r < ARCHIVE_WARN)
				return err_set(err, "%s: %s: corrupt tar: %s", p->path,
					       p->inner_name, archive_error_string(p->inner));
			if (fill_entry(p, ae, p->inner_part, err) != 0)
				return -1;
			*e = &p->entry;
			return 1;
		}
		int r = archive_read_next_header(p->outer, &ae);
		if (r == ARCHIVE_EOF) {
			if (p->is_conda && (!p->saw_info || !p->saw_pkg))
				return err_set(err, "%s: not a valid .conda package: no %s member",
					       p->path,
					       p->saw_info ? "pkg-*.tar.zst" : "info-*.tar.zst");
			return 0;
		}
		if (r < ARCHIVE_WARN)
			return err_set(err, "%s: corrupt package archive: %s", p->path,
				       archive_error_string(p->outer));
		if (p->is_conda) {
			if (conda_outer_member(p, ae, err) < 0)
				return -1;
			continue;
		}
		const char *name = archive_entry_pathname(ae);
		pkg_part_t part = name && (has_prefix(name, "info/") || has_prefix(name, "./info/"))
					  ? PKG_PART_INFO
					  : PKG_PART_PKG;
		if (fill_entry(p, ae, part, err) != 0)
			return -1;
		*e = &p->entry;
		return 1;
	}
}

ssize_t pkg_read_data(pkg_t *p, void *buf, size_t len, err_t *err)
{
	struct archive *a = p->inner ? p->inner : p->outer;
	la_ssize_t n = archive_read_data(a, buf, len);
	if (n < 0)
		return err_set(err, "%s: %s: cannot read data: %s", p->path, p->entry.name,
			       archive_error_string(a));
	/* A reader never returns more than the header said; counted anyway, so the cap does
	 * not rest on that. */
	p->read_bytes += n;
	if (p->max_total_bytes && p->read_bytes > p->max_total_bytes)
		return over_cap(p, p->entry.name, err);
	return (ssize_t)n;
}

int pkg_extract_to_fd(pkg_t *p, int fd, err_t *err)
{
	char chunk[PKG_CHUNK_BYTES];
	for (;;) {
		ssize_t n = pkg_read_data(p, chunk, sizeof chunk, err);
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, chunk + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return err_set(err, "%s: %s: write failed: %s", p->path,
					       p->entry.name, strerror(errno));
			off += w;
		}
	}
}

const char *pkg_dist(const pkg_t *p)
{
	return p->dist;
}

int pkg_is_conda(const pkg_t *p)
{
	return p->is_conda;
}

void pkg_free(pkg_t *p)
{
	if (!p)
		return;
	close_inner(p);
	if (p->outer)
		archive_read_free(p->outer);
	if (p->fd >= 0)
		close(p->fd);
	buf_free(&p->name);
	buf_free(&p->symlink);
	buf_free(&p->hardlink);
	free(p->inner_name);
	free(p->dist);
	free(p->path);
	free(p);
}

/* Lock records completed from their archives (pkg.h). */
static int str_list_from_json(json_t *arr, char ***out, size_t *n)
{
	size_t count = json_is_array(arr) ? json_array_size(arr) : 0;
	*out = xcalloc(count + 1, sizeof **out);
	for (size_t i = 0; i < count; i++) {
		const char *v = json_string_value(json_array_get(arr, i));
		if (v)
			(*out)[(*n)++] = xstrdup(v);
	}
	return 0;
}

/* The archive's info/index.json as a JSON object (caller decrefs), or NULL with err. */
static json_t *read_index_json(const char *archive, const char *fn, err_t *err)
{
	pkg_t *p = pkg_open(archive, err);
	const pkg_entry_t *e = NULL;
	buf_t text = BUF_INIT;
	json_t *index = NULL;
	int more;
	if (!p)
		return NULL;
	while ((more = pkg_next(p, &e, err)) == 1)
		if (e->part == PKG_PART_INFO && !strcmp(e->name, "info/index.json"))
			break;
	if (more != 1) {
		if (more == 0)
			err_set(err, "%s: package %s has no info/index.json", archive, fn);
		goto out;
	}
	char chunk[8192];
	ssize_t n;
	while ((n = pkg_read_data(p, chunk, sizeof chunk, err)) > 0 && text.len < (1u << 24))
		buf_add(&text, chunk, (size_t)n);
	if (n < 0)
		goto out;
	index = json_loads(text.data ? text.data : "", 0, NULL);
	if (!json_is_object(index)) {
		err_set(err, "%s: info/index.json of %s is not a JSON object", archive, fn);
		json_decref(index);
		index = NULL;
	}
out:
	buf_free(&text);
	pkg_free(p);
	return index;
}

/* A lock names an archive but not its repodata record. The record a channel index (conda-index)
 * writes for it is info/index.json plus md5, sha256 and size; that is what r->raw becomes, so
 * conda-meta gets the same bytes and the layer cache the same key (layers/lcache.c hashes raw)
 * as a build that solved against such a channel. */
int pkg_complete_record(pkgrec_t *r, const char *archive, err_t *err)
{
	struct stat st;
	char hex[DIGEST_HEX_MAX];
	json_t *index;
	if (r->raw)
		return 0;
	if (stat(archive, &st) != 0)
		return err_set(err, "%s: cannot stat the downloaded archive of %s: %s", archive,
			       r->fn, strerror(errno));
	r->size = (long long)st.st_size;
	/* A lock may carry one hash only; the archive was verified against it, so the other is
	 * derived from the archive. */
	if (!r->md5) {
		if (digest_file_hex(DIGEST_MD5, archive, hex, err) != 0)
			return -1;
		r->md5 = xstrdup(hex);
	}
	if (!r->sha256) {
		if (digest_file_hex(DIGEST_SHA256, archive, hex, err) != 0)
			return -1;
		r->sha256 = xstrdup(hex);
	}
	if (!(index = read_index_json(archive, r->fn, err)))
		return -1;
	/* @EXPLICIT records carry no dependencies: the layer grouping needs them */
	if (!r->depends)
		str_list_from_json(json_object_get(index, "depends"), &r->depends, &r->n_depends);
	if (!r->constrains)
		str_list_from_json(json_object_get(index, "constrains"), &r->constrains,
				   &r->n_constrains);
	/* The fields a repodata record would have given (common/pkgrec.c): noarch decides where
	 * python files go, and so whether the layer key holds the python version. */
	json_t *na = json_object_get(index, "noarch"), *bn = json_object_get(index, "build_number");
	if (!r->noarch && (json_is_string(na) || json_is_true(na)))
		r->noarch = xstrdup(json_is_string(na) ? json_string_value(na) : "generic");
	if (json_is_integer(bn))
		r->build_number = (long)json_integer_value(bn);
	json_object_set_new(index, "md5", json_string(r->md5));
	json_object_set_new(index, "sha256", json_string(r->sha256));
	json_object_set_new(index, "size", json_integer((json_int_t)st.st_size));
	r->raw = index;
	return 0;
}
