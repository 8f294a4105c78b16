/* wheel_extract.c — the wheel installer's second pass and generated files (see wheel.h):
 * members mapped to the conda prefix scheme and written under the temporary root with
 * openat (parents created 0755, files O_CREAT|O_EXCL|O_NOFOLLOW, so nothing is written
 * through a link or twice), each hashed while it is written and checked against RECORD;
 * then launchers, INSTALLER, REQUESTED, direct_url.json and the new, sorted RECORD. */
#include "wheel_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define SCRIPT_MAX_BYTES (64u << 20)

/* ------------------------------------------------------------------ writing files */

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Creates the parents of rel (0755) and rel itself, exclusively; returns the fd or -1. */
static int open_dest(wheel_inst_t *in, const char *rel, err_t *err)
{
	int dfd = in->rootfd, fd = -1;
	const char *p = rel;
	char *comp = NULL;
	for (;;) {
		size_t n = strcspn(p, "/");
		free(comp);
		comp = xstrndup(p, n);
		if (!p[n])
			break;
		if (mkdirat(dfd, comp, 0755) == 0)
			fchmodat(dfd, comp, 0755, 0);
		int next = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd != in->rootfd)
			close(dfd);
		dfd = next;
		if (dfd < 0) {
			err_set(err, "wheel %s: cannot create the directory of %s: %s", in->wheel,
				rel, strerror(errno));
			goto out;
		}
		p += n + 1;
	}
	fd = openat(dfd, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		err_set(err, "wheel %s: %s %s", in->wheel, rel,
			errno == EEXIST
				? "would be installed twice (two members or scripts map to it)"
				: strerror(errno));
out:
	if (dfd >= 0 && dfd != in->rootfd)
		close(dfd);
	free(comp);
	return fd;
}

/* RECORD paths are relative to site-packages: "six.py", "../../../bin/markdown_py". */
static void add_installed_row(wheel_inst_t *in, const char *rel, const char *sha256_b64,
			      long long size)
{
	buf_t row = BUF_INIT, path = BUF_INIT;
	size_t sl = in->site.len;
	if (!strncmp(rel, in->site.data, sl) && rel[sl] == '/')
		buf_addstr(&path, rel + sl + 1);
	else
		buf_addf(&path, "../../../%s",
			 rel); /* site-packages is lib/python3.X/site-packages */
	wheel_csv_add_field(&row, buf_cstr(&path));
	if (sha256_b64)
		buf_addf(&row, ",sha256=%s,%lld", sha256_b64, size);
	else
		buf_addstr(&row, ",,");
	pypi_strv_push(&in->installed, buf_detach(&row));
	buf_free(&path);
}

static int check_owner(wheel_inst_t *in, const char *rel, err_t *err)
{
	const char *owner = in->o->owned_by ? in->o->owned_by(in->o->owned_by_ud, rel) : NULL;
	if (owner)
		return err_set(err,
			       "wheel %s would overwrite %s, which conda package %s installs; "
			       "drop one of the two from the environment",
			       in->wheel, rel, owner);
	return 0;
}

/* Writes a generated (or rewritten) file whole, and lists it in the new RECORD. */
static int write_file(wheel_inst_t *in, const char *rel, const void *data, size_t len, mode_t mode,
		      err_t *err)
{
	wheel_hash_t *h;
	buf_t b64 = BUF_INIT;
	int fd, r = -1;
	if (check_owner(in, rel, err) < 0 || (fd = open_dest(in, rel, err)) < 0)
		return -1;
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0)
		err_set(err, "wheel %s: cannot write %s: %s", in->wheel, rel, strerror(errno));
	else
		r = 0;
	close(fd);
	h = wheel_hash_new("sha256");
	wheel_hash_update(h, data, len);
	wheel_hash_final(h, &b64);
	add_installed_row(in, rel, buf_cstr(&b64), (long long)len);
	buf_free(&b64);
	return r;
}

/* ------------------------------------------------------------------ members */

/* Where member name goes, relative to the prefix; *is_script for .data/scripts. */
static int map_member(wheel_inst_t *in, const char *name, buf_t *rel, int *is_script, err_t *err)
{
	size_t dl = strlen(in->data_dir);
	buf_reset(rel);
	*is_script = 0;
	if (strncmp(name, in->data_dir, dl) || name[dl] != '/') {
		buf_addf(rel, "%s/%s", buf_cstr(&in->site), name); /* Root-Is-Purelib: either way */
		return 0;
	}
	const char *scheme = name + dl + 1, *sub = strchr(scheme, '/');
	size_t sn = sub ? (size_t)(sub - scheme) : strlen(scheme);
	if (!sub || !sub[1])
		return err_set(err, "wheel %s: %s is not inside a %s/<scheme>/ directory",
			       in->wheel, name, in->data_dir);
	sub++;
	if ((sn == 7 && !strncmp(scheme, "purelib", 7)) ||
	    (sn == 7 && !strncmp(scheme, "platlib", 7)))
		buf_addf(rel, "%s/%s", buf_cstr(&in->site), sub);
	else if (sn == 7 && !strncmp(scheme, "scripts", 7))
		*is_script = 1, buf_addf(rel, "bin/%s", sub);
	else if (sn == 7 && !strncmp(scheme, "headers", 7))
		buf_addf(rel, "include/python%s/%s/%s", in->o->python_version, in->project, sub);
	else if (sn == 4 && !strncmp(scheme, "data", 4))
		buf_addstr(rel, sub);
	else
		return err_set(err,
			       "wheel %s: %s: unknown install scheme '%.*s' (purelib, platlib, "
			       "scripts, headers, data)",
			       in->wheel, name, (int)sn, scheme);
	return 0;
}

static int verify(wheel_inst_t *in, const wheel_record_row_t *row, const char *b64, long long size,
		  err_t *err)
{
	if (size != row->size || strcmp(b64, row->hash))
		return err_set(err,
			       "wheel %s: %s does not match its RECORD entry (%s=%s, %lld bytes; "
			       "read %s=%s, %lld bytes): the wheel is damaged or was altered",
			       in->wheel, row->path, row->algo, row->hash, row->size, row->algo,
			       b64, size);
	return 0;
}

/* A script: read whole, checked, "#!python" replaced by the image's interpreter. */
static int extract_script(wheel_inst_t *in, struct archive *a, const wheel_record_row_t *row,
			  const char *rel, err_t *err)
{
	buf_t data = BUF_INIT, b64 = BUF_INIT, out = BUF_INIT;
	char block[65536];
	la_ssize_t n;
	wheel_hash_t *h = wheel_hash_new(row->algo);
	int r = -1;
	while ((n = archive_read_data(a, block, sizeof block)) > 0 &&
	       data.len + (size_t)n <= (size_t)row->size &&
	       data.len + (size_t)n <= SCRIPT_MAX_BYTES)
		buf_add(&data, block, (size_t)n), wheel_hash_update(h, block, (size_t)n);
	wheel_hash_final(h, &b64);
	if (n < 0) {
		err_set(err, "wheel %s: cannot read %s: %s", in->wheel, row->path,
			archive_error_string(a));
		goto out;
	}
	if (verify(in, row, buf_cstr(&b64), n > 0 ? row->size + 1 : (long long)data.len, err) < 0)
		goto out;
	if (data.len >= 8 && !memcmp(data.data, "#!python", 8)) {
		size_t eol = strcspn(data.data, "\n"),
		       args = 8 + (data.len > 8 && data.data[8] == 'w');
		buf_t argv = BUF_INIT;
		buf_add(&argv, data.data + args,
			eol - args - (eol > args && data.data[eol - 1] == '\r'));
		pypi_wheel_shebang(buf_cstr(&in->python), buf_cstr(&argv), &out);
		buf_add(&out, data.data + eol + (eol < data.len),
			data.len - eol - (eol < data.len));
		buf_free(&argv);
	} else {
		buf_add(&out, data.data, data.len);
	}
	r = write_file(in, rel, out.data, out.len, 0755, err);
out:
	buf_free(&data);
	buf_free(&b64);
	buf_free(&out);
	return r;
}

/* Streams a member to its file, hashed with RECORD's algorithm (and sha256 for the new
 * RECORD when that is another one). */
static int extract_regular(wheel_inst_t *in, struct archive *a, const wheel_record_row_t *row,
			   const char *rel, mode_t mode, err_t *err)
{
	wheel_hash_t *h = wheel_hash_new(row->algo), *h256 = NULL;
	buf_t b64 = BUF_INIT, b256 = BUF_INIT;
	char block[65536];
	la_ssize_t n = 0;
	long long size = 0;
	int fd = -1, r = -1;
	if (strcmp(row->algo, "sha256"))
		h256 = wheel_hash_new("sha256");
	if (check_owner(in, rel, err) < 0 || (fd = open_dest(in, rel, err)) < 0)
		goto out;
	while (size <= row->size && (n = archive_read_data(a, block, sizeof block)) > 0) {
		size += n;
		wheel_hash_update(h, block, (size_t)n);
		if (h256)
			wheel_hash_update(h256, block, (size_t)n);
		if (size <= row->size && write_all(fd, block, (size_t)n) < 0) {
			err_set(err, "wheel %s: cannot write %s: %s", in->wheel, rel,
				strerror(errno));
			goto out;
		}
	}
	if (n < 0) {
		err_set(err, "wheel %s: cannot read %s: %s", in->wheel, row->path,
			archive_error_string(a));
		goto out;
	}
	wheel_hash_final(h, &b64);
	h = NULL;
	if (verify(in, row, buf_cstr(&b64), size, err) < 0)
		goto out;
	if (fchmod(fd, mode) < 0) {
		err_set(err, "wheel %s: cannot set the mode of %s: %s", in->wheel, rel,
			strerror(errno));
		goto out;
	}
	if (h256) {
		wheel_hash_final(h256, &b256);
		h256 = NULL;
	}
	add_installed_row(in, rel, b256.len ? buf_cstr(&b256) : buf_cstr(&b64), size);
	r = 0;
out:
	if (h)
		wheel_hash_final(h, &b64);
	if (h256)
		wheel_hash_final(h256, &b256);
	if (fd >= 0)
		close(fd);
	buf_free(&b64);
	buf_free(&b256);
	return r;
}

static int extract_member(wheel_inst_t *in, struct archive *a, struct archive_entry *ae, err_t *err)
{
	const char *name = archive_entry_pathname(ae);
	size_t dl = strlen(in->dist_info);
	buf_t rel = BUF_INIT;
	wheel_record_row_t *row;
	int is_script, r = -1;
	if (archive_entry_filetype(ae) == AE_IFDIR)
		return 0;
	if (!strncmp(name, in->dist_info, dl) && name[dl] == '/' &&
	    (!strcmp(name + dl, "/RECORD") || !strcmp(name + dl, "/RECORD.jws") ||
	     !strcmp(name + dl, "/RECORD.p7s")))
		return 0; /* replaced by the new RECORD (its signatures would no longer match) */
	if (!(row = wheel_record_find(&in->record, name)))
		return err_set(err, "wheel %s: member %s is not listed in RECORD", in->wheel, name);
	if (!row->algo)
		return err_set(err, "wheel %s: member %s is listed in RECORD without a hash",
			       in->wheel, name);
	row->seen = 1;
	if (map_member(in, name, &rel, &is_script, err) == 0)
		r = is_script ? extract_script(in, a, row, buf_cstr(&rel), err)
			      : extract_regular(in, a, row, buf_cstr(&rel),
						archive_entry_perm(ae) & 0111 ? 0755 : 0644, err);
	buf_free(&rel);
	return r;
}

int wheel_extract(wheel_inst_t *in, const char *wheel_path, err_t *err)
{
	struct archive *a = xcheck(archive_read_new());
	struct archive_entry *ae;
	int r = 0, ar;
	archive_read_support_format_zip_seekable(a);
	if (archive_read_open_filename(a, wheel_path, 65536) != ARCHIVE_OK)
		r = err_set(err, "wheel %s: %s", in->wheel, archive_error_string(a));
	while (r == 0 && (ar = archive_read_next_header(a, &ae)) == ARCHIVE_OK)
		r = extract_member(in, a, ae, err);
	if (r == 0 && ar != ARCHIVE_EOF)
		r = err_set(err, "wheel %s: %s", in->wheel, archive_error_string(a));
	archive_read_free(a);
	for (size_t i = 0; r == 0 && i < in->record.n; i++)
		if (in->record.rows[i].algo && !in->record.rows[i].seen)
			r = err_set(err,
				    "wheel %s: RECORD lists %s, which the wheel does not contain",
				    in->wheel, in->record.rows[i].path);
	return r;
}

/* ------------------------------------------------------------------ generated files */

static int write_launchers(wheel_inst_t *in, err_t *err)
{
	buf_t rel = BUF_INIT, text = BUF_INIT;
	int r = 0;
	for (size_t i = 0; r == 0 && i < in->n_eps; i++) {
		buf_reset(&rel);
		buf_addf(&rel, "bin/%s", in->eps[i].name);
		wheel_launcher(buf_cstr(&in->python), &in->eps[i], &text);
		r = write_file(in, buf_cstr(&rel), text.data, text.len, 0755, err);
	}
	buf_free(&rel);
	buf_free(&text);
	return r;
}

/* PEP 610: {"url": ..., "archive_info": {"hash": "sha256=...", "hashes": {"sha256": ...}}},
 * keys sorted so the bytes are stable. */
static char *direct_url_json(const wheel_inst_t *in)
{
	json_t *info = json_object(), *doc = json_object();
	if (in->o->sha256) {
		char *h = xmalloc(strlen(in->o->sha256) + 8);
		memcpy(h, "sha256=", 7);
		memcpy(h + 7, in->o->sha256, strlen(in->o->sha256) + 1);
		json_object_set_new(info, "hash", json_string(h));
		json_object_set_new(info, "hashes", json_pack("{s:s}", "sha256", in->o->sha256));
		free(h);
	}
	json_object_set_new(doc, "archive_info", info);
	json_object_set_new(doc, "url", json_string(in->o->direct_url));
	char *text = xcheck(json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT));
	json_decref(doc);
	return text;
}

static int write_dist_info_extras(wheel_inst_t *in, buf_t *rel, err_t *err)
{
	buf_setstr(rel, buf_cstr(&in->site));
	buf_addf(rel, "/%s/INSTALLER", in->dist_info);
	if (write_file(in, buf_cstr(rel), "imgbuild\n", 9, 0644, err) < 0)
		return -1;
	if (in->o->is_requested) {
		buf_setstr(rel, buf_cstr(&in->site));
		buf_addf(rel, "/%s/REQUESTED", in->dist_info);
		if (write_file(in, buf_cstr(rel), "", 0, 0644, err) < 0)
			return -1;
	}
	if (in->o->direct_url) {
		char *json = direct_url_json(in);
		buf_setstr(rel, buf_cstr(&in->site));
		buf_addf(rel, "/%s/direct_url.json", in->dist_info);
		int r = write_file(in, buf_cstr(rel), json, strlen(json), 0644, err);
		free(json);
		return r;
	}
	return 0;
}

int wheel_write_generated(wheel_inst_t *in, err_t *err)
{
	buf_t rel = BUF_INIT, record = BUF_INIT;
	int fd, r = -1;
	if (write_launchers(in, err) < 0 || write_dist_info_extras(in, &rel, err) < 0)
		goto out;
	buf_setstr(&rel, buf_cstr(&in->site));
	buf_addf(&rel, "/%s/RECORD", in->dist_info);
	add_installed_row(in, buf_cstr(&rel), NULL, 0);
	pypi_strv_sort(&in->installed); /* bytewise, so RECORD's bytes are stable */
	for (size_t i = 0; i < in->installed.n; i++)
		buf_addf(&record, "%s\n", in->installed.v[i]);
	if ((fd = open_dest(in, buf_cstr(&rel), err)) < 0)
		goto out;
	if (write_all(fd, record.data, record.len) < 0 || fchmod(fd, 0644) < 0)
		err_set(err, "wheel %s: cannot write %s: %s", in->wheel, buf_cstr(&rel),
			strerror(errno));
	else
		r = 0;
	close(fd);
out:
	buf_free(&rel);
	buf_free(&record);
	return r;
}
